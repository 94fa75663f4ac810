//! The benchmark scenarios, each as a respan agent set and as the raw loop's
//! description of the same agents (the same request bytes).

use std::sync::{LazyLock, Mutex};

use respan_runtime::{Agent, AgentSet, FunctionTool, ToolError};
use serde_json::{Value, json};

/// The user's question in every scenario.
pub const QUESTION: &str = "I'm having trouble connecting to the API.";
/// Bytes of each `fetch_page` result in the long tool loop.
pub const PAGE_BYTES: usize = 4096;
/// Requests of the long tool loop (the fake gateway's script: 49 calls, then the answer).
pub const LOOP_TURNS: usize = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// One agent answers (1 request).
    OneAgent,
    /// Triage hands off to the technical agent, which answers (2 requests).
    Handoff,
    /// The agent calls `get_weather`, then answers (2 requests).
    Tool,
    /// The handoff, streamed (2 streamed requests).
    StreamedHandoff,
    /// 49 `fetch_page` calls of 4 KB each, then the answer (50 requests).
    LongLoop,
}

impl Scenario {
    pub const ALL: [Scenario; 5] = [
        Scenario::OneAgent,
        Scenario::Handoff,
        Scenario::Tool,
        Scenario::StreamedHandoff,
        Scenario::LongLoop,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::OneAgent => "one-agent",
            Scenario::Handoff => "handoff",
            Scenario::Tool => "tool",
            Scenario::StreamedHandoff => "streamed-handoff",
            Scenario::LongLoop => "long-loop",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn streamed(self) -> bool {
        self == Scenario::StreamedHandoff
    }

    /// The agent that gives the final answer.
    pub fn last_agent(self) -> &'static str {
        match self {
            Scenario::OneAgent => "Assistant",
            Scenario::Handoff | Scenario::StreamedHandoff => "Technical Agent",
            Scenario::Tool => "Weather Agent",
            Scenario::LongLoop => "Researcher",
        }
    }
}

/// CPU time stamps taken by `fetch_page` (one per tool call): the long tool
/// loop's per-turn cost is the difference between consecutive stamps.
pub static TURN_MARKS: Mutex<Vec<u64>> = Mutex::new(Vec::new());

static PAGE: LazyLock<String> = LazyLock::new(|| {
    let line = "Respan routes each request to the model you name, logs it, and retries on 429. ";
    line.repeat(PAGE_BYTES / line.len() + 1)[..PAGE_BYTES].to_string()
});

/// The long loop's tool, shared by respan and the raw loop: a 4 KB page.
pub fn fetch_page(_args: &Value) -> String {
    TURN_MARKS
        .lock()
        .expect("marks")
        .push(respan_bench::process_cpu_ns());
    PAGE.clone()
}

/// The tool scenario's tool, shared by respan and the raw loop.
pub fn get_weather(args: &Value) -> String {
    let city = args["city"].as_str().unwrap_or("nowhere");
    format!("Sunny, 22 °C in {city}.")
}

fn weather_schema() -> Value {
    json!({"type": "object", "properties": {"city": {"type": "string"}},
        "required": ["city"], "additionalProperties": false})
}

fn page_schema() -> Value {
    json!({"type": "object", "properties": {"page": {"type": "integer"}},
        "required": ["page"], "additionalProperties": false})
}

const WEATHER_DESCRIPTION: &str = "Current weather in a city.";
const PAGE_DESCRIPTION: &str = "Fetches one page of the document.";

