//! The cache key, row by row of the table at the top of `src/cache/key.rs`:
//! what is in it changes the key (and is named as the reason in `status`),
//! what is not in it leaves results cached.

mod cache_key_support;
mod common;

use cache_key_support::*;
use common::{counts, with_state, Work};
use seqlab::cache::key::{KeyComponents, KEY_FORMAT};
use seqlab::cache::Cache;
use seqlab::exec::Outcome;
use seqlab::kind::{Backend, Setting, Settings};
use serde_json::{json, Value};

// ------------------------------------------------- the encoding itself

#[test]
fn key_is_blake3_of_sorted_compact_json_and_format_version_is_in_it() {
    let c = components();
    let canon = c.canonical();
    assert!(canon.starts_with(r#"{"deps":{"tool.sh":"#), "{canon}");
    assert!(!canon.contains(' '), "{canon}");
    assert_eq!(c.key(), blake3::hash(canon.as_bytes()).to_hex().to_string());
    assert_eq!(c.key().len(), 64);
    let mut bumped = c.clone();
    bumped.format += 1;
    assert_ne!(bumped.key(), c.key());
    assert_eq!(
        bumped.diff(&c),
        vec![format!(
            "cache key format {} → {}",
            KEY_FORMAT,
            KEY_FORMAT + 1
        )]
    );
    // Param order in the map does not matter.
    let mut reordered = c.clone();
    reordered.params = json!({"lr": 0.001, "cmd": ["true"]})
        .as_object()
        .unwrap()
        .clone();
    assert_eq!(reordered.key(), c.key());
}

#[test]
fn every_component_field_changes_the_key() {
    let base = components();
    let mut variants = Vec::new();
    let mut c = base.clone();
    c.kind = "train".into();
    variants.push(c);
    let mut c = base.clone();
    c.kind_version = 2;
    variants.push(c);
    let mut c = base.clone();
    c.params.insert("lr".into(), json!(0.002));
    variants.push(c);
    let mut c = base.clone();
    c.inputs[0].gathered = true;
    variants.push(c);
    let mut c = base.clone();
    c.inputs[0].artifacts[0].label = "i=2".into();
    variants.push(c);
    let mut c = base.clone();
    c.inputs[0].artifacts[0].tree = "ef".repeat(32);
    variants.push(c);
    let mut c = base.clone();
    c.deps.insert("tool.sh".into(), "00".repeat(32));
    variants.push(c);
    let mut c = base.clone();
    c.settings.insert("backend".into(), "flex".into());
    variants.push(c);
    let mut keys: Vec<String> = variants.iter().map(KeyComponents::key).collect();
    keys.push(base.key());
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "two different components gave one key");
    for v in &variants {
        assert_eq!(v.diff(&base).len(), 1, "{:?}", v.diff(&base));
    }
}

// ------------------------------------------------------ kind and version

#[test]
fn kind_name_is_in_the_key() {
    let w = Work::new();
    let reg = registry(vec![tiny("tiny", 1, &[]), tiny("tinier", 1, &[])]);
    let cache = Cache::open(&w.cache()).unwrap();
    let s = Settings::default();
    let a = root_keys(
        &cache,
        &plan(w.path(), &single("tiny", "{lr: 0.1}"), &reg),
        &s,
    );
    let b = root_keys(
        &cache,
        &plan(w.path(), &single("tinier", "{lr: 0.1}"), &reg),
        &s,
    );
    let a2 = root_keys(
        &cache,
        &plan(w.path(), &single("tiny", "{lr: 0.1}"), &reg),
        &s,
    );
    assert_ne!(a, b);
    assert_eq!(a, a2, "the key is deterministic");
}

#[test]
fn kind_version_is_in_the_key_and_named_as_the_reason() {
    let w = Work::new();
    let cache = Cache::open(&w.cache()).unwrap();
    let s = Settings::default();
    let yaml = single("tiny", "{lr: 0.1}");
    let v1 = registry(vec![tiny("tiny", 1, &[])]);
    let v2 = registry(vec![tiny("tiny", 2, &[])]);
    let p1 = plan(w.path(), &yaml, &v1);
    let p2 = plan(w.path(), &yaml, &v2);
    assert_ne!(root_keys(&cache, &p1, &s), root_keys(&cache, &p2, &s));

    assert!(matches!(
        run(&cache, &p1, &s, false)[0],
        Outcome::Executed { .. }
    ));
    assert!(matches!(
        run(&cache, &p1, &s, true)[0],
        Outcome::Cached { .. }
    ));
    match &run(&cache, &p2, &s, true)[0] {
        Outcome::WouldRun { reason } => assert_eq!(reason, "kind version 1 → 2"),
        other => panic!("expected stale, got {other:?}"),
    }
    assert!(matches!(
        run(&cache, &p2, &s, false)[0],
        Outcome::Executed { .. }
    ));
    // Both versions now have their own entry.
    assert!(matches!(
        run(&cache, &p1, &s, true)[0],
        Outcome::Cached { .. }
    ));
}

// ------------------------------------------------------------- params

#[test]
fn declared_float_params_are_canonical_and_defaults_filled() {
    let w = Work::new();
    let reg = registry(vec![tiny("tiny", 1, &[])]);
    let cache = Cache::open(&w.cache()).unwrap();
    let s = Settings::default();
    let key = |params: &str| root_keys(&cache, &plan(w.path(), &single("tiny", params), &reg), &s);
    let one = key("{lr: 1}");
    assert_eq!(one, key("{lr: 1.0}"), "a float param given as 1 = 1.0");
    assert_eq!(one, key("{lr: 1e0}"));
    let default = key("{}");
    assert_eq!(default, key("{lr: 0.001}"), "defaults are filled in");
    assert_eq!(default, key("{lr: 1e-3}"));
    assert_eq!(default, key("{lr: 1.0e-3}"));
    assert_ne!(default, one);
    assert_ne!(default, key("{lr: 0.0010001}"));
}

#[test]
fn params_canonical_numbers_keep_the_cache_and_a_changed_value_does_not() {
    let w = Work::new();
    let text = |lr: &str| {
        format!("name: p\nstages:\n  a:\n    kind: command\n    params: {{cmd: [sh, -c, 'echo $SEQLAB_PARAM_LR > $SEQLAB_OUT/x'], lr: {lr}}}\n")
    };
    w.write("p.yaml", &text("1e-3"));
    assert_eq!(w.run("p.yaml", &[]).ok().summary(), counts(1, 0, 0, 0));
    for same in ["0.001", "1.0e-3", "0.0010"] {
        w.write("p.yaml", &text(same));
        let st = w.status("p.yaml", &[]);
        assert_eq!(st[0].state, "cached", "lr: {same}: {st:?}");
    }
    w.write("p.yaml", &text("0.002"));
    let st = w.status("p.yaml", &[]);
    assert_eq!(st[0].state, "stale");
    assert_eq!(st[0].reason, "params.lr 0.001 → 0.002");
    // Through --set, the same.
    w.write("p.yaml", &text("0.001"));
    let st = w.status("p.yaml", &["--set", "a.params.lr=0.003"]);
    assert_eq!(st[0].reason, "params.lr 0.001 → 0.003");
    let st = w.status("p.yaml", &["--set", "a.params.lr=1e-3"]);
    assert_eq!(st[0].state, "cached");
    // An added param is a change too.
    let st = w.status("p.yaml", &["--set", "a.params.extra=yes"]);
    assert_eq!(st[0].state, "stale");
    assert!(st[0].reason.contains("params.extra added"), "{st:?}");
}

#[test]
fn matrix_values_are_params() {
    // The same value given as a one-value axis or as a param: one key
    // (the instance names differ, and names are not in the key).
    let w = Work::new();
    let cmd = "cmd: [sh, -c, 'echo $SEQLAB_PARAM_LR > $SEQLAB_OUT/x']";
    w.write(
        "m.yaml",
        &format!("name: m\nstages:\n  a:\n    kind: command\n    matrix: {{lr: [0.001]}}\n    params: {{{cmd}}}\n"),
    );
    w.write(
        "p.yaml",
        &format!("name: m\nstages:\n  a:\n    kind: command\n    params: {{{cmd}, lr: 1e-3}}\n"),
    );
    w.run("m.yaml", &[]).ok();
    assert_eq!(w.show("a[lr=0.001]")["params"]["lr"], json!(0.001));
    assert_eq!(w.run("p.yaml", &[]).ok().summary(), counts(0, 1, 0, 0));
}

// ------------------------------------------------------------- inputs

#[test]
fn upstream_output_bytes_are_in_the_key_but_not_how_they_were_made() {
    let w = Work::new();
    w.write("c.yaml", CHAIN);
    assert_eq!(w.run("c.yaml", &[]).ok().summary(), counts(2, 0, 0, 0));
    assert_eq!(w.output("b", "y"), "1\n");

    // `a` reruns (new param) but writes the same bytes: `b` stays cached.
    let r = w.run("c.yaml", &["--set", "a.params.unused=7"]).ok();
    assert_eq!(r.summary(), counts(1, 1, 0, 0));

    // `a`'s output bytes change: `b` is stale because its input changed.
    // The reason compares with `a`'s last execution (the one with `unused`).
    let st = w.status("c.yaml", &["--set", "a.params.v=2"]);
    assert_eq!(st[0].reason, "params.unused removed; params.v 1 → 2");
    assert_eq!(st[1].instance, "b");
    assert_eq!(st[1].state, "stale");
    assert_eq!(st[1].reason, "input a will run");
    assert_eq!(
        w.run("c.yaml", &["--set", "a.params.v=2"]).ok().summary(),
        counts(2, 0, 0, 0)
    );
    assert_eq!(w.output("b", "y"), "2\n");

    // Back to v=1: both cached from the first run.
    assert_eq!(w.run("c.yaml", &[]).ok().summary(), counts(0, 2, 0, 0));
}

#[test]
fn upstream_tree_change_is_named_when_upstream_is_already_cached() {
    let w = Work::new();
    w.write("c.yaml", CHAIN);
    w.run("c.yaml", &[]).ok();
    // Produce `a` with v=2 alone, so its tree is known (cached) when status
    // looks at `b`: the reason is then the changed input itself.
    w.write("a2.yaml", &CHAIN.replace("v: 1", "v: 2").replace("  b:\n    kind: command\n    needs: [a]\n    params: {cmd: [sh, -c, 'cat $SEQLAB_IN_A/x > $SEQLAB_OUT/y']}\n", ""));
    assert_eq!(w.run("a2.yaml", &[]).ok().summary(), counts(1, 0, 0, 0));
    let st = w.status("c.yaml", &["--set", "a.params.v=2"]);
    assert_eq!(st[0].state, "cached");
    assert_eq!(st[1].state, "stale");
    assert_eq!(st[1].reason, "input 0 (_) changed");
}

#[test]
fn gathered_or_not_is_in_the_key() {
    // `b` reads nothing and writes nothing: only the binding kind differs.
    let w = Work::new();
    let text = |how: &str| {
        format!("name: g\nstages:\n  a:\n    kind: command\n    params: {{cmd: [true]}}\n  b:\n    kind: command\n    {how}: [a]\n    params: {{cmd: [true]}}\n")
    };
    w.write("g.yaml", &text("needs"));
    w.run("g.yaml", &[]).ok();
    w.write("g.yaml", &text("gather"));
    let st = w.status("g.yaml", &[]);
    assert_eq!(st[0].state, "cached");
    assert_eq!(st[1].state, "stale");
    assert_eq!(st[1].reason, "input 0 (_) changed");
}

#[test]
fn input_coordinate_label_is_in_the_key() {
    // `a` writes nothing, so its tree is the same whatever its coordinates;
    // the gathering stage still sees a different sub-directory name.
    let w = Work::new();
    let text = |axis: &str| {
        format!("name: l\nstages:\n  a:\n    kind: command\n    matrix: {{{axis}: [1]}}\n    params: {{cmd: [true]}}\n  b:\n    kind: command\n    gather: [a]\n    params: {{cmd: [sh, -c, 'ls $SEQLAB_IN_A > $SEQLAB_OUT/l']}}\n")
    };
    w.write("l.yaml", &text("i"));
    w.run("l.yaml", &[]).ok();
    assert_eq!(w.output("b", "l"), "i=1\n");
    let before = w.show("b");
    w.write("l.yaml", &text("j"));
    let st = w.status("l.yaml", &[]);
    assert_eq!(st[0].instance, "a[j=1]");
    assert_eq!(st[1].instance, "b");
    assert_eq!(st[1].state, "stale");
    assert_eq!(w.run("l.yaml", &[]).ok().summary(), counts(2, 0, 0, 0));
    let after = w.show("b");
    let art = |p: &Value| p["inputs"][0]["artifacts"][0].clone();
    assert_eq!(
        art(&before)["tree"],
        art(&after)["tree"],
        "same upstream bytes"
    );
    assert_eq!(art(&before)["label"], "i=1");
    assert_eq!(art(&after)["label"], "j=1");
    assert_ne!(before["key"], after["key"]);
    assert_eq!(w.output("b", "l"), "j=1\n");
    // With `a[j=1]` cached, the label is the named reason.
    w.write("l.yaml", &text("i"));
    assert_eq!(w.status("l.yaml", &[])[1].state, "cached");
}

// --------------------------------------------------------------- deps

#[test]
fn deps_content_is_in_the_key_and_touch_is_not() {
    let w = Work::new();
    let tool = w.write("tools/tool.sh", "echo one\n");
    w.write(
        "d.yaml",
        "name: d\nstages:\n  a:\n    kind: command\n    deps: [tools/tool.sh]\n    params: {cmd: [sh, -c, 'sh tools/tool.sh > $SEQLAB_OUT/x']}\n",
    );
    w.run("d.yaml", &[]).ok();
    assert_eq!(w.output("a", "x"), "one\n");

    // Touch (new mtime, same bytes): still cached.
    let f = std::fs::File::options().write(true).open(&tool).unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    drop(f);
    assert_eq!(w.status("d.yaml", &[])[0].state, "cached");
    // Rewritten with identical content (new inode, new mtime): still cached.
    std::fs::remove_file(&tool).unwrap();
    std::fs::write(&tool, "echo one\n").unwrap();
    assert_eq!(w.status("d.yaml", &[])[0].state, "cached");
    assert_eq!(w.run("d.yaml", &[]).ok().summary(), counts(0, 1, 0, 0));

    // Edited content of the same size: stale, naming the file.
    std::fs::write(&tool, "echo two\n").unwrap();
    let st = w.status("d.yaml", &[]);
    assert_eq!(st[0].state, "stale");
    assert_eq!(st[0].reason, "dependency tools/tool.sh changed");
    assert_eq!(w.run("d.yaml", &[]).ok().summary(), counts(1, 0, 0, 0));
    assert_eq!(w.output("a", "x"), "two\n");
}

#[test]
fn deps_path_is_relative_to_the_pipeline_file() {
    // The same pipeline and script moved together to another directory:
    // the recorded path (relative) and content are equal, so cached.
    let w = Work::new();
    let yaml = "name: d\nstages:\n  a:\n    kind: command\n    deps: [tool.sh]\n    params: {cmd: [sh, -c, 'sh tool.sh > $SEQLAB_OUT/x']}\n";
    w.write("one/tool.sh", "echo same\n");
    w.write("one/d.yaml", yaml);
    w.write("two/tool.sh", "echo same\n");
    w.write("two/d.yaml", yaml);
    assert_eq!(w.run("one/d.yaml", &[]).ok().summary(), counts(1, 0, 0, 0));
    assert_eq!(w.run("two/d.yaml", &[]).ok().summary(), counts(0, 1, 0, 0));
    w.write("two/tool.sh", "echo diff\n");
    let st = w.status("two/d.yaml", &[]);
    assert_eq!(st[0].reason, "dependency tool.sh changed");
}

// ----------------------------------------------------------- settings

#[test]
fn backend_changes_the_key_only_for_kinds_that_declare_it() {
    let w = Work::new();
    let reg = registry(vec![
        tiny("tiny", 1, &[]),
        tiny("tinyb", 1, &[Setting::Backend]),
    ]);
    let cache = Cache::open(&w.cache()).unwrap();
    let flex = Settings::default();
    let other = Settings {
        backend: Backend::Cuda,
    };
    let p = plan(w.path(), &single("tiny", "{}"), &reg);
    assert_eq!(root_keys(&cache, &p, &flex), root_keys(&cache, &p, &other));
    let pb = plan(w.path(), &single("tinyb", "{}"), &reg);
    assert_ne!(
        root_keys(&cache, &pb, &flex),
        root_keys(&cache, &pb, &other)
    );

    run(&cache, &pb, &flex, false);
    match &run(&cache, &pb, &other, true)[0] {
        Outcome::WouldRun { reason } => assert_eq!(reason, "setting backend flex → cuda"),
        o => panic!("expected stale, got {o:?}"),
    }
    run(&cache, &p, &flex, false);
    assert!(matches!(
        run(&cache, &p, &other, true)[0],
        Outcome::Cached { .. }
    ));
}

#[test]
fn backend_flag_keeps_command_stages_cached() {
    let w = Work::new();
    w.write("c.yaml", CHAIN);
    w.run("c.yaml", &[]).ok();
    let st = w.status("c.yaml", &["--backend", "cuda"]);
    assert_eq!(with_state(&st, "cached"), vec!["a", "b"]);
    let r = w.run("c.yaml", &["--backend", "cuda"]).ok();
    assert_eq!(r.summary(), counts(0, 2, 0, 0));
}

// ------------------------------------------------------- not in the key

#[test]
fn renaming_a_stage_keeps_its_cache() {
    let w = Work::new();
    // The command finds its input without naming the stage.
    let text = |up: &str, down: &str| {
        format!(
            "name: r\nstages:\n  {up}:\n    kind: command\n    params: {{cmd: [sh, -c, 'echo 5 > $SEQLAB_OUT/x']}}\n  {down}:\n    kind: command\n    needs: [{up}]\n    params: {{cmd: [sh, -c, 'cat \"$(env | sed -n \"s/^SEQLAB_IN_[^=]*=//p\")/x\" > $SEQLAB_OUT/y']}}\n"
        )
    };
    w.write("r.yaml", &text("a", "b"));
    assert_eq!(w.run("r.yaml", &[]).ok().summary(), counts(2, 0, 0, 0));
    assert_eq!(w.output("b", "y"), "5\n");
    w.write("r.yaml", &text("first", "second"));
    let st = w.status("r.yaml", &[]);
    assert_eq!(with_state(&st, "cached"), vec!["first", "second"]);
    assert_eq!(w.run("r.yaml", &[]).ok().summary(), counts(0, 2, 0, 0));
}

#[test]
fn pipeline_path_and_name_are_not_in_the_key() {
    let w = Work::new();
    w.write("c.yaml", CHAIN);
    w.run("c.yaml", &[]).ok();
    w.write(
        "elsewhere/deeper/other-name.yml",
        &CHAIN.replace("name: chain", "name: something-else"),
    );
    let r = w.run("elsewhere/deeper/other-name.yml", &[]).ok();
    assert_eq!(r.summary(), counts(0, 2, 0, 0));
    // Run from another working directory with an absolute path: same.
    let abs = w.join("c.yaml");
    let out = w
        .command(&["run", abs.to_str().unwrap()])
        .current_dir("/")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 executed, 2 cached"));
}

#[test]
fn jobs_verbosity_and_environment_are_not_in_the_key() {
    let w = Work::new();
    w.write("c.yaml", CHAIN);
    assert_eq!(
        w.run("c.yaml", &["--jobs", "1"]).ok().summary(),
        counts(2, 0, 0, 0)
    );
    assert_eq!(
        w.run("c.yaml", &["--jobs", "2"]).ok().summary(),
        counts(0, 2, 0, 0)
    );
    assert_eq!(
        w.run("c.yaml", &["-j", "7", "-v"]).ok().summary(),
        counts(0, 2, 0, 0)
    );
    let out = w
        .command(&["run", "c.yaml"])
        .env("SOME_UNRELATED_VAR", "x")
        .env("HOME", "/nonexistent")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 executed, 2 cached"));
}

#[test]
fn cache_directory_is_not_in_the_key() {
    let w = Work::new();
    w.write("c.yaml", CHAIN);
    w.run("c.yaml", &[]).ok();
    std::fs::rename(w.cache(), w.join("moved-cache")).unwrap();
    let moved = w.join("moved-cache");
    let out = std::process::Command::new(common::BIN)
        .current_dir(w.path())
        .args(["-q", "--cache", moved.to_str().unwrap(), "run", "c.yaml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("0 executed, 2 cached"), "{stdout}");
}
