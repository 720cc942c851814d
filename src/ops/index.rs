//! `seqlab index rebuild` and `seqlab index check`: the index is a view of
//! the result records; these recreate it, or check it as `verify` does.

use std::fmt::Write;

use serde::Serialize;

use crate::cache::heal::{self, Check, RebuildReport};
use crate::cache::Cache;

pub fn rebuild(cache: &Cache) -> anyhow::Result<RebuildReport> {
    heal::rebuild(cache)
}

pub(crate) fn render_rebuild(cache: &Cache, r: &RebuildReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "rebuilt {} from the result records: {} results, {} failures, {} invalidated results",
        cache.index_path.display(),
        r.results,
        r.failures,
        r.invalidated
    );
    if let Some(p) = &r.moved_aside {
        let _ = writeln!(out, "the previous index is kept as {}", p.display());
    }
    for bad in &r.unreadable {
        let _ = writeln!(out, "UNREADABLE record {bad}");
    }
    out.push_str("the run history and verifications before the rebuild are not in the records; `seqlab log` shows the rebuilt executions without run ids\n");
    out
}

#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub index: String,
    /// SQLite's integrity check: `None` when sound.
    pub problem: Option<String>,
}

/// Check the index without changing it.
pub fn check(cache: &Cache) -> anyhow::Result<CheckReport> {
    Ok(CheckReport {
        index: cache.index_path.display().to_string(),
        problem: heal::damage(&cache.index_path, Check::Full)?,
    })
}
