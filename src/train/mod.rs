//! Training core: data and batches, the AdamW loop, evaluation and checkpoints.

pub mod alloc;
pub mod backend;
pub mod checkpoint;
pub mod data;
pub mod eval;
pub mod grad;
pub mod loss;
pub mod objective;
pub mod schedule;
pub mod trainer;

pub use crate::models::rng_turn;
pub use alloc::tune_allocator;
pub use checkpoint::{load_checkpoint, renumber_params, save_checkpoint, CheckpointError};
pub use data::{Batch, Batches, DataError, SeqDataset, SplitMix64, Target};
pub use eval::{evaluate, masked_outputs, model_device, EvalReport, MaskedOutputs};
pub use schedule::LrSchedule;
pub use trainer::{train, EvalPoint, StepInfo, TrainConfig, TrainError, TrainOutcome};
