//! The scheduler: walks the plan in dependency order, reuses what is cached,
//! hands ready instances to an executor, and skips the descendants of a
//! failure while independent branches go on. It is the only writer of the
//! index: the executors' workers write result records, and the scheduler
//! ingests them.

use std::collections::VecDeque;
use std::time::Instant;

use petgraph::graph::NodeIndex;

use super::instance::{existing_result, Done, Failure, Job};
use super::local::LocalExecutor;
use super::progress::RunBars;
use super::resolve::Resolver;
use super::slurm::{SlurmExecutor, SlurmOptions};
use super::{Executor, Outcome, RunReport};
use crate::cache::index::Index;
use crate::cache::Cache;
use crate::kind::{Settings, Upstream};
use crate::plan::Plan;
use crate::spec::ExecutorKind;

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Instances that may run at once on this machine (local executor).
    pub jobs: usize,
    /// Threads per instance when its stage does not say (`resources:
    /// threads`); default: the machine's cores shared among `jobs`.
    pub threads: Option<usize>,
    pub dry_run: bool,
    pub settings: Settings,
    /// Draw progress bars (on a terminal, unless `-q`).
    pub progress: bool,
    /// The `runs` row this run belongs to.
    pub run_id: Option<i64>,
    /// The executor asked for on the command line; else the pipeline's
    /// `executor:`, else local.
    pub executor: Option<ExecutorKind>,
    pub slurm: SlurmOptions,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            jobs: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            threads: None,
            dry_run: false,
            settings: Settings::default(),
            progress: false,
            run_id: None,
            executor: None,
            slurm: SlurmOptions::default(),
        }
    }
}

impl RunOptions {
    /// The executor this run uses for `plan`.
    pub(crate) fn executor_for(&self, plan: &Plan) -> ExecutorKind {
        self.executor.or(plan.executor).unwrap_or_default()
    }
}

/// Run (or with `dry_run`, only decide) every instance of `plan`.
pub fn run_plan(cache: &Cache, plan: &Plan, opts: &RunOptions) -> anyhow::Result<RunReport> {
    let start = Instant::now();
    let index = cache.index()?;
    let bars = RunBars::new(plan.instances.len(), opts.progress);
    let mut notes = Vec::new();
    let (outcomes, keys) = if opts.dry_run {
        drive(cache, plan, opts, &index, &bars, None)?
    } else {
        match opts.executor_for(plan) {
            ExecutorKind::Local => std::thread::scope(|scope| {
                let mut ex = LocalExecutor::new(scope, cache, plan, opts, &bars);
                drive(cache, plan, opts, &index, &bars, Some(&mut ex))
            })?,
            ExecutorKind::Slurm => {
                let mut ex = SlurmExecutor::new(cache, plan, opts, &bars)?;
                let result = drive(cache, plan, opts, &index, &bars, Some(&mut ex));
                notes = ex.finish(result.is_ok());
                result?
            }
        }
    };
    bars.finish();
    Ok(RunReport {
        outcomes,
        seconds: start.elapsed().as_secs_f64(),
        notes,
        keys,
    })
}

/// The cached result of `key`: the index's, while its result record still
/// exists (records are the truth: `verify` moves the record of a damaged
/// result aside, whichever index knew it); else a record the index has not
/// seen (another controller, with another index, produced it), which is
/// then ingested.
fn cached(cache: &Cache, index: &Index, key: &str) -> anyhow::Result<Option<String>> {
    if let Some(tree) = index.lookup(key)? {
        if cache.store.contains(&tree) && cache.records.exists(key) {
            return Ok(Some(tree));
        }
    }
    match existing_result(cache, key) {
        Some(record) => {
            index.ingest(&record, None)?;
            Ok(record.tree().map(str::to_string))
        }
        None => Ok(None),
    }
}

/// Provenance of every input of instance `i`: the execution that produced
/// its tree (for kinds that show it).
pub fn provenance(index: &Index, plan: &Plan, i: usize, trees: &[Option<String>]) -> Vec<Upstream> {
    plan.instances[i]
        .upstream()
        .map(|u| {
            let up = &plan.instances[u];
            let tree = trees[u].clone().unwrap_or_default();
            let exec = index.execution_by_hash_prefix(&tree).ok().flatten();
            Upstream {
                instance: up.name.clone(),
                stage: up.stage.clone(),
                kind: up.kind.name().to_string(),
                tree,
                key: exec.as_ref().map(|e| e.key.clone()),
                params: up.params.clone(),
                seconds: exec.map(|e| e.duration),
            }
        })
        .collect()
}

