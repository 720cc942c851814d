//! Damage propagates. When an object is damaged or missing, every cache
//! entry whose outputs include it is invalidated, and so is every entry that
//! read such an output, transitively through the recorded inputs: a result
//! computed from bad bytes must not stay cached once the bytes are repaired
//! (and one computed before the damage cannot be told apart from one
//! computed after). The next run redoes exactly the invalidated entries.
//!
//! Invalidating an entry moves its result record aside (records are the
//! truth: no controller reuses or re-ingests it) and marks its index rows
//! damaged (their history stays).

use std::collections::{BTreeSet, HashMap, VecDeque};

use anyhow::Context;

use super::index::{Entry, Index};
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
    let direct = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| broken[e.outputs.as_str()])
        .map(|(i, _)| i)
        .collect();
    propagate(cache, index, &entries, direct, why)
}

/// Invalidate the cache entries of `keys` (their results are known bad:
/// their records were moved aside while the index still lists them), and
/// every entry built on their outputs.
pub(crate) fn invalidate_keys(
    cache: &Cache,
    index: &Index,
    keys: &BTreeSet<String>,
    why: &str,
) -> anyhow::Result<Invalidation> {
    let entries = index.entries()?;
    let bad_trees: BTreeSet<&str> = entries
        .iter()
        .filter(|e| keys.contains(&e.key))
        .map(|e| e.outputs.as_str())
        .collect();
    let direct = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| bad_trees.contains(e.outputs.as_str()))
        .map(|(i, _)| i)
        .collect();
    propagate(cache, index, &entries, direct, why)
}

/// Mark `direct` (indices into `entries`) and every entry that read their
/// outputs, transitively: their records are moved aside (so no controller
/// reuses or re-ingests them) and their index rows marked damaged.
fn propagate(
    cache: &Cache,
    index: &Index,
    entries: &[Entry],
    direct: Vec<usize>,
    why: &str,
) -> anyhow::Result<Invalidation> {
    let mut consumers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        for t in &e.inputs {
            consumers.entry(t.as_str()).or_default().push(i);
        }
    }
    let mut marked = vec![false; entries.len()];
    let mut queue: VecDeque<&str> = VecDeque::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut broken_trees: BTreeSet<String> = BTreeSet::new();
    for &i in &direct {
        marked[i] = true;
        broken_trees.insert(entries[i].outputs.clone());
        if seen.insert(&entries[i].outputs) {
            queue.push_back(&entries[i].outputs);
        }
    }
    let mut built_on = Vec::new();
    while let Some(tree) = queue.pop_front() {
        for &c in consumers.get(tree).map(Vec::as_slice).unwrap_or_default() {
            if !std::mem::replace(&mut marked[c], true) {
                built_on.push(c);
            }
            if seen.insert(&entries[c].outputs) {
                queue.push_back(&entries[c].outputs);
            }
        }
    }
    let built_why = "built on outputs found damaged or missing";
    for (list, reason) in [(&direct, why), (&built_on, built_why)] {
        for &i in list {
            cache.records.move_aside(&entries[i].key, reason)?;
        }
    }
    let ids = |list: &[usize]| list.iter().map(|&i| entries[i].id).collect::<Vec<_>>();
    let mut n = index.set_status(&ids(&direct), "damaged", why)?;
    n += index.set_status(&ids(&built_on), "damaged", built_why)?;
    Ok(Invalidation {
        broken_trees: broken_trees.into_iter().collect(),
        entries: n,
    })
}
