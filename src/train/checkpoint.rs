//! Deterministic safetensors checkpoints.
//!
//! Two runs with the same seed produce bit-identical weights, but burn gives every
//! parameter a random `ParamId`, and safetensors' default metadata has random key order.
//! Before saving we renumber the ids in visiting order (0, 1, 2, ...) and clear the
//! metadata, so identical weights give byte-identical files (content hashes can key caches).

use std::path::Path;

use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::store::{ModuleSnapshot, SafetensorsStore};
use burn::tensor::{Bool, Device, Int, Tensor};

use crate::models::{Model, ModelConfig};

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("safetensors: {0}")]
    Store(String),
    #[error("checkpoint {path} does not match the model: missing {missing:?}, unused {unused:?}, errors {errors}")]
    Mismatch {
        path: String,
        missing: Vec<String>,
        unused: Vec<String>,
        errors: String,
    },
}

/// Renumbers parameter ids in visiting order.
struct Renumber(u64);

impl Renumber {
    fn next(&mut self) -> ParamId {
        let id = ParamId::from(self.0);
        self.0 += 1;
        id
    }
}

impl ModuleMapper for Renumber {
    fn map_float<const D: usize>(&mut self, mut p: Param<Tensor<D>>) -> Param<Tensor<D>> {
        p.id = self.next();
        p
    }
    fn map_int<const D: usize>(&mut self, mut p: Param<Tensor<D, Int>>) -> Param<Tensor<D, Int>> {
        p.id = self.next();
        p
    }
    fn map_bool<const D: usize>(
        &mut self,
        mut p: Param<Tensor<D, Bool>>,
    ) -> Param<Tensor<D, Bool>> {
        p.id = self.next();
        p
    }
}

/// Gives `model`'s parameters deterministic ids (0, 1, ... in visiting order).
///
/// Do this on a copy for saving: an optimizer keyed by the old ids would lose its state.
pub fn renumber_params<M: Module>(model: M) -> M {
    model.map(&mut Renumber(0))
}

/// Saves `model` (any device) to `path` as safetensors, deterministically.
pub fn save_checkpoint(model: &Model, path: &Path) -> Result<(), CheckpointError> {
    let model = renumber_params(model.valid());
    let mut store = SafetensorsStore::from_file(path)
        .clear_metadata()
        .overwrite(true);
    model
        .save_into(&mut store)
        .map_err(|e| CheckpointError::Store(e.to_string()))
}

/// Builds the model from `cfg` on `device` and loads the weights saved at `path`.
/// Fails if any parameter is missing from the file or the file has extra tensors.
pub fn load_checkpoint(
    cfg: &ModelConfig,
    path: &Path,
    device: &Device,
) -> Result<Model, CheckpointError> {
    let mut model = {
        let _turn = crate::models::rng_turn();
        cfg.init(device)
    };
    let mut store = SafetensorsStore::from_file(path);
    let res = model
        .load_from(&mut store)
        .map_err(|e| CheckpointError::Store(e.to_string()))?;
    if !res.missing.is_empty() || !res.unused.is_empty() || !res.errors.is_empty() {
        return Err(CheckpointError::Mismatch {
            path: path.display().to_string(),
            missing: res.missing.into_iter().map(|(p, _)| p).collect(),
            unused: res.unused,
            errors: format!("{:?}", res.errors),
        });
    }
    Ok(model)
}
