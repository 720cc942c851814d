//! The GO-term branch on fixtures the test writes (no download): Swiss-Prot
//! flat files and an OBO ontology as pinned local files -> `go_terms` ->
//! `train` (a recurrent model and the fixed-length MLP) -> `evaluate`
//! (CAFA F-max beside the naive baseline) -> `report`.

use crate::common::{counts, Work};

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

/// The fixture files and `p.yaml`: fetch -> go_terms (`go_params`) ->
/// train (gru, mlp) -> evaluate -> report.
fn write_pipeline(w: &Work, go_params: &str) {
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
    params: {{ {go_params} }}
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
}

/// The crop parameters of the first test (the default policy).
const CROP: &str = "top_k: 2, train_fraction: 0.75, crop: 30, max_len: 60, seed: 0";

#[test]
fn go_terms_train_evaluate_and_report_with_the_naive_baseline() {
    let w = Work::new();
    write_pipeline(&w, CROP);
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

/// The object path of `instance`'s output `file`.
fn object(w: &Work, instance: &str, file: &str) -> std::path::PathBuf {
    let p = w.show(instance);
    let f = p["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == file)
        .unwrap_or_else(|| panic!("{instance} has no output {file}: {p:#}"));
    f["object"].as_str().unwrap().into()
}

#[test]
fn crop_outputs_are_what_they_were_before_the_chunk_policy() {
    let w = Work::new();
    write_pipeline(&w, CROP);
    w.run("p.yaml", &[]).ok();
    // Hashes of the outputs of `go_terms` at 55fdbf6 (before `policy`) on
    // this fixture: the default policy must keep them bit for bit.
    let before = [
        (
            "go_subset.obo",
            "1a937916f8cd226dc9b412e31e61842fbb20f3d905a75771e39a92f596fe496c",
        ),
        (
            "ia.tsv",
            "ae17b0874b207de8ecb5936f44dd84993aa76a92064f5705e418dd4ce6ca9bb7",
        ),
        (
            "task.json",
            "2dc428afbf8aa15a7398b4f206ec3c1f64544ed1739db84d9dc53f5161c1cd12",
        ),
        (
            "test_inputs.npy",
            "7533703fd6337288a28e1edaa9978f1331efb8d27af9870d9a71fecaa26a2bd3",
        ),
        (
            "test_mask.npy",
            "d2abc7b9bb9228c424dcc7d4ad8005ca9d35cb2319cbc647bc55d60822513e25",
        ),
        (
            "test_multilabel.npy",
            "f622162e75719080c854274dbe85a189185cf5d3bbeb1ceeaf7fc4a9ccd0cdda",
        ),
        (
            "test_proteins.tsv",
            "36f4298c9cdff381d8929bbfd5b11743030cddcbac7dae8036426595a953127f",
        ),
        (
            "test_truth.tsv",
            "59f7dcad93ef8fd664465094e50c7d2838ac01ef53278df0b49262f7bd426adb",
        ),
        (
            "train_frequencies.tsv",
            "ff415752eb6cde4796662f6212a8d240cb14c1656f13260341cc5c59a9d4ea7a",
        ),
        (
            "train_inputs.npy",
            "0101d816ead574cd077613277043f3a65a8f5e3449ff850ab520ce4ef5abefa9",
        ),
        (
            "train_mask.npy",
            "0be98a5ea1f0333b2785ff6d284347533c93ff94b39e7ec4ee8b2998f003dfe9",
        ),
        (
            "train_multilabel.npy",
            "4ce8c4731d5e44f80fe2087c03bcb1dfffbd55e9565436c5358e9bdcf015e713",
        ),
    ];
    let files = w.show("go_data")["files"].clone();
    let now: Vec<(String, String)> = files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["hash"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let before: Vec<(String, String)> = before
        .iter()
        .map(|(p, h)| (p.to_string(), h.to_string()))
        .collect();
    assert_eq!(
        now, before,
        "no new file (test_protein.npy), no changed byte"
    );
    let eval: serde_json::Value =
        serde_json::from_str(&w.output("go_evaluate[model=gru]", "go_eval.json")).unwrap();
    assert!(eval.get("policy").is_none(), "{eval}");
}

#[test]
fn chunk_policy_reads_whole_proteins_and_combines_chunk_scores() {
    let w = Work::new();
    write_pipeline(
        &w,
        &format!("{CROP}, policy: chunk, stride: 10, reduce: mean"),
    );
    assert_eq!(w.run("p.yaml", &[]).ok().summary(), counts(9, 0, 0, 0));

    let task: serde_json::Value = serde_json::from_str(&w.output("go_data", "task.json")).unwrap();
    assert_eq!(
        task["policy"],
        serde_json::json!({ "kind": "chunk", "window": 30, "stride": 10, "reduce": "mean" }),
        "the window defaults to the crop"
    );
    // Lengths 20 (one chunk) and 50 (windows at 0, 10, 20): the test rows
    // name their proteins in test_proteins.tsv order.
    let lengths: Vec<usize> = w
        .output("go_data", "test_proteins.tsv")
        .lines()
        .skip(1)
        .map(|l| l.split('\t').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(lengths.len(), 3);
    let expected: Vec<u32> = lengths
        .iter()
        .enumerate()
        .flat_map(|(i, &len)| std::iter::repeat(i as u32).take(if len == 20 { 1 } else { 3 }))
        .collect();
    let (shape, map) =
        seqlab::datasets::npy::read_npy::<u32>(&object(&w, "go_data", "test_protein.npy")).unwrap();
    assert_eq!((shape, &map), (vec![expected.len()], &expected));
    assert_eq!(task["test_rows"], expected.len());
    // 9 training proteins, 5 or 4 of length 50: 3 rows each.
    let train_rows = task["train_rows"].as_u64().unwrap();
    assert!(train_rows == 9 + 2 * 5 || train_rows == 9 + 2 * 4, "{task}");
    assert_eq!(
        (&task["length"], &task["fixed_window"]),
        (&30.into(), &30.into())
    );

    for model in ["gru", "mlp"] {
        let inst = format!("go_evaluate[model={model}]");
        let m = &w.show(&inst)["metrics"];
        assert_eq!(m["n_test"], 3, "{m}");
        assert_eq!(m["n_test_rows"], expected.len(), "{m}");
        for key in ["fmax_mean", "naive_fmax_mean"] {
            assert_eq!(m[key].as_f64(), Some(1.0), "{model} {key}: {m}");
        }
        let eval: serde_json::Value =
            serde_json::from_str(&w.output(&inst, "go_eval.json")).unwrap();
        assert_eq!(eval["policy"]["reduce"], "mean");
        // The MLP too reads every residue: no "first 30 residues" view.
        let view = eval["test_view"].as_str().unwrap();
        assert!(
            view.starts_with("whole proteins in chunks of 30 residues starting every 10"),
            "{model}: {view}"
        );
        let preds = w.output(&inst, "predictions.tsv");
        assert_eq!(
            preds.lines().count(),
            9,
            "3 proteins x 3 terms, not one per chunk: {preds}"
        );
    }
    let page = std::fs::read_to_string(w.join("reports/go-mini/index.html")).unwrap();
    assert!(
        page.contains(
            "Chunked: training and test proteins cut into windows of 30 residues starting every 10"
        ),
        "the report says how proteins were read"
    );
}

#[test]
fn chunk_stride_past_the_window_is_refused_naming_the_field() {
    let w = Work::new();
    write_pipeline(&w, &format!("{CROP}, policy: chunk, window: 8, stride: 9"));
    let r = w.run("p.yaml", &[]);
    let text = r.text();
    assert!(
        text.contains("stride") && text.contains("at most 8"),
        "{text}"
    );
}
