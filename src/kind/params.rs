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
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

    pub fn with_help(mut self, help: impl Into<String>) -> ParamIssue {
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

/// The type of one param as its schema declares it.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamType {
    Int,
    Float,
    Bool,
    String,
    /// One of the listed strings.
    Choice(Vec<String>),
    List(Box<ParamType>),
    /// Any JSON; the kind reads it into its own type.
    Any,
}

impl ParamType {
    /// "an integer", "one of a, b", ...: how messages and the docs name it.
    pub fn describe(&self) -> String {
        match self {
            ParamType::Int => "an integer".into(),
            ParamType::Float => "a number".into(),
            ParamType::Bool => "true or false".into(),
            ParamType::String => "a string".into(),
            ParamType::Choice(c) => format!("one of {}", c.join(", ")),
            ParamType::List(item) => match &**item {
                ParamType::Int => "a list of integers".into(),
                ParamType::Float => "a list of numbers".into(),
                ParamType::String => "a list of strings".into(),
                other => format!("a list, each {}", other.describe()),
            },
            ParamType::Any => "any value".into(),
        }
    }

    /// The type of a schemars property; nullable is `Option<…>`.
    fn from_schema(s: &Value) -> (ParamType, bool) {
        // `Option<Enum>` and documented enum variants come as alternatives.
        for key in ["anyOf", "oneOf"] {
            if let Some(alts) = s.get(key).and_then(Value::as_array) {
                let null = |a: &Value| a.get("type") == Some(&Value::from("null"));
                let nullable = alts.iter().any(null);
                let rest: Vec<&Value> = alts.iter().filter(|a| !null(a)).collect();
                let consts: Option<Vec<String>> = rest
                    .iter()
                    .map(|a| a.get("const").and_then(Value::as_str).map(String::from))
                    .collect();
                return match (consts, rest.as_slice()) {
                    (Some(c), _) if !c.is_empty() => (ParamType::Choice(c), nullable),
                    (_, [one]) => (ParamType::from_schema(one).0, nullable),
                    _ => (ParamType::Any, nullable),
                };
            }
        }
        let types: Vec<&str> = match s.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let nullable = types.contains(&"null");
        let ty = match types.iter().find(|t| **t != "null") {
            Some(&"integer") => ParamType::Int,
            Some(&"number") => ParamType::Float,
            Some(&"boolean") => ParamType::Bool,
            Some(&"string") => match s.get("enum").and_then(Value::as_array) {
                Some(e) => ParamType::Choice(
                    e.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect(),
                ),
                None => ParamType::String,
            },
            Some(&"array") => ParamType::List(Box::new(
                s.get("items")
                    .map(|i| ParamType::from_schema(i).0)
                    .unwrap_or(ParamType::Any),
            )),
            _ => ParamType::Any,
        };
        (ty, nullable)
    }
}

/// One declared param.
#[derive(Debug, Clone)]
pub struct ParamField {
    pub name: String,
    pub ty: ParamType,
    /// `Option<…>`: null is a value (unset).
    pub nullable: bool,
    /// `None`: the user must give it.
    pub default: Option<Value>,
    /// The field's doc comment.
    pub doc: String,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
}

/// The params a kind accepts, drawn from its params struct.
#[derive(Debug, Clone)]
pub struct ParamSchema {
    /// The struct's doc comment: what the kind does.
    pub doc: String,
    pub fields: Vec<ParamField>,
    /// Undeclared scalar params are accepted as they are (the `command`
    /// kind's environment variables: a `#[serde(flatten)]` map).
    pub open: bool,
    resolve: fn(&ParamSchema, &JsonMap) -> Result<JsonMap, Vec<ParamIssue>>,
}

