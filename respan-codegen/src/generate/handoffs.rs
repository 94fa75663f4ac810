//! Handoffs with options (`[agents.<id>.handoff.<target>]`) as
//! `::respan::Handoff` values, agent tools (`[tools.<name>] agent = ..`) as
//! `::respan::AgentTool`s, and the `__bindings` items of the Rust functions
//! and types a handoff names, each checked where rustc's error names the
//! TOML line.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{quote, quote_spanned};

use super::Module;
use super::names::{agent_variant, handoff_enum_name, ident, str_lit};
use super::values;
use crate::spec::{
    AgentSpec, EnabledSpec, HandoffInputSpec, HandoffSpec, InputFilterSpec, ToolSpec,
};

/// The Rust items one handoff's options name, as `__bindings` names.
pub(super) struct HandoffNames {
    /// `triage_billing_input_filter`: returns the `input_filter_fn`'s filter.
    pub(super) input_filter: Option<Ident>,
    /// `TriageBillingInput`: the `input_type` alias.
    pub(super) input_type: Option<Ident>,
    /// `triage_billing_on_handoff`: adds the `on_handoff` function.
    pub(super) on_handoff: Option<Ident>,
    /// `triage_billing_enabled`: adds the `is_enabled_fn` function.
    pub(super) enabled: Option<Ident>,
}

