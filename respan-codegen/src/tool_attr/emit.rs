//! The code `#[respan_tool]` generates for a function whose signature was read.
//!
//! ```ignore
//! fn get_weather(city: String) -> String { .. }          // as written
//!
//! #[allow(non_camel_case_types)]
//! #[doc(hidden)]
//! pub struct get_weather {}                               // the companion type
//!
//! const _: () = {
//!     #[derive(Deserialize, JsonSchema)]
//!     #[schemars(title = "get_weather_args")]
//!     struct __RespanArgs { #[schemars(title = "City")] /// The city name.
//!                           city: String }
//!     impl<__C: Send + Sync + 'static> ::respan::ToolFn<__C> for get_weather {
//!         const NAME: &'static str = "get_weather";
//!         fn tool() -> ::respan::FunctionTool<__C> {
//!             fn handler<'a, __C>(_: &'a __C, arguments: &'a str) -> BoxFuture<'a, ..> {
//!                 /* deserialize __RespanArgs, call get_weather, make the text */
//!             }
//!             ::respan::FunctionTool::from_handler("get_weather", "..", schema_for::<__RespanArgs>(), handler::<__C>)
//!         }
//!     }
//! };
//! ```

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::args::Options;
use super::signature::{Arguments, ToolSignature};

pub(crate) fn tool(function: &syn::ItemFn, tool: &ToolSignature, options: &Options) -> TokenStream {
    let sig = &function.sig;
    let fn_name = &sig.ident;
    let vis = &function.vis;
    let fn_text = fn_name.to_string();
    let fn_text = fn_text.strip_prefix("r#").unwrap_or(&fn_text);
    let name = match &options.name {
        Some(name) => name.value(),
        None => fn_text.to_string(),
    };
    let description = match &options.description {
        Some(description) => description.value(),
        None => tool.description.clone(),
    };
    let timeout = options.timeout_secs.as_ref().map(|secs| match secs {
        syn::Lit::Float(secs) => quote! { .timeout(::core::time::Duration::from_secs_f64(#secs)) },
        secs => quote! { .timeout(::core::time::Duration::from_secs(#secs)) },
    });
    let needs_approval = options
        .needs_approval
        .as_ref()
        .map(|needs| quote! { .needs_approval(#needs) });

    let args_struct = format_ident!("__RespanArgs");
    let (args_def, schema_type, bind, call_args) = match &tool.arguments {
        Arguments::Fields(fields) => {
            let title = format!("{fn_text}_args");
            let defs = fields.iter().map(|field| {
                let ident = &field.ident;
                let ty = &field.ty;
                let docs = &field.docs;
                let title = title_case(&ident.to_string());
                quote! {
                    #[schemars(title = #title)]
                    #(#docs)*
                    #ident: #ty,
                }
            });
            let idents: Vec<_> = fields.iter().map(|field| &field.ident).collect();
            (
                quote! {
                    #[derive(::respan::__private::serde::Deserialize, ::respan::__private::schemars::JsonSchema)]
                    #[serde(crate = "::respan::__private::serde")]
                    #[schemars(crate = "::respan::__private::schemars", title = #title)]
                    struct #args_struct {
                        #(#defs)*
                    }
                },
                quote! { #args_struct },
                quote! { #args_struct { #(#idents),* } },
                quote! { #(#idents),* },
            )
        }
        Arguments::Whole { ty } => (
            TokenStream::new(),
            quote! { #ty },
            quote! { arguments },
            quote! { ::respan::Args(arguments) },
        ),
    };

    let (generics, context_type, context_arg) = match &tool.context {
        Some(context) => (TokenStream::new(), quote! { #context }, quote! { context, }),
        None => (
            quote! { <__C: ::core::marker::Send + ::core::marker::Sync + 'static> },
            quote! { __C },
            TokenStream::new(),
        ),
    };
    let handler_generics = match &tool.context {
        Some(_) => quote! { <'a> },
        None => quote! { <'a, __C: ::core::marker::Send + ::core::marker::Sync + 'static> },
    };
    let handler_turbofish = match &tool.context {
        Some(_) => TokenStream::new(),
        None => quote! { ::<__C> },
    };
    let context_param = if tool.context.is_some() {
        quote! { context }
    } else {
        quote! { _context }
    };
    let await_ = sig.asyncness.map(|_| quote! { .await });
    let output_span = match &sig.output {
        syn::ReturnType::Type(_, ty) => ty.span(),
        syn::ReturnType::Default => Span::call_site(),
    };
    let to_text = if tool.returns_result {
        quote_spanned! {output_span=> ::respan::__private::tool_result(output) }
    } else {
        quote_spanned! {output_span=> ::respan::__private::tool_output(output) }
    };
    let schema = quote_spanned! {schema_type.span()=> ::respan::schema_for::<#schema_type>() };

    quote! {
        #function

        #[allow(non_camel_case_types)]
        #[doc(hidden)]
        #vis struct #fn_name {}

        const _: () = {
            #args_def

            impl #generics ::respan::ToolFn<#context_type> for #fn_name {
                const NAME: &'static str = #name;

                fn tool() -> ::respan::FunctionTool<#context_type> {
                    fn handler #handler_generics (
                        #context_param: &'a #context_type,
                        arguments: &'a str,
                    ) -> ::respan::BoxFuture<'a, ::core::result::Result<::std::string::String, ::respan::ToolError>> {
                        let #bind = match ::respan::__private::serde_json::from_str::<#schema_type>(arguments) {
                            ::core::result::Result::Ok(arguments) => arguments,
                            ::core::result::Result::Err(error) => {
                                return ::std::boxed::Box::pin(::core::future::ready(
                                    ::core::result::Result::Err(::respan::ToolError::from(error)),
                                ));
                            }
                        };
                        ::std::boxed::Box::pin(async move {
                            let output = #fn_name(#context_arg #call_args) #await_;
                            #to_text
                        })
                    }
                    ::respan::FunctionTool::from_handler(
                        #name,
                        #description,
                        #schema,
                        handler #handler_turbofish,
                    )
                    #timeout
                    #needs_approval
                }
            }
        };
    }
}

/// `order_id` -> `Order Id`: the title pydantic (and so the Agents SDK) gives a field.
fn title_case(name: &str) -> String {
    crate::spec::default_display_name(name.strip_prefix("r#").unwrap_or(name))
}
