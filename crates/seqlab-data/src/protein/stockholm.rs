//! Stockholm alignments (Pfam seed files, HMMER `.sto`).
//!
//! * Each alignment starts with `# STOCKHOLM 1.x` and ends with `//`; a
//!   file may hold several.
//! * `#=GF AC PF00041.13`, `#=GF ID fn3` and `#=GF DE ...` are kept; other
//!   `#=GF` lines, `#=GS`, `#=GR`, `#=GC` and `#` comments are skipped.
//! * Sequence lines are `name  ALIGNED` (name usually `id/start-end`).
//!   Interleaved blocks are separated by blank lines; a sequence's pieces are
//!   concatenated across blocks.
//! * The returned sequences are **ungapped**: `.` and `-` are removed and
//!   letters upper-cased (insert columns are lower-case in HMMER output).
//!   Any other symbol is an error.
//!
//! Errors: a missing `# STOCKHOLM` header, a missing `//` at end of file, a
//! sequence line without exactly two fields, a name appearing twice in one
//! block or in a different number of blocks than the alignment has, and
//! sequences whose aligned (gapped) lengths differ.

use std::io::BufRead;
use std::path::Path;

use indexmap::IndexMap;

use crate::error::{ParseError, ParseResult};
use crate::io::LineReader;

/// One sequence of an alignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockholmSequence {
    /// The name as written (e.g. `FN3_HUMAN/12-98`).
    pub name: String,
    /// Residues without gaps, upper case.
    pub sequence: String,
    /// 1-based line of the name's first appearance.
    pub line: usize,
}

impl StockholmSequence {
    /// Splits `id/start-end` into `(id, start, end)`.
    pub fn range(&self) -> Option<(&str, usize, usize)> {
        let (id, r) = self.name.rsplit_once('/')?;
        let (a, b) = r.split_once('-')?;
        Some((id, a.parse().ok()?, b.parse().ok()?))
    }
}

/// One alignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockholmAlignment {
    /// `#=GF AC` (e.g. `PF00041.13`).
    pub accession: Option<String>,
    /// `#=GF ID` (e.g. `fn3`).
    pub id: Option<String>,
    /// `#=GF DE`.
    pub description: Option<String>,
    /// Sequences in order of first appearance.
    pub sequences: Vec<StockholmSequence>,
    /// Number of alignment columns.
    pub aligned_length: usize,
    /// 1-based line of the header.
    pub line: usize,
}

impl StockholmAlignment {
    /// The accession without its version (`PF00041.13` → `PF00041`).
    pub fn family_accession(&self) -> Option<&str> {
        self.accession
            .as_deref()
            .map(|a| a.split('.').next().unwrap_or(a))
    }
}

/// Reads a Stockholm file (gunzipped if `*.gz`).
pub fn read(path: &Path) -> ParseResult<Vec<StockholmAlignment>> {
    parse(&mut LineReader::open(path)?)
}

/// Reads Stockholm text from `reader`; `name` is used in errors.
pub fn from_reader<R: BufRead>(
    name: impl AsRef<Path>,
    reader: R,
) -> ParseResult<Vec<StockholmAlignment>> {
    parse(&mut LineReader::new(name, reader))
}

struct Seq {
    residues: String,
    aligned: usize,
    blocks: usize,
    last_block: usize,
    line: usize,
}

struct Draft {
    aln: StockholmAlignment,
    seqs: IndexMap<String, Seq>,
    block: usize,
    blank_since_seq: bool,
    any_seq: bool,
}

