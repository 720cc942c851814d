//! Reading a pipeline file into typed structs, with positioned errors.

use std::path::{Path, PathBuf};

use super::error::{SpecError, SpecErrors};
use super::locate::Locations;
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
}

impl LoadedPipeline {
    /// An error at the key `path` (dotted) of this file.
    pub fn error_at_key(&self, path: &str, message: impl Into<String>) -> SpecError {
        let pos = self.locations.key(path);
        self.error_at(pos, path, message)
    }

    /// An error at the value of `path` (dotted) of this file.
    pub fn error_at_value(&self, path: &str, message: impl Into<String>) -> SpecError {
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
    let text = std::fs::read_to_string(path).map_err(|e| SpecError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        field: String::new(),
        message: format!("cannot read the pipeline file: {e}"),
        help: Some("check the path; pipelines usually live in `pipelines/`".into()),
    })?;
    load_str(&text, path)
}

/// Parse pipeline `text` that came from `path` (used for messages and `deps`).
pub fn load_str(text: &str, path: &Path) -> Result<LoadedPipeline, SpecErrors> {
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
    let spec: PipelineSpec =
        serde_yaml::from_str(text).map_err(|e| SpecErrors::from(serde_error(path, &e)))?;
    let root = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    Ok(LoadedPipeline {
        path: path.to_path_buf(),
        root,
        spec,
        locations: Locations::index(text),
    })
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
