//! The report renderer: one [`ReportInput`] -> a self-contained `index.html`
//! (inline CSS and SVG figures drawn with plotters, no scripts, no network)
//! and `report.md` with the same sections.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use seqlab::report::{fixtures, write};
//! let out = write(&fixtures::sample_input(), std::path::Path::new("report-out"))?;
//! assert!(out.figures.iter().all(|id| out.html.contains(id.as_str())));
//! # Ok(()) }
//! ```

pub mod browser;
pub mod doc;
pub mod figures;
pub mod fixtures;
pub mod html;
pub mod markdown;
pub mod model;
pub mod paper;
pub mod sections;
pub mod util;

use std::io::Write as _;
use std::path::{Path, PathBuf};

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
    })
}

/// Writes index.html and report.md into `dir` atomically (write to a temp file in dir then rename).
pub fn write(input: &ReportInput, dir: &Path) -> anyhow::Result<Rendered> {
    let r = render(input)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write_atomic(&dir.join(HTML_FILE), r.html.as_bytes())?;
    write_atomic(&dir.join(MARKDOWN_FILE), r.markdown.as_bytes())?;
    Ok(r)
}

/// Writes `bytes` to a hidden temp file beside `path`, syncs it and renames it
/// over `path`; the temp file is removed on failure.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp: PathBuf = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    let res = (|| -> anyhow::Result<()> {
        let mut f =
            std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
            .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
        Ok(())
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}
