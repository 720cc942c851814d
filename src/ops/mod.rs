//! The operations behind each CLI command. The CLI parses arguments and
//! calls one function here; everything a command does lives in these files.

pub mod bench;
pub mod compare;
pub mod dag;
pub mod gc;
pub mod history;
pub mod index;
pub mod kinds;
pub mod publish;
pub mod run;
pub mod status;
pub mod verify;
pub mod worker;

use std::path::Path;

use crate::kind::Registry;
use crate::plan::{expand, Plan};
use crate::spec::{
    load_file, overrides::Override, validate::validate, Limits, LoadedPipeline, SpecErrors,
};

/// Read, override, validate and expand a pipeline file: everything that
/// happens before anything runs.
pub fn load_plan(
    path: &Path,
    sets: &[String],
    registry: &Registry,
) -> Result<(LoadedPipeline, Plan), SpecErrors> {
    load_plan_with(path, sets, registry, Limits::default())
}

/// [`load_plan`] under other limits (`--max-instances`).
pub(crate) fn load_plan_with(
    path: &Path,
    sets: &[String],
    registry: &Registry,
    limits: Limits,
) -> Result<(LoadedPipeline, Plan), SpecErrors> {
    let mut pipeline = load_file(path)?;
    pipeline.limits = limits;
    for raw in sets {
        Override::parse(raw)?.apply(&mut pipeline)?;
    }
    validate(&pipeline, registry)?;
    let plan = expand(&pipeline, registry)?;
    Ok((pipeline, plan))
}
