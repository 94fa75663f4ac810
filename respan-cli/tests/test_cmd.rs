//! `respan test` end to end, on the built binary: the `[[tests]]` of
//! workflows/ pass offline with the cargo-like summary; every expectation key
//! can fail, and a failure points at its TOML line with what was expected and
//! what happened; exit codes; `--live` against a fake gateway in this process.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use respan_offline::testing::{FakeGateway, FakeResponse};

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

fn test_cmd(args: &[&str]) -> Output {
    respan().arg("test").args(args).output().unwrap()
}

/// A workflow file in a temporary directory.
fn file(dir: &tempfile::TempDir, name: &str, source: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, source).unwrap();
    path.to_string_lossy().into_owned()
}

const SUPPORT: &str = r#"[workflow]
name = "shop"
entry = "triage"

[agents.triage]
name = "Triage Agent"
instructions = "Route the question."
handoffs = ["billing", "technical"]

[agents.billing]
name = "Billing Agent"
handoff_description = "Billing questions: invoices, charges and payments"
instructions = "Handle billing questions."
tools = ["lookup_invoice"]

[agents.technical]
name = "Technical Agent"
handoff_description = "Technical support and API problems"
instructions = "Handle technical questions."
output.schema = { type = "object", properties = { severity = { type = "string", enum = ["low", "high"] } } }

[tools.lookup_invoice]
description = "Look an invoice up by its number."
command = ["sh", "-c", "echo 'invoice INV-42: paid'"]
parameters = { type = "object", properties = { invoice_id = { type = "string" } } }
"#;

