//! Helpers shared by the integration tests.
#![allow(dead_code)]

use respan_runtime::{Agent, AgentSet, FunctionTool, ToolError};
use serde_json::{Value, json};

/// A golden request of the Python Agents SDK (tests/golden/<scenario>/request-<n>.json).
pub fn golden(scenario: &str, n: usize) -> Value {
    let path = format!(
        "{}/tests/golden/{scenario}/request-{n}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The golden body without what the SDK adds only because no model was named
/// (`reasoning_effort`, `verbosity`: its own default model's settings).
pub fn golden_body(scenario: &str, n: usize) -> Value {
    let mut body = golden(scenario, n)["body"].clone();
    if let Some(map) = body.as_object_mut() {
        map.remove("reasoning_effort");
        map.remove("verbosity");
    }
    body
}

/// The SDK's default model in the goldens; our tests make it the gateway's default.
pub const GOLDEN_MODEL: &str = "gpt-5.6-luna";

/// The guide's support agents (as the goldens' capture script builds them).
pub fn support_agents() -> AgentSet {
    AgentSet::new("Triage Agent".to_string())
        .agent(
            Agent::named("Triage Agent")
                .instructions("Route to the appropriate agent based on the question.")
                .handoffs(["Billing Agent".to_string(), "Technical Agent".to_string()]),
        )
        .agent(
            Agent::named("Billing Agent")
                .instructions("Handle billing and payment questions.")
                .handoff_description("Billing and payment questions"),
        )
        .agent(
            Agent::named("Technical Agent")
                .instructions("Handle technical support questions.")
                .handoff_description("Technical support and API problems"),
        )
}

/// The goldens' `get_weather` tool (schema as the SDK derives it from the Python function).
pub fn get_weather() -> FunctionTool {
    FunctionTool::sync(
        "get_weather",
        "Get the current weather for a city.",
        json!({
            "additionalProperties": false,
            "properties": {"city": {"description": "The city name.", "title": "City", "type": "string"}},
            "required": ["city"],
            "title": "get_weather_args",
            "type": "object"
        }),
        |args| {
            let city = args["city"]
                .as_str()
                .ok_or_else(|| ToolError::new("city must be a string"))?;
            Ok(format!("Sunny in {city}"))
        },
    )
}

/// The goldens' `get_time` tool.
pub fn get_time() -> FunctionTool {
    FunctionTool::sync(
        "get_time",
        "Get the local time in a city.",
        json!({
            "additionalProperties": false,
            "properties": {"city": {"title": "City", "type": "string"}},
            "required": ["city"],
            "title": "get_time_args",
            "type": "object"
        }),
        |args| Ok(format!("12:00 in {}", args["city"].as_str().unwrap_or("?"))),
    )
}
