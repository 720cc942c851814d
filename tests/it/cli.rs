//! The commands besides `run`: their output formats and exit codes.

use std::collections::BTreeSet;

use crate::common;
use crate::common::{counts, Work};
use serde_json::json;

const P: &str = r#"name: cli
stages:
  make:
    kind: command
    matrix: {i: [1, 2]}
    params: {cmd: [sh, -c, 'echo $SEQLAB_PARAM_I > $SEQLAB_OUT/x']}
  score:
    kind: command
    needs: [make]
    params: {cmd: [sh, -c, 'printf "{\"acc\": 0.5}" > $SEQLAB_OUT/metrics.json; cp $SEQLAB_IN_MAKE/x $SEQLAB_OUT/copy']}
  report:
    kind: command
    gather: [score]
    params: {cmd: [sh, -c, 'ls $SEQLAB_IN_SCORE > $SEQLAB_OUT/r']}
"#;

fn cli() -> Work {
    let w = Work::new();
    w.write("p.yaml", P);
    w
}

#[test]
fn status_json_has_instance_state_reason_with_all_three_states() {
    let w = cli();
    w.run("p.yaml", &[]).ok();
    // Change `report`, add a new stage: stale and never-run appear.
    let edited = P.replace("> $SEQLAB_OUT/r']", "> $SEQLAB_OUT/r'], v: 2")
        + "  extra:\n    kind: command\n    params: {cmd: [true]}\n";
    w.write("p.yaml", &edited);
    let r = w.seqlab(&["status", "p.yaml", "--format", "json"]).ok();
    let v = r.json();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 6);
    for row in rows {
        let keys: BTreeSet<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            keys,
            BTreeSet::from(["instance", "state", "reason"]),
            "{row}"
        );
    }
    assert_eq!(
        rows[0],
        json!({"instance": "make[i=1]", "state": "cached", "reason": ""})
    );
    assert_eq!(
        rows[4],
        json!({"instance": "report", "state": "stale", "reason": "params.v added (2)"})
    );
    assert_eq!(
        rows[5],
        json!({"instance": "extra", "state": "never-run", "reason": "never run"})
    );
    // The text form says the same in columns, with a total.
    let t = w.seqlab(&["status", "p.yaml"]).ok();
    assert!(t.stdout.contains("4 of 6 instances cached"), "{}", t.stdout);
    let line = t.stdout.lines().find(|l| l.starts_with("report")).unwrap();
    assert!(
        line.contains("stale") && line.contains("params.v added (2)"),
        "{line}"
    );
}

