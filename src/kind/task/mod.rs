//! `task.json`: what a data stage (`automaton`, `prices`, `heartbeats`,
//! `ecg_record`, `pfam`, `go_terms`) says about its data set, and what
//! `train`, `evaluate`, `explain`, `length_generalize`, `forecast`, the
//! study and the report read from it.
//!
//! One variant per writer, each field typed; every read goes through
//! [`TaskInfo::read`], whose errors name the file and the field. The bytes a
//! writer produces are the ones it always produced (they are part of its
//! output tree, so of every downstream cache key): the automaton's params in
//! key order, the others' fields in their struct's order after `task`.
//!
//! Format: [`TaskInfo::FORMAT`]. Files carry a `format` field only from
//! format 2 on, so format-1 files stay byte-identical to the ones written
//! before it was counted; a reader refuses a format newer than its own.

mod automaton;
mod real;

use std::path::Path;

use anyhow::Context;
use serde::de::DeserializeOwned;
use serde::{Serialize, Serializer};
use serde_json::Value;

pub use automaton::{AutomatonParams, AutomatonTask};
pub use real::{
    ChunkInfo, EcgRecordTask, GoColumn, GoTermsTask, HeartbeatsTask, PfamFamily, PfamTask,
    PolicyTag, PricesTask, Reduce,
};

use super::params::JsonMap;
use crate::datasets::automata::TASK_NAMES;

/// A data set's description: one variant per data kind.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskInfo {
    Automaton(AutomatonTask),
    Prices(PricesTask),
    Heartbeats(HeartbeatsTask),
    EcgRecord(EcgRecordTask),
    Pfam(PfamTask),
    GoTerms(GoTermsTask),
}

impl TaskInfo {
    /// The file name in a data stage's outputs.
    pub const FILE: &'static str = "task.json";
    /// The format this seqlab writes and reads.
    pub(crate) const FORMAT: u64 = 1;

    /// The `task` field: the automaton's name, or the data kind's.
    pub fn name(&self) -> &str {
        match self {
            TaskInfo::Automaton(a) => &a.params.task,
            TaskInfo::Prices(_) => "prices",
            TaskInfo::Heartbeats(_) => "heartbeats",
            TaskInfo::EcgRecord(_) => "ecg_record",
            TaskInfo::Pfam(_) => "pfam",
            TaskInfo::GoTerms(_) => "go_terms",
        }
    }

    /// Output classes (or values per position, for real targets; label
    /// columns for GO terms).
    pub fn n_states(&self) -> usize {
        match self {
            TaskInfo::Automaton(t) => t.n_states,
            TaskInfo::Prices(t) => t.n_states,
            TaskInfo::Heartbeats(t) => t.n_states,
            TaskInfo::EcgRecord(t) => t.n_states,
            TaskInfo::Pfam(t) => t.n_states,
            TaskInfo::GoTerms(t) => t.n_states,
        }
    }

    /// Input tokens.
    pub fn vocab(&self) -> usize {
        match self {
            TaskInfo::Automaton(t) => t.n_actions_vocab,
            TaskInfo::Prices(t) => t.n_actions_vocab,
            TaskInfo::Heartbeats(t) => t.n_actions_vocab,
            TaskInfo::EcgRecord(t) => t.n_actions_vocab,
            TaskInfo::Pfam(t) => t.n_actions_vocab,
            TaskInfo::GoTerms(t) => t.n_actions_vocab,
        }
    }

    /// Sequence length (the test split's, the longest).
    pub fn length(&self) -> usize {
        match self {
            TaskInfo::Automaton(t) => t.params.length,
            TaskInfo::Prices(t) => t.length,
            TaskInfo::Heartbeats(t) => t.length,
            TaskInfo::EcgRecord(t) => t.length,
            TaskInfo::Pfam(t) => t.length,
            TaskInfo::GoTerms(t) => t.length,
        }
    }

    /// The training split's length, where it differs from the test split's
    /// (real data cropped for training).
    pub fn train_length(&self) -> Option<usize> {
        match self {
            TaskInfo::Heartbeats(t) => Some(t.train_length),
            TaskInfo::Pfam(t) => Some(t.train_length),
            TaskInfo::GoTerms(t) => Some(t.train_length),
            TaskInfo::Automaton(_) | TaskInfo::Prices(_) | TaskInfo::EcgRecord(_) => None,
        }
    }

    /// The length a model without weight sharing over time (the MLP) is
    /// built for, when it is not [`TaskInfo::length`].
    pub fn fixed_window(&self) -> Option<usize> {
        match self {
            TaskInfo::GoTerms(t) => Some(t.fixed_window),
            TaskInfo::Automaton(_)
            | TaskInfo::Prices(_)
            | TaskInfo::Heartbeats(_)
            | TaskInfo::EcgRecord(_)
            | TaskInfo::Pfam(_) => None,
        }
    }

