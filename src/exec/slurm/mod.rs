//! The Slurm executor: each ready instance becomes a Slurm job running
//! `seqlab worker`, or a task of one job array when several instances of a
//! stage (with the same resources) are ready together.
//!
//! - Every job of a run is named `seqlab-<run id>` (64 random bits) and
//!   carries `seqlab:<submission>[:<key>]` as its comment: the submission
//!   names its job files under `jobs/slurm/<submission>/`, and a lone job's
//!   comment adds its cache key; `--no-requeue`.
//! - Completion is the result record (or a failure record) appearing in the
//!   cache. The queue is asked only to find jobs that died without one: one
//!   `squeue --name=…` per poll, the interval rising from `poll_min` to
//!   `poll_max` while nothing changes. A job gone from the queue without a
//!   record is given `grace` for shared-filesystem lag, then reported by its
//!   final state (TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, CANCELLED…) and, for
//!   those the scheduler caused, submitted again as the stage's `retries:`
//!   allow (twice the memory after OUT_OF_MEMORY, twice the time after
//!   TIMEOUT).
//! - Ctrl-C or SIGTERM cancels the run's jobs. A controller killed outright
//!   leaves its jobs running; the next run finds them (one `squeue` of this
//!   user's jobs, matched by comment) and waits for them instead of
//!   submitting them again.

mod commands;
mod jobinfo;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;

pub use commands::{Calls, Ending, JobState};
pub use jobinfo::{
    cpus_from_env, job_id_from_env, marker_path, queued_job_ids, read_marker, task_from_env, Marker,
};

use super::instance::{Done, Failure, Job};
use super::progress::RunBars;
use super::schedule::RunOptions;
use super::worker::{batch_task_file, worker_binary, JobFile};
use super::{Executor, Finished};
use crate::cache::index::now;
use crate::cache::Cache;
use crate::plan::Plan;
use crate::spec::resources::format_time;

/// Run-wide Slurm settings (stages override the resources with `resources:`).
#[derive(Debug, Clone)]
pub struct SlurmOptions {
    pub partition: Option<String>,
    pub time_s: Option<u64>,
    pub mem_mb: Option<u64>,
    /// Extra `sbatch` arguments for every job.
    pub sbatch: Vec<String>,
    /// Tasks per job array at most (below the cluster's `MaxArraySize`).
    pub array_max: usize,
    /// At most this many tasks of one array run at once (`--array=…%k`).
    pub array_throttle: Option<usize>,
    pub poll_min: Duration,
    pub poll_max: Duration,
    /// How long a job may be gone from the queue before its missing result
    /// record counts as a failure (shared file systems show files late).
    pub grace: Duration,
}

impl Default for SlurmOptions {
    fn default() -> Self {
        SlurmOptions {
            partition: None,
            time_s: None,
            mem_mb: None,
            sbatch: Vec::new(),
            array_max: 1000,
            array_throttle: None,
            poll_min: Duration::from_secs(2),
            poll_max: Duration::from_secs(60),
            grace: Duration::from_secs(60),
        }
    }
}

/// What one job asks Slurm for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Ask {
    stage: String,
    cpus: usize,
    mem_mb: Option<u64>,
    time_s: Option<u64>,
    gpus: Option<u32>,
    partition: Option<String>,
    extra: Vec<String>,
    exclusive: bool,
}

impl Ask {
    fn args(&self) -> Vec<String> {
        let mut a = vec![format!("--cpus-per-task={}", self.cpus)];
        if let Some(m) = self.mem_mb {
            a.push(format!("--mem={m}M"));
        }
        if let Some(t) = self.time_s {
            a.push(format!("--time={}", format_time(t)));
        }
        if let Some(g) = self.gpus {
            a.push(format!("--gpus={g}"));
        }
        if let Some(p) = &self.partition {
            a.push(format!("--partition={p}"));
        }
        if self.exclusive {
            a.push("--exclusive".into());
        }
        a.extend(self.extra.iter().cloned());
        a
    }
}

