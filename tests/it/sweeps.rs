//! Sweep expansion (`matrix`, `needs`, `gather`, `where`, joins) and what a
//! rerun executes after each kind of edit.

use crate::common::{counts, with_state, Work};

/// data[i] → train[i, lr] (filtered by `where`) ─┬→ join (natural join on i)
///        → feat[i, k] ───────────────────────────┘
/// train → per_i[i] (gather, joined on i) and all (gather everything).
const SWEEP: &str = r#"name: sweep
stages:
  data:
    kind: command
    matrix: {i: [1, 2]}
    params: {cmd: [sh, -c, 'echo d$SEQLAB_PARAM_I > $SEQLAB_OUT/d']}
  train:
    kind: command
    needs: [data]
    matrix: {lr: [0.1, 0.01]}
    where: 'i != 2 || lr == 0.1'
    params: {cmd: [sh, -c, 'cat $SEQLAB_IN_DATA/d > $SEQLAB_OUT/m; echo $SEQLAB_PARAM_LR >> $SEQLAB_OUT/m']}
  feat:
    kind: command
    needs: [data]
    matrix: {k: [a]}
    params:
      cmd: [sh, -c, 'echo $SEQLAB_PARAM_TAG-$(cat $SEQLAB_IN_DATA/d) > $SEQLAB_OUT/f']
      tag: x
  join:
    kind: command
    needs: [train, feat]
    params: {cmd: [sh, -c, 'cat $SEQLAB_IN_TRAIN/m $SEQLAB_IN_FEAT/f > $SEQLAB_OUT/j']}
  per_i:
    kind: command
    gather: [train]
    matrix: {i: [1, 2]}
    params: {cmd: [sh, -c, 'ls $SEQLAB_IN_TRAIN > $SEQLAB_OUT/l']}
  all:
    kind: command
    gather: [train]
    params: {cmd: [sh, -c, 'cd $SEQLAB_IN_TRAIN && for d in *; do echo "$d:$(head -1 $d/m)"; done > $SEQLAB_OUT/l']}
"#;

const NAMES: [&str; 13] = [
    "data[i=1]",
    "data[i=2]",
    "train[i=1,lr=0.1]",
    "train[i=1,lr=0.01]",
    "train[i=2,lr=0.1]",
    "feat[i=1,k=a]",
    "feat[i=2,k=a]",
    "join[i=1,lr=0.1,k=a]",
    "join[i=1,lr=0.01,k=a]",
    "join[i=2,lr=0.1,k=a]",
    "per_i[i=1]",
    "per_i[i=2]",
    "all",
];