#[test]
fn the_tests_of_workflows_pass_offline_with_a_cargo_like_summary() {
    let out = test_cmd(&["workflows/"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("running 12 tests from 8 files"), "{stdout}");
    for line in [
        "test support::api_trouble_goes_to_technical ... ok",
        "test support::payment_questions_go_to_billing ... ok",
        "test ticket::technical_diagnoses_with_structured_output ... ok",
        "test manager::the_manager_calls_both_agents ... ok",
        "test ticket::refund_requests_go_to_billing ... ignored, agent `billing` answers with the Rust type `Refund`",
        "test support_tools::invoice_questions_call_lookup_invoice ... ignored, tool `lookup_invoice` is a Rust function (no `command`)",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
    assert!(
        stdout.contains("test result: ok. 10 passed; 0 failed; 2 ignored; 0 filtered out"),
        "{stdout}"
    );
    // No escape codes in a pipe.
    assert!(!out.stdout.contains(&0x1b));
}

#[test]
fn passing_tests_of_every_expectation_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(
        &dir,
        "shop.toml",
        &format!(
            r#"{SUPPORT}
[[tests]]
name = "invoice_lookup"
input = "What is the status of invoice INV-42?"
handoffs = ["billing"]
last_agent = "billing"
tools_called = ["lookup_invoice"]
max_requests = 3
output_contains = "INV-42"
output_matches = "(?i)paid"

[[tests]]
name = "diagnosis"
input = ["Hello.", "The API times out."]
agent = "technical"
handoffs = []
last_agent = "technical"
max_requests = 1
output = {{ severity = "low" }}
"#
        ),
    );
    let out = test_cmd(&[&path]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("test shop::invoice_lookup ... ok"),
        "{stdout}"
    );
    assert!(stdout.contains("test shop::diagnosis ... ok"), "{stdout}");
    assert!(
        stdout.contains("test result: ok. 2 passed; 0 failed; 0 ignored"),
        "{stdout}"
    );
}

/// Every key, broken on purpose: each fails, at its own line, with what it
/// expected and what the run did.
#[test]
fn every_expectation_key_can_fail_and_points_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let tests = r#"
[[tests]]
name = "wrong_last_agent"
input = "What is the status of invoice INV-42?"
last_agent = "technical"

[[tests]]
name = "wrong_handoffs"
input = "What is the status of invoice INV-42?"
handoffs = ["technical"]

[[tests]]
name = "wrong_tools"
input = "The API times out."
tools_called = ["lookup_invoice"]

[[tests]]
name = "wrong_text"
input = "What is the status of invoice INV-42?"
output_contains = "refunded"

[[tests]]
name = "wrong_pattern"
input = "What is the status of invoice INV-42?"
output_matches = "^INV-\\d+$"

[[tests]]
name = "wrong_field"
input = "The API times out."
agent = "technical"
output = { severity = "high" }

[[tests]]
name = "too_many_requests"
input = "What is the status of invoice INV-42?"
max_requests = 2
"#;
    let path = file(&dir, "shop.toml", &format!("{SUPPORT}{tests}"));
    let source = std::fs::read_to_string(&path).unwrap();
    let line_of = |needle: &str| source.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let out = test_cmd(&[&path]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("test result: FAILED. 0 passed; 7 failed; 0 ignored; 0 filtered out"),
        "{stdout}"
    );
    let display = path.clone();
    for (test, key, written, expected, actual) in [
        (
            "wrong_last_agent",
            "last_agent",
            "last_agent = \"technical\"",
            "expected `technical`",
            "actual: `billing` answered",
        ),
        (
            "wrong_handoffs",
            "handoffs",
            "handoffs = [\"technical\"]",
            "expected `technical`",
            "actual: `billing`",
        ),
        (
            "wrong_tools",
            "tools_called",
            "tools_called = [\"lookup_invoice\"]",
            "expected `lookup_invoice`",
            "actual: none",
        ),
        (
            "wrong_text",
            "output_contains",
            "output_contains = \"refunded\"",
            "expected an output containing \"refunded\"",
            "actual: \"[respan offline gateway",
        ),
        (
            "wrong_pattern",
            "output_matches",
            "output_matches = \"^INV-\\\\d+$\"",
            "expected an output matching /^INV-\\d+$/",
            "actual: \"[respan offline gateway",
        ),
        (
            "wrong_field",
            "output",
            "output = { severity = \"high\" }",
            "expected `/severity` = \"high\"",
            "actual: `/severity` = \"low\"",
        ),
        (
            "too_many_requests",
            "max_requests",
            "max_requests = 2",
            "expected at most 2 model requests",
            "actual: 3 requests",
        ),
    ] {
        assert!(
            stdout.contains(&format!("test shop::{test} ... FAILED")),
            "{test}\n{stdout}"
        );
        let section = stdout
            .split(&format!("---- shop::{test} ----\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("no report for {test}:\n{stdout}"));
        let section = section.split("\n---- ").next().unwrap();
        let line = line_of(written);
        assert!(
            section.contains(&format!("error: `{key}` not met")),
            "{test}\n{section}"
        );
        assert!(
            section.contains(&format!("--> {display}:{line}:")),
            "{test}: line {line}\n{section}"
        );
        assert!(
            section.contains(&format!("{line} | {written}")),
            "{test}\n{section}"
        );
        assert!(section.contains(expected), "{test}: {expected}\n{section}");
        assert!(
            section.contains(&format!("= note: {actual}")),
            "{test}: {actual}\n{section}"
        );
    }
    // The list of failures, as cargo prints it.
    assert!(
        stdout.contains("failures:\n    shop::wrong_last_agent\n"),
        "{stdout}"
    );
}

#[test]
fn a_run_that_fails_is_a_failed_test_with_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let source = SUPPORT.replace("entry = \"triage\"", "entry = \"triage\"\nmax_turns = 1");
    let path = file(
        &dir,
        "shop.toml",
        &format!(
            "{source}\n[[tests]]\nname = \"needs_two_turns\"\ninput = \"What is the status of invoice INV-42?\"\nlast_agent = \"billing\"\n"
        ),
    );
    let out = test_cmd(&[&path]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("test shop::needs_two_turns ... FAILED"),
        "{stdout}"
    );
    assert!(
        stdout.contains("error: test `shop::needs_two_turns` failed: the run ended with an error"),
        "{stdout}"
    );
    assert!(stdout.contains("max_turns"), "{stdout}");
}

#[test]
fn a_file_with_errors_fails_with_its_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(
        &dir,
        "shop.toml",
        &format!(
            "{SUPPORT}\n[[tests]]\nname = \"typo\"\ninput = \"Hi\"\nlast_agent = \"biling\"\n"
        ),
    );
    let out = test_cmd(&[&path]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: unknown agent `biling`"), "{stderr}");
    assert!(stderr.contains("help: did you mean `billing`?"), "{stderr}");
    assert!(
        stderr.contains("has errors, so its tests cannot run"),
        "{stderr}"
    );
    assert!(
        text(&out.stdout).contains(
            "test result: FAILED. 0 passed; 0 failed; 0 ignored; 0 filtered out; 1 file with errors"
        ),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn filter_selects_tests_by_name() {
    let out = test_cmd(&["workflows/", "--filter", "support::"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("running 3 tests from 8 files"), "{stdout}");
    assert!(!stdout.contains("quickstart::"), "{stdout}");
    assert!(
        stdout.contains("test result: ok. 3 passed; 0 failed; 0 ignored; 9 filtered out"),
        "{stdout}"
    );
}

#[test]
fn live_needs_a_key_and_no_files_is_an_error() {
    let out = test_cmd(&["workflows/", "--live"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--live runs against the real gateway and needs RESPAN_API_KEY")
    );
    let out = test_cmd(&["no/such/dir"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot read `no/such/dir`"),
        "{}",
        text(&out.stderr)
    );
}

/// `--live` sends the runs to the gateway of RESPAN_API_KEY and RESPAN_BASE_URL
/// (here a fake in this process) and checks what that gateway answered.
#[tokio::test(flavor = "multi_thread")]
async fn live_runs_against_the_configured_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(
        &dir,
        "hello.toml",
        r#"[workflow]
entry = "assistant"

[agents.assistant]
instructions = "Be brief."

[[tests]]
name = "greets"
input = "Hello"
last_agent = "assistant"
output_contains = "Hi there"

[[tests]]
name = "greets_by_name"
input = "Hello"
output_contains = "Ada"
"#,
    );
    let fake = FakeGateway::start().await.unwrap();
    fake.push(FakeResponse::text("Hi there."));
    fake.push(FakeResponse::text("Hi there."));
    let mut command = respan();
    command
        .env("RESPAN_API_KEY", "sk-test-key")
        .env("RESPAN_BASE_URL", fake.base_url())
        .args(["test", "--live", &path]);
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("running 2 tests from 1 file against the real gateway"),
        "{stdout}"
    );
    assert!(stdout.contains("test hello::greets ... ok"), "{stdout}");
    assert!(
        stdout.contains("test hello::greets_by_name ... FAILED"),
        "{stdout}"
    );
    assert!(stdout.contains("= note: actual: \"Hi there.\""), "{stdout}");
    assert_eq!(fake.requests().len(), 2);
}

/// `--record` writes the runs' exchanges to a cassette; `--replay` serves the
/// same tests from it (no gateway); a workflow changed since fails, naming
/// the request field that differs.
#[test]
fn record_then_replay_and_a_changed_workflow_fails() {
    let dir = tempfile::tempdir().unwrap();
    let test = "\n[[tests]]\nname = \"invoice_lookup\"\ninput = \"What is the status of invoice INV-42?\"\nlast_agent = \"billing\"\ntools_called = [\"lookup_invoice\"]\n";
    let path = file(&dir, "shop.toml", &format!("{SUPPORT}{test}"));
    let cassette = dir.path().join("shop.jsonl").to_string_lossy().into_owned();
    let out = test_cmd(&[&path, "--record", &cassette]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(std::fs::metadata(&cassette).unwrap().len() > 0);

    let out = test_cmd(&[&path, "--replay", &cassette]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("running 1 test from 1 file replaying"),
        "{stdout}"
    );
    assert!(
        stdout.contains("test shop::invoice_lookup ... ok"),
        "{stdout}"
    );

    let changed = SUPPORT.replace("Route the question.", "Route every question.");
    std::fs::write(&path, format!("{changed}{test}")).unwrap();
    let out = test_cmd(&[&path, "--replay", &cassette]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("test shop::invoice_lookup ... FAILED"),
        "{stdout}"
    );
    assert!(stdout.contains("messages[0].content"), "{stdout}");
}

/// An agent whose instructions a Rust function computes (`instructions_fn`):
/// `respan check` accepts the file, `respan test` ignores its tests with the
/// reason, and `respan run` says why it cannot run it, before any request.
#[test]
fn an_instructions_fn_is_for_compiled_workflows_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(
        &dir,
        "desk.toml",
        r#"[workflow]
entry = "desk"

[agents.desk]
instructions_fn = "prompts::desk"

[[tests]]
name = "greets"
input = "Hello."
last_agent = "desk"
"#,
    );
    let check = respan().args(["check", &path]).output().unwrap();
    assert!(check.status.success(), "{}", text(&check.stderr));
    let out = test_cmd(&[&path]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("test desk::greets ... ignored, agent `desk` computes its instructions with the Rust function `prompts::desk`"),
        "{stdout}"
    );
    let run = respan().args(["run", &path, "Hello."]).output().unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("error: agent `desk` computes its instructions with the Rust function `prompts::desk` (`instructions_fn`), so `respan run` cannot run it"),
        "{stderr}"
    );
}
