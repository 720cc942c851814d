//! Result records and the index built from them: an index that is deleted,
//! truncated or overwritten is rebuilt from the records (the damaged file kept
//! aside) without anyone deleting a file by hand; a cache made before records
//! existed gets them; a kill during a rebuild leaves a cache that verifies
//! clean; two controllers with separate index files on one object store never
//! execute a key twice.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common;
use crate::common::{counts, with_state, Rng, Work};
use serde_json::Value;

/// `n` instances that write their number (one of them fails), a stage
/// gathering the good ones, and one depending on the failure.
fn pipeline(n: usize) -> String {
    let values: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
    format!(
        r#"name: rec
stages:
  make:
    kind: command
    matrix: {{i: [{}]}}
    params:
      cmd: [sh, -c, 'echo $SEQLAB_PARAM_I > $SEQLAB_OUT/x']
  sum:
    kind: command
    gather: [make]
    params:
      cmd: [sh, -c, 'cat $SEQLAB_IN_MAKE/*/x | sort -n | tr "\n" " " > $SEQLAB_OUT/all']
  broken:
    kind: command
    params:
      cmd: [sh, -c, 'echo no >&2; exit 3']
  after:
    kind: command
    needs: [broken]
    params:
      cmd: [sh, -c, 'true']
"#,
        values.join(", ")
    )
}

fn index_files(w: &Work) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(w.cache())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("index.sqlite"))
        .collect();
    v.sort();
    v
}

fn delete_index(w: &Work) {
    for name in index_files(w) {
        if !name.ends_with(".open-lock") {
            std::fs::remove_file(w.cache().join(name)).unwrap();
        }
    }
}

/// What `status`, `show` and `log` say about every instance, without the
/// parts a rebuild may not keep (execution ids and run ids).
fn views(w: &Work, names: &[String]) -> Views {
    let status = w.status("p.yaml", &[]);
    // `show` for a sample of the cached instances (one process each).
    let cached: Vec<&String> = names
        .iter()
        .filter(|n| {
            status
                .iter()
                .any(|s| &s.instance == *n && s.state == "cached")
        })
        .collect();
    let shows = cached
        .iter()
        .step_by((cached.len() / 6).max(1))
        .chain(cached.last())
        .map(|n| w.show(n))
        .collect();
    let log = w
        .seqlab(&["log", "--format", "json", "-n", "1000"])
        .ok()
        .json();
    let mut rows: Vec<(String, String, String, Value)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["instance"].as_str().unwrap().to_string(),
                e["key"].as_str().unwrap().to_string(),
                e["status"].as_str().unwrap().to_string(),
                e["outputs"].clone(),
            )
        })
        .collect();
    rows.sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
    (status, shows, rows)
}

type Views = (
    Vec<common::Status>,
    Vec<Value>,
    Vec<(String, String, String, Value)>,
);

/// Compare two views, naming only the first difference.
#[track_caller]
fn same(a: &Views, b: &Views, what: &str) {
    let pairs = [
        (format!("{:?}", a.0), format!("{:?}", b.0), "status"),
        (format!("{:?}", a.1), format!("{:?}", b.1), "show"),
        (format!("{:?}", a.2), format!("{:?}", b.2), "log"),
    ];
    for (x, y, name) in pairs {
        if x != y {
            let at = x.chars().zip(y.chars()).take_while(|(p, q)| p == q).count();
            let from = at.saturating_sub(80);
            panic!(
                "{what}: `{name}` differs at character {at}:\n  {}\n  {}",
                x.chars().skip(from).take(240).collect::<String>(),
                y.chars().skip(from).take(240).collect::<String>()
            );
        }
    }
}

fn names(w: &Work) -> Vec<String> {
    w.status("p.yaml", &[])
        .into_iter()
        .map(|s| s.instance)
        .collect()
}

