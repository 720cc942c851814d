//! In-memory sequence data, batches and a tiny deterministic RNG for sampling.
//!
//! Data are host vectors (`u32` tokens and `u8` mask, row-major `[N, T]`, and a
//! [`Target`]: classes per position, multi-label per sequence or real values); a
//! [`Batch`] is turned into tensors only when a step needs it. Sampling uses its own
//! SplitMix64 so batch order depends only on the training seed (not on burn's RNG, whose
//! stream the model's initialisation and dropout also consume).

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::datasets::rng;
pub use crate::datasets::Target;

/// Errors from building data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    #[error("{what} has {got} entries, expected {expected} (= N {n} x T {t})")]
    Shape {
        what: &'static str,
        got: usize,
        expected: usize,
        n: usize,
        t: usize,
    },
    #[error("empty data set (N = {n}, T = {t})")]
    Empty { n: usize, t: usize },
}

/// The training sampler's generator: the shared SplitMix64 stream
/// ([`rng::SplitMix64`]; `next_u64` is the same algorithm) with the training
/// conventions on top, which batches (and so trained bits) depend on and which
/// must therefore not change: the seed is salted (`seed ^ 0x5851_f42d_4c95_7f2d`),
/// and [`SplitMix64::below`] maps one draw by multiply-shift over `usize`, where
/// the data-set generator's `below` rejects over `u64` (different outputs).
#[derive(Debug, Clone)]
pub struct SplitMix64(rng::SplitMix64);

impl SplitMix64 {
    /// XORed into the training seed before it becomes the generator's state.
    const SEED_SALT: u64 = 0x5851_f42d_4c95_7f2d;

    pub fn new(seed: u64) -> Self {
        Self(rng::SplitMix64::new(seed ^ Self::SEED_SALT))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    /// Uniform in `0..n` (n > 0): one draw, `(x * n) >> 64`.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
    /// Uniform in `[0, 1)` (53 random bits).
    pub fn unit(&mut self) -> f64 {
        self.0.next_f64()
    }
}

/// One batch on the host: inputs and mask `[b, t]` row-major, and the
/// batch's rows of the data set's [`Target`].
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub inputs: Vec<u32>,
    pub target: Target,
    /// 1 where the target is supervised / scored.
    pub mask: Vec<u8>,
    pub b: usize,
    pub t: usize,
}

impl Batch {
    /// A batch with one class per position (`labels` `[b, t]`); validates lengths.
    pub fn new(
        inputs: Vec<u32>,
        labels: Vec<u32>,
        mask: Vec<u8>,
        b: usize,
        t: usize,
    ) -> Result<Self, DataError> {
        Self::with_target(inputs, Target::Classes(labels), mask, b, t)
    }

    /// A batch with any [`Target`]; validates lengths.
    pub fn with_target(
        inputs: Vec<u32>,
        target: Target,
        mask: Vec<u8>,
        b: usize,
        t: usize,
    ) -> Result<Self, DataError> {
        check("inputs", inputs.len(), b, t)?;
        check("mask", mask.len(), b, t)?;
        check_target(&target, b, t)?;
        Ok(Self {
            inputs,
            target,
            mask,
            b,
            t,
        })
    }

    pub(crate) fn input_tensor(&self, device: &Device) -> Tensor<2, Int> {
        let v: Vec<i64> = self.inputs.iter().map(|&x| x as i64).collect();
        Tensor::from_data(TensorData::new(v, [self.b, self.t]), device)
    }

    /// The classes `[b, t]`. Panics for other targets: callers dispatch on
    /// the target first (see [`super::loss::target_loss`]).
    pub(crate) fn label_tensor(&self, device: &Device) -> Tensor<2, Int> {
        let Target::Classes(labels) = &self.target else {
            panic!("label_tensor on a {} target", self.target.kind());
        };
        let v: Vec<i64> = labels.iter().map(|&x| x as i64).collect();
        Tensor::from_data(TensorData::new(v, [self.b, self.t]), device)
    }

