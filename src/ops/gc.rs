//! `seqlab gc`: remove objects that no recorded successful execution
//! references, and temp dirs no live process uses.

use std::collections::HashSet;

use serde::Serialize;

use crate::cache::lock::KeyLock;
use crate::cache::store::remove_tree;
use crate::cache::Cache;

#[derive(Debug, Default, Serialize)]
pub struct GcReport {
    pub removed_objects: usize,
    pub removed_bytes: u64,
    pub kept_objects: usize,
    pub removed_tmp_dirs: usize,
    pub dry_run: bool,
}

pub fn gc(cache: &Cache, dry_run: bool) -> anyhow::Result<GcReport> {
    // Runs hold the cache's run lock shared; gc needs it alone, so it never
    // deletes objects a running execution has stored but not yet recorded.
    let _guard = cache.exclusive_guard()?;
    let index = cache.index()?;
    let mut live: HashSet<String> = HashSet::new();
    // Results another controller (with its own index) recorded are live too.
    let (records, _) = cache.records.scan(crate::cache::record::Which::Ok);
    let record_trees = records.iter().filter_map(|r| r.tree().map(str::to_string));
    for tree in index.referenced_trees()?.into_iter().chain(record_trees) {
        if let Ok(m) = cache.store.manifest(&tree) {
            live.extend(m.files.into_iter().map(|f| f.hash));
        }
        live.insert(tree);
    }
    let mut report = GcReport {
        dry_run,
        ..GcReport::default()
    };
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
    format!(
        "{} {} unreferenced objects ({} bytes) and {} stale temp dirs; kept {} objects\n",
        if r.dry_run { "would remove" } else { "removed" },
        r.removed_objects,
        r.removed_bytes,
        r.removed_tmp_dirs,
        r.kept_objects
    )
}
