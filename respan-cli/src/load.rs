//! What a run of a workflow file starts from (its first agent, the values of its
//! template variables, how its command tools run), everything that would stop
//! it checked before any request, and the [`AgentSet`] it runs: keyed by agent
//! id, with the agents a run from the first one can reach.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Arc;

use respan_codegen::Spec;
use respan_codegen::spec::AgentSpec;
use respan_codegen::suggest::did_you_mean;
use respan_runtime::{AgentSet, Tool};

use crate::agents::AnyTool;
use crate::command::{CommandSettings, CommandTool};
use crate::vars::{self, VarProblem};

/// Why a workflow file cannot run as asked; found before any request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// `--agent` names no agent of the file.
    UnknownAgent {
        /// The id given.
        id: String,
        /// An agent id close to it.
        suggestion: Option<String>,
        /// Every agent id.
        known: Vec<String>,
    },
    /// A tool an agent of the run may call has no `command`: it is bound to a
    /// Rust function, which only a compiled workflow has.
    RustTool {
        /// The tool.
        tool: String,
        /// The agents of the run that list it.
        agents: Vec<String>,
    },
    /// An agent of the run answers with a Rust type (`output.rust`), which only
    /// a compiled workflow has.
    RustOutput {
        /// The agent.
        agent: String,
        /// The Rust type's path, as written.
        rust: String,
    },
    /// An agent of the run computes its instructions with a Rust function
    /// (`instructions_fn`), which only a compiled workflow has.
    RustInstructions {
        /// The agent.
        agent: String,
        /// The function's path, as written.
        function: String,
    },
    /// A handoff of the run has an option that names Rust (`input_filter_fn`,
    /// `input_type`, `on_handoff`, `is_enabled_fn`), which only a compiled
    /// workflow has.
    RustHandoff {
        /// The agent handing off.
        agent: String,
        /// The agent handed to.
        target: String,
        /// The option's key.
        key: &'static str,
        /// The path it names, as written.
        rust: String,
    },
    /// A template variable without a value, or a value for an unknown one.
    Var(VarProblem),
}

impl Problem {
    /// Whether the command line is to blame (exit status 2) rather than the file (1).
    pub fn is_usage(&self) -> bool {
        matches!(self, Problem::UnknownAgent { .. } | Problem::Var(_))
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::UnknownAgent {
                id,
                suggestion,
                known,
            } => {
                write!(f, "no agent `{id}` in this workflow")?;
                match suggestion {
                    Some(suggestion) => write!(f, "; did you mean `{suggestion}`?"),
                    None => write!(f, "; its agents are {}", quoted(known)),
                }
            }
            Problem::RustTool { tool, agents } => write!(
                f,
                "tool `{tool}` (used by {}) has no `command`, so `respan run` cannot call it: \
                 a tool bound to a Rust function runs in compiled workflows \
                 (`respan::workflow!` or build.rs). To run it from the command line, give it \
                 a program in `[tools.{tool}]`, e.g. `command = [\"./{tool}.sh\"]`: the \
                 program gets the call's arguments as JSON on stdin, and what it prints on \
                 stdout is the result",
                quoted(agents)
            ),
            Problem::RustOutput { agent, rust } => write!(
                f,
                "agent `{agent}` answers with the Rust type `{rust}` (`[agents.{agent}.output] \
                 rust`), which only a compiled workflow has (`respan::workflow!` or build.rs); \
                 to run it with `respan run`, describe its answer with a JSON Schema instead: \
                 `[agents.{agent}.output] schema = {{ type = \"object\", ... }}`"
            ),
            Problem::RustInstructions { agent, function } => write!(
                f,
                "agent `{agent}` computes its instructions with the Rust function `{function}` \
                 (`instructions_fn`), so `respan run` cannot run it: a function of the run's \
                 context runs in compiled workflows (`respan::workflow!` or build.rs). To run \
                 it from the command line, give the agent its text instead: \
                 `[agents.{agent}] instructions = \"...\"` (a template: `{{{{ var }}}}`s come \
                 from `--var`)"
            ),
            Problem::RustHandoff {
                agent,
                target,
                key,
                rust,
            } => {
                write!(
                    f,
                    "the handoff from `{agent}` to `{target}` has `{key} = \"{rust}\"`, a Rust {} \
                     that only compiled workflows (`respan::workflow!` or build.rs) have, so \
                     `respan run` cannot run it. ",
                    if *key == "input_type" {
                        "type"
                    } else {
                        "function"
                    }
                )?;
                let fix = match *key {
                    "input_filter_fn" => {
                        "To run it from the command line, use a named filter: `input_filter = \"remove_all_tools\"` or `\"nest_history\"`".to_owned()
                    }
                    "input_type" => "To run it from the command line, describe the input with a JSON Schema: `input_schema = { type = \"object\", properties = { ... } }`".to_owned(),
                    "is_enabled_fn" => "To run it from the command line, use `is_enabled = true` or `false`".to_owned(),
                    _ => format!("To run it from the command line, remove `{key}` from `[agents.{agent}.handoff.{target}]`"),
                };
                f.write_str(&fix)
            }
            Problem::Var(problem) => problem.fmt(f),
        }
    }
}

