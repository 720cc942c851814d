//! The study's analysis: reading a sweep's results back, aggregating over
//! seeds, minimum-depth tables, and the paper's reference numbers. Used by the
//! `summarize` stage, `seqlab compare` and the report.

pub mod collect;
pub mod paper;
pub mod stats;
pub mod tables;

pub use collect::{collect, Cell, Collected, TimingResult};
pub use stats::Spread;
pub use tables::{aggregate, min_depths, summary_text, Axes, Group, MinDepth};
