//! Dynamic instructions from both front doors: a workflow file's
//! `instructions_fn = "path"` and `#[respan_agent(instructions = path)]`. The
//! function reads the run's context, so two runs with two contexts send two
//! system messages (checked on the fake gateway).

use respan::testing::{FakeGateway, FakeResponse};
use respan::{AgentDef, AgentSet, Gateway, Runner, respan_agent};

/// The application's state the instructions read.
struct Invoices {
    customer: String,
    open: usize,
}

mod prompts {
    use super::Invoices;

    pub fn billing(
        invoices: &Invoices,
        agent: &respan::Agent<super::invoices::Agent, Invoices>,
    ) -> String {
        format!(
            "You are {}. {} has {} open invoices.",
            agent.name(),
            invoices.customer,
            invoices.open
        )
    }

    /// Reads no context: fits runs of any context.
    pub fn clerk(_: &(), agent: &respan::Agent<super::invoices::Agent>) -> String {
        format!("You are {}.", agent.name())
    }

    pub fn desk(invoices: &Invoices, agent: &respan::Agent<&'static str, Invoices>) -> String {
        format!("You are {}, serving {}.", agent.name(), invoices.customer)
    }
}

respan::workflow!("tests/fixtures/invoices.toml");

async fn fake() -> (FakeGateway, Gateway) {
    let fake = FakeGateway::start().await.expect("fake gateway");
    let gateway = fake
        .gateway_with(Gateway::builder().max_retries(0))
        .expect("gateway");
    (fake, gateway)
}

/// The system message of the gateway's `n`th request.
fn system_message(fake: &FakeGateway, n: usize) -> String {
    let body = &fake.requests()[n].body;
    assert_eq!(body["messages"][0]["role"], "system", "{body}");
    body["messages"][0]["content"]
        .as_str()
        .expect("text")
        .to_owned()
}

fn ada() -> Invoices {
    Invoices {
        customer: "Ada".into(),
        open: 2,
    }
}

fn bob() -> Invoices {
    Invoices {
        customer: "Bob".into(),
        open: 0,
    }
}

#[tokio::test]
async fn a_workflow_files_instructions_fn_reads_the_runs_context() {
    let (fake, gateway) = fake().await;
    let workflow = invoices::Workflow::<Invoices>::with_context(invoices::Vars {});
    fake.push(FakeResponse::text("Hello Ada."));
    fake.push(FakeResponse::text("Hello Bob."));
    workflow.run_with(&gateway, "Hi", &ada()).await.unwrap();
    workflow.run_with(&gateway, "Hi", &bob()).await.unwrap();
    assert_eq!(
        system_message(&fake, 0),
        "You are Billing Agent. Ada has 2 open invoices."
    );
    assert_eq!(
        system_message(&fake, 1),
        "You are Billing Agent. Bob has 0 open invoices."
    );
}

#[tokio::test]
async fn an_instructions_fn_of_no_context_runs_with_any_context() {
    let (fake, gateway) = fake().await;
    let workflow = invoices::Workflow::<Invoices>::with_context(invoices::Vars {});
    let set = workflow.agents().clone().with_entry(invoices::Agent::Clerk);
    fake.push(FakeResponse::text("Hi."));
    Runner::new()
        .run_with(&gateway, &set, "Hi", &ada())
        .await
        .unwrap();
    assert_eq!(system_message(&fake, 0), "You are Clerk.");
}

#[test]
#[should_panic(
    expected = "`prompts::billing` (`instructions_fn` of `[agents.billing]`, \
                           tests/fixtures/invoices.toml:8) reads `&dynamic_instructions::Invoices`, \
                           but this agent is built for runs whose context is `()`"
)]
fn a_workflow_built_for_another_context_says_which_one_it_needs() {
    let _ = invoices::Workflow::new(invoices::Vars {});
}

#[respan_agent(name = "Front Desk", instructions = prompts::desk)]
struct Desk;

#[tokio::test]
async fn an_attributes_instructions_path_reads_the_runs_context() {
    let (fake, gateway) = fake().await;
    let agents: AgentSet<&'static str, Invoices> = Desk.agent_set_for::<Invoices>();
    fake.push(FakeResponse::text("Hello Ada."));
    fake.push(FakeResponse::text("Hello Bob."));
    let runner = Runner::new();
    runner
        .run_with(&gateway, &agents, "Hi", &ada())
        .await
        .unwrap();
    runner
        .run_with(&gateway, &agents, "Hi", &bob())
        .await
        .unwrap();
    assert_eq!(system_message(&fake, 0), "You are Front Desk, serving Ada.");
    assert_eq!(system_message(&fake, 1), "You are Front Desk, serving Bob.");
}
