//! [`GoGraph`]: the GO DAG over `is_a` and `part_of`, with every term's
//! ancestor set precomputed (memoized) once at construction.
//!
//! Built from an [`OboFile`] with the rules `cafaeval` uses:
//!
//! * obsolete terms and terms without a GO namespace (`external`) are left
//!   out;
//! * an edge is kept only when its parent is a (non-obsolete) term of the
//!   **same** namespace; other edges are dropped and counted
//!   ([`GoGraph::dropped_edges`]) — `go-basic.obo` has none of them;
//! * `alt_id`s map to their primary term ([`GoGraph::resolve`]); an alt id
//!   that is also a primary id, or the alt id of two terms, keeps the first
//!   mapping in file order.
//!
//! A cycle is an error (a [`ParseError`] at the `[Term]` line of the
//! lowest-numbered term on the cycle, field `is_a`), found by Kahn's
//! topological sort, so building never hangs.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::go_term::{Aspect, GoId};
use super::obo::{self, OboFile};
use crate::error::{ParseError, ParseResult};

/// The GO DAG with precomputed ancestors.
#[derive(Debug, Clone)]
pub struct GoGraph {
    source: PathBuf,
    ids: Vec<GoId>,
    names: Vec<String>,
    aspects: Vec<Aspect>,
    index: HashMap<GoId, u32>,
    alt: HashMap<GoId, u32>,
    parents: Vec<Vec<u32>>,
    ancestors: Vec<Box<[u32]>>,
    order: Vec<u32>,
    dropped_edges: usize,
}

impl GoGraph {
    /// Reads an OBO file and builds the graph.
    pub fn read(path: &Path) -> ParseResult<GoGraph> {
        GoGraph::from_obo(&obo::read(path)?)
    }