#[test]
fn status_does_not_run_anything() {
    let w = cli();
    let st = w.status("p.yaml", &[]);
    assert!(st.iter().all(|r| r.state == "never-run"));
    let log = w.seqlab(&["log", "--format", "json"]).ok().json();
    assert_eq!(log, json!([]));
    let dry = w.run("p.yaml", &["--dry-run"]).ok();
    assert!(
        dry.stdout.contains("would run make[i=1]: never run"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("5 of 5 instances would run; 0 cached"),
        "{}",
        dry.stdout
    );
    assert_eq!(
        w.seqlab(&["log", "--format", "json"]).ok().json(),
        json!([])
    );
}

#[test]
fn show_json_has_provenance_and_metrics() {
    let w = cli();
    w.run("p.yaml", &[]).ok();
    let p = w.show("score[i=2]");
    assert_eq!(p["instance"], "score[i=2]");
    assert_eq!(p["kind"], "command");
    assert_eq!(p["kind_version"], 1);
    let key = p["key"].as_str().unwrap();
    assert_eq!(key.len(), 64);
    assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(p["params"]["cmd"][0], "sh");
    assert_eq!(p["inputs"][0]["artifacts"][0]["label"], "i=2");
    let upstream_tree = w.show("make[i=2]")["outputs"].clone();
    assert_eq!(p["inputs"][0]["artifacts"][0]["tree"], upstream_tree);
    let outputs = p["outputs"].as_str().unwrap();
    assert_eq!(outputs.len(), 64);
    assert_eq!(p["metrics"], json!({"acc": 0.5}));
    let files: Vec<&str> = p["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, vec!["copy", "metrics.json"]);
    assert_eq!(p["files"][0]["size"], 2);
    // Without metrics.json there are no metrics.
    assert!(w.show("make[i=1]")["metrics"].is_null());
    // By prefix of the tree hash and of the key.
    assert_eq!(w.show(&outputs[..10])["instance"], "score[i=2]");
    assert_eq!(w.show(&key[..8])["instance"], "score[i=2]");
    // Text form.
    let t = w.seqlab(&["show", "score[i=2]"]).ok();
    assert!(
        t.stdout.contains(&format!("key       {key}")),
        "{}",
        t.stdout
    );
    assert!(t.stdout.contains("metrics   {\"acc\":0.5}"), "{}", t.stdout);
    // Unknown: an error, not a panic.
    let r = w.seqlab(&["show", "nothing[i=9]"]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr
            .contains("no successful execution of `nothing[i=9]`"),
        "{}",
        r.text()
    );
    assert!(!r.stderr.contains("panicked"));
}

#[test]
fn dag_dot_and_mermaid_contain_the_edges() {
    let w = cli();
    let dot = w.seqlab(&["dag", "p.yaml", "--format", "dot"]).ok().stdout;
    assert!(dot.starts_with("digraph \"cli\" {"), "{dot}");
    assert!(dot.trim_end().ends_with('}'));
    // Nodes in plan order: make[1]=n0 make[2]=n1 score[1]=n2 score[2]=n3 report=n4.
    assert!(
        dot.contains(r#"n2 [label="score[i=1]\n(command)"];"#),
        "{dot}"
    );
    let edges: Vec<&str> = dot
        .lines()
        .filter(|l| l.contains("->"))
        .map(str::trim)
        .collect();
    assert_eq!(
        edges,
        vec!["n0 -> n2;", "n1 -> n3;", "n2 -> n4;", "n3 -> n4;"]
    );

    let m = w
        .seqlab(&["dag", "p.yaml", "--format", "mermaid"])
        .ok()
        .stdout;
    assert!(m.starts_with("flowchart LR\n"));
    assert!(m.contains("n4[\"report\"]"), "{m}");
    let edges: Vec<&str> = m
        .lines()
        .filter(|l| l.contains("-->"))
        .map(str::trim)
        .collect();
    assert_eq!(
        edges,
        vec!["n0 --> n2", "n1 --> n3", "n2 --> n4", "n3 --> n4"]
    );

    let text = w.seqlab(&["dag", "p.yaml"]).ok().stdout;
    assert_eq!(
        text,
        "make[i=1] (command)\n  score[i=1] (command)\n    report (command)\nmake[i=2] (command)\n  score[i=2] (command)\n    report (command) (see above)\n"
    );
}

#[test]
fn log_lists_executions_newest_first() {
    let w = cli();
    w.run("p.yaml", &["-j", "1"]).ok();
    w.run("p.yaml", &["--set", "make.params.tag=t"]).ok();
    let all = w.seqlab(&["log", "--format", "json"]).ok().json();
    let rows = all.as_array().unwrap();
    assert_eq!(
        rows.len(),
        5 + 2,
        "two make instances reran, the rest stayed cached"
    );
    let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|p| p[0] > p[1]), "newest first: {ids:?}");
    let one = w
        .seqlab(&["log", "make[i=1]", "--format", "json"])
        .ok()
        .json();
    let one = one.as_array().unwrap();
    assert_eq!(one.len(), 2);
    assert_eq!(one[0]["params"]["tag"], "t");
    assert!(one[1]["params"].get("tag").is_none());
    assert!(one
        .iter()
        .all(|r| r["status"] == "ok" && r["instance"] == "make[i=1]"));
    let limited = w
        .seqlab(&["log", "-n", "3", "--format", "json"])
        .ok()
        .json();
    assert_eq!(limited.as_array().unwrap().len(), 3);
    let text = w.seqlab(&["log", "report"]).ok().stdout;
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("report") && text.contains("ok"), "{text}");
    let none = w.seqlab(&["log", "nope"]).ok().stdout;
    assert_eq!(none, "no executions recorded\n");
}

