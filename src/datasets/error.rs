//! Error types shared by the loaders.
//!
//! Every malformed-input error is a [`ParseError`]: it names the file, the
//! 1-based line, the field (when one is to blame), what is wrong, and a hint
//! on how to fix it. Binary formats (`.npz`/`.npy`) have no lines: they use
//! line 0, which `Display` leaves out.

use std::fmt;
use std::path::PathBuf;

/// A malformed-input error pointing at one place in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The file (or the name given to `from_reader`).
    pub path: String,
    /// 1-based line number; 0 when the format has no lines (binary files).
    pub line: usize,
    /// The column / field / key at fault, if one is.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl ParseError {
    /// Build an error; `field` may be `None`.
    pub fn new(
        path: impl Into<String>,
        line: usize,
        field: Option<&str>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        ParseError {
            path: path.into(),
            line,
            field: field.map(str::to_string),
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl fmt::Display for ParseError {
    /// `path:line: field `X`: message (hint)`; the `field` part is left out
    /// when there is none, the `line` part when it is 0.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        write!(f, ": ")?;
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        write!(f, "{}", self.message)?;
        if !self.hint.is_empty() {
            write!(f, " ({})", self.hint)?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// Required data files are absent; `Display` prints how to get them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingData {
    /// The directory that was searched.
    pub dir: PathBuf,
    /// Every file the loader needs there.
    pub expected: Vec<String>,
    /// The ones that are not there.
    pub missing: Vec<String>,
    /// Numbered steps (shell commands) that produce the files.
    pub steps: Vec<String>,
}

impl fmt::Display for MissingData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "missing data in {}: {}",
            self.dir.display(),
            self.missing.join(", ")
        )?;
        writeln!(f, "expected files: {}", self.expected.join(", "))?;
        writeln!(f, "to get them:")?;
        for (i, s) in self.steps.iter().enumerate() {
            writeln!(f, "  {}. {s}", i + 1)?;
        }
        Ok(())
    }
}

impl std::error::Error for MissingData {}

/// Anything a loader can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Malformed input.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// Files absent; the message says how to get them.
    #[error(transparent)]
    Missing(#[from] MissingData),
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A bad argument or an impossible request (e.g. a split fraction of 2).
    #[error("{0}")]
    Invalid(String),
}

impl DataError {
    /// Wrap an I/O error with the file it concerns.
    pub fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_display_has_all_parts() {
        let e = ParseError::new("a.csv", 3, Some("Close"), "not a number: `x`", "fix it");
        assert_eq!(
            e.to_string(),
            "a.csv:3: field `Close`: not a number: `x` (fix it)"
        );
        let e = ParseError::new("a.npz", 0, None, "bad", "");
        assert_eq!(e.to_string(), "a.npz: bad");
    }

    #[test]
    fn missing_data_lists_steps_and_files() {
        let m = MissingData {
            dir: PathBuf::from("data/x"),
            expected: vec!["a.csv".into(), "b.csv".into()],
            missing: vec!["b.csv".into()],
            steps: vec!["do this".into(), "then that".into()],
        };
        let s = m.to_string();
        assert!(s.contains("data/x: b.csv"));
        assert!(s.contains("expected files: a.csv, b.csv"));
        assert!(s.contains("  2. then that"));
    }
}
