//! The handoff graph of a workflow, as Mermaid or Graphviz DOT text. Node ids are
//! agent ids (in Mermaid, the few ids that are flowchart keywords, such as `end`,
//! are capitalized: `End`), labels are display names; the entry is marked and each
//! agent's tools are listed in its node. Handoffs are solid arrows; an agent
//! used as a tool is a dashed arrow labelled with the tool's name (the caller
//! keeps the conversation).

use std::fmt::Write;

use crate::spec::{AgentSpec, Spec};

/// A Mermaid flowchart (`flowchart LR`) of the handoffs.
///
/// ```
/// let spec = respan_codegen::check_source("support.toml", r#"
/// [workflow]
/// entry = "triage"
/// [agents.triage]
/// name = "Triage Agent"
/// handoffs = ["billing"]
/// [agents.billing]
/// name = "Billing Agent"
/// "#).spec.unwrap();
/// let text = respan_codegen::graph::mermaid(&spec);
/// assert!(text.contains("    triage --> billing\n"));
/// assert!(text.contains(r#"billing["Billing Agent"]"#));
///
/// // An agent as a tool: a dashed arrow labelled with the tool.
/// let spec = respan_codegen::check_source("manager.toml", r#"
/// [workflow]
/// entry = "manager"
/// [agents.manager]
/// tools = ["research"]
/// [agents.researcher]
/// [tools.research]
/// agent = "researcher"
/// "#).spec.unwrap();
/// let text = respan_codegen::graph::mermaid(&spec);
/// assert!(text.contains("    manager -.->|research| researcher\n"), "{text}");
/// ```
pub fn mermaid(spec: &Spec) -> String {
    let mut out = String::from("flowchart LR\n");
    for agent in &spec.agents {
        let mut label = escape_mermaid(&agent.name.value);
        if is_entry(spec, agent) {
            label.push_str(" (entry)");
        }
        if !agent.tools.is_empty() {
            let _ = write!(
                label,
                "<br/><small>tools: {}</small>",
                escape_mermaid(&tools(agent))
            );
        }
        let _ = writeln!(out, "    {}[\"{label}\"]", mermaid_id(&agent.id.value));
    }
    for agent in &spec.agents {
        for target in &agent.handoffs {
            let _ = writeln!(
                out,
                "    {} --> {}",
                mermaid_id(&agent.id.value),
                mermaid_id(&target.value)
            );
        }
        for (tool, target) in agent_tools(spec, agent) {
            let _ = writeln!(
                out,
                "    {} -.->|{}| {}",
                mermaid_id(&agent.id.value),
                escape_mermaid(tool),
                mermaid_id(target)
            );
        }
    }
    if let Some(entry) = spec.entry_agent() {
        out.push_str("    classDef entry stroke-width:3px\n");
        let _ = writeln!(out, "    class {} entry", mermaid_id(&entry.id.value));
    }
    out
}

/// Words Mermaid's flowchart grammar takes as keywords, so they cannot be node
/// ids as written (checked against mermaid 11's parser).
const MERMAID_KEYWORDS: &[&str] = &[
    "call",
    "class",
    "click",
    "end",
    "flowchart",
    "graph",
    "href",
    "interpolate",
    "style",
    "subgraph",
];

/// The node id of an agent: its id, capitalized if Mermaid would read a keyword.
fn mermaid_id(id: &str) -> std::borrow::Cow<'_, str> {
    if MERMAID_KEYWORDS.contains(&id) {
        let mut chars = id.chars();
        let first = chars
            .next()
            .map(|c| c.to_ascii_uppercase())
            .unwrap_or_default();
        std::iter::once(first)
            .chain(chars)
            .collect::<String>()
            .into()
    } else {
        id.into()
    }
}

/// A Graphviz DOT digraph of the handoffs.
///
/// ```
/// let spec = respan_codegen::check_source("hello.toml", r#"
/// [workflow]
/// entry = "assistant"
/// [agents.assistant]
/// "#).spec.unwrap();
/// let text = respan_codegen::graph::dot(&spec);
/// assert!(text.starts_with("digraph \"hello\" {"));
/// assert!(text.contains(r#""assistant" [label="Assistant\n(entry)", penwidth=2];"#));
///
/// let spec = respan_codegen::check_source("manager.toml", r#"
/// [workflow]
/// entry = "manager"
/// [agents.manager]
/// tools = ["research"]
/// [agents.researcher]
/// [tools.research]
/// agent = "researcher"
/// "#).spec.unwrap();
/// let text = respan_codegen::graph::dot(&spec);
/// assert!(text.contains(r#""manager" -> "researcher" [style=dashed, label="research"];"#), "{text}");
/// ```
pub fn dot(spec: &Spec) -> String {
    let mut out = String::new();
    // Ids are quoted: DOT keywords (`node`, `graph`, ...) are fine agent ids.
    let _ = writeln!(
        out,
        "digraph \"{}\" {{",
        escape_dot(&spec.workflow.name.value)
    );
    out.push_str("    rankdir=LR;\n    node [shape=box, style=rounded];\n");
    for agent in &spec.agents {
        let mut label = escape_dot(&agent.name.value);
        let mut attributes = String::new();
        if is_entry(spec, agent) {
            label.push_str("\\n(entry)");
            attributes.push_str(", penwidth=2");
        }
        if !agent.tools.is_empty() {
            let _ = write!(label, "\\ntools: {}", escape_dot(&tools(agent)));
        }
        let _ = writeln!(
            out,
            "    \"{}\" [label=\"{label}\"{attributes}];",
            escape_dot(&agent.id.value)
        );
    }
    for agent in &spec.agents {
        for target in &agent.handoffs {
            let _ = writeln!(
                out,
                "    \"{}\" -> \"{}\";",
                escape_dot(&agent.id.value),
                escape_dot(&target.value)
            );
        }
        for (tool, target) in agent_tools(spec, agent) {
            let _ = writeln!(
                out,
                "    \"{}\" -> \"{}\" [style=dashed, label=\"{}\"];",
                escape_dot(&agent.id.value),
                escape_dot(target),
                escape_dot(tool)
            );
        }
    }
    out.push_str("}\n");
    out
}

fn is_entry(spec: &Spec, agent: &AgentSpec) -> bool {
    agent.id.value == spec.workflow.entry.value
}

/// The agent's tools that run an agent, as `(tool name, agent id)`.
fn agent_tools<'a>(
    spec: &'a Spec,
    agent: &'a AgentSpec,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    agent.tools.iter().filter_map(|name| {
        let tool = spec.tools.iter().find(|t| t.name.value == name.value)?;
        Some((
            tool.name.value.as_str(),
            tool.agent.as_ref()?.value.as_str(),
        ))
    })
}

fn tools(agent: &AgentSpec) -> String {
    agent
        .tools
        .iter()
        .map(|t| t.value.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Mermaid labels are quoted; quotes and markup characters become entities.
fn escape_mermaid(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            _ => out.push(c),
        }
    }
    out
}

fn escape_dot(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}
