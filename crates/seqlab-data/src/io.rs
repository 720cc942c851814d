//! Opening data files: gzip is undone transparently. [`open_data`] and
//! [`maybe_gunzip`] serve the ECG and stock loaders (errors are
//! [`DataError`]s); [`LineReader`] serves the protein parsers (errors are
//! [`ParseError`]s with 1-based line numbers). All three detect gzip the same
//! way, in [`gunzip_if_gzip`].

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::error::{DataError, ParseError, ParseResult};

/// Read buffer size for data files (and for the decompressed stream).
const BUF_CAPACITY: usize = 1 << 16;

/// The name used in error messages for `path`.
pub(crate) fn display_name(path: &Path) -> String {
    path.display().to_string()
}

/// Wrap `reader` so that gzip data is decompressed: detected by the gzip
/// magic bytes (`1f 8b`), not by the name, so `*.gz` files, plain files and
/// gzip files under other names all work through the same call. Multi-member
/// streams (as written by `bgzip` or `cat a.gz b.gz`) are read to the end.
pub(crate) fn gunzip_if_gzip<'a, R: Read + 'a>(
    reader: R,
) -> std::io::Result<Box<dyn BufRead + 'a>> {
    let mut buf = BufReader::with_capacity(BUF_CAPACITY, reader);
    let head = buf.fill_buf()?;
    if head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b {
        Ok(Box::new(BufReader::with_capacity(
            BUF_CAPACITY,
            MultiGzDecoder::new(buf),
        )))
    } else {
        Ok(Box::new(buf))
    }
}

/// Open `path` for buffered reading, gunzipping it if it is gzip data.
pub(crate) fn open_gunzipped(path: &Path) -> std::io::Result<Box<dyn BufRead>> {
    gunzip_if_gzip(File::open(path)?)
}

/// [`gunzip_if_gzip`] with the error as a [`DataError`] naming `name`.
pub fn maybe_gunzip<'a, R: Read + 'a>(
    name: &str,
    reader: R,
) -> Result<Box<dyn BufRead + 'a>, DataError> {
    gunzip_if_gzip(reader).map_err(|e| DataError::io(name, e))
}

/// Open `path` for reading, gunzipping it if it is gzip data (`*.gz`).
pub(crate) fn open_data(path: &Path) -> Result<Box<dyn BufRead>, DataError> {
    open_gunzipped(path).map_err(|e| DataError::io(display_name(path), e))
}

/// Reads lines with their 1-based numbers, strips the line terminator
/// (`\n` or `\r\n`) and turns I/O and UTF-8 failures into [`ParseError`]s.
pub(crate) struct LineReader<R> {
    name: PathBuf,
    inner: R,
    line_no: usize,
    buf: String,
}

impl LineReader<Box<dyn BufRead>> {
    /// Opens `path` (gunzipping it if needed, see [`gunzip_if_gzip`]); a
    /// failure to open or read it is a line-0 [`ParseError`].
    pub fn open(path: &Path) -> ParseResult<Self> {
        let reader = open_gunzipped(path).map_err(|e| ParseError::io(path, 0, &e))?;
        Ok(LineReader::new(path, reader))
    }
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
    pub(crate) fn line_no(&self) -> usize {
        self.line_no
    }

    /// Advances to the next line; `Ok(false)` at end of input. The line is
    /// then available from [`LineReader::line`].
    pub(crate) fn advance(&mut self) -> ParseResult<bool> {
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
    pub(crate) fn field_error(
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

/// The file stem with any `.gz` and then the data extension removed:
/// `dir/AAPL.csv.gz` → `AAPL`.
pub(crate) fn data_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    match name.rfind('.') {
        Some(i) if i > 0 => name[..i].to_string(),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write_gz(path: &Path, content: &[u8]) {
        let mut enc = flate2::write::GzEncoder::new(
            File::create(path).unwrap(),
            flate2::Compression::default(),
        );
        enc.write_all(content).unwrap();
        enc.finish().unwrap();
    }

    #[test]
    fn gz_and_plain_read_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.csv");
        std::fs::write(&plain, "x,y\n1,2\n").unwrap();
        let gz = dir.path().join("a.csv.gz");
        write_gz(&gz, b"x,y\n1,2\n");
        for p in [&plain, &gz] {
            let mut s = String::new();
            open_data(p).unwrap().read_to_string(&mut s).unwrap();
            assert_eq!(s, "x,y\n1,2\n");
        }
    }

    #[test]
    fn line_reader_numbers_lines_and_gunzips() {
        let dir = tempfile::tempdir().unwrap();
        // gzip data under a name without `.gz`: found by the magic bytes
        let gz = dir.path().join("a.txt");
        write_gz(&gz, b"one\r\ntwo\n\nfour");
        let mut r = LineReader::open(&gz).unwrap();
        let mut got = Vec::new();
        while r.advance().unwrap() {
            got.push((r.line_no(), r.line().to_string()));
        }
        let want = [(1, "one"), (2, "two"), (3, ""), (4, "four")];
        assert_eq!(got, want.map(|(n, l)| (n, l.to_string())));
        let e = r.field_error("f", "bad", "fix");
        assert_eq!(
            e.to_string(),
            format!("{}:4: field `f`: bad (fix)", gz.display())
        );

        let missing = dir.path().join("missing.txt");
        let e = LineReader::open(&missing).err().unwrap();
        assert_eq!((e.path.as_path(), e.line), (missing.as_path(), 0));
        assert!(matches!(open_data(&missing), Err(DataError::Io { .. })));
    }

    #[test]
    fn stems() {
        assert_eq!(data_stem(Path::new("d/AAPL.csv.gz")), "AAPL");
        assert_eq!(data_stem(Path::new("d/sp500.csv")), "sp500");
        assert_eq!(data_stem(Path::new("noext")), "noext");
    }
}
