//! A workflow runs the same in the CLI and compiled (DESIGN §2): for every file
//! of workflows/, the agents `respan run` builds at run time
//! (`respan_cli::load::Load`) send exactly the requests, bodies and headers,
//! that the module `respan::workflow!` generates sends, plain and streamed,
//! to every agent of the file (reached through scripted handoffs).
//!
//! Files that name Rust items get them supplied the CLI way: a tool bound to
//! a `#[respan_tool]` becomes a command tool declaring the function's own
//! schema, an output `rust` type becomes its JSON Schema.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use respan::testing::{FakeGateway, FakeResponse, RecordedRequest};
use respan::{Gateway, Runner, Tool, ToolFn};
use respan_codegen::Spec;
use respan_codegen::spec::{Spanned, handoff_tool_name};

respan::workflow!("workflows/quickstart.toml");
respan::workflow!("workflows/switch_models.toml");
respan::workflow!("workflows/support.toml");
respan::workflow!("workflows/prompts.toml");
respan::workflow!("workflows/respan_params.toml");
respan::workflow!("workflows/support_tools.toml");
respan::workflow!("workflows/ticket.toml");
respan::workflow!("workflows/manager.toml");

/// What `workflows/support_tools.toml` binds `lookup_invoice` to.
#[respan::respan_tool]
fn lookup_invoice(
    /// The invoice number, e.g. "INV-42".
    invoice_id: String,
) -> String {
    format!("invoice {invoice_id}: paid")
}

/// What `workflows/ticket.toml` names as billing's output type.
#[derive(Clone, Debug, serde::Deserialize, schemars::JsonSchema)]
#[allow(dead_code)]
struct Refund {
    /// Whether the customer gets money back.
    approved: bool,
    /// How much, in cents.
    amount_cents: u64,
}

type Run = Pin<Box<dyn Future<Output = ()>>>;

const QUESTION: &str = "I'm having trouble connecting to the API.";

/// The checked spec of a file of workflows/.
fn spec(file: &str) -> Spec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let checked = respan_codegen::check_file(&path, file);
    assert!(!checked.has_errors(), "{}", checked.render(false));
    checked.spec.unwrap()
}

/// For every agent the entry reaches, the handoff tool names leading to it.
fn routes(spec: &Spec) -> Vec<(String, Vec<String>)> {
    let entry = spec.workflow.entry.value.clone();
    let mut routes: HashMap<String, Vec<String>> = HashMap::from([(entry.clone(), Vec::new())]);
    let mut order = vec![entry.clone()];
    let mut queue = VecDeque::from([entry]);
    while let Some(id) = queue.pop_front() {
        let agent = spec.agent(&id).unwrap();
        for target in &agent.handoffs {
            if routes.contains_key(&target.value) {
                continue;
            }
            let mut route = routes[&id].clone();
            route.push(handoff_tool_name(
                &spec.agent(&target.value).unwrap().name.value,
            ));
            routes.insert(target.value.clone(), route);
            order.push(target.value.clone());
            queue.push_back(target.value.clone());
        }
    }
    order
        .into_iter()
        .map(|id| {
            let route = routes.remove(&id).unwrap();
            (id, route)
        })
        .collect()
}

/// Hands off along `route`, then answers.
fn script(fake: &FakeGateway, route: &[String]) {
    for tool in route {
        fake.push(FakeResponse::tool_calls([(tool.as_str(), "{}")]));
    }
    fake.push(FakeResponse::text("done"));
}

fn headers(request: &RecordedRequest) -> Vec<(String, String)> {
    let mut headers = request.headers.clone();
    headers.sort();
    headers
}

