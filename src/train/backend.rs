//! The tensor backend chosen by `--backend` (part of training stages' keys:
//! different backends give different bits).

use burn::tensor::Device;

/// Backends this build can run.
pub fn available() -> &'static [&'static str] {
    if cfg!(feature = "cuda") {
        &["flex", "cuda"]
    } else {
        &["flex"]
    }
}

/// The device for a backend name.
pub fn device(name: &str) -> anyhow::Result<Device> {
    match name {
        "flex" => Ok(Device::flex()),
        #[cfg(feature = "cuda")]
        "cuda" => Ok(Device::cuda(0)),
        #[cfg(not(feature = "cuda"))]
        "cuda" => anyhow::bail!("this seqlab was built without CUDA: rebuild with `cargo build --release --features cuda`"),
        other => anyhow::bail!("unknown backend `{other}`; available: {}", available().join(", ")),
    }
}
