//! UniProtKB/Swiss-Prot flat files (`.dat`, `uniprot_sprot.dat.gz`).
//!
//! Lines used (two-letter code, three spaces, data):
//!
//! * `ID   NAME  Reviewed;  123 AA.` — entry name, status and the declared
//!   length (the older `ID   NAME  STANDARD;  PRT;  123 AA.` form too);
//! * `AC   P12345; Q99999;` — accessions, possibly over several lines; the
//!   first is the primary accession;
//! * `OX   NCBI_TaxID=9606;` — taxon (optional);
//! * `DR   GO; GO:0005737; C:cytoplasm; IDA:UniProtKB.` — aspect letter
//!   `C`/`F`/`P` → CCO/MFO/BPO;
//! * `DR   Pfam; PF00041; fn3; 2.` — Pfam family, name, domain count;
//! * `SQ   SEQUENCE   123 AA; ...` then sequence lines (blanks removed)
//!   up to `//`.
//!
//! All other lines are skipped. Each entry must have an ID line, at least
//! one accession and an SQ block, and its sequence length must equal both
//! the ID line's `N AA.` and the SQ line's `N AA;` — a mismatch is an error
//! at the `//` line that names the entry. Residues must be letters.

use std::io::BufRead;
use std::path::Path;

use super::go_term::{Aspect, GoId};
use crate::error::{ParseError, ParseResult};
use crate::io::LineReader;

/// A `DR   GO;` cross-reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoXref {
    /// The GO term.
    pub term: GoId,
    /// From the `C:`/`F:`/`P:` prefix.
    pub aspect: Aspect,
    /// The term name after the prefix.
    pub term_name: String,
    /// Evidence, e.g. `IDA:UniProtKB`.
    pub evidence: String,
}

impl GoXref {
    /// The evidence code before `:` (e.g. `IDA`).
    pub fn evidence_code(&self) -> &str {
        self.evidence.split(':').next().unwrap_or("")
    }
}

/// A `DR   Pfam;` cross-reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PfamXref {
    /// Pfam accession, e.g. `PF00041`.
    pub accession: String,
    /// Family id, e.g. `fn3`.
    pub name: String,
    /// Number of domains of this family in the protein.
    pub domains: u32,
}

/// One Swiss-Prot entry (only the fields listed in the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwissProtEntry {
    /// Entry name, e.g. `1433B_HUMAN`.
    pub entry_name: String,
    /// `Reviewed`, `Unreviewed` (or `STANDARD`/`PRELIMINARY` in old files).
    pub status: String,
    /// Accessions, primary first.
    pub accessions: Vec<String>,
    /// NCBI taxon id from the `OX` line.
    pub taxon_id: Option<u32>,
    /// GO cross-references in file order.
    pub go: Vec<GoXref>,
    /// Pfam cross-references in file order.
    pub pfam: Vec<PfamXref>,
    /// The sequence (upper case, no blanks).
    pub sequence: String,
    /// 1-based line of the ID line.
    pub line: usize,
}

impl SwissProtEntry {
    /// The first accession.
    pub fn primary_accession(&self) -> &str {
        &self.accessions[0]
    }
}

/// Reads a Swiss-Prot flat file (gunzipped if `*.gz`).
pub fn read(path: &Path) -> ParseResult<Vec<SwissProtEntry>> {
    parse(&mut LineReader::open(path)?)
}

/// Reads flat-file text from `reader`; `name` is used in errors.
pub fn from_reader<R: BufRead>(
    name: impl AsRef<Path>,
    reader: R,
) -> ParseResult<Vec<SwissProtEntry>> {
    parse(&mut LineReader::new(name, reader))
}

struct Draft {
    entry: SwissProtEntry,
    id_length: usize,
    sq_length: Option<usize>,
    in_sequence: bool,
}

