//! Trainings run side by side (each in its own `seqlab worker` process, with
//! its own device RNG and thread pool) and give the same bits as alone; the
//! local executor keeps the threads of running instances within the budget;
//! `resources:` is checked and stays out of the cache key.

use crate::common;
use crate::common::{counts, with_state, Work};

/// A tiny parity training per seed in `seeds`, with `resources` (YAML) on
/// the training stage.
fn pipeline(seeds: &[u32], resources: &str) -> String {
    let seeds: Vec<String> = seeds.iter().map(|s| s.to_string()).collect();
    format!(
        r#"name: par
stages:
  data:
    kind: automaton
    params: {{ task: parity, length: 8, train_size: 512, test_size: 64, seed: 1 }}
  train:
    kind: train
    needs: [data]
    matrix: {{ seed: [{}] }}
    {resources}
    params: {{ model: transformer, width: 32, layers: 2, heads: 2, steps: 150, batch_size: 32, lr: 0.003, warmup_steps: 10, eval_every: 50 }}
"#,
        seeds.join(", ")
    )
}

/// (started, ended) of an instance's execution, from `show`.
fn interval(w: &Work, instance: &str) -> (f64, f64) {
    let p = w.show(instance);
    let started = p["started"].as_f64().unwrap();
    (started, started + p["duration"].as_f64().unwrap())
}

fn overlap(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

fn tree(w: &Work, instance: &str) -> String {
    w.show(instance)["outputs"].as_str().unwrap().to_string()
}

#[test]
fn a_training_gives_the_same_bits_alone_and_beside_two_others() {
    let alone = Work::new();
    alone.write("p.yaml", &pipeline(&[7], ""));
    alone.run("p.yaml", &["-j", "1"]).ok();

    let crowd = Work::new();
    crowd.write("p.yaml", &pipeline(&[5, 7, 9], ""));
    let r = crowd.run("p.yaml", &["-j", "3", "--threads", "1"]).ok();
    assert_eq!(r.summary(), counts(4, 0, 0, 0));
    assert_eq!(tree(&crowd, "train[seed=7]"), tree(&alone, "train[seed=7]"));

    // They really ran at the same time (in one process they used to take
    // turns on the device RNG): every pair of trainings overlapped.
    let iv: Vec<(f64, f64)> = [5, 7, 9]
        .iter()
        .map(|s| interval(&crowd, &format!("train[seed={s}]")))
        .collect();
    for (i, a) in iv.iter().enumerate() {
        for b in &iv[i + 1..] {
            assert!(overlap(*a, *b), "trainings did not overlap: {iv:?}");
        }
    }
    // And the bits do not depend on the threads either.
    let wide = Work::new();
    wide.write("p.yaml", &pipeline(&[7], "resources: { threads: 2 }"));
    wide.run("p.yaml", &["-j", "1"]).ok();
    assert_eq!(tree(&wide, "train[seed=7]"), tree(&alone, "train[seed=7]"));
}

/// A copied or renamed binary still starts its trainings as workers (it
/// used to recognise itself by its file name and otherwise train in-process,
/// taking turns on the device RNG, so side-by-side trainings never overlapped).
#[test]
fn a_renamed_binary_still_trains_side_by_side() {
    let w = Work::new();
    let bin = w.join("my-seqlab-build");
    std::fs::copy(common::BIN, &bin).unwrap();
    w.write("p.yaml", &pipeline(&[5, 7], ""));
    let run = || {
        std::process::Command::new(&bin)
            .current_dir(w.path())
            .args([
                "--cache",
                "cache",
                "-q",
                "run",
                "p.yaml",
                "-j",
                "2",
                "--threads",
                "1",
            ])
            .output()
    };
    // A child that another test thread forked while the copy's file was
    // still open for writing holds it open until that child execs: exec
    // fails with "text file busy" for that moment.
    let mut out = run();
    for _ in 0..50 {
        match &out {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(100));
                out = run();
            }
            _ => break,
        }
    }
    let out = out.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (a, b) = (interval(&w, "train[seed=5]"), interval(&w, "train[seed=7]"));
    assert!(overlap(a, b), "trainings did not overlap: {a:?} {b:?}");
}

