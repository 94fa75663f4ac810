//! Runner behaviour beyond the goldens: usage, continuing a conversation,
//! Respan params and prompt placements, templates, settings, tools.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use respan_offline::testing::{FakeGateway, FakeResponse};
use respan_runtime::{
    Agent, AgentSet, Error, FunctionTool, Gateway, GatewayPrompt, InputItem, ModelSettings,
    Placement, RespanParams, RunItem, TOOL_ERROR_MESSAGE, ToolChoice, ToolError, Usage,
};
use serde_json::json;

async fn fake() -> (FakeGateway, Gateway) {
    let fake = FakeGateway::start().await.expect("fake gateway");
    let gateway = fake.gateway().expect("gateway");
    (fake, gateway)
}

#[tokio::test]
async fn usage_in_total_and_per_agent() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([("transfer_to_billing_agent", "{}")]).usage(100, 7));
    fake.push(FakeResponse::text("Refunded.").usage(150, 20));
    let result = respan_runtime::run(&gateway, &support_agents(), "refund please")
        .await
        .expect("run");
    assert_eq!(
        result.usage,
        Usage {
            requests: 2,
            input_tokens: 250,
            output_tokens: 27,
            total_tokens: 277
        }
    );
    let per_agent: Vec<(&String, u64)> = result
        .usage_by_agent
        .iter()
        .map(|(k, u)| (k, u.total_tokens))
        .collect();
    assert_eq!(
        per_agent,
        [
            (&"Triage Agent".to_string(), 107),
            (&"Billing Agent".to_string(), 170)
        ]
    );
    assert_eq!(
        result.usage_by_agent.get(&"Technical Agent".to_string()),
        None
    );
    assert_eq!(result.raw_responses.len(), 2);
    assert_eq!(
        result.raw_responses[0].finish_reason.as_deref(),
        Some("tool_calls")
    );
}

#[tokio::test]
async fn a_result_continues_the_conversation() {
    let (fake, gateway) = fake().await;
    fake.push_text("Hi! What do you need?");
    fake.push_text("Done.");
    let agents = AgentSet::new("A".to_string()).agent(Agent::named("A").instructions("Be brief."));
    let first = respan_runtime::run(&gateway, &agents, "Hello")
        .await
        .expect("run");
    let mut input = first.to_input_list();
    input.push(InputItem::user("Reset my password"));
    respan_runtime::run(&gateway, &agents, input)
        .await
        .expect("run");
    assert_eq!(
        fake.requests()[1].body["messages"],
        json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi! What do you need?"},
            {"role": "user", "content": "Reset my password"}
        ])
    );
}

#[tokio::test]
async fn respan_params_and_prompt_in_each_placement() {
    let params = RespanParams::new()
        .customer_identifier("user_123")
        .metadata("env", "production")
        .thread_identifier("t-1")
        .fallback_models(["gpt-4o-mini"])
        .extra("custom_field", 1);
    let prompt = GatewayPrompt::new("abc").variable("task", "be concise");
    let fields = json!({"customer_identifier": "user_123", "metadata": {"env": "production"},
        "thread_identifier": "t-1", "fallback_models": ["gpt-4o-mini"], "custom_field": 1});
    let prompt_json =
        json!({"prompt_id": "abc", "schema_version": 2, "variables": {"task": "be concise"}});

    for (params_at, prompt_at) in [
        (Placement::Body, Placement::Body),
        (Placement::RespanParams, Placement::RespanParams),
        (Placement::Header, Placement::Header),
        (Placement::RespanParams, Placement::Body),
        (Placement::Header, Placement::RespanParams),
    ] {
        let (fake, gateway) = fake().await;
        fake.push_text("ok");
        let agents = AgentSet::new("A".to_string()).agent(
            Agent::named("A")
                .instructions("x")
                .respan(params.clone().placement(params_at))
                .prompt(prompt.clone().placement(prompt_at)),
        );
        respan_runtime::run(&gateway, &agents, "hi")
            .await
            .expect("run");
        let request = &fake.requests()[0];
        let mut body = request.body.clone();
        let header = request.respan_header();

        // Each field travels in exactly one place.
        let mut expected_header = serde_json::Map::new();
        let mut expected_nested = serde_json::Map::new();
        let mut expected_top = serde_json::Map::new();
        let put =
            |at: Placement,
             value: &serde_json::Map<String, serde_json::Value>,
             top: &mut serde_json::Map<String, serde_json::Value>,
             nested: &mut serde_json::Map<String, serde_json::Value>,
             header: &mut serde_json::Map<String, serde_json::Value>| match at {
                Placement::Body => top.extend(value.clone()),
                Placement::RespanParams => nested.extend(value.clone()),
                Placement::Header => header.extend(value.clone()),
            };
        let fields_map = fields.as_object().cloned().unwrap_or_default();
        let mut prompt_map = serde_json::Map::new();
        prompt_map.insert("prompt".into(), prompt_json.clone());
        put(
            params_at,
            &fields_map,
            &mut expected_top,
            &mut expected_nested,
            &mut expected_header,
        );
        put(
            prompt_at,
            &prompt_map,
            &mut expected_top,
            &mut expected_nested,
            &mut expected_header,
        );

        let map = body.as_object_mut().expect("object");
        for key in ["model", "messages"] {
            map.remove(key);
        }
        let nested = map.remove("respan_params");
        assert_eq!(
            nested,
            (!expected_nested.is_empty()).then_some(serde_json::Value::Object(expected_nested)),
            "{params_at:?}/{prompt_at:?}: respan_params"
        );
        assert_eq!(map, &expected_top, "{params_at:?}/{prompt_at:?}: top level");
        assert_eq!(
            header,
            (!expected_header.is_empty()).then_some(serde_json::Value::Object(expected_header)),
            "{params_at:?}/{prompt_at:?}: header"
        );
    }
}

