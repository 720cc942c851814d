//! `seqlab gc`: free space. Without roots it removes objects no cache entry
//! references and temp dirs no live process uses. With roots (`--keep
//! PIPELINE`, `--keep-last N`, `--since DATE`) it first drops every cache
//! entry outside them (their history stays in `log`; a dropped result is
//! simply redone when asked for again), then removes what no remaining entry
//! references, and says how many bytes that freed.
//!
//! Live results are the index's cache entries and the result records (which
//! another controller, with its own index, may have written). Dropping one
//! moves its record aside and marks its index rows `collected`.
//!
//! Safety: gc holds the cache's run lock alone, so it waits for running
//! `seqlab run` and `verify --rerun` processes and never removes what an
//! execution in progress may need; results are dropped before any object is
//! removed, so a kill at any point leaves a cache that verifies clean (at
//! worst, unreferenced objects the next gc removes).

use std::collections::HashSet;

use serde::Serialize;

use crate::cache::lock::KeyLock;
use crate::cache::record::Which;
use crate::cache::store::remove_tree;
use crate::cache::Cache;
use crate::exec::{run_plan, RunOptions};
use crate::kind::Settings;
use crate::plan::Plan;

/// What to keep. Empty: every cache entry.
#[derive(Default)]
pub struct Roots<'a> {
    /// Pipelines whose current plans' cached results are kept.
    pub plans: Vec<&'a Plan>,
    /// Settings the kept plans' keys are computed with.
    pub settings: Settings,
    /// Keep the results of the newest N runs.
    pub keep_last: Option<usize>,
    /// Keep the results of runs started at or after this time (seconds
    /// since the epoch).
    pub since: Option<f64>,
}

impl Roots<'_> {
    fn any(&self) -> bool {
        !self.plans.is_empty() || self.keep_last.is_some() || self.since.is_some()
    }
}

#[derive(Debug, Default, Serialize)]
pub struct GcReport {
    pub removed_objects: usize,
    /// Bytes of the removed objects: the space freed.
    pub removed_bytes: u64,
    pub kept_objects: usize,
    /// Cache entries outside the roots, dropped (history kept).
    pub dropped_results: usize,
    pub kept_results: usize,
    pub removed_tmp_dirs: usize,
    pub dry_run: bool,
}

/// Read `--since`: `2024-05-01` (midnight UTC), `2024-05-01 13:45[:30]` or
/// `2024-05-01T13:45:30` (UTC), or RFC 3339 with an offset; seconds since
/// the epoch.
pub(crate) fn parse_since(text: &str) -> Result<f64, String> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.timestamp() as f64 + d.timestamp_subsec_nanos() as f64 * 1e-9);
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
            return Ok(d.and_utc().timestamp() as f64);
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        if let Some(d) = d.and_hms_opt(0, 0, 0) {
            return Ok(d.and_utc().timestamp() as f64);
        }
    }
    Err(format!(
        "`{t}` is not a date: write 2024-05-01, 2024-05-01 13:45 (UTC) or 2024-05-01T13:45:00+02:00"
    ))
}

/// The output trees the roots keep.
fn kept_trees(cache: &Cache, roots: &Roots<'_>) -> anyhow::Result<HashSet<String>> {
    let index = cache.index()?;
    let mut keep = HashSet::new();
    for plan in &roots.plans {
        let opts = RunOptions {
            dry_run: true,
            jobs: 1,
            settings: roots.settings.clone(),
            ..RunOptions::default()
        };
        let status = run_plan(cache, plan, &opts)?;
        keep.extend(
            status
                .outcomes
                .iter()
                .filter_map(|o| o.tree().map(str::to_string)),
        );
    }
    let runs = index.runs_selected(roots.keep_last, roots.since)?;
    for &id in &runs {
        keep.extend(index.run_trees(id)?);
    }
    // A run killed before its summary was written still kept what it made.
    let runs: HashSet<i64> = runs.into_iter().collect();
    for e in index.entries()? {
        if e.run_id.is_some_and(|r| runs.contains(&r)) {
            keep.insert(e.outputs);
        }
    }
    Ok(keep)
}