/// Runs the compiled workflow (`compiled(gateway, streamed)`) and the CLI's
/// agents for `spec` with `vars` along every route; their requests must be equal.
async fn assert_parity(
    spec: &Spec,
    vars: &[(&str, &str)],
    compiled: impl Fn(Gateway, bool) -> Run,
) -> usize {
    let mut compared = 0;
    for (target, route) in routes(spec) {
        let at = format!("{} → {target}", spec.path);
        let requests = route.len() + 1;
        let script = |fake: &FakeGateway| script(fake, &route);
        compared += assert_scripted_parity(spec, vars, &at, script, requests, &compiled).await;
    }
    compared
}

/// Runs the compiled workflow and the CLI's agents for `spec`, plain and
/// streamed, each on the answers `script` queues; both must send `requests`
/// requests, and the same ones.
async fn assert_scripted_parity(
    spec: &Spec,
    vars: &[(&str, &str)],
    at: &str,
    script: impl Fn(&FakeGateway),
    requests: usize,
    compiled: &impl Fn(Gateway, bool) -> Run,
) -> usize {
    let load = respan_cli::load::Load::new(spec)
        .vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let agents = load
        .agent_set()
        .unwrap_or_else(|e| panic!("{}: {e}", spec.path));
    let mut compared = 0;
    for streamed in [false, true] {
        let fake = FakeGateway::start().await.unwrap();
        let gateway = fake.gateway().unwrap();
        script(&fake);
        compiled(gateway.clone(), streamed).await;
        let half = fake.requests().len();
        script(&fake);
        // The run may fail (a structured output answered "done", no answer
        // left to give): the requests count.
        if streamed {
            let _ = Runner::new()
                .run_streamed(&gateway, &agents, QUESTION)
                .into_result()
                .await;
        } else {
            let _ = Runner::new().run(&gateway, &agents, QUESTION).await;
        }
        let recorded = fake.requests();
        let (compiled, cli) = recorded.split_at(half);
        let at = format!("{at} (streamed: {streamed})");
        assert_eq!(compiled.len(), requests, "{at}");
        assert_eq!(cli.len(), compiled.len(), "{at}");
        for (i, (a, b)) in compiled.iter().zip(cli).enumerate() {
            assert_eq!(a.body, b.body, "{at}: body of request {i}");
            assert_eq!(headers(a), headers(b), "{at}: headers of request {i}");
            compared += 1;
        }
    }
    compared
}

/// Runs a compiled workflow once, plain or streamed (the workflows' types differ,
/// hence a macro): `run_plain_or_streamed!(workflow.run/run_streamed(args), streamed)`.
macro_rules! run_plain_or_streamed {
    ($workflow:ident . $plain:ident / $streamed_fn:ident ( $($arg:expr),* ), $streamed:expr) => {
        if $streamed {
            let _ = $workflow.$streamed_fn($($arg),*).into_result().await;
        } else {
            let _ = $workflow.$plain($($arg),*).await;
        }
    };
}