#[test]
fn instances_that_take_the_whole_thread_budget_run_one_at_a_time() {
    let cores = std::thread::available_parallelism().unwrap().get();
    // With `-j 2` the budget is max(cores, 2) threads.
    let budget = cores.max(2);
    let w = Work::new();
    w.write(
        "p.yaml",
        &pipeline(&[1, 2], &format!("resources: {{ threads: {budget} }}")),
    );
    w.run("p.yaml", &["-j", "2"]).ok();
    let (a, b) = (interval(&w, "train[seed=1]"), interval(&w, "train[seed=2]"));
    assert!(!overlap(a, b), "{a:?} and {b:?} overlapped");
}

#[test]
fn resources_are_checked_and_not_part_of_the_key() {
    let w = Work::new();
    w.write("p.yaml", &pipeline(&[1], ""));
    w.run("p.yaml", &[]).ok();
    w.write(
        "p.yaml",
        &pipeline(
            &[1],
            "resources: { threads: 1, mem: 2G, time: \"1:00:00\" }\n    retries: 2",
        ),
    );
    let st = w.status("p.yaml", &[]);
    assert_eq!(with_state(&st, "cached").len(), 2, "{st:?}");

    w.write(
        "bad.yaml",
        &pipeline(&[1], "resources: { threads: 0, mem: lots, tpus: 1 }"),
    );
    let r = w.run("bad.yaml", &[]);
    assert_eq!(r.code, 2, "{}", r.text());
    assert!(r.stderr.contains("unknown field `tpus`"), "{}", r.stderr);
    w.write(
        "bad.yaml",
        &pipeline(
            &[1],
            "resources: { threads: 0, mem: lots }\n    retries: 99",
        ),
    );
    let r = w.run("bad.yaml", &[]);
    assert_eq!(r.code, 2, "{}", r.text());
    for field in [
        "stages.train.resources.threads",
        "stages.train.resources.mem",
        "stages.train.retries",
    ] {
        assert!(r.stderr.contains(field), "{field} not named:\n{}", r.stderr);
    }
    assert!(r.stderr.contains("bad.yaml:10"), "{}", r.stderr);
}

/// SIGKILL of `seqlab run` while trainings run in worker processes: the
/// workers die with it (nothing half-written, nothing left running), the
/// cache verifies clean, and the finished run gives the bits of a clean run.
#[test]
fn a_killed_run_takes_its_training_workers_with_it() {
    use std::time::Duration;
    let seeds = [3, 4, 5];
    // Long enough that a kill can land mid-training on a fast machine (at
    // 150 steps the trainings finished before the first kill).
    let long = pipeline(&seeds, "").replace("steps: 150", "steps: 1500");
    let clean = Work::new();
    clean.write("p.yaml", &long);
    clean.run("p.yaml", &["-j", "3"]).ok();

    let w = Work::new();
    w.write("p.yaml", &long);
    let mut rng = common::Rng(0x7a11_2b0d);
    let mut killed_during_training = 0;
    for round in 0..4 {
        let mut child = w.spawn_quiet(&["run", "p.yaml", "-j", "3"]);
        // Once a worker runs (or after 20 s), a random moment later.
        let start = std::time::Instant::now();
        while workers_of(&w.cache()) == 0 && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(rng.range(0, 400)));
        let running = workers_of(&w.cache());
        eprintln!("round {round}: {running} workers running at the kill");
        killed_during_training += usize::from(running > 0);
        // SAFETY: kill(2) on a child we spawned and have not reaped yet.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
        child.wait().unwrap();
        // No worker of this cache outlives its controller.
        let start = std::time::Instant::now();
        while workers_of(&w.cache()) > 0 {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "round {round}: a worker outlived the killed run"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let v = w.seqlab(&["verify"]);
        assert_eq!(v.code, 0, "round {round}: {}", v.text());
    }
    assert!(killed_during_training > 0, "no kill hit a training");
    let r = w.run("p.yaml", &["-j", "3"]).ok();
    assert_eq!(r.summary().failed, 0);
    for s in seeds {
        let name = format!("train[seed={s}]");
        assert_eq!(tree(&w, &name), tree(&clean, &name), "{name}");
    }
}

/// `seqlab … worker` processes whose command line names `cache`.
fn workers_of(cache: &std::path::Path) -> usize {
    let needle = cache.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(" worker ") && c.contains(&needle))
        .count()
}
