//! The cache key of every instance of every shipped pipeline (`pipelines/*.yaml`),
//! computed from the plan without running anything, against a fixture of the
//! keys the code gave when the fixture was written. A refactor of params,
//! kinds or settings must leave these keys byte-identical: a changed key
//! reruns (and re-downloads, re-trains) users' cached work. A deliberate
//! change is a kind version bump, and then the fixture is regenerated:
//!
//! ```text
//! SEQLAB_WRITE_KEY_FIXTURE=1 cargo test --release --test pipeline_keys
//! ```
//!
//! and the diff of `tests/fixtures/pipeline_keys.tsv` shows which keys moved.
//!
//! An upstream instance's output tree hash is not known without running it,
//! so it is replaced by a stand-in derived from that instance's own key:
//! the fixture then covers params canonicalisation, kind names and versions,
//! settings, input bindings and coordinate labels, transitively. The content
//! hashes of kind data files (`data:<path>`, e.g. the Kaggle CSVs a user may
//! or may not have) are replaced by a stand-in too, keeping their names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use seqlab::cache::key::canonical_json;
use seqlab::cache::Cache;
use seqlab::exec::resolve::Resolver;
use seqlab::kind::Settings;
use seqlab::ops::load_plan;
use seqlab::stages::builtin_registry;

const FIXTURE: &str = "tests/fixtures/pipeline_keys.tsv";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `pipeline file \t instance \t key \t kind@version canonical params`, one line per
/// instance, pipelines in file-name order, instances in plan order.
fn current_keys() -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("pipelines"))
        .expect("pipelines/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no pipelines/*.yaml found");
    let registry = builtin_registry();
    let settings = Settings::default();
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::open(tmp.path()).unwrap();
    let index = cache.index().unwrap();
    let mut out = String::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let (_, plan) = load_plan(file, &[], &registry).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let mut resolver = Resolver::new(&plan, &settings);
        let mut trees: Vec<Option<String>> = vec![None; plan.instances.len()];
        for i in 0..plan.instances.len() {
            let mut c = resolver
                .components(&index, i, &trees)
                .unwrap_or_else(|e| panic!("{name}: {e:#}"))
                .unwrap_or_else(|| panic!("{name}: inputs of instance {i} come later in the plan"));
            for (dep, hash) in c.deps.iter_mut() {
                if dep.starts_with("data:") {
                    *hash = "stand-in".into();
                }
            }
            let key = c.key();
            trees[i] = Some(
                blake3::hash(format!("tree of {key}").as_bytes())
                    .to_hex()
                    .to_string(),
            );
            // The params are there to show what changed when a key does.
            out.push_str(&format!(
                "{name}\t{}\t{key}\t{}@{} {}\n",
                plan.instances[i].name,
                c.kind,
                c.kind_version,
                canonical_json(&serde_json::Value::Object(c.params.clone()))
            ));
        }
    }
    out
}

#[test]
fn shipped_pipeline_keys_are_unchanged() {
    let now = current_keys();
    let path = root().join(FIXTURE);
    if std::env::var_os("SEQLAB_WRITE_KEY_FIXTURE").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &now).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; write it with SEQLAB_WRITE_KEY_FIXTURE=1",
            Path::new(FIXTURE).display()
        )
    });
    // instance id (`file instance`) → the rest of its line
    let split = |text: &str| -> BTreeMap<String, String> {
        text.lines()
            .map(|l| {
                let mut f = l.splitn(3, '\t');
                let id = format!("{} {}", f.next().unwrap(), f.next().unwrap_or(""));
                (id, f.next().unwrap_or("").to_string())
            })
            .collect()
    };
    let (now, want) = (split(&now), split(&want));
    let mut problems = Vec::new();
    for (id, w) in &want {
        match now.get(id) {
            None => problems.push(format!("instance gone: {id}")),
            Some(n) if n != w => {
                problems.push(format!("key changed: {id}\n  was: {w}\n  now: {n}"))
            }
            _ => {}
        }
    }
    for id in now.keys().filter(|id| !want.contains_key(*id)) {
        problems.push(format!("new instance: {id}"));
    }
    assert!(
        problems.is_empty(),
        "{} of {} shipped cache keys differ from {FIXTURE} (a deliberate change bumps the kind's \
         version and regenerates the fixture with SEQLAB_WRITE_KEY_FIXTURE=1):\n{}",
        problems.len(),
        want.len(),
        problems.join("\n")
    );
}
