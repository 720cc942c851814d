//! The Kaggle heartbeat CSVs (`shayanfazeli/heartbeat`, from Kachuee, Fazeli
//! and Sarrafzadeh 2018): `mitbih_train.csv`, `mitbih_test.csv`,
//! `ptbdb_normal.csv`, `ptbdb_abnormal.csv`.
//!
//! Format: no header row; 188 comma-separated columns = 187 samples (125 Hz,
//! values in [0, 1], zero-padded) then the label written as a float
//! (`0.000000000000000000e+00`). MIT-BIH labels are 0..=4 (N, S, V, F, Q),
//! PTB labels 0 (normal) / 1 (abnormal).

use std::io::BufRead;
use std::path::Path;

use crate::error::{DataError, MissingData, ParseError};
use crate::io::{display_name, maybe_gunzip, open_data};
use crate::rng::SplitMix64;

/// Samples per beat in the Kaggle files.
pub const BEAT_LEN: usize = 187;
/// Columns per row: the samples plus the label.
pub(crate) const N_COLUMNS: usize = BEAT_LEN + 1;
/// The four files of the Kaggle data set.
pub const KAGGLE_FILES: [&str; 4] = [
    "mitbih_train.csv",
    "mitbih_test.csv",
    "ptbdb_normal.csv",
    "ptbdb_abnormal.csv",
];
/// MIT-BIH class names for labels 0..=4.
pub const MITBIH_CLASSES: [&str; 5] = ["N", "S", "V", "F", "Q"];

/// Which label set a file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelSet {
    /// Labels 0..=4 (N, S, V, F, Q).
    MitBih,
    /// Labels 0 (normal) and 1 (abnormal).
    Ptb,
}

impl LabelSet {
    /// The largest label allowed.
    pub fn max_label(self) -> u8 {
        match self {
            LabelSet::MitBih => 4,
            LabelSet::Ptb => 1,
        }
    }

    /// Number of classes.
    pub fn n_classes(self) -> usize {
        self.max_label() as usize + 1
    }
}

/// Beats and their labels, row for row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Beats {
    pub samples: Vec<[f32; BEAT_LEN]>,
    pub labels: Vec<u8>,
}

impl Beats {
    /// Number of beats.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no beats.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// How many beats carry each label 0..n_classes.
    pub fn class_counts(&self, n_classes: usize) -> Vec<usize> {
        let mut c = vec![0; n_classes];
        for &l in &self.labels {
            if (l as usize) < n_classes {
                c[l as usize] += 1;
            }
        }
        c
    }

    /// Append all beats of `other`.
    pub fn extend(&mut self, other: Beats) {
        self.samples.extend(other.samples);
        self.labels.extend(other.labels);
    }

    /// The beats at `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Beats {
        Beats {
            samples: idx.iter().map(|&i| self.samples[i]).collect(),
            labels: idx.iter().map(|&i| self.labels[i]).collect(),
        }
    }
}

/// Load one Kaggle heartbeat CSV (plain or `.gz`).
pub(crate) fn load_beats(path: &Path, labels: LabelSet) -> Result<Beats, DataError> {
    let name = display_name(path);
    parse_beats(&name, open_data(path)?, labels)
}

/// Load beats from any reader; `name` is used in error messages.
pub fn load_beats_from_reader<R: std::io::Read>(
    name: &str,
    reader: R,
    labels: LabelSet,
) -> Result<Beats, DataError> {
    parse_beats(name, maybe_gunzip(name, reader)?, labels)
}

