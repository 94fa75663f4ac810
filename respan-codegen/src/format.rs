//! The workflow file format (v1) as data: every table, each of its keys with the
//! type of its value, a description, the values an enum allows and the ranges the
//! checker enforces.
//!
//! This is the one statement of the format's keys. The TOML parser reads it for
//! its unknown-key errors and their "did you mean ...?", the checker for its
//! ranges, and [`crate::json_schema`] turns it into the JSON Schema editors use
//! (`respan schema`). A new key is one [`Key`] here plus the code that gives it
//! its effect.
//!
//! ```
//! use respan_codegen::format::{self, Type};
//! let temperature = format::MODEL_SETTINGS.key("temperature").unwrap();
//! assert!(matches!(temperature.ty, Type::Number { min: Some(0.0), max: Some(2.0), .. }));
//! assert!(format::AGENT.names().any(|name| name == "handoffs"));
//! ```

/// A table of the format: its keys, in the order the documentation shows them.
#[derive(Debug)]
pub struct Table {
    /// How messages and the schema name the table (`[workflow]`, `model_settings`).
    pub name: &'static str,
    /// What the table is for (the schema's description).
    pub description: &'static str,
    pub keys: &'static [Key],
}

impl Table {
    /// The key named `name`.
    pub fn key(&self, name: &str) -> Option<&'static Key> {
        self.keys.iter().find(|key| key.name == name)
    }

    /// The keys' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + Clone + use<> {
        self.keys.iter().map(|key| key.name)
    }
}

/// One key of a table.
#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    pub ty: Type,
    /// What the key does (the schema's description, shown by editors on hover).
    pub description: &'static str,
    /// Whether a file without it is an error (the checker says so).
    pub required: bool,
    /// Agent keys only: whether `[defaults]` may set it (`name`, `handoffs` and
    /// `handoff_description` only make sense per agent).
    pub defaultable: bool,
    /// Keys of the same table this one may not be written beside: the two
    /// give one thing two ways (`instructions_fn` and `instructions`), or do
    /// not go together (an agent tool's `agent` and `rust`).
    pub excludes: &'static [&'static str],
}

impl Key {
    const fn new(name: &'static str, ty: Type, description: &'static str) -> Self {
        Self {
            name,
            ty,
            description,
            required: false,
            defaultable: true,
            excludes: &[],
        }
    }

    const fn excludes(mut self, others: &'static [&'static str]) -> Self {
        self.excludes = others;
        self
    }

    const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    const fn per_agent(mut self) -> Self {
        self.defaultable = false;
        self
    }
}

