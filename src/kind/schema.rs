//! The schema of a kind's params, drawn from its params struct by schemars:
//! what validation messages, did-you-mean suggestions and `docs/kinds.md`
//! show, so none of them can disagree with what the kind reads.

use serde_json::Value;

use super::params::{resolve, JsonMap, ParamIssue, Params};

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
    pub(crate) fn describe(&self) -> String {
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
