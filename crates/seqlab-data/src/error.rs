//! Error types shared by the loaders.
//!
//! Every malformed-input error is a [`ParseError`]: it names the file, the
//! 1-based line, the field (when one is to blame), what is wrong, and a hint
//! on how to fix it. Line 0 means the error concerns the whole file: binary
//! formats (`.npz`/`.npy`) have no lines, and a file that cannot be opened
//! has none to point at; `Display` leaves it out.

use std::fmt;
use std::path::{Path, PathBuf};

/// A malformed-input error pointing at one place in one file. Displays as
/// `path:line: field `X`: message (hint)`: the `:line` part is left out when
/// the line is 0, the field part when there is no field, and the hint in
/// parentheses when the hint is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The file (or the name given to a `from_reader` call).
    pub path: PathBuf,
    /// 1-based line number; 0 for whole-file errors (binary formats, I/O).
    pub line: usize,
    /// The column / field / key at fault, if one is (e.g. `Close`, `term`).
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// Result alias for parsers whose only error is a [`ParseError`].
pub type ParseResult<T> = std::result::Result<T, ParseError>;

impl ParseError {
    /// An error without a field.
    pub fn new(
        path: impl AsRef<Path>,
        line: usize,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        ParseError {
            path: path.as_ref().to_path_buf(),
            line,
            field: None,
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// An error about a named field (column, key, record line type).
    pub fn field(
        path: impl AsRef<Path>,
        line: usize,
        field: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        ParseError {
            field: Some(field.into()),
            ..ParseError::new(path, line, message, hint)
        }
    }

    /// An I/O failure while opening or reading `path` (line 0 = whole file,
    /// otherwise the line being read).
    pub fn io(path: impl AsRef<Path>, line: usize, err: &std::io::Error) -> Self {
        ParseError::new(
            path,
            line,
            format!("I/O error: {err}"),
            "check that the file exists, is readable and (for .gz) is a complete gzip stream",
        )
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
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
        let e = ParseError::field("a.csv", 3, "Close", "not a number: `x`", "fix it");
        assert_eq!(
            e.to_string(),
            "a.csv:3: field `Close`: not a number: `x` (fix it)"
        );
        assert_eq!(e.path, Path::new("a.csv"));
        assert_eq!((e.line, e.field.as_deref()), (3, Some("Close")));
        let e = ParseError::new("a.npz", 0, "bad", "");
        assert_eq!(e.to_string(), "a.npz: bad");
        assert_eq!(e.field, None);
        let e = ParseError::new(Path::new("x.fa"), 2, "bad", "fix it");
        assert_eq!(e.to_string(), "x.fa:2: bad (fix it)");
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = ParseError::io("x.fa", 0, &io);
        assert_eq!(
            e.to_string(),
            "x.fa: I/O error: gone (check that the file exists, is readable and (for .gz) is a complete gzip stream)"
        );
        assert_eq!(ParseError::io("x.fa", 7, &io).line, 7);
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