#[tokio::test]
async fn all_model_settings_are_sent() {
    let (fake, gateway) = fake().await;
    fake.push_text("ok");
    let mut extra_body = serde_json::Map::new();
    extra_body.insert("temperature".into(), json!(1.5)); // extra_body wins
    extra_body.insert("messages".into(), json!([])); // the runner's: ignored
    extra_body.insert("logprobs".into(), json!(true));
    let settings = ModelSettings {
        temperature: Some(0.7),
        top_p: Some(0.5),
        max_tokens: Some(256),
        frequency_penalty: Some(0.1),
        presence_penalty: Some(-0.3),
        tool_choice: Some(ToolChoice::Required),
        parallel_tool_calls: Some(false),
        seed: Some(42),
        stop: Some(vec!["END".into()]),
        response_format: Some(json!({"type": "json_object"})),
        extra_body,
        extra_headers: vec![("X-Trace".into(), "abc".into())],
    };
    let agents = AgentSet::new("A".to_string()).agent(
        Agent::named("A")
            .instructions("x")
            .model("gemini-2.5-flash")
            .model_settings(settings),
    );
    respan_runtime::run(&gateway, &agents, "hi")
        .await
        .expect("run");
    let request = &fake.requests()[0];
    assert_eq!(
        request.body,
        json!({"model": "gemini-2.5-flash",
               "messages": [{"role": "system", "content": "x"}, {"role": "user", "content": "hi"}],
               "temperature": 1.5, "top_p": 0.5, "max_tokens": 256, "frequency_penalty": 0.1,
               "presence_penalty": -0.3, "tool_choice": "required", "parallel_tool_calls": false,
               "seed": 42, "stop": ["END"], "response_format": {"type": "json_object"},
               "logprobs": true})
    );
    assert_eq!(request.header("x-trace"), Some("abc"));
    let extra: Vec<&str> = request
        .headers
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| name.starts_with("x-respan"))
        .collect();
    assert!(extra.is_empty(), "no header of our own: {extra:?}");
}

#[tokio::test]
async fn templates_render_once_and_errors_surface_at_run() {
    #[derive(serde::Serialize)]
    struct Vars {
        product: String,
    }
    let (fake, gateway) = fake().await;
    fake.push_text("ok");
    let agents = AgentSet::new("T".to_string()).agent(Agent::named("T").instructions_template(
        "Handle technical support questions for {{ product }}.",
        &Vars {
            product: "Respan".into(),
        },
    ));
    respan_runtime::run(&gateway, &agents, "hi")
        .await
        .expect("run");
    assert_eq!(
        fake.requests()[0].body["messages"][0]["content"],
        "Handle technical support questions for Respan."
    );

    let broken = AgentSet::new("T".to_string())
        .agent(Agent::named("T").instructions_template("Hello {{ name ", &json!({"name": "x"})));
    let error = respan_runtime::run(&gateway, &broken, "hi")
        .await
        .expect_err("template");
    assert!(
        matches!(error, Error::Template { ref agent, .. } if agent == "T"),
        "{error:?}"
    );
    assert_eq!(
        fake.requests().len(),
        1,
        "no request with a broken template"
    );
}

