use quote::quote;

use super::args::{self, AGENT, Args, MODEL_SETTINGS, PROMPT, RESPAN};
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
    // The attribute takes a subset of the TOML format's keys (`id` aside: a
    // TOML agent's id is its table's name), never one of its own.
    for (names, table) in [
        (AGENT.names(), &crate::format::AGENT),
        (MODEL_SETTINGS.names(), &crate::format::MODEL_SETTINGS),
        (RESPAN.names(), &crate::format::RESPAN),
        (PROMPT.names(), &crate::format::PROMPT),
    ] {
        for name in names.into_iter().filter(|name| *name != "id") {
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
