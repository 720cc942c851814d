//! The report renderer: one [`ReportInput`] -> a self-contained `index.html`
//! (inline CSS and SVG figures drawn with plotters, no scripts, no network),
//! `report.md` with the same sections, and the linked `provenance.json` and
//! `results.csv` beside them.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use seqlab::report::{write, ReportInput};
//! let input = ReportInput { title: "automata".into(), ..Default::default() };
//! let out = write(&input, std::path::Path::new("report-out"))?;
//! assert!(out.figures.iter().all(|id| out.html.contains(id.as_str())));
//! # Ok(()) }
//! ```

pub mod doc;
pub mod figures;
pub mod files;
pub mod html;
pub mod markdown;
pub mod model;
pub mod paper;
pub mod sections;
pub mod util;

use std::path::Path;

use anyhow::Context as _;

pub use model::*;

/// File names written by [`write`].
pub const HTML_FILE: &str = "index.html";
pub const MARKDOWN_FILE: &str = "report.md";

/// Renders the page and its markdown twin. Never panics on odd input (empty
/// vectors, NaN, mismatched shapes): missing parts say "no data in this run"
/// and a figure that cannot be drawn shows its error in place.
pub fn render(input: &ReportInput) -> anyhow::Result<Rendered> {
    let (doc, figures) = sections::build(input);
    Ok(Rendered {
        html: html::to_html(&doc),
        markdown: markdown::to_markdown(&doc),
        figures,
        files: vec![
            (
                files::PROVENANCE_FILE.into(),
                files::provenance_json(input)?,
            ),
            (files::RESULTS_FILE.into(), files::results_csv(input)?),
        ],
    })
}

/// Writes index.html, report.md and the linked files into `dir`, each
/// atomically (write to a temp file in dir then rename).
pub fn write(input: &ReportInput, dir: &Path) -> anyhow::Result<Rendered> {
    let r = render(input)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write_atomic(&dir.join(HTML_FILE), r.html.as_bytes())?;
    write_atomic(&dir.join(MARKDOWN_FILE), r.markdown.as_bytes())?;
    for (name, text) in &r.files {
        write_atomic(&dir.join(name), text.as_bytes())?;
    }
    Ok(r)
}

pub use crate::fsutil::write_atomic;
