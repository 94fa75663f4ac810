//! What the agent handed off to sees of the conversation (the Agents SDK's
//! handoff `input_filter`s): all of it (no filter), no tool calls
//! (`remove_all_tools`), the conversation summarized in one message
//! (`nest_handoff_history`), or what a Rust function makes of it.
//!
//! The filters work on the conversation as the model sees it, split where the
//! SDK splits it: the run's input (or an earlier filter's result), the items
//! of the turns before the handoff's, and the handoff's own turn.

use std::fmt;
use std::sync::Arc;

use crate::items::InputItem;

/// An input filter of a [`Handoff`](crate::Handoff).
#[derive(Clone)]
pub enum InputFilter {
    /// Every tool call and tool result (handoffs included) is removed; the
    /// messages' text stays (the SDK's `handoff_filters.remove_all_tools`).
    RemoveAllTools,
    /// The conversation so far becomes one assistant message that summarizes
    /// it, as the SDK's `nest_handoff_history` writes it; the messages the
    /// model wrote in the handoff's turn stay as they are.
    NestHistory,
    /// A Rust function of the conversation (without the system message)
    /// returning what the next agent sees.
    Custom(CustomFilter),
}

/// The function of an [`InputFilter::Custom`].
pub type CustomFilter = Arc<dyn Fn(&[InputItem]) -> Vec<InputItem> + Send + Sync>;

impl InputFilter {
    /// [`InputFilter::Custom`] from a function.
    ///
    /// ```
    /// use respan_runtime::{InputFilter, InputItem};
    /// // The next agent sees only the last user message.
    /// let last_question = InputFilter::custom(|history: &[InputItem]| {
    ///     history.iter().rev().find(|item| matches!(item, InputItem::User { .. })).cloned().into_iter().collect()
    /// });
    /// # let _ = last_question;
    /// ```
    pub fn custom(f: impl Fn(&[InputItem]) -> Vec<InputItem> + Send + Sync + 'static) -> Self {
        InputFilter::Custom(Arc::new(f))
    }

    /// The conversation the next agent sees: `history[..input]` is the run's
    /// input (or an earlier filter's result), `history[turn..]` the handoff's
    /// own turn (the model's message, then the results of its calls).
    pub(crate) fn apply(&self, history: &[InputItem], input: usize, turn: usize) -> Vec<InputItem> {
        match self {
            InputFilter::RemoveAllTools => remove_all_tools(history),
            InputFilter::NestHistory => nest_history(history, input, turn),
            InputFilter::Custom(f) => f(history),
        }
    }
}

impl fmt::Debug for InputFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputFilter::RemoveAllTools => "RemoveAllTools",
            InputFilter::NestHistory => "NestHistory",
            InputFilter::Custom(_) => "Custom(..)",
        })
    }
}

/// The conversation without tool calls and results; a message that was only
/// calls is gone.
fn remove_all_tools(history: &[InputItem]) -> Vec<InputItem> {
    history
        .iter()
        .filter_map(|item| match item {
            InputItem::Tool { .. } => None,
            InputItem::Assistant { content, .. } => content
                .as_ref()
                .filter(|text| !text.is_empty())
                .map(|text| InputItem::assistant(text.clone())),
            other => Some(other.clone()),
        })
        .collect()
}

const PREAMBLE: &str =
    "For context, here is the conversation so far between the user and the previous agent:";
const LEGACY_PREAMBLE: &str = "For context, here is the conversation so far:";
const START: &str = "<CONVERSATION HISTORY>";
const END: &str = "</CONVERSATION HISTORY>";

/// The SDK's nested history: every record goes into a summary message, but the
/// model's own messages of the handoff's turn, which are passed on as they are
/// (a summary before and after them).
fn nest_history(history: &[InputItem], input: usize, turn: usize) -> Vec<InputItem> {
    let input = input.min(history.len());
    let turn = turn.clamp(input, history.len());
    let mut pending: Vec<String> = Vec::new();
    for item in &history[..input] {
        match summarized_records(item) {
            Some(records) => pending.extend(records),
            None => input_records(item, &mut pending),
        }
    }
    let mut out = Vec::new();
    let pass_on = |item: InputItem, pending: &mut Vec<String>, out: &mut Vec<InputItem>| {
        if !pending.is_empty() || out.is_empty() {
            out.push(summary(pending));
            pending.clear();
        }
        out.push(item);
    };
    for (index, item) in history.iter().enumerate().skip(input) {
        let this_turn = index >= turn;
        match item {
            InputItem::Assistant {
                content,
                tool_calls,
            } => {
                if let Some(text) = content.as_ref().filter(|t| !t.is_empty()) {
                    if this_turn {
                        pass_on(InputItem::assistant(text.clone()), &mut pending, &mut out);
                    } else {
                        pending.push(message_record(text));
                    }
                }
                pending.extend(tool_calls.iter().map(|call| {
                    call_record(&call.function.name, &call.function.arguments, &call.id)
                }));
            }
            InputItem::Tool {
                tool_call_id,
                content,
            } => pending.push(output_record(tool_call_id, content)),
            // A message with a role that is not the model's is passed on.
            other => pass_on(other.clone(), &mut pending, &mut out),
        }
    }
    if !pending.is_empty() || out.is_empty() {
        out.push(summary(&pending));
    }
    out
}

/// The records of the run's input: messages by role, calls and results as
/// the SDK's items.
fn input_records(item: &InputItem, records: &mut Vec<String>) {
    match item {
        InputItem::System { content } => records.push(role_record("system", content)),
        InputItem::User { content } => records.push(role_record("user", content)),
        InputItem::Assistant {
            content,
            tool_calls,
        } => {
            if let Some(text) = content {
                records.push(role_record("assistant", text));
            }
            records.extend(
                tool_calls.iter().map(|call| {
                    call_record(&call.function.name, &call.function.arguments, &call.id)
                }),
            );
        }
        InputItem::Tool {
            tool_call_id,
            content,
        } => records.push(output_record(tool_call_id, content)),
    }
}

