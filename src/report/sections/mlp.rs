//! Section 4: can an MLP (no weight sharing over time) keep up, and how does
//! it fail as T grows? Answered by MLPs trained at several lengths: test
//! accuracy against the training length T, one line per task, the best
//! other model beside it.

use super::findings::{and_list, pc};
use super::summary::results_table;
use super::{figure, make_section};
use crate::report::doc::{Block, FigureIds, Section};
use crate::report::figures::{line_plot, LinePlot, Series};
use crate::report::model::{ReportInput, ResultRow};
use crate::report::util::{group_by, palette};

pub(crate) fn is_mlp(name: &str) -> bool {
    name.trim().to_lowercase().starts_with("mlp")
}

/// (T, accuracy) of the MLP rows of one task, sorted by T.
fn by_length(rows: &[&ResultRow]) -> Vec<(u32, f64)> {
    let mut v: Vec<(u32, f64)> = rows
        .iter()
        .filter_map(|r| Some((r.length?, r.acc_mean)))
        .filter(|p| p.1.is_finite())
        .collect();
    v.sort_by_key(|p| p.0);
    v.dedup_by_key(|p| p.0);
    v
}

/// The best non-MLP model on `task` at training length `t`.
fn best_other<'a>(input: &'a ReportInput, task: &str, t: Option<u32>) -> Option<&'a ResultRow> {
    input
        .results
        .iter()
        .filter(|o| o.task == task && !is_mlp(&o.model) && o.acc_mean.is_finite())
        .filter(|o| t.is_none() || o.length.is_none() || o.length == t)
        .max_by(|a, b| a.acc_mean.total_cmp(&b.acc_mean))
}

pub fn section(input: &ReportInput, ids: &mut FigureIds) -> Section {
    let rows: Vec<&ResultRow> = input.results.iter().filter(|r| is_mlp(&r.model)).collect();
    if rows.is_empty() {
        return make_section(
            4,
            "q4-mlp",
            vec![
                Block::Finding(
                    "No MLP was trained in this run, so the question is not answered here.".into(),
                ),
                Block::Text(intro().into()),
            ],
        );
    }
    let tasks = group_by(&rows, |r| r.task.clone());
    let multi: Vec<(String, Vec<(u32, f64)>)> = tasks
        .iter()
        .map(|(t, rs)| {
            (
                t.clone(),
                by_length(&rs.iter().map(|r| **r).collect::<Vec<_>>()),
            )
        })
        .filter(|(_, v)| v.len() >= 2)
        .collect();
    let mut blocks = Vec::new();
    if multi.is_empty() {
        // one length only: say what it reached, and what is missing
        let lens: Vec<u32> = rows.iter().filter_map(|r| r.length).collect();
        let at = lens
            .first()
            .map(|t| format!(" (T = {t})"))
            .unwrap_or_default();
        let parts: Vec<String> = rows
            .iter()
            .map(|r| {
                let mut s = format!("{} on {}", pc(r.acc_mean), r.task);
                if let Some(o) = best_other(input, &r.task, r.length) {
                    s.push_str(&format!(" ({} {})", o.model, pc(o.acc_mean)));
                }
                s
            })
            .collect();
        blocks.push(Block::Finding(format!(
            "The MLP reaches {}{at}. It was trained at a single length in this run, so how it \
             fails as T grows is not measured here.",
            and_list(&parts)
        )));
        blocks.push(Block::Text(intro().into()));
        blocks.push(Block::Empty(
            "No figure of accuracy against T: it needs MLPs trained at several lengths (a \
             `length` axis on the data stage, e.g. T = 8, 16, 32), and this run trained them at \
             one. The MLP cannot be tested at other lengths either: it has weights for each \
             position up to its training length only."
                .into(),
        ));
    } else {
        let parts: Vec<String> = multi
            .iter()
            .enumerate()
            .map(|(i, (task, v))| {
                let (a, b) = (v[0], v[v.len() - 1]);
                let verb = if b.1 < a.1 { "falls" } else { "goes" };
                if i == 0 {
                    format!(
                        "on {task} the MLP's accuracy {verb} from {} (T = {}) to {} (T = {})",
                        pc(a.1),
                        a.0,
                        pc(b.1),
                        b.0
                    )
                } else {
                    format!("on {task} from {} to {}", pc(a.1), pc(b.1))
                }
            })
            .collect();
        let mut s = format!("Trained at each length, {}.", parts.join("; "));
        let others: Vec<String> = multi
            .iter()
            .filter_map(|(task, v)| {
                let t = v.last()?.0;
                let o = best_other(input, task, Some(t))?;
                Some(format!("{} ({}) on {task}", pc(o.acc_mean), o.model))
            })
            .collect();
        if !others.is_empty() {
            let t = multi[0].1.last().map(|p| p.0).unwrap_or(0);
            s.push_str(&format!(
                " At T = {t} the best other models reach {}.",
                and_list(&others)
            ));
        }
        blocks.push(Block::Finding(s));
        blocks.push(Block::Text(intro().into()));
        let series: Vec<Series> = multi
            .iter()
            .enumerate()
            .map(|(i, (task, v))| Series {
                label: task.clone(),
                points: v.iter().map(|(t, a)| (*t as f64, *a)).collect(),
                colour: palette(i),
                ..Default::default()
            })
            .collect();
        let pow2 = multi
            .iter()
            .flat_map(|(_, v)| v.iter().map(|p| p.0))
            .all(|t| t.is_power_of_two());
        let plot = LinePlot {
            log2_x: Some(pow2),
            integer_x: true,
            title: "MLP: test accuracy against training length".into(),
            x_label: "training length T".into(),
            y_label: "test accuracy".into(),
            series,
            ..Default::default()
        };
        let fig = figure(
            ids,
            &["mlp-length"],
            "Test accuracy of MLPs trained at each length T (mean over seeds), one line per task. \
             Each MLP is tested at its own training length: it has no weights past it."
                .into(),
            || line_plot(&plot),
        );
        blocks.push(Block::Figure(fig));
    }
    let mut t = results_table(&rows.iter().map(|r| (*r).clone()).collect::<Vec<_>>());
    t.caption = Some("MLP results".into());
    blocks.push(Block::Details {
        summary: "MLP results table".into(),
        blocks: vec![Block::Table(t)],
    });
    make_section(4, "q4-mlp", blocks)
}

fn intro() -> &'static str {
    "An MLP sees the whole window at once with separate weights for every position: it must \
     learn the state update once per position, so the longer the sequence the more it has to \
     learn from the same data, and it cannot be run on a length it was not built for."
}
