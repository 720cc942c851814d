//! Which instruction set seqlab's own host kernels run with, chosen once per process.
//!
//! The fastest the CPU has, unless `SEQLAB_ISA` (`avx512`, `avx2`, `scalar`) asks for a
//! lower one, e.g. to run the suite on an AVX-512 machine as an AVX2 machine would.
//!
//! Bits: every path gives the same bits, so the `flex` backend's cache-key value does not
//! name the path. The pointwise kernels never fuse or reorder floating-point operations
//! (Rust does neither on its own), and the AVX-512 product kernel reproduces the `gemm`
//! crate's AVX2 results exactly ([`super::gemm512`], tested bit for bit). The products
//! that stay with `gemm` (burn-flex's own, and seqlab's on the other paths) take `gemm`'s
//! AVX2 kernel wherever the CPU has AVX2, whatever `SEQLAB_ISA` says: seqlab builds
//! `gemm` without its AVX-512 (`x86-v4`) kernels, which would round differently.

use std::sync::OnceLock;

/// The environment variable that can force a lower path.
pub(crate) const ENV: &str = "SEQLAB_ISA";

/// An instruction-set path for the host kernels, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// Baseline x86-64 (SSE2), or any other architecture.
    Scalar,
    /// AVX2 with FMA (x86-64-v3).
    Avx2,
    /// AVX-512 F/BW/DQ/VL with AVX2 and FMA (x86-64-v4).
    Avx512,
}

impl Isa {
    /// The name `SEQLAB_ISA` takes and `seqlab bench train` prints.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    fn parse(s: &str) -> Option<Isa> {
        [Isa::Scalar, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .find(|i| i.name() == s.trim().to_ascii_lowercase())
    }
}

/// The best path this CPU supports.
pub(crate) fn detected() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        let v3 = has!("avx2") && has!("fma");
        if v3 && has!("avx512f") && has!("avx512bw") && has!("avx512dq") && has!("avx512vl") {
            return Isa::Avx512;
        }
        if v3 {
            return Isa::Avx2;
        }
    }
    Isa::Scalar
}

/// The path `SEQLAB_ISA=value` selects on a CPU whose best path is `best`: the lower of
/// the two; `Err` (a message naming the variable and its values) for an unknown value.
pub(crate) fn choose(value: Option<&str>, best: Isa) -> Result<Isa, String> {
    match value {
        None | Some("") => Ok(best),
        Some(v) => match Isa::parse(v) {
            Some(asked) => Ok(asked.min(best)),
            None => Err(format!(
                "{ENV}={v:?} is not a kernel path; use avx512, avx2 or scalar (or unset it for the fastest this CPU has)"
            )),
        },
    }
}

/// The path of this process: read once, at the first kernel call.
///
/// An unknown `SEQLAB_ISA` value cannot be reported from inside a kernel, so it is reported
/// on stderr and ignored; `seqlab bench train` reports it as an error (see [`from_env`]).
pub fn isa() -> Isa {
    static ISA: OnceLock<Isa> = OnceLock::new();
    *ISA.get_or_init(|| {
        from_env().unwrap_or_else(|e| {
            eprintln!("seqlab: warning: {e}; using {}", detected().name());
            detected()
        })
    })
}

/// The path `SEQLAB_ISA` selects on this CPU, or why the variable's value is wrong.
pub(crate) fn from_env() -> Result<Isa, String> {
    let value = std::env::var(ENV).ok();
    choose(value.as_deref(), detected())
}

/// The CPU's model name (`/proc/cpuinfo`), for benchmark output; `None` where unknown.
pub(crate) fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_only_ever_lowers_the_path() {
        assert_eq!(choose(None, Isa::Avx512), Ok(Isa::Avx512));
        assert_eq!(choose(Some(""), Isa::Avx2), Ok(Isa::Avx2));
        assert_eq!(choose(Some("avx2"), Isa::Avx512), Ok(Isa::Avx2));
        assert_eq!(choose(Some("AVX512"), Isa::Avx512), Ok(Isa::Avx512));
        assert_eq!(choose(Some("avx512"), Isa::Avx2), Ok(Isa::Avx2));
        assert_eq!(choose(Some("scalar"), Isa::Avx512), Ok(Isa::Scalar));
        let err = choose(Some("sse9"), Isa::Avx2).unwrap_err();
        assert!(err.contains("SEQLAB_ISA") && err.contains("avx2"), "{err}");
    }
}
