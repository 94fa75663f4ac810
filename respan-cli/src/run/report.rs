//! `respan run --json`: a run's result as one JSON object.
//!
//! ```json
//! {
//!   "workflow": "support",
//!   "offline": true,
//!   "final_output": "...",
//!   "output": null,
//!   "last_agent": { "id": "technical", "name": "Technical Agent" },
//!   "items": [ { "type": "handoff_call", "agent": "triage", ... }, ... ],
//!   "usage": { "requests": 2, "input_tokens": .., "output_tokens": .., "total_tokens": ..,
//!              "by_agent": [ { "id": "triage", "name": "Triage Agent", "requests": 1, .. } ] }
//! }
//! ```

use respan_runtime::{AgentSet, RunItem, RunResult, Usage};
use serde_json::{Value, json};

/// The result, with agent names from `agents` and the workflow's name.
pub(crate) fn result_json(
    workflow: &str,
    offline: bool,
    result: &RunResult<String>,
    agents: &AgentSet<String>,
) -> Value {
    let name = |id: &String| agents.get(id).map(|agent| agent.name().to_string());
    let by_agent: Vec<Value> = result
        .usage_by_agent
        .iter()
        .map(|(id, usage)| {
            let mut entry = json!({ "id": id, "name": name(id) });
            if let (Some(entry), Value::Object(usage)) = (entry.as_object_mut(), usage_json(usage))
            {
                entry.extend(usage);
            }
            entry
        })
        .collect();
    let mut usage = usage_json(&result.usage);
    usage["by_agent"] = Value::Array(by_agent);
    json!({
        "workflow": workflow,
        "offline": offline,
        "final_output": result.final_output,
        "output": result.output_value,
        "last_agent": { "id": result.last_agent, "name": result.last_agent_name },
        "items": result.new_items.iter().map(item_json).collect::<Vec<_>>(),
        "usage": usage,
    })
}

fn usage_json(usage: &Usage) -> Value {
    json!({
        "requests": usage.requests,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
    })
}

/// Tool arguments as JSON when they are (the model may send anything).
fn arguments(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::from(text))
}

fn item_json(item: &RunItem<String>) -> Value {
    match item {
        RunItem::Message { agent, content } => json!({
            "type": "message", "agent": agent, "content": content,
        }),
        RunItem::ToolCall { agent, call } => json!({
            "type": "tool_call", "agent": agent, "call_id": call.id,
            "name": call.function.name, "arguments": arguments(&call.function.arguments),
        }),
        RunItem::ToolOutput {
            agent,
            call_id,
            output,
        } => json!({
            "type": "tool_output", "agent": agent, "call_id": call_id, "output": output,
        }),
        RunItem::HandoffCall { agent, call } => json!({
            "type": "handoff_call", "agent": agent, "call_id": call.id, "name": call.function.name,
        }),
        RunItem::HandoffOutput {
            source,
            target,
            call_id,
            output,
        } => json!({
            "type": "handoff", "source": source, "target": target, "call_id": call_id,
            "output": output,
        }),
    }
}
