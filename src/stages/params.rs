//! Declared parameters of a stage kind: types, defaults, and resolution into
//! the canonical JSON the cache key hashes.
//!
//! Canonical means: every declared parameter present (defaults filled in),
//! floats as f64 (so `1e-3`, `0.001` and `1.0e-3` are the same number and are
//! printed one way), integers as i64, keys in one fixed (sorted) order.

use serde_json::Value;

use crate::spec::closest;

pub type JsonMap = serde_json::Map<String, Value>;

#[derive(Debug, Clone, PartialEq)]
pub enum ParamType {
    Int,
    Float,
    Bool,
    String,
    /// One of the listed strings.
    Choice(&'static [&'static str]),
    StringList,
    /// A list of integers.
    IntList,
    /// A list of finite numbers.
    FloatList,
    /// Any JSON; the kind checks it itself.
    Any,
}

impl ParamType {
    fn describe(&self) -> String {
        match self {
            ParamType::Int => "an integer".into(),
            ParamType::Float => "a number".into(),
            ParamType::Bool => "true or false".into(),
            ParamType::String => "a string".into(),
            ParamType::Choice(c) => format!("one of {}", c.join(", ")),
            ParamType::StringList => "a list of strings".into(),
            ParamType::IntList => "a list of integers".into(),
            ParamType::FloatList => "a list of numbers".into(),
            ParamType::Any => "any value".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ParamSpec {
    pub name: &'static str,
    pub ty: ParamType,
    /// `None` means required.
    pub default: Option<Value>,
    pub doc: &'static str,
}

impl ParamSpec {
    /// A parameter that may be left out, taking `default`.
    pub fn optional(
        name: &'static str,
        ty: ParamType,
        default: Value,
        doc: &'static str,
    ) -> ParamSpec {
        ParamSpec {
            name,
            ty,
            default: Some(default),
            doc,
        }
    }

    /// A parameter the user must give.
    pub fn required(name: &'static str, ty: ParamType, doc: &'static str) -> ParamSpec {
        ParamSpec {
            name,
            ty,
            default: None,
            doc,
        }
    }
}

/// Each listed integer param that is set must be at least its minimum; one
/// issue per param that is not.
pub fn require_at_least(params: &JsonMap, mins: &[(&str, i64)]) -> Result<(), Vec<ParamIssue>> {
    let issues: Vec<ParamIssue> = mins
        .iter()
        .filter(|(k, min)| {
            params
                .get(*k)
                .and_then(|v| v.as_i64())
                .is_some_and(|v| v < *min)
        })
        .map(|(k, min)| ParamIssue {
            param: k.to_string(),
            message: format!("`{k}` must be at least {min}"),
            help: None,
        })
        .collect();
    if issues.is_empty() {
        Ok(())
    } else {
        Err(issues)
    }
}

/// Checks that each named float param lies strictly between 0 and 1 (a share
/// of the data, like `train_fraction`, that must leave something on both sides).
pub fn require_fraction(params: &JsonMap, names: &[&str]) -> Result<(), Vec<ParamIssue>> {
    let issues: Vec<ParamIssue> = names
        .iter()
        .filter(|k| {
            let f = params.get(**k).and_then(|v| v.as_f64()).unwrap_or(0.0);
            !(f > 0.0 && f < 1.0)
        })
        .map(|k| ParamIssue {
            param: k.to_string(),
            message: format!("`{k}` must lie in (0, 1)"),
            help: None,
        })
        .collect();
    if issues.is_empty() {
        Ok(())
    } else {
        Err(issues)
    }
}

/// A problem with one parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamIssue {
    /// The parameter's name (the first key under `params:`).
    pub param: String,
    pub message: String,
    pub help: Option<String>,
}

/// The parameters of a kind.
#[derive(Debug, Clone, Default)]
pub struct ParamSchema {
    pub params: Vec<ParamSpec>,
    /// Accept undeclared scalar params as they are (the `command` kind passes
    /// them to the process as environment variables).
    pub open: bool,
}

impl ParamSchema {
    pub fn resolve(&self, raw: &JsonMap) -> Result<JsonMap, Vec<ParamIssue>> {
        let mut issues = Vec::new();
        let mut out = std::collections::BTreeMap::new();
        for spec in &self.params {
            match raw.get(spec.name) {
                Some(v) => match coerce(&spec.ty, v) {
                    Ok(v) => {
                        out.insert(spec.name.to_string(), v);
                    }
                    Err(m) => issues.push(ParamIssue {
                        param: spec.name.into(),
                        message: m,
                        help: Some(format!("`{}`: {}", spec.name, spec.doc)),
                    }),
                },
                None => match &spec.default {
                    Some(d) => {
                        out.insert(spec.name.to_string(), d.clone());
                    }
                    None => issues.push(ParamIssue {
                        param: spec.name.into(),
                        message: format!("missing required parameter `{}`", spec.name),
                        help: Some(format!(
                            "`{}` is {}: {}",
                            spec.name,
                            spec.ty.describe(),
                            spec.doc
                        )),
                    }),
                },
            }
        }
        for (k, v) in raw {
            if self.params.iter().any(|p| p.name == k) {
                continue;
            }
            if self.open {
                match canonical_scalar(v) {
                    Some(v) => {
                        out.insert(k.clone(), v);
                    }
                    None => issues.push(ParamIssue {
                        param: k.clone(),
                        message: "must be a string, number or boolean".into(),
                        help: Some("extra params are passed as environment variables".into()),
                    }),
                }
            } else {
                let names = self.params.iter().map(|p| p.name);
                let help = match closest(k, names) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "accepted parameters: {}",
                        self.params
                            .iter()
                            .map(|p| p.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                issues.push(ParamIssue {
                    param: k.clone(),
                    message: format!("unknown parameter `{k}`"),
                    help: Some(help),
                });
            }
        }
        if issues.is_empty() {
            Ok(out.into_iter().collect())
        } else {
            Err(issues)
        }
    }
}

fn canonical_scalar(v: &Value) -> Option<Value> {
    match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(v.clone()),
        Value::Number(n) => n.as_f64().map(float),
        Value::String(_) | Value::Bool(_) => Some(v.clone()),
        _ => None,
    }
}

fn float(f: f64) -> Value {
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn coerce(ty: &ParamType, v: &Value) -> Result<Value, String> {
    let wrong = || Err(format!("expected {}, found {}", ty.describe(), v));
    match ty {
        ParamType::Int => match v.as_i64() {
            Some(i) => Ok(Value::from(i)),
            None => match v.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Value::from(f as i64)),
                _ => wrong(),
            },
        },
        ParamType::Float => match v.as_f64() {
            Some(f) if f.is_finite() => Ok(float(f)),
            _ => wrong(),
        },
        ParamType::Bool => v.as_bool().map(Value::Bool).map_or_else(wrong, Ok),
        ParamType::String => v
            .as_str()
            .map(|s| Value::String(s.into()))
            .map_or_else(wrong, Ok),
        ParamType::Choice(choices) => match v.as_str() {
            Some(s) if choices.contains(&s) => Ok(v.clone()),
            Some(s) => Err(match closest(s, choices.iter().copied()) {
                Some(c) => format!("`{s}` is not {}; did you mean `{c}`?", ty.describe()),
                None => format!("`{s}` is not {}", ty.describe()),
            }),
            None => wrong(),
        },
        ParamType::StringList => match v.as_array() {
            Some(items) => items
                .iter()
                .map(|i| match i {
                    Value::String(_) => Ok(i.clone()),
                    // `[echo, 1]` is natural to write; pass numbers and bools as text.
                    Value::Number(_) | Value::Bool(_) => Ok(Value::String(i.to_string())),
                    _ => Err(format!("expected a list of strings, found item {i}")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            None => wrong(),
        },
        ParamType::IntList | ParamType::FloatList => {
            let item_ty = if matches!(ty, ParamType::IntList) {
                ParamType::Int
            } else {
                ParamType::Float
            };
            match v.as_array() {
                Some(items) => items
                    .iter()
                    .map(|i| coerce(&item_ty, i).map_err(|e| format!("in the list: {e}")))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array),
                None => wrong(),
            }
        }
        ParamType::Any => Ok(v.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn require_at_least_reports_every_param_below_its_minimum() {
        let p: JsonMap =
            serde_json::from_value(json!({"a": 0, "b": 5, "c": 1, "d": null})).unwrap();
        assert!(
            require_at_least(&p, &[("b", 2), ("d", 1)]).is_ok(),
            "unset params pass"
        );
        let issues = require_at_least(&p, &[("a", 1), ("b", 2), ("c", 2)]).unwrap_err();
        let names: Vec<&str> = issues.iter().map(|i| i.param.as_str()).collect();
        assert_eq!(names, ["a", "c"]);
        assert_eq!(issues[1].message, "`c` must be at least 2");
    }

    fn schema() -> ParamSchema {
        ParamSchema {
            params: vec![
                ParamSpec {
                    name: "lr",
                    ty: ParamType::Float,
                    default: Some(json!(0.001)),
                    doc: "",
                },
                ParamSpec {
                    name: "steps",
                    ty: ParamType::Int,
                    default: None,
                    doc: "",
                },
                ParamSpec {
                    name: "mode",
                    ty: ParamType::Choice(&["fast", "slow"]),
                    default: Some(json!("fast")),
                    doc: "",
                },
            ],
            open: false,
        }
    }

    fn map(v: Value) -> JsonMap {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn fills_defaults_and_canonicalises_numbers() {
        let a = schema().resolve(&map(json!({"steps": 10}))).unwrap();
        let b = schema()
            .resolve(&map(json!({"lr": 1e-3, "steps": 10.0, "mode": "fast"})))
            .unwrap();
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"lr":0.001,"mode":"fast","steps":10}"#
        );
    }

    #[test]
    fn reports_unknown_missing_and_wrong() {
        let issues = schema()
            .resolve(&map(json!({"lrr": 1, "mode": "fsat"})))
            .unwrap_err();
        let text: Vec<String> = issues
            .iter()
            .map(|i| format!("{} {:?}", i.message, i.help))
            .collect();
        assert!(
            text.iter()
                .any(|t| t.contains("missing required parameter `steps`")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.contains("did you mean `fast`")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("unknown parameter `lrr`") && t.contains("did you mean `lr`")),
            "{text:?}"
        );
    }
}
