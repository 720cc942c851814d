//! Building a [`Task`] from a config (name + JSON parameter map), with
//! defaults and validation, so a bad experiment file fails at load time with
//! a message that says what to change rather than panicking mid-run.

use serde_json::{Map, Value};
use thiserror::Error;

use super::dyck;
use super::perm::{self, MAX_PERM_N};
use super::task::Task;

/// Task names accepted by [`Task::from_params`], in display order.
pub const TASK_NAMES: [&str; 10] = [
    "parity",
    "cyclic",
    "dihedral",
    "quaternion",
    "alternating",
    "symmetric",
    "flipflop",
    "gridworld",
    "dyck",
    "product_c2",
];

/// Errors from task construction and generator configuration.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TaskError {
    #[error("unknown automaton task '{name}'{}; valid tasks: {}",
        .suggestion.as_ref().map(|s| format!(" (did you mean '{s}'?)")).unwrap_or_default(),
        TASK_NAMES.join(", "))]
    UnknownTask {
        name: String,
        suggestion: Option<String>,
    },
    #[error("task '{task}' has no parameter '{key}'; allowed: {}",
        if .allowed.is_empty() { "none".to_string() } else { .allowed.join(", ") })]
    UnknownParam {
        task: String,
        key: String,
        allowed: Vec<&'static str>,
    },
    #[error("task '{task}': parameter '{key}' {msg}")]
    BadParam {
        task: String,
        key: String,
        msg: String,
    },
    #[error("generator config: {0}")]
    BadConfig(String),
}

/// Levenshtein distance, for "did you mean" suggestions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Closest valid task name, if it is plausibly a typo (distance ≤ 3).
fn suggest(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    TASK_NAMES
        .iter()
        .map(|n| (edit_distance(&lower, n), *n))
        .min()
        .filter(|(d, _)| *d <= 3)
        .map(|(_, n)| n.to_string())
}

/// Reads integer parameters with defaults; rejects unknown keys.
struct Params<'a> {
    task: &'static str,
    map: &'a Map<String, Value>,
}

impl Params<'_> {
    fn check_keys(&self, allowed: &[&'static str]) -> Result<(), TaskError> {
        for key in self.map.keys() {
            if !allowed.contains(&key.as_str()) {
                return Err(TaskError::UnknownParam {
                    task: self.task.into(),
                    key: key.clone(),
                    allowed: allowed.to_vec(),
                });
            }
        }
        Ok(())
    }

    /// Integer parameter (JSON integer, or a float with an integral value).
    fn int(&self, key: &str, default: usize) -> Result<usize, TaskError> {
        let Some(v) = self.map.get(key) else {
            return Ok(default);
        };
        let n = v.as_u64().or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                .map(|f| f as u64)
        });
        n.and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| self.bad(key, format!("must be a non-negative integer, got {v}")))
    }

    fn bad(&self, key: &str, msg: String) -> TaskError {
        TaskError::BadParam {
            task: self.task.into(),
            key: key.into(),
            msg,
        }
    }

    fn at_least(&self, key: &str, v: usize, min: usize) -> Result<(), TaskError> {
        if v < min {
            return Err(self.bad(key, format!("must be >= {min}, got {v}")));
        }
        Ok(())
    }

    fn at_most(&self, key: &str, v: usize, max: usize, why: &str) -> Result<(), TaskError> {
        if v > max {
            return Err(self.bad(key, format!("must be <= {max} ({why}), got {v}")));
        }
        Ok(())
    }
}

impl TaskError {
    /// The parameter the error is about, where it names one (`task` for an
    /// unknown task name).
    pub fn param(&self) -> Option<&str> {
        match self {
            TaskError::UnknownTask { .. } => Some("task"),
            TaskError::UnknownParam { key, .. } | TaskError::BadParam { key, .. } => Some(key),
            TaskError::BadConfig(_) => None,
        }
    }
}

/// The size parameters a task may take (which ones, depends on the task);
/// unset ones take the task's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskSizes {
    pub n: Option<usize>,
    pub n_actions: Option<usize>,
    pub k: Option<usize>,
    pub max_depth: Option<usize>,
}

/// Label ids are u32, and so are input tokens.
const MAX_VOCAB: usize = u32::MAX as usize;

