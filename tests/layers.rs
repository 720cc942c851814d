//! Lower layers never import higher ones: every `crate::<module>` path (and
//! every `super::` that climbs out of a top-level module) in `src/**/*.rs`
//! must name a module its own module may import. The table mirrors
//! docs/architecture.md; a new top-level module needs a row in both.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The modules everything may import (plain utilities).
const BASE: &[&str] = &["fsutil", "clock"];
/// The data layer: loaders, parsers, metrics, pinned downloads (no burn).
const DATA: &[&str] = &["datasets", "metrics", "fetch"];

/// Each top-level module and what it may import besides [`BASE`] (and,
/// above the data layer, [`DATA`]); `None`: anything (the binary's top).
fn allowed() -> BTreeMap<&'static str, Option<Vec<&'static str>>> {
    let above_data = |extra: &[&'static str]| {
        Some(
            DATA.iter()
                .copied()
                .chain(extra.iter().copied())
                .collect::<Vec<_>>(),
        )
    };
    BTreeMap::from([
        ("fsutil", Some(vec![])),
        ("clock", Some(vec![])),
        ("datasets", Some(vec![])),
        ("metrics", Some(vec![])),
        ("fetch", Some(vec![])),
        ("kind", above_data(&[])),
        ("spec", above_data(&["kind"])),
        ("plan", above_data(&["kind", "spec"])),
        ("cache", above_data(&["kind"])),
        ("exec", above_data(&["kind", "spec", "plan", "cache"])),
        ("models", above_data(&[])),
        ("train", above_data(&["kind", "models"])),
        ("explain", above_data(&["kind", "models", "train"])),
        ("study", above_data(&["kind"])),
        ("report", above_data(&["kind", "study"])),
        (
            "stages",
            above_data(&["kind", "models", "train", "explain", "study", "report"]),
        ),
        (
            "ops",
            above_data(&[
                "kind", "spec", "plan", "cache", "exec", "models", "train", "explain", "study",
                "report", "stages",
            ]),
        ),
        ("cli", None),
        ("main", None),
        ("lib", None),
    ])
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: `src/stages/report/input.rs` → stages,
/// report, input; `…/mod.rs` is its directory's module.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The line without comments and string literals (which may mention paths).
fn code_of(line: &str) -> String {
    let mut out = String::new();
    let mut in_str = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, in_str) {
            ('\\', true) => {
                chars.next();
            }
            ('"', _) => in_str = !in_str,
            ('/', false) if chars.peek() == Some(&'/') => break,
            (c, false) => out.push(c),
            _ => {}
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The names right after `prefix` on `code`: `crate::a` gives `a`,
/// `crate::{a, b::c}` gives `a` and `b`.
fn names_after(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| is_ident(c) || c == ':') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // The first name of each top-level item of the group.
            let (mut depth, mut name, mut item_start) = (0, String::new(), true);
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        if !name.is_empty() {
                            out.push(std::mem::take(&mut name));
                        }
                        item_start = true;
                    }
                    c if depth == 0 && item_start && is_ident(c) => name.push(c),
                    _ if depth == 0 && item_start && !name.is_empty() => {
                        out.push(std::mem::take(&mut name));
                        item_start = false;
                    }
                    _ => {}
                }
            }
            if !name.is_empty() {
                out.push(name);
            }
        } else {
            let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

/// `super::super::x` in a file at `path`: the top-level module it reaches,
/// when it climbs to the crate root.
fn super_targets(code: &str, path: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("super::") {
        let before = rest[..i].chars().last();
        rest = &rest[i..];
        let mut ups = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            ups += 1;
            rest = r;
        }
        if before.is_some_and(|c| is_ident(c) || c == ':') {
            continue;
        }
        if ups >= path.len() {
            let line = format!("crate::{rest}");
            out.extend(names_after(&line, "crate::"));
        }
    }
    out
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let table = allowed();
    let modules: Vec<&str> = table.keys().copied().collect();
    let mut problems = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let path = module_path(rel);
        let own = path[0].as_str();
        let Some(allowed) = table.get(own) else {
            problems.push(format!(
                "src/{}: top-level module `{own}` has no row in the layer table (tests/layers.rs, docs/architecture.md)",
                rel.display()
            ));
            continue;
        };
        let Some(allowed) = allowed else { continue };
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = code_of(line);
            let mut used = names_after(&code, "crate::");
            used.extend(names_after(&code, "seqlab::"));
            used.extend(super_targets(&code, &path));
            for m in used {
                let m = m.as_str();
                if m == own || !modules.contains(&m) || BASE.contains(&m) {
                    continue;
                }
                if !allowed.contains(&m) {
                    problems.push(format!(
                        "src/{}:{}: `{own}` imports `{m}`, a layer above it (`{}`); `{own}` may import: {}",
                        rel.display(),
                        n + 1,
                        line.trim(),
                        BASE.iter().chain(allowed.iter()).copied().collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "layer violations (see docs/architecture.md):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_scanner_finds_every_form_of_import() {
    assert_eq!(names_after("use crate::stages::X;", "crate::"), ["stages"]);
    assert_eq!(
        names_after("use crate::{kind::A, plan, cache::{x, y}};", "crate::"),
        ["kind", "plan", "cache"]
    );
    assert_eq!(
        names_after("let x = crate::exec::run();", "crate::"),
        ["exec"]
    );
    assert!(names_after("use foo_crate::stages;", "crate::").is_empty());
    assert_eq!(
        code_of(r#"let s = "crate::stages"; // crate::ops"#),
        "let s = ; "
    );
    let path = vec!["kind".to_string(), "task".to_string()];
    assert_eq!(
        super_targets("use super::super::stages::X;", &path),
        ["stages"]
    );
    assert!(super_targets("use super::params::X;", &path).is_empty());
    assert_eq!(
        module_path(Path::new("stages/report/mod.rs")),
        ["stages", "report"]
    );
}
