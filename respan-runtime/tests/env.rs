//! `Gateway::from_env`: RESPAN_API_KEY and RESPAN_BASE_URL, and never OPENAI_*.
//! One test function: the environment is process-wide.

mod common;

use respan_offline::OfflineExt as _;
use respan_offline::testing::FakeGateway;
use respan_runtime::{Agent, AgentSet, Error, Gateway};

#[tokio::test]
async fn from_env_reads_respan_variables_only() {
    let fake = FakeGateway::start().await.expect("fake");
    fake.push_text("ok");
    // SAFETY: this test binary has a single test, so nothing reads the
    // environment concurrently.
    unsafe {
        std::env::remove_var("RESPAN_API_KEY");
        std::env::remove_var("RESPAN_BASE_URL");
        std::env::set_var("OPENAI_API_KEY", "sk-openai-must-not-be-used");
        std::env::set_var("OPENAI_BASE_URL", "http://127.0.0.1:9/v1");
        std::env::set_var("OPENAI_ORG_ID", "org-must-not-be-sent");
    }
    let error = Gateway::from_env().expect_err("no key");
    assert!(matches!(error, Error::MissingApiKey));
    assert!(error.to_string().contains("RESPAN_API_KEY"));

    // SAFETY: as above.
    unsafe {
        std::env::set_var("RESPAN_API_KEY", "");
    }
    assert!(matches!(Gateway::from_env(), Err(Error::MissingApiKey)));

    // SAFETY: as above.
    unsafe {
        std::env::set_var("RESPAN_API_KEY", "sk-respan");
    }
    let gateway = Gateway::from_env().expect("gateway");
    assert_eq!(gateway.base_url(), "https://api.respan.ai/api");
    assert!(!gateway.is_offline());
    assert_eq!(gateway.offline_notice(), None);

    // SAFETY: as above.
    unsafe {
        std::env::set_var("RESPAN_BASE_URL", fake.base_url());
    }
    let gateway = Gateway::from_env().expect("gateway");
    let agents = AgentSet::new("A".to_string()).agent(Agent::named("A").instructions("x"));
    let result = respan_runtime::run(&gateway, &agents, "hi")
        .await
        .expect("run");
    assert_eq!(result.final_output, "ok");
    let request = &fake.requests()[0];
    assert_eq!(request.path, "/api/chat/completions");
    assert_eq!(request.header("authorization"), Some("Bearer sk-respan"));
    assert_eq!(request.header("openai-organization"), None);
    assert_eq!(request.header("openai-project"), None);
    assert_eq!(request.body["model"], "gpt-4o");

    // Without a key, from_env_or_offline falls back to the offline gateway.
    // SAFETY: as above.
    unsafe {
        std::env::remove_var("RESPAN_API_KEY");
    }
    let offline = Gateway::from_env_or_offline().await.expect("offline");
    assert!(offline.is_offline());
    assert!(offline.base_url().starts_with("http://127.0.0.1:"));
    let notice = offline
        .offline_notice()
        .expect("a notice for the offline gateway");
    assert!(notice.contains(offline.base_url()), "{notice}");
    assert!(notice.contains("export RESPAN_API_KEY"), "{notice}");
}