#[test]
fn index_rebuild_after_deleting_the_index_restores_status_show_and_log() {
    let w = Work::new();
    w.write("p.yaml", &pipeline(6));
    let r = w.run("p.yaml", &[]);
    assert_eq!(r.code, 1, "{}", r.text());
    assert_eq!(r.summary(), counts(7, 0, 1, 1));
    let names = names(&w);
    let before = views(&w, &names);
    assert_eq!(with_state(&before.0, "cached").len(), 7);
    // One record per result, written beside the objects.
    let records: Vec<_> = walk(&w.cache().join("results"))
        .into_iter()
        .filter(|p| !p.contains("/failed/") && p.ends_with(".json"))
        .collect();
    assert_eq!(records.len(), 7, "{records:?}");

    delete_index(&w);
    let rebuilt = w.seqlab(&["index", "rebuild"]).ok();
    assert!(
        rebuilt.stdout.contains("7 results, 1 failures"),
        "{}",
        rebuilt.text()
    );
    same(&views(&w, &names), &before, "after index rebuild");
    // The failing stage is tried again; everything else is cached.
    assert_eq!(w.run("p.yaml", &[]).summary(), counts(0, 7, 1, 1));
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p.to_string_lossy().into_owned());
            }
        }
    }
    out
}

#[test]
fn a_missing_index_is_rebuilt_by_whatever_command_comes_next() {
    let w = Work::new();
    w.write("p.yaml", &pipeline(3));
    w.run("p.yaml", &[]);
    let names = names(&w);
    let before = views(&w, &names);
    delete_index(&w);
    // No `index rebuild`: `status` notices and rebuilds.
    same(&views(&w, &names), &before, "after deleting the index");
}

#[test]
fn a_truncated_index_is_kept_aside_and_rebuilt() {
    let w = Work::new();
    w.write("p.yaml", &pipeline(30));
    w.run("p.yaml", &[]);
    let names = names(&w);
    let before = views(&w, &names);
    let path = w.cache().join("index.sqlite");
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len > 8192, "the index is {len} bytes");
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(len / 2).unwrap();
    drop(f);
    let st = w.seqlab(&["status", "p.yaml"]);
    assert_eq!(st.code, 0, "{}", st.text());
    assert!(st.stderr.contains("damaged"), "{}", st.text());
    same(&views(&w, &names), &before, "after truncation");
    let aside: Vec<String> = index_files(&w)
        .into_iter()
        .filter(|n| n.starts_with("index.sqlite.damaged-"))
        .collect();
    assert_eq!(aside.len(), 1, "{:?}", index_files(&w));
    // The damaged file is kept as it was.
    assert_eq!(
        std::fs::metadata(w.cache().join(&aside[0])).unwrap().len(),
        len / 2
    );
    assert_eq!(w.seqlab(&["verify"]).code, 0);
}

#[test]
fn overwritten_pages_are_found_by_verify_and_healed() {
    let pristine = Work::new();
    pristine.write("p.yaml", &pipeline(60));
    pristine.run("p.yaml", &[]);
    let names = names(&pristine);
    let len = std::fs::metadata(pristine.cache().join("index.sqlite"))
        .unwrap()
        .len();
    let mut rng = Rng(0x00da_3a9e);
    let mut found_by_verify = 0;
    for round in 0..12 {
        let w = Work::new();
        copy_dir(pristine.path(), w.path());
        let before = views(&w, &names);
        let offset = if round == 0 {
            0
        } else {
            rng.range(0, (len - 4096) / 4096) * 4096
        };
        let junk: Vec<u8> = (0..4096).map(|_| rng.next() as u8).collect();
        {
            use std::io::{Seek, SeekFrom, Write};
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(w.cache().join("index.sqlite"))
                .unwrap();
            f.seek(SeekFrom::Start(offset)).unwrap();
            f.write_all(&junk).unwrap();
        }
        let damaged = w.seqlab(&["index", "check"]).code != 0;
        let v = w.seqlab(&["verify"]);
        if damaged {
            // Whoever opened the index first (verify here) moved it aside.
            assert_eq!(v.code, 1, "offset {offset}: {}", v.text());
            assert!(
                v.stdout.contains("INDEX") && v.stdout.contains("rebuilt"),
                "offset {offset}: {}",
                v.text()
            );
            found_by_verify += 1;
        }
        let again = w.seqlab(&["verify"]);
        assert_eq!(again.code, 0, "offset {offset}: {}", again.text());
        assert_eq!(w.seqlab(&["index", "check"]).code, 0);
        same(&views(&w, &names), &before, &format!("offset {offset}"));
    }
    eprintln!("{found_by_verify} of 12 overwrites damaged the index");
    assert!(found_by_verify >= 6, "{found_by_verify} of 12");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
            let mode = std::fs::metadata(&src).unwrap().permissions().mode();
            std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
}

