//! The offline model's decision, from the request alone: hand the conversation
//! to another agent, call function tools (with arguments valid for their
//! schemas), or answer.
//!
//! - On the user's turn, a handoff whose target's name or description shares
//!   words with the message is called (`transfer_to_...`).
//! - While no offered function tool has answered since the user's message, the
//!   tools the message names are called, else the ones sharing most words with
//!   it (when they share more than the best handoff), else the first one offered
//!   (a model given one tool for a question usually uses it).
//! - Otherwise it answers ([`super::answer`]).
//!
//! `tool_choice` (`none`, `required`, a named tool) and `parallel_tool_calls:
//! false` are honoured; `required` never calls a tool twice for one question.

use super::answer;
use super::conversation::{Choice, Conversation, Offered};
use super::hints::Hints;
use super::schema_value::{Purpose, value_for};
use super::words::{keywords, overlap, tool_keywords};

/// What the offline model decided.
#[derive(Debug, PartialEq)]
pub(crate) enum Reply {
    /// Answer with this text (JSON text for structured output).
    Text(String),
    /// Call these tools: (name, JSON arguments).
    Calls(Vec<(String, String)>),
}

/// The reply to the request.
pub(crate) fn decide(c: &Conversation<'_>) -> Reply {
    match calls(c) {
        Some(calls) if !calls.is_empty() => Reply::Calls(calls),
        _ => Reply::Text(answer::final_answer(c)),
    }
}

/// Handoff arguments: the handoff tools take none.
const NO_ARGUMENTS: &str = "{}";

fn calls(c: &Conversation<'_>) -> Option<Vec<(String, String)>> {
    let choice = c.choice();
    if choice == Choice::None {
        return None;
    }
    let offered = c.offered();
    let (handoffs, functions): (Vec<&Offered>, Vec<&Offered>) =
        offered.iter().partition(|t| t.is_handoff());
    let question = c.question();
    let from_user = c.last_role() == Some("user");
    let results = c.tool_results();
    let answered = functions
        .iter()
        .any(|f| results.iter().any(|r| r.name == f.name));
    let call = |tool: &Offered| (tool.name.to_string(), arguments(tool, &question));

    if let Choice::Named(name) = choice {
        let tool = offered.iter().find(|t| t.name == name)?;
        return match (tool.is_handoff(), from_user, answered) {
            (true, true, _) => Some(vec![call(tool)]),
            (false, _, false) => Some(vec![call(tool)]),
            _ => None,
        };
    }
    // Handoffs route the user's message; after one, the new agent answers.
    let handoff = if from_user {
        best_handoff(&question, &handoffs)
    } else {
        None
    };
    if answered {
        return None;
    }
    let named = named_tools(&question, &functions);
    let (score, relevant) = relevant_tools(&question, &functions);
    let selected = match handoff {
        _ if !named.is_empty() => named,
        Some((handoff_score, name)) if handoff_score >= score => {
            // A handoff with a typed input gets a value of its schema; others `{}`.
            let tool = handoffs.iter().find(|h| h.name == name)?;
            return Some(vec![call(tool)]);
        }
        _ if !relevant.is_empty() => relevant,
        _ => functions.first().copied().into_iter().collect(),
    };
    if selected.is_empty() {
        // `required` with only handoffs and nothing matching: the first one.
        return (choice == Choice::Required && from_user)
            .then(|| handoffs.first().map(|h| call(h)).into_iter().collect());
    }
    let take = if c.parallel() { selected.len() } else { 1 };
    Some(selected.into_iter().take(take).map(call).collect())
}

/// Arguments for `tool`, valid for its parameters' schema, from the question
/// (always a JSON object, even for a schema that is not one).
fn arguments(tool: &Offered<'_>, question: &str) -> String {
    match value_for(
        tool.parameters,
        &mut Hints::new(question),
        &Purpose::Arguments,
    ) {
        value @ serde_json::Value::Object(_) => value.to_string(),
        _ => NO_ARGUMENTS.to_string(),
    }
}

/// The handoff whose target's name or description shares most words with the
/// message, with how many.
fn best_handoff<'a>(text: &str, handoffs: &[&Offered<'a>]) -> Option<(usize, &'a str)> {
    let said = keywords(text);
    let mut best: Option<(usize, &str)> = None;
    for handoff in handoffs {
        let target = handoff
            .name
            .strip_prefix(super::conversation::HANDOFF_PREFIX)
            .unwrap_or(handoff.name);
        // Drop the SDK's boilerplate ("Handoff to the X agent to handle the request.").
        let description = handoff
            .description
            .split_once("to handle the request.")
            .map_or(handoff.description, |(_, rest)| rest);
        let known = keywords(&format!("{} {description}", target.replace('_', " ")));
        let score = overlap(&said, &known);
        if score > 0 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, handoff.name));
        }
    }
    best
}

