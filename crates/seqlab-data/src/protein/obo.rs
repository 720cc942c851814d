//! The Gene Ontology in OBO 1.2/1.4 format (`go-basic.obo`).
//!
//! Only `[Term]` stanzas are read; `[Typedef]` and `[Instance]` stanzas and
//! the header are skipped (the header's `data-version` is kept). Tags read:
//!
//! * `id` (required, `GO:` + 7 digits), `name`, `namespace`
//!   (`biological_process` / `molecular_function` / `cellular_component`;
//!   `external` is accepted and leaves the term without an aspect, which
//!   keeps it out of [`super::go_graph::GoGraph`], as `cafaeval` does),
//! * `is_a: GO:xxxxxxx ! name`, `relationship: part_of GO:xxxxxxx ! name`
//!   (other relationship types — `regulates`, `has_part`, ... — are ignored:
//!   CAFA propagates over is_a and part_of only),
//! * `is_obsolete: true|false`, `alt_id`.
//!
//! Errors: a tag line without `: `, a missing or malformed id, a term id
//! defined twice, an unknown namespace, a non-obsolete term without a
//! namespace, malformed GO ids in `is_a` / `part_of` / `alt_id`, and an
//! `is_obsolete` value other than true/false. Trailing `{...}` modifiers and
//! `! comments` after the target id are ignored.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::go_term::{Aspect, GoId};
use crate::error::{ParseError, ParseResult};
use crate::io::LineReader;

/// One `[Term]` stanza.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OboTerm {
    /// `id`.
    pub id: GoId,
    /// `name` (empty if absent).
    pub name: String,
    /// `namespace`; `None` for `external` (or a missing namespace on an
    /// obsolete term).
    pub aspect: Option<Aspect>,
    /// `is_a` parents.
    pub is_a: Vec<GoId>,
    /// `relationship: part_of` parents.
    pub part_of: Vec<GoId>,
    /// `alt_id`s.
    pub alt_ids: Vec<GoId>,
    /// `is_obsolete: true`.
    pub is_obsolete: bool,
    /// 1-based line of the `[Term]` header.
    pub line: usize,
}

/// A parsed OBO file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OboFile {
    /// Where it was read from (or the `from_reader` name).
    pub path: PathBuf,
    /// The header's `data-version`, e.g. `releases/2023-01-01`.
    pub data_version: Option<String>,
    /// The terms, in file order.
    pub terms: Vec<OboTerm>,
}

/// Reads an OBO file (gunzipped if `*.gz`).
pub fn read(path: &Path) -> ParseResult<OboFile> {
    parse(&mut LineReader::open(path)?)
}

/// Reads OBO text from `reader`; `name` is used in errors.
pub fn from_reader<R: BufRead>(name: impl AsRef<Path>, reader: R) -> ParseResult<OboFile> {
    parse(&mut LineReader::new(name, reader))
}

#[derive(PartialEq)]
enum Section {
    Header,
    Term,
    Other,
}

struct Draft {
    id: Option<GoId>,
    name: String,
    aspect: Option<Aspect>,
    namespace_seen: bool,
    is_a: Vec<GoId>,
    part_of: Vec<GoId>,
    alt_ids: Vec<GoId>,
    is_obsolete: bool,
    line: usize,
}

impl Draft {
    fn new(line: usize) -> Self {
        Draft {
            id: None,
            name: String::new(),
            aspect: None,
            namespace_seen: false,
            is_a: Vec::new(),
            part_of: Vec::new(),
            alt_ids: Vec::new(),
            is_obsolete: false,
            line,
        }
    }
}

