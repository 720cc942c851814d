//! `seqlab worker` (hidden): execute one instance from its job file, as the
//! local executor's subprocesses and Slurm jobs do. Writes objects and a
//! result record (or a failure record), never the index.

use std::path::Path;

use crate::cache::record::unique_suffix;
use crate::cache::Cache;
use crate::exec::slurm::{cpus_from_env, job_id_from_env, task_from_env};
use crate::exec::worker::{batch_task_file, run, WorkerOptions};

/// How the worker ended, as its exit status: 0 done, 1 failed (recorded).
pub fn worker(
    cache: &Cache,
    job: Option<&Path>,
    batch: Option<&Path>,
    attempt: Option<&str>,
    threads: Option<usize>,
    progress: bool,
) -> anyhow::Result<u8> {
    // Like a run, a worker keeps `gc` from removing what it stores before its
    // record names it.
    // Best effort: `flock` may be refused on a network file system.
    let _guard = cache
        .shared_guard()
        .map_err(|e| tracing::warn!("{e:#}; running without the cache's run lock"))
        .ok();
    crate::cache::lease::release_on_termination();
    let slurm_job = job_id_from_env();
    let path = match (job, batch) {
        (Some(j), _) => j.to_path_buf(),
        (None, Some(dir)) => batch_task_file(dir, task_from_env()),
        (None, None) => anyhow::bail!("give --job FILE or --batch DIR"),
    };
    let attempt = match (attempt, &slurm_job) {
        (Some(a), _) => a.to_string(),
        (None, Some(id)) => format!("slurm-{id}"),
        (None, None) => format!("worker-{}", unique_suffix()),
    };
    let opts = WorkerOptions {
        progress,
        attempt,
        job_label: slurm_job
            .map(|id| format!("slurm {id}"))
            .unwrap_or_else(|| "local".into()),
        threads: threads.or_else(cpus_from_env),
    };
    match run(cache, &crate::stages::builtin_registry(), &path, &opts)? {
        Ok(_) => Ok(0),
        Err(f) => {
            eprintln!("error: {}", f.error);
            Ok(1)
        }
    }
}
