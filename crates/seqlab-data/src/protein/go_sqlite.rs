//! The GO ontology from Bioconductor's `GO.db` SQLite file
//! (`GO.db/extdata/GO.sqlite`, Debian `r-bioc-go.db`), for when no
//! `go-basic.obo` is at hand. `GO.db` 3.16 is built from go-basic.obo of
//! 2022-07-01.
//!
//! Tables read:
//!
//! * `go_term(_id, go_id, term, ontology)` with ontology `BP` / `CC` / `MF`
//!   (the `universal` pseudo-term `all` is skipped);
//! * `go_bp_parents` / `go_cc_parents` / `go_mf_parents(_id, _parent_id,
//!   relationship_type)`: only `isa` and `part of` edges are kept, as CAFA
//!   and [`GoGraph`] do (the `regulates` family is dropped);
//! * `go_synonym(_id, synonym, like_go_id)`: rows with `like_go_id = 1` are
//!   secondary ids (OBO `alt_id`).
//!
//! `GO.db` lists no obsolete terms in `go_term` (they are in `go_obsolete`),
//! so none enter the graph. The rows become [`OboTerm`]s and the graph is
//! built by [`GoGraph::from_obo`], so both sources follow the same rules;
//! the "line" of a term in errors is its `_id` row.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::go_graph::GoGraph;
use super::go_term::{Aspect, GoId};
use super::obo::{OboFile, OboTerm};
use crate::error::{ParseError, ParseResult};

const HINT: &str = "give GO.db's GO.sqlite (Debian r-bioc-go.db: usr/lib/R/site-library/GO.db/extdata/GO.sqlite) or a go-basic.obo file";

/// Reads `GO.sqlite` and builds the graph.
pub fn read(path: &Path) -> ParseResult<GoGraph> {
    GoGraph::from_obo(&read_terms(path)?)
}

/// Reads `GO.sqlite` into OBO-shaped terms (no graph checks yet).
pub fn read_terms(path: &Path) -> ParseResult<OboFile> {
    let err = |e: rusqlite::Error, what: &str| {
        ParseError::new(
            path,
            0,
            format!("not a readable GO.db SQLite file ({what}: {e})"),
            HINT,
        )
    };
    if !path.is_file() {
        return Err(ParseError::new(path, 0, "no such file", HINT));
    }
    let db = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| err(e, "opening"))?;
    let mut terms: Vec<OboTerm> = Vec::new();
    let mut by_row: HashMap<i64, usize> = HashMap::new();
    {
        let mut q = db
            .prepare("SELECT _id, go_id, term, ontology FROM go_term ORDER BY _id")
            .map_err(|e| err(e, "table go_term"))?;
        let rows = q
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(|e| err(e, "table go_term"))?;
        for row in rows {
            let (rowid, go_id, name, ontology) = row.map_err(|e| err(e, "table go_term"))?;
            let aspect = match ontology.as_str() {
                "BP" => Aspect::Bpo,
                "CC" => Aspect::Cco,
                "MF" => Aspect::Mfo,
                _ => continue, // `all`, the universal pseudo-root
            };
            let id = GoId::parse(&go_id).ok_or_else(|| {
                ParseError::field(
                    path,
                    rowid as usize,
                    "go_id",
                    format!("go_term row {rowid}: `{go_id}` is not a GO id"),
                    GoId::FORMAT_HINT,
                )
            })?;
            by_row.insert(rowid, terms.len());
            terms.push(OboTerm {
                id,
                name,
                aspect: Some(aspect),
                is_a: Vec::new(),
                part_of: Vec::new(),
                alt_ids: Vec::new(),
                is_obsolete: false,
                line: rowid as usize,
            });
        }
    }
    if terms.is_empty() {
        return Err(ParseError::new(
            path,
            0,
            "table go_term has no BP, CC or MF term",
            HINT,
        ));
    }
    let ids: Vec<GoId> = terms.iter().map(|t| t.id).collect();
    for table in ["go_bp_parents", "go_cc_parents", "go_mf_parents"] {
        let mut q = db
            .prepare(&format!(
                "SELECT _id, _parent_id, relationship_type FROM {table} ORDER BY _id, _parent_id"
            ))
            .map_err(|e| err(e, &format!("table {table}")))?;
        let rows = q
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| err(e, &format!("table {table}")))?;
        for row in rows {
            let (child, parent, rel) = row.map_err(|e| err(e, &format!("table {table}")))?;
            let (Some(&c), Some(&p)) = (by_row.get(&child), by_row.get(&parent)) else {
                continue; // an edge to `all`: not a GO term
            };
            match rel.as_str() {
                "isa" => terms[c].is_a.push(ids[p]),
                "part of" => terms[c].part_of.push(ids[p]),
                _ => {} // regulates, positively/negatively regulates
            }
        }
    }
    // Secondary ids are optional: an older GO.db without the table still works.
    if let Ok(mut q) = db.prepare("SELECT _id, synonym FROM go_synonym WHERE like_go_id = 1") {
        let rows = q
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| err(e, "table go_synonym"))?;
        for row in rows {
            let (rowid, syn) = row.map_err(|e| err(e, "table go_synonym"))?;
            if let (Some(&i), Some(alt)) = (by_row.get(&rowid), GoId::parse(&syn)) {
                terms[i].alt_ids.push(alt);
            }
        }
    }
    let data_version = db
        .query_row(
            "SELECT value FROM metadata WHERE name = 'GOSOURCEDATE'",
            [],
            |r| r.get::<_, String>(0),
        )
        .ok();
    Ok(OboFile {
        path: path.to_path_buf(),
        data_version,
        terms,
    })
}
