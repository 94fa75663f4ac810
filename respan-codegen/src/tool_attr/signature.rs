//! What a `#[respan_tool]` function's signature means, and every mistake in it.

use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Pat, ReturnType, Type};

use super::Errors;

/// A tool function, read from its signature.
pub(crate) struct ToolSignature {
    /// The `Ctx` of a first parameter `&Ctx`: the tool runs only in runs of that context.
    pub context: Option<Type>,
    /// What the model sends.
    pub arguments: Arguments,
    /// Whether the function returns a `Result` (its `Err` is a tool error).
    pub returns_result: bool,
    /// The function's doc comment, lines joined: the tool's description.
    pub description: String,
}

/// The arguments object the model sends.
pub(crate) enum Arguments {
    /// One field per parameter (a hidden struct is generated).
    Fields(Vec<Field>),
    /// `Args(x): Args<T>`: the whole object is a `T`.
    Whole { ty: Type },
}

/// A plain argument: `/// doc\n name: Type`.
pub(crate) struct Field {
    pub ident: syn::Ident,
    pub ty: Type,
    pub docs: Vec<syn::Attribute>,
}

/// Reads the signature; `None` (with the errors pushed) when it is not a tool's.
pub(crate) fn read(function: &ItemFn, errors: &mut Errors) -> Option<ToolSignature> {
    let sig = &function.sig;
    let fail = |errors: &mut Errors, tokens: &dyn quote::ToTokens, message: &str, help: &str| {
        errors.at(tokens, message, help);
    };
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        fail(
            errors,
            &sig.generics,
            "a `#[respan_tool]` function cannot be generic",
            "the model's arguments need one concrete JSON Schema: use concrete types",
        );
    }
    if let Some(variadic) = &sig.variadic {
        fail(
            errors,
            variadic,
            "a tool cannot be variadic",
            "use concrete parameters",
        );
    }
    let mut context = None;
    let mut fields = Vec::new();
    let mut whole: Option<(Type, proc_macro2::Span)> = None;
    for (index, input) in sig.inputs.iter().enumerate() {
        let typed = match input {
            FnArg::Receiver(receiver) => {
                fail(
                    errors,
                    receiver,
                    "a `#[respan_tool]` function cannot take `self`",
                    "make it a free function; state it needs goes in the run's context: a first parameter `&Ctx` (run with `run_with(.., &ctx)`)",
                );
                continue;
            }
            FnArg::Typed(typed) => typed,
        };
        if let Some(referent) = context_type(&typed.ty) {
            if index == 0 {
                if !matches!(&*typed.pat, Pat::Ident(_) | Pat::Wild(_)) {
                    fail(
                        errors,
                        &typed.pat,
                        "the context parameter must be a plain name",
                        "write `state: &AppState` (or `_: &AppState`)",
                    );
                }
                context = Some(referent.clone());
            } else {
                fail(
                    errors,
                    &typed.ty,
                    "the context `&Ctx` must be the tool's first parameter",
                    "move it first: `fn tool(state: &AppState, arg: Type)`; the other parameters are owned arguments",
                );
            }
            continue;
        }
        check_owned(&typed.ty, errors);
        match &*typed.pat {
            Pat::Ident(binding) if binding.by_ref.is_none() && binding.subpat.is_none() => {
                if whole.is_some() {
                    fail(
                        errors,
                        &typed.pat,
                        "a tool taking `Args<T>` takes no other arguments",
                        "put this field in `T`, or use plain parameters only",
                    );
                }
                fields.push(Field {
                    ident: binding.ident.clone(),
                    ty: (*typed.ty).clone(),
                    docs: typed
                        .attrs
                        .iter()
                        .filter(|attr| attr.path().is_ident("doc"))
                        .cloned()
                        .collect(),
                });
            }
            Pat::TupleStruct(tuple) if last_segment_is(&tuple.path, "Args") => {
                match args_type(&typed.ty) {
                    Some(ty) if tuple.elems.len() == 1 => {
                        if whole.is_some() || !fields.is_empty() {
                            fail(
                                errors,
                                &typed.pat,
                                "`Args<T>` must be the tool's only argument",
                                "the whole arguments object is `T`: put the other fields in `T`",
                            );
                        }
                        whole = Some((ty.clone(), typed.pat.span()));
                    }
                    _ => fail(
                        errors,
                        typed,
                        "`Args(..)` takes the whole arguments object as one type",
                        "write `Args(search): Args<Search>` with `Search: Deserialize + JsonSchema`",
                    ),
                }
            }
            other => fail(
                errors,
                other,
                "a tool's parameter must be a plain name",
                "write `name: Type` (or `Args(x): Args<T>` for the whole arguments object); destructure in the body",
            ),
        }
    }
    let returns_result = match &sig.output {
        ReturnType::Default => false,
        ReturnType::Type(_, ty) => {
            if contains_impl_trait(ty) {
                fail(
                    errors,
                    ty,
                    "a tool cannot return `impl Trait`",
                    "return a concrete type: `String`, a `T: Serialize`, or `Result<T, E: Display>`",
                );
            }
            is_result(ty)
        }
    };
    if errors.any() {
        return None;
    }
    let arguments = match whole {
        Some((ty, _)) => Arguments::Whole { ty },
        None => Arguments::Fields(fields),
    };
    Some(ToolSignature {
        context,
        arguments,
        returns_result,
        description: doc_text(&function.attrs),
    })
}

