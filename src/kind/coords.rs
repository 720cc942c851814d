//! Sweep coordinates: the matrix values that identify an instance.

use indexmap::IndexMap;
use serde_json::Value;

/// Ordered axis → value (inherited axes first, then the stage's own).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Coords(pub IndexMap<String, Value>);

impl Coords {
    /// True when both agree on every axis they share (the join condition of
    /// `needs` and `gather`).
    pub fn compatible(&self, other: &Coords) -> bool {
        self.0
            .iter()
            .all(|(k, v)| other.0.get(k).is_none_or(|w| w == v))
    }

    /// `self` extended with `other`'s axes it lacks.
    pub fn merged(&self, other: &Coords) -> Coords {
        let mut out = self.clone();
        for (k, v) in &other.0 {
            out.0.entry(k.clone()).or_insert_with(|| v.clone());
        }
        out
    }

    /// `i=1,mode=a`; `_` for an instance without coordinates. Used in
    /// instance names and as directory names for gathered inputs.
    pub fn label(&self) -> String {
        if self.0.is_empty() {
            return "_".into();
        }
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={}", display(v)))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The inverse of [`Coords::label`]: `i=1,mode=a` → `{i: 1, mode: "a"}`
    /// (values that read as JSON numbers or booleans become those; the rest
    /// stay text). Gathering stages use it on their input directory names.
    pub fn parse_label(label: &str) -> Coords {
        let mut out = IndexMap::new();
        if label == "_" || label.is_empty() {
            return Coords(out);
        }
        for part in label.split(',') {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let value = match serde_json::from_str::<Value>(v) {
                Ok(x @ (Value::Number(_) | Value::Bool(_))) => x,
                _ => Value::String(v.to_string()),
            };
            out.insert(k.to_string(), value);
        }
        Coords(out)
    }

    /// `stage[i=1,mode=a]`, or just `stage`.
    pub fn instance_name(&self, stage: &str) -> String {
        if self.0.is_empty() {
            stage.to_string()
        } else {
            format!("{stage}[{}]", self.label())
        }
    }
}

/// A scalar as a person writes it: text without quotes.
pub fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parse_label_inverts_label() {
        let mut m = indexmap::IndexMap::new();
        m.insert("task".to_string(), serde_json::json!("parity"));
        m.insert("layers".to_string(), serde_json::json!(2));
        m.insert("neg".to_string(), serde_json::json!(true));
        m.insert("lr".to_string(), serde_json::json!(0.5));
        let c = super::Coords(m);
        assert_eq!(super::Coords::parse_label(&c.label()), c);
        assert!(super::Coords::parse_label("_").0.is_empty());
    }

    use super::*;
    use serde_json::json;

    fn c(pairs: &[(&str, Value)]) -> Coords {
        Coords(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn names_and_joins() {
        let a = c(&[("i", json!(1)), ("mode", json!("a"))]);
        assert_eq!(a.instance_name("make"), "make[i=1,mode=a]");
        assert_eq!(Coords::default().instance_name("s"), "s");
        assert!(a.compatible(&c(&[("i", json!(1)), ("lr", json!(0.1))])));
        assert!(!a.compatible(&c(&[("i", json!(2))])));
        assert_eq!(
            a.merged(&c(&[("lr", json!(0.1))])).label(),
            "i=1,mode=a,lr=0.1"
        );
    }
}
