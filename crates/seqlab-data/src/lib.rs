//! seqlab's data layer, without burn: data set generators and loaders, the
//! on-disk form stages exchange, and the evaluation [`metrics`]. The engine
//! re-exports it as `seqlab::datasets` (and `seqlab::metrics`).
//!
//! A split is stored as `.npy` arrays that Python reads directly:
//! `<split>_inputs.npy` (u32 tokens, [N, T]), `<split>_mask.npy` (u8, 1 where
//! supervised, [N, T]) and one target file ([`target::Target`]: classes per
//! position, multi-label per sequence, or real values per position).

pub mod automata;
pub mod binned;
pub mod ecg;
pub mod error;
pub(crate) mod io;
pub mod metrics;
pub mod next_window;
pub mod npy;
pub mod prefix;
pub mod protein;
pub mod rng;
pub mod stock;
pub mod target;

pub use error::{DataError, MissingData, ParseError, ParseResult};
pub use target::Target;

use std::path::Path;

use anyhow::{bail, Context};

/// A split: row-major `[n, t]` inputs and mask, and its [`Target`].
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceData {
    pub n: usize,
    pub t: usize,
    pub inputs: Vec<u32>,
    pub target: Target,
    pub mask: Vec<u8>,
}

impl SequenceData {
    /// A split with one class per position (`labels` `[n, t]`).
    pub fn classes(n: usize, t: usize, inputs: Vec<u32>, labels: Vec<u32>, mask: Vec<u8>) -> Self {
        SequenceData {
            n,
            t,
            inputs,
            target: Target::Classes(labels),
            mask,
        }
    }

    pub fn from_samples(s: automata::Samples) -> SequenceData {
        SequenceData::classes(s.n, s.t, s.inputs, s.labels, s.mask)
    }

    /// The per-position classes; an error naming `what` for other targets.
    pub fn labels(&self, what: &str) -> anyhow::Result<&[u32]> {
        self.target.classes(what)
    }

    /// Write `<split>_inputs.npy`, `<split>_mask.npy` and the target file
    /// (see [`Target`]) into `dir` (each atomically).
    pub fn save(&self, dir: &Path, split: &str) -> anyhow::Result<()> {
        let shape = [self.n, self.t];
        npy::write_npy(
            &dir.join(format!("{split}_inputs.npy")),
            &shape,
            &self.inputs,
        )?;
        self.target.save(dir, split, self.n, self.t)?;
        npy::write_npy(&dir.join(format!("{split}_mask.npy")), &shape, &self.mask)?;
        Ok(())
    }

    /// Read a split written by [`SequenceData::save`].
    pub fn load(dir: &Path, split: &str) -> anyhow::Result<SequenceData> {
        let p = dir.join(format!("{split}_inputs.npy"));
        let (shape, inputs) =
            npy::read_npy::<u32>(&p).with_context(|| format!("reading {}", p.display()))?;
        let mp = dir.join(format!("{split}_mask.npy"));
        let (mshape, mask) =
            npy::read_npy::<u8>(&mp).with_context(|| format!("reading {}", mp.display()))?;
        if shape.len() != 2 || mshape != shape {
            bail!("split `{split}` in {}: inputs and mask must both be [N, T], got {shape:?}, {mshape:?}", dir.display());
        }
        let target = Target::load(dir, split, shape[0], shape[1])?;
        Ok(SequenceData {
            n: shape[0],
            t: shape[1],
            inputs,
            target,
            mask,
        })
    }
}
