//! `respan run --trace`: the run's spans go to the OpenTelemetry collector that
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` names, without the Respan key, named after
//! the workflow file's `[workflow] name`.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use assert_cmd::Command;
use respan_offline::testing::{FakeGateway, FakeResponse};
use serde_json::Value;

const SECRET: &str = "sk-respan-SECRET-trace-42";

/// One request a collector received: its header lines and JSON body.
type Received = Arc<Mutex<Vec<(Vec<String>, Value)>>>;

/// A fake OTLP/HTTP collector on 127.0.0.1 (raw TCP, one request per connection).
fn collector() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}/v1/traces", listener.local_addr().unwrap());
    let received: Received = Arc::default();
    let store = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut headers = Vec::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
                headers.push(line.trim_end().to_string());
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
            store.lock().unwrap().push((headers, json));
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}");
        }
    });
    (endpoint, received)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[tokio::test]
async fn run_trace_exports_the_run_to_the_collector_without_the_key() {
    let fake = FakeGateway::start().await.unwrap();
    fake.push(FakeResponse::tool_calls([(
        "transfer_to_technical_agent",
        "{}",
    )]));
    fake.push_text("Check your API key.");
    let (endpoint, received) = collector();
    let mut command = Command::new(env!("CARGO_BIN_EXE_respan"));
    command
        .current_dir(root())
        .env("RESPAN_API_KEY", SECRET)
        .env("RESPAN_BASE_URL", fake.base_url())
        .env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &endpoint)
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_PROTOCOL")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        .env_remove("RESPAN_TRACING")
        .args([
            "run",
            "--trace",
            "workflows/support.toml",
            "My API calls fail",
        ])
        .timeout(Duration::from_secs(60));
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");

    // Everything was sent before the process exited.
    let received = received.lock().unwrap();
    assert!(!received.is_empty(), "no trace received");
    let mut names = Vec::new();
    for (headers, body) in received.iter() {
        assert!(
            !headers
                .iter()
                .any(|h| h.to_ascii_lowercase().starts_with("authorization:")),
            "{headers:?}"
        );
        assert!(!body.to_string().contains(SECRET));
        for span in body["resourceSpans"][0]["scopeSpans"][0]["spans"]
            .as_array()
            .unwrap()
        {
            names.push(span["name"].as_str().unwrap().to_string());
            let workflow = span["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|kv| kv["key"] == "traceloop.workflow.name")
                .map(|kv| kv["value"]["stringValue"].clone());
            assert_eq!(workflow, Some(Value::from("support")));
        }
    }
    names.sort();
    assert_eq!(
        names,
        [
            "Technical Agent.agent",
            "Triage Agent → Technical Agent.handoff",
            "Triage Agent.agent",
            "chat gpt-4o",
            "chat gpt-4o",
            "support.workflow"
        ]
    );
}
