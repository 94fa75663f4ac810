//! `respan test [PATHS]`: every `[[tests]]` of the workflow files, run one after
//! the other against the offline gateway (or the real one with `--live`),
//! reported like `cargo test`. A failed expectation is shown as a diagnostic at
//! its TOML line, with what it expected and what the run did.
//!
//! `--record FILE` writes every exchange to a cassette, `--replay FILE` serves
//! the runs from one (no gateway, no key).
//!
//! Exit status: 0 every test passed (ignored ones included), 1 a test failed or
//! a file has errors, 2 a usage mistake (no key for `--live`).

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use respan_cli::command::CommandSettings;
use respan_cli::load::Problem;
use respan_cli::workflow_tests::{self, Outcome};
use respan_codegen::{Checked, Diagnostic, check_file};
use std::net::{Ipv4Addr, SocketAddr};

use respan_offline::OfflineGateway;
use respan_runtime::{API_KEY_ENV, Error, Gateway, GatewayBuilder};

use crate::ColorChoice;

/// The options of `respan test`.
#[derive(clap::Args, Debug)]
pub(crate) struct TestArgs {
    /// Workflow files or directories of them (`*.toml`, searched recursively).
    #[arg(default_value = "workflows")]
    paths: Vec<PathBuf>,
    /// Run against the real gateway (RESPAN_API_KEY, RESPAN_BASE_URL) instead
    /// of the offline one: real models, real cost, answers that vary.
    #[arg(long)]
    live: bool,
    /// Append every exchange with the gateway (without the key) to this
    /// cassette (JSON lines), to replay with --replay.
    #[arg(long, value_name = "FILE", conflicts_with = "replay")]
    record: Option<PathBuf>,
    /// Replay this cassette instead of a gateway: no key, no network; a
    /// request the cassette does not hold fails the test, naming the field
    /// that differs.
    #[arg(long, value_name = "FILE", conflicts_with = "live")]
    replay: Option<PathBuf>,
    /// Only the tests whose full name (`workflow::test`) contains this text.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// Colors: auto (when stdout is a terminal and NO_COLOR is unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

/// Exit status for a usage mistake.
const USAGE: u8 = 2;

/// Where the runs' requests go.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    /// respan's offline gateway, started for this command.
    Offline,
    /// The gateway of `RESPAN_API_KEY` (`--live`).
    Live,
    /// A recorded cassette (`--replay`).
    Replay(PathBuf),
}

impl Target {
    /// The gateway, recording into `record` when given.
    async fn gateway(&self, record: Option<&Path>) -> Result<Gateway, Error> {
        let recording = |builder: GatewayBuilder| match record {
            Some(path) => builder.record(path),
            None => builder,
        };
        match self {
            Target::Offline => OfflineGateway::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
                .await?
                .gateway_with(recording(Gateway::builder())),
            Target::Live => recording(Gateway::builder_from_env()?).build(),
            Target::Replay(path) => Gateway::replay(path),
        }
    }
}

pub(crate) fn main(args: TestArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(execute(args))
}

/// A test's outcome as the summary counts it.
enum Verdict {
    Ok,
    Failed(String),
    Ignored(String),
}