    /// Reads the ontology from `path`, chosen by its extension: `.sqlite` /
    /// `.db` is Bioconductor's GO.db ([`go_sqlite`](super::go_sqlite)),
    /// anything else OBO (`go-basic.obo`, gzipped or not).
    pub fn read_any(path: &Path) -> ParseResult<GoGraph> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        match ext.as_str() {
            "sqlite" | "db" => super::go_sqlite::read(path),
            _ => GoGraph::read(path),
        }
    }

    /// Builds the graph from a parsed OBO file.
    pub fn from_obo(obo: &OboFile) -> ParseResult<GoGraph> {
        let mut g = GoGraph {
            source: obo.path.clone(),
            ids: Vec::new(),
            names: Vec::new(),
            aspects: Vec::new(),
            index: HashMap::new(),
            alt: HashMap::new(),
            parents: Vec::new(),
            ancestors: Vec::new(),
            order: Vec::new(),
            dropped_edges: 0,
        };
        let kept: Vec<_> = obo
            .terms
            .iter()
            .filter(|t| !t.is_obsolete && t.aspect.is_some())
            .collect();
        for t in &kept {
            g.index.insert(t.id, g.ids.len() as u32);
            g.ids.push(t.id);
            g.names.push(t.name.clone());
            g.aspects.push(t.aspect.expect("filtered"));
        }
        for (i, t) in kept.iter().enumerate() {
            for a in &t.alt_ids {
                if !g.index.contains_key(a) {
                    g.alt.entry(*a).or_insert(i as u32);
                }
            }
            let mut ps: Vec<u32> = Vec::new();
            for p in t.is_a.iter().chain(&t.part_of) {
                match g.index.get(p) {
                    Some(&j) if g.aspects[j as usize] == g.aspects[i] => ps.push(j),
                    _ => g.dropped_edges += 1,
                }
            }
            ps.sort_unstable();
            ps.dedup();
            g.parents.push(ps);
        }
        g.order = topological_order(&g.parents).map_err(|stuck| {
            let cycle = find_cycle(&g.parents, &stuck);
            let worst = cycle
                .iter()
                .copied()
                .min_by_key(|&i| g.ids[i as usize])
                .expect("a cycle has members");
            let t = kept[worst as usize];
            let names: Vec<String> = cycle
                .iter()
                .map(|&i| g.ids[i as usize].to_string())
                .collect();
            ParseError::field(
                &obo.path,
                t.line,
                "is_a",
                format!(
                    "the is_a/part_of graph has a cycle through {}: {}",
                    t.id,
                    names.join(" -> ")
                ),
                "GO is acyclic; remove the is_a or part_of line that points back to a descendant",
            )
        })?;
        g.ancestors = vec![Box::default(); g.ids.len()];
        for &t in &g.order {
            let t = t as usize;
            let mut set: Vec<u32> = Vec::new();
            for &p in &g.parents[t] {
                set.push(p);
                set.extend_from_slice(&g.ancestors[p as usize]);
            }
            set.sort_unstable();
            set.dedup();
            g.ancestors[t] = set.into_boxed_slice();
        }
        Ok(g)
    }

    /// The file the graph was built from.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// Number of (non-obsolete, GO-namespace) terms.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when the graph has no terms.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Edges dropped because the parent is obsolete, unknown or in another
    /// namespace.
    pub fn dropped_edges(&self) -> usize {
        self.dropped_edges
    }

    /// The primary id of `term` (itself, or the term it is an `alt_id` of);
    /// `None` if unknown or obsolete.
    pub fn resolve(&self, term: GoId) -> Option<GoId> {
        self.index_of(term).map(|i| self.ids[i])
    }

    /// Dense index (0..len) of `term` or of the term it is an alt id of.
    pub(crate) fn index_of(&self, term: GoId) -> Option<usize> {
        self.index
            .get(&term)
            .or_else(|| self.alt.get(&term))
            .map(|&i| i as usize)
    }

    /// The id at dense index `i`.
    pub(crate) fn id_at(&self, i: usize) -> GoId {
        self.ids[i]
    }

    /// The aspect at dense index `i`.
    pub(crate) fn aspect_at(&self, i: usize) -> Aspect {
        self.aspects[i]
    }

    /// Dense indices of the ancestors of index `i` (sorted, without `i`).
    pub(crate) fn ancestor_indices(&self, i: usize) -> &[u32] {
        &self.ancestors[i]
    }

    /// The aspect (namespace) of `term` (alt ids resolved).
    pub fn aspect(&self, term: GoId) -> Option<Aspect> {
        self.index_of(term).map(|i| self.aspects[i])
    }

    /// The name of `term` (alt ids resolved).
    pub fn name(&self, term: GoId) -> Option<&str> {
        self.index_of(term).map(|i| self.names[i].as_str())
    }

    /// Direct is_a / part_of parents of `term` (sorted by id).
    pub fn parents(&self, term: GoId) -> Vec<GoId> {
        let mut v: Vec<GoId> = self
            .index_of(term)
            .map(|i| {
                self.parents[i]
                    .iter()
                    .map(|&p| self.ids[p as usize])
                    .collect()
            })
            .unwrap_or_default();
        v.sort_unstable();
        v
    }

    /// All ancestors of `term` over is_a and part_of, **excluding** `term`
    /// itself. Empty for a root and for a term not in the graph.
    pub fn ancestors(&self, term: GoId) -> BTreeSet<GoId> {
        self.index_of(term)
            .map(|i| {
                self.ancestors[i]
                    .iter()
                    .map(|&a| self.ids[a as usize])
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The terms plus all their ancestors (alt ids replaced by primary ids).
    /// Terms the graph does not know (obsolete or missing) are kept as given,
    /// without ancestors; use [`GoGraph::resolve`] first to drop them.
    pub fn propagate(&self, terms: impl IntoIterator<Item = GoId>) -> BTreeSet<GoId> {
        let mut out = BTreeSet::new();
        for t in terms {
            match self.index_of(t) {
                Some(i) => {
                    out.insert(self.ids[i]);
                    out.extend(self.ancestors[i].iter().map(|&a| self.ids[a as usize]));
                }
                None => {
                    out.insert(t);
                }
            }
        }
        out
    }

    /// All primary term ids, in file order.
    pub fn terms(&self) -> impl Iterator<Item = GoId> + '_ {
        self.ids.iter().copied()
    }

    /// Terms without parents (the roots; three for GO).
    pub fn roots(&self) -> Vec<GoId> {
        (0..self.len())
            .filter(|&i| self.parents[i].is_empty())
            .map(|i| self.ids[i])
            .collect()
    }

    /// Dense indices in topological order, parents before children.
    pub fn topological_order(&self) -> &[u32] {
        &self.order
    }
}

/// Kahn's algorithm with parents first. `Err` holds the nodes left on or
/// below a cycle.
fn topological_order(parents: &[Vec<u32>]) -> std::result::Result<Vec<u32>, Vec<u32>> {
    let n = parents.len();
    let mut children: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut pending: Vec<usize> = vec![0; n];
    for (c, ps) in parents.iter().enumerate() {
        pending[c] = ps.len();
        for &p in ps {
            children[p as usize].push(c as u32);
        }
    }
    let mut order: Vec<u32> = (0..n as u32)
        .filter(|&i| pending[i as usize] == 0)
        .collect();
    let mut head = 0;
    while head < order.len() {
        let t = order[head] as usize;
        head += 1;
        for &c in &children[t] {
            pending[c as usize] -= 1;
            if pending[c as usize] == 0 {
                order.push(c);
            }
        }
    }
    if order.len() == n {
        Ok(order)
    } else {
        Err((0..n as u32).filter(|&i| pending[i as usize] > 0).collect())
    }
}

/// A cycle among the `stuck` nodes left by Kahn's algorithm: each of them
/// has a stuck parent, so walking stuck parents must revisit a node.
fn find_cycle(parents: &[Vec<u32>], stuck: &[u32]) -> Vec<u32> {
    let is_stuck: std::collections::HashSet<u32> = stuck.iter().copied().collect();
    let mut path: Vec<u32> = Vec::new();
    let mut pos: HashMap<u32, usize> = HashMap::new();
    let mut node = stuck[0];
    loop {
        if let Some(&start) = pos.get(&node) {
            return path[start..].to_vec();
        }
        pos.insert(node, path.len());
        path.push(node);
        node = *parents[node as usize]
            .iter()
            .find(|p| is_stuck.contains(p))
            .expect("a stuck node has a stuck parent");
    }
}
