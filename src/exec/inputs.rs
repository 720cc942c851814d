//! A stage's inputs: laid out under its temp directory as hard links to the
//! stored objects (no copy, however large a model or data set is), and
//! checked after the stage ends so that a stage cannot corrupt the store
//! through them (docs/pipeline.md, "What a stage sees").
//!
//! Files and directories are read-only, but a process running as root (as in
//! many containers) may still write through a hard link into the object.
//! Every input object's size, modification and change times and inode are
//! noted before the stage runs; after it, an object whose stamp changed is
//! hashed again, and one whose content changed fails the stage, is moved to
//! `quarantine/`, and the result records of the inputs that held it are
//! moved aside, so the next run recomputes them instead of reusing bad
//! bytes. (This runs in workers too, so it writes no index: the scheduler
//! notices the missing records and invalidates the index's entries, with
//! everything built on them; `cache::damage`.)

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use anyhow::Context;

use super::instance::Job;
use crate::cache::damage::quarantine;
use crate::cache::Cache;
use crate::kind::InputDir;
use crate::plan::Plan;

/// What changes when a file's content or metadata does (the change time
/// cannot be set back by the writer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    ino: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::symlink_metadata(path).ok()?;
    Some(Stamp {
        len: m.len(),
        mtime_ns: m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
        ctime_ns: m.ctime() as i128 * 1_000_000_000 + m.ctime_nsec() as i128,
        ino: m.ino(),
    })
}

/// One input object: a path naming it (for messages), its stamp, and the
/// upstream instances (plan indices) whose outputs hold it.
#[derive(Debug)]
struct InputObject {
    shown: String,
    stamp: Option<Stamp>,
    producers: Vec<usize>,
}

/// The input objects of one execution, by hash.
#[derive(Debug, Default)]
pub(crate) struct InputObjects {
    objects: BTreeMap<String, InputObject>,
}

/// Lay out the inputs under `dir` and describe them for the kind; returns
/// them with the stamps of their objects.
pub(crate) fn materialize_inputs(
    cache: &Cache,
    plan: &Plan,
    job: &Job,
    dir: &Path,
) -> anyhow::Result<(Vec<InputDir>, InputObjects)> {
    let inst = &plan.instances[job.index];
    let tree_of = |u: usize| {
        job.input_trees
            .iter()
            .find(|(i, _)| *i == u)
            .map(|(_, t)| t.as_str())
    };
    let mut out = Vec::new();
    let mut objects = InputObjects::default();
    let mut note = |shown: String, u: usize, manifest: crate::cache::manifest::Manifest| {
        for f in manifest.files {
            let path = cache.store.object_path(&f.hash);
            let o = objects
                .objects
                .entry(f.hash)
                .or_insert_with(|| InputObject {
                    shown: format!("{shown}/{}", f.path),
                    stamp: stamp(&path),
                    producers: Vec::new(),
                });
            o.producers.push(u);
        }
    };
    for binding in &inst.inputs {
        let path = dir.join(&binding.stage);
        if binding.gathered {
            std::fs::create_dir_all(&path)?;
            for &u in &binding.instances {
                let tree = tree_of(u).context("an input's outputs are unknown")?;
                let name = plan.instances[u].coords.dir_name();
                let m = cache.store.materialize(tree, &path.join(&name))?;
                note(format!("{}/{name}", binding.stage), u, m);
            }
        } else {
            let u = binding.instances[0];
            let tree = tree_of(u).context("an input's outputs are unknown")?;
            let m = cache.store.materialize(tree, &path)?;
            note(binding.stage.clone(), u, m);
        }
        out.push(InputDir {
            stage: binding.stage.clone(),
            path,
            gathered: binding.gathered,
        });
    }
    // Inputs are read-only: a stage must write to its own output directory.
    set_dirs_mode(dir, 0o555);
    Ok((out, objects))
}

fn set_dirs_mode(dir: &Path, mode: u32) {
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        if let Ok(entries) = std::fs::read_dir(&d) {
            for e in entries.flatten() {
                if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    pending.push(e.path());
                }
            }
        }
        let _ = std::fs::set_permissions(&d, std::fs::Permissions::from_mode(mode));
    }
}

/// After the stage: every input object is as it was. Objects whose stamp
/// changed are hashed again (a concurrent run linking the same object also
/// changes its change time); any whose content changed is quarantined, the
/// result records of the inputs holding it are moved aside, and the stage
/// fails naming the file.
pub(crate) fn check_unchanged(
    cache: &Cache,
    job: &Job,
    objects: &InputObjects,
) -> anyhow::Result<()> {
    let mut changed: BTreeSet<&str> = BTreeSet::new();
    let mut named = Vec::new();
    let mut producers: BTreeSet<usize> = BTreeSet::new();
    for (hash, o) in &objects.objects {
        let now = stamp(&cache.store.object_path(hash));
        if now.is_none() || now == o.stamp {
            continue; // gone (gc, verify) or untouched
        }
        if !cache.store.check(hash).unwrap_or(true) {
            changed.insert(hash);
            named.push(o.shown.clone());
            producers.extend(&o.producers);
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    for hash in &changed {
        quarantine(cache, hash)?;
    }
    for (pos, (u, _)) in job.input_trees.iter().enumerate() {
        if let (true, Some(key)) = (producers.contains(u), job.input_keys.get(pos)) {
            cache
                .records
                .move_aside(key, "a stage reading its outputs changed them")?;
        }
    }
    anyhow::bail!(
        "the stage changed its input {} (inputs are read-only: write to the output directory instead); \
         the changed object was moved to quarantine/ and the results that made it invalidated, \
         so the next run recomputes them",
        named
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}