/// The number before `unit` in `data` (`... 123 AA.` → 123).
fn length_before(data: &str, unit: &str) -> Option<usize> {
    let toks: Vec<&str> = data.split_whitespace().collect();
    let k = toks.iter().position(|t| *t == unit)?;
    toks.get(k.checked_sub(1)?)?.parse().ok()
}

fn parse<R: BufRead>(lines: &mut LineReader<R>) -> ParseResult<Vec<SwissProtEntry>> {
    let mut out = Vec::new();
    let mut cur: Option<Draft> = None;
    while lines.advance()? {
        let line = lines.line();
        if line.trim().is_empty() {
            continue;
        }
        let code = line.get(..2).unwrap_or(line);
        let data = line.get(2..).unwrap_or("").trim();
        if code == "//" {
            let Some(d) = cur.take() else {
                return Err(lines.error(
                    "`//` without an entry",
                    "each entry starts with an ID line and ends with `//`",
                ));
            };
            out.push(finish(lines, d)?);
            continue;
        }
        if code == "ID" {
            if let Some(d) = &cur {
                return Err(lines.field_error(
                    "ID",
                    format!(
                        "entry {} (line {}) is not terminated by `//` before this ID line",
                        d.entry.entry_name, d.entry.line
                    ),
                    "end every entry with a `//` line",
                ));
            }
            let mut toks = data.split_whitespace();
            let name = toks.next().unwrap_or("").to_string();
            let status = toks.next().unwrap_or("").trim_end_matches(';').to_string();
            let Some(id_length) = length_before(data, "AA.") else {
                return Err(lines.field_error(
                    "ID",
                    format!("no `<length> AA.` in ID line `{data}`"),
                    "the ID line reads `ID   NAME_SPECIES   Reviewed;   123 AA.`",
                ));
            };
            cur = Some(Draft {
                entry: SwissProtEntry {
                    entry_name: name,
                    status,
                    accessions: Vec::new(),
                    taxon_id: None,
                    go: Vec::new(),
                    pfam: Vec::new(),
                    sequence: String::new(),
                    line: lines.line_no(),
                },
                id_length,
                sq_length: None,
                in_sequence: false,
            });
            continue;
        }
        let Some(d) = cur.as_mut() else {
            return Err(lines.error(
                format!("`{code}` line outside an entry"),
                "entries start with an ID line; check the file is a Swiss-Prot flat file",
            ));
        };
        match code {
            "AC" => d.entry.accessions.extend(
                data.split(';')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(String::from),
            ),
            "OX" => {
                if let Some(rest) = data.split("NCBI_TaxID=").nth(1) {
                    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    d.entry.taxon_id = digits.parse().ok();
                }
            }
            "DR" => cross_reference(lines, data, &mut d.entry)?,
            "SQ" => {
                let Some(n) = length_before(data, "AA;") else {
                    return Err(lines.field_error(
                        "SQ",
                        format!("no `<length> AA;` in SQ line `{data}`"),
                        "the SQ line reads `SQ   SEQUENCE   123 AA;  13000 MW;  ... CRC64;`",
                    ));
                };
                d.sq_length = Some(n);
                d.in_sequence = true;
            }
            "  " if d.in_sequence => {
                for (col, c) in line.char_indices().filter(|(_, c)| !c.is_whitespace()) {
                    if !c.is_ascii_alphabetic() {
                        return Err(lines.field_error(
                            "sequence",
                            format!(
                                "invalid residue `{}` at column {} in entry {}",
                                c.escape_default(),
                                col + 1,
                                d.entry.entry_name
                            ),
                            "sequence lines hold only amino-acid letters and blanks",
                        ));
                    }
                    d.entry.sequence.push(c.to_ascii_uppercase());
                }
            }
            "  " => return Err(lines.field_error(
                "sequence",
                format!(
                    "sequence line before the SQ line in entry {}",
                    d.entry.entry_name
                ),
                "sequence lines follow `SQ   SEQUENCE ...`; lines must start with a 2-letter code",
            )),
            _ => {}
        }
    }
    if let Some(d) = cur {
        return Err(lines.error(
            format!(
                "entry {} (line {}) is not terminated by `//` at end of file",
                d.entry.entry_name, d.entry.line
            ),
            "the file may be truncated; every entry ends with a `//` line",
        ));
    }
    Ok(out)
}

