//! The benchmark client drivers: respan and the raw reqwest + serde_json loop
//! against the fake gateway (`fakegw`, another process). Each command prints one
//! JSON object per figure on stdout; `scripts/bench.sh` runs them and
//! `respan-bench/report.py` writes BENCHMARKS.md from them.
//!
//! ```sh
//! respan-bench cpu        --url URL [--scenario NAME|all] [--runs N] [--rounds R] [--procs P]
//! respan-bench growth     --url URL [--runs N]
//! respan-bench stream     --url URL [--runs N]
//! respan-bench concurrent --url URL [--runs N] [--client respan|respan-unlimited|raw] [--max-connections N]
//! respan-bench startup    --url URL --support BIN [--python PY --script FILE] [--runs N]
//! ```
//!
//! CPU is the client process's own (`CLOCK_PROCESS_CPUTIME_ID`), measured on a
//! current-thread runtime; the gateway's CPU is read from its `/stats`.

mod raw;
mod scenario;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use respan_bench::{allocations, monotonic_ns, process_cpu_ns};
use respan_runtime::{Gateway, RunEvent, Runner};
use serde_json::{Value, json};

use crate::scenario::{QUESTION, Scenario, TURN_MARKS};

#[global_allocator]
static ALLOC: respan_bench::CountingAlloc = respan_bench::CountingAlloc;

fn arg<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    let at = args.iter().position(|a| a == name)?;
    let value = args.get(at + 1)?;
    match value.parse() {
        Ok(v) => Some(v),
        Err(_) => fail(&format!("{name} {value:?} is not a valid value")),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("respan-bench: {message}");
    std::process::exit(2)
}

fn emit(value: Value) {
    println!("{value}");
}

fn gateway(root: &str) -> Gateway {
    Gateway::builder()
        .base_url(format!("{root}/api"))
        .api_key("bench")
        .max_retries(0)
        .timeout(Duration::from_secs(120))
        .build()
        .expect("gateway")
}

/// The fake gateway's counters.
async fn gateway_stats(http: &reqwest::Client, root: &str) -> Value {
    let bytes = http
        .get(format!("{root}/stats"))
        .send()
        .await
        .expect("the fake gateway's /stats (is fakegw running at --url?)")
        .bytes()
        .await
        .expect("stats");
    serde_json::from_slice(&bytes).expect("stats json")
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn respan_run(gateway: &Gateway, agents: &respan_runtime::AgentSet, scenario: Scenario) {
    if scenario.streamed() {
        let mut events = respan_runtime::run_streamed(gateway, agents, QUESTION);
        while let Some(event) = events.next_event().await {
            if let RunEvent::Completed(result) = event.expect("streamed run") {
                assert_eq!(result.last_agent, scenario.last_agent());
            }
        }
    } else {
        let result = respan_runtime::run(gateway, agents, QUESTION)
            .await
            .expect("run");
        assert_eq!(result.last_agent, scenario.last_agent());
    }
}

/// What one measured batch of runs cost.
#[derive(Clone, Copy)]
struct Batch {
    cpu_ns: u64,
    wall_ns: u64,
    allocs: u64,
    alloc_bytes: u64,
    gateway_cpu_ns: u64,
    requests: u64,
    bytes_in: u64,
}

async fn batch<F, Fut>(http: &reqwest::Client, root: &str, runs: u32, mut f: F) -> Batch
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let before = gateway_stats(http, root).await;
    let (allocs0, bytes0) = allocations();
    let cpu0 = process_cpu_ns();
    let wall0 = Instant::now();
    for _ in 0..runs {
        f().await;
    }
    let wall_ns = wall0.elapsed().as_nanos() as u64;
    let cpu_ns = process_cpu_ns() - cpu0;
    let (allocs1, bytes1) = allocations();
    let after = gateway_stats(http, root).await;
    let delta = |k: &str| after[k].as_u64().unwrap_or(0) - before[k].as_u64().unwrap_or(0);
    Batch {
        cpu_ns,
        wall_ns,
        allocs: allocs1 - allocs0,
        alloc_bytes: bytes1 - bytes0,
        gateway_cpu_ns: delta("cpu_ns"),
        // The /stats request itself is not a chat request; no correction needed.
        requests: delta("requests"),
        bytes_in: delta("bytes_in"),
    }
}

