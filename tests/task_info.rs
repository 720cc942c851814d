//! `task.json` as a typed [`TaskInfo`]: every writer's bytes are the ones the
//! untyped writers produced (they are part of each data stage's output tree,
//! so of every downstream cache key), reading round-trips, and a file that
//! does not fit names itself and the field.
//!
//! The `json!` literals below are the untyped writers' code as it was, fed
//! the same values.

use std::collections::BTreeMap;

use seqlab::kind::task::{
    AutomatonParams, AutomatonTask, ChunkInfo, EcgRecordTask, GoColumn, GoTermsTask,
    HeartbeatsTask, PfamFamily, PfamTask, PolicyTag, PricesTask, Reduce,
};
use seqlab::kind::{read_params, ParamSchema, TaskInfo};
use serde_json::{json, Value};

fn bytes(v: &impl serde::Serialize) -> String {
    String::from_utf8(serde_json::to_vec_pretty(v).unwrap()).unwrap()
}

/// Writes `info`, checks the bytes against `old` and reads it back.
fn same_bytes_and_round_trip(info: TaskInfo, old: Value) {
    assert_eq!(bytes(&info), bytes(&old));
    let dir = tempfile::tempdir().unwrap();
    info.write(dir.path()).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("task.json")).unwrap(),
        bytes(&old)
    );
    assert_eq!(TaskInfo::read_dir(dir.path()).unwrap(), info);
}

#[test]
fn automaton_task_json_is_the_sorted_params_then_what_the_task_implies() {
    for raw in [
        json!({"task": "parity", "length": 16, "fresh": true, "test_size": 2000, "seed": 0}),
        json!({"task": "cyclic", "n": 5, "p1": 1, "p_reveal": 0.25, "random_length": true}),
        json!({"task": "dyck"}),
    ] {
        let schema = ParamSchema::of::<AutomatonParams>();
        let canonical = schema.resolve(raw.as_object().unwrap()).unwrap();
        let params: AutomatonParams = read_params(&canonical).unwrap();
        let task = params.task().unwrap();
        // The untyped writer: the canonical params, then three fields.
        let mut old = canonical.clone();
        old.insert("n_states".into(), json!(task.n_states()));
        old.insert("n_actions_vocab".into(), json!(task.n_actions()));
        old.insert(
            "test_seed".into(),
            json!(params.seed.wrapping_add(0x5EED_7E57)),
        );
        let info = TaskInfo::Automaton(AutomatonTask {
            n_states: task.n_states(),
            n_actions_vocab: task.n_actions(),
            test_seed: params.seed.wrapping_add(0x5EED_7E57),
            params,
        });
        same_bytes_and_round_trip(info, Value::Object(old));
    }
}

#[test]
fn prices_task_json_is_unchanged() {
    let t = PricesTask {
        ticker: "AAPL".into(),
        source_file: Some("AAPL.csv.gz".into()),
        n_states: 32,
        n_actions_vocab: 32,
        length: 60,
        fresh: false,
        bins: 32,
        clip: 4.0,
        scaler_mean: 0.000731,
        scaler_std: 0.0213,
        train_windows: 900,
        test_windows: 100,
        train_start: Some("2000-01-04".into()),
        test_start: Some("2013-02-01".into()),
        test_end: None,
        naive_mae_train: 0.0198,
    };
    let old = json!({
        "task": "prices", "ticker": t.ticker, "source_file": t.source_file,
        "n_states": t.bins, "n_actions_vocab": t.bins, "length": t.length,
        "fresh": false, "bins": t.bins, "clip": t.clip,
        "scaler_mean": t.scaler_mean, "scaler_std": t.scaler_std,
        "train_windows": t.train_windows, "test_windows": t.test_windows,
        "train_start": t.train_start,
        "test_start": t.test_start,
        "test_end": t.test_end,
        "naive_mae_train": t.naive_mae_train,
    });
    same_bytes_and_round_trip(TaskInfo::Prices(t), old);
}

#[test]
fn heartbeats_task_json_is_unchanged() {
    let t = HeartbeatsTask {
        dataset: "mitbih".into(),
        n_states: 5,
        n_actions_vocab: 32,
        length: 187,
        train_length: 120,
        fresh: false,
        class_names: ["N", "S", "V", "F", "Q"].map(String::from).to_vec(),
        train_class_counts: vec![10, 2, 3, 1, 4],
        test_class_counts: vec![5, 1, 1, 0, 2],
    };
    let old = json!({
        "task": "heartbeats", "dataset": "mitbih",
        "n_states": t.class_names.len(), "n_actions_vocab": t.n_actions_vocab, "length": 187,
        "train_length": t.train_length, "fresh": false, "class_names": t.class_names,
        "train_class_counts": t.train_class_counts,
        "test_class_counts": t.test_class_counts,
    });
    same_bytes_and_round_trip(TaskInfo::Heartbeats(t), old);
}

