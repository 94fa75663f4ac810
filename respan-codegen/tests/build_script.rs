//! The build.rs front door end to end: `cargo build` of a tiny package whose
//! build.rs compiles a workflow with a misspelt handoff fails, and shows the
//! checker's diagnostic (`workflows/support.toml:LINE:COL`, the fix).
//!
//! Offline and bounded: the package's only dependency is this crate (a path
//! build-dependency), built in a target directory kept between runs.

use std::path::Path;
use std::process::Command;

const WORKFLOW: &str = r#"[workflow]
entry = "triage"

[agents.triage]
instructions = "Route to the appropriate agent based on the question."
handoffs = ["biling", "technical"]

[agents.billing]
instructions = "Handle billing and payment questions."

[agents.technical]
instructions = "Handle technical support questions."
"#;

#[test]
fn a_workflow_error_fails_the_build_with_the_diagnostic() {
    let codegen = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let package = tmp.join("build-rs-failure");
    let _ = std::fs::remove_dir_all(&package);
    std::fs::create_dir_all(package.join("src")).unwrap();
    std::fs::create_dir_all(package.join("workflows")).unwrap();
    std::fs::write(
        package.join("Cargo.toml"),
        format!(
            "[package]\nname = \"build-rs-failure\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n\
             [build-dependencies]\nrespan-codegen = {{ path = {:?} }}\n\n[workspace]\n",
            codegen.display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(
        package.join("build.rs"),
        "fn main() -> Result<(), Box<dyn std::error::Error>> {\n    \
         respan_codegen::Builder::new().compile_dir(\"workflows\")?;\n    Ok(())\n}\n",
    )
    .unwrap();
    std::fs::write(package.join("src/main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(package.join("workflows/support.toml"), WORKFLOW).unwrap();
    // The workspace's lock file: the same dependency versions, no resolution online.
    let _ = std::fs::copy(codegen.join("../Cargo.lock"), package.join("Cargo.lock"));

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--offline", "--quiet"])
        .current_dir(&package)
        .env("CARGO_TARGET_DIR", tmp.join("build-rs-failure-target"))
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("error: unknown handoff target `biling`"),
        "{stderr}"
    );
    assert!(stderr.contains("workflows/support.toml:6:13"), "{stderr}");
    assert!(stderr.contains("did you mean `billing`?"), "{stderr}");
    assert!(
        stderr.contains("could not compile the workflows due to 1 error"),
        "{stderr}"
    );
}
