//! The local executor: instances run on a pool of `--jobs` threads, each
//! with a thread budget, so that together they keep every core busy without
//! oversubscribing it.
//!
//! Kinds that need a process of their own ([`StageKind::needs_process`]:
//! training, whose device RNG and thread pool are process-wide) run as
//! `seqlab worker` subprocesses with `RAYON_NUM_THREADS` set to their budget;
//! their results do not depend on what runs beside them. Everything else
//! runs in this process. Inside a program that is not `seqlab` (tests using
//! the library), training runs in-process too, taking turns on the device RNG.
//!
//! [`StageKind::needs_process`]: crate::kind::StageKind::needs_process

pub use super::schedule::RunOptions;

use std::collections::{HashMap, VecDeque};
use std::io::BufRead as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use super::instance::{execute, Done, Failure, Job};
use super::progress::RunBars;
use super::worker::{worker_binary, JobFile, PROTOCOL_MARK};
use super::{Executor, Finished};
use crate::cache::record::unique_suffix;
use crate::cache::Cache;
use crate::kind::{Progress, Settings};
use crate::plan::Plan;

/// The number of cores of this machine.
pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

pub(crate) struct LocalExecutor<'a> {
    plan: &'a Plan,
    job_tx: mpsc::Sender<(Job, usize)>,
    done_rx: mpsc::Receiver<Finished>,
    /// Started by the scheduler, waiting here for threads.
    queue: VecDeque<Job>,
    /// Threads of each running instance, by plan index.
    running: HashMap<usize, usize>,
    slots: usize,
    /// Threads all running instances may use together.
    budget: usize,
    default_threads: usize,
}

impl<'a> LocalExecutor<'a> {
    /// Start `opts.jobs` runner threads in `scope`.
    pub fn new<'scope>(
        scope: &'scope std::thread::Scope<'scope, 'a>,
        cache: &'a Cache,
        plan: &'a Plan,
        opts: &'a RunOptions,
        bars: &'a RunBars,
    ) -> LocalExecutor<'a> {
        let slots = opts.jobs.max(1);
        let cores = cores();
        let (job_tx, job_rx) = mpsc::channel::<(Job, usize)>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (done_tx, done_rx) = mpsc::channel::<Finished>();
        let bin = worker_binary();
        for _ in 0..slots {
            let (job_rx, done_tx, settings, bin) =
                (job_rx.clone(), done_tx.clone(), &opts.settings, bin.clone());
            scope.spawn(move || loop {
                let (job, threads) = match job_rx.lock().map(|rx| rx.recv()) {
                    Ok(Ok(job)) => job,
                    _ => return,
                };
                let inst = &plan.instances[job.index];
                let bar = bars.instance(&inst.name);
                let result = match &bin {
                    Some(bin) if inst.kind.needs_process() => {
                        run_worker(cache, plan, &job, settings, threads, &bar, bin, bars)
                    }
                    _ => {
                        let attempt = format!("local-{}", unique_suffix());
                        execute(cache, plan, &job, settings, &bar, "local", &attempt)
                    }
                };
                drop(bar);
                if done_tx.send((job.index, result)).is_err() {
                    return;
                }
            });
        }
        LocalExecutor {
            plan,
            job_tx,
            done_rx,
            queue: VecDeque::new(),
            running: HashMap::new(),
            slots,
            // An explicit `--jobs` above the core count still runs that many
            // single-threaded instances (sleepy commands, say).
            budget: cores.max(slots),
            default_threads: opts.threads.unwrap_or((cores / slots).max(1)),
        }
    }

    fn threads_for(&self, job: &Job) -> usize {
        self.plan.instances[job.index]
            .resources
            .threads
            .unwrap_or(self.default_threads)
            .clamp(1, self.budget)
    }

    /// Start queued jobs while slots and threads allow (always one when
    /// nothing runs), in order, letting a smaller job pass a larger one that
    /// does not fit yet.
    fn fill(&mut self) -> anyhow::Result<()> {
        while self.running.len() < self.slots {
            let used: usize = self.running.values().sum();
            let Some(pos) = self
                .queue
                .iter()
                .position(|j| self.running.is_empty() || used + self.threads_for(j) <= self.budget)
            else {
                break;
            };
            let job = self.queue.remove(pos).expect("found");
            let threads = self.threads_for(&job);
            self.running.insert(job.index, threads);
            self.job_tx
                .send((job, threads))
                .map_err(|_| anyhow::anyhow!("the local runner threads stopped"))?;
        }
        Ok(())
    }
}

