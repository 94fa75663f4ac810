//! The response decoder: a run whose (non-streamed) completion body is the
//! input ends in `Ok` or a typed error, within its deadline.
#![no_main]

mod common;

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use respan_offline::testing::FakeResponse;

fuzz_target!(|data: &[u8]| {
    let h = common::harness();
    let h = &*h;
    h.fake.push(FakeResponse::raw(200, data.to_vec()));
    h.runtime.block_on(async {
        let run = respan_runtime::run(&h.gateway, &h.agents, "Weather?");
        match tokio::time::timeout(Duration::from_secs(10), run)
            .await
            .expect("the run hangs")
        {
            Ok(result) => {
                let _ = result.final_output;
            }
            Err(error) => {
                let _ = error.to_string();
            }
        }
    });
    assert_eq!(h.fake.pending(), 0);
});
