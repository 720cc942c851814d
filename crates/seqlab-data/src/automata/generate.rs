//! Sampling labelled sequences from a [`Task`].
//!
//! Reproducibility is the point: a dataset is fully named by
//! (task, n, config, seed). Each row r draws from its own ChaCha8 streams
//! (`seed_from_u64(seed)` then `set_stream(4r + j)`), so
//! * rows can be generated in any order or in parallel with identical bytes,
//! * the first m rows of an n-row set equal the m-row set,
//! * the input stream (j = 0), reveal stream (j = 1) and length stream
//!   (j = 2) are separate, so changing `p_reveal` or `random_length` never
//!   changes the tokens drawn — brittleness sweeps compare like with like.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::params::TaskError;
use super::task::Task;

/// How sequences are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenConfig {
    /// T: padded sequence length (the maximum when `random_length`).
    pub length: usize,
    /// Draw each row's length uniformly from 1..=length and pad with token 0.
    pub random_length: bool,
    /// Pr[token = 1] for parity/gridworld, Pr[bit = 1] for C_2^k.
    pub p1: f64,
    /// Each valid position is supervised (mask = 1) independently with this
    /// probability (the paper's sparse-supervision test).
    pub p_reveal: f64,
}

impl Default for GenConfig {
    /// The paper's main setting: T = 100, fixed length, p1 = 0.5, all labels.
    fn default() -> Self {
        GenConfig {
            length: 100,
            random_length: false,
            p1: 0.5,
            p_reveal: 1.0,
        }
    }
}

impl GenConfig {
    /// Reject lengths of 0 and probabilities outside [0, 1] (or NaN).
    pub fn validate(&self) -> Result<(), TaskError> {
        if self.length == 0 {
            return Err(TaskError::BadConfig("length must be >= 1".into()));
        }
        for (name, p) in [("p1", self.p1), ("p_reveal", self.p_reveal)] {
            if !(0.0..=1.0).contains(&p) {
                return Err(TaskError::BadConfig(format!(
                    "{name} must be a probability in [0, 1], got {p}"
                )));
            }
        }
        Ok(())
    }
}

/// A generated batch, all arrays row-major with shape [n, t].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Samples {
    pub n: usize,
    pub t: usize,
    /// Input tokens; 0 on padding.
    pub inputs: Vec<u32>,
    /// State after every prefix (true label even where unsupervised); 0 on padding.
    pub labels: Vec<u32>,
    /// 1 where the label is supervised: a revealed position within the row's length.
    pub mask: Vec<u8>,
    /// Valid (unpadded) length of each row, shape `[n]`; all `t` unless
    /// `random_length`. Lets evaluation score every valid position even when
    /// training saw only the revealed ones.
    pub lengths: Vec<u32>,
}

/// Stream ids within one row (see the module doc).
const STREAM_INPUTS: u64 = 0;
const STREAM_REVEAL: u64 = 1;
const STREAM_LENGTH: u64 = 2;
const STREAMS_PER_ROW: u64 = 4;

fn row_rng(seed: u64, row: usize, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(row as u64 * STREAMS_PER_ROW + stream);
    rng
}

/// Fill one row (slices of length `cfg.length`) and return its valid length.
///
/// Public so callers can shard or parallelise rows; [`generate`] is a loop
/// over this. Assumes `task` and `cfg` are valid.
pub fn sample_row(
    task: &Task,
    cfg: &GenConfig,
    seed: u64,
    row: usize,
    inputs: &mut [u32],
    labels: &mut [u32],
    mask: &mut [u8],
) -> usize {
    let t = cfg.length;
    assert!(inputs.len() == t && labels.len() == t && mask.len() == t);
    let len = if cfg.random_length {
        row_rng(seed, row, STREAM_LENGTH).random_range(1..=t)
    } else {
        t
    };
    let mut act_rng = row_rng(seed, row, STREAM_INPUTS);
    let mut rev_rng = row_rng(seed, row, STREAM_REVEAL);
    let mut state = task.start_state();
    for i in 0..len {
        let a = task.sample_action(state, cfg.p1, &mut act_rng);
        state = task.step(state, a);
        inputs[i] = a;
        labels[i] = state;
        mask[i] = rev_rng.random_bool(cfg.p_reveal) as u8;
    }
    inputs[len..].fill(0);
    labels[len..].fill(0);
    mask[len..].fill(0);
    len
}

