use quote::quote;

use super::args::{self, AGENT, AGENT_TOOL, Args, HANDOFF, MODEL_SETTINGS, PROMPT, RESPAN};
use super::check;
use super::errors::Errors;
use super::spans::SourceMap;
use super::*;
use crate::spec::{PlacementSpec, ToolChoiceSpec};

/// The arguments read, and every message of the attribute (reading and checking).
fn read(args: TokenStream, item: TokenStream) -> (Args, Vec<String>) {
    let item: ItemStruct = syn::parse2(item).unwrap();
    let mut source = SourceMap::default();
    let mut errors = Errors::default();
    let args = args::parse(args, &mut source, &mut errors);
    check::check(&args, &item, &mut source, &mut errors);
    (args, errors.messages())
}

fn messages(args: TokenStream) -> Vec<String> {
    read(
        args,
        quote!(
            struct Assistant {
                user: String,
            }
        ),
    )
    .1
}

/// The expansion as a pretty-printed file.
fn pretty(args: TokenStream, item: TokenStream) -> String {
    let file: syn::File = syn::parse2(expand_agent(args, item)).unwrap();
    prettyplease::unparse(&file)
}

fn technical() -> (TokenStream, TokenStream) {
    let args = quote!(
        name = "Technical Agent",
        model = "claude-sonnet-4-5-20250929",
        handoff_description = "Technical support questions",
        instructions = "Handle technical support questions for {{ product }}.",
        handoffs = [Triage, crate::support::Billing],
        tools = [lookup_invoice],
        model_settings(
            temperature = 0.2,
            max_tokens = 500,
            seed = -1,
            stop = ["END"],
            tool_choice = "auto"
        ),
        respan(
            customer_identifier = "user_123",
            metadata(env = "production", tier = 2)
        ),
        prompt(prompt_id = "YOUR_PROMPT_ID", placement = "header"),
    );
    let item = quote!(
        struct Technical {
            product: String,
        }
    );
    (args, item)
}

