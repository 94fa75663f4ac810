//! The handoff tool name exists twice: in `respan-codegen` (which checks workflow
//! files and must not depend on the runtime) and in `respan-runtime` (which sends
//! it). They must agree on every name, or a compiled workflow and the CLI would
//! offer the model different tools.

#[test]
fn codegen_and_runtime_name_handoff_tools_alike() {
    let names = [
        "Billing Agent",
        "Technical Agent",
        "",
        " ",
        "agent",
        "Agent 007",
        "007",
        "tech-support",
        "Tech.Support!",
        "snake_case_name",
        "Ünïcödé Agent",
        "日本語のエージェント",
        "emoji 🤖 bot",
        "tab\tand\nnewline",
        "MiXeD CaSe",
        "trailing space ",
        "__dunder__",
        "İstanbul",
        "ß",
    ];
    for name in names {
        let runtime = respan::handoff_tool_name(name);
        assert_eq!(
            respan_codegen::spec::handoff_tool_name(name),
            runtime,
            "{name:?}"
        );
        assert!(runtime.starts_with("transfer_to_"), "{runtime}");
        assert!(
            runtime
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{runtime}"
        );
    }
}
