//! Section 1: how many layers does a Transformer need? Heatmaps of accuracy
//! by task and depth, the paper's Table 1 with the same colours, and the
//! minimum depth for 95 % / 99 %.

use super::{curve_figures, figure, make_section, NO_DATA};
use crate::report::doc::{Block, Cell, FigureIds, Section, Table};
use crate::report::figures::{heatmap, Heatmap};
use crate::report::model::{AgreementRow, DepthCell, MinDepthRow, PaperRow, ReportInput};
use crate::report::util::{acc_colour, group_by, pct, text_on};

pub fn section(input: &ReportInput, ids: &mut FigureIds) -> Section {
    let mut blocks = vec![Block::Text(
        "Liu et al. (2023) show that a Transformer can simulate a semiautomaton \
         with a shortcut of O(log T) layers, and of constant depth for solvable \
         groups, while a recurrent network needs one layer. The heatmaps give \
         our mean accuracy over seeds for every task and depth (colour and \
         number, in %); the paper's Table 1 (best of 20 runs, width 512, T = 100) \
         follows with the same colour scale."
            .into(),
    )];
    if input.depth_table.is_empty() {
        blocks.push(Block::Empty(NO_DATA.into()));
    }
    for (arch, cells) in group_by(&input.depth_table, |c| c.arch.clone()) {
        blocks.push(Block::Figure(depth_figure(ids, &arch, &cells)));
    }

    blocks.push(Block::Heading("Liu et al. 2023, Table 1".into()));
    if input.paper_table.is_empty() {
        blocks.push(Block::Empty(
            "The paper's table was not supplied to this report.".into(),
        ));
    } else {
        blocks.push(Block::Table(paper_table(&input.paper_table)));
    }

    blocks.push(Block::Heading("Minimum depth to reach a threshold".into()));
    if input.min_depth.is_empty() {
        blocks.push(Block::Empty(NO_DATA.into()));
    }
    let mut by_thr = group_by(&input.min_depth, |r| format!("{:.4}", r.threshold));
    by_thr.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, rows) in by_thr {
        let thr = rows[0].threshold;
        blocks.push(Block::Text(min_depth_summary(thr, &rows)));
        blocks.push(Block::Table(min_depth_table(thr, &rows)));
    }
    if !input.paper_agreement.is_empty() {
        blocks.push(Block::Heading(
            "Rank agreement with the paper (Spearman's ρ)".into(),
        ));
        blocks.push(Block::List(
            input.paper_agreement.iter().map(agreement_line).collect(),
        ));
    }
    if !input.depth_length.is_empty() {
        blocks.push(Block::Heading("Depth against length".into()));
        blocks.push(Block::Text(
            "Merrill, Petty and Sabharwal (2024) read depth against length: how far \
             into the sequence a model of each depth stays accurate. For every depth, \
             the longest prefix whose per-position test accuracy stays at or above 90% \
             (best seed)."
                .into(),
        ));
        blocks.extend(curve_figures(
            ids,
            "depth-length",
            &input.depth_length,
            |group, _| format!("{group}: longest accurate prefix against depth."),
        ));
    }
    make_section(1, "q1-depth", blocks)
}

/// "transformer, 99%, best of seeds: ρ = 0.95 over 4 tasks (C_2 2/2, …)".
fn agreement_line(a: &AgreementRow) -> String {
    let rho = a
        .rho
        .map(|r| format!("{r:.2}"))
        .unwrap_or_else(|| "undefined".into());
    let pairs: Vec<String> = a
        .tasks
        .iter()
        .map(|(t, ours, paper)| {
            let ours = ours
                .map(|d| d.to_string())
                .unwrap_or_else(|| format!("none (= {})", a.unreached_as));
            format!("{t} {ours}/{paper}")
        })
        .collect();
    format!(
        "{}, {}%, {}: ρ = {rho} over {} tasks (ours/paper: {})",
        a.arch,
        pct(a.threshold),
        a.statistic,
        a.tasks.len(),
        pairs.join(", ")
    )
}

