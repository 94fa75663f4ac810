//! A user crate depending on `respan` with default features does not get the
//! offline gateway: the crate `respan-offline` (which alone holds `OfflineGateway`,
//! the fake gateway and their HTTP server) is not in its dependency graph, and is
//! when the user asks for `features = ["offline"]`.
//!
//! Fast and offline: `cargo tree` resolves features without compiling, with the
//! workspace's lock file.

use std::path::Path;
use std::process::Command;

/// The features enabled in the graph of a package whose only dependency is
/// `respan = { path = .., <extra> }`, as `cargo tree -e features` prints them
/// (`respan feature "offline"`, `respan-offline v0.1.0 (..)`).
fn features_of_a_user_crate(name: &str, extra: &str) -> String {
    let respan = Path::new(env!("CARGO_MANIFEST_DIR"));
    let package = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&package);
    std::fs::create_dir_all(package.join("src")).expect("temp package");
    std::fs::write(
        package.join("Cargo.toml"),
        format!(
            "[package]\nname = {name:?}\nversion = \"0.0.0\"\nedition = \"2024\"\n\n\
             [dependencies]\nrespan = {{ path = {:?}{extra} }}\n\n[workspace]\n",
            respan.display().to_string()
        ),
    )
    .expect("Cargo.toml");
    std::fs::write(package.join("src/main.rs"), "fn main() {}\n").expect("main.rs");
    // The workspace's lock file: the same versions, no resolution online.
    std::fs::copy(respan.join("Cargo.lock"), package.join("Cargo.lock")).expect("Cargo.lock");

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["tree", "--offline", "-e", "features", "--prefix", "none"])
        .current_dir(&package)
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .expect("cargo tree");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("respan-runtime v"), "{stdout}");
    stdout
}

/// The development gateways' crate, as `cargo tree` names it.
const OFFLINE: &str = "respan-offline v";

#[test]
fn default_features_leave_the_offline_gateway_out() {
    let tree = features_of_a_user_crate("uses-respan-default", "");
    assert!(!tree.contains(OFFLINE), "{tree}");
    assert!(!tree.contains("respan feature \"offline\""), "{tree}");
    assert!(!tree.contains("respan feature \"testing\""), "{tree}");
    // Nor their HTTP server: the runtime itself serves nothing.
    assert!(!tree.contains("hyper feature \"server\""), "{tree}");
}

#[test]
fn the_offline_feature_brings_it_in() {
    let tree = features_of_a_user_crate("uses-respan-offline", ", features = [\"offline\"]");
    assert!(tree.contains(OFFLINE), "{tree}");
}
