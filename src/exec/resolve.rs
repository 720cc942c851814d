//! Computing an instance's cache key components from the plan and the
//! already-known output trees of its inputs.

use std::collections::BTreeMap;

use crate::cache::filehash::FileHasher;
use crate::cache::index::Index;
use crate::cache::key::{InputArtifact, InputBinding, KeyComponents, KEY_FORMAT};
use crate::kind::Settings;
use crate::plan::Plan;

/// The hash recorded for a kind's data file that does not exist.
pub(crate) const ABSENT: &str = "absent";

pub struct Resolver<'a> {
    plan: &'a Plan,
    settings: &'a Settings,
    hasher: FileHasher,
}

impl<'a> Resolver<'a> {
    pub fn new(plan: &'a Plan, settings: &'a Settings) -> Self {
        Resolver {
            plan,
            settings,
            hasher: FileHasher::default(),
        }
    }

    /// The key components of instance `i`, given each instance's output tree
    /// where known; `None` when an input's tree is not known yet.
    pub fn components(
        &mut self,
        index: &Index,
        i: usize,
        trees: &[Option<String>],
    ) -> anyhow::Result<Option<KeyComponents>> {
        let inst = &self.plan.instances[i];
        let mut inputs = Vec::with_capacity(inst.inputs.len());
        for binding in &inst.inputs {
            let mut artifacts = Vec::with_capacity(binding.instances.len());
            for &u in &binding.instances {
                let Some(tree) = &trees[u] else {
                    return Ok(None);
                };
                artifacts.push(InputArtifact {
                    label: self.plan.instances[u].coords.label(),
                    tree: tree.clone(),
                });
            }
            inputs.push(InputBinding {
                gathered: binding.gathered,
                artifacts,
            });
        }
        let mut deps = BTreeMap::new();
        for dep in &inst.deps {
            let hash = self.hasher.hash(index, &self.plan.workspace.join(dep))?;
            deps.insert(dep.clone(), hash);
        }
        for file in inst.kind.data_files(&inst.params)? {
            let path = self.plan.workspace.join(&file);
            let hash = if path.is_file() {
                self.hasher.hash(index, &path)?
            } else {
                ABSENT.to_string()
            };
            deps.insert(format!("data:{file}"), hash);
        }
        let settings = inst
            .kind
            .settings()
            .iter()
            .map(|s| (s.name().to_string(), self.settings.value(*s).to_string()))
            .collect();
        Ok(Some(KeyComponents {
            format: KEY_FORMAT,
            kind: inst.kind.name().to_string(),
            kind_version: inst.kind.version(),
            params: inst.params.clone(),
            inputs,
            deps,
            settings,
        }))
    }
}
