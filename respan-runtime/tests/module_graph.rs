//! The runtime's modules form no import circle, and the lower ones (state,
//! result, stream, transport, sse) know nothing of the runner or the gateway:
//! read from the source, so a new `use crate::...` that closes a circle fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the top-level modules it names as `crate::<module>`.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&src).expect("under src");
            let top = relative
                .components()
                .next()
                .and_then(|c| c.as_os_str().to_str())
                .expect("name")
                .trim_end_matches(".rs")
                .to_string();
            if top == "lib" {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            let deps = graph.entry(top.clone()).or_default();
            for line in text.lines() {
                // Comments (doc links included) are not imports.
                let code = line.split("//").next().unwrap_or("");
                for (at, _) in code.match_indices("crate::") {
                    let name: String = code[at + 7..]
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect();
                    if !name.is_empty() && name != top {
                        deps.insert(name);
                    }
                }
            }
        }
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for deps in graph.values_mut() {
        deps.retain(|d| modules.contains(d));
    }
    graph
}

/// Every module `from` reaches through its imports.
fn reach(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<&str> = graph[from].iter().map(String::as_str).collect();
    while let Some(module) = todo.pop() {
        if seen.insert(module.to_string()) {
            todo.extend(graph[module].iter().map(String::as_str));
        }
    }
    seen
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = graph();
    assert!(
        graph.contains_key("runner") && graph.contains_key("run"),
        "{graph:?}"
    );
    let circles: Vec<String> = graph
        .keys()
        .filter(|module| reach(&graph, module).contains(*module))
        .cloned()
        .collect();
    assert!(
        circles.is_empty(),
        "modules on an import circle: {circles:?}\n{graph:#?}"
    );
}

#[test]
fn lower_modules_do_not_reach_the_runner_or_the_gateway() {
    let graph = graph();
    for lower in ["state", "result", "stream", "transport", "sse", "so_far"] {
        let reached = reach(&graph, lower);
        for upper in ["runner", "run", "gateway", "session"] {
            assert!(
                !reached.contains(upper),
                "{lower} reaches {upper}: {:?}",
                graph[lower]
            );
        }
    }
}