impl Module<'_> {
    /// The handoffs of `agent` whose options the file gives, in the order of
    /// `handoffs`, with the agent's other targets between them: `.handoff(..)`
    /// (`.handoff_with(..)` for those with options) on the agent for runs of
    /// context `C`. Empty when the file gives no
    /// options (the targets are then `agent_calls`' `.handoffs([..])`).
    pub(super) fn handoff_calls(&self, agent: &AgentSpec) -> TokenStream {
        if agent.handoff_options.is_empty() {
            return TokenStream::new();
        }
        let mut seen = std::collections::HashSet::new();
        let mut out = TokenStream::new();
        for target in &agent.handoffs {
            if !self.is_agent(&target.value) || !seen.insert(target.value.as_str()) {
                continue;
            }
            let Some(variant) = agent_variant(&target.value) else {
                continue;
            };
            out.extend(match agent.handoff_options(&target.value) {
                Some(options) => {
                    let value = self.handoff_value(agent, options, &variant);
                    quote! { .handoff_with(#value) }
                }
                None => quote! { .handoff(Agent::#variant) },
            });
        }
        out
    }

    /// `::respan::Handoff::<Agent, C>::to(Agent::Billing).input_filter(..)...`.
    fn handoff_value(
        &self,
        agent: &AgentSpec,
        options: &HandoffSpec,
        variant: &Ident,
    ) -> TokenStream {
        let names = self.handoff_names(agent, options);
        handoff_value(
            options,
            HandoffRust {
                handoff: quote! { ::respan::Handoff::<Agent, C> },
                key: quote! { Agent::#variant },
                custom_filter: names
                    .input_filter
                    .map(|name| quote! { __bindings::#name() }),
                input_type: names.input_type.map(|alias| quote! { __bindings::#alias }),
                enabled_fn: names.enabled.map(|name| {
                    Box::new(move |value| quote! { __bindings::#name::<C>(#value) }) as Wrap<'_>
                }),
                on_handoff: names.on_handoff.map(|name| {
                    Box::new(move |value| quote! { __bindings::#name::<C>(#value) }) as Wrap<'_>
                }),
            },
        )
    }

    /// The `__bindings` names of the Rust items a handoff's options name
    /// (each `None` when the option is absent or its path does not parse).
    pub(super) fn handoff_names(&self, agent: &AgentSpec, options: &HandoffSpec) -> HandoffNames {
        let base = format!("{}_{}", agent.id.value, options.target.value);
        let parses = |path: &str| syn::parse_str::<syn::Path>(path).is_ok();
        let input_filter = match &options.input_filter {
            Some(filter) => match &filter.value {
                InputFilterSpec::Rust(path) if parses(path) => {
                    ident(&format!("{base}_input_filter"))
                }
                _ => None,
            },
            None => None,
        };
        let input_type = match &options.input {
            Some(HandoffInputSpec::Rust(path)) if parses(&path.value) => {
                match (
                    agent_variant(&agent.id.value),
                    agent_variant(&options.target.value),
                ) {
                    (Some(from), Some(to)) => ident(&format!("{from}{to}Input")),
                    _ => None,
                }
            }
            _ => None,
        };
        let on_handoff = options
            .on_handoff
            .as_ref()
            .filter(|function| parses(&function.value))
            .and_then(|_| ident(&format!("{base}_on_handoff")));
        let enabled = match &options.enabled {
            Some(EnabledSpec::Rust(path)) if parses(&path.value) => {
                ident(&format!("{base}_enabled"))
            }
            _ => None,
        };
        HandoffNames {
            input_filter,
            input_type,
            on_handoff,
            enabled,
        }
    }

    /// The type a handoff's variant of `<Agent>Handoff` carries: its
    /// `input_type`, JSON for an `input_schema`, `None` without input.
    pub(super) fn handoff_input_type(
        &self,
        agent: &AgentSpec,
        target: &str,
        stub: bool,
    ) -> Option<TokenStream> {
        let options = agent.handoff_options(target)?;
        match &options.input {
            Some(HandoffInputSpec::Schema(_)) => {
                Some(quote! { ::respan::__private::serde_json::Value })
            }
            Some(HandoffInputSpec::Rust(_)) if !stub => {
                let alias = self.handoff_names(agent, options).input_type?;
                Some(quote! { __bindings::#alias })
            }
            // A stub has no bindings: the value is still data, of some type.
            Some(HandoffInputSpec::Rust(_)) => {
                Some(quote! { ::respan::__private::serde_json::Value })
            }
            None => None,
        }
    }

    /// `.agent_tool(::respan::AgentTool::new(Agent::Researcher).name("research")...)`
    /// for an agent tool, `.tool(..)` for a function tool.
    pub(super) fn tool_call(&self, name: &str) -> Option<TokenStream> {
        let tool = self.spec.tool(name)?;
        let Some(target) = &tool.agent else {
            let tool = self.tool_value(name)?;
            return Some(quote! { .tool(#tool) });
        };
        if !self.is_agent(&target.value) {
            return None;
        }
        let variant = agent_variant(&target.value)?;
        Some(agent_tool_call(
            quote! { Agent::#variant },
            Some(name),
            tool,
        ))
    }

    /// The `__bindings` items of every handoff option naming Rust: the
    /// `input_type` aliases (in [`Module::bound_items`]) and the functions,
    /// each passed to a checker named after its TOML line
    /// (`support_toml_line_14`), whose bounds are the signature the option
    /// needs, so rustc's error for a function that does not fit says
    /// "required by a bound in `support_toml_line_14`".
    pub(super) fn handoff_functions(&self, checkers: &mut Vec<Ident>) -> TokenStream {
        let span = self.span();
        let mut out = TokenStream::new();
        for agent in self.agents {
            let Some(enum_name) = handoff_enum_name(&agent.id.value) else {
                continue;
            };
            for options in &agent.handoff_options {
                if !self.is_agent(&options.target.value)
                    || !agent
                        .handoffs
                        .iter()
                        .any(|t| t.value == options.target.value)
                {
                    continue;
                }
                let Some(variant) = agent_variant(&options.target.value) else {
                    continue;
                };
                let names = self.handoff_names(agent, options);
                let place = format!(
                    "`[agents.{}.handoff.{}]`",
                    agent.id.value, options.target.value
                );
                if let (Some(name), Some(filter)) = (&names.input_filter, &options.input_filter)
                    && let InputFilterSpec::Rust(path) = &filter.value
                {
                    let written = crate::spec::Spanned::new(path.clone(), filter.span);
                    if let Some(binding) = self.binding(
                        name.clone(),
                        &written,
                        &format!("`input_filter_fn` of {place}"),
                        "the function",
                    ) {
                        let checker = unique(self.location_alias(filter.span), checkers);
                        let target = &binding.target;
                        let doc = &binding.doc;
                        out.extend(quote_spanned! {span=>
                            #[doc = #doc]
                            pub(super) fn #name() -> ::respan::InputFilter {
                                #checker(#target)
                            }
                            /// The signature an `input_filter_fn` at this line of the file must have.
                            fn #checker<F>(function: F) -> ::respan::InputFilter
                            where
                                F: ::core::ops::Fn(&[::respan::InputItem]) -> ::std::vec::Vec<::respan::InputItem>
                                    + ::core::marker::Send
                                    + ::core::marker::Sync
                                    + 'static,
                            {
                                ::respan::InputFilter::custom(function)
                            }
                        });
                    }
                }
                if let (Some(name), Some(function)) = (&names.on_handoff, &options.on_handoff)
                    && let Some(binding) = self.binding(
                        name.clone(),
                        function,
                        &format!("`on_handoff` of {place}"),
                        "the function",
                    )
                {
                    let checker = unique(self.location_alias(function.span), checkers);
                    let target = &binding.target;
                    let doc = &binding.doc;
                    let origin =
                        self.function_origin(&function.value, "on_handoff", &place, function.span);
                    let (input, wrap) =
                        match self.handoff_input_type(agent, &options.target.value, false) {
                            Some(ty) => {
                                let ty = strip_bindings(ty);
                                (ty, quote! { |input| super::#enum_name::#variant(input) })
                            }
                            None => (
                                quote! { ::respan::__private::serde::de::IgnoredAny },
                                quote! { |_| super::#enum_name::#variant },
                            ),
                        };
                    out.extend(quote_spanned! {span=>
                        #[doc = #doc]
                        pub(super) fn #name<C: ::core::marker::Send + ::core::marker::Sync + 'static>(
                            handoff: ::respan::Handoff<super::Agent, C>,
                        ) -> ::respan::Handoff<super::Agent, C> {
                            #checker::<C, _, #input, _>(handoff, #wrap, #target, #origin)
                        }
                        /// The signature an `on_handoff` at this line of the file must have.
                        fn #checker<C, X, T, F>(
                            handoff: ::respan::Handoff<super::Agent, C>,
                            wrap: fn(T) -> super::#enum_name,
                            function: F,
                            origin: &'static str,
                        ) -> ::respan::Handoff<super::Agent, C>
                        where
                            C: ::core::marker::Send + ::core::marker::Sync + 'static,
                            X: 'static,
                            T: ::respan::__private::serde::de::DeserializeOwned + ::core::marker::Send + 'static,
                            F: ::core::ops::Fn(&X, super::#enum_name)
                                + ::core::marker::Send
                                + ::core::marker::Sync
                                + 'static,
                        {
                            ::respan::__private::on_handoff(handoff, wrap, function, origin)
                        }
                    });
                }
                if let (Some(name), Some(EnabledSpec::Rust(function))) =
                    (&names.enabled, &options.enabled)
                    && let Some(binding) = self.binding(
                        name.clone(),
                        function,
                        &format!("`is_enabled_fn` of {place}"),
                        "the function",
                    )
                {
                    let checker = unique(self.location_alias(function.span), checkers);
                    let target = &binding.target;
                    let doc = &binding.doc;
                    let origin = self.function_origin(
                        &function.value,
                        "is_enabled_fn",
                        &place,
                        function.span,
                    );
                    out.extend(quote_spanned! {span=>
                        #[doc = #doc]
                        pub(super) fn #name<C: ::core::marker::Send + ::core::marker::Sync + 'static>(
                            handoff: ::respan::Handoff<super::Agent, C>,
                        ) -> ::respan::Handoff<super::Agent, C> {
                            #checker::<C, _, _>(handoff, #target, #origin)
                        }
                        /// The signature an `is_enabled_fn` at this line of the file must have.
                        fn #checker<C, X, F>(
                            handoff: ::respan::Handoff<super::Agent, C>,
                            function: F,
                            origin: &'static str,
                        ) -> ::respan::Handoff<super::Agent, C>
                        where
                            C: ::core::marker::Send + ::core::marker::Sync + 'static,
                            X: 'static,
                            F: ::core::ops::Fn(&X, &::respan::Agent<super::Agent, X>) -> bool
                                + ::core::marker::Send
                                + ::core::marker::Sync
                                + 'static,
                        {
                            ::respan::__private::enabled_fn(handoff, function, origin)
                        }
                    });
                }
            }
        }
        out
    }

    /// "`crate::on_escalate` (`on_handoff` of `[agents.triage.handoff.billing]`, support.toml:14)".
    fn function_origin(
        &self,
        path: &str,
        key: &str,
        place: &str,
        span: crate::spec::Span,
    ) -> String {
        format!(
            "`{path}` (`{key}` of {place}, {}{})",
            self.options.source_path,
            self.line(span)
                .map(|line| format!(":{line}"))
                .unwrap_or_default()
        )
    }
}

/// Wraps a handoff value in a call that adds a Rust function to it.
pub(crate) type Wrap<'a> = Box<dyn FnOnce(TokenStream) -> TokenStream + 'a>;

/// What a front end's handoff value names in Rust: the rest comes from the
/// [`HandoffSpec`], the same for a workflow file and `#[respan_agent]`.
pub(crate) struct HandoffRust<'a> {
    /// The handoff's type: `::respan::Handoff::<Agent, C>`.
    pub(crate) handoff: TokenStream,
    /// The target's key: `Agent::Billing`, `<Billing as ::respan::AgentDef>::ID`.
    pub(crate) key: TokenStream,
    /// An `::respan::InputFilter` expression for `input_filter_fn`.
    pub(crate) custom_filter: Option<TokenStream>,
    /// The `input_type`.
    pub(crate) input_type: Option<TokenStream>,
    /// Adds the `is_enabled_fn` function.
    pub(crate) enabled_fn: Option<Wrap<'a>>,
    /// Adds the `on_handoff` function (the outermost call).
    pub(crate) on_handoff: Option<Wrap<'a>>,
}

/// `Handoff::<K, C>::to(key).tool_name(..).description(..).input_filter(..)...`:
/// a handoff with the options `options` gives, its Rust items from `rust`.
pub(crate) fn handoff_value(options: &HandoffSpec, rust: HandoffRust<'_>) -> TokenStream {
    let HandoffRust {
        handoff,
        key,
        custom_filter,
        input_type,
        enabled_fn,
        on_handoff,
    } = rust;
    let mut value = quote! { #handoff::to(#key) };
    if let Some(name) = &options.tool_name {
        let name = str_lit(&name.value);
        value.extend(quote! { .tool_name(#name) });
    }
    if let Some(description) = &options.description {
        let description = str_lit(&description.value);
        value.extend(quote! { .description(#description) });
    }
    if let Some(filter) = &options.input_filter {
        let filter = match &filter.value {
            InputFilterSpec::RemoveAllTools => {
                Some(quote! { ::respan::InputFilter::RemoveAllTools })
            }
            InputFilterSpec::NestHistory => Some(quote! { ::respan::InputFilter::NestHistory }),
            InputFilterSpec::Rust(_) => custom_filter,
        };
        if let Some(filter) = filter {
            value.extend(quote! { .input_filter(#filter) });
        }
    }
    match (&options.input, input_type) {
        (Some(HandoffInputSpec::Schema(schema)), _) => {
            let schema = values::json(&schema.value);
            value.extend(quote! { .input_schema(#schema) });
        }
        (Some(HandoffInputSpec::Rust(_)), Some(ty)) => {
            value.extend(quote! { .input::<#ty>() });
        }
        _ => {}
    }
    match (&options.enabled, enabled_fn) {
        (Some(EnabledSpec::Fixed(enabled)), _) => {
            let enabled = enabled.value;
            value.extend(quote! { .enabled(#enabled) });
        }
        (Some(EnabledSpec::Rust(_)), Some(wrap)) => value = wrap(value),
        _ => {}
    }
    if let Some(wrap) = on_handoff {
        value = wrap(value);
    }
    value
}

/// `.agent_tool(::respan::AgentTool::new(key).name(..).description(..)...)`:
/// the agent keyed `key` as the tool `tool` declares (`name`: the tool's
/// name, `None` for the runtime's default, the agent's name in function style).
pub(crate) fn agent_tool_call(
    key: TokenStream,
    name: Option<&str>,
    tool: &ToolSpec,
) -> TokenStream {
    let name = name.map(|name| {
        let name = str_lit(name);
        quote! { .name(#name) }
    });
    let description = tool.description.as_ref().map(|description| {
        let description = str_lit(&description.value);
        quote! { .description(#description) }
    });
    let max_turns = tool.max_turns.as_ref().map(|max_turns| {
        let max_turns = Literal::u32_unsuffixed(max_turns.value);
        quote! { .max_turns(#max_turns) }
    });
    let timeout = tool.timeout_secs.as_ref().map(|secs| {
        let secs = Literal::f64_unsuffixed(secs.value);
        quote! { .timeout(::core::time::Duration::from_secs_f64(#secs)) }
    });
    quote! {
        .agent_tool(
            ::respan::AgentTool::new(#key)
                #name
                #description
                #max_turns
                #timeout
        )
    }
}

/// `name`, or `name_2`, ... when a checker of another signature already has it.
fn unique(name: Ident, taken: &mut Vec<Ident>) -> Ident {
    let mut candidate = name.clone();
    let mut n = 1;
    while taken.contains(&candidate) {
        n += 1;
        candidate = Ident::new(&format!("{name}_{n}"), name.span());
    }
    taken.push(candidate.clone());
    candidate
}

/// `__bindings::X` as named from inside `__bindings`: `X`.
fn strip_bindings(ty: TokenStream) -> TokenStream {
    let tokens: Vec<_> = ty.clone().into_iter().collect();
    match tokens.as_slice() {
        [proc_macro2::TokenTree::Ident(module), _, _, rest @ ..]
            if module == "__bindings" && !rest.is_empty() =>
        {
            rest.iter().cloned().collect()
        }
        _ => ty,
    }
}
