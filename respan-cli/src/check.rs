//! `respan check`: every diagnostic of every file, and a cargo-like summary.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use respan_codegen::{Checked, check_file};

use crate::{CheckFormat, ColorChoice};

pub(crate) fn run(paths: &[PathBuf], format: CheckFormat, color: ColorChoice) -> ExitCode {
    let mut checked: Vec<Checked> = files(paths)
        .iter()
        .map(|path| check_file(path, &display(path)))
        .collect();
    checked.sort_by(|a, b| a.path.cmp(&b.path));

    let (errors, warnings) = checked.iter().fold((0, 0), |(e, w), c| {
        let (ce, cw) = c.counts();
        (e + ce, w + cw)
    });
    match format {
        CheckFormat::Json => {
            let document = serde_json::json!({
                "files": checked.iter().map(Checked::to_json).collect::<Vec<_>>(),
                "errors": errors,
                "warnings": warnings,
            });
            println!("{document:#}");
        }
        CheckFormat::Human => {
            let color = match color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
                }
            };
            let mut stderr = std::io::stderr().lock();
            for file in &checked {
                let _ = write!(stderr, "{}", file.render(color));
            }
            let _ = writeln!(stderr, "{}", summary(checked.len(), errors, warnings));
        }
    }
    if errors > 0 || checked.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The files `paths` name: each file, every `*.toml` under each directory
/// (recursively), and paths that do not exist (checking them reports it).
pub(crate) fn files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut missing = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect(path, &mut files);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            missing.push(path.clone());
        }
    }
    missing.extend(files);
    missing
}

/// Every `*.toml` under `dir`, recursively, in a stable order.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        files.push(dir.to_path_buf());
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "toml") {
            files.push(path);
        }
    }
}

/// The path as the user would type it: relative to the current directory when possible.
pub(crate) fn display(path: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    relative.to_string_lossy().replace('\\', "/")
}

/// "checked 5 files: no problems" / "checked 3 files: 2 errors, 1 warning".
fn summary(files: usize, errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if files == 0 {
        return "error: no workflow files found".to_owned();
    }
    let checked = plural(files, "file");
    match (errors, warnings) {
        (0, 0) => format!("checked {checked}: no problems"),
        (0, w) => format!("warning: checked {checked}: {}", plural(w, "warning")),
        (e, 0) => format!("error: checked {checked}: {}", plural(e, "error")),
        (e, w) => format!(
            "error: checked {checked}: {}, {}",
            plural(e, "error"),
            plural(w, "warning")
        ),
    }
}