impl Task {
    /// Build a task from its config name and parameters.
    ///
    /// Defaults: cyclic n=3, n_actions=n; dihedral n=4 (the paper's D_8);
    /// alternating n=5; symmetric n=5, n_actions=3; flipflop n=2;
    /// gridworld n=9; dyck k=2, max_depth=4; product_c2 k=3.
    pub fn from_params(name: &str, params: &Map<String, Value>) -> Result<Task, TaskError> {
        let Some(&task) = TASK_NAMES.iter().find(|n| **n == name) else {
            return Err(TaskError::UnknownTask {
                name: name.into(),
                suggestion: suggest(name),
            });
        };
        let p = Params { task, map: params };
        let t = match task {
            "parity" => {
                p.check_keys(&[])?;
                Task::Parity
            }
            "cyclic" => {
                p.check_keys(&["n", "n_actions"])?;
                let n = p.int("n", 3)?;
                Task::Cyclic {
                    n,
                    n_actions: p.int("n_actions", n)?,
                }
            }
            "dihedral" => {
                p.check_keys(&["n"])?;
                Task::Dihedral { n: p.int("n", 4)? }
            }
            "quaternion" => {
                p.check_keys(&[])?;
                Task::Quaternion
            }
            "alternating" => {
                p.check_keys(&["n"])?;
                Task::Alternating { n: p.int("n", 5)? }
            }
            "symmetric" => {
                p.check_keys(&["n", "n_actions"])?;
                Task::Symmetric {
                    n: p.int("n", 5)?,
                    n_actions: p.int("n_actions", 3)?,
                }
            }
            "flipflop" => {
                p.check_keys(&["n"])?;
                Task::FlipFlop { n: p.int("n", 2)? }
            }
            "gridworld" => {
                p.check_keys(&["n"])?;
                Task::Gridworld { n: p.int("n", 9)? }
            }
            "dyck" => {
                p.check_keys(&["k", "max_depth"])?;
                Task::Dyck {
                    k: p.int("k", 2)?,
                    max_depth: p.int("max_depth", 4)?,
                }
            }
            "product_c2" => {
                p.check_keys(&["k"])?;
                Task::ProductC2 { k: p.int("k", 3)? }
            }
            _ => unreachable!("TASK_NAMES and this match must agree"),
        };
        t.validate()?;
        Ok(t)
    }

