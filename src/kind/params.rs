//! A kind's params: one struct per kind, read from the pipeline's raw map into
//! the canonical JSON the cache key hashes, and back into the struct at run
//! time.
//!
//! The struct's derives are the whole declaration: serde (names, defaults,
//! `deny_unknown_fields`), schemars (each field's doc comment is its
//! description; `#[schemars(range(min = …))]` its bounds) and [`Params`]
//! (checks across fields, params that do not apply). The schema drawn from it
//! ([`ParamSchema`]) drives validation messages, did-you-mean suggestions and
//! `docs/kinds.md`, so none of them can disagree with what a kind reads.
//!
//! Canonical means: every declared param present (defaults filled in), floats
//! as f64 (`1e-3`, `0.001` and `1.0e-3` are one number, printed one way; a
//! float param given as `1` is `1.0`), integers as integers, params that do
//! not apply null, keys sorted.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::schema::{ParamField, ParamSchema, ParamType};
use super::suggest::closest;

pub type JsonMap = serde_json::Map<String, Value>;

/// A problem with one parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamIssue {
    /// The parameter's name (the first key under `params:`).
    pub param: String,
    pub message: String,
    pub help: Option<String>,
}

impl ParamIssue {
    pub fn new(param: &str, message: impl Into<String>) -> ParamIssue {
        ParamIssue {
            param: param.into(),
            message: message.into(),
            help: None,
        }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> ParamIssue {
        self.help = Some(help.into());
        self
    }
}

/// What a kind's params struct adds to its derives.
pub trait Params: Serialize + DeserializeOwned + JsonSchema + Sized + 'static {
    /// Checks across fields, and values derived from others (a default that
    /// depends on another param). Bounds of single fields are declared on
    /// the field instead, where the schema (and so the docs) shows them.
    fn check(&mut self) -> Result<(), Vec<ParamIssue>> {
        Ok(())
    }

    /// Params that do not apply given the others (another model family's,
    /// say): null in the canonical form, so they do not split the cache key.
    /// Read back, a null is the field's default.
    fn unused(&self) -> Vec<&'static str> {
        Vec::new()
    }
}

/// Each listed param must lie strictly between 0 and 1 (a share of the data,
/// like `train_fraction`, that must leave something on both sides).
pub fn require_fraction(pairs: &[(&str, f64)]) -> Result<(), Vec<ParamIssue>> {
    let issues: Vec<ParamIssue> = pairs
        .iter()
        .filter(|(_, f)| !(*f > 0.0 && *f < 1.0))
        .map(|(k, _)| ParamIssue::new(k, format!("`{k}` must lie in (0, 1)")))
        .collect();
    if issues.is_empty() {
        Ok(())
    } else {
        Err(issues)
    }
}

/// Reads canonical params (or any params a kind resolved) into `P`; a null
/// is the field's default (see [`Params::unused`]).
pub fn read_params<P: Params>(params: &JsonMap) -> anyhow::Result<P> {
    let set: JsonMap = params
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    serde_path_to_error::deserialize(Value::Object(set)).map_err(|e| {
        anyhow::anyhow!(
            "params do not fit the kind's params struct (field `{}`): {}",
            e.path(),
            e.inner()
        )
    })
}