/// The tools the message names (`get_weather` or "get weather").
fn named_tools<'t, 'a>(text: &str, tools: &[&'t Offered<'a>]) -> Vec<&'t Offered<'a>> {
    let lower = text.to_lowercase();
    tools
        .iter()
        .copied()
        .filter(|t| {
            let name = t.name.to_lowercase();
            !name.is_empty() && (lower.contains(&name) || lower.contains(&name.replace('_', " ")))
        })
        .collect()
}

/// The tools whose name or description shares most words with the message
/// (all of those tied), with how many; none when no tool shares a word.
fn relevant_tools<'t, 'a>(text: &str, tools: &[&'t Offered<'a>]) -> (usize, Vec<&'t Offered<'a>>) {
    let said = tool_keywords(text);
    let scored: Vec<(usize, &Offered)> = tools
        .iter()
        .map(|t| {
            let known = tool_keywords(&format!("{} {}", t.name.replace('_', " "), t.description));
            (overlap(&said, &known), *t)
        })
        .collect();
    let best = scored.iter().map(|(s, _)| *s).max().unwrap_or(0);
    if best == 0 {
        return (0, Vec::new());
    }
    let tools = scored
        .into_iter()
        .filter(|(s, _)| *s == best)
        .map(|(_, t)| t)
        .collect();
    (best, tools)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn tool(name: &str, description: &str, parameters: Value) -> Value {
        json!({"type": "function", "function": {"name": name, "description": description, "parameters": parameters}})
    }

    fn handoff(name: &str, description: &str) -> Value {
        tool(
            name,
            &format!("Handoff to the X agent to handle the request. {description}"),
            json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false}),
        )
    }

    fn city() -> Value {
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": false})
    }

    fn weather() -> Value {
        tool("get_weather", "Get the current weather for a city.", city())
    }

    fn time() -> Value {
        tool("get_time", "Get the local time in a city.", city())
    }

    fn reply(mut body: Value) -> Reply {
        let messages = body["messages"].take();
        let messages = messages.as_array().cloned().unwrap_or_default();
        decide(&Conversation {
            body: &body,
            messages: &messages,
            model: "gpt-4o",
            header: None,
        })
    }

    fn user(text: &str) -> Value {
        json!([{"role": "system", "content": "Be helpful."}, {"role": "user", "content": text}])
    }

    fn calls(names: &[(&str, &str)]) -> Reply {
        Reply::Calls(
            names
                .iter()
                .map(|(n, a)| (n.to_string(), a.to_string()))
                .collect(),
        )
    }

    #[test]
    fn routes_by_words_of_the_target() {
        let tools = json!([
            handoff("transfer_to_billing_agent", "Billing and payment questions"),
            handoff(
                "transfer_to_technical_agent",
                "Technical support and API problems"
            ),
        ]);
        let route = |text: &str| reply(json!({"messages": user(text), "tools": tools}));
        assert_eq!(
            route("I'm having trouble connecting to the API."),
            calls(&[("transfer_to_technical_agent", "{}")])
        );
        assert_eq!(
            route("Why was I billed twice? My payment failed."),
            calls(&[("transfer_to_billing_agent", "{}")])
        );
        assert!(matches!(route("Hello there"), Reply::Text(_)));
    }

    #[test]
    fn a_handoff_with_a_typed_input_gets_a_value_of_its_schema() {
        let escalation = json!({"type": "object", "properties": {"reason": {"type": "string"}, "priority": {"type": "integer"}}, "required": ["reason", "priority"], "additionalProperties": false});
        let tools = json!([tool(
            "transfer_to_billing_agent",
            "Handoff to the Billing Agent agent to handle the request. Billing and refunds",
            escalation
        )]);
        let Reply::Calls(calls) =
            reply(json!({"messages": user("I want a refund of my billing."), "tools": tools}))
        else {
            panic!("a handoff")
        };
        assert_eq!(calls[0].0, "transfer_to_billing_agent");
        let arguments: Value = serde_json::from_str(&calls[0].1).unwrap();
        assert!(arguments["reason"].is_string(), "{arguments}");
        assert!(arguments["priority"].is_i64(), "{arguments}");
    }

    #[test]
    fn calls_the_relevant_tools_else_the_first() {
        let tools = json!([weather(), time()]);
        let ask = |text: &str| reply(json!({"messages": user(text), "tools": tools}));
        assert_eq!(
            ask("Is it raining? What's the weather like in Paris?"),
            calls(&[("get_weather", r#"{"city":"Paris"}"#)])
        );
        assert_eq!(
            ask("What's the weather and the time in Rome?"),
            calls(&[
                ("get_weather", r#"{"city":"Rome"}"#),
                ("get_time", r#"{"city":"Rome"}"#)
            ])
        );
        assert_eq!(
            ask("Use get_time for Oslo"),
            calls(&[("get_time", r#"{"city":"Oslo"}"#)])
        );
        assert_eq!(
            ask("Hello"),
            calls(&[("get_weather", r#"{"city":"example"}"#)]),
            "nothing matches: the first tool"
        );
    }

    #[test]
    fn a_tool_sharing_more_words_than_the_handoff_wins() {
        let tools = json!([
            handoff("transfer_to_billing_agent", "Billing questions"),
            tool(
                "lookup_invoice",
                "Look up an invoice by its id.",
                json!({"type": "object",
                "properties": {"invoice_id": {"type": "integer"}}, "required": ["invoice_id"]})
            ),
        ]);
        let ask = |text: &str| reply(json!({"messages": user(text), "tools": tools}));
        assert_eq!(
            ask("Billing: invoice 42, is this invoice right?"),
            calls(&[("lookup_invoice", r#"{"invoice_id":42}"#)])
        );
        assert_eq!(
            ask("A billing invoice question"),
            calls(&[("transfer_to_billing_agent", "{}")]),
            "a tie goes to the handoff"
        );
        assert_eq!(
            ask("Hello"),
            calls(&[("lookup_invoice", r#"{"invoice_id":1}"#)])
        );
    }

    #[test]
    fn after_the_tools_answered_it_answers_and_quotes_them() {
        let messages = json!([
            {"role": "system", "content": "Be helpful."},
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_0_0", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_0_0", "content": "Sunny in Paris"},
        ]);
        let Reply::Text(text) = reply(json!({"messages": messages, "tools": [weather(), time()]}))
        else {
            panic!("an answer");
        };
        assert!(
            text.starts_with("[respan offline gateway · model gpt-4o · agent instructed “Be helpful.”] get_weather returned “Sunny in Paris”."),
            "{text}"
        );
    }

    #[test]
    fn after_a_handoff_the_new_agent_calls_its_tools() {
        let messages = json!([
            {"role": "system", "content": "Billing."},
            {"role": "user", "content": "Invoice 42 looks wrong"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_0_0", "type": "function", "function": {"name": "transfer_to_billing_agent", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_0_0", "content": "{\"assistant\": \"Billing Agent\"}"},
        ]);
        let tools = json!([
            handoff("transfer_to_triage_agent", "Invoice routing"),
            tool(
                "lookup_invoice",
                "Look up an invoice.",
                json!({"type": "object",
                "properties": {"invoice_id": {"type": "integer"}}, "required": ["invoice_id"]})
            )
        ]);
        assert_eq!(
            reply(json!({"messages": messages, "tools": tools})),
            calls(&[("lookup_invoice", r#"{"invoice_id":42}"#)]),
            "no handoff back (not the user's turn), and its tool has not answered yet"
        );
    }

    #[test]
    fn arguments_are_an_object_whatever_the_parameters() {
        for parameters in [
            json!(5),
            json!({"type": "string"}),
            json!(null),
            json!({"$ref": "#"}),
        ] {
            let tools = json!([tool("f", "", parameters)]);
            assert_eq!(
                reply(json!({"messages": user("hi"), "tools": tools})),
                calls(&[("f", "{}")])
            );
        }
    }

    #[test]
    fn honours_tool_choice_and_parallel_tool_calls() {
        let tools = json!([weather(), time()]);
        let ask = |extra: Value| {
            let mut body = json!({"messages": user("weather and time in Rome"), "tools": tools});
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            reply(body)
        };
        assert!(matches!(
            ask(json!({"tool_choice": "none"})),
            Reply::Text(_)
        ));
        assert_eq!(
            ask(json!({"tool_choice": {"type": "function", "function": {"name": "get_time"}}})),
            calls(&[("get_time", r#"{"city":"Rome"}"#)])
        );
        assert_eq!(
            ask(json!({"parallel_tool_calls": false})),
            calls(&[("get_weather", r#"{"city":"Rome"}"#)])
        );
        let required = reply(json!({"messages": user("Hello"), "tool_choice": "required",
            "tools": [handoff("transfer_to_billing_agent", "Billing")]}));
        assert_eq!(required, calls(&[("transfer_to_billing_agent", "{}")]));
    }

    #[test]
    fn structured_output_is_valid_for_its_schema() {
        let schema = json!({"type": "object", "properties": {
                "answer": {"type": "string"}, "confidence": {"type": "number", "minimum": 0, "maximum": 1}},
            "required": ["answer", "confidence"], "additionalProperties": false});
        let Reply::Text(text) = reply(json!({"messages": user("Is Rust fast?"),
            "response_format": {"type": "json_schema", "json_schema": {"name": "A", "schema": schema, "strict": true}}}))
        else {
            panic!("an answer");
        };
        let value: Value = serde_json::from_str(&text).expect("JSON");
        crate::offline::validate::validate(&schema, &value).expect("valid");
        assert_eq!(
            value["answer"],
            "[respan offline gateway · model gpt-4o · agent instructed “Be helpful.”] You said “Is Rust fast?”; a real model would answer here."
        );
        let Reply::Text(text) =
            reply(json!({"messages": user("hi"), "response_format": {"type": "json_object"}}))
        else {
            panic!("an answer");
        };
        assert!(
            serde_json::from_str::<Value>(&text)
                .expect("JSON")
                .is_object()
        );
    }
}
