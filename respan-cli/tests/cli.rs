//! The `respan` binary: exit codes, human and JSON output, graphs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn respan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_respan"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the respan binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_passes_on_the_shipped_workflows() {
    let out = respan(&["check", "workflows/"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("no problems"),
        "{}",
        text(&out.stderr)
    );
    // The default path is workflows/.
    assert!(respan(&["check"]).status.success());
}

#[test]
fn check_fails_on_every_catalog_file_at_its_position() {
    let catalog = root().join("respan-codegen/tests/catalog");
    let mut files: Vec<_> = std::fs::read_dir(&catalog)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 30);
    for file in files {
        let relative = file
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let human = respan(&["check", &relative]);
        assert_eq!(
            human.status.code(),
            Some(1),
            "{relative}: {}",
            text(&human.stderr)
        );
        let json = respan(&["check", "--format", "json", &relative]);
        assert_eq!(json.status.code(), Some(1), "{relative}");
        let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("valid JSON");
        let d = &value["files"][0]["diagnostics"][0];
        assert_eq!(d["severity"], "error");
        let place = format!("--> {relative}:{}:{}", d["line"], d["column"]);
        let stderr = text(&human.stderr);
        assert!(
            stderr.contains(&place),
            "{relative}: expected `{place}` in\n{stderr}"
        );
        assert!(stderr.contains(d["message"].as_str().unwrap()), "{stderr}");
    }
}

#[test]
fn warnings_alone_exit_zero() {
    let out = respan(&["check", "respan-codegen/tests/warnings"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("warning: agent `refunds` is unreachable"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: checked 4 files: 4 warnings"),
        "{stderr}"
    );
}

#[test]
fn json_output_counts_everything() {
    let out = respan(&[
        "check",
        "--format",
        "json",
        "workflows/support.toml",
        "respan-codegen/tests/catalog/unknown_handoff_target.toml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["errors"], 1);
    assert_eq!(value["warnings"], 0);
    assert_eq!(value["files"].as_array().unwrap().len(), 2);
    let d = &value["files"][0]["diagnostics"][0];
    assert_eq!(
        d["file"],
        "respan-codegen/tests/catalog/unknown_handoff_target.toml"
    );
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(9), Some(13))
    );
    assert_eq!(d["help"], "did you mean `billing`?");
}

#[test]
fn missing_paths_are_errors_not_panics() {
    let out = respan(&["check", "no/such/file.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot read `no/such/file.toml`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn graph_draws_the_support_handoffs() {
    let out = respan(&["graph", "workflows/support.toml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mermaid = text(&out.stdout);
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert!(
        mermaid.contains("    triage[\"Triage Agent (entry)\"]\n"),
        "{mermaid}"
    );
    assert!(mermaid.contains("    triage --> billing\n"));
    assert!(mermaid.contains("    triage --> technical\n"));

    let out = respan(&["graph", "--format", "dot", "workflows/support.toml"]);
    assert!(out.status.success());
    let dot = text(&out.stdout);
    assert!(dot.starts_with("digraph \"support\" {"));
    assert!(dot.contains("    \"triage\" -> \"technical\";\n"));
}

#[test]
fn graph_draws_agents_used_as_tools_as_dashed_arrows() {
    let out = respan(&["graph", "workflows/manager.toml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mermaid = text(&out.stdout);
    assert!(
        mermaid.contains("    manager -.->|research| researcher\n"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("    manager -.->|write| writer\n"),
        "{mermaid}"
    );

    let out = respan(&["graph", "--format", "dot", "workflows/manager.toml"]);
    assert!(out.status.success());
    let dot = text(&out.stdout);
    assert!(
        dot.contains("    \"manager\" -> \"researcher\" [style=dashed, label=\"research\"];\n"),
        "{dot}"
    );
}

#[test]
fn graph_refuses_files_with_errors() {
    let out = respan(&[
        "graph",
        "respan-codegen/tests/catalog/unknown_handoff_target.toml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("unknown handoff target `biling`"));
}
