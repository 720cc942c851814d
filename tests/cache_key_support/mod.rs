//! Fixtures for tests/cache_key.rs: a tiny stage kind, plans, keys and runs.

use std::path::Path;
use std::sync::Arc;

use seqlab::cache::key::{canonical_json, InputArtifact, InputBinding, KeyComponents, KEY_FORMAT};
use seqlab::cache::Cache;
use seqlab::exec::resolve::Resolver;
use seqlab::exec::{run_plan, Outcome, RunOptions};
use seqlab::kind::{ParamSchema, Params, Registry, RunContext, Setting, Settings, StageKind};
use seqlab::plan::Plan;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

// ---------------------------------------------------------------- helpers

fn d_lr() -> f64 {
    0.001
}

/// A tiny stage kind: one float param `lr` (default 0.001); writes its params.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct TinyParams {
    /// learning rate
    #[serde(default = "d_lr")]
    lr: f64,
}

impl Params for TinyParams {}

struct Tiny {
    name: &'static str,
    version: u32,
    settings: Vec<Setting>,
    schema: ParamSchema,
}

pub fn tiny(name: &'static str, version: u32, settings: &[Setting]) -> Arc<dyn StageKind> {
    Arc::new(Tiny {
        name,
        version,
        settings: settings.to_vec(),
        schema: ParamSchema::of::<TinyParams>(),
    })
}

impl StageKind for Tiny {
    fn name(&self) -> &'static str {
        self.name
    }
    fn version(&self) -> u32 {
        self.version
    }
    fn schema(&self) -> &ParamSchema {
        &self.schema
    }
    fn settings(&self) -> &[Setting] {
        &self.settings
    }
    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let text = canonical_json(&Value::Object(ctx.params.clone()));
        std::fs::write(ctx.out_dir.join("params.json"), text)?;
        Ok(())
    }
}

pub fn registry(kinds: Vec<Arc<dyn StageKind>>) -> Registry {
    let mut r = seqlab::stages::builtin_registry();
    for k in kinds {
        r.add(k);
    }
    r
}

pub fn plan(dir: &Path, yaml: &str, reg: &Registry) -> Plan {
    let p = seqlab::spec::load_str(yaml, &dir.join("p.yaml")).expect("parses");
    seqlab::spec::validate::validate(&p, reg).expect("valid");
    seqlab::plan::expand(&p, reg).expect("expands")
}

/// Keys of the plan's instances that have no inputs.
pub fn root_keys(cache: &Cache, plan: &Plan, settings: &Settings) -> Vec<String> {
    let index = cache.index().unwrap();
    let trees = vec![None; plan.instances.len()];
    let mut r = Resolver::new(plan, settings);
    (0..plan.instances.len())
        .map(|i| {
            r.components(&index, i, &trees)
                .unwrap()
                .expect("a root instance has its components")
                .key()
        })
        .collect()
}

pub fn single(kind: &str, params: &str) -> String {
    format!("name: t\nstages:\n  s:\n    kind: {kind}\n    params: {params}\n")
}

pub fn run(cache: &Cache, plan: &Plan, settings: &Settings, dry_run: bool) -> Vec<Outcome> {
    let opts = RunOptions {
        jobs: 1,
        dry_run,
        settings: settings.clone(),
        ..RunOptions::default()
    };
    run_plan(cache, plan, &opts).unwrap().outcomes
}

pub fn components() -> KeyComponents {
    KeyComponents {
        format: KEY_FORMAT,
        kind: "command".into(),
        kind_version: 1,
        params: json!({"cmd": ["true"], "lr": 0.001})
            .as_object()
            .unwrap()
            .clone(),
        inputs: vec![InputBinding {
            gathered: false,
            artifacts: vec![InputArtifact {
                label: "i=1".into(),
                tree: "ab".repeat(32),
            }],
        }],
        deps: [("tool.sh".to_string(), "cd".repeat(32))].into(),
        settings: Default::default(),
    }
}

/// A two-stage pipeline where `b` reads `a`'s output `x`.
pub const CHAIN: &str = r#"name: chain
stages:
  a:
    kind: command
    params: {cmd: [sh, -c, 'echo $SEQLAB_PARAM_V > $SEQLAB_OUT/x'], v: 1}
  b:
    kind: command
    needs: [a]
    params: {cmd: [sh, -c, 'cat $SEQLAB_IN_A/x > $SEQLAB_OUT/y']}
"#;