fn sweep() -> Work {
    let w = Work::new();
    w.write("s.yaml", SWEEP);
    w
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[test]
fn expansion_names_in_dependency_order() {
    let w = sweep();
    let st = w.status("s.yaml", &[]);
    let names: Vec<&str> = st.iter().map(|r| r.instance.as_str()).collect();
    assert_eq!(names, NAMES);
    assert!(st
        .iter()
        .all(|r| r.state == "never-run" && r.reason == "never run"));
}

#[test]
fn fan_out_gather_where_and_join_see_the_right_inputs() {
    let w = sweep();
    let r = w.run("s.yaml", &[]).ok();
    assert_eq!(r.summary(), counts(13, 0, 0, 0));
    // needs: each train instance read the data instance with its own i.
    assert_eq!(w.output("train[i=1,lr=0.01]", "m"), "d1\n0.01\n");
    assert_eq!(w.output("train[i=2,lr=0.1]", "m"), "d2\n0.1\n");
    // natural join: train and feat agree on i.
    assert_eq!(w.output("join[i=2,lr=0.1,k=a]", "j"), "d2\n0.1\nx-d2\n");
    assert_eq!(w.output("join[i=1,lr=0.01,k=a]", "j"), "d1\n0.01\nx-d1\n");
    // gather joined on the shared coordinate i.
    assert_eq!(w.output("per_i[i=1]", "l"), "i=1,lr=0.01\ni=1,lr=0.1\n");
    assert_eq!(w.output("per_i[i=2]", "l"), "i=2,lr=0.1\n");
    // gather without shared coordinates: one instance that sees all three
    // (the `where` filtered i=2,lr=0.01 out).
    assert_eq!(
        w.output("all", "l"),
        "i=1,lr=0.01:d1\ni=1,lr=0.1:d1\ni=2,lr=0.1:d2\n"
    );
    let inputs = &w.show("all")["inputs"];
    assert_eq!(inputs[0]["gathered"], true);
    assert_eq!(inputs[0]["artifacts"].as_array().unwrap().len(), 3);
    let join = &w.show("join[i=1,lr=0.1,k=a]")["inputs"];
    assert_eq!(join.as_array().unwrap().len(), 2);
    assert_eq!(join[0]["gathered"], false);
    assert_eq!(join[0]["artifacts"][0]["label"], "i=1,lr=0.1");
    assert_eq!(join[1]["artifacts"][0]["label"], "i=1,k=a");
}

#[test]
fn dag_edges_follow_the_joins() {
    let w = sweep();
    let r = w.seqlab(&["dag", "s.yaml", "--format", "mermaid"]).ok();
    let id = |name: &str| {
        let line = r
            .stdout
            .lines()
            .find(|l| l.ends_with(&format!("[\"{name}\"]")))
            .unwrap_or_else(|| panic!("no node {name}:\n{}", r.stdout));
        line.trim().split('[').next().unwrap().to_string()
    };
    let edge = |a: &str, b: &str| format!("{} --> {}", id(a), id(b));
    let edges: Vec<&str> = r.stdout.lines().filter(|l| l.contains("-->")).collect();
    // 3 train←data, 2 feat←data, 3×2 join, 3 per_i, 3 all.
    assert_eq!(edges.len(), 3 + 2 + 6 + 3 + 3, "{}", r.stdout);
    for (a, b) in [
        ("data[i=2]", "train[i=2,lr=0.1]"),
        ("feat[i=2,k=a]", "join[i=2,lr=0.1,k=a]"),
        ("train[i=1,lr=0.01]", "per_i[i=1]"),
        ("train[i=2,lr=0.1]", "all"),
    ] {
        assert!(r.stdout.contains(&edge(a, b)), "no edge {a} → {b}");
    }
    for (a, b) in [
        ("data[i=1]", "train[i=2,lr=0.1]"),
        ("feat[i=1,k=a]", "join[i=2,lr=0.1,k=a]"),
        ("train[i=1,lr=0.1]", "per_i[i=2]"),
    ] {
        assert!(!r.stdout.contains(&edge(a, b)), "unexpected edge {a} → {b}");
    }
}

#[test]
fn unchanged_rerun_executes_nothing() {
    let w = sweep();
    w.run("s.yaml", &[]).ok();
    assert_eq!(w.run("s.yaml", &[]).ok().summary(), counts(0, 13, 0, 0));
    let st = w.status("s.yaml", &[]);
    assert_eq!(with_state(&st, "cached").len(), 13);
}

#[test]
fn editing_a_param_reruns_its_instances_and_their_descendants_only() {
    let w = sweep();
    w.run("s.yaml", &[]).ok();
    let set = ["--set", "feat.params.tag=y"];
    let st = w.status("s.yaml", &set);
    let stale = sorted(&[
        "feat[i=1,k=a]",
        "feat[i=2,k=a]",
        "join[i=1,lr=0.01,k=a]",
        "join[i=1,lr=0.1,k=a]",
        "join[i=2,lr=0.1,k=a]",
    ]);
    assert_eq!(with_state(&st, "stale"), stale);
    assert_eq!(with_state(&st, "cached").len(), 8);
    let feat = st.iter().find(|r| r.instance == "feat[i=1,k=a]").unwrap();
    assert_eq!(feat.reason, r#"params.tag "x" → "y""#);
    let join = st
        .iter()
        .find(|r| r.instance == "join[i=2,lr=0.1,k=a]")
        .unwrap();
    assert_eq!(join.reason, "input feat[i=2,k=a] will run");

    assert_eq!(w.run("s.yaml", &set).ok().summary(), counts(5, 8, 0, 0));
    assert_eq!(w.output("join[i=2,lr=0.1,k=a]", "j"), "d2\n0.1\ny-d2\n");
    assert_eq!(w.run("s.yaml", &set).ok().summary(), counts(0, 13, 0, 0));
    // Back to the file's value: everything is still cached.
    assert_eq!(w.run("s.yaml", &[]).ok().summary(), counts(0, 13, 0, 0));
}

#[test]
fn editing_the_root_param_of_one_branch_leaves_the_other_alone() {
    let w = Work::new();
    w.write(
        "b.yaml",
        r#"name: branches
stages:
  a:
    kind: command
    params: {cmd: [sh, -c, 'echo $SEQLAB_PARAM_SEED > $SEQLAB_OUT/x'], seed: 1}
  b:
    kind: command
    needs: [a]
    matrix: {n: [1, 2]}
    params: {cmd: [sh, -c, 'cat $SEQLAB_IN_A/x > $SEQLAB_OUT/y']}
  other:
    kind: command
    params: {cmd: [sh, -c, 'echo o > $SEQLAB_OUT/o']}
  c:
    kind: command
    gather: [b]
    params: {cmd: [sh, -c, 'cat $SEQLAB_IN_B/*/y > $SEQLAB_OUT/z']}
"#,
    );
    w.run("b.yaml", &[]).ok();
    let set = ["--set", "a.params.seed=2"];
    let st = w.status("b.yaml", &set);
    assert_eq!(
        with_state(&st, "stale"),
        sorted(&["a", "b[n=1]", "b[n=2]", "c"])
    );
    assert_eq!(with_state(&st, "cached"), vec!["other"]);
    assert_eq!(w.run("b.yaml", &set).ok().summary(), counts(4, 1, 0, 0));
    assert_eq!(w.output("c", "z"), "2\n2\n");
}

#[test]
fn adding_a_matrix_value_runs_only_the_new_cells_and_the_gatherers() {
    let w = sweep();
    w.run("s.yaml", &[]).ok();
    let set = ["--set", "data.matrix.i=[1, 2, 3]"];
    let st = w.status("s.yaml", &set);
    assert_eq!(st.len(), 13 + 6);
    assert_eq!(
        with_state(&st, "never-run"),
        sorted(&[
            "data[i=3]",
            "train[i=3,lr=0.1]",
            "train[i=3,lr=0.01]",
            "feat[i=3,k=a]",
            "join[i=3,lr=0.1,k=a]",
            "join[i=3,lr=0.01,k=a]",
        ])
    );
    // `per_i` only has i=1 and i=2, so only `all` sees the new cells.
    assert_eq!(with_state(&st, "stale"), vec!["all"]);
    assert_eq!(w.run("s.yaml", &set).ok().summary(), counts(7, 12, 0, 0));
    assert_eq!(
        w.output("all", "l"),
        "i=1,lr=0.01:d1\ni=1,lr=0.1:d1\ni=2,lr=0.1:d2\ni=3,lr=0.01:d3\ni=3,lr=0.1:d3\n"
    );
    // Removing the value again: the old `all` is still cached.
    assert_eq!(w.run("s.yaml", &[]).ok().summary(), counts(0, 13, 0, 0));
}

#[test]
fn a_failure_skips_descendants_and_the_next_run_finishes_the_rest() {
    let w = Work::new();
    // make[i=2] fails until the file `fixed` exists (not a dep: the key
    // stays the same, the fix is outside the pipeline).
    w.write(
        "f.yaml",
        r#"name: failing
stages:
  make:
    kind: command
    matrix: {i: [1, 2, 3]}
    params: {cmd: [sh, -c, 'test $SEQLAB_PARAM_I != 2 || test -f fixed || { echo boom-$SEQLAB_PARAM_I >&2; exit 3; }; echo $SEQLAB_PARAM_I > $SEQLAB_OUT/x']}
  down:
    kind: command
    needs: [make]
    params: {cmd: [sh, -c, 'cp $SEQLAB_IN_MAKE/x $SEQLAB_OUT/x']}
  summary:
    kind: command
    gather: [make]
    params: {cmd: [sh, -c, 'cat $SEQLAB_IN_MAKE/*/x > $SEQLAB_OUT/all']}
  independent:
    kind: command
    matrix: {j: [1, 2]}
    params: {cmd: [sh, -c, 'sleep 0.05; echo $SEQLAB_PARAM_J > $SEQLAB_OUT/j']}
  after:
    kind: command
    gather: [independent]
    params: {cmd: [sh, -c, 'cat $SEQLAB_IN_INDEPENDENT/*/j > $SEQLAB_OUT/all']}
"#,
    );
    let r = w.run("f.yaml", &["-j", "2"]);
    assert_eq!(r.code, 1, "{}", r.text());
    // make ×2 + down ×2 + independent ×2 + after; make[i=2] failed, down[i=2]
    // and summary skipped.
    assert_eq!(r.summary(), counts(7, 0, 1, 2));
    assert!(r.stdout.contains("FAILED  make[i=2]"), "{}", r.text());
    assert!(
        r.stdout
            .contains("skipped down[i=2]: make[i=2] did not complete"),
        "{}",
        r.text()
    );
    assert!(r
        .stdout
        .contains("skipped summary: make[i=2] did not complete"));
    assert!(
        r.stderr.contains("boom-2"),
        "the failing output is shown:\n{}",
        r.text()
    );
    assert!(!r.stderr.contains("panicked"));
    assert_eq!(w.output("after", "all"), "1\n2\n");

    let st = w.status("f.yaml", &[]);
    assert_eq!(
        with_state(&st, "never-run"),
        sorted(&["down[i=2]", "make[i=2]", "summary"])
    );
    assert_eq!(with_state(&st, "cached").len(), 7);

    // The failure is in the history, not in the cache.
    let log = w
        .seqlab(&["log", "make[i=2]", "--format", "json"])
        .ok()
        .json();
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert_eq!(log[0]["status"], "failed");
    assert!(log[0]["outputs"].is_null());

    // Still broken: the same three are attempted, nothing else.
    let r = w.run("f.yaml", &[]);
    assert_eq!(r.code, 1);
    assert_eq!(r.summary(), counts(0, 7, 1, 2));

    w.write("fixed", "");
    let r = w.run("f.yaml", &[]).ok();
    assert_eq!(r.summary(), counts(3, 7, 0, 0));
    assert_eq!(w.output("summary", "all"), "1\n2\n3\n");
    assert_eq!(w.run("f.yaml", &[]).ok().summary(), counts(0, 10, 0, 0));
}
