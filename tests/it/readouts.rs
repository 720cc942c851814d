//! The study's readouts recomputed by hand on small fixtures: minimum depths beside the
//! paper's, their Spearman correlation with ties, the longest accurate prefix (depth
//! against length) read from `evaluate`'s per-position files, and the 95% half-width.

use seqlab::kind::{Coords, InputDir};
use seqlab::study::prefix::min_depth_through;
use seqlab::study::{
    aggregate, collect, depth_against_length, min_depths, paper_agreement, Axes, Cell,
    SeedStatistic, Spread,
};

/// One run per line: task label, model, layers, seed, test accuracy.
const RUNS: &str = "\
task,model,layers,seed,acc
C_2,transformer,1,0,0.62
C_2,transformer,1,1,0.70
C_2,transformer,2,0,0.995
C_2,transformer,2,1,0.93
C_2,transformer,3,0,1.0
C_2,transformer,3,1,0.99
D_8,transformer,1,0,0.50
D_8,transformer,1,1,0.55
D_8,transformer,2,0,0.97
D_8,transformer,2,1,0.96
D_8,transformer,3,0,0.992
D_8,transformer,3,1,0.985
A_5,transformer,2,0,0.30
A_5,transformer,2,1,0.25
A_5,transformer,4,0,0.96
A_5,transformer,4,1,0.80
A_5,transformer,6,0,0.98
A_5,transformer,6,1,0.97
S_5,transformer,2,0,0.12
S_5,transformer,2,1,0.10
S_5,transformer,4,0,0.20
S_5,transformer,4,1,0.22
S_5,transformer,6,0,0.40
S_5,transformer,6,1,0.35
S_5,transformer,8,0,0.91
S_5,transformer,8,1,0.60
flip-flop,transformer,1,0,1.0
flip-flop,transformer,2,0,1.0
C_2,lstm,1,0,1.0
C_2,lstm,1,1,0.999
";

fn cells() -> Vec<Cell> {
    RUNS.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Cell {
                coords: Coords::parse_label(&format!(
                    "task={},model={},layers={},seed={}",
                    f[0], f[1], f[2], f[3]
                )),
                metrics: [("acc".to_string(), f[4].parse().unwrap())]
                    .into_iter()
                    .collect(),
                task_label: Some(f[0].to_string()),
                ..Cell::default()
            }
        })
        .collect()
}

#[test]
fn min_depth_table_by_hand() {
    let groups = aggregate(&cells(), &Axes::default());
    let min = min_depths(&groups, "acc", &[0.95, 0.99]);
    let row = |task: &str, thr: f64| {
        min.iter()
            .find(|m| m.task == task && m.arch == "transformer" && m.threshold == thr)
            .map(|m| (m.best_of_seeds, m.mean_over_seeds, m.paper))
            .unwrap()
    };
    // (best seed, mean over seeds, Liu et al.), worked out from RUNS and Table 1:
    // C_2: means .66 / .9625 / .995; best .70 / .995 / 1.0; paper 99.8% at L = 2.
    assert_eq!(row("C_2", 0.95), (Some(2), Some(2), Some(2)));
    assert_eq!(row("C_2", 0.99), (Some(2), Some(3), Some(2)));
    // D_8: means .525 / .965 / .9885 (never 99%); paper 98.0% at 2, 100% at 3.
    assert_eq!(row("D_8", 0.95), (Some(2), Some(2), Some(2)));
    assert_eq!(row("D_8", 0.99), (Some(3), None, Some(3)));
    // A_5 (depths 2, 4, 6): best .96 at 4, mean .975 at 6; paper 98.8% at 6, 100% at 7.
    assert_eq!(row("A_5", 0.95), (Some(4), Some(6), Some(6)));
    assert_eq!(row("A_5", 0.99), (None, None, Some(7)));
    // S_5 never reaches either; the paper needs 12 (97.2%) and 13 (99.3%).
    assert_eq!(row("S_5", 0.95), (None, None, Some(12)));
    assert_eq!(row("S_5", 0.99), (None, None, Some(13)));
    // Tasks outside Table 1 and non-Transformers carry no paper depth.
    assert_eq!(row("flip-flop", 0.99), (Some(1), Some(1), None));
    let lstm = min.iter().find(|m| m.arch == "lstm").unwrap();
    assert_eq!((lstm.best_of_seeds, lstm.paper), (Some(1), None));
    let s5 = min.iter().find(|m| m.task == "S_5").unwrap();
    assert_eq!(s5.depths_tried, vec![2, 4, 6, 8]);
}

