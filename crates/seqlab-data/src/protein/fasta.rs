//! FASTA protein sequences.
//!
//! * **id**: the first word after `>`. When that word has the UniProt form
//!   `db|accession|entry_name` with `db` = `sp` or `tr`, the id is the
//!   accession (`>sp|P12345|NAME_HUMAN desc` → `P12345`). CAFA-5's
//!   `train_sequences.fasta` headers (`>P20536 sp|P20536|...`) therefore give
//!   `P20536`, the same id as in `train_terms.tsv`. Other words with `|`
//!   (`gi|...`) are kept whole.
//! * **description**: the rest of the header after the first run of
//!   whitespace, trimmed.
//! * **sequence**: all following lines up to the next header, whitespace
//!   removed, upper-cased.
//!
//! Residue alphabet (a choice, see the module tests): any ASCII letter is
//! accepted — the 20 standard amino acids plus B, J, O, U, X, Z, which
//! together are exactly A–Z. A single `*` (stop) at the very end of a
//! sequence is accepted and removed. Gap characters `-` and `.` are rejected
//! (they belong to alignments; use [`super::stockholm`]), as are digits and
//! any other symbol, with the line and column of the first bad character.
//!
//! Blank lines are ignored. Errors: sequence data before the first header,
//! a header without an id, a record with an empty sequence, a bad residue.

use std::io::BufRead;
use std::path::Path;

use crate::error::{ParseError, ParseResult};
use crate::io::LineReader;

/// One FASTA record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FastaRecord {
    /// Accession-style id (see the module docs).
    pub id: String,
    /// Header text after the first word.
    pub description: String,
    /// Residues, upper case, no whitespace, no trailing `*`.
    pub sequence: String,
    /// 1-based line of the header.
    pub line: usize,
}

/// Reads a FASTA file (gunzipped if `*.gz`).
pub fn read(path: &Path) -> ParseResult<Vec<FastaRecord>> {
    parse(&mut LineReader::open(path)?)
}

/// Reads FASTA text from `reader`; `name` is used in errors.
pub fn from_reader<R: BufRead>(name: impl AsRef<Path>, reader: R) -> ParseResult<Vec<FastaRecord>> {
    parse(&mut LineReader::new(name, reader))
}

/// The id of a header's first word (see the module docs).
pub(crate) fn header_id(first_word: &str) -> &str {
    let mut parts = first_word.split('|');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("sp" | "tr"), Some(acc), Some(_)) if !acc.is_empty() => acc,
        _ => first_word,
    }
}

fn parse<R: BufRead>(lines: &mut LineReader<R>) -> ParseResult<Vec<FastaRecord>> {
    let mut out: Vec<FastaRecord> = Vec::new();
    let mut pending_star: Option<(usize, usize)> = None; // (line, column) of a `*`
    while lines.advance()? {
        let line = lines.line();
        if let Some(header) = line.strip_prefix('>') {
            finish(lines.name(), out.last())?;
            pending_star = None;
            let header = header.trim();
            let (word, rest) = match header.find(char::is_whitespace) {
                Some(i) => (&header[..i], header[i..].trim()),
                None => (header, ""),
            };
            let id = header_id(word);
            if id.is_empty() {
                return Err(lines.field_error(
                    "id",
                    "header has no id after `>`",
                    "write the id right after `>`, e.g. `>P12345 description`",
                ));
            }
            out.push(FastaRecord {
                id: id.to_string(),
                description: rest.to_string(),
                sequence: String::new(),
                line: lines.line_no(),
            });
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let Some(rec) = out.last_mut() else {
            return Err(lines.error(
                "sequence line before the first `>` header",
                "every record must start with a `>id description` line; \
                 check that the file is FASTA and not truncated at the start",
            ));
        };
        for (col, c) in line.char_indices() {
            if c.is_ascii_whitespace() {
                continue;
            }
            if let Some((l, cc)) = pending_star {
                return Err(ParseError::field(
                    lines.name(),
                    l,
                    "sequence",
                    format!(
                        "`*` at column {cc} is not at the end of record `{}`",
                        rec.id
                    ),
                    "`*` (stop) is only allowed as the last residue; remove it",
                ));
            }
            if c.is_ascii_alphabetic() {
                rec.sequence.push(c.to_ascii_uppercase());
            } else if c == '*' {
                pending_star = Some((lines.line_no(), col + 1));
            } else {
                let hint = if c == '-' || c == '.' {
                    "gaps belong to alignments: strip `-`/`.` or read the file as Stockholm"
                } else {
                    "residues are the letters A-Z (20 standard + BJOUXZ); remove other symbols"
                };
                return Err(lines.field_error(
                    "sequence",
                    format!(
                        "invalid residue `{}` at column {} in record `{}`",
                        c.escape_default(),
                        col + 1,
                        rec.id
                    ),
                    hint,
                ));
            }
        }
    }
    finish(lines.name(), out.last())?;
    Ok(out)
}

/// Checks the record that just ended.
fn finish(name: &Path, rec: Option<&FastaRecord>) -> ParseResult<()> {
    match rec {
        Some(r) if r.sequence.is_empty() => Err(ParseError::field(
            name,
            r.line,
            "sequence",
            format!("record `{}` has an empty sequence", r.id),
            "add the residues on the lines after the header or remove the record",
        )),
        _ => Ok(()),
    }
}
