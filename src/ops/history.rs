//! `seqlab log` and `seqlab show`: history and provenance from the index.

use std::fmt::Write;

use serde::Serialize;
use serde_json::Value;

use crate::cache::index::Execution;
use crate::cache::Cache;

/// Executions of an instance (or of all instances), newest first.
pub fn log(cache: &Cache, instance: Option<&str>, limit: usize) -> anyhow::Result<Vec<Execution>> {
    cache.index()?.history(instance, None, limit)
}

pub(crate) fn render_log(rows: &[Execution]) -> String {
    let mut out = String::new();
    for e in rows {
        let _ = writeln!(
            out,
            "#{:<5} {:<7} {:>8.2}s  {}  key {}  {}{}",
            e.id,
            e.status,
            e.duration,
            e.instance,
            &e.key[..12],
            e.outputs
                .as_deref()
                .map(|t| format!("→ {}", &t[..12]))
                .unwrap_or_default(),
            e.error
                .as_deref()
                .map(|m| format!("  ({})", m.lines().next().unwrap_or("")))
                .unwrap_or_default()
        );
    }
    if rows.is_empty() {
        out.push_str("no executions recorded\n");
    }
    out
}

/// The provenance of one instance's or artifact's latest successful execution.
#[derive(Debug, Serialize)]
pub struct Provenance {
    pub instance: String,
    pub key: String,
    pub kind: String,
    pub kind_version: i64,
    pub params: Value,
    pub inputs: Value,
    pub components: Value,
    pub outputs: Option<String>,
    pub files: Vec<OutputFile>,
    /// From a `metrics.json` (flat name → number) among the outputs.
    pub metrics: Option<Value>,
    pub started: f64,
    pub duration: f64,
    pub host: String,
    pub seqlab_version: String,
}

#[derive(Debug, Serialize)]
pub struct OutputFile {
    pub path: String,
    pub size: u64,
    pub hash: String,
    /// Where the content lies in the cache.
    pub object: String,
}

/// Find by instance name, or by a (prefix of a) tree hash or cache key.
pub fn show(cache: &Cache, what: &str) -> anyhow::Result<Provenance> {
    let index = cache.index()?;
    let mut found = index
        .history(Some(what), None, 50)?
        .into_iter()
        .find(|e| e.status == "ok");
    if found.is_none() && what.len() >= 6 && what.chars().all(|c| c.is_ascii_hexdigit()) {
        found = index.execution_by_hash_prefix(what)?;
    }
    let e = found.ok_or_else(|| {
        anyhow::anyhow!("no successful execution of `{what}` is recorded; `seqlab status PIPELINE` lists instance names")
    })?;
    let mut files = Vec::new();
    let mut metrics = None;
    if let Some(tree) = &e.outputs {
        let manifest = cache.store.manifest(tree)?;
        for f in &manifest.files {
            if f.path == "metrics.json" {
                metrics = serde_json::from_slice(&cache.store.read(&f.hash)?).ok();
            }
            files.push(OutputFile {
                path: f.path.clone(),
                size: f.size,
                hash: f.hash.clone(),
                object: cache.store.object_path(&f.hash).display().to_string(),
            });
        }
    }
    Ok(Provenance {
        instance: e.instance,
        key: e.key,
        kind: e.kind,
        kind_version: e.kind_version,
        params: e.params,
        inputs: e.inputs,
        components: e.components,
        outputs: e.outputs,
        files,
        metrics,
        started: e.started,
        duration: e.duration,
        host: e.host,
        seqlab_version: e.seqlab_version,
    })
}

pub(crate) fn render_show(p: &Provenance) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "instance  {}", p.instance);
    let _ = writeln!(out, "kind      {} v{}", p.kind, p.kind_version);
    let _ = writeln!(out, "key       {}", p.key);
    let _ = writeln!(out, "outputs   {}", p.outputs.as_deref().unwrap_or("-"));
    let _ = writeln!(
        out,
        "ran       {:.2}s on {} (seqlab {})",
        p.duration, p.host, p.seqlab_version
    );
    let _ = writeln!(out, "params    {}", p.params);
    let _ = writeln!(out, "inputs    {}", p.inputs);
    for f in &p.files {
        let _ = writeln!(out, "  {:<30} {:>10} B  {}", f.path, f.size, f.object);
    }
    if let Some(m) = &p.metrics {
        let _ = writeln!(out, "metrics   {m}");
    }
    out
}
