//! Two `seqlab run` processes on one cache at the same time: every cache key
//! executes exactly once, both succeed, the cache verifies clean.

use std::collections::BTreeMap;
use std::process::Stdio;

use crate::common;
use crate::common::{counts, with_state, Work};

fn pipeline(log: &str) -> String {
    format!(
        r#"name: shared
stages:
  step:
    kind: command
    matrix: {{i: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]}}
    params:
      cmd: [sh, -c, 'while [ -e hold ]; do sleep 0.01; done; echo $PPID >> pids.log; echo $SEQLAB_INSTANCE >> $SEQLAB_PARAM_LOGFILE; sleep 0.05; echo $SEQLAB_PARAM_I > $SEQLAB_OUT/x']
      logfile: {log}
  next:
    kind: command
    needs: [step]
    params:
      cmd: [sh, -c, 'echo $SEQLAB_INSTANCE >> $SEQLAB_PARAM_LOGFILE; sleep 0.05; cp $SEQLAB_IN_STEP/x $SEQLAB_OUT/x']
      logfile: {log}
  total:
    kind: command
    gather: [next]
    params:
      cmd: [sh, -c, 'echo $SEQLAB_INSTANCE >> $SEQLAB_PARAM_LOGFILE; cat $SEQLAB_IN_NEXT/*/x | sort -n | tr "\n" " " > $SEQLAB_OUT/all']
      logfile: {log}
"#
    )
}

fn run_two_at_once(w: &Work, a: &[&str], b: &[&str]) -> (common::Run, common::Run) {
    let spawn = |args: &[&str]| {
        w.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (c1, c2) = (spawn(a), spawn(b));
    let done = |c: std::process::Child| {
        let out = c.wait_with_output().unwrap();
        common::Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    };
    (done(c1), done(c2))
}

/// Create the cache (and its index) first, so the tests below exercise the
/// per-key locks rather than the index creation race (tested separately).
fn init_cache(w: &Work) {
    w.seqlab(&["log"]).ok();
}

fn log_counts(w: &Work) -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(w.join("executions.log")).unwrap_or_default();
    let mut m = BTreeMap::new();
    for line in text.lines() {
        *m.entry(line.to_string()).or_insert(0) += 1;
    }
    m
}

