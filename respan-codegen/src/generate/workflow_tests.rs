//! The `[[tests]]` of a workflow as `#[test]` functions (the option
//! [`Options::tests`](super::Options::tests): `workflow!("file.toml", tests)`,
//! `Builder::emit_tests(true)`), so `cargo test` runs them on respan's offline
//! gateway. Each builds the workflow with the test's variables and hands a
//! `::respan::expect::WorkflowTest` to the runtime: the behaviour is there.

use proc_macro2::TokenStream;
use quote::quote;

use super::Module;
use super::names::{agent_variant, field_ident, ident, str_lit};
use crate::render::LineIndex;
use crate::spec::{ExpectationSpec, Span, TestSpec};

impl Module<'_> {
    /// `#[cfg(test)] mod tests { ... }`, or nothing when the option is off or
    /// the workflow has no tests.
    pub(super) fn tests_module(&self) -> TokenStream {
        if !self.options.tests || self.spec.tests.is_empty() {
            return TokenStream::new();
        }
        let path = str_lit(&self.options.source_path);
        let tests = self.spec.tests.iter().filter_map(|test| self.test_fn(test));
        let doc = format!(
            " The `[[tests]]` of `{}`, run by `cargo test` on respan's offline gateway.",
            self.options.source_path
        );
        quote! {
            #[doc = #doc]
            #[cfg(test)]
            mod tests {
                use super::{Agent, Vars, Workflow};
                ::respan::__workflow_tests_need_offline!(#path);
                #(#tests)*
            }
        }
    }

    fn test_fn(&self, test: &TestSpec) -> Option<TokenStream> {
        let name = ident(&test.name.value)?;
        let full_name = str_lit(&format!(
            "{}::{}",
            self.spec.workflow.name.value, test.name.value
        ));
        let messages = test
            .input
            .as_ref()
            .map(|input| input.value.iter().map(|m| str_lit(m)).collect::<Vec<_>>())
            .unwrap_or_default();
        let vars = self.variables().into_iter().map(|(var, _)| {
            let field = field_ident(&var);
            let value = test
                .vars
                .iter()
                .find(|(given, _)| given.value == var)
                .map(|(_, value)| value.value.as_str())
                .or_else(|| self.spec.var(&var).map(|v| v.default.value.as_str()))
                // Only agents the run cannot reach lack a value (the checker
                // saw to the others): their instructions are never sent.
                .unwrap_or_default();
            quote! { #field: #value.into() }
        });
        let start = test.agent.as_ref().and_then(|agent| {
            let variant = agent_variant(&agent.value)?;
            Some(quote! { .start(Agent::#variant) })
        });
        let expectations = test.expectations.iter().filter_map(|e| {
            let expectation = self.expectation(&e.value)?;
            let origin = self.origin(e.span);
            Some(quote! { .expect(#expectation, #origin) })
        });
        Some(quote! {
            #[test]
            fn #name() {
                let workflow = Workflow::new(Vars { #(#vars),* });
                ::respan::expect::WorkflowTest::new(#full_name, [#(#messages),*])
                    #start
                    #(#expectations)*
                    .run_offline(workflow.agents(), Agent::id);
            }
        })
    }

    fn expectation(&self, expectation: &ExpectationSpec) -> Option<TokenStream> {
        let agent = |id: &str| -> Option<TokenStream> {
            let variant = agent_variant(id)?;
            Some(quote! { Agent::#variant })
        };
        Some(match expectation {
            ExpectationSpec::LastAgent(id) => {
                let agent = agent(id)?;
                quote! { ::respan::expect::Expectation::LastAgent(#agent) }
            }
            ExpectationSpec::Handoffs(ids) => {
                let agents = ids
                    .iter()
                    .map(|id| agent(&id.value))
                    .collect::<Option<Vec<_>>>()?;
                quote! { ::respan::expect::Expectation::Handoffs(::std::vec![#(#agents),*]) }
            }
            ExpectationSpec::ToolsCalled(tools) => {
                let tools = tools.iter().map(|t| str_lit(&t.value));
                quote! { ::respan::expect::Expectation::ToolsCalled(::std::vec![#(#tools.to_string()),*]) }
            }
            ExpectationSpec::OutputContains(text) => {
                quote! { ::respan::expect::Expectation::OutputContains(#text.to_string()) }
            }
            ExpectationSpec::OutputMatches(pattern) => {
                quote! { ::respan::expect::Expectation::output_matches(#pattern).unwrap() }
            }
            ExpectationSpec::OutputField { pointer, value } => {
                let json = value.to_string();
                quote! { ::respan::expect::Expectation::output_field(#pointer, #json) }
            }
            ExpectationSpec::MaxRequests(max) => {
                let max = proc_macro2::Literal::u32_unsuffixed(*max);
                quote! { ::respan::expect::Expectation::MaxRequests(#max) }
            }
        })
    }

    /// `::respan::expect::Origin { location: "file:line:col", line: "..." }`.
    fn origin(&self, span: Span) -> TokenStream {
        let source = self.options.source.as_deref().unwrap_or_default();
        let (line, column) = LineIndex::new(source).location(source, span.start);
        let location = format!("{}:{line}:{column}", self.options.source_path);
        let text = source.lines().nth(line - 1).unwrap_or_default().trim_end();
        quote! { ::respan::expect::Origin { location: #location, line: #text } }
    }
}
