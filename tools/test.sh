#!/usr/bin/env bash
# The project's test command (the README's, and exactly what CI runs):
#   1. Chromium for the report's browser tests, installed if missing;
#   2. a one-node Slurm cluster for the Slurm executor's tests
#      (tools/slurm-up.sh: installs Debian's Slurm if missing, starts the
#      daemons; stopped again by their pids on exit). SEQLAB_SKIP_SLURM=1
#      skips it and those tests; CI never sets it;
#   3. the test suite of every crate of the workspace, in the one release
#      profile; seqlab's unit tests again on each lower kernel path
#      (SEQLAB_ISA=avx2, scalar: what a CPU without AVX-512 or AVX2 runs;
#      tests/it/kernel_paths.rs checks training bits on every path); then the
#      tests marked #[ignore = "needs …"] whose need this machine meets (a
#      tool, or real data named by a SEQLAB_REAL_* variable);
#   4. proof that the GPU build type-checks: the `cuda` feature cannot be
#      built on machines without network access to LLVM downloads, but
#      DOCS_RS=1 skips that download and `cargo check` needs no CUDA toolkit
#      (../shared/reference/burn.md). Its own target dir keeps the default
#      build's artifacts untouched; SEQLAB_SKIP_CUDA_CHECK=1 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-chromium.sh
if [ "${SEQLAB_SKIP_SLURM:-0}" != 1 ]; then
    eval "$(tools/slurm-up.sh)"
    trap 'tools/slurm-down.sh' EXIT
fi
cargo test --release --workspace
for isa in avx2 scalar; do
    SEQLAB_ISA=$isa cargo test --release -p seqlab --lib
done
ignored=() skip=()
if command -v dpkg-deb >/dev/null 2>&1; then ignored+=(fetch::unpack::); fi
if [ -n "${SEQLAB_REAL_ECG:-}" ]; then ignored+=(ecg::); fi
if [ -n "${SEQLAB_REAL_STOCKS:-}" ]; then ignored+=(stock::ohlcv::); fi
if [ -n "${SEQLAB_REAL_FETCH:-}" ]; then ignored+=(fetch::pins::); fi
if [ -n "${SEQLAB_REAL_PROTEINS:-}" ]; then
    ignored+=(protein::tests::real_files::)
    # mmseqs2-examples is optional beside the three required packages
    [ -e "$SEQLAB_REAL_PROTEINS/usr/share/doc/mmseqs2/example-data/DB.fasta.gz" ] ||
        skip+=(--skip real_mmseqs2_fasta)
fi
if [ ${#ignored[@]} -gt 0 ]; then
    cargo test --release --workspace --lib -- --ignored "${ignored[@]}" "${skip[@]}"
fi
if [ "${SEQLAB_SKIP_CUDA_CHECK:-0}" != 1 ]; then
    DOCS_RS=1 CARGO_TARGET_DIR=target/cuda-check cargo check --release --features cuda --lib
fi