#[test]
fn verify_rerun_tells_deterministic_from_not() {
    let w = Work::new();
    w.write(
        "v.yaml",
        r#"name: v
stages:
  det:
    kind: command
    params: {cmd: [sh, -c, 'echo same > $SEQLAB_OUT/a; echo also > $SEQLAB_OUT/b']}
  nondet:
    kind: command
    params: {cmd: [sh, -c, 'echo same > $SEQLAB_OUT/a; date +%N > $SEQLAB_OUT/b']}
"#,
    );
    w.run("v.yaml", &[]).ok();
    let r = w.seqlab(&["verify", "v.yaml", "--rerun", "det"]);
    assert_eq!(r.code, 0, "{}", r.text());
    assert!(
        r.stdout.contains("det: re-execution is bit-identical"),
        "{}",
        r.text()
    );

    let r = w.seqlab(&["verify", "v.yaml", "--rerun", "nondet", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.text());
    let j = r.json();
    assert_eq!(j["identical"], false);
    assert_eq!(j["differing"], json!(["b"]));
    assert_ne!(j["expected"], j["actual"]);
    assert_eq!(j["expected"], w.show("nondet")["outputs"]);
    let r = w.seqlab(&["verify", "v.yaml", "--rerun", "nondet"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("DIFFERS"), "{}", r.text());
    // The cache entry itself is untouched.
    assert_eq!(w.run("v.yaml", &[]).ok().summary(), counts(0, 2, 0, 0));
    assert_eq!(w.seqlab(&["verify"]).code, 0);

    let r = w.seqlab(&["verify", "v.yaml", "--rerun", "dett"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("did you mean `det`?"), "{}", r.text());
    let r = w.seqlab(&["verify", "--rerun", "det"]);
    assert_eq!(
        r.code,
        2,
        "the pipeline is required with --rerun: {}",
        r.text()
    );
}

#[test]
fn verify_rerun_of_an_uncached_instance_is_an_error() {
    let w = Work::new();
    w.write(
        "v.yaml",
        "name: v\nstages:\n  a:\n    kind: command\n    params: {cmd: [true]}\n",
    );
    let r = w.seqlab(&["verify", "v.yaml", "--rerun", "a"]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr
            .contains("`a` is not cached: run the pipeline first"),
        "{}",
        r.text()
    );
    assert!(!r.stderr.contains("panicked"));
}

#[test]
fn gc_removes_unreferenced_objects_and_keeps_live_ones() {
    let w = Work::new();
    // `n` and `m` differ at every execution, `a` never does.
    w.write(
        "g.yaml",
        r#"name: g
stages:
  s:
    kind: command
    params: {cmd: [sh, -c, 'echo const > $SEQLAB_OUT/a; date +%s%N > $SEQLAB_OUT/n; echo m$(date +%N) > $SEQLAB_OUT/m']}
  t:
    kind: command
    params: {cmd: [sh, -c, 'echo t > $SEQLAB_OUT/t']}
"#,
    );
    w.run("g.yaml", &[]).ok();
    let dry = w.seqlab(&["gc", "--dry-run"]).ok();
    assert_eq!(
        dry.stdout,
        "would remove 0 unreferenced objects (0 bytes) and 0 stale temp dirs; kept 6 objects\n"
    );

    // Supersede `s`'s result: damage `n`, verify invalidates the entry, the
    // next run produces a new result. The old manifest and `m` are garbage
    // (`n` is in quarantine/, `a` is shared with the new result).
    let old = w.show("s");
    let file = |p: &serde_json::Value, name: &str| {
        let f = p["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == name)
            .unwrap();
        std::path::PathBuf::from(f["object"].as_str().unwrap())
    };
    let objects = w.cache().join("objects");
    let tree_path = |t: &str| objects.join(&t[..2]).join(&t[2..]);
    let old_tree = tree_path(old["outputs"].as_str().unwrap());
    let (old_a, old_n, old_m) = (file(&old, "a"), file(&old, "n"), file(&old, "m"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&old_n, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&old_n, "garbage\n").unwrap();
    assert_eq!(w.seqlab(&["verify"]).code, 1);
    assert_eq!(w.run("g.yaml", &[]).ok().summary(), counts(1, 1, 0, 0));
    let new = w.show("s");
    assert_ne!(new["outputs"], old["outputs"]);
    assert_eq!(file(&new, "a"), old_a);

    let dry = w.seqlab(&["gc", "--dry-run"]).ok();
    assert!(
        dry.stdout
            .starts_with("would remove 2 unreferenced objects ("),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.ends_with("kept 6 objects\n"), "{}", dry.stdout);
    assert!(
        old_tree.exists() && old_m.exists(),
        "dry run removes nothing"
    );

    let gc = w.seqlab(&["gc"]).ok();
    assert!(
        gc.stdout.starts_with("removed 2 unreferenced objects ("),
        "{}",
        gc.stdout
    );
    assert!(!old_tree.exists());
    assert!(!old_m.exists());
    for live in [
        file(&new, "a"),
        file(&new, "n"),
        file(&new, "m"),
        tree_path(new["outputs"].as_str().unwrap()),
    ] {
        assert!(live.exists(), "{} was removed", live.display());
    }
    let again = w.seqlab(&["gc"]).ok();
    assert!(
        again.stdout.starts_with("removed 0 unreferenced objects"),
        "{}",
        again.stdout
    );
    assert_eq!(w.seqlab(&["verify"]).code, 0);
    assert_eq!(w.run("g.yaml", &[]).ok().summary(), counts(0, 2, 0, 0));
}

#[test]
fn gc_keeps_results_of_earlier_params() {
    // A result for an older param value is still a cache entry (switching
    // back is free), so gc keeps it.
    let w = cli();
    w.run("p.yaml", &[]).ok();
    w.run("p.yaml", &["--set", "make.params.tag=x"]).ok();
    let gc = w.seqlab(&["gc"]).ok();
    assert!(
        gc.stdout.starts_with("removed 0 unreferenced objects"),
        "{}",
        gc.stdout
    );
    assert_eq!(w.run("p.yaml", &[]).ok().summary(), counts(0, 5, 0, 0));
}

const SUBCOMMANDS: [(&str, &[&str]); 7] = [
    (
        "run",
        &[
            "--jobs",
            "--dry-run",
            "--set",
            "--backend",
            "--cache",
            "--quiet",
            "--verbose",
        ],
    ),
    ("status", &["--format", "--set", "--backend", "--cache"]),
    ("dag", &["--format", "--set", "--backend"]),
    ("log", &["--limit", "--format"]),
    ("show", &["--format"]),
    ("verify", &["--rerun", "--set", "--backend", "--format"]),
    ("gc", &["--dry-run"]),
];

#[test]
fn every_subcommand_has_help_that_documents_each_flag() {
    let top = std::process::Command::new(common::BIN)
        .arg("--help")
        .output()
        .unwrap();
    assert!(top.status.success());
    let top = String::from_utf8_lossy(&top.stdout).into_owned();
    let mut undocumented = Vec::new();
    for (cmd, flags) in SUBCOMMANDS {
        assert!(
            top.contains(&format!("  {cmd} ")),
            "`{cmd}` missing from --help:\n{top}"
        );
        let out = std::process::Command::new(common::BIN)
            .args([cmd, "--help"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{cmd} --help");
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(help.contains(&format!("Usage: seqlab {cmd}")), "{help}");
        for flag in flags {
            let line = help
                .lines()
                .find(|l| {
                    l.trim_start().starts_with('-')
                        && l.trim_start()
                            .split([' ', ','])
                            .any(|w| w.trim_end_matches("...") == *flag)
                })
                .unwrap_or_else(|| panic!("`{cmd} --help` lacks {flag}:\n{help}"));
            // After the flag and its value name, some words of description
            // (not only clap's `[default: …]` / `[possible values: …]`).
            let rest = line
                .split("  ")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .skip(1)
                .collect::<Vec<_>>()
                .join(" ");
            let described = !rest.is_empty() && !rest.starts_with('[');
            if !described {
                undocumented.push(format!("seqlab {cmd} {flag}: `{}`", line.trim()));
            }
        }
    }
    assert!(
        undocumented.is_empty(),
        "flags without a description:\n{}",
        undocumented.join("\n")
    );
}

#[test]
fn version_and_unknown_subcommand() {
    let out = std::process::Command::new(common::BIN)
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("seqlab {}", env!("CARGO_PKG_VERSION"))
    );
    let out = std::process::Command::new(common::BIN)
        .arg("rnu")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("unrecognized subcommand 'rnu'"), "{err}");
    assert!(!err.contains("panicked"));
}
