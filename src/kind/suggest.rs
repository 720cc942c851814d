//! "Did you mean" suggestions for misspelt keys and names.

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub fn closest<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3) && *d < c.len().max(word.len()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_near_names_only() {
        let keys = [
            "kind", "needs", "gather", "matrix", "where", "params", "deps",
        ];
        assert_eq!(closest("nedds", keys).as_deref(), Some("needs"));
        assert_eq!(closest("parmas", keys).as_deref(), Some("params"));
        assert_eq!(closest("xyzzy", keys), None);
    }
}
