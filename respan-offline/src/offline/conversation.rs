//! What a chat-completions request says, read leniently: the messages, the
//! question, the tool results since the question, the offered tools, how the
//! model may use them and the response format.

use serde_json::{Value, json};

/// A request as the offline model reads it.
pub(crate) struct Conversation<'a> {
    /// The whole body.
    pub(crate) body: &'a Value,
    /// `messages`.
    pub(crate) messages: &'a [Value],
    /// The model asked for.
    pub(crate) model: &'a str,
    /// The decoded `X-Data-Respan-Params` header.
    pub(crate) header: Option<&'a Value>,
}

/// A tool the request offers (the `function` of an entry of `tools`).
pub(crate) struct Offered<'a> {
    pub(crate) name: &'a str,
    pub(crate) description: &'a str,
    pub(crate) parameters: &'a Value,
}

impl Offered<'_> {
    /// Whether it is a handoff (`transfer_to_...`) rather than a function tool.
    pub(crate) fn is_handoff(&self) -> bool {
        self.name.starts_with(HANDOFF_PREFIX)
    }
}

/// The prefix of the tools that hand the conversation to another agent.
pub(crate) const HANDOFF_PREFIX: &str = "transfer_to_";

/// A tool's answer since the question.
pub(crate) struct ToolResult {
    /// The name of the tool that was called (`a tool` when the call is not in the conversation).
    pub(crate) name: String,
    /// What it returned.
    pub(crate) output: String,
}

/// `tool_choice`, as far as the offline model cares.
#[derive(Debug, PartialEq)]
pub(crate) enum Choice<'a> {
    /// `auto` or absent.
    Auto,
    /// `none`: answer without tools.
    None,
    /// `required`: call something.
    Required,
    /// Call this tool.
    Named(&'a str),
}

/// `response_format`.
#[derive(Debug, PartialEq)]
pub(crate) enum Format<'a> {
    /// Text (absent or `{"type": "text"}`).
    Text,
    /// `{"type": "json_object"}`.
    JsonObject,
    /// `{"type": "json_schema", ...}`: a value of this schema.
    JsonSchema(&'a Value),
}

/// The schema of a `json_schema` format without one: any object.
static ANY_OBJECT: std::sync::LazyLock<Value> =
    std::sync::LazyLock::new(|| json!({"type": "object"}));

impl<'a> Conversation<'a> {
    /// The role of message `i`.
    fn role(&self, i: usize) -> Option<&'a str> {
        self.messages.get(i)?.get("role")?.as_str()
    }

    /// The role of the last message.
    pub(crate) fn last_role(&self) -> Option<&'a str> {
        self.role(self.messages.len().checked_sub(1)?)
    }

    fn last_user_index(&self) -> Option<usize> {
        (0..self.messages.len())
            .rev()
            .find(|&i| self.role(i) == Some("user"))
    }

    /// The last user message's text (empty without one).
    pub(crate) fn question(&self) -> String {
        self.last_user_index()
            .map(|i| text_of(&self.messages[i]))
            .unwrap_or_default()
    }

    /// The messages after the question (all of them without one).
    fn since_question(&self) -> &'a [Value] {
        let start = self.last_user_index().map_or(0, |i| i + 1);
        &self.messages[start..]
    }

    /// The tool results since the question, in order, with the called tool's name.
    pub(crate) fn tool_results(&self) -> Vec<ToolResult> {
        let since = self.since_question();
        let name_of = |id: &str| {
            since
                .iter()
                .filter_map(|m| m.get("tool_calls").and_then(Value::as_array))
                .flatten()
                .find(|call| call.get("id").and_then(Value::as_str) == Some(id))
                .and_then(|call| call.get("function")?.get("name")?.as_str())
        };
        since
            .iter()
            .filter(|m| m.get("role").and_then(Value::as_str) == Some("tool"))
            .map(|m| {
                let id = m.get("tool_call_id").and_then(Value::as_str).unwrap_or("");
                ToolResult {
                    name: name_of(id).unwrap_or("a tool").to_string(),
                    output: text_of(m),
                }
            })
            .collect()
    }

    /// The tools offered (entries of `tools` with a `function` that has a name).
    pub(crate) fn offered(&self) -> Vec<Offered<'a>> {
        static NO_PARAMETERS: std::sync::LazyLock<Value> =
            std::sync::LazyLock::new(|| json!({"type": "object", "properties": {}}));
        self.body
            .get("tools")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| t.get("function"))
            .filter_map(|f| {
                Some(Offered {
                    name: f.get("name")?.as_str()?,
                    description: f.get("description").and_then(Value::as_str).unwrap_or(""),
                    parameters: f.get("parameters").unwrap_or(&NO_PARAMETERS),
                })
            })
            .collect()
    }

    /// `tool_choice`.
    pub(crate) fn choice(&self) -> Choice<'a> {
        match self.body.get("tool_choice") {
            Some(Value::String(s)) if s == "none" => Choice::None,
            Some(Value::String(s)) if s == "required" => Choice::Required,
            Some(Value::Object(o)) => o
                .get("function")
                .and_then(|f| f.get("name"))
                .or_else(|| o.get("name"))
                .and_then(Value::as_str)
                .map_or(Choice::Auto, Choice::Named),
            _ => Choice::Auto,
        }
    }

    /// Whether the model may call several tools in one answer (`parallel_tool_calls`).
    pub(crate) fn parallel(&self) -> bool {
        self.body
            .get("parallel_tool_calls")
            .and_then(Value::as_bool)
            != Some(false)
    }

    /// `response_format`.
    pub(crate) fn format(&self) -> Format<'a> {
        let Some(format) = self.body.get("response_format") else {
            return Format::Text;
        };
        match format.get("type").and_then(Value::as_str) {
            Some("json_object") => Format::JsonObject,
            Some("json_schema") => Format::JsonSchema(
                format
                    .get("json_schema")
                    .and_then(|s| s.get("schema"))
                    .unwrap_or(&ANY_OBJECT),
            ),
            _ => Format::Text,
        }
    }
}

