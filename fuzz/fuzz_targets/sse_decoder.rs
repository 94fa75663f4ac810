//! The SSE decoder: a streamed run whose events are the input (split at NUL
//! bytes; an event may hold line breaks, so any SSE text follows the first
//! `data: `) ends in `Completed` or a typed error, within its deadline.
#![no_main]

mod common;

use std::time::Duration;

use futures_util::StreamExt as _;
use libfuzzer_sys::fuzz_target;
use respan_offline::testing::FakeResponse;

fuzz_target!(|data: &[u8]| {
    let h = common::harness();
    let h = &*h;
    let text = String::from_utf8_lossy(data);
    let events: Vec<String> = text.split('\0').map(str::to_owned).collect();
    h.fake.push(FakeResponse::sse(events));
    h.runtime.block_on(async {
        let run = async {
            let mut stream = respan_runtime::run_streamed(&h.gateway, &h.agents, "Weather?");
            while let Some(event) = stream.next().await {
                if let Err(error) = event {
                    let _ = error.to_string();
                    break;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(10), run)
            .await
            .expect("the streamed run hangs");
    });
    // A run that called a tool asked again: the fake answered 400 from an empty
    // queue. Nothing is left queued for the next input.
    assert_eq!(h.fake.pending(), 0);
});
