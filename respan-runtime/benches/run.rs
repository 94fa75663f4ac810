//! What respan adds to a gateway round trip (DESIGN §8): the client CPU time of a
//! triage → handoff → answer run (2 requests) against the offline gateway, next to
//! the bare reqwest + serde_json transport sending the same two requests.
//!
//! The gateway runs on its own thread; only the client thread's CPU time is
//! counted (Linux `/proc/thread-self/schedstat`), so the server's work is not.
//!
//! `cargo bench -p respan-runtime --bench run [-- RUNS]`; `BENCH_CASSETTE=1` measures
//! the same runs recorded into a cassette and replayed from it instead.

use respan_offline::OfflineGateway;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use respan_runtime::{Agent, AgentSet, Gateway};
use serde_json::{Value, json};

const QUESTION: &str = "I'm having trouble connecting to the API.";

/// CPU time of the calling thread, in nanoseconds.
fn thread_cpu() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn agents() -> AgentSet {
    AgentSet::new("Triage Agent".to_string())
        .agent(
            Agent::named("Triage Agent")
                .instructions("Route to the appropriate agent based on the question.")
                .handoffs(["Billing Agent".to_string(), "Technical Agent".to_string()]),
        )
        .agent(
            Agent::named("Billing Agent")
                .instructions("Handle billing and payment questions.")
                .handoff_description("Billing and payment questions"),
        )
        .agent(
            Agent::named("Technical Agent")
                .instructions("Handle technical support questions.")
                .handoff_description("Technical support and API problems"),
        )
}

/// Starts the offline gateway on its own thread and runtime; returns its base URL.
fn start_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let server = OfflineGateway::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
                .await
                .expect("bind");
            tx.send(server.base_url().to_string()).expect("send");
            std::future::pending::<()>().await;
        });
    });
    rx.recv().expect("server started")
}

/// Runs `f` `runs` times; returns (client CPU µs per run, wall µs per run).
async fn measure<F, Fut>(runs: u32, mut f: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..runs / 10 {
        f().await; // warm up: connections, allocator, caches
    }
    let cpu0 = thread_cpu().unwrap_or(0);
    let wall0 = Instant::now();
    for _ in 0..runs {
        f().await;
    }
    let cpu = thread_cpu().unwrap_or(0).saturating_sub(cpu0) as f64 / 1000.0 / f64::from(runs);
    let wall = wall0.elapsed().as_secs_f64() * 1e6 / f64::from(runs);
    (cpu, wall)
}

