//! `respan`: run workflow files (streaming the answer), check them, draw their
//! handoff graphs.

mod check;
mod graph;
mod run;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Typed LLM agent workflows for the Respan gateway.
#[derive(Parser, Debug)]
#[command(name = "respan", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a workflow: stream its answer to a message (from INPUT or stdin).
    ///
    /// Without RESPAN_API_KEY (or with --offline) it runs against respan's
    /// offline gateway, on this machine. Exits with 0 when the run ends with an
    /// answer, 1 when the file has errors or the run fails, 2 for a usage
    /// mistake (an unknown agent, a variable without a value).
    Run {
        #[command(flatten)]
        run: run::RunArgs,
        /// Print the result as one JSON object on stdout (final output,
        /// structured output, last agent, items, usage) instead of streaming the text.
        #[arg(long, conflicts_with = "interactive")]
        json: bool,
        /// Chat: after each answer, read the next message (history kept); Ctrl-D ends.
        #[arg(short, long)]
        interactive: bool,
    },
    /// Chat with a workflow (`respan run -i`); Ctrl-D ends.
    ///
    /// Each message is sent with the whole conversation, to the agent that
    /// answered last. Ctrl-C stops an answer.
    Chat {
        #[command(flatten)]
        run: run::RunArgs,
    },
    /// Check workflow files: the same diagnostics as the compiler.
    ///
    /// Exits with 1 if any file has an error, 0 otherwise (warnings included).
    Check {
        /// Workflow files or directories of them (`*.toml`, searched recursively).
        #[arg(default_value = "workflows")]
        paths: Vec<std::path::PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
        /// Colored output: auto (when stderr is a terminal and NO_COLOR is unset), always, never.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Print the JSON Schema of workflow files (draft-07), for editors.
    ///
    /// The same schema as `schema/respan-workflow.schema.json` in respan's
    /// repository: point taplo or VS Code's Even Better TOML at it (a
    /// `#:schema path` first line, or a `taplo.toml` rule) to complete keys and
    /// flag unknown or mistyped ones as you type.
    Schema,
    /// Draw a workflow's handoff graph (entry marked, tools listed).
    Graph {
        /// The workflow file.
        file: std::path::PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    /// rustc-style diagnostics on stderr, a summary line.
    Human,
    /// One JSON document on stdout.
    Json,
}

/// When to color output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    /// A Mermaid flowchart (renders on GitHub).
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            paths,
            format,
            color,
        } => check::run(&paths, format, color),
        Command::Graph { file, format } => graph::run(&file, format),
        Command::Schema => print_schema(),
        Command::Run {
            run,
            json,
            interactive,
        } => run::main(run, json, interactive),
        Command::Chat { run } => run::main(run, false, true),
    }
}

/// `respan schema`: the schema on stdout (a closed pipe, as with `| head`, is no error).
fn print_schema() -> ExitCode {
    use std::io::Write as _;
    let text = respan_codegen::json_schema::json_schema_text();
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot write the schema: {error}");
            ExitCode::FAILURE
        }
    }
}