fn parse<R: BufRead>(lines: &mut LineReader<R>) -> ParseResult<Vec<StockholmAlignment>> {
    let mut out = Vec::new();
    let mut cur: Option<Draft> = None;
    while lines.advance()? {
        let line = lines.line().trim_end();
        let Some(d) = cur.as_mut() else {
            if line.trim().is_empty() {
                continue;
            }
            if !line.starts_with("# STOCKHOLM 1.") {
                return Err(lines.field_error(
                    "header",
                    format!("expected `# STOCKHOLM 1.0`, found `{line}`"),
                    "a Stockholm alignment starts with the line `# STOCKHOLM 1.0`",
                ));
            }
            cur = Some(Draft {
                aln: StockholmAlignment {
                    accession: None,
                    id: None,
                    description: None,
                    sequences: Vec::new(),
                    aligned_length: 0,
                    line: lines.line_no(),
                },
                seqs: IndexMap::new(),
                block: 0,
                blank_since_seq: false,
                any_seq: false,
            });
            continue;
        };
        if line.trim().is_empty() {
            d.blank_since_seq = d.any_seq;
            continue;
        }
        if line == "//" {
            let d = cur.take().expect("inside an alignment");
            out.push(finish(lines, d)?);
            continue;
        }
        if let Some(gf) = line.strip_prefix("#=GF") {
            let gf = gf.trim_start();
            let (tag, value) = gf.split_once(char::is_whitespace).unwrap_or((gf, ""));
            let value = Some(value.trim().to_string());
            match tag {
                "AC" => d.aln.accession = value,
                "ID" => d.aln.id = value,
                "DE" => d.aln.description = value,
                _ => {}
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() != 2 {
            return Err(lines.field_error(
                "sequence",
                format!(
                    "expected `name aligned-sequence`, found {} fields",
                    fields.len()
                ),
                "sequence lines are a name, blanks, and the aligned residues without spaces",
            ));
        }
        if d.blank_since_seq {
            d.block += 1;
            d.blank_since_seq = false;
        }
        d.any_seq = true;
        let line_no = lines.line_no();
        let block = d.block;
        let s = d.seqs.entry(fields[0].to_string()).or_insert(Seq {
            residues: String::new(),
            aligned: 0,
            blocks: 0,
            last_block: usize::MAX,
            line: line_no,
        });
        if s.last_block == block {
            return Err(lines.field_error(
                "sequence",
                format!(
                    "`{}` appears twice in one block (first on line {})",
                    fields[0], s.line
                ),
                "separate interleaved blocks with a blank line, or rename the duplicate",
            ));
        }
        s.last_block = block;
        s.blocks += 1;
        for (col, c) in fields[1].char_indices() {
            s.aligned += 1;
            match c {
                '.' | '-' => {}
                c if c.is_ascii_alphabetic() => s.residues.push(c.to_ascii_uppercase()),
                _ => {
                    return Err(lines.field_error(
                        "sequence",
                        format!(
                            "invalid character `{}` at position {} of `{}`",
                            c.escape_default(),
                            col + 1,
                            fields[0]
                        ),
                        "aligned residues are letters, with `.` or `-` for gaps",
                    ))
                }
            }
        }
    }
    if let Some(d) = cur {
        return Err(lines.error(
            format!(
                "alignment starting on line {} has no `//` terminator",
                d.aln.line
            ),
            "end each alignment with a `//` line (the file may be truncated)",
        ));
    }
    Ok(out)
}

fn finish<R: BufRead>(lines: &LineReader<R>, d: Draft) -> ParseResult<StockholmAlignment> {
    let mut aln = d.aln;
    let n_blocks = if d.any_seq { d.block + 1 } else { 0 };
    let mut width: Option<(&str, usize)> = None;
    for (name, s) in &d.seqs {
        if s.blocks != n_blocks {
            return Err(ParseError::field(
                lines.name(),
                lines.line_no(),
                "sequence",
                format!(
                    "`{name}` (first on line {}) appears in {} of the {n_blocks} blocks",
                    s.line, s.blocks
                ),
                "every sequence must have one line in every interleaved block",
            ));
        }
        match width {
            None => width = Some((name, s.aligned)),
            Some((first, w)) if w != s.aligned => {
                return Err(ParseError::field(
                    lines.name(),
                    s.line,
                    "sequence",
                    format!(
                        "`{name}` has {} aligned columns but `{first}` has {w}",
                        s.aligned
                    ),
                    "all rows of an alignment have the same length (gaps included)",
                ));
            }
            _ => {}
        }
    }
    aln.aligned_length = width.map_or(0, |(_, w)| w);
    aln.sequences = d
        .seqs
        .into_iter()
        .map(|(name, s)| StockholmSequence {
            name,
            sequence: s.residues,
            line: s.line,
        })
        .collect();
    Ok(aln)
}
