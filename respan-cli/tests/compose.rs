//! Agents as tools and handoff options from the command line: `respan check`
//! accepts every form, `respan run` runs the ones that need no Rust (agent
//! tools, named input filters, `input_schema`, `is_enabled = false`, tool
//! name and description) and refuses the Rust-only ones before any request.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use respan_offline::testing::FakeGateway;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The binary, run from the workspace root, offline (no key), without colors.
fn respan() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_respan"));
    command
        .current_dir(root())
        .env_remove("RESPAN_API_KEY")
        .env_remove("RESPAN_BASE_URL")
        .env_remove("NO_COLOR")
        .timeout(Duration::from_secs(60));
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn file(dir: &tempfile::TempDir, name: &str, source: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, source).unwrap();
    path.to_string_lossy().into_owned()
}

/// Everything here runs without Rust.
const RUNNABLE: &str = r#"[workflow]
entry = "triage"

[agents.triage]
instructions = "Route the question."
handoffs = ["writer", "billing"]

[agents.triage.handoff.writer]
tool_name = "ask_the_writer"
description = "Questions that need a written answer."
input_filter = "remove_all_tools"
input_schema = { type = "object", properties = { topic = { type = "string" } }, required = ["topic"] }

[agents.triage.handoff.billing]
input_filter = "nest_history"
is_enabled = false

[agents.billing]
instructions = "Handle billing."

[agents.writer]
instructions = "Write the answer; ask the researcher for facts."
tools = ["research"]

[agents.researcher]
instructions = "Find facts."

[tools.research]
agent = "researcher"
description = "Finds facts about a topic."
max_turns = 3
timeout_secs = 30
"#;

#[test]
fn check_accepts_every_form() {
    let out = respan()
        .args(["check", "respan-codegen/tests/fixtures/compose.toml"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "runnable.toml", RUNNABLE);
    let out = respan().args(["check", &path]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    // An agent reached only as a tool is not "unreachable".
    assert!(
        !text(&out.stderr).contains("unreachable"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn run_plans_agent_tools_and_named_filters_offline() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "runnable.toml", RUNNABLE);
    let out = respan()
        .args(["run", &path, "Write me a note about the moon."])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}\n{}", text(&out.stdout));
    assert!(!stderr.contains("error"), "{stderr}");
    assert!(!stderr.contains("cannot run"), "{stderr}");
}

/// Each Rust-only option, and what `respan run` says of it.
const RUST_ONLY: &[(&str, &str)] = &[
    (
        r#"input_filter_fn = "crate::filters::last_message""#,
        "the handoff from `triage` to `billing` has `input_filter_fn = \"crate::filters::last_message\"`, a Rust function that only compiled workflows (`respan::workflow!` or build.rs) have, so `respan run` cannot run it. To run it from the command line, use a named filter",
    ),
    (
        r#"input_type = "crate::Escalation""#,
        "has `input_type = \"crate::Escalation\"`, a Rust type that only compiled workflows",
    ),
    (
        r#"on_handoff = "crate::on_escalate""#,
        "has `on_handoff = \"crate::on_escalate\"`, a Rust function that only compiled workflows",
    ),
    (
        r#"is_enabled_fn = "crate::billing_open""#,
        "use `is_enabled = true` or `false`",
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn run_refuses_rust_only_handoff_options_before_any_request() {
    let fake = FakeGateway::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (option, message) in RUST_ONLY {
        let source = format!(
            "[workflow]\nentry = \"triage\"\n\n[agents.triage]\ninstructions = \"Route.\"\nhandoffs = [\"billing\"]\n\n[agents.triage.handoff.billing]\n{option}\n\n[agents.billing]\ninstructions = \"Bill.\"\n"
        );
        let path = file(&dir, "rust_only.toml", &source);
        let check = respan().args(["check", &path]).output().unwrap();
        assert!(check.status.success(), "{option}: {}", text(&check.stderr));
        let mut command = respan();
        command
            .env("RESPAN_API_KEY", "sk-test-key")
            .env("RESPAN_BASE_URL", fake.base_url())
            .args(["run", &path, "My invoice is wrong."]);
        let out: Output = tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{option}: {stderr}");
        assert!(stderr.contains(message), "{option}: {stderr}");
    }
    assert!(fake.bodies().is_empty(), "a request was sent");
}
