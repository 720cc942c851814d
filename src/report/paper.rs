//! Liu et al. 2023 ("Transformers learn shortcuts to automata"), Table 1:
//! in-distribution accuracy of a GPT-2-style causal Transformer, width 512,
//! 8 heads, T = 100, best of 20 runs; the report stage can use it as the
//! `paper_table` as is (science.md §1).

use super::model::PaperRow;

pub use crate::study::paper::{DEPTHS, TABLE as TABLE1};

/// Table 1 as [`PaperRow`]s, accuracies as fractions (77.6 % -> 0.776).
pub fn liu_table1() -> Vec<PaperRow> {
    TABLE1
        .iter()
        .map(|(task, accs, min)| PaperRow {
            task: task.to_string(),
            acc_by_depth: DEPTHS
                .iter()
                .zip(accs)
                // 77.6 -> 0.776 exactly (77.6 / 100.0 is 0.7759999999999999)
                .map(|(d, a)| (*d, (a * 10.0).round() / 1000.0))
                .collect(),
            min_depth_99: Some(*min),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_rows_are_fractions() {
        // (the min-depth column itself is checked in study::paper)
        assert_eq!(liu_table1()[2].acc_by_depth[0], (1, 0.776));
        assert_eq!(liu_table1().len(), TABLE1.len());
        assert_eq!(liu_table1()[0].acc_by_depth.len(), DEPTHS.len());
    }
}