/// A submitted instance.
struct Active {
    job: Job,
    /// `123`, or `123_4` for an array task.
    job_id: String,
    attempts: u32,
    ask: Ask,
    /// The last state the queue reported while it was there.
    state: Option<JobState>,
    /// Since when it is gone from the queue (or ended), with its last state.
    gone: Option<(Instant, Option<String>)>,
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

pub(crate) struct SlurmExecutor<'a> {
    cache: &'a Cache,
    plan: &'a Plan,
    opts: &'a RunOptions,
    bars: &'a RunBars,
    bin: PathBuf,
    run: String,
    /// Job names polled: this run's, and those of adopted jobs.
    names: BTreeSet<String>,
    active: HashMap<usize, Active>,
    /// Jobs of earlier controllers still queued, by key: (job id, name).
    adoptable: Option<HashMap<String, (String, String)>>,
    submissions: Vec<PathBuf>,
    calls: Calls,
    polls: usize,
    adopted: usize,
    retried: usize,
    last_poll: Option<Instant>,
    interval: Duration,
    old_handlers: Vec<(libc::c_int, libc::sighandler_t)>,
}

impl<'a> SlurmExecutor<'a> {
    pub fn new(
        cache: &'a Cache,
        plan: &'a Plan,
        opts: &'a RunOptions,
        bars: &'a RunBars,
    ) -> anyhow::Result<SlurmExecutor<'a>> {
        let bin = worker_binary().context(
            "the Slurm executor starts `seqlab worker` on the nodes: set SEQLAB_WORKER_BIN to the seqlab binary",
        )?;
        let run = format!("{:016x}", rand::random::<u64>());
        INTERRUPTED.store(false, Ordering::SeqCst);
        let old_handlers = [libc::SIGINT, libc::SIGTERM]
            .into_iter()
            .map(|sig| {
                let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                (sig, unsafe { libc::signal(sig, handler) })
            })
            .collect();
        let name = format!("seqlab-{run}");
        Ok(SlurmExecutor {
            cache,
            plan,
            opts,
            bars,
            bin,
            names: [name].into(),
            run,
            active: HashMap::new(),
            adoptable: None,
            submissions: Vec::new(),
            calls: Calls::default(),
            polls: 0,
            adopted: 0,
            retried: 0,
            last_poll: None,
            interval: opts.slurm.poll_min,
            old_handlers,
        })
    }

    fn name(&self) -> String {
        format!("seqlab-{}", self.run)
    }

    /// Restore the signal handlers, tidy the run's job files, and describe
    /// the calls made (for the summary).
    pub fn finish(&mut self, ok: bool) -> Vec<String> {
        // Interrupted while submitting (Ctrl-C reaches `sbatch` too): the jobs
        // already in the queue go as well.
        if INTERRUPTED.load(Ordering::SeqCst) && !self.active.is_empty() {
            self.cancel_all();
        }
        for (sig, h) in self.old_handlers.drain(..) {
            unsafe { libc::signal(sig, h) };
        }
        if ok {
            for dir in &self.submissions {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
        let c = self.calls;
        vec![format!(
            "slurm: {} sbatch calls, {} polls, {} squeue calls, {} scancel calls; {} jobs adopted from an earlier run, {} retried",
            c.sbatch, self.polls, c.squeue, c.scancel, self.adopted, self.retried
        )]
    }

    fn ask_for(&self, job: &Job) -> Ask {
        let inst = &self.plan.instances[job.index];
        let r = &inst.resources;
        let s = &self.opts.slurm;
        let mut extra = s.sbatch.clone();
        extra.extend(r.sbatch.iter().cloned());
        Ask {
            stage: inst.stage.clone(),
            cpus: r.threads.or(self.opts.threads).unwrap_or(1),
            mem_mb: r.mem_mb.or(s.mem_mb),
            time_s: r.time_s.or(s.time_s),
            gpus: r.gpus,
            partition: r.partition.clone().or_else(|| s.partition.clone()),
            extra,
            exclusive: inst.kind.exclusive(),
        }
    }

    /// Jobs of this user queued by an earlier controller of this cache, by
    /// key (one `squeue`, at the first submission of the run).
    fn adoptable(&mut self) -> anyhow::Result<&mut HashMap<String, (String, String)>> {
        if self.adoptable.is_none() {
            let mut found = HashMap::new();
            for q in commands::squeue_mine(&mut self.calls)? {
                let Some(sub) = q
                    .comment
                    .strip_prefix("seqlab:")
                    .and_then(|c| c.split(':').next())
                else {
                    continue;
                };
                if sub.contains('/') || sub.contains("..") {
                    continue;
                }
                let task =
                    q.id.split_once('_')
                        .map(|(_, t)| t.parse::<usize>().ok())
                        .unwrap_or(Some(0));
                let dir = self.cache.jobs_dir().join("slurm").join(sub);
                let Some(task) = task else { continue };
                if let Ok(job) = JobFile::read(&batch_task_file(&dir, task)) {
                    found.insert(job.key, (q.id, q.name));
                }
            }
            self.adoptable = Some(found);
        }
        Ok(self.adoptable.as_mut().expect("filled"))
    }

    /// Submit `jobs` (one stage, one ask) as one job or one array.
    fn submit(&mut self, jobs: Vec<Job>, ask: &Ask, attempts: u32) -> anyhow::Result<()> {
        let sub = format!("{}-{}", self.run, self.submissions.len());
        let dir = self.cache.jobs_dir().join("slurm").join(&sub);
        for (t, job) in jobs.iter().enumerate() {
            JobFile::new(self.plan, job, &self.opts.settings)
                .write_to(&batch_task_file(&dir, t))?;
        }
        self.submissions.push(dir.clone());
        let logs = self.cache.jobs_dir().join("logs").join(&self.run);
        std::fs::create_dir_all(&logs)?;
        let cwd = std::env::current_dir()?;
        // The comment names the submission (whose job files give each task's
        // key) and, for a lone job, its key.
        let comment = match jobs.as_slice() {
            [one] => format!("seqlab:{sub}:{}", one.key),
            _ => format!("seqlab:{sub}"),
        };
        let mut args = vec![
            format!("--job-name={}", self.name()),
            format!("--comment={comment}"),
            "--no-requeue".to_string(),
            format!("--chdir={}", cwd.display()),
        ];
        let n = jobs.len();
        if n > 1 {
            args.push(format!("--output={}/%A_%a.out", logs.display()));
            let throttle = self
                .opts
                .slurm
                .array_throttle
                .map(|k| format!("%{k}"))
                .unwrap_or_default();
            args.push(format!("--array=0-{}{throttle}", n - 1));
        } else {
            args.push(format!("--output={}/%j.out", logs.display()));
        }
        args.extend(ask.args());
        let script = format!(
            "exec {} --cache {} -q worker --batch {} --threads {}",
            commands::shell_quote(&self.bin.to_string_lossy()),
            commands::shell_quote(&self.cache.root.to_string_lossy()),
            commands::shell_quote(&dir.to_string_lossy()),
            ask.cpus
        );
        let id = commands::sbatch(&mut self.calls, &args, &script)?;
        for (t, job) in jobs.into_iter().enumerate() {
            let job_id = if n > 1 {
                format!("{id}_{t}")
            } else {
                id.clone()
            };
            self.track(job, job_id, self.name(), ask.clone(), attempts);
        }
        Ok(())
    }

    fn track(&mut self, job: Job, job_id: String, name: String, ask: Ask, attempts: u32) {
        let marker = Marker {
            job: job_id.clone(),
            name,
            submitted: now(),
        };
        let path = marker_path(self.cache, &job.key);
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ =
            crate::fsutil::write_replace(&path, &serde_json::to_vec(&marker).unwrap_or_default());
        self.active.insert(
            job.index,
            Active {
                job,
                job_id,
                attempts,
                ask,
                state: None,
                gone: None,
            },
        );
    }

    /// The result of active instance `i`, if its record (or its failure's)
    /// has appeared.
    fn result_of(&self, i: usize) -> Option<Result<Done, Failure>> {
        let a = &self.active[&i];
        if let Some(record) = self.cache.records.read(&a.job.key) {
            // Objects are stored before the record; on a lagging shared file
            // system they may show a moment later.
            if !record.tree().is_some_and(|t| self.cache.store.contains(t)) {
                return None;
            }
            let reused = record.job != format!("slurm {}", a.job_id);
            return Some(Ok(Done {
                tree: record.tree().unwrap_or_default().to_string(),
                reused,
                seconds: if reused { 0.0 } else { record.duration },
                record,
            }));
        }
        // A worker that fails writes its failure record and exits: look for
        // one only once the queue says the job ended (a stat less per poll).
        a.gone.as_ref()?;
        let failed = self
            .cache
            .records
            .read_failed(&a.job.key, &format!("slurm-{}", a.job_id))?;
        Some(Err(Failure {
            error: failed.error.clone().unwrap_or_default(),
            record: Some(Box::new(failed)),
        }))
    }

    /// One `squeue` for the run's jobs; notes which ended or left the queue.
    fn poll(&mut self) -> anyhow::Result<()> {
        let names: Vec<String> = self.names.iter().cloned().collect();
        let states = commands::squeue_names(&mut self.calls, &names)?;
        self.polls += 1;
        self.last_poll = Some(Instant::now());
        let mut changed = false;
        for a in self.active.values_mut() {
            match states.get(&a.job_id) {
                Some(s) if s.active() => {
                    changed |= a.state.as_ref() != Some(s);
                    a.state = Some(s.clone());
                    a.gone = None;
                }
                other => {
                    let state = other.map(|s| s.state.clone());
                    match &mut a.gone {
                        Some((_, last)) => {
                            if state.is_some() {
                                *last = state;
                            }
                        }
                        None => {
                            changed = true;
                            a.gone = Some((Instant::now(), state));
                        }
                    }
                }
            }
        }
        let s = &self.opts.slurm;
        self.interval = if changed {
            s.poll_min
        } else {
            self.interval.mul_f64(1.5).min(s.poll_max).max(s.poll_min)
        };
        Ok(())
    }

    fn log_path(&self, job_id: &str) -> PathBuf {
        self.cache
            .jobs_dir()
            .join("logs")
            .join(&self.run)
            .join(format!("{job_id}.out"))
    }

    /// Submit active instance `i` again after `ending`, with more memory or
    /// time where that was the cause.
    fn retry(&mut self, i: usize, ending: Ending) -> anyhow::Result<()> {
        let a = self.active.remove(&i).expect("active");
        let mut ask = a.ask.clone();
        match ending {
            Ending::OutOfMemory => ask.mem_mb = ask.mem_mb.map(|m| m * 2),
            Ending::Timeout => ask.time_s = ask.time_s.map(|t| t * 2),
            _ => {}
        }
        let name = &self.plan.instances[i].name;
        let text = format!(
            "{name} {} (slurm job {}); submitting it again (retry {} of {})",
            ending.describe(),
            a.job_id,
            a.attempts + 1,
            self.plan.instances[i].retries
        );
        tracing::warn!("{text}");
        self.bars.println(&format!("warning: {text}"));
        self.retried += 1;
        self.submit(vec![a.job], &ask, a.attempts + 1)
    }

    fn describe_failure(&self, i: usize, ending: Ending) -> String {
        let a = &self.active[&i];
        let mut text = format!("slurm job {} {}", a.job_id, ending.describe());
        if a.attempts > 0 {
            text.push_str(&format!(" after {} retries", a.attempts));
        }
        let log = self.log_path(&a.job_id);
        if let Some(tail) = commands::log_tail(&log, 5) {
            text.push_str(&format!("; the end of its log {}:\n{tail}", log.display()));
        }
        text
    }

    fn forget(&mut self, i: usize) {
        if let Some(a) = self.active.remove(&i) {
            let _ = std::fs::remove_file(marker_path(self.cache, &a.job.key));
        }
    }

    fn cancel_all(&mut self) {
        let ids: Vec<String> = self.active.values().map(|a| a.job_id.clone()).collect();
        let name = self.name();
        if let Err(e) = commands::scancel(&mut self.calls, Some(&name), &ids) {
            tracing::warn!("cancelling the run's jobs: {e:#}");
        }
        for i in self.active.keys().copied().collect::<Vec<_>>() {
            self.forget(i);
        }
    }

    fn show_progress(&self) {
        let queued = self
            .active
            .values()
            .filter(|a| a.state.as_ref().is_none_or(|s| s.pending()))
            .count();
        self.bars.overall.set_message(format!(
            "slurm: {queued} queued, {} running",
            self.active.len() - queued
        ));
    }
}

impl Executor for SlurmExecutor<'_> {
    fn start(&mut self, jobs: Vec<Job>) -> anyhow::Result<()> {
        let mut fresh: Vec<(Ask, Vec<Job>)> = Vec::new();
        for job in jobs {
            if let Some((id, name)) = self.adoptable()?.remove(&job.key) {
                tracing::info!(
                    "{}: slurm job {id} of an earlier run is still queued; waiting for it",
                    self.plan.instances[job.index].name
                );
                self.names.insert(name.clone());
                self.adopted += 1;
                let ask = self.ask_for(&job);
                self.track(job, id, name, ask, 0);
                continue;
            }
            let ask = self.ask_for(&job);
            match fresh.iter_mut().find(|(a, _)| *a == ask) {
                Some((_, group)) => group.push(job),
                None => fresh.push((ask, vec![job])),
            }
        }
        for (ask, group) in fresh {
            let max = self.opts.slurm.array_max.max(1);
            let mut group = group;
            while !group.is_empty() {
                let rest = group.split_off(group.len().min(max));
                self.submit(group, &ask, 0)?;
                group = rest;
            }
        }
        self.show_progress();
        Ok(())
    }

    fn next(&mut self) -> anyhow::Result<Vec<Finished>> {
        loop {
            if INTERRUPTED.load(Ordering::SeqCst) {
                let n = self.active.len();
                self.cancel_all();
                anyhow::bail!("interrupted: cancelled the run's {n} unfinished Slurm jobs");
            }
            let mut out: Vec<Finished> = Vec::new();
            let ids: Vec<usize> = self.active.keys().copied().collect();
            for &i in &ids {
                if let Some(r) = self.result_of(i) {
                    out.push((i, r));
                }
            }
            if out.is_empty() && self.last_poll.is_none_or(|t| t.elapsed() >= self.interval) {
                self.poll()?;
                let grace = self.opts.slurm.grace;
                for &i in &ids {
                    let Some((since, state)) = self.active[&i].gone.clone() else {
                        continue;
                    };
                    if since.elapsed() < grace {
                        continue;
                    }
                    if let Some(r) = self.result_of(i) {
                        out.push((i, r));
                        continue;
                    }
                    let ending = Ending::from_state(state.as_deref());
                    if ending.retryable()
                        && self.active[&i].attempts < self.plan.instances[i].retries
                    {
                        self.retry(i, ending)?;
                    } else {
                        out.push((i, Err(Failure::new(self.describe_failure(i, ending)))));
                    }
                }
            }
            if !out.is_empty() {
                for (i, _) in &out {
                    self.forget(*i);
                }
                self.interval = self.opts.slurm.poll_min;
                self.show_progress();
                return Ok(out);
            }
            self.show_progress();
            // Records are looked for every quarter second, less often with
            // many jobs out (a stat each, on a shared file system).
            let pause = Duration::from_millis(250)
                .max(Duration::from_micros(500 * self.active.len() as u64))
                .min(self.opts.slurm.poll_min.max(Duration::from_millis(250)));
            std::thread::sleep(pause);
        }
    }
}
