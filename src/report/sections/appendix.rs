//! Section 7 (notes) and the appendix (provenance, versions).

use super::make_section;
use crate::report::doc::{Block, Cell, Section, Table};
use crate::report::model::ReportInput;
use crate::report::util::opt_seconds;

pub fn notes(input: &ReportInput, study: bool) -> Section {
    let blocks = if input.notes.is_empty() {
        vec![Block::Empty(
            "No caveats were recorded for this run.".into(),
        )]
    } else {
        vec![Block::List(input.notes.clone())]
    };
    let mut s = make_section(7, "notes", blocks);
    if !study {
        s.title = "Notes".into();
    }
    s
}

/// The first 16 characters of a cache key (the rest is in report.json).
pub(crate) fn short_key(k: &str) -> String {
    k.chars().take(16).collect()
}

pub fn provenance(input: &ReportInput) -> Section {
    let mut blocks = Vec::new();
    blocks.push(Block::Heading("Provenance".into()));
    blocks.push(Block::Files(
        crate::report::files::LINKED
            .iter()
            .map(|(n, w)| (n.to_string(), w.to_string()))
            .collect(),
    ));
    if input.provenance.is_empty() {
        blocks.push(Block::Empty("No data in this run.".into()));
    } else {
        let table = Block::Table(Table {
            caption: Some(
                "Every cached instance behind this report (cache key: first 16 hex characters)"
                    .into(),
            ),
            header: ["instance", "kind", "cache key", "params", "duration"]
                .map(String::from)
                .to_vec(),
            rows: input
                .provenance
                .iter()
                .map(|p| {
                    let params = match &p.params {
                        serde_json::Value::Null => String::new(),
                        v => serde_json::to_string(v).unwrap_or_default(),
                    };
                    vec![
                        Cell::new(p.instance.clone()),
                        Cell::new(p.kind.clone()),
                        Cell::code(short_key(&p.cache_key))
                            .nowrap()
                            .with_title(p.cache_key.clone()),
                        Cell::code(params),
                        Cell::new(opt_seconds(p.duration_s)),
                    ]
                })
                .collect(),
            numeric: vec![4],
            note: None,
        });
        blocks.push(Block::Details {
            summary: format!(
                "Every cached instance behind this page ({} rows)",
                input.provenance.len()
            ),
            blocks: vec![table],
        });
    }
    blocks.push(Block::Heading("Versions".into()));
    let v = &input.versions;
    let dash = |s: &str| {
        if s.is_empty() {
            "—".to_string()
        } else {
            s.to_string()
        }
    };
    blocks.push(Block::Table(Table {
        caption: None,
        header: vec!["component".into(), "version".into()],
        rows: vec![
            vec![Cell::new("seqlab"), Cell::code(dash(&v.seqlab))],
            vec![Cell::new("burn"), Cell::code(dash(&v.burn))],
            vec![Cell::new("backend"), Cell::code(dash(&v.backend))],
            vec![Cell::new("generated at"), Cell::code(dash(&v.generated_at))],
        ],
        numeric: vec![],
        note: None,
    }));
    make_section(8, "appendix", blocks)
}
