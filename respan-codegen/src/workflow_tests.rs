//! The checks of `[[tests]]` tables (DESIGN §3): every name a test uses (its
//! agents, tools, variables, output fields) must exist, its route must be one
//! the workflow can take, and its regex must compile, before any run.

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::Value;

use crate::check::unknown_agent;
use crate::diagnostic::Diagnostic;
use crate::identifier::identifier_problem;
use crate::spec::{AgentSpec, ExpectationSpec, Spanned, Spec, TestSpec, template_variables};
use crate::suggest::did_you_mean;

/// Every diagnostic of the spec's tests.
pub(crate) fn check(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let mut names: HashMap<&str, &TestSpec> = HashMap::new();
    for test in &spec.tests {
        name(test, &mut names, out);
        let label = if test.name.value.is_empty() {
            "this test".to_owned()
        } else {
            format!("test `{}`", test.name.value)
        };
        input(test, &label, out);
        let start = match &test.agent {
            Some(agent) => match spec.agent(&agent.value) {
                Some(start) => Some(start),
                None => {
                    out.push(unknown_agent(
                        spec,
                        "unknown agent",
                        agent,
                        "no agent with this id",
                    ));
                    None
                }
            },
            None => spec.entry_agent(),
        };
        let reached = start.map(|start| reachable(spec, start));
        if let Some(reached) = &reached {
            vars(spec, test, &label, reached, out);
        }
        expectations(spec, test, start, reached.as_deref(), out);
    }
}

/// Tests that expect nothing (only worth saying on a file without errors).
pub(crate) fn warnings(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for test in &spec.tests {
        if test.expectations.is_empty() {
            out.push(
                Diagnostic::warning(
                    format!("test `{}` expects nothing", test.name.value),
                    test.span,
                    "no `last_agent`, `handoffs`, `tools_called`, `output_contains`, `output_matches`, `output` or `max_requests`",
                )
                .with_help("say what the run must show, e.g. `last_agent = \"...\"`")
                .with_note("without an expectation, the test only checks that the run ends with an answer"),
            );
        }
    }
}

fn name<'s>(
    test: &'s TestSpec,
    names: &mut HashMap<&'s str, &'s TestSpec>,
    out: &mut Vec<Diagnostic>,
) {
    let name = test.name.value.as_str();
    if name.is_empty() && test.name.span != test.span {
        // Not a string: the parser said so.
        return;
    }
    if name.is_empty() {
        out.push(
            Diagnostic::error("test without `name`", test.span, "this test has no name").with_help(
                "add `name = \"...\"`, a snake_case identifier such as `routes_refunds_to_billing`",
            ),
        );
        return;
    }
    if let Some(problem) = identifier_problem(name) {
        out.push(
            Diagnostic::error(format!("invalid test name `{name}`"), test.name.span, problem)
                .with_note("a test's name is a snake_case identifier: compiled, it is the name of a `#[test]` function"),
        );
        return;
    }
    if let Some(first) = names.insert(name, test) {
        out.push(
            Diagnostic::error(
                format!("duplicate test name `{name}`"),
                test.name.span,
                "named again here",
            )
            .with_related(first.name.span, "first named here")
            .with_help("rename one of them"),
        );
    }
}

fn input(test: &TestSpec, label: &str, out: &mut Vec<Diagnostic>) {
    match &test.input {
        None => out.push(
            Diagnostic::error(
                format!("{label} has no `input`"),
                test.span,
                "no message to send",
            )
            .with_help("add `input = \"...\"`: the user's message (or a list of messages)"),
        ),
        Some(input) if input.value.is_empty() => out.push(
            Diagnostic::error(
                format!("empty `input` in {label}"),
                input.span,
                "no message",
            )
            .with_help("write the user's message: `input = \"...\"`"),
        ),
        Some(_) => {}
    }
}

/// The agents a run from `start` can reach through handoffs (`start` first).
fn reachable<'s>(spec: &'s Spec, start: &'s AgentSpec) -> Vec<&'s AgentSpec> {
    let mut seen: HashSet<&str> = HashSet::from([start.id.value.as_str()]);
    let mut order = vec![start];
    let mut queue = VecDeque::from([start]);
    while let Some(agent) = queue.pop_front() {
        for target in &agent.handoffs {
            if let Some(next) = spec.agent(&target.value)
                && seen.insert(next.id.value.as_str())
            {
                order.push(next);
                queue.push_back(next);
            }
        }
    }
    order
}

