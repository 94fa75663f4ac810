//! The workflows of workflows/ compiled with `respan::workflow!` and run against
//! the offline gateway.

respan::workflow!("workflows/quickstart.toml");
respan::workflow!("workflows/switch_models.toml");
respan::workflow!("workflows/support.toml");
respan::workflow!("workflows/prompts.toml");
respan::workflow!("workflows/respan_params.toml");
respan::workflow!("tests/fixtures/greeter.toml");

/// `[vars]` defaults: `Default` when every variable has one, `Vars::new` with
/// the others when some do.
#[test]
// `..Default::default()` with every field set: what users write so that
// their code keeps compiling when the file adds a variable with a default.
#[allow(clippy::needless_update)]
fn template_variable_defaults() {
    assert_eq!(support::Vars::default().product, "Respan");
    let acme = support::Vars {
        product: "Acme".into(),
        ..Default::default()
    };
    let workflow = support::Workflow::new(acme);
    let technical = workflow.agents().get(&support::Agent::Technical).unwrap();
    assert_eq!(
        technical.instructions_text(),
        Some("Handle technical support questions for Acme.")
    );

    let vars = greeter::Vars::new("Ada");
    assert_eq!(
        (vars.tone.as_str(), vars.product.as_str()),
        ("friendly", "Respan")
    );
    let workflow = greeter::Workflow::new(greeter::Vars {
        tone: "formal".into(),
        ..greeter::Vars::new("Ada")
    });
    let agent = workflow.agents().get(&greeter::Agent::Greeter).unwrap();
    assert_eq!(
        agent.instructions_text(),
        Some("Greet Ada in a formal tone on behalf of Respan.")
    );
}

#[test]
fn generated_types() {
    assert_eq!(
        support::Agent::ALL,
        [
            support::Agent::Triage,
            support::Agent::Billing,
            support::Agent::Technical
        ]
    );
    assert_eq!(support::Agent::ENTRY, support::Agent::Triage);
    assert_eq!(support::Agent::Technical.id(), "technical");
    assert_eq!(
        support::Agent::from_id("billing"),
        Some(support::Agent::Billing)
    );
    assert_eq!(support::Agent::from_id("nope"), None);
    assert_eq!(support::Agent::Technical.name(), "Technical Agent");
    assert_eq!(
        support::Agent::Triage.handoffs(),
        &[support::Agent::Billing, support::Agent::Technical]
    );
    assert_eq!(
        support::Agent::from(support::TriageHandoff::Billing),
        support::Agent::Billing
    );
    assert_eq!(
        support::TriageHandoff::try_from(support::Agent::Triage),
        Err(support::Agent::Triage)
    );

    let workflow = support::Workflow::new(support::Vars {
        product: "Respan".into(),
    });
    let technical = workflow.agents().get(&support::Agent::Technical).unwrap();
    assert_eq!(
        technical.instructions_text(),
        Some("Handle technical support questions for Respan.")
    );
    assert_eq!(technical.model_name(), Some("gpt-4o"));

    let params = respan_params::Workflow::new(respan_params::Vars {});
    let tracked = params.agents().get(&respan_params::Agent::Tracked).unwrap();
    assert_eq!(
        tracked
            .respan_params()
            .unwrap()
            .customer_identifier
            .as_deref(),
        Some("user_123")
    );

    let prompts = prompts::Workflow::new(prompts::Vars::default());
    let agent = prompts.agents().get(&prompts::Agent::PromptAgent).unwrap();
    assert_eq!(agent.gateway_prompt().unwrap().prompt_id, "YOUR_PROMPT_ID");

    let switched = switch_models::Workflow::new(switch_models::Vars {})
        .with_agent(switch_models::Agent::Assistant, |agent| {
            agent.model("claude-sonnet-4-5-20250929")
        });
    let assistant = switched
        .agents()
        .get(&switch_models::Agent::Assistant)
        .unwrap();
    assert_eq!(assistant.model_name(), Some("claude-sonnet-4-5-20250929"));
    let _ = quickstart::Workflow::new(quickstart::Vars {});
}

