//! Editor support: `respan schema` prints the schema shipped in
//! schema/respan-workflow.schema.json, every workflow file names it, and the
//! real taplo (the `#[ignore]`d tests, run by `bash scripts/taplo.sh` with the
//! binary in `TAPLO`) flags a misspelt and a mistyped key in a copy of
//! workflows/support.toml and passes the shipped files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SHIPPED: &str = "schema/respan-workflow.schema.json";
const DIRECTIVE: &str = "#:schema ../schema/respan-workflow.schema.json";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn workflow_files() -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(root().join("workflows"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn respan_schema_prints_the_shipped_schema() {
    let output = Command::new(env!("CARGO_BIN_EXE_respan"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(output.stderr.is_empty(), "{output:?}");
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    let shipped = std::fs::read(root().join(SHIPPED)).unwrap_or_default();
    assert!(
        shipped == output.stdout,
        "{SHIPPED} is not what `respan schema` prints: regenerate it with\n    \
         cargo run -q -p respan-cli -- schema > {SHIPPED}"
    );
}

#[test]
fn every_workflow_file_names_the_shipped_schema() {
    let files = workflow_files();
    assert!(files.len() >= 7, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let first = text.lines().next().unwrap_or_default();
        assert_eq!(first, DIRECTIVE, "first line of {}", file.display());
        let target = file
            .parent()
            .unwrap()
            .join(first.trim_start_matches("#:schema ").trim());
        assert!(
            target.is_file(),
            "{} names {}",
            file.display(),
            target.display()
        );
    }
    // Editors opened at the repository's root map the directory as well.
    let config = std::fs::read_to_string(root().join("taplo.toml")).unwrap();
    assert!(config.contains("\"workflows/**/*.toml\""), "{config}");
    assert!(
        config.contains(&format!("path = \"{SHIPPED}\"")),
        "{config}"
    );
}

/// The taplo binary `scripts/taplo.sh` installed.
fn taplo() -> PathBuf {
    std::env::var_os("TAPLO")
        .map(PathBuf::from)
        .expect("TAPLO names the taplo binary: run `bash scripts/taplo.sh`")
}

fn lint(dir: &Path, args: &[&str]) -> (Output, String) {
    let output = Command::new(taplo())
        .args(["lint", "--colors", "never"])
        .args(args)
        .current_dir(dir)
        // No schema catalogs, nothing fetched: the schema is a local file.
        .env_remove("TAPLO_CONFIG")
        .output()
        .expect("taplo runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, text)
}

/// 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|line| line.contains(needle)).unwrap() + 1
}

/// A copy of the repository's layout (schema/, workflows/support.toml with
/// `edit` applied), so the file's relative `#:schema` line resolves.
fn broken_copy(edit: impl Fn(&str) -> String) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("schema")).unwrap();
    std::fs::create_dir_all(dir.path().join("workflows")).unwrap();
    std::fs::copy(root().join(SHIPPED), dir.path().join(SHIPPED)).unwrap();
    let original = std::fs::read_to_string(root().join("workflows/support.toml")).unwrap();
    let text = edit(&original);
    assert_ne!(text, original, "the edit applies");
    std::fs::write(dir.path().join("workflows/support.toml"), &text).unwrap();
    (dir, text)
}

fn misspell_and_mistype(text: &str) -> String {
    text.replacen("handoff_description", "handoff_descripton", 1)
        .replace(
            "handoffs = [\"billing\", \"technical\"]",
            "handoffs = \"billing\"",
        )
}

fn assert_flags_both(output: &Output, report: &str, text: &str) {
    assert!(!output.status.success(), "taplo passes it:\n{report}");
    let misspelt = line_of(text, "handoff_descripton");
    let mistyped = line_of(text, "handoffs = \"billing\"");
    assert!(
        report.contains("'handoff_descripton' was unexpected")
            && report.contains(&format!("workflows/support.toml:{misspelt}:1")),
        "the misspelt key at line {misspelt}:\n{report}"
    );
    assert!(
        report.contains("is not of type \"array\"")
            && report.contains(&format!("workflows/support.toml:{mistyped}:")),
        "the mistyped value at line {mistyped}:\n{report}"
    );
}

#[test]
#[ignore = "needs taplo: run `bash scripts/taplo.sh`"]
fn taplo_flags_a_misspelt_and_a_mistyped_key_through_the_schema_line() {
    let (dir, text) = broken_copy(misspell_and_mistype);
    let (output, report) = lint(dir.path(), &["--no-auto-config", "workflows/support.toml"]);
    assert_flags_both(&output, &report, &text);
}

#[test]
#[ignore = "needs taplo: run `bash scripts/taplo.sh`"]
fn taplo_flags_a_misspelt_and_a_mistyped_key_through_taplo_toml() {
    // Without the `#:schema` line: taplo.toml's rule alone names the schema.
    let (dir, text) = broken_copy(|original| {
        misspell_and_mistype(original.strip_prefix(DIRECTIVE).unwrap().trim_start())
    });
    std::fs::copy(root().join("taplo.toml"), dir.path().join("taplo.toml")).unwrap();
    let (output, report) = lint(dir.path(), &["workflows/support.toml"]);
    assert_flags_both(&output, &report, &text);
}

#[test]
#[ignore = "needs taplo: run `bash scripts/taplo.sh`"]
fn taplo_passes_the_shipped_workflows() {
    let files: Vec<String> = workflow_files()
        .iter()
        .map(|file| {
            file.strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let (output, report) = lint(&root(), &args);
    assert!(output.status.success(), "{report}");
    assert!(!report.contains("error"), "{report}");
    // A file taplo checked without a schema would pass anyway: prove the
    // schema was found by breaking one copy (the tests above) and by the count.
    assert!(
        report.contains(&format!("total={}", files.len())),
        "taplo checked every file:\n{report}"
    );
}
