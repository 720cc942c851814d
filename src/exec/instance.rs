//! Running one instance safely: take its key's lock, reuse a result another
//! process finished meanwhile, run the kind in a private temp directory, move
//! the outputs into the object store, and only then commit the index row.
//! A kill at any point leaves the cache as it was (plus, at most, orphaned
//! objects that `gc` removes and a temp dir the next run of that key clears).

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cache::index::{now, NewExecution};
use crate::cache::key::{canonical_json, KeyComponents};
use crate::cache::lock::KeyLock;
use crate::cache::manifest::Manifest;
use crate::cache::store::remove_tree;
use crate::cache::Cache;
use crate::plan::Plan;
use crate::stages::{Progress, RunContext, Settings, Upstream};

use super::inputs::{check_unchanged, materialize_inputs};

/// One instance ready to execute: its key and its inputs' trees.
pub struct Job {
    pub index: usize,
    pub key: String,
    pub components: KeyComponents,
    /// Output tree of every upstream instance, by plan index.
    pub input_trees: Vec<(usize, String)>,
}

/// How a job ended well.
pub struct Done {
    pub tree: String,
    /// Another process produced it while we waited for the lock.
    pub reused: bool,
    pub seconds: f64,
}

/// Where an execution may write: `cache/tmp/<key>.<pid>.<n>/`.
fn tmp_dir(cache: &Cache, key: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    cache.tmp_dir().join(format!(
        "{key}.{}.{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Remove temp dirs left by earlier (killed) executions of `key`. Only
/// called while holding `key`'s lock, so none of them is in use.
fn clear_stale(cache: &Cache, key: &str) {
    if let Ok(entries) = std::fs::read_dir(cache.tmp_dir()) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(key) {
                let _ = remove_tree(&e.path());
            }
        }
    }
}

/// Provenance of every input: the execution that produced its tree.
fn upstream_records(cache: &Cache, plan: &Plan, job: &Job) -> Vec<Upstream> {
    let index = cache.index().ok();
    job.input_trees
        .iter()
        .map(|(u, tree)| {
            let up = &plan.instances[*u];
            let exec = index
                .as_ref()
                .and_then(|i| i.execution_by_hash_prefix(tree).ok().flatten());
            Upstream {
                instance: up.name.clone(),
                stage: up.stage.clone(),
                kind: up.kind.name().to_string(),
                tree: tree.clone(),
                key: exec.as_ref().map(|e| e.key.clone()),
                params: up.params.clone(),
                seconds: exec.map(|e| e.duration),
            }
        })
        .collect()
}

/// Execute `job` (see the module docs). Failures are recorded in the index
/// as history, never as a cache entry.
pub fn execute(
    cache: &Cache,
    plan: &Plan,
    job: &Job,
    settings: &Settings,
    run_id: Option<i64>,
    progress: &dyn Progress,
) -> anyhow::Result<Done> {
    let inst = &plan.instances[job.index];
    let index = cache.index()?;
    let (_lock, waited) = KeyLock::acquire(&cache.lock_path(&job.key))?;
    if waited {
        tracing::info!(
            "{}: waited for another seqlab process running the same key",
            inst.name
        );
    }
    if let Some(tree) = reusable(cache, &index, &job.key)? {
        return Ok(Done {
            tree,
            reused: true,
            seconds: 0.0,
        });
    }
    clear_stale(cache, &job.key);
    let tmp = tmp_dir(cache, &job.key);
    let started = now();
    let result = run_in(cache, plan, job, settings, progress, &tmp)
        .and_then(|out| cache.store.ingest_tree(&out, &tmp.join("scratch")));
    let ended = now();
    // Before recording: a stage that filled the disk frees the space here,
    // so its failure can be recorded.
    let _ = remove_tree(&tmp);
    let params = canonical_json(&serde_json::Value::Object(inst.params.clone()));
    let components = job.components.canonical();
    let inputs = serde_json::to_string(&job.components.inputs)?;
    let mut record = NewExecution {
        run_id,
        key: &job.key,
        pipeline: &plan.pipeline,
        instance: &inst.name,
        stage: &inst.stage,
        kind: inst.kind.name(),
        kind_version: inst.kind.version(),
        params: &params,
        components: &components,
        inputs: &inputs,
        outputs: None,
        started,
        ended,
        error: None,
    };
    match result {
        Ok((tree, manifest)) => {
            record.outputs = Some((&tree, manifest.files.len(), manifest.total_bytes()));
            index.record(&record).with_context(|| {
                format!(
                    "`{}` ran, but its result could not be recorded in the index",
                    inst.name
                )
            })?;
            Ok(Done {
                tree,
                reused: false,
                seconds: ended - started,
            })
        }
        Err(e) => {
            let text = format!("{e:#}");
            record.error = Some(&text);
            // The stage's own error is what the user needs; a failure to
            // record it (a full disk) is added, never put in its place.
            match index.record(&record) {
                Ok(_) => Err(e),
                Err(r) => Err(anyhow::anyhow!(
                    "{text}\n(this failure could not be recorded in the index: {r:#})"
                )),
            }
        }
    }
}

/// The tree cached for `key`, if its manifest object is still in the store
/// (a stat). A recorded result whose tree has gone is marked damaged, so it
/// is redone now and `verify` does not report it again.
fn reusable(
    cache: &Cache,
    index: &crate::cache::index::Index,
    key: &str,
) -> anyhow::Result<Option<String>> {
    match index.lookup(key)? {
        Some(tree) if cache.store.contains(&tree) => Ok(Some(tree)),
        Some(tree) => {
            index.mark_damaged(&tree, "its output tree was missing from the store")?;
            Ok(None)
        }
        None => Ok(None),
    }
}

/// Run the kind of `job` in `tmp` (inputs under `in/`, outputs under `out/`,
/// scratch under `scratch/`); returns the output directory.
fn run_in(
    cache: &Cache,
    plan: &Plan,
    job: &Job,
    settings: &Settings,
    progress: &dyn Progress,
    tmp: &Path,
) -> anyhow::Result<PathBuf> {
    let inst = &plan.instances[job.index];
    let (in_dir, out_dir, scratch) = (tmp.join("in"), tmp.join("out"), tmp.join("scratch"));
    for d in [&in_dir, &out_dir, &scratch] {
        std::fs::create_dir_all(d)?;
    }
    // The stage must write inside `out/`, not replace it (by a link to
    // another directory, whose files would be moved into the store).
    let out_id = crate::fsutil::identity(&out_dir)?;
    let (inputs, objects) = materialize_inputs(cache, plan, job, &in_dir)?;
    let upstream = if inst.kind.wants_provenance() {
        upstream_records(cache, plan, job)
    } else {
        Vec::new()
    };
    let ctx = RunContext {
        pipeline: &plan.pipeline,
        upstream: &upstream,
        instance: &inst.name,
        params: &inst.params,
        inputs: &inputs,
        out_dir: &out_dir,
        workspace: &plan.workspace,
        scratch_dir: &scratch,
        settings,
        progress,
    };
    // A panicking stage must fail its instance like an error does: the
    // scheduler waits for every instance's result, and the temporary
    // directory must still be cleaned up.
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inst.kind.run(&ctx)))
        .unwrap_or_else(|payload| {
            let msg = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            Err(anyhow::anyhow!(
                "the `{}` stage panicked: {msg} (a seqlab bug; please report it)",
                inst.kind.name()
            ))
        });
    // Whether or not it succeeded, the stage must have left its inputs and
    // its output directory as they were.
    check_unchanged(cache, &objects)?;
    ran.map_err(|e| match crate::fsutil::full_disk_note(tmp) {
        Some(note) => e.context(note),
        None => e,
    })?;
    if crate::fsutil::identity(&out_dir).ok() != Some(out_id) {
        anyhow::bail!(
            "the stage replaced its output directory ($SEQLAB_OUT) with something else (a link to another directory?); write files inside it instead"
        );
    }
    Ok(out_dir)
}

/// Execute `job` again into a scratch directory, touching no cache entry,
/// and describe what it wrote (for `verify --rerun`).
pub fn rerun_detached(
    cache: &Cache,
    plan: &Plan,
    job: &Job,
    settings: &Settings,
) -> anyhow::Result<Manifest> {
    let tmp = tmp_dir(cache, &format!("verify-{}", job.key));
    let result = run_in(cache, plan, job, settings, &crate::stages::NoProgress, &tmp)
        .and_then(|out| Manifest::scan(&out));
    let _ = remove_tree(&tmp);
    result
}