fn batch_json(kind: &str, scenario: Scenario, client: &str, runs: u32, b: Batch) -> Value {
    let per_run = |x: u64| x as f64 / f64::from(runs);
    let gateway_us_per_request = b.gateway_cpu_ns as f64 / 1e3 / b.requests.max(1) as f64;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    json!({
        "kind": kind, "scenario": scenario.name(), "client": client, "runs": runs,
        "requests_per_run": b.requests as f64 / f64::from(runs),
        "cpu_us_per_run": per_run(b.cpu_ns) / 1e3,
        "wall_us_per_run": per_run(b.wall_ns) / 1e3,
        "allocs_per_run": per_run(b.allocs),
        "alloc_bytes_per_run": per_run(b.alloc_bytes),
        "body_bytes_per_run": per_run(b.bytes_in),
        "gateway_cpu_us_per_request": gateway_us_per_request,
        // What the gateway could serve with every core: it is never the bottleneck
        // while this is well above the client's request rate.
        "gateway_capacity_rps": threads * 1e6 / gateway_us_per_request.max(1e-3),
        "client_rps": b.requests as f64 / (b.wall_ns as f64 / 1e9),
    })
}

/// `cpu`: client CPU per run of each scenario, respan against the raw loop.
///
/// Each side runs in processes of its own (this binary again, with `--client`),
/// alternating: respan, raw, raw, respan, ... (`--procs` of each). Between two
/// processes of this VM the same work costs up to 2× more CPU (idle cores
/// waking, cache state), so a figure is the median process's, and neither side
/// shares an allocator, a connection pool or caches with the other.
fn cpu(args: &[String], root: &str) {
    match arg::<String>(args, "--client").as_deref() {
        None => cpu_processes(args),
        Some(side @ ("respan" | "raw")) => cpu_one_side(args, root, side),
        Some(other) => fail(&format!("--client {other}: expected respan or raw")),
    }
}

fn scenarios_arg(args: &[String]) -> Vec<Scenario> {
    let which: String = arg(args, "--scenario").unwrap_or_else(|| "all".to_string());
    if which == "all" {
        Scenario::ALL.to_vec()
    } else {
        vec![Scenario::parse(&which).unwrap_or_else(|| fail(&format!("unknown scenario {which}")))]
    }
}

/// The parent: runs `--procs` processes of each side and emits each side's median.
fn cpu_processes(args: &[String]) {
    let procs: usize = arg(args, "--procs").unwrap_or(7);
    let scenarios = scenarios_arg(args);
    let exe = std::env::current_exe().unwrap_or_else(|e| fail(&format!("own path: {e}")));
    // (scenario, side) → one figure per process.
    let mut figures: std::collections::BTreeMap<(String, String), Vec<Value>> = Default::default();
    for p in 0..procs {
        let order = if p % 2 == 0 {
            ["respan", "raw"]
        } else {
            ["raw", "respan"]
        };
        for side in order {
            let output = std::process::Command::new(&exe)
                .args(args)
                .args(["--client", side])
                .stderr(std::process::Stdio::inherit())
                .output()
                .unwrap_or_else(|e| fail(&format!("cannot run {}: {e}", exe.display())));
            if !output.status.success() {
                fail(&format!("the {side} process failed ({})", output.status));
            }
            for line in String::from_utf8_lossy(&output.stdout).lines() {
                let figure: Value = serde_json::from_str(line).expect("a child's JSON line");
                let key = (
                    figure["scenario"].as_str().unwrap_or_default().to_string(),
                    side.to_string(),
                );
                figures.entry(key).or_default().push(figure);
            }
        }
    }
    for scenario in scenarios {
        let mut medians = Vec::new();
        for side in ["respan", "raw"] {
            let Some(all) = figures.get_mut(&(scenario.name().to_string(), side.to_string()))
            else {
                fail(&format!("no figure for {} {side}", scenario.name()))
            };
            all.sort_by(|a, b| {
                a["cpu_us_per_run"]
                    .as_f64()
                    .partial_cmp(&b["cpu_us_per_run"].as_f64())
                    .expect("numbers")
            });
            let mut median = all[all.len() / 2].clone();
            median["processes"] = json!(all.len());
            median["cpu_us_per_run_min"] = all[0]["cpu_us_per_run"].clone();
            median["cpu_us_per_run_max"] = all[all.len() - 1]["cpu_us_per_run"].clone();
            medians.push(median);
        }
        if medians[0]["body_bytes_per_run"] != medians[1]["body_bytes_per_run"] {
            eprintln!(
                "respan-bench: {}: respan sent {} body bytes per run, the raw loop {}",
                scenario.name(),
                medians[0]["body_bytes_per_run"],
                medians[1]["body_bytes_per_run"]
            );
        }
        for median in medians {
            emit(median);
        }
    }
}

