//! `respan run FILE [INPUT]` and `respan chat FILE`: a workflow file checked
//! (the diagnostics of `respan check`), its agents built at run time
//! ([`respan_cli::load`]), every reason it cannot run reported before any
//! request, then one streamed run (or a conversation) against the gateway of
//! `RESPAN_API_KEY`, or respan's offline gateway without one.
//!
//! Exit status: 0 the run answered, 1 the file or the run failed, 2 a usage
//! mistake (an unknown agent, a variable without a value, no input).

mod approve;
mod chat;
mod report;
mod terminal;

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use respan_cli::command::CommandSettings;
use respan_cli::load::Load;
use respan_offline::{OfflineExt as _, OfflineGateway};
use respan_runtime::{
    API_KEY_ENV, AgentSet, Error, Gateway, GatewayBuilder, Input, RunEvent, RunOutcome, RunResult,
    Runner,
};
use tokio::io::{AsyncBufReadExt as _, BufReader, Lines, Stdin};

use crate::ColorChoice;
use terminal::{Shared, Style, Terminal, lock, say};

/// The options `run` and `chat` share.
#[derive(clap::Args, Debug)]
pub(crate) struct RunArgs {
    /// The workflow file.
    file: PathBuf,
    /// The message. Read from stdin when not given (for `chat`: the first message).
    input: Option<String>,
    /// A template variable's value (repeatable); overrides its default in the
    /// file's `[vars]`.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = respan_cli::vars::parse_assignment)]
    vars: Vec<(String, String)>,
    /// Start at this agent (its id) instead of the workflow's `entry`.
    #[arg(long, value_name = "ID")]
    agent: Option<String>,
    /// Bound on model requests per run (default: the file's `max_turns`, else 10).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_turns: Option<u32>,
    /// Use respan's offline gateway (on this machine), even when RESPAN_API_KEY
    /// is set. Without the key it is the default.
    #[arg(long)]
    offline: bool,
    /// Export the run's trace (as RESPAN_TRACING=1 does): to Respan at
    /// RESPAN_BASE_URL/v2/traces, or to the collector OTEL_EXPORTER_OTLP_ENDPOINT names.
    #[arg(long)]
    trace: bool,
    /// Append every exchange with the gateway (without the key) to this cassette
    /// (JSON lines; replay it with --replay). Default: RESPAN_RECORD.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Replay this cassette instead of using a gateway: no key, no network; a
    /// request the cassette does not hold fails naming the field that differs.
    /// Default: RESPAN_REPLAY.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["offline", "record"])]
    replay: Option<PathBuf>,
    /// Colors on stderr: auto (when stderr is a terminal and NO_COLOR is unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

/// Exit status for a usage mistake (clap uses it too).
const USAGE: u8 = 2;
/// Pause between the offline gateway's streamed chunks when a person watches.
const OFFLINE_PACE: Duration = Duration::from_millis(15);

pub(crate) fn main(args: RunArgs, json: bool, interactive: bool) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            say(&format!("error: cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let tracing = match start_tracing(args.trace) {
        Ok(guard) => guard,
        Err(error) => {
            say(&format!("error: {error}"));
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(execute(args, json, interactive));
    // Sends the spans still queued (bounded by the export's shutdown timeout).
    drop(tracing);
    // A chat may leave a read of stdin pending on a blocking thread: do not wait for it.
    runtime.shutdown_background();
    code
}

/// `--trace` or `RESPAN_TRACING=1`: the run's spans exported in the background.
fn start_tracing(flag: bool) -> Result<respan_runtime::telemetry::TracingGuard, Error> {
    use respan_runtime::telemetry::{TRACING_ENV, TraceExport, TracingGuard, env_flag};
    if flag || env_flag(TRACING_ENV) {
        TraceExport::from_env().install()
    } else {
        Ok(TracingGuard::inactive())
    }
}

/// What a run (or each turn of a chat) needs.
pub(crate) struct Session<'s> {
    load: Load<'s>,
    gateway: Gateway,
    runner: Runner,
    terminal: Shared,
    /// stdin, line by line: a chat's messages and the answers to approvals.
    lines: tokio::sync::Mutex<Lines<BufReader<Stdin>>>,
    /// Whether stdin is not a terminal (the transcript then shows what was read).
    echo: bool,
    /// Whether a tool call that needs approval can be asked about (a chat, or
    /// stdin is a terminal); otherwise the run fails.
    can_ask: bool,
}

impl Session<'_> {
    fn style(&self) -> Style {
        lock(&self.terminal).style()
    }

    /// One streamed run of `agents`: shown as it happens, with the usage at the end.
    async fn stream(
        &self,
        agents: &AgentSet<String>,
        input: Input,
    ) -> Result<RunResult<String>, Error> {
        let first = agents
            .get(agents.entry())
            .map(|agent| agent.name().to_string())
            .unwrap_or_default();
        lock(&self.terminal).start(&first);
        let mut events = self
            .runner
            .run_streamed_resumable(&self.gateway, agents, input);
        let outcome = loop {
            let outcome = match events.next().await {
                None => match events.take_interruption() {
                    Some(state) => Ok(RunOutcome::Interrupted(state)),
                    None => Err(Error::MalformedResponse(
                        "the run ended without a result".to_string(),
                    )),
                },
                Some(Err(error)) => Err(error),
                Some(Ok(RunEvent::Completed(result))) => Ok(RunOutcome::Completed(*result)),
                Some(Ok(event)) => {
                    lock(&self.terminal).event(&event);
                    continue;
                }
            };
            match outcome {
                // Asked on the terminal, then the same run goes on.
                Ok(RunOutcome::Interrupted(state)) => match approve::decide(self, state).await {
                    Ok(state) => {
                        let current = agents
                            .get(state.current_agent())
                            .map(|agent| agent.name().to_string())
                            .unwrap_or_default();
                        lock(&self.terminal).start(&current);
                        events = self.runner.resume_streamed(&self.gateway, agents, state);
                    }
                    Err(error) => break Err(error),
                },
                Ok(RunOutcome::Completed(result)) => break Ok(result),
                Err(error) => break Err(error),
            }
        };
        let mut terminal = lock(&self.terminal);
        terminal.finish();
        if let Ok(result) = &outcome {
            terminal.usage(&result.usage, &result.usage_by_agent, |id| {
                agents
                    .get(&id.to_string())
                    .map(|agent| agent.name().to_string())
                    .unwrap_or_else(|| id.to_string())
            });
        }
        outcome
    }

    /// A run's error on stderr, with the command line's way out when there is one.
    fn run_error(&self, error: &Error) {
        if let Error::ApprovalRequired { calls } = error {
            self.error(&format!(
                "{calls} need(s) approval, and nobody can be asked: stdin is not a terminal \
                 (or it ended)"
            ));
            lock(&self.terminal).line(
                "help: run `respan run FILE \"message\"` in a terminal to approve or reject it",
            );
            return;
        }
        self.error(&error.to_string());
        if let Error::MaxTurnsExceeded { .. } = error {
            lock(&self.terminal).line(
                "help: allow more with `--max-turns N`, or `max_turns = N` in the file's `[workflow]`",
            );
        }
    }

    /// An error on stderr.
    fn error(&self, message: &str) {
        let style = self.style();
        lock(&self.terminal).line(&format!("{} {message}", style.error("error:")));
    }
}

async fn execute(args: RunArgs, json: bool, interactive: bool) -> ExitCode {
    let stderr_terminal = std::io::stderr().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stderr_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let style = Style::new(color);
    let say_error = |message: &str| say(&format!("{} {message}", style.error("error:")));

    // The file, checked as `respan check` checks it.
    let path = crate::check::display(&args.file);
    let checked = respan_codegen::check_file(&args.file, &path);
    if !checked.diagnostics.is_empty() {
        let _ = write!(std::io::stderr().lock(), "{}", checked.render(color));
    }
    let Some(spec) = checked.valid_spec() else {
        say_error(&format!(
            "`{path}` has errors: fix them and run it again (`respan check {path}` lists them)"
        ));
        return ExitCode::FAILURE;
    };

    // Its agents, and every reason it cannot run, before any request.
    let terminal: Shared = Arc::new(std::sync::Mutex::new(Terminal::new(
        style,
        !json,
        stderr_terminal,
    )));
    let hook_terminal = terminal.clone();
    let commands = CommandSettings {
        dir: Some(directory_of(&args.file)),
        on_failure: Some(Arc::new(move |failure| {
            lock(&hook_terminal).command_failed(failure)
        })),
    };
    let mut load = Load::new(spec).vars(args.vars).commands(commands);
    if let Some(agent) = args.agent {
        load = load.start(agent);
    }
    let agents = match load.agent_set() {
        Ok(agents) => agents,
        Err(error) => {
            for problem in &error.problems {
                say_error(&problem.to_string());
            }
            return if error.is_usage() {
                ExitCode::from(USAGE)
            } else {
                ExitCode::FAILURE
            };
        }
    };

    let input = match (args.input, interactive) {
        (Some(input), _) => Some(input),
        (None, true) => None,
        (None, false) => match read_stdin() {
            Ok(input) => Some(input),
            Err(message) => {
                say_error(&message);
                return ExitCode::from(USAGE);
            }
        },
    };

    let cassette = Cassette {
        record: args.record,
        replay: args.replay,
    };
    let connected = connect(args.offline, &cassette, std::io::stdout().is_terminal()).await;
    let (gateway, notice) = match connected {
        Ok(connected) => connected,
        Err(error) => {
            say_error(&error.to_string());
            return ExitCode::FAILURE;
        }
    };
    let offline = gateway.is_offline();
    if let Some(notice) = notice {
        say(&style.dim(&notice));
    }
    let mut runner = Runner::new();
    if let Some(max_turns) = args.max_turns {
        runner = runner.max_turns(max_turns);
    }
    let stdin_terminal = std::io::stdin().is_terminal();
    let session = Session {
        load,
        gateway,
        runner,
        terminal,
        lines: tokio::sync::Mutex::new(BufReader::new(tokio::io::stdin()).lines()),
        echo: !stdin_terminal,
        can_ask: interactive || stdin_terminal,
    };

    if interactive {
        return chat::chat(&session, agents, input).await;
    }
    let input = input.unwrap_or_default();
    let outcome = tokio::select! {
        outcome = session.stream(&agents, Input::Text(input)) => outcome,
        _ = tokio::signal::ctrl_c() => {
            lock(&session.terminal).finish();
            say(&style.dim("interrupted"));
            return ExitCode::from(130);
        }
    };
    match outcome {
        Ok(result) => {
            if json {
                let value =
                    report::result_json(&spec.workflow.name.value, offline, &result, &agents);
                let _ = writeln!(std::io::stdout().lock(), "{value:#}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            session.run_error(&error);
            ExitCode::FAILURE
        }
    }
}

/// The directory command tools run in: the workflow file's.
pub(crate) fn directory_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The message, from stdin (all of it).
fn read_stdin() -> Result<String, String> {
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        say("Type the message, then Ctrl-D (or give it as an argument: respan run FILE \"...\").");
    }
    let mut bytes = Vec::new();
    stdin
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the message from stdin: {e}"))?;
    let text =
        String::from_utf8(bytes).map_err(|_| "the message on stdin is not UTF-8".to_string())?;
    let text = text.trim();
    if text.is_empty() {
        return Err(
            "no message: give it as an argument (`respan run FILE \"...\"`) or on stdin"
                .to_string(),
        );
    }
    Ok(text.to_string())
}

/// `--record` and `--replay`.
struct Cassette {
    record: Option<PathBuf>,
    replay: Option<PathBuf>,
}

impl Cassette {
    /// The options on top of `RESPAN_RECORD` / `RESPAN_REPLAY`.
    fn apply(&self, mut builder: GatewayBuilder) -> GatewayBuilder {
        if let Some(path) = &self.record {
            builder = builder.record(path);
        }
        if let Some(path) = &self.replay {
            builder = builder.replay(path);
        }
        builder
    }
}

/// The gateway of `RESPAN_API_KEY` (and `RESPAN_BASE_URL`), or the offline
/// gateway (with `--offline`, or without a key), or a replayed cassette, and
/// what to tell the user.
async fn connect(
    offline: bool,
    cassette: &Cassette,
    paced: bool,
) -> Result<(Gateway, Option<String>), Error> {
    let from_env = cassette.apply(Gateway::builder().cassette_from_env());
    if from_env.replays() {
        let gateway = from_env.build()?;
        let notice = format!(
            "replaying {}: the answers come from the cassette; no request leaves this machine.",
            gateway.cassette().unwrap_or(Path::new("")).display()
        );
        return Ok((gateway, Some(notice)));
    }
    let has_key = std::env::var(API_KEY_ENV).is_ok_and(|key| !key.trim().is_empty());
    let (gateway, notice) = if !offline && has_key {
        (cassette.apply(Gateway::builder_from_env()?).build()?, None)
    } else {
        let pace = if paced { OFFLINE_PACE } else { Duration::ZERO };
        let server =
            OfflineGateway::bind_paced(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), pace).await?;
        let gateway = server.gateway_with(from_env)?;
        let notice = if offline {
            format!(
                "--offline: using respan's offline gateway at {} (answers are made up on this machine; no request leaves it).",
                gateway.base_url()
            )
        } else {
            gateway.offline_notice().unwrap_or_default()
        };
        (gateway, Some(notice))
    };
    let notice = match gateway.cassette() {
        Some(path) => {
            let recording = format!("recording every exchange into {}", path.display());
            Some(match notice {
                Some(notice) => format!("{notice}\n{recording}"),
                None => recording,
            })
        }
        None => notice,
    };
    Ok((gateway, notice))
}
