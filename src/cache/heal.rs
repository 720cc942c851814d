//! Opening the index so that no command ever needs a file deleted by hand.
//!
//! The first time a process opens an index it checks it (SQLite's
//! `quick_check`, cheap for an index of a few MB). A damaged index (a
//! truncated file, overwritten pages) is moved aside as
//! `index.sqlite.damaged-<time>` (with its `-wal`/`-shm`) for inspection and
//! rebuilt from the result records; a missing one is rebuilt the same way
//! when records exist. `seqlab verify` runs the full `integrity_check`.
//!
//! A rebuild writes a new database beside the index and renames it into
//! place, holding the index's open lock: a kill at any moment leaves either
//! the old file or none (which the next command rebuilds), never half a file.
//! What lived only in the index — the run history, verifications — is not in
//! the records; the rebuilt index notes when it was rebuilt.
//!
//! Caches written before records existed get them on first open: every
//! successful execution in their index is written out as a record
//! (a migration, once per index), so a later rebuild loses no result.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use rusqlite::{Connection, ErrorCode};
use serde::Serialize;

use super::index::{now, now_utc_text, Index};
use super::key::KeyComponents;
use super::record::{unique_suffix, Outputs, RecordHead, RecordStatus, ResultRecord, Which};
use super::Cache;

/// Index files this process has checked already.
static CHECKED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
/// Repairs made by this process (for `verify` to report).
static REPAIRS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// `meta` entry set once the records of all successful executions exist.
const META_RECORDS: &str = "records";
/// `meta` entry holding when the index was last rebuilt from records.
pub(crate) const META_REBUILT: &str = "rebuilt_from_records";

/// Open a connection to `cache`'s index, checking and healing it first if
/// this process has not yet (see the module docs).
pub fn open(cache: &Cache) -> anyhow::Result<Index> {
    let _guard = cache.index_open_guard()?;
    let first = CHECKED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashSet::new)
        .insert(cache.index_path.clone());
    if first {
        let path = &cache.index_path;
        if let Some(fs) = network_file_system(path.parent().unwrap_or(Path::new("."))) {
            tracing::warn!(
                "the index {} is on a network file system ({fs}): SQLite's WAL needs a local disk; put it there with --index (see docs/cluster.md)",
                path.display()
            );
        }
        if let Some(problem) = damage(path, Check::Quick)? {
            heal_locked(cache, &problem)?;
        } else if !path.exists() && has_records(cache) {
            tracing::warn!(
                "no index at {}: rebuilding it from the result records",
                path.display()
            );
            rebuild_locked(cache, None)?;
        }
    }
    let index = match Index::open(&cache.index_path) {
        Err(e) if is_damage(&e) => {
            heal_locked(cache, &format!("{e:#}"))?;
            Index::open(&cache.index_path)?
        }
        other => other?,
    };
    if first {
        write_missing_records(cache, &index)?;
    }
    Ok(index)
}

/// The name of the network file system `dir` is on, if it is on one.
fn network_file_system(dir: &Path) -> Option<&'static str> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid C string and a zeroed struct for statfs(2) to fill.
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    match st.f_type as u64 {
        0x6969 => Some("NFS"),
        0xFF53_4D42 | 0xFE53_4D42 => Some("SMB"),
        0x0BD0_0BD0 => Some("Lustre"),
        0x4750_4653 => Some("GPFS"),
        0x1983_0326 => Some("BeeGFS"),
        _ => None,
    }
}

/// Move a damaged index aside and rebuild it (the open lock is held).
fn heal_locked(cache: &Cache, problem: &str) -> anyhow::Result<RebuildReport> {
    let report = rebuild_locked(cache, Some("damaged"))?;
    let aside = report
        .moved_aside
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let text = format!(
        "the index {} was damaged ({problem}); it was rebuilt from {} result records and the damaged file kept as {aside}",
        cache.index_path.display(),
        report.results
    );
    tracing::warn!("{text}");
    REPAIRS.lock().unwrap_or_else(|e| e.into_inner()).push(text);
    Ok(report)
}

/// Repairs of the index this process made, as sentences.
pub(crate) fn repairs() -> Vec<String> {
    REPAIRS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// `PRAGMA quick_check`: every page read, no index-against-table checks.
    Quick,
    /// `PRAGMA integrity_check`: everything SQLite can check.
    Full,
}

fn is_damage(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<rusqlite::Error>()
            .and_then(|e| e.sqlite_error_code())
            .is_some_and(|code| {
                matches!(code, ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
            })
    })
}

/// What is wrong with the index file at `path`, if anything (`None` for a
/// sound file or no file). Errors that are not damage (a busy or unreadable
/// file) are returned as errors.
pub fn damage(path: &Path, check: Check) -> anyhow::Result<Option<String>> {
    if !path.exists() {
        return Ok(None);
    }
    let result = (|| -> anyhow::Result<Vec<String>> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(60))?;
        let pragma = match check {
            Check::Quick => "PRAGMA quick_check",
            Check::Full => "PRAGMA integrity_check",
        };
        let mut st = conn.prepare(pragma)?;
        let rows: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        // The tables seqlab needs must be readable too.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    })();
    match result {
        Ok(problems) if problems.is_empty() => Ok(None),
        Ok(problems) => Ok(Some(
            problems.into_iter().take(3).collect::<Vec<_>>().join("; "),
        )),
        Err(e) if is_damage(&e) => Ok(Some(format!("{e:#}"))),
        Err(e) => Err(e).with_context(|| format!("checking the index {}", path.display())),
    }
}

