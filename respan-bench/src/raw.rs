//! The baseline: the same agent loop written by hand with reqwest + serde_json,
//! sending the same request bodies as respan (the fake gateway's byte count
//! checks it). The history is a `Vec<serde_json::Value>` serialized whole into
//! every request, as such a loop naturally is.

use eventsource_stream::Eventsource as _;
use futures_util::StreamExt as _;
use serde::{Serialize, Serializer};
use serde_json::{Value, json};

use crate::scenario::{RawAgent, RawCall};

/// One raw client: the HTTP client and the endpoint.
pub struct RawClient {
    pub http: reqwest::Client,
    pub url: String,
}

impl RawClient {
    pub fn new(base_url: &str) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("reqwest client");
        RawClient {
            http,
            url: format!("{base_url}/chat/completions"),
        }
    }

    /// POSTs a JSON body, returns the response.
    pub async fn post(&self, body: Vec<u8>) -> reqwest::Response {
        let response = self
            .http
            .post(&self.url)
            .header("authorization", "Bearer bench")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("send");
        assert!(response.status().is_success(), "{}", response.status());
        response
    }
}

/// The request body, in respan's field order.
#[derive(Serialize)]
struct Body<'a> {
    model: &'static str,
    messages: Messages<'a>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<&'a Value>,
}

struct Messages<'a> {
    system: &'a Value,
    history: &'a [Value],
}

impl Serialize for Messages<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(std::iter::once(self.system).chain(self.history))
    }
}

/// Runs the agents from the first one on `question`; returns the last agent's
/// name and its answer.
pub async fn run(
    client: &RawClient,
    agents: &[RawAgent],
    question: &str,
    stream: bool,
) -> (&'static str, String) {
    let mut history = vec![json!({"role": "user", "content": question})];
    let mut current = 0;
    for _turn in 0..100 {
        let agent = &agents[current];
        let system = json!({"role": "system", "content": agent.system});
        let body = Body {
            model: "gpt-4o",
            messages: Messages {
                system: &system,
                history: &history,
            },
            stream,
            stream_options: stream.then(|| json!({"include_usage": true})),
            tools: agent.tools.as_ref(),
        };
        let bytes = serde_json::to_vec(&body).expect("json");
        let response = client.post(bytes).await;
        let message = if stream {
            read_stream(response).await
        } else {
            let bytes = response.bytes().await.expect("body");
            let mut answer: Value = serde_json::from_slice(&bytes).expect("parse");
            answer["choices"][0]["message"].take()
        };
        let calls: Vec<(String, String, String)> = message["tool_calls"]
            .as_array()
            .map(|calls| {
                calls
                    .iter()
                    .map(|c| {
                        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
                        (
                            text(&c["id"]),
                            text(&c["function"]["name"]),
                            text(&c["function"]["arguments"]),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if calls.is_empty() {
            let text = message["content"].as_str().unwrap_or_default().to_string();
            history.push(message);
            return (agent.name, text);
        }
        history.push(message);
        let mut next = None;
        for (id, name, arguments) in calls {
            let Some((_, call)) = agent.calls.iter().find(|(n, _)| *n == name) else {
                panic!("unknown tool {name}");
            };
            let content = match call {
                RawCall::Tool(tool) => {
                    let args: Value = serde_json::from_str(&arguments).expect("arguments");
                    tool(&args)
                }
                RawCall::Handoff { target, output } => {
                    next = Some(*target);
                    output.clone()
                }
            };
            history.push(json!({"role": "tool", "tool_call_id": id, "content": content}));
        }
        if let Some(next) = next {
            current = next;
        }
    }
    panic!("no answer within 100 turns");
}

/// Reads a streamed answer into the assistant message respan would record.
async fn read_stream(response: reqwest::Response) -> Value {
    let mut events = response.bytes_stream().eventsource();
    let mut content: Option<String> = None;
    let mut calls: Vec<(String, String, String)> = Vec::new();
    while let Some(event) = events.next().await {
        let event = event.expect("event");
        if event.data == "[DONE]" {
            break;
        }
        let chunk: Value = serde_json::from_str(&event.data).expect("chunk");
        let delta = &chunk["choices"][0]["delta"];
        if let Some(text) = delta["content"].as_str().filter(|t| !t.is_empty()) {
            content.get_or_insert_with(String::new).push_str(text);
        }
        for part in delta["tool_calls"].as_array().into_iter().flatten() {
            let index = part["index"].as_u64().unwrap_or(0) as usize;
            while calls.len() <= index {
                calls.push(Default::default());
            }
            let call = &mut calls[index];
            if let Some(id) = part["id"].as_str() {
                call.0 = id.to_string();
            }
            if let Some(name) = part["function"]["name"].as_str() {
                call.1.push_str(name);
            }
            if let Some(arguments) = part["function"]["arguments"].as_str() {
                call.2.push_str(arguments);
            }
        }
    }
    if calls.is_empty() {
        return json!({"role": "assistant", "content": content});
    }
    let calls: Vec<Value> = calls
        .into_iter()
        .map(|(id, name, arguments)| {
            json!({"id": id, "type": "function", "function": {"name": name, "arguments": arguments}})
        })
        .collect();
    json!({"role": "assistant", "content": content, "tool_calls": calls})
}
