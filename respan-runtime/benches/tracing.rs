//! What tracing costs a run: the CPU time of a triage → handoff → answer run
//! (2 requests, 6 spans) against the offline gateway, without a subscriber and
//! with the OTLP/HTTP JSON export installed (to a local endpoint that answers 200).
//!
//! Counted: every thread of the process except the gateway's and the trace
//! endpoint's (Linux `/proc/self/task/*/schedstat`), so the export's own threads
//! (the batch processor, the HTTP client) are included.
//!
//! `cargo bench -p respan-runtime --bench tracing [-- RUNS] [--json]`
//! (`--json`: one more line, a JSON object, for `scripts/bench.sh`)

use respan_offline::OfflineGateway;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use respan_runtime::telemetry::TraceExport;
use respan_runtime::{Agent, AgentSet, Gateway};
use tracing_subscriber::layer::SubscriberExt as _;

const QUESTION: &str = "I'm having trouble connecting to the API.";

fn agents() -> AgentSet {
    AgentSet::new("Triage Agent".to_string())
        .workflow_name("support")
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

/// The id of the calling thread.
fn tid() -> String {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// CPU nanoseconds of every thread of the process but `excluded`.
fn cpu_except(excluded: &[String]) -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|t| !excluded.contains(&t.file_name().to_string_lossy().into_owned()))
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// The offline gateway on its own thread; its base URL and thread id.
fn start_gateway(excluded: &Arc<Mutex<Vec<String>>>) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    let excluded = excluded.clone();
    std::thread::spawn(move || {
        excluded.lock().unwrap().push(tid());
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
    rx.recv().expect("gateway started")
}

/// A trace endpoint answering 200 to every request, on its own thread.
fn start_endpoint(excluded: &Arc<Mutex<Vec<String>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}/api", listener.local_addr().expect("addr"));
    let excluded = excluded.clone();
    std::thread::spawn(move || {
        excluded.lock().unwrap().push(tid());
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut stream = stream;
            loop {
                let mut length = 0;
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err()
                    || stream
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
                        .is_err()
                {
                    break;
                }
            }
        }
    });
    base
}

/// Client CPU µs and wall µs per run, over `runs` runs after a warm-up.
async fn measure(
    gateway: &Gateway,
    agents: &AgentSet,
    runs: u32,
    excluded: &[String],
) -> (f64, f64) {
    for _ in 0..runs / 10 {
        respan_runtime::run(gateway, agents, QUESTION)
            .await
            .expect("run");
    }
    let cpu0 = cpu_except(excluded);
    let wall0 = Instant::now();
    for _ in 0..runs {
        respan_runtime::run(gateway, agents, QUESTION)
            .await
            .expect("run");
    }
    let cpu = cpu_except(excluded).saturating_sub(cpu0) as f64 / 1000.0 / f64::from(runs);
    let wall = wall0.elapsed().as_secs_f64() * 1e6 / f64::from(runs);
    (cpu, wall)
}

fn main() {
    let runs: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2000);
    let excluded = Arc::new(Mutex::new(Vec::new()));
    let base_url = start_gateway(&excluded);
    let endpoint = start_endpoint(&excluded);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let gateway = Gateway::new(base_url, "sk-bench").expect("gateway");
    let agents = agents();
    let excluded = excluded.lock().unwrap().clone();

    // Alternate the conditions to even out the machine's load. "Held": spans
    // recorded into a queue large enough that nothing is exported until the
    // condition ends, which separates recording a span from exporting it.
    let mut off = Vec::new();
    let mut held = Vec::new();
    let mut on = Vec::new();
    let mut exported = 0;
    for _ in 0..3 {
        off.push(runtime.block_on(measure(&gateway, &agents, runs, &excluded)));
        for hold in [true, false] {
            let mut export = TraceExport::respan(&endpoint, Some("sk-bench".into()));
            if hold {
                let all = (runs as usize + runs as usize / 10) * 8;
                export = export
                    .max_queue_size(all)
                    .max_export_batch_size(all)
                    .scheduled_delay(std::time::Duration::from_secs(3600));
            } else {
                // The default queue (2048 spans) fills faster than a loaded
                // 2-core machine exports: a larger one, so that none is dropped.
                export = export.max_queue_size(1 << 16);
            }
            let (layer, guard) = export.build().expect("export");
            let subscriber = tracing_subscriber::registry().with(layer);
            let default = tracing::subscriber::set_default(subscriber);
            let figure = runtime.block_on(measure(&gateway, &agents, runs, &excluded));
            // What is still queued is exported here, outside the measure.
            drop(default);
            let stats = guard.shutdown();
            assert_eq!(stats.dropped, 0, "{stats:?}");
            if hold {
                held.push(figure);
            } else {
                exported += stats.exported;
                on.push(figure);
            }
        }
    }
    let best = |v: &[(f64, f64)]| {
        v.iter()
            .copied()
            .fold((f64::MAX, f64::MAX), |a, b| (a.0.min(b.0), a.1.min(b.1)))
    };
    let (off_cpu, off_wall) = best(&off);
    let (held_cpu, _) = best(&held);
    let (on_cpu, on_wall) = best(&on);
    println!("runs per condition: {runs} (best of 3), spans exported: {exported}");
    println!("tracing off:            {off_cpu:.1} µs cpu, {off_wall:.1} µs wall per run");
    println!("spans recorded, held:   {held_cpu:.1} µs cpu per run");
    println!("tracing on (exported):  {on_cpu:.1} µs cpu, {on_wall:.1} µs wall per run");
    println!(
        "overhead:               {:+.1} µs cpu per run ({:+.1} %), of which recording {:+.1} µs",
        on_cpu - off_cpu,
        (on_cpu - off_cpu) / off_cpu * 100.0,
        held_cpu - off_cpu
    );
    if std::env::args().any(|a| a == "--json") {
        println!(
            "{{\"kind\":\"tracing\",\"runs\":{runs},\"spans\":{exported},\"off_cpu_us\":{off_cpu:.2},\"off_wall_us\":{off_wall:.2},\"held_cpu_us\":{held_cpu:.2},\"on_cpu_us\":{on_cpu:.2},\"on_wall_us\":{on_wall:.2}}}"
        );
    }
}
