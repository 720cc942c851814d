//! A small reader for NumPy `.npy` arrays and `.npz` archives (a zip of
//! `.npy` members, stored or deflated).
//!
//! Supported: dtypes `<u2` (uint16), `<i2` (int16), `<f4` (float32), `<f8`
//! (float64), little-endian, C order, 1-D or 2-D, `.npy` format versions 1,
//! 2 and 3. Anything else is a [`ParseError`] that says what was found.
//!
//! Needed for the two real ECG records, see [`super::record`].

use std::io::{Read, Seek};
use std::path::Path;

use indexmap::IndexMap;

use crate::error::{DataError, ParseError};
use crate::io::display_name;

/// The element values of an array.
#[derive(Debug, Clone, PartialEq)]
pub enum NpyData {
    U16(Vec<u16>),
    I16(Vec<i16>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

/// One array: shape (1 or 2 dims, C order) and data.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    pub shape: Vec<usize>,
    pub data: NpyData,
}

impl NpyArray {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// True when the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All elements as f64, in C order.
    pub(crate) fn to_f64(&self) -> Vec<f64> {
        match &self.data {
            NpyData::U16(v) => v.iter().map(|&x| x as f64).collect(),
            NpyData::I16(v) => v.iter().map(|&x| x as f64).collect(),
            NpyData::F32(v) => v.iter().map(|&x| x as f64).collect(),
            NpyData::F64(v) => v.clone(),
        }
    }

    /// The dtype string as NumPy writes it.
    pub fn dtype(&self) -> &'static str {
        match self.data {
            NpyData::U16(_) => "<u2",
            NpyData::I16(_) => "<i2",
            NpyData::F32(_) => "<f4",
            NpyData::F64(_) => "<f8",
        }
    }
}

/// Parse the bytes of one `.npy` file; `name` is used in errors.
pub(crate) fn parse_npy(name: &str, bytes: &[u8]) -> Result<NpyArray, ParseError> {
    let err = |field: Option<&str>, msg: String, hint: &str| match field {
        Some(field) => ParseError::field(name, 0, field, msg, hint),
        None => ParseError::new(name, 0, msg, hint),
    };
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(err(
            None,
            "not a .npy array (no \\x93NUMPY magic)".into(),
            "write it with numpy.save / numpy.savez",
        ));
    }
    let major = bytes[6];
    let (hlen, hstart) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(err(
                    None,
                    "truncated .npy header".into(),
                    "the file is cut short; extract it again",
                ));
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        v => {
            return Err(err(
                None,
                format!("unsupported .npy format version {v}"),
                "versions 1.0, 2.0 and 3.0 are supported",
            ))
        }
    };
    let hend = hstart + hlen;
    if bytes.len() < hend {
        return Err(err(
            None,
            "truncated .npy header".into(),
            "the file is cut short; extract it again",
        ));
    }
    let header = std::str::from_utf8(&bytes[hstart..hend]).map_err(|_| {
        err(
            None,
            "header is not text".into(),
            "the file is not a NumPy array",
        )
    })?;
    let descr = dict_value(header, "descr").ok_or_else(|| {
        err(
            Some("descr"),
            "header has no 'descr'".into(),
            "the file is not a NumPy array",
        )
    })?;
    let descr = descr.trim().trim_matches(|c| c == '\'' || c == '"');
    let fortran = dict_value(header, "fortran_order").ok_or_else(|| {
        err(
            Some("fortran_order"),
            "header has no 'fortran_order'".into(),
            "the file is not a NumPy array",
        )
    })?;
    if fortran.trim() != "False" {
        return Err(err(
            Some("fortran_order"),
            format!(
                "Fortran-order arrays are not supported (fortran_order = {})",
                fortran.trim()
            ),
            "save a C-order copy: numpy.save(f, numpy.ascontiguousarray(a))",
        ));
    }
    let shape_s = dict_value(header, "shape").ok_or_else(|| {
        err(
            Some("shape"),
            "header has no 'shape'".into(),
            "the file is not a NumPy array",
        )
    })?;
    let shape: Vec<usize> = shape_s
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            err(
                Some("shape"),
                format!("bad shape `{}`", shape_s.trim()),
                "shape must be a tuple of integers",
            )
        })?;
    if shape.is_empty() || shape.len() > 2 {
        return Err(err(
            Some("shape"),
            format!(
                "{}-D arrays are not supported (shape {:?})",
                shape.len(),
                shape
            ),
            "only 1-D and 2-D arrays are read; reshape before saving",
        ));
    }
    let n: usize = shape.iter().product();
    let body = &bytes[hend..];
    let (size, data) = match descr {
        "<u2" => (
            2,
            NpyData::U16(
                body.chunks_exact(2)
                    .take(n)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect(),
            ),
        ),
        "<i2" => (
            2,
            NpyData::I16(
                body.chunks_exact(2)
                    .take(n)
                    .map(|c| i16::from_le_bytes([c[0], c[1]]))
                    .collect(),
            ),
        ),
        "<f4" => (
            4,
            NpyData::F32(
                body.chunks_exact(4)
                    .take(n)
                    .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                    .collect(),
            ),
        ),
        "<f8" => (
            8,
            NpyData::F64(
                body.chunks_exact(8)
                    .take(n)
                    .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                    .collect(),
            ),
        ),
        d if d.starts_with('>') => {
            return Err(err(
                Some("descr"),
                format!("big-endian dtype `{d}` is not supported"),
                "convert first: numpy.save(f, a.astype(a.dtype.newbyteorder('<')))",
            ))
        }
        d => {
            return Err(err(
                Some("descr"),
                format!("dtype `{d}` is not supported"),
                "supported: <u2 (uint16), <i2 (int16), <f4 (float32), <f8 (float64)",
            ))
        }
    };
    if body.len() < n * size {
        return Err(err(
            None,
            format!(
                "data is truncated: shape {:?} needs {} bytes, found {}",
                shape,
                n * size,
                body.len()
            ),
            "the file is cut short; extract it again",
        ));
    }
    Ok(NpyArray { shape, data })
}

