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
//! `quarantine/`, and the results that made or read it are invalidated, so
//! the next run recomputes the object instead of reusing bad bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use anyhow::Context;

use super::instance::Job;
use crate::cache::damage::{invalidate, quarantine};
use crate::cache::Cache;
use crate::plan::Plan;
use crate::stages::InputDir;

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

/// The input objects of one execution with their stamps, and a path
/// naming each (for messages).
#[derive(Debug, Default)]
pub struct InputObjects {
    objects: BTreeMap<String, (String, Option<Stamp>)>,
}

/// Lay out the inputs under `dir` and describe them for the kind; returns
/// them with the stamps of their objects.
pub fn materialize_inputs(
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
    let mut note = |shown: String, manifest: crate::cache::manifest::Manifest| {
        for f in manifest.files {
            let stamp = stamp(&cache.store.object_path(&f.hash));
            objects
                .objects
                .entry(f.hash)
                .or_insert((format!("{shown}/{}", f.path), stamp));
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
                note(format!("{}/{name}", binding.stage), m);
            }
        } else {
            let tree = tree_of(binding.instances[0]).context("an input's outputs are unknown")?;
            let m = cache.store.materialize(tree, &path)?;
            note(binding.stage.clone(), m);
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
/// results built on it invalidated, and the stage fails naming the file.
pub fn check_unchanged(cache: &Cache, objects: &InputObjects) -> anyhow::Result<()> {
    let mut changed: BTreeSet<String> = BTreeSet::new();
    let mut named = Vec::new();
    for (hash, (shown, before)) in &objects.objects {
        let path = cache.store.object_path(hash);
        let now = stamp(&path);
        if now.is_none() || now == *before {
            continue; // gone (gc, verify) or untouched
        }
        if !cache.store.check(hash).unwrap_or(true) {
            changed.insert(hash.clone());
            named.push(shown.clone());
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    for hash in &changed {
        quarantine(cache, hash)?;
    }
    let index = cache.index()?;
    let inv = invalidate(
        cache,
        &index,
        &changed,
        "a stage reading these outputs changed them",
    )?;
    anyhow::bail!(
        "the stage changed its input {} (inputs are read-only: write to the output directory instead); \
         the changed object was moved to quarantine/ and {} cached result(s) made from it invalidated, \
         so the next run recomputes them",
        named
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", "),
        inv.entries
    )
}
