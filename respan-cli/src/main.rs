//! `respan`: check workflow files, draw their handoff graphs (and, from #5, run them).

mod check;
mod graph;

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
    }
}
