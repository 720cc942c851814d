//! What several kinds share: the trained model among the inputs, and the
//! model a data set needs.

use std::path::Path;

use anyhow::Context;

use crate::kind::{RunContext, TaskInfo};
use crate::models::{DataShape, Model, ModelConfig, ModelShape};
use crate::train::{backend, load_checkpoint};

/// The model `shape` describes, sized for the data set `task`.
pub fn model_config(shape: &ModelShape, task: &TaskInfo) -> ModelConfig {
    ModelConfig::for_data(
        shape,
        &DataShape {
            vocab: task.vocab(),
            n_classes: task.n_states(),
            length: task.length(),
            fixed_window: task.fixed_window(),
        },
    )
}

/// A `model.json` a `train` stage wrote.
pub(crate) fn read_model_config(dir: &Path) -> anyhow::Result<ModelConfig> {
    let path = dir.join("model.json");
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a model config", path.display()))
}

/// The `train` output among the inputs: its model config and the model,
/// loaded for inference on the run's backend.
pub(crate) fn trained_model(ctx: &RunContext<'_>) -> anyhow::Result<(ModelConfig, Model)> {
    let model_dir = ctx
        .inputs
        .iter()
        .find(|i| !i.gathered && i.path.join("model.safetensors").is_file())
        .map(|i| i.path.as_path())
        .context(
            "this stage needs a `train` stage among its `needs` (no input has a model.safetensors)",
        )?;
    let config = read_model_config(model_dir)?;
    let device = backend::device(ctx.settings.backend)?;
    let model = load_checkpoint(&config, &model_dir.join("model.safetensors"), &device)?;
    Ok((config, model))
}
