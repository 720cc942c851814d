//! Running one instance safely: take its key's lock (and, across nodes, its
//! lease), reuse a result another process finished meanwhile, run the kind
//! in a private temp directory, move the outputs into the object store, and
//! only then write the key's result record. A kill at any point leaves the
//! cache as it was (plus, at most, orphaned objects that `gc` removes and a
//! temp dir the next run of that key clears). The index is the
//! controller's business: this module never writes it, so it runs the same
//! in a `seqlab worker` on another node.

use std::path::{Path, PathBuf};

use crate::cache::index::now;
use crate::cache::key::KeyComponents;
use crate::cache::lease::{Lease, Owner, LEASE_TTL};
use crate::cache::lock::KeyLock;
use crate::cache::manifest::Manifest;
use crate::cache::record::{Outputs, RecordHead, ResultRecord};
use crate::cache::store::remove_tree;
use crate::cache::Cache;
use crate::kind::{NoProgress, Progress, RunContext, Settings, Upstream};
use crate::plan::Plan;

use super::inputs::{check_unchanged, materialize_inputs};

/// One instance ready to execute: its key and its inputs' trees.
#[derive(Clone)]
pub struct Job {
    pub index: usize,
    pub key: String,
    pub components: KeyComponents,
    /// Output tree of every upstream instance, by plan index.
    pub input_trees: Vec<(usize, String)>,
    /// Cache keys of the upstream instances (for the result record).
    pub input_keys: Vec<String>,
    /// Provenance of the inputs, for kinds that show it
    /// (`StageKind::wants_provenance`); empty otherwise.
    pub upstream: Vec<Upstream>,
}

/// How a job ended well.
pub struct Done {
    pub tree: String,
    /// Another process produced it while we waited for the lock.
    pub reused: bool,
    pub seconds: f64,
    /// The key's result record.
    pub record: ResultRecord,
}

/// How a job failed: the message, and the failure's record (history) when
/// one could be made.
#[derive(Debug)]
pub struct Failure {
    pub error: String,
    pub record: Option<Box<ResultRecord>>,
}

impl Failure {
    pub fn new(error: impl Into<String>) -> Failure {
        Failure {
            error: error.into(),
            record: None,
        }
    }
}

/// The key's result, if one is stored and its outputs are present. A record
/// whose output tree has gone (gc, damage) is moved aside so the key can run
/// and record again.
pub(crate) fn existing_result(cache: &Cache, key: &str) -> Option<ResultRecord> {
    let record = cache.records.read(key)?;
    match record.tree() {
        Some(tree) if cache.store.contains(tree) => Some(record),
        _ => {
            let _ = cache.records.move_aside(key, "its outputs are missing");
            None
        }
    }
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

/// Execute `job` (see the module docs) and return its result record. A
/// failure is recorded as history (`results/failed/…`, named by `attempt`),
/// never as a result. `job_label` names the scheduler's job (`local`,
/// `slurm 123_4`) in the lease and the record.
pub fn execute(
    cache: &Cache,
    plan: &Plan,
    job: &Job,
    settings: &Settings,
    progress: &dyn Progress,
    job_label: &str,
    attempt: &str,
) -> Result<Done, Failure> {
    let inst = &plan.instances[job.index];
    let fail = |e: anyhow::Error| Failure::new(format!("{e:#}"));
    // Where `flock` is refused (some NFS setups), the lease alone excludes.
    let (_lock, waited) = match KeyLock::acquire(&cache.lock_path(&job.key)) {
        Ok((lock, waited)) => (Some(lock), waited),
        Err(e) => {
            tracing::warn!("{e:#}; relying on the key's lease alone");
            (None, false)
        }
    };
    let (_lease, lease_waited) = Lease::acquire(
        &cache.lease_path(&job.key),
        &Owner::me(job_label),
        LEASE_TTL,
        _lock.is_some(),
    )
    .map_err(fail)?;
    if waited || lease_waited {
        tracing::info!(
            "{}: waited for another seqlab process running the same key",
            inst.name
        );
    }
    if let Some(record) = existing_result(cache, &job.key) {
        return Ok(Done {
            tree: record.tree().unwrap_or_default().to_string(),
            reused: true,
            seconds: 0.0,
            record,
        });
    }
    clear_stale(cache, &job.key);
    let tmp = tmp_dir(cache, &job.key);
    let started = now();
    let result = run_in(cache, plan, job, settings, progress, &tmp)
        .and_then(|out| cache.store.ingest_tree(&out, &tmp.join("scratch")));
    let ended = now();
    // Before writing the record: a stage that filled the disk frees the
    // space here, so its failure can be recorded.
    let _ = remove_tree(&tmp);
    let head = RecordHead {
        key: job.key.clone(),
        components: job.components.clone(),
        pipeline: plan.pipeline.clone(),
        instance: inst.name.clone(),
        stage: inst.stage.clone(),
        input_keys: job.input_keys.clone(),
        job: job_label.to_string(),
    };
    match result {
        Ok((tree, manifest)) => {
            let outputs = Outputs {
                tree,
                files: manifest.files.len(),
                bytes: manifest.total_bytes(),
            };
            let record = ResultRecord::new(&head, started, ended, Ok(outputs));
            match cache.records.write_ok(&record) {
                Ok(record) => Ok(Done {
                    tree: record.tree().unwrap_or_default().to_string(),
                    reused: false,
                    seconds: ended - started,
                    record,
                }),
                Err(e) => Err(fail(e.context("writing the result record"))),
            }
        }
        Err(e) => {
            let error = format!("{e:#}");
            let record = ResultRecord::new(&head, started, ended, Err(error.clone()));
            // History only: failing to keep it must not hide the stage's error.
            if let Err(w) = cache.records.write_failed(&record, attempt) {
                tracing::warn!("could not record the failure of {}: {w:#}", inst.name);
            }
            Err(Failure {
                error,
                record: Some(Box::new(record)),
            })
        }
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
    let ctx = RunContext {
        pipeline: &plan.pipeline,
        upstream: &job.upstream,
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
    check_unchanged(cache, job, &objects)?;
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
pub(crate) fn rerun_detached(
    cache: &Cache,
    plan: &Plan,
    job: &Job,
    settings: &Settings,
) -> anyhow::Result<Manifest> {
    let tmp = tmp_dir(cache, &format!("verify-{}", job.key));
    let result =
        run_in(cache, plan, job, settings, &NoProgress, &tmp).and_then(|out| Manifest::scan(&out));
    let _ = remove_tree(&tmp);
    result
}
