//! The executor: given a plan, decide per instance whether its cached outputs
//! can be reused (the cache key) and run the rest, in parallel where the
//! graph allows.
//!
//! [`resolve`] computes keys, [`instance`] runs one instance with the
//! cache's safety rules (lock, temp dir, atomic commit) and [`local`]
//! schedules instances on this machine. A cluster executor would replace
//! only `local`, submitting [`instance::execute`] calls as jobs.

mod inputs;
pub mod instance;
pub mod local;
pub mod progress;
pub mod resolve;

pub use local::{run_plan, RunOptions};

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
