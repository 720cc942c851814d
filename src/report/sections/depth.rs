//! Section 1: how many layers does a Transformer need? The finding (minimum
//! depths against the paper's, the recurrent baseline, Spearman's ρ), one
//! accuracy-by-depth heatmap per task with every model family as a row, the
//! minimum-depth table with the rank correlation beside it, and depth
//! against length (Merrill et al., in `depth_length`).

use super::findings::{and_list, depth_range, family, family_rank, main_length, pc, split_length};
use super::{figure, make_section, NO_DATA};
use crate::report::doc::{Block, Cell, Figure, FigureIds, Section, Table};
use crate::report::figures::{heatmap_grid, CellScale, Heatmap};
use crate::report::model::{DepthCell, MinDepthRow, PaperRow, ReportInput};
use crate::report::util::{acc_colour, group_by, pct, text_on};
use crate::study::{PaperAgreement, SeedStatistic};

pub fn section(input: &ReportInput, ids: &mut FigureIds) -> Section {
    let t_main = main_length(input);
    let mut blocks = vec![Block::Finding(finding(input, t_main))];
    if input.depth_table.is_empty() {
        blocks.push(Block::Empty(format!(
            "{NO_DATA} No model was trained at several depths, so there is no heatmap."
        )));
    } else {
        blocks.push(Block::Figure(heatmaps(ids, &input.depth_table, t_main)));
    }

    blocks.push(Block::Heading("Minimum depth, beside Liu et al.".into()));
    let rows: Vec<&MinDepthRow> = input
        .min_depth
        .iter()
        .filter(|r| r.length.is_none() || r.length == t_main)
        .collect();
    if rows.is_empty() {
        blocks.push(Block::Empty(NO_DATA.into()));
    } else {
        if let Some(a) = headline_agreement(&input.paper_agreement, t_main) {
            blocks.push(Block::Text(agreement_sentence(a)));
        }
        blocks.push(Block::Table(min_depth_table(&rows, t_main)));
    }
    let others: Vec<&MinDepthRow> = input
        .min_depth
        .iter()
        .filter(|r| r.length.is_some() && r.length != t_main)
        .collect();
    let mut more = Vec::new();
    if !others.is_empty() {
        more.push(Block::Table(min_depth_table(&others, t_main)));
    }
    if input.paper_agreement.len() > 1 {
        more.push(Block::List(
            input
                .paper_agreement
                .iter()
                .map(agreement_sentence)
                .collect(),
        ));
    }
    if !input.paper_table.is_empty() {
        more.push(Block::Table(paper_table(&input.paper_table)));
    }
    if !more.is_empty() {
        blocks.push(Block::Details {
            summary: "More: other training lengths, every rank correlation, Liu et al.'s Table 1"
                .into(),
            blocks: more,
        });
    }

    blocks.push(Block::Heading("Depth against length".into()));
    blocks.extend(super::depth_length::blocks(ids, &input.depth_length));
    make_section(1, "q1-depth", blocks)
}

/// The Transformer architecture the finding is about: the one with the most
/// depths at the main length.
fn main_transformer(cells: &[DepthCell], t: Option<u32>) -> Option<String> {
    let tf: Vec<&DepthCell> = cells
        .iter()
        .filter(|c| family(&c.arch) == "transformer" && (c.length.is_none() || c.length == t))
        .collect();
    group_by(&tf, |c| c.arch.clone())
        .into_iter()
        .max_by_key(|(_, v)| v.len())
        .map(|(a, _)| a)
}