/// Every reason a run cannot start (at least one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// In the order: agent, tools, outputs, instructions functions, handoff
    /// options, variables.
    pub problems: Vec<Problem>,
}

impl LoadError {
    /// Whether every problem is the command line's (exit status 2).
    pub fn is_usage(&self) -> bool {
        self.problems.iter().all(Problem::is_usage)
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            problem.fmt(f)?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// A run of a checked workflow, to set up: where it starts (default: `entry`),
/// the template variables given (others take their `[vars]` default), and how
/// command tools run.
#[derive(Clone, Debug)]
pub struct Load<'s> {
    spec: &'s Spec,
    start: Option<String>,
    given: Vec<(String, String)>,
    commands: CommandSettings,
}

impl<'s> Load<'s> {
    /// A run of `spec` (which should have no errors: see
    /// [`respan_codegen::Checked::valid_spec`]) from its entry agent.
    pub fn new(spec: &'s Spec) -> Self {
        Self {
            spec,
            start: None,
            given: Vec::new(),
            commands: CommandSettings::default(),
        }
    }

    /// Starts the run at this agent instead of `entry`.
    pub fn start(mut self, id: impl Into<String>) -> Self {
        self.start = Some(id.into());
        self
    }

    /// Gives a template variable's value (the last one given for a name wins).
    pub fn var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.given.push((name.into(), value.into()));
        self
    }

    /// Gives several template variables.
    pub fn vars(mut self, values: impl IntoIterator<Item = (String, String)>) -> Self {
        self.given.extend(values);
        self
    }

    /// Where command tools run and who hears of their failures.
    pub fn commands(mut self, settings: CommandSettings) -> Self {
        self.commands = settings;
        self
    }

    /// The id of the agent the run starts with.
    pub fn start_id(&self) -> &str {
        self.start
            .as_deref()
            .unwrap_or(&self.spec.workflow.entry.value)
    }

    /// The agents a run from the start can reach through handoffs and agent
    /// tools, in file order.
    pub fn agents(&self) -> Result<Vec<&'s AgentSpec>, LoadError> {
        let start = self.start_id();
        let Some(first) = self.spec.agent(start) else {
            let known: Vec<String> = self
                .spec
                .agents
                .iter()
                .map(|a| a.id.value.clone())
                .collect();
            return Err(LoadError {
                problems: vec![Problem::UnknownAgent {
                    id: start.to_string(),
                    suggestion: did_you_mean(start, known.iter().map(String::as_str))
                        .map(str::to_string),
                    known,
                }],
            });
        };
        let mut reached: HashSet<&str> = HashSet::from([first.id.value.as_str()]);
        let mut queue = VecDeque::from([first]);
        while let Some(agent) = queue.pop_front() {
            let agent_tools = agent
                .tools
                .iter()
                .filter_map(|name| self.spec.tool(&name.value)?.agent.as_ref());
            for target in agent.handoffs.iter().chain(agent_tools) {
                if let Some(next) = self.spec.agent(&target.value)
                    && reached.insert(next.id.value.as_str())
                {
                    queue.push_back(next);
                }
            }
        }
        Ok(self
            .spec
            .agents
            .iter()
            .filter(|agent| reached.contains(agent.id.value.as_str()))
            .collect())
    }

    /// The values of the template variables the run's agents use.
    pub fn var_values(&self) -> Result<BTreeMap<String, String>, LoadError> {
        let agents = self.agents()?;
        vars::resolve(self.spec, &agents, &self.given).map_err(|problems| LoadError {
            problems: problems.into_iter().map(Problem::Var).collect(),
        })
    }

    /// The agents of the run, keyed by id, starting at [`Load::start_id`], with
    /// the workflow's `max_turns`; or every reason it cannot run.
    pub fn agent_set(&self) -> Result<AgentSet<String>, LoadError> {
        let agents = self.agents()?;
        let mut problems = Vec::new();
        let mut tools: BTreeMap<&str, Arc<dyn Tool<()>>> = BTreeMap::new();
        for tool in &self.spec.tools {
            let users: Vec<String> = agents
                .iter()
                .filter(|agent| agent.tools.iter().any(|t| t.value == tool.name.value))
                .map(|agent| agent.id.value.clone())
                .collect();
            if users.is_empty() || tool.is_agent_tool() {
                // An agent tool runs its agent, which is part of the run.
                continue;
            }
            match CommandTool::from_spec(tool, &self.commands) {
                Some(command) => {
                    tools.insert(&tool.name.value, Arc::new(command));
                }
                None => problems.push(Problem::RustTool {
                    tool: tool.name.value.clone(),
                    agents: users,
                }),
            }
        }
        for agent in &agents {
            if let Some(rust) = agent.output.as_ref().and_then(|o| o.rust.as_ref()) {
                problems.push(Problem::RustOutput {
                    agent: agent.id.value.clone(),
                    rust: rust.value.clone(),
                });
            }
        }
        for agent in &agents {
            if let Some(function) = &agent.instructions_fn {
                problems.push(Problem::RustInstructions {
                    agent: agent.id.value.clone(),
                    function: function.value.clone(),
                });
            }
        }
        for agent in &agents {
            for options in &agent.handoff_options {
                if !agents.iter().any(|a| a.id.value == options.target.value) {
                    continue;
                }
                for (key, rust) in options.rust_only() {
                    problems.push(Problem::RustHandoff {
                        agent: agent.id.value.clone(),
                        target: options.target.value.clone(),
                        key,
                        rust: rust.to_owned(),
                    });
                }
            }
        }
        let values = match vars::resolve(self.spec, &agents, &self.given) {
            Ok(values) => values,
            Err(var_problems) => {
                problems.extend(var_problems.into_iter().map(Problem::Var));
                BTreeMap::new()
            }
        };
        if !problems.is_empty() {
            return Err(LoadError { problems });
        }
        let mut set = AgentSet::new(self.start_id().to_string())
            .workflow_name(self.spec.workflow.name.value.clone());
        if let Some(max_turns) = &self.spec.workflow.max_turns {
            set = set.max_turns(max_turns.value);
        }
        for spec in agents {
            let agent = crate::agents::agent(spec, &values);
            let agent_tools = spec.tools.iter().filter_map(|name| {
                let tool = self.spec.tool(&name.value)?;
                if tool.is_agent_tool() {
                    Some(AnyTool::Agent(crate::agents::agent_tool(tool)))
                } else {
                    tools
                        .get(name.value.as_str())
                        .cloned()
                        .map(AnyTool::Function)
                }
            });
            set = set.agent(crate::agents::with_tools(agent, agent_tools));
        }
        Ok(set)
    }
}

fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_spec as spec;

    const SHOP: &str = r#"
[workflow]
entry = "triage"
max_turns = 4
[agents.triage]
instructions = "Route."
handoffs = ["billing", "technical"]
[agents.billing]
instructions = "Bill {{ customer }}."
tools = ["lookup", "refund"]
[agents.billing.output]
rust = "Refund"
[agents.technical]
instructions = "Fix things."
tools = ["diagnose"]
[tools.lookup]
description = "Look up."
[tools.refund]
description = "Refund."
command = ["./refund.sh"]
[tools.diagnose]
description = "Diagnose."
command = ["sh", "-c", "echo ok"]
"#;

    #[test]
    fn every_problem_of_the_run_is_reported_at_once() {
        let spec = spec(SHOP);
        let error = Load::new(&spec).agent_set().unwrap_err();
        let kinds: Vec<String> = error
            .problems
            .iter()
            .map(|p| {
                format!("{p:?}")
                    .split([' ', '('])
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(kinds, ["RustTool", "RustOutput", "Var"]);
        let text = error.to_string();
        assert!(
            text.starts_with("tool `lookup` (used by `billing`) has no `command`"),
            "{text}"
        );
        assert!(text.contains("compiled workflows (`respan::workflow!` or build.rs)"));
        assert!(text.contains("`command = [\"./lookup.sh\"]`"), "{text}");
        assert!(text.contains("agent `billing` answers with the Rust type `Refund`"));
        assert!(!error.is_usage());
    }

    #[test]
    fn a_run_holds_the_agents_its_start_reaches() {
        let spec = spec(SHOP);
        let set = Load::new(&spec).start("technical").agent_set().unwrap();
        assert_eq!(set.entry(), "technical");
        assert_eq!(set.max_turns_value(), 4);
        let ids: Vec<&str> = set.agents().map(|a| a.key().as_str()).collect();
        assert_eq!(ids, ["technical"]);
        let tools: Vec<&str> = set
            .agents()
            .next()
            .unwrap()
            .tools()
            .iter()
            .map(|t| t.name())
            .collect();
        assert_eq!(tools, ["diagnose"]);
    }

    #[test]
    fn an_unknown_start_suggests_an_agent() {
        let spec = spec(SHOP);
        let error = Load::new(&spec).start("techincal").agent_set().unwrap_err();
        assert_eq!(
            error.to_string(),
            "no agent `techincal` in this workflow; did you mean `technical`?"
        );
        assert!(error.is_usage());
        let error = Load::new(&spec).start("zzz").agent_set().unwrap_err();
        assert_eq!(
            error.to_string(),
            "no agent `zzz` in this workflow; its agents are `triage`, `billing`, `technical`"
        );
    }
}