    pub(crate) fn mask_tensor(&self, device: &Device) -> Tensor<2> {
        let v: Vec<f32> = self.mask.iter().map(|&x| x as f32).collect();
        Tensor::from_data(TensorData::new(v, [self.b, self.t]), device)
    }

    /// Number of supervised positions.
    pub(crate) fn n_masked(&self) -> usize {
        self.mask.iter().filter(|&&m| m != 0).count()
    }

    /// The first `len` positions of every row (`1 ≤ len ≤ t`), for targets given per
    /// position (classes, real values); `None` for per-sequence targets, which a shorter
    /// sequence would no longer match. For the automata the cut rows are exactly samples
    /// of length `len`: each label is the state after its prefix.
    pub fn prefix(&self, len: usize) -> Option<Batch> {
        if len == 0 || len > self.t {
            return None;
        }
        let target = match &self.target {
            Target::Classes(labels) => Target::Classes(row_prefixes(labels, self.t, len)),
            Target::Real { k, values } => Target::Real {
                k: *k,
                values: row_prefixes(values, self.t * k, len * k),
            },
            Target::MultiLabel { .. } => return None,
        };
        Some(Batch {
            inputs: row_prefixes(&self.inputs, self.t, len),
            target,
            mask: row_prefixes(&self.mask, self.t, len),
            b: self.b,
            t: len,
        })
    }
}

/// The first `keep` entries of every `row`-long row of `v`.
fn row_prefixes<T: Copy>(v: &[T], row: usize, keep: usize) -> Vec<T> {
    v.chunks(row).flat_map(|r| &r[..keep]).copied().collect()
}

fn check(what: &'static str, got: usize, n: usize, t: usize) -> Result<(), DataError> {
    if n == 0 || t == 0 {
        return Err(DataError::Empty { n, t });
    }
    if got != n * t {
        return Err(DataError::Shape {
            what,
            got,
            expected: n * t,
            n,
            t,
        });
    }
    Ok(())
}

fn check_target(target: &Target, n: usize, t: usize) -> Result<(), DataError> {
    let want = n * target.row_len(t);
    if target.len() != want || target.row_len(t) == 0 {
        return Err(DataError::Shape {
            what: match target {
                Target::Classes(_) => "labels",
                Target::MultiLabel { .. } => "multi-label targets (N x K)",
                Target::Real { .. } => "real targets (N x T x K)",
            },
            got: target.len(),
            expected: want,
            n,
            t,
        });
    }
    Ok(())
}

/// A fixed data set of `n` sequences of length `t`.
#[derive(Debug, Clone, PartialEq)]
pub struct SeqDataset {
    pub inputs: Vec<u32>,
    pub target: Target,
    pub mask: Vec<u8>,
    pub n: usize,
    pub t: usize,
}

impl SeqDataset {
    /// A data set with one class per position (`labels` `[n, t]`).
    pub fn new(
        inputs: Vec<u32>,
        labels: Vec<u32>,
        mask: Vec<u8>,
        n: usize,
        t: usize,
    ) -> Result<Self, DataError> {
        Self::with_target(inputs, Target::Classes(labels), mask, n, t)
    }

    /// A data set with any [`Target`].
    pub fn with_target(
        inputs: Vec<u32>,
        target: Target,
        mask: Vec<u8>,
        n: usize,
        t: usize,
    ) -> Result<Self, DataError> {
        let b = Batch::with_target(inputs, target, mask, n, t)?;
        Ok(Self {
            inputs: b.inputs,
            target: b.target,
            mask: b.mask,
            n,
            t,
        })
    }

    /// A split as stored on disk.
    pub fn from_data(d: crate::datasets::SequenceData) -> Result<Self, DataError> {
        Self::with_target(d.inputs, d.target, d.mask, d.n, d.t)
    }