#[test]
fn ecg_record_task_json_is_unchanged() {
    let t = EcgRecordTask {
        target: "real".into(),
        n_states: 16,
        n_actions_vocab: 32,
        length: 64,
        horizon: 16,
        fresh: false,
        bins: 32,
        clip: 4.0,
        fs: 125.0,
        scaler_mean: -0.31,
        scaler_std: 0.42,
        train_windows: 300,
        test_windows: 70,
        beats: 2955,
        persistence_rmse: 0.61,
        persistence_rmse_by_step: vec![0.1, 0.2, 0.35],
    };
    let old = json!({
        "task": "ecg_record", "target": "real", "n_states": t.horizon, "n_actions_vocab": t.bins,
        "length": t.length, "horizon": t.horizon, "fresh": false, "bins": t.bins, "clip": t.clip,
        "fs": 125.0, "scaler_mean": t.scaler_mean, "scaler_std": t.scaler_std,
        "train_windows": t.train_windows, "test_windows": t.test_windows, "beats": t.beats,
        "persistence_rmse": t.persistence_rmse, "persistence_rmse_by_step": t.persistence_rmse_by_step,
    });
    same_bytes_and_round_trip(TaskInfo::EcgRecord(t), old);
}

#[test]
fn pfam_task_json_is_unchanged() {
    let families = vec![
        PfamFamily {
            family: "PF00001.23".into(),
            file: Some("PF00001.sto".into()),
            train: 7,
            sequences: 10,
        },
        PfamFamily {
            family: "PF00002.1".into(),
            file: None,
            train: 3,
            sequences: 4,
        },
    ];
    let old_families: Vec<Value> = families
        .iter()
        .map(|f| json!({ "family": f.family, "file": f.file, "train": f.train, "sequences": f.sequences }))
        .collect();
    let names: Vec<Value> = old_families.iter().map(|f| f["family"].clone()).collect();
    let old = json!({
        "task": "pfam", "n_states": 2, "n_actions_vocab": 22,
        "length": 300, "train_length": 64, "fresh": false,
        "class_names": names, "families": old_families,
    });
    let t = PfamTask {
        n_states: 2,
        n_actions_vocab: 22,
        length: 300,
        train_length: 64,
        fresh: false,
        class_names: families.iter().map(|f| f.family.clone()).collect(),
        families,
    };
    same_bytes_and_round_trip(TaskInfo::Pfam(t), old);
}

fn go_task(chunk: bool) -> (GoTermsTask, Value) {
    let terms = vec![
        GoColumn {
            id: "GO:0008150".into(),
            name: Some("biological_process".into()),
            ontology: Some("BPO".into()),
            ia: 0.0,
            train_count: 12,
        },
        GoColumn {
            id: "GO:0000001".into(),
            name: None,
            ontology: None,
            ia: 1.5,
            train_count: 3,
        },
    ];
    let per: BTreeMap<String, usize> = [("BPO", 1), ("CCO", 0), ("MFO", 1)]
        .map(|(k, v)| (k.to_string(), v))
        .into();
    let old_terms: Vec<Value> = terms
        .iter()
        .map(|c| json!({ "id": c.id, "name": c.name, "ontology": c.ontology, "ia": c.ia, "train_count": c.train_count }))
        .collect();
    let old_per: BTreeMap<&str, usize> = per.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let files = vec![Some("uniprot_sprot.dat.gz".to_string()), None];
    let notes = vec!["a".to_string(), "b".to_string()];
    let mut old = json!({
        "task": "go_terms", "n_states": 2, "n_actions_vocab": 22,
        "length": 1024, "train_length": 256,
        "fixed_window": 256, "crop": 256, "max_len": 1024, "fresh": false,
        "terms": old_terms, "terms_per_ontology": old_per, "top_k": 32,
        "ia_source": "read from IA.txt", "ontology": "GO.sqlite", "ontology_terms": 47000,
        "ontology_version": Option::<String>::None,
        "train_proteins": 80, "test_proteins": 20,
        "test_longer_than_crop": 9,
        "test_cut_to_max_len": 2,
        "files": files,
        "notes": notes,
    });
    let mut t = GoTermsTask {
        n_states: 2,
        n_actions_vocab: 22,
        length: 1024,
        train_length: 256,
        fixed_window: 256,
        crop: 256,
        max_len: 1024,
        fresh: false,
        terms,
        terms_per_ontology: per,
        top_k: 32,
        ia_source: "read from IA.txt".into(),
        ontology: "GO.sqlite".into(),
        ontology_terms: 47000,
        ontology_version: None,
        train_proteins: 80,
        test_proteins: 20,
        test_longer_than_crop: 9,
        test_cut_to_max_len: 2,
        files,
        notes,
        policy: None,
        train_rows: None,
        test_rows: None,
    };
    if chunk {
        // The untyped writer overwrote two fields in place and appended three.
        let o = old.as_object_mut().unwrap();
        o.insert("fixed_window".into(), json!(300));
        o.insert("test_cut_to_max_len".into(), json!(0));
        o.insert(
            "policy".into(),
            json!({ "kind": "chunk", "window": 256, "stride": 128, "reduce": "mean" }),
        );
        o.insert("train_rows".into(), json!(150));
        o.insert("test_rows".into(), json!(40));
        t.fixed_window = 300;
        t.test_cut_to_max_len = 0;
        t.policy = Some(ChunkInfo {
            kind: PolicyTag::Chunk,
            window: 256,
            stride: 128,
            reduce: Reduce::Mean,
        });
        t.train_rows = Some(150);
        t.test_rows = Some(40);
    }
    (t, old)
}

