//! TOML workflow files (format v1) to a [`Spec`], keeping the span of every key and
//! value. Syntax errors, unknown keys and wrong types become diagnostics; the
//! semantic checks live in [`crate::check`].

mod strings;
mod tests_table;
mod value;

use serde_json::Map;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Diagnostic, or_list};
use crate::format::{self, Table};
use crate::spec::{
    AgentSpec, EnabledSpec, HandoffInputSpec, HandoffSpec, InputFilterSpec, ModelSettingsSpec,
    OutputSpec, PlacementSpec, PromptSpec, RespanSpec, Span, Spanned, Spec, Template,
    ToolChoiceSpec, ToolSpec, ToolUseBehaviorSpec, VarSpec, WorkflowSpec,
};
use crate::suggest::did_you_mean;
use strings::StringMap;
use value::{Item, Reader, span_of};

/// What parsing produced: the spec when the file could be read as TOML, and the
/// diagnostics found on the way (the semantic checks are not run here).
#[derive(Debug)]
pub struct Parsed {
    /// The spec, unless the text is not TOML (syntax errors) or declares nothing.
    pub spec: Option<Spec>,
    /// Syntax errors, unknown keys, wrong types and other problems of the text.
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the file has an `agents` key at all (even a malformed one), so
    /// "workflow has no agents" is not reported on top of its type error.
    pub(crate) agents_declared: bool,
}

/// Parses a workflow file's text. `display_path` names the file in the spec; its
/// stem is the default workflow name.
///
/// ```
/// let parsed = respan_codegen::parse::parse("workflows/hello.toml", r#"
/// [workflow]
/// entry = "assistant"
///
/// [agents.assistant]
/// name = "Assistant"
/// instructions = "Greet {{ user }}."
/// "#);
/// let spec = parsed.spec.unwrap();
/// assert_eq!(spec.workflow.name.value, "hello");
/// assert_eq!(spec.agents[0].instructions.as_ref().unwrap().variables[0].value, "user");
/// ```
pub fn parse(display_path: &str, source: &str) -> Parsed {
    let mut reader = Reader::new();
    let (document, errors) = DeTable::parse_recoverable(source);
    let mut syntax_errors = false;
    let mut duplicate_headers = Vec::new();
    for error in &errors {
        let diagnostic = syntax_error(source, error);
        if !diagnostic.message.starts_with("duplicate") {
            syntax_errors = true;
        } else if in_duplicate_table(source, &duplicate_headers, diagnostic.span.start) {
            continue;
        } else if diagnostic.message.starts_with("duplicate agent")
            || diagnostic.message.starts_with("duplicate tool")
            || diagnostic.message.starts_with("duplicate table")
        {
            duplicate_headers.push(diagnostic.span.start);
        }
        reader.push(diagnostic);
    }
    if syntax_errors {
        // A partial tree would only add follow-on errors.
        return Parsed {
            spec: None,
            diagnostics: reader.diagnostics,
            agents_declared: false,
        };
    }
    let root = document.get_ref();
    if root.is_empty() {
        let message = if source.trim().is_empty() {
            "empty workflow file"
        } else {
            "workflow file has no tables"
        };
        reader.push(
            Diagnostic::error(message, Span::new(0, 0), "nothing is declared")
                .with_help("a workflow needs a `[workflow]` table with `entry` and at least one `[agents.<id>]` table"),
        );
        return Parsed {
            spec: None,
            diagnostics: reader.diagnostics,
            agents_declared: false,
        };
    }
    let spec = Builder {
        source,
        reader: &mut reader,
    }
    .spec(display_path, root);
    Parsed {
        spec: Some(spec),
        diagnostics: reader.diagnostics,
        agents_declared: root.contains_key("agents"),
    }
}

/// A TOML syntax error as a diagnostic. A table defined twice becomes "duplicate
/// agent id" (or tool, or table) pointing at both definitions.
fn syntax_error(source: &str, error: &toml::de::Error) -> Diagnostic {
    let span = error.span().map_or(Span::new(0, 0), Span::from);
    let message = error.message();
    if message == "duplicate key" {
        return duplicate_key(source, span);
    }
    let (headline, label) = match message.split_once(", expected ") {
        Some((what, expected)) => (what.to_owned(), format!("expected {expected}")),
        None => (message.to_owned(), String::new()),
    };
    Diagnostic::error(format!("invalid TOML: {headline}"), span, label)
}