/// Generate `n` rows; errors on an invalid task or config.
pub fn try_generate(
    task: &Task,
    n: usize,
    cfg: &GenConfig,
    seed: u64,
) -> Result<Samples, TaskError> {
    task.validate()?;
    cfg.validate()?;
    let t = cfg.length;
    let mut s = Samples {
        n,
        t,
        inputs: vec![0; n * t],
        labels: vec![0; n * t],
        mask: vec![0; n * t],
        lengths: Vec::with_capacity(n),
    };
    for r in 0..n {
        let span = r * t..(r + 1) * t;
        let len = sample_row(
            task,
            cfg,
            seed,
            r,
            &mut s.inputs[span.clone()],
            &mut s.labels[span.clone()],
            &mut s.mask[span],
        );
        s.lengths.push(len as u32);
    }
    Ok(s)
}

/// Generate `n` rows, deterministic in `seed`.
///
/// Panics on an invalid task or config; use [`try_generate`] to handle that.
pub fn generate(task: &Task, n: usize, cfg: &GenConfig, seed: u64) -> Samples {
    try_generate(task, n, cfg, seed).unwrap_or_else(|e| panic!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(length: usize) -> GenConfig {
        GenConfig {
            length,
            ..GenConfig::default()
        }
    }

    fn all_tasks() -> Vec<Task> {
        vec![
            Task::Parity,
            Task::Cyclic { n: 5, n_actions: 5 },
            Task::Dihedral { n: 4 },
            Task::Quaternion,
            Task::Alternating { n: 5 },
            Task::Symmetric { n: 5, n_actions: 3 },
            Task::FlipFlop { n: 3 },
            Task::Gridworld { n: 9 },
            Task::Dyck { k: 2, max_depth: 4 },
            Task::ProductC2 { k: 3 },
        ]
    }

    #[test]
    fn labels_follow_dynamics() {
        for task in all_tasks() {
            let s = generate(&task, 20, &cfg(50), 7);
            for r in 0..s.n {
                let row = &s.inputs[r * 50..(r + 1) * 50];
                assert_eq!(task.label_sequence(row), &s.labels[r * 50..(r + 1) * 50]);
                assert!(row.iter().all(|&a| (a as usize) < task.n_actions()));
            }
            assert!(s.mask.iter().all(|&m| m == 1));
            assert_eq!(s.lengths, vec![50; 20]);
        }
    }

    #[test]
    fn deterministic_by_seed() {
        for task in all_tasks() {
            let a = generate(&task, 8, &cfg(64), 42);
            let b = generate(&task, 8, &cfg(64), 42);
            assert_eq!(a, b);
            let c = generate(&task, 8, &cfg(64), 43);
            assert_ne!(a.inputs, c.inputs, "{task:?}");
        }
    }

    /// Pins the stream layout and rand/rand_chacha behaviour: a dataset is
    /// named by its seed, so any change here silently changes every dataset.
    #[test]
    fn golden_tokens() {
        let s = generate(&Task::Symmetric { n: 5, n_actions: 3 }, 1, &cfg(16), 1008);
        assert_eq!(
            s.inputs,
            vec![0, 0, 1, 1, 2, 2, 2, 0, 1, 0, 1, 2, 0, 2, 1, 2]
        );
        let p = GenConfig { p1: 0.2, ..cfg(16) };
        let s = generate(&Task::Parity, 1, &p, 1000);
        assert_eq!(
            s.inputs,
            vec![0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1]
        );
        // Labels by hand from those inputs: running parity.
        assert_eq!(
            s.labels,
            vec![0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0]
        );
    }

    #[test]
    fn rows_are_prefix_stable_and_independent_of_reveal() {
        let task = Task::Symmetric { n: 5, n_actions: 3 };
        let big = generate(&task, 10, &cfg(30), 1);
        let small = generate(&task, 4, &cfg(30), 1);
        assert_eq!(&big.inputs[..120], &small.inputs[..]);
        let sparse = generate(
            &task,
            10,
            &GenConfig {
                p_reveal: 0.3,
                ..cfg(30)
            },
            1,
        );
        assert_eq!(big.inputs, sparse.inputs);
        assert_eq!(big.labels, sparse.labels);
        assert_ne!(big.mask, sparse.mask);
    }

    #[test]
    fn reveal_rate() {
        let c = GenConfig {
            p_reveal: 0.25,
            ..cfg(100)
        };
        let s = generate(&Task::Parity, 200, &c, 3);
        let rate = s.mask.iter().map(|&m| m as f64).sum::<f64>() / s.mask.len() as f64;
        // 20 000 Bernoulli(0.25) draws: sd ≈ 0.003.
        assert!((rate - 0.25).abs() < 0.015, "rate {rate}");
        let none = generate(&Task::Parity, 5, &GenConfig { p_reveal: 0.0, ..c }, 3);
        assert!(none.mask.iter().all(|&m| m == 0));
    }

    #[test]
    fn random_length_pads_and_masks() {
        let c = GenConfig {
            random_length: true,
            ..cfg(20)
        };
        let task = Task::Cyclic { n: 3, n_actions: 3 };
        let s = generate(&task, 500, &c, 9);
        let mut seen = [false; 21];
        for r in 0..s.n {
            let len = s.lengths[r] as usize;
            assert!((1..=20).contains(&len));
            seen[len] = true;
            let row = r * 20..(r + 1) * 20;
            let (inp, lab, m) = (&s.inputs[row.clone()], &s.labels[row.clone()], &s.mask[row]);
            assert!(m[..len].iter().all(|&x| x == 1));
            assert!(m[len..].iter().all(|&x| x == 0));
            assert!(inp[len..].iter().all(|&x| x == 0));
            assert!(lab[len..].iter().all(|&x| x == 0));
            assert_eq!(task.label_sequence(&inp[..len]), &lab[..len]);
        }
        // 500 draws from 20 lengths: every length appears (miss prob ≈ 2e-10).
        assert!(seen[1..].iter().all(|&b| b));
        // Token stream is shared with the fixed-length set.
        let fixed = generate(&task, 500, &cfg(20), 9);
        let l0 = s.lengths[0] as usize;
        assert_eq!(&s.inputs[..l0], &fixed.inputs[..l0]);
    }

    fn freq(s: &Samples, v: u32) -> f64 {
        s.inputs.iter().filter(|&&x| x == v).count() as f64 / s.inputs.len() as f64
    }

    #[test]
    fn input_distributions() {
        // Parity with shifted p1.
        let c = GenConfig {
            p1: 0.1,
            ..cfg(100)
        };
        let s = generate(&Task::Parity, 100, &c, 5);
        assert!((freq(&s, 1) - 0.1).abs() < 0.01);
        // C_2^3: each bit ~ Bernoulli(p1).
        let s = generate(&Task::ProductC2 { k: 3 }, 100, &c, 5);
        for bit in 0..3 {
            let ones = s.inputs.iter().filter(|&&x| (x >> bit) & 1 == 1).count();
            assert!((ones as f64 / 10_000.0 - 0.1).abs() < 0.01, "bit {bit}");
        }
        // Flip-flop: half reads, writes uniform over 1..=3.
        let s = generate(&Task::FlipFlop { n: 3 }, 100, &cfg(100), 5);
        assert!((freq(&s, 0) - 0.5).abs() < 0.02);
        for v in 1..=3 {
            assert!((freq(&s, v) - 1.0 / 6.0).abs() < 0.02, "value {v}");
        }
        // Uniform actions elsewhere (S_5: 3 actions, A_5: 4).
        let s = generate(&Task::Alternating { n: 5 }, 100, &cfg(100), 5);
        for a in 0..4 {
            assert!((freq(&s, a) - 0.25).abs() < 0.02, "action {a}");
        }
    }

    #[test]
    fn dyck_samples_are_valid_prefixes() {
        let task = Task::Dyck { k: 2, max_depth: 3 };
        let s = generate(&task, 200, &cfg(40), 11);
        let mut hit_max = false;
        for r in 0..s.n {
            let mut stack: Vec<u32> = vec![];
            for &a in &s.inputs[r * 40..(r + 1) * 40] {
                if a < 2 {
                    stack.push(a);
                    assert!(stack.len() <= 3);
                    hit_max |= stack.len() == 3;
                } else {
                    assert_eq!(stack.pop(), Some(a - 2), "invalid close");
                }
            }
        }
        assert!(hit_max);
    }

    #[test]
    fn bad_config_is_an_error() {
        let t = Task::Parity;
        assert!(try_generate(&t, 1, &cfg(0), 0).is_err());
        let c = GenConfig { p1: 1.5, ..cfg(5) };
        let e = try_generate(&t, 1, &c, 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "generator config: p1 must be a probability in [0, 1], got 1.5"
        );
        let c = GenConfig {
            p_reveal: f64::NAN,
            ..cfg(5)
        };
        assert!(try_generate(&t, 1, &c, 0).is_err());
        assert!(try_generate(&Task::Cyclic { n: 1, n_actions: 1 }, 1, &cfg(5), 0).is_err());
    }
}