fn parse_beats(name: &str, reader: impl BufRead, labels: LabelSet) -> Result<Beats, DataError> {
    let mut out = Beats::default();
    let max = labels.max_label();
    for (i, line) in reader.lines().enumerate() {
        let lineno = i + 1;
        let line = line.map_err(|e| DataError::io(name, e))?;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if lineno == 1 && looks_like_header(&fields) {
            return Err(ParseError::new(
                name,
                1,
                format!(
                    "first row looks like a header; these files have none (`{}`)",
                    clip(line)
                ),
                "delete the first line: every row must be 187 numbers and a label",
            )
            .into());
        }
        if fields.len() != N_COLUMNS {
            return Err(ParseError::new(
                name,
                lineno,
                format!("expected {N_COLUMNS} columns (187 samples + label), found {}", fields.len()),
                "each row is 187 comma-separated samples then the label; is the file truncated or a different data set?",)
            .into());
        }
        let mut beat = [0f32; BEAT_LEN];
        for (j, f) in fields[..BEAT_LEN].iter().enumerate() {
            let v: f64 = f.trim().parse().map_err(|_| {
                ParseError::field(
                    name,
                    lineno,
                    format!("sample {} (column {})", j + 1, j + 1),
                    format!("not a number: `{}`", f.trim()),
                    "samples must be decimal numbers such as 9.779e-01",
                )
            })?;
            if !v.is_finite() {
                return Err(ParseError::field(
                    name,
                    lineno,
                    format!("sample {} (column {})", j + 1, j + 1),
                    format!("not a finite number: `{}`", f.trim()),
                    "replace NaN/inf samples, or drop the row",
                )
                .into());
            }
            beat[j] = v as f32;
        }
        let lf = fields[BEAT_LEN].trim();
        let field = format!("label (column {N_COLUMNS})");
        let lv: f64 = lf.parse().map_err(|_| {
            ParseError::field(
                name,
                lineno,
                &field,
                format!("not a number: `{lf}`"),
                format!(
                    "the last column is the class label, an integer 0..={max} written as a float"
                ),
            )
        })?;
        if lv.fract() != 0.0 || lv < 0.0 || lv > max as f64 {
            return Err(ParseError::field(
                name,
                lineno,
                &field,
                format!("label `{lf}` is not an integer in 0..={max}"),
                match labels {
                    LabelSet::MitBih => "MIT-BIH labels are 0..=4 (N, S, V, F, Q)",
                    LabelSet::Ptb => "PTB labels are 0 (normal) or 1 (abnormal)",
                },
            )
            .into());
        }
        out.samples.push(beat);
        out.labels.push(lv as u8);
    }
    Ok(out)
}

/// A header row: any non-numeric field, or the column numbers 0, 1, 2, …
/// that `pandas.DataFrame.to_csv` writes by default.
fn looks_like_header(fields: &[&str]) -> bool {
    fields.iter().any(|f| f.trim().parse::<f64>().is_err())
        || (fields.len() > 2
            && fields
                .iter()
                .enumerate()
                .all(|(i, f)| f.trim() == i.to_string()))
}

fn clip(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

/// The error for absent Kaggle files, with the steps that fetch them.
pub(crate) fn missing_kaggle(dir: &Path, missing: Vec<String>) -> MissingData {
    MissingData {
        dir: dir.to_path_buf(),
        expected: KAGGLE_FILES.iter().map(|s| s.to_string()).collect(),
        missing,
        steps: vec![
            "pip install kaggle   (needs an API token in ~/.kaggle/kaggle.json: Kaggle → Settings → API → Create New Token)".into(),
            "kaggle datasets download -d shayanfazeli/heartbeat".into(),
            format!("unzip heartbeat.zip -d {}/", dir.display()),
        ],
    }
}

fn require(dir: &Path, files: &[&str]) -> Result<(), DataError> {
    let missing: Vec<String> = files
        .iter()
        .filter(|f| !dir.join(f).is_file() && !dir.join(format!("{f}.gz")).is_file())
        .map(|f| f.to_string())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing_kaggle(dir, missing).into())
    }
}

fn path_in(dir: &Path, f: &str) -> std::path::PathBuf {
    let p = dir.join(f);
    if p.is_file() {
        p
    } else {
        dir.join(format!("{f}.gz"))
    }
}

/// MIT-BIH train and test sets from `dir` (e.g. `data/heartbeat`).
pub fn load_mitbih(dir: &Path) -> Result<(Beats, Beats), DataError> {
    require(dir, &KAGGLE_FILES[..2])?;
    let train = load_beats(&path_in(dir, KAGGLE_FILES[0]), LabelSet::MitBih)?;
    let test = load_beats(&path_in(dir, KAGGLE_FILES[1]), LabelSet::MitBih)?;
    Ok((train, test))
}

/// All PTB beats: `ptbdb_normal.csv` (label 0) then `ptbdb_abnormal.csv`
/// (label 1). A row whose label disagrees with its file is an error.
pub(crate) fn load_ptb(dir: &Path) -> Result<Beats, DataError> {
    require(dir, &KAGGLE_FILES[2..])?;
    let mut all = Beats::default();
    for (file, want) in [(KAGGLE_FILES[2], 0u8), (KAGGLE_FILES[3], 1u8)] {
        let p = path_in(dir, file);
        let b = load_beats(&p, LabelSet::Ptb)?;
        if let Some(i) = b.labels.iter().position(|&l| l != want) {
            return Err(ParseError::field(
                &p,
                i + 1,
                "label (column 188)",
                format!(
                    "label {} in {file}, which holds only label {want}",
                    b.labels[i]
                ),
                "are ptbdb_normal.csv and ptbdb_abnormal.csv swapped or edited? unzip them again",
            )
            .into());
        }
        all.extend(b);
    }
    Ok(all)
}

