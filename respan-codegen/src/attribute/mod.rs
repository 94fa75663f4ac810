//! `#[respan_agent(...)]`: an agent declared on a Rust struct.
//!
//! The proc macro in `respan-macros` only moves tokens to [`expand_agent`]; the
//! work is here, beside the TOML front end, so both go through one checker:
//!
//! 1. `args` reads the arguments into spec values, collecting every mistake;
//! 2. `check` builds a one-agent [`Spec`](crate::Spec) (the struct's fields
//!    are the template variables) and runs [`check_spec`](crate::check_spec);
//! 3. `spans` leads each diagnostic back to the tokens it is about, and
//!    `errors` turns it into a compile error there;
//! 4. the struct gets an `impl ::respan::AgentDef` (its id and name) and an
//!    `impl<C> ::respan::ToAgent<C>` for every context its tools accept, whose
//!    `to_agent` is built by the same code as a generated workflow's agents.

mod args;
mod check;
mod errors;
mod spans;
#[cfg(test)]
mod tests;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::{Ident, ItemStruct};

use crate::generate;
use crate::spec::ToolUseBehaviorSpec;

/// Expands `#[respan_agent(args)]` on `item`: the item, one `compile_error!` per
/// mistake in the arguments, and an `impl ::respan::AgentDef` for the struct.
///
/// The impl is there even when there are mistakes (its `to_agent` then panics,
/// but the crate does not compile anyway), so code using the agent reports no
/// errors of its own.
///
/// ```
/// use quote::quote;
///
/// let expanded = respan_codegen::attribute::expand_agent(
///     quote!(name = "Assistant", instructions = "Help {{ user }}."),
///     quote!(struct Assistant { user: String }),
/// );
/// let text = expanded.to_string();
/// assert!(text.contains("impl :: respan :: AgentDef for Assistant"), "{text}");
/// assert!(!text.contains("compile_error"), "{text}");
///
/// let expanded = respan_codegen::attribute::expand_agent(
///     quote!(name = 1, model_settings(temperature = 3.0)),
///     quote!(struct Assistant;),
/// );
/// assert_eq!(expanded.to_string().matches("compile_error").count(), 2);
/// ```
pub fn expand_agent(args: TokenStream, item: TokenStream) -> TokenStream {
    let item: ItemStruct = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                "`#[respan_agent]` goes on a struct: its fields are the template variables of the instructions",
            )
            .to_compile_error();
            return quote! { #error #item };
        }
    };
    let mut source = spans::SourceMap::default();
    let mut errors = errors::Errors::default();
    let args = args::parse(args, &mut source, &mut errors);
    let checked = check::check(&args, &item, &mut source, &mut errors);

    let body = if errors.is_empty() {
        to_agent(&checked, &args)
    } else {
        quote! { ::core::unreachable!("respan: this agent did not compile") }
    };
    let errors = errors.to_compile_error();
    let ident = &item.ident;
    let (impl_generics, type_generics, where_clause) = item.generics.split_for_impl();
    let id = &checked.id;
    let name = &checked.name;
    // `ToAgent<C>` for every context `C` its tools accept: an agent without tools
    // joins sets of any context; one whose tool takes `&Ctx` only sets of `Ctx`.
    let mut generics = item.generics.clone();
    generics.params.push(
        syn::parse_quote!(__RespanContext: ::core::marker::Send + ::core::marker::Sync + 'static),
    );
    {
        let where_clause = generics.make_where_clause();
        for tool in &args.tools {
            let span = first_span(tool);
            where_clause
                .predicates
                .push(syn::parse_quote_spanned!(span=> #tool: ::respan::ToolFn<__RespanContext>));
        }
    }
    let (context_impl_generics, _, context_where_clause) = generics.split_for_impl();
    quote! {
        #item
        #errors
        impl #impl_generics ::respan::AgentDef for #ident #type_generics #where_clause {
            const ID: &'static str = #id;
            const NAME: &'static str = #name;
        }
        impl #context_impl_generics ::respan::ToAgent<__RespanContext> for #ident #type_generics #context_where_clause {
            fn to_agent(&self) -> ::respan::Agent<&'static str, __RespanContext> {
                #body
            }
        }
    }
}