    /// [`Task::from_params`] from typed sizes: the set ones are the params.
    pub fn from_sizes(name: &str, sizes: &TaskSizes) -> Result<Task, TaskError> {
        let map: Map<String, Value> = [
            ("n", sizes.n),
            ("n_actions", sizes.n_actions),
            ("k", sizes.k),
            ("max_depth", sizes.max_depth),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_string(), Value::from(v?))))
        .collect();
        Task::from_params(name, &map)
    }

    /// The sizes of this task with its defaults made explicit (the inverse
    /// of [`Task::from_sizes`]), so that writing a default value and leaving
    /// it out describe the same task.
    pub fn sizes(&self) -> TaskSizes {
        let none = TaskSizes::default();
        match *self {
            Task::Parity | Task::Quaternion => none,
            Task::Cyclic { n, n_actions } | Task::Symmetric { n, n_actions } => TaskSizes {
                n: Some(n),
                n_actions: Some(n_actions),
                ..none
            },
            Task::Dihedral { n }
            | Task::Alternating { n }
            | Task::FlipFlop { n }
            | Task::Gridworld { n } => TaskSizes { n: Some(n), ..none },
            Task::Dyck { k, max_depth } => TaskSizes {
                k: Some(k),
                max_depth: Some(max_depth),
                ..none
            },
            Task::ProductC2 { k } => TaskSizes { k: Some(k), ..none },
        }
    }

    /// Config name of this task (inverse of [`Task::from_params`]).
    pub fn name(&self) -> &'static str {
        match self {
            Task::Parity => "parity",
            Task::Cyclic { .. } => "cyclic",
            Task::Dihedral { .. } => "dihedral",
            Task::Quaternion => "quaternion",
            Task::Alternating { .. } => "alternating",
            Task::Symmetric { .. } => "symmetric",
            Task::FlipFlop { .. } => "flipflop",
            Task::Gridworld { .. } => "gridworld",
            Task::Dyck { .. } => "dyck",
            Task::ProductC2 { .. } => "product_c2",
        }
    }

    /// Check sizes: nondegenerate, and every state id / token fits in u32.
    /// Call this on hand-built tasks; `from_params` already does.
    pub fn validate(&self) -> Result<(), TaskError> {
        let p = Params {
            task: self.name(),
            map: &Map::new(),
        };
        match *self {
            Task::Parity | Task::Quaternion => {}
            Task::Cyclic { n, n_actions } => {
                p.at_least("n", n, 2)?;
                p.at_most("n", n, MAX_VOCAB, "state ids are u32")?;
                p.at_least("n_actions", n_actions, 2)?;
                p.at_most("n_actions", n_actions, n, "actions are the shifts 0..n")?;
            }
            Task::Dihedral { n } => {
                p.at_least("n", n, 2)?;
                p.at_most("n", n, MAX_VOCAB / 2, "2n state ids are u32")?;
            }
            Task::Alternating { n } => {
                p.at_least("n", n, 3)?;
                p.at_most("n", n, MAX_PERM_N, "n!/2 state ids are u32")?;
            }
            Task::Symmetric { n, n_actions } => {
                p.at_least("n", n, 2)?;
                p.at_most("n", n, MAX_PERM_N, "n! state ids are u32")?;
                p.at_least("n_actions", n_actions, 2)?;
                // ≤ 3 uses id/shift/swap; > 3 draws slots 2.. from the n!−2
                // permutations that are neither identity nor shift.
                let max = (perm::factorial(n) as usize).max(3);
                p.at_most("n_actions", n_actions, max, "S_n has n! permutations")?;
            }
            Task::FlipFlop { n } => {
                p.at_least("n", n, 1)?;
                p.at_most("n", n, MAX_VOCAB - 1, "n+1 state ids are u32")?;
            }
            Task::Gridworld { n } => {
                p.at_least("n", n, 2)?;
                p.at_most("n", n, MAX_VOCAB, "state ids are u32")?;
            }
            Task::Dyck { k, max_depth } => {
                p.at_least("k", k, 1)?;
                p.at_most("k", k, MAX_VOCAB / 2, "2k tokens are u32")?;
                p.at_least("max_depth", max_depth, 1)?;
                let fits = dyck::n_stacks(k, max_depth).is_some_and(|s| s <= MAX_VOCAB as u64);
                if !fits {
                    return Err(p.bad(
                        "max_depth",
                        format!(
                            "gives too many stack states (sum of {k}^d for d <= {max_depth} \
                             must fit in u32)"
                        ),
                    ));
                }
            }
            Task::ProductC2 { k } => {
                p.at_least("k", k, 1)?;
                p.at_most("k", k, 16, "2^k states and tokens")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn defaults() {
        let e = Map::new();
        let got: Vec<Task> = TASK_NAMES
            .iter()
            .map(|n| Task::from_params(n, &e).unwrap())
            .collect();
        assert_eq!(
            got,
            vec![
                Task::Parity,
                Task::Cyclic { n: 3, n_actions: 3 },
                Task::Dihedral { n: 4 },
                Task::Quaternion,
                Task::Alternating { n: 5 },
                Task::Symmetric { n: 5, n_actions: 3 },
                Task::FlipFlop { n: 2 },
                Task::Gridworld { n: 9 },
                Task::Dyck { k: 2, max_depth: 4 },
                Task::ProductC2 { k: 3 },
            ]
        );
        for t in got {
            assert_eq!(Task::from_params(t.name(), &e).unwrap(), t);
        }
    }

    #[test]
    fn explicit_params() {
        let t = Task::from_params("cyclic", &map(json!({"n": 5, "n_actions": 2}))).unwrap();
        assert_eq!(t, Task::Cyclic { n: 5, n_actions: 2 });
        let t = Task::from_params("symmetric", &map(json!({"n": 4.0, "n_actions": 5}))).unwrap();
        assert_eq!(t, Task::Symmetric { n: 4, n_actions: 5 });
    }

    #[test]
    fn unknown_name_suggests() {
        let err = Task::from_params("dihedrl", &Map::new()).unwrap_err();
        assert_eq!(
            err,
            TaskError::UnknownTask {
                name: "dihedrl".into(),
                suggestion: Some("dihedral".into())
            }
        );
        let msg = err.to_string();
        assert!(msg.contains("did you mean 'dihedral'?"), "{msg}");
        assert!(msg.contains("product_c2"), "{msg}");
        let err = Task::from_params("flip_flop", &Map::new()).unwrap_err();
        assert!(err.to_string().contains("'flipflop'"));
        let err = Task::from_params("transformer", &Map::new()).unwrap_err();
        assert!(!err.to_string().contains("did you mean"));
    }

    #[test]
    fn bad_values_are_explained() {
        let err = Task::from_params("cyclic", &map(json!({"n": 1}))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "task 'cyclic': parameter 'n' must be >= 2, got 1"
        );
        let err = Task::from_params("alternating", &map(json!({"n": 13}))).unwrap_err();
        assert!(err.to_string().contains("must be <= 12"), "{err}");
        let err = Task::from_params("symmetric", &map(json!({"n": 3, "n_actions": 7})));
        assert!(err.unwrap_err().to_string().contains("<= 6"));
        let err = Task::from_params("gridworld", &map(json!({"n": "nine"}))).unwrap_err();
        assert!(err.to_string().contains("non-negative integer"), "{err}");
        let err = Task::from_params("dyck", &map(json!({"k": 2, "depth": 3}))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "task 'dyck' has no parameter 'depth'; allowed: k, max_depth"
        );
        let err = Task::from_params("dyck", &map(json!({"k": 10, "max_depth": 12})));
        assert!(err.unwrap_err().to_string().contains("fit in u32"));
        let err = Task::from_params("parity", &map(json!({"n": 2}))).unwrap_err();
        assert!(err.to_string().ends_with("allowed: none"));
        assert!(Task::from_params("product_c2", &map(json!({"k": 17}))).is_err());
        assert!(Task::from_params("cyclic", &map(json!({"n": 3, "n_actions": 4}))).is_err());
    }
}
