//! [`GoAnnotations`]: which GO terms each protein is annotated with, and the
//! aspect of each term as declared by the source (CAFA TSV `aspect` column,
//! Swiss-Prot `C:`/`F:`/`P:` prefix).

use std::collections::{BTreeSet, HashMap};

use indexmap::IndexMap;

use super::go_term::{Aspect, GoId};
use super::swissprot::SwissProtEntry;

/// Protein → set of GO terms, proteins in first-seen order, terms sorted.
/// Duplicate (protein, term) pairs are stored once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GoAnnotations {
    proteins: IndexMap<String, BTreeSet<GoId>>,
    aspects: HashMap<GoId, Aspect>,
    duplicates: usize,
    aspect_conflicts: usize,
}

impl GoAnnotations {
    /// Empty.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `term` (of `aspect`) to `protein`. Returns `Err(first_aspect)`
    /// without adding anything when the term was earlier declared with a
    /// different aspect; returns `Ok(false)` for a duplicate pair.
    pub(crate) fn try_insert(
        &mut self,
        protein: &str,
        term: GoId,
        aspect: Aspect,
    ) -> Result<bool, Aspect> {
        match self.aspects.get(&term) {
            Some(&a) if a != aspect => return Err(a),
            Some(_) => {}
            None => {
                self.aspects.insert(term, aspect);
            }
        }
        let set = match self.proteins.get_mut(protein) {
            Some(set) => set,
            None => self.proteins.entry(protein.to_string()).or_default(),
        };
        let new = set.insert(term);
        if !new {
            self.duplicates += 1;
        }
        Ok(new)
    }

    /// Like [`GoAnnotations::try_insert`] but an aspect conflict keeps the
    /// first aspect, still adds the pair, and is counted in
    /// [`GoAnnotations::aspect_conflicts`].
    pub fn insert(&mut self, protein: &str, term: GoId, aspect: Aspect) -> bool {
        match self.try_insert(protein, term, aspect) {
            Ok(new) => new,
            Err(first) => {
                self.aspect_conflicts += 1;
                self.try_insert(protein, term, first).unwrap_or(false)
            }
        }
    }

    /// GO annotations of Swiss-Prot entries, keyed by primary accession.
    pub fn from_swissprot(entries: &[SwissProtEntry]) -> Self {
        let mut out = GoAnnotations::new();
        for e in entries {
            for x in &e.go {
                out.insert(e.primary_accession(), x.term, x.aspect);
            }
        }
        out
    }

    /// Number of proteins.
    pub fn len(&self) -> usize {
        self.proteins.len()
    }

    /// True when there are no proteins.
    pub fn is_empty(&self) -> bool {
        self.proteins.is_empty()
    }

    /// Number of distinct (protein, term) pairs.
    pub fn n_pairs(&self) -> usize {
        self.proteins.values().map(BTreeSet::len).sum()
    }

    /// Number of duplicate pairs that were dropped.
    pub fn duplicates(&self) -> usize {
        self.duplicates
    }

    /// Number of insertions whose aspect disagreed with an earlier one.
    pub fn aspect_conflicts(&self) -> usize {
        self.aspect_conflicts
    }

    /// The terms of `protein`.
    pub fn terms(&self, protein: &str) -> Option<&BTreeSet<GoId>> {
        self.proteins.get(protein)
    }

    /// The aspect the source declared for `term`.
    pub fn aspect_of(&self, term: GoId) -> Option<Aspect> {
        self.aspects.get(&term).copied()
    }

    /// Proteins and their terms, in first-seen order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &BTreeSet<GoId>)> {
        self.proteins.iter().map(|(p, t)| (p.as_str(), t))
    }

    /// Protein ids in first-seen order.
    pub fn proteins(&self) -> impl Iterator<Item = &str> {
        self.proteins.keys().map(String::as_str)
    }

    /// All distinct terms, sorted.
    pub fn distinct_terms(&self) -> BTreeSet<GoId> {
        self.proteins.values().flatten().copied().collect()
    }
}
