//! `index.sqlite`: the history of runs and executions, the artifacts they
//! produced, verification results, and the file-hash snapshot.
//!
//! An execution row with status `ok` mirrors a result record
//! (`results/ab/<key>.json`, see [`super::record`]): the record is written
//! first, by whoever executed the key, and controllers ingest it here. Rows
//! with status `failed` are history only. Everything except the run history
//! and verifications can be rebuilt from the records ([`super::heal`]).

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use rusqlite::{params, Connection, OptionalExtension};

use super::key::canonical_json;
use super::record::{RecordStatus, ResultRecord};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    pipeline TEXT NOT NULL,
    pipeline_path TEXT NOT NULL,
    argv TEXT NOT NULL,
    started REAL NOT NULL,
    ended REAL,
    host TEXT NOT NULL,
    seqlab_version TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'running'
);
CREATE TABLE IF NOT EXISTS executions (
    id INTEGER PRIMARY KEY,
    run_id INTEGER,
    key TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    instance TEXT NOT NULL,
    stage TEXT NOT NULL,
    kind TEXT NOT NULL,
    kind_version INTEGER NOT NULL,
    params TEXT NOT NULL,
    components TEXT NOT NULL,
    inputs TEXT NOT NULL,
    outputs TEXT,
    status TEXT NOT NULL,
    started REAL NOT NULL,
    ended REAL NOT NULL,
    duration REAL NOT NULL,
    host TEXT NOT NULL,
    seqlab_version TEXT NOT NULL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS executions_by_key ON executions(key, status);
CREATE INDEX IF NOT EXISTS executions_by_instance ON executions(pipeline, instance, id);
CREATE INDEX IF NOT EXISTS executions_by_outputs ON executions(outputs);
CREATE TABLE IF NOT EXISTS artifacts (
    tree TEXT PRIMARY KEY,
    files INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS verifications (
    id INTEGER PRIMARY KEY,
    execution_id INTEGER NOT NULL,
    instance TEXT NOT NULL,
    key TEXT NOT NULL,
    time REAL NOT NULL,
    identical INTEGER NOT NULL,
    expected TEXT NOT NULL,
    actual TEXT,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS run_results (
    run_id INTEGER NOT NULL,
    instance TEXT NOT NULL,
    outputs TEXT NOT NULL,
    PRIMARY KEY (run_id, instance)
);
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS file_hashes (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    hash TEXT NOT NULL
);
"#;

/// One row of `executions`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Execution {
    pub id: i64,
    pub run_id: Option<i64>,
    pub key: String,
    pub pipeline: String,
    pub instance: String,
    pub stage: String,
    pub kind: String,
    pub kind_version: i64,
    pub params: serde_json::Value,
    pub components: serde_json::Value,
    pub inputs: serde_json::Value,
    pub outputs: Option<String>,
    pub status: String,
    pub started: f64,
    pub ended: f64,
    pub duration: f64,
    pub host: String,
    pub seqlab_version: String,
    pub error: Option<String>,
}

/// A cache entry as the damage and gc graphs see it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i64,
    pub key: String,
    pub run_id: Option<i64>,
    /// Its output tree.
    pub outputs: String,
    /// The output trees it read.
    pub inputs: Vec<String>,
}

pub struct Index {
    pub conn: Connection,
}

pub use crate::clock::{now, now_utc_text};

pub fn host() -> String {
    hostname::get()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "unknown".into())
}

pub(crate) const SEQLAB_VERSION: &str = env!("CARGO_PKG_VERSION");

const EXECUTION_COLUMNS: &str = "id, run_id, key, pipeline, instance, stage, kind, kind_version, params, components, inputs, outputs, status, started, ended, duration, host, seqlab_version, error";

fn json(text: String) -> serde_json::Value {
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
}