#[tokio::test]
async fn support_runs_offline_and_last_agent_is_the_enum() {
    let gateway = respan::OfflineGateway::start().await.unwrap();
    let workflow = support::Workflow::new(support::Vars {
        product: "Respan".into(),
    });
    let run = workflow
        .run(&gateway, "I'm having trouble connecting to the API.")
        .await
        .unwrap();
    let handled_by = match run.last_agent {
        support::Agent::Technical => "technical",
        support::Agent::Billing => "billing",
        support::Agent::Triage => "triage",
    };
    assert!(!run.final_output.is_empty());
    assert!(
        run.usage_by_agent.get(&run.last_agent).is_some(),
        "{handled_by}"
    );
}

#[tokio::test]
async fn support_streams_offline() {
    let gateway = respan::OfflineGateway::start().await.unwrap();
    let workflow = support::Workflow::new(support::Vars {
        product: "Respan".into(),
    });
    let run = workflow
        .run_streamed(&gateway, "My invoice is wrong: billing question.")
        .into_result()
        .await
        .unwrap();
    assert!(support::Agent::ALL.contains(&run.last_agent));
    assert!(format!("{workflow:?}").contains("Triage Agent"));
}

#[tokio::test]
async fn support_continues_a_conversation_in_a_session() {
    use respan::{InputItem, MemorySession, Session};
    let gateway = respan::OfflineGateway::start().await.unwrap();
    let workflow = support::Workflow::new(support::Vars::default());
    let session = MemorySession::new("customer-1");
    let first = workflow
        .run_in_session(
            &gateway,
            &session,
            "I'm having trouble connecting to the API.",
        )
        .await
        .unwrap();
    let after_first = session.get_items(None).await.unwrap();
    assert_eq!(after_first, first.to_input_list());
    // Streamed, the second turn is sent after the first and appended when it completes.
    let second = workflow
        .run_streamed_in_session(&gateway, &session, "It still fails.")
        .into_result()
        .await
        .unwrap();
    let after_second = session.get_items(None).await.unwrap();
    assert_eq!(after_second, second.to_input_list());
    assert!(after_second.starts_with(&after_first));
    let users = after_second
        .iter()
        .filter(|item| matches!(item, InputItem::User { .. }))
        .count();
    assert_eq!(users, 2);
}

/// Generated modules are fully documented: they compile under `deny(missing_docs)`.
#[deny(missing_docs)]
pub mod documented {
    respan::workflow!("workflows/support.toml");
    respan::workflow!("workflows/prompts.toml");
}

/// Every field of the format, compiled against the runtime's real types.
mod everything_fields {
    respan::workflow!("tests/fixtures/everything.toml");

    /// Finds an invoice (the file's description overrides this).
    #[respan::respan_tool]
    fn lookup_invoice(id: String) -> String {
        id
    }

    #[test]
    fn every_field_reaches_the_runtime_agent() {
        use everything::{Agent, Vars, Workflow};
        let workflow = Workflow::new(Vars {
            user: "Ada".into(),
            plan: "pro".into(),
        });
        assert_eq!(workflow.agents().max_turns_value(), 5);
        let triage = workflow.agents().get(&Agent::Triage).unwrap();
        assert_eq!(
            triage.instructions_text(),
            Some("Route Ada to the right agent.")
        );
        let settings = triage.settings();
        assert_eq!(settings.temperature, Some(0.5));
        assert_eq!(settings.max_tokens, Some(400));
        assert_eq!(settings.seed, Some(-7));
        assert_eq!(
            settings.stop.as_deref(),
            Some(&["END".to_string(), "STOP".to_string()][..])
        );
        assert_eq!(
            settings.extra_headers,
            vec![("X-Team".to_string(), "support".to_string())]
        );
        assert_eq!(
            settings.extra_body["nested"]["list"][1],
            serde_json::json!(2.5)
        );
        assert!(
            matches!(&settings.tool_choice, Some(respan::ToolChoice::Function(name)) if name == "lookup_invoice")
        );

        let billing = workflow.agents().get(&Agent::Billing).unwrap();
        assert_eq!(
            billing.instructions_text(),
            Some("Handle billing for Ada on the PRO plan.")
        );
        let params = billing.respan_params().unwrap();
        assert_eq!(params.cache_ttl, Some(600));
        assert_eq!(params.placement, respan::Placement::Header);
        assert_eq!(params.metadata["attempt"], serde_json::json!(2));
        assert_eq!(params.extra["prompt_group"], serde_json::json!("support"));

        let technical = workflow.agents().get(&Agent::Technical).unwrap();
        let prompt = technical.gateway_prompt().unwrap();
        assert_eq!(
            (prompt.prompt_id.as_str(), prompt.schema_version),
            ("prompt_42", 1)
        );
        assert_eq!(prompt.placement, respan::Placement::RespanParams);
        let output = technical.output_type().unwrap();
        assert_eq!(output.name(), "final_output");
        assert_eq!(output.schema()["required"], serde_json::json!(["answer"]));
        assert!(technical.settings().response_format.is_none());

        let tool = &triage.tools()[0];
        assert_eq!(tool.name(), "lookup_invoice");
        assert_eq!(tool.description(), "Look up an invoice by id.");
        assert_eq!(tool.parameters()["required"], serde_json::json!(["id"]));
        assert!(tool.validate().is_ok(), "{:?}", tool.validate());
    }
}