fn duplicate_key(source: &str, span: Span) -> Diagnostic {
    let key = source.get(span.start..span.end).unwrap_or_default();
    let name = key.trim_matches(['"', '\'']);
    let (line_start, line_end) = line_bounds(source, span.start);
    let line = &source[line_start..line_end];
    if let Some(header) = header_path(line) {
        let (what, headline) = if header.starts_with("agents.") && header.matches('.').count() == 1
        {
            ("agent id", format!("duplicate agent id `{name}`"))
        } else if header.starts_with("tools.") && header.matches('.').count() == 1 {
            ("tool", format!("duplicate tool `{name}`"))
        } else {
            ("table", format!("duplicate table `[{header}]`"))
        };
        let mut diagnostic = Diagnostic::error(
            headline,
            span,
            format!("{what} `{name}` defined again here"),
        )
        .with_help("merge the two tables, or rename one of them");
        // The earlier header with the same path, and the key's place in it.
        let mut offset = 0;
        for earlier in source[..line_start].split_inclusive('\n') {
            if header_path(earlier).as_deref() == Some(header.as_str())
                && let Some(at) = earlier.rfind(key)
            {
                diagnostic = diagnostic.with_related(
                    Span::new(offset + at, offset + at + key.len()),
                    "first defined here",
                );
                break;
            }
            offset += earlier.len();
        }
        return diagnostic;
    }
    let mut diagnostic = Diagnostic::error(
        format!("duplicate key `{name}`"),
        span,
        format!("`{name}` set again here"),
    );
    // The earlier assignment in the same table: scan back to the table header.
    let mut end = line_start;
    while end > 0 {
        let (start, _) = line_bounds(source, end - 1);
        let earlier = &source[start..end];
        if header_path(earlier).is_some() {
            break;
        }
        let trimmed = earlier.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key)
            && rest.trim_start().starts_with(['=', '.'])
        {
            let at = start + (earlier.len() - trimmed.len());
            diagnostic = diagnostic.with_related(Span::new(at, at + key.len()), "first set here");
            break;
        }
        end = start;
    }
    diagnostic
}

/// The start and end (before the newline) of the line holding `offset`.
fn line_bounds(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    (start, end)
}

/// `[ agents . "billing" ]` -> `agents.billing`; `None` for lines that are not headers.
fn header_path(line: &str) -> Option<String> {
    let line = line.trim_start();
    let inner = line.strip_prefix("[[").or_else(|| line.strip_prefix('['))?;
    let inner = &inner[..inner.find(']')?];
    Some(
        inner
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
            .collect(),
    )
}

/// Whether `offset` lies in the body of a table whose header was reported as a
/// duplicate (the parser then reports each of its keys again: noise).
fn in_duplicate_table(source: &str, duplicate_headers: &[usize], offset: usize) -> bool {
    duplicate_headers.iter().any(|&header| {
        if offset <= header {
            return false;
        }
        let (_, header_end) = line_bounds(source, header);
        !source[header_end.min(offset)..offset]
            .split('\n')
            .skip(1)
            .any(|line| header_path(line).is_some())
    })
}

/// An agent's fields as written, before `[defaults]` fills the gaps.
#[derive(Default)]
struct AgentFields {
    name: Option<Spanned<String>>,
    instructions: Option<Template>,
    instructions_fn: Option<Spanned<String>>,
    handoff_description: Option<Spanned<String>>,
    handoffs: Option<Vec<Spanned<String>>>,
    handoff_options: Vec<HandoffSpec>,
    tools: Option<Vec<Spanned<String>>>,
    model: Option<Spanned<String>>,
    model_settings: ModelSettingsSpec,
    respan: Option<RespanSpec>,
    prompt: Option<PromptSpec>,
    output: Option<OutputSpec>,
    tool_use_behavior: Option<Spanned<ToolUseBehaviorSpec>>,
}

struct Builder<'s, 'r> {
    source: &'s str,
    reader: &'r mut Reader,
}

