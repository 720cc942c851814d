//! `seqlab status`: for each instance, cached, stale (and which key component
//! changed since its last execution), or never run. Reads no file contents
//! for unchanged `deps` and executes nothing.

use serde::Serialize;

use crate::cache::Cache;
use crate::exec::{run_plan, Outcome, RunOptions};
use crate::kind::Settings;
use crate::plan::Plan;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InstanceStatus {
    pub instance: String,
    /// `cached`, `stale`, `never-run`, or, while a run is executing it,
    /// `running` or `queued` (on Slurm).
    pub state: String,
    pub reason: String,
}

pub fn status(
    cache: &Cache,
    plan: &Plan,
    settings: &Settings,
) -> anyhow::Result<Vec<InstanceStatus>> {
    let opts = RunOptions {
        dry_run: true,
        settings: settings.clone(),
        jobs: 1,
        ..RunOptions::default()
    };
    let report = run_plan(cache, plan, &opts)?;
    let mut queue: Option<Option<std::collections::HashSet<String>>> = None;
    Ok(plan
        .instances
        .iter()
        .zip(report.outcomes)
        .zip(report.keys)
        .map(|((inst, o), key)| {
            let (state, reason) = match o {
                Outcome::Cached { .. } => ("cached", String::new()),
                o => match key.and_then(|k| in_flight(cache, &k, &mut queue)) {
                    Some(flight) => flight,
                    None => match o {
                        Outcome::WouldRun { reason } if reason == "never run" => {
                            ("never-run", reason)
                        }
                        Outcome::WouldRun { reason } => ("stale", reason),
                        other => ("unknown", format!("{other:?}")),
                    },
                },
            };
            InstanceStatus {
                instance: inst.name.clone(),
                state: state.into(),
                reason,
            }
        })
        .collect())
}

/// `running` (a live lease: some process executes the key now) or `queued`
/// (submitted to Slurm and still in its queue), with the job. `queue` caches
/// the one `squeue` asked when a submission marker is found.
fn in_flight(
    cache: &Cache,
    key: &str,
    queue: &mut Option<Option<std::collections::HashSet<String>>>,
) -> Option<(&'static str, String)> {
    if let Some(lease) = crate::cache::lease::read(&cache.lease_path(key)) {
        if lease.live() {
            let host = lease.owner.host.split('/').next().unwrap_or_default();
            return Some((
                "running",
                format!("{} (pid {} on {host})", lease.owner.job, lease.owner.pid),
            ));
        }
    }
    let marker = crate::exec::slurm::read_marker(cache, key)?;
    let queued = queue.get_or_insert_with(crate::exec::slurm::queued_job_ids);
    match queued {
        Some(ids) if !ids.contains(&marker.job) => None,
        _ => Some(("queued", format!("slurm job {}", marker.job))),
    }
}

pub(crate) fn render_text(rows: &[InstanceStatus]) -> String {
    let width = rows.iter().map(|r| r.instance.len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in rows {
        out.push_str(&format!(
            "{:<width$}  {:<9}  {}\n",
            r.instance, r.state, r.reason
        ));
    }
    let cached = rows.iter().filter(|r| r.state == "cached").count();
    out.push_str(&format!("{cached} of {} instances cached", rows.len()));
    for state in ["running", "queued"] {
        let n = rows.iter().filter(|r| r.state == state).count();
        if n > 0 {
            out.push_str(&format!(", {n} {state}"));
        }
    }
    out.push('\n');
    out
}
