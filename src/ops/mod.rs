//! The operations behind each CLI command. The CLI parses arguments and
//! calls one function here; everything a command does lives in these files.

pub mod bench;
pub mod compare;
pub mod dag;
pub mod gc;
pub mod history;
pub mod run;
pub mod status;
pub mod verify;

use std::path::Path;

use crate::plan::{expand, Plan};
use crate::spec::{load_file, overrides::Override, validate::validate, LoadedPipeline, SpecErrors};
use crate::stages::Registry;

/// Read, override, validate and expand a pipeline file: everything that
/// happens before anything runs.
pub fn load_plan(
    path: &Path,
    sets: &[String],
    registry: &Registry,
) -> Result<(LoadedPipeline, Plan), SpecErrors> {
    let mut pipeline = load_file(path)?;
    for raw in sets {
        Override::parse(raw)?.apply(&mut pipeline)?;
    }
    validate(&pipeline, registry)?;
    let plan = expand(&pipeline, registry)?;
    Ok((pipeline, plan))
}

/// Write `bytes` to `path` through a temporary file in the same directory and
/// a rename, so a reader never sees half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}
