//! `command`: run a program (an argv, no shell unless the user writes one).
//!
//! The process sees its params as `SEQLAB_PARAM_<NAME>`, each upstream's
//! outputs (read-only) at `SEQLAB_IN_<STAGE>`, and writes to `SEQLAB_OUT`.
//! Params are never spliced into the command line, so a value can never turn
//! into shell syntax.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::process::{Command, Stdio};

use anyhow::{bail, Context};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kind::{JsonMap, ParamIssue, ParamSchema, Params, RunContext, Scalar, StageKind};

/// Run a program in the pipeline's directory, with its outputs directory in
/// `SEQLAB_OUT`, each input's directory in `SEQLAB_IN_<STAGE>` and every
/// other param in `SEQLAB_PARAM_<NAME>`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub(crate) struct CommandParams {
    /// the program and its arguments, e.g. [python3, train.py]
    pub cmd: Vec<String>,
    /// Undeclared params: environment variables.
    #[serde(flatten)]
    pub env: BTreeMap<String, Scalar>,
}

impl Params for CommandParams {}

pub struct CommandKind {
    schema: ParamSchema,
}

impl CommandKind {
    pub fn new() -> Self {
        CommandKind {
            schema: ParamSchema::of::<CommandParams>(),
        }
    }
}

impl Default for CommandKind {
    fn default() -> Self {
        Self::new()
    }
}

pub(crate) fn env_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Params reach the program as environment variables: two names that map to
/// one variable would silently drop one, and a NUL byte cannot be passed at
/// all. Both are refused here, naming the param.
fn check_environment(params: &JsonMap) -> Result<(), Vec<ParamIssue>> {
    use serde_json::Value;
    fn has_nul(v: &Value) -> bool {
        match v {
            Value::String(s) => s.contains('\0'),
            Value::Array(a) => a.iter().any(has_nul),
            Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
            _ => false,
        }
    }
    let mut issues = Vec::new();
    let mut seen: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    for (k, v) in params {
        if k.contains('\0') || has_nul(v) {
            issues.push(ParamIssue {
                param: k.clone(),
                message: format!(
                    "`{}` holds a NUL byte, which cannot be passed to a program",
                    k.replace('\0', "\\0")
                ),
                help: Some("remove the NUL byte (`\\0`)".into()),
            });
        }
        if k == "cmd" {
            continue;
        }
        let var = format!("SEQLAB_PARAM_{}", env_name(k));
        if let Some(other) = seen.insert(var.clone(), k) {
            issues.push(ParamIssue {
                param: k.clone(),
                message: format!("`{other}` and `{k}` both become the variable {var}"),
                help: Some("rename one of them (`-` and `_` read the same)".into()),
            });
        }
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(issues)
    }
}

impl StageKind for CommandKind {
    fn name(&self) -> &'static str {
        "command"
    }

    fn version(&self) -> u32 {
        1
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn resolve_params(&self, raw: &JsonMap) -> Result<JsonMap, Vec<ParamIssue>> {
        let resolved = self.schema.resolve(raw)?;
        check_environment(&resolved)?;
        Ok(resolved)
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p: CommandParams = ctx.params()?;
        let argv = p.cmd;
        let Some((program, args)) = argv.split_first() else {
            bail!("`cmd` is empty: give the program and its arguments");
        };
        let log_path = ctx.scratch_dir.join("command.log");
        let log = File::create(&log_path).context("creating the command log")?;
        let mut command = Command::new(program);
        command
            .args(args)
            .current_dir(ctx.workspace)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .env("SEQLAB_OUT", ctx.out_dir)
            .env("SEQLAB_INSTANCE", ctx.instance);
        for (k, v) in &p.env {
            command.env(format!("SEQLAB_PARAM_{}", env_name(k)), v.text());
        }
        for input in ctx.inputs {
            command.env(format!("SEQLAB_IN_{}", env_name(&input.stage)), &input.path);
        }
        let status = command
            .status()
            .with_context(|| format!("cannot start `{program}` (is it installed and on PATH?)"))?;
        if !status.success() {
            bail!(
                "`{}` failed ({status}); last output:\n{}",
                argv.join(" "),
                tail(&log_path, 2000)
            );
        }
        Ok(())
    }
}

/// The last `n` bytes of a file, for error messages.
fn tail(path: &std::path::Path, n: u64) -> String {
    let mut text = String::new();
    if let Ok(mut f) = File::open(path) {
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = f.seek(SeekFrom::Start(len.saturating_sub(n)));
        let mut bytes = Vec::new();
        let _ = f.read_to_end(&mut bytes);
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    if text.trim().is_empty() {
        "(no output)".into()
    } else {
        text
    }
}
