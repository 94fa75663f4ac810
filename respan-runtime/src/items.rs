//! Conversation items: what goes to the model (chat-completions messages) and
//! what a run produces.

use serde::{Deserialize, Serialize};

use crate::usage::Usage;

/// One message of the conversation, exactly as it travels in the chat-completions
/// `messages` array. A run's input is a list of these; [`crate::RunResult::to_input_list`]
/// gives them back to continue the conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum InputItem {
    /// A system message (the runner adds the current agent's instructions itself).
    System {
        /// The text.
        content: String,
    },
    /// A user message.
    User {
        /// The text.
        content: String,
    },
    /// An assistant message: text, tool calls, or both.
    Assistant {
        /// The text; `null` on the wire when the message only calls tools.
        content: Option<String>,
        /// The tool (and handoff) calls.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<ToolCall>,
    },
    /// The result of a tool call.
    Tool {
        /// The id of the call this answers.
        tool_call_id: String,
        /// The result as text.
        content: String,
    },
}

impl InputItem {
    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        InputItem::User {
            content: content.into(),
        }
    }

    /// An assistant text message.
    pub fn assistant(content: impl Into<String>) -> Self {
        InputItem::Assistant {
            content: Some(content.into()),
            tool_calls: Vec::new(),
        }
    }
}

/// A function call requested by the model (a tool or a handoff).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The call id the result must refer to.
    pub id: String,
    /// Always `"function"`.
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    /// The function and its JSON arguments.
    pub function: FunctionCall,
}

fn function_type() -> String {
    "function".to_string()
}

/// Name and arguments of a [`ToolCall`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// The tool's name (`transfer_to_...` for handoffs).
    pub name: String,
    /// The arguments, a JSON object as text (the model may send invalid JSON).
    #[serde(default)]
    pub arguments: String,
}

/// The JSON of a call's arguments: an empty string means no arguments
/// (`{}`), as in the SDK.
pub(crate) fn arguments_json(arguments: &str) -> &str {
    if arguments.trim().is_empty() {
        "{}"
    } else {
        arguments
    }
}

/// The input of a run: a user message, or a whole conversation to continue.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// One user message.
    Text(String),
    /// A conversation (e.g. a previous [`crate::RunResult::to_input_list`] plus a new user message).
    Items(Vec<InputItem>),
}

impl Input {
    pub(crate) fn into_items(self) -> Vec<InputItem> {
        match self {
            Input::Text(text) => vec![InputItem::user(text)],
            Input::Items(items) => items,
        }
    }
}

impl From<&str> for Input {
    fn from(text: &str) -> Self {
        Input::Text(text.to_string())
    }
}

impl From<String> for Input {
    fn from(text: String) -> Self {
        Input::Text(text)
    }
}

impl From<&String> for Input {
    fn from(text: &String) -> Self {
        Input::Text(text.clone())
    }
}

impl From<Vec<InputItem>> for Input {
    fn from(items: Vec<InputItem>) -> Self {
        Input::Items(items)
    }
}

/// Something a run produced, tagged with the agent that produced it.
///
/// Serializes (as part of a [`RunState`](crate::RunState)) with a `"type"` tag:
/// `message`, `tool_call`, `tool_output`, `handoff_call`, `handoff_output`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RunItem<K> {
    /// The model's text answer (the final output is the last one).
    Message {
        /// The agent that answered.
        agent: K,
        /// The text.
        content: String,
    },
    /// The model called a function tool.
    ToolCall {
        /// The agent whose model called it.
        agent: K,
        /// The call.
        call: ToolCall,
    },
    /// A function tool's result (or the error message sent back to the model).
    ToolOutput {
        /// The agent whose tool ran.
        agent: K,
        /// The id of the call.
        call_id: String,
        /// What the model was told.
        output: String,
    },
    /// The model called a handoff tool (`transfer_to_...`).
    HandoffCall {
        /// The agent handing off.
        agent: K,
        /// The call.
        call: ToolCall,
    },
    /// A handoff took place.
    HandoffOutput {
        /// The agent that handed off.
        source: K,
        /// The agent now in charge.
        target: K,
        /// The id of the handoff call.
        call_id: String,
        /// The tool result the model sees (`{"assistant": "<target name>"}`).
        output: String,
    },
}

impl<K> RunItem<K> {
    /// The SDK's name of this kind of item (`MessageOutputItem`, `HandoffCallItem`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            RunItem::Message { .. } => "MessageOutputItem",
            RunItem::ToolCall { .. } => "ToolCallItem",
            RunItem::ToolOutput { .. } => "ToolCallOutputItem",
            RunItem::HandoffCall { .. } => "HandoffCallItem",
            RunItem::HandoffOutput { .. } => "HandoffOutputItem",
        }
    }
}

/// One model response of a run, as the gateway returned it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelResponse {
    /// The completion id (`chatcmpl-...`), when sent.
    pub id: Option<String>,
    /// The model that answered, as the gateway reports it.
    pub model: Option<String>,
    /// The assistant message.
    pub message: InputItem,
    /// Why the model stopped (`stop`, `tool_calls`, `length`, ...).
    pub finish_reason: Option<String>,
    /// Tokens of this request.
    pub usage: Usage,
}