/// Removes doc comments from the parameters (rustc rejects them there): they
/// were read as the arguments' descriptions.
pub(crate) fn strip_parameter_docs(function: &mut ItemFn) {
    for input in &mut function.sig.inputs {
        if let FnArg::Typed(typed) = input {
            typed.attrs.retain(|attr| !attr.path().is_ident("doc"));
        }
    }
}

/// The doc comment's text: lines without their leading space, trimmed.
pub(crate) fn doc_text(attrs: &[syn::Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(text),
                        ..
                    }),
                ..
            }) => Some(text.value()),
            _ => None,
        })
        .map(|line| {
            line.strip_prefix(' ')
                .unwrap_or(&line)
                .trim_end()
                .to_string()
        })
        .collect();
    lines.join("\n").trim().to_string()
}

/// `Ctx` for a parameter `&Ctx` (a shared reference to anything but `str`).
fn context_type(ty: &Type) -> Option<&Type> {
    match ty {
        Type::Reference(reference) if reference.mutability.is_none() => {
            let referent = &*reference.elem;
            let borrowed_text = matches!(referent, Type::Path(path) if path.qself.is_none() && (path.path.is_ident("str") ))
                || matches!(referent, Type::Slice(_));
            (!borrowed_text && !contains_impl_trait(referent)).then_some(referent)
        }
        Type::Paren(inner) => context_type(&inner.elem),
        _ => None,
    }
}

/// Arguments are deserialized from the model's JSON: they must be owned.
fn check_owned(ty: &Type, errors: &mut Errors) {
    match ty {
        Type::Reference(reference) => {
            let (message, help) = match &*reference.elem {
                Type::Path(path) if path.path.is_ident("str") => (
                    "arguments are owned: `&str` cannot be read from the model's JSON",
                    "use `String`",
                ),
                Type::Slice(_) => (
                    "arguments are owned: a slice cannot be read from the model's JSON",
                    "use `Vec<T>`",
                ),
                _ if reference.mutability.is_some() => (
                    "a tool cannot take `&mut`",
                    "arguments are owned values; shared state goes in the context `&Ctx` (first parameter), with interior mutability",
                ),
                _ => (
                    "arguments are owned: a borrowed argument cannot be read from the model's JSON",
                    "use an owned type (`String`, `Vec<T>`, ...); only the first parameter may be a reference, the run's context",
                ),
            };
            errors.at(ty, message, help);
        }
        _ if contains_impl_trait(ty) => {
            errors.at(
                ty,
                "a tool's argument cannot be `impl Trait`",
                "use a concrete type that is `Deserialize + JsonSchema`",
            );
        }
        _ => {}
    }
}

fn contains_impl_trait(ty: &Type) -> bool {
    match ty {
        Type::ImplTrait(_) => true,
        Type::Reference(inner) => contains_impl_trait(&inner.elem),
        Type::Slice(inner) => contains_impl_trait(&inner.elem),
        Type::Array(inner) => contains_impl_trait(&inner.elem),
        Type::Paren(inner) => contains_impl_trait(&inner.elem),
        Type::Group(inner) => contains_impl_trait(&inner.elem),
        Type::Ptr(inner) => contains_impl_trait(&inner.elem),
        Type::Tuple(tuple) => tuple.elems.iter().any(contains_impl_trait),
        Type::Path(path) => path.path.segments.iter().any(|segment| {
            matches!(&segment.arguments, syn::PathArguments::AngleBracketed(args)
                if args.args.iter().any(|arg| matches!(arg, syn::GenericArgument::Type(ty) if contains_impl_trait(ty))))
        }),
        _ => false,
    }
}

fn last_segment_is(path: &syn::Path, name: &str) -> bool {
    path.segments.last().is_some_and(|s| s.ident == name)
}

/// The `T` of `Args<T>` (any path ending in `Args`).
fn args_type(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Args" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(ty) if args.args.len() == 1 => Some(ty),
        _ => None,
    }
}

fn is_result(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => last_segment_is(&path.path, "Result"),
        Type::Paren(inner) => is_result(&inner.elem),
        Type::Group(inner) => is_result(&inner.elem),
        _ => false,
    }
}
