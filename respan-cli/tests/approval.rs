//! `respan run` / `respan chat` with a tool that needs approval
//! (`needs_approval = true`): asked on stdin in a chat (y runs it; anything else
//! rejects it, with a message the model sees), and a clear failure when nobody
//! can be asked. Offline: no key, no network.
#![cfg(unix)]

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A workflow whose clerk refunds orders with a command tool that needs
/// approval; the command leaves `refunded` next to the file when it runs.
fn refund_workflow() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("refund.sh");
    std::fs::write(
        &path,
        "#!/bin/sh\nargs=$(cat)\ntouch refunded\necho \"refund done for $args\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        dir.path().join("refunds.toml"),
        r#"
[workflow]
entry = "clerk"

[agents.clerk]
name = "Refund Clerk"
instructions = "Refund orders when asked."
tools = ["refund"]

[tools.refund]
description = "Refunds an order in full."
command = ["./refund.sh"]
needs_approval = true
parameters = { type = "object", properties = { order_id = { type = "string" } }, required = ["order_id"] }
"#,
    )
    .unwrap();
    dir
}

fn respan(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let file = dir.join("refunds.toml");
    let mut command = Command::new(env!("CARGO_BIN_EXE_respan"));
    command
        .env_remove("RESPAN_API_KEY")
        .env_remove("RESPAN_BASE_URL")
        .arg(args[0])
        .arg(&file)
        .args(&args[1..])
        .write_stdin(stdin)
        .timeout(Duration::from_secs(60));
    command.output().unwrap()
}

#[test]
fn run_without_a_terminal_fails_before_the_tool_runs() {
    let dir = refund_workflow();
    let out = respan(dir.path(), &["run", "Refund order 4242"], "");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: `refund` (call_"), "{stderr}");
    assert!(
        stderr.contains(") need(s) approval, and nobody can be asked: stdin is not a terminal"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: run `respan run FILE \"message\"` in a terminal"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("refunded").exists(),
        "the refund did not run"
    );
}

#[test]
fn chat_asks_and_a_yes_runs_the_tool() {
    let dir = refund_workflow();
    let out = respan(dir.path(), &["chat"], "Refund order 4242\ny\n");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("⏸ Refund Clerk wants to run refund {\"order_id\":"),
        "{stderr}"
    );
    assert!(stderr.contains("  approve? [y/N] y\n"), "{stderr}");
    assert!(dir.path().join("refunded").exists(), "the refund ran");
    assert!(
        stdout.contains("refund done for {\"order_id\":"),
        "{stdout}"
    );
}

#[test]
fn chat_asks_and_a_no_sends_the_message_to_the_model() {
    let dir = refund_workflow();
    let out = respan(
        dir.path(),
        &["chat"],
        "Refund order 4242\nn\nRefunds need a manager today.\n",
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("  message for the model (Enter: \"Tool execution was not approved.\"): "),
        "{stderr}"
    );
    assert!(
        !dir.path().join("refunded").exists(),
        "the refund did not run"
    );
    // The offline model quotes the tool's result: here, the rejection.
    assert!(stdout.contains("Refunds need a manager today."), "{stdout}");
}

#[test]
fn chat_fails_when_stdin_ends_before_the_answer() {
    let dir = refund_workflow();
    let out = respan(dir.path(), &["chat"], "Refund order 4242\n");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("need(s) approval, and nobody can be asked"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("refunded").exists(),
        "the refund did not run"
    );
}
