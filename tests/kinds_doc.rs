//! docs/kinds.md is `seqlab kinds --markdown`: the params reference is drawn
//! from the params structs, and this test fails when the checked-in copy
//! falls behind them. Regenerate with
//!
//! ```text
//! cargo run --release -- kinds --markdown > docs/kinds.md
//! ```

use seqlab::kind::ParamType;
use seqlab::stages::builtin_registry;

#[test]
fn docs_kinds_md_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/kinds.md");
    let now = seqlab::ops::kinds::markdown(&builtin_registry());
    let saved = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        saved == now,
        "docs/kinds.md is out of date with the params structs: run\n  cargo run --release -- kinds --markdown > docs/kinds.md"
    );
}

#[test]
fn every_param_of_every_kind_is_typed_and_documented() {
    let registry = builtin_registry();
    for name in registry.names() {
        let schema = registry.get(name).unwrap().schema();
        assert!(!schema.doc.is_empty(), "kind `{name}` has no description");
        for f in &schema.fields {
            assert!(!f.doc.is_empty(), "{name}.{} has no description", f.name);
            // Only `fetch`'s structured sources are kept as written JSON.
            if f.ty == ParamType::Any {
                assert_eq!(name, "fetch", "{name}.{} has no type", f.name);
            }
        }
        // Only `command` takes undeclared params (its environment variables).
        assert_eq!(schema.open, name == "command", "{name}");
    }
}