#[tokio::test]
async fn no_instructions_no_system_message() {
    let (fake, gateway) = fake().await;
    fake.push_text("ok");
    let agents = AgentSet::new("A".to_string()).agent(Agent::named("A"));
    respan_runtime::run(&gateway, &agents, "hi")
        .await
        .expect("run");
    assert_eq!(
        fake.requests()[0].body["messages"],
        json!([{"role": "user", "content": "hi"}])
    );
}

#[tokio::test]
async fn handoff_cycles_and_enum_keys() {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    enum Key {
        Ping,
        Pong,
    }
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([("transfer_to_pong", "{}")]));
    fake.push(FakeResponse::tool_calls([("transfer_to_ping", "{}")]));
    fake.push_text("back at ping");
    let agents = AgentSet::new(Key::Ping)
        .agent(Agent::new(Key::Ping, "Ping").handoff(Key::Pong))
        .agent(Agent::new(Key::Pong, "Pong").handoff(Key::Ping));
    let result = respan_runtime::run(&gateway, &agents, "go")
        .await
        .expect("run");
    assert_eq!(result.last_agent, Key::Ping);
    let handoffs: Vec<(Key, Key)> = result
        .new_items
        .iter()
        .filter_map(|i| match i {
            RunItem::HandoffOutput { source, target, .. } => Some((*source, *target)),
            _ => None,
        })
        .collect();
    assert_eq!(handoffs, [(Key::Ping, Key::Pong), (Key::Pong, Key::Ping)]);
    assert_eq!(
        result.usage_by_agent.get(&Key::Ping).map(|u| u.requests),
        Some(2)
    );
}

#[tokio::test]
async fn tool_errors_and_panics_go_back_to_the_model() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([
        ("fails", "{}"),
        ("panics", "{}"),
        ("fine", ""),
    ]));
    fake.push_text("recovered");
    let schema =
        json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false});
    let agents = AgentSet::new("A".to_string()).agent(
        Agent::named("A")
            .tool(FunctionTool::sync("fails", "d", schema.clone(), |_| {
                Err(ToolError::new("database is down"))
            }))
            .tool(FunctionTool::sync("panics", "d", schema.clone(), |_| {
                panic!("tool bug")
            }))
            .tool(FunctionTool::sync("fine", "d", schema, |args| {
                Ok(format!("args {args}"))
            })),
    );
    let result = respan_runtime::run(&gateway, &agents, "hi")
        .await
        .expect("run");
    assert_eq!(result.final_output, "recovered");
    let messages = &fake.requests()[1].body["messages"];
    assert_eq!(
        messages[2]["content"],
        format!("{TOOL_ERROR_MESSAGE} Error: database is down")
    );
    assert_eq!(
        messages[3]["content"],
        format!("{TOOL_ERROR_MESSAGE} Error: the tool panicked")
    );
    assert_eq!(
        messages[4]["content"], "args {}",
        "empty arguments mean {{}}"
    );
}