impl Executor for LocalExecutor<'_> {
    fn start(&mut self, jobs: Vec<Job>) -> anyhow::Result<()> {
        self.queue.extend(jobs);
        self.fill()
    }

    fn next(&mut self) -> anyhow::Result<Vec<Finished>> {
        let mut out = vec![self.done_rx.recv()?];
        out.extend(self.done_rx.try_iter());
        for (i, _) in &out {
            self.running.remove(i);
        }
        self.fill()?;
        Ok(out)
    }
}

/// Run `job` in a `seqlab worker` subprocess with `threads` threads,
/// forwarding its progress to `progress` and its warnings to the bars.
#[allow(clippy::too_many_arguments)]
fn run_worker(
    cache: &Cache,
    plan: &Plan,
    job: &Job,
    settings: &Settings,
    threads: usize,
    progress: &dyn Progress,
    bin: &Path,
    bars: &RunBars,
) -> Result<Done, Failure> {
    let fail = |e: anyhow::Error| Failure::new(format!("{e:#}"));
    let attempt = format!("local-{}", unique_suffix());
    let file = cache
        .jobs_dir()
        .join("local")
        .join(format!("{}.{attempt}.json", job.key));
    JobFile::new(plan, job, settings)
        .write_to(&file)
        .map_err(|e| fail(e.context("writing the job file")))?;
    let mut cmd = Command::new(bin);
    cmd.arg("--cache")
        .arg(&cache.root)
        .arg("-q")
        .arg("worker")
        .arg("--job")
        .arg(&file)
        .arg("--attempt")
        .arg(&attempt)
        .arg("--threads")
        .arg(threads.to_string())
        .arg("--progress")
        .env("RAYON_NUM_THREADS", threads.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // The worker dies with this thread's process: killing the controller
    // stops its trainings, as when they ran in-process.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|e| {
        fail(anyhow::anyhow!(
            "cannot start the worker {}: {e}",
            bin.display()
        ))
    })?;
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let mut reused = false;
    let tail = std::thread::scope(|s| {
        let tail = s.spawn(move || {
            let mut tail: VecDeque<String> = VecDeque::new();
            for line in std::io::BufReader::new(stderr.expect("piped")).lines() {
                let Ok(line) = line else { break };
                bars.println(&line);
                tail.push_back(line);
                if tail.len() > 20 {
                    tail.pop_front();
                }
            }
            Vec::from(tail).join("\n")
        });
        for line in std::io::BufReader::new(stdout.expect("piped")).lines() {
            let Ok(line) = line else { break };
            let Some(msg) = line.strip_prefix(PROTOCOL_MARK) else {
                continue;
            };
            if msg == "reused" {
                reused = true;
            } else if let Some(rest) = msg.strip_prefix("progress ") {
                let mut parts = rest.splitn(3, ' ');
                let done = parts.next().and_then(|x| x.parse().ok());
                let total = parts.next().and_then(|x| x.parse().ok());
                if let (Some(d), Some(t)) = (done, total) {
                    progress.update(d, t, parts.next().unwrap_or(""));
                }
            }
        }
        tail.join().unwrap_or_default()
    });
    let status = child.wait().map_err(|e| fail(e.into()));
    let _ = std::fs::remove_file(&file);
    let status = status?;
    if status.success() {
        return match cache.records.read(&job.key) {
            Some(record) => Ok(Done {
                tree: record.tree().unwrap_or_default().to_string(),
                reused,
                seconds: if reused { 0.0 } else { record.duration },
                record,
            }),
            None => Err(Failure::new(
                "the worker succeeded but its result record is missing",
            )),
        };
    }
    match cache.records.read_failed(&job.key, &attempt) {
        Some(record) => Err(Failure {
            error: record.error.clone().unwrap_or_default(),
            record: Some(Box::new(record)),
        }),
        None => Err(Failure::new(format!(
            "the worker process {status}{}",
            if tail.is_empty() {
                String::new()
            } else {
                format!(": {tail}")
            }
        ))),
    }
}