pub fn gc(cache: &Cache, roots: &Roots<'_>, dry_run: bool) -> anyhow::Result<GcReport> {
    // Runs hold the cache's run lock shared; gc needs it alone, so it never
    // deletes objects a running execution has stored but not yet recorded.
    let _guard = cache.exclusive_guard()?;
    let index = cache.index()?;
    let mut report = GcReport {
        dry_run,
        ..GcReport::default()
    };
    let entries = index.entries()?;
    // Results another controller (with its own index) recorded count too.
    let (records, _) = cache.records.scan(Which::Ok);
    let mut live_trees: HashSet<String> = HashSet::new();
    if roots.any() {
        let keep = kept_trees(cache, roots)?;
        let mut dropped = Vec::new();
        let mut dropped_keys: HashSet<&str> = HashSet::new();
        for e in &entries {
            if keep.contains(&e.outputs) {
                live_trees.insert(e.outputs.clone());
            } else {
                dropped.push(e.id);
                dropped_keys.insert(&e.key);
            }
        }
        for r in &records {
            match r.tree() {
                Some(t) if keep.contains(t) => {
                    live_trees.insert(t.to_string());
                }
                _ => {
                    dropped_keys.insert(&r.key);
                }
            }
        }
        report.dropped_results = dropped.len();
        report.kept_results = entries.len() - dropped.len();
        // Results go first (records, then index rows), objects after: a kill
        // in between leaves only unreferenced objects.
        if !dry_run {
            let why = "dropped by `seqlab gc` (outside its roots)";
            for key in &dropped_keys {
                cache.records.move_aside(key, why)?;
            }
            index.set_status(&dropped, "collected", why)?;
        }
    } else {
        live_trees.extend(entries.iter().map(|e| e.outputs.clone()));
        live_trees.extend(records.iter().filter_map(|r| r.tree().map(str::to_string)));
        report.kept_results = entries.len();
    }
    let mut live: HashSet<String> = HashSet::new();
    for tree in live_trees {
        if let Ok(m) = cache.store.manifest(&tree) {
            live.extend(m.files.into_iter().map(|f| f.hash));
        }
        live.insert(tree);
    }
    for hash in cache.store.all()? {
        if live.contains(&hash) {
            report.kept_objects += 1;
            continue;
        }
        let path = cache.store.object_path(&hash);
        report.removed_objects += 1;
        report.removed_bytes += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if !dry_run {
            std::fs::remove_file(&path)?;
        }
    }
    for entry in std::fs::read_dir(cache.tmp_dir())?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // A record's temp file left by a killed writer (no run is live: we
        // hold the cache alone).
        if name.starts_with(".record-") {
            report.removed_tmp_dirs += 1;
            if !dry_run {
                std::fs::remove_file(entry.path())?;
            }
            continue;
        }
        let key = name
            .split('.')
            .next()
            .unwrap_or_default()
            .trim_start_matches("verify-");
        // A held key lock means an execution of that key is using the dir.
        if KeyLock::try_acquire(&cache.lock_path(key))?.is_some() {
            report.removed_tmp_dirs += 1;
            if !dry_run {
                remove_tree(&entry.path())?;
            }
        }
    }
    Ok(report)
}

pub fn render(r: &GcReport) -> String {
    let verb = if r.dry_run { "would remove" } else { "removed" };
    let mut out = format!(
        "{verb} {} unreferenced objects ({} bytes) and {} stale temp dirs; kept {} objects\n",
        r.removed_objects, r.removed_bytes, r.removed_tmp_dirs, r.kept_objects
    );
    if r.dropped_results > 0 {
        out.push_str(&format!(
            "{} {} cached results outside the roots (history kept; they rerun if needed); kept {}\n",
            if r.dry_run { "would drop" } else { "dropped" },
            r.dropped_results,
            r.kept_results
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn since_reads_dates_and_times() {
        let p = super::parse_since;
        assert_eq!(p("1970-01-02").unwrap(), 86_400.0);
        assert_eq!(p("1970-01-01 01:00").unwrap(), 3_600.0);
        assert_eq!(p("1970-01-01T00:00:10").unwrap(), 10.0);
        assert_eq!(p("1970-01-01T01:00:00+01:00").unwrap(), 0.0);
        assert_eq!(p("1970-01-01T00:00:01Z").unwrap(), 1.0);
        assert!(p("yesterday").unwrap_err().contains("not a date"));
    }
}
