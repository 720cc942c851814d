//! Reading a pipeline file into typed structs, with positioned errors.

use std::path::{Path, PathBuf};

use super::error::{SpecError, SpecErrors};
use super::limits::{flow_depth_exceeds, position_of, Limits};
use super::locate::{Locations, TooBig};
use super::model::PipelineSpec;
use crate::kind::closest;

/// A parsed pipeline with what is needed to report errors against its text.
#[derive(Debug, Clone)]
pub struct LoadedPipeline {
    pub path: PathBuf,
    /// The directory `deps:` paths are relative to.
    pub root: PathBuf,
    pub spec: PipelineSpec,
    pub locations: Locations,
    /// The limits the planner applies (the loader checked the file's size
    /// and depth against the same).
    pub limits: Limits,
}

impl LoadedPipeline {
    /// An error at the key `path` (dotted) of this file.
    pub(crate) fn error_at_key(&self, path: &str, message: impl Into<String>) -> SpecError {
        let pos = self.locations.key(path);
        self.error_at(pos, path, message)
    }

    /// An error at the value of `path` (dotted) of this file.
    pub(crate) fn error_at_value(&self, path: &str, message: impl Into<String>) -> SpecError {
        let pos = self.locations.value(path);
        self.error_at(pos, path, message)
    }

    fn error_at(&self, pos: super::Position, path: &str, message: impl Into<String>) -> SpecError {
        SpecError {
            file: self.path.clone(),
            line: pos.line,
            column: pos.column,
            field: path.to_string(),
            message: message.into(),
            help: None,
        }
    }
}

/// Read and parse a pipeline file.
pub fn load_file(path: &Path) -> Result<LoadedPipeline, SpecErrors> {
    let cannot_read = |e: std::io::Error| SpecError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        field: String::new(),
        message: format!("cannot read the pipeline file: {e}"),
        help: Some("check the path; pipelines usually live in `pipelines/`".into()),
    };
    // The size is checked before reading: a huge file costs nothing.
    let size = std::fs::metadata(path).map_err(cannot_read)?.len();
    let limits = Limits::default();
    if size > limits.max_file_bytes {
        return Err(too_large(path, size, &limits).into());
    }
    let text = std::fs::read_to_string(path).map_err(cannot_read)?;
    load_str(&text, path)
}

fn too_large(path: &Path, size: u64, limits: &Limits) -> SpecError {
    SpecError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        field: String::new(),
        message: format!(
            "the pipeline file is larger than {} bytes ({size} bytes)",
            limits.max_file_bytes
        ),
        help: Some(
            "a pipeline describes stages and sweeps; put data in files the stages read".into(),
        ),
    }
}

/// Parse pipeline `text` that came from `path` (used for messages and `deps`).
pub fn load_str(text: &str, path: &Path) -> Result<LoadedPipeline, SpecErrors> {
    let limits = Limits::default();
    if text.len() as u64 > limits.max_file_bytes {
        return Err(too_large(path, text.len() as u64, &limits).into());
    }
    if text.trim().is_empty() {
        return Err(SpecError {
            file: path.to_path_buf(),
            line: 1,
            column: 1,
            field: String::new(),
            message: "the pipeline file is empty".into(),
            help: Some("a pipeline needs at least `name:` and `stages:`".into()),
        }
        .into());
    }
    let refuse = |line: usize, column: usize, message: String, help: &str| -> SpecErrors {
        SpecError {
            file: path.to_path_buf(),
            line,
            column,
            field: String::new(),
            message,
            help: Some(help.into()),
        }
        .into()
    };
    let deep = format!("values are nested deeper than {} levels", limits.max_depth);
    let flatten = "flatten the structure; a pipeline needs only a few levels";
    // Depth and size first, before any parser builds the nesting: exactly,
    // through the event stream (which stops at the limit), and, for text
    // that stream cannot read, by counting brackets.
    let locations = match Locations::index_within(text, &limits) {
        Ok(l) => l,
        Err(TooBig::Depth(pos)) => return Err(refuse(pos.line, pos.column, deep, flatten)),
        Err(TooBig::Values(pos)) => {
            return Err(refuse(
                pos.line,
                pos.column,
                format!(
                    "the file holds more than {} values once its aliases (`*name`) are expanded",
                    limits.max_values
                ),
                "write the values out, or put large data in a file a stage reads",
            ))
        }
    };
    if let Some(offset) = flow_depth_exceeds(text, limits.max_depth) {
        let (line, column) = position_of(text, offset);
        return Err(refuse(line, column, deep, flatten));
    }
    let spec: PipelineSpec =
        serde_yaml::from_str(text).map_err(|e| SpecErrors::from(serde_error(path, &e)))?;
    let root = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let loaded = LoadedPipeline {
        path: path.to_path_buf(),
        root,
        spec,
        locations,
        limits,
    };
    if loaded.spec.stages.len() > limits.max_stages {
        let mut e = loaded.error_at_key(
            "stages",
            format!(
                "the pipeline has {} stages; seqlab reads at most {}",
                loaded.spec.stages.len(),
                limits.max_stages
            ),
        );
        e.help = Some("sweep with `matrix` instead of writing stages out".into());
        return Err(e.into());
    }
    Ok(loaded)
}

/// Turn serde_yaml's message into our format: position first, then the
/// field path, the problem, and a suggestion for misspelt keys.
fn serde_error(path: &Path, e: &serde_yaml::Error) -> SpecError {
    let (line, column) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((0, 0));
    let mut text = e.to_string();
    if let Some(i) = text.rfind(" at line ") {
        text.truncate(i);
    }
    // serde_yaml prefixes the field path as `stages.a: message`.
    let (field, message) = match text.split_once(": ") {
        Some((p, m)) if !p.contains(' ') => (p.to_string(), m.to_string()),
        _ => (String::new(), text.clone()),
    };
    let mut help = None;
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let unknown = rest.split('`').next().unwrap_or_default();
        let expected: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
        help = Some(match closest(unknown, expected.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("allowed keys here: {}", expected.join(", ")),
        });
    } else if message.starts_with("missing field") {
        help = Some("add the field; see the schema in docs/pipeline.md".into());
    } else if message.starts_with("invalid type") {
        help = Some("see docs/pipeline.md for the type each field takes".into());
    }
    SpecError {
        file: path.to_path_buf(),
        line,
        column,
        field,
        message,
        help,
    }
}
