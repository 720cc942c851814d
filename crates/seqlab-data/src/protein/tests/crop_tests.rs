use super::super::crop::{
    aggregate, chunk_windows, crop_window, expand, ChunkReduce, CropMode, LongSequencePolicy,
    Window,
};
use super::super::tokenize::{residue, tokenize, tokenize_padded, OTHER, PAD, VOCAB_SIZE};

fn w(start: usize, end: usize) -> Window {
    Window { start, end }
}

#[test]
fn crop_start_and_seeded_random_windows() {
    assert_eq!(
        crop_window(5, 10, CropMode::Start, 0),
        w(0, 5),
        "short: whole sequence"
    );
    assert_eq!(crop_window(100, 10, CropMode::Start, 0), w(0, 10));
    let r = |seed, item| crop_window(100, 10, CropMode::Random { seed }, item);
    assert_eq!(r(7, 3), r(7, 3), "deterministic");
    let starts: std::collections::BTreeSet<usize> = (0..200).map(|i| r(7, i).start).collect();
    assert!(starts.len() > 50, "windows spread over the sequence");
    assert!((0..200).all(|i| r(7, i).end <= 100 && r(7, i).len() == 10));
    assert_ne!(
        (0..20).map(|i| r(1, i)).collect::<Vec<_>>(),
        (0..20).map(|i| r(2, i)).collect::<Vec<_>>()
    );
    // the last possible start is reachable: len - max_len + 1 choices
    assert!((0..5000).any(|i| crop_window(12, 10, CropMode::Random { seed: 0 }, i).start == 2));
}

#[test]
fn chunks_cover_the_sequence_and_end_aligned() {
    assert_eq!(chunk_windows(8, 10, 5), vec![w(0, 8)]);
    assert_eq!(chunk_windows(10, 10, 5), vec![w(0, 10)]);
    assert_eq!(chunk_windows(20, 10, 10), vec![w(0, 10), w(10, 20)]);
    assert_eq!(
        chunk_windows(22, 10, 10),
        vec![w(0, 10), w(10, 20), w(12, 22)]
    );
    assert_eq!(chunk_windows(15, 10, 5), vec![w(0, 10), w(5, 15)]);
    assert_eq!(chunk_windows(16, 10, 5), vec![w(0, 10), w(5, 15), w(6, 16)]);
    let bad = LongSequencePolicy::Chunk {
        window: 10,
        stride: 11,
        reduce: ChunkReduce::Max,
    };
    assert!(bad.validate().unwrap_err().contains("skip residues"));
}

#[test]
fn chunk_labels_repeat_and_predictions_reduce() {
    let policy = LongSequencePolicy::Chunk {
        window: 4,
        stride: 4,
        reduce: ChunkReduce::Max,
    };
    let chunks = expand(&[3, 9], &policy);
    let items: Vec<usize> = chunks.iter().map(|c| c.item).collect();
    assert_eq!(
        items,
        vec![0, 1, 1, 1],
        "item 1's label applies to its 3 chunks"
    );
    let scores = vec![
        vec![0.1, 0.2],
        vec![0.5, 0.0],
        vec![0.1, 0.9],
        vec![0.3, 0.3],
    ];
    let max = aggregate(&chunks, &scores, 2, ChunkReduce::Max);
    assert_eq!(max, vec![vec![0.1, 0.2], vec![0.5, 0.9]]);
    let mean = aggregate(&chunks, &scores, 2, ChunkReduce::Mean);
    assert!((mean[1][0] - 0.3).abs() < 1e-6 && (mean[1][1] - 0.4).abs() < 1e-6);
    let crop = LongSequencePolicy::Crop {
        max_len: 4,
        mode: CropMode::Start,
    };
    assert_eq!(expand(&[3, 9], &crop).len(), 2);
    assert_eq!(w(2, 5).slice("ABCDEFG"), "CDE");
}

#[test]
fn tokens_are_1_to_20_for_standard_21_otherwise_0_pad() {
    assert_eq!(
        tokenize("ACDEFGHIKLMNPQRSTVWY"),
        (1..=20).collect::<Vec<u8>>()
    );
    assert_eq!(tokenize("acy"), vec![1, 2, 20]);
    assert_eq!(tokenize("BJOUXZ*-"), vec![OTHER; 8]);
    assert_eq!(tokenize_padded("MK", 4), vec![11, 9, PAD, PAD]);
    assert_eq!(VOCAB_SIZE, 22);
    assert_eq!(
        (residue(1), residue(20), residue(0), residue(21)),
        ('A', 'Y', '-', 'X')
    );
}