/// One side in this process: a warm-up, then `--rounds` batches of `--runs`
/// runs per scenario; emits the median batch of each scenario.
fn cpu_one_side(args: &[String], root: &str, side: &str) {
    let runs: u32 = arg(args, "--runs").unwrap_or(200);
    let rounds: usize = arg(args, "--rounds").unwrap_or(5);
    let scenarios = scenarios_arg(args);
    current_thread().block_on(async {
        let gateway = gateway(root);
        let raw_client = raw::RawClient::new(&format!("{root}/api"));
        let http = raw_client.http.clone();
        for scenario in scenarios {
            // The long loop is 50 requests of up to 200 KB: fewer runs.
            let runs = if scenario == Scenario::LongLoop {
                (runs / 25).max(1)
            } else {
                runs
            };
            let agents = scenario::respan_agents(scenario);
            let raw_agents = scenario::raw_agents(scenario);
            let with_respan = || respan_run(&gateway, &agents, scenario);
            let with_raw = || async {
                let (last, text) =
                    raw::run(&raw_client, &raw_agents, QUESTION, scenario.streamed()).await;
                assert_eq!(last, scenario.last_agent());
                assert!(!text.is_empty());
            };
            let mut batches = Vec::new();
            // Warm up (connections, allocator, lazily built pieces), then measure.
            for round in 0..=rounds {
                let n = if round == 0 { (runs / 5).max(1) } else { runs };
                let b = if side == "respan" {
                    batch(&http, root, n, with_respan).await
                } else {
                    batch(&http, root, n, with_raw).await
                };
                if round > 0 {
                    batches.push(b);
                }
                TURN_MARKS.lock().expect("marks").clear();
            }
            batches.sort_by_key(|b| b.cpu_ns);
            emit(batch_json(
                "cpu",
                scenario,
                side,
                runs,
                batches[batches.len() / 2],
            ));
        }
    });
}

/// Per-turn CPU of the long loop from `fetch_page`'s stamps: turn k is the time
/// between the stamps of calls k-1 and k (the start and the end close the ends).
fn turns(start: u64, end: u64) -> Vec<u64> {
    let marks = std::mem::take(&mut *TURN_MARKS.lock().expect("marks"));
    let mut points = vec![start];
    points.extend(marks);
    points.push(end);
    points.windows(2).map(|w| w[1] - w[0]).collect()
}

fn median(values: &mut [u64]) -> u64 {
    values.sort_unstable();
    values[values.len() / 2]
}

/// `growth`: the long loop's CPU per turn, respan against the raw loop.
fn growth(args: &[String], root: &str) {
    let runs: usize = arg(args, "--runs").unwrap_or(20);
    current_thread().block_on(async {
        let gateway = gateway(root);
        let raw_client = raw::RawClient::new(&format!("{root}/api"));
        let agents = scenario::respan_agents(Scenario::LongLoop);
        let raw_agents = scenario::raw_agents(Scenario::LongLoop);
        let mut per_turn: [Vec<Vec<u64>>; 2] = [Vec::new(), Vec::new()];
        // Two warm-up runs, except in a smoke test.
        let warmup = if runs >= 10 { 2 } else { 0 };
        for run in 0..runs + warmup {
            for (client, samples) in per_turn.iter_mut().enumerate() {
                TURN_MARKS.lock().expect("marks").clear();
                let start = process_cpu_ns();
                if client == 0 {
                    respan_run(&gateway, &agents, Scenario::LongLoop).await;
                } else {
                    raw::run(&raw_client, &raw_agents, QUESTION, false).await;
                }
                let turns = turns(start, process_cpu_ns());
                assert_eq!(turns.len(), scenario::LOOP_TURNS);
                if run >= warmup {
                    samples.push(turns);
                }
            }
        }
        for (client, samples) in ["respan", "raw"].iter().zip(&per_turn) {
            for turn in 0..scenario::LOOP_TURNS {
                let mut values: Vec<u64> = samples.iter().map(|s| s[turn]).collect();
                emit(json!({"kind": "growth", "client": client, "turn": turn + 1,
                    "runs": runs, "cpu_us": median(&mut values) as f64 / 1e3}));
            }
        }
    });
}