fn cross_reference<R: BufRead>(
    lines: &LineReader<R>,
    data: &str,
    entry: &mut SwissProtEntry,
) -> ParseResult<()> {
    let fields: Vec<&str> = data.split(';').map(str::trim).collect();
    match fields[0] {
        "GO" => {
            let bad = |msg: String| {
                lines.field_error(
                    "DR GO",
                    msg,
                    "the line reads `DR   GO; GO:0005737; C:cytoplasm; IDA:UniProtKB.`",
                )
            };
            if fields.len() < 4 {
                return Err(bad(format!(
                    "expected 4 `;`-separated fields, found {}",
                    fields.len()
                )));
            }
            let term = GoId::parse(fields[1])
                .ok_or_else(|| bad(format!("`{}` is not a GO id", fields[1])))?;
            let middle = fields[2..fields.len() - 1].join("; ");
            let (letter, term_name) = middle.split_once(':').unwrap_or(("", ""));
            let aspect = match letter {
                "C" | "F" | "P" => Aspect::from_code(letter).expect("letters are codes"),
                _ => return Err(bad(format!("`{middle}` does not start with C:, F: or P:"))),
            };
            entry.go.push(GoXref {
                term,
                aspect,
                term_name: term_name.to_string(),
                evidence: fields[fields.len() - 1].trim_end_matches('.').to_string(),
            });
        }
        "Pfam" => {
            let bad = |msg: String| {
                lines.field_error(
                    "DR Pfam",
                    msg,
                    "the line reads `DR   Pfam; PF00041; fn3; 2.`",
                )
            };
            if fields.len() != 4 {
                return Err(bad(format!(
                    "expected 4 `;`-separated fields, found {}",
                    fields.len()
                )));
            }
            let acc = fields[1];
            let ok = acc.len() == 7
                && acc.starts_with("PF")
                && acc[2..].bytes().all(|b| b.is_ascii_digit());
            if !ok {
                return Err(bad(format!(
                    "`{acc}` is not a Pfam accession (PF + 5 digits)"
                )));
            }
            let domains = fields[3]
                .trim_end_matches('.')
                .parse()
                .map_err(|_| bad(format!("`{}` is not a domain count", fields[3])))?;
            entry.pfam.push(PfamXref {
                accession: acc.to_string(),
                name: fields[2].to_string(),
                domains,
            });
        }
        _ => {}
    }
    Ok(())
}

fn finish<R: BufRead>(lines: &LineReader<R>, d: Draft) -> ParseResult<SwissProtEntry> {
    let e = d.entry;
    if e.accessions.is_empty() {
        return Err(ParseError::field(
            lines.name(),
            e.line,
            "AC",
            format!("entry {} has no accession", e.entry_name),
            "add an `AC   P12345;` line after the ID line",
        ));
    }
    let who = format!("entry {} ({})", e.entry_name, e.accessions[0]);
    let Some(sq) = d.sq_length else {
        return Err(lines.field_error(
            "SQ",
            format!("{who} has no SQ line"),
            "add the `SQ   SEQUENCE   N AA; ...` line and the sequence before `//`",
        ));
    };
    let n = e.sequence.len();
    if n != d.id_length || n != sq {
        return Err(lines.field_error(
            "sequence",
            format!(
                "{who}: sequence has {n} residues but the ID line says {} AA and the SQ line {sq} AA",
                d.id_length
            ),
            "the entry is truncated or edited; restore the sequence or fix the lengths",
        ));
    }
    Ok(e)
}
