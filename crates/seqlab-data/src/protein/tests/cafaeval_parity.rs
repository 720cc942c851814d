//! Parity with the official evaluator: random ontologies, ground truths,
//! predictions and IA files are generated here (deterministically), and the
//! F-max values below are what `cafaeval` 1.3.0 (PyPI; `cafa_eval(obo,
//! pred_dir, gt, ia=..., n_cpu=1)`, no `max_terms`) printed for the very same
//! files. To regenerate: `SEQLAB_DUMP_PARITY=/dir cargo test --release
//! dump_parity_files -- --ignored`, then run cafaeval on `/dir/seed<N>`.

use std::fmt::Write as _;

use super::super::cafa_terms;
use super::super::crop::splitmix64;
use super::super::fmax::{evaluate, FmaxConfig};
use super::super::go_graph::GoGraph;
use super::super::ia;
use super::super::obo;
use super::super::predictions;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = splitmix64(self.0);
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// `k` distinct items of `v` (partial Fisher-Yates).
    fn sample(&mut self, v: &[u32], k: usize) -> Vec<u32> {
        let mut v = v.to_vec();
        let k = k.min(v.len());
        for i in 0..k {
            let j = i + self.below(v.len() - i);
            v.swap(i, j);
        }
        v.truncate(k);
        v
    }
}

/// (go.obo, ground truth TSV, predictions TSV, IA.txt)
fn synth(seed: u64) -> (String, String, String, String) {
    let mut r = Rng(seed);
    let ns = [
        "biological_process",
        "molecular_function",
        "cellular_component",
    ];
    let code = ["BPO", "MFO", "CCO"];
    let mut obo = String::from("format-version: 1.2\n\n");
    let mut by_ns: Vec<Vec<u32>> = vec![Vec::new(); 3];
    let mut all: Vec<(u32, usize)> = Vec::new(); // (id incl. alt/obsolete, ns)
    let mut next = 1u32;
    for n in 0..3 {
        for k in 0..(15 + r.below(46)) {
            let t = next;
            next += 1;
            let _ = write!(
                obo,
                "[Term]\nid: GO:{t:07}\nname: t{t}\nnamespace: {}\n",
                ns[n]
            );
            if k > 0 {
                let parents = 1 + r.below(3);
                for p in r.sample(&by_ns[n], parents) {
                    if r.below(3) == 0 {
                        let _ = writeln!(obo, "relationship: part_of GO:{p:07} ! x");
                    } else {
                        let _ = writeln!(obo, "is_a: GO:{p:07} ! x");
                    }
                }
                if n > 0 && r.below(20) == 0 {
                    let p = by_ns[0][r.below(by_ns[0].len())];
                    let _ = writeln!(obo, "relationship: part_of GO:{p:07} ! cross");
                }
            }
            if r.below(10) == 0 {
                let a = 900_000 + t;
                let _ = writeln!(obo, "alt_id: GO:{a:07}");
                all.push((a, n));
            }
            obo.push('\n');
            by_ns[n].push(t);
            all.push((t, n));
        }
    }
    for o in 0..3 {
        let t = 800_000 + o;
        let _ = write!(
            obo,
            "[Term]\nid: GO:{t:07}\nname: o\nnamespace: biological_process\nis_obsolete: true\n\n"
        );
        all.push((t, 0));
    }
    obo.push_str("[Typedef]\nid: part_of\nname: part of\n");
    let ids: Vec<u32> = (0..all.len() as u32).collect();
    let mut gt = String::new();
    for p in 0..60 {
        let k = 1 + r.below(6);
        for i in r.sample(&ids, k) {
            let (t, n) = all[i as usize];
            let _ = writeln!(gt, "P{p:03}\tGO:{t:07}\t{}", code[n]);
        }
    }
    let mut pred = String::new();
    for p in 5..70 {
        let k = r.below(31);
        for i in r.sample(&ids, k) {
            let t = all[i as usize].0;
            let s = if r.below(2) == 0 {
                format!("{:.2}", (r.below(100) + 1) as f64 / 100.0)
            } else {
                format!("{}", r.unit().max(1e-6))
            };
            let _ = writeln!(pred, "P{p:03}\tGO:{t:07}\t{s}");
        }
    }
    let mut ia = String::new();
    for &(t, _) in &all {
        match r.below(10) {
            0 => {}
            1 => {
                let _ = writeln!(ia, "GO:{t:07}\t0.0");
            }
            _ => {
                let _ = writeln!(ia, "GO:{t:07}\t{}", r.unit() * 5.0);
            }
        }
    }
    (obo, gt, pred, ia)
}