fn main() {
    let runs: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2000);
    let base_url = start_server();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    runtime.block_on(async {
        let gateway = Gateway::new(&base_url, "bench").expect("gateway");
        let agents = agents();
        // The two bodies respan sends, to replay them with the bare transport.
        let first = respan_runtime::run(&gateway, &agents, QUESTION).await.expect("run");
        assert_eq!(first.last_agent, "Technical Agent");

        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        let url = format!("{base_url}/chat/completions");
        let body1 = json!({"model": "gpt-4o", "messages": [
            {"role": "system", "content": "Route to the appropriate agent based on the question."},
            {"role": "user", "content": QUESTION}],
            "tools": [
              {"type": "function", "function": {"name": "transfer_to_billing_agent",
                "description": "Handoff to the Billing Agent agent to handle the request. Billing and payment questions",
                "parameters": {"type": "object", "properties": {}, "required": [], "additionalProperties": false}, "strict": true}},
              {"type": "function", "function": {"name": "transfer_to_technical_agent",
                "description": "Handoff to the Technical Agent agent to handle the request. Technical support and API problems",
                "parameters": {"type": "object", "properties": {}, "required": [], "additionalProperties": false}, "strict": true}}]});
        let bare = || {
            let http = http.clone();
            let url = url.clone();
            let body1 = body1.clone();
            async move {
                let send = |body: Value| {
                    let http = http.clone();
                    let url = url.clone();
                    async move {
                        let bytes = http
                            .post(&url)
                            .header("authorization", "Bearer bench")
                            .header("content-type", "application/json")
                            .body(serde_json::to_vec(&body).expect("json"))
                            .send()
                            .await
                            .expect("send")
                            .bytes()
                            .await
                            .expect("body");
                        serde_json::from_slice::<Value>(&bytes).expect("parse")
                    }
                };
                let answer = send(body1.clone()).await;
                let call = answer["choices"][0]["message"]["tool_calls"][0].clone();
                let mut body2 = json!({"model": "gpt-4o", "messages": [
                    {"role": "system", "content": "Handle technical support questions."},
                    {"role": "user", "content": QUESTION},
                    {"role": "assistant", "content": null, "tool_calls": [call.clone()]},
                    {"role": "tool", "tool_call_id": call["id"], "content": "{\"assistant\": \"Technical Agent\"}"}]});
                body2["model"] = "gpt-4o".into();
                let final_answer = send(body2).await;
                assert!(final_answer["choices"][0]["message"]["content"].is_string());
            }
        };
        let with_respan = || async {
            let result = respan_runtime::run(&gateway, &agents, QUESTION).await.expect("run");
            assert_eq!(result.last_agent, "Technical Agent");
        };

        if std::env::var("BENCH_CASSETTE").is_ok() {
            // The same runs recorded into a cassette, then replayed from it.
            let dir = std::env::temp_dir().join(format!("respan-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = dir.join("bench.jsonl");
            let recording = Gateway::builder()
                .base_url(&base_url)
                .api_key("bench")
                .record(&path)
                .build()
                .expect("recording gateway");
            let plain = measure(runs, with_respan).await;
            let recorded = measure(runs, || async {
                let result = respan_runtime::run(&recording, &agents, QUESTION).await.expect("run");
                assert_eq!(result.last_agent, "Technical Agent");
            })
            .await;
            let replaying = Gateway::replay(&path).expect("replaying gateway");
            let exchanges = replaying.replay_remaining().unwrap_or(0);
            let replayed = measure(runs, || async {
                let result = respan_runtime::run(&replaying, &agents, QUESTION).await.expect("replay");
                assert_eq!(result.last_agent, "Technical Agent");
            })
            .await;
            assert_eq!(replaying.replay_remaining(), Some(0));
            let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            let _ = std::fs::remove_dir_all(&dir);
            println!("triage -> handoff -> answer, 2 requests per run, {runs} runs:");
            println!("  offline gateway          : {:7.1} µs client CPU/run, {:7.1} µs wall/run", plain.0, plain.1);
            println!("  same, recording          : {:7.1} µs client CPU/run, {:7.1} µs wall/run", recorded.0, recorded.1);
            println!("  replay ({exchanges} exchanges, {bytes} bytes): {:7.1} µs client CPU/run, {:7.1} µs wall/run", replayed.0, replayed.1);
            return;
        }
        if std::env::var("BENCH_RAW").is_ok() {
            let raw = || async {
                let a = gateway.chat_completion_raw(&body1).await.expect("raw");
                let b = gateway.chat_completion_raw(&body1).await.expect("raw");
                assert!(a.is_object() && b.is_object());
            };
            let mut r = (f64::MAX, 0.0);
            let mut b = (f64::MAX, 0.0);
            for _ in 0..5 {
                let x = measure(runs, raw).await;
                if x.0 < r.0 {
                    r = x;
                }
                let y = measure(runs, bare).await;
                if y.0 < b.0 {
                    b = y;
                }
            }
            println!("raw via gateway: {:.1} µs cpu {:.1} wall; bare {:.1} / {:.1}", r.0, r.1, b.0, b.1);
            return;
        }
        // Alternate to even out machine noise; keep the best of three rounds.
        let mut best_bare = (f64::MAX, f64::MAX);
        let mut best_respan = (f64::MAX, f64::MAX);
        for _ in 0..3 {
            let b = measure(runs, bare).await;
            let r = measure(runs, with_respan).await;
            if b.0 < best_bare.0 {
                best_bare = b;
            }
            if r.0 < best_respan.0 {
                best_respan = r;
            }
        }
        let overhead = best_respan.0 - best_bare.0;
        println!("triage -> handoff -> answer, 2 requests per run, {runs} runs x 3 rounds (best):");
        println!(
            "  bare reqwest + serde_json : {:7.1} µs client CPU/run, {:7.1} µs wall/run",
            best_bare.0, best_bare.1
        );
        println!(
            "  respan (runtime)          : {:7.1} µs client CPU/run, {:7.1} µs wall/run",
            best_respan.0, best_respan.1
        );
        println!(
            "  respan's own work         : {:7.1} µs/run ({:.1} % of the bare transport)",
            overhead,
            100.0 * overhead / best_bare.0
        );
    });
}
