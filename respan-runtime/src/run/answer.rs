//! Reading the model's answer off the wire: a response, or a stream of chunks
//! read into the same response (forwarding text and tool-call deltas as they
//! arrive).

use reqwest::header::HeaderMap;
use tokio::sync::mpsc::UnboundedSender;

use crate::agent::AgentKey;
use crate::error::{Error, gateway_message};
use crate::gateway::Gateway;
use crate::items::{FunctionCall, InputItem, ModelResponse, ToolCall};
use crate::stream::{Progress, RunEvent};
use crate::usage::Usage;
use crate::wire::{ChatRequest, content_text};

/// Sends `body` and reads the whole answer.
pub(super) async fn complete(
    gateway: &Gateway,
    body: &ChatRequest<'_>,
    headers: &HeaderMap,
) -> Result<ModelResponse, Error> {
    let completion = gateway.complete(body, headers).await?;
    let usage = completion.usage.unwrap_or_default().to_usage();
    let Some(choice) = completion.choices.into_iter().next() else {
        return Err(Error::MalformedResponse(
            "the response has no choices".to_string(),
        ));
    };
    let tool_calls = choice.message.tool_calls.unwrap_or_default();
    let content = content_text(choice.message.content.as_ref()).or(choice.message.refusal);
    Ok(ModelResponse {
        id: completion.id,
        model: completion.model,
        message: InputItem::Assistant {
            content,
            tool_calls,
        },
        finish_reason: choice.finish_reason,
        usage: Usage {
            requests: 1,
            ..usage
        },
    })
}

/// Reads a streamed answer into the same response a non-streamed request
/// gives, forwarding text and tool-call deltas as they arrive.
pub(super) async fn complete_streamed<K: AgentKey>(
    gateway: &Gateway,
    body: &ChatRequest<'_>,
    headers: &HeaderMap,
    agent: &K,
    events: &UnboundedSender<Progress<K>>,
) -> Result<ModelResponse, Error> {
    /// More parallel calls than this in one response is not a model, it is garbage.
    const MAX_CALLS: usize = 128;
    let mut stream = gateway.complete_stream(body, headers).await?;
    let mut id = None;
    let mut model = None;
    let mut content: Option<String> = None;
    let mut calls: Vec<ToolCall> = Vec::new();
    let mut finish_reason = None;
    let mut usage = Usage::default();
    // The gateway's timeout bounds each gap between events (a stall is an error).
    while let Some(chunk) = stream.next().await? {
        if let Some(error) = &chunk.error {
            return Err(Error::MalformedResponse(format!(
                "the gateway sent an error in the stream: {}",
                gateway_message(serde_json::json!({"error": error}).to_string().as_bytes())
            )));
        }
        id = id.or(chunk.id);
        model = model.or(chunk.model);
        // With `include_usage`, the last chunk has no choices and the usage.
        if let Some(u) = chunk.usage {
            usage = u.to_usage();
        }
        let Some(choice) = chunk.choices.into_iter().next() else {
            continue;
        };
        if let Some(delta) = choice.delta.content
            && !delta.is_empty()
        {
            let _ = events.send(RunEvent::TextDelta {
                agent: agent.clone(),
                delta: delta.clone(),
            });
            content.get_or_insert_with(String::new).push_str(&delta);
        }
        for part in choice.delta.tool_calls.unwrap_or_default() {
            if part.index >= MAX_CALLS {
                return Err(Error::MalformedResponse(format!(
                    "tool call index {} in the stream",
                    part.index
                )));
            }
            while calls.len() <= part.index {
                calls.push(ToolCall {
                    id: String::new(),
                    kind: "function".to_string(),
                    function: FunctionCall {
                        name: String::new(),
                        arguments: String::new(),
                    },
                });
            }
            let call = &mut calls[part.index];
            if let Some(id) = part.id {
                call.id = id;
            }
            let mut arguments_delta = String::new();
            if let Some(function) = part.function {
                if let Some(name) = function.name {
                    call.function.name.push_str(&name);
                }
                if let Some(arguments) = function.arguments {
                    call.function.arguments.push_str(&arguments);
                    arguments_delta = arguments;
                }
            }
            let _ = events.send(RunEvent::ToolCallDelta {
                agent: agent.clone(),
                index: part.index,
                call_id: call.id.clone(),
                name: call.function.name.clone(),
                arguments_delta,
            });
        }
        if choice.finish_reason.is_some() {
            finish_reason = choice.finish_reason;
        }
    }
    if finish_reason.is_none() {
        // Ended by `[DONE]` the stream is complete, just not an answer; ended by
        // the connection closing, it was cut.
        if stream.saw_done() {
            return Err(Error::MalformedResponse(format!(
                "the event stream ended with [DONE] after {} event(s) without a finish_reason \
                 (no chunk said how the answer ended)",
                stream.received()
            )));
        }
        return Err(Error::StreamTruncated {
            events: stream.received(),
            cause: None,
        });
    }
    if !stream.saw_done() {
        // Complete, but the server closed the stream without `[DONE]`: a usage
        // chunk, if one was coming, may be missing.
        tracing::warn!(
            events = stream.received(),
            "the gateway closed the event stream without [DONE]"
        );
    }
    Ok(ModelResponse {
        id,
        model,
        message: InputItem::Assistant {
            content,
            tool_calls: calls,
        },
        finish_reason,
        usage: Usage {
            requests: 1,
            ..usage
        },
    })
}
