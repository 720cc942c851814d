//! `index.sqlite`: the history of runs and executions, the artifacts they
//! produced, verification results, and the file-hash snapshot.
//!
//! An execution row with status `ok` is the cache entry; it is inserted only
//! after the outputs are in the object store, in one transaction. Rows with
//! status `failed` are history only.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use rusqlite::{params, Connection, OptionalExtension};

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

/// What to record for a finished execution.
pub struct NewExecution<'a> {
    pub run_id: Option<i64>,
    pub key: &'a str,
    pub pipeline: &'a str,
    pub instance: &'a str,
    pub stage: &'a str,
    pub kind: &'a str,
    pub kind_version: u32,
    pub params: &'a str,
    pub components: &'a str,
    pub inputs: &'a str,
    pub outputs: Option<(&'a str, usize, u64)>,
    pub started: f64,
    pub ended: f64,
    pub error: Option<&'a str>,
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

pub const SEQLAB_VERSION: &str = env!("CARGO_PKG_VERSION");

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

    pub fn start_run(&self, pipeline: &str, path: &str, argv: &str) -> anyhow::Result<i64> {
        self.conn.execute(
            "INSERT INTO runs (pipeline, pipeline_path, argv, started, host, seqlab_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![pipeline, path, argv, now(), host(), SEQLAB_VERSION],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn end_run(&self, id: i64, status: &str) -> anyhow::Result<()> {
        self.conn.execute(
            "UPDATE runs SET ended = ?1, status = ?2 WHERE id = ?3",
            params![now(), status, id],
        )?;
        Ok(())
    }

    /// Record which output tree each instance of run `id` ended with (cached
    /// or executed), so two runs can be compared later.
    pub fn record_run_results(&self, id: i64, results: &[(String, String)]) -> anyhow::Result<()> {
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
    pub fn run_results(&self, id: i64) -> anyhow::Result<Vec<(String, String)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT instance, outputs FROM run_results WHERE run_id = ?1 ORDER BY instance",
        )?;
        let rows = st
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The tree hash cached for `key`, if any.
    pub fn lookup(&self, key: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT outputs FROM executions WHERE key = ?1 AND status = 'ok' ORDER BY id DESC LIMIT 1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// Record an execution; with outputs it becomes the cache entry for its key.
    pub fn record(&self, e: &NewExecution<'_>) -> anyhow::Result<i64> {
        let tx = self.conn.unchecked_transaction()?;
        let status = if e.error.is_some() { "failed" } else { "ok" };
        tx.execute(
            "INSERT INTO executions (run_id, key, pipeline, instance, stage, kind, kind_version, params, components, inputs, outputs, status, started, ended, duration, host, seqlab_version, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            params![
                e.run_id, e.key, e.pipeline, e.instance, e.stage, e.kind, e.kind_version, e.params, e.components,
                e.inputs, e.outputs.map(|o| o.0), status, e.started, e.ended, e.ended - e.started, host(),
                SEQLAB_VERSION, e.error
            ],
        )?;
        let id = tx.last_insert_rowid();
        if let Some((tree, files, bytes)) = e.outputs {
            tx.execute(
                "INSERT OR IGNORE INTO artifacts (tree, files, bytes, created) VALUES (?1, ?2, ?3, ?4)",
                params![tree, files as i64, bytes as i64, now()],
            )?;
        }
        tx.commit()?;
        Ok(id)
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
            // `damaged` rows succeeded once; verify invalidated them later.
            if ok_only { "AND status IN ('ok', 'damaged')" } else { "" }
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([pipeline, instance], execution_row)
            .optional()?)
    }

    /// The newest successful execution for `key`.
    pub fn execution_for_key(&self, key: &str) -> anyhow::Result<Option<Execution>> {
        let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE key = ?1 AND status = 'ok' ORDER BY id DESC LIMIT 1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([key], execution_row)
            .optional()?)
    }

    /// The newest successful execution whose output tree hash or cache key
    /// starts with `prefix` (hex).
    pub fn execution_by_hash_prefix(&self, prefix: &str) -> anyhow::Result<Option<Execution>> {
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

    /// Mark every cache entry producing `tree` as damaged, so the next run redoes it.
    pub fn mark_damaged(&self, tree: &str, why: &str) -> anyhow::Result<usize> {
        Ok(self.conn.execute(
            "UPDATE executions SET status = 'damaged', error = ?2 WHERE outputs = ?1 AND status = 'ok'",
            params![tree, why],
        )?)
    }

    pub fn record_verification(
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