/// The scheduling loop (see the module docs); `executor` is `None` for a
/// dry run, which starts nothing.
fn drive(
    cache: &Cache,
    plan: &Plan,
    opts: &RunOptions,
    index: &Index,
    bars: &RunBars,
    mut executor: Option<&mut dyn Executor>,
) -> anyhow::Result<(Vec<Outcome>, Vec<Option<String>>)> {
    let n = plan.instances.len();
    let mut resolver = Resolver::new(plan, &opts.settings);
    let mut outcomes: Vec<Option<Outcome>> = vec![None; n];
    let mut trees: Vec<Option<String>> = vec![None; n];
    let mut keys: Vec<Option<String>> = vec![None; n];
    let mut waiting: Vec<usize> = plan
        .instances
        .iter()
        .map(|i| {
            let mut ups: Vec<usize> = i.upstream().collect();
            ups.sort_unstable();
            ups.dedup();
            ups.len()
        })
        .collect();
    let mut ready: VecDeque<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut running = 0usize;
    // Exclusive instances (measurements) run alone: once one is waiting, no
    // new job starts until it could start, and none starts beside it.
    let mut held: VecDeque<usize> = VecDeque::new();
    let mut exclusive_running: Option<usize> = None;

    loop {
        let mut batch: Vec<Job> = Vec::new();
        while let Some(i) = ready.pop_front() {
            let inst = &plan.instances[i];
            let outcome = if let Some(bad) = inst
                .upstream()
                .find(|&u| outcomes[u].as_ref().is_some_and(|o| o.tree().is_none()))
            {
                match &outcomes[bad] {
                    Some(Outcome::WouldRun { .. }) => {
                        let ran_before = index
                            .last_of_instance(&plan.pipeline, &inst.name, true)?
                            .is_some();
                        let reason = if ran_before {
                            format!("input {} will run", plan.instances[bad].name)
                        } else {
                            "never run".to_string()
                        };
                        Some(Outcome::WouldRun { reason })
                    }
                    _ => Some(Outcome::Skipped {
                        because: format!("{} did not complete", plan.instances[bad].name),
                    }),
                }
            } else {
                let components = resolver
                    .components(index, i, &trees)?
                    .expect("inputs are resolved");
                let key = components.key();
                keys[i] = Some(key.clone());
                match cached(cache, index, &key)? {
                    Some(tree) => Some(Outcome::Cached { tree }),
                    None if executor.is_none() => Some(Outcome::WouldRun {
                        reason: why_run(index, plan, i, &components)?,
                    }),
                    None if exclusive_running.is_some()
                        || (running > 0
                            && (inst.kind.exclusive()
                                || held.iter().any(|&h| plan.instances[h].kind.exclusive()))) =>
                    {
                        held.push_back(i);
                        None
                    }
                    None => {
                        if inst.kind.exclusive() {
                            exclusive_running = Some(i);
                        }
                        let ups: Vec<usize> = inst.upstream().collect();
                        batch.push(Job {
                            index: i,
                            key,
                            components,
                            input_trees: ups
                                .iter()
                                .map(|&u| (u, trees[u].clone().unwrap_or_default()))
                                .collect(),
                            input_keys: ups
                                .iter()
                                .map(|&u| keys[u].clone().unwrap_or_default())
                                .collect(),
                            upstream: if inst.kind.wants_provenance() {
                                provenance(index, plan, i, &trees)
                            } else {
                                Vec::new()
                            },
                        });
                        running += 1;
                        None
                    }
                }
            };
            if let Some(o) = outcome {
                settle(
                    plan,
                    i,
                    o,
                    &mut outcomes,
                    &mut trees,
                    &mut waiting,
                    &mut ready,
                    bars,
                );
            }
        }
        let Some(ex) = executor.as_deref_mut() else {
            break;
        };
        if !batch.is_empty() {
            ex.start(batch)?;
        }
        if running == 0 {
            break;
        }
        for (i, result) in ex.next()? {
            running -= 1;
            if exclusive_running == Some(i) {
                exclusive_running = None;
            }
            ready.extend(held.drain(..));
            let outcome = ended(index, plan, i, result, opts.run_id, bars);
            if matches!(outcome, Outcome::Failed { .. }) {
                invalidate_lost_inputs(cache, index, plan, i, &keys)?;
            }
            settle(
                plan,
                i,
                outcome,
                &mut outcomes,
                &mut trees,
                &mut waiting,
                &mut ready,
                bars,
            );
        }
    }
    let outcomes = outcomes
        .into_iter()
        .map(|o| o.expect("every instance settled"))
        .collect();
    Ok((outcomes, keys))
}

