//! [`Target`]: what a sequence data set asks a model to output, beside its
//! `[N, T]` input tokens and `[N, T]` mask (1 = supervised / scored).
//!
//! Three kinds, one concept each:
//!
//! * [`Target::Classes`]: one class per position (automata, Pfam families,
//!   heartbeats, binned forecasts); masked cross-entropy; the model's
//!   `n_classes` outputs are logits over classes.
//! * [`Target::MultiLabel`]: `k` 0/1 labels per **sequence**, supervised at the
//!   sequence's masked positions (one: the last residue, for GO terms);
//!   binary cross-entropy with logits on the model's `k` outputs.
//! * [`Target::Real`]: `k` real values per position; masked MSE on the
//!   model's `k` outputs (regression heads, next-window forecasts).
//!
//! On disk, next to `<split>_inputs.npy` and `<split>_mask.npy`, exactly one of
//! `<split>_labels.npy` (u32 `[N, T]`), `<split>_multilabel.npy` (u8 `[N, K]`)
//! or `<split>_values.npy` (f32 `[N, T, K]`), so Python reads each directly.

use std::path::Path;

use anyhow::{bail, Context};

use super::npy;

/// The supervised outputs of a data set (shapes in the module docs).
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// One class per position, `[N, T]`.
    Classes(Vec<u32>),
    /// `k` 0/1 labels per sequence, `[N, K]`.
    MultiLabel { k: usize, labels: Vec<u8> },
    /// `k` real values per position, `[N, T, K]`.
    Real { k: usize, values: Vec<f32> },
}

impl Target {
    /// A short name for messages: `classes`, `multi-label` or `real`.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Classes(_) => "classes",
            Target::MultiLabel { .. } => "multi-label",
            Target::Real { .. } => "real",
        }
    }

    /// Entries per sequence for `t` positions.
    pub fn row_len(&self, t: usize) -> usize {
        match self {
            Target::Classes(_) => t,
            Target::MultiLabel { k, .. } => *k,
            Target::Real { k, .. } => t * k,
        }
    }

    /// Total entries.
    pub fn len(&self) -> usize {
        match self {
            Target::Classes(v) => v.len(),
            Target::MultiLabel { labels, .. } => labels.len(),
            Target::Real { values, .. } => values.len(),
        }
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The per-position classes, or an error naming `what` (the stage or
    /// function that needs them) and the kind found instead.
    pub fn classes(&self, what: &str) -> anyhow::Result<&[u32]> {
        match self {
            Target::Classes(v) => Ok(v),
            other => bail!(
                "{what} needs one class per position, but the data set's targets are {} (GO terms, regression); use `evaluate` for them",
                other.kind()
            ),
        }
    }

    /// Rows `idx` (each `row_len(t)` entries), in that order.
    pub fn gather(&self, idx: &[usize], t: usize) -> Target {
        fn pick<T: Copy>(v: &[T], idx: &[usize], w: usize) -> Vec<T> {
            let mut out = Vec::with_capacity(idx.len() * w);
            for &i in idx {
                out.extend_from_slice(&v[i * w..(i + 1) * w]);
            }
            out
        }
        let w = self.row_len(t);
        match self {
            Target::Classes(v) => Target::Classes(pick(v, idx, w)),
            Target::MultiLabel { k, labels } => Target::MultiLabel {
                k: *k,
                labels: pick(labels, idx, w),
            },
            Target::Real { k, values } => Target::Real {
                k: *k,
                values: pick(values, idx, w),
            },
        }
    }

    /// Writes the split's target file into `dir` (atomically).
    pub fn save(&self, dir: &Path, split: &str, n: usize, t: usize) -> anyhow::Result<()> {
        match self {
            Target::Classes(v) => {
                npy::write_npy(&dir.join(format!("{split}_labels.npy")), &[n, t], v)?
            }
            Target::MultiLabel { k, labels } => npy::write_npy(
                &dir.join(format!("{split}_multilabel.npy")),
                &[n, *k],
                labels,
            )?,
            Target::Real { k, values } => npy::write_npy(
                &dir.join(format!("{split}_values.npy")),
                &[n, t, *k],
                values,
            )?,
        }
        Ok(())
    }

    /// Reads the split's target file from `dir`, checking it against `[n, t]`.
    pub fn load(dir: &Path, split: &str, n: usize, t: usize) -> anyhow::Result<Target> {
        let path = |name: &str| dir.join(format!("{split}_{name}.npy"));
        let found: Vec<&str> = ["labels", "multilabel", "values"]
            .into_iter()
            .filter(|name| path(name).is_file())
            .collect();
        if found.len() != 1 {
            bail!(
                "split `{split}` in {} must have exactly one target file ({split}_labels.npy, {split}_multilabel.npy or {split}_values.npy); found {}",
                dir.display(),
                if found.is_empty() { "none".to_string() } else { found.join(", ") }
            );
        }
        let p = path(found[0]);
        let ctx = || format!("reading {}", p.display());
        let (shape, target) = match found[0] {
            "labels" => {
                let (s, v) = npy::read_npy::<u32>(&p).with_context(ctx)?;
                let ok = s == [n, t];
                (ok, Target::Classes(v))
            }
            "multilabel" => {
                let (s, v) = npy::read_npy::<u8>(&p).with_context(ctx)?;
                let ok = s.len() == 2 && s[0] == n && s[1] > 0;
                let k = s.get(1).copied().unwrap_or(0);
                (ok, Target::MultiLabel { k, labels: v })
            }
            _ => {
                let (s, v) = npy::read_npy::<f32>(&p).with_context(ctx)?;
                let ok = s.len() == 3 && s[0] == n && s[1] == t && s[2] > 0;
                let k = s.get(2).copied().unwrap_or(0);
                (ok, Target::Real { k, values: v })
            }
        };
        if !shape {
            bail!(
                "{}: shape does not match the inputs [N {n}, T {t}] ({} targets must be {})",
                p.display(),
                target.kind(),
                match target {
                    Target::Classes(_) => "[N, T]",
                    Target::MultiLabel { .. } => "[N, K]",
                    Target::Real { .. } => "[N, T, K]",
                }
            );
        }
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gather_picks_whole_rows_of_every_kind() {
        let c = Target::Classes(vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(c.gather(&[2, 0], 2), Target::Classes(vec![5, 6, 1, 2]));
        let m = Target::MultiLabel {
            k: 3,
            labels: vec![1, 0, 0, 0, 1, 1],
        };
        assert_eq!(
            m.gather(&[1, 1], 5),
            Target::MultiLabel {
                k: 3,
                labels: vec![0, 1, 1, 0, 1, 1]
            }
        );
        let r = Target::Real {
            k: 2,
            values: (0..8).map(|x| x as f32).collect(),
        };
        assert_eq!(
            r.gather(&[1], 2),
            Target::Real {
                k: 2,
                values: vec![4.0, 5.0, 6.0, 7.0]
            }
        );
    }

    #[test]
    fn save_and_load_round_trip_and_shape_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let m = Target::MultiLabel {
            k: 2,
            labels: vec![1, 0, 0, 1, 1, 1],
        };
        m.save(dir.path(), "train", 3, 7).unwrap();
        assert_eq!(Target::load(dir.path(), "train", 3, 7).unwrap(), m);
        let e = Target::load(dir.path(), "train", 4, 7)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("train_multilabel.npy") && e.contains("[N, K]"),
            "{e}"
        );
        let e = Target::load(dir.path(), "test", 3, 7)
            .unwrap_err()
            .to_string();
        assert!(e.contains("found none"), "{e}");
    }
}
