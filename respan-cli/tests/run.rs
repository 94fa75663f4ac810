//! `respan run` and `respan chat` end to end, on the built binary: offline
//! (no key, no network), or against a fake gateway in this process
//! (`RESPAN_BASE_URL`), which records what the binary sends.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use respan_offline::testing::{FakeGateway, FakeResponse};
use serde_json::Value;

const QUESTION: &str = "I'm having trouble connecting to the API.";

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

fn run(args: &[&str]) -> Output {
    respan().args(args).output().unwrap()
}

/// Runs the binary against `fake` (blocking, off the runtime the fake serves on).
async fn run_against(fake: &FakeGateway, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = respan();
    command
        .env("RESPAN_API_KEY", "sk-test-key")
        .env("RESPAN_BASE_URL", fake.base_url())
        .args(args);
    if let Some(stdin) = stdin {
        command.write_stdin(stdin);
    }
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

/// No escape codes when stdout and stderr are not terminals.
fn assert_plain(out: &Output) {
    assert!(!out.stdout.contains(&0x1b), "{:?}", text(&out.stdout));
    assert!(!out.stderr.contains(&0x1b), "{:?}", text(&out.stderr));
}

#[test]
fn run_streams_the_technical_answer_offline() {
    let out = run(&["run", "workflows/support.toml", QUESTION]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.starts_with("[respan offline gateway · model gpt-4o · agent Technical Agent]"),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("About “{QUESTION}”")), "{stdout}");
    assert!(stdout.ends_with(".\n"), "{stdout:?}");
    assert!(
        stderr
            .starts_with("No RESPAN_API_KEY: using respan's offline gateway at http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(stderr.contains("\n→ Technical Agent\n"), "{stderr}");
    // The entry agent gets no line of its own: it is where the run starts.
    assert!(!stderr.contains("→ Triage Agent"), "{stderr}");
    assert!(
        stderr.contains("usage: 2 requests · ") && stderr.contains("  Technical Agent  1 request"),
        "{stderr}"
    );
    assert_plain(&out);
}

#[test]
fn json_is_one_object_with_the_result() {
    let out = run(&["run", "--json", "workflows/support.toml", QUESTION]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: Value = serde_json::from_slice(&out.stdout).expect("one JSON object on stdout");
    assert_eq!(value["workflow"], "support");
    assert_eq!(value["offline"], true);
    assert_eq!(
        value["last_agent"],
        serde_json::json!({"id": "technical", "name": "Technical Agent"})
    );
    let final_output = value["final_output"].as_str().unwrap();
    assert!(
        final_output.contains("agent Technical Agent"),
        "{final_output}"
    );
    assert_eq!(value["output"], Value::Null);
    let kinds: Vec<&str> = value["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["handoff_call", "handoff", "message"]);
    assert_eq!(value["items"][1]["target"], "technical");
    assert_eq!(value["items"][2]["content"], final_output);
    let usage = &value["usage"];
    assert_eq!(usage["requests"], 2);
    let by_agent = usage["by_agent"].as_array().unwrap();
    assert_eq!(by_agent.len(), 2);
    assert_eq!(
        (&by_agent[0]["id"], &by_agent[0]["name"]),
        (&"triage".into(), &"Triage Agent".into())
    );
    assert_eq!(by_agent[1]["requests"], 1);
    let total: u64 = by_agent
        .iter()
        .map(|a| a["total_tokens"].as_u64().unwrap())
        .sum();
    assert_eq!(usage["total_tokens"].as_u64(), Some(total));
    // Only the JSON on stdout; the streamed text is not printed.
    assert!(!text(&out.stdout).contains("\n["));
}

#[test]
fn structured_output_is_in_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("triage.toml");
    std::fs::write(
        &file,
        r#"
[workflow]
entry = "triage"

[agents.triage]
instructions = "Classify the ticket."

[agents.triage.output.schema]
type = "object"
properties.severity = { type = "string", enum = ["low", "high"] }
"#,
    )
    .unwrap();
    let out = run(&["run", "--json", file.to_str().unwrap(), QUESTION]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    let severity = value["output"]["severity"].as_str().unwrap();
    assert!(["low", "high"].contains(&severity), "{value}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_real_gateway_is_used_with_a_key_and_vars_reach_the_instructions() {
    let fake = FakeGateway::start().await.unwrap();
    for _ in 0..2 {
        fake.push(FakeResponse::tool_calls([(
            "transfer_to_technical_agent",
            "{}",
        )]));
        fake.push(FakeResponse::text("Check your API key."));
    }
    // The `[vars]` default, then `--var`.
    let out = run_against(&fake, &["run", "workflows/support.toml", QUESTION], None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Check your API key.\n");
    assert!(
        !text(&out.stderr).contains("offline"),
        "{}",
        text(&out.stderr)
    );
    let out = run_against(
        &fake,
        &[
            "run",
            "--var",
            "product=Acme",
            "workflows/support.toml",
            QUESTION,
        ],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let requests = fake.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer sk-test-key")
    );
    assert_eq!(requests[0].body["stream"], true);
    let system = |i: usize| requests[i].body["messages"][0]["content"].clone();
    assert_eq!(
        system(0),
        "Route to the appropriate agent based on the question."
    );
    assert_eq!(system(1), "Handle technical support questions for Respan.");
    assert_eq!(system(3), "Handle technical support questions for Acme.");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_variable_without_a_value_is_named_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("greeter.toml");
    std::fs::write(
        &file,
        "[workflow]\nentry = \"greeter\"\n\n[vars]\nproduct = \"Respan\"\n\n[agents.greeter]\ninstructions = \"Greet {{ customer }} for {{ product }}.\"\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let fake = FakeGateway::start().await.unwrap();
    let out = run_against(&fake, &["run", file, "Hello"], None).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error: template variable `customer` has no value (the instructions of `greeter` use `{{ customer }}`): give it with `--var customer=...`"),
        "{stderr}"
    );
    assert!(!stderr.contains("`product`"), "{stderr}");
    // A typo in a name is caught too.
    let out = run_against(&fake, &["run", file, "--var", "custmer=Ada", "Hello"], None).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("did you mean `customer`?"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(fake.requests().len(), 0);

    fake.push(FakeResponse::text("Hi Ada."));
    let out = run_against(
        &fake,
        &["run", file, "--var", "customer=Ada", "Hello"],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        fake.requests()[0].body["messages"][0]["content"],
        "Greet Ada for Respan."
    );
}

/// A workflow whose agent has one command tool: `script` (a shell script
/// written next to the file), with a `parameters` schema.
#[cfg(unix)]
fn command_tool_workflow(script: &str) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lookup_order.sh");
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        dir.path().join("orders.toml"),
        r#"
[workflow]
entry = "clerk"

[agents.clerk]
name = "Order Clerk"
instructions = "Answer questions about orders. Look them up first."
tools = ["lookup_order"]

[tools.lookup_order]
description = "Look an order up by its number: status and delivery date."
command = ["./lookup_order.sh"]
timeout_secs = 10
parameters = { type = "object", properties = { order_id = { type = "string", description = "The order number" } }, required = ["order_id"] }
"#,
    )
    .unwrap();
    dir
}

#[cfg(unix)]
#[test]
fn a_command_tool_is_called_and_its_output_reaches_the_answer() {
    let dir = command_tool_workflow(r#"args=$(cat); echo "order lookup got $args: shipped""#);
    let file = dir.path().join("orders.toml");
    let out = run(&["run", file.to_str().unwrap(), "Where is my order 4242?"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // The offline model called it with arguments valid for the schema,
    // taken from the message, and quotes what it printed.
    assert!(stderr.contains("⚙ lookup_order {\"order_id\":"), "{stderr}");
    assert!(
        stdout.contains("lookup_order returned “order lookup got {\"order_id\":"),
        "{stdout}"
    );
    assert!(stdout.contains(": shipped”"), "{stdout}");
    assert_plain(&out);
}

#[cfg(unix)]
#[test]
fn a_failing_command_tool_is_shown_and_told_to_the_model() {
    let dir = command_tool_workflow("cat > /dev/null; echo 'no such order' >&2; exit 3");
    let file = dir.path().join("orders.toml");
    let out = run(&["run", file.to_str().unwrap(), "Where is my order 4242?"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("⚙ lookup_order failed: exited with status 3\n  │ no such order\n"),
        "{stderr}"
    );
    assert!(
        stdout.contains("the command exited with status 3; its stderr ends with: no such order"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tool_without_command_stops_the_run_before_any_request() {
    let fake = FakeGateway::start().await.unwrap();
    let out = run_against(
        &fake,
        &["run", "workflows/support_tools.toml", QUESTION],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error: tool `lookup_invoice` (used by `billing`) has no `command`, so `respan run` cannot call it"),
        "{stderr}"
    );
    assert!(stderr.contains("compiled workflows (`respan::workflow!` or build.rs)"));
    assert!(
        stderr.contains("`command = [\"./lookup_invoice.sh\"]`"),
        "{stderr}"
    );
    assert_eq!(fake.requests().len(), 0);
    // Starting where the tool cannot be reached is fine.
    fake.push(FakeResponse::text("Try again."));
    let out = run_against(
        &fake,
        &[
            "run",
            "--agent",
            "technical",
            "workflows/support_tools.toml",
            QUESTION,
        ],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn the_message_can_come_from_stdin() {
    let out = respan()
        .args(["run", "workflows/support.toml"])
        .write_stdin(format!("{QUESTION}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("About “{QUESTION}”")));
    assert!(text(&out.stderr).contains("→ Technical Agent"));

    let out = respan()
        .args(["run", "workflows/support.toml"])
        .write_stdin("  \n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("error: no message: give it as an argument"));
}

#[test]
fn agent_starts_the_run_elsewhere() {
    let out = run(&[
        "run",
        "--agent",
        "billing",
        "workflows/support.toml",
        QUESTION,
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // The billing agent answers (named by its instructions: no handoff named it).
    assert!(
        stdout.contains("agent instructed “Handle billing and payment questions.”"),
        "{stdout}"
    );
    assert!(!stderr.contains('→'), "{stderr}");

    let out = run(&[
        "run",
        "--agent",
        "biling",
        "workflows/support.toml",
        QUESTION,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("error: no agent `biling` in this workflow; did you mean `billing`?"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn max_turns_bounds_the_run() {
    let out = run(&[
        "run",
        "--max-turns",
        "1",
        "workflows/support.toml",
        QUESTION,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error: "), "{stderr}");
    assert!(stderr.contains("error: Max turns (1) exceeded"), "{stderr}");
    assert!(
        stderr.contains("help: allow more with `--max-turns N`"),
        "{stderr}"
    );
    assert_eq!(
        run(&["run", "--max-turns", "0", "workflows/support.toml", "x"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn a_file_with_errors_shows_the_diagnostics_of_check() {
    let file = "respan-codegen/tests/catalog/unknown_handoff_target.toml";
    let out = run(&["run", file, QUESTION]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let check = text(&run(&["check", file]).stderr);
    let diagnostics = check.rsplit_once("error: checked").unwrap().0;
    assert!(stderr.starts_with(diagnostics), "{stderr}\n---\n{check}");
    assert!(stderr.contains(&format!(
        "error: `{file}` has errors: fix them and run it again"
    )));
    assert_eq!(run(&["run", "no/such.toml", "x"]).status.code(), Some(1));
}

#[test]
fn offline_is_said_even_with_a_key() {
    let out = respan()
        .env("RESPAN_API_KEY", "sk-not-used")
        .args(["run", "--offline", "workflows/quickstart.toml", "Hello"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).starts_with("--offline: using respan's offline gateway"));
    assert!(
        text(&out.stdout).contains("agent instructed “You are a helpful assistant.”"),
        "{}",
        text(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_keeps_the_history_and_the_agent_that_answered() {
    let fake = FakeGateway::start().await.unwrap();
    fake.push(FakeResponse::tool_calls([(
        "transfer_to_technical_agent",
        "{}",
    )]));
    fake.push(FakeResponse::text("Check your API key."));
    fake.push(FakeResponse::text("You're welcome."));
    let out = run_against(
        &fake,
        &["chat", "workflows/support.toml"],
        Some(&format!("{QUESTION}\n\nThanks!\n")),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Check your API key.\nYou're welcome.\n");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("Chatting with Triage Agent."), "{stderr}");
    // Each message is shown after its prompt (stdin is not a terminal: no echo).
    assert!(
        stderr.contains(&format!("you› {QUESTION}\n→ Technical Agent\n")),
        "{stderr}"
    );
    assert!(
        stderr.contains("you› Thanks!\nusage (Technical Agent): 1 request"),
        "{stderr}"
    );
    assert!(stderr.ends_with("you› \n"), "{stderr}");

    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    // The second message goes to the technical agent, with the whole conversation.
    let messages = requests[2].body["messages"].as_array().unwrap();
    assert_eq!(
        messages[0]["content"],
        "Handle technical support questions for Respan."
    );
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        ["system", "user", "assistant", "tool", "assistant", "user"]
    );
    assert_eq!(messages[5]["content"], "Thanks!");

    // `run -i` is the same, and its INPUT is the first message.
    let out = respan()
        .args(["run", "-i", "workflows/support.toml", QUESTION])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("agent Technical Agent"));
    assert_eq!(
        run(&["run", "-i", "--json", "workflows/support.toml"])
            .status
            .code(),
        Some(2)
    );
}
