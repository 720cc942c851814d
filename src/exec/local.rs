//! The local scheduler: instances run on a pool of `--jobs` threads as soon
//! as their inputs are known; a failure skips its descendants while
//! independent branches go on.

use std::collections::VecDeque;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use petgraph::graph::NodeIndex;

use super::instance::{execute, Job};
use super::progress::RunBars;
use super::resolve::Resolver;
use super::{Outcome, RunReport};
use crate::cache::Cache;
use crate::kind::Settings;
use crate::plan::Plan;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub jobs: usize,
    pub dry_run: bool,
    pub settings: Settings,
    /// Draw progress bars (on a terminal, unless `-q`).
    pub progress: bool,
    /// The `runs` row this run belongs to.
    pub run_id: Option<i64>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            jobs: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            dry_run: false,
            settings: Settings::default(),
            progress: false,
            run_id: None,
        }
    }
}

type Finished = (usize, anyhow::Result<super::instance::Done>);

/// Run (or with `dry_run`, only decide) every instance of `plan`.
pub fn run_plan(cache: &Cache, plan: &Plan, opts: &RunOptions) -> anyhow::Result<RunReport> {
    let start = Instant::now();
    let n = plan.instances.len();
    let index = cache.index()?;
    let mut resolver = Resolver::new(plan, &opts.settings);
    let mut outcomes: Vec<Option<Outcome>> = vec![None; n];
    let mut trees: Vec<Option<String>> = vec![None; n];
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
    let bars = RunBars::new(n, opts.progress);
    let mut running = 0usize;
    // Exclusive instances (measurements) run alone: once one is waiting, no
    // new job starts until it could start, and none starts beside it.
    let mut held: VecDeque<usize> = VecDeque::new();
    let mut exclusive_running: Option<usize> = None;

    std::thread::scope(|scope| -> anyhow::Result<()> {
        // Both channels live inside the scope: an early return drops the job
        // sender, so idle workers see the channel close and the scope ends.
        let (job_tx, job_rx) = mpsc::channel::<Job>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (done_tx, done_rx) = mpsc::channel::<Finished>();
        for _ in 0..opts.jobs.max(1) {
            let (job_rx, done_tx, bars, settings) =
                (job_rx.clone(), done_tx.clone(), &bars, &opts.settings);
            scope.spawn(move || loop {
                let job = match job_rx.lock().map(|rx| rx.recv()) {
                    Ok(Ok(job)) => job,
                    _ => return,
                };
                let bar = bars.instance(&plan.instances[job.index].name);
                let result = execute(cache, plan, &job, settings, opts.run_id, &bar);
                drop(bar);
                if done_tx.send((job.index, result)).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);

        loop {
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
                        .components(&index, i, &trees)?
                        .expect("inputs are resolved");
                    let key = components.key();
                    match index.lookup(&key)? {
                        Some(tree) if cache.store.contains(&tree) => Some(Outcome::Cached { tree }),
                        _ if opts.dry_run => Some(Outcome::WouldRun {
                            reason: why_run(&index, plan, i, &components)?,
                        }),
                        _ if exclusive_running.is_some()
                            || (running > 0
                                && (inst.kind.exclusive()
                                    || held
                                        .iter()
                                        .any(|&h| plan.instances[h].kind.exclusive()))) =>
                        {
                            held.push_back(i);
                            None
                        }
                        _ => {
                            if inst.kind.exclusive() {
                                exclusive_running = Some(i);
                            }
                            let input_trees = inst
                                .upstream()
                                .map(|u| (u, trees[u].clone().unwrap_or_default()))
                                .collect();
                            job_tx.send(Job {
                                index: i,
                                key,
                                components,
                                input_trees,
                            })?;
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
                        &bars,
                    );
                }
            }
            if running == 0 {
                break;
            }
            let (i, result) = done_rx.recv()?;
            running -= 1;
            if exclusive_running == Some(i) {
                exclusive_running = None;
            }
            ready.extend(held.drain(..));
            let name = &plan.instances[i].name;
            let outcome = match result {
                Ok(done) if done.reused => Outcome::Cached { tree: done.tree },
                Ok(done) => {
                    tracing::info!("ran {name} in {:.2}s", done.seconds);
                    Outcome::Executed {
                        tree: done.tree,
                        seconds: done.seconds,
                    }
                }
                Err(e) => {
                    let error = format!("{e:#}");
                    bars.println(&format!("error: {name} failed: {error}"));
                    Outcome::Failed { error }
                }
            };
            settle(
                plan,
                i,
                outcome,
                &mut outcomes,
                &mut trees,
                &mut waiting,
                &mut ready,
                &bars,
            );
        }
        drop(job_tx);
        Ok(())
    })?;
    bars.finish();
    Ok(RunReport {
        outcomes: outcomes
            .into_iter()
            .map(|o| o.expect("every instance settled"))
            .collect(),
        seconds: start.elapsed().as_secs_f64(),
    })
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
    index: &crate::cache::index::Index,
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
    Ok(if changes.is_empty() {
        "cached outputs are missing or damaged".into()
    } else {
        changes.join("; ")
    })
}