fn execution_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Execution> {
    Ok(Execution {
        id: row.get(0)?,
        run_id: row.get(1)?,
        key: row.get(2)?,
        pipeline: row.get(3)?,
        instance: row.get(4)?,
        stage: row.get(5)?,
        kind: row.get(6)?,
        kind_version: row.get(7)?,
        params: json(row.get(8)?),
        components: json(row.get(9)?),
        inputs: json(row.get(10)?),
        outputs: row.get(11)?,
        status: row.get(12)?,
        started: row.get(13)?,
        ended: row.get(14)?,
        duration: row.get(15)?,
        host: row.get(16)?,
        seqlab_version: row.get(17)?,
        error: row.get(18)?,
    })
}

impl Index {
    pub fn open(path: &Path) -> anyhow::Result<Index> {
        let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        conn.busy_timeout(Duration::from_secs(60))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)
            .context("creating the index tables")?;
        Ok(Index { conn })
    }

    /// A new database for a rebuild: no WAL (the file is renamed into place
    /// once complete) and no syncing until then.
    pub(crate) fn open_for_rebuild(path: &Path) -> anyhow::Result<Index> {
        let conn =
            Connection::open(path).with_context(|| format!("creating {}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        conn.pragma_update(None, "synchronous", "OFF")?;
        conn.execute_batch(SCHEMA)
            .context("creating the index tables")?;
        Ok(Index { conn })
    }

    pub(crate) fn start_run(&self, pipeline: &str, path: &str, argv: &str) -> anyhow::Result<i64> {
        self.conn.execute(
            "INSERT INTO runs (pipeline, pipeline_path, argv, started, host, seqlab_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![pipeline, path, argv, now(), host(), SEQLAB_VERSION],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub(crate) fn end_run(&self, id: i64, status: &str) -> anyhow::Result<()> {
        self.conn.execute(
            "UPDATE runs SET ended = ?1, status = ?2 WHERE id = ?3",
            params![now(), status, id],
        )?;
        Ok(())
    }

    /// Record which output tree each instance of run `id` ended with (cached
    /// or executed), so two runs can be compared later.
    pub(crate) fn record_run_results(
        &self,
        id: i64,
        results: &[(String, String)],
    ) -> anyhow::Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        {
            let mut st = tx.prepare_cached(
                "INSERT OR REPLACE INTO run_results (run_id, instance, outputs) VALUES (?1, ?2, ?3)",
            )?;
            for (instance, tree) in results {
                st.execute(params![id, instance, tree])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// (instance, output tree) of run `id`, by instance name.
    pub(crate) fn run_results(&self, id: i64) -> anyhow::Result<Vec<(String, String)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT instance, outputs FROM run_results WHERE run_id = ?1 ORDER BY instance",
        )?;
        let rows = st
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The tree hash cached for `key`, if any.
    pub(crate) fn lookup(&self, key: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT outputs FROM executions WHERE key = ?1 AND status = 'ok' ORDER BY id DESC LIMIT 1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// Add the execution `r` describes (a success or a failure), once: a
    /// record ingested before is recognised by key, status and start time.
    /// A success becomes the cache entry for its key.
    pub(crate) fn ingest(&self, r: &ResultRecord, run_id: Option<i64>) -> anyhow::Result<i64> {
        let status = match r.status {
            RecordStatus::Ok => "ok",
            RecordStatus::Failed => "failed",
        };
        // IMMEDIATE: the check for an earlier ingestion and the insert are one
        // step, even when two controllers ingest the same record at once.
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        match self.insert_record(r, run_id, status) {
            Ok(id) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(id)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Add `r` with an explicit status (`damaged` for records `verify` moved
    /// aside, when rebuilding), inside the caller's transaction.
    pub(crate) fn insert_record(
        &self,
        r: &ResultRecord,
        run_id: Option<i64>,
        status: &str,
    ) -> anyhow::Result<i64> {
        let existing: Option<i64> = self
            .conn
            .prepare_cached(
                // Times compared to the microsecond: a record read back from
                // JSON may differ from the one in memory in the last bit.
                "SELECT id FROM executions WHERE key = ?1 AND abs(started - ?2) < 1e-6 AND host = ?3 AND status IN (?4, 'damaged') LIMIT 1",
            )?
            .query_row(params![r.key, r.started, r.host, status], |row| row.get(0))
            .optional()?;
        if let Some(id) = existing {
            return Ok(id);
        }
        let params_text = canonical_json(&serde_json::Value::Object(r.params.clone()));
        self.conn.execute(
            "INSERT INTO executions (run_id, key, pipeline, instance, stage, kind, kind_version, params, components, inputs, outputs, status, started, ended, duration, host, seqlab_version, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            params![
                run_id, r.key, r.pipeline, r.instance, r.stage, r.kind, r.kind_version, params_text,
                r.components.canonical(), serde_json::to_string(&r.inputs)?, r.tree(), status,
                r.started, r.ended, r.duration, r.host, r.seqlab_version, r.error
            ],
        )?;
        let id = self.conn.last_insert_rowid();
        if let Some(o) = &r.outputs {
            self.conn.execute(
                "INSERT OR IGNORE INTO artifacts (tree, files, bytes, created) VALUES (?1, ?2, ?3, ?4)",
                params![o.tree, o.files as i64, o.bytes as i64, r.ended],
            )?;
        }
        Ok(id)
    }

    /// A value of the `meta` table.
    pub fn meta(&self, name: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    pub(crate) fn set_meta(&self, name: &str, value: &str) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)",
            params![name, value],
        )?;
        Ok(())
    }

    /// SQLite's full `PRAGMA integrity_check`: `Ok(vec![])` when sound,
    /// otherwise its complaints.
    pub fn integrity_problems(&self) -> anyhow::Result<Vec<String>> {
        let mut st = self.conn.prepare("PRAGMA integrity_check")?;
        let rows: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    /// Successful executions with their output sizes, oldest first (for
    /// writing the records of caches made before records existed).
    pub(crate) fn ok_executions(&self) -> anyhow::Result<Vec<(Execution, usize, u64)>> {
        let cols: String = EXECUTION_COLUMNS
            .split(", ")
            .map(|c| format!("e.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {cols}, a.files, a.bytes FROM executions e JOIN artifacts a ON a.tree = e.outputs WHERE e.status = 'ok' ORDER BY e.id"
        );
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map([], |row| {
            Ok((
                execution_row(row)?,
                row.get::<_, i64>(19)? as usize,
                row.get::<_, i64>(20)? as u64,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Keys of the successful executions that produced `tree`.
    pub fn keys_of_tree(&self, tree: &str) -> anyhow::Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare("SELECT DISTINCT key FROM executions WHERE outputs = ?1 AND status = 'ok'")?;
        let rows = st.query_map([tree], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The newest execution of `instance` in `pipeline` (any status when `ok_only` is false).
    pub fn last_of_instance(
        &self,
        pipeline: &str,
        instance: &str,
        ok_only: bool,
    ) -> anyhow::Result<Option<Execution>> {
        let sql = format!(
            "SELECT {EXECUTION_COLUMNS} FROM executions WHERE pipeline = ?1 AND instance = ?2 {} ORDER BY id DESC LIMIT 1",
            // `damaged` and `collected` rows succeeded once; verify or gc
            // invalidated them later.
            if ok_only { "AND status IN ('ok', 'damaged', 'collected')" } else { "" }
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([pipeline, instance], execution_row)
            .optional()?)
    }

    /// The newest successful execution for `key`.
    pub(crate) fn execution_for_key(&self, key: &str) -> anyhow::Result<Option<Execution>> {
        let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE key = ?1 AND status = 'ok' ORDER BY id DESC LIMIT 1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([key], execution_row)
            .optional()?)
    }

    /// The newest successful execution whose output tree hash or cache key
    /// starts with `prefix` (hex).
    pub(crate) fn execution_by_hash_prefix(
        &self,
        prefix: &str,
    ) -> anyhow::Result<Option<Execution>> {
        let sql = format!(
            "SELECT {EXECUTION_COLUMNS} FROM executions WHERE status = 'ok' AND (outputs LIKE ?1 OR key LIKE ?1) ORDER BY id DESC LIMIT 1"
        );
        Ok(self
            .conn
            .prepare(&sql)?
            .query_row([format!("{prefix}%")], execution_row)
            .optional()?)
    }

    /// Executions matching an optional instance name or artifact (tree) hash, newest first.
    pub fn history(
        &self,
        instance: Option<&str>,
        tree: Option<&str>,
        limit: usize,
    ) -> anyhow::Result<Vec<Execution>> {
        let sql = format!(
            "SELECT {EXECUTION_COLUMNS} FROM executions WHERE (?1 IS NULL OR instance = ?1) AND (?2 IS NULL OR outputs = ?2) ORDER BY id DESC LIMIT ?3"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![instance, tree, limit as i64], execution_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every tree hash referenced by a successful execution.
    pub fn referenced_trees(&self) -> anyhow::Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT outputs FROM executions WHERE status = 'ok' AND outputs IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// (id, run id, output tree, input trees) of every cache entry (status
    /// `ok`): the graph damage propagates through and gc's roots select from.
    pub fn entries(&self) -> anyhow::Result<Vec<Entry>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, key, run_id, outputs, inputs FROM executions WHERE status = 'ok' AND outputs IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, key, run_id, outputs, inputs) = row?;
            // Recorded from `KeyComponents::inputs`; an unreadable value
            // (hand-edited) counts as no inputs.
            let bindings: Vec<crate::cache::key::InputBinding> =
                serde_json::from_str(&inputs).unwrap_or_default();
            out.push(Entry {
                id,
                key,
                run_id,
                outputs,
                inputs: bindings
                    .into_iter()
                    .flat_map(|b| b.artifacts.into_iter().map(|a| a.tree))
                    .collect(),
            });
        }
        Ok(out)
    }

    /// Set the status of the executions `ids` (history rows stay; only the
    /// cache entry goes), in one transaction; returns how many changed.
    pub(crate) fn set_status(&self, ids: &[i64], status: &str, why: &str) -> anyhow::Result<usize> {
        let tx = self.conn.unchecked_transaction()?;
        let mut n = 0;
        {
            let mut st = tx.prepare_cached(
                "UPDATE executions SET status = ?2, error = ?3 WHERE id = ?1 AND status = 'ok'",
            )?;
            for id in ids {
                n += st.execute(params![id, status, why])?;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    /// Ids of the newest `n` runs, and of the runs started at or after
    /// `since` (seconds since the epoch).
    pub(crate) fn runs_selected(
        &self,
        newest: Option<usize>,
        since: Option<f64>,
    ) -> anyhow::Result<Vec<i64>> {
        let mut ids = Vec::new();
        if let Some(n) = newest {
            let mut st = self
                .conn
                .prepare("SELECT id FROM runs ORDER BY id DESC LIMIT ?1")?;
            let rows = st.query_map([n as i64], |r| r.get(0))?;
            ids.extend(rows.collect::<Result<Vec<i64>, _>>()?);
        }
        if let Some(t) = since {
            let mut st = self
                .conn
                .prepare("SELECT id FROM runs WHERE started >= ?1")?;
            let rows = st.query_map([t], |r| r.get(0))?;
            ids.extend(rows.collect::<Result<Vec<i64>, _>>()?);
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// The output trees run `id` ended with (cached or executed).
    pub(crate) fn run_trees(&self, id: i64) -> anyhow::Result<Vec<String>> {
        Ok(self.run_results(id)?.into_iter().map(|(_, t)| t).collect())
    }

    /// Mark every cache entry producing `tree` as damaged, so the next run redoes it.
    pub fn mark_damaged(&self, tree: &str, why: &str) -> anyhow::Result<usize> {
        Ok(self.conn.execute(
            "UPDATE executions SET status = 'damaged', error = ?2 WHERE outputs = ?1 AND status = 'ok'",
            params![tree, why],
        )?)
    }

    pub(crate) fn record_verification(
        &self,
        e: &Execution,
        identical: bool,
        actual: Option<&str>,
        detail: &str,
    ) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO verifications (execution_id, instance, key, time, identical, expected, actual, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![e.id, e.instance, e.key, now(), identical, e.outputs, actual, detail],
        )?;
        Ok(())
    }
}