#[tokio::test]
async fn a_compiled_workflow_runs_with_the_runner_it_is_given() {
    let gateway = respan::OfflineGateway::start().await.expect("offline");
    // The support workflow needs two model requests (triage, then technical).
    let workflow = support::Workflow::new(support::Vars::default())
        .with_runner(respan::Runner::new().max_turns(1));
    let error = workflow
        .run(&gateway, "I'm having trouble connecting to the API.")
        .await
        .expect_err("one model request is not enough");
    assert!(
        matches!(error, respan::Error::MaxTurnsExceeded { .. }),
        "{error:?}"
    );
    let plain = support::Workflow::new(support::Vars::default());
    let result = plain
        .run(&gateway, "I'm having trouble connecting to the API.")
        .await
        .expect("the default runner");
    assert_eq!(result.last_agent, support::Agent::Technical);
}

/// Hooks given through `with_runner` fire on every run of a compiled workflow,
/// plain and streamed, and see its typed `Agent` keys.
#[tokio::test]
async fn a_compiled_workflow_runs_with_hooks_from_with_runner() {
    use respan::{Agent, HookResult, RunContext, RunHooks, async_trait};
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Keys(Arc<Mutex<Vec<String>>>);
    #[async_trait]
    impl RunHooks<support::Agent> for Keys {
        async fn on_agent_start(
            &self,
            _run: &RunContext<'_, ()>,
            agent: &Agent<support::Agent>,
        ) -> HookResult {
            self.0
                .lock()
                .unwrap()
                .push(format!("start {:?}", agent.key()));
            Ok(())
        }
        async fn on_handoff(
            &self,
            _run: &RunContext<'_, ()>,
            from: &Agent<support::Agent>,
            to: &Agent<support::Agent>,
        ) -> HookResult {
            self.0
                .lock()
                .unwrap()
                .push(format!("handoff {:?} -> {:?}", from.key(), to.key()));
            Ok(())
        }
    }

    let gateway = respan::OfflineGateway::start().await.expect("offline");
    let keys = Keys::default();
    let workflow = support::Workflow::new(support::Vars::default())
        .with_runner(respan::Runner::new().hooks(keys.clone()));
    let question = "I'm having trouble connecting to the API.";
    let result = workflow.run(&gateway, question).await.expect("a run");
    assert_eq!(result.last_agent, support::Agent::Technical);
    let expected = [
        "start Triage",
        "handoff Triage -> Technical",
        "start Technical",
    ];
    assert_eq!(*keys.0.lock().unwrap(), expected);

    keys.0.lock().unwrap().clear();
    let streamed = workflow
        .run_streamed(&gateway, question)
        .into_result()
        .await;
    assert_eq!(
        streamed.expect("a streamed run").last_agent,
        support::Agent::Technical
    );
    assert_eq!(*keys.0.lock().unwrap(), expected);
}