/// The body of `to_agent`: the agent's values, its template variables read from
/// the struct's fields.
fn to_agent(checked: &check::Checked, args: &args::Args) -> TokenStream {
    let tools = &args.tools;
    // Handoff targets are types, `<Billing as AgentDef>::ID`, spanned at the path
    // so a missing or misspelt one is a rustc error right there.
    let keys: Vec<TokenStream> = args.handoffs.iter().map(agent_key).collect();
    // Handoffs with options are built for the runs' context: when there are
    // any, every handoff is added once the agent has it, in the order of
    // `handoffs` (as a workflow file's).
    let (handoffs, handoff_calls) = if args.handoff_options.is_empty() {
        (keys, TokenStream::new())
    } else {
        (Vec::new(), handoff_calls(checked, args, &keys))
    };
    // Tools are `#[respan_tool]` functions, reached through their companion type
    // (a missing one is an error at its path, from the impl's where clause).
    let tools = tools.iter().map(|path| {
        let span = first_span(path);
        quote_spanned! {span=> .tool(<#path as ::respan::ToolFn<__RespanContext>>::tool()) }
    });
    // Agent tools, after the function tools, in declaration order.
    let agent_tools = checked
        .agent_tools
        .iter()
        .zip(&args.agent_tools)
        .map(|(tool, written)| {
            let name = written.name.as_ref().map(|name| name.value.as_str());
            generate::agent_tool_call(agent_key(&written.agent), name, tool)
        });
    // `output = Type`, spanned at the type so a missing trait is reported there.
    let output = args.output.as_ref().map(|ty| {
        let span = first_span(ty);
        quote_spanned! {span=> .output::<#ty>() }
    });
    // `stop_at_tools` names the tools as the model knows them (`ToolFn::NAME`,
    // which `#[respan_tool(name = ..)]` may change), so it is emitted here.
    let mut agent = checked.agent.clone();
    let stop_at = match agent.tool_use_behavior.take() {
        Some(behavior) if matches!(behavior.value, ToolUseBehaviorSpec::StopAtTools(_)) => {
            let names = args.stop_at_tools.iter().map(|path| {
                let span = first_span(path);
                quote_spanned! {span=>
                    ::std::string::String::from(<#path as ::respan::ToolFn<__RespanContext>>::NAME)
                }
            });
            Some(quote! {
                .tool_use_behavior(::respan::ToolUseBehavior::StopAtTools(::std::vec![#(#names),*]))
            })
        }
        other => {
            agent.tool_use_behavior = other;
            None
        }
    };
    let agent = &agent;
    let calls = generate::agent_calls(
        agent,
        |variable| {
            let field = field(variable);
            quote! { &self.#field }
        },
        &handoffs,
    );
    let new = quote! {
        ::respan::Agent::new(
            <Self as ::respan::AgentDef>::ID,
            <Self as ::respan::AgentDef>::NAME,
        )
    };
    // `instructions = path::to::fn`: spanned at the path, so rustc's error for
    // a function of another signature points at it. The function's context
    // is inferred from it, and matched with the set's context when built.
    let with_context = match &args.instructions_fn {
        Some(path) => {
            let span = first_span(path);
            let origin = format!(
                "`{}` (`#[respan_agent(instructions = ..)]` of agent `{}`)",
                path.to_token_stream().to_string().replace(' ', ""),
                agent.id.value
            );
            quote_spanned! {span=>
                ::respan::__private::instructions_fn::<__RespanContext, _, _, _>(#new #calls, #path, #origin)
            }
        }
        None => quote! { #new .context::<__RespanContext>() #calls },
    };
    quote! {
        #with_context
        #handoff_calls
        #(#tools)*
        #(#agent_tools)*
        #output
        #stop_at
    }
}

/// `<Billing as ::respan::AgentDef>::ID`, spanned at the path.
fn agent_key(path: &syn::Path) -> TokenStream {
    let span = first_span(path);
    quote_spanned! {span=> <#path as ::respan::AgentDef>::ID }
}

/// `.handoff(key)` and `.handoff_with(Handoff::to(key)...)`, in the order of
/// `handoffs`: the target's `handoff(..)` options through the workflow
/// files' generator, its Rust functions spanned at their paths, so rustc's
/// error for one that does not fit points there.
fn handoff_calls(checked: &check::Checked, args: &args::Args, keys: &[TokenStream]) -> TokenStream {
    let agent = &checked.agent;
    let mut out = TokenStream::new();
    for (target, key) in agent.handoffs.iter().zip(keys) {
        let Some(i) = agent
            .handoff_options
            .iter()
            .position(|options| options.target.value == target.value)
        else {
            out.extend(quote! { .handoff(#key) });
            continue;
        };
        let (options, written) = (&agent.handoff_options[i], &args.handoff_options[i]);
        let origin = |key: &str, path: &syn::Path| {
            format!(
                "`{}` (`{key}` of `#[respan_agent(handoff({}, ..))]` of agent `{}`)",
                args::path_text(path),
                args::path_text(&written.target),
                agent.id.value
            )
        };
        let custom_filter = written.input_filter_fn.as_ref().map(|path| {
            let span = first_span(path);
            quote_spanned! {span=> ::respan::InputFilter::custom(#path) }
        });
        let enabled_fn = written.is_enabled_fn.as_ref().map(|path| {
            let origin = origin("is_enabled_fn", path);
            Box::new(move |value: TokenStream| {
                let span = first_span(path);
                quote_spanned! {span=>
                    ::respan::__private::enabled_fn::<__RespanContext, _, _, _>(#value, #path, #origin)
                }
            }) as generate::Wrap<'_>
        });
        // `fn(&Ctx, T)` with `input_type = T`, `fn(&Ctx)` without input.
        let on_handoff = written.on_handoff.as_ref().map(|path| {
            let origin = origin("on_handoff", path);
            let input = written.input_type.as_ref();
            Box::new(move |value: TokenStream| {
                let span = first_span(path);
                match input {
                    Some(ty) => quote_spanned! {span=>
                        ::respan::__private::on_handoff_input::<__RespanContext, _, _, #ty, _>(#value, #path, #origin)
                    },
                    None => quote_spanned! {span=>
                        ::respan::__private::on_handoff_no_input::<__RespanContext, _, _, _>(#value, #path, #origin)
                    },
                }
            }) as generate::Wrap<'_>
        });
        let value = generate::handoff_value(
            options,
            generate::HandoffRust {
                handoff: quote! { ::respan::Handoff::<&'static str, __RespanContext> },
                key: key.clone(),
                custom_filter,
                input_type: written.input_type.as_ref().map(ToTokens::to_token_stream),
                enabled_fn,
                on_handoff,
            },
        );
        out.extend(quote! { .handoff_with(#value) });
    }
    out
}

/// The span of the first token (one span cannot cover several on stable Rust).
fn first_span(tokens: &impl ToTokens) -> Span {
    tokens
        .to_token_stream()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |token| token.span())
}

/// The field of a template variable (checked to be one): `user`, or `r#type`.
fn field(variable: &str) -> TokenStream {
    syn::parse_str::<Ident>(variable)
        .or_else(|_| syn::parse_str::<Ident>(&format!("r#{variable}")))
        .map_or_else(
            |_| quote! { __respan_invalid_field },
            Ident::into_token_stream,
        )
}
