//! The paper's reference numbers (Liu et al. 2023, Table 1: GPT-2-style
//! causal Transformer, width 512, 8 heads, T = 100, best of 20 runs), keyed
//! by the task labels of [`task_label`].

use crate::datasets::automata::Task;

/// Depths of the paper's table columns.
pub const DEPTHS: [u32; 13] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 16];

/// (task label, accuracy % at each of [`DEPTHS`], min L for 99%).
pub const TABLE: &[(&str, [f64; 13], u32)] = &[
    (
        "Dyck",
        [
            99.3, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0,
            100.0,
        ],
        1,
    ),
    (
        "Grid_9",
        [
            92.2, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0,
            100.0,
        ],
        2,
    ),
    (
        "C_2",
        [
            77.6, 99.8, 99.9, 100.0, 100.0, 99.5, 100.0, 99.7, 100.0, 100.0, 100.0, 100.0, 100.0,
        ],
        2,
    ),
    (
        "C_3",
        [
            54.6, 94.6, 96.7, 99.4, 100.0, 100.0, 99.8, 100.0, 99.9, 100.0, 100.0, 100.0, 100.0,
        ],
        4,
    ),
    (
        "C_5",
        [
            89.0, 99.1, 99.9, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0,
        ],
        2,
    ),
    (
        "C_2^3",
        [
            65.0, 77.9, 99.9, 97.9, 100.0, 99.8, 98.2, 99.9, 100.0, 100.0, 95.9, 91.7, 80.6,
        ],
        3,
    ),
    (
        "D_6",
        [
            25.4, 27.2, 47.4, 75.2, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0,
        ],
        5,
    ),
    (
        "D_8",
        [
            45.6, 98.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0,
        ],
        3,
    ),
    (
        "Q_8",
        [
            31.6, 49.2, 59.6, 60.4, 73.5, 99.3, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0,
        ],
        6,
    ),
    (
        "A_4",
        [
            25.0, 35.4, 49.1, 59.3, 62.6, 82.3, 90.9, 98.0, 98.0, 99.1, 100.0, 99.7, 100.0,
        ],
        10,
    ),
    (
        "A_5",
        [
            12.5, 23.1, 32.5, 46.7, 71.2, 98.8, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0,
        ],
        7,
    ),
    (
        "S_4",
        [
            11.3, 17.6, 22.0, 27.1, 37.7, 44.8, 50.8, 72.5, 91.3, 97.1, 98.7, 99.9, 99.9,
        ],
        13,
    ),
    (
        "S_5",
        [
            7.9, 11.8, 14.6, 19.7, 26.0, 28.4, 32.8, 51.8, 86.3, 94.8, 97.2, 99.3, 99.9,
        ],
        13,
    ),
];

/// The paper's name for a task: parity is C_2, and the paper's D_n is the
/// dihedral group of order n (our `dihedral` with `n` = half of it).
pub fn task_label(task: &Task) -> String {
    match *task {
        Task::Parity => "C_2".into(),
        Task::Cyclic { n, n_actions } if n_actions == n => format!("C_{n}"),
        Task::Cyclic { n, n_actions } => format!("C_{n} ({n_actions} actions)"),
        Task::Dihedral { n } => format!("D_{}", 2 * n),
        Task::Quaternion => "Q_8".into(),
        Task::Alternating { n } => format!("A_{n}"),
        Task::Symmetric { n, n_actions } if n_actions == 3 => format!("S_{n}"),
        Task::Symmetric { n, n_actions } => format!("S_{n} ({n_actions} actions)"),
        Task::FlipFlop { n } => format!("flip-flop ({n} values)"),
        Task::Gridworld { n } => format!("Grid_{n}"),
        Task::Dyck { .. } => "Dyck".into(),
        Task::ProductC2 { k } => format!("C_2^{k}"),
    }
}

/// The paper's row for a task label (accuracy % per [`DEPTHS`], min L for 99%).
pub fn row(label: &str) -> Option<(&'static [f64; 13], u32)> {
    TABLE
        .iter()
        .find(|(l, _, _)| *l == label)
        .map(|(_, acc, min)| (acc, *min))
}

/// The smallest depth of the paper reaching `threshold` (a fraction).
pub fn min_depth(label: &str, threshold: f64) -> Option<u32> {
    let (_, acc, _) = TABLE.iter().find(|(l, _, _)| *l == label)?;
    DEPTHS
        .iter()
        .zip(acc)
        .find(|(_, a)| **a >= threshold * 100.0 - 1e-9)
        .map(|(d, _)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_depth_matches_the_table_column() {
        for (label, _, min99) in TABLE {
            assert_eq!(min_depth(label, 0.99), Some(*min99), "{label}");
        }
        assert_eq!(min_depth("D_8", 0.95), Some(2));
        assert_eq!(task_label(&Task::Dihedral { n: 4 }), "D_8");
        assert_eq!(task_label(&Task::Parity), "C_2");
    }
}
