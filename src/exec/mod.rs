//! Running a plan: decide per instance whether its cached outputs can be
//! reused (the cache key) and run the rest, in parallel where the graph
//! allows.
//!
//! [`resolve`] computes keys; [`schedule`] walks the graph, decides what is
//! ready, hands it to an [`Executor`] and ingests the result records it gets
//! back into the index (the controller is the index's only writer);
//! [`instance`] runs one instance with the cache's safety rules (lock, lease,
//! temp dir, objects, then the result record). Executors: [`local`] (threads
//! on this machine, and `seqlab worker` processes for kinds that need their
//! own) and [`slurm`] (one job or array task per instance). [`worker`] is the
//! process side: a job file in, objects and a record out.

mod inputs;
pub mod instance;
pub mod local;
pub mod progress;
pub mod resolve;
pub mod schedule;
pub mod slurm;
pub mod worker;

pub use local::RunOptions;
pub use schedule::run_plan;

use instance::{Done, Failure, Job};

/// One instance that ended, by plan index.
pub(crate) type Finished = (usize, Result<Done, Failure>);

/// Runs ready instances and reports how they ended. The scheduler calls
/// `start` with every instance that became ready (all inputs known, no
/// cached result), then `next` until each started instance has ended.
pub(crate) trait Executor {
    /// Start `jobs` (an executor may queue some until it has room).
    fn start(&mut self, jobs: Vec<Job>) -> anyhow::Result<()>;
    /// Block until at least one started instance has ended; returns every
    /// instance that has. Only called while some are started and unfinished.
    fn next(&mut self) -> anyhow::Result<Vec<Finished>>;
}

/// What happened to one instance in a run.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Reused from the cache.
    Cached {
        tree: String,
    },
    /// Executed now (or by a concurrent process we waited for).
    Executed {
        tree: String,
        seconds: f64,
    },
    Failed {
        error: String,
    },
    /// Not run because an upstream instance failed.
    Skipped {
        because: String,
    },
    /// `--dry-run`: would execute, for this reason.
    WouldRun {
        reason: String,
    },
}

impl Outcome {
    pub fn tree(&self) -> Option<&str> {
        match self {
            Outcome::Cached { tree } | Outcome::Executed { tree, .. } => Some(tree),
            _ => None,
        }
    }
}

/// The result of a run: one outcome per plan instance, in plan order.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    pub outcomes: Vec<Outcome>,
    pub seconds: f64,
    /// Lines the executor adds to the run's summary (Slurm's call counts).
    pub notes: Vec<String>,
    /// The cache key of each instance, where its inputs were known.
    pub keys: Vec<Option<String>>,
}

impl RunReport {
    pub fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.outcomes.iter().filter(|o| f(o)).count()
    }

    pub fn executed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Executed { .. }))
    }

    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed { .. }))
    }

    pub fn success(&self) -> bool {
        self.count(|o| matches!(o, Outcome::Failed { .. } | Outcome::Skipped { .. })) == 0
    }
}
