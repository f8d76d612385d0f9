//! The code's shape, checked on every test run (issue 19, README "Layout"):
//!
//! - a file that renders (`view!`) holds no SQL: a screen's queries live in
//!   a `store.rs` beside it;
//! - no module of `app` imports a module that imports it back (a cycle);
//! - no function outside tests is longer than 120 lines, except the ones
//!   listed in `LONG` below, which are waiting to be split. The list only
//!   shrinks: a listed function that grew, or that is now short enough,
//!   fails the test until the list says so.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 120;

/// Functions still over the limit: (file, function, lines today).
const LONG: &[(&str, &str, usize)] = &[];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`, outside `tests` folders and `tests.rs`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if p.is_dir() {
            if name != "tests" {
                rust_files(&p, out);
            }
        } else if name.ends_with(".rs") && name != "tests.rs" {
            out.push(p);
        }
    }
}

/// The source without its `#[cfg(test)] mod tests` block (always last in
/// this code base) and without line comments.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            // A "//" inside a string (a URL) cuts the rest of the line, which only
            // ever drops text this check doesn't look at.
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn relative(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).to_string_lossy().replace('\\', "/").trim_start_matches("./").to_string()
}

#[test]
fn no_file_both_renders_and_queries() {
    let mut files = Vec::new();
    rust_files(&root().join("app/src"), &mut files);
    let sql = ["sqlx::", ".fetch_all(", ".fetch_one(", ".fetch_optional(", ".execute("];
    let mixed: Vec<String> = files
        .iter()
        .filter(|p| {
            let code = code_of(&std::fs::read_to_string(p).unwrap_or_default());
            code.contains("view!") && sql.iter().any(|s| code.contains(s))
        })
        .map(|p| relative(p))
        .collect();
    assert!(mixed.is_empty(), "these files hold both view! and SQL; move the SQL to a store.rs: {mixed:?}");
}

/// `alerts::rules` for app/src/alerts/rules.rs, `inbox` for inbox/mod.rs.
fn module_name(src: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(src).unwrap_or(p).with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().to_string()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts.join("::")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `a::b::c` starting at `s` (stops at anything else).
fn path_at(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        let end = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        out.push(rest[..end].to_string());
        rest = &rest[end..];
        match rest.strip_prefix("::") {
            Some(r) if r.starts_with(is_ident) => rest = r,
            _ => break,
        }
    }
    out
}

/// The items of a `{a, b::c, d::{e, f}}` group starting just after `{`.
fn group_items(s: &str) -> Vec<Vec<String>> {
    let mut items = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(path_at(s[start..i].trim()));
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(path_at(s[start..i].trim()));
                start = i + 1;
            }
            _ => {}
        }
    }
    items
}

/// The modules of `app` that each module refers to (`crate::…`, `super::…`).
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("app/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let code: BTreeMap<String, String> = files
        .iter()
        .map(|p| (module_name(&src, p), code_of(&std::fs::read_to_string(p).unwrap_or_default())))
        .collect();
    let known: BTreeSet<&str> = code.keys().map(String::as_str).collect();
    let resolve = |path: &[String]| -> Option<String> {
        (1..=path.len()).rev().map(|n| path[..n].join("::")).find(|m| known.contains(m.as_str()))
    };
    let mut graph = BTreeMap::new();
    for (module, text) in &code {
        let here: Vec<String> = module.split("::").filter(|s| !s.is_empty()).map(str::to_string).collect();
        let mut targets = BTreeSet::new();
        for (i, _) in text.match_indices("crate::").chain(text.match_indices("super::")) {
            if text[..i].ends_with(is_ident) {
                continue;
            }
            let mut base: Vec<String> = if text[i..].starts_with("crate::") { Vec::new() } else { here.clone() };
            let mut rest = &text[i..];
            if let Some(r) = rest.strip_prefix("crate::") {
                rest = r;
            }
            while let Some(r) = rest.strip_prefix("super::") {
                base.pop();
                rest = r;
            }
            let paths = match rest.strip_prefix('{') {
                Some(group) => group_items(group),
                None => vec![path_at(rest)],
            };
            for p in paths {
                let full: Vec<String> = base.iter().cloned().chain(p).collect();
                if let Some(t) = resolve(&full) {
                    // A module may use its ancestors (its own parent's types).
                    if t != *module && !t.is_empty() && !module.starts_with(&format!("{t}::")) {
                        targets.insert(t);
                    }
                }
            }
        }
        graph.insert(module.clone(), targets);
    }
    graph
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on.insert(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let g: BTreeMap<String, BTreeSet<String>> =
        [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec!["a"])]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
            .collect();
    assert_eq!(cycles(&g), vec![vec!["a".to_string(), "b".into(), "c".into()]]);
    assert_eq!(
        group_items("a, b::c, d::{e, f}} rest"),
        vec![vec!["a".to_string()], vec!["b".into(), "c".into()], vec!["d".into()]]
    );
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = import_graph();
    assert!(graph.len() > 50, "the module scan found only {} modules", graph.len());
    assert!(graph["inbox::store"].contains("messaging::store"), "the import scan misses `use crate::…` paths");
    let found = cycles(&graph);
    let explained: Vec<String> = found
        .iter()
        .map(|c| {
            let edges: Vec<String> = c
                .iter()
                .flat_map(|a| graph[a].iter().filter(|b| c.contains(b)).map(move |b| format!("{a} -> {b}")))
                .collect();
            edges.join(", ")
        })
        .collect();
    assert!(found.is_empty(), "import cycles: {explained:#?}");
}

/// (function, first line, lines) of every function in `text`.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let mut words = line.split_whitespace().peekable();
        while let Some(w) = words.peek() {
            if *w == "pub" || w.starts_with("pub(") || *w == "async" || *w == "const" || *w == "unsafe" {
                words.next();
            } else {
                break;
            }
        }
        if words.next() != Some("fn") {
            continue;
        }
        let Some(name) = words.next().map(|n| n.split(|c: char| !is_ident(c)).next().unwrap_or_default().to_string())
        else {
            continue;
        };
        let (mut depth, mut started) = (0i64, false);
        for (j, l) in lines.iter().enumerate().skip(i) {
            for c in l.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        started = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if started && depth <= 0 {
                out.push((name.clone(), i + 1, j - i + 1));
                break;
            }
            if !started && l.trim_end().ends_with(';') {
                break;
            }
        }
    }
    out
}

#[test]
fn functions_stay_short() {
    let mut files = Vec::new();
    rust_files(&root().join("app/src"), &mut files);
    rust_files(&root().join("server/src"), &mut files);
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for p in &files {
        let file = relative(p);
        for (name, line, n) in functions(&code_of(&std::fs::read_to_string(p).unwrap_or_default())) {
            let listed = LONG.iter().find(|(f, fun, _)| *f == file && *fun == name);
            match listed {
                Some((_, _, max)) => {
                    seen.insert((file.clone(), name.clone()));
                    if n > *max {
                        problems.push(format!("{file}:{line} {name} grew to {n} lines (listed at {max}); split it"));
                    } else if n <= MAX_LINES {
                        problems.push(format!("{file}:{line} {name} is {n} lines now: take it off the LONG list"));
                    }
                }
                None if n > MAX_LINES => {
                    problems.push(format!("{file}:{line} {name} is {n} lines (the limit is {MAX_LINES}); split it"))
                }
                None => {}
            }
        }
    }
    for (f, fun, _) in LONG {
        if !seen.contains(&(f.to_string(), fun.to_string())) {
            problems.push(format!("{f} {fun} is listed as long but no longer exists: take it off the LONG list"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
