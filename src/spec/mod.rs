//! The pipeline specification: the YAML a user writes, how it is read, where
//! each field stands in the file, and what makes it invalid.
//!
//! Reading happens in three steps, each with errors that name file, line,
//! column and field: [`load`] parses the text into typed structs (unknown keys
//! and wrong types), [`overrides`] applies `--set` values, and [`validate`]
//! checks what serde cannot see (kinds, params, references, cycles).

mod error;
mod load;
mod locate;
mod model;
pub mod overrides;
pub mod validate;

pub use error::{SpecError, SpecErrors};
pub use load::{load_file, load_str, LoadedPipeline};
pub use locate::{Locations, Position};
pub use model::{PipelineSpec, StageSpec, WhereClause};
