//! The study's analysis: reading a sweep's results back, aggregating over
//! seeds, minimum-depth tables and their rank agreement with the paper's,
//! depth against length, and the paper's reference numbers. Used by the
//! `summarize` stage, `seqlab compare` and the report.

pub mod collect;
pub mod paper;
pub mod prefix;
pub mod rank;
pub mod stats;
pub mod tables;

pub use collect::{collect, Cell, Collected, TimingResult};
pub use prefix::{depth_against_length, depth_length_text, longest_prefix, DepthLength};
pub use rank::{agreement_text, paper_agreement, spearman, PaperAgreement, SeedStatistic};
pub use stats::Spread;
pub use tables::{aggregate, min_depths, summary_text, Axes, Group, MinDepth};
