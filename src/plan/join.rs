//! Joining instances on shared coordinates by hashing, so that planning
//! costs time in proportion to the instances and edges it creates (comparing
//! every instance with every upstream instance was quadratic).
//!
//! Every instance of one stage has the same axes (its matrix plus those
//! inherited through `needs`), so the axes two stages share are found once
//! and the upstream instances are grouped by their values on them.

use std::collections::HashMap;

use super::Instance;
use crate::kind::Coords;

/// The values of `axes` in `coords`, as one hashable key.
fn key_of(coords: &Coords, axes: &[String]) -> Vec<String> {
    axes.iter()
        .map(|a| coords.0.get(a).map(|v| v.to_string()).unwrap_or_default())
        .collect()
}

/// The instances of one upstream stage, grouped by their values on the axes
/// they share with the consuming instances.
pub(crate) struct Groups {
    shared: Vec<String>,
    groups: HashMap<Vec<String>, Vec<usize>>,
    /// Some upstream instance lacks an axis the first one has (cannot
    /// happen for a planned stage; then every lookup scans `all`).
    irregular: bool,
    all: Vec<usize>,
}

impl Groups {
    /// Group `ups` (indices into `instances`) on the axes they share with
    /// consumers whose coordinates have the axes of `consumer`.
    pub fn new(ups: &[usize], instances: &[Instance], consumer: &Coords) -> Groups {
        let axes: Vec<String> = ups
            .first()
            .map(|&u| instances[u].coords.0.keys().cloned().collect())
            .unwrap_or_default();
        let irregular = ups.iter().any(|&u| {
            let c = &instances[u].coords.0;
            c.len() != axes.len() || axes.iter().any(|a| !c.contains_key(a))
        });
        let shared: Vec<String> = axes
            .into_iter()
            .filter(|a| consumer.0.contains_key(a))
            .collect();
        let mut groups: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
        if !irregular {
            for &u in ups {
                groups
                    .entry(key_of(&instances[u].coords, &shared))
                    .or_default()
                    .push(u);
            }
        }
        Groups {
            shared,
            groups,
            irregular,
            all: ups.to_vec(),
        }
    }

    /// The upstream instances compatible with `coords` (agreeing on every
    /// shared axis), in plan order.
    pub(crate) fn matching(&self, coords: &Coords, instances: &[Instance]) -> Vec<usize> {
        if self.irregular {
            return self
                .all
                .iter()
                .copied()
                .filter(|&u| instances[u].coords.compatible(coords))
                .collect();
        }
        self.groups
            .get(&key_of(coords, &self.shared))
            .cloned()
            .unwrap_or_default()
    }

    /// How many instances [`Groups::matching`] returns for `coords`.
    pub fn count(&self, coords: &Coords, instances: &[Instance]) -> usize {
        if self.irregular {
            return self.matching(coords, instances).len();
        }
        self.groups
            .get(&key_of(coords, &self.shared))
            .map_or(0, Vec::len)
    }
}
