//! Tests of the params resolver.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::*;
use crate::kind::schema::{ParamSchema, ParamType};
use crate::kind::values::{Scalar, Verbatim};

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
