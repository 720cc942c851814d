//! seqlab's integration tests, as one test binary: each former
//! `tests/NAME.rs` is a module here, so burn and seqlab are linked once
//! (cargo's and ripgrep's layout). Tests of one binary run as threads of
//! one process: a test that seeds or draws from a burn device takes
//! `seqlab::models::rng_turn()` (the device's random state is process-wide),
//! and none changes the environment or the working directory (commands get
//! theirs through `std::process::Command`).

// shared helpers
mod cache_key_support;
mod common;
mod model_support;
mod watchdog;

// the tests, one module per concern
mod cache_key;
mod cli;
mod concurrency;
mod confinement;
mod crash_safety;
mod damage;
mod disk_full;
mod ecg_record;
mod explain;
mod fuzz_corpus;
mod gc_roots;
mod go_terms;
mod invalid_yaml;
mod kernel_paths;
mod kind_params;
mod kinds_doc;
mod layers;
mod length_readouts;
mod limits;
mod models;
mod parallel_training;
mod pipeline_keys;
mod pipelines;
mod readouts;
mod real_data;
mod recipe_knobs;
mod records;
mod recurrent_ops;
mod report_browser;
mod report_post;
mod report_readouts;
mod report_render;
mod report_values;
mod slurm;
mod stages_ml;
mod study;
mod summary_readouts;
mod sweeps;
mod targets;
mod task_info;
mod train_recipe_params;
mod training;