#[test]
fn reads_every_key_into_spec_values() {
    let (args, item) = technical();
    let (args, messages) = read(quote!(#args id = "tech", model_settings2 = 1), item.clone());
    assert_eq!(
        messages,
        [
            "unknown key `model_settings2` in `#[respan_agent]`\n= help: did you mean `model_settings`?"
        ]
    );
    assert_eq!(args.id.unwrap().value(), "tech");
    assert_eq!(args.name.unwrap().value(), "Technical Agent");
    assert_eq!(args.model.unwrap().value, "claude-sonnet-4-5-20250929");
    assert_eq!(args.handoffs.len(), 2);
    assert_eq!(args.tools.len(), 1);
    let settings = &args.model_settings;
    assert_eq!(settings.temperature.as_ref().unwrap().value, 0.2);
    assert_eq!(settings.max_tokens.as_ref().unwrap().value, 500);
    assert_eq!(settings.seed.as_ref().unwrap().value, -1);
    assert_eq!(settings.stop.as_ref().unwrap().value, ["END"]);
    assert_eq!(
        settings.tool_choice.as_ref().unwrap().value,
        ToolChoiceSpec::Auto
    );
    let respan = args.respan.unwrap();
    assert_eq!(respan.customer_identifier.unwrap().value, "user_123");
    assert_eq!(respan.metadata["env"], "production");
    assert_eq!(respan.metadata["tier"], 2);
    let prompt = args.prompt.unwrap();
    assert_eq!(prompt.prompt_id.value, "YOUR_PROMPT_ID");
    assert_eq!(prompt.placement.value, PlacementSpec::Header);
}

#[test]
fn the_other_keys_are_read_too() {
    let (args, messages) = read(
        quote!(
            model_settings(
                top_p = 1,
                frequency_penalty = -0.5,
                presence_penalty = 0.5,
                parallel_tool_calls = false,
                stop = "END"
            ),
            respan(
                thread_identifier = "t",
                fallback_models = ["gpt-4o"],
                cache_enabled = true,
                cache_ttl = 60,
                disable_log = true,
                placement = "body"
            ),
            prompt(
                prompt_id = "p",
                schema_version = 1,
                echo = true,
                variables(x = "y", n = -2)
            ),
        ),
        quote!(
            struct Assistant;
        ),
    );
    assert!(messages.is_empty(), "{messages:?}");
    let settings = &args.model_settings;
    assert_eq!(settings.top_p.as_ref().unwrap().value, 1.0);
    assert_eq!(settings.frequency_penalty.as_ref().unwrap().value, -0.5);
    assert_eq!(settings.stop.as_ref().unwrap().value, ["END"]);
    let respan = args.respan.unwrap();
    assert_eq!(respan.fallback_models[0].value, "gpt-4o");
    assert_eq!(respan.cache_ttl.unwrap().value, 60);
    assert_eq!(respan.placement.unwrap().value, PlacementSpec::Body);
    let prompt = args.prompt.unwrap();
    assert_eq!(prompt.schema_version.value, 1);
    assert_eq!(prompt.variables["n"], -2);
}

#[test]
fn every_mistake_is_reported_at_once() {
    assert_eq!(
        messages(quote!(
            name = "Assistant",
            instrutions = "Help.",
            model_settings(temperature = 2.5, max_tokens = "500"),
        )),
        [
            "unknown key `instrutions` in `#[respan_agent]`\n= help: did you mean `instructions`?",
            "wrong type for `max_tokens`: expected an integer, found a string\n= help: remove the quotes: `500`",
            // From the checker, as for a TOML file.
            "`temperature` out of range: must be between 0 and 2, found 2.5",
        ]
    );
}

#[test]
fn reading_goes_on_after_each_kind_of_mistake() {
    let (args, messages) = read(
        quote!(
            name = 1,
            name = "Twice",
            instructions "Help.",
            handoffs = ["billing", Technical, 3],
            model_settings(tempreature = 1, stop = [1, "x"], seed = 1.5, max_tokens = -1),
            respan(placement = "hedaer", metadata(a = [1], b = "ok"), cache_ttl = 99999999999999999999999999),
            prompt(schema_version = 3, echo = "yes"),
            temperature = 0.5,
            tools = lookup,
            model_settings = 1,
            model = "gpt-4o",
        ),
        quote!(
            struct Assistant;
        ),
    );
    assert_eq!(
        messages,
        [
            "wrong type for `name`: expected a string, found an integer",
            "duplicate key `name` in `#[respan_agent]`",
            "`instructions` needs a value: `instructions = ...`",
            "wrong type in `handoffs`: expected a path, found a string\n= help: write the path itself: `Billing`",
            "wrong type in `handoffs`: expected a path, found an integer",
            "unknown key `tempreature` in `model_settings`\n= help: did you mean `temperature`?",
            "wrong type in `stop`: expected a string, found an integer",
            "wrong type for `seed`: expected an integer, found a float",
            "`max_tokens` out of range: must be at least 1, found -1",
            "unknown placement `hedaer`\n= help: did you mean `header`?\n= note: expected one of `body`, `respan_params` or `header`",
            "wrong type for `a`: expected a string, number or boolean, found an array",
            "`cache_ttl` out of range: must be a non-negative number of seconds, found 99999999999999999999999999",
            "wrong type for `echo`: expected a boolean, found a string",
            "unknown key `temperature` in `#[respan_agent]`\n= help: `temperature` belongs in `model_settings(...)`",
            "wrong type for `tools`: expected an array of paths, found a path",
            "duplicate key `model_settings` in `#[respan_agent]`",
            // From the checker.
            "prompt without `prompt_id`\n= note: missing `prompt_id`\n= help: add `prompt_id = \"...\"`, the id of the prompt on the Respan platform",
            "`schema_version` out of range: must be 1 or 2, found 3",
        ]
    );
    // What could be read was read.
    assert_eq!(args.model.unwrap().value, "gpt-4o");
    assert_eq!(args.handoffs.len(), 1);
    assert_eq!(args.model_settings.stop.unwrap().value, ["x"]);
    assert_eq!(args.respan.unwrap().metadata["b"], "ok");
}

#[test]
fn unknown_keys_say_what_is_known() {
    assert_eq!(
        messages(quote!(prompt(prompt_id = "p", xyz = 1))),
        [
            "unknown key `xyz` in `prompt`\n= note: expected one of `prompt_id`, `schema_version`, `placement`, `echo` or `variables`"
        ]
    );
    assert_eq!(
        messages(quote!(tempreture = 1)),
        [
            "unknown key `tempreture` in `#[respan_agent]`\n= help: did you mean `temperature`? It belongs in `model_settings(...)`"
        ]
    );
    assert_eq!(
        messages(quote!(respan = 1)),
        ["`respan` takes a list: `respan(key = value, ...)`"]
    );
}

#[test]
fn one_list_of_keys_per_table() {
    // The tables are what both reads and suggests: no key twice, none missing.
    for names in [
        AGENT.names(),
        MODEL_SETTINGS.names(),
        RESPAN.names(),
        PROMPT.names(),
        HANDOFF.names(),
        AGENT_TOOL.names(),
    ] {
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "{names:?}");
    }
    assert!(AGENT.names().contains(&"model_settings"));
}

#[test]
fn attribute_keys_are_keys_of_the_format() {
    // The attribute takes a subset of the TOML format's keys, never one of its
    // own, but for what a TOML table's name says: a TOML agent's `id` and an
    // agent tool's `name` are their tables' names, and `agent_tool(..)` is a
    // `[tools.<name>]` table with `agent`.
    for (names, table, named) in [
        (
            AGENT.names(),
            &crate::format::AGENT,
            &["id", "agent_tool"][..],
        ),
        (MODEL_SETTINGS.names(), &crate::format::MODEL_SETTINGS, &[]),
        (RESPAN.names(), &crate::format::RESPAN, &[]),
        (PROMPT.names(), &crate::format::PROMPT, &[]),
        (HANDOFF.names(), &crate::format::HANDOFF, &[]),
        (AGENT_TOOL.names(), &crate::format::TOOL, &["name"]),
    ] {
        for name in names.into_iter().filter(|name| !named.contains(name)) {
            assert!(
                table.key(name).is_some(),
                "`{name}` is not a key of {}",
                table.name
            );
        }
    }
}

#[test]
fn the_struct_and_the_checker_have_their_say() {
    let (_, found) = read(
        quote!(
            instructions = "Help {{ usr }} with {{ plan }}.",
            handoffs = [Assistant, Billing, Billing],
            prompt(placement = "body"),
        ),
        quote!(
            struct Assistant {
                user: String,
            }
        ),
    );
    assert_eq!(
        found,
        [
            "template variable `usr` is not a field of `Assistant`\n= help: did you mean `user`?",
            "template variable `plan` is not a field of `Assistant`\n= help: add a field `plan: String` to `Assistant`: its fields are the template variables",
            "agent `assistant` hands off to itself\n= note: an agent cannot hand off to itself\n= help: remove `assistant` from its `handoffs`",
            "handoff target `billing` is listed twice\n= note: listed again here\n= help: remove the second one",
            "prompt without `prompt_id`\n= note: missing `prompt_id`\n= help: add `prompt_id = \"...\"`, the id of the prompt on the Respan platform",
        ]
    );
    assert_eq!(
        read(
            quote!(),
            quote!(
                struct Pair(String, String);
            )
        )
        .1,
        ["`#[respan_agent]` needs named fields (the template variables) or none"]
    );
    assert_eq!(
        messages(quote!(instructions = "Help {{ user }.")),
        [
            "template syntax error\n= note: found `}` but expected }}\n= note: instructions are tera templates: `{{ variable }}`, `{% if ... %}`"
        ]
    );
}

#[test]
fn expands_to_an_agent_def_impl() {
    let text = pretty(
        quote!(
            name = "Triage Agent",
            instructions = "Route.",
            handoffs = [Billing]
        ),
        quote!(
            struct Triage;
        ),
    );
    assert!(
        text.contains("impl ::respan::AgentDef for Triage {"),
        "{text}"
    );
    assert!(
        text.contains(r#"const ID: &'static str = "triage";"#),
        "{text}"
    );
    assert!(
        text.contains(r#"const NAME: &'static str = "Triage Agent";"#),
        "{text}"
    );
    assert!(
        text.contains(".handoffs([<Billing as ::respan::AgentDef>::ID])"),
        "{text}"
    );
    assert!(!text.contains("compile_error"), "{text}");

    // Generics are kept; the id defaults to the struct name in snake_case.
    let text = pretty(
        quote!(),
        quote!(
            struct TechSupport<'a> {
                user: &'a str,
            }
        ),
    );
    assert!(
        text.contains("impl<'a> ::respan::AgentDef for TechSupport<'a> {"),
        "{text}"
    );
    assert!(
        text.contains(r#"const ID: &'static str = "tech_support";"#),
        "{text}"
    );
    assert!(
        text.contains(r#"const NAME: &'static str = "Tech Support";"#),
        "{text}"
    );
}

#[test]
fn a_mistake_still_expands_to_the_impl() {
    let text = pretty(
        quote!(name = 1, naem = "x"),
        quote!(
            struct Assistant;
        ),
    );
    assert_eq!(text.matches("compile_error!").count(), 2, "{text}");
    assert!(
        text.contains("impl ::respan::AgentDef for Assistant {"),
        "{text}"
    );
    assert!(text.contains("unreachable!"), "{text}");

    let text = expand_agent(
        quote!(),
        quote!(
            fn not_a_struct() {}
        ),
    )
    .to_string();
    assert!(text.contains("goes on a struct"), "{text}");
    assert!(text.contains("fn not_a_struct"), "{text}");
}

#[test]
fn expansion_snapshot() {
    let (args, item) = technical();
    insta::assert_snapshot!(pretty(args, item));
}

#[test]
fn odd_arguments_never_panic_and_always_expand_to_items() {
    let cases = [
        quote!(),
        quote!(,),
        quote!(=),
        quote!(= 1),
        quote!("name" = "x"),
        quote!(a::b = 1),
        quote!(name = "x" "y"),
        quote!(name),
        quote!(name =),
        quote!(name = , model = "m"),
        quote!(model_settings()),
        quote!(model_settings(,)),
        quote!(model_settings[temperature = 1]),
        quote!(model_settings(temperature = 1 2)),
        quote!(handoffs = []),
        quote!(handoffs = [a::]),
        quote!(handoffs = [<T as X>::Y, r#Fn]),
        quote!(respan(metadata(x), metadata = 1)),
        quote!(prompt(variables = 1, prompt_id = "")),
        quote!(model_settings(
            temperature = -1e400,
            max_tokens = 4294967296,
            seed = -9223372036854775809
        )),
        quote!(instructions = "{{ type }} {{ self }}"),
        quote!(handoff(,), agent_tool(,)),
        quote!(handoff(Billing,), agent_tool(Researcher,)),
        quote!(handoffs = [Billing], handoff(Billing, input_type = , on_handoff = )),
        quote!(
            handoffs = [Billing],
            handoff(Billing, input_type = Vec < u8, on_handoff = f)
        ),
        quote!(agent_tool(<T as X>::Y), handoff(a::)),
        quote!(agent_tool[Researcher], handoff = Billing),
        quote!(
            handoffs = [Billing],
            handoff(Billing, input_filter = 1, is_enabled = "yes")
        ),
    ];
    for args in cases {
        let expanded = expand_agent(
            args.clone(),
            quote!(
                struct S {
                    r#type: String,
                }
            ),
        );
        if let Err(error) = syn::parse2::<syn::File>(expanded) {
            panic!("{args}: {error}");
        }
    }
    let text = pretty(
        quote!(instructions = "{{ type }}"),
        quote!(
            struct S {
                r#type: String,
            }
        ),
    );
    assert!(text.contains("& self.r#type"), "{text}");
}

/// `instructions = path`: a function computing the instructions per turn,
/// spanned at the path (rustc checks its signature); a string stays a template.
#[test]
fn instructions_as_a_path_is_a_function() {
    let (args, errors) = read(
        quote!(name = "Desk", instructions = crate::prompts::desk),
        quote!(
            struct Desk;
        ),
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert!(args.instructions.is_none());
    assert_eq!(
        args.instructions_fn
            .map(|p| p.to_token_stream().to_string()),
        Some("crate :: prompts :: desk".to_owned())
    );
    insta::assert_snapshot!(pretty(
        quote!(
            name = "Desk",
            instructions = crate::prompts::desk,
            tools = [lookup]
        ),
        quote!(
            struct Desk;
        ),
    ));
    assert_eq!(
        messages(quote!(instructions = 3)),
        [
            "wrong type for `instructions`: expected a string (a template) or the path of a function, found an integer"
        ]
    );
}

fn triage_messages(args: TokenStream) -> Vec<String> {
    read(
        args,
        quote!(
            struct Triage;
        ),
    )
    .1
}

fn triage(args: TokenStream) -> (Args, Vec<String>) {
    read(
        args,
        quote!(
            struct Triage;
        ),
    )
}

/// `agent_tool(..)` and `handoff(..)`: the keys of `[tools.<name>] agent = ..`
/// and `[agents.<id>.handoff.<target>]`, each read into its value.
#[test]
fn agent_tools_and_handoff_options_are_read() {
    let (args, messages) = triage(quote!(
        handoffs = [Billing, Technical, Shipping],
        tools = [lookup],
        agent_tool(
            Researcher,
            name = "research",
            description = "Research a topic.",
            max_turns = 3,
            timeout_secs = 30
        ),
        agent_tool(crate::agents::Writer),
        handoff(
            Billing,
            tool_name = "escalate",
            description = "Billing.",
            input_filter = "remove_all_tools",
            input_type = Escalation,
            on_handoff = crate::hooks::on_escalate
        ),
        handoff(
            Technical,
            input_filter_fn = crate::filters::last,
            is_enabled = false
        ),
        handoff(
            Shipping,
            input_filter = "nest_history",
            is_enabled_fn = crate::shipping_open
        ),
    ));
    assert!(messages.is_empty(), "{messages:?}");
    let [research, writer] = &args.agent_tools[..] else {
        panic!("two agent tools")
    };
    assert_eq!(args::path_text(&research.agent), "Researcher");
    assert_eq!(research.name.as_ref().unwrap().value, "research");
    assert_eq!(
        research.description.as_ref().unwrap().value,
        "Research a topic."
    );
    assert_eq!(research.max_turns.as_ref().unwrap().value, 3);
    assert_eq!(research.timeout_secs.as_ref().unwrap().value, 30.0);
    assert_eq!(args::path_text(&writer.agent), "crate::agents::Writer");
    assert!(writer.name.is_none() && writer.description.is_none());

    let [billing, technical, shipping] = &args.handoff_options[..] else {
        panic!("three handoffs with options")
    };
    assert_eq!(args::path_text(&billing.target), "Billing");
    assert_eq!(billing.tool_name.as_ref().unwrap().value, "escalate");
    assert_eq!(billing.description.as_ref().unwrap().value, "Billing.");
    assert_eq!(
        billing.input_filter.as_ref().unwrap().value,
        crate::spec::InputFilterSpec::RemoveAllTools
    );
    assert_eq!(
        billing.input_type.to_token_stream().to_string(),
        "Escalation"
    );
    assert_eq!(
        args::path_text(billing.on_handoff.as_ref().unwrap()),
        "crate::hooks::on_escalate"
    );
    assert_eq!(
        args::path_text(technical.input_filter_fn.as_ref().unwrap()),
        "crate::filters::last"
    );
    assert!(!technical.is_enabled.as_ref().unwrap().value);
    assert_eq!(
        shipping.input_filter.as_ref().unwrap().value,
        crate::spec::InputFilterSpec::NestHistory
    );
    assert_eq!(
        args::path_text(shipping.is_enabled_fn.as_ref().unwrap()),
        "crate::shipping_open"
    );
}

/// What the checker sees: the handoff options as `HandoffSpec`s, the agent
/// tools as `[tools.<name>] agent = ..` tables after the function tools.
#[test]
fn the_checker_sees_them_as_a_workflow_file_would_say_them() {
    let (args, item) = (
        quote!(
            handoffs = [Billing, Technical],
            tools = [lookup],
            agent_tool(Researcher, name = "research", max_turns = 2),
            agent_tool(Writer),
            handoff(
                Billing,
                input_type = Escalation,
                on_handoff = crate::on_escalate
            ),
            handoff(
                Technical,
                input_filter_fn = crate::last,
                is_enabled_fn = crate::open
            ),
        ),
        quote!(
            struct Triage;
        ),
    );
    let item: ItemStruct = syn::parse2(item).unwrap();
    let mut source = SourceMap::default();
    let mut errors = Errors::default();
    let args = args::parse(args, &mut source, &mut errors);
    let checked = check::check(&args, &item, &mut source, &mut errors);
    assert!(errors.is_empty(), "{:?}", errors.messages());
    let names: Vec<_> = checked
        .agent
        .tools
        .iter()
        .map(|t| t.value.as_str())
        .collect();
    assert_eq!(names, ["lookup", "research", "writer"]);
    let targets: Vec<_> = checked
        .agent_tools
        .iter()
        .map(|t| t.agent.as_ref().unwrap().value.as_str())
        .collect();
    assert_eq!(targets, ["researcher", "writer"]);
    assert_eq!(checked.agent_tools[0].max_turns.as_ref().unwrap().value, 2);
    let billing = checked.agent.handoff_options("billing").unwrap();
    assert_eq!(
        billing.input,
        Some(crate::spec::HandoffInputSpec::Rust(
            crate::spec::Spanned::new(
                "Escalation".to_owned(),
                billing
                    .input
                    .as_ref()
                    .map_or(crate::spec::Span::default(), |i| match i {
                        crate::spec::HandoffInputSpec::Rust(t) => t.span,
                        crate::spec::HandoffInputSpec::Schema(s) => s.span,
                    })
            )
        ))
    );
    assert_eq!(
        billing.on_handoff.as_ref().unwrap().value,
        "crate::on_escalate"
    );
    let technical = checked.agent.handoff_options("technical").unwrap();
    assert_eq!(
        technical.input_filter.as_ref().unwrap().value,
        crate::spec::InputFilterSpec::Rust("crate::last".to_owned())
    );
    assert!(matches!(
        &technical.enabled,
        Some(crate::spec::EnabledSpec::Rust(path)) if path.value == "crate::open"
    ));
}

#[test]
fn agent_tool_and_handoff_mistakes_are_reported_at_once() {
    let (_, messages) = triage(quote!(
        handoffs = [Billing, Technical],
        handoff(Billing, tool_nme = "x", input_schema = { "type": "object" }),
        handoff(Technical, input_filter = "remove_tools", is_enabled = true, is_enabled_fn = crate::open),
        handoff(Billing, input_filter_fn = "crate::f", input_filter = "nest_history"),
        handoff("billing"),
        handoff(tool_name = "a b"),
        handoff,
        handoff(),
        agent_tool(Researcher, nme = "x", input_type = Escalation, on_handoff = 3),
        tool_name = "x",
        max_turns = 3,
    ));
    assert_eq!(
        messages,
        [
            "unknown key `tool_nme` in `handoff`\n= help: did you mean `tool_name`?",
            "`input_schema` is not accepted in `#[respan_agent]`\n= note: a JSON Schema written in an attribute is unreadable\n= help: give the input a Rust type: `input_type = Escalation`, a `serde::Deserialize + schemars::JsonSchema` struct",
            "unknown input filter `remove_tools`\n= note: expected `remove_all_tools` or `nest_history`\n= help: did you mean `remove_all_tools`?",
            "`handoff(Technical, ..)` sets both `is_enabled` and `is_enabled_fn`\n= note: `is_enabled_fn` gives what `is_enabled` gives, another way\n= help: keep one: `is_enabled = true | false` or a Rust function deciding per turn",
            "wrong type for `input_filter_fn`: expected the path of a function, found a string\n= help: write the path itself: `crate::f`",
            "wrong type in `handoff`: expected the path of an agent struct, found a string\n= note: expected a path\n= help: write the path itself: `Billing`",
            "`handoff` starts with the agent struct it is about: `handoff(Billing, option = value, ...)`",
            "`handoff` takes the agent struct and its options: `handoff(Billing, option = value, ...)`",
            "`handoff` needs the agent struct first: `handoff(Billing, option = value, ...)`",
            "unknown key `nme` in `agent_tool`\n= help: did you mean `name`?",
            "unknown key `input_type` in `agent_tool`\n= help: `input_type` belongs in `handoff(...)`",
            "unknown key `on_handoff` in `agent_tool`\n= help: `on_handoff` belongs in `handoff(...)`",
            "unknown key `tool_name` in `#[respan_agent]`\n= help: `tool_name` belongs in `handoff(...)`",
            "unknown key `max_turns` in `#[respan_agent]`\n= help: `max_turns` belongs in `agent_tool(...)`",
            "options of the handoff to `Billing` given twice\n= note: first given as `handoff(Billing, ..)`\n= help: merge them into one `handoff(..)`",
        ]
    );
}

/// The checker's rules for `[tools.<name>] agent = ..` and handoff tables,
/// its fixes in the attribute's words.
#[test]
fn the_checker_rules_apply_to_them() {
    assert_eq!(
        triage_messages(quote!(
            handoffs = [Billing, Technical],
            handoff(Biling, description = ""),
            handoff(Shipping, tool_name = "transfer to shipping"),
        )),
        [
            "handoff options for `biling`, which agent `triage` does not hand off to\n= note: not in this agent's `handoffs`\n= help: did you mean `Billing`?\n= note: `handoff(Agent, ..)` sets options of a handoff `handoffs` lists",
            "empty handoff `description` for `biling`\n= note: the model reads this to decide when to hand off\n= help: say what the target agent handles, or remove `description`",
            "handoff options for `shipping`, which agent `triage` does not hand off to\n= note: not in this agent's `handoffs`\n= help: add it to the agent's handoffs: `handoffs = [Billing, Technical, Shipping]`\n= note: `handoff(Agent, ..)` sets options of a handoff `handoffs` lists",
        ]
    );
    assert_eq!(
        triage_messages(quote!(
            handoffs = [Billing],
            tools = [lookup],
            handoff(Billing, tool_name = "lookup"),
            agent_tool(
                Researcher,
                name = "bad name",
                max_turns = 0,
                timeout_secs = -1,
                description = " "
            ),
            agent_tool(Writer, name = "lookup"),
        )),
        [
            "invalid tool name `bad name`\n= note: expected a snake_case identifier (a-z, 0-9, _)\n= help: rename it, e.g. `bad_name`",
            "tool `lookup` of agent `triage` has the name of its handoff to `billing`\n= note: this tool's name\n= help: rename the tool: the model could not tell the two apart\n= note: the handoff tool is `transfer_to_` + the display name with every character outside [A-Za-z0-9_] turned into `_`, lower-cased",
            "tool `lookup` is listed twice\n= note: listed again here",
            "`max_turns` out of range: must be at least 1, found 0",
            "`timeout_secs` out of range: must be a positive number of seconds (at most 86400), found -1",
            "empty `description` for tool `bad name`\n= note: the model reads this to decide when to call the tool\n= help: say what the tool does and when to use it",
        ]
    );
    // Self-use is an error at the path, whichever way the struct is named.
    for own in [quote!(Triage), quote!(Self)] {
        assert_eq!(
            triage_messages(quote!(agent_tool(#own, name = "again"))),
            [format!(
                "agent `triage` is its own tool\n= note: tool `again` of agent `triage` runs `triage`\n= help: remove `agent_tool({own}, ..)`, or make it run another agent\n= note: an agent tool runs the agent to answer the call: an agent calling itself would never finish"
            )]
        );
    }
    assert_eq!(
        triage_messages(quote!(handoffs = [Self])),
        [
            "agent `triage` hands off to itself\n= note: an agent cannot hand off to itself\n= help: remove `triage` from its `handoffs`"
        ]
    );
}

#[test]
fn agent_tools_and_handoff_options_expansion_snapshot() {
    insta::assert_snapshot!(pretty(
        quote!(
            name = "Triage Agent",
            instructions = "Route.",
            handoffs = [Billing, Technical, Shipping],
            tools = [lookup_invoice],
            agent_tool(
                Researcher,
                name = "research",
                description = "Research a topic.",
                max_turns = 3,
                timeout_secs = 30
            ),
            agent_tool(Writer),
            handoff(
                Billing,
                tool_name = "escalate",
                description = "Billing questions.",
                input_filter = "remove_all_tools",
                input_type = Escalation,
                on_handoff = crate::hooks::on_escalate
            ),
            handoff(
                Technical,
                input_filter_fn = crate::filters::last,
                is_enabled = false,
                on_handoff = crate::hooks::on_technical
            ),
            handoff(
                Shipping,
                input_filter = "nest_history",
                is_enabled_fn = crate::shipping_open
            ),
        ),
        quote!(
            struct Triage;
        ),
    ));
    // Without options, the handoffs stay one `.handoffs([..])`.
    let text = pretty(
        quote!(handoffs = [Billing], agent_tool(Researcher)),
        quote!(
            struct Triage;
        ),
    );
    assert!(
        text.contains(".handoffs([<Billing as ::respan::AgentDef>::ID])"),
        "{text}"
    );
    assert!(
        text.contains(
            ".agent_tool(::respan::AgentTool::new(<Researcher as ::respan::AgentDef>::ID))"
        ),
        "{text}"
    );
}
