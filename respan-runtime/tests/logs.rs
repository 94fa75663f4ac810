//! The key never appears in the logs: every tracing event of a run with retries,
//! errors and a timeout is recorded and searched.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use respan_offline::testing::{FakeGateway, FakeResponse, fast_retries};
use respan_runtime::{Agent, AgentSet, Gateway};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

const SECRET: &str = "sk-SECRET-log-0123456789";

/// Records every event and span field as text.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<String>>);

struct Text<'a>(&'a mut String);

impl Visit for Text<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut log = self.0.lock().unwrap_or_else(|p| p.into_inner());
        span.record(&mut Text(&mut log));
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut log = self.0.lock().unwrap_or_else(|p| p.into_inner());
        values.record(&mut Text(&mut log));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut log = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let _ = write!(
            log,
            "\n{} {}:",
            event.metadata().level(),
            event.metadata().target()
        );
        event.record(&mut Text(&mut log));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn the_key_is_not_logged() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());

    let fake = FakeGateway::start().await.expect("fake");
    let gateway = Gateway::builder()
        .base_url(fake.base_url())
        .api_key(SECRET)
        .timeout(Duration::from_millis(100))
        .retry_policy(fast_retries(2))
        .build()
        .expect("gateway");
    let agents = AgentSet::new("A".to_string()).agent(Agent::named("A").instructions("x"));
    fake.push(FakeResponse::error(401, "Invalid API key"));
    fake.push(FakeResponse::error(500, "boom"));
    fake.push(FakeResponse::hang());
    fake.push(FakeResponse::close());
    let _ = respan_runtime::run(&gateway, &agents, "hi").await;
    let _ = respan_runtime::run(&gateway, &agents, "hi").await;

    let log = recorder.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert!(log.contains("retrying"), "the retries were logged: {log}");
    assert!(!log.contains(SECRET), "key in the logs: {log}");
    assert!(!log.contains("0123456789"), "key in the logs: {log}");
}