/// The text of a message: its string content, or its text parts joined.
pub(crate) fn text_of(message: &Value) -> String {
    match message.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(body: &Value) -> Conversation<'_> {
        Conversation {
            body,
            messages: body["messages"].as_array().map_or(&[], Vec::as_slice),
            model: "m",
            header: None,
        }
    }

    #[test]
    fn tool_results_since_the_question_are_named_by_their_call() {
        let body = json!({"messages": [
            {"role": "user", "content": "old"},
            {"role": "assistant", "tool_calls": [{"id": "c0", "function": {"name": "old_tool"}}]},
            {"role": "tool", "tool_call_id": "c0", "content": "old result"},
            {"role": "user", "content": [{"type": "text", "text": "new"}, {"type": "text", "text": "question"}]},
            {"role": "assistant", "tool_calls": [{"id": "c1", "function": {"name": "a"}}, {"id": "c2", "function": {"name": "b"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "1"},
            {"role": "tool", "tool_call_id": "c2", "content": "2"},
            {"role": "tool", "tool_call_id": "zz", "content": "3"},
        ]});
        let c = conversation(&body);
        assert_eq!(c.question(), "new question");
        let results: Vec<(String, String)> = c
            .tool_results()
            .into_iter()
            .map(|r| (r.name, r.output))
            .collect();
        assert_eq!(
            results,
            [
                ("a".into(), "1".into()),
                ("b".into(), "2".into()),
                ("a tool".into(), "3".into())
            ]
        );
        assert_eq!(c.last_role(), Some("tool"));
    }

    #[test]
    fn reads_choice_format_and_tools_leniently() {
        let body = json!({"messages": [], "tool_choice": {"type": "function", "function": {"name": "f"}},
            "parallel_tool_calls": false,
            "response_format": {"type": "json_schema", "json_schema": {"name": "x"}},
            "tools": [{"type": "function", "function": {"name": "f"}}, {"type": "function"}, 3]});
        let c = conversation(&body);
        assert_eq!(c.choice(), Choice::Named("f"));
        assert!(!c.parallel());
        assert_eq!(c.format(), Format::JsonSchema(&json!({"type": "object"})));
        let offered = c.offered();
        assert_eq!(offered.len(), 1);
        assert_eq!(offered[0].parameters["type"], "object");
        assert_eq!(c.question(), "");
        assert_eq!(c.last_role(), None);
        assert!(c.tool_results().is_empty());
    }
}
