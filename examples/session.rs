//! A conversation that survives a restart: each run of this example sends the
//! next message of a conversation kept in a SQLite file, so running it twice in
//! a row continues the same conversation.
//!
//! The history lives in `respan-session-example.db` in the system's temporary
//! directory (printed); the run loads it before asking the model and appends
//! the new messages after (`Workflow::run_in_session`).
//!
//! ```sh
//! cargo run --example session            # turn 1
//! cargo run --example session            # turn 2: the model gets turn 1 as history
//! cargo run --example session -- "What did I ask first?"   # your own message
//! cargo run --example session -- --reset # forget the conversation
//! ```

use std::process::ExitCode;

use respan::{Gateway, InputItem, OfflineExt, Session, SqliteSession};

respan::workflow!("workflows/quickstart.toml");

use quickstart::{Vars, Workflow};

/// The messages the example sends, one per run, when none is given.
const SCRIPT: [&str; 3] = [
    "Hi! My name is Ada and I'm planning a trip to Lisbon.",
    "What is a good neighbourhood to stay in there?",
    "Remind me: what is my name, and where am I going?",
];

async fn run() -> Result<(), respan::Error> {
    let path = std::env::temp_dir().join("respan-session-example.db");
    // Keep the latest 40 messages: enough context, and a long conversation
    // never outgrows the model's window.
    let session = SqliteSession::open(&path, "example")?.with_limit(40);
    println!("session file: {}", path.display());

    let argument = std::env::args().nth(1);
    if argument.as_deref() == Some("--reset") {
        session.clear_session().await?;
        println!("conversation cleared");
        return Ok(());
    }

    let history = session.get_items(None).await?;
    let turn = history
        .iter()
        .filter(|item| matches!(item, InputItem::User { .. }))
        .count()
        + 1;
    let message = argument.unwrap_or_else(|| SCRIPT[(turn - 1) % SCRIPT.len()].to_string());
    println!(
        "turn {turn} ({} earlier message(s) in the session)",
        history.len()
    );
    println!("> {message}");

    let gateway = Gateway::from_env_or_offline().await?;
    if let Some(notice) = gateway.offline_notice() {
        println!("{notice}");
    }
    let workflow = Workflow::new(Vars::default());
    let result = workflow.run_in_session(&gateway, &session, message).await?;
    println!("{}", result.final_output);
    println!(
        "the session now holds {} message(s); run the example again to continue",
        session.get_items(None).await?.len()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
