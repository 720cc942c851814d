//! Opening inputs and reading them line by line with 1-based line numbers.
//!
//! [`open`] gunzips transparently: a file is decompressed when its name ends
//! in `.gz` *or* it starts with the gzip magic bytes `1f 8b` (multi-member
//! streams, as written by `bgzip` or `cat a.gz b.gz`, are read to the end).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::datasets::error::{ParseError, ParseResult};

/// Opens `path` for buffered reading, gunzipping it if needed.
pub fn open(path: &Path) -> ParseResult<Box<dyn BufRead>> {
    let file = File::open(path).map_err(|e| ParseError::io(path, 0, &e))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let magic = reader.fill_buf().map_err(|e| ParseError::io(path, 0, &e))?;
    let gz_magic = magic.len() >= 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    let gz_name = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    if gz_magic || gz_name {
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            MultiGzDecoder::new(reader),
        )))
    } else {
        Ok(Box::new(reader))
    }
}

/// Reads lines with their 1-based numbers, strips the line terminator
/// (`\n` or `\r\n`) and turns I/O and UTF-8 failures into [`ParseError`]s.
pub struct LineReader<R> {
    name: PathBuf,
    inner: R,
    line_no: usize,
    buf: String,
}

impl<R: BufRead> LineReader<R> {
    /// Wraps `inner`; `name` is used in error messages.
    pub fn new(name: impl AsRef<Path>, inner: R) -> Self {
        LineReader {
            name: name.as_ref().to_path_buf(),
            inner,
            line_no: 0,
            buf: String::new(),
        }
    }

    /// The name used in error messages.
    pub fn name(&self) -> &Path {
        &self.name
    }

    /// The number of the line last returned (0 before the first).
    pub fn line_no(&self) -> usize {
        self.line_no
    }

    /// Advances to the next line; `Ok(false)` at end of input. The line is
    /// then available from [`LineReader::line`].
    pub fn advance(&mut self) -> ParseResult<bool> {
        self.buf.clear();
        match self.inner.read_line(&mut self.buf) {
            Ok(0) => return Ok(false),
            Ok(_) => self.line_no += 1,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(ParseError::new(
                    &self.name,
                    self.line_no + 1,
                    "line is not valid UTF-8",
                    "these formats are plain ASCII text; re-export the file as UTF-8/ASCII",
                ))
            }
            Err(e) => return Err(ParseError::io(&self.name, self.line_no + 1, &e)),
        }
        while self.buf.ends_with('\n') || self.buf.ends_with('\r') {
            self.buf.pop();
        }
        Ok(true)
    }

    /// The current line, without its terminator.
    pub fn line(&self) -> &str {
        &self.buf
    }

    /// An error at the current line with a field.
    pub fn field_error(
        &self,
        field: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> ParseError {
        ParseError::field(&self.name, self.line_no, field, message, hint)
    }

    /// An error at the current line without a field.
    pub fn error(&self, message: impl Into<String>, hint: impl Into<String>) -> ParseError {
        ParseError::new(&self.name, self.line_no, message, hint)
    }
}
