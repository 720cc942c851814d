//! The cache key: what decides whether an instance's cached outputs can be
//! reused.
//!
//! The key is the blake3 hash of the canonical JSON encoding of
//! [`KeyComponents`] (object keys sorted at every level, no whitespace,
//! numbers as serde_json prints them: integers as integers, floats in
//! shortest round-trip form). Two instances with equal components share one
//! cache entry, whatever they are called and wherever their pipeline lives.
//!
//! | component | in the key | notes |
//! |---|---|---|
//! | key format version ([`KEY_FORMAT`]) | yes | bumped when this encoding changes |
//! | stage kind name (`command`, `train`, …) | yes | |
//! | kind implementation version ([`crate::kind::StageKind::version`]) | yes | a kind bumps it when its outputs could change |
//! | resolved params, defaults filled in | yes | canonical: `1e-3` = `0.001`; a float param given as `1` = `1.0`; matrix values are params |
//! | each input binding, in `needs` then `gather` order: gathered or not | yes | |
//! | … each input instance's coordinate label (`i=1,mode=a`) | yes | it names the sub-directory a gathering stage reads |
//! | … each input instance's output tree hash | yes | content, not paths or times: an upstream that reruns to the same bytes changes nothing downstream |
//! | each `deps:` file: path relative to the pipeline file, content hash | yes | content by blake3; a size+mtime snapshot only avoids re-reading unchanged files |
//! | each data file the kind reads from the workspace (`StageKind::data_files`, e.g. the Kaggle CSVs), as `data:<path>` | yes | content by blake3, or `absent`: adding the file reruns the stage (tested in tests/real_data.rs) |
//! | settings the kind declares (e.g. `backend` for training) | yes | only those: a `command` stage does not rerun when `--backend` changes |
//! | stage name, instance name, upstream stage names | no | renaming a stage keeps its cache |
//! | pipeline name and path, cache directory | no | the same work in another pipeline file is reused |
//! | timestamps, host, user, `--jobs`, `-v`, seqlab's own version | no | the kind version covers changes of meaning |
//! | environment variables, tools on PATH | no | declare a script in `deps` to key on it; see docs/pipeline.md |

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kind::JsonMap;

/// Bumped whenever the encoding below changes, invalidating every key.
pub const KEY_FORMAT: u32 = 1;

/// One upstream instance as the key sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputArtifact {
    pub label: String,
    pub tree: String,
}

/// One `needs` or `gather` binding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputBinding {
    pub gathered: bool,
    pub artifacts: Vec<InputArtifact>,
}

/// Everything that goes into a cache key (see the module table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyComponents {
    pub format: u32,
    pub kind: String,
    pub kind_version: u32,
    pub params: JsonMap,
    pub inputs: Vec<InputBinding>,
    /// Relative path → content hash.
    pub deps: BTreeMap<String, String>,
    /// Setting name → value, for the settings the kind declares.
    pub settings: BTreeMap<String, String>,
}

impl KeyComponents {
    /// The key: blake3 of the canonical encoding, as hex.
    pub fn key(&self) -> String {
        blake3::hash(self.canonical().as_bytes())
            .to_hex()
            .to_string()
    }

    /// The canonical encoding (sorted keys at every depth, compact).
    pub fn canonical(&self) -> String {
        canonical_json(&serde_json::to_value(self).expect("key components serialise"))
    }

    /// Human-readable reasons why `self` (now) differs from `old` (the last
    /// execution of the same instance), one per changed component.
    pub fn diff(&self, old: &KeyComponents) -> Vec<String> {
        let mut out = Vec::new();
        if self.format != old.format {
            out.push(format!("cache key format {} → {}", old.format, self.format));
        }
        if self.kind != old.kind {
            out.push(format!("kind {} → {}", old.kind, self.kind));
        } else if self.kind_version != old.kind_version {
            out.push(format!(
                "kind version {} → {}",
                old.kind_version, self.kind_version
            ));
        }
        diff_maps("params", &self.params, &old.params, &mut out);
        if self.inputs.len() != old.inputs.len() {
            out.push(format!(
                "number of inputs {} → {}",
                old.inputs.len(),
                self.inputs.len()
            ));
        } else {
            for (i, (new, old)) in self.inputs.iter().zip(&old.inputs).enumerate() {
                if new != old {
                    let labels: Vec<&str> =
                        new.artifacts.iter().map(|a| a.label.as_str()).collect();
                    out.push(format!("input {i} ({}) changed", labels.join(" ")));
                }
            }
        }
        for (path, hash) in &self.deps {
            match old.deps.get(path) {
                None => out.push(format!("new dependency {path}")),
                Some(h) if h != hash => out.push(format!("dependency {path} changed")),
                _ => {}
            }
        }
        for path in old.deps.keys().filter(|p| !self.deps.contains_key(*p)) {
            out.push(format!("dependency {path} removed"));
        }
        for (name, value) in &self.settings {
            if old.settings.get(name) != Some(value) {
                let was = old
                    .settings
                    .get(name)
                    .map(String::as_str)
                    .unwrap_or("unset");
                out.push(format!("setting {name} {was} → {value}"));
            }
        }
        out
    }
}

fn diff_maps(prefix: &str, new: &JsonMap, old: &JsonMap, out: &mut Vec<String>) {
    let mut keys: Vec<&String> = new.keys().chain(old.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        match (old.get(k), new.get(k)) {
            (Some(a), Some(b)) if canonical_json(a) != canonical_json(b) => out.push(format!(
                "{prefix}.{k} {} → {}",
                canonical_json(a),
                canonical_json(b)
            )),
            (None, Some(b)) => out.push(format!("{prefix}.{k} added ({})", canonical_json(b))),
            (Some(_), None) => out.push(format!("{prefix}.{k} removed")),
            _ => {}
        }
    }
}

/// Compact JSON with object keys sorted at every depth.
pub fn canonical_json(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let sorted: BTreeMap<&String, Value> =
                    m.iter().map(|(k, v)| (k, sort(v))).collect();
                Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_string(&sort(v)).expect("JSON values serialise")
}
