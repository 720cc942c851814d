//! Limits on what a pipeline file may ask for. Each is checked before the
//! work it would cause, so that no input makes seqlab hang, exhaust memory or
//! overflow its stack: the file size before reading, the nesting depth
//! before parsing (YAML parsers slow down quadratically with flow depth), the
//! number of stages before validating, and the number and size of instances
//! before expanding a stage. The defaults are far above any real pipeline;
//! the number of instances, the one a large study may need more of, is a
//! flag (`--max-instances`).

/// The limits in force for one pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of the pipeline file.
    pub max_file_bytes: u64,
    /// Collections inside collections (flow `[`/`{` or block).
    pub max_depth: usize,
    /// Values in the file with every alias expanded (an alias "bomb" of a
    /// few lines can name billions).
    pub max_values: u64,
    pub max_stages: usize,
    /// Instances of the whole plan (matrix cells × fan-out, all stages).
    pub max_instances: usize,
    /// Coordinates (matrix axes, own and inherited) of one instance.
    pub max_axes: usize,
    /// The plan's size in values: per instance, its params' values, its
    /// coordinates and its inputs. Bounds planning time and memory when
    /// large params are repeated in every cell.
    pub max_plan_values: u64,
    /// Characters of one `where` expression.
    pub max_expression_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 4 << 20,
            max_depth: 64,
            max_values: 1_000_000,
            max_stages: 10_000,
            max_instances: 100_000,
            max_axes: 128,
            max_plan_values: 5_000_000,
            max_expression_chars: 2_000,
        }
    }
}

/// The deepest nesting of flow collections (`[`, `{`) in `text`, outside
/// quoted scalars and comments, and the byte offset where it first exceeds
/// `limit` (if it does). A backstop that needs no YAML parser: it bounds
/// what a parser would face even where the file is not valid YAML.
pub(crate) fn flow_depth_exceeds(text: &str, limit: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    let mut line_start = true;
    let mut prev_space = true;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'"' => {
                // Double-quoted: `\` escapes the next byte.
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'\'' if prev_space || line_start => {
                // Single-quoted (only at a token start: `it's` is plain text).
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'\'' {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
            }
            b'#' if prev_space || line_start => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        line_start = b == b'\n';
        prev_space = b == b' ' || b == b'\t' || b == b'\n' || b == b',' || b == b'[' || b == b'{';
        i += 1;
    }
    None
}

/// 1-based (line, column) of byte `offset` in `text`.
pub(crate) fn position_of(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, column)
}

/// The greatest depth of `(`…`)` in an expression.
pub(crate) fn paren_depth(expr: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for c in expr.chars() {
        match c {
            '(' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_depth_ignores_quotes_and_comments() {
        assert_eq!(flow_depth_exceeds("a: [[1]]", 2), None);
        assert_eq!(flow_depth_exceeds("a: [[[1]]]", 2), Some(5));
        assert_eq!(flow_depth_exceeds("a: \"[[[[\"", 1), None);
        assert_eq!(flow_depth_exceeds("a: '[[[['", 1), None);
        assert_eq!(flow_depth_exceeds("a: 'it''s [[[['", 1), None);
        assert_eq!(flow_depth_exceeds("a: 1 # [[[[", 1), None);
        assert_eq!(flow_depth_exceeds("a: \"x\\\"[[[\"", 1), None);
        // A plain scalar's apostrophe does not open a quote.
        assert_eq!(flow_depth_exceeds("a: it's [[[", 2), Some(10));
        assert_eq!(position_of("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn paren_depth_counts_nesting() {
        assert_eq!(paren_depth("(a) && ((b))"), 2);
        assert_eq!(paren_depth("x"), 0);
    }
}
