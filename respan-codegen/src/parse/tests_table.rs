//! `[[tests]]`: runs of the workflow beside it, and what each must show. Types
//! and shapes are read here; names, agents, tools, variables and regexes are
//! the checker's (`crate::workflow_tests`).

use serde_json::Value;
use toml::de::{DeTable, DeValue};

use super::Builder;
use super::value::{Item, span_of};
use crate::diagnostic::Diagnostic;
use crate::spec::{ExpectationSpec, Span, Spanned, TestSpec};

impl Builder<'_, '_> {
    /// `tests`: an array of tables (`[[tests]]`, or `tests = [{ ... }]`).
    pub(super) fn tests(&mut self, item: &Item<'_>) -> Vec<TestSpec> {
        let DeValue::Array(array) = item.get_ref() else {
            self.reader
                .wrong_type("tests", "an array of tables (`[[tests]]`)", item);
            return Vec::new();
        };
        let mut tests = Vec::new();
        for element in array.iter() {
            if let Some(table) = self.reader.table("tests", element) {
                let span = self.header_span(span_of(element));
                tests.push(self.test(span, table));
            }
        }
        tests
    }

    fn test(&mut self, span: Span, table: &DeTable<'_>) -> TestSpec {
        self.unknown_keys("`[[tests]]`", table, &crate::format::TEST, |_| None);
        let mut test = TestSpec {
            name: Spanned::new(String::new(), span),
            input: None,
            vars: Vec::new(),
            agent: None,
            expectations: Vec::new(),
            span,
        };
        for (key, value) in table.iter() {
            let key = key.get_ref().as_ref();
            let at = span_of(value);
            let r = &mut *self.reader;
            let expectation = match key {
                "name" => {
                    // A wrong type is reported: keep the value's span so the
                    // name is not "missing" as well.
                    test.name = r
                        .string(key, value)
                        .unwrap_or_else(|| Spanned::new(String::new(), at));
                    None
                }
                "input" => {
                    test.input = match value.get_ref() {
                        DeValue::String(text) => Some(Spanned::new(vec![text.to_string()], at)),
                        DeValue::Array(_) => r.strings(key, value).map(|messages| {
                            Spanned::new(messages.into_iter().map(|m| m.value).collect(), at)
                        }),
                        _ => {
                            r.wrong_type(key, "a string or an array of strings", value);
                            // Reported: not "missing" as well.
                            Some(Spanned::new(vec![String::new()], at))
                        }
                    };
                    None
                }
                "vars" => {
                    if let Some(table) = r.table(key, value) {
                        for (name, value) in table.iter() {
                            let name = Spanned::new(name.get_ref().to_string(), span_of(name));
                            let path = format!("vars.{}", name.value);
                            if let Some(text) = r.string(&path, value) {
                                test.vars.push((name, text));
                            }
                        }
                    }
                    None
                }
                "agent" => {
                    test.agent = r.string(key, value);
                    None
                }
                "last_agent" => r
                    .string(key, value)
                    .map(|id| vec![ExpectationSpec::LastAgent(id.value)]),
                "handoffs" => r
                    .strings(key, value)
                    .map(|ids| vec![ExpectationSpec::Handoffs(ids)]),
                "tools_called" => r
                    .strings(key, value)
                    .map(|tools| vec![ExpectationSpec::ToolsCalled(tools)]),
                "output_contains" => r
                    .string(key, value)
                    .map(|text| vec![ExpectationSpec::OutputContains(text.value)]),
                "output_matches" => r
                    .string(key, value)
                    .map(|pattern| vec![ExpectationSpec::OutputMatches(pattern.value)]),
                "max_requests" => r
                    .integer_in(key, value, 1, u32::MAX.into(), "at least 1")
                    .map(|n| vec![ExpectationSpec::MaxRequests(n.value as u32)]),
                "output" => {
                    if let Some(fields) = r.table(key, value) {
                        let mut leaves = Vec::new();
                        self.output_fields("", fields, &mut leaves);
                        if leaves.is_empty() {
                            self.reader.push(
                                Diagnostic::error(
                                    "empty `output` expectation",
                                    at,
                                    "names no field",
                                )
                                .with_help("name the structured output's fields and the values they must have: `output = { severity = \"high\" }`"),
                            );
                        }
                        test.expectations.extend(leaves);
                    }
                    None
                }
                _ => None,
            };
            if let Some(expectations) = expectation {
                test.expectations
                    .extend(expectations.into_iter().map(|e| Spanned::new(e, at)));
            }
        }
        test
    }

    /// The leaves of `output = { ... }` as JSON pointers, each spanned at its
    /// value: `output = { a.b = 1 }` is `/a/b` = 1. Arrays are compared whole.
    fn output_fields(
        &mut self,
        prefix: &str,
        table: &DeTable<'_>,
        out: &mut Vec<Spanned<ExpectationSpec>>,
    ) {
        for (key, value) in table.iter() {
            let escaped = key.get_ref().replace('~', "~0").replace('/', "~1");
            let pointer = format!("{prefix}/{escaped}");
            match value.get_ref() {
                DeValue::Table(inner) if !inner.is_empty() => {
                    self.output_fields(&pointer, inner, out);
                }
                _ => {
                    let json: Value = self.reader.json("output", value);
                    out.push(Spanned::new(
                        ExpectationSpec::OutputField {
                            pointer,
                            value: json,
                        },
                        span_of(value),
                    ));
                }
            }
        }
    }
}