/// Seeded stratified split: within each class, a seeded shuffle puts
/// `round(n_class × train_fraction)` beats in train and the rest in test.
/// Both parts keep the original row order. Same seed, same split.
pub(crate) fn stratified_split(
    beats: &Beats,
    train_fraction: f64,
    seed: u64,
) -> Result<(Beats, Beats), DataError> {
    if !(0.0..=1.0).contains(&train_fraction) {
        return Err(DataError::Invalid(format!(
            "train_fraction must be in [0, 1], got {train_fraction}"
        )));
    }
    let n_classes = beats
        .labels
        .iter()
        .map(|&l| l as usize + 1)
        .max()
        .unwrap_or(0);
    let mut rng = SplitMix64::new(seed);
    let mut train_idx = Vec::new();
    let mut test_idx = Vec::new();
    for c in 0..n_classes {
        let mut idx: Vec<usize> = (0..beats.len())
            .filter(|&i| beats.labels[i] as usize == c)
            .collect();
        rng.shuffle(&mut idx);
        let n_train = (idx.len() as f64 * train_fraction).round() as usize;
        train_idx.extend_from_slice(&idx[..n_train]);
        test_idx.extend_from_slice(&idx[n_train..]);
    }
    train_idx.sort_unstable();
    test_idx.sort_unstable();
    Ok((beats.select(&train_idx), beats.select(&test_idx)))
}

