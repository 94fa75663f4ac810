//! A fake gateway and a runtime shared by the inputs of a runtime target. The
//! fake records every request it receives, so it is replaced every
//! `RECYCLE_AFTER` inputs: otherwise memory grows with the number of runs (the
//! log, not the runtime) until libFuzzer's RSS limit stops the run.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use respan_offline::testing::FakeGateway;
use respan_runtime::{Agent, AgentSet, FunctionTool, Gateway};

pub struct Harness {
    pub runtime: tokio::runtime::Runtime,
    pub fake: FakeGateway,
    pub gateway: Gateway,
    pub agents: AgentSet,
}

const RECYCLE_AFTER: usize = 2_000;

pub fn harness() -> Arc<Harness> {
    static HARNESS: Mutex<(usize, Option<Arc<Harness>>)> = Mutex::new((0, None));
    let mut slot = HARNESS.lock().unwrap_or_else(|p| p.into_inner());
    slot.0 += 1;
    if slot.0 % RECYCLE_AFTER == 0 {
        slot.1 = None;
    }
    slot.1
        .get_or_insert_with(|| Arc::new(new_harness()))
        .clone()
}

fn new_harness() -> Harness {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let fake = runtime.block_on(FakeGateway::start()).unwrap();
    let gateway = fake
        .gateway_with(
            Gateway::builder()
                .default_model("gpt-4o")
                .max_retries(0)
                .timeout(Duration::from_millis(200)),
        )
        .unwrap();
    let weather = FunctionTool::sync(
        "get_weather",
        "Get the weather.",
        serde_json::json!({"type": "object", "properties": {"city": {"type": "string"}}}),
        |args| Ok(format!("Sunny in {}", args["city"])),
    );
    let agents = AgentSet::new("triage".to_string())
        .agent(
            Agent::new("triage".to_string(), "Triage Agent")
                .handoff("billing".to_string())
                .tool(weather),
        )
        .agent(Agent::new("billing".to_string(), "Billing Agent"));
    Harness {
        runtime,
        fake,
        gateway,
        agents,
    }
}
