//! Benchmark (not a timed test): parse and check 100 workflow files, as
//! `respan check` does. Run with `cargo bench -p respan-codegen --bench check`.
//!
//! The files are the five shipped workflows, 20 copies each under distinct names,
//! written to a temporary directory so the figure includes reading them.

use std::path::PathBuf;
use std::time::{Duration, Instant};

const WORKFLOWS: &[(&str, &str)] = &[
    (
        "quickstart",
        include_str!("../../workflows/quickstart.toml"),
    ),
    (
        "switch_models",
        include_str!("../../workflows/switch_models.toml"),
    ),
    ("support", include_str!("../../workflows/support.toml")),
    ("prompts", include_str!("../../workflows/prompts.toml")),
    (
        "respan_params",
        include_str!("../../workflows/respan_params.toml"),
    ),
];
const FILES: usize = 100;
const RUNS: usize = 20;

fn main() {
    let dir = std::env::temp_dir().join(format!("respan-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let files: Vec<(PathBuf, String)> = (0..FILES)
        .map(|i| {
            let (name, text) = WORKFLOWS[i % WORKFLOWS.len()];
            let file = format!("{name}_{i}.toml");
            let text = text.replace(
                &format!("name = \"{name}\""),
                &format!("name = \"{name}_{i}\""),
            );
            let path = dir.join(&file);
            std::fs::write(&path, text).expect("write");
            (path, format!("workflows/{file}"))
        })
        .collect();

    let check_all = || {
        let mut diagnostics = 0;
        for (path, display) in &files {
            let checked = respan_codegen::check_file(path, display);
            diagnostics += checked.diagnostics.len();
            std::hint::black_box(&checked);
        }
        assert_eq!(diagnostics, 0, "the benchmark files are clean");
    };
    check_all(); // warm up the page cache and allocator

    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            check_all();
            start.elapsed()
        })
        .collect();
    times.sort();
    let median = times[RUNS / 2];
    let best = times[0];
    println!(
        "check {FILES} workflow files: median {:.2} ms, best {:.2} ms over {RUNS} runs ({:.1} µs per file)",
        median.as_secs_f64() * 1e3,
        best.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e6 / FILES as f64,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
