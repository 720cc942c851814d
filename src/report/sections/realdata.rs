//! Section 6: do the conclusions hold on real data?

use super::{curve_figures, make_section};
use crate::report::doc::{Block, Cell, FigureIds, Section, Table};
use crate::report::model::ReportInput;

/// The pipelines that run the real-data experiments.
pub const REAL_DATA_PIPELINES: [&str; 4] = [
    "pipelines/ecg.yaml",
    "pipelines/ecg-raw.yaml",
    "pipelines/proteins.yaml",
    "pipelines/stocks.yaml",
];

pub fn section(input: &ReportInput, ids: &mut FigureIds) -> Section {
    let mut blocks = Vec::new();
    if input.real_data.is_empty() {
        blocks.push(Block::Empty(format!(
            "Real data was not run in this pipeline. The real-data experiments \
             (ECG heartbeats, CAFA-5 protein function, stock prices) are in {}.",
            REAL_DATA_PIPELINES
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
        return make_section(6, "q6-real-data", blocks);
    }
    for rd in &input.real_data {
        blocks.push(Block::Heading(rd.dataset.clone()));
        if !rd.text.trim().is_empty() {
            blocks.push(Block::Text(rd.text.clone()));
        }
        if !rd.table_rows.is_empty() || !rd.table_header.is_empty() {
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
                        if matches!(c, "" | "—" | "-" | "n/a") {
                            return true;
                        }
                        let ok = c.trim_end_matches('%').parse::<f64>().is_ok();
                        any |= ok;
                        ok
                    });
                    all && any
                })
                .collect();
            blocks.push(Block::Table(Table {
                caption: None,
                header,
                rows,
                numeric,
                note: None,
            }));
        }
        let prefix = format!("real {}", rd.dataset);
        blocks.extend(curve_figures(ids, &prefix, &rd.curves, |_, cs| {
            format!(
                "{}: {} against {}.",
                rd.dataset, cs[0].y_label, cs[0].x_label
            )
        }));
    }
    make_section(6, "q6-real-data", blocks)
}
