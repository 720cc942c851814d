//! The error type shared by every parser in this module.
//!
//! A [`ParseError`] names the file, the 1-based line, the field (where the
//! format has named fields) and says how to fix the input. Line `0` means
//! the error concerns the whole file (it could not be opened or read).

use std::fmt;
use std::path::{Path, PathBuf};

/// A malformed-input error. Displays as
/// `path:line: field `X`: message (hint)` (the field part is left out when
/// there is no field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The file (or the name given to a `from_reader` call).
    pub path: PathBuf,
    /// 1-based line number; 0 for whole-file errors (I/O).
    pub line: usize,
    /// The field of the format that is wrong, e.g. `term` or `DR GO`.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

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

    /// An error about a named field.
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
        write!(f, "{}:{}: ", self.path.display(), self.line)?;
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        write!(f, "{} ({})", self.message, self.hint)
    }
}

impl std::error::Error for ParseError {}

/// Result alias used by the parsers.
pub type Result<T> = std::result::Result<T, ParseError>;