async fn execute(args: TestArgs) -> ExitCode {
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };

    let files = crate::check::files(&args.paths);
    let checked: Vec<(PathBuf, Checked)> = files
        .into_iter()
        .map(|path| {
            let checked = check_file(&path, &crate::check::display(&path));
            (path, checked)
        })
        .collect();
    let mut broken = 0;
    for (_, file) in &checked {
        if file.has_errors() {
            broken += 1;
            eprint!("{}", file.render(color));
            eprintln!(
                "error: `{}` has errors, so its tests cannot run (`respan check {}` lists them)",
                file.path, file.path
            );
        }
    }
    let runnable: Vec<(&Path, &Checked, &respan_codegen::Spec)> = checked
        .iter()
        .filter_map(|(path, file)| Some((path.as_path(), file, file.valid_spec()?)))
        .collect();
    let total: usize = runnable.iter().map(|(_, _, spec)| spec.tests.len()).sum();
    let selected = |spec: &respan_codegen::Spec, name: &str| {
        args.filter
            .as_deref()
            .is_none_or(|filter| format!("{}::{name}", spec.workflow.name.value).contains(filter))
    };
    let count: usize = runnable
        .iter()
        .map(|(_, _, spec)| {
            spec.tests
                .iter()
                .filter(|t| selected(spec, &t.name.value))
                .count()
        })
        .sum();
    if checked.is_empty() {
        eprintln!(
            "error: no workflow files found in {}",
            shown_paths(&args.paths)
        );
        return ExitCode::FAILURE;
    }

    let target = match (&args.replay, args.live) {
        (Some(path), _) => Target::Replay(path.clone()),
        (None, true) => Target::Live,
        (None, false) => Target::Offline,
    };
    if target == Target::Live && !std::env::var(API_KEY_ENV).is_ok_and(|k| !k.trim().is_empty()) {
        eprintln!(
            "error: --live runs against the real gateway and needs {API_KEY_ENV}; without it, `respan test` runs on the offline gateway"
        );
        return ExitCode::from(USAGE);
    }
    let gateway = match target.gateway(args.record.as_deref()).await {
        Ok(gateway) => gateway,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };

    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "\nrunning {count} test{} from {} file{}{}",
        plural(count),
        runnable.len(),
        plural(runnable.len()),
        match &target {
            Target::Live => " against the real gateway".to_string(),
            Target::Replay(path) => format!(" replaying {}", path.display()),
            Target::Offline => String::new(),
        }
    );
    let (mut passed, mut failed, mut ignored) = (0, 0, 0);
    let mut reports: Vec<(String, String)> = Vec::new();
    for (path, file, spec) in &runnable {
        let commands = CommandSettings {
            dir: Some(crate::run::directory_of(path)),
            on_failure: None,
        };
        for test in &spec.tests {
            if !selected(spec, &test.name.value) {
                continue;
            }
            let name = format!("{}::{}", spec.workflow.name.value, test.name.value);
            let _ = write!(out, "test {name} ... ");
            let _ = out.flush();
            let outcome = workflow_tests::run(spec, test, &gateway, commands.clone()).await;
            match verdict(file, &name, test, outcome, color) {
                Verdict::Ok => {
                    passed += 1;
                    let _ = writeln!(out, "{}", paint("32", "ok"));
                }
                Verdict::Ignored(reason) => {
                    ignored += 1;
                    let _ = writeln!(out, "{}, {reason}", paint("33", "ignored"));
                }
                Verdict::Failed(report) => {
                    failed += 1;
                    let _ = writeln!(out, "{}", paint("31", "FAILED"));
                    reports.push((name, report));
                }
            }
        }
    }
    if !reports.is_empty() {
        let _ = writeln!(out, "\nfailures:\n");
        for (name, report) in &reports {
            let _ = writeln!(out, "---- {name} ----\n{report}");
        }
        let _ = writeln!(out, "failures:");
        for (name, _) in &reports {
            let _ = writeln!(out, "    {name}");
        }
    }
    let ok = failed == 0 && broken == 0;
    let _ = writeln!(
        out,
        "\ntest result: {}. {passed} passed; {failed} failed; {ignored} ignored; {} filtered out{}\n",
        if ok {
            paint("32", "ok")
        } else {
            paint("31", "FAILED")
        },
        total - count,
        if broken > 0 {
            format!("; {broken} file{} with errors", plural(broken))
        } else {
            String::new()
        }
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// What the summary says of one outcome, with the report of a failure: each
/// expectation not met as a diagnostic at its TOML line.
fn verdict(
    file: &Checked,
    name: &str,
    test: &respan_codegen::spec::TestSpec,
    outcome: Outcome,
    color: bool,
) -> Verdict {
    match outcome {
        Outcome::Passed => Verdict::Ok,
        Outcome::NotRunnable(error) if error.problems.iter().all(needs_compiling) => {
            Verdict::Ignored(format!(
                "{} (run it compiled: `respan::workflow!(\"{}\", tests)`, then `cargo test`)",
                compiled_only_reason(&error.problems),
                file.path
            ))
        }
        Outcome::NotRunnable(error) => Verdict::Failed(format!("the run cannot start: {error}\n")),
        Outcome::Error(error) => {
            let diagnostic = Diagnostic::error(
                format!("test `{name}` failed: the run ended with an error"),
                test.span,
                "this test",
            )
            .with_note(error.to_string());
            Verdict::Failed(format!("{}\n\n", file.render_one(&diagnostic, color)))
        }
        Outcome::Failed(failures) => {
            let mut report = String::new();
            for failure in failures {
                let diagnostic = Diagnostic::error(
                    format!("`{}` not met", failure.key),
                    failure.span,
                    format!("expected {}", failure.mismatch.expected),
                )
                .with_note(format!("actual: {}", failure.mismatch.actual));
                report.push_str(&file.render_one(&diagnostic, color));
                report.push_str("\n\n");
            }
            Verdict::Failed(report)
        }
    }
}

/// Whether only a compiled workflow can run what the test needs.
fn needs_compiling(problem: &Problem) -> bool {
    matches!(
        problem,
        Problem::RustTool { .. }
            | Problem::RustOutput { .. }
            | Problem::RustInstructions { .. }
            | Problem::RustHandoff { .. }
    )
}

/// "tool `lookup_invoice` is a Rust function", in short.
fn compiled_only_reason(problems: &[Problem]) -> String {
    problems
        .iter()
        .filter_map(|problem| match problem {
            Problem::RustTool { tool, .. } => {
                Some(format!("tool `{tool}` is a Rust function (no `command`)"))
            }
            Problem::RustOutput { agent, rust } => Some(format!(
                "agent `{agent}` answers with the Rust type `{rust}`"
            )),
            Problem::RustInstructions { agent, function } => Some(format!(
                "agent `{agent}` computes its instructions with the Rust function `{function}`"
            )),
            Problem::RustHandoff {
                agent,
                target,
                key,
                rust,
            } => Some(format!(
                "the handoff from `{agent}` to `{target}` has `{key} = \"{rust}\"`"
            )),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn shown_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| format!("`{}`", p.display()))
        .collect::<Vec<_>>()
        .join(", ")
}
