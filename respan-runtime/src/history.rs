//! The conversation of a run, each message serialized to JSON once, when it is
//! added: every request re-sends the whole history, so a turn serializes only
//! what is new (a long tool loop would otherwise re-escape every tool result on
//! every turn; see BENCHMARKS.md, "cost as the conversation grows").

use serde_json::value::RawValue;

use crate::items::InputItem;

/// The items of a run's conversation and, beside each, its wire JSON.
#[derive(Debug, Default)]
pub(crate) struct History {
    items: Vec<InputItem>,
    json: Vec<Box<RawValue>>,
}

impl History {
    /// A history holding `items` (the run's input).
    pub(crate) fn new(items: Vec<InputItem>) -> Self {
        let json = items.iter().map(to_json).collect();
        Self { items, json }
    }

    /// Adds a message at the end.
    pub(crate) fn push(&mut self, item: InputItem) {
        self.json.push(to_json(&item));
        self.items.push(item);
    }

    /// Each message's JSON, as serialized when it was added.
    pub(crate) fn json(&self) -> &[Box<RawValue>] {
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