/// The type of a key's value.
#[derive(Debug)]
pub enum Type {
    String,
    Boolean,
    /// An integer in `min..=max`.
    Integer {
        min: i64,
        max: i64,
    },
    /// A number (an integer is accepted too), in the range where one is given.
    Number {
        min: Option<f64>,
        /// Whether `min` itself is excluded (`timeout_secs` must be positive).
        exclusive_min: bool,
        max: Option<f64>,
    },
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// An array of strings.
    Strings,
    /// A table of the format, its keys checked.
    Table(&'static Table),
    /// A table whose keys are names the file chooses, each value of this type.
    Map(&'static Type),
    /// A table passed through as JSON: any keys, any values.
    Open,
    /// Any one of these types.
    OneOf(&'static [Type]),
    /// An array of values of this type (`[[tests]]`: of tables).
    Array(&'static Type),
}

/// `temperature = 0..=2`, ...: a number key with an inclusive range.
const fn number(min: f64, max: f64) -> Type {
    Type::Number {
        min: Some(min),
        exclusive_min: false,
        max: Some(max),
    }
}

/// `tool_use_behavior` values.
pub const TOOL_USE_BEHAVIORS: &[&str] = &["run_llm_again", "stop_on_first_tool"];
/// Where Respan parameters or a gateway prompt travel: `placement` values.
pub const PLACEMENTS: &[&str] = &["body", "respan_params", "header"];
/// The `tool_choice` values that name no tool.
pub const TOOL_CHOICES: &[&str] = &["auto", "required", "none"];

/// The longest `timeout_secs` a tool may have: a day.
pub const MAX_TOOL_TIMEOUT_SECS: f64 = 86_400.0;

/// The whole file.
pub const TOP: Table = Table {
    name: "the top level",
    description: "A respan workflow file (format v1): agents, their handoffs and tools, compiled to typed Rust or run by the `respan` CLI.",
    keys: &[
        Key::new(
            "workflow",
            Type::Table(&WORKFLOW),
            "The workflow: its name and its entry agent.",
        )
        .required(),
        Key::new(
            "defaults",
            Type::Table(&DEFAULTS),
            "Agent fields every agent inherits unless it sets its own (within `model_settings` and `respan`, key by key).",
        ),
        Key::new(
            "agents",
            Type::Map(&Type::Table(&AGENT)),
            "The agents, each `[agents.<id>]` with a snake_case id (a CamelCase variant in Rust).",
        )
        .required(),
        Key::new(
            "tools",
            Type::Map(&Type::Table(&TOOL)),
            "Function tools the agents may call, each `[tools.<name>]`.",
        ),
        Key::new(
            "vars",
            Type::Map(&Type::String),
            "Defaults of template variables: `name = \"value\"`, used when a run gives no value.",
        ),
        Key::new(
            "tests",
            Type::Array(&Type::Table(&TEST)),
            "Tests of the workflow, each `[[tests]]` a run and what it must show (`respan test`; compiled with `workflow!(\"file.toml\", tests)`).",
        ),
    ],
};

/// `[workflow]`.
pub const WORKFLOW: Table = Table {
    name: "`[workflow]`",
    description: "The workflow: its name and its entry agent.",
    keys: &[
        Key::new(
            "name",
            Type::String,
            "The workflow's name: a snake_case Rust identifier, the generated module's name. Default: the file's stem.",
        ),
        Key::new(
            "entry",
            Type::String,
            "The id of the agent a run starts with.",
        )
        .required(),
        Key::new(
            "description",
            Type::String,
            "What the workflow does (documentation of the generated module).",
        ),
        Key::new(
            "max_turns",
            Type::Integer {
                min: 1,
                max: u32::MAX as i64,
            },
            "The most model calls one run may make. Default: 10.",
        ),
    ],
};

const AGENT_KEYS: &[Key] = &[
    Key::new(
        "name",
        Type::String,
        "The display name, as the Agents SDK uses it. Default: from the id (`tech_support` -> `Tech Support`).",
    )
    .per_agent(),
    Key::new(
        "instructions",
        Type::String,
        "The system prompt: a template whose `{{ variable }}`s become typed fields of the generated `Vars`.",
    ),
    Key::new(
        "instructions_fn",
        Type::String,
        "The system prompt computed before each model request by a Rust function `fn(&Ctx, &respan::Agent<Agent, Ctx>) -> String` (its path), from the run's context and the agent; instead of `instructions`. Compiled workflows only: `respan run` cannot call it.",
    )
    .excludes(&["instructions"]),
    Key::new(
        "handoff_description",
        Type::String,
        "What the agent handles, told to the agents that may hand off to it.",
    )
    .per_agent(),
    Key::new(
        "handoffs",
        Type::Strings,
        "Ids of the agents this one may hand off to.",
    )
    .per_agent(),
    Key::new(
        "handoff",
        Type::Map(&Type::Table(&HANDOFF)),
        "Options of some of the handoffs, each `[agents.<id>.handoff.<target>]` for a target listed in `handoffs`.",
    )
    .per_agent(),
    Key::new(
        "tools",
        Type::Strings,
        "Names of the `[tools.<name>]` this agent may call (function tools and agent tools).",
    ),
    Key::new(
        "model",
        Type::String,
        "Any model the gateway serves (`gpt-4o`, `claude-sonnet-4-5-20250929`, `gemini-2.5-flash`, ...).",
    ),
    Key::new(
        "model_settings",
        Type::Table(&MODEL_SETTINGS),
        "Sampling and request settings of the agent's model calls.",
    ),
    Key::new(
        "respan",
        Type::Table(&RESPAN),
        "The Respan gateway's own parameters.",
    ),
    Key::new(
        "prompt",
        Type::Table(&PROMPT),
        "A prompt managed on the Respan platform.",
    ),
    Key::new(
        "output",
        Type::Table(&OUTPUT),
        "Structured output: the final answer is a value of this schema or Rust type.",
    ),
    Key::new(
        "tool_use_behavior",
        Type::OneOf(&[
            Type::Enum(TOOL_USE_BEHAVIORS),
            Type::Table(&STOP_AT_TOOLS),
        ]),
        "What happens after the agent's tools ran: `run_llm_again` (default: the results go back to the model), `stop_on_first_tool` (the first result is the answer) or `{ stop_at_tools = [...] }`.",
    ),
];

/// `[agents.<id>]`.
pub const AGENT: Table = Table {
    name: "agent",
    description: "An agent: its instructions, model, handoffs and tools.",
    keys: AGENT_KEYS,
};

/// `[defaults]`: the agent keys, of which only the defaultable ones are accepted
/// (the parser says why the others are not).
pub const DEFAULTS: Table = Table {
    name: "`[defaults]`",
    description: "Agent fields every agent inherits unless it sets its own (within `model_settings` and `respan`, key by key; `prompt` and `output` as a whole).",
    keys: AGENT_KEYS,
};

/// `input_filter` values.
pub const INPUT_FILTERS: &[&str] = &["remove_all_tools", "nest_history"];

/// `[agents.<id>.handoff.<target>]`.
pub const HANDOFF: Table = Table {
    name: "handoff",
    description: "How one handoff is offered to the model and what it does (the target must be listed in `handoffs`).",
    keys: &[
        Key::new(
            "tool_name",
            Type::String,
            "The handoff tool's name. Default: `transfer_to_` + the target's display name in snake_case.",
        ),
        Key::new(
            "description",
            Type::String,
            "The handoff tool's description. Default: from the target's `handoff_description`.",
        ),
        Key::new(
            "input_filter",
            Type::Enum(INPUT_FILTERS),
            "What the next agent sees of the conversation: `remove_all_tools` (tool calls and results removed) or `nest_history` (the history so far in one message). Default: all of it.",
        ),
        Key::new(
            "input_filter_fn",
            Type::String,
            "The conversation the next agent sees, computed by a Rust function `fn(&[respan::InputItem]) -> Vec<respan::InputItem>` (its path); instead of `input_filter`. Compiled workflows only.",
        )
        .excludes(&["input_filter"]),
        Key::new(
            "input_schema",
            Type::Open,
            "The JSON Schema (an object schema, written as TOML) of the arguments the model gives the handoff.",
        ),
        Key::new(
            "input_type",
            Type::String,
            "The arguments the model gives the handoff as a Rust type (`serde::Deserialize + schemars::JsonSchema`, its path); instead of `input_schema`. Compiled workflows only.",
        )
        .excludes(&["input_schema"]),
        Key::new(
            "on_handoff",
            Type::String,
            "A Rust function `fn(&Ctx, <Agent>Handoff)` (its path) called when the handoff happens, with the run's context and the handoff's input. Compiled workflows only.",
        ),
        Key::new(
            "is_enabled",
            Type::Boolean,
            "Whether the handoff is offered to the model. Default: true.",
        ),
        Key::new(
            "is_enabled_fn",
            Type::String,
            "Whether the handoff is offered, decided before each model request by a Rust function `fn(&Ctx, &respan::Agent<Agent, Ctx>) -> bool` (its path); instead of `is_enabled`. Compiled workflows only.",
        )
        .excludes(&["is_enabled"]),
    ],
};

/// `tool_use_behavior = { stop_at_tools = [...] }`.
pub const STOP_AT_TOOLS: Table = Table {
    name: "`tool_use_behavior`",
    description: "A call of one of these tools ends the run with its result.",
    keys: &[Key::new(
        "stop_at_tools",
        Type::Strings,
        "Names of the agent's own tools whose call ends the run with its result.",
    )
    .required()],
};

/// `[agents.<id>.model_settings]`.
pub const MODEL_SETTINGS: Table = Table {
    name: "model_settings",
    description: "Sampling and request settings of the agent's model calls.",
    keys: &[
        Key::new(
            "temperature",
            number(0.0, 2.0),
            "Sampling temperature, 0 to 2.",
        ),
        Key::new(
            "top_p",
            number(0.0, 1.0),
            "Nucleus sampling: the probability mass considered, 0 to 1.",
        ),
        Key::new(
            "max_tokens",
            Type::Integer {
                min: 1,
                max: u32::MAX as i64,
            },
            "The most tokens one answer may have.",
        ),
        Key::new(
            "frequency_penalty",
            number(-2.0, 2.0),
            "Penalises tokens by how often they appeared, -2 to 2.",
        ),
        Key::new(
            "presence_penalty",
            number(-2.0, 2.0),
            "Penalises tokens that appeared at all, -2 to 2.",
        ),
        Key::new(
            "tool_choice",
            Type::String,
            "`auto`, `required`, `none`, or the name of one of the agent's tools (which the model must call).",
        ),
        Key::new(
            "parallel_tool_calls",
            Type::Boolean,
            "Whether the model may call several tools at once.",
        ),
        Key::new(
            "seed",
            Type::Integer {
                min: i64::MIN,
                max: i64::MAX,
            },
            "Seed for deterministic sampling, where the model supports it.",
        ),
        Key::new(
            "stop",
            Type::OneOf(&[Type::String, Type::Strings]),
            "A stop sequence, or several.",
        ),
        Key::new(
            "response_format",
            Type::Open,
            "The request's `response_format` as JSON (e.g. `{ type = \"json_object\" }`).",
        ),
        Key::new(
            "extra_body",
            Type::Open,
            "Free JSON merged into the top level of every request body.",
        ),
        Key::new(
            "extra_headers",
            Type::Map(&Type::String),
            "HTTP headers sent with every request of the agent: `Header-Name = \"value\"`.",
        ),
    ],
};

/// `[agents.<id>.respan]`.
pub const RESPAN: Table = Table {
    name: "respan",
    description: "The Respan gateway's own parameters, sent with every request of the agent.",
    keys: &[
        Key::new(
            "customer_identifier",
            Type::String,
            "The end user the requests are for (usage and limits per customer).",
        ),
        Key::new(
            "metadata",
            Type::Open,
            "Key/value pairs logged with the requests.",
        ),
        Key::new(
            "thread_identifier",
            Type::String,
            "Groups the requests into a conversation thread.",
        ),
        Key::new(
            "fallback_models",
            Type::Strings,
            "Models the gateway tries, in order, when the agent's model fails.",
        ),
        Key::new(
            "customer_params",
            Type::Open,
            "Details of the customer (name, email, ...) as JSON.",
        ),
        Key::new(
            "cache_enabled",
            Type::Boolean,
            "Whether the gateway may answer from its cache.",
        ),
        Key::new(
            "cache_ttl",
            Type::Integer {
                min: 0,
                max: i64::MAX,
            },
            "How long a cached answer lives, in seconds.",
        ),
        Key::new(
            "cache_options",
            Type::Open,
            "The gateway's cache options as JSON.",
        ),
        Key::new(
            "disable_log",
            Type::Boolean,
            "Whether the gateway keeps the request out of its logs.",
        ),
        Key::new(
            "extra",
            Type::Open,
            "Any other gateway field, passed through unchanged.",
        ),
        Key::new(
            "placement",
            Type::Enum(PLACEMENTS),
            "Where the parameters travel: `body` (top level), `respan_params` (nested, the default) or `header` (`X-Data-Respan-Params`, base64 JSON).",
        ),
    ],
};

/// `[agents.<id>.prompt]`.
pub const PROMPT: Table = Table {
    name: "prompt",
    description: "A prompt managed on the Respan platform.",
    keys: &[
        Key::new(
            "prompt_id",
            Type::String,
            "The prompt's id on the Respan platform.",
        )
        .required(),
        Key::new(
            "schema_version",
            Type::Integer { min: 1, max: 2 },
            "1 or 2 (default): with 2 the platform's prompt messages come first and the request's are appended.",
        ),
        Key::new("variables", Type::Open, "Values of the prompt's variables."),
        Key::new(
            "version",
            Type::OneOf(&[
                Type::Integer {
                    min: i64::MIN,
                    max: i64::MAX,
                },
                Type::String,
            ]),
            "The prompt version to use. Default: the deployed one.",
        ),
        Key::new(
            "echo",
            Type::Boolean,
            "Whether the gateway echoes the rendered prompt.",
        ),
        Key::new(
            "patch",
            Type::Open,
            "Overrides of the prompt's configuration as JSON.",
        ),
        Key::new(
            "placement",
            Type::Enum(PLACEMENTS),
            "Where the prompt travels: `body` (`extra_body.prompt`, the default), `respan_params` or `header`.",
        ),
    ],
};

/// `[agents.<id>.output]`.
pub const OUTPUT: Table = Table {
    name: "output",
    description: "Structured output: the final answer is a value of this schema or Rust type.",
    keys: &[
        Key::new(
            "schema",
            Type::Open,
            "The JSON Schema of the final output, written as TOML.",
        ),
        Key::new(
            "rust",
            Type::String,
            "Compiled workflows: the path of a Rust type (`JsonSchema + Deserialize`) the answer is.",
        ),
    ],
};

/// `[[tests]]`: a run of the workflow and what it must show.
pub const TEST: Table = Table {
    name: "`[[tests]]`",
    description: "A test of the workflow: a run (its input, variables and first agent) and what it must show.",
    keys: &[
        Key::new(
            "name",
            Type::String,
            "The test's name: a snake_case identifier (the `#[test]` function when compiled).",
        )
        .required(),
        Key::new(
            "input",
            Type::OneOf(&[Type::String, Type::Strings]),
            "The user's message, or several user messages in order.",
        )
        .required(),
        Key::new(
            "vars",
            Type::Map(&Type::String),
            "Template variable values for this run (others take their `[vars]` default).",
        ),
        Key::new(
            "agent",
            Type::String,
            "The id of the agent the run starts with. Default: the workflow's `entry`.",
        ),
        Key::new(
            "last_agent",
            Type::String,
            "Expected: the id of the agent that gives the final answer.",
        ),
        Key::new(
            "handoffs",
            Type::Strings,
            "Expected: the ids of the agents handed to, in order (exactly these; `[]` for none).",
        ),
        Key::new(
            "tools_called",
            Type::Strings,
            "Expected: the function tools called, in order (exactly these; `[]` for none).",
        ),
        Key::new(
            "output_contains",
            Type::String,
            "Expected: the final output contains this text.",
        ),
        Key::new(
            "output_matches",
            Type::String,
            "Expected: the final output matches this regular expression (the `regex` crate's syntax).",
        ),
        Key::new(
            "output",
            Type::Open,
            "Expected: fields of the structured output and their values (`{ severity = \"high\" }`; nested tables are paths).",
        ),
        Key::new(
            "max_requests",
            Type::Integer {
                min: 1,
                max: u32::MAX as i64,
            },
            "Expected: the run makes at most this many model requests.",
        ),
    ],
};

/// `[tools.<name>]`.
pub const TOOL: Table = Table {
    name: "tool",
    description: "A tool the agents may call: a function, or another agent (`agent = \"<id>\"`).",
    keys: &[
        Key::new(
            "agent",
            Type::String,
            "The id of an agent this tool runs (an agent as a tool: it answers the calling agent, which keeps the conversation); its parameters are one `input` string.",
        )
        .excludes(&["rust", "command", "parameters", "needs_approval"]),
        Key::new(
            "description",
            Type::String,
            "What the tool does, for the model. Default: the Rust function's doc comment (required for a `command` tool).",
        ),
        Key::new(
            "parameters",
            Type::Open,
            "The JSON Schema of the arguments, written as TOML (optional when a Rust function supplies it).",
        ),
        Key::new(
            "rust",
            Type::String,
            "Compiled workflows: the path of the `#[respan_tool]` function. Default: the function named like the tool, in scope.",
        ),
        Key::new(
            "command",
            Type::Strings,
            "How the CLI runs the tool: `[\"program\", \"arg\", ...]`, JSON arguments on stdin, its stdout the result.",
        ),
        Key::new(
            "timeout_secs",
            Type::Number {
                min: Some(0.0),
                exclusive_min: true,
                max: Some(MAX_TOOL_TIMEOUT_SECS),
            },
            "How long one call may take, in seconds (at most 86400). Default: 60.",
        ),
        Key::new(
            "max_turns",
            Type::Integer {
                min: 1,
                max: u32::MAX as i64,
            },
            "Agent tools: the most model calls one run of the agent may make. Default: the workflow's `max_turns`.",
        ),
        Key::new(
            "needs_approval",
            Type::Boolean,
            "Whether a person approves each call before it runs (`respan run` asks on the terminal; a compiled workflow's resumable run pauses for it).",
        ),
    ],
};

/// The tables an agent key written on the agent itself may belong in, with the
/// name the message gives each.
pub(crate) const AGENT_SUB_TABLES: [(&Table, &str); 3] = [
    (&MODEL_SETTINGS, "model_settings"),
    (&RESPAN, "respan"),
    (&PROMPT, "prompt"),
];

/// The inclusive range of a number key, `None` for other keys.
pub fn number_range(table: &Table, key: &str) -> Option<(f64, f64)> {
    match table.key(key)?.ty {
        Type::Number {
            min: Some(min),
            max: Some(max),
            exclusive_min: false,
        } => Some((min, max)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table reachable from the top, once each.
    fn tables() -> Vec<&'static Table> {
        fn walk(ty: &'static Type, out: &mut Vec<&'static Table>) {
            match ty {
                Type::Table(table) if !out.iter().any(|t| t.name == table.name) => {
                    out.push(table);
                    for key in table.keys {
                        walk(&key.ty, out);
                    }
                }
                Type::Map(inner) => walk(inner, out),
                Type::OneOf(types) => types.iter().for_each(|t| walk(t, out)),
                _ => {}
            }
        }
        let mut out = vec![&TOP];
        for key in TOP.keys {
            walk(&key.ty, &mut out);
        }
        out
    }

    #[test]
    fn keys_are_unique_and_described() {
        for table in tables() {
            let mut names: Vec<_> = table.names().collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(
                names.len(),
                table.keys.len(),
                "duplicate key in {}",
                table.name
            );
            for key in table.keys {
                assert!(
                    key.description.ends_with('.'),
                    "{}.{}: a description is a sentence",
                    table.name,
                    key.name
                );
            }
        }
    }

    #[test]
    fn only_agent_keys_are_per_agent() {
        for table in tables() {
            if table.name == AGENT.name || table.name == DEFAULTS.name {
                continue;
            }
            assert!(
                table.keys.iter().all(|key| key.defaultable),
                "{}",
                table.name
            );
        }
        let per_agent: Vec<_> = AGENT
            .keys
            .iter()
            .filter(|k| !k.defaultable)
            .map(|k| k.name)
            .collect();
        assert_eq!(
            per_agent,
            ["name", "handoff_description", "handoffs", "handoff"]
        );
    }
}
