//! The conversation of a run, each message serialized to JSON once, for the
//! first request that sends it: every request re-sends the whole history, so a
//! turn serializes only what is new (a long tool loop would otherwise re-escape every tool result on
//! every turn; see BENCHMARKS.md, "cost as the conversation grows").

use serde_json::value::RawValue;

use crate::items::InputItem;

/// The items of a run's conversation and the wire JSON of those sent so far
/// (a prefix: the last answer of a run is never sent, so never serialized).
#[derive(Debug, Default)]
pub(crate) struct History {
    items: Vec<InputItem>,
    json: Vec<Box<RawValue>>,
}

impl History {
    /// A history holding `items` (the run's input).
    pub(crate) fn new(items: Vec<InputItem>) -> Self {
        Self {
            json: Vec::with_capacity(items.len()),
            items,
        }
    }

    /// Adds a message at the end.
    pub(crate) fn push(&mut self, item: InputItem) {
        self.items.push(item);
    }

    /// Each message's JSON: those added since the last call are serialized now.
    pub(crate) fn json(&mut self) -> &[Box<RawValue>] {
        let sent = self.json.len();
        self.json.extend(self.items[sent..].iter().map(to_json));
        &self.json
    }

    /// The messages, oldest first.
    pub(crate) fn into_items(self) -> Vec<InputItem> {
        self.items
    }
}

fn to_json(item: &InputItem) -> Box<RawValue> {
    // An InputItem is strings, options and lists of them: serializing cannot fail.
    serde_json::value::to_raw_value(item).expect("an InputItem always serializes to JSON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::items::{FunctionCall, ToolCall};

    #[test]
    fn each_message_json_is_the_message_serialized() {
        let items = vec![
            InputItem::user("Say \"hi\"\n"),
            InputItem::Assistant {
                content: None,
                tool_calls: vec![ToolCall {
                    id: "call_1".into(),
                    kind: "function".into(),
                    function: FunctionCall {
                        name: "get_weather".into(),
                        arguments: r#"{"city":"Tokyo"}"#.into(),
                    },
                }],
            },
        ];
        let mut history = History::new(items[..1].to_vec());
        assert_eq!(history.json().len(), 1);
        history.push(items[1].clone());
        history.push(InputItem::Tool {
            tool_call_id: "call_1".into(),
            content: "Sunny".into(),
        });
        let json: Vec<String> = history.json().iter().map(|j| j.get().to_string()).collect();
        let all = history.into_items();
        assert_eq!(all.len(), 3);
        assert_eq!(all[..2], items[..]);
        for (item, json) in all.iter().zip(&json) {
            assert_eq!(*json, serde_json::to_string(item).unwrap());
        }
    }
}
