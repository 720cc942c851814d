//! What others read about a run's Slurm jobs: the marker `seqlab status`
//! shows a queued instance by, and the job's environment as a worker sees it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::commands::{self, Calls};
use crate::cache::Cache;

/// What `seqlab status` reads about a submitted instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Marker {
    pub job: String,
    pub name: String,
    pub submitted: f64,
}

/// `jobs/active/<key>.json`: written at submission, removed when settled.
pub fn marker_path(cache: &Cache, key: &str) -> PathBuf {
    cache.jobs_dir().join("active").join(format!("{key}.json"))
}

pub fn read_marker(cache: &Cache, key: &str) -> Option<Marker> {
    serde_json::from_slice(&std::fs::read(marker_path(cache, key)).ok()?).ok()
}

/// Ids of this user's queued or running Slurm jobs, or `None` when the
/// queue cannot be asked (no Slurm here).
pub fn queued_job_ids() -> Option<std::collections::HashSet<String>> {
    let mut calls = Calls::default();
    commands::squeue_mine(&mut calls)
        .ok()
        .map(|jobs| jobs.into_iter().map(|j| j.id).collect())
}

/// The job id a worker runs as (`123`, or `123_4` for an array task), from
/// Slurm's environment.
pub fn job_id_from_env() -> Option<String> {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    match (var("SLURM_ARRAY_JOB_ID"), var("SLURM_ARRAY_TASK_ID")) {
        (Some(a), Some(t)) => Some(format!("{a}_{t}")),
        _ => var("SLURM_JOB_ID"),
    }
}

/// The array task a worker runs (0 outside arrays).
pub fn task_from_env() -> usize {
    std::env::var("SLURM_ARRAY_TASK_ID")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

/// Threads Slurm gave this job (`--cpus-per-task`).
pub fn cpus_from_env() -> Option<usize> {
    std::env::var("SLURM_CPUS_PER_TASK")
        .ok()
        .and_then(|t| t.parse().ok())
}