#[test]
fn a_cache_made_before_records_gets_them_once() {
    let w = Work::new();
    w.write("p.yaml", &pipeline(4));
    w.run("p.yaml", &[]);
    let names = names(&w);
    let before = views(&w, &names);
    // What an older seqlab left: no results/, and an index without the
    // migration mark.
    common::make_writable(&w.cache().join("results"));
    std::fs::remove_dir_all(w.cache().join("results")).unwrap();
    {
        let c = rusqlite::Connection::open(w.cache().join("index.sqlite")).unwrap();
        c.execute("DELETE FROM meta", []).unwrap();
    }
    // Any command writes the records on opening the index…
    w.seqlab(&["log"]).ok();
    let records = walk(&w.cache().join("results"))
        .into_iter()
        .filter(|p| !p.contains("/failed/") && p.ends_with(".json"))
        .count();
    assert_eq!(records, 5);
    // …so that a rebuild loses no result.
    delete_index(&w);
    w.seqlab(&["index", "rebuild"]).ok();
    let after = views(&w, &names);
    same(
        &(after.0, after.1, Vec::new()),
        &(before.0, before.1, Vec::new()),
        "after migration and rebuild",
    );
}

#[test]
fn a_kill_during_an_index_rebuild_leaves_a_cache_that_verifies_clean() {
    let w = Work::new();
    w.write("p.yaml", &pipeline(150));
    w.run("p.yaml", &[]);
    let names = names(&w);
    let before = views(&w, &names);
    // Kill within the time a whole rebuild takes here (on a fast idle
    // machine it finishes before fixed delays of 5-100 ms ran out).
    let started = std::time::Instant::now();
    w.seqlab(&["index", "rebuild"]).ok();
    let whole = (started.elapsed().as_millis() as u64).max(2);
    let mut rng = Rng(0x004e_b11d);
    let mut killed = 0;
    for round in 0..8 {
        let mut child = w.spawn_quiet(&["index", "rebuild"]);
        std::thread::sleep(Duration::from_millis(rng.range(1, whole - 1)));
        // SAFETY: kill(2) on a child we spawned and have not reaped yet.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
        let status = child.wait().unwrap();
        if std::os::unix::process::ExitStatusExt::signal(&status) == Some(9) {
            killed += 1;
        }
        let v = w.seqlab(&["verify"]);
        assert_eq!(v.code, 0, "round {round}: {}", v.text());
        same(&views(&w, &names), &before, &format!("round {round}"));
    }
    eprintln!("{killed} of 8 rebuilds were killed before finishing (a whole one takes {whole} ms)");
    assert!(killed >= 1);
    assert_eq!(w.run("p.yaml", &[]).summary(), counts(0, 151, 1, 1));
}

#[test]
fn two_controllers_with_separate_indexes_never_execute_a_key_twice() {
    let w = Work::new();
    let log = w.join("executions.log");
    let values: Vec<String> = (1..=16).map(|i| i.to_string()).collect();
    w.write(
        "p.yaml",
        &format!(
            r#"name: two
stages:
  step:
    kind: command
    matrix: {{i: [{}]}}
    params:
      cmd: [sh, -c, 'echo $SEQLAB_INSTANCE >> {log}; sleep 0.1; echo $SEQLAB_PARAM_I > $SEQLAB_OUT/x']
  total:
    kind: command
    gather: [step]
    params:
      cmd: [sh, -c, 'echo $SEQLAB_INSTANCE >> {log}; cat $SEQLAB_IN_STEP/*/x | sort -n | tr "\n" " " > $SEQLAB_OUT/all']
"#,
            values.join(", "),
            log = log.display()
        ),
    );
    let index_a = w.join("a/index.sqlite");
    let index_b = w.join("b/index.sqlite");
    let spawn = |index: &std::path::Path| {
        w.spawn(&[
            "--index",
            index.to_str().unwrap(),
            "run",
            "p.yaml",
            "-j",
            "3",
        ])
    };
    let (a, b) = (spawn(&index_a), spawn(&index_b));
    for c in [a, b] {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for line in std::fs::read_to_string(&log).unwrap().lines() {
        *seen.entry(line.to_string()).or_default() += 1;
    }
    assert_eq!(seen.len(), 17, "{seen:?}");
    assert!(seen.values().all(|&n| n == 1), "executed twice: {seen:?}");
    // Each controller's own index ends with every instance cached.
    for index in [&index_a, &index_b] {
        let st = w
            .seqlab(&[
                "--index",
                index.to_str().unwrap(),
                "status",
                "p.yaml",
                "--format",
                "json",
            ])
            .ok();
        let rows = common::parse_status(&st.json());
        assert_eq!(with_state(&rows, "cached").len(), 17, "{rows:?}");
        // One execution row per instance: each result ingested once.
        let log = w
            .seqlab(&[
                "--index",
                index.to_str().unwrap(),
                "log",
                "--format",
                "json",
                "-n",
                "100",
            ])
            .ok()
            .json();
        let mut instances: Vec<&str> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["instance"].as_str().unwrap())
            .collect();
        instances.sort();
        let n = instances.len();
        instances.dedup();
        assert_eq!((n, instances.len()), (17, 17), "{instances:?}");
    }
    assert!(!w.cache().join("index.sqlite").exists());
    assert_eq!(
        w.seqlab(&["--index", index_a.to_str().unwrap(), "verify"])
            .code,
        0
    );
}

