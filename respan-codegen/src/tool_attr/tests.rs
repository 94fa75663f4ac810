//! `#[respan_tool]` expansions and the mistakes it reports.

use quote::quote;

fn expanded(args: proc_macro2::TokenStream, item: proc_macro2::TokenStream) -> String {
    let tokens = super::expand(args, item);
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => tokens.to_string(),
    }
}

/// The messages of the `compile_error!`s an expansion contains.
fn errors(args: proc_macro2::TokenStream, item: proc_macro2::TokenStream) -> Vec<String> {
    let text = super::expand(args, item).to_string();
    text.split("compile_error !")
        .skip(1)
        .map(|part| {
            let start = part.find('"').map_or(0, |i| i + 1);
            let end = part[start..].find("\" }").map_or(part.len(), |i| start + i);
            part[start..end].replace("\\n", "\n").replace("\\\"", "\"")
        })
        .collect()
}

#[test]
fn a_plain_tool() {
    insta::assert_snapshot!(expanded(
        quote! {},
        quote! {
            /// Get the current weather for a city.
            #[respan_tool]
            pub fn get_weather(
                /// The city name.
                city: String,
            ) -> String {
                format!("Sunny in {city}")
            }
        }
    ));
}

#[test]
fn an_async_tool_with_a_context_and_options() {
    insta::assert_snapshot!(expanded(
        quote! { name = "lookup", description = "Looks an invoice up.", timeout_secs = 5 },
        quote! {
            async fn lookup_invoice(state: &AppState, invoice_id: String) -> Result<Invoice, String> {
                state.find(&invoice_id)
            }
        }
    ));
}

#[test]
fn a_tool_taking_args() {
    insta::assert_snapshot!(expanded(
        quote! {},
        quote! {
            /// Searches.
            fn search(Args(search): Args<Search>) -> Vec<String> {
                vec![search.query]
            }
        }
    ));
}

#[test]
fn every_mistake_is_reported_at_once() {
    let found = errors(
        quote! { timeout = 5 },
        quote! {
            fn bad<T>(self, name: &str, (a, b): (u32, u32), state: &AppState, f: impl Fn()) -> String {
                String::new()
            }
        },
    );
    insta::assert_snapshot!(found.join("\n---\n"));
}

#[test]
fn not_a_function() {
    let found = errors(quote! {}, quote! { struct NotAFunction; });
    assert_eq!(found.len(), 1);
    assert!(found[0].contains("goes on a function"), "{found:?}");
}

#[test]
fn doc_comments_become_the_description() {
    let attrs: Vec<syn::Attribute> = vec![
        syn::parse_quote!(#[doc = " First line."]),
        syn::parse_quote!(#[doc = ""]),
        syn::parse_quote!(#[doc = " Second."]),
    ];
    assert_eq!(super::signature::doc_text(&attrs), "First line.\n\nSecond.");
}

#[test]
fn a_tool_that_needs_approval() {
    let code = expanded(
        quote! { needs_approval },
        quote! {
            /// Refunds an order.
            fn refund(order_id: String) -> String {
                format!("refunded {order_id}")
            }
        },
    );
    assert!(code.contains(".needs_approval(true)"), "{code}");
    let code = expanded(
        quote! { needs_approval = false, timeout_secs = 5 },
        quote! {
            /// Refunds an order.
            fn refund(order_id: String) -> String {
                format!("refunded {order_id}")
            }
        },
    );
    assert!(code.contains(".needs_approval(false)"), "{code}");
}

#[test]
fn needs_approval_mistakes() {
    let item = quote! {
        fn refund(order_id: String) -> String { order_id }
    };
    let found = errors(quote! { needs_approval = "yes" }, item.clone());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("`needs_approval` must be `true` or `false`"),
        "{found:?}"
    );
    let found = errors(quote! { needs_aproval }, item.clone());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("did you mean `needs_approval`?"),
        "{found:?}"
    );
    let found = errors(quote! { timeout_secs }, item.clone());
    assert!(
        found[0].contains("`timeout_secs` needs a value"),
        "{found:?}"
    );
    let found = errors(quote! { needs_approval(always) }, item);
    assert!(
        found[0].contains("`key = value` or `needs_approval`"),
        "{found:?}"
    );
}
