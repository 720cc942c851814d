//! Protein function data: parsers for the files of the CAFA-5 Kaggle
//! competition and for the UniProt / Pfam files that Debian packages ship,
//! label builders, the CAFA F-max metric, and long-sequence handling.
//!
//! | file | concept |
//! |---|---|
//! | [`go_term`] | [`GoId`] (`GO:` + 7 digits) and [`Aspect`] (BPO / CCO / MFO) |
//! | [`annotations`] | [`GoAnnotations`]: protein → set of GO terms |
//! | [`fasta`] | FASTA records (CAFA and UniProt headers) |
//! | [`cafa_terms`] | CAFA-5 `train_terms.tsv` |
//! | [`obo`] | `go-basic.obo` stanzas |
//! | [`go_graph`] | [`GoGraph`]: ancestors / propagation over is_a + part_of |
//! | [`go_sqlite`] | the same graph from Bioconductor's `GO.db` SQLite file |
//! | [`ia`] | CAFA `IA.txt` information-accretion weights, or IA computed from annotations |
//! | [`swissprot`] | UniProtKB/Swiss-Prot flat files |
//! | [`stockholm`] | Stockholm (Pfam seed) alignments |
//! | [`labels`] | multi-label GO tasks and Pfam family classification labels |
//! | [`predictions`] | per-protein GO scores and the naive baseline |
//! | [`fmax`] | CAFA F-max (IA-weighted and unweighted), cafaeval rules |
//! | [`crop`] | long-sequence policy: crop or chunk |
//! | [`go_rows`] | GO-term rows of proteins under a long-sequence policy |
//! | [`tokenize`] | amino-acid tokens (0 = pad, 1..=20 standard, 21 = other) |
//!
//! Every parser has `read(&Path)` (gunzips gzip data, found by its magic
//! bytes, through the crate-internal `io::LineReader`) and
//! `from_reader(name, reader)`; all errors are the loaders' shared
//! [`ParseError`](crate::ParseError)s
//! (`path:line: field `X`: message (hint)`), which name the file, the
//! 1-based line and, where there is one, the field.

pub mod annotations;
pub mod cafa_terms;
pub mod crop;
pub mod fasta;
pub mod fmax;
pub mod go_graph;
pub mod go_rows;
pub mod go_sqlite;
pub mod go_term;
pub mod ia;
pub mod labels;
pub mod obo;
pub mod predictions;
pub mod stockholm;
pub mod swissprot;
pub mod tokenize;

#[cfg(test)]
mod tests;

pub use annotations::GoAnnotations;
pub use go_graph::GoGraph;
pub use go_term::{Aspect, GoId};
pub use ia::IaWeights;
pub use predictions::Predictions;
