//! Running one instance safely: take its key's lock, reuse a result another
//! process finished meanwhile, run the kind in a private temp directory, move
//! the outputs into the object store, and only then commit the index row.
//! A kill at any point leaves the cache as it was (plus, at most, orphaned
//! objects that `gc` removes and a temp dir the next run of that key clears).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cache::index::{now, NewExecution};
use crate::cache::key::{canonical_json, KeyComponents};
use crate::cache::lock::KeyLock;
use crate::cache::manifest::Manifest;
use crate::cache::store::remove_tree;
use crate::cache::Cache;
use crate::kind::{InputDir, NoProgress, Progress, RunContext, Settings, Upstream};
use crate::plan::Plan;

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

/// Lay out the inputs under `dir` and describe them for the kind.
fn materialize_inputs(
    cache: &Cache,
    plan: &Plan,
    job: &Job,
    dir: &Path,
) -> anyhow::Result<Vec<InputDir>> {
    let inst = &plan.instances[job.index];
    let tree_of = |u: usize| {
        job.input_trees
            .iter()
            .find(|(i, _)| *i == u)
            .map(|(_, t)| t.as_str())
    };
    let mut out = Vec::new();
    for binding in &inst.inputs {
        let path = dir.join(&binding.stage);
        if binding.gathered {
            std::fs::create_dir_all(&path)?;
            for &u in &binding.instances {
                let tree = tree_of(u).context("an input's outputs are unknown")?;
                cache
                    .store
                    .materialize(tree, &path.join(plan.instances[u].coords.label()))?;
            }
        } else {
            let tree = tree_of(binding.instances[0]).context("an input's outputs are unknown")?;
            cache.store.materialize(tree, &path)?;
        }
        out.push(InputDir {
            stage: binding.stage.clone(),
            path,
            gathered: binding.gathered,
        });
    }
    // Inputs are read-only: a stage must write to its own output directory.
    set_dirs_mode(dir, 0o555);
    Ok(out)
}

fn set_dirs_mode(dir: &Path, mode: u32) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                set_dirs_mode(&e.path(), mode);
            }
        }
    }
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode));
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
    if let Some(tree) = index.lookup(&job.key)? {
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
    let outcome = match result {
        Ok((tree, manifest)) => {
            record.outputs = Some((&tree, manifest.files.len(), manifest.total_bytes()));
            index.record(&record)?;
            Ok(Done {
                tree,
                reused: false,
                seconds: ended - started,
            })
        }
        Err(e) => {
            let text = format!("{e:#}");
            record.error = Some(&text);
            index.record(&record)?;
            Err(e)
        }
    };
    let _ = remove_tree(&tmp);
    outcome
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
    let inputs = materialize_inputs(cache, plan, job, &in_dir)?;
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
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inst.kind.run(&ctx))).unwrap_or_else(
        |payload| {
            let msg = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            Err(anyhow::anyhow!(
                "the `{}` stage panicked: {msg} (a seqlab bug; please report it)",
                inst.kind.name()
            ))
        },
    )?;
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
    let result =
        run_in(cache, plan, job, settings, &NoProgress, &tmp).and_then(|out| Manifest::scan(&out));
    let _ = remove_tree(&tmp);
    result
}
