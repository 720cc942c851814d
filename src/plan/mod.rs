//! The planner: from a validated pipeline to a graph of concrete instances
//! (one per sweep cell), in an order where every instance follows its inputs.
//! It decides *what* exists; whether it runs is the executor's business.

mod expand;
mod filter;

use std::path::PathBuf;
use std::sync::Arc;

use petgraph::graph::DiGraph;

pub use expand::expand;

use crate::kind::{Coords, JsonMap, StageKind};

/// One upstream binding of an instance.
#[derive(Debug, Clone)]
pub struct InputRef {
    pub stage: String,
    /// `gather` (every matching instance) rather than `needs` (exactly one).
    pub gathered: bool,
    /// Indices into [`Plan::instances`].
    pub instances: Vec<usize>,
}

/// One concrete unit of work.
#[derive(Clone)]
pub struct Instance {
    pub stage: String,
    /// `stage[k=v,...]`, unique in the plan.
    pub name: String,
    /// Own and inherited coordinates.
    pub coords: Coords,
    pub kind: Arc<dyn StageKind>,
    /// Resolved, canonical params (defaults filled, matrix values included).
    pub params: JsonMap,
    pub inputs: Vec<InputRef>,
    /// Declared workspace files, relative to [`Plan::workspace`].
    pub deps: Vec<String>,
}

impl Instance {
    /// Indices of all upstream instances.
    pub fn upstream(&self) -> impl Iterator<Item = usize> + '_ {
        self.inputs.iter().flat_map(|i| i.instances.iter().copied())
    }
}

/// All instances of a pipeline in dependency order.
pub struct Plan {
    pub pipeline: String,
    pub workspace: PathBuf,
    /// Topologically ordered: inputs come before the instances using them.
    pub instances: Vec<Instance>,
    /// Edges from an input instance to its consumer (indices as node weights).
    pub graph: DiGraph<usize, ()>,
}

impl Plan {
    pub fn find(&self, name: &str) -> Option<usize> {
        self.instances.iter().position(|i| i.name == name)
    }

    /// Indices of `start` and every instance downstream of it.
    pub fn descendants(&self, start: usize) -> Vec<usize> {
        let mut seen = vec![false; self.instances.len()];
        let mut stack = vec![start];
        let mut out = Vec::new();
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            out.push(i);
            stack.extend(
                self.graph
                    .neighbors(petgraph::graph::NodeIndex::new(i))
                    .map(|n| n.index()),
            );
        }
        out.sort_unstable();
        out
    }
}
