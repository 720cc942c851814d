//! `seqlab run`: execute a pipeline, reusing cached results.

use std::path::Path;

use crate::cache::Cache;
use crate::exec::{run_plan, Outcome, RunOptions, RunReport};
use crate::plan::Plan;

/// Run `plan`, recording the run in the index; returns the per-instance report.
pub fn run(
    cache: &Cache,
    plan: &Plan,
    pipeline_path: &Path,
    argv: &str,
    mut opts: RunOptions,
) -> anyhow::Result<RunReport> {
    // A publishing directory seqlab may not replace fails the run before
    // anything runs.
    super::publish::check_plan(cache, plan)?;
    let index = cache.index()?;
    let run_id = if opts.dry_run {
        None
    } else {
        Some(index.start_run(&plan.pipeline, &pipeline_path.display().to_string(), argv)?)
    };
    opts.run_id = run_id;
    let report = run_plan(cache, plan, &opts)?;
    if let Some(id) = run_id {
        let results: Vec<(String, String)> = plan
            .instances
            .iter()
            .zip(&report.outcomes)
            .filter_map(|(inst, o)| o.tree().map(|t| (inst.name.clone(), t.to_string())))
            .collect();
        // The outcomes are what matters; failing to note the run's summary
        // (a full disk) is reported, not allowed to replace them.
        let status = if report.success() { "ok" } else { "failed" };
        if let Err(e) = index
            .record_run_results(id, &results)
            .and_then(|()| index.end_run(id, status))
        {
            tracing::warn!("the run's summary could not be recorded in the index: {e:#}");
        }
    }
    Ok(report)
}

/// The closing summary, and for a dry run the list of what would run and why.
pub fn summary(plan: &Plan, report: &RunReport, dry_run: bool) -> String {
    let mut out = String::new();
    if dry_run {
        for (inst, o) in plan.instances.iter().zip(&report.outcomes) {
            if let Outcome::WouldRun { reason } = o {
                out.push_str(&format!("would run {}: {reason}\n", inst.name));
            }
        }
        let n = report.count(|o| matches!(o, Outcome::WouldRun { .. }));
        out.push_str(&format!(
            "{n} of {} instances would run; {} cached\n",
            plan.instances.len(),
            plan.instances.len() - n
        ));
        return out;
    }
    for (inst, o) in plan.instances.iter().zip(&report.outcomes) {
        match o {
            Outcome::Failed { error } => {
                out.push_str(&format!("FAILED  {}: {}\n", inst.name, first_line(error)))
            }
            Outcome::Skipped { because } => {
                out.push_str(&format!("skipped {}: {because}\n", inst.name))
            }
            _ => {}
        }
    }
    for note in &report.notes {
        out.push_str(note);
        out.push('\n');
    }
    out.push_str(&format!(
        "{}: {} executed, {} cached, {} failed, {} skipped in {:.2}s\n",
        plan.pipeline,
        report.executed(),
        report.count(|o| matches!(o, Outcome::Cached { .. })),
        report.failed(),
        report.count(|o| matches!(o, Outcome::Skipped { .. })),
        report.seconds
    ));
    out
}

/// Copy the outputs of instances whose kind publishes them (the report) to
/// their place (relative to the working directory, like the cache), replacing what was there; returns the
/// published directories. Copies, not links, so editing a published file
/// never alters the cache.
pub(crate) fn publish(
    cache: &Cache,
    plan: &Plan,
    report: &RunReport,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    use anyhow::Context;
    let mut out = Vec::new();
    let cwd = std::env::current_dir()?;
    for (inst, o) in plan.instances.iter().zip(&report.outcomes) {
        let (Some(tree), Some(rel)) = (
            o.tree(),
            inst.kind.publish_dir(&inst.params, &plan.pipeline)?,
        ) else {
            continue;
        };
        // Again: the directory may have changed during the run.
        let dest = super::publish::check_publish_dir(&rel, &cwd, &plan.workspace, &cache.root)
            .map_err(|m| anyhow::anyhow!("{}: {m}", inst.name))?;
        let staging = dest.with_extension(format!("publishing.{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging)
            .with_context(|| format!("creating {}", staging.display()))?;
        for f in cache.store.manifest(tree)?.files {
            let target = staging.join(&f.path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(cache.store.object_path(&f.hash), &target)
                .with_context(|| format!("publishing {}", target.display()))?;
            let mut perm = std::fs::metadata(&target)?.permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o644);
            std::fs::set_permissions(&target, perm)?;
        }
        std::fs::write(
            staging.join(super::publish::MARKER),
            format!("published by seqlab from {}\n", inst.name),
        )?;
        let _ = std::fs::remove_dir_all(&dest);
        std::fs::rename(&staging, &dest)
            .with_context(|| format!("publishing to {}", dest.display()))?;
        out.push(rel);
    }
    Ok(out)
}

/// The summaries the run's instances wrote (see
/// `StageKind::printed_summary`), with their instance names, for printing
/// after the run.
pub(crate) fn stage_summaries(
    cache: &Cache,
    plan: &Plan,
    report: &RunReport,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (inst, o) in plan.instances.iter().zip(&report.outcomes) {
        let (Some(tree), Some(file)) = (o.tree(), inst.kind.printed_summary()) else {
            continue;
        };
        if let Ok(Some(bytes)) = cache.store.read_file(tree, file) {
            out.push((
                inst.name.clone(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    out
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}