/// The scenario as respan agents.
pub fn respan_agents(scenario: Scenario) -> AgentSet {
    match scenario {
        Scenario::OneAgent => AgentSet::new("Assistant".to_string()).agent(
            Agent::named("Assistant")
                .instructions("You are a helpful assistant.")
                .model("gpt-4o"),
        ),
        Scenario::Handoff | Scenario::StreamedHandoff => AgentSet::new("Triage Agent".to_string())
            .agent(
                Agent::named("Triage Agent")
                    .instructions("Route to the appropriate agent based on the question.")
                    .model("gpt-4o")
                    .handoffs(["Billing Agent".to_string(), "Technical Agent".to_string()]),
            )
            .agent(
                Agent::named("Billing Agent")
                    .instructions("Handle billing and payment questions.")
                    .handoff_description("Billing and payment questions")
                    .model("gpt-4o"),
            )
            .agent(
                Agent::named("Technical Agent")
                    .instructions("Handle technical support questions.")
                    .handoff_description("Technical support and API problems")
                    .model("gpt-4o"),
            ),
        Scenario::Tool => AgentSet::new("Weather Agent".to_string()).agent(
            Agent::named("Weather Agent")
                .instructions("Answer questions about the weather.")
                .model("gpt-4o")
                .tool(FunctionTool::sync(
                    "get_weather",
                    WEATHER_DESCRIPTION,
                    weather_schema(),
                    |args| Ok::<_, ToolError>(get_weather(&args)),
                )),
        ),
        Scenario::LongLoop => AgentSet::new("Researcher".to_string())
            .max_turns(LOOP_TURNS as u32 + 10)
            .agent(
                Agent::named("Researcher")
                    .instructions("Read the document page by page, then answer.")
                    .model("gpt-4o")
                    .tool(FunctionTool::sync(
                        "fetch_page",
                        PAGE_DESCRIPTION,
                        page_schema(),
                        |args| Ok::<_, ToolError>(fetch_page(&args)),
                    )),
            ),
    }
}

/// What the raw loop does with a call: run a tool, or hand off to an agent.
pub enum RawCall {
    Tool(fn(&Value) -> String),
    Handoff { target: usize, output: String },
}

/// One agent as the raw loop sees it: its system message, its `tools` array
/// (exactly the JSON respan sends) and what each tool name does.
pub struct RawAgent {
    pub name: &'static str,
    pub system: &'static str,
    pub tools: Option<Value>,
    pub calls: Vec<(&'static str, RawCall)>,
}

fn function(name: &str, description: &str, parameters: Value) -> Value {
    json!({"type": "function", "function": {"name": name, "description": description,
        "parameters": parameters, "strict": true}})
}

fn handoff_tool(name: &str, description: &str) -> Value {
    function(
        &respan_runtime::handoff_tool_name(name),
        &format!("Handoff to the {name} agent to handle the request. {description}"),
        json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false}),
    )
}

/// What the model is told after a handoff (the SDK's `json.dumps`, with its spaces).
fn handoff_output(name: &str) -> String {
    format!(r#"{{"assistant": "{name}"}}"#)
}

/// The scenario for the raw loop: its agents, the entry agent first.
pub fn raw_agents(scenario: Scenario) -> Vec<RawAgent> {
    match scenario {
        Scenario::OneAgent => vec![RawAgent {
            name: "Assistant",
            system: "You are a helpful assistant.",
            tools: None,
            calls: Vec::new(),
        }],
        Scenario::Handoff | Scenario::StreamedHandoff => vec![
            RawAgent {
                name: "Triage Agent",
                system: "Route to the appropriate agent based on the question.",
                tools: Some(json!([
                    handoff_tool("Billing Agent", "Billing and payment questions"),
                    handoff_tool("Technical Agent", "Technical support and API problems"),
                ])),
                calls: vec![
                    (
                        "transfer_to_billing_agent",
                        RawCall::Handoff {
                            target: 1,
                            output: handoff_output("Billing Agent"),
                        },
                    ),
                    (
                        "transfer_to_technical_agent",
                        RawCall::Handoff {
                            target: 2,
                            output: handoff_output("Technical Agent"),
                        },
                    ),
                ],
            },
            RawAgent {
                name: "Billing Agent",
                system: "Handle billing and payment questions.",
                tools: None,
                calls: Vec::new(),
            },
            RawAgent {
                name: "Technical Agent",
                system: "Handle technical support questions.",
                tools: None,
                calls: Vec::new(),
            },
        ],
        Scenario::Tool => vec![RawAgent {
            name: "Weather Agent",
            system: "Answer questions about the weather.",
            tools: Some(json!([function(
                "get_weather",
                WEATHER_DESCRIPTION,
                weather_schema()
            )])),
            calls: vec![("get_weather", RawCall::Tool(get_weather))],
        }],
        Scenario::LongLoop => vec![RawAgent {
            name: "Researcher",
            system: "Read the document page by page, then answer.",
            tools: Some(json!([function(
                "fetch_page",
                PAGE_DESCRIPTION,
                page_schema()
            )])),
            calls: vec![("fetch_page", RawCall::Tool(fetch_page))],
        }],
    }
}