/// (seed, weighted, aspect, cafaeval F-max, cafaeval τ)
#[rustfmt::skip]
const CAFAEVAL: &[(u64, bool, &str, f64, f64)] = &[
    (1, false, "BPO", 0.6251913929500772, 0.39),
    (1, false, "CCO", 0.6515055526023865, 0.3),
    (1, false, "MFO", 0.6302836854342178, 0.2),
    (1, true, "BPO", 0.6757073081464177, 0.26),
    (1, true, "CCO", 0.6916723884769934, 0.28),
    (1, true, "MFO", 0.6724566803540051, 0.2),
    (2, false, "BPO", 0.6314152248999867, 0.01),
    (2, false, "CCO", 0.5918128981192673, 0.2),
    (2, false, "MFO", 0.5537965656869601, 0.44),
    (2, true, "BPO", 0.5628407805213043, 0.01),
    (2, true, "CCO", 0.5928852528610402, 0.35000000000000003),
    (2, true, "MFO", 0.574934292543554, 0.44),
    (3, false, "BPO", 0.5370609529567727, 0.14),
    (3, false, "CCO", 0.5870606401882096, 0.33),
    (3, false, "MFO", 0.579178611964093, 0.01),
    (3, true, "BPO", 0.5303763053474159, 0.33),
    (3, true, "CCO", 0.5713469506499669, 0.33),
    (3, true, "MFO", 0.44599743738400055, 0.01),
    (4, false, "BPO", 0.5565856211052764, 0.06999999999999999),
    (4, false, "CCO", 0.5604542824847757, 0.29000000000000004),
    (4, false, "MFO", 0.6630712318926298, 0.22),
    (4, true, "BPO", 0.615423612175506, 0.06999999999999999),
    (4, true, "CCO", 0.5794397779469421, 0.29000000000000004),
    (4, true, "MFO", 0.6508350824120505, 0.22),
    (5, false, "BPO", 0.48553830118267405, 0.42000000000000004),
    (5, false, "CCO", 0.605277410798412, 0.11),
    (5, false, "MFO", 0.5358983891896464, 0.61),
    (5, true, "BPO", 0.4758682828259264, 0.42000000000000004),
    (5, true, "CCO", 0.6410918654647881, 0.11),
    (5, true, "MFO", 0.5300937581122603, 0.68),
    (6, false, "BPO", 0.5590498649746622, 0.47000000000000003),
    (6, false, "CCO", 0.6286456385946817, 0.02),
    (6, false, "MFO", 0.5747151355812028, 0.08),
    (6, true, "BPO", 0.5068807181089432, 0.47000000000000003),
    (6, true, "CCO", 0.7080274065829678, 0.02),
    (6, true, "MFO", 0.6234141560673045, 0.01),
    (7, false, "BPO", 0.6428671478661683, 0.01),
    (7, false, "CCO", 0.5891117483998158, 0.14),
    (7, false, "MFO", 0.5576529429821346, 0.17),
    (7, true, "BPO", 0.5866300848210185, 0.01),
    (7, true, "CCO", 0.6529951462301282, 0.14),
    (7, true, "MFO", 0.6023516207979759, 0.17),
    (8, false, "BPO", 0.5644597282425353, 0.14),
    (8, false, "CCO", 0.5543690936692438, 0.01),
    (8, false, "MFO", 0.5991248213355347, 0.060000000000000005),
    (8, true, "BPO", 0.580774188740069, 0.08),
    (8, true, "CCO", 0.48525000716089073, 0.42000000000000004),
    (8, true, "MFO", 0.6561204586340922, 0.01),
];

#[test]
fn fmax_matches_cafaeval_on_random_ontologies() {
    for seed in CAFAEVAL
        .iter()
        .map(|c| c.0)
        .collect::<std::collections::BTreeSet<_>>()
    {
        let (o, g, p, w) = synth(seed);
        let graph = GoGraph::from_obo(&obo::from_reader("go.obo", o.as_bytes()).unwrap()).unwrap();
        let truth = cafa_terms::from_reader("gt.tsv", g.as_bytes()).unwrap();
        let preds = predictions::from_reader("p.tsv", p.as_bytes()).unwrap();
        let weights = ia::from_reader("ia.txt", w.as_bytes()).unwrap();
        let cfg = FmaxConfig {
            max_terms: None,
            ..FmaxConfig::default()
        };
        let un = evaluate(&graph, &truth, &preds, None, &cfg);
        let we = evaluate(&graph, &truth, &preds, Some(&weights), &cfg);
        for &(s, weighted, aspect, f, tau) in CAFAEVAL.iter().filter(|c| c.0 == seed) {
            let r = if weighted { &we } else { &un };
            let a = r
                .aspects
                .iter()
                .find(|a| a.aspect.code() == aspect)
                .unwrap();
            assert!(
                (a.fmax - f).abs() < 1e-12,
                "seed {s} {aspect} weighted={weighted}: {} vs {f}",
                a.fmax
            );
            assert_eq!(a.tau, Some(tau), "seed {s} {aspect} weighted={weighted}");
        }
    }
}

#[test]
#[ignore = "writes the parity files for cafaeval; needs SEQLAB_DUMP_PARITY"]
fn dump_parity_files() {
    let dir = std::path::PathBuf::from(
        std::env::var_os("SEQLAB_DUMP_PARITY").expect("SEQLAB_DUMP_PARITY"),
    );
    for seed in 1..=8 {
        let d = dir.join(format!("seed{seed}"));
        std::fs::create_dir_all(d.join("pred")).unwrap();
        let (o, g, p, w) = synth(seed);
        std::fs::write(d.join("go.obo"), o).unwrap();
        std::fs::write(d.join("gt.tsv"), g).unwrap();
        std::fs::write(d.join("pred/p.tsv"), p).unwrap();
        std::fs::write(d.join("ia.txt"), w).unwrap();
    }
}
