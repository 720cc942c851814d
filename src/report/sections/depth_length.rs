//! Section 1's second question, after Merrill, Petty and Sabharwal (2024):
//! for each depth, how far into the sequence the Transformer stays accurate
//! (the longest prefix with per-position accuracy ≥ 90%), one line per
//! training length T.

use super::figure;
use super::findings::{family, split_length};
use crate::report::doc::{Block, Cell, FigureIds, Table};
use crate::report::figures::{panel_plot, LinePlot, Series};
use crate::report::util::{group_by, palette};
use crate::study::DepthLength;

/// Merrill et al.'s readout: for each task, the longest accurate prefix
/// against depth, one line per (family, training length).
pub(super) fn blocks(ids: &mut FigureIds, rows: &[DepthLength]) -> Vec<Block> {
    let mut out = Vec::new();
    let rows: Vec<&DepthLength> = rows.iter().filter(|r| r.depth.is_some()).collect();
    if rows.is_empty() {
        out.push(Block::Empty(
            "No figure: no per-position accuracy curves were gathered (the report needs the \
             `evaluate` instances, which write `acc_by_position.json`)."
                .into(),
        ));
        return out;
    }
    out.push(Block::Text(depth_length_sentence(&rows)));
    // Depth is the question: one line per Transformer architecture and
    // training length; the other families are in the sentence above.
    let tf: Vec<&DepthLength> = rows
        .iter()
        .copied()
        .filter(|r| family(&r.arch) == "transformer")
        .collect();
    let line_key = |r: &DepthLength| {
        let base = split_length(&r.arch).0;
        if base == "transformer" {
            format!("T = {}", r.length)
        } else {
            format!("{base}, T = {}", r.length)
        }
    };
    let mut keys: Vec<String> = Vec::new();
    for r in &tf {
        let k = line_key(r);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut panels = Vec::new();
    for (task, rs) in group_by(&tf, |r| r.task.clone()) {
        let series = group_by(&rs, |r| line_key(r))
            .into_iter()
            .map(|(k, v)| {
                let i = keys.iter().position(|x| *x == k).unwrap_or(0);
                let mut pts: Vec<(f64, f64)> = v
                    .iter()
                    .filter_map(|r| Some((r.depth? as f64, r.best as f64)))
                    .collect();
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                Series {
                    label: k,
                    points: pts,
                    colour: palette(i),
                    dashed: i >= 10,
                    ..Default::default()
                }
            })
            .collect();
        let mut lengths: Vec<usize> = rs.iter().map(|r| r.length).collect();
        lengths.sort_unstable();
        lengths.dedup();
        let top = lengths.last().copied().unwrap_or(1) as f64;
        panels.push(LinePlot {
            title: task,
            x_label: "depth L".into(),
            y_label: "longest accurate prefix t".into(),
            series,
            hlines: lengths
                .iter()
                .map(|l| {
                    (
                        *l as f64,
                        "whole sequence (t = T)".to_string(),
                        (150, 150, 150),
                    )
                })
                .collect(),
            y_range: Some((0.0, top * 1.06)),
            integer_x: true,
            log2_x: Some(false),
            ..Default::default()
        });
    }
    if panels.is_empty() {
        return out;
    }
    let caption = "For each task, depth and training length T: the longest prefix t such that \
                   the per-position test accuracy of the Transformer stays ≥ 90% at every \
                   position 1..t (best seed), Merrill et al.'s depth-against-length readout, one \
                   line per training length T. A line on its dashed ceiling (t = T) is accurate \
                   over the whole sequence."
        .to_string();
    let cols = if panels.len() > 1 { 2 } else { 1 };
    let mut fig = figure(ids, &["depth-length"], caption, || {
        panel_plot("", &panels, cols)
    });
    fig.md_table = Some(Table {
        caption: None,
        header: ["task", "model", "L", "T", "seeds", "best", "mean", "worst"]
            .map(String::from)
            .to_vec(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::new(r.task.clone()),
                    Cell::new(split_length(&r.arch).0),
                    Cell::new(r.depth.map(|d| d.to_string()).unwrap_or_default()),
                    Cell::new(r.length.to_string()),
                    Cell::new(r.seeds.to_string()),
                    Cell::new(r.best.to_string()),
                    Cell::new(format!("{:.1}", r.mean)),
                    Cell::new(r.worst.to_string()),
                ]
            })
            .collect(),
        numeric: vec![2, 3, 4, 5, 6, 7],
        note: Some("longest prefix with per-position accuracy ≥ 90%, in positions".into()),
    });
    out.push(Block::Figure(fig));
    out
}

/// "Longest prefix the Transformer keeps ≥ 90% accurate, by depth (best
/// seed): C_2 (T = 16) 9 positions at L = 1, 14 at L = 3; flip-flop (T = 16)
/// 5 at L = 1, all 16 from L = 2. ..."
fn depth_length_sentence(rows: &[&DepthLength]) -> String {
    let mut parts = Vec::new();
    for ((task, len), rs) in group_by(rows, |r| (r.task.clone(), r.length)) {
        let mut tf: Vec<&&DepthLength> = rs
            .iter()
            .copied()
            .filter(|r| family(&r.arch) == "transformer")
            .collect();
        if tf.is_empty() {
            continue;
        }
        tf.sort_by_key(|r| r.depth);
        let first = tf[0];
        let d0 = first.depth.unwrap_or(0);
        let full = tf.iter().find(|r| r.best >= r.length);
        let mut s = format!("{task} (T = {len}): {} at L = {d0}", first.best);
        match full {
            Some(f) if f.depth == first.depth => {
                s = format!("{task} (T = {len}): all {len} from L = {d0}")
            }
            Some(f) => s.push_str(&format!(", all {len} from L = {}", f.depth.unwrap_or(0))),
            None => {
                let best = tf
                    .iter()
                    .max_by_key(|r| (r.best, std::cmp::Reverse(r.depth)))
                    .unwrap();
                if best.depth != first.depth {
                    s.push_str(&format!(
                        ", at most {} (L = {}), never all {len}",
                        best.best,
                        best.depth.unwrap_or(0)
                    ));
                } else {
                    s.push_str(&format!(", never all {len}"));
                }
            }
        }
        parts.push(s);
    }
    let mut out = if parts.is_empty() {
        String::from("No Transformer was evaluated position by position")
    } else {
        format!(
            "How many positions the Transformer keeps ≥ 90% accurate from the start, by depth \
             (best seed): {}",
            parts.join("; ")
        )
    };
    let rnn: Vec<&&DepthLength> = rows
        .iter()
        .filter(|r| matches!(family(&r.arch), "lstm" | "gru"))
        .collect();
    if !rnn.is_empty() {
        let all = rnn.iter().filter(|r| r.best >= r.length).count();
        out.push_str(&format!(
            ". The 1-layer LSTM/GRU keep the whole sequence in {all} of {} (task, model) pairs",
            rnn.len()
        ));
    }
    out.push('.');
    out
}
