//! Depth against length (Merrill, Petty, Sabharwal 2024, §6): how far into the sequence a
//! model of each depth stays accurate.
//!
//! The automata label every position with the state after that prefix, so the test
//! accuracy at position `t` (the curve `evaluate` writes as `acc_by_position.json`) is the
//! accuracy of tracking the state over `t` inputs. The readout is the **longest prefix**:
//! the largest `t` such that the accuracy at every position `1..=t` is at least the
//! threshold (90%, as Merrill et al.). A position without a scored label (NaN) ends the
//! prefix: there is no evidence the model is accurate there. Merrill et al. read the same
//! thing the other way round: the smallest depth that stays accurate through length `t`
//! ([`min_depth_through`]).

use serde::{Deserialize, Serialize};

use super::collect::Cell;
use super::tables::{aggregate, Axes};

/// Merrill et al.'s accuracy threshold.
pub(crate) const THRESHOLD: f64 = 0.9;

/// The largest `t` with `acc[0..t]` all `≥ threshold` (0 when the first position is below
/// it or unscored; `acc.len()` when every position reaches it).
pub fn longest_prefix(acc: &[f64], threshold: f64) -> usize {
    acc.iter().take_while(|&&a| a >= threshold).count()
}

/// The longest prefix of one (task, architecture, depth) over its seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepthLength {
    pub task: String,
    pub arch: String,
    pub depth: Option<u32>,
    /// The evaluated length `T` (the curve's length).
    pub length: usize,
    pub seeds: usize,
    /// The best seed's longest prefix.
    pub best: usize,
    pub mean: f64,
    /// The worst seed's.
    pub worst: usize,
}

/// One row per (task, architecture, depth) whose cells have a per-position accuracy
/// curve, in the tables' reading order (paper's task order, Transformers by depth first).
pub fn depth_against_length(cells: &[Cell], axes: &Axes, threshold: f64) -> Vec<DepthLength> {
    // Cells carrying only the two numbers this readout needs, grouped like the tables.
    let curves: Vec<Cell> = cells
        .iter()
        .filter_map(|c| {
            let acc = c.acc_by_pos.as_ref()?;
            let mut cell = c.clone();
            cell.metrics = [
                (
                    "longest_prefix".to_string(),
                    longest_prefix(acc, threshold) as f64,
                ),
                ("length".to_string(), acc.len() as f64),
            ]
            .into_iter()
            .collect();
            Some(cell)
        })
        .collect();
    aggregate(&curves, axes)
        .into_iter()
        .filter_map(|g| {
            let p = g.metrics.get("longest_prefix")?;
            Some(DepthLength {
                length: g.metrics.get("length")?.max as usize,
                seeds: p.n,
                best: p.max as usize,
                mean: p.mean,
                worst: p.min as usize,
                task: g.task,
                arch: g.arch,
                depth: g.depth,
            })
        })
        .collect()
}

/// The smallest depth of `task` and `arch` whose best seed stays accurate through
/// position `t` (Merrill et al.'s readout); `None` if no depth tried does.
pub fn min_depth_through(rows: &[DepthLength], task: &str, arch: &str, t: usize) -> Option<u32> {
    rows.iter()
        .filter(|r| r.task == task && r.arch == arch && r.best >= t)
        .filter_map(|r| r.depth)
        .min()
}

/// The rows as a printed table: one line per (task, architecture), one column per
/// depth, each cell the best seed's longest prefix with the mean over seeds in
/// brackets when there are several; `T` is the evaluated length.
pub fn depth_length_text(rows: &[DepthLength], threshold: f64) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut depths: Vec<u32> = rows.iter().filter_map(|r| r.depth).collect();
    depths.sort_unstable();
    depths.dedup();
    let mut lines: Vec<(&str, &str, usize)> = Vec::new();
    for r in rows {
        let key = (r.task.as_str(), r.arch.as_str(), r.length);
        if !lines.contains(&key) {
            lines.push(key);
        }
    }
    let mut header: Vec<String> = ["task", "model", "T"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(depths.iter().map(|d| format!("L={d}")));
    let table: Vec<Vec<String>> = lines
        .iter()
        .map(|&(task, arch, length)| {
            let mut row = vec![task.to_string(), arch.to_string(), length.to_string()];
            for d in &depths {
                let cell = rows.iter().find(|r| {
                    r.task == task && r.arch == arch && r.length == length && r.depth == Some(*d)
                });
                row.push(match cell {
                    Some(r) if r.seeds > 1 => format!("{} ({:.1})", r.best, r.mean),
                    Some(r) => r.best.to_string(),
                    None => String::new(),
                });
            }
            row
        })
        .collect();
    format!(
        "\nDepth against length (Merrill et al.): the longest prefix t with per-position test accuracy ≥ {:.0}% at every position 1..t, best seed (mean over seeds); t = T: accurate throughout\n{}",
        100.0 * threshold,
        super::tables::text_table(&header, &table)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_by_hand() {
        let acc = [1.0, 0.97, 0.9, 0.89, 0.95, 0.99];
        // 0.9 itself counts; 0.89 at position 4 ends the prefix although 5 and 6 recover.
        assert_eq!(longest_prefix(&acc, 0.9), 3);
        assert_eq!(longest_prefix(&acc, 0.95), 2);
        assert_eq!(longest_prefix(&acc, 0.5), 6);
        assert_eq!(longest_prefix(&[0.5, 1.0], 0.9), 0);
        assert_eq!(longest_prefix(&[1.0, f64::NAN, 1.0], 0.9), 1);
        assert_eq!(longest_prefix(&[], 0.9), 0);
    }
}
