//! `respan run --record FILE` and `--replay FILE` (and `RESPAN_RECORD` /
//! `RESPAN_REPLAY`) on the built binary.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use respan_offline::testing::{FAKE_API_KEY, FakeGateway, FakeResponse};

const QUESTION: &str = "I'm having trouble connecting to the API.";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The binary, from the workspace root, with no key and no cassette from the environment.
fn respan() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_respan"));
    command
        .current_dir(root())
        .env_remove("RESPAN_API_KEY")
        .env_remove("RESPAN_BASE_URL")
        .env_remove("RESPAN_RECORD")
        .env_remove("RESPAN_REPLAY")
        .timeout(Duration::from_secs(60));
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run(command: &mut Command, args: &[&str]) -> (Option<i32>, String, String) {
    let out: Output = command.args(args).output().unwrap();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn a_recorded_run_replays_without_a_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let cassette = dir.path().join("support.jsonl");
    let cassette = cassette.to_str().unwrap();

    let (code, recorded, stderr) = run(
        &mut respan(),
        &[
            "run",
            "--record",
            cassette,
            "workflows/support.toml",
            QUESTION,
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("recording every exchange into {cassette}")),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(cassette).unwrap().lines().count(),
        2
    );

    let (code, replayed, stderr) = run(
        &mut respan(),
        &[
            "run",
            "--replay",
            cassette,
            "workflows/support.toml",
            QUESTION,
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(replayed, recorded);
    assert!(
        stderr.starts_with(&format!("replaying {cassette}: ")),
        "{stderr}"
    );
    assert!(stderr.contains("→ Technical Agent"), "{stderr}");

    // The same from the environment.
    let (code, replayed, stderr) = run(
        respan().env("RESPAN_REPLAY", cassette),
        &["run", "workflows/support.toml", QUESTION],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(replayed, recorded);

    // Another question is not in the cassette: the field that differs is named.
    let (code, _, stderr) = run(
        &mut respan(),
        &[
            "run",
            "--replay",
            cassette,
            "workflows/support.toml",
            "Was I charged twice?",
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("`messages[1].content` differs from the nearest recorded request (line 1)"),
        "{stderr}"
    );
}

#[test]
fn cassette_mistakes_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.jsonl");
    let missing = missing.to_str().unwrap();
    let (code, _, stderr) = run(
        &mut respan(),
        &[
            "run",
            "--replay",
            missing,
            "workflows/support.toml",
            QUESTION,
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cassette {missing}: cannot read it")),
        "{stderr}"
    );

    let (code, _, stderr) = run(
        &mut respan(),
        &[
            "run",
            "--replay",
            missing,
            "--offline",
            "workflows/support.toml",
            QUESTION,
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("cannot be used with"), "{stderr}");

    let (code, _, stderr) = run(
        respan().env("RESPAN_REPLAY", missing),
        &[
            "run",
            "--record",
            missing,
            "workflows/support.toml",
            QUESTION,
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cannot both record"), "{stderr}");
}

#[tokio::test]
async fn recording_the_real_gateway_never_writes_the_key() {
    let fake = FakeGateway::start().await.unwrap();
    // A gateway that echoes the key in its (streamed) answer.
    let chunk = |delta: serde_json::Value, finish: Option<&str>| {
        serde_json::json!({"id": "c", "object": "chat.completion.chunk", "created": 0,
            "model": "gpt-4o", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        .to_string()
    };
    fake.push(FakeResponse::sse([
        chunk(serde_json::json!({"role": "assistant", "content": format!("echo: Bearer {FAKE_API_KEY}")}), None),
        chunk(serde_json::json!({}), Some("stop")),
        "[DONE]".to_string(),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let cassette = dir.path().join("real.jsonl");
    let mut command = respan();
    command
        .env("RESPAN_API_KEY", FAKE_API_KEY)
        .env("RESPAN_BASE_URL", fake.base_url())
        .env("RESPAN_RECORD", &cassette)
        .args(["run", "workflows/quickstart.toml", "hello"]);
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        fake.requests()[0].header("authorization"),
        Some(format!("Bearer {FAKE_API_KEY}").as_str())
    );
    let written = std::fs::read_to_string(&cassette).unwrap();
    assert_eq!(written.lines().count(), 1);
    assert!(!written.contains(FAKE_API_KEY), "{written}");
    assert!(written.contains("echo: Bearer [redacted]"), "{written}");
}