#[test]
fn the_new_commands_and_flags_are_documented() {
    let help = |args: &[&str]| {
        let out = std::process::Command::new(common::BIN)
            .args(args)
            .arg("--help")
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let run = help(&["run"]);
    for flag in [
        "--executor",
        "--threads",
        "--index",
        "--slurm-partition",
        "--slurm-time",
        "--slurm-mem",
        "--slurm-sbatch",
        "--slurm-array-max",
        "--slurm-array-throttle",
        "--slurm-poll",
        "--slurm-poll-max",
        "--slurm-grace",
    ] {
        let line = run
            .lines()
            .find(|l| l.trim_start().split([' ', ',', '=']).any(|w| w == flag))
            .unwrap_or_else(|| panic!("`run --help` lacks {flag}:\n{run}"));
        // A description follows, on the line or the next one.
        let at = run.find(line).unwrap();
        let rest: String = run[at + line.len()..].lines().take(2).collect();
        let described = line.split_whitespace().count() > 2 || rest.trim().len() > 10;
        assert!(described, "{flag} has no description:\n{line}");
    }
    let index = help(&["index"]);
    assert!(
        index.contains("rebuild") && index.contains("check"),
        "{index}"
    );
    let top = help(&[]);
    assert!(top.contains("  index "), "{top}");
    assert!(!top.contains("  worker "), "the worker is hidden:\n{top}");
}

#[test]
fn damage_verify_finds_through_one_index_is_seen_through_another() {
    let w = Work::new();
    w.write("p.yaml", &pipeline(3));
    let (a, b) = (w.join("a.sqlite"), w.join("b.sqlite"));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    w.seqlab(&["--index", a, "run", "p.yaml"]);
    let again = w.seqlab(&["--index", b, "run", "p.yaml"]);
    assert_eq!(again.summary(), counts(0, 4, 1, 1), "{}", again.text());
    let shown = w
        .seqlab(&["--index", a, "show", "make[i=2]", "--format", "json"])
        .ok()
        .json();
    let object = std::path::PathBuf::from(shown["files"][0]["object"].as_str().unwrap());
    common::make_writable(&object);
    std::fs::write(&object, "9\n").unwrap();
    let v = w.seqlab(&["--index", a, "verify"]);
    assert_eq!(v.code, 1, "{}", v.text());
    // Index b never heard of it, but the result's record is gone.
    let st = common::parse_status(
        &w.seqlab(&["--index", b, "status", "p.yaml", "--format", "json"])
            .ok()
            .json(),
    );
    let row = st.iter().find(|r| r.instance == "make[i=2]").unwrap();
    assert_eq!(row.state, "stale", "{st:?}");
    assert_eq!(row.reason, "cached outputs are missing or damaged");
    // make[i=2] and `sum`, which gathered its damaged outputs (damage
    // propagates to what was built on it).
    let r = w.seqlab(&["--index", b, "run", "p.yaml"]);
    assert_eq!(r.summary(), counts(2, 2, 1, 1), "{}", r.text());
    let shown = w
        .seqlab(&["--index", b, "show", "make[i=2]", "--format", "json"])
        .ok()
        .json();
    let object = shown["files"][0]["object"].as_str().unwrap();
    assert_eq!(std::fs::read_to_string(object).unwrap(), "2\n");
}