/// How long the fake gateway waits before the stamped first text chunk: both
/// clients are then idle, waiting on the socket, as after a model's first-token latency.
const STAMP_AFTER_MS: &str = "2";

/// The time since the fake gateway stamped a text chunk `@<monotonic ns> `
/// (the same clock across processes on one machine).
fn since_stamp(text: &str) -> u64 {
    let stamp: u64 = text
        .trim()
        .strip_prefix('@')
        .and_then(|ns| ns.parse().ok())
        .unwrap_or_else(|| fail(&format!("the first text delta {text:?} is not a stamp")));
    monotonic_ns().saturating_sub(stamp)
}

/// `stream`: the time from the first byte of the first text chunk (as the fake
/// gateway writes it) to the first text delta in the client's hands, and the
/// CPU per delta after it; respan's `TextDelta` events against a bare SSE read
/// (reqwest + eventsource-stream + serde_json).
fn stream(args: &[String], root: &str) {
    use eventsource_stream::Eventsource as _;
    use futures_util::StreamExt as _;
    let runs: usize = arg(args, "--runs").unwrap_or(300);
    current_thread().block_on(async {
        let gateway = Gateway::builder()
            .base_url(format!("{root}/api"))
            .api_key("bench")
            .max_retries(0)
            .timeout(Duration::from_secs(120))
            .default_header("x-bench-stamp-ms", STAMP_AFTER_MS)
            .build()
            .expect("gateway");
        let agents = scenario::respan_agents(Scenario::OneAgent);
        let raw_client = raw::RawClient::new(&format!("{root}/api"));
        let body = serde_json::to_vec(&json!({"model": "gpt-4o", "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": QUESTION}],
            "stream": true, "stream_options": {"include_usage": true}}))
        .expect("json");
        // (first-delta ns since the stamp, CPU ns per delta after the first, deltas)
        let mut samples: [Vec<(u64, u64, u64)>; 2] = [Vec::new(), Vec::new()];
        let warmup = if runs >= 100 { 20 } else { 0 };
        for run in 0..runs + warmup {
            // respan
            let mut first = None;
            let mut deltas = 0u64;
            let mut events = Runner::new().run_streamed(&gateway, &agents, QUESTION);
            while let Some(event) = events.next_event().await {
                if let RunEvent::TextDelta { delta, .. } = event.expect("event") {
                    deltas += 1;
                    if first.is_none() {
                        first = Some((since_stamp(&delta), process_cpu_ns()));
                    }
                }
            }
            let end_cpu = process_cpu_ns();
            let (latency, cpu_first) = first.expect("a text delta");
            if run >= warmup {
                samples[0].push((latency, (end_cpu - cpu_first) / (deltas - 1), deltas));
            }
            // bare SSE read
            let response = raw_client
                .http
                .post(&raw_client.url)
                .header("authorization", "Bearer bench")
                .header("content-type", "application/json")
                .header("x-bench-stamp-ms", STAMP_AFTER_MS)
                .body(body.clone())
                .send()
                .await
                .expect("send");
            let mut sse = response.bytes_stream().eventsource();
            let mut first = None;
            let mut deltas = 0u64;
            while let Some(event) = sse.next().await {
                let event = event.expect("event");
                if event.data == "[DONE]" {
                    break;
                }
                let chunk: Value = serde_json::from_str(&event.data).expect("chunk");
                if let Some(text) = chunk["choices"][0]["delta"]["content"]
                    .as_str()
                    .filter(|t| !t.is_empty())
                {
                    deltas += 1;
                    if first.is_none() {
                        first = Some((since_stamp(text), process_cpu_ns()));
                    }
                }
            }
            let end_cpu = process_cpu_ns();
            let (latency, cpu_first) = first.expect("a text delta");
            if run >= warmup {
                samples[1].push((latency, (end_cpu - cpu_first) / (deltas - 1), deltas));
            }
        }
        for (client, s) in ["respan", "bare-sse"].iter().zip(&samples) {
            let mut latency: Vec<u64> = s.iter().map(|x| x.0).collect();
            let mut per_delta: Vec<u64> = s.iter().map(|x| x.1).collect();
            emit(json!({"kind": "stream", "client": client, "runs": runs,
                "deltas": s[0].2,
                "first_delta_us_p50": median(&mut latency) as f64 / 1e3,
                "first_delta_us_p90": latency[latency.len() * 9 / 10] as f64 / 1e3,
                "cpu_us_per_delta_p50": median(&mut per_delta) as f64 / 1e3}));
        }
    });
}

