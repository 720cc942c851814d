//! Section 6: do the conclusions hold on real data? Per data set: its
//! finding (the best model against the baselines, in numbers), one bar
//! figure with the baselines beside every model, the table, and the data
//! set's own curves collapsed. A report with only real data gives each data
//! set a section of its own.

use super::findings::{and_list, sig};
use super::{curve_figures, figure, make_section};
use crate::report::doc::{Block, Cell, FigureIds, Section, Table};
use crate::report::figures::{bar_chart, BarChart};
use crate::report::model::{RealDataSection, RealHeadline, ReportInput};

/// The pipelines that run the real-data experiments.
pub(crate) const REAL_DATA_PIPELINES: [&str; 4] = [
    "pipelines/ecg.yaml",
    "pipelines/ecg-raw.yaml",
    "pipelines/proteins.yaml",
    "pipelines/stocks.yaml",
];

fn fmt(h: &RealHeadline, v: f64) -> String {
    if !v.is_finite() {
        "n/a".into()
    } else if h.percent {
        format!("{:.1}%", 100.0 * v)
    } else {
        sig(v, 4)
    }
}

/// "0.05% above": how much `a` differs from `b`, relative to `b`.
fn rel(a: f64, b: f64) -> String {
    if b == 0.0 || !a.is_finite() || !b.is_finite() {
        return String::new();
    }
    let r = 100.0 * (a - b) / b.abs();
    let word = if r >= 0.0 { "above" } else { "below" };
    format!("{}% {word}", sig(r.abs(), 2))
}

/// A gap to the best baseline below this (relative, or in accuracy points
/// for percentages) is reported as a tie.
const TIE_GAP: f64 = 0.01;

/// "On AAPL daily returns the best model (lstm) has RMSE 0.0183 against 0.0181
/// for the zero return: no model beats the best baseline."
pub(crate) fn headline_finding(dataset: &str, h: &RealHeadline) -> Option<String> {
    let better = |a: f64, b: f64| if h.higher_is_better { a > b } else { a < b };
    let best =
        h.models
            .iter()
            .filter(|m| m.1.is_finite())
            .reduce(|a, b| if better(b.1, a.1) { b } else { a })?;
    let base = h
        .baselines
        .iter()
        .filter(|m| m.1.is_finite())
        .reduce(|a, b| if better(b.1, a.1) { b } else { a });
    let mut s = format!(
        "On {dataset}, the best model ({}) has {} {}",
        best.0,
        h.metric,
        fmt(h, best.1)
    );
    match base {
        Some(b) => {
            let n_beat = h
                .models
                .iter()
                .filter(|m| m.1.is_finite() && better(m.1, b.1))
                .count();
            let diff = if h.percent {
                let d = 100.0 * (best.1 - b.1);
                format!(
                    "{:.1} points {}",
                    d.abs(),
                    if d >= 0.0 { "above" } else { "below" }
                )
            } else {
                rel(best.1, b.1)
            };
            s.push_str(&format!(
                ", {diff} the best baseline ({}: {}); ",
                b.0,
                fmt(h, b.1)
            ));
            s.push_str(&match n_beat {
                0 => "no model beats it.".to_string(),
                n if n == h.models.len() => format!("all {n} models beat it."),
                n => format!("{n} of {} models beat it.", h.models.len()),
            });
            // One test period cannot tell a sub-1% gap from noise: say so
            // rather than let "beats" stand as a win.
            let gap = if h.percent {
                (best.1 - b.1).abs()
            } else {
                (best.1 - b.1).abs() / b.1.abs()
            };
            if n_beat > 0 && gap < TIE_GAP {
                s.push_str(&format!(
                    " The best model is within {}% of the baseline: on one test period that is a tie, not a win.",
                    100.0 * TIE_GAP
                ));
            }
        }
        None => s.push_str(" (no baseline was computed for this data set)."),
    }
    Some(s)
}