/// The raw text of `key`'s value in a Python dict literal header.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let pat1 = format!("'{key}'");
    let pat2 = format!("\"{key}\"");
    let start = header
        .find(&pat1)
        .map(|i| i + pat1.len())
        .or_else(|| header.find(&pat2).map(|i| i + pat2.len()))?;
    let rest = header[start..].trim_start().strip_prefix(':')?.trim_start();
    // The value ends at the first top-level comma or closing brace.
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[') => depth += 1,
            (None, ')' | ']') => depth -= 1,
            (None, ',' | '}') if depth == 0 => return Some(&rest[..i]),
            _ => {}
        }
    }
    Some(rest)
}

/// Every array in an `.npz` archive, keyed by member name without `.npy`.
pub(crate) fn read_npz(path: &Path) -> Result<IndexMap<String, NpyArray>, DataError> {
    let name = display_name(path);
    let f = std::fs::File::open(path).map_err(|e| DataError::io(&name, e))?;
    read_npz_from_reader(&name, f)
}

/// Like [`read_npz`] from any seekable reader; `name` is used in errors.
pub(crate) fn read_npz_from_reader<R: Read + Seek>(
    name: &str,
    reader: R,
) -> Result<IndexMap<String, NpyArray>, DataError> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| {
        ParseError::new(
            name,
            0,
            format!("not an .npz (zip) archive: {e}"),
            "write it with numpy.savez / numpy.savez_compressed",
        )
    })?;
    let mut out = IndexMap::new();
    for i in 0..zip.len() {
        let mut m = zip.by_index(i).map_err(|e| {
            ParseError::new(
                name,
                0,
                format!("unreadable zip member #{i}: {e}"),
                "the archive is damaged; fetch it again",
            )
        })?;
        let member = m.name().to_string();
        let mut bytes = Vec::with_capacity(m.size() as usize);
        m.read_to_end(&mut bytes)
            .map_err(|e| DataError::io(format!("{name}!{member}"), e))?;
        let key = member.strip_suffix(".npy").unwrap_or(&member).to_string();
        let arr = parse_npy(&format!("{name}!{member}"), &bytes)?;
        out.insert(key, arr);
    }
    Ok(out)
}