fn finding(input: &ReportInput, t: Option<u32>) -> String {
    let mut parts = Vec::new();
    let at_t = t.map(|t| format!(", T = {t}")).unwrap_or_default();
    if let Some(arch) = main_transformer(&input.depth_table, t) {
        let rows: Vec<&MinDepthRow> = input
            .min_depth
            .iter()
            .filter(|r| {
                r.arch == arch && r.threshold == 0.99 && (r.length.is_none() || r.length == t)
            })
            .collect();
        let seeds = input
            .depth_table
            .iter()
            .filter(|c| c.arch == arch)
            .map(|c| c.n_seeds)
            .max()
            .unwrap_or(1);
        let stat = if seeds > 1 {
            format!("best of {seeds} seeds")
        } else {
            "1 seed".into()
        };
        let reached: Vec<String> = rows
            .iter()
            .filter_map(|r| {
                let d = r.best_of_seeds?;
                Some(format!("{} at L = {d}{}", r.task, paper_cmp(Some(d), r)))
            })
            .collect();
        let missed: Vec<String> = rows
            .iter()
            .filter(|r| r.best_of_seeds.is_none())
            .map(|r| {
                format!(
                    "{} (tried L = {}{})",
                    r.task,
                    depth_range(&r.depths_tried),
                    paper_cmp(None, r)
                )
            })
            .collect();
        let name = match arch.trim_start_matches("transformer").trim() {
            "" => "Transformer".to_string(),
            rest => format!("Transformer ({rest})"),
        };
        let mut s = format!("The {name} ({stat}{at_t}) reaches 99%");
        if reached.is_empty() {
            s.push_str(" on no task");
        } else {
            s.push_str(&format!(" on {}", and_list(&reached)));
        }
        if !missed.is_empty() {
            s.push_str(&format!(
                "; no depth tried reaches it on {}",
                and_list(&missed)
            ));
        }
        s.push('.');
        parts.push(s);
    }
    // The recurrent baseline: the 1-layer LSTM (else GRU).
    for fam in ["lstm", "gru"] {
        let cells: Vec<&DepthCell> = input
            .depth_table
            .iter()
            .filter(|c| {
                family(&c.arch) == fam && c.depth == 1 && (c.length.is_none() || c.length == t)
            })
            .collect();
        if cells.is_empty() {
            continue;
        }
        let good = cells.iter().filter(|c| c.acc_mean >= 0.99).count();
        let mut s = format!(
            "The 1-layer {} reaches ≥ 99% (mean over seeds) on {good} of {} tasks",
            fam.to_uppercase(),
            cells.len()
        );
        if let Some(w) = cells
            .iter()
            .filter(|c| c.acc_mean.is_finite())
            .min_by(|a, b| a.acc_mean.total_cmp(&b.acc_mean))
        {
            if w.acc_mean < 0.99 {
                s.push_str(&format!(" (lowest: {} {})", w.task, pc(w.acc_mean)));
            }
        }
        s.push('.');
        parts.push(s);
        break;
    }
    if let Some(a) = headline_agreement(&input.paper_agreement, t) {
        parts.push(agreement_short(a));
    }
    if parts.is_empty() {
        "No model was trained at several depths in this run, so the question is not answered here."
            .into()
    } else {
        parts.join(" ")
    }
}

/// " (paper: 2, the same)", " (paper: 3; shallower than the paper)".
fn paper_cmp(ours: Option<u32>, r: &MinDepthRow) -> String {
    let Some(p) = r.paper else {
        return String::new();
    };
    let max_tried = r.depths_tried.iter().copied().max();
    match ours {
        Some(d) if d == p => format!(" (paper: {p}, the same)"),
        Some(d) if d < p => format!(" (paper: {p}; shallower than the paper)"),
        Some(_) => format!(" (paper: {p}; deeper than the paper)"),
        None if max_tried.is_some_and(|m| m >= p) => {
            format!("; the paper reaches it at L = {p}: this disagrees with the paper")
        }
        None => format!("; the paper needs L = {p}, deeper than we tried"),
    }
}

/// The comparison shown first: the main Transformer, 99%, best of seeds, at
/// the main length.
fn headline_agreement(all: &[PaperAgreement], t: Option<u32>) -> Option<&PaperAgreement> {
    let fits = |a: &&PaperAgreement| {
        let (base, len) = split_length(&a.arch);
        family(&base) == "transformer" && (len.is_none() || len == t)
    };
    all.iter()
        .filter(fits)
        .filter(|a| a.statistic == SeedStatistic::BestOfSeeds)
        .max_by(|a, b| {
            (a.threshold - 0.99)
                .abs()
                .total_cmp(&(b.threshold - 0.99).abs())
                .reverse()
                .then(a.tasks.len().cmp(&b.tasks.len()))
        })
}

fn rho_text(a: &PaperAgreement) -> String {
    a.rho
        .map(|r| format!("{r:.2}"))
        .unwrap_or_else(|| "undefined".into())
}

fn agreement_short(a: &PaperAgreement) -> String {
    match a.rho {
        Some(r) => format!(
            "Spearman's rank correlation with the paper's minimum depths is ρ = {r:.2} over {} tasks{}.",
            a.tasks.len(),
            if r < 0.8 { " (the paper's order is not reproduced)" } else { "" }
        ),
        None => format!(
            "Spearman's rank correlation with the paper's minimum depths is undefined over {} tasks (one side is constant).",
            a.tasks.len()
        ),
    }
}

