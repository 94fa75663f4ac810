//! The catalog of invalid workflow files: one mistake each, and the exact
//! diagnostics (plain rustc-style text) as insta snapshots. Each file starts with
//! `# expect: <message>`, the headline its (only) diagnostic must have.
//!
//! `tests/warnings/` holds files whose one finding is a warning.

use std::path::Path;

use respan_codegen::{Checked, Severity, check_file};

fn check(path: &Path) -> (Checked, String) {
    let dir = path
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy();
    let display = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
    let checked = check_file(path, &display);
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let expect = text
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("# expect: "))
        .map(str::to_owned)
        .unwrap_or_else(|| "empty workflow file".to_owned());
    (checked, expect)
}

#[test]
fn catalog() {
    insta::glob!("catalog/*.toml", |path| {
        let (checked, expect) = check(path);
        assert_eq!(
            checked.diagnostics.len(),
            1,
            "one mistake, one diagnostic:\n{}",
            checked.render(false)
        );
        let diagnostic = &checked.diagnostics[0];
        assert_eq!(diagnostic.severity, Severity::Error);
        assert_eq!(diagnostic.message, expect);
        insta::assert_snapshot!(checked.render(false));
    });
}

#[test]
fn warnings() {
    insta::glob!("warnings/*.toml", |path| {
        let (checked, expect) = check(path);
        assert!(!checked.has_errors(), "{}", checked.render(false));
        assert_eq!(checked.diagnostics.len(), 1, "{}", checked.render(false));
        assert_eq!(checked.diagnostics[0].severity, Severity::Warning);
        assert_eq!(checked.diagnostics[0].message, expect);
        insta::assert_snapshot!(checked.render(false));
    });
}

#[test]
fn the_catalog_covers_at_least_thirty_mistakes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/catalog");
    let count = std::fs::read_dir(dir).unwrap().count();
    assert!(count >= 30, "only {count} catalog files");
}

#[test]
fn json_form_has_positions() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/catalog/unknown_handoff_target.toml");
    let (checked, _) = check(&path);
    let json = checked.to_json();
    assert_eq!(json["errors"], 1);
    let d = &json["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["message"], "unknown handoff target `biling`");
    assert_eq!(d["file"], "catalog/unknown_handoff_target.toml");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(9), Some(13))
    );
    assert_eq!(
        (d["end_line"].as_u64(), d["end_column"].as_u64()),
        (Some(9), Some(21))
    );
    assert_eq!(d["label"], "no agent with this id");
    assert_eq!(d["help"], "did you mean `billing`?");
}