impl Builder<'_, '_> {
    fn spec(&mut self, display_path: &str, root: &DeTable<'_>) -> Spec {
        self.unknown_keys("the top level", root, &format::TOP, |_| None);
        let workflow = self.workflow(display_path, root.get("workflow"));
        let defaults = match root.get("defaults") {
            Some(item) => match self.reader.table("defaults", item) {
                Some(table) => self.agent_fields("defaults", table, true),
                None => AgentFields::default(),
            },
            None => AgentFields::default(),
        };
        let mut agents = Vec::new();
        if let Some(item) = root.get("agents")
            && let Some(table) = self.reader.table("agents", item)
        {
            if table.is_empty() {
                let entry = workflow.entry.value.as_str();
                let id = if crate::identifier::is_identifier(entry) {
                    entry
                } else {
                    "assistant"
                };
                self.reader.push(
                    Diagnostic::error(
                        crate::diagnostic::NO_AGENTS,
                        self.header_span(span_of(item)),
                        "`[agents]` declares no agent",
                    )
                    .with_help(format!(
                        "declare each agent as a table under it, e.g. `[agents.{id}]` with `instructions = \"...\"`"
                    )),
                );
            }
            for (key, value) in table.iter() {
                let id = Spanned::new(key.get_ref().to_string(), span_of(key));
                let path = format!("agents.{}", id.value);
                let Some(fields) = self.reader.table(&path, value) else {
                    continue;
                };
                let fields = self.agent_fields(&path, fields, false);
                agents.push(merge(id, span_of(value), fields, &defaults));
            }
        }
        let mut tools = Vec::new();
        if let Some(item) = root.get("tools")
            && let Some(table) = self.reader.table("tools", item)
        {
            for (key, value) in table.iter() {
                let name = Spanned::new(key.get_ref().to_string(), span_of(key));
                let path = format!("tools.{}", name.value);
                if let Some(fields) = self.reader.table(&path, value) {
                    tools.push(self.tool(name, span_of(value), &path, fields));
                }
            }
        }
        let vars = match root.get("vars") {
            Some(item) => match self.reader.table("vars", item) {
                Some(table) => self.vars(table),
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        let tests = match root.get("tests") {
            Some(item) => self.tests(item),
            None => Vec::new(),
        };
        Spec {
            path: display_path.to_owned(),
            workflow,
            agents,
            tools,
            vars,
            tests,
        }
    }

    /// The span of a table's header line (`[agents]`), for a table whose own span
    /// is its (possibly empty) body.
    fn header_span(&self, span: Span) -> Span {
        let (start, end) = line_bounds(self.source, span.start);
        let line = &self.source[start..end];
        if header_path(line).is_some() {
            let indent = line.len() - line.trim_start().len();
            Span::new(start + indent, start + line.trim_end().len())
        } else {
            span
        }
    }

    /// `[vars]`: each key a template variable, each value its default (a string).
    /// The checker rejects a name no template can use and warns about one no
    /// template does use.
    fn vars(&mut self, table: &DeTable<'_>) -> Vec<VarSpec> {
        let mut vars = Vec::new();
        for (key, value) in table.iter() {
            let name = Spanned::new(key.get_ref().to_string(), span_of(key));
            match value.get_ref() {
                DeValue::String(text) => vars.push(VarSpec {
                    name,
                    default: Spanned::new(text.to_string(), span_of(value)),
                }),
                other => {
                    let written = self
                        .source
                        .get(span_of(value).start..span_of(value).end)
                        .unwrap_or_default();
                    let help = match other {
                        DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_)
                            if !written.contains(['"', '\\', '\n']) =>
                        {
                            format!("quote it: `{} = \"{written}\"`", name.value)
                        }
                        _ => format!("write its default as text: `{} = \"...\"`", name.value),
                    };
                    self.reader.push(
                        Diagnostic::error(
                            format!(
                                "template variable `{}` must be a string, found {}",
                                name.value,
                                value::describe(other)
                            ),
                            span_of(value),
                            "expected a string",
                        )
                        .with_help(help)
                        .with_note(
                            "template variables are text: instructions render them as they are",
                        ),
                    );
                }
            }
        }
        vars
    }

    /// Reports keys of `table` not in `known`, with a suggestion. `elsewhere` may
    /// name the table a misplaced key belongs in.
    fn unknown_keys(
        &mut self,
        place: &str,
        table: &DeTable<'_>,
        known: &Table,
        elsewhere: impl Fn(&str) -> Option<String>,
    ) {
        for (key, _) in table.iter() {
            let name = key.get_ref().as_ref();
            if known.key(name).is_some() {
                continue;
            }
            let mut diagnostic = Diagnostic::error(
                format!("unknown key `{name}` in {place}"),
                span_of(key),
                "unknown key",
            );
            if let Some(hint) = elsewhere(name) {
                diagnostic = diagnostic.with_help(hint);
            } else if let Some(suggestion) = did_you_mean(name, known.names()) {
                diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
            } else {
                let names: Vec<_> = known.names().collect();
                diagnostic = diagnostic.with_note(format!("expected one of {}", or_list(&names)));
            }
            self.reader.push(diagnostic);
        }
    }

    fn workflow(&mut self, display_path: &str, item: Option<&Item<'_>>) -> WorkflowSpec {
        let stem = std::path::Path::new(display_path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let span = item.map_or(Span::new(0, 0), span_of);
        let mut workflow = WorkflowSpec {
            name: Spanned::new(stem, span),
            entry: Spanned::new(String::new(), span),
            description: None,
            max_turns: None,
            span,
        };
        let Some(table) = item.and_then(|item| self.reader.table("workflow", item)) else {
            return workflow;
        };
        self.unknown_keys("`[workflow]`", table, &format::WORKFLOW, |name| {
            format::TOP.key(name).is_some().then(|| {
                format!("`{name}` is a top-level table: a key written after `[workflow]` belongs to `[workflow]`")
            })
        });
        for (key, value) in table.iter() {
            match key.get_ref().as_ref() {
                "name" => {
                    if let Some(name) = self.reader.string("name", value) {
                        workflow.name = name;
                    }
                }
                "entry" => {
                    if let Some(entry) = self.reader.string("entry", value) {
                        workflow.entry = entry;
                    }
                }
                "description" => workflow.description = self.reader.string("description", value),
                "max_turns" => {
                    workflow.max_turns = self
                        .reader
                        .integer_in(
                            "max_turns",
                            value,
                            0,
                            u32::MAX.into(),
                            "between 1 and 4294967295",
                        )
                        .map(|v| Spanned::new(v.value as u32, v.span));
                }
                _ => {}
            }
        }
        workflow
    }

    fn agent_fields(&mut self, path: &str, table: &DeTable<'_>, defaults: bool) -> AgentFields {
        let place = format!("`[{path}]`");
        let known = if defaults {
            &format::DEFAULTS
        } else {
            &format::AGENT
        };
        self.unknown_keys(&place, table, known, |name| {
            // `handoff` (a table of options) and `handoffs` (a list) are one
            // letter apart: a typo's value says which one it is.
            if let Some(value) = table.get(name)
                && did_you_mean(name, known.names()) == Some("handoff")
                && !matches!(value.get_ref(), DeValue::Table(_))
                && did_you_mean(name, ["handoffs"]).is_some()
            {
                return Some("did you mean `handoffs`?".to_owned());
            }
            // A key (or a typo of one) of a sub-table, written on the agent itself.
            format::AGENT_SUB_TABLES
                .into_iter()
                .find_map(|(keys, table)| {
                    if keys.key(name).is_some() {
                        Some(format!("`{name}` belongs in `[{path}.{table}]`"))
                    } else {
                        let key = did_you_mean(name, keys.names())?;
                        Some(format!(
                            "did you mean `{key}`? It belongs in `[{path}.{table}]`"
                        ))
                    }
                })
        });
        let mut fields = AgentFields::default();
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            if defaults
                && format::DEFAULTS
                    .key(name)
                    .is_some_and(|key| !key.defaultable)
            {
                self.reader.push(
                    Diagnostic::error(
                        format!("`{name}` cannot be set in `[defaults]`"),
                        span_of(key),
                        "not inherited",
                    )
                    .with_help(format!("set `{name}` on each agent that needs it"))
                    .with_note("`[defaults]` takes any agent field except `name`, `handoffs`, `handoff` and `handoff_description`"),
                );
                continue;
            }
            let sub = format!("{path}.{name}");
            match name {
                "name" => fields.name = self.reader.string(name, value),
                "instructions" => fields.instructions = self.template(value),
                "instructions_fn" => fields.instructions_fn = self.reader.string(name, value),
                "handoff_description" => {
                    fields.handoff_description = self.reader.string(name, value)
                }
                "handoffs" => fields.handoffs = self.reader.strings(name, value),
                "handoff" => {
                    if let Some(table) = self.reader.table(name, value) {
                        for (target, options) in table.iter() {
                            let target =
                                Spanned::new(target.get_ref().to_string(), span_of(target));
                            let path = format!("{sub}.{}", target.value);
                            let span = span_of(options);
                            if let Some(options) = self.reader.table(&path, options) {
                                fields
                                    .handoff_options
                                    .push(self.handoff(target, span, &path, options));
                            }
                        }
                    }
                }
                "tools" => fields.tools = self.reader.strings(name, value),
                "model" => fields.model = self.reader.string(name, value),
                "model_settings" => {
                    if let Some(table) = self.reader.table(name, value) {
                        fields.model_settings = self.model_settings(&sub, table);
                    }
                }
                "respan" => {
                    if let Some(table) = self.reader.table(name, value) {
                        fields.respan = Some(self.respan(&sub, span_of(value), table));
                    }
                }
                "prompt" => {
                    if let Some(table) = self.reader.table(name, value) {
                        fields.prompt = Some(self.prompt(&sub, span_of(value), table));
                    }
                }
                "output" => {
                    if let Some(table) = self.reader.table(name, value) {
                        fields.output = Some(self.output(&sub, span_of(value), table));
                    }
                }
                "tool_use_behavior" => fields.tool_use_behavior = self.tool_use_behavior(value),
                _ => {}
            }
        }
        self.one_kind_of_instructions(&place, table, &mut fields);
        fields
    }

    /// `instructions` and `instructions_fn` are two ways to give one thing: a
    /// table with both is an error, and only `instructions` is kept (so the
    /// checker adds no follow-on errors).
    fn one_kind_of_instructions(
        &mut self,
        place: &str,
        table: &DeTable<'_>,
        fields: &mut AgentFields,
    ) {
        let (Some(_), Some(function)) = (&fields.instructions, &fields.instructions_fn) else {
            return;
        };
        let key = |name: &str| {
            table
                .iter()
                .find(|(key, _)| key.get_ref().as_ref() == name)
                .map(|(key, _)| span_of(key))
        };
        let (Some(template_key), Some(function_key)) =
            (key("instructions"), key("instructions_fn"))
        else {
            return;
        };
        self.reader.push(
            Diagnostic::error(
                format!("{place} sets both `instructions` and `instructions_fn`"),
                function_key,
                "the function would replace the text",
            )
            .with_related(template_key, "instructions set here")
            .with_help(format!(
                "keep one: `instructions = \"...\"` (a template) or `instructions_fn = \"{}\"` (a Rust function computing them per turn)",
                function.value
            )),
        );
        fields.instructions_fn = None;
    }

    /// An `instructions` string as a template, with its variables' spans in the file.
    fn template(&mut self, item: &Item<'_>) -> Option<Template> {
        let source = self.reader.string("instructions", item)?;
        let raw = self
            .source
            .get(source.span.start..source.span.end)
            .unwrap_or_default();
        let map = StringMap::new(raw, source.span.start, &source.value);
        let to_file = |span: Span| {
            let start = map.file_offset(span.start);
            let end = map.file_offset(span.end).max(start);
            // A zero-width mapping (escaped text) still gets a visible caret.
            Span::new(start, if end == start { start + 1 } else { end })
        };
        match crate::template::variables(&source.value) {
            Ok(variables) => Some(Template {
                variables: variables
                    .into_iter()
                    .map(|(name, span)| Spanned::new(name, to_file(span)))
                    .collect(),
                source,
            }),
            Err(errors) => {
                for mut error in errors {
                    error.span = to_file(error.span);
                    self.reader.push(error);
                }
                None
            }
        }
    }

    fn model_settings(&mut self, path: &str, table: &DeTable<'_>) -> ModelSettingsSpec {
        self.unknown_keys(
            &format!("`[{path}]`"),
            table,
            &format::MODEL_SETTINGS,
            |_| None,
        );
        let mut settings = ModelSettingsSpec::default();
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            let r = &mut *self.reader;
            match name {
                "temperature" => settings.temperature = r.float(name, value),
                "top_p" => settings.top_p = r.float(name, value),
                "frequency_penalty" => settings.frequency_penalty = r.float(name, value),
                "presence_penalty" => settings.presence_penalty = r.float(name, value),
                "max_tokens" => {
                    settings.max_tokens = r
                        .integer_in(name, value, 0, u32::MAX.into(), "between 1 and 4294967295")
                        .map(|v| Spanned::new(v.value as u32, v.span));
                }
                "tool_choice" => {
                    settings.tool_choice = r.string(name, value).map(|choice| {
                        let parsed = match choice.value.as_str() {
                            "auto" => ToolChoiceSpec::Auto,
                            "required" => ToolChoiceSpec::Required,
                            "none" => ToolChoiceSpec::None,
                            tool => ToolChoiceSpec::Function(tool.to_owned()),
                        };
                        Spanned::new(parsed, choice.span)
                    });
                }
                "parallel_tool_calls" => settings.parallel_tool_calls = r.boolean(name, value),
                "seed" => settings.seed = r.i64(name, value),
                "stop" => {
                    settings.stop = match value.get_ref() {
                        DeValue::String(s) => {
                            Some(Spanned::new(vec![s.to_string()], span_of(value)))
                        }
                        _ => r.strings(name, value).map(|stops| {
                            Spanned::new(
                                stops.into_iter().map(|s| s.value).collect(),
                                span_of(value),
                            )
                        }),
                    };
                }
                "response_format" => settings.response_format = r.json_table(name, value),
                "extra_body" => {
                    if let Some(table) = r.table(name, value) {
                        settings.extra_body = r.json_map(table);
                    }
                }
                "extra_headers" => {
                    if let Some(table) = r.table(name, value) {
                        for (header, header_value) in table.iter() {
                            let header_name =
                                Spanned::new(header.get_ref().to_string(), span_of(header));
                            match header_value.get_ref() {
                                DeValue::String(s) => settings.extra_headers.push((
                                    header_name,
                                    Spanned::new(s.to_string(), span_of(header_value)),
                                )),
                                other => r.push(
                                    Diagnostic::error(
                                        format!(
                                            "header `{}` must be a string, found {}",
                                            header_name.value,
                                            value::describe(other)
                                        ),
                                        span_of(header_value),
                                        "expected a string",
                                    )
                                    .with_help("quote the value: HTTP header values are text"),
                                ),
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        settings
    }

    fn placement(&mut self, item: &Item<'_>) -> Option<Spanned<PlacementSpec>> {
        let text = self.reader.string("placement", item)?;
        let placement = match text.value.as_str() {
            "body" => PlacementSpec::Body,
            "respan_params" => PlacementSpec::RespanParams,
            "header" => PlacementSpec::Header,
            other => {
                let mut diagnostic = Diagnostic::error(
                    format!("unknown placement `{other}`"),
                    text.span,
                    format!("expected one of {}", or_list(format::PLACEMENTS)),
                );
                if let Some(suggestion) = did_you_mean(other, format::PLACEMENTS.iter().copied()) {
                    diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
                }
                self.reader.push(diagnostic);
                return None;
            }
        };
        Some(Spanned::new(placement, text.span))
    }

    fn respan(&mut self, path: &str, span: Span, table: &DeTable<'_>) -> RespanSpec {
        self.unknown_keys(&format!("`[{path}]`"), table, &format::RESPAN, |_| None);
        let mut respan = RespanSpec {
            span,
            ..RespanSpec::default()
        };
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            let r = &mut *self.reader;
            match name {
                "customer_identifier" => respan.customer_identifier = r.string(name, value),
                "thread_identifier" => respan.thread_identifier = r.string(name, value),
                "fallback_models" => {
                    respan.fallback_models = r.strings(name, value).unwrap_or_default()
                }
                "cache_enabled" => respan.cache_enabled = r.boolean(name, value),
                "disable_log" => respan.disable_log = r.boolean(name, value),
                "cache_ttl" => {
                    respan.cache_ttl = r
                        .integer_in(
                            name,
                            value,
                            0,
                            u64::MAX.into(),
                            "a non-negative number of seconds",
                        )
                        .map(|v| Spanned::new(v.value as u64, v.span));
                }
                "metadata" | "extra" => {
                    if let Some(table) = r.table(name, value) {
                        let map = r.json_map(table);
                        if name == "metadata" {
                            respan.metadata = map;
                        } else {
                            respan.extra = map;
                        }
                    }
                }
                "customer_params" => respan.customer_params = r.json_table(name, value),
                "cache_options" => respan.cache_options = r.json_table(name, value),
                "placement" => respan.placement = self.placement(value),
                _ => {}
            }
        }
        respan
    }

    fn prompt(&mut self, path: &str, span: Span, table: &DeTable<'_>) -> PromptSpec {
        self.unknown_keys(&format!("`[{path}]`"), table, &format::PROMPT, |_| None);
        let mut prompt = PromptSpec {
            // Empty means missing: the checker reports it (the same way for every front end).
            prompt_id: Spanned::new(String::new(), span),
            schema_version: Spanned::new(2, span),
            variables: Map::new(),
            version: None,
            echo: None,
            patch: None,
            placement: Spanned::new(PlacementSpec::Body, span),
            span,
        };
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            let r = &mut *self.reader;
            match name {
                "prompt_id" => {
                    if let Some(id) = r.string(name, value) {
                        prompt.prompt_id = id;
                    }
                }
                "schema_version" => {
                    if let Some(version) = r.integer_in(name, value, 1, 2, "1 or 2") {
                        prompt.schema_version = Spanned::new(version.value as u32, version.span);
                    }
                }
                "variables" => {
                    if let Some(table) = r.table(name, value) {
                        prompt.variables = r.json_map(table);
                    }
                }
                "version" => match value.get_ref() {
                    DeValue::Integer(_) | DeValue::String(_) => {
                        prompt.version = Some(Spanned::new(r.json(name, value), span_of(value)));
                    }
                    _ => r.wrong_type(name, "an integer or a string", value),
                },
                "echo" => prompt.echo = r.boolean(name, value),
                "patch" => prompt.patch = r.json_table(name, value),
                "placement" => {
                    if let Some(placement) = self.placement(value) {
                        prompt.placement = placement;
                    }
                }
                _ => {}
            }
        }
        prompt
    }

    /// `"run_llm_again"`, `"stop_on_first_tool"` or `{ stop_at_tools = [..] }`.
    fn tool_use_behavior(&mut self, item: &Item<'_>) -> Option<Spanned<ToolUseBehaviorSpec>> {
        let span = span_of(item);
        let expected = "`\"run_llm_again\"`, `\"stop_on_first_tool\"` or `{ stop_at_tools = [\"<tool>\", ...] }`";
        match item.get_ref() {
            DeValue::String(text) => {
                let behavior = match text.as_ref() {
                    "run_llm_again" => ToolUseBehaviorSpec::RunLlmAgain,
                    "stop_on_first_tool" => ToolUseBehaviorSpec::StopOnFirstTool,
                    other => {
                        let mut d = Diagnostic::error(
                            format!("unknown `tool_use_behavior` `{other}`"),
                            span,
                            "not a tool use behavior",
                        );
                        d = match did_you_mean(other, format::TOOL_USE_BEHAVIORS.iter().copied()) {
                            Some(known) => d.with_help(format!("did you mean `{known}`?")),
                            None => d.with_help(format!("expected {expected}")),
                        };
                        self.reader.push(d);
                        return None;
                    }
                };
                Some(Spanned::new(behavior, span))
            }
            DeValue::Table(table) => {
                self.unknown_keys("`tool_use_behavior`", table, &format::STOP_AT_TOOLS, |_| {
                    None
                });
                let Some(tools) = table.get("stop_at_tools") else {
                    self.reader.push(
                        Diagnostic::error(
                            "`tool_use_behavior` table without `stop_at_tools`",
                            span,
                            "missing `stop_at_tools`",
                        )
                        .with_help(format!("expected {expected}")),
                    );
                    return None;
                };
                let tools = self.reader.strings("stop_at_tools", tools)?;
                Some(Spanned::new(ToolUseBehaviorSpec::StopAtTools(tools), span))
            }
            _ => {
                self.reader.wrong_type("tool_use_behavior", expected, item);
                None
            }
        }
    }

    fn output(&mut self, path: &str, span: Span, table: &DeTable<'_>) -> OutputSpec {
        self.unknown_keys(&format!("`[{path}]`"), table, &format::OUTPUT, |_| None);
        let mut output = OutputSpec {
            schema: None,
            rust: None,
            span,
        };
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            match name {
                "schema" => output.schema = self.reader.json_table(name, value),
                "rust" => output.rust = self.reader.string(name, value),
                _ => {}
            }
        }
        output
    }

    fn tool(
        &mut self,
        name: Spanned<String>,
        span: Span,
        path: &str,
        table: &DeTable<'_>,
    ) -> ToolSpec {
        self.unknown_keys(&format!("`[{path}]`"), table, &format::TOOL, |_| None);
        let mut tool = ToolSpec {
            description: None,
            timeout_secs: None,
            needs_approval: None,
            name,
            parameters: None,
            agent: None,
            max_turns: None,
            rust: None,
            command: None,
            span,
        };
        for (key, value) in table.iter() {
            let key = key.get_ref().as_ref();
            let r = &mut *self.reader;
            match key {
                "description" => tool.description = r.string(key, value),
                "timeout_secs" => tool.timeout_secs = r.float(key, value),
                "needs_approval" => tool.needs_approval = r.boolean(key, value),
                "parameters" => tool.parameters = r.json_table(key, value),
                "rust" => tool.rust = r.string(key, value),
                "agent" => tool.agent = r.string(key, value),
                "max_turns" => {
                    tool.max_turns = r
                        .integer_in(key, value, 0, u32::MAX.into(), "between 1 and 4294967295")
                        .map(|v| Spanned::new(v.value as u32, v.span));
                }
                "command" => {
                    tool.command = r.strings(key, value).map(|parts| {
                        Spanned::new(parts.into_iter().map(|p| p.value).collect(), span_of(value))
                    });
                }
                _ => {}
            }
        }
        self.agent_tool_alone(path, table, &mut tool);
        tool
    }

    /// An agent tool (`agent = "<id>"`) is the agent, with fixed parameters:
    /// `rust`, `command` and `parameters` would say it is something else, and
    /// `needs_approval` is not supported for agent tools (yet). Each is an
    /// error, and dropped (so the checker adds no follow-on errors).
    fn agent_tool_alone(&mut self, path: &str, table: &DeTable<'_>, tool: &mut ToolSpec) {
        let Some(agent) = &tool.agent else {
            return;
        };
        let Some(agent_key) = key_span(table, "agent") else {
            return;
        };
        for other in format::TOOL
            .key("agent")
            .map_or(&[][..], |key| key.excludes)
        {
            let Some(span) = key_span(table, other) else {
                continue;
            };
            let diagnostic = if *other == "needs_approval" {
                Diagnostic::error(
                    format!("`needs_approval` is not supported for agent tools, yet (`[{path}]`)"),
                    span,
                    "not supported for agent tools",
                )
                .with_related(agent_key, format!("runs agent `{}`", agent.value))
                .with_help("remove `needs_approval`; to approve calls, give the agent a function tool that needs approval")
            } else {
                let why = match *other {
                    "parameters" => {
                        "an agent tool's parameters are fixed: one `input` string, the message to the agent"
                    }
                    "command" => {
                        "an agent tool runs the agent, not a program: `respan run` runs it too"
                    }
                    _ => "an agent tool runs the agent, not a Rust function",
                };
                Diagnostic::error(
                    format!("`[{path}]` sets both `agent` and `{other}`"),
                    span,
                    why,
                )
                .with_related(agent_key, format!("runs agent `{}`", agent.value))
                .with_help(format!(
                    "remove `{other}`, or remove `agent` to make it a function tool"
                ))
            };
            self.reader.push(diagnostic);
        }
        tool.rust = None;
        tool.command = None;
        tool.parameters = None;
        tool.needs_approval = None;
    }

    /// `[agents.<id>.handoff.<target>]`.
    fn handoff(
        &mut self,
        target: Spanned<String>,
        span: Span,
        path: &str,
        table: &DeTable<'_>,
    ) -> HandoffSpec {
        self.unknown_keys(&format!("`[{path}]`"), table, &format::HANDOFF, |_| None);
        let mut handoff = HandoffSpec {
            target,
            tool_name: None,
            description: None,
            input_filter: None,
            input: None,
            on_handoff: None,
            enabled: None,
            span,
        };
        let mut filter_fn = None;
        let mut input_type = None;
        let mut enabled_fn = None;
        for (key, value) in table.iter() {
            let key = key.get_ref().as_ref();
            let r = &mut *self.reader;
            match key {
                "tool_name" => handoff.tool_name = r.string(key, value),
                "description" => handoff.description = r.string(key, value),
                "input_filter" => handoff.input_filter = self.input_filter(value),
                "input_filter_fn" => {
                    filter_fn = r
                        .string(key, value)
                        .map(|path| Spanned::new(InputFilterSpec::Rust(path.value), path.span));
                }
                "input_schema" => {
                    handoff.input = r.json_table(key, value).map(HandoffInputSpec::Schema);
                }
                "input_type" => input_type = r.string(key, value),
                "on_handoff" => handoff.on_handoff = r.string(key, value),
                "is_enabled" => handoff.enabled = r.boolean(key, value).map(EnabledSpec::Fixed),
                "is_enabled_fn" => enabled_fn = r.string(key, value),
                _ => {}
            }
        }
        // Each `_fn`/`input_type` key gives what its pair gives, another way:
        // both is an error, and the plain key is kept.
        let place = format!("`[{path}]`");
        if filter_fn.is_some()
            && !self.one_of(
                &place,
                table,
                "input_filter_fn",
                "input_filter",
                "a named filter (`remove_all_tools`, `nest_history`) or a Rust function",
            )
        {
            handoff.input_filter = filter_fn;
        }
        if let Some(input_type) = input_type
            && !self.one_of(
                &place,
                table,
                "input_type",
                "input_schema",
                "a JSON Schema written as TOML or a Rust type",
            )
        {
            handoff.input = Some(HandoffInputSpec::Rust(input_type));
        }
        if let Some(enabled_fn) = enabled_fn
            && !self.one_of(
                &place,
                table,
                "is_enabled_fn",
                "is_enabled",
                "`is_enabled = true | false` or a Rust function deciding per turn",
            )
        {
            handoff.enabled = Some(EnabledSpec::Rust(enabled_fn));
        }
        handoff
    }

    /// Whether `table` has both `key` and `other` (reported at `key`).
    fn one_of(
        &mut self,
        place: &str,
        table: &DeTable<'_>,
        key: &str,
        other: &str,
        choice: &str,
    ) -> bool {
        let (Some(key_at), Some(other_at)) = (key_span(table, key), key_span(table, other)) else {
            return false;
        };
        self.reader.push(
            Diagnostic::error(
                format!("{place} sets both `{other}` and `{key}`"),
                key_at,
                format!("`{key}` gives what `{other}` gives, another way"),
            )
            .with_related(other_at, format!("`{other}` set here"))
            .with_help(format!("keep one: {choice}")),
        );
        true
    }

    /// `input_filter = "remove_all_tools" | "nest_history"`.
    fn input_filter(&mut self, item: &Item<'_>) -> Option<Spanned<InputFilterSpec>> {
        let text = self.reader.string("input_filter", item)?;
        let filter = match text.value.as_str() {
            "remove_all_tools" => InputFilterSpec::RemoveAllTools,
            "nest_history" => InputFilterSpec::NestHistory,
            other => {
                let mut diagnostic = Diagnostic::error(
                    format!("unknown input filter `{other}`"),
                    text.span,
                    format!("expected {}", or_list(format::INPUT_FILTERS)),
                );
                diagnostic = match did_you_mean(other, format::INPUT_FILTERS.iter().copied()) {
                    Some(suggestion) => {
                        diagnostic.with_help(format!("did you mean `{suggestion}`?"))
                    }
                    None => diagnostic.with_help(format!(
                        "a filter of your own is a Rust function: `input_filter_fn = \"{}\"`",
                        if other.contains("::") {
                            other
                        } else {
                            "crate::filters::my_filter"
                        }
                    )),
                };
                self.reader.push(diagnostic);
                return None;
            }
        };
        Some(Spanned::new(filter, text.span))
    }
}

/// The span of the key `name` of `table`, if it has one.
fn key_span(table: &DeTable<'_>, name: &str) -> Option<Span> {
    table
        .iter()
        .find(|(key, _)| key.get_ref().as_ref() == name)
        .map(|(key, _)| span_of(key))
}

/// An agent from its own fields and `[defaults]`, field by field (within
/// `model_settings` and `respan` too; `prompt` and `output` as a whole).
fn merge(id: Spanned<String>, span: Span, own: AgentFields, defaults: &AgentFields) -> AgentSpec {
    let name = own
        .name
        .unwrap_or_else(|| Spanned::new(crate::spec::default_display_name(&id.value), id.span));
    let own_instructions = own.instructions.is_some() || own.instructions_fn.is_some();
    AgentSpec {
        name,
        // One field written two ways: an agent's own `instructions` or
        // `instructions_fn` replaces whichever `[defaults]` gives.
        instructions_fn: if own_instructions {
            own.instructions_fn
        } else {
            defaults.instructions_fn.clone()
        },
        instructions: if own_instructions {
            own.instructions
        } else {
            defaults.instructions.clone()
        },
        handoff_description: own.handoff_description,
        handoffs: own.handoffs.unwrap_or_default(),
        handoff_options: own.handoff_options,
        tools: own
            .tools
            .or_else(|| defaults.tools.clone())
            .unwrap_or_default(),
        model: own.model.or_else(|| defaults.model.clone()),
        model_settings: merge_settings(own.model_settings, &defaults.model_settings),
        respan: match (own.respan, &defaults.respan) {
            (Some(own), Some(defaults)) => Some(merge_respan(own, defaults)),
            (own, defaults) => own.or_else(|| defaults.clone()),
        },
        prompt: own.prompt.or_else(|| defaults.prompt.clone()),
        output: own.output.or_else(|| defaults.output.clone()),
        tool_use_behavior: own
            .tool_use_behavior
            .or_else(|| defaults.tool_use_behavior.clone()),
        id,
        span,
    }
}

fn merge_settings(own: ModelSettingsSpec, defaults: &ModelSettingsSpec) -> ModelSettingsSpec {
    let d = defaults.clone();
    let mut extra_body = d.extra_body;
    extra_body.extend(own.extra_body);
    let mut extra_headers: Vec<_> = d
        .extra_headers
        .into_iter()
        .filter(|(name, _)| {
            !own.extra_headers
                .iter()
                .any(|(n, _)| n.value.eq_ignore_ascii_case(&name.value))
        })
        .collect();
    extra_headers.extend(own.extra_headers);
    ModelSettingsSpec {
        temperature: own.temperature.or(d.temperature),
        top_p: own.top_p.or(d.top_p),
        max_tokens: own.max_tokens.or(d.max_tokens),
        frequency_penalty: own.frequency_penalty.or(d.frequency_penalty),
        presence_penalty: own.presence_penalty.or(d.presence_penalty),
        tool_choice: own.tool_choice.or(d.tool_choice),
        parallel_tool_calls: own.parallel_tool_calls.or(d.parallel_tool_calls),
        seed: own.seed.or(d.seed),
        stop: own.stop.or(d.stop),
        response_format: own.response_format.or(d.response_format),
        extra_body,
        extra_headers,
    }
}

fn merge_respan(own: RespanSpec, defaults: &RespanSpec) -> RespanSpec {
    let d = defaults.clone();
    let mut metadata = d.metadata;
    metadata.extend(own.metadata);
    let mut extra = d.extra;
    extra.extend(own.extra);
    RespanSpec {
        customer_identifier: own.customer_identifier.or(d.customer_identifier),
        metadata,
        thread_identifier: own.thread_identifier.or(d.thread_identifier),
        fallback_models: if own.fallback_models.is_empty() {
            d.fallback_models
        } else {
            own.fallback_models
        },
        customer_params: own.customer_params.or(d.customer_params),
        cache_enabled: own.cache_enabled.or(d.cache_enabled),
        cache_ttl: own.cache_ttl.or(d.cache_ttl),
        cache_options: own.cache_options.or(d.cache_options),
        disable_log: own.disable_log.or(d.disable_log),
        extra,
        placement: own.placement.or(d.placement),
        span: own.span,
    }
}