    /// Rows `idx` as a batch.
    pub fn gather(&self, idx: &[usize]) -> Batch {
        let t = self.t;
        let mut inputs = Vec::with_capacity(idx.len() * t);
        let mut mask = Vec::with_capacity(idx.len() * t);
        for &i in idx {
            inputs.extend_from_slice(&self.inputs[i * t..(i + 1) * t]);
            mask.extend_from_slice(&self.mask[i * t..(i + 1) * t]);
        }
        Batch {
            inputs,
            target: self.target.gather(idx, t),
            mask,
            b: idx.len(),
            t,
        }
    }

    /// Rows `start..start+len` (clamped), for evaluation in order.
    pub(crate) fn slice(&self, start: usize, len: usize) -> Batch {
        let end = (start + len).min(self.n);
        let idx: Vec<usize> = (start..end).collect();
        self.gather(&idx)
    }

    /// A batch of `b` rows drawn uniformly with replacement.
    pub fn sample(&self, b: usize, rng: &mut SplitMix64) -> Batch {
        let idx: Vec<usize> = (0..b).map(|_| rng.below(self.n)).collect();
        self.gather(&idx)
    }
}

/// Where training batches come from.
pub enum Batches<'a> {
    /// Sample (with replacement, by the training seed) from a fixed data set.
    Dataset(&'a SeqDataset),
    /// Generate fresh data each step: `f(batch_size, rng)`; `rng` is seeded from the
    /// training seed, so fresh streams are reproducible too.
    Fresh(Box<dyn FnMut(usize, &mut SplitMix64) -> Batch + 'a>),
}

impl Batches<'_> {
    pub fn next(&mut self, b: usize, rng: &mut SplitMix64) -> Batch {
        match self {
            Batches::Dataset(d) => d.sample(b, rng),
            Batches::Fresh(f) => f(b, rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outputs of the training generator as it was before it was built on
    /// `datasets::rng::SplitMix64` (its own copy of the algorithm): batches,
    /// and so trained bits, depend on them.
    #[test]
    fn sampler_streams_are_unchanged() {
        let cases: [(u64, [u64; 4], [usize; 7], [u64; 4]); 3] = [
            (
                0,
                [
                    13441156890354882375,
                    475488058270310618,
                    17489009512603453930,
                    5045193282579728762,
                ],
                [0, 0, 2, 2, 58, 0, 2668704494471843768],
                [
                    4604738284433145010,
                    4583086722318897536,
                    4606714774971352321,
                    4598598566482925186,
                ],
            ),
            (
                7,
                [
                    18078348960434068816,
                    7046236936444258700,
                    11572677092435907128,
                    6350764380712088086,
                ],
                [0, 0, 1, 3, 90, 187, 10857253158159274000],
                [
                    4607002538373613363,
                    4600552710676152266,
                    4603825940781817386,
                    4599873538258445068,
                ],
            ),
            (
                42,
                [
                    15791576015516199220,
                    1899737815901874250,
                    7472588660535204626,
                    11686055581728814362,
                ],
                [0, 0, 1, 6, 87, 624, 2423538314193411012],
                [
                    4605885950021602685,
                    4592085271506531624,
                    4600969069781709830,
                    4603881301372292438,
                ],
            ),
        ];
        for (seed, u64s, belows, unit_bits) in cases {
            let mut r = SplitMix64::new(seed);
            assert_eq!(
                (0..4).map(|_| r.next_u64()).collect::<Vec<_>>(),
                u64s,
                "seed {seed}"
            );
            let mut r = SplitMix64::new(seed);
            let got: Vec<usize> = [1, 2, 3, 10, 97, 1000, usize::MAX]
                .iter()
                .map(|&n| r.below(n))
                .collect();
            assert_eq!(got, belows, "seed {seed}");
            let mut r = SplitMix64::new(seed);
            let got: Vec<u64> = (0..4).map(|_| r.unit().to_bits()).collect();
            assert_eq!(got, unit_bits, "seed {seed}");
        }
    }
}
