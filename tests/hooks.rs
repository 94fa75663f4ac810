//! Lifecycle hooks (`RunHooks`, per runner and per agent): the order each
//! fires in for plain, streamed and resumed runs, what they are given, and
//! what a failing or panicking hook does (it ends the run with `Error::Hook`).

use std::sync::{Arc, Mutex};

use respan::testing::{FakeGateway, FakeResponse};
use respan::{
    Agent, AgentKey, AgentSet, Error, FunctionTool, Gateway, HookResult, InputItem, ModelResponse,
    RunContext, RunEvent, RunHooks, RunOutcome, Runner, ToolCall, async_trait,
};
use serde_json::json;

/// Every hook, as a line: `hook agent [detail]`.
#[derive(Clone, Default)]
struct Log {
    lines: Arc<Mutex<Vec<String>>>,
    /// Prefix of each line (to tell the runner's hooks from an agent's).
    tag: &'static str,
}

impl Log {
    fn tagged(&self, tag: &'static str) -> Self {
        Self {
            lines: self.lines.clone(),
            tag,
        }
    }
    fn push(&self, line: String) {
        self.lines
            .lock()
            .unwrap()
            .push(format!("{}{line}", self.tag));
    }
    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

#[async_trait]
impl<K: AgentKey, C: Sync> RunHooks<K, C> for Log {
    async fn on_agent_start(&self, _run: &RunContext<'_, C>, agent: &Agent<K, C>) -> HookResult {
        self.push(format!("agent_start {}", agent.name()));
        Ok(())
    }
    async fn on_agent_end(
        &self,
        _run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        output: &str,
    ) -> HookResult {
        self.push(format!("agent_end {} {output}", agent.name()));
        Ok(())
    }
    async fn on_llm_start(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        system: Option<&str>,
        input: &[InputItem],
    ) -> HookResult {
        self.push(format!(
            "llm_start {} turn={} system={:?} items={}",
            agent.name(),
            run.turns(),
            system.unwrap_or(""),
            input.len()
        ));
        Ok(())
    }
    async fn on_llm_end(
        &self,
        run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        response: &ModelResponse,
    ) -> HookResult {
        self.push(format!(
            "llm_end {} turn={} tokens={} finish={}",
            agent.name(),
            run.turns(),
            run.usage().total_tokens,
            response.finish_reason.as_deref().unwrap_or("?")
        ));
        Ok(())
    }
    async fn on_tool_start(
        &self,
        _run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        call: &ToolCall,
    ) -> HookResult {
        self.push(format!(
            "tool_start {} {} {}",
            agent.name(),
            call.function.name,
            call.function.arguments
        ));
        Ok(())
    }
    async fn on_tool_end(
        &self,
        _run: &RunContext<'_, C>,
        agent: &Agent<K, C>,
        call: &ToolCall,
        result: &str,
    ) -> HookResult {
        self.push(format!(
            "tool_end {} {} {result}",
            agent.name(),
            call.function.name
        ));
        Ok(())
    }
    async fn on_handoff(
        &self,
        _run: &RunContext<'_, C>,
        from: &Agent<K, C>,
        to: &Agent<K, C>,
    ) -> HookResult {
        self.push(format!("handoff {} -> {}", from.name(), to.name()));
        Ok(())
    }
}

async fn fake() -> (FakeGateway, Gateway) {
    let fake = FakeGateway::start().await.expect("fake gateway");
    let gateway = fake.gateway().expect("gateway");
    (fake, gateway)
}

/// Triage hands off to billing, which looks an invoice up (the tool needs
/// approval when `approval` is set) and answers.
fn support(approval: bool, billing_hooks: Option<Log>) -> AgentSet {
    let lookup = FunctionTool::sync(
        "lookup_invoice",
        "Looks an invoice up.",
        json!({"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"], "additionalProperties": false}),
        |args| Ok(format!("invoice {} is paid", args["id"].as_str().unwrap_or("?"))),
    )
    .needs_approval(approval);
    let mut billing = Agent::named("Billing Agent")
        .instructions("Handle billing questions.")
        .tool(lookup);
    if let Some(hooks) = billing_hooks {
        billing = billing.hooks(hooks);
    }
    AgentSet::new("Triage Agent".to_string())
        .agent(
            Agent::named("Triage Agent")
                .instructions("Route the question.")
                .handoff("Billing Agent".to_string()),
        )
        .agent(billing)
}