/// The clients of `concurrent`, each measured in a process of its own (peak RSS
/// is a process's lifetime high-water mark).
const CONCURRENT_CLIENTS: [&str; 3] = ["respan", "respan-unlimited", "raw"];

/// `concurrent`: N handoff runs in flight at once on a multi-threaded runtime,
/// for each client: respan with its default connection limit, respan without
/// one, and the raw reqwest loop (the transport's floor). Without `--client`,
/// runs itself once per client and passes their lines on.
fn concurrent(args: &[String], root: &str) {
    let Some(client) = arg::<String>(args, "--client") else {
        let exe = std::env::current_exe().expect("current exe");
        for client in CONCURRENT_CLIENTS {
            let mut child_args = args.to_vec();
            child_args.extend(["--client".to_string(), client.to_string()]);
            let out = std::process::Command::new(&exe)
                .args(&child_args)
                .stderr(std::process::Stdio::inherit())
                .output()
                .unwrap_or_else(|e| fail(&format!("cannot run {}: {e}", exe.display())));
            if !out.status.success() {
                fail(&format!(
                    "concurrent --client {client} failed: {}",
                    out.status
                ));
            }
            print!("{}", String::from_utf8_lossy(&out.stdout));
        }
        return;
    };
    if !CONCURRENT_CLIENTS.contains(&client.as_str()) {
        fail(&format!(
            "unknown --client {client}; expected one of {CONCURRENT_CLIENTS:?}"
        ));
    }
    let runs: usize = arg(args, "--runs").unwrap_or(10_000);
    let rss_before = respan_bench::peak_rss_kib();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut builder = Gateway::builder()
            .base_url(format!("{root}/api"))
            .api_key("bench")
            .max_retries(0)
            .timeout(Duration::from_secs(120));
        let max_connections = match client.as_str() {
            "respan" => {
                arg(args, "--max-connections").unwrap_or(respan_runtime::DEFAULT_MAX_CONNECTIONS)
            }
            _ => usize::MAX,
        };
        builder = builder.max_connections(max_connections);
        let gateway = builder.build().expect("gateway");
        let agents = std::sync::Arc::new(scenario::respan_agents(Scenario::Handoff));
        let raw_client = std::sync::Arc::new(raw::RawClient::new(&format!("{root}/api")));
        let raw_agents = std::sync::Arc::new(scenario::raw_agents(Scenario::Handoff));
        // What each in-flight run holds before it allocates anything: its future.
        let future_bytes = if client == "raw" {
            std::mem::size_of_val(&raw::run(&raw_client, &raw_agents, QUESTION, false))
        } else {
            std::mem::size_of_val(&respan_runtime::run(&gateway, &agents, QUESTION))
        };
        let stats_http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        // Zero the gateway's high-water mark of requests in flight.
        stats_http
            .post(format!("{root}/reset"))
            .send()
            .await
            .expect("the fake gateway's /reset");
        let before = gateway_stats(&stats_http, root).await;
        respan_bench::track_live_heap();
        let cpu0 = process_cpu_ns();
        let start = Instant::now();
        let tasks: Vec<_> = (0..runs)
            .map(|_| {
                let gateway = gateway.clone();
                let agents = agents.clone();
                let raw_client = raw_client.clone();
                let raw_agents = raw_agents.clone();
                let raw = client == "raw";
                tokio::spawn(async move {
                    let t0 = Instant::now();
                    let last = if raw {
                        // Panics on any failure: a failed task is an error below.
                        let (last, _answer) =
                            raw::run(&raw_client, &raw_agents, QUESTION, false).await;
                        Ok(last.to_string())
                    } else {
                        respan_runtime::run(&gateway, &agents, QUESTION)
                            .await
                            .map(|r| r.last_agent)
                    };
                    (t0.elapsed(), last)
                })
            })
            .collect();
        let mut latencies = Vec::with_capacity(runs);
        let mut errors = 0usize;
        let mut first_error = None;
        for task in tasks {
            match task.await {
                Ok((latency, Ok(last))) if last == "Technical Agent" => {
                    latencies.push(latency.as_nanos() as u64)
                }
                Ok((_, Ok(last))) => {
                    errors += 1;
                    first_error.get_or_insert(format!("ended at {last}"));
                }
                Ok((_, Err(e))) => {
                    errors += 1;
                    first_error.get_or_insert(e.to_string());
                }
                Err(e) => {
                    errors += 1;
                    first_error.get_or_insert(e.to_string());
                }
            }
        }
        let wall = start.elapsed();
        let cpu = process_cpu_ns() - cpu0;
        let after = gateway_stats(&stats_http, root).await;
        let delta = |k: &str| after[k].as_u64().unwrap_or(0) - before[k].as_u64().unwrap_or(0);
        latencies.sort_unstable();
        let pct = |p: f64| {
            latencies
                .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
                .map_or(0.0, |ns| *ns as f64 / 1e6)
        };
        let peak_rss = respan_bench::peak_rss_kib();
        let mb = |kib: u64| kib as f64 / 1024.0;
        emit(
            json!({"kind": "concurrent", "client": client, "runs": runs, "scenario": "handoff",
            "max_connections": gateway.max_connections(),
            "errors": errors, "first_error": first_error,
            "wall_s": wall.as_secs_f64(),
            "runs_per_s": runs as f64 / wall.as_secs_f64(),
            "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "cpu_us_per_run": cpu as f64 / 1e3 / runs as f64,
            "gateway_connections": delta("connections"),
            "gateway_max_in_flight": after["max_in_flight"],
            "future_bytes": future_bytes,
            "peak_heap_mb": respan_bench::peak_live_bytes() as f64 / 1048576.0,
            "rss_before_mb": mb(rss_before),
            "peak_rss_mb": mb(peak_rss),
            "rss_kb_per_run": (peak_rss.saturating_sub(rss_before)) as f64 / runs as f64}),
        );
    });
}