#[tokio::test]
async fn tools_called_together_run_concurrently() {
    let (fake, gateway) = fake().await;
    fake.push(FakeResponse::tool_calls([("wait", "{}"), ("wait", "{}")]));
    fake.push_text("done");
    // Each call waits until both have started: sequential calls would never finish.
    let started = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let tool = {
        let started = started.clone();
        FunctionTool::new(
            "wait",
            "d",
            json!({"type": "object", "properties": {}}),
            move |_| {
                let started = started.clone();
                let barrier = barrier.clone();
                async move {
                    started.fetch_add(1, Ordering::SeqCst);
                    barrier.wait().await;
                    Ok("ok".to_string())
                }
            },
        )
    };
    let agents = AgentSet::new("A".to_string()).agent(Agent::named("A").tool(tool));
    let result = tokio::time::timeout(
        Duration::from_secs(5),
        respan_runtime::run(&gateway, &agents, "hi"),
    )
    .await
    .expect("tools ran concurrently")
    .expect("run");
    assert_eq!(result.final_output, "done");
    assert_eq!(started.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn bad_agent_sets_are_errors_before_any_request() {
    let (fake, gateway) = fake().await;
    let unknown_entry: AgentSet = AgentSet::new("nobody".to_string()).agent(Agent::named("A"));
    let error = respan_runtime::run(&gateway, &unknown_entry, "hi")
        .await
        .expect_err("entry");
    assert!(matches!(error, Error::AgentSet(_)), "{error:?}");
    let unknown_target =
        AgentSet::new("A".to_string()).agent(Agent::named("A").handoff("B".to_string()));
    let error = respan_runtime::run(&gateway, &unknown_target, "hi")
        .await
        .expect_err("target");
    assert!(error.to_string().contains("\"B\""), "{error}");
    let bad_header =
        AgentSet::new("A".to_string()).agent(Agent::named("A").model_settings(ModelSettings {
            extra_headers: vec![("X-Bad".into(), "line\nbreak".into())],
            ..Default::default()
        }));
    assert!(matches!(
        respan_runtime::run(&gateway, &bad_header, "hi").await,
        Err(Error::Config(_))
    ));
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn tool_definitions_are_built_once_per_set() {
    // The set is prepared on the first run and reused: the tool's schema is asked once.
    struct Counting(Arc<AtomicUsize>);
    impl respan_runtime::Tool for Counting {
        fn name(&self) -> &str {
            "count"
        }
        fn description(&self) -> &str {
            "d"
        }
        fn parameters(&self) -> serde_json::Value {
            self.0.fetch_add(1, Ordering::SeqCst);
            json!({"type": "object", "properties": {}})
        }
        fn call<'a>(
            &'a self,
            _context: &'a (),
            _arguments: &'a str,
        ) -> respan_runtime::BoxFuture<'a, Result<String, ToolError>> {
            Box::pin(async { Ok("1".to_string()) })
        }
    }
    let (fake, gateway) = fake().await;
    let asked = Arc::new(AtomicUsize::new(0));
    let agents =
        AgentSet::new("A".to_string()).agent(Agent::named("A").tool(Counting(asked.clone())));
    for _ in 0..3 {
        fake.push_text("ok");
        respan_runtime::run(&gateway, &agents, "hi")
            .await
            .expect("run");
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn structured_output_parses() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Answer {
        city: String,
        sunny: bool,
    }
    let (fake, gateway) = fake().await;
    fake.push_text(r#"{"city": "Paris", "sunny": true}"#);
    fake.push_text("not json");
    let agents =
        AgentSet::new("A".to_string()).agent(Agent::named("A").model_settings(ModelSettings {
            response_format: Some(json!({"type": "json_object"})),
            ..Default::default()
        }));
    let result = respan_runtime::run(&gateway, &agents, "hi")
        .await
        .expect("run");
    assert_eq!(
        result.parse_output::<Answer>().expect("json"),
        Answer {
            city: "Paris".into(),
            sunny: true
        }
    );
    let result = respan_runtime::run(&gateway, &agents, "hi")
        .await
        .expect("run");
    assert!(matches!(
        result.parse_output::<Answer>(),
        Err(Error::ModelBehavior(_))
    ));
}

#[tokio::test]
async fn name_collisions_are_errors() {
    let (fake, gateway) = fake().await;
    let schema = json!({"type": "object", "properties": {}});
    let twice = AgentSet::new("A".to_string()).agent(
        Agent::named("A")
            .tool(FunctionTool::sync("t", "d", schema.clone(), |_| {
                Ok(String::new())
            }))
            .tool(FunctionTool::sync("t", "d", schema, |_| Ok(String::new()))),
    );
    assert!(matches!(
        respan_runtime::run(&gateway, &twice, "hi").await,
        Err(Error::AgentSet(_))
    ));
    // "Billing Agent" and "Billing-Agent" both become transfer_to_billing_agent.
    let clash = AgentSet::new("a".to_string())
        .agent(Agent::new("a".to_string(), "A").handoffs(["b".to_string(), "c".to_string()]))
        .agent(Agent::new("b".to_string(), "Billing Agent"))
        .agent(Agent::new("c".to_string(), "Billing-Agent"));
    let error = respan_runtime::run(&gateway, &clash, "hi")
        .await
        .expect_err("clash");
    assert!(
        error.to_string().contains("transfer_to_billing_agent"),
        "{error}"
    );
    // The same target twice is an error, as in `respan check` (one set of rules).
    let same = AgentSet::new("a".to_string())
        .agent(Agent::new("a".to_string(), "A").handoffs(["b".to_string(), "b".to_string()]))
        .agent(Agent::new("b".to_string(), "B"));
    let error = respan_runtime::run(&gateway, &same, "hi")
        .await
        .expect_err("twice");
    assert!(error.to_string().contains("twice"), "{error}");
    // So is a handoff to oneself.
    let own = AgentSet::new("a".to_string())
        .agent(Agent::new("a".to_string(), "A").handoff("a".to_string()));
    let error = respan_runtime::run(&gateway, &own, "hi")
        .await
        .expect_err("self");
    assert!(error.to_string().contains("itself"), "{error}");
    assert!(fake.requests().is_empty(), "nothing was sent");
}
