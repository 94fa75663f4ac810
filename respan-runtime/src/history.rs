//! The wire JSON of a run's conversation, each message serialized once, for the
//! first request that sends it: every request re-sends the whole history, so a
//! turn serializes only what is new (a long tool loop would otherwise re-escape
//! every tool result on every turn; see BENCHMARKS.md, "cost as the
//! conversation grows"). The history itself stays a `Vec<InputItem>`.

use serde_json::value::RawValue;

use crate::items::InputItem;

/// The JSON of the first messages of a history (those sent so far).
#[derive(Debug, Default)]
pub(crate) struct HistoryJson {
    json: Vec<Box<RawValue>>,
}

impl HistoryJson {
    /// Each message's JSON; those added since the last call are serialized now.
    /// A run's history only grows; a shorter one starts the cache over.
    pub(crate) fn of(&mut self, history: &[InputItem]) -> &[Box<RawValue>] {
        if self.json.len() > history.len() {
            self.json.clear();
        }
        let sent = self.json.len();
        self.json.extend(history[sent..].iter().map(to_json));
        &self.json
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
    fn each_message_json_is_the_message_serialized_once() {
        let mut history = vec![InputItem::user("Say \"hi\"\n")];
        let mut cache = HistoryJson::default();
        assert_eq!(cache.of(&history).len(), 1);
        let first = cache.of(&history)[0].get().as_ptr();
        history.push(InputItem::Assistant {
            content: None,
            tool_calls: vec![ToolCall {
                id: "call_1".into(),
                kind: "function".into(),
                function: FunctionCall {
                    name: "get_weather".into(),
                    arguments: r#"{"city":"Tokyo"}"#.into(),
                },
            }],
        });
        history.push(InputItem::Tool {
            tool_call_id: "call_1".into(),
            content: "Sunny".into(),
        });
        let json: Vec<String> = cache
            .of(&history)
            .iter()
            .map(|j| j.get().to_string())
            .collect();
        assert_eq!(json.len(), 3);
        for (item, json) in history.iter().zip(&json) {
            assert_eq!(*json, serde_json::to_string(item).unwrap());
        }
        // The first message was not serialized again.
        assert_eq!(cache.of(&history)[0].get().as_ptr(), first);
        // A shorter history (another run's) starts over.
        assert_eq!(cache.of(&history[..1]).len(), 1);
    }
}