impl ParamSchema {
    /// The schema of `P`, and its resolution.
    pub fn of<P: Params>() -> ParamSchema {
        let settings =
            schemars::generate::SchemaSettings::default().with(|s| s.inline_subschemas = true);
        let root = serde_json::to_value(
            schemars::SchemaGenerator::new(settings).into_root_schema_for::<P>(),
        )
        .unwrap_or_default();
        let text = |v: &Value, k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let required: Vec<&str> = root
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let fields = root
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, s)| {
                let (ty, nullable) = ParamType::from_schema(s);
                ParamField {
                    name: name.clone(),
                    ty,
                    nullable,
                    default: match s.get("default") {
                        Some(d) => Some(d.clone()),
                        // Optional without a default the schema can show
                        // (`Option<…>`): unset.
                        None if !required.contains(&name.as_str()) => Some(Value::Null),
                        None => None,
                    },
                    doc: text(s, "description"),
                    minimum: s.get("minimum").and_then(Value::as_f64),
                    maximum: s.get("maximum").and_then(Value::as_f64),
                }
            })
            .collect();
        ParamSchema {
            doc: text(&root, "description"),
            fields,
            open: root.get("additionalProperties") != Some(&Value::Bool(false)),
            resolve: resolve::<P>,
        }
    }

    pub fn field(&self, name: &str) -> Option<&ParamField> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Checks `raw` params (from the pipeline file), fills in defaults and
    /// returns the canonical form the cache key hashes.
    pub fn resolve(&self, raw: &JsonMap) -> Result<JsonMap, Vec<ParamIssue>> {
        (self.resolve)(self, raw)
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
            "reading params (field `{}`): {}; the cache may hold params of another seqlab version",
            e.path(),
            e.inner()
        )
    })
}

fn resolve<P: Params>(schema: &ParamSchema, raw: &JsonMap) -> Result<JsonMap, Vec<ParamIssue>> {
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

/// A param kept exactly as written (the cache key hashes it verbatim) and
/// read as `T`: a structured value whose own type may add or drop fields
/// when serialised (the `fetch` kind's `source`).
#[derive(Debug, Clone, PartialEq)]
pub struct Verbatim<T> {
    raw: Value,
    value: T,
}

impl<T> Verbatim<T> {
    pub fn get(&self) -> &T {
        &self.value
    }

    pub fn raw(&self) -> &Value {
        &self.raw
    }
}

impl<T: Default + Serialize> Default for Verbatim<T> {
    fn default() -> Self {
        let value = T::default();
        Verbatim {
            raw: serde_json::to_value(&value).unwrap_or(Value::Null),
            value,
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Verbatim<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(d)?;
        let value = T::deserialize(&raw).map_err(serde::de::Error::custom)?;
        Ok(Verbatim { raw, value })
    }
}

impl<T> Serialize for Verbatim<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(s)
    }
}

impl<T> JsonSchema for Verbatim<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Verbatim".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::Schema::default()
    }
}

/// A string, number or boolean: an open kind's undeclared param.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Scalar(Value);

impl Scalar {
    /// The value as text: a string as it is, others as JSON prints them.
    pub fn text(&self) -> String {
        match &self.0 {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        match v {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(Scalar(v)),
            _ => Err(serde::de::Error::custom(
                "must be a string, number or boolean",
            )),
        }
    }
}

impl JsonSchema for Scalar {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Scalar".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": ["string", "number", "boolean"] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d_lr() -> f64 {
        0.001
    }

    #[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        #[default]
        Fast,
        Slow,
    }

    /// A test kind.
    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Tiny {
        /// peak learning rate
        #[serde(default = "d_lr")]
        lr: f64,
        /// optimizer steps
        #[schemars(range(min = 1))]
        steps: usize,
        /// speed
        #[serde(default)]
        mode: Mode,
        /// only with mode slow
        #[serde(default)]
        slowness: Option<u32>,
        /// words
        #[serde(default)]
        words: Vec<String>,
    }

    impl Params for Tiny {
        fn check(&mut self) -> Result<(), Vec<ParamIssue>> {
            if self.mode == Mode::Slow {
                self.slowness.get_or_insert(self.steps as u32);
            }
            Ok(())
        }

