//! Sweep coordinates: the matrix values that identify an instance.

use indexmap::IndexMap;
use serde_json::Value;

/// Ordered axis → value (inherited axes first, then the stage's own).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Coords(pub IndexMap<String, Value>);

impl Coords {
    /// True when both agree on every axis they share (the join condition of
    /// `needs` and `gather`).
    pub(crate) fn compatible(&self, other: &Coords) -> bool {
        self.0
            .iter()
            .all(|(k, v)| other.0.get(k).is_none_or(|w| w == v))
    }

    /// `self` extended with `other`'s axes it lacks.
    pub(crate) fn merged(&self, other: &Coords) -> Coords {
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

    /// The label as one file name, for the directory a gathering stage sees
    /// this instance under: `/` (path syntax), NUL (which no path may hold)
    /// and `%` (the escape itself) become `%2F`, `%00` and `%25`, so that no
    /// matrix value can name a place outside that directory and different
    /// labels stay different names. Labels without those characters are
    /// unchanged. (A label is never `.` or `..`: it is `_` or has a `=`.)
    pub(crate) fn dir_name(&self) -> String {
        let label = self.label();
        if !label.contains(['/', '%', '\0']) {
            return label;
        }
        let mut out = String::with_capacity(label.len() + 8);
        for c in label.chars() {
            match c {
                '/' => out.push_str("%2F"),
                '%' => out.push_str("%25"),
                '\0' => out.push_str("%00"),
                c => out.push(c),
            }
        }
        out
    }

    /// The inverse of [`Coords::dir_name`]: what a gathering stage reads
    /// back from its input directory names.
    pub(crate) fn from_dir_name(name: &str) -> Coords {
        if !name.contains('%') {
            return Coords::parse_label(name);
        }
        let mut out = String::with_capacity(name.len());
        let mut rest = name;
        while let Some(i) = rest.find('%') {
            out.push_str(&rest[..i]);
            let code = rest.get(i + 1..i + 3);
            match code {
                Some("2F") => out.push('/'),
                Some("25") => out.push('%'),
                Some("00") => out.push('\0'),
                _ => {
                    out.push('%');
                    rest = &rest[i + 1..];
                    continue;
                }
            }
            rest = &rest[i + 3..];
        }
        out.push_str(rest);
        Coords::parse_label(&out)
    }

    /// `stage[i=1,mode=a]`, or just `stage`.
    pub(crate) fn instance_name(&self, stage: &str) -> String {
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

    #[test]
    fn dir_names_hold_no_path_syntax_and_invert() {
        let c = |v: &str| Coords([("v".to_string(), json!(v))].into_iter().collect());
        for v in ["plain", "../../x", "a/b", "%2F", "100%", "a\0b", "/"] {
            let name = c(v).dir_name();
            assert!(!name.contains('/') && !name.contains('\0'), "{name}");
            assert_eq!(Coords::from_dir_name(&name), c(v), "{v}");
        }
        assert_eq!(c("plain").dir_name(), "v=plain");
        assert_ne!(c("%2F").dir_name(), c("/").dir_name());
    }

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