fn parse<R: BufRead>(lines: &mut LineReader<R>) -> ParseResult<OboFile> {
    let mut out = OboFile {
        path: lines.name().to_path_buf(),
        data_version: None,
        terms: Vec::new(),
    };
    let mut first_line: HashMap<GoId, usize> = HashMap::new();
    let mut section = Section::Header;
    let mut draft: Option<Draft> = None;
    while lines.advance()? {
        let line = lines.line().trim();
        if line.is_empty() || line.starts_with('!') {
            continue;
        }
        if line.starts_with('[') {
            if let Some(d) = draft.take() {
                finish(lines.name(), d, &mut out, &mut first_line)?;
            }
            section = if line == "[Term]" {
                draft = Some(Draft::new(lines.line_no()));
                Section::Term
            } else {
                Section::Other
            };
            continue;
        }
        let Some((tag, value)) = line.split_once(':') else {
            return Err(lines.error(
                format!("expected a `tag: value` line, found `{line}`"),
                "OBO tag lines are `tag: value`; stanzas start with `[Term]`",
            ));
        };
        let value = value.trim();
        match section {
            Section::Other => {}
            Section::Header => {
                if tag == "data-version" {
                    out.data_version = Some(value.to_string());
                }
            }
            Section::Term => {
                let d = draft.as_mut().expect("a [Term] stanza has a draft");
                tag_value(lines, d, tag, value)?;
            }
        }
    }
    if let Some(d) = draft.take() {
        finish(lines.name(), d, &mut out, &mut first_line)?;
    }
    Ok(out)
}

fn go_field<R: BufRead>(lines: &LineReader<R>, field: &str, text: &str) -> ParseResult<GoId> {
    GoId::parse(text).ok_or_else(|| {
        lines.field_error(field, format!("`{text}` is not a GO id"), GoId::FORMAT_HINT)
    })
}

fn tag_value<R: BufRead>(
    lines: &LineReader<R>,
    d: &mut Draft,
    tag: &str,
    value: &str,
) -> ParseResult<()> {
    let first_token = value.split_whitespace().next().unwrap_or("");
    match tag {
        "id" => {
            if d.id.is_some() {
                return Err(lines.field_error(
                    "id",
                    "a second `id` in the same [Term] stanza",
                    "each [Term] stanza has exactly one id; split the stanza",
                ));
            }
            d.id = Some(go_field(lines, "id", value)?);
        }
        "name" => d.name = value.to_string(),
        "namespace" => {
            d.namespace_seen = true;
            d.aspect = match value {
                "external" => None,
                _ => Some(Aspect::from_namespace(value).ok_or_else(|| {
                    lines.field_error(
                        "namespace",
                        format!("unknown namespace `{value}`"),
                        "use biological_process, molecular_function or cellular_component",
                    )
                })?),
            };
        }
        "is_a" => d.is_a.push(go_field(lines, "is_a", first_token)?),
        "relationship" => {
            let mut it = value.split_whitespace();
            let kind = it.next().unwrap_or("");
            let target = it.next().unwrap_or("");
            if kind == "part_of" {
                d.part_of.push(go_field(lines, "relationship", target)?);
            }
        }
        "alt_id" => d.alt_ids.push(go_field(lines, "alt_id", first_token)?),
        "is_obsolete" => {
            d.is_obsolete = match first_token {
                "true" => true,
                "false" => false,
                other => {
                    return Err(lines.field_error(
                        "is_obsolete",
                        format!("`{other}` is not a boolean"),
                        "write `is_obsolete: true` (or leave the tag out)",
                    ))
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn finish(
    path: &Path,
    d: Draft,
    out: &mut OboFile,
    first_line: &mut HashMap<GoId, usize>,
) -> ParseResult<()> {
    let Some(id) = d.id else {
        return Err(ParseError::field(
            path,
            d.line,
            "id",
            "[Term] stanza without an `id`",
            "add `id: GO:xxxxxxx` right after `[Term]`",
        ));
    };
    if let Some(&first) = first_line.get(&id) {
        return Err(ParseError::field(
            path,
            d.line,
            "id",
            format!("term {id} is defined again (first on line {first})"),
            "merge the two stanzas or delete one",
        ));
    }
    if !d.namespace_seen && !d.is_obsolete {
        return Err(ParseError::field(
            path,
            d.line,
            "namespace",
            format!("term {id} has no namespace"),
            "add `namespace: biological_process` (or molecular_function / cellular_component)",
        ));
    }
    first_line.insert(id, d.line);
    out.terms.push(OboTerm {
        id,
        name: d.name,
        aspect: d.aspect,
        is_a: d.is_a,
        part_of: d.part_of,
        alt_ids: d.alt_ids,
        is_obsolete: d.is_obsolete,
        line: d.line,
    });
    Ok(())
}