fn script(fake: &FakeGateway) {
    fake.push(FakeResponse::tool_calls([("transfer_to_billing_agent", "{}")]).usage(10, 2));
    fake.push(FakeResponse::tool_calls([("lookup_invoice", r#"{"id":"INV-42"}"#)]).usage(20, 3));
    fake.push(FakeResponse::text("INV-42 is paid.").usage(30, 4));
}

/// The order of a run that does not stop (the module doc of `respan::hooks`).
fn expected() -> Vec<String> {
    [
        "agent_start Triage Agent",
        "llm_start Triage Agent turn=0 system=\"Route the question.\" items=1",
        "llm_end Triage Agent turn=1 tokens=12 finish=tool_calls",
        "handoff Triage Agent -> Billing Agent",
        "agent_start Billing Agent",
        "llm_start Billing Agent turn=1 system=\"Handle billing questions.\" items=3",
        "llm_end Billing Agent turn=2 tokens=35 finish=tool_calls",
        r#"tool_start Billing Agent lookup_invoice {"id":"INV-42"}"#,
        "tool_end Billing Agent lookup_invoice invoice INV-42 is paid",
        "llm_start Billing Agent turn=2 system=\"Handle billing questions.\" items=5",
        "llm_end Billing Agent turn=3 tokens=69 finish=stop",
        "agent_end Billing Agent INV-42 is paid.",
    ]
    .map(String::from)
    .to_vec()
}

#[tokio::test]
async fn every_hook_fires_in_the_sdk_order_in_a_plain_run() {
    let (fake, gateway) = fake().await;
    script(&fake);
    let log = Log::default();
    let result = Runner::new()
        .hooks(log.clone())
        .run(&gateway, &support(false, None), "Is INV-42 paid?")
        .await
        .expect("run");
    assert_eq!(result.final_output, "INV-42 is paid.");
    assert_eq!(log.lines(), expected());
}

#[tokio::test]
async fn a_streamed_run_fires_them_in_the_same_order() {
    let (fake, gateway) = fake().await;
    script(&fake);
    let log = Log::default();
    let agents = support(false, None);
    let runner = Runner::new().hooks(log.clone());
    let mut stream = runner.run_streamed(&gateway, &agents, "Is INV-42 paid?");
    let mut completed = false;
    while let Some(event) = stream.next_event().await {
        if let RunEvent::Completed(result) = event.expect("event") {
            assert_eq!(result.final_output, "INV-42 is paid.");
            completed = true;
        }
    }
    assert!(completed);
    assert_eq!(log.lines(), expected());
}

#[tokio::test]
async fn a_run_stopped_for_approval_and_resumed_fires_them_in_the_same_order() {
    let (fake, gateway) = fake().await;
    script(&fake);
    let log = Log::default();
    let agents = support(true, None);
    let runner = Runner::new().hooks(log.clone());
    let outcome = runner
        .run_resumable(&gateway, &agents, "Is INV-42 paid?")
        .await
        .expect("run");
    let RunOutcome::Interrupted(mut state) = outcome else {
        panic!("the run should stop for approval");
    };
    // It stopped after billing's answer, before the tool ran.
    assert_eq!(log.lines(), expected()[..7].to_vec());
    state.approve_all();
    // Through JSON, as a state resumed in another process would be.
    let state = respan::RunState::from_json(&state.to_json().expect("json")).expect("state");
    let outcome = runner
        .resume(&gateway, &agents, state)
        .await
        .expect("resume");
    assert!(matches!(outcome, RunOutcome::Completed(_)));
    assert_eq!(log.lines(), expected());
}

#[tokio::test]
async fn a_streamed_resumed_run_fires_them_in_the_same_order() {
    let (fake, gateway) = fake().await;
    script(&fake);
    let log = Log::default();
    let agents = support(true, None);
    let runner = Runner::new().hooks(log.clone());
    let mut stream = runner.run_streamed_resumable(&gateway, &agents, "Is INV-42 paid?");
    while let Some(event) = stream.next_event().await {
        event.expect("event");
    }
    let mut state = stream.take_interruption().expect("interrupted");
    state.approve_all();
    let mut stream = runner.resume_streamed(&gateway, &agents, state);
    while let Some(event) = stream.next_event().await {
        event.expect("event");
    }
    assert_eq!(log.lines(), expected());
}

#[tokio::test]
async fn an_agents_own_hooks_fire_for_it_after_the_runners() {
    let (fake, gateway) = fake().await;
    script(&fake);
    let log = Log::default();
    let agents = support(false, Some(log.tagged("billing: ")));
    Runner::new()
        .hooks(log.clone())
        .run(&gateway, &agents, "Is INV-42 paid?")
        .await
        .expect("run");
    let lines = log.lines();
    let own: Vec<_> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("billing: "))
        .collect();
    // Only billing's events; on_handoff as the agent handed off *to*.
    assert_eq!(
        own,
        expected()[3..]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    // Each right after the runner's.
    let handoff = lines
        .iter()
        .position(|l| l == "handoff Triage Agent -> Billing Agent")
        .expect("handoff");
    assert_eq!(
        lines[handoff + 1],
        "billing: handoff Triage Agent -> Billing Agent"
    );
    // Agent hooks without runner hooks.
    script(&fake);
    let alone = Log::default();
    let agents = support(false, Some(alone.clone()));
    Runner::new()
        .run(&gateway, &agents, "Is INV-42 paid?")
        .await
        .expect("run");
    assert_eq!(alone.lines(), expected()[3..].to_vec());
}

/// Fails (or panics) in one hook.
struct Failing {
    panic: bool,
}

#[async_trait]
impl RunHooks<String> for Failing {
    async fn on_tool_start(
        &self,
        _run: &RunContext<'_, ()>,
        _agent: &Agent,
        call: &ToolCall,
    ) -> HookResult {
        if self.panic {
            panic!("hook bug at {}", call.function.name);
        }
        Err(format!("budget exceeded before {}", call.function.name).into())
    }
}

#[tokio::test]
async fn a_failing_hook_ends_the_run_with_a_typed_error_and_nothing_more_is_sent() {
    for panic in [false, true] {
        let (fake, gateway) = fake().await;
        script(&fake);
        let error = Runner::new()
            .hooks(Failing { panic })
            .run(&gateway, &support(false, None), "Is INV-42 paid?")
            .await
            .expect_err("the hook fails");
        let Error::Hook {
            hook,
            agent,
            message,
        } = &error
        else {
            panic!("not a hook error: {error:?}");
        };
        assert_eq!(*hook, "on_tool_start");
        assert_eq!(agent, "Billing Agent");
        let expected = if panic {
            "the hook panicked: hook bug at lookup_invoice"
        } else {
            "budget exceeded before lookup_invoice"
        };
        assert_eq!(message, expected);
        assert!(error.to_string().contains("a hook's error ends the run"));
        // The two requests before the tool, not the third.
        assert_eq!(fake.requests().len(), 2);
    }
}

#[tokio::test]
async fn hooks_set_before_context_are_an_error_not_dropped() {
    struct Shop;
    let (_fake, gateway) = fake().await;
    let agents = AgentSet::new("Clerk".to_string()).context::<Shop>().agent(
        Agent::named("Clerk")
            .hooks(Log::default())
            .context::<Shop>(),
    );
    let error = Runner::new()
        .run_with(&gateway, &agents, "Hello", &Shop)
        .await
        .expect_err("hooks lost");
    assert!(
        error.to_string().contains("hooks before .context::<C>()"),
        "{error}"
    );
}

#[tokio::test]
async fn shared_hooks_behind_one_type_fire_the_same() {
    let (fake, gateway) = fake().await;
    script(&fake);
    let log = Log::default();
    let shared: Runner<respan::SharedHooks<String, ()>> =
        Runner::new().hooks(log.clone()).shared_hooks();
    shared
        .run(&gateway, &support(false, None), "Is INV-42 paid?")
        .await
        .expect("run");
    assert_eq!(log.lines(), expected());
    // No hooks behind the same type: the run goes as without.
    script(&fake);
    let none: Runner<respan::SharedHooks<String, ()>> = Runner::new().shared_hooks();
    let result = none
        .run(&gateway, &support(false, None), "Is INV-42 paid?")
        .await
        .expect("run");
    assert_eq!(result.final_output, "INV-42 is paid.");
}

/// An agent used as a tool: the runner's tool hooks surround the call; the
/// inner run fires the inner agent's own hooks, not the runner's (as the
/// SDK's `as_tool`, whose nested run has no run hooks).
#[tokio::test]
async fn an_agent_tool_call_fires_tool_hooks_outside_and_agent_hooks_inside() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([(
        "research",
        r#"{"input":"Rust"}"#,
    )]));
    fake.push_text("Rust is fast.");
    fake.push_text("Done.");
    let log = Log::default();
    let agents = AgentSet::new("Manager".to_string())
        .agent(
            Agent::named("Manager")
                .instructions("m")
                .agent_tool(respan::AgentTool::new("Researcher".to_string()).name("research")),
        )
        .agent(
            Agent::named("Researcher")
                .instructions("r")
                .hooks(log.tagged("own: ")),
        );
    Runner::new()
        .hooks(log.clone())
        .run(&gateway, &agents, "hi")
        .await
        .expect("run");
    let lines = log.lines();
    let at = |prefix: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {lines:#?}"))
    };
    assert!(at("tool_start Manager research") < at("own: agent_start Researcher"));
    assert!(
        at("own: agent_end Researcher Rust is fast.")
            < at("tool_end Manager research Rust is fast.")
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("agent_start Researcher")),
        "the runner's hooks do not see the inner run: {lines:#?}"
    );
}
