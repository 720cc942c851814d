//! Small helpers the sections share to turn numbers into sentences: model
//! labels split into family and training length, depth ranges, lists.

use crate::report::model::ReportInput;
use crate::report::util::group_by;

/// An architecture label without its `length=N` coordinate, and N: a study
/// with a length axis labels its models `transformer length=8`.
pub(crate) fn split_length(arch: &str) -> (String, Option<u32>) {
    let mut t = None;
    let rest: Vec<&str> = arch
        .split(' ')
        .filter(|w| match w.strip_prefix("length=") {
            Some(n) => {
                t = n.parse().ok();
                t.is_none()
            }
            None => true,
        })
        .collect();
    (rest.join(" "), t)
}

/// The model family: the first word of a label that is not a `key=value`
/// coordinate (`transformer L=2` and `length=16 transformer` →
/// `transformer`).
pub fn family(label: &str) -> &str {
    label.split(' ').find(|w| !w.contains('=')).unwrap_or(label)
}

/// Reading order of the families: Transformers first, then the recurrent
/// ones, the MLP last.
pub(crate) fn family_rank(label: &str) -> usize {
    const ORDER: [&str; 5] = ["transformer", "lstm", "gru", "linear_rnn", "mlp"];
    let f = family(label);
    ORDER.iter().position(|x| *x == f).unwrap_or(ORDER.len())
}

/// A number with `sig` significant digits (0.019612 → "0.01961" at 4).
pub fn sig(v: f64, sig: usize) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let mag = v.abs().log10().floor() as i32;
    let decimals = (sig as i32 - 1 - mag).max(0) as usize;
    format!("{v:.decimals$}")
}

/// The training length most of the study's models were trained at (the
/// study's main T); `None` when no cell says.
pub(crate) fn main_length(input: &ReportInput) -> Option<u32> {
    let lengths: Vec<u32> = input
        .depth_table
        .iter()
        .filter_map(|c| c.length)
        .chain(input.results.iter().filter_map(|r| r.length))
        .collect();
    let counts = group_by(&lengths, |l| *l);
    counts
        .into_iter()
        .max_by_key(|(l, v)| (v.len(), *l))
        .map(|(l, _)| l)
}

/// "1–4" for a contiguous run, "1, 2, 4" otherwise, "—" for none.
pub(crate) fn depth_range(depths: &[u32]) -> String {
    let mut d = depths.to_vec();
    d.sort_unstable();
    d.dedup();
    match (d.first(), d.last()) {
        (None, _) | (_, None) => "—".into(),
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) if (b - a) as usize + 1 == d.len() => format!("{a}–{b}"),
        _ => d
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// "a", "a and b", "a, b and c".
pub(crate) fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [a] => a.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A percentage with one decimal and a sign: 0.9731 → "97.3%".
pub(crate) fn pc(v: f64) -> String {
    crate::report::util::pct_sign(v)
}

/// "best of 3 seeds", "1 seed".
pub(crate) fn seeds_text(n: u32) -> String {
    if n == 1 {
        "1 seed".into()
    } else {
        format!("{n} seeds")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_split_and_ranges_read() {
        assert_eq!(
            split_length("transformer length=8 bos"),
            ("transformer bos".to_string(), Some(8))
        );
        assert_eq!(split_length("lstm"), ("lstm".to_string(), None));
        assert_eq!(family("linear_rnn neg-eig"), "linear_rnn");
        assert_eq!(family("length=16 transformer"), "transformer");
        assert!(family_rank("transformer L=2") < family_rank("lstm"));
        assert_eq!(sig(0.0196123, 4), "0.01961");
        assert_eq!(sig(238.4, 3), "238");
        assert_eq!(depth_range(&[3, 1, 2, 4]), "1–4");
        assert_eq!(depth_range(&[1, 2, 4]), "1, 2, 4");
        assert_eq!(depth_range(&[]), "—");
        assert_eq!(
            and_list(&["a".into(), "b".into(), "c".into()]),
            "a, b and c"
        );
    }
}
