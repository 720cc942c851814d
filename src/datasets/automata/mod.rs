//! Synthetic automata (Liu et al. 2023) for state-tracking experiments.
//!
//! * [`task`]: the [`Task`] enum and its exact transition functions;
//! * [`params`]: building a task from a config name + JSON params;
//! * [`mod@generate`]: deterministic, seed-named sampling of labelled batches;
//! * [`perm`], [`dyck`]: state numberings for permutation groups and stacks.

pub mod dyck;
pub mod generate;
pub mod params;
pub mod perm;
pub mod task;

pub use generate::{generate, sample_row, try_generate, GenConfig, Samples};
pub use params::{TaskError, TaskSizes, TASK_NAMES};
pub use task::Task;