fn depth_figure(
    ids: &mut FigureIds,
    arch: &str,
    cells: &[&DepthCell],
) -> crate::report::doc::Figure {
    let mut tasks: Vec<String> = Vec::new();
    for c in cells {
        if !tasks.contains(&c.task) {
            tasks.push(c.task.clone());
        }
    }
    let mut depths: Vec<u32> = cells.iter().map(|c| c.depth).collect();
    depths.sort_unstable();
    depths.dedup();
    let find = |t: &str, d: u32| cells.iter().find(|c| c.task == t && c.depth == d);
    let hm = Heatmap {
        title: format!("{arch}: mean accuracy (%) by task and depth"),
        row_labels: tasks.clone(),
        col_labels: depths.iter().map(|d| format!("L={d}")).collect(),
        col_desc: "depth (layers)".into(),
        values: tasks
            .iter()
            .map(|t| {
                depths
                    .iter()
                    .map(|&d| find(t, d).map(|c| c.acc_mean))
                    .collect()
            })
            .collect(),
    };
    let seeds: Vec<u32> = cells.iter().map(|c| c.n_seeds).collect();
    let (smin, smax) = (
        seeds.iter().min().copied().unwrap_or(0),
        seeds.iter().max().copied().unwrap_or(0),
    );
    let seeds_txt = if smin == smax {
        format!("{smin} seeds")
    } else {
        format!("{smin}–{smax} seeds")
    };
    let caption = format!(
        "Accuracy of {arch} by task (rows) and depth (columns): colour and number \
         are the mean over {seeds_txt}; grey cells were not run. The colour scale \
         is stretched above 90% so that 95% and 99% stand apart."
    );
    let mut fig = figure(ids, &["depth", arch], caption, || heatmap(&hm));
    let mut header = vec!["task".to_string()];
    header.extend(depths.iter().map(|d| format!("L={d}")));
    fig.md_table = Some(Table {
        caption: None,
        header,
        rows: tasks
            .iter()
            .map(|t| {
                let mut row = vec![Cell::new(t.clone())];
                row.extend(depths.iter().map(|&d| {
                    Cell::new(
                        find(t, d)
                            .map(|c| format!("{} (best {})", pct(c.acc_mean), pct(c.acc_best)))
                            .unwrap_or_else(|| "—".into()),
                    )
                }));
                row
            })
            .collect(),
        numeric: (1..=depths.len()).collect(),
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
            "In-distribution accuracy (%) of a GPT-2-style Transformer, width 512, \
             8 heads, T = 100, best of 20 runs (Liu et al. 2023, Table 1)"
                .into(),
        ),
        header,
        rows: body,
        numeric: (1..=depths.len() + 1).collect(),
        note: None,
    }
}

/// 0.95 -> "95%", 0.995 -> "99.5%".
fn thr_text(t: f64) -> String {
    let p = pct(t);
    format!("{}%", p.strip_suffix(".0").unwrap_or(&p))
}

fn depth_cell(d: Option<u32>, none: &str) -> Cell {
    Cell::new(d.map(|d| d.to_string()).unwrap_or_else(|| none.to_string()))
}

fn min_depth_table(thr: f64, rows: &[&MinDepthRow]) -> Table {
    let header = [
        "task",
        "arch",
        "ours: best of seeds",
        "ours: mean over seeds",
        "paper",
        "best − paper",
    ]
    .map(String::from)
    .to_vec();
    let body = rows
        .iter()
        .map(|r| {
            let delta = match (r.best_of_seeds, r.paper) {
                (Some(a), Some(b)) => match a as i64 - b as i64 {
                    0 => "0".to_string(),
                    d => format!("{d:+}"),
                },
                _ => "—".into(),
            };
            vec![
                Cell::new(r.task.clone()),
                Cell::new(r.arch.clone()),
                depth_cell(r.best_of_seeds, "not reached"),
                depth_cell(r.mean_over_seeds, "not reached"),
                depth_cell(r.paper, "—"),
                Cell::new(delta),
            ]
        })
        .collect();
    Table {
        caption: Some(format!(
            "Minimum depth L reaching {} accuracy",
            thr_text(thr)
        )),
        header,
        rows: body,
        numeric: vec![2, 3, 4, 5],
        note: Some(
            "\"not reached\": no depth we trained got there. paper: the smallest \
             depth in Liu et al.'s Table 1 at or above the threshold (best of 20 runs)."
                .into(),
        ),
    }
}

fn min_depth_summary(thr: f64, rows: &[&MinDepthRow]) -> String {
    let reached = rows.iter().filter(|r| r.best_of_seeds.is_some()).count();
    let mut s = format!(
        "At {}: the best seed reached the threshold for {reached} of {} (task, arch) pairs",
        thr_text(thr),
        rows.len()
    );
    let cmp: Vec<(u32, u32)> = rows
        .iter()
        .filter_map(|r| Some((r.best_of_seeds?, r.paper?)))
        .collect();
    if !cmp.is_empty() {
        let same = cmp.iter().filter(|(a, b)| a == b).count();
        let deeper = cmp.iter().filter(|(a, b)| a > b).count();
        let shallower = cmp.len() - same - deeper;
        s.push_str(&format!(
            "; against the paper ({} comparable), {same} needed the same depth, \
             {deeper} deeper and {shallower} shallower",
            cmp.len()
        ));
    }
    let missing: Vec<String> = rows
        .iter()
        .filter(|r| r.best_of_seeds.is_none())
        .map(|r| format!("{} ({})", r.task, r.arch))
        .collect();
    if !missing.is_empty() {
        s.push_str(&format!("; not reached: {}", missing.join(", ")));
    }
    s.push('.');
    s
}
