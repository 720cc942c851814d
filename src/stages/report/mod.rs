//! `report`: gather a study's cached results (train, evaluate,
//! length_generalize, timing, explain, automaton instances) into one
//! self-contained HTML page (`index.html`, figures as inline SVG) and
//! `report.md`, answering the study's questions (science.md §3).
//!
//! The page is published to `reports/<pipeline>/` (param `dir`) at the end of
//! every run, cached or not, as copies (editing them never touches the cache).
//! Changing only the report's params re-renders it from cached results.
//!
//! The provenance appendix shows upstream durations and the page its
//! generation time, so two renderings differ in those bits: `verify --rerun`
//! reports the report as differing, by design.

mod input;
mod real_data;

use std::path::PathBuf;

use serde_json::json;

use super::{JsonMap, ParamSchema, ParamSpec, ParamType, RunContext, Setting, StageKind};
pub use input::build_input;

pub struct ReportKind {
    schema: ParamSchema,
}

const DEFAULT_INTRO: &str = "Liu et al. (2023) showed that shallow Transformers learn \
\"shortcuts\" to automata: instead of stepping a state through time like a recurrent \
network, they compute it in parallel with a depth that grows with the group's complexity. \
This page compares Transformers of several depths with LSTMs, MLPs and a diagonal linear RNN \
on those automata: accuracy by depth, behaviour past the training length and under shifted \
inputs, cost as sequences grow, and what each model looks at. Every number below was \
measured by this pipeline; the paper's numbers are shown beside ours for reference.";

impl ReportKind {
    pub fn new() -> Self {
        let p = ParamSpec::optional;
        ReportKind {
            schema: ParamSchema {
                params: vec![
                    p("title", ParamType::String, json!("How do Transformers implement recurrence?"), "page title"),
                    p("intro", ParamType::String, json!(DEFAULT_INTRO), "opening paragraph"),
                    p("notes", ParamType::StringList, json!([]), "caveats listed before the appendix"),
                    p("dir", ParamType::String, json!("reports/{pipeline}"), "where the page is published, relative to the working directory like the cache ({pipeline} = the pipeline's name)"),
                    p("explain_examples", ParamType::Int, json!(4), "example rows shown per explanation heatmap"),
                ],
                open: false,
            },
        }
    }
}

impl Default for ReportKind {
    fn default() -> Self {
        Self::new()
    }
}

/// Where the report of `params` is published, relative to the working directory.
pub fn publish_dir(params: &JsonMap, pipeline: &str) -> PathBuf {
    PathBuf::from(
        params["dir"]
            .as_str()
            .unwrap_or("reports/{pipeline}")
            .replace("{pipeline}", pipeline),
    )
}

impl StageKind for ReportKind {
    fn name(&self) -> &'static str {
        "report"
    }

    fn version(&self) -> u32 {
        4
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn settings(&self) -> &[Setting] {
        &[Setting::Backend]
    }

    fn wants_provenance(&self) -> bool {
        true
    }

    fn publish_dir(&self, params: &JsonMap, pipeline: &str) -> Option<PathBuf> {
        Some(publish_dir(params, pipeline))
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let input = build_input(ctx)?;
        std::fs::write(
            ctx.out_dir.join("report_input.json"),
            serde_json::to_vec_pretty(&input)?,
        )?;
        let rendered = crate::report::write(&input, ctx.out_dir)?;
        tracing::info!("{}: {} figures", ctx.instance, rendered.figures.len());
        Ok(())
    }
}
