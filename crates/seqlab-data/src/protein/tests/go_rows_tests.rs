use std::collections::BTreeSet;

use super::super::crop::{ChunkReduce, CropMode, LongSequencePolicy};
use super::super::go_rows::{go_rows, ProteinRow};
use super::super::GoId;
use crate::Target;

fn g(n: u32) -> GoId {
    GoId::parse(&format!("GO:{n:07}")).unwrap()
}

/// Lengths 3, 4 and 7 around a window of 4: below, equal to and above it.
/// Protein i's tokens are 10 i + 1, 10 i + 2, ...; protein 0 has term 1,
/// protein 1 terms 1 and 2, protein 2 term 2.
fn fixture() -> (Vec<Vec<u8>>, Vec<BTreeSet<GoId>>) {
    let tokens = [3u8, 4, 7]
        .iter()
        .enumerate()
        .map(|(i, &len)| (1..=len).map(|j| 10 * i as u8 + j).collect())
        .collect();
    let terms = vec![
        BTreeSet::from([g(1)]),
        BTreeSet::from([g(1), g(2)]),
        BTreeSet::from([g(2)]),
    ];
    (tokens, terms)
}

fn rows<'a>(tokens: &'a [Vec<u8>], terms: &'a [BTreeSet<GoId>]) -> Vec<ProteinRow<'a>> {
    tokens
        .iter()
        .zip(terms)
        .map(|(t, s)| ProteinRow {
            tokens: t,
            terms: s,
        })
        .collect()
}

#[test]
fn chunk_rows_cover_each_protein_and_map_back_to_it() {
    let (tokens, terms) = fixture();
    let policy = LongSequencePolicy::Chunk {
        window: 4,
        stride: 2,
        reduce: ChunkReduce::Max,
    };
    let (d, protein_of) = go_rows(&rows(&tokens, &terms), &policy, &[g(1), g(2)]);
    // 3 -> [0,3); 4 -> [0,4); 7 -> [0,4), [2,6), [3,7) (the last aligned to the end).
    assert_eq!(protein_of, [0, 1, 2, 2, 2]);
    assert_eq!((d.n, d.t), (5, 4));
    #[rustfmt::skip]
    assert_eq!(d.inputs, [
        1, 2, 3, 0,
        11, 12, 13, 14,
        21, 22, 23, 24,
        23, 24, 25, 26,
        24, 25, 26, 27,
    ]);
    #[rustfmt::skip]
    assert_eq!(d.mask, [
        0, 0, 1, 0,
        0, 0, 0, 1,
        0, 0, 0, 1,
        0, 0, 0, 1,
        0, 0, 0, 1,
    ]);
    match &d.target {
        Target::MultiLabel { k, labels } => {
            assert_eq!(*k, 2);
            assert_eq!(labels, &[1, 0, 1, 1, 0, 1, 0, 1, 0, 1]);
        }
        other => panic!("expected multi-label targets, got {other:?}"),
    }
}

#[test]
fn crop_rows_are_one_prefix_per_protein() {
    let (tokens, terms) = fixture();
    let policy = LongSequencePolicy::Crop {
        max_len: 4,
        mode: CropMode::Start,
    };
    let (d, protein_of) = go_rows(&rows(&tokens, &terms), &policy, &[g(2)]);
    assert_eq!(protein_of, [0, 1, 2]);
    assert_eq!((d.n, d.t), (3, 4));
    assert_eq!(d.inputs, [1, 2, 3, 0, 11, 12, 13, 14, 21, 22, 23, 24]);
    assert_eq!(d.mask, [0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    assert!(matches!(&d.target, Target::MultiLabel { k: 1, labels } if labels == &[0, 1, 1]));
}
