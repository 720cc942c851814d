//! The cost model of each family a `timing` instance measured: multiply-adds
//! of one training step and one inference call as polynomials in the
//! sequence length T, and the number of dependent steps of a forward pass,
//! from the shapes the instance built (its params). The report fits one
//! constant per family and draws the lines over the measured times.
//!
//! Counted: matrix products (one multiply-add per weight per position, per
//! attention score and per mixed value); elementwise work, norms and the
//! optimizer are left out. A training step is three forward passes (the
//! backward pass costs about two) over the batch.

use crate::kind::JsonMap;
use crate::models::Family;
use crate::report::model::CostModel;
use crate::stages::timing::TimingParams;

/// The cost model of a timing instance's params; `None` if they do not
/// read as timing params.
pub(crate) fn cost_model(params: &JsonMap) -> Option<CostModel> {
    let p: TimingParams = crate::kind::read_params(params).ok()?;
    let (l, d, v, c, b) = (
        p.layers as f64,
        p.width as f64,
        p.vocab as f64,
        p.n_classes as f64,
        p.batch_size as f64,
    );
    // A feed-forward width, where the params carry one (else 4d, the
    // Transformer's default).
    let d_ff = params
        .get("d_ff")
        .and_then(|x| x.as_f64())
        .unwrap_or(4.0 * d);
    // forward multiply-adds of one sequence: f0 + f1·T + f2·T²
    let (f, formula, steps, steps_formula, shapes) = match p.model {
        Family::Transformer => (
            [0.0, l * (4.0 * d * d + 2.0 * d * d_ff) + d * c, 2.0 * l * d],
            "3B·[L·(4d² + 2d·d_ff)·T + 2L·d·T² + d·C·T]",
            [l, 0.0, 0.0],
            "L: every position of a layer at once",
            format!("L = {l}, d = {d}, d_ff = {d_ff}, C = {c}, B = {b}"),
        ),
        // LSTM and GRU: the first layer's input projection is a V-row table
        // (the token embedding folded in, models::token_projection), built
        // once per batch; every other layer projects each position. (A
        // vocabulary of B·T tokens or more is not folded; not counted here.)
        Family::Lstm => (
            [4.0 * v * d * d / b, (8.0 * l - 4.0) * d * d + d * c, 0.0],
            "3B·((8L − 4)·d² + d·C)·T + 3·4V·d²",
            [0.0, l, 0.0],
            "L·T: position t waits for t − 1",
            format!("L = {l}, d = {d}, V = {v}, C = {c}, B = {b}"),
        ),
        Family::Gru => (
            [3.0 * v * d * d / b, (6.0 * l - 3.0) * d * d + d * c, 0.0],
            "3B·((6L − 3)·d² + d·C)·T + 3·3V·d²",
            [0.0, l, 0.0],
            "L·T: position t waits for t − 1",
            format!("L = {l}, d = {d}, V = {v}, C = {c}, B = {b}"),
        ),
        Family::LinearRnn => (
            [0.0, 7.0 * l * d * d + d * c, 0.0],
            "3B·(7L·d² + d·C)·T (plus the scan's elementwise work)",
            [0.0, 0.0, l],
            "L·⌈log2 T⌉: a parallel prefix scan",
            format!("L = {l}, d = {d}, C = {c}, B = {b}"),
        ),
        Family::Mlp => (
            // one-hot window [T·V] times a block-triangular [T·V, T·h]
            // (computed dense), extra per-position layers, readouts
            [0.0, (l - 1.0) * d * d + d * c, v * d],
            "3B·[V·h·T² + ((D − 1)·h² + h·C)·T]",
            [l + 1.0, 0.0, 0.0],
            "D + 1: every position at once",
            format!("D = {l}, h = {d}, V = {v}, C = {c}, B = {b}"),
        ),
    };
    Some(CostModel {
        macs: f.map(|x| 3.0 * b * x),
        infer_macs: f.map(|x| b * x),
        formula: formula.into(),
        steps,
        steps_formula: steps_formula.into(),
        shapes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: serde_json::Value) -> JsonMap {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn multiply_adds_count_the_weights_and_the_attention() {
        // L = 2, d = 4, d_ff = 16, C = 2, B = 1: per position and layer
        // 4·16 + 2·4·16 = 192, head 8 → 392 linear; 2·2·4 = 16 quadratic.
        let m = cost_model(&params(json!({
            "model": "transformer", "layers": 2, "width": 4, "batch_size": 1, "n_classes": 2
        })))
        .unwrap();
        assert_eq!(m.infer_macs, [0.0, 392.0, 16.0]);
        assert_eq!(m.macs, [0.0, 3.0 * 392.0, 48.0]);
        assert_eq!(m.steps, [2.0, 0.0, 0.0]);
        // LSTM: 4 gates × (4 + 4) inputs × 4 outputs = 128 per layer and
        // position, but the first layer's input half (64) is a table of
        // V = 3 rows: 3 × 64 = 192 per batch.
        let m = cost_model(&params(json!({
            "model": "lstm", "layers": 1, "width": 4, "batch_size": 2, "n_classes": 2, "vocab": 3
        })))
        .unwrap();
        assert_eq!(m.infer_macs, [192.0, 2.0 * (64.0 + 8.0), 0.0]);
        assert_eq!(m.steps, [0.0, 1.0, 0.0]);
        let m = cost_model(&params(json!({
            "model": "lstm", "layers": 2, "width": 4, "batch_size": 2, "n_classes": 2, "vocab": 3
        })))
        .unwrap();
        assert_eq!(m.infer_macs, [192.0, 2.0 * (64.0 + 128.0 + 8.0), 0.0]);
        // GRU: 3 gates: 96 per layer and position, the table 3 × 48 = 144.
        let m = cost_model(&params(json!({
            "model": "gru", "layers": 1, "width": 4, "batch_size": 2, "n_classes": 2, "vocab": 3
        })))
        .unwrap();
        assert_eq!(m.infer_macs, [144.0, 2.0 * (48.0 + 8.0), 0.0]);
        // MLP: one-hot [T·V] × [T·V, T·h] = V·h·T²
        let m = cost_model(&params(json!({
            "model": "mlp", "layers": 1, "width": 4, "batch_size": 1, "vocab": 3, "n_classes": 2
        })))
        .unwrap();
        assert_eq!(m.infer_macs, [0.0, 8.0, 12.0]);
        assert!(cost_model(&params(json!({ "model": "nope" }))).is_none());
    }
}