/// Ingest how instance `i` ended and turn it into its outcome. A result
/// the index cannot take is still stored (its record): the next run finds it.
fn ended(
    index: &Index,
    plan: &Plan,
    i: usize,
    result: Result<Done, Failure>,
    run_id: Option<i64>,
    bars: &RunBars,
) -> Outcome {
    let name = &plan.instances[i].name;
    match result {
        Ok(done) => {
            if let Err(e) = index.ingest(&done.record, run_id) {
                tracing::warn!("{name}: its result is stored, but the index could not record it ({e:#}); the next run reads it from its result record");
            }
            if done.reused {
                Outcome::Cached { tree: done.tree }
            } else {
                tracing::info!("ran {name} in {:.2}s", done.seconds);
                Outcome::Executed {
                    tree: done.tree,
                    seconds: done.seconds,
                }
            }
        }
        Err(f) => {
            if let Some(record) = &f.record {
                if let Err(e) = index.ingest(record, run_id) {
                    tracing::warn!("{name}: could not record the failure in the index: {e:#}");
                }
            }
            bars.println(&format!("error: {name} failed: {}", f.error));
            Outcome::Failed { error: f.error }
        }
    }
}

/// The inputs of failed instance `i` whose result records went while it ran
/// (a worker found the stage had changed their objects, and moved their
/// records aside; it writes no index): invalidate their index entries and
/// everything built on them, as `verify` would.
fn invalidate_lost_inputs(
    cache: &Cache,
    index: &Index,
    plan: &Plan,
    i: usize,
    keys: &[Option<String>],
) -> anyhow::Result<()> {
    let lost: std::collections::BTreeSet<String> = plan.instances[i]
        .upstream()
        .filter_map(|u| keys[u].clone())
        .filter(|k| !cache.records.exists(k))
        .collect();
    if !lost.is_empty() {
        crate::cache::damage::invalidate_keys(
            cache,
            index,
            &lost,
            "a stage reading its outputs changed them",
        )?;
    }
    Ok(())
}

/// Record `outcome` for `i` and release the instances waiting on it.
#[allow(clippy::too_many_arguments)]
fn settle(
    plan: &Plan,
    i: usize,
    outcome: Outcome,
    outcomes: &mut [Option<Outcome>],
    trees: &mut [Option<String>],
    waiting: &mut [usize],
    ready: &mut VecDeque<usize>,
    bars: &RunBars,
) {
    trees[i] = outcome.tree().map(str::to_string);
    outcomes[i] = Some(outcome);
    bars.overall.inc(1);
    let mut children: Vec<usize> = plan
        .graph
        .neighbors(NodeIndex::new(i))
        .map(|n| n.index())
        .collect();
    children.sort_unstable();
    children.dedup();
    for c in children {
        waiting[c] -= 1;
        if waiting[c] == 0 {
            ready.push_back(c);
        }
    }
}

/// Why an instance is not cached: the key components that changed since its
/// last successful execution, or that it never ran.
pub fn why_run(
    index: &Index,
    plan: &Plan,
    i: usize,
    now: &crate::cache::key::KeyComponents,
) -> anyhow::Result<String> {
    let inst = &plan.instances[i];
    let Some(last) = index.last_of_instance(&plan.pipeline, &inst.name, true)? else {
        return Ok("never run".into());
    };
    let Ok(old) = serde_json::from_value::<crate::cache::key::KeyComponents>(last.components)
    else {
        return Ok("last execution has an older key format".into());
    };
    let changes = now.diff(&old);
    Ok(if changes.is_empty() && last.status == "collected" {
        "its outputs were removed by `seqlab gc`".into()
    } else if changes.is_empty() {
        "cached outputs are missing or damaged".into()
    } else {
        changes.join("; ")
    })
}
