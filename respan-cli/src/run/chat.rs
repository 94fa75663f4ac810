//! `respan chat FILE` (`respan run -i`): a conversation in the terminal. Each
//! turn sends the whole history (`RunResult::to_input_list`) and the new
//! message; the agent that answered takes the next message, as the Agents
//! SDK's demo loop does. Ctrl-D ends; Ctrl-C stops an answer (at the prompt: ends).

use std::collections::HashMap;
use std::io::Write as _;
use std::process::ExitCode;

use respan_runtime::{AgentSet, Input, InputItem};

use super::Session;
use super::terminal::{lock, say};

pub(crate) async fn chat(
    session: &Session<'_>,
    agents: AgentSet<String>,
    first: Option<String>,
) -> ExitCode {
    let style = session.style();
    let mut current = agents.entry().clone();
    let first_name = agents
        .get(&current)
        .map(|agent| agent.name().to_string())
        .unwrap_or_else(|| current.clone());
    // One agent set per agent a turn starts with, built when first needed.
    let mut sets: HashMap<String, AgentSet<String>> = HashMap::from([(current.clone(), agents)]);
    let mut history: Vec<InputItem> = Vec::new();
    say(&style.dim(&format!(
        "Chatting with {first_name}. Ctrl-D ends the conversation, Ctrl-C stops an answer."
    )));
    // A terminal echoes what is typed; otherwise the transcript shows each message.
    let echo = session.echo;
    let prompt = |message: Option<&str>| {
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "{}", style.agent("you› "));
        if let Some(message) = message {
            let _ = writeln!(stderr, "{message}");
        }
        let _ = stderr.flush();
    };
    let mut pending = first;
    loop {
        let message = match pending.take() {
            Some(message) => {
                prompt(Some(&message));
                message
            }
            None => {
                prompt(None);
                let mut lines = session.lines.lock().await;
                let line = tokio::select! {
                    line = lines.next_line() => line,
                    _ = tokio::signal::ctrl_c() => {
                        say("");
                        return ExitCode::from(130);
                    }
                };
                drop(lines);
                match line {
                    Ok(Some(line)) => {
                        if echo {
                            say(&line);
                        }
                        line
                    }
                    Ok(None) => {
                        say("");
                        return ExitCode::SUCCESS;
                    }
                    Err(error) => {
                        session.error(&format!("cannot read the next message: {error}"));
                        return ExitCode::FAILURE;
                    }
                }
            }
        };
        if message.trim().is_empty() {
            continue;
        }
        if !sets.contains_key(&current) {
            match session.load.clone().start(current.clone()).agent_set() {
                Ok(set) => {
                    sets.insert(current.clone(), set);
                }
                Err(error) => {
                    // Unreachable: the agents `current` reaches are a subset of
                    // the first agent's, which loaded.
                    session.error(&error.to_string());
                    return ExitCode::FAILURE;
                }
            }
        }
        let Some(agents) = sets.get(&current) else {
            return ExitCode::FAILURE;
        };
        let mut input = history.clone();
        input.push(InputItem::user(message));
        let outcome = tokio::select! {
            outcome = session.stream(agents, Input::Items(input)) => outcome,
            _ = tokio::signal::ctrl_c() => {
                lock(&session.terminal).finish();
                say(&style.dim("(answer stopped)"));
                continue;
            }
        };
        match outcome {
            Ok(result) => {
                current = result.last_agent.clone();
                history = result.into_input_list();
            }
            Err(error) => session.run_error(&error),
        }
    }
}
