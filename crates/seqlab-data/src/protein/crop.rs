//! Long-sequence policy: proteins longer than a model's context are either
//! **cropped** to one window or **chunked** into overlapping windows.
//!
//! * [`LongSequencePolicy::Crop`] keeps one window of `max_len` residues:
//!   the first ones ([`CropMode::Start`]) or a window whose start is drawn
//!   uniformly from `0..=len - max_len` by a SplitMix64 hash of
//!   `(seed, item)` ([`CropMode::Random`]) — deterministic for a given seed
//!   and item index; change the seed (e.g. `seed ^ epoch`) to re-draw.
//! * [`LongSequencePolicy::Chunk`] splits into windows of `window` residues
//!   starting every `stride` residues (`1 <= stride <= window`, so nothing is
//!   skipped); the last window is aligned to the end of the sequence so the
//!   tail is covered by a full window. Every chunk carries its protein's
//!   label when training; at prediction time chunk scores are combined per
//!   protein by [`ChunkReduce::Max`] (a function present anywhere) or
//!   [`ChunkReduce::Mean`].
//!
//! Sequences not longer than the limit give one window `[0, len)`.

/// A half-open residue range `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First residue.
    pub start: usize,
    /// One past the last residue.
    pub end: usize,
}

impl Window {
    /// Number of residues.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True for an empty window.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// The residues of `sequence` in this window.
    pub fn slice<'a>(&self, sequence: &'a str) -> &'a str {
        &sequence[self.start..self.end]
    }
}

/// How [`LongSequencePolicy::Crop`] picks its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CropMode {
    /// The first `max_len` residues.
    Start,
    /// A seeded random window.
    Random {
        /// Seed; the window depends on (seed, item index).
        seed: u64,
    },
}

/// How chunk predictions become one protein prediction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkReduce {
    /// Element-wise max over chunks.
    Max,
    /// Element-wise mean over chunks.
    Mean,
}

/// The policy for sequences longer than the model's context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongSequencePolicy {
    /// Keep one window.
    Crop {
        /// Window length.
        max_len: usize,
        /// Which window.
        mode: CropMode,
    },
    /// Split into overlapping windows.
    Chunk {
        /// Window length.
        window: usize,
        /// Distance between window starts (`1..=window`).
        stride: usize,
        /// How chunk scores are combined.
        reduce: ChunkReduce,
    },
}

impl LongSequencePolicy {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            LongSequencePolicy::Crop { max_len: 0, .. } => Err("crop max_len must be >= 1".into()),
            LongSequencePolicy::Chunk { window: 0, .. } => Err("chunk window must be >= 1".into()),
            LongSequencePolicy::Chunk { window, stride, .. } if stride == 0 || stride > window => {
                Err(format!(
                    "chunk stride must be in 1..={window} (the window), got {stride}; a larger stride would skip residues"
                ))
            }
            _ => Ok(()),
        }
    }

    /// The windows of the `item`-th sequence, of length `len`. Panics on an
    /// invalid policy (see [`LongSequencePolicy::validate`]).
    pub fn windows(&self, len: usize, item: u64) -> Vec<Window> {
        if let Err(e) = self.validate() {
            panic!("{e}");
        }
        match *self {
            LongSequencePolicy::Crop { max_len, mode } => {
                vec![crop_window(len, max_len, mode, item)]
            }
            LongSequencePolicy::Chunk { window, stride, .. } => chunk_windows(len, window, stride),
        }
    }
}

/// SplitMix64 finaliser (a fixed, documented hash; no `rand` dependency).
pub fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The crop window of the `item`-th sequence of length `len`.
pub(crate) fn crop_window(len: usize, max_len: usize, mode: CropMode, item: u64) -> Window {
    assert!(max_len >= 1, "crop max_len must be >= 1");
    if len <= max_len {
        return Window { start: 0, end: len };
    }
    let start = match mode {
        CropMode::Start => 0,
        CropMode::Random { seed } => {
            let span = (len - max_len + 1) as u64;
            (splitmix64(splitmix64(seed) ^ item) % span) as usize
        }
    };
    Window {
        start,
        end: start + max_len,
    }
}

/// Chunk windows covering `[0, len)` (see the module docs).
pub(crate) fn chunk_windows(len: usize, window: usize, stride: usize) -> Vec<Window> {
    assert!(
        window >= 1 && (1..=window).contains(&stride),
        "need 1 <= stride <= window"
    );
    if len <= window {
        return vec![Window { start: 0, end: len }];
    }
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        out.push(Window {
            start,
            end: start + window,
        });
        if start + window >= len {
            break;
        }
        start += stride;
        if start + window > len {
            out.push(Window {
                start: len - window,
                end: len,
            });
            break;
        }
    }
    out
}

/// One chunk of a data set: which item it came from and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// Index of the source sequence (its label applies to the chunk).
    pub item: usize,
    /// Residue range.
    pub window: Window,
}

/// All windows of a data set, items in order.
pub fn expand(lengths: &[usize], policy: &LongSequencePolicy) -> Vec<Chunk> {
    lengths
        .iter()
        .enumerate()
        .flat_map(|(item, &len)| {
            policy
                .windows(len, item as u64)
                .into_iter()
                .map(move |window| Chunk { item, window })
        })
        .collect()
}

/// Combines chunk score vectors (one per chunk, aligned with `chunks`) into
/// one vector per item (`n_items` of them). Items without chunks get an
/// empty vector.
pub fn aggregate(
    chunks: &[Chunk],
    scores: &[Vec<f32>],
    n_items: usize,
    reduce: ChunkReduce,
) -> Vec<Vec<f32>> {
    let items: Vec<usize> = chunks.iter().map(|c| c.item).collect();
    aggregate_items(&items, scores, n_items, reduce)
}

/// [`aggregate`] when only each chunk's item is known (a data set stores the
/// protein of each test row, not the windows).
pub fn aggregate_items(
    items: &[usize],
    scores: &[Vec<f32>],
    n_items: usize,
    reduce: ChunkReduce,
) -> Vec<Vec<f32>> {
    assert_eq!(items.len(), scores.len(), "one score vector per chunk");
    let mut out: Vec<Vec<f32>> = vec![Vec::new(); n_items];
    let mut count = vec![0usize; n_items];
    for (&item, s) in items.iter().zip(scores) {
        let acc = &mut out[item];
        if acc.is_empty() {
            acc.extend_from_slice(s);
        } else {
            assert_eq!(acc.len(), s.len(), "chunk score vectors differ in length");
            for (a, &x) in acc.iter_mut().zip(s) {
                *a = match reduce {
                    ChunkReduce::Max => a.max(x),
                    ChunkReduce::Mean => *a + x,
                };
            }
        }
        count[item] += 1;
    }
    if reduce == ChunkReduce::Mean {
        for (v, &n) in out.iter_mut().zip(&count) {
            for a in v.iter_mut() {
                *a /= n as f32;
            }
        }
    }
    out
}

impl ChunkReduce {
    /// The parameter spelling (`max`, `mean`).
    pub fn name(self) -> &'static str {
        match self {
            ChunkReduce::Max => "max",
            ChunkReduce::Mean => "mean",
        }
    }

    /// Parses [`ChunkReduce::name`].
    pub fn parse(s: &str) -> Option<ChunkReduce> {
        match s {
            "max" => Some(ChunkReduce::Max),
            "mean" => Some(ChunkReduce::Mean),
            _ => None,
        }
    }
}
