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
    let agent = current_agent(c.messages);
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
        Ok(value @ (Value::Object(_) | Value::Array(_))) => truncate(&value.to_string(), 300),
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
    format!("“{}”", truncate(text.trim(), max))
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

/// Which agent is speaking, as a model would know it from the request: the
/// target of the last handoff (the runtime answers a `transfer_to_...` call with
/// `{"assistant": "<name>"}`), else the agent described by the first sentence of
/// its instructions (the entry agent's name is not in the request).
fn current_agent(messages: &[Value]) -> String {
    let handed_to = messages.iter().rev().find_map(|m| {
        if m.get("role").and_then(Value::as_str) != Some("tool") || !answers_a_handoff(messages, m)
        {
            return None;
        }
        let v: Value = serde_json::from_str(&text_of(m)).ok()?;
        v.get("assistant")?.as_str().map(str::to_string)
    });
    if let Some(name) = handed_to {
        return format!("agent {name}");
    }
    let instructions = messages
        .first()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("system"))
        .map(text_of)
        .unwrap_or_default();
    match first_sentence(&instructions) {
        "" => "an agent without instructions".to_string(),
        sentence => format!("agent instructed {}", quote(sentence, 60)),
    }
}

/// Whether the tool message `m` answers a handoff call (or a call the history
/// does not show, e.g. trimmed by the client).
fn answers_a_handoff(messages: &[Value], m: &Value) -> bool {
    let Some(id) = m.get("tool_call_id").and_then(Value::as_str) else {
        return true;
    };
    let name = messages
        .iter()
        .filter_map(|m| m.get("tool_calls").and_then(Value::as_array))
        .flatten()
        .find(|call| call.get("id").and_then(Value::as_str) == Some(id))
        .and_then(|call| call.get("function")?.get("name")?.as_str());
    name.is_none_or(|name| name.starts_with(HANDOFF_PREFIX))
}

/// The first sentence (or line) of `text`, with its final punctuation.
fn first_sentence(text: &str) -> &str {
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|&(i, c)| {
            c == '\n'
                || (matches!(c, '.' | '!' | '?')
                    && text[i + c.len_utf8()..]
                        .chars()
                        .next()
                        .is_none_or(char::is_whitespace))
        })
        .map_or(
            text.len(),
            |(i, c)| if c == '\n' { i } else { i + c.len_utf8() },
        );
    text[..end].trim()
}

/// `text` cut to at most `max` bytes, on a character boundary, with `…` when cut
/// (the runtime's error messages cut the same way).
fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
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
    fn names_the_agent_from_the_request() {
        let handed = [
            json!({"role": "system", "content": "Be terse. Answer in French.\nNever guess."}),
            json!({"role": "assistant", "tool_calls": [
                {"id": "h", "function": {"name": "transfer_to_billing_agent"}},
                {"id": "f", "function": {"name": "lookup"}}]}),
            json!({"role": "tool", "tool_call_id": "h", "content": "{\"assistant\": \"Billing Agent\"}"}),
            json!({"role": "tool", "tool_call_id": "f", "content": "{\"assistant\": \"not an agent\"}"}),
        ];
        assert_eq!(current_agent(&handed), "agent Billing Agent");
        assert_eq!(current_agent(&handed[..1]), "agent instructed “Be terse.”");
        let of = |system: &str| current_agent(&[json!({"role": "system", "content": system})]);
        assert_eq!(
            of("v1.2 rules apply"),
            "agent instructed “v1.2 rules apply”"
        );
        assert_eq!(of("First line\nsecond"), "agent instructed “First line”");
        assert_eq!(
            of(&"é".repeat(100)).chars().count(),
            "agent instructed “”…".chars().count() + 30
        );
        assert_eq!(of("  "), "an agent without instructions");
        assert_eq!(current_agent(&[]), "an agent without instructions");
    }
}