/// "transformer (T = 16)" for "length=16 transformer".
fn arch_text(arch: &str) -> String {
    match split_length(arch) {
        (a, Some(t)) => format!("{a} (T = {t})"),
        (a, None) => a,
    }
}

fn agreement_sentence(a: &PaperAgreement) -> String {
    let pairs: Vec<String> = a
        .tasks
        .iter()
        .map(|p| {
            let ours = p
                .ours
                .map(|d| d.to_string())
                .unwrap_or_else(|| format!("none (counted as {})", a.unreached_as));
            format!("{} {ours} vs {}", p.task, p.paper)
        })
        .collect();
    format!(
        "Spearman's ρ = {} between the minimum depths of the {} ({}, {:.0}%) and Liu et al.'s, over {} tasks: {}. A depth never reached counts as one more than the deepest model tried.",
        rho_text(a),
        arch_text(&a.arch),
        a.statistic.label(),
        100.0 * a.threshold,
        a.tasks.len(),
        pairs.join(", ")
    )
}

/// One heatmap per task: a row per model family (and per other training
/// length), a column per depth.
fn heatmaps(ids: &mut FigureIds, cells: &[DepthCell], t_main: Option<u32>) -> Figure {
    let row_label = |c: &DepthCell| match c.length {
        Some(l) if Some(l) != t_main => format!("{} (T = {l})", c.arch),
        _ => c.arch.clone(),
    };
    let mut maps = Vec::new();
    let mut md_rows = Vec::new();
    let mut all_depths: Vec<u32> = cells.iter().map(|c| c.depth).collect();
    all_depths.sort_unstable();
    all_depths.dedup();
    let multi_seed = cells.iter().any(|c| c.n_seeds > 1);
    for (task, cs) in group_by(cells, |c| c.task.clone()) {
        // main-length rows first, each block in the families' reading order
        let mut rows: Vec<String> = Vec::new();
        for pass in [true, false] {
            let mut block: Vec<&&DepthCell> = cs
                .iter()
                .filter(|c| (c.length.is_none() || c.length == t_main) == pass)
                .collect();
            block.sort_by_key(|c| family_rank(&c.arch));
            for c in block {
                let l = row_label(c);
                if !rows.contains(&l) {
                    rows.push(l);
                }
            }
        }
        let mut depths: Vec<u32> = cs.iter().map(|c| c.depth).collect();
        depths.sort_unstable();
        depths.dedup();
        let find = |r: &str, d: u32| cs.iter().find(|c| row_label(c) == r && c.depth == d);
        maps.push(Heatmap {
            title: task.clone(),
            row_labels: rows.clone(),
            col_labels: depths.iter().map(|d| format!("L={d}")).collect(),
            col_desc: "depth (layers)".into(),
            values: rows
                .iter()
                .map(|r| {
                    depths
                        .iter()
                        .map(|&d| find(r, d).map(|c| c.acc_mean))
                        .collect()
                })
                .collect(),
            scale: CellScale::Accuracy,
            sub: if multi_seed {
                rows.iter()
                    .map(|r| {
                        depths
                            .iter()
                            .map(|&d| {
                                find(r, d)
                                    .filter(|c| c.n_seeds > 1)
                                    .map(|c| format!("best {}", pct(c.acc_best)))
                            })
                            .collect()
                    })
                    .collect()
            } else {
                Vec::new()
            },
        });
        for r in &rows {
            let mut row = vec![Cell::new(task.clone()), Cell::new(r.clone())];
            row.extend(all_depths.iter().map(|&d| {
                Cell::new(
                    find(r, d)
                        .map(|c| format!("{} (best {})", pct(c.acc_mean), pct(c.acc_best)))
                        .unwrap_or_else(|| "—".into()),
                )
            }));
            md_rows.push(row);
        }
    }
    let (smin, smax) = (
        cells.iter().map(|c| c.n_seeds).min().unwrap_or(0),
        cells.iter().map(|c| c.n_seeds).max().unwrap_or(0),
    );
    let seeds_txt = if smin == smax {
        super::findings::seeds_text(smin)
    } else {
        format!("{smin}–{smax} seeds")
    };
    let t_txt = t_main
        .map(|t| format!(" Models were trained at T = {t} unless the row says otherwise."))
        .unwrap_or_default();
    let sub_txt = if multi_seed {
        " The small number is the best seed."
    } else {
        ""
    };
    let caption = format!(
        "Test accuracy (%) by depth, one heatmap per task, one row per model family: the mean over \
         {seeds_txt}.{sub_txt} Grey cells were not run. The colour scale is stretched above 90% so \
         that 95% and 99% stand apart.{t_txt}"
    );
    let cols = if maps.len() > 1 { 2 } else { 1 };
    let mut fig = figure(ids, &["depth"], caption, || heatmap_grid("", &maps, cols));
    let mut header = vec!["task".to_string(), "model".to_string()];
    header.extend(all_depths.iter().map(|d| format!("L={d}")));
    fig.md_table = Some(Table {
        caption: None,
        header,
        rows: md_rows,
        numeric: (2..2 + all_depths.len()).collect(),
        note: Some("mean over seeds (best seed), accuracy in %".into()),
    });
    fig
}