/// The values given must be of known variables; every variable the run's
/// agents use needs a value or a `[vars]` default.
fn vars(
    spec: &Spec,
    test: &TestSpec,
    label: &str,
    reached: &[&AgentSpec],
    out: &mut Vec<Diagnostic>,
) {
    let mut known: Vec<String> = template_variables(&spec.agents)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    for var in &spec.vars {
        if !known.contains(&var.name.value) {
            known.push(var.name.value.clone());
        }
    }
    for (name, _) in &test.vars {
        if known.contains(&name.value) {
            continue;
        }
        let mut d = Diagnostic::error(
            format!("unknown template variable `{}` in {label}", name.value),
            name.span,
            "no instructions use it",
        );
        d = match did_you_mean(&name.value, known.iter().map(String::as_str)) {
            Some(known) => d.with_help(format!("did you mean `{known}`?")),
            None if known.is_empty() => {
                d.with_help("this workflow has no template variables: remove it")
            }
            None => d.with_note(format!(
                "the workflow's variables are {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        out.push(d);
    }
    for (name, users) in template_variables(reached.iter().copied()) {
        if spec.var(&name).is_some() || test.vars.iter().any(|(given, _)| given.value == name) {
            continue;
        }
        out.push(
            Diagnostic::error(
                format!("template variable `{name}` has no value in {label}"),
                test.span,
                format!("the instructions of `{}` use `{{{{ {name} }}}}`", users.join("`, `")),
            )
            .with_help(format!(
                "give it here: `vars = {{ {name} = \"...\" }}`, or a default in the file: `[vars]` `{name} = \"...\"`"
            )),
        );
    }
}

fn expectations(
    spec: &Spec,
    test: &TestSpec,
    start: Option<&AgentSpec>,
    reached: Option<&[&AgentSpec]>,
    out: &mut Vec<Diagnostic>,
) {
    let mut last_agent: Option<(&AgentSpec, &Spanned<ExpectationSpec>)> = None;
    let mut route_end: Option<(&AgentSpec, &Spanned<String>)> = None;
    for expectation in &test.expectations {
        match &expectation.value {
            ExpectationSpec::LastAgent(id) => {
                let id = Spanned::new(id.clone(), expectation.span);
                match spec.agent(&id.value) {
                    Some(agent) => last_agent = Some((agent, expectation)),
                    None => out.push(unknown_agent(
                        spec,
                        "unknown agent",
                        &id,
                        "no agent with this id",
                    )),
                }
            }
            ExpectationSpec::Handoffs(ids) => {
                let mut from = start;
                for id in ids {
                    let Some(agent) = spec.agent(&id.value) else {
                        out.push(unknown_agent(
                            spec,
                            "unknown agent",
                            id,
                            "no agent with this id",
                        ));
                        from = None;
                        continue;
                    };
                    if let Some(previous) = from
                        && !previous.handoffs.iter().any(|t| t.value == id.value)
                    {
                        let mut d = Diagnostic::error(
                            format!(
                                "agent `{}` does not hand off to `{}`",
                                previous.id.value, id.value
                            ),
                            id.span,
                            format!("not in the `handoffs` of `{}`", previous.id.value),
                        );
                        d = if previous.handoffs.is_empty() {
                            d.with_note(format!("`{}` hands off to no agent", previous.id.value))
                        } else {
                            d.with_note(format!(
                                "`{}` hands off to {}",
                                previous.id.value,
                                previous
                                    .handoffs
                                    .iter()
                                    .map(|t| format!("`{}`", t.value))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ))
                        };
                        out.push(d.with_help(
                            "list the agents handed to in the order the run meets them",
                        ));
                    }
                    from = Some(agent);
                    route_end = Some((agent, id));
                }
                if ids.is_empty()
                    && let Some(start) = start
                {
                    route_end = Some((start, &test.name));
                }
            }
            ExpectationSpec::ToolsCalled(tools) => {
                for tool in tools {
                    if spec.tool(&tool.value).is_some() {
                        continue;
                    }
                    let mut d = Diagnostic::error(
                        format!("unknown tool `{}`", tool.value),
                        tool.span,
                        "no `[tools.<name>]` table declares it",
                    );
                    d = if spec.agent(&tool.value).is_some() {
                        d.with_help(format!(
                            "`{}` is an agent, not a tool: list it in `handoffs`",
                            tool.value
                        ))
                    } else if let Some(known) = did_you_mean(
                        &tool.value,
                        spec.tools.iter().map(|t| t.name.value.as_str()),
                    ) {
                        d.with_help(format!("did you mean `{known}`?"))
                    } else {
                        d.with_note("handoffs are not tools: expect them with `handoffs = [...]`")
                    };
                    out.push(d);
                }
            }
            ExpectationSpec::OutputMatches(pattern) => {
                if let Err(error) = regex_syntax::Parser::new().parse(pattern) {
                    out.push(
                        Diagnostic::error(
                            "invalid regex in `output_matches`",
                            expectation.span,
                            "does not compile",
                        )
                        .with_note(error.to_string())
                        .with_help("write a regex of the `regex` crate (https://docs.rs/regex/#syntax); to look for plain text, use `output_contains`"),
                    );
                }
            }
            ExpectationSpec::OutputContains(_)
            | ExpectationSpec::OutputField { .. }
            | ExpectationSpec::MaxRequests(_) => {}
        }
    }
    if let (Some((agent, expectation)), Some((end, at))) = (last_agent, route_end)
        && agent.id.value != end.id.value
    {
        out.push(
            Diagnostic::error(
                format!(
                    "`last_agent` is `{}`, but `handoffs` end at `{}`",
                    agent.id.value, end.id.value
                ),
                expectation.span,
                "expected to answer last",
            )
            .with_related(
                at.span,
                format!("the run's last handoff goes to `{}`", end.id.value),
            )
            .with_help("the last agent is the last one handed to (the start when `handoffs = []`)"),
        );
    } else if let (Some((agent, expectation)), Some(reached), Some(start)) =
        (last_agent, reached, start)
        && !reached.iter().any(|a| a.id.value == agent.id.value)
    {
        out.push(
            Diagnostic::error(
                format!(
                    "agent `{}` cannot be reached from `{}`",
                    agent.id.value, start.id.value
                ),
                expectation.span,
                format!("no handoff route from `{}` leads here", start.id.value),
            )
            .with_help(format!(
                "start the test there with `agent = \"{}\"`, or add a route in `handoffs`",
                agent.id.value
            )),
        );
    }
    output_fields(test, last_agent.map(|(agent, _)| agent), reached, out);
}

/// `output = { ... }`: the run must end at an agent with structured output, and
/// each field must be one its schema declares.
fn output_fields(
    test: &TestSpec,
    last_agent: Option<&AgentSpec>,
    reached: Option<&[&AgentSpec]>,
    out: &mut Vec<Diagnostic>,
) {
    let fields: Vec<(&str, &Spanned<ExpectationSpec>)> = test
        .expectations
        .iter()
        .filter_map(|e| match &e.value {
            ExpectationSpec::OutputField { pointer, .. } => Some((pointer.as_str(), e)),
            _ => None,
        })
        .collect();
    let Some((_, first)) = fields.first() else {
        return;
    };
    let agent = match last_agent {
        Some(agent) if agent.output.is_none() => {
            out.push(
                Diagnostic::error(
                    format!("`output` expects structured output, but agent `{}` answers with text", agent.id.value),
                    first.span,
                    "a field of a structured output",
                )
                .with_help(format!(
                    "check its text with `output_contains` or `output_matches`, or give `{}` an `[agents.{}.output]`",
                    agent.id.value, agent.id.value
                )),
            );
            return;
        }
        Some(agent) => agent,
        None => {
            let Some(reached) = reached else { return };
            let outputs: Vec<&AgentSpec> = reached
                .iter()
                .copied()
                .filter(|a| a.output.is_some())
                .collect();
            match outputs.as_slice() {
                [] => {
                    out.push(
                        Diagnostic::error(
                            "`output` expects structured output, but no agent the run reaches has one",
                            first.span,
                            "a field of a structured output",
                        )
                        .with_help("check the answer's text with `output_contains` or `output_matches`"),
                    );
                    return;
                }
                [one] => *one,
                // Several agents may answer: the field is checked at run time.
                _ => return,
            }
        }
    };
    let Some(schema) = agent.output.as_ref().and_then(|o| o.schema.as_ref()) else {
        // A Rust type: its schema exists only when the program runs.
        return;
    };
    for (pointer, expectation) in fields {
        if let Some((field, known)) = unknown_field(&schema.value, pointer) {
            let mut d = Diagnostic::error(
                format!("unknown output field `{pointer}`"),
                expectation.span,
                format!("the output of `{}` has no field `{field}`", agent.id.value),
            );
            d = match did_you_mean(&field, known.iter().map(String::as_str)) {
                Some(suggestion) => d.with_help(format!("did you mean `{suggestion}`?")),
                None => d.with_note(format!(
                    "its fields are {}",
                    known
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            out.push(d);
        }
    }
}

/// The first segment of `pointer` that `schema`'s `properties` do not declare,
/// with the ones declared there. Schemas without `properties` at a level (free
/// objects, arrays) accept anything below.
fn unknown_field(schema: &Value, pointer: &str) -> Option<(String, Vec<String>)> {
    let mut schema = schema;
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        let properties = schema.get("properties")?.as_object()?;
        match properties.get(&segment) {
            Some(inner) => schema = inner,
            None => return Some((segment, properties.keys().cloned().collect())),
        }
    }
    None
}