    /// The automaton data set whose training draws fresh sequences every
    /// step, if this is one.
    pub fn fresh_automaton(&self) -> Option<&AutomatonParams> {
        match self {
            TaskInfo::Automaton(a) if a.params.fresh => Some(&a.params),
            _ => None,
        }
    }

    /// Class names of a labelled real data set.
    pub fn class_names(&self) -> Option<&[String]> {
        match self {
            TaskInfo::Heartbeats(t) => Some(&t.class_names),
            TaskInfo::Pfam(t) => Some(&t.class_names),
            TaskInfo::Automaton(_)
            | TaskInfo::Prices(_)
            | TaskInfo::EcgRecord(_)
            | TaskInfo::GoTerms(_) => None,
        }
    }

    /// The automaton, if this data set is one.
    pub fn automaton(&self) -> Option<&AutomatonTask> {
        match self {
            TaskInfo::Automaton(a) => Some(a),
            _ => None,
        }
    }

    /// The JSON object `task.json` holds.
    pub fn to_json(&self) -> JsonMap {
        fn tagged<T: Serialize>(name: &str, t: &T) -> JsonMap {
            let mut out = JsonMap::new();
            out.insert("task".into(), name.into());
            if let Ok(Value::Object(m)) = serde_json::to_value(t) {
                out.extend(m);
            }
            out
        }
        let name = self.name();
        match self {
            TaskInfo::Automaton(a) => a.to_json(),
            TaskInfo::Prices(t) => tagged(name, t),
            TaskInfo::Heartbeats(t) => tagged(name, t),
            TaskInfo::EcgRecord(t) => tagged(name, t),
            TaskInfo::Pfam(t) => tagged(name, t),
            TaskInfo::GoTerms(t) => tagged(name, t),
        }
    }

    /// Writes `dir/task.json`.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join(Self::FILE);
        std::fs::write(&path, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("writing {}", path.display()))
    }

    /// Reads `dir/task.json`.
    pub fn read_dir(dir: &Path) -> anyhow::Result<TaskInfo> {
        Self::read(&dir.join(Self::FILE))
    }

    /// Reads a `task.json`; errors name the file and the field.
    pub fn read(path: &Path) -> anyhow::Result<TaskInfo> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let value: Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: not valid JSON", path.display()))?;
        Self::from_json(value).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// [`TaskInfo::read`] without the file.
    pub(crate) fn from_json(value: Value) -> Result<TaskInfo, String> {
        let Value::Object(mut map) = value else {
            return Err("expected a JSON object".into());
        };
        if let Some(f) = map.remove("format") {
            match f.as_u64() {
                Some(n) if n <= Self::FORMAT => {}
                _ => {
                    return Err(format!(
                        "format {f} is not one this seqlab reads (up to {}): update seqlab, or rerun the data stage",
                        Self::FORMAT
                    ))
                }
            }
        }
        let name = match map.get("task") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => return Err(format!("field `task`: expected a string, found {other}")),
            None => return Err("missing field `task`".into()),
        };
        let tagged = |mut map: JsonMap| {
            map.remove("task");
            map
        };
        Ok(match name.as_str() {
            "prices" => TaskInfo::Prices(fields(tagged(map))?),
            "heartbeats" => TaskInfo::Heartbeats(fields(tagged(map))?),
            "ecg_record" => TaskInfo::EcgRecord(fields(tagged(map))?),
            "pfam" => TaskInfo::Pfam(fields(tagged(map))?),
            "go_terms" => TaskInfo::GoTerms(fields(tagged(map))?),
            // An automaton's `task` is its name, one of its params.
            automaton if TASK_NAMES.contains(&automaton) => {
                let mut take = |k: &str| {
                    let v = map
                        .remove(k)
                        .ok_or_else(|| format!("missing field `{k}`"))?;
                    v.as_u64()
                        .ok_or_else(|| format!("field `{k}`: expected an integer, found {v}"))
                };
                let (n_states, n_actions_vocab, test_seed) =
                    (take("n_states")?, take("n_actions_vocab")?, take("test_seed")?);
                TaskInfo::Automaton(AutomatonTask {
                    params: fields(map)?,
                    n_states: n_states as usize,
                    n_actions_vocab: n_actions_vocab as usize,
                    test_seed,
                })
            }
            other => {
                return Err(format!(
                    "field `task`: `{other}` is neither a data kind (prices, heartbeats, ecg_record, pfam, go_terms) nor an automaton ({})",
                    TASK_NAMES.join(", ")
                ))
            }
        })
    }
}

/// The map as `T`, naming the field that does not fit.
fn fields<T: DeserializeOwned>(map: JsonMap) -> Result<T, String> {
    serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.inner().to_string()
        } else {
            format!("field `{path}`: {}", e.inner())
        }
    })
}

impl Serialize for TaskInfo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}
