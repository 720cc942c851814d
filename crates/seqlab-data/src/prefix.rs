//! Prefixes of sequence-labelled data: the real data sets' length view.
//!
//! `pfam` and `heartbeats` label each sequence once, at its last element
//! (padding follows, unlabelled). Cropping such a row to its first `len`
//! elements and moving the label to the new last element asks the model the
//! same question from less of the sequence: the accuracy-by-length curve of
//! a model trained on short crops and tested on longer ones.

use super::SequenceData;

/// The labelled position of each row when every row has exactly one (the
/// sequence's last element); `None` when the data are labelled otherwise
/// (e.g. per position, as the automata are).
pub fn label_positions(data: &SequenceData) -> Option<Vec<usize>> {
    (0..data.n)
        .map(|r| {
            let row = &data.mask[r * data.t..(r + 1) * data.t];
            let mut labelled = row.iter().enumerate().filter(|(_, &m)| m != 0);
            match (labelled.next(), labelled.next()) {
                (Some((i, _)), None) => Some(i),
                _ => None,
            }
        })
        .collect()
}

/// Every row cropped to its first `len` elements (rows already shorter stay
/// whole), labelled at its new last element and padded with token 0 to the
/// longest cropped row. `positions` comes from [`label_positions`]; the
/// targets must be classes.
pub fn crop_prefixes(
    data: &SequenceData,
    positions: &[usize],
    len: usize,
) -> anyhow::Result<SequenceData> {
    let classes = data.labels("cropping to prefixes")?;
    let len = len.max(1);
    let kept: Vec<usize> = positions.iter().map(|&p| (p + 1).min(len)).collect();
    let t = kept.iter().copied().max().unwrap_or(1);
    let (mut inputs, mut labels, mut mask) = (Vec::new(), Vec::new(), Vec::new());
    for (r, (&pos, &k)) in positions.iter().zip(&kept).enumerate() {
        let label = classes[r * data.t + pos];
        for i in 0..t {
            inputs.push(if i < k {
                data.inputs[r * data.t + i]
            } else {
                0
            });
            labels.push(label);
            mask.push(u8::from(i + 1 == k));
        }
    }
    Ok(SequenceData::classes(data.n, t, inputs, labels, mask))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> SequenceData {
        // row 0: length 4, class 7; row 1: length 2, class 3 (padded)
        SequenceData::classes(
            2,
            4,
            vec![1, 2, 3, 4, 5, 6, 0, 0],
            vec![7, 7, 7, 7, 3, 3, 3, 3],
            vec![0, 0, 0, 1, 0, 1, 0, 0],
        )
    }

    #[test]
    fn finds_the_single_labelled_position() {
        assert_eq!(label_positions(&rows()), Some(vec![3, 1]));
        let mut per_position = rows();
        per_position.mask = vec![1; 8];
        assert_eq!(label_positions(&per_position), None);
        let mut unlabelled = rows();
        unlabelled.mask[3] = 0;
        assert_eq!(label_positions(&unlabelled), None);
    }

    #[test]
    fn crops_and_moves_the_label_to_the_new_end() {
        let d = rows();
        let c = crop_prefixes(&d, &[3, 1], 3).unwrap();
        assert_eq!((c.n, c.t), (2, 3));
        assert_eq!(c.inputs, vec![1, 2, 3, 5, 6, 0]);
        assert_eq!(c.labels("test").unwrap(), &[7, 7, 7, 3, 3, 3]);
        assert_eq!(c.mask, vec![0, 0, 1, 0, 1, 0]);
        // longer than every row: unchanged
        assert_eq!(crop_prefixes(&d, &[3, 1], 10).unwrap(), d);
        // length 1: only the first element, labelled
        let one = crop_prefixes(&d, &[3, 1], 1).unwrap();
        assert_eq!((one.inputs, one.mask), (vec![1, 5], vec![1, 1]));
    }
}