#[test]
fn go_terms_task_json_is_unchanged_under_crop_and_chunk() {
    for chunk in [false, true] {
        let (t, old) = go_task(chunk);
        same_bytes_and_round_trip(TaskInfo::GoTerms(t), old);
    }
}

fn read_err(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("task.json");
    std::fs::write(&path, text).unwrap();
    let e = TaskInfo::read(&path).unwrap_err().to_string();
    assert!(e.contains(&path.display().to_string()), "{e}");
    e
}

#[test]
fn a_missing_or_wrong_field_is_an_error_naming_file_and_field() {
    let (t, _) = go_task(false);
    let mut full = TaskInfo::GoTerms(t).to_json();
    full.remove("n_states");
    let e = read_err(&serde_json::to_string(&full).unwrap());
    assert!(e.contains("missing field `n_states`"), "{e}");

    let (t, _) = go_task(true);
    let mut full = TaskInfo::GoTerms(t).to_json();
    full["policy"]["reduce"] = json!("median");
    let e = read_err(&serde_json::to_string(&full).unwrap());
    assert!(e.contains("field `policy.reduce`"), "{e}");

    let e = read_err(r#"{"task": "parity", "n_states": 2, "n_actions_vocab": 2}"#);
    assert!(e.contains("missing field `test_seed`"), "{e}");
    let e = read_err(
        r#"{"task": "parity", "n_states": 2, "n_actions_vocab": 2, "test_seed": 1, "length": "long"}"#,
    );
    assert!(e.contains("field `length`"), "{e}");
    let e = read_err(r#"{"ticker": "X"}"#);
    assert!(e.contains("missing field `task`"), "{e}");
    let e = read_err(r#"{"task": "prics"}"#);
    assert!(e.contains("`prics` is neither a data kind"), "{e}");
    let e = read_err(r#"{"task": "pfam", "format": 2}"#);
    assert!(e.contains("format 2"), "{e}");
    let e = read_err("[1, 2]");
    assert!(e.contains("expected a JSON object"), "{e}");
}

#[test]
fn accessors_read_the_fields_every_consumer_needs() {
    let (t, _) = go_task(true);
    let go = TaskInfo::GoTerms(t);
    assert_eq!(
        (
            go.name(),
            go.n_states(),
            go.vocab(),
            go.length(),
            go.fixed_window(),
            go.train_length()
        ),
        ("go_terms", 2, 22, 1024, Some(300), Some(256))
    );
    assert!(go.class_names().is_none() && go.automaton().is_none());
    let canonical = ParamSchema::of::<AutomatonParams>()
        .resolve(
            json!({"task": "parity", "fresh": true})
                .as_object()
                .unwrap(),
        )
        .unwrap();
    let a = TaskInfo::Automaton(AutomatonTask {
        params: read_params(&canonical).unwrap(),
        n_states: 2,
        n_actions_vocab: 2,
        test_seed: 7,
    });
    assert_eq!(
        (a.name(), a.length(), a.fixed_window()),
        ("parity", 32, None)
    );
    assert!(a.fresh_automaton().is_some());
}
