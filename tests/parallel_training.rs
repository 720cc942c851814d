//! Trainings run side by side (each in its own `seqlab worker` process, with
//! its own device RNG and thread pool) and give the same bits as alone; the
//! local executor keeps the threads of running instances within the budget;
//! `resources:` is checked and stays out of the cache key.

mod common;

use common::{counts, with_state, Work};

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
