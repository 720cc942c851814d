//! Minimal NumPy `.npy` reader/writer (format v1.0 write; v1–v3 read).
//!
//! Generated datasets are exchanged with Python (plots, reference checks) as
//! plain `.npy` so `numpy.load` needs no extra packages. Only the dtypes the
//! engine uses are supported — `<u4`, `<i4`, `|u1`, `<f4` — little-endian,
//! C order. Writes go to a temp file in the target directory and are renamed
//! into place, so a crashed or concurrent writer never leaves a torn file.

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use thiserror::Error;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Errors from `.npy` I/O.
#[derive(Debug, Error)]
pub enum NpyError {
    #[error("npy I/O on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("shape {shape:?} holds {expected} elements but data has {got}")]
    ShapeMismatch {
        shape: Vec<usize>,
        expected: usize,
        got: usize,
    },
    #[error("not a valid .npy file: {0}")]
    Format(String),
    #[error("dtype mismatch: file has '{found}', caller asked for '{wanted}'")]
    Dtype { found: String, wanted: &'static str },
}

/// Element types with a fixed little-endian `.npy` encoding.
pub trait NpyElem: Copy + Sized {
    /// NumPy dtype string written into the header.
    const DESCR: &'static str;
    /// Bytes per element.
    const SIZE: usize;
    fn put(self, out: &mut Vec<u8>);
    fn get(bytes: &[u8]) -> Self;
}

macro_rules! npy_elem {
    ($t:ty, $descr:literal) => {
        impl NpyElem for $t {
            const DESCR: &'static str = $descr;
            const SIZE: usize = std::mem::size_of::<$t>();
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().expect("caller slices SIZE bytes"))
            }
        }
    };
}
npy_elem!(u32, "<u4");
npy_elem!(i32, "<i4");
npy_elem!(u8, "|u1");
npy_elem!(f32, "<f4");

/// The v1.0 header: magic, version, u16 length, then the dict padded with
/// spaces and a final '\n' so the data starts at a multiple of 64 bytes.
pub(crate) fn header_bytes(descr: &str, shape: &[usize]) -> Vec<u8> {
    let shape_str = match shape {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut dict =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_str}, }}");
    let unpadded = MAGIC.len() + 2 + 2 + dict.len() + 1;
    dict.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    dict.push('\n');
    let mut out = Vec::with_capacity(unpadded + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> NpyError + '_ {
    move |source| NpyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Temp path next to `path`, unique per process and call.
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let k = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.tmp.{}.{k}", std::process::id()))
}

