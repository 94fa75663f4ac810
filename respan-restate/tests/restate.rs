//! A durable run on a real Restate server (TESTING.md, "Durable runs on Restate").
//!
//! `scripts/restate.sh` installs the server from npm and runs this test with
//! `RESTATE_SERVER_BIN` set; without it the test says so and does nothing.
//!
//! This binary plays three parts: the test itself (a fake gateway in-process,
//! the Restate server as a child process, the service as another), and, when
//! started with `RESPAN_RESTATE_TEST_ROLE=service`, the service: the
//! `support_tools` workflow served by `DurableWorkflow`.
//!
//! The scenario: triage hands off to billing, which looks up INV-42, then
//! INV-43, then answers. The first service process is killed while the INV-43
//! lookup runs (the tool says so through its log; by then the first three
//! model requests are in the journal). A second process takes over. The run
//! completes with the answer of a plain run of the same script; the gateway
//! saw each of the four model requests exactly once, and they are the plain
//! run's requests; the INV-42 lookup, which completed, ran once; the INV-43
//! lookup, cut short, ran again.
//!
//! Then approvals: a `Refunds` run whose `refund` tool needs approval calls it
//! twice; the run lists both calls (with their awakeables) through its
//! `pending` handler and waits. The service is restarted while it waits; one
//! call is approved and the other rejected by resolving the awakeables through
//! Restate's ingress; the run resumes: only the approved refund runs, and the
//! model is told the rejection's message.

use std::io::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode};
use std::time::{Duration, Instant};

use respan::testing::{FAKE_API_KEY, FakeGateway, FakeResponse};
use respan::{Agent, AgentSet, FunctionTool, Gateway, respan_tool};
use respan_restate::restate_sdk::endpoint::Endpoint;
use respan_restate::restate_sdk::http_server::HttpServer;
use respan_restate::{DurableWorkflow, PendingApproval, RunOutput};
use serde_json::{Value, json};

respan::workflow!("../workflows/support_tools.toml");

/// What the tool reads: where it logs its calls, and which invoice it hangs on.
struct Desk {
    log: PathBuf,
    hang_on: Option<String>,
}

/// Looks an invoice up by its number.
#[respan_tool]
async fn lookup_invoice(
    desk: &Desk,
    /// The invoice number, e.g. "INV-42".
    invoice_id: String,
) -> Result<String, String> {
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&desk.log)
        .map_err(|e| e.to_string())?;
    writeln!(log, "{invoice_id}").map_err(|e| e.to_string())?;
    if desk.hang_on.as_deref() == Some(invoice_id.as_str()) {
        // The test kills the process now (well within the tool's timeout).
        tokio::time::sleep(Duration::from_secs(50)).await;
    }
    Ok(format!(
        "{invoice_id}: 129.00 USD, paid twice (refund pending)"
    ))
}

const SERVICE: &str = "SupportTools";
const QUESTION: &str = "I was charged twice for INV-42 and INV-43, can you check?";
const ANSWER: &str = "Both invoices were paid twice; refunds of 129.00 USD each are pending.";
/// Every wait of the test is bounded by this.
const WAIT: Duration = Duration::from_secs(60);