/// The records of a summary an earlier handoff wrote (so a second nested
/// handoff summarizes the whole conversation once, as the SDK does).
fn summarized_records(item: &InputItem) -> Option<Vec<String>> {
    let InputItem::Assistant {
        content: Some(content),
        tool_calls,
    } = item
    else {
        return None;
    };
    if !tool_calls.is_empty() {
        return None;
    }
    let (preamble, rest) = content.split_once('\n')?;
    if preamble != PREAMBLE && preamble != LEGACY_PREAMBLE {
        return None;
    }
    let body = rest
        .strip_prefix(START)?
        .strip_prefix('\n')
        .and_then(|body| body.strip_suffix(END))
        .and_then(|body| body.strip_suffix('\n'))
        .unwrap_or("");
    let mut records: Vec<String> = Vec::new();
    for line in body.lines().filter(|line| !line.trim().is_empty()) {
        match numbered(line) {
            Some(record) => records.push(record.to_string()),
            // A record over several lines (only a legacy one can be).
            None => match records.last_mut() {
                Some(last) => {
                    last.push('\n');
                    last.push_str(line.trim_end());
                }
                None => records.push(line.trim().to_string()),
            },
        }
    }
    records.retain(|record| record != "(no previous turns recorded)");
    Some(records)
}

/// The record of a line `N. record`.
fn numbered(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let dot = line.find('.')?;
    let (number, rest) = line.split_at(dot);
    (!number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())).then(|| rest[1..].trim())
}

/// The summary message of `records`.
fn summary(records: &[String]) -> InputItem {
    let mut content = format!("{PREAMBLE}\n{START}\n");
    if records.is_empty() {
        content.push_str("(no previous turns recorded)\n");
    }
    for (n, record) in records.iter().enumerate() {
        content.push_str(&format!("{}. {record}\n", n + 1));
    }
    content.push_str(END);
    InputItem::assistant(content)
}

/// `role: text`, or the message as JSON when the text spans lines.
fn role_record(role: &str, text: &str) -> String {
    if text.contains(['\n', '\r']) {
        format!("{{\"content\": {}, \"role\": {}}}", py(text), py(role))
    } else {
        format!("{role}: {text}")
    }
}

/// A message the model wrote, as the SDK's output message item.
fn message_record(text: &str) -> String {
    format!(
        "{{\"id\": \"__fake_id__\", \"content\": [{{\"annotations\": [], \"text\": {}, \"type\": \"output_text\", \"logprobs\": []}}], \"role\": \"assistant\", \"status\": \"completed\", \"type\": \"message\"}}",
        py(text)
    )
}

fn call_record(name: &str, arguments: &str, id: &str) -> String {
    format!(
        "{{\"arguments\": {}, \"call_id\": {}, \"name\": {}, \"type\": \"function_call\", \"id\": \"__fake_id__\"}}",
        py(arguments),
        py(id),
        py(name)
    )
}

fn output_record(id: &str, output: &str) -> String {
    format!(
        "{{\"call_id\": {}, \"output\": {}, \"type\": \"function_call_output\"}}",
        py(id),
        py(output)
    )
}

/// A JSON string as Python's `json.dumps(.., ensure_ascii=False)` writes it
/// (the same escapes as serde_json's).
fn py(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::items::{FunctionCall, ToolCall};

    fn call(id: &str, name: &str, arguments: &str) -> InputItem {
        InputItem::Assistant {
            content: None,
            tool_calls: vec![ToolCall {
                id: id.into(),
                kind: "function".into(),
                function: FunctionCall {
                    name: name.into(),
                    arguments: arguments.into(),
                },
            }],
        }
    }

    fn result(id: &str, content: &str) -> InputItem {
        InputItem::Tool {
            tool_call_id: id.into(),
            content: content.into(),
        }
    }

    #[test]
    fn remove_all_tools_keeps_the_text() {
        let history = vec![
            InputItem::user("hi"),
            call("c0", "get_weather", "{}"),
            result("c0", "Sunny"),
            InputItem::assistant("ok"),
        ];
        assert_eq!(
            remove_all_tools(&history),
            vec![InputItem::user("hi"), InputItem::assistant("ok")]
        );
    }

    #[test]
    fn a_nested_summary_is_summarized_again_as_its_records() {
        let first = nest_history(
            &[
                InputItem::user("My API fails."),
                call("c0", "transfer_to_technical_agent", "{}"),
                result("c0", "{\"assistant\": \"Technical Agent\"}"),
            ],
            1,
            1,
        );
        assert_eq!(first.len(), 1);
        let mut again = first.clone();
        again.push(call("c1", "transfer_to_billing_agent", "{}"));
        again.push(result("c1", "{\"assistant\": \"Billing Agent\"}"));
        let second = nest_history(&again, 1, 1);
        let InputItem::Assistant {
            content: Some(text),
            ..
        } = &second[0]
        else {
            panic!("{second:?}")
        };
        assert!(text.contains("\n1. user: My API fails.\n"), "{text}");
        assert!(
            text.contains("\n4. {\"arguments\": \"{}\", \"call_id\": \"c1\""),
            "{text}"
        );
        assert_eq!(text.matches(START).count(), 1);
    }

    #[test]
    fn nothing_to_summarize_says_so() {
        let out = nest_history(&[], 0, 0);
        let InputItem::Assistant {
            content: Some(text),
            ..
        } = &out[0]
        else {
            panic!()
        };
        assert!(text.contains("(no previous turns recorded)"));
    }
}
