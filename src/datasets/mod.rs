//! Data sets: generators and loaders, and the on-disk form stages exchange.
//!
//! A split is stored as three `.npy` arrays of shape [N, T] that Python reads
//! directly: `<split>_inputs.npy` (u32 tokens), `<split>_labels.npy` (u32
//! classes) and `<split>_mask.npy` (u8, 1 where the label is supervised).

pub mod automata;
pub mod binned;
pub mod ecg;
pub mod error;
pub mod io;
pub mod npy;
pub mod prefix;
pub mod protein;
pub mod rng;
pub mod stock;

pub use error::{DataError, MissingData, ParseError, ParseResult};

use std::path::Path;

use anyhow::{bail, Context};

/// A labelled split: row-major [n, t] arrays.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceData {
    pub n: usize,
    pub t: usize,
    pub inputs: Vec<u32>,
    pub labels: Vec<u32>,
    pub mask: Vec<u8>,
}

impl SequenceData {
    pub fn from_samples(s: automata::Samples) -> SequenceData {
        SequenceData {
            n: s.n,
            t: s.t,
            inputs: s.inputs,
            labels: s.labels,
            mask: s.mask,
        }
    }

    /// Write `<split>_{inputs,labels,mask}.npy` into `dir` (each atomically).
    pub fn save(&self, dir: &Path, split: &str) -> anyhow::Result<()> {
        let shape = [self.n, self.t];
        npy::write_npy(
            &dir.join(format!("{split}_inputs.npy")),
            &shape,
            &self.inputs,
        )?;
        npy::write_npy(
            &dir.join(format!("{split}_labels.npy")),
            &shape,
            &self.labels,
        )?;
        npy::write_npy(&dir.join(format!("{split}_mask.npy")), &shape, &self.mask)?;
        Ok(())
    }

    /// Read a split written by [`SequenceData::save`].
    pub fn load(dir: &Path, split: &str) -> anyhow::Result<SequenceData> {
        let read_u32 = |name: &str| -> anyhow::Result<(Vec<usize>, Vec<u32>)> {
            let p = dir.join(format!("{split}_{name}.npy"));
            npy::read_npy::<u32>(&p).with_context(|| format!("reading {}", p.display()))
        };
        let (shape, inputs) = read_u32("inputs")?;
        let (lshape, labels) = read_u32("labels")?;
        let mp = dir.join(format!("{split}_mask.npy"));
        let (mshape, mask) =
            npy::read_npy::<u8>(&mp).with_context(|| format!("reading {}", mp.display()))?;
        if shape.len() != 2 || lshape != shape || mshape != shape {
            bail!("split `{split}` in {}: arrays must all be [N, T], got {shape:?}, {lshape:?}, {mshape:?}", dir.display());
        }
        Ok(SequenceData {
            n: shape[0],
            t: shape[1],
            inputs,
            labels,
            mask,
        })
    }
}
