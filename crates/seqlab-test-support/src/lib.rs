//! Test-only support for seqlab, outside its public library: a realistic
//! report input ([`fixtures`]) and the headless-Chromium check of a rendered
//! page ([`browser`]). seqlab's integration tests use both (`tests/it`);
//! nothing in the engine depends on this crate.

pub mod browser;
pub mod fixtures;