fn dataset_blocks(ids: &mut FigureIds, rd: &RealDataSection, with_heading: bool) -> Vec<Block> {
    let mut blocks = Vec::new();
    if with_heading {
        blocks.push(Block::Heading(rd.dataset.clone()));
        if let Some(f) = rd
            .headline
            .as_ref()
            .and_then(|h| headline_finding(&rd.dataset, h))
        {
            blocks.push(Block::Text(f));
        }
    }
    if !rd.text.trim().is_empty() {
        blocks.push(Block::Text(rd.text.clone()));
    }
    if let Some(h) = &rd.headline {
        let chart = BarChart {
            title: format!("{}: {}", rd.dataset, h.metric),
            x_label: format!(
                "{} ({} is better)",
                h.metric,
                if h.higher_is_better {
                    "higher"
                } else {
                    "lower"
                }
            ),
            bars: h.models.clone(),
            baselines: h.baselines.clone(),
            higher_is_better: h.higher_is_better,
            percent: h.percent,
        };
        if crate::report::figures::bars::has_data(&chart) {
            blocks.push(Block::Figure(figure(
                ids,
                &["real", &rd.dataset],
                format!(
                    "{}: {} of every model (bars; blue where it beats every baseline) with the \
                     baselines as dashed lines.",
                    rd.dataset, h.metric
                ),
                || bar_chart(&chart),
            )));
        } else {
            blocks.push(Block::Empty(format!(
                "No figure: no model has a finite {} on {}.",
                h.metric, rd.dataset
            )));
        }
    }
    if !rd.table_rows.is_empty() || !rd.table_header.is_empty() {
        blocks.push(Block::Table(table(rd)));
    }
    if !rd.curves.is_empty() {
        let prefix = format!("real {}", rd.dataset);
        let figs = curve_figures(ids, &prefix, &rd.curves, |_, cs| {
            format!(
                "{}: {} against {}.",
                rd.dataset, cs[0].y_label, cs[0].x_label
            )
        });
        if rd.headline.is_some() {
            blocks.push(Block::Details {
                summary: format!("More figures for {}", rd.dataset),
                blocks: figs,
            });
        } else {
            blocks.extend(figs);
        }
    }
    blocks
}

fn table(rd: &RealDataSection) -> Table {
    let ncols = rd
        .table_rows
        .iter()
        .map(|r| r.len())
        .chain(std::iter::once(rd.table_header.len()))
        .max()
        .unwrap_or(0);
    let mut header = rd.table_header.clone();
    header.resize(ncols, String::new());
    let rows = rd
        .table_rows
        .iter()
        .map(|r| {
            let mut row: Vec<Cell> = r.iter().map(|c| Cell::new(c.clone())).collect();
            row.resize(ncols, Cell::new(""));
            row
        })
        .collect();
    // numeric columns: every non-empty cell parses as a number (after
    // dropping a trailing %)
    let numeric = (0..ncols)
        .filter(|&j| {
            let mut any = false;
            let all = rd.table_rows.iter().all(|r| {
                let c = r.get(j).map(|c| c.trim()).unwrap_or("");
                if matches!(c, "" | "—" | "–" | "-" | "n/a") {
                    return true;
                }
                let ok = c.trim_end_matches('%').parse::<f64>().is_ok();
                any |= ok;
                ok
            });
            all && any
        })
        .collect();
    Table {
        caption: None,
        header,
        rows,
        numeric,
        note: None,
    }
}

fn finding_of_all(input: &ReportInput) -> String {
    let parts: Vec<String> = input
        .real_data
        .iter()
        .filter_map(|rd| headline_finding(&rd.dataset, rd.headline.as_ref()?))
        .collect();
    if parts.is_empty() {
        format!(
            "Real data ran ({}), but no headline metric was found to compare the models with \
             their baselines; the tables below have the numbers.",
            and_list(
                &input
                    .real_data
                    .iter()
                    .map(|r| r.dataset.clone())
                    .collect::<Vec<_>>()
            )
        )
    } else {
        parts.join(" ")
    }
}

pub fn section(input: &ReportInput, ids: &mut FigureIds) -> Section {
    let mut blocks = Vec::new();
    if input.real_data.is_empty() {
        blocks.push(Block::Finding(format!(
            "Real data was not run in this pipeline, so the question is not answered here. The \
             real-data experiments (ECG heartbeats, CAFA-5 protein function, stock prices) are in \
             {}.",
            REAL_DATA_PIPELINES
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
        return make_section(6, "q6-real-data", blocks);
    }
    blocks.push(Block::Finding(finding_of_all(input)));
    let many = input.real_data.len() > 1;
    for rd in &input.real_data {
        if many {
            blocks.extend(dataset_blocks(ids, rd, true));
        } else {
            blocks.extend(dataset_blocks(ids, rd, false));
        }
    }
    make_section(6, "q6-real-data", blocks)
}

/// A report with only real data: one section per data set, each opening
/// with its finding.
pub(crate) fn sections_alone(input: &ReportInput, ids: &mut FigureIds) -> Vec<Section> {
    if input.real_data.is_empty() {
        let mut s = section(input, ids);
        s.title = "1. Results".into();
        return vec![s];
    }
    input
        .real_data
        .iter()
        .enumerate()
        .map(|(i, rd)| {
            let finding = rd
                .headline
                .as_ref()
                .and_then(|h| headline_finding(&rd.dataset, h))
                .unwrap_or_else(|| {
                    format!(
                        "No headline metric was found for {}; the table below has the numbers.",
                        rd.dataset
                    )
                });
            let mut blocks = vec![Block::Finding(finding)];
            blocks.extend(dataset_blocks(ids, rd, false));
            Section {
                id: format!("real-{}", crate::report::util::slug(&rd.dataset)),
                title: format!("{}. {}", i + 1, rd.dataset),
                blocks,
            }
        })
        .collect()
}
