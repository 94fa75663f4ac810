//! The offline gateway's answers: text that says it is the offline gateway (with
//! the model, the agent, what the tools returned, and the Respan params and
//! prompt it received), or a value of the requested structured-output schema
//! whose free-text fields say the same.

use serde_json::{Value, json};

use super::conversation::{Conversation, Format, HANDOFF_PREFIX, text_of};
use super::hints::Hints;
use super::schema_value::{Purpose, value_for};

/// The final answer, in the requested `response_format`.
pub(crate) fn final_answer(c: &Conversation<'_>) -> String {
    match c.format() {
        Format::Text => text_answer(c),
        Format::JsonObject => json!({"answer": prose(c)}).to_string(),
        Format::JsonSchema(schema) => {
            let prose = prose(c);
            value_for(
                schema,
                &mut Hints::new(&c.question()),
                &Purpose::Answer { prose: &prose },
            )
            .to_string()
        }
    }
}

/// `[respan offline gateway · model M · agent A] ` and what it has to say.
fn prose(c: &Conversation<'_>) -> String {
    let agent = match c.agent {
        Some(name) => format!("agent {name}"),
        None => current_agent(c.messages),
    };
    format!(
        "[respan offline gateway · model {} · {agent}] {}",
        c.model,
        says(c)
    )
}

/// What the tools returned since the question, else what the user said.
fn says(c: &Conversation<'_>) -> String {
    let results: Vec<String> = c
        .tool_results()
        .into_iter()
        .filter(|r| !r.name.starts_with(HANDOFF_PREFIX) && !is_handoff_output(&r.output))
        .map(|r| format!("{} returned {}", r.name, shown(&r.output)))
        .collect();
    if !results.is_empty() {
        return format!("{}.", results.join("; "));
    }
    if c.last_role() == Some("tool") {
        return format!(
            "I took over the conversation. About {}: a real model would answer here.",
            quote(&c.question(), 120)
        );
    }
    let said = c.messages.last().map(text_of).unwrap_or_default();
    format!(
        "You said {}; a real model would answer here.",
        quote(&said, 120)
    )
}

/// A tool's output as the answer shows it: JSON as JSON, text in quotes.
fn shown(output: &str) -> String {
    match serde_json::from_str::<Value>(output) {
        Ok(value @ (Value::Object(_) | Value::Array(_))) => {
            crate::error::truncate(&value.to_string(), 300)
        }
        _ => quote(output, 200),
    }
}

/// The runtime answers a handoff with `{"assistant": "<name>"}`.
fn is_handoff_output(output: &str) -> bool {
    serde_json::from_str::<Value>(output)
        .ok()
        .is_some_and(|v| v.get("assistant").is_some())
}

fn quote(text: &str, max: usize) -> String {
    format!("“{}”", crate::error::truncate(text.trim(), max))
}

/// Fields the Respan gateway reads at the top level of the body.
const RESPAN_FIELDS: &[&str] = &[
    "customer_identifier",
    "metadata",
    "thread_identifier",
    "fallback_models",
    "customer_params",
    "cache_enabled",
    "cache_ttl",
    "cache_options",
    "disable_log",
];

/// The text answer: [`prose`], the Respan params and prompt received, and how
/// to use the real gateway.
fn text_answer(c: &Conversation<'_>) -> String {
    let mut out = prose(c);
    let body = c.body;
    let mut received = Vec::new();
    let top: Vec<String> = RESPAN_FIELDS
        .iter()
        .filter_map(|k| body.get(*k).map(|v| format!("{k}={v}")))
        .collect();
    if !top.is_empty() {
        received.push(format!("Respan params in the body: {}", top.join(", ")));
    }
    // Nested params and the header's JSON are read the same way; their prompt is shown below.
    let places = [
        ("respan_params", body.get("respan_params")),
        ("the X-Data-Respan-Params header", c.header),
    ];
    for (place, params) in places {
        let Some(params) = params.and_then(Value::as_object) else {
            continue;
        };
        let fields: Vec<String> = params
            .iter()
            .filter(|(k, _)| *k != "prompt")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !fields.is_empty() {
            received.push(format!("Respan params in {place}: {}", fields.join(", ")));
        }
    }
    let prompts = [
        ("the body", body.get("prompt")),
        (
            "respan_params",
            body.get("respan_params").and_then(|p| p.get("prompt")),
        ),
        (
            "the X-Data-Respan-Params header",
            c.header.and_then(|h| h.get("prompt")),
        ),
    ];
    for (place, prompt) in prompts {
        if let Some(prompt) = prompt {
            received.push(format!("prompt in {place}: {prompt}"));
        }
    }
    if !received.is_empty() {
        out.push_str(&format!(" Received {}.", received.join("; ")));
    }
    out.push_str(" Set RESPAN_API_KEY to use the real gateway.");
    out
}

/// Without the runtime's agent header (another client): the target of the last
/// handoff (its tool result is `{"assistant": "<name>"}`), else described by its
/// instructions.
fn current_agent(messages: &[Value]) -> String {
    let handed_to = messages.iter().rev().find_map(|m| {
        if m.get("role").and_then(Value::as_str) != Some("tool") {
            return None;
        }
        let v: Value = serde_json::from_str(&text_of(m)).ok()?;
        v.get("assistant")?.as_str().map(str::to_string)
    });
    if let Some(name) = handed_to {
        return format!("agent {name}");
    }
    match messages
        .first()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("system"))
    {
        Some(system) => format!("agent instructed {}", quote(&text_of(system), 60)),
        None => "an agent without instructions".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_json_outputs_as_json_and_text_in_quotes() {
        assert_eq!(
            shown(r#"{"id": "42", "total": 10}"#),
            r#"{"id":"42","total":10}"#
        );
        assert_eq!(shown("  Sunny in Paris "), "“Sunny in Paris”");
        assert_eq!(shown("42"), "“42”");
        assert!(shown(&"x".repeat(1000)).chars().count() < 210);
    }

    #[test]
    fn names_the_agent_without_the_header() {
        let handed = [
            json!({"role": "system", "content": "Be terse."}),
            json!({"role": "tool", "tool_call_id": "c", "content": "{\"assistant\": \"Billing Agent\"}"}),
        ];
        assert_eq!(current_agent(&handed), "agent Billing Agent");
        assert_eq!(current_agent(&handed[..1]), "agent instructed “Be terse.”");
        assert_eq!(current_agent(&[]), "an agent without instructions");
    }
}