/// One array of an `.npz` by key; a missing key lists the keys present.
pub(crate) fn read_npz_array(path: &Path, key: &str) -> Result<NpyArray, DataError> {
    let mut all = read_npz(path)?;
    all.shift_remove(key).ok_or_else(|| {
        ParseError::field(
            path,
            0,
            key,
            format!(
                "no array `{key}`; keys present: {}",
                all.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
            "pass one of the keys present",
        )
        .into()
    })
}

/// Encode a 1-D/2-D array as `.npy` version 1.0 bytes (used by tests and
/// handy for fixtures).
pub fn write_npy(arr: &NpyArray) -> Vec<u8> {
    let shape = match arr.shape.as_slice() {
        [n] => format!("({n},)"),
        s => format!(
            "({})",
            s.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}",
        arr.dtype()
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    match &arr.data {
        NpyData::U16(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        NpyData::I16(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        NpyData::F32(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        NpyData::F64(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
    }
    out
}

/// Pack arrays into `.npz` bytes (deflated), like `numpy.savez_compressed`;
/// names get `.npy` appended. For fixtures and tests.
pub fn write_npz(members: &[(&str, &NpyArray)]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::FileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, arr) in members {
        w.start_file(format!("{name}.npy"), opts)
            .expect("in-memory zip");
        w.write_all(&write_npy(arr)).expect("in-memory zip");
    }
    w.finish().expect("in-memory zip").into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn npz(members: &[(&str, Vec<u8>)], deflate: bool) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let method = if deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        for (name, bytes) in members {
            w.start_file(
                *name,
                zip::write::FileOptions::default().compression_method(method),
            )
            .unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn round_trips_all_dtypes() {
        let arrays = [
            NpyArray {
                shape: vec![3],
                data: NpyData::U16(vec![0, 1024, 65535]),
            },
            NpyArray {
                shape: vec![2, 2],
                data: NpyData::I16(vec![-3, 4, -32768, 7]),
            },
            NpyArray {
                shape: vec![2],
                data: NpyData::F32(vec![1.5, -0.25]),
            },
            NpyArray {
                shape: vec![1, 3],
                data: NpyData::F64(vec![1e-300, 2.0, f64::MAX]),
            },
        ];
        for a in &arrays {
            assert_eq!(&parse_npy("x.npy", &write_npy(a)).unwrap(), a);
        }
        let members: Vec<(&str, Vec<u8>)> = ["a.npy", "b.npy", "c.npy", "d.npy"]
            .iter()
            .zip(&arrays)
            .map(|(n, a)| (*n, write_npy(a)))
            .collect();
        for deflate in [false, true] {
            let m = read_npz_from_reader("t.npz", Cursor::new(npz(&members, deflate))).unwrap();
            assert_eq!(
                m.keys().cloned().collect::<Vec<_>>(),
                vec!["a", "b", "c", "d"]
            );
            assert_eq!(m["b"], arrays[1]);
        }
    }

    #[test]
    fn rejects_unsupported_arrays_clearly() {
        let good = write_npy(&NpyArray {
            shape: vec![2],
            data: NpyData::F64(vec![1.0, 2.0]),
        });
        let swap = |from: &str, to: &str| {
            let mut b = good.clone();
            let i = good
                .windows(from.len())
                .position(|w| w == from.as_bytes())
                .unwrap();
            b.splice(i..i + from.len(), to.bytes());
            b
        };
        let e = parse_npy("x.npy", &swap("'<f8'", "'>f8'")).unwrap_err();
        assert!(e.to_string().contains("field `descr`: big-endian"), "{e}");
        let e = parse_npy("x.npy", &swap("'<f8'", "'<c8'")).unwrap_err();
        assert!(
            e.to_string().contains("dtype `<c8` is not supported"),
            "{e}"
        );
        let e = parse_npy("x.npy", &swap("False", "True ")).unwrap_err();
        assert!(e.to_string().contains("Fortran-order"), "{e}");
        let e = parse_npy("x.npy", &swap("(2,)", "(1,1,2)")).unwrap_err();
        assert!(
            e.to_string().contains("3-D arrays are not supported"),
            "{e}"
        );
        let e = parse_npy("x.npy", &good[..good.len() - 3]).unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
        let e = parse_npy("x.npy", b"hello world").unwrap_err();
        assert!(e.to_string().contains("magic"), "{e}");
    }
}