#[test]
fn spearman_against_the_paper_with_ties_by_hand() {
    let groups = aggregate(&cells(), &Axes::default());
    let min = min_depths(&groups, "acc", &[0.95, 0.99]);
    let agree = paper_agreement(&min);
    // One transformer architecture × 2 thresholds × 2 statistics; flip-flop and the LSTM
    // are not in the comparison.
    assert_eq!(agree.len(), 4);
    let get = |thr: f64, stat: SeedStatistic| {
        agree
            .iter()
            .find(|a| a.threshold == thr && a.statistic == stat)
            .unwrap()
    };
    let a = get(0.99, SeedStatistic::BestOfSeeds);
    let tasks: Vec<&str> = a.tasks.iter().map(|p| p.task.as_str()).collect();
    assert_eq!(tasks, ["C_2", "D_8", "A_5", "S_5"]);
    // Deepest model tried: 8 (S_5), so "none" counts as 9.
    assert_eq!(a.unreached_as, 9);
    // ours 2, 3, 9, 9 → ranks 1, 2, 3.5, 3.5; paper 2, 3, 7, 13 → 1, 2, 3, 4.
    // Deviations from the mean rank 2.5: (−1.5, −.5, 1, 1) and (−1.5, −.5, .5, 1.5):
    // Σxy = 4.5, Σx² = 4.5, Σy² = 5 → ρ = 4.5 / √22.5 = 3 / √10.
    assert!((a.rho.unwrap() - 3.0 / 10f64.sqrt()).abs() < 1e-12);
    // Mean over seeds: ours 3, 9, 9, 9 → ranks 1, 3, 3, 3: deviations (−1.5, .5, .5, .5),
    // Σxy = 2.25 − .25 + .25 + .75 = 3, Σx² = 3 → ρ = 3 / √15.
    let m = get(0.99, SeedStatistic::MeanOverSeeds);
    assert!((m.rho.unwrap() - 3.0 / 15f64.sqrt()).abs() < 1e-12);
    // 95%, best: ours 2, 2, 4, 9 and paper 2, 2, 6, 12 have the same ranks (1.5, 1.5, 3, 4).
    assert!((get(0.95, SeedStatistic::BestOfSeeds).rho.unwrap() - 1.0).abs() < 1e-12);
    let text = seqlab::study::agreement_text(&agree);
    assert!(text.contains("rho = 0.95 over 4 tasks"), "{text}");
    assert!(text.contains("S_5 none=9/13"), "{text}");
}

/// `evaluate`'s per-position accuracy files for one task, as a gathering stage sees them.
#[test]
fn depth_against_length_from_accuracy_files() {
    let dir = tempfile::tempdir().unwrap();
    let curves = [
        // layers, seed, acc_by_position.json (positions 1..6; null: no label scored)
        (2, 0, "[1.0, 0.95, 0.91, 0.85, 0.99, 0.7]"), // 3
        (2, 1, "[1.0, 0.92, 0.89, 0.95, 0.95, 0.95]"), // 2
        (4, 0, "[1.0, 1.0, 1.0, 1.0, 0.95, 0.9]"),    // 6 (0.9 counts)
        (4, 1, "[1.0, 1.0, 0.97, 0.9, 0.88, 0.9]"),   // 4
        (6, 0, "[1.0, null, 1.0, 1.0, 1.0, 1.0]"),    // 1 (unscored ends it)
    ];
    for (layers, seed, json) in curves {
        let d = dir.path().join(format!(
            "task=A_5,model=transformer,layers={layers},seed={seed}"
        ));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("acc_by_position.json"), json).unwrap();
        std::fs::write(d.join("metrics.json"), r#"{"acc": 0.9}"#).unwrap();
    }
    let inputs = [InputDir {
        stage: "evaluate".into(),
        path: dir.path().to_path_buf(),
        gathered: true,
    }];
    let got = collect(&inputs).unwrap();
    let rows = depth_against_length(&got.cells, &Axes::default(), 0.9);
    let summary: Vec<(Option<u32>, usize, usize, f64, usize, usize)> = rows
        .iter()
        .map(|r| (r.depth, r.length, r.best, r.mean, r.worst, r.seeds))
        .collect();
    assert_eq!(
        summary,
        vec![
            (Some(2), 6, 3, 2.5, 2, 2),
            (Some(4), 6, 6, 5.0, 4, 2),
            (Some(6), 6, 1, 1.0, 1, 1),
        ]
    );
    assert!(rows
        .iter()
        .all(|r| r.task == "A_5" && r.arch == "transformer"));
    // Merrill et al.'s reading: the smallest depth accurate through position t.
    let through = |t| min_depth_through(&rows, "A_5", "transformer", t);
    assert_eq!(
        (through(3), through(4), through(6), through(7)),
        (Some(2), Some(4), Some(4), None)
    );
}

#[test]
fn ci_half_width_by_hand() {
    // Accuracies 0.90, 0.94, 0.98: mean 0.94, sample variance ((.04)² + 0 + (.04)²) / 2
    // = 0.0016, s = 0.04, standard error 0.04 / √3; t(0.975, 2) = 4.303.
    let s = Spread::of(&[0.90, 0.94, 0.98]).unwrap();
    let half = 4.303 * 0.04 / 3f64.sqrt();
    assert!((s.ci95_half_width().unwrap() - half).abs() < 1e-12);
    let (lo, hi) = s.ci95.unwrap();
    assert!((lo - (0.94 - half)).abs() < 1e-12 && (hi - (0.94 + half)).abs() < 1e-12);
    // Two seeds 0.5 and 1.0: s = √0.125, se = 0.25, t(0.975, 1) = 12.706.
    let two = Spread::of(&[0.5, 1.0]).unwrap();
    assert!((two.ci95_half_width().unwrap() - 12.706 * 0.25).abs() < 1e-12);
    // One seed has no interval.
    assert_eq!(Spread::of(&[0.7]).unwrap().ci95_half_width(), None);
}
