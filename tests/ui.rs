//! Compile-time checks (trybuild): every mistake DESIGN §4 lists is a compile
//! error through `workflow!` and `#[respan_agent]`, with the TOML file's
//! `line:column` and the fix; valid workflows compile.
//!
//! One trybuild invocation (it builds all cases as one crate). Update the
//! `.stderr` snapshots with `TRYBUILD=overwrite cargo test --test ui`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
