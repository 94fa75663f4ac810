//! `RESPAN_RECORD` and `RESPAN_REPLAY`, read by `Gateway::from_env` and
//! `Gateway::from_env_or_offline`. One test function: the environment is process-wide.

use respan_offline::OfflineExt as _;
use respan_runtime::{Agent, AgentSet, Error, Gateway};

#[tokio::test]
async fn record_and_replay_from_the_environment() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cassette_env");
    std::fs::create_dir_all(&dir).unwrap();
    let cassette = dir.join("env.jsonl");
    let _ = std::fs::remove_file(&cassette);
    let agents = AgentSet::new("A".to_string())
        .agent(Agent::named("A").instructions("You are a helpful assistant."));

    // SAFETY: this test binary has a single test, so nothing reads the
    // environment concurrently.
    unsafe {
        std::env::remove_var("RESPAN_API_KEY");
        std::env::remove_var("RESPAN_BASE_URL");
        std::env::remove_var("RESPAN_REPLAY");
        std::env::set_var("RESPAN_RECORD", &cassette);
    }
    // No key: the offline gateway, recorded.
    let gateway = Gateway::from_env_or_offline().await.unwrap();
    assert!(gateway.is_offline());
    assert_eq!(gateway.cassette(), Some(cassette.as_path()));
    let live = respan_runtime::run(&gateway, &agents, "hi").await.unwrap();
    drop(gateway);
    assert_eq!(
        std::fs::read_to_string(&cassette).unwrap().lines().count(),
        1
    );

    // SAFETY: as above.
    unsafe {
        std::env::remove_var("RESPAN_RECORD");
        std::env::set_var("RESPAN_REPLAY", &cassette);
    }
    // No key needed to replay.
    let gateway = Gateway::from_env().unwrap();
    assert!(!gateway.is_offline());
    assert_eq!(gateway.replay_remaining(), Some(1));
    let replayed = respan_runtime::run(&gateway, &agents, "hi").await.unwrap();
    assert_eq!(replayed, live);
    assert_eq!(gateway.replay_remaining(), Some(0));

    // SAFETY: as above.
    unsafe {
        std::env::set_var("RESPAN_RECORD", dir.join("other.jsonl"));
    }
    let error = Gateway::from_env().unwrap_err();
    assert!(
        matches!(&error, Error::Config(message) if message.contains("RESPAN_RECORD and RESPAN_REPLAY")),
        "{error}"
    );
}