/// `startup`: a process's peak RSS and the time from its spawn to its first
/// request at the fake gateway (which stamps it with the wall clock).
fn startup(args: &[String], root: &str) {
    let runs: usize = arg(args, "--runs").unwrap_or(5);
    let support: String =
        arg(args, "--support").unwrap_or_else(|| fail("--support BIN is required"));
    let mut clients = vec![("respan support example", vec![support])];
    if let (Some(python), Some(script)) = (
        arg::<String>(args, "--python"),
        arg::<String>(args, "--script"),
    ) {
        let port = root.rsplit(':').next().expect("port").to_string();
        clients.push((
            "Python Agents SDK (same workflow)",
            vec![python, script, port, "support".to_string()],
        ));
    }
    current_thread().block_on(async {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        for (client, command) in clients {
            let mut first = Vec::new();
            let mut rss = Vec::new();
            for _ in 0..runs {
                http.post(format!("{root}/reset"))
                    .send()
                    .await
                    .expect("reset");
                let t0 = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
                // Reaped by `wait_child` (wait4, for the child's own peak RSS).
                #[allow(clippy::zombie_processes)]
                let child = std::process::Command::new(&command[0])
                    .args(&command[1..])
                    .env("RESPAN_API_KEY", "bench")
                    .env("RESPAN_BASE_URL", format!("{root}/api"))
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap_or_else(|e| fail(&format!("cannot start {}: {e}", command[0])));
                // Blocks this (only) thread: nothing else runs here meanwhile.
                let usage = respan_bench::wait_child(&child).expect("wait4");
                assert!(usage.success, "{client} failed");
                let stats = gateway_stats(&http, root).await;
                let at = stats["first_request_unix_ns"].as_u64().unwrap_or(0);
                assert!(at > 0, "{client} sent no request");
                first.push(at.saturating_sub(t0.as_nanos() as u64));
                rss.push(usage.peak_rss_kib);
            }
            emit(json!({"kind": "startup", "client": client, "runs": runs,
                "first_request_ms_p50": median(&mut first) as f64 / 1e6,
                "peak_rss_mb_p50": median(&mut rss) as f64 / 1024.0}));
        }
    });
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first().cloned() else {
        fail("usage: respan-bench cpu|growth|stream|concurrent|startup --url URL [...]")
    };
    let root: String =
        arg(&args, "--url").unwrap_or_else(|| fail("--url URL (fakegw's) is required"));
    match command.as_str() {
        "cpu" => cpu(&args, &root),
        "growth" => growth(&args, &root),
        "stream" => stream(&args, &root),
        "concurrent" => concurrent(&args, &root),
        "startup" => startup(&args, &root),
        other => fail(&format!(
            "unknown command {other}; expected cpu, growth, stream, concurrent or startup"
        )),
    }
}