pub(super) fn resolve<P: Params>(
    schema: &ParamSchema,
    raw: &JsonMap,
) -> Result<JsonMap, Vec<ParamIssue>> {
    let mut issues = Vec::new();
    let mut given = JsonMap::new();
    for field in &schema.fields {
        match raw.get(&field.name) {
            Some(v) => match coerce(field, v) {
                Ok(v) => {
                    given.insert(field.name.clone(), v);
                }
                Err(m) => issues.push(
                    ParamIssue::new(&field.name, m)
                        .with_help(format!("`{}`: {}", field.name, field.doc)),
                ),
            },
            None if field.default.is_none() => issues.push(
                ParamIssue::new(
                    &field.name,
                    format!("missing required parameter `{}`", field.name),
                )
                .with_help(format!(
                    "`{}` is {}: {}",
                    field.name,
                    field.ty.describe(),
                    field.doc
                )),
            ),
            None => {}
        }
    }
    for (k, v) in raw {
        if schema.field(k).is_some() {
            continue;
        }
        if schema.open {
            match canonical_scalar(v) {
                Some(v) => {
                    given.insert(k.clone(), v);
                }
                None => issues.push(
                    ParamIssue::new(k, "must be a string, number or boolean")
                        .with_help("extra params are passed as environment variables"),
                ),
            }
        } else {
            let names = schema.fields.iter().map(|f| f.name.as_str());
            let help = match closest(k, names) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "accepted parameters: {}",
                    schema
                        .fields
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            issues.push(ParamIssue::new(k, format!("unknown parameter `{k}`")).with_help(help));
        }
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    let mut params: P = serde_path_to_error::deserialize(Value::Object(given)).map_err(|e| {
        let path = e.path().to_string();
        let param = path.split(['.', '[']).next().unwrap_or_default();
        let issue = ParamIssue::new(param, e.inner().to_string());
        vec![match schema.field(param) {
            Some(f) => issue.with_help(format!("`{}`: {}", f.name, f.doc)),
            None => issue,
        }]
    })?;
    params.check()?;
    let mut out = match serde_json::to_value(&params) {
        Ok(Value::Object(m)) => m,
        other => {
            return Err(vec![ParamIssue::new(
                "",
                format!("internal error: params serialise to {other:?}, not a map"),
            )])
        }
    };
    for name in params.unused() {
        // A name the struct lacks is a bug of the kind, not of the pipeline,
        // but it must not hash params that silently still apply.
        match out.get_mut(name) {
            Some(v) => *v = Value::Null,
            None => {
                return Err(vec![ParamIssue::new(
                    name,
                    format!("internal error: `{name}` is not a parameter of this kind"),
                )])
            }
        }
    }
    let sorted: BTreeMap<String, Value> = out.into_iter().collect();
    Ok(sorted.into_iter().collect())
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

/// A given value as its declared type: an integer written `10.0` is 10, a
/// float written `1` is 1.0, a number or boolean in a string list is its text.
fn coerce(field: &ParamField, v: &Value) -> Result<Value, String> {
    if v.is_null() && field.nullable {
        return Ok(Value::Null);
    }
    let v = coerce_type(&field.ty, v)?;
    let name = &field.name;
    if let Some(x) = v.as_f64() {
        if let Some(min) = field.minimum.filter(|m| x < *m) {
            return Err(format!("`{name}` must be at least {min}"));
        }
        if let Some(max) = field.maximum.filter(|m| x > *m) {
            return Err(format!("`{name}` must be at most {max}"));
        }
    }
    Ok(v)
}

fn coerce_type(ty: &ParamType, v: &Value) -> Result<Value, String> {
    let wrong = || Err(format!("expected {}, found {}", ty.describe(), v));
    match ty {
        ParamType::Int => match v.as_i64() {
            Some(i) => Ok(Value::from(i)),
            None => match (v.as_u64(), v.as_f64()) {
                (Some(u), _) => Ok(Value::from(u)),
                (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                    Ok(Value::from(f as i64))
                }
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
            Some(s) if choices.iter().any(|c| c == s) => Ok(v.clone()),
            Some(s) => Err(match closest(s, choices.iter().map(String::as_str)) {
                Some(c) => format!("`{s}` is not {}; did you mean `{c}`?", ty.describe()),
                None => format!("`{s}` is not {}", ty.describe()),
            }),
            None => wrong(),
        },
        ParamType::List(item) => match v.as_array() {
            Some(items) => items
                .iter()
                .map(|i| match (&**item, i) {
                    (ParamType::String, Value::String(_)) => Ok(i.clone()),
                    // `[echo, 1]` is natural to write; pass numbers and bools as text.
                    (ParamType::String, Value::Number(_) | Value::Bool(_)) => {
                        Ok(Value::String(i.to_string()))
                    }
                    (ParamType::String, _) => {
                        Err(format!("expected a list of strings, found item {i}"))
                    }
                    (ty, _) => coerce_type(ty, i).map_err(|e| format!("in the list: {e}")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            None => wrong(),
        },
        ParamType::Any => Ok(v.clone()),
    }
}

#[cfg(test)]
#[path = "params_tests.rs"]
mod tests;
