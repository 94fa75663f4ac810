//! The API key never reaches the output of `respan run`: not in `--json`, not in
//! the streamed text, not in errors (a 401, a 500 the gateway answers with the
//! request echoed back, a tool failure), and only in the `Authorization` header
//! of the requests it sends.

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use respan_offline::testing::{FakeGateway, FakeResponse};

const SECRET: &str = "sk-respan-SECRET-0123456789abcdef";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `respan run` against the fake gateway with the secret key, RUST_LOG at trace.
async fn run(fake: &FakeGateway, args: &[&str]) -> (String, String, i32) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_respan"));
    command
        .current_dir(root())
        .env("RESPAN_API_KEY", SECRET)
        .env("RESPAN_BASE_URL", fake.base_url())
        .env("RUST_LOG", "trace")
        .env_remove("NO_COLOR")
        .args(args)
        .timeout(Duration::from_secs(60));
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        output.status.code().unwrap_or(-1),
    )
}

#[tokio::test]
async fn the_key_is_only_in_the_authorization_header() {
    let fake = FakeGateway::start().await.unwrap();
    fake.push(FakeResponse::tool_calls([(
        "transfer_to_technical_agent",
        "{}",
    )]));
    fake.push_text("Check your API key.");
    let (stdout, stderr, code) = run(
        &fake,
        &[
            "run",
            "--json",
            "workflows/support.toml",
            "My API key fails",
        ],
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains(SECRET), "{stdout}");
    assert!(!stderr.contains(SECRET), "{stderr}");
    for request in fake.requests() {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {SECRET}").as_str())
        );
        assert!(!request.body.to_string().contains(SECRET));
        for (name, value) in &request.headers {
            if name != "authorization" {
                assert!(!value.contains(SECRET), "{name}: {value}");
            }
        }
    }
}

#[tokio::test]
async fn errors_do_not_show_the_key() {
    let fake = FakeGateway::start().await.unwrap();
    // A gateway that echoes what it got, key included, in its error message.
    fake.push(FakeResponse::error(
        401,
        &format!("invalid key {SECRET}: check Authorization: Bearer {SECRET}"),
    ));
    let (stdout, stderr, code) = run(&fake, &["run", "workflows/support.toml", "hi"]).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(!stdout.contains(SECRET), "{stdout}");
    assert!(!stderr.contains(SECRET), "{stderr}");
    assert!(stderr.contains("401"), "{stderr}");
}