/// `verify`'s check: the full integrity check, healing what it finds.
/// Returns the repairs made (by this call or earlier in this process).
pub fn verify(cache: &Cache) -> anyhow::Result<Vec<String>> {
    {
        let _guard = cache.index_open_guard()?;
        if let Some(problem) = damage(&cache.index_path, Check::Full)? {
            heal_locked(cache, &problem)?;
        }
    }
    Ok(repairs())
}

fn has_records(cache: &Cache) -> bool {
    std::fs::read_dir(cache.records.dir())
        .map(|mut d| d.next().is_some())
        .unwrap_or(false)
}

/// What a rebuild did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RebuildReport {
    /// Successful executions restored (the cache entries).
    pub results: usize,
    pub failures: usize,
    /// Results `verify` had invalidated, restored as `damaged` history.
    pub invalidated: usize,
    /// Record files that could not be read (left in place, named here).
    pub unreadable: Vec<String>,
    /// Where the previous index file was moved, if there was one.
    pub moved_aside: Option<PathBuf>,
}

/// `seqlab index rebuild`: recreate the index from the records, keeping the
/// previous file aside. Waits for running runs on this cache.
pub fn rebuild(cache: &Cache) -> anyhow::Result<RebuildReport> {
    let _runs = cache.exclusive_guard()?;
    let _guard = cache.index_open_guard()?;
    rebuild_locked(cache, Some("replaced"))
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Build a new index from the records and put it in place of the current
/// one, which (if any) is moved to `<index>.<aside>-<time>`.
fn rebuild_locked(cache: &Cache, aside: Option<&str>) -> anyhow::Result<RebuildReport> {
    let path = &cache.index_path;
    let dir = path.parent().expect("the index has a directory");
    let name = path
        .file_name()
        .expect("the index has a name")
        .to_string_lossy()
        .into_owned();
    // Leftovers of rebuilds that were killed (we hold the lock: none is live).
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_name()
                .to_string_lossy()
                .starts_with(&format!("{name}.rebuild-"))
            {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let tmp = sibling(path, &format!(".rebuild-{}", unique_suffix()));
    let mut report = RebuildReport::default();
    let built = (|| -> anyhow::Result<()> {
        let index = Index::open_for_rebuild(&tmp)?;
        let (ok, mut bad) = cache.records.scan(Which::Ok);
        let (failed, bad2) = cache.records.scan(Which::Failed);
        let (invalidated, bad3) = cache.records.scan(Which::Invalidated);
        bad.extend(bad2);
        bad.extend(bad3);
        report.results = ok.len();
        report.failures = failed.len();
        report.invalidated = invalidated.len();
        report.unreadable = bad;
        let mut all: Vec<(&ResultRecord, &str)> = ok
            .iter()
            .map(|r| (r, "ok"))
            .chain(failed.iter().map(|r| (r, "failed")))
            .chain(invalidated.iter().map(|r| (r, "damaged")))
            .collect();
        all.sort_by(|a, b| a.0.ended.total_cmp(&b.0.ended));
        let tx = index.conn.unchecked_transaction()?;
        for (r, status) in all {
            index.insert_record(r, None, status)?;
        }
        index.set_meta(META_REBUILT, &now_utc_text())?;
        index.set_meta(META_RECORDS, "1")?;
        tx.commit()?;
        drop(index);
        std::fs::File::open(&tmp)?.sync_all()?;
        Ok(())
    })();
    if let Err(e) = built {
        let _ = std::fs::remove_file(&tmp);
        let _ = std::fs::remove_file(sibling(&tmp, "-journal"));
        return Err(e).context("rebuilding the index from the result records");
    }
    if path.exists() {
        let label = aside.unwrap_or("replaced");
        let stamp = now_utc_text()
            .replace([' ', ':'], "-")
            .trim_end_matches("-UTC")
            .to_string();
        let dest = sibling(path, &format!(".{label}-{stamp}-{}", std::process::id()));
        std::fs::rename(path, &dest).with_context(|| format!("moving {} aside", path.display()))?;
        for ext in ["-wal", "-shm"] {
            let f = sibling(path, ext);
            if f.exists() {
                let _ = std::fs::rename(&f, sibling(&dest, ext));
            }
        }
        report.moved_aside = Some(dest);
    } else {
        // A stale WAL must never be replayed into the new file.
        for ext in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(sibling(path, ext));
        }
    }
    std::fs::rename(&tmp, path).with_context(|| format!("installing {}", path.display()))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(report)
}

/// Write a record for every successful execution of an index made before
/// records existed (once per index).
fn write_missing_records(cache: &Cache, index: &Index) -> anyhow::Result<()> {
    if index.meta(META_RECORDS)?.is_some() {
        return Ok(());
    }
    let mut written = 0usize;
    for (e, files, bytes) in index.ok_executions()? {
        if cache.records.exists(&e.key) {
            continue;
        }
        let Ok(components) = serde_json::from_value::<KeyComponents>(e.components.clone()) else {
            continue;
        };
        let Some(tree) = e.outputs.clone() else {
            continue;
        };
        let head = RecordHead {
            key: e.key.clone(),
            components,
            pipeline: e.pipeline.clone(),
            instance: e.instance.clone(),
            stage: e.stage.clone(),
            input_keys: Vec::new(),
            job: "migrated".into(),
        };
        let mut record = ResultRecord::new(
            &head,
            e.started,
            e.ended,
            Ok(Outputs { tree, files, bytes }),
        );
        record.host = e.host.clone();
        record.pid = 0;
        record.seqlab_version = e.seqlab_version.clone();
        debug_assert_eq!(record.status, RecordStatus::Ok);
        cache.records.write_ok(&record)?;
        written += 1;
    }
    if written > 0 {
        tracing::info!(
            "wrote {written} result records for executions recorded before records existed"
        );
    }
    index.set_meta(META_RECORDS, &format!("1 ({:.0})", now()))?;
    Ok(())
}
