//! `seqlab verify`: re-hash every stored object (and check each recorded
//! output tree is complete); `--rerun INSTANCE` executes an instance again in
//! a scratch directory and compares the bits with the cached outputs.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

use serde::Serialize;

use crate::cache::damage::{invalidate, quarantine};
use crate::cache::Cache;
use crate::exec::instance::{rerun_detached, Job};
use crate::exec::resolve::Resolver;
use crate::exec::{run_plan, RunOptions};
use crate::kind::{closest, Settings};
use crate::plan::Plan;

#[derive(Debug, Default, Serialize)]
pub(crate) struct VerifyReport {
    pub objects_checked: usize,
    /// Objects whose content no longer matches their name (moved to quarantine/).
    pub damaged: Vec<String>,
    /// Recorded output trees missing a file or their manifest.
    pub incomplete_trees: Vec<String>,
    /// Cache entries marked damaged (they will be re-executed by the next
    /// run): those whose outputs are incomplete, and those built on them.
    pub entries_invalidated: usize,
    /// Damage SQLite's integrity check found in the index, and how it was
    /// repaired (rebuilt from the result records, the damaged file kept).
    pub index_repairs: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.damaged.is_empty() && self.incomplete_trees.is_empty() && self.index_repairs.is_empty()
    }
}

/// Check every object. Damaged objects are moved to `quarantine/`; the
/// cache entries whose outputs used them, and every entry built on those
/// (transitively), are marked damaged, so the next run redoes exactly that
/// work.
pub(crate) fn verify_store(cache: &Cache) -> anyhow::Result<VerifyReport> {
    let mut report = VerifyReport {
        index_repairs: crate::cache::heal::verify(cache)?,
        ..VerifyReport::default()
    };
    let all = cache.store.all()?;
    report.objects_checked = all.len();
    let mut bad: BTreeSet<String> = BTreeSet::new();
    for hash in &all {
        if !cache.store.check(hash)? {
            quarantine(cache, hash)?;
            bad.insert(hash.clone());
        }
    }
    report.damaged = bad.iter().cloned().collect();
    let index = cache.index()?;
    let inv = invalidate(
        cache,
        &index,
        &bad,
        "verify found damaged or missing objects",
    )?;
    report.incomplete_trees = inv.broken_trees;
    report.entries_invalidated = inv.entries;
    Ok(report)
}

pub(crate) fn render_store(r: &VerifyReport) -> String {
    let mut out = String::new();
    for repair in &r.index_repairs {
        let _ = writeln!(out, "INDEX {repair}");
    }
    for h in &r.damaged {
        let _ = writeln!(out, "DAMAGED object {h} (moved to quarantine/)");
    }
    for t in &r.incomplete_trees {
        let _ = writeln!(out, "INCOMPLETE output tree {t}");
    }
    let _ = writeln!(
        out,
        "{} objects checked: {} damaged, {} output trees incomplete, {} cache entries invalidated",
        r.objects_checked,
        r.damaged.len(),
        r.incomplete_trees.len(),
        r.entries_invalidated
    );
    if !r.ok() {
        out.push_str("the next `seqlab run` re-executes the invalidated instances\n");
    }
    out
}

#[derive(Debug, Serialize)]
pub struct RerunReport {
    pub instance: String,
    pub key: String,
    pub expected: String,
    pub actual: String,
    pub identical: bool,
    /// Files whose content differs, or exists on one side only.
    pub differing: Vec<String>,
}

/// Re-execute `instance` of `plan` and compare with its cached outputs.
pub fn rerun(
    cache: &Cache,
    plan: &Plan,
    instance: &str,
    settings: &Settings,
) -> anyhow::Result<RerunReport> {
    let i = plan.find(instance).ok_or_else(|| {
        let names: Vec<&str> = plan.instances.iter().map(|i| i.name.as_str()).collect();
        let hint = closest(instance, names.iter().copied())
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        anyhow::anyhow!(
            "no instance `{instance}` in pipeline {}{hint}",
            plan.pipeline
        )
    })?;
    let opts = RunOptions {
        dry_run: true,
        jobs: 1,
        settings: settings.clone(),
        ..RunOptions::default()
    };
    let status = run_plan(cache, plan, &opts)?;
    let trees: Vec<Option<String>> = status
        .outcomes
        .iter()
        .map(|o| o.tree().map(str::to_string))
        .collect();
    let expected = trees[i]
        .clone()
        .ok_or_else(|| anyhow::anyhow!("`{instance}` is not cached: run the pipeline first"))?;
    let index = cache.index()?;
    let components = Resolver::new(plan, settings)
        .components(&index, i, &trees)?
        .expect("inputs are cached");
    let key = components.key();
    let execution = index.execution_for_key(&key)?.ok_or_else(|| {
        anyhow::anyhow!("`{instance}` has no recorded execution: run the pipeline first")
    })?;
    let input_trees = plan.instances[i]
        .upstream()
        .map(|u| (u, trees[u].clone().unwrap_or_default()))
        .collect();
    let job = Job {
        index: i,
        key: key.clone(),
        components,
        input_trees,
        input_keys: Vec::new(),
        upstream: if plan.instances[i].kind.wants_provenance() {
            crate::exec::schedule::provenance(&index, plan, i, &trees)
        } else {
            Vec::new()
        },
    };
    let fresh = rerun_detached(cache, plan, &job, settings)?;
    let actual = fresh.tree_hash();
    let old = cache.store.manifest(&expected)?;
    let old_files: HashMap<&str, &str> = old
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.hash.as_str()))
        .collect();
    let new_files: HashMap<&str, &str> = fresh
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.hash.as_str()))
        .collect();
    let mut differing: Vec<String> = old_files
        .keys()
        .chain(new_files.keys())
        .filter(|p| old_files.get(*p) != new_files.get(*p))
        .map(|p| p.to_string())
        .collect();
    differing.sort();
    differing.dedup();
    let identical = actual == expected;
    index.record_verification(&execution, identical, Some(&actual), &differing.join(", "))?;
    Ok(RerunReport {
        instance: instance.to_string(),
        key,
        expected,
        actual,
        identical,
        differing,
    })
}

pub(crate) fn render_rerun(r: &RerunReport) -> String {
    if r.identical {
        format!(
            "{}: re-execution is bit-identical (outputs {})\n",
            r.instance,
            &r.expected[..16]
        )
    } else {
        format!(
            "{}: re-execution DIFFERS from the cached outputs\n  cached {}\n  now    {}\n  files: {}\n",
            r.instance,
            r.expected,
            r.actual,
            r.differing.join(", ")
        )
    }
}
