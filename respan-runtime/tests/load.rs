//! Load with faults (issue 9, item 3): many concurrent runs, plain and
//! streamed, against a fake gateway queued with a seeded random mix of
//! answers and faults. Every run must end in a result or a typed error within
//! its deadline; afterwards no task is left, every connection is closed, and
//! the process's resident memory is back near its baseline.
//!
//! `RESPAN_LOAD_RUNS` sets the number of runs (default 1 000) and
//! `RESPAN_LOAD_SEED` the seed (default 9), for runs by hand:
//!
//! ```sh
//! RESPAN_LOAD_RUNS=10000 cargo test -p respan-runtime --test load -- --nocapture
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use respan_offline::testing::{FakeGateway, FakeResponse, RecordingSleeper};
use respan_runtime::{Agent, AgentSet, Error, Gateway, RetryPolicy, RunEvent};
use serde_json::json;

/// How long one run may take (the slowest, a hang, takes its 200 ms timeout).
const RUN_DEADLINE: Duration = Duration::from_secs(20);
/// The timeout of the gateway that serves the hangs.
const HANG_TIMEOUT: Duration = Duration::from_millis(200);
/// Retries of the main gateway: each run sends at most 3 requests.
const MAX_RETRIES: u32 = 2;
/// Resident memory may grow this much over the runs: the allocator keeps some
/// freed memory (glibc's per-thread arenas), so "back to baseline" is a
/// bound, not equality. A leak of one 4 KB buffer per run would show as
/// 4 MB per 1 000 runs; the runs' peak is far above the bound at 10 000 runs.
const RSS_GROWTH_LIMIT_KB: u64 = 50 * 1024;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// Resident memory (`VmRSS`) and its peak (`VmHWM`) in KB, from /proc (Linux).
fn memory_kb() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// Polls `done` every 10 ms for at most 5 s.
async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    // Generous: with the other test binaries running on 2 cores, closing a few
    // hundred connections was seen to take over 5 s (alone: well under 1 s).
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

/// One scripted answer of the main gateway, drawn at random.
fn random_answer(rng: &mut fastrand::Rng) -> FakeResponse {
    match rng.u32(0..100) {
        0..50 => FakeResponse::text("ok"),
        50..62 => FakeResponse::error(429, "slow down").header("retry-after", "1"),
        62..65 => FakeResponse::json(429, json!({"error": "slow down", "retry_after": 30})),
        65..80 => FakeResponse::error([500, 502, 503][rng.usize(0..3)], "boom"),
        80..83 => FakeResponse::error(424, "upstream failed"),
        83..88 => FakeResponse::raw(200, "{not json"),
        88..91 => FakeResponse::json(200, json!({"id": "chatcmpl-x"})),
        // A stream cut short (to a plain request: not JSON either).
        91..95 => FakeResponse::sse([
            r#"{"id":"c","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}"#,
        ]),
        _ => FakeResponse::close(),
    }
}

/// What a run ended with, as a bucket name; panics on anything untyped or
/// unexpected.
fn bucket(outcome: Result<Result<String, Error>, tokio::time::error::Elapsed>) -> &'static str {
    let outcome = outcome.unwrap_or_else(|_| panic!("a run missed its {RUN_DEADLINE:?} deadline"));
    match outcome {
        Ok(text) => {
            assert_eq!(text, "ok");
            "ok"
        }
        Err(Error::RateLimited { attempts: 3, .. }) => "rate limited (3 attempts)",
        Err(Error::Http {
            status: 500 | 502 | 503,
            attempts: 3,
            ..
        }) => "5xx (3 attempts)",
        // Not retried, but maybe after retried faults.
        Err(Error::Http {
            status: 424,
            attempts: 1..=3,
            ..
        }) => "424",
        Err(Error::Connection { attempts: 3, .. }) => "connection (3 attempts)",
        Err(Error::MalformedResponse(_)) => "malformed",
        Err(Error::StreamTruncated { .. }) => "stream truncated",
        Err(Error::Timeout {
            attempts: 1,
            timeout,
        }) if timeout == HANG_TIMEOUT => "timeout",
        Err(other) => panic!("unexpected outcome: {other:?}"),
    }
}

/// A plain or streamed run, its final text or error.
async fn one_run(gateway: &Gateway, agents: &AgentSet, streamed: bool) -> Result<String, Error> {
    if !streamed {
        return respan_runtime::run(gateway, agents, "hi")
            .await
            .map(|r| r.final_output);
    }
    let mut stream = respan_runtime::run_streamed(gateway, agents, "hi");
    let mut end = None;
    while let Some(item) = stream.next_event().await {
        assert!(end.is_none(), "an item after the stream's end");
        match item {
            Ok(RunEvent::Completed(result)) => end = Some(Ok(result.final_output)),
            Ok(_) => {}
            Err(error) => end = Some(Err(error)),
        }
    }
    end.expect("the stream ended without a result or an error")
}

