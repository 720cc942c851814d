//! blake3 hashing of files and streams.

use std::io::{Read, Write};
use std::path::Path;

use super::error::FetchError;

/// Hex blake3 of a file's bytes.
pub(crate) fn blake3_file(path: &Path) -> Result<String, FetchError> {
    let mut f = std::fs::File::open(path).map_err(|e| FetchError::io(path, e))?;
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| FetchError::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().to_hex().to_string())
}

/// Hex blake3 of bytes.
pub fn blake3_bytes(b: &[u8]) -> String {
    blake3::hash(b).to_hex().to_string()
}

/// True when `s` is 64 lowercase hex digits.
pub(crate) fn is_blake3_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

/// A writer that hashes everything written through it.
pub(crate) struct HashingWriter<W: Write> {
    inner: W,
    hasher: blake3::Hasher,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: blake3::Hasher::new(),
        }
    }

    /// The hex hash of all bytes written, and the inner writer.
    pub fn finish(self) -> (String, W) {
        (self.hasher.finalize().to_hex().to_string(), self.inner)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hash_and_writer_agree() {
        // blake3("") from the reference test vectors
        assert_eq!(
            blake3_bytes(b""),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"hello ").unwrap();
        w.write_all(b"world").unwrap();
        let (h, v) = w.finish();
        assert_eq!(v, b"hello world");
        assert_eq!(h, blake3_bytes(b"hello world"));
        assert!(is_blake3_hex(&h));
        assert!(!is_blake3_hex("ABC"));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"hello world").unwrap();
        assert_eq!(blake3_file(&p).unwrap(), h);
    }
}