/// PTB loaded and split: see [`load_ptb`] and [`stratified_split`].
pub fn load_ptb_split(
    dir: &Path,
    train_fraction: f64,
    seed: u64,
) -> Result<(Beats, Beats), DataError> {
    stratified_split(&load_ptb(dir)?, train_fraction, seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(first: f64, label: &str) -> String {
        let mut s: Vec<String> = (0..BEAT_LEN)
            .map(|i| format!("{:.18e}", first + i as f64 * 1e-3))
            .collect();
        s.push(label.to_string());
        s.join(",")
    }

    #[test]
    fn parses_rows_and_float_labels() {
        let text = format!(
            "{}\n{}\n",
            row(0.5, "0.000000000000000000e+00"),
            row(0.1, "4.000000000000000000e+00")
        );
        let b = load_beats_from_reader("t.csv", text.as_bytes(), LabelSet::MitBih).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b.labels, vec![0, 4]);
        assert!((b.samples[0][0] - 0.5).abs() < 1e-7);
        assert!((b.samples[1][186] - (0.1 + 0.186) as f32).abs() < 1e-6);
    }

    #[test]
    fn rejects_header_row() {
        let mut text = (0..188).map(|i| i.to_string()).collect::<Vec<_>>();
        text[0] = "c0".into();
        let text = format!("{}\n{}\n", text.join(","), row(0.5, "0"));
        let e = load_beats_from_reader("h.csv", text.as_bytes(), LabelSet::MitBih).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("h.csv:1: "), "{s}");
        assert!(
            s.contains("first row looks like a header; these files have none"),
            "{s}"
        );
    }

    #[test]
    fn rejects_pandas_numbered_header() {
        let header: Vec<String> = (0..188).map(|i| i.to_string()).collect();
        let text = format!("{}\n{}\n", header.join(","), row(0.5, "0"));
        let e = load_beats_from_reader("p.csv", text.as_bytes(), LabelSet::MitBih).unwrap_err();
        assert!(
            e.to_string().contains("first row looks like a header"),
            "{e}"
        );
    }

    #[test]
    fn wrong_column_count_names_line() {
        let short = row(0.5, "0").rsplit_once(',').unwrap().0.to_string();
        let text = format!("{}\n{}\n", row(0.5, "1"), short);
        let e = load_beats_from_reader("w.csv", text.as_bytes(), LabelSet::MitBih).unwrap_err();
        assert!(
            e.to_string().starts_with("w.csv:2: expected 188 columns"),
            "{e}"
        );
    }

    #[test]
    fn bad_labels_and_samples() {
        let text = format!("{}\n", row(0.5, "1.5"));
        let e = load_beats_from_reader("l.csv", text.as_bytes(), LabelSet::MitBih).unwrap_err();
        assert!(e.to_string().contains("field `label (column 188)`"), "{e}");
        let text = format!("{}\n", row(0.5, "2.0"));
        let e = load_beats_from_reader("p.csv", text.as_bytes(), LabelSet::Ptb).unwrap_err();
        assert!(e.to_string().contains("PTB labels are 0"), "{e}");
        let r = row(0.5, "0");
        let mut f: Vec<&str> = r.split(',').collect();
        f[1] = "abc";
        let text = format!("{}\n{}\n", row(0.1, "0"), f.join(","));
        let e = load_beats_from_reader("s.csv", text.as_bytes(), LabelSet::MitBih).unwrap_err();
        assert_eq!(
            e.to_string(),
            "s.csv:2: field `sample 2 (column 2)`: not a number: `abc` (samples must be decimal numbers such as 9.779e-01)"
        );
    }

    #[test]
    fn missing_files_print_the_kaggle_steps() {
        let dir = tempfile::tempdir().unwrap();
        let e = load_mitbih(dir.path()).unwrap_err();
        let s = e.to_string();
        for want in [
            "pip install kaggle",
            "~/.kaggle/kaggle.json",
            "kaggle datasets download -d shayanfazeli/heartbeat",
            "unzip heartbeat.zip -d",
            "mitbih_train.csv, mitbih_test.csv, ptbdb_normal.csv, ptbdb_abnormal.csv",
        ] {
            assert!(s.contains(want), "missing `{want}` in:\n{s}");
        }
        assert!(matches!(e, DataError::Missing(_)));
    }

    #[test]
    fn ptb_loads_both_files_with_labels() {
        let dir = tempfile::tempdir().unwrap();
        let normal: Vec<String> = (0..3).map(|i| row(i as f64 * 0.1, "0.0")).collect();
        let abnormal: Vec<String> = (0..5).map(|i| row(i as f64 * 0.1, "1.0")).collect();
        std::fs::write(dir.path().join("ptbdb_normal.csv"), normal.join("\n")).unwrap();
        std::fs::write(dir.path().join("ptbdb_abnormal.csv"), abnormal.join("\n")).unwrap();
        let b = load_ptb(dir.path()).unwrap();
        assert_eq!(b.class_counts(2), vec![3, 5]);
        // a swapped label is caught with file and line
        let mut bad = abnormal.clone();
        bad[3] = row(0.0, "0.0");
        std::fs::write(dir.path().join("ptbdb_abnormal.csv"), bad.join("\n")).unwrap();
        let e = load_ptb(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("ptbdb_abnormal.csv:4: field `label (column 188)`"),
            "{e}"
        );
    }

    fn toy(n0: usize, n1: usize) -> Beats {
        // 7919 is prime and coprime with n0 + n1 in the test, so this
        // permutes the indices: exactly n0 beats get label 0.
        let n = n0 + n1;
        let mut b = Beats::default();
        for i in 0..n {
            let mut s = [0f32; BEAT_LEN];
            s[0] = i as f32;
            b.samples.push(s);
            b.labels.push(u8::from((i * 7919) % n >= n0));
        }
        b
    }

    #[test]
    fn stratified_split_is_proportional_seeded_and_complete() {
        let b = toy(400, 1000);
        assert_eq!(b.class_counts(2), vec![400, 1000]);
        let (tr, te) = stratified_split(&b, 0.8, 42).unwrap();
        assert_eq!(tr.class_counts(2), vec![320, 800]);
        assert_eq!(te.class_counts(2), vec![80, 200]);
        // disjoint and complete: ids are in samples[..][0]
        let mut ids: Vec<u32> = tr
            .samples
            .iter()
            .chain(te.samples.iter())
            .map(|s| s[0] as u32)
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, (0..1400).collect::<Vec<u32>>());
        // labels travel with their beats
        for part in [&tr, &te] {
            for (s, &l) in part.samples.iter().zip(&part.labels) {
                assert_eq!(b.labels[s[0] as usize], l);
            }
        }
        // deterministic by seed, different for another seed
        let (tr2, te2) = stratified_split(&b, 0.8, 42).unwrap();
        assert_eq!(tr, tr2);
        assert_eq!(te, te2);
        let (tr3, _) = stratified_split(&b, 0.8, 43).unwrap();
        assert_ne!(tr, tr3);
        assert_eq!(tr3.class_counts(2), vec![320, 800]);
        assert!(stratified_split(&b, 1.5, 0).is_err());
    }
}
