//! Learning-rate schedule: linear warm-up to the peak, then cosine decay to a floor.
//!
//! Written by hand (rather than burn's composed schedulers) so the value at any step is a
//! pure function of the step: restarts, curves and the Python reference agree exactly.

use serde::{Deserialize, Serialize};

/// `lr(step)` for `step` in `0..total`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LrSchedule {
    pub peak: f64,
    /// Steps of linear warm-up from `peak / warmup` to `peak`.
    pub warmup: usize,
    /// Total steps; the cosine runs from `warmup` to `total`.
    pub total: usize,
    /// Final learning rate as a fraction of `peak`.
    pub floor_frac: f64,
}

impl LrSchedule {
    pub fn lr(&self, step: usize) -> f64 {
        if step < self.warmup {
            return self.peak * (step + 1) as f64 / self.warmup as f64;
        }
        let span = self.total.saturating_sub(self.warmup).max(1);
        let p = ((step - self.warmup) as f64 / span as f64).min(1.0);
        let floor = self.peak * self.floor_frac;
        floor + (self.peak - floor) * 0.5 * (1.0 + (std::f64::consts::PI * p).cos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_then_cosine() {
        let s = LrSchedule {
            peak: 1.0,
            warmup: 10,
            total: 110,
            floor_frac: 0.1,
        };
        assert!((s.lr(0) - 0.1).abs() < 1e-12);
        assert!((s.lr(9) - 1.0).abs() < 1e-12);
        assert!((s.lr(10) - 1.0).abs() < 1e-12);
        assert!((s.lr(60) - 0.55).abs() < 1e-12);
        assert!((s.lr(110) - 0.1).abs() < 1e-12);
        assert!((s.lr(500) - 0.1).abs() < 1e-12);
    }
}
