//! The tensor backend chosen by `--backend` (part of training stages' keys:
//! different backends give different bits).

use burn::tensor::Device;

use crate::kind::Backend;

/// The device for a backend.
pub fn device(backend: Backend) -> anyhow::Result<Device> {
    match backend {
        Backend::Flex => Ok(Device::flex()),
        #[cfg(feature = "cuda")]
        Backend::Cuda => Ok(Device::cuda(0)),
        #[cfg(not(feature = "cuda"))]
        Backend::Cuda => anyhow::bail!(
            "this seqlab was built without CUDA: rebuild with `cargo build --release --features cuda`"
        ),
    }
}
