//! Same seed, same bits: whatever kernel path (`SEQLAB_ISA`) the process takes and however
//! many threads it runs, a training run ends at the same loss, bit for bit. That is what
//! lets every path share the `flex` backend's cache keys.

use std::process::Command;

/// `(model, last loss)` per model of `seqlab bench train` (one timed step after the
/// warm-up, so four training steps), run with the given path and thread count.
fn last_losses(isa: &str, threads: usize) -> Vec<(String, String)> {
    let out = Command::new(env!("CARGO_BIN_EXE_seqlab"))
        .args([
            "bench",
            "train",
            "--steps",
            "1",
            "lstm",
            "gru",
            "transformer",
        ])
        .env("SEQLAB_ISA", isa)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .output()
        .expect("run seqlab");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{isa}/{threads}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("seqlab kernels: {isa}")) || isa == "avx512",
        "{stdout}"
    );
    stdout
        .lines()
        .filter_map(|l| {
            let loss = l.split("last loss ").nth(1)?;
            Some((
                l.split_whitespace().next()?.to_string(),
                loss.trim().to_string(),
            ))
        })
        .collect()
}

#[test]
fn every_path_and_thread_count_gives_the_same_bits() {
    let reference = last_losses("scalar", 1);
    assert_eq!(reference.len(), 3, "{reference:?}");
    for (model, loss) in &reference {
        let v: f64 = loss.parse().unwrap_or_else(|_| panic!("{model}: {loss}"));
        // Cross-entropy over 16 classes after four steps: near ln 16 = 2.77, never equal.
        assert!(
            v.is_finite() && (v - 16f64.ln()).abs() < 0.5 && v != 16f64.ln(),
            "{model}: {v}"
        );
    }
    assert!(
        reference[0].1 != reference[1].1,
        "models must differ: {reference:?}"
    );
    // avx512 falls back to the best path the CPU has (still a path of its own to check).
    for isa in ["scalar", "avx2", "avx512"] {
        for threads in [1, 2, 3] {
            if (isa, threads) != ("scalar", 1) {
                assert_eq!(
                    last_losses(isa, threads),
                    reference,
                    "{isa} with {threads} threads"
                );
            }
        }
    }
}
