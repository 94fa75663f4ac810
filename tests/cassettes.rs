//! The Respan guide's scenarios (the examples), replayed from the cassettes in
//! `tests/cassettes/` that `scripts/record-cassettes.sh` records against the
//! offline gateway (`RESPAN_RECORD=tests/cassettes/support.jsonl cargo run
//! --example support`). Each example's own code runs on a replaying gateway and
//! must send exactly the recorded requests: every exchange is served, no request
//! is missing from the cassette. A change to what an example (or the runtime)
//! sends fails here, naming the field, until the cassettes are recorded again.

use std::path::PathBuf;

use respan::{Error, Gateway};

// Each example, as a module: its `scenario(&gateway)` is what its `main` runs.
#[allow(dead_code)]
#[path = "../examples/agents_in_rust.rs"]
mod example_agents_in_rust;
#[allow(dead_code)]
#[path = "../examples/prompts.rs"]
mod example_prompts;
#[allow(dead_code)]
#[path = "../examples/quickstart.rs"]
mod example_quickstart;
#[allow(dead_code)]
#[path = "../examples/respan_params.rs"]
mod example_respan_params;
#[allow(dead_code)]
#[path = "../examples/streaming.rs"]
mod example_streaming;
#[allow(dead_code)]
#[path = "../examples/structured_output.rs"]
mod example_structured_output;
#[allow(dead_code)]
#[path = "../examples/support.rs"]
mod example_support;
#[allow(dead_code)]
#[path = "../examples/switch_models.rs"]
mod example_switch_models;
#[allow(dead_code)]
#[path = "../examples/tools.rs"]
mod example_tools;

fn cassette(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cassettes")
        .join(format!("{name}.jsonl"))
}

/// Replays an example's cassette through the example's own scenario.
macro_rules! replays {
    ($test:ident, $module:ident, $name:literal $(, $arg:expr)*) => {
        #[tokio::test]
        async fn $test() {
            let path = cassette($name);
            let gateway = Gateway::replay(&path).unwrap_or_else(|e| panic!("{e}"));
            let recorded = gateway.replay_remaining().unwrap();
            $module::scenario(&gateway $(, $arg)*)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(
                gateway.replay_remaining(),
                Some(0),
                "{}: the example made fewer requests than the {recorded} recorded; \
                 record it again (bash scripts/record-cassettes.sh {})",
                path.display(),
                $name
            );
        }
    };
}

replays!(support_replays, example_support, "support");
replays!(
    streaming_replays,
    example_streaming,
    "streaming",
    "I'm having trouble connecting to the API.".to_string()
);
replays!(prompts_replays, example_prompts, "prompts");
replays!(
    respan_params_replays,
    example_respan_params,
    "respan_params"
);
replays!(tools_replays, example_tools, "tools");
replays!(quickstart_replays, example_quickstart, "quickstart");
replays!(
    structured_output_replays,
    example_structured_output,
    "structured_output"
);
replays!(
    switch_models_replays,
    example_switch_models,
    "switch_models"
);
replays!(
    agents_in_rust_replays,
    example_agents_in_rust,
    "agents_in_rust"
);

#[test]
fn every_cassette_has_its_example_test() {
    let mut found: Vec<String> = std::fs::read_dir(cassette("x").parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut expected: Vec<String> = [
        "agents_in_rust",
        "prompts",
        "quickstart",
        "respan_params",
        "streaming",
        "structured_output",
        "support",
        "switch_models",
        "tools",
    ]
    .iter()
    .map(|name| format!("{name}.jsonl"))
    .collect();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn no_cassette_holds_a_key_or_an_authorization_header() {
    for entry in std::fs::read_dir(cassette("x").parent().unwrap()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap().to_lowercase();
        for secret in ["authorization", "bearer", "sk-"] {
            assert!(!text.contains(secret), "{}: {secret}", path.display());
        }
    }
}

respan::workflow!("workflows/support.toml");

#[tokio::test]
async fn changing_an_agents_instructions_fails_naming_messages_0_content() {
    let path = cassette("support");
    let gateway = Gateway::replay(&path).unwrap();
    // The support example's run, with the triage agent's instructions changed.
    let workflow = support::Workflow::new(support::Vars {
        product: "Respan".into(),
    })
    .with_agent(support::Agent::Triage, |agent| {
        agent.instructions("Send every question to billing.")
    });
    let error = workflow
        .run(&gateway, "I'm having trouble connecting to the API.")
        .await
        .unwrap_err();
    let Error::ReplayMismatch {
        field,
        recorded,
        sent,
        line,
        ..
    } = &error
    else {
        panic!("expected a mismatch, got {error:?}");
    };
    assert_eq!(field, "messages[0].content", "{error}");
    assert_eq!(sent, "\"Send every question to billing.\"");
    assert!(
        recorded.starts_with("\"Route to the appropriate agent"),
        "{recorded}"
    );
    assert_eq!(*line, 1, "the nearest recorded request: the triage agent's");
    assert!(
        error.to_string().contains("`messages[0].content`"),
        "{error}"
    );
    assert_eq!(gateway.replay_remaining(), Some(2), "nothing was served");
}