fn paper_table(rows: &[PaperRow]) -> Table {
    let mut depths: Vec<u32> = rows
        .iter()
        .flat_map(|r| r.acc_by_depth.iter().map(|p| p.0))
        .collect();
    depths.sort_unstable();
    depths.dedup();
    let mut header = vec!["task".to_string()];
    header.extend(depths.iter().map(|d| format!("L={d}")));
    header.push("min L (99%)".into());
    let body = rows
        .iter()
        .map(|r| {
            let mut row = vec![Cell::new(r.task.clone())];
            for d in &depths {
                row.push(match r.acc_by_depth.iter().find(|p| p.0 == *d) {
                    Some((_, a)) if a.is_finite() => {
                        let bg = acc_colour(*a);
                        Cell::coloured(pct(*a), bg, text_on(bg))
                    }
                    _ => Cell::new("—"),
                });
            }
            row.push(Cell::new(
                r.min_depth_99
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "—".into()),
            ));
            row
        })
        .collect();
    Table {
        caption: Some(
            "Liu et al. 2023, Table 1: in-distribution accuracy (%) of a GPT-2-style Transformer, \
             width 512, 8 heads, T = 100, best of 20 runs"
                .into(),
        ),
        header,
        rows: body,
        numeric: (1..=depths.len() + 1).collect(),
        note: None,
    }
}

fn depth_cell(d: Option<u32>) -> String {
    d.map(|d| d.to_string())
        .unwrap_or_else(|| "none".to_string())
}

/// One row per (task, architecture): the minimum depth at each threshold,
/// best of seeds and mean over seeds, and the paper's.
fn min_depth_table(rows: &[&MinDepthRow], t_main: Option<u32>) -> Table {
    let mut thresholds: Vec<f64> = rows.iter().map(|r| r.threshold).collect();
    thresholds.sort_by(f64::total_cmp);
    thresholds.dedup();
    let thr = |t: f64| {
        let p = pct(t);
        format!("{}%", p.strip_suffix(".0").unwrap_or(&p))
    };
    let mut header = vec!["task".to_string(), "model".to_string()];
    for t in &thresholds {
        header.push(format!("{}: best / mean", thr(*t)));
    }
    header.push("paper (99%)".into());
    header.push("depths tried".into());
    let keys = group_by(rows, |r| (r.task.clone(), r.arch.clone(), r.length));
    let body = keys
        .iter()
        .map(|((task, arch, len), rs)| {
            let label = match len {
                Some(l) if *len != t_main => format!("{arch} (T = {l})"),
                _ => arch.clone(),
            };
            let mut row = vec![Cell::new(task.clone()), Cell::new(label)];
            for t in &thresholds {
                let r = rs.iter().find(|r| r.threshold == *t);
                row.push(Cell::new(
                    r.map(|r| {
                        format!(
                            "{} / {}",
                            depth_cell(r.best_of_seeds),
                            depth_cell(r.mean_over_seeds)
                        )
                    })
                    .unwrap_or_else(|| "—".into()),
                ));
            }
            let paper = rs
                .iter()
                .find(|r| r.threshold == 0.99)
                .or(rs.first())
                .and_then(|r| r.paper);
            row.push(Cell::new(
                paper.map(|p| p.to_string()).unwrap_or_else(|| "—".into()),
            ));
            let tried: Vec<u32> = rs.iter().flat_map(|r| r.depths_tried.clone()).collect();
            row.push(Cell::new(depth_range(&tried)));
            row
        })
        .collect();
    let n = thresholds.len();
    Table {
        caption: Some("Smallest depth L reaching each accuracy".into()),
        header,
        rows: body,
        numeric: (2..2 + n + 1).collect(),
        note: Some(
            "best: the best seed reaches it (how the paper reports); mean: the mean over seeds \
             does; none: no depth tried got there. paper: Liu et al.'s smallest depth at 99% \
             (best of 20 runs, width 512, T = 100)."
                .into(),
        ),
    }
}
