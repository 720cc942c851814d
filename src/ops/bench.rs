//! `seqlab bench train`: training steps/s of the reference models (batch 64,
//! T = 32 unless `--seq-len` says otherwise, width 64, 2 layers, AdamW with clipping),
//! the same setup as `bench/pytorch_bench.py`, so both can run side by side on one
//! machine (`bench/compare.sh` alternates them).

use std::fmt::Write;
use std::time::Instant;

use anyhow::Context;

use crate::models::{isa, ModelConfig};
use crate::train::{train, Batch, Batches, SplitMix64, TrainConfig};

const B: usize = 64;
const V: usize = 16;
const WARMUP: usize = 3;

/// Model names the benchmark knows.
pub(crate) const MODELS: &[&str] = &[
    "transformer",
    "lstm",
    "lstm_fused",
    "lstm_fast",
    "lstm_stock",
    "lstm1",
    "gru",
    "linear_rnn",
    "mlp",
];

fn model(name: &str, t: usize) -> anyhow::Result<ModelConfig> {
    let json = match name {
        "transformer" => format!(
            r#"{{"family":"transformer","vocab":{V},"n_classes":{V},"width":64,"depth":2,"heads":4,"pos":"learned","max_len":{t}}}"#
        ),
        "lstm" => {
            format!(r#"{{"family":"lstm","vocab":{V},"n_classes":{V},"width":64,"depth":2}}"#)
        }
        "lstm1" => {
            format!(r#"{{"family":"lstm","vocab":{V},"n_classes":{V},"width":64,"depth":1}}"#)
        }
        "lstm_fused" => format!(
            r#"{{"family":"lstm","vocab":{V},"n_classes":{V},"width":64,"depth":2,"impl":"fused"}}"#
        ),
        "lstm_fast" => format!(
            r#"{{"family":"lstm","vocab":{V},"n_classes":{V},"width":64,"depth":2,"impl":"fast"}}"#
        ),
        "lstm_stock" => format!(
            r#"{{"family":"lstm","vocab":{V},"n_classes":{V},"width":64,"depth":2,"impl":"stock"}}"#
        ),
        "gru" => format!(r#"{{"family":"gru","vocab":{V},"n_classes":{V},"width":64,"depth":2}}"#),
        "linear_rnn" => format!(
            r#"{{"family":"linear_rnn","vocab":{V},"n_classes":{V},"width":64,"depth":2,"negative_eigenvalues":true}}"#
        ),
        "mlp" => {
            format!(r#"{{"family":"mlp","vocab":{V},"n_classes":{V},"max_len":{t},"width":64}}"#)
        }
        other => anyhow::bail!("unknown model `{other}`; choose from {}", MODELS.join(", ")),
    };
    Ok(serde_json::from_str(&json)?)
}

/// What the kernel path means for the products, for the benchmark header.
fn kernel_path_note(path: isa::Isa) -> String {
    let best = isa::detected();
    let how = match path {
        isa::Isa::Avx512 => "products in seqlab's AVX-512 kernel",
        isa::Isa::Avx2 | isa::Isa::Scalar => {
            "products in gemm's AVX2/FMA kernel where the CPU has it"
        }
    };
    if path == best {
        how.to_string()
    } else {
        format!("{how}; set by {}, the CPU has {}", isa::ENV, best.name())
    }
}

/// Time `steps` training steps (after a short warm-up) for each model. The last loss is
/// printed exactly, so two builds or kernel paths can be checked for identical bits.
pub(crate) fn train_speed(steps: usize, t: usize, names: &[String]) -> anyhow::Result<String> {
    anyhow::ensure!(t > 0, "the sequence length must be at least 1");
    let tc: TrainConfig = serde_json::from_str(&format!(
        r#"{{"steps":{},"batch_size":{B},"lr":1e-3,"warmup_steps":0,"grad_clip":1.0,"seed":0}}"#,
        steps + WARMUP
    ))?;
    let isa = isa::from_env().map_err(anyhow::Error::msg)?;
    let cpu = isa::cpu_model().unwrap_or_else(|| "unknown CPU".into());
    let mut out = format!(
        "burn flex, batch {B}, T {t}, width 64, {steps} timed steps after {WARMUP} warm-up\n\
         cpu: {cpu}; seqlab kernels: {} ({})\n",
        isa.name(),
        kernel_path_note(isa),
    );
    for name in names {
        let mc = model(name, t)?;
        let gen = |b: usize, rng: &mut SplitMix64| {
            let inputs: Vec<u32> = (0..b * t).map(|_| rng.below(V) as u32).collect();
            let labels: Vec<u32> = (0..b * t).map(|_| rng.below(V) as u32).collect();
            Batch::new(inputs, labels, vec![1; b * t], b, t).expect("consistent shapes")
        };
        let mut stamps = Vec::new();
        let mut cpu = Vec::new();
        let mut last_loss = f64::NAN;
        train(
            &mc,
            &tc,
            Batches::Fresh(Box::new(gen)),
            None,
            &burn::tensor::Device::flex(),
            |step| {
                stamps.push(Instant::now());
                cpu.push(process_cpu_seconds());
                last_loss = step.loss;
            },
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let first = stamps.get(WARMUP - 1).context("no steps ran")?;
        let dt = stamps[WARMUP + steps - 1]
            .duration_since(*first)
            .as_secs_f64();
        let cpu_ms = (cpu[WARMUP + steps - 1] - cpu[WARMUP - 1]) * 1e3 / steps as f64;
        let _ = writeln!(
            out,
            "{name:12} {:7.1} steps/s  ({:.2} ms/step, cpu {cpu_ms:.2} ms/step)  last loss {last_loss}",
            steps as f64 / dt,
            dt * 1e3 / steps as f64
        );
    }
    Ok(out)
}

/// CPU seconds this process has used, all threads together: beside the wall time, a figure
/// that other processes on the machine disturb less (with one thread it is close to the
/// work done; with more it also counts the thread pool's spinning).
fn process_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant libc knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return f64::NAN;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}