/// (started, ended) of every recorded run, read from the index.
fn run_spans(w: &Work) -> Vec<(f64, Option<f64>)> {
    let db = rusqlite::Connection::open(w.cache().join("index.sqlite")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let mut st = db
        .prepare("SELECT started, ended FROM runs ORDER BY id")
        .unwrap();
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    rows
}

#[test]
fn two_runs_at_once_execute_each_key_once() {
    let w = Work::new();
    let log = w.join("executions.log");
    w.write("p.yaml", &pipeline(log.to_str().unwrap()));
    init_cache(&w);
    // The `step` instances wait while `hold` exists, so the first process
    // cannot finish before the second has started its run: the two overlap
    // however the machine schedules them.
    w.write("hold", "");
    let spawn = |args: &[&str]| {
        w.command(args)
            .env("SEQLAB_LOG", "seqlab=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let args = ["run", "p.yaml", "-j", "2"];
    let (c1, c2) = (spawn(&args), spawn(&args));
    let start = std::time::Instant::now();
    while run_spans(&w).len() < 2 {
        assert!(start.elapsed().as_secs() < 60, "the runs did not start");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // Let the second reach the keys the first is holding.
    std::thread::sleep(std::time::Duration::from_millis(200));
    std::fs::remove_file(w.join("hold")).unwrap();
    let done = |c: std::process::Child| {
        let out = c.wait_with_output().unwrap();
        common::Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    };
    let (r1, r2) = (done(c1).ok(), done(c2).ok());
    // The runs overlapped in time, and shared the work: one waited for a key
    // the other was executing, or both executed part of it.
    let spans = run_spans(&w);
    assert_eq!(spans.len(), 2);
    let last_start = spans[0].0.max(spans[1].0);
    let first_end = spans[0].1.unwrap().min(spans[1].1.unwrap());
    assert!(
        last_start < first_end,
        "the runs did not overlap: {spans:?}"
    );
    let pids: std::collections::BTreeSet<String> = std::fs::read_to_string(w.join("pids.log"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let waited =
        format!("{}{}", r1.stderr, r2.stderr).contains("waited for another seqlab process");
    assert!(
        pids.len() == 2 || waited,
        "no sign of shared work: executors {pids:?}\n{}\n{}",
        r1.text(),
        r2.text()
    );
    let seen = log_counts(&w);
    assert_eq!(seen.len(), 25, "{seen:?}");
    for (name, n) in &seen {
        assert_eq!(*n, 1, "{name} executed {n} times: {seen:?}");
    }
    assert!(seen.contains_key("step[i=7]") && seen.contains_key("next[i=12]"));
    assert!(seen.contains_key("total"));
    // Between them the two processes executed each instance once; an
    // instance the other process ran counts as executed (waited for) or cached.
    let (s1, s2) = (r1.summary(), r2.summary());
    assert_eq!(s1.failed + s1.skipped + s2.failed + s2.skipped, 0);
    assert_eq!(s1.executed + s1.cached, 25);
    assert_eq!(s2.executed + s2.cached, 25);

    let v = w.seqlab(&["verify"]);
    assert_eq!(v.code, 0, "{}", v.text());
    assert!(v.stdout.contains("0 damaged"));
    let st = w.status("p.yaml", &[]);
    assert_eq!(with_state(&st, "cached").len(), 25);
    assert_eq!(w.output("total", "all"), "1 2 3 4 5 6 7 8 9 10 11 12 ");
    // The index holds exactly one successful execution per instance.
    let hist = w
        .seqlab(&["log", "--format", "json", "-n", "1000"])
        .ok()
        .json();
    let rows = hist.as_array().unwrap();
    assert_eq!(rows.len(), 25, "{hist:#}");
    assert!(rows.iter().all(|r| r["status"] == "ok"));
    assert_eq!(w.run("p.yaml", &[]).ok().summary(), counts(0, 25, 0, 0));
}

#[test]
fn a_run_and_an_overlapping_sweep_share_their_common_cells() {
    // The second process sweeps i over 7..16: cells 7..12 overlap.
    let w = Work::new();
    let log = w.join("executions.log");
    w.write("p.yaml", &pipeline(log.to_str().unwrap()));
    init_cache(&w);
    let (r1, r2) = run_two_at_once(
        &w,
        &["run", "p.yaml", "-j", "2"],
        &[
            "run",
            "p.yaml",
            "-j",
            "2",
            "--set",
            "step.matrix.i=[7, 8, 9, 10, 11, 12, 13, 14, 15, 16]",
        ],
    );
    r1.ok();
    r2.ok();
    let seen = log_counts(&w);
    // step and next for i in 1..=16, plus two different `total`s (one line each).
    assert_eq!(seen.get("total"), Some(&2), "{seen:?}");
    assert_eq!(seen.len(), 16 * 2 + 1, "{seen:?}");
    for (name, n) in seen.iter().filter(|(k, _)| k.as_str() != "total") {
        assert_eq!(*n, 1, "{name} executed {n} times");
    }
    assert_eq!(w.seqlab(&["verify"]).code, 0);
}

/// Processes opening a *new* cache at the same time must not fail: index
/// creation (`PRAGMA journal_mode=WAL` in `Index::open`) can return
/// SQLITE_BUSY without the busy handler being consulted.
#[test]
fn many_processes_opening_a_fresh_cache_at_once() {
    let mut failures = Vec::new();
    for round in 0..25 {
        let w = Work::new();
        let children: Vec<_> = (0..6)
            .map(|_| {
                w.command(&["log"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            if !out.status.success() {
                failures.push(format!(
                    "round {round}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Instances that write the same bytes at the same moment store one object:
/// whichever rename lands last wins, and the other instance's check finds an
/// inode with its own content, not a swapped file. Before that check, 8 of 10
/// runs of this pipeline failed with "the file was replaced while it was being
/// stored" (1 MB outputs: syncing them keeps the window between the existence
/// check and the rename open).
#[test]
fn instances_storing_identical_outputs_at_once_all_succeed() {
    let values: Vec<String> = (1..=24).map(|i| i.to_string()).collect();
    let yaml = format!(
        r#"name: same
stages:
  make:
    kind: command
    matrix: {{i: [{}]}}
    params: {{cmd: [sh, -c, 'sleep 0.05; head -c 1000000 /dev/zero > $SEQLAB_OUT/x']}}
"#,
        values.join(", ")
    );
    for attempt in 0..3 {
        let w = Work::new();
        w.write("p.yaml", &yaml);
        let r = w.run("p.yaml", &["-j", "8"]);
        assert_eq!(r.code, 0, "run {attempt}: {}", r.text());
        assert_eq!(r.summary(), counts(24, 0, 0, 0), "run {attempt}");
    }
}