#[tokio::test]
async fn the_cli_sends_what_the_compiled_workflow_sends() {
    let mut compared = 0;

    compared += assert_parity(
        &spec("workflows/quickstart.toml"),
        &[],
        |gateway, streamed| {
            Box::pin(async move {
                let workflow = quickstart::Workflow::new(quickstart::Vars {});
                run_plain_or_streamed!(workflow.run / run_streamed(&gateway, QUESTION), streamed);
            })
        },
    )
    .await;

    compared += assert_parity(
        &spec("workflows/switch_models.toml"),
        &[],
        |gateway, streamed| {
            Box::pin(async move {
                let workflow = switch_models::Workflow::new(switch_models::Vars {});
                run_plain_or_streamed!(workflow.run / run_streamed(&gateway, QUESTION), streamed);
            })
        },
    )
    .await;

    // `[vars]` defaults, and a value given on the command line.
    for (cli, product) in [(vec![], "Respan"), (vec![("product", "Acme")], "Acme")] {
        compared += assert_parity(
            &spec("workflows/support.toml"),
            &cli,
            move |gateway, streamed| {
                Box::pin(async move {
                    let workflow = support::Workflow::new(support::Vars {
                        product: product.into(),
                    });
                    run_plain_or_streamed!(
                        workflow.run / run_streamed(&gateway, QUESTION),
                        streamed
                    );
                })
            },
        )
        .await;
    }

    compared += assert_parity(&spec("workflows/prompts.toml"), &[], |gateway, streamed| {
        Box::pin(async move {
            let workflow = prompts::Workflow::new(prompts::Vars {});
            run_plain_or_streamed!(workflow.run / run_streamed(&gateway, QUESTION), streamed);
        })
    })
    .await;

    compared += assert_parity(
        &spec("workflows/respan_params.toml"),
        &[],
        |gateway, streamed| {
            Box::pin(async move {
                let workflow = respan_params::Workflow::new(respan_params::Vars {});
                run_plain_or_streamed!(workflow.run / run_streamed(&gateway, QUESTION), streamed);
            })
        },
    )
    .await;

    // The Rust tool, declared as a command tool with the function's own schema.
    let mut tools = spec("workflows/support_tools.toml");
    let lookup = &mut tools.tools[0];
    lookup.command = Some(Spanned::new(vec!["true".to_string()], 0..0));
    lookup.parameters = Some(Spanned::new(
        Tool::parameters(&<lookup_invoice as ToolFn>::tool()),
        0..0,
    ));
    compared += assert_parity(&tools, &[], |gateway, streamed| {
        Box::pin(async move {
            let workflow = support_tools::Workflow::new(support_tools::Vars {});
            run_plain_or_streamed!(workflow.run / run_streamed(&gateway, QUESTION), streamed);
        })
    })
    .await;

    // The Rust output type, as its JSON Schema.
    let mut ticket = spec("workflows/ticket.toml");
    let output = ticket.agents[1].output.as_mut().unwrap();
    output.rust = None;
    output.schema = Some(Spanned::new(respan::schema_for::<Refund>(), 0..0));
    compared += assert_parity(&ticket, &[], |gateway, streamed| {
        Box::pin(async move {
            let workflow = ticket::Workflow::new(ticket::Vars {});
            run_plain_or_streamed!(workflow.run / run_streamed(&gateway, QUESTION), streamed);
        })
    })
    .await;

    // Agents as tools: the manager calls the researcher, whose run (a request
    // of its own) answers the tool; then the manager's second request.
    let manager_compiled = |gateway: Gateway, streamed: bool| -> Run {
        Box::pin(async move {
            let workflow = manager::Workflow::new(manager::Vars {});
            run_plain_or_streamed!(workflow.run / run_streamed(&gateway, QUESTION), streamed);
        })
    };
    let manager = spec("workflows/manager.toml");
    compared += assert_scripted_parity(
        &manager,
        &[],
        "workflows/manager.toml → research",
        |fake| {
            fake.push(FakeResponse::tool_calls([(
                "research",
                r#"{"input":"Rust's async model"}"#,
            )]));
            fake.push_text("Futures are lazy.");
            fake.push_text("Rust's futures are lazy.");
        },
        3,
        &manager_compiled,
    )
    .await;

    // Every file of workflows/ was compared.
    let files = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows"))
        .unwrap()
        .count();
    assert_eq!(files, 8, "a new workflow file: add it here");
    assert!(compared >= 30, "{compared} requests compared");
}

#[test]
fn rust_items_are_what_the_cli_cannot_run_and_says_so() {
    for (file, expected) in [
        (
            "workflows/support_tools.toml",
            "tool `lookup_invoice` (used by `billing`) has no `command`",
        ),
        (
            "workflows/ticket.toml",
            "agent `billing` answers with the Rust type `Refund`",
        ),
    ] {
        let spec = spec(file);
        let error = respan_cli::load::Load::new(&spec).agent_set().unwrap_err();
        assert!(error.to_string().starts_with(expected), "{file}: {error}");
    }
}
