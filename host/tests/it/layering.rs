//! The module layering of both crates: the top-level modules of `host/src` and of
//! `core/src` import each other without a cycle, so each crate reads bottom-up (core's
//! `budget` below its `engine`; the host's `error`, `args` and `memory` below its
//! commands; `cli` on top).
//!
//! A module's imports are the `crate::X` paths in its files (`use crate::X`,
//! `use crate::{X, Y::…}`, `crate::X::item` in code; an item re-exported at the crate root
//! counts as its module), comments excluded: a doc link is no dependency. A cycle is
//! printed with the files behind each of its edges.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Top-level module → module it imports → files where it does.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

#[test]
fn host_modules_form_no_cycle() {
    let graph = module_graph(&src("host"));
    assert_no_cycle("host", &graph);
    // The commands sit above what they share, and nothing sits above the command line.
    for (low, high) in [
        ("args", "exits"),
        ("args", "cli"),
        ("exits", "cli"),
        ("error", "exits"),
        ("error", "export"),
        ("memory", "exits"),
    ] {
        assert!(
            !graph[low].contains_key(high),
            "host: {low} imports {high} ({:?}); {high} is the layer above",
            graph[low][high]
        );
    }
    let importers_of_cli: Vec<&String> = graph
        .iter()
        .filter(|(_, deps)| deps.contains_key("cli"))
        .map(|(m, _)| m)
        .collect();
    assert!(
        importers_of_cli.is_empty(),
        "host: cli imported by {importers_of_cli:?}"
    );
}

#[test]
fn core_modules_form_no_cycle() {
    let graph = module_graph(&src("core"));
    assert_no_cycle("core", &graph);
    assert!(
        graph["budget"].is_empty(),
        "core: budget must import nothing from the crate (the constants are the bottom layer), \
         it imports {:?}",
        graph["budget"]
    );
}

/// The check finds a cycle when there is one, and reads every form of import.
#[test]
fn a_cycle_is_found_and_printed() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "lib.rs",
            "pub mod a;\npub mod b;\npub mod c;\npub mod d;\npub use d::Item;\n",
        ),
        (
            "a.rs",
            "use crate::{b::X, c};\n// crate::d in a comment is no import\n",
        ),
        (
            "b/mod.rs",
            "fn f() { let s = \"// not a comment\"; crate::c::g(s) }\n",
        ),
        ("c.rs", "fn g() -> crate::Item { todo!() }\n"),
        (
            "d.rs",
            "pub struct Item;\nuse crate::{\n    a::{self, Y},\n};\n",
        ),
    ];
    for (name, text) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    let graph = module_graph(dir.path());
    let edges = |m: &str| graph[m].keys().cloned().collect::<Vec<_>>();
    assert_eq!(edges("a"), ["b", "c"]);
    assert_eq!(edges("b"), ["c"]);
    assert_eq!(edges("c"), ["d"]);
    assert_eq!(edges("d"), ["a"]);
    assert_eq!(
        find_cycle(&graph).expect("a cycle"),
        ["a", "b", "c", "d", "a"],
        "the first cycle in name order"
    );
}

fn src(krate: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("src")
}

fn assert_no_cycle(krate: &str, graph: &Graph) {
    if let Some(cycle) = find_cycle(graph) {
        let mut message = format!("{krate}: module cycle {}\n", cycle.join(" -> "));
        for pair in cycle.windows(2) {
            let files = &graph[&pair[0]][&pair[1]];
            message.push_str(&format!("  {} -> {} in {files:?}\n", pair[0], pair[1]));
        }
        panic!("{message}");
    }
}

/// A cycle as `[m, …, m]`, if the graph has one (depth-first search).
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut cycle = path[i..].to_vec();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for dep in graph.get(m).into_iter().flat_map(BTreeMap::keys) {
            if let Some(cycle) = visit(dep, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|m| visit(m, graph, &mut Vec::new(), &mut done))
}

/// The import graph of the top-level modules declared in `src/lib.rs`.
fn module_graph(src: &Path) -> Graph {
    let lib = fs::read_to_string(src.join("lib.rs")).unwrap();
    let mut modules = BTreeSet::new();
    // Items re-exported at the root (`pub use bar::{Bar, Ohlc};`) → their module.
    let mut reexports = BTreeMap::new();
    for line in lib.lines().map(str::trim) {
        if let Some(m) = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("mod "))
        {
            modules.insert(m.trim_end_matches(';').to_string());
        } else if let Some(rest) = line.strip_prefix("pub use ") {
            let (m, items) = rest.trim_end_matches(';').split_once("::").unwrap();
            for item in items.trim_matches(['{', '}']).split(',') {
                reexports.insert(item.trim().to_string(), m.to_string());
            }
        }
    }
    let mut graph: Graph = modules
        .iter()
        .map(|m| (m.clone(), BTreeMap::new()))
        .collect();
    for file in rust_files(src) {
        let rel = file.strip_prefix(src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let top = top.trim_end_matches(".rs").to_string();
        if !modules.contains(&top) {
            continue; // lib.rs, main.rs
        }
        let code = strip_comments(&fs::read_to_string(&file).unwrap());
        for name in crate_paths(&code) {
            let target = if modules.contains(&name) {
                name
            } else if let Some(m) = reexports.get(&name) {
                m.clone()
            } else {
                continue; // a macro or an item of the root itself
            };
            if target != top {
                let files = graph.get_mut(&top).unwrap().entry(target).or_default();
                files.insert(rel.display().to_string());
            }
        }
    }
    graph
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// `code` without its `//` comments (a `//` inside a string literal is kept).
fn strip_comments(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    for line in code.lines() {
        let bytes = line.as_bytes();
        let (mut in_string, mut end) = (false, line.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if in_string => i += 1,
                b'"' if i == 0 || bytes[i - 1] != b'\'' => in_string = !in_string,
                b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => {
                    end = i;
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        out.push_str(&line[..end]);
        out.push('\n');
    }
    out
}

/// The first name after every `crate::`: `crate::a::…` gives `a`, `crate::{a, b::c}`
/// gives `a` and `b`.
fn crate_paths(code: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // `phasebound_crate::`, `$crate::`
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group, up to its closing brace.
            let (mut depth, mut item_start) = (0usize, 0);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        names.push(ident(&group[item_start..i]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.push(ident(&group[item_start..i]));
                        item_start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            names.push(ident(rest));
        }
    }
    names.retain(|n| !n.is_empty());
    names
}
