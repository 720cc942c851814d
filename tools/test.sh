#!/usr/bin/env bash
# The project's test command (the README's, and exactly what CI runs):
#   1. Chromium for the report's browser tests, installed if missing;
#   2. the test suite, in the one release profile;
#   3. proof that the GPU build type-checks: the `cuda` feature cannot be
#      built on machines without network access to LLVM downloads, but
#      DOCS_RS=1 skips that download and `cargo check` needs no CUDA toolkit
#      (../shared/reference/burn.md). Its own target dir keeps the default
#      build's artifacts untouched; SEQLAB_SKIP_CUDA_CHECK=1 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-chromium.sh
cargo test --release
if [ "${SEQLAB_SKIP_CUDA_CHECK:-0}" != 1 ]; then
    DOCS_RS=1 CARGO_TARGET_DIR=target/cuda-check cargo check --release --features cuda --lib
fi
