//! Template variable values for a run: the file's `[vars]` defaults, overridden
//! by values given on the command line (`--var key=value`).

use std::collections::BTreeMap;

use respan_codegen::Spec;
use respan_codegen::spec::{AgentSpec, template_variables};
use respan_codegen::suggest::did_you_mean;

/// Reads `key=value` (what `--var` takes). The value may contain `=`.
///
/// ```
/// use respan_cli::vars::parse_assignment;
/// assert_eq!(parse_assignment("product=Acme"), Ok(("product".into(), "Acme".into())));
/// assert_eq!(parse_assignment("q=a=b"), Ok(("q".into(), "a=b".into())));
/// assert!(parse_assignment("product").is_err());
/// ```
pub fn parse_assignment(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(format!(
            "expected NAME=VALUE (e.g. `--var product=Acme`), got `{text}`"
        )),
    }
}

/// A problem with the variables of a run, found before any request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VarProblem {
    /// A variable the instructions use has no value: no `[vars]` default and no `--var`.
    Missing {
        /// The variable.
        name: String,
        /// The ids of the agents whose instructions use it.
        agents: Vec<String>,
    },
    /// A value was given for a variable no instructions use and `[vars]` does not declare.
    Unknown {
        /// The name given.
        name: String,
        /// A known variable close to it.
        suggestion: Option<String>,
        /// Every variable of the workflow.
        known: Vec<String>,
    },
}

impl std::fmt::Display for VarProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VarProblem::Missing { name, agents } => {
                let agents = agents
                    .iter()
                    .map(|id| format!("`{id}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                write!(
                    f,
                    "template variable `{name}` has no value (the instructions of {agents} use \
                     `{{{{ {name} }}}}`): give it with `--var {name}=...`, or give it a default \
                     in the file: `[vars]` `{name} = \"...\"`"
                )
            }
            VarProblem::Unknown {
                name,
                suggestion,
                known,
            } => {
                write!(
                    f,
                    "unknown template variable `{name}` in `--var {name}=...`: no instructions use it"
                )?;
                match suggestion {
                    Some(suggestion) => write!(f, "; did you mean `{suggestion}`?"),
                    None if known.is_empty() => {
                        write!(f, "; this workflow has no template variables")
                    }
                    None => write!(
                        f,
                        "; the workflow's variables are {}",
                        known
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            }
        }
    }
}

/// The value of every variable `agents`' instructions use: `given` (the last
/// value of a name wins), else the `[vars]` default. Problems: a variable with
/// neither, a given name the workflow does not know.
///
/// A name is known when some instructions of the file use it, or `[vars]`
/// declares it (so one `--var` works whichever agent a run starts from).
pub fn resolve(
    spec: &Spec,
    agents: &[&AgentSpec],
    given: &[(String, String)],
) -> Result<BTreeMap<String, String>, Vec<VarProblem>> {
    let mut problems = Vec::new();
    let all = template_variables(&spec.agents);
    let mut known: Vec<String> = all.iter().map(|(name, _)| name.clone()).collect();
    for var in &spec.vars {
        if !known.contains(&var.name.value) {
            known.push(var.name.value.clone());
        }
    }
    let mut values = BTreeMap::new();
    for (name, value) in given {
        if known.contains(name) {
            values.insert(name.clone(), value.clone());
        } else if !problems
            .iter()
            .any(|p| matches!(p, VarProblem::Unknown { name: n, .. } if n == name))
        {
            problems.push(VarProblem::Unknown {
                name: name.clone(),
                suggestion: did_you_mean(name, known.iter().map(String::as_str))
                    .map(str::to_string),
                known: known.clone(),
            });
        }
    }
    for (name, users) in template_variables(agents.iter().copied()) {
        if values.contains_key(&name) {
            continue;
        }
        match spec.var(&name) {
            Some(var) => {
                values.insert(name, var.default.value.clone());
            }
            None => problems.push(VarProblem::Missing {
                name,
                agents: users,
            }),
        }
    }
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_spec as spec;

    const FILE: &str = r#"
[workflow]
entry = "a"
[vars]
product = "Respan"
[agents.a]
instructions = "For {{ customer }} about {{ product }}."
handoffs = ["b"]
[agents.b]
instructions = "Tone: {{ tone }}."
"#;

    fn given(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_apply_and_given_values_win() {
        let spec = spec(FILE);
        let a = spec.agent("a").unwrap();
        let values = resolve(&spec, &[a], &given(&[("customer", "Ada")])).unwrap();
        assert_eq!(values["product"], "Respan");
        assert_eq!(values["customer"], "Ada");
        let values = resolve(
            &spec,
            &[a],
            &given(&[("customer", "Ada"), ("product", "Acme"), ("product", "Zed")]),
        )
        .unwrap();
        assert_eq!(values["product"], "Zed");
    }

    #[test]
    fn missing_and_unknown_names_are_reported_together() {
        let spec = spec(FILE);
        let agents: Vec<_> = spec.agents.iter().collect();
        let problems = resolve(&spec, &agents, &given(&[("custmer", "Ada")])).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert_eq!(
            problems[0].to_string(),
            "unknown template variable `custmer` in `--var custmer=...`: no instructions use it; \
             did you mean `customer`?"
        );
        assert!(
            problems[1]
                .to_string()
                .starts_with("template variable `customer` has no value (the instructions of `a`")
        );
        assert!(matches!(&problems[2], VarProblem::Missing { name, .. } if name == "tone"));
    }

    #[test]
    fn only_the_agents_of_the_run_need_values() {
        let spec = spec(FILE);
        let b = spec.agent("b").unwrap();
        let values = resolve(&spec, &[b], &given(&[("tone", "warm")])).unwrap();
        assert_eq!(values.get("customer"), None);
        // A variable of another agent is still a known name.
        assert!(resolve(&spec, &[b], &given(&[("tone", "warm"), ("customer", "x")])).is_ok());
    }
}
