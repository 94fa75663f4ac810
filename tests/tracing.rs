//! A compiled workflow's run exported as one trace that carries the workflow's
//! name from its TOML file (`[workflow] name`), through `respan::tracing`.
//!
//! One test in this binary: it installs the global subscriber.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use respan::tracing::TraceExport;
use serde_json::Value;

respan::workflow!("workflows/support.toml");

/// Each request's path and JSON body.
type Received = Arc<Mutex<Vec<(String, Value)>>>;

/// A fake OTLP/HTTP endpoint on 127.0.0.1.
fn collector() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}/api", listener.local_addr().expect("addr"));
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
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
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let path = request_line.split(' ').nth(1).unwrap_or("").to_string();
            let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
            store.lock().unwrap().push((path, json));
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}");
        }
    });
    (base, received)
}

fn attribute<'a>(span: &'a Value, key: &str) -> Option<&'a Value> {
    span["attributes"]
        .as_array()?
        .iter()
        .find(|kv| kv["key"] == key)
        .map(|kv| &kv["value"])
}

#[tokio::test]
async fn a_compiled_workflow_run_is_one_trace_named_after_the_workflow() {
    let (base, received) = collector();
    let guard = TraceExport::respan(&base, None).install().expect("install");
    let gateway = respan::OfflineGateway::start().await.expect("offline");
    // The trace context reaches a compiled workflow's runs through its runner.
    let workflow = support::Workflow::new(support::Vars::default())
        .with_runner(respan::Runner::new().trace(respan::TraceContext::new().customer_id("acme")));
    assert_eq!(workflow.agents().workflow_name_value(), Some("support"));
    let result = workflow
        .run(&gateway, "I'm having trouble connecting to the API.")
        .await
        .expect("run");
    assert_eq!(result.last_agent, support::Agent::Technical);
    let stats = guard.shutdown();
    assert_eq!((stats.exported, stats.dropped), (stats.ended, 0));

    let received = received.lock().unwrap();
    assert!(received.iter().all(|(path, _)| path == "/api/v2/traces"));
    let spans: Vec<&Value> = received
        .iter()
        .flat_map(|(_, body)| body["resourceSpans"].as_array().into_iter().flatten())
        .flat_map(|rs| rs["scopeSpans"].as_array().into_iter().flatten())
        .flat_map(|ss| ss["spans"].as_array().into_iter().flatten())
        .collect();
    let names: Vec<&str> = spans.iter().filter_map(|s| s["name"].as_str()).collect();
    for name in [
        "support.workflow",
        "Triage Agent.agent",
        "Triage Agent → Technical Agent.handoff",
        "Technical Agent.agent",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert_eq!(stats.ended as usize, spans.len());
    let trace_id = &spans[0]["traceId"];
    for span in &spans {
        assert_eq!(&span["traceId"], trace_id, "one trace");
        assert_eq!(
            attribute(span, "traceloop.workflow.name"),
            Some(&serde_json::json!({"stringValue": "support"}))
        );
        assert_eq!(
            attribute(span, "respan.customer_params.customer_identifier"),
            Some(&serde_json::json!({"stringValue": "acme"})),
            "{span}"
        );
    }
}
