//! CAFA-5 `train_terms.tsv`: `EntryID<TAB>term<TAB>aspect`.
//!
//! * The header line `EntryID\tterm\taspect` is optional (it is recognised
//!   on the first non-blank line only).
//! * Exactly three tab-separated columns per line; blank lines are skipped.
//! * `term` must be `GO:` + 7 digits; `aspect` is `BPO`, `CCO` or `MFO`
//!   (the Swiss-Prot / GAF letters `P`, `C`, `F` are accepted too).
//! * A term declared with two different aspects is an error at the second
//!   declaration; the message names the line of the first.
//! * Duplicate (protein, term) rows are kept once
//!   ([`GoAnnotations::duplicates`] counts them).
//!
//! The CAFA-5 file is believed to be propagated to ancestors already (not
//! verified here: the file is not shipped anywhere we can reach); nothing
//! here propagates (see [`super::labels`] and [`super::go_graph`]).

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use super::annotations::GoAnnotations;
use super::go_term::{Aspect, GoId};
use crate::error::ParseResult;
use crate::io::LineReader;

/// The column names of the header line.
pub(crate) const HEADER: [&str; 3] = ["EntryID", "term", "aspect"];

/// Reads a `train_terms.tsv` file (gunzipped if `*.gz`).
pub fn read(path: &Path) -> ParseResult<GoAnnotations> {
    parse(&mut LineReader::open(path)?)
}

/// Reads TSV text from `reader`; `name` is used in errors.
pub fn from_reader<R: BufRead>(name: impl AsRef<Path>, reader: R) -> ParseResult<GoAnnotations> {
    parse(&mut LineReader::new(name, reader))
}

fn parse<R: BufRead>(lines: &mut LineReader<R>) -> ParseResult<GoAnnotations> {
    let mut out = GoAnnotations::new();
    let mut first_decl: HashMap<GoId, usize> = HashMap::new();
    let mut seen_content = false;
    while lines.advance()? {
        let line = lines.line();
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if !seen_content {
            seen_content = true;
            if cols == HEADER {
                continue;
            }
        }
        if cols.len() != 3 {
            return Err(lines.error(
                format!(
                    "expected 3 tab-separated columns (EntryID, term, aspect), found {}",
                    cols.len()
                ),
                "separate the columns with single TAB characters, one annotation per line",
            ));
        }
        let protein = cols[0].trim();
        if protein.is_empty() {
            return Err(lines.field_error(
                "EntryID",
                "empty protein id",
                "put the UniProt accession in the first column",
            ));
        }
        let Some(term) = GoId::parse(cols[1].trim()) else {
            return Err(lines.field_error(
                "term",
                format!("`{}` is not a GO id", cols[1]),
                GoId::FORMAT_HINT,
            ));
        };
        let Some(aspect) = Aspect::from_code(cols[2].trim()) else {
            return Err(lines.field_error(
                "aspect",
                format!("unknown aspect `{}`", cols[2]),
                "use BPO, CCO or MFO (or P, C, F)",
            ));
        };
        let line_no = lines.line_no();
        if let Err(first) = out.try_insert(protein, term, aspect) {
            return Err(lines.field_error(
                "aspect",
                format!(
                    "term {term} is {aspect} here but {first} on line {}",
                    first_decl.get(&term).copied().unwrap_or(0)
                ),
                "a GO term belongs to one aspect; fix whichever line is wrong",
            ));
        }
        first_decl.entry(term).or_insert(line_no);
    }
    Ok(out)
}
