//! Damage propagates. When an object is damaged or missing, every cache
//! entry whose outputs include it is invalidated, and so is every entry that
//! read such an output, transitively through the recorded inputs: a result
//! computed from bad bytes must not stay cached once the bytes are repaired
//! (and one computed before the damage cannot be told apart from one
//! computed after). The next run redoes exactly the invalidated entries.

use std::collections::{BTreeSet, HashMap, VecDeque};

use anyhow::Context;

use super::index::Index;
use super::Cache;

/// What [`invalidate`] did.
#[derive(Debug, Default, Clone)]
pub struct Invalidation {
    /// Output trees with a damaged or missing file or manifest.
    pub broken_trees: Vec<String>,
    /// Cache entries invalidated: those producing a broken tree, and every
    /// entry built on one of those, transitively.
    pub entries: usize,
}

/// Move the object `hash` to `quarantine/` (kept for inspection, out of the
/// store: nothing reads it again).
pub fn quarantine(cache: &Cache, hash: &str) -> anyhow::Result<()> {
    let dir = cache.root.join("quarantine");
    std::fs::create_dir_all(&dir)?;
    std::fs::rename(cache.store.object_path(hash), dir.join(hash))
        .with_context(|| format!("moving the damaged object {hash} to quarantine/"))
}

/// Invalidate every cache entry whose output tree lists one of the objects
/// in `bad` (or whose tree or files are missing), and every entry that read
/// an invalidated entry's outputs. `why` is recorded on the former.
pub fn invalidate(
    cache: &Cache,
    index: &Index,
    bad: &BTreeSet<String>,
    why: &str,
) -> anyhow::Result<Invalidation> {
    let entries = index.entries()?;
    let mut broken: HashMap<&str, bool> = HashMap::new();
    for e in &entries {
        if broken.contains_key(e.outputs.as_str()) {
            continue;
        }
        let is_broken = bad.contains(&e.outputs)
            || match cache.store.manifest(&e.outputs) {
                Ok(m) => m
                    .files
                    .iter()
                    .any(|f| bad.contains(&f.hash) || !cache.store.contains(&f.hash)),
                Err(_) => true,
            };
        broken.insert(&e.outputs, is_broken);
    }
    let mut consumers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        for t in &e.inputs {
            consumers.entry(t.as_str()).or_default().push(i);
        }
    }
    let mut direct = Vec::new();
    let mut marked = vec![false; entries.len()];
    let mut queue: VecDeque<&str> = VecDeque::new();
    let mut broken_trees: BTreeSet<String> = BTreeSet::new();
    for (i, e) in entries.iter().enumerate() {
        if broken[e.outputs.as_str()] {
            marked[i] = true;
            direct.push(e.id);
            if broken_trees.insert(e.outputs.clone()) {
                queue.push_back(&e.outputs);
            }
        }
    }
    let mut built_on = Vec::new();
    let mut seen_trees: BTreeSet<&str> = queue.iter().copied().collect();
    while let Some(tree) = queue.pop_front() {
        for &c in consumers.get(tree).map(Vec::as_slice).unwrap_or_default() {
            if !std::mem::replace(&mut marked[c], true) {
                built_on.push(entries[c].id);
            }
            if seen_trees.insert(&entries[c].outputs) {
                queue.push_back(&entries[c].outputs);
            }
        }
    }
    let mut n = index.set_status(&direct, "damaged", why)?;
    n += index.set_status(
        &built_on,
        "damaged",
        "built on outputs found damaged or missing",
    )?;
    Ok(Invalidation {
        broken_trees: broken_trees.into_iter().collect(),
        entries: n,
    })
}
