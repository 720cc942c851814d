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
    /// `cached`, `stale` or `never-run`.
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
    Ok(plan
        .instances
        .iter()
        .zip(report.outcomes)
        .map(|(inst, o)| {
            let (state, reason) = match o {
                Outcome::Cached { .. } => ("cached", String::new()),
                Outcome::WouldRun { reason } if reason == "never run" => ("never-run", reason),
                Outcome::WouldRun { reason } => ("stale", reason),
                other => ("unknown", format!("{other:?}")),
            };
            InstanceStatus {
                instance: inst.name.clone(),
                state: state.into(),
                reason,
            }
        })
        .collect())
}

pub fn render_text(rows: &[InstanceStatus]) -> String {
    let width = rows.iter().map(|r| r.instance.len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in rows {
        out.push_str(&format!(
            "{:<width$}  {:<9}  {}\n",
            r.instance, r.state, r.reason
        ));
    }
    let cached = rows.iter().filter(|r| r.state == "cached").count();
    out.push_str(&format!("{cached} of {} instances cached\n", rows.len()));
    out
}