/// Write `data` with `shape` to `path` atomically (temp file + rename).
pub fn write_npy<T: NpyElem>(path: &Path, shape: &[usize], data: &[T]) -> Result<(), NpyError> {
    let expected: usize = shape.iter().product();
    if expected != data.len() {
        return Err(NpyError::ShapeMismatch {
            shape: shape.to_vec(),
            expected,
            got: data.len(),
        });
    }
    let tmp = temp_path(path);
    let result = (|| {
        let file = File::create(&tmp).map_err(io_err(&tmp))?;
        let mut w = BufWriter::new(file);
        w.write_all(&header_bytes(T::DESCR, shape))
            .map_err(io_err(&tmp))?;
        let mut buf = Vec::with_capacity(T::SIZE * 8192);
        for chunk in data.chunks(8192) {
            buf.clear();
            chunk.iter().for_each(|&x| x.put(&mut buf));
            w.write_all(&buf).map_err(io_err(&tmp))?;
        }
        let file = w.into_inner().map_err(|e| io_err(&tmp)(e.into_error()))?;
        file.sync_all().map_err(io_err(&tmp))?;
        fs::rename(&tmp, path).map_err(io_err(path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A parsed header: dtype string, shape, and where the data starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NpyHeader {
    pub descr: String,
    pub shape: Vec<usize>,
    pub data_offset: usize,
}

/// Value text following `'key':` in the header dict.
fn dict_value<'a>(dict: &'a str, key: &str) -> Result<&'a str, NpyError> {
    let pat = format!("'{key}':");
    let at = dict
        .find(&pat)
        .ok_or_else(|| NpyError::Format(format!("header lacks '{key}': {dict}")))?;
    Ok(dict[at + pat.len()..].trim_start())
}

/// Parse the magic, version and header dict of an `.npy` byte buffer.
pub(crate) fn parse_header(bytes: &[u8]) -> Result<NpyHeader, NpyError> {
    let fmt = |m: &str| NpyError::Format(m.to_string());
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(fmt("bad magic"));
    }
    let (hlen, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize,
            12,
        ),
        v => return Err(NpyError::Format(format!("unsupported version {v}"))),
    };
    let end = start + hlen;
    let dict = bytes
        .get(start..end)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| fmt("truncated or non-UTF-8 header"))?;

    let d = dict_value(dict, "descr")?;
    let descr = d
        .strip_prefix('\'')
        .and_then(|r| r.split('\'').next())
        .ok_or_else(|| fmt("descr is not a quoted string"))?
        .to_string();
    if !dict_value(dict, "fortran_order")?.starts_with("False") {
        return Err(fmt("fortran_order arrays are not supported"));
    }
    let s = dict_value(dict, "shape")?;
    let inner = s
        .strip_prefix('(')
        .and_then(|r| r.split(')').next())
        .ok_or_else(|| fmt("shape is not a tuple"))?;
    let shape = inner
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<usize>().map_err(|_| fmt("bad shape entry")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(NpyHeader {
        descr,
        shape,
        data_offset: end,
    })
}

/// Decode an in-memory `.npy` file as element type `T`.
pub fn from_bytes<T: NpyElem>(bytes: &[u8]) -> Result<(Vec<usize>, Vec<T>), NpyError> {
    let h = parse_header(bytes)?;
    // numpy may write '<u1' or '|u1' for bytes; both mean u8.
    let same = h.descr == T::DESCR || (T::DESCR == "|u1" && h.descr == "<u1");
    if !same {
        return Err(NpyError::Dtype {
            found: h.descr,
            wanted: T::DESCR,
        });
    }
    let count: usize = h.shape.iter().product();
    let body = &bytes[h.data_offset..];
    if body.len() != count * T::SIZE {
        return Err(NpyError::Format(format!(
            "shape {:?} needs {} data bytes, file has {}",
            h.shape,
            count * T::SIZE,
            body.len()
        )));
    }
    let data = body.chunks_exact(T::SIZE).map(T::get).collect();
    Ok((h.shape, data))
}

/// Read an `.npy` file as element type `T`; returns (shape, data).
pub fn read_npy<T: NpyElem>(path: &Path) -> Result<(Vec<usize>, Vec<T>), NpyError> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(io_err(path))?;
    from_bytes(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("npy-test-{tag}-{}", std::process::id()));
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn header_exact_bytes() {
        // Same bytes as numpy 2.4's np.save for a (2, 3) uint32 array.
        let h = header_bytes("<u4", &[2, 3]);
        assert_eq!(h.len(), 128);
        let dict = "{'descr': '<u4', 'fortran_order': False, 'shape': (2, 3), }";
        assert_eq!(&h[..8], b"\x93NUMPY\x01\x00");
        assert_eq!(u16::from_le_bytes([h[8], h[9]]), 118);
        assert_eq!(&h[10..10 + dict.len()], dict.as_bytes());
        assert!(h[10 + dict.len()..127].iter().all(|&b| b == b' '));
        assert_eq!(h[127], b'\n');
        // 1-d and 0-d shapes use Python tuple syntax.
        let one = header_bytes("|u1", &[5]);
        assert!(String::from_utf8_lossy(&one).contains("'shape': (5,), }"));
        assert!(String::from_utf8_lossy(&header_bytes("<f4", &[])).contains("'shape': (), }"));
        for shape in [vec![], vec![1], vec![123456789, 100], vec![1; 20]] {
            assert_eq!(header_bytes("<i4", &shape).len() % 64, 0, "{shape:?}");
        }
    }

    #[test]
    fn round_trip_all_dtypes() {
        let d = tmpdir("rt");
        let p = d.join("a.npy");
        let u: Vec<u32> = vec![0, 1, u32::MAX, 7, 8, 9];
        write_npy(&p, &[2, 3], &u).unwrap();
        assert_eq!(read_npy::<u32>(&p).unwrap(), (vec![2, 3], u));
        let i: Vec<i32> = vec![-1, i32::MIN, i32::MAX];
        write_npy(&p, &[3], &i).unwrap();
        assert_eq!(read_npy::<i32>(&p).unwrap(), (vec![3], i));
        let b: Vec<u8> = (0..=255).collect();
        write_npy(&p, &[4, 8, 8], &b).unwrap();
        assert_eq!(read_npy::<u8>(&p).unwrap(), (vec![4, 8, 8], b));
        let f: Vec<f32> = vec![0.5, -1.25, f32::INFINITY, 1e-30];
        write_npy(&p, &[2, 2], &f).unwrap();
        assert_eq!(read_npy::<f32>(&p).unwrap(), (vec![2, 2], f));
        // File = 128-byte header + raw little-endian data.
        let bytes = fs::read(&p).unwrap();
        assert_eq!(bytes.len(), 128 + 16);
        assert_eq!(&bytes[128..132], &0.5f32.to_le_bytes());
        // No temp files left behind.
        let names: Vec<_> = fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.npy")]);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn errors() {
        let d = tmpdir("err");
        let p = d.join("b.npy");
        let e = write_npy(&p, &[2, 2], &[1u32, 2, 3]).unwrap_err();
        assert!(matches!(
            e,
            NpyError::ShapeMismatch {
                expected: 4,
                got: 3,
                ..
            }
        ));
        assert!(!p.exists());
        write_npy(&p, &[2], &[1u8, 2]).unwrap();
        let e = read_npy::<u32>(&p).unwrap_err();
        assert_eq!(
            e.to_string(),
            "dtype mismatch: file has '|u1', caller asked for '<u4'"
        );
        let mut bytes = fs::read(&p).unwrap();
        bytes.pop();
        assert!(matches!(from_bytes::<u8>(&bytes), Err(NpyError::Format(_))));
        assert!(matches!(
            from_bytes::<u8>(b"not numpy"),
            Err(NpyError::Format(_))
        ));
        // A directory that does not exist is an I/O error naming the path.
        let e = write_npy(&d.join("no/such/dir.npy"), &[1], &[1u8]).unwrap_err();
        assert!(e.to_string().contains("no/such"), "{e}");
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn parses_numpy_style_variants() {
        // numpy 2 omits the trailing ", " and uses '<u1' in some builds.
        let dict = "{'descr': '<u1', 'fortran_order': False, 'shape': (3,)}";
        let mut v = b"\x93NUMPY\x01\x00".to_vec();
        let pad = 128 - (10 + dict.len() + 1);
        let header = format!("{dict}{}\n", " ".repeat(pad));
        v.extend_from_slice(&(header.len() as u16).to_le_bytes());
        v.extend_from_slice(header.as_bytes());
        v.extend_from_slice(&[4, 5, 6]);
        assert_eq!(from_bytes::<u8>(&v).unwrap(), (vec![3], vec![4, 5, 6]));
        let at = v.windows(5).position(|w| w == b"False").unwrap();
        v[at..at + 5].copy_from_slice(b"True ");
        assert!(from_bytes::<u8>(&v).is_err());
    }
}
