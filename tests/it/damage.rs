//! Damage propagates (issue 15, items 6 and 7): a result computed from a
//! damaged object is invalidated with it, and a cached result whose output
//! tree has disappeared is redone by `run`, not reused.

use std::os::unix::fs::PermissionsExt;

use crate::common::{counts, with_state, Work};

const SMALL: &str = r#"name: small
stages:
  make:
    kind: command
    matrix: {i: [1, 2, 3]}
    params: {cmd: [sh, -c, 'echo made-$SEQLAB_PARAM_I > $SEQLAB_OUT/x']}
  down:
    kind: command
    needs: [make]
    params:
      cmd: [sh, -c, 'echo down-$(cat $SEQLAB_IN_MAKE/x)-$SEQLAB_PARAM_EXTRA > $SEQLAB_OUT/y']
      extra: 0
  last:
    kind: command
    needs: [down]
    params: {cmd: [sh, -c, 'echo last-$(cat $SEQLAB_IN_DOWN/y) > $SEQLAB_OUT/z']}
"#;

fn object_of(w: &Work, instance: &str) -> std::path::PathBuf {
    w.show(instance)["files"][0]["object"]
        .as_str()
        .unwrap()
        .into()
}

/// Item 6: an object is damaged; a downstream instance re-runs on the damaged
/// bytes (its params changed) before anyone verifies. `verify` must then
/// invalidate that downstream result, and its own consumer, with the
/// damaged upstream; the next run redoes all three from good bytes.
#[test]
fn results_built_on_a_damaged_object_are_invalidated_with_it() {
    let w = Work::new();
    w.write("s.yaml", SMALL);
    assert_eq!(w.run("s.yaml", &[]).ok().summary(), counts(9, 0, 0, 0));
    let object = object_of(&w, "make[i=2]");
    std::fs::set_permissions(&object, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&object, b"BAD\n").unwrap();

    // `down` re-runs on the damaged bytes, and so does `last` after it.
    let set = ["--set", "down.params.extra=1"];
    assert_eq!(w.run("s.yaml", &set).ok().summary(), counts(6, 3, 0, 0));
    assert_eq!(w.output("last[i=2]", "z"), "last-down-BAD-1\n");

    let v = w.seqlab(&["verify", "--format", "json"]);
    assert_eq!(v.code, 1, "{}", v.text());
    let j = v.json();
    assert_eq!(j["damaged"].as_array().unwrap().len(), 1, "{j:#}");
    // make[i=2], and with it down[i=2] and last[i=2] of both runs: the ones
    // from before the damage cannot be told apart from the ones after.
    assert_eq!(j["entries_invalidated"], 5, "{j:#}");

    let st = w.status("s.yaml", &set);
    assert_eq!(
        with_state(&st, "stale"),
        vec!["down[i=2]", "last[i=2]", "make[i=2]"],
        "{st:?}"
    );
    assert_eq!(w.run("s.yaml", &set).ok().summary(), counts(3, 6, 0, 0));
    assert_eq!(w.output("last[i=2]", "z"), "last-down-made-2-1\n");
    let v = w.seqlab(&["verify"]);
    assert_eq!(v.code, 0, "{}", v.text());
}

/// Item 7: after an instance's manifest object disappears, `status` said a
/// descendant would run, `run` said "0 executed", and a consumer failed
/// later with "object … is missing". `run` now redoes the instance.
#[test]
fn a_missing_output_tree_is_redone_by_run() {
    let w = Work::new();
    w.write("s.yaml", SMALL);
    w.run("s.yaml", &[]).ok();
    let tree = w.show("make[i=1]")["outputs"].as_str().unwrap().to_string();
    let manifest = w.cache().join("objects").join(&tree[..2]).join(&tree[2..]);
    assert!(manifest.is_file());
    std::fs::remove_file(&manifest).unwrap();

    let st = w.status("s.yaml", &[]);
    assert_eq!(
        with_state(&st, "stale"),
        vec!["down[i=1]", "last[i=1]", "make[i=1]"]
    );
    let r = w.run("s.yaml", &[]).ok();
    // make[i=1] is redone (same bytes, same tree); its consumers' keys are
    // unchanged and their outputs intact, so they stay cached.
    assert_eq!(r.summary(), counts(1, 8, 0, 0));
    assert!(manifest.is_file());
    // A consumer that must run now finds its input.
    let r = w.run("s.yaml", &["--set", "down.params.extra=7"]).ok();
    assert_eq!(r.summary(), counts(6, 3, 0, 0));
    assert_eq!(w.output("last[i=1]", "z"), "last-down-made-1-7\n");
    assert_eq!(w.seqlab(&["verify"]).code, 0);
}