/// The model's answers, in order.
fn script() -> Vec<FakeResponse> {
    vec![
        FakeResponse::tool_calls([("transfer_to_billing_agent", "{}")]),
        FakeResponse::tool_calls([("lookup_invoice", r#"{"invoice_id":"INV-42"}"#)]),
        FakeResponse::tool_calls([("lookup_invoice", r#"{"invoice_id":"INV-43"}"#)]),
        FakeResponse::text(ANSWER),
    ]
}

const REFUNDS: &str = "Refunds";
const REJECTION: &str = "Refunds of INV-43 need a manager.";
const REFUND_ANSWER: &str = "INV-42 is refunded; INV-43 needs a manager.";

/// The refunds run's answers.
fn refund_script() -> Vec<FakeResponse> {
    vec![
        FakeResponse::tool_calls([
            ("refund", r#"{"invoice_id":"INV-42"}"#),
            ("refund", r#"{"invoice_id":"INV-43"}"#),
        ]),
        FakeResponse::text(REFUND_ANSWER),
    ]
}

/// An agent whose `refund` tool waits for a person's approval (logged like lookups).
fn refund_agents() -> AgentSet<String, Desk> {
    let refund = FunctionTool::with_context(
        "refund",
        "Refunds an invoice.",
        json!({"type": "object", "properties": {"invoice_id": {"type": "string"}},
               "required": ["invoice_id"], "additionalProperties": false}),
        |desk: &Desk, args| {
            let invoice = args["invoice_id"].as_str().unwrap_or_default().to_string();
            let logged = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&desk.log)
                .and_then(|mut log| writeln!(log, "refund {invoice}"));
            std::future::ready(match logged {
                Ok(()) => Ok(format!("refunded {invoice}")),
                Err(error) => Err(error.to_string().into()),
            })
        },
    )
    .needs_approval(true);
    AgentSet::new(REFUNDS.to_string()).context::<Desk>().agent(
        Agent::named(REFUNDS)
            .context::<Desk>()
            .instructions("Refund the invoices the customer names.")
            .tool(refund),
    )
}

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if std::env::var_os("RESPAN_RESTATE_TEST_ROLE").is_some() {
        runtime.block_on(serve());
        return ExitCode::SUCCESS;
    }
    let Some(server) = std::env::var_os("RESTATE_SERVER_BIN") else {
        println!(
            "restate: not run: RESTATE_SERVER_BIN is not set (bash scripts/restate.sh installs \
             the Restate server from npm and runs this test)"
        );
        return ExitCode::SUCCESS;
    };
    match runtime.block_on(killed_worker_resumes(Path::new(&server))) {
        Ok(()) => {
            println!("restate: 1 passed, 0 failed");
            ExitCode::SUCCESS
        }
        Err(message) => {
            println!("restate: 0 passed, 1 failed");
            eprintln!("restate: FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The service part: the workflow on Restate, configured by the test.
async fn serve() {
    let env =
        |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by the test"));
    let gateway =
        Gateway::from_env().expect("RESPAN_BASE_URL and RESPAN_API_KEY are set by the test");
    let desk = Desk {
        log: env("TOOL_LOG").into(),
        hang_on: std::env::var("HANG_ON").ok(),
    };
    let refund_desk = Desk {
        log: desk.log.clone(),
        hang_on: None,
    };
    let workflow = support_tools::Workflow::<Desk>::with_context(support_tools::Vars {});
    let support =
        DurableWorkflow::with_context(SERVICE, gateway.clone(), workflow.agents().clone(), desk)
            .expect("a valid service name");
    let refunds = DurableWorkflow::with_context(REFUNDS, gateway, refund_agents(), refund_desk)
        .expect("a valid service name");
    let endpoint = Endpoint::builder().bind(support).bind(refunds).build();
    HttpServer::new(endpoint)
        .listen_and_serve(env("SERVICE_ADDR").parse().expect("an address"))
        .await;
}

/// Children that are killed when the test ends, however it ends.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

async fn killed_worker_resumes(server: &Path) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("respan-restate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let result = scenario(server, &dir).await;
    if result.is_err() {
        // What the server and the services said, to see why.
        for log in ["server.log", "service-1.log", "service-2.log"] {
            if let Ok(text) = std::fs::read_to_string(dir.join(log)) {
                let tail: Vec<&str> = text.lines().rev().take(40).collect();
                eprintln!("--- {log} (last lines)");
                for line in tail.into_iter().rev() {
                    eprintln!("{line}");
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn scenario(server: &Path, dir: &Path) -> Result<(), String> {
    // The run as it goes without Restate: the reference.
    let plain_gateway = FakeGateway::start().await.map_err(|e| e.to_string())?;
    for response in script() {
        plain_gateway.push(response);
    }
    let plain_desk = Desk {
        log: dir.join("plain-tool.log"),
        hang_on: None,
    };
    let plain = support_tools::Workflow::<Desk>::with_context(support_tools::Vars {})
        .run_with(
            &plain_gateway.gateway().map_err(|e| e.to_string())?,
            QUESTION,
            &plain_desk,
        )
        .await
        .map_err(|e| format!("the plain run failed: {e}"))?;

    let fake = FakeGateway::start().await.map_err(|e| e.to_string())?;
    for response in script() {
        fake.push(response);
    }
    let mut children = Processes(Vec::new());
    let [ingress, admin, fabric, service] = free_ports()?;
    let ingress_url = format!("http://127.0.0.1:{ingress}");
    let admin_url = format!("http://127.0.0.1:{admin}");

    children.0.push(
        Command::new(server)
            .args([
                "--no-logo",
                "--listen-mode",
                "tcp",
                "--log-format",
                "compact",
            ])
            .args([
                "--log-disable-ansi-codes",
                "true",
                "--default-num-partitions",
                "2",
            ])
            .arg("--base-dir")
            .arg(dir.join("restate-data"))
            .args(["--bind-address", &format!("127.0.0.1:{fabric}")])
            .env(
                "RESTATE_INGRESS__BIND_ADDRESS",
                format!("127.0.0.1:{ingress}"),
            )
            .env("RESTATE_ADMIN__BIND_ADDRESS", format!("127.0.0.1:{admin}"))
            .env("RESTATE_DISABLE_TELEMETRY", "true")
            .env("DO_NOT_TRACK", "1")
            // Retry a lost invocation soon (the default waits longer between attempts).
            .env("RESTATE_DEFAULT_RETRY_POLICY__INITIAL_INTERVAL", "100ms")
            .env("RESTATE_DEFAULT_RETRY_POLICY__MAX_INTERVAL", "500ms")
            .stdout(log_file(dir, "server.log")?)
            .stderr(log_file(dir, "server.log")?)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", server.display()))?,
    );
    wait_until("the Restate admin API answers", || async {
        http("GET", &format!("{admin_url}/health"), None)
            .await
            .is_ok_and(|(status, _)| status == 200)
    })
    .await?;

    let tool_log = dir.join("tool.log");
    let service_addr: SocketAddr = ([127, 0, 0, 1], service).into();
    let start_service = |n: u32, hang_on: Option<&str>| -> Result<Child, String> {
        let mut command = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
        command
            .env("RESPAN_RESTATE_TEST_ROLE", "service")
            .env("RESPAN_BASE_URL", fake.base_url())
            .env("RESPAN_API_KEY", FAKE_API_KEY)
            .env("SERVICE_ADDR", service_addr.to_string())
            .env("TOOL_LOG", &tool_log)
            .env_remove("HANG_ON")
            .stdout(log_file(dir, &format!("service-{n}.log"))?)
            .stderr(log_file(dir, &format!("service-{n}.log"))?);
        if let Some(invoice) = hang_on {
            command.env("HANG_ON", invoice);
        }
        command
            .spawn()
            .map_err(|e| format!("cannot start the service: {e}"))
    };

    children.0.push(start_service(1, Some("INV-43"))?);
    wait_until("the service listens", || async {
        tokio::net::TcpStream::connect(service_addr).await.is_ok()
    })
    .await?;
    let (status, body) = http(
        "POST",
        &format!("{admin_url}/deployments"),
        Some(json!({"uri": format!("http://{service_addr}")})),
    )
    .await?;
    if status >= 300 {
        return Err(format!("registering the service: HTTP {status}: {body}"));
    }

    // Start the run; Restate answers with its invocation id at once.
    let (status, body) = http(
        "POST",
        &format!("{ingress_url}/{SERVICE}/ticket-1/run/send"),
        Some(json!({"input": QUESTION})),
    )
    .await?;
    if status >= 300 {
        return Err(format!("starting the run: HTTP {status}: {body}"));
    }
    let invocation_id = body["invocationId"]
        .as_str()
        .ok_or_else(|| format!("no invocationId in {body}"))?
        .to_string();

    // The INV-43 lookup has started: three model requests are in the journal.
    wait_until("the service runs the INV-43 lookup", || async {
        std::fs::read_to_string(&tool_log).is_ok_and(|log| log.contains("INV-43"))
    })
    .await?;
    let first = children.0.pop().expect("the first service");
    drop(Processes(vec![first])); // SIGKILL: no shutdown, no goodbye to Restate
    if fake.requests().len() != 3 {
        return Err(format!(
            "expected 3 model requests before the kill, the gateway saw {}",
            fake.requests().len()
        ));
    }
    children.0.push(start_service(2, None)?);

    // Wait for the run's result (Restate retries the invocation on the new process).
    let output = run_output(&ingress_url, &invocation_id).await?;

    check(output.run_id == invocation_id, || {
        format!(
            "run id {} is not the invocation id {invocation_id}",
            output.run_id
        )
    })?;
    check(
        output.final_output == plain.final_output && output.final_output == ANSWER,
        || {
            format!(
                "final output {:?}, the plain run's {:?}",
                output.final_output, plain.final_output
            )
        },
    )?;
    check(output.last_agent == "Billing Agent", || {
        format!("last agent {}", output.last_agent)
    })?;
    check(output.usage == plain.usage, || {
        format!(
            "usage {:?}, the plain run's {:?}",
            output.usage, plain.usage
        )
    })?;
    let durable_bodies = fake.bodies();
    let plain_bodies = plain_gateway.bodies();
    check(durable_bodies.len() == 4, || {
        format!(
            "the gateway saw {} model requests, not 4 (one was repeated)",
            durable_bodies.len()
        )
    })?;
    check(durable_bodies == plain_bodies, || {
        format!(
            "the durable run's requests differ from the plain run's:\n{durable_bodies:#?}\n{plain_bodies:#?}"
        )
    })?;
    let calls = std::fs::read_to_string(&tool_log).map_err(|e| e.to_string())?;
    let calls: Vec<&str> = calls.lines().collect();
    check(calls == ["INV-42", "INV-43", "INV-43"], || {
        format!(
            "tool calls {calls:?}: INV-42 completed before the kill and must not run again; INV-43 was cut short and runs again"
        )
    })?;

    // Approvals, resolved through Restate's awakeables; the plain run decides the same.
    for response in refund_script() {
        fake.push(response.clone());
        plain_gateway.push(response);
    }
    let refund_question = "Refund INV-42 and INV-43, please.";
    let plain_refunds = plain_refund_run(&plain_gateway, refund_question, dir).await?;
    let (status, body) = http(
        "POST",
        &format!("{ingress_url}/{REFUNDS}/ticket-2/run/send"),
        Some(json!({"input": refund_question})),
    )
    .await?;
    if status >= 300 {
        return Err(format!("starting the refunds run: HTTP {status}: {body}"));
    }
    let refunds_id = body["invocationId"]
        .as_str()
        .ok_or_else(|| format!("no invocationId in {body}"))?
        .to_string();
    let pending_url = format!("{ingress_url}/{REFUNDS}/ticket-2/pending");
    let mut pending: Vec<PendingApproval> = Vec::new();
    let deadline = Instant::now() + WAIT;
    while pending.len() != 2 {
        if let Ok((200, body)) = http("POST", &pending_url, None).await {
            pending = serde_json::from_value(body).unwrap_or_default();
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the refunds run did not list two calls to approve within {WAIT:?}: {pending:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The run waits in Restate, not in the process: restart the service meanwhile.
    drop(Processes(vec![
        children.0.pop().expect("the second service"),
    ]));
    children.0.push(start_service(3, None)?);
    for approval in &pending {
        check(
            approval.tool == "refund" && approval.agent == REFUNDS,
            || format!("pending approval {approval:?}"),
        )?;
        let decision = if approval.arguments.contains("INV-42") {
            json!({"decision": "approved"})
        } else {
            json!({"decision": "rejected", "message": REJECTION})
        };
        let url = format!(
            "{ingress_url}/restate/awakeables/{}/resolve",
            approval.awakeable_id
        );
        let (status, body) = http("POST", &url, Some(decision)).await?;
        if status >= 300 {
            return Err(format!("resolving {url}: HTTP {status}: {body}"));
        }
    }
    let refunded = run_output(&ingress_url, &refunds_id).await?;
    check(refunded.final_output == REFUND_ANSWER, || {
        format!("refunds run output {:?}", refunded.final_output)
    })?;
    let (status, body) = http("POST", &pending_url, None).await?;
    check(status == 200 && body == json!([]), || {
        format!("nothing is pending after the decisions: HTTP {status}: {body}")
    })?;
    let calls = std::fs::read_to_string(&tool_log).map_err(|e| e.to_string())?;
    let refunds: Vec<&str> = calls.lines().filter(|l| l.starts_with("refund")).collect();
    check(refunds == ["refund INV-42"], || {
        format!("refunds {refunds:?}: only the approved call runs, once")
    })?;
    let durable_bodies = fake.bodies();
    let plain_bodies = plain_gateway.bodies();
    check(
        durable_bodies.len() == 6 && durable_bodies == plain_bodies,
        || {
            format!(
                "the refunds run's requests differ from the plain run's:\n{durable_bodies:#?}\n{plain_bodies:#?}"
            )
        },
    )?;
    check(durable_bodies[5].to_string().contains(REJECTION), || {
        "the model is told the rejection's message".to_string()
    })?;
    check(plain_refunds == REFUND_ANSWER, || {
        format!("the plain refunds run answered {plain_refunds:?}")
    })?;
    Ok(())
}

/// The refunds run without Restate: stops for approval, INV-42 approved,
/// INV-43 rejected, resumed. Its answer.
async fn plain_refund_run(
    gateway: &FakeGateway,
    question: &str,
    dir: &Path,
) -> Result<String, String> {
    let desk = Desk {
        log: dir.join("plain-tool.log"),
        hang_on: None,
    };
    let gateway = gateway.gateway().map_err(|e| e.to_string())?;
    let agents = refund_agents();
    let runner = respan::Runner::new();
    let outcome = runner
        .run_resumable_with(&gateway, &agents, question, &desk)
        .await
        .map_err(|e| e.to_string())?;
    let respan::RunOutcome::Interrupted(mut state) = outcome else {
        return Err("the plain refunds run did not stop for approval".into());
    };
    let ids: Vec<(String, String)> = state
        .pending()
        .map(|a| (a.call_id.clone(), a.arguments.clone()))
        .collect();
    for (id, arguments) in ids {
        if arguments.contains("INV-42") {
            state.approve(&id).map_err(|e| e.to_string())?;
        } else {
            state.reject(&id, REJECTION).map_err(|e| e.to_string())?;
        }
    }
    let result = runner
        .resume_with(&gateway, &agents, state, &desk)
        .await
        .and_then(|outcome| outcome.into_result())
        .map_err(|e| e.to_string())?;
    Ok(result.final_output)
}

/// Waits for a run's output (`GET /restate/invocation/<id>/output` until it is there).
async fn run_output(ingress_url: &str, invocation_id: &str) -> Result<RunOutput, String> {
    let deadline = Instant::now() + WAIT;
    loop {
        let (status, body) = http(
            "GET",
            &format!("{ingress_url}/restate/invocation/{invocation_id}/output"),
            None,
        )
        .await?;
        if status == 200 {
            return serde_json::from_value(body.clone())
                .map_err(|e| format!("the run's output {body} is not a RunOutput: {e}"));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the run did not complete within {WAIT:?}: HTTP {status}: {body}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(message()) }
}

fn log_file(dir: &Path, name: &str) -> Result<std::fs::File, String> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(name))
        .map_err(|e| e.to_string())
}

/// Free loopback ports (the listeners are closed before the ports are used).
fn free_ports<const N: usize>() -> Result<[u16; N], String> {
    let listeners: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    Ok(ports.try_into().expect("N ports"))
}

async fn wait_until<F: Future<Output = bool>>(
    what: &str,
    mut ready: impl FnMut() -> F,
) -> Result<(), String> {
    let deadline = Instant::now() + WAIT;
    while !ready().await {
        if Instant::now() > deadline {
            return Err(format!("timed out after {WAIT:?} waiting until {what}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// One request to the server's APIs on 127.0.0.1: the status and the JSON
/// body (`Value::Null` when empty or not JSON).
async fn http(method: &str, url: &str, body: Option<Value>) -> Result<(u16, Value), String> {
    let client = reqwest::Client::new();
    let request = match method {
        "GET" => client.get(url),
        _ => client.post(url),
    };
    let request = match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(body.to_string()),
        None => request,
    };
    let response = request
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| format!("{method} {url}: {e}"))?;
    let status = response.status().as_u16();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| format!("{method} {url}: {e}"))?;
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}
