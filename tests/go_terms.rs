//! The GO-term branch on fixtures the test writes (no download): Swiss-Prot
//! flat files and an OBO ontology as pinned local files -> `go_terms` ->
//! `train` (a recurrent model and the fixed-length MLP) -> `evaluate`
//! (CAFA F-max beside the naive baseline) -> `report`.

mod common;

use common::{counts, Work};

/// R (8150) <- A (1) <- B (2) in BP; D (5737) under the CC root; the MF root.
const OBO: &str = "format-version: 1.2
data-version: releases/test

[Term]
id: GO:0008150
name: biological_process
namespace: biological_process

[Term]
id: GO:0000001
name: A
namespace: biological_process
is_a: GO:0008150

[Term]
id: GO:0000002
name: B
namespace: biological_process
is_a: GO:0000001

[Term]
id: GO:0005575
name: cellular_component
namespace: cellular_component

[Term]
id: GO:0005737
name: D
namespace: cellular_component
relationship: part_of GO:0005575

[Term]
id: GO:0003674
name: molecular_function
namespace: molecular_function
";

/// `n` entries: all annotated with B, the even ones with D too; lengths
/// alternate 20 and 50 residues.
fn swissprot(prefix: &str, n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let len = if i % 2 == 0 { 20 } else { 50 };
        let seq: String = (0..len)
            .map(|j| b"ACDEFGHIKLMNPQRSTVWY"[(i * 7 + j * 3) % 20] as char)
            .collect();
        s += &format!("ID   {prefix}{i}_TEST              Reviewed;         {len} AA.\nAC   {prefix}{i:05};\n");
        s += "DR   GO; GO:0000002; P:B; IDA:UniProtKB.\n";
        if i % 2 == 0 {
            s += "DR   GO; GO:0005737; C:D; IDA:UniProtKB.\n";
        }
        s += &format!("SQ   SEQUENCE   {len} AA;  1000 MW;  0 CRC64;\n     {seq}\n//\n");
    }
    s
}

fn pin(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex().to_string()
}

#[test]
fn go_terms_train_evaluate_and_report_with_the_naive_baseline() {
    let w = Work::new();
    let (a, b) = (swissprot("P", 6), swissprot("Q", 6));
    w.write("data/a.dat", &a);
    w.write("data/b.dat", &b);
    w.write("data/go.obo", OBO);
    let yaml = format!(
        r#"
name: go-mini
stages:
  a:
    kind: fetch
    params: {{ source: {{ kind: local, path: data/a.dat, blake3: {}, instructions: "write it" }} }}
  b:
    kind: fetch
    params: {{ source: {{ kind: local, path: data/b.dat, blake3: {}, instructions: "write it" }} }}
  onto:
    kind: fetch
    params: {{ source: {{ kind: local, path: data/go.obo, blake3: {}, instructions: "write it" }} }}
  go_data:
    kind: go_terms
    needs: [a, b, onto]
    params: {{ top_k: 2, train_fraction: 0.75, crop: 30, max_len: 60, seed: 0 }}
  go_train:
    kind: train
    needs: [go_data]
    matrix: {{ model: [gru, mlp] }}
    params: {{ width: 8, steps: 10, batch_size: 4, warmup_steps: 2 }}
  go_evaluate:
    kind: evaluate
    needs: [go_data, go_train]
  report:
    kind: report
    gather: [go_data, go_train, go_evaluate]
"#,
        pin(&a),
        pin(&b),
        pin(OBO)
    );
    w.write("p.yaml", &yaml);
    assert_eq!(w.run("p.yaml", &[]).ok().summary(), counts(9, 0, 0, 0));

    // 12 proteins, 9 train / 3 test; columns: A, B (BP, the root left out), D (CC).
    let task: serde_json::Value = serde_json::from_str(&w.output("go_data", "task.json")).unwrap();
    let ids: Vec<&str> = task["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["GO:0000001", "GO:0000002", "GO:0005737"]);
    assert_eq!(
        (
            task["train_proteins"].as_u64(),
            task["test_proteins"].as_u64()
        ),
        (Some(9), Some(3))
    );
    assert_eq!(task["fixed_window"], 30, "the training crop");
    assert!(task["ia_source"]
        .as_str()
        .unwrap()
        .starts_with("computed from the 9 training"));
    // Propagated truth: every test protein has B, A and the BP root.
    let truth = w.output("go_data", "test_truth.tsv");
    assert_eq!(
        truth.lines().filter(|l| l.ends_with("GO:0008150")).count(),
        3,
        "{truth}"
    );

    for model in ["gru", "mlp"] {
        let m = &w.show(&format!("go_evaluate[model={model}]"))["metrics"];
        // Every protein carries A and B, so any scores >= 0.01 recover them
        // all, and D's training frequency is > 0: F-max 1 for model and naive.
        for key in [
            "fmax_mean",
            "fmax_bpo",
            "fmax_cco",
            "naive_fmax_mean",
            "naive_all_fmax_mean",
        ] {
            assert_eq!(m[key].as_f64(), Some(1.0), "{model} {key}: {m}");
        }
        assert!(
            m.get("fmax_mfo").is_none(),
            "no MF ground truth: no MFO entry"
        );
        // IA from training: every term is implied by its parents (IA 0), so
        // nothing weighs anything in the weighted metric.
        assert_eq!(m["fmax_w_mean"].as_f64(), Some(0.0), "{m}");
        assert_eq!(m["n_test"], 3);
        let (s, l) = (
            m["n_short"].as_u64().unwrap(),
            m["n_long"].as_u64().unwrap(),
        );
        assert_eq!(s + l, 3);
    }
    let view = |model: &str| -> String {
        let v: serde_json::Value =
            serde_json::from_str(&w.output(&format!("go_evaluate[model={model}]"), "go_eval.json"))
                .unwrap();
        v["test_view"].as_str().unwrap().to_string()
    };
    assert!(
        view("mlp").starts_with("the first 30 residues"),
        "{}",
        view("mlp")
    );
    assert!(
        view("gru").starts_with("whole proteins up to 50"),
        "{}",
        view("gru")
    );
    let preds = w.output("go_evaluate[model=gru]", "predictions.tsv");
    assert_eq!(preds.lines().count(), 9, "3 proteins x 3 terms: {preds}");

    let page = std::fs::read_to_string(w.join("reports/go-mini/index.html")).unwrap();
    assert!(
        page.contains("GO terms (Swiss-Prot)")
            && page.contains("naive: training frequency of the same terms"),
        "the real-data section has the baseline row"
    );
}
