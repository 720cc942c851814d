//! Any bytes through the spec loader, the validator and the planner: the
//! only acceptable outcomes are a plan or a `SpecErrors`. A panic, an abort
//! (allocation failure, stack overflow), a run over libFuzzer's `-timeout`
//! or past `-rss_limit_mb` is a finding.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use seqlab::kind::Registry;

fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(seqlab::stages::builtin_registry)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A directory that does not exist: `deps` are reported missing, nothing
    // is read from the machine.
    let Ok(pipeline) = seqlab::spec::load_str(text, Path::new("/nonexistent/fuzz.yaml")) else {
        return;
    };
    if seqlab::spec::validate::validate(&pipeline, registry()).is_err() {
        return;
    }
    let _ = seqlab::plan::expand(&pipeline, registry());
});
