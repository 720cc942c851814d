//! Opening data files: gzip is undone transparently.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::error::DataError;

/// The name used in error messages for `path`.
pub fn display_name(path: &Path) -> String {
    path.display().to_string()
}

/// Wrap `reader` so that gzip data is decompressed: detected by the gzip
/// magic bytes (`1f 8b`), so both `*.gz` files and plain files work through
/// the same call.
pub fn maybe_gunzip<'a, R: Read + 'a>(
    name: &str,
    reader: R,
) -> Result<Box<dyn BufRead + 'a>, DataError> {
    let mut buf = BufReader::new(reader);
    let head = buf.fill_buf().map_err(|e| DataError::io(name, e))?;
    if head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b {
        Ok(Box::new(BufReader::new(MultiGzDecoder::new(buf))))
    } else {
        Ok(Box::new(buf))
    }
}

/// Open `path` for reading, gunzipping it if it is gzip data (`*.gz`).
pub fn open_data(path: &Path) -> Result<Box<dyn BufRead>, DataError> {
    let name = display_name(path);
    let f = File::open(path).map_err(|e| DataError::io(&name, e))?;
    maybe_gunzip(&name, f)
}

/// The file stem with any `.gz` and then the data extension removed:
/// `dir/AAPL.csv.gz` → `AAPL`.
pub fn data_stem(path: &Path) -> String {
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

    #[test]
    fn gz_and_plain_read_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.csv");
        std::fs::write(&plain, "x,y\n1,2\n").unwrap();
        let gz = dir.path().join("a.csv.gz");
        let mut enc = flate2::write::GzEncoder::new(
            File::create(&gz).unwrap(),
            flate2::Compression::default(),
        );
        enc.write_all(b"x,y\n1,2\n").unwrap();
        enc.finish().unwrap();
        for p in [&plain, &gz] {
            let mut s = String::new();
            open_data(p).unwrap().read_to_string(&mut s).unwrap();
            assert_eq!(s, "x,y\n1,2\n");
        }
    }

    #[test]
    fn stems() {
        assert_eq!(data_stem(Path::new("d/AAPL.csv.gz")), "AAPL");
        assert_eq!(data_stem(Path::new("d/sp500.csv")), "sp500");
        assert_eq!(data_stem(Path::new("noext")), "noext");
    }
}