/// `runs` concurrent runs; returns how many ended in each bucket.
async fn round(runs: usize, seed: u64) -> BTreeMap<&'static str, usize> {
    let tasks_before = alive_tasks();
    let mut rng = fastrand::Rng::with_seed(seed);
    // Which runs stream and which hang, drawn first.
    let plan: Vec<(bool, bool)> = (0..runs)
        .map(|_| (rng.bool(), rng.u32(0..100) < 5))
        .collect();
    let hangs = plan.iter().filter(|(_, hang)| *hang).count();
    let main_runs = runs - hangs;

    // The main gateway: enough answers for every run to retry twice.
    let main = FakeGateway::start().await.expect("fake gateway");
    for _ in 0..main_runs * (MAX_RETRIES as usize + 1) {
        main.push(random_answer(&mut rng));
    }
    let queued = main.pending();
    let sleeper = RecordingSleeper::new();
    let main_gateway = main
        .gateway_with(
            Gateway::builder()
                .timeout(Duration::from_secs(10))
                .max_retries(MAX_RETRIES)
                .sleeper(sleeper.sleeper()),
        )
        .expect("gateway");
    // The hangs, on their own fake gateway: a short timeout, no retry.
    let hanging = FakeGateway::start().await.expect("fake gateway");
    for _ in 0..hangs {
        hanging.push(FakeResponse::hang());
    }
    let hang_gateway = hanging
        .gateway_with(
            Gateway::builder()
                .timeout(HANG_TIMEOUT)
                .retry_policy(RetryPolicy::none()),
        )
        .expect("gateway");

    let agents =
        Arc::new(AgentSet::new("A".to_string()).agent(Agent::named("A").instructions("x")));
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for (streamed, hang) in plan {
        let gateway = if hang {
            hang_gateway.clone()
        } else {
            main_gateway.clone()
        };
        let agents = agents.clone();
        set.spawn(async move {
            tokio::time::timeout(RUN_DEADLINE, one_run(&gateway, &agents, streamed)).await
        });
    }
    let mut buckets = BTreeMap::new();
    while let Some(joined) = set.join_next().await {
        *buckets
            .entry(bucket(joined.expect("a run panicked")))
            .or_insert(0) += 1;
    }
    let elapsed = started.elapsed();
    assert_eq!(buckets.values().sum::<usize>(), runs);
    assert_eq!(buckets.get("timeout").copied().unwrap_or(0), hangs);

    // Every request of the main gateway after a run's first was a retry,
    // after a sleep. Exact up to 1 000 runs: above, the fake's accept queue
    // (1 024) overflows, and some attempts fail to connect (and are retried)
    // before the fake sees them.
    let requests = main.requests().len();
    assert_eq!(requests + main.pending(), queued, "one answer per request");
    if runs <= 1000 {
        assert_eq!(requests, main_runs + sleeper.delays().len());
    } else {
        assert!(requests <= main_runs + sleeper.delays().len());
    }
    // A hang's run times out after 200 ms even when its request has not
    // reached the fake yet (a crowded accept queue, with thousands of runs).
    assert!(hanging.requests().len() <= hangs);

    // Once the clients are gone, the main gateway's connections close. Up to
    // 1 000 runs this is asserted; above, with the accept queue overflowed, a
    // few server-side connections were seen to stay open (2 of 5 000 runs'):
    // reported, not asserted (the fake's tasks end when it is dropped, below).
    drop((main_gateway, hang_gateway));
    let closed = eventually(|| main.open_connections() == 0).await;
    assert!(
        closed || runs > 1000,
        "{} connections still open, {} tasks alive ({tasks_before} before the round)",
        main.open_connections(),
        alive_tasks()
    );
    if !closed {
        eprintln!(
            "warning: {} connections of the main fake still open",
            main.open_connections()
        );
    }
    // ...but the fake's hang keeps its side of each hung connection until
    // the fake is dropped (it never reads again, so it does not see the client go).
    let hung = hanging.open_connections();
    assert!(hung <= hangs, "{hung} > {hangs}");
    drop((main, hanging));
    // No task is left: not the runs', the HTTP client's nor the fakes'.
    assert!(
        eventually(|| alive_tasks() == tasks_before).await,
        "{} tasks alive, {tasks_before} before",
        alive_tasks()
    );
    eprintln!(
        "{runs} runs in {elapsed:?} ({requests} requests to the main gateway, \
         {hangs} hangs, {hung} hung connections held by the fake until dropped): {buckets:?}"
    );
    buckets
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_runs_with_faults_end_typed_and_leave_nothing_behind() {
    let runs = env_or("RESPAN_LOAD_RUNS", 1000) as usize;
    let seed = env_or("RESPAN_LOAD_SEED", 9);
    let started = Instant::now();
    // A warm-up round of the same size first, so that what is allocated once
    // or kept for reuse (the allocator's arenas grown to the peak, tokio's
    // worker state) is in the baseline.
    round(runs, seed + 1).await;
    let before = memory_kb();
    let buckets = round(runs, seed).await;
    let after = memory_kb();
    // Every kind of outcome happened.
    for kind in [
        "ok",
        "rate limited (3 attempts)",
        "5xx (3 attempts)",
        "424",
        "malformed",
        "timeout",
    ] {
        assert!(
            runs < 500 || buckets.get(kind).is_some_and(|n| *n > 0),
            "no {kind}: {buckets:?}"
        );
    }
    if let (Some((rss_before, _)), Some((rss_after, peak))) = (before, after) {
        eprintln!(
            "RSS: {rss_before} KB before, {rss_after} KB after, peak {peak} KB (whole process)"
        );
        assert!(
            rss_after <= rss_before + RSS_GROWTH_LIMIT_KB,
            "RSS grew from {rss_before} KB to {rss_after} KB"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}
