//! The three Slurm commands the executor uses — `sbatch`, `squeue`,
//! `scancel` — and the parsing of what they print. Nothing else talks to
//! Slurm, so the call counts the executor reports are complete.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};

/// A job's state as `squeue` names it (`%T`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobState {
    pub state: String,
    /// `%r`: why it is pending, or how it ended.
    pub reason: String,
}

impl JobState {
    /// Still queued or running: its result may yet come.
    pub(crate) fn active(&self) -> bool {
        matches!(
            self.state.as_str(),
            "PENDING"
                | "RUNNING"
                | "CONFIGURING"
                | "COMPLETING"
                | "SUSPENDED"
                | "REQUEUED"
                | "REQUEUE_HOLD"
                | "REQUEUE_FED"
                | "RESIZING"
                | "SIGNALING"
                | "STAGE_OUT"
                | "STOPPED"
        )
    }

    pub(crate) fn pending(&self) -> bool {
        self.state == "PENDING"
    }
}

/// What ended a job without a result, and whether `retries:` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Timeout,
    OutOfMemory,
    NodeFail,
    Cancelled,
    Preempted,
    /// Other scheduler-side failures (boot failure, deadline).
    Scheduler,
    /// The worker itself failed without writing a record.
    Failed,
    /// Finished "well" but no result record appeared within the grace period.
    NoRecord,
}

impl Ending {
    pub(crate) fn from_state(state: Option<&str>) -> Ending {
        match state {
            Some("TIMEOUT") => Ending::Timeout,
            Some("OUT_OF_MEMORY") => Ending::OutOfMemory,
            Some("NODE_FAIL") => Ending::NodeFail,
            Some("CANCELLED") => Ending::Cancelled,
            Some("PREEMPTED") => Ending::Preempted,
            Some("BOOT_FAIL" | "DEADLINE") => Ending::Scheduler,
            Some("FAILED") => Ending::Failed,
            _ => Ending::NoRecord,
        }
    }

    /// Whether the scheduler, not the stage, ended it: worth another try.
    pub(crate) fn retryable(self) -> bool {
        !matches!(self, Ending::Failed | Ending::NoRecord)
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            Ending::Timeout => "reached its time limit (TIMEOUT)",
            Ending::OutOfMemory => "ran out of memory (OUT_OF_MEMORY)",
            Ending::NodeFail => "lost its node (NODE_FAIL)",
            Ending::Cancelled => "was cancelled (CANCELLED)",
            Ending::Preempted => "was preempted (PREEMPTED)",
            Ending::Scheduler => "could not run (the scheduler gave up on it)",
            Ending::Failed => "failed before writing a result record (FAILED)",
            Ending::NoRecord => "left the queue without a result record",
        }
    }
}

/// Calls made, for the run's summary (and the tests that check them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Calls {
    pub sbatch: usize,
    pub squeue: usize,
    pub scancel: usize,
}

fn run(cmd: &mut Command, what: &str) -> anyhow::Result<String> {
    let out = cmd.output().with_context(|| {
        format!("cannot run `{what}`: is Slurm's client installed and on PATH?")
    })?;
    if !out.status.success() {
        bail!(
            "`{what}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `sbatch --parsable ARGS --wrap SCRIPT`; returns the job id.
pub fn sbatch(calls: &mut Calls, args: &[String], script: &str) -> anyhow::Result<String> {
    calls.sbatch += 1;
    let out = run(
        Command::new("sbatch")
            .arg("--parsable")
            .args(args)
            .arg(format!("--wrap={script}")),
        "sbatch",
    )?;
    // `--parsable` prints `id` or `id;cluster`.
    let id = out.trim().split(';').next().unwrap_or_default().to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        bail!("sbatch printed no job id: `{}`", out.trim());
    }
    Ok(id)
}

/// One `squeue` for the jobs named `names` (array tasks one per line, ended
/// jobs included while Slurm remembers them): job id → state.
pub(crate) fn squeue_names(
    calls: &mut Calls,
    names: &[String],
) -> anyhow::Result<HashMap<String, JobState>> {
    calls.squeue += 1;
    let out = run(
        Command::new("squeue")
            .args(["--noheader", "--array", "--me", "--states=all"])
            .arg(format!("--name={}", names.join(",")))
            .arg("--format=%i|%T|%r"),
        "squeue",
    )?;
    Ok(out
        .lines()
        .filter_map(|l| {
            let mut p = l.trim().splitn(3, '|');
            let id = p.next()?.to_string();
            let state = p.next()?.to_string();
            let reason = p.next().unwrap_or_default().to_string();
            Some((id, JobState { state, reason }))
        })
        .collect())
}

/// A job of this user still in the queue, with its name and comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueuedJob {
    pub id: String,
    pub name: String,
    pub comment: String,
    pub state: JobState,
}

/// One `squeue` for every queued or running job of this user.
pub(crate) fn squeue_mine(calls: &mut Calls) -> anyhow::Result<Vec<QueuedJob>> {
    calls.squeue += 1;
    let out = run(
        Command::new("squeue")
            .args(["--noheader", "--array", "--me"])
            .arg("--states=PENDING,RUNNING,CONFIGURING,SUSPENDED,REQUEUED,RESIZING")
            .arg("--format=%i|%T|%r|%j|%k"),
        "squeue",
    )?;
    Ok(out
        .lines()
        .filter_map(|l| {
            let mut p = l.trim().splitn(5, '|');
            let id = p.next()?.to_string();
            let state = p.next()?.to_string();
            let reason = p.next()?.to_string();
            let name = p.next()?.to_string();
            let comment = p.next().unwrap_or_default().to_string();
            Some(QueuedJob {
                id,
                name,
                comment,
                state: JobState { state, reason },
            })
        })
        .collect())
}

/// `scancel` the jobs named `name` and the jobs `ids`.
pub fn scancel(calls: &mut Calls, name: Option<&str>, ids: &[String]) -> anyhow::Result<()> {
    if let Some(name) = name {
        calls.scancel += 1;
        run(
            Command::new("scancel")
                .arg("--me")
                .arg(format!("--name={name}")),
            "scancel",
        )?;
    }
    if !ids.is_empty() {
        calls.scancel += 1;
        run(Command::new("scancel").args(ids), "scancel")?;
    }
    Ok(())
}

/// `text` quoted for `sh`.
pub(crate) fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The last `n` lines of a job's log, if it has one.
pub(crate) fn log_tail(path: &Path, n: usize) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(n)..].join("\n");
    (!tail.trim().is_empty()).then_some(tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endings_map_states_and_only_scheduler_failures_retry() {
        assert_eq!(Ending::from_state(Some("TIMEOUT")), Ending::Timeout);
        assert_eq!(Ending::from_state(Some("CANCELLED")), Ending::Cancelled);
        assert_eq!(Ending::from_state(Some("COMPLETED")), Ending::NoRecord);
        assert_eq!(Ending::from_state(None), Ending::NoRecord);
        assert!(Ending::OutOfMemory.retryable());
        assert!(!Ending::Failed.retryable());
        assert!(!Ending::NoRecord.retryable());
    }

    #[test]
    fn quoting_survives_quotes() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
