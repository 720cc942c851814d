//! The shipped pipelines (`pipelines/*.yaml`): each one validates and
//! dry-runs with the built binary, and every pin that points at a file the
//! repository ships (a `fetch` stage's `{kind: local, path, blake3}` source
//! inside the checkout, such as `data/stocks/AAPL.csv.gz`) matches that
//! file's bytes. Offline: package pins (pip, apt, npm) are only validated.

use std::path::{Component, Path, PathBuf};

use crate::common::Work;
use serde_yaml::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `pipelines/*.yaml`, sorted.
fn shipped_pipelines() -> Vec<PathBuf> {
    let dir = repo().join("pipelines");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    v.sort();
    assert!(v.len() >= 8, "pipelines/ holds {} pipelines", v.len());
    v
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn every_shipped_pipeline_validates_and_dry_runs() {
    for p in shipped_pipelines() {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let w = Work::new();
        let path = p.to_str().unwrap();
        let r = w.seqlab(&["run", path, "--dry-run"]).ok();
        let would: Vec<&str> = r
            .stdout
            .lines()
            .filter(|l| l.starts_with("would run "))
            .collect();
        let n = would.len();
        assert!(n > 0, "{name}: nothing would run:\n{}", r.text());
        assert!(
            would.iter().all(|l| l.ends_with(": never run")),
            "{name}: on an empty cache every instance has never run:\n{}",
            r.text()
        );
        assert!(
            r.stdout
                .contains(&format!("{n} of {n} instances would run; 0 cached")),
            "{name}:\n{}",
            r.text()
        );
        // `status` plans the same instances on its own.
        let rows = w.status(path, &[]);
        assert_eq!(rows.len(), n, "{name}: status and the dry run disagree");
        for row in &rows {
            assert_eq!(row.state, "never-run", "{name}: {}", row.instance);
            assert!(
                would.contains(&format!("would run {}: never run", row.instance).as_str()),
                "{name}: {} is missing from the dry run",
                row.instance
            );
        }
        // A dry run executes nothing: no stored object, nothing written
        // beside the cache.
        let objects = files_under(&w.cache().join("objects"));
        assert!(objects.is_empty(), "{name}: stored {objects:?}");
        let written: Vec<String> = std::fs::read_dir(w.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(written, ["cache"], "{name}");
    }
}

/// `p` with `.` and `..` resolved lexically (the file may be absent).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// Every `{kind: local, path, blake3}` mapping anywhere in `v` (a `fetch`
/// stage's `source`, in its params or in a matrix axis).
fn local_pins(v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Mapping(m) => {
            let get = |k: &str| m.get(k).and_then(Value::as_str);
            if get("kind") == Some("local") {
                let path = get("path").expect("a local source has a path");
                let blake3 = get("blake3").expect("a local source has a blake3 pin");
                out.push((path.to_string(), blake3.to_string()));
            }
            for v in m.values() {
                local_pins(v, out);
            }
        }
        Value::Sequence(s) => s.iter().for_each(|v| local_pins(v, out)),
        Value::Tagged(t) => local_pins(&t.value, out),
        _ => {}
    }
}

#[test]
fn pins_to_files_the_repository_ships_match_offline() {
    let repo = repo();
    let mut checked = Vec::new();
    for p in shipped_pipelines() {
        let text = std::fs::read_to_string(&p).unwrap();
        let yaml: Value = serde_yaml::from_str(&text).unwrap();
        let mut pins = Vec::new();
        local_pins(&yaml, &mut pins);
        for (path, pin) in pins {
            // Relative local paths are resolved beside the pipeline file,
            // as the `fetch` stage does.
            let file = normalize(&p.parent().unwrap().join(&path));
            let Ok(rel) = file.strip_prefix(&repo) else {
                eprintln!("{}: {path} is the user's file, not shipped", p.display());
                continue;
            };
            let bytes = std::fs::read(&file).unwrap_or_else(|e| {
                panic!(
                    "{}: the pinned file {} is not in the repository: {e}",
                    p.display(),
                    rel.display()
                )
            });
            assert_eq!(
                blake3::hash(&bytes).to_hex().as_str(),
                pin,
                "{}: the blake3 pin of {} does not match the shipped file",
                p.display(),
                rel.display()
            );
            checked.push(rel.to_string_lossy().into_owned());
        }
    }
    assert!(
        checked.iter().any(|f| f == "data/stocks/AAPL.csv.gz"),
        "the AAPL pin of pipelines/automata.yaml was not found: checked {checked:?}"
    );
}