        fn unused(&self) -> Vec<&'static str> {
            match self.mode {
                Mode::Fast => vec!["slowness"],
                Mode::Slow => vec![],
            }
        }
    }

    fn map(v: Value) -> JsonMap {
        v.as_object().unwrap().clone()
    }

    fn text(m: &JsonMap) -> String {
        serde_json::to_string(m).unwrap()
    }

    #[test]
    fn schema_comes_from_the_struct() {
        let s = ParamSchema::of::<Tiny>();
        assert_eq!(s.doc, "A test kind.");
        assert!(!s.open);
        let names: Vec<&str> = s.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["lr", "steps", "mode", "slowness", "words"]);
        let steps = s.field("steps").unwrap();
        assert_eq!(
            (steps.ty.clone(), steps.default.clone(), steps.minimum),
            (ParamType::Int, None, Some(1.0))
        );
        assert_eq!(s.field("lr").unwrap().default, Some(json!(0.001)));
        assert_eq!(
            s.field("mode").unwrap().ty,
            ParamType::Choice(vec!["fast".into(), "slow".into()])
        );
        let slowness = s.field("slowness").unwrap();
        assert!(slowness.nullable && slowness.default == Some(Value::Null));
        assert_eq!(
            s.field("words").unwrap().ty,
            ParamType::List(Box::new(ParamType::String))
        );
    }

    #[test]
    fn fills_defaults_and_canonicalises_numbers() {
        let s = ParamSchema::of::<Tiny>();
        let a = s.resolve(&map(json!({"steps": 10}))).unwrap();
        let b = s
            .resolve(&map(json!({"lr": 1e-3, "steps": 10.0, "mode": "fast"})))
            .unwrap();
        assert_eq!(text(&a), text(&b));
        assert_eq!(
            text(&a),
            r#"{"lr":0.001,"mode":"fast","slowness":null,"steps":10,"words":[]}"#
        );
        let c = s
            .resolve(&map(
                json!({"lr": 1, "steps": 3, "mode": "slow", "words": ["a", 1, true]}),
            ))
            .unwrap();
        assert_eq!(
            text(&c),
            r#"{"lr":1.0,"mode":"slow","slowness":3,"steps":3,"words":["a","1","true"]}"#
        );
        // Read back: the null of an unused param is its default.
        let t: Tiny = read_params(&a).unwrap();
        assert_eq!((t.steps, t.mode, t.slowness), (10, Mode::Fast, None));
    }

    #[test]
    fn reports_unknown_missing_wrong_and_out_of_range() {
        let s = ParamSchema::of::<Tiny>();
        let issues = s
            .resolve(&map(json!({"lrr": 1, "mode": "fsat"})))
            .unwrap_err();
        let text: Vec<String> = issues
            .iter()
            .map(|i| format!("{}: {} {:?}", i.param, i.message, i.help))
            .collect();
        let has = |want: &str| text.iter().any(|t| t.contains(want));
        assert!(has("steps: missing required parameter `steps`"), "{text:?}");
        assert!(has("optimizer steps"), "{text:?}");
        assert!(
            has("mode: `fsat` is not one of fast, slow; did you mean `fast`?"),
            "{text:?}"
        );
        assert!(
            has("lrr: unknown parameter `lrr`") && has("did you mean `lr`"),
            "{text:?}"
        );
        let issues = s.resolve(&map(json!({"steps": 0}))).unwrap_err();
        assert_eq!(issues[0].message, "`steps` must be at least 1");
        let issues = s.resolve(&map(json!({"steps": "ten"}))).unwrap_err();
        assert_eq!(issues[0].message, "expected an integer, found \"ten\"");
        let issues = s.resolve(&map(json!({"steps": 2.5}))).unwrap_err();
        assert_eq!(issues[0].param, "steps");
    }

    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
    struct Open {
        /// the program
        cmd: Vec<String>,
        #[serde(flatten)]
        env: BTreeMap<String, Scalar>,
    }

    impl Params for Open {}

    #[test]
    fn an_open_struct_keeps_undeclared_scalars() {
        let s = ParamSchema::of::<Open>();
        assert!(s.open);
        let r = s
            .resolve(&map(json!({"cmd": ["x"], "b": 1.5e0, "a": 2, "c": "z"})))
            .unwrap();
        assert_eq!(text(&r), r#"{"a":2,"b":1.5,"c":"z","cmd":["x"]}"#);
        let o: Open = read_params(&r).unwrap();
        assert_eq!(o.env["a"].text(), "2");
        let issues = s
            .resolve(&map(json!({"cmd": ["x"], "m": {"y": 1}})))
            .unwrap_err();
        assert_eq!(issues[0].param, "m");
        assert_eq!(issues[0].message, "must be a string, number or boolean");
    }

    #[test]
    fn verbatim_hashes_what_was_written() {
        #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        struct V {
            /// a source
            source: Verbatim<BTreeMap<String, String>>,
        }
        impl Params for V {}
        let s = ParamSchema::of::<V>();
        assert_eq!(s.field("source").unwrap().ty, ParamType::Any);
        let r = s
            .resolve(&map(json!({"source": {"b": "x", "a": "y"}})))
            .unwrap();
        assert_eq!(text(&r), r#"{"source":{"b":"x","a":"y"}}"#);
        let v: V = read_params(&r).unwrap();
        assert_eq!(v.source.get()["a"], "y");
        let issues = s.resolve(&map(json!({"source": {"a": 1}}))).unwrap_err();
        assert_eq!(issues[0].param, "source");
    }
}
