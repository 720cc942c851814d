//! `seqlab gc` with roots (issue 15, item 12): it keeps what the given
//! pipelines' current plans reference, the last N runs, or what runs used
//! since a date, frees the rest and says how many bytes; it never removes
//! what a running execution may need, and a kill during gc leaves a cache
//! that verifies clean.

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{counts, with_state, Rng, Work};
use serde_json::Value;

/// Sum of the sizes of every object file, and their names.
fn objects(cache: &Path) -> (u64, BTreeSet<String>) {
    let mut bytes = 0;
    let mut names = BTreeSet::new();
    for shard in std::fs::read_dir(cache.join("objects")).unwrap().flatten() {
        for obj in std::fs::read_dir(shard.path()).unwrap().flatten() {
            let name = obj.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') {
                bytes += obj.metadata().unwrap().len();
                names.insert(format!("{}{name}", shard.file_name().to_string_lossy()));
            }
        }
    }
    (bytes, names)
}

/// The objects of `instance`'s current outputs: its manifest and its files.
fn objects_of(w: &Work, instance: &str) -> BTreeSet<String> {
    let p = w.show(instance);
    let mut out: BTreeSet<String> = p["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["hash"].as_str().unwrap().to_string())
        .collect();
    out.insert(p["outputs"].as_str().unwrap().to_string());
    out
}

fn gc_json(w: &Work, args: &[&str]) -> Value {
    let mut a = vec!["gc", "--format", "json"];
    a.extend_from_slice(args);
    w.seqlab(&a).ok().json()
}

fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// quick.yaml with tiny settings (few steps, small test set), so it trains in
/// seconds; otherwise the shipped file.
fn tiny_quick(lr: &str) -> String {
    let text = include_str!("../../pipelines/quick.yaml");
    let tiny = text
        .replace("steps: 3000", "steps: 12")
        .replace("eval_every: 50", "eval_every: 6")
        .replace("warmup_steps: 100", "warmup_steps: 2")
        .replace("test_size: 2000", "test_size: 64")
        .replace("lr: 0.003", &format!("lr: {lr}"));
    assert_ne!(tiny, text);
    assert!(tiny.contains("steps: 12") && tiny.contains(&format!("lr: {lr}")));
    tiny
}

/// After two edited runs of quick.yaml, `gc --keep quick.yaml` frees exactly
/// the superseded results' bytes (the first run's training and evaluation;
/// the data set is shared) and keeps the current plan cached.
#[test]
fn gc_keep_frees_the_superseded_results_of_quick() {
    let w = Work::new();
    w.write("quick.yaml", &tiny_quick("0.003"));
    w.run("quick.yaml", &[]).ok();
    let superseded: Vec<&str> = vec![
        "train[model=lstm,layers=1]",
        "train[model=transformer,layers=2]",
        "evaluate[model=lstm,layers=1]",
        "evaluate[model=transformer,layers=2]",
    ];
    let mut old: BTreeSet<String> = BTreeSet::new();
    for i in &superseded {
        old.extend(objects_of(&w, i));
    }
    w.write("quick.yaml", &tiny_quick("0.002"));
    assert_eq!(w.run("quick.yaml", &[]).ok().summary(), counts(4, 1, 0, 0));
    let mut live: BTreeSet<String> = objects_of(&w, "data");
    for i in &superseded {
        live.extend(objects_of(&w, i));
    }
    let (bytes_before, names_before) = objects(&w.cache());
    let freed: BTreeSet<String> = old.difference(&live).cloned().collect();
    assert!(freed.len() >= 8, "{freed:?}");
    let expected_bytes: u64 = freed
        .iter()
        .map(|h| {
            std::fs::metadata(w.cache().join("objects").join(&h[..2]).join(&h[2..]))
                .unwrap()
                .len()
        })
        .sum();
    assert!(
        expected_bytes > 10_000,
        "models are stored: {expected_bytes}"
    );

    let dry = gc_json(&w, &["--keep", "quick.yaml", "--dry-run"]);
    assert_eq!(dry["removed_bytes"], expected_bytes, "{dry:#}");
    assert_eq!(
        objects(&w.cache()).1,
        names_before,
        "a dry run removes nothing"
    );

    let r = gc_json(&w, &["--keep", "quick.yaml"]);
    assert_eq!(r["removed_bytes"], expected_bytes, "{r:#}");
    assert_eq!(r["removed_objects"], freed.len() as u64, "{r:#}");
    let (bytes_after, names_after) = objects(&w.cache());
    assert_eq!(bytes_before - bytes_after, expected_bytes);
    assert_eq!(
        names_before
            .difference(&names_after)
            .cloned()
            .collect::<BTreeSet<_>>(),
        freed
    );
    let v = w.seqlab(&["verify"]);
    assert_eq!(v.code, 0, "{}", v.text());
    let st = w.status("quick.yaml", &[]);
    assert_eq!(with_state(&st, "cached").len(), 5, "{st:?}");
    // The first version is no longer cached: its training would run again.
    w.write("quick.yaml", &tiny_quick("0.003"));
    let st = w.status("quick.yaml", &[]);
    assert_eq!(with_state(&st, "cached"), vec!["data"], "{st:?}");
}

const SWEEP: &str = r#"name: sweep
stages:
  make:
    kind: command
    matrix: {i: [1, 2, 3]}
    params:
      cmd: [sh, -c, 'seq 1 $((1000 * $SEQLAB_PARAM_I + $SEQLAB_PARAM_V)) > $SEQLAB_OUT/x']
      v: 0
"#;

fn set_v(v: u32) -> String {
    format!("make.params.v={v}")
}

/// `--keep-last N` keeps the results of the newest N runs; `--since DATE`
/// those of runs started since then; older ones are dropped from the
/// cache (their history stays in `log`).
#[test]
fn gc_keep_last_and_since() {
    let w = Work::new();
    w.write("s.yaml", SWEEP);
    for v in 1..=3 {
        w.run("s.yaml", &["--set", &set_v(v)]).ok();
        if v == 1 {
            // Runs 2 and 3 start at least a second after run 1.
            std::thread::sleep(Duration::from_millis(1100));
        }
    }
    let cached = |v: u32| with_state(&w.status("s.yaml", &["--set", &set_v(v)]), "cached").len();
    assert_eq!((cached(1), cached(2), cached(3)), (3, 3, 3));

    // A date after every run keeps nothing but what --keep-last adds.
    let r = gc_json(
        &w,
        &["--since", "2999-01-01", "--keep-last", "2", "--dry-run"],
    );
    assert!(r["removed_objects"].as_u64().unwrap() >= 4, "{r:#}");
    assert_eq!((cached(1), cached(2), cached(3)), (3, 3, 3));

    // Since the moment between run 1 and run 2: runs 2 and 3 stay.
    let log = w
        .seqlab(&["log", "--format", "json", "-n", "100"])
        .ok()
        .json();
    let first_run_end = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["params"]["v"] == 1)
        .map(|e| e["ended"].as_f64().unwrap())
        .fold(0.0, f64::max);
    // Run 1 started before `cut`, run 2 more than a second after run 1 ended.
    let cut = first_run_end.ceil() as i64;
    let date = chrono::DateTime::from_timestamp(cut, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let r = gc_json(&w, &["--since", &date]);
    assert!(r["removed_bytes"].as_u64().unwrap() > 0, "{r:#}");
    assert_eq!((cached(1), cached(2), cached(3)), (0, 3, 3));
    assert_eq!(w.seqlab(&["verify"]).code, 0);

    gc_json(&w, &["--keep-last", "1"]);
    assert_eq!((cached(1), cached(2), cached(3)), (0, 0, 3));
    let v = w.seqlab(&["verify"]);
    assert_eq!(v.code, 0, "{}", v.text());
    // History is kept.
    let log = w
        .seqlab(&["log", "--format", "json", "-n", "100"])
        .ok()
        .json();
    assert_eq!(log.as_array().unwrap().len(), 9);
    // A dropped result is simply redone.
    assert_eq!(
        w.run("s.yaml", &["--set", &set_v(1)]).ok().summary(),
        counts(3, 0, 0, 0)
    );
    let bad = w.seqlab(&["gc", "--since", "yesterday-ish"]);
    assert_eq!(bad.code, 2, "{}", bad.text());
    assert!(bad.stderr.contains("--since"), "{}", bad.text());
}

/// gc against a live run: it waits for the run (which holds an input it is
/// still reading) and only then collects; the run's results are intact.
#[test]
fn gc_waits_for_a_live_run() {
    let w = Work::new();
    let pipeline = |v: u32| {
        format!(
            r#"name: live
stages:
  up:
    kind: command
    params: {{cmd: [sh, -c, 'seq 1 5000{v} > $SEQLAB_OUT/big']}}
  down:
    kind: command
    needs: [up]
    params: {{cmd: [sh, -c, 'touch started; while [ ! -e go ]; do sleep 0.01; done; wc -l < $SEQLAB_IN_UP/big > $SEQLAB_OUT/n']}}
"#
        )
    };
    w.write("l.yaml", &pipeline(1));
    std::fs::write(w.join("go"), "").unwrap();
    w.run("l.yaml", &[]).ok();
    std::fs::remove_file(w.join("go")).unwrap();
    std::fs::remove_file(w.join("started")).unwrap();
    // A new version: the old one's results become collectable, and the run
    // of the new one is held in `down`, which reads `up`'s fresh outputs.
    w.write("l.yaml", &pipeline(2));
    let mut run = w.spawn(&["run", "l.yaml"]);
    wait_for(&w.join("started"));
    let gc = w.spawn(&["gc", "--keep-last", "1", "--format", "json"]);
    // gc has had time to remove the new `up` objects if it did not wait.
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(w.join("go"), "").unwrap();
    let out = run.wait().unwrap();
    assert!(out.success());
    let gc = gc.wait_with_output().unwrap();
    assert!(
        gc.status.success(),
        "{}",
        String::from_utf8_lossy(&gc.stderr)
    );
    assert!(
        String::from_utf8_lossy(&gc.stderr).contains("waiting for running"),
        "{}",
        String::from_utf8_lossy(&gc.stderr)
    );
    // The run finished with its real result, and gc (which waited until it
    // was recorded) kept it as the newest run's.
    assert_eq!(w.output("down", "n"), "50002\n");
    let st = w.status("l.yaml", &[]);
    assert_eq!(with_state(&st, "cached").len(), 2, "{st:?}");
    let v = w.seqlab(&["verify"]);
    assert_eq!(v.code, 0, "{}", v.text());
}

/// Temp dirs whose key lock is held (an execution in progress) are left
/// alone; once free they are collected.
#[test]
fn gc_skips_temp_dirs_whose_key_lock_is_held() {
    let w = Work::new();
    w.seqlab(&["log"]).ok(); // create the cache
    let key_busy = "a".repeat(64);
    let key_free = "b".repeat(64);
    let tmp = w.cache().join("tmp");
    for k in [&key_busy, &key_free] {
        std::fs::create_dir_all(tmp.join(format!("{k}.4242.0/out"))).unwrap();
        std::fs::write(tmp.join(format!("{k}.4242.0/out/x")), "partial").unwrap();
    }
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(w.cache().join("locks").join(format!("{key_busy}.lock")))
        .unwrap();
    lock.lock().unwrap();
    let r = gc_json(&w, &[]);
    assert_eq!(r["removed_tmp_dirs"], 1, "{r:#}");
    assert!(tmp.join(format!("{key_busy}.4242.0/out/x")).exists());
    assert!(!tmp.join(format!("{key_free}.4242.0")).exists());
    drop(lock);
    // A seqlab child another test thread forked just now may still hold a
    // copy of the lock's file description until it execs (flock locks
    // belong to the description), so the lock can outlive `drop` by a
    // moment: gc again until it is seen free.
    let start = Instant::now();
    loop {
        let r = gc_json(&w, &[]);
        match r["removed_tmp_dirs"].as_u64() {
            Some(1) => break,
            Some(0) if start.elapsed() < Duration::from_secs(20) => {
                std::thread::sleep(Duration::from_millis(50))
            }
            _ => panic!("the freed temp dir was never collected: {r:#}"),
        }
    }
    assert!(!tmp.join(format!("{key_busy}.4242.0")).exists());
}

/// `verify --rerun` works in a temp dir of its own; gc used to see that
/// dir's key unlocked and delete it under the running re-execution.
#[test]
fn gc_leaves_a_running_verify_rerun_alone() {
    let w = Work::new();
    w.write(
        "h.yaml",
        r#"name: hold
stages:
  slow:
    kind: command
    params: {cmd: [sh, -c, 'if [ -e hold ]; then touch holding; while [ ! -e go ]; do sleep 0.01; done; fi; echo 42 > $SEQLAB_OUT/x']}
"#,
    );
    w.run("h.yaml", &[]).ok();
    std::fs::write(w.join("hold"), "").unwrap();
    let verify = w.spawn(&["verify", "h.yaml", "--rerun", "slow"]);
    wait_for(&w.join("holding"));
    let gc = w.spawn(&["gc", "--format", "json"]);
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(w.join("go"), "").unwrap();
    let v = verify.wait_with_output().unwrap();
    assert!(
        v.status.success(),
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    assert!(String::from_utf8_lossy(&v.stdout).contains("bit-identical"));
    assert!(gc.wait_with_output().unwrap().status.success());
}

fn many(v: u32) -> String {
    let values: Vec<String> = (1..=300).map(|i| i.to_string()).collect();
    format!(
        r#"name: many
stages:
  make:
    kind: command
    matrix: {{i: [{}]}}
    params:
      cmd: [sh, -c, 'echo $SEQLAB_PARAM_I-{v} > $SEQLAB_OUT/x; seq 1 $SEQLAB_PARAM_I > $SEQLAB_OUT/y']
"#,
        values.join(", ")
    )
}

/// SIGKILL at random moments of `gc --keep`: the cache always verifies
/// clean, the kept pipeline stays cached, and a later gc finishes the job.
#[test]
fn a_kill_during_gc_leaves_a_clean_cache() {
    let w = Work::new();
    let mut rng = Rng(0x6c_5eed);
    for round in 0..5u32 {
        w.write("m.yaml", &many(round));
        w.run("m.yaml", &["-j", "2"]).ok();
        // Aim the kill into the work: a dry run does all of it but removing.
        let t = Instant::now();
        w.seqlab(&["gc", "--keep", "m.yaml", "--dry-run"]).ok();
        let dry = t.elapsed().as_millis() as u64;
        let before = objects(&w.cache()).1.len();
        let mut child = w.spawn_quiet(&["gc", "--keep", "m.yaml"]);
        let delay = rng.range(dry / 2, dry + 40);
        std::thread::sleep(Duration::from_millis(delay));
        // SAFETY: kill(2) on a child we spawned and have not reaped yet.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
        child.wait().unwrap();
        eprintln!(
            "round {round}: killed gc after {delay} ms (a dry run takes {dry} ms): {} of {before} objects removed",
            before - objects(&w.cache()).1.len()
        );
        let v = w.seqlab(&["verify"]);
        assert_eq!(v.code, 0, "round {round}: {}", v.text());
        assert!(
            v.stdout.contains("0 damaged, 0 output trees incomplete"),
            "{}",
            v.text()
        );
        let st = w.status("m.yaml", &[]);
        assert_eq!(with_state(&st, "cached").len(), 300, "round {round}");
    }
    let r = gc_json(&w, &["--keep", "m.yaml"]);
    assert_eq!(r["dry_run"], false);
    // Only the current version's objects remain: 300 manifests and 600 files
    // (every `y` differs; `x` too), nothing else.
    let (_, names) = objects(&w.cache());
    assert_eq!(names.len(), 900, "{r:#}");
    assert_eq!(w.seqlab(&["verify"]).code, 0);
    assert_eq!(w.run("m.yaml", &[]).ok().summary(), counts(0, 300, 0, 0));
}

/// A run killed while gc waits for it: gc then proceeds (the kernel drops
/// the dead run's lock), and the cache verifies clean with the killed run's
/// completed results intact and its unfinished instance simply not cached.
#[test]
fn a_run_killed_while_gc_waits_leaves_a_clean_cache() {
    let w = Work::new();
    w.write(
        "k.yaml",
        r#"name: killed
stages:
  first:
    kind: command
    params: {cmd: [sh, -c, 'seq 1 20000 > $SEQLAB_OUT/x']}
  second:
    kind: command
    needs: [first]
    params: {cmd: [sh, -c, 'touch started; while [ ! -e go ]; do sleep 0.01; done; cp $SEQLAB_IN_FIRST/x $SEQLAB_OUT/y']}
"#,
    );
    let mut run = w.spawn_quiet(&["run", "k.yaml"]);
    wait_for(&w.join("started"));
    let gc = w.spawn(&["gc", "--keep", "k.yaml", "--format", "json"]);
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: kill(2) on a child we spawned and have not reaped yet.
    unsafe { libc::kill(run.id() as libc::pid_t, libc::SIGKILL) };
    run.wait().unwrap();
    let gc = gc.wait_with_output().unwrap();
    assert!(
        gc.status.success(),
        "{}",
        String::from_utf8_lossy(&gc.stderr)
    );
    let report: Value = serde_json::from_slice(&gc.stdout).unwrap();
    assert_eq!(report["kept_results"], 1, "{report:#}");
    let v = w.seqlab(&["verify"]);
    assert_eq!(v.code, 0, "{}", v.text());
    std::fs::write(w.join("go"), "").unwrap();
    let st = w.status("k.yaml", &[]);
    assert_eq!(with_state(&st, "cached"), vec!["first"], "{st:?}");
    assert_eq!(w.run("k.yaml", &[]).ok().summary(), counts(1, 1, 0, 0));
    assert_eq!(w.seqlab(&["verify"]).code, 0);
}
