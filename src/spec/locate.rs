//! Where each key and value stands in the YAML text.
//!
//! serde_yaml reports positions only for its own errors; checks made after
//! deserialising (a `needs` naming no stage, a cycle) look the place up here.
//! Paths are dotted: `stages.train.needs.0`.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};

use super::limits::Limits;
use yaml_rust2::scanner::Marker;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Why [`Locations::index_within`] refused a text, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TooBig {
    Depth(Position),
    Values(Position),
}

/// Positions of keys and values by dotted path.
#[derive(Debug, Default, Clone)]
pub struct Locations {
    keys: HashMap<String, Position>,
    values: HashMap<String, Position>,
}

impl Locations {
    /// Index `text`; a text that does not parse gives an empty index (serde
    /// reports the syntax error itself).
    pub fn index(text: &str) -> Locations {
        let unlimited = Limits {
            max_depth: usize::MAX,
            max_values: u64::MAX,
            ..Limits::default()
        };
        Locations::index_within(text, &unlimited).unwrap_or_default()
    }

    /// Index `text`, stopping at the first collection nested deeper than
    /// `limits.max_depth`, or where the document, with every alias expanded,
    /// would hold more than `limits.max_values` values (an alias "bomb":
    /// each alias is counted at the size of what it names, in constant
    /// time). Events are read one at a time (the parser's own loader
    /// recurses once per level), so the cost is bounded by what is allowed,
    /// not what is written.
    pub(crate) fn index_within(text: &str, limits: &Limits) -> Result<Locations, TooBig> {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        // Expanded values so far; per open collection, its anchor and the
        // count when it opened; per anchor, the size of what it names.
        let mut expanded: u64 = 0;
        let mut open: Vec<(usize, u64)> = Vec::new();
        let mut sizes: HashMap<usize, u64> = HashMap::new();
        loop {
            let Ok((event, mark)) = parser.next_token() else {
                return Ok(Locations::default());
            };
            match &event {
                Event::StreamEnd => return Ok(builder.locations),
                Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                    if open.len() >= limits.max_depth {
                        return Err(TooBig::Depth(Builder::pos(mark)));
                    }
                    open.push((*anchor, expanded));
                    expanded += 1;
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    if let Some((anchor, start)) = open.pop() {
                        if anchor > 0 {
                            sizes.insert(anchor, expanded - start);
                        }
                    }
                }
                Event::Scalar(_, _, anchor, _) => {
                    if *anchor > 0 {
                        sizes.insert(*anchor, 1);
                    }
                    expanded += 1;
                }
                Event::Alias(id) => {
                    expanded = expanded.saturating_add(sizes.get(id).copied().unwrap_or(1));
                }
                _ => {}
            }
            if expanded > limits.max_values {
                return Err(TooBig::Values(Builder::pos(mark)));
            }
            builder.on_event(event, mark);
        }
    }

    /// Position of the key at `path`, else of the nearest enclosing key.
    pub fn key(&self, path: &str) -> Position {
        self.lookup(path, true)
    }

    /// Position of the value at `path`, else of the nearest enclosing one.
    pub fn value(&self, path: &str) -> Position {
        self.lookup(path, false)
    }

    fn lookup(&self, path: &str, key_first: bool) -> Position {
        let mut p = path;
        loop {
            let (first, second) = if key_first {
                (&self.keys, &self.values)
            } else {
                (&self.values, &self.keys)
            };
            if let Some(pos) = first.get(p).or_else(|| second.get(p)) {
                return *pos;
            }
            match p.rfind('.') {
                Some(i) => p = &p[..i],
                None => return Position { line: 1, column: 1 },
            }
        }
    }
}

enum Frame {
    Map {
        path: String,
        expecting_key: bool,
        key: String,
    },
    Seq {
        path: String,
        index: usize,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    locations: Locations,
}

/// Paths deeper than this, or sequence items past [`MAX_ITEM`], are not
/// recorded (errors point at their nearest recorded parent): no message
/// names a deeper field, and recording every value of a large file would
/// cost memory in proportion to its size times its depth.
const MAX_RECORDED_DEPTH: usize = 6;
const MAX_ITEM: usize = 10_000;

/// Whether `path` is worth recording (see [`MAX_RECORDED_DEPTH`]).
fn recorded(path: &str) -> bool {
    path.split('.').count() <= MAX_RECORDED_DEPTH
        && path
            .rsplit('.')
            .next()
            .and_then(|last| last.parse::<usize>().ok())
            .is_none_or(|i| i < MAX_ITEM)
}

fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

impl Builder {
    /// The path a value starting now would have, advancing the parent.
    fn next_value_path(&mut self) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Map {
                path,
                expecting_key,
                key,
            }) => {
                if *expecting_key {
                    None
                } else {
                    *expecting_key = true;
                    Some(join(path, key))
                }
            }
            Some(Frame::Seq { path, index }) => {
                let p = join(path, &index.to_string());
                *index += 1;
                Some(p)
            }
        }
    }

    fn pos(mark: Marker) -> Position {
        Position {
            line: mark.line(),
            column: mark.col() + 1,
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(text, ..) => {
                if let Some(Frame::Map {
                    path,
                    expecting_key,
                    key,
                }) = self.stack.last_mut()
                {
                    if *expecting_key {
                        *key = text;
                        *expecting_key = false;
                        let full = join(path, key);
                        if recorded(&full) {
                            self.locations.keys.insert(full, Self::pos(mark));
                        }
                        return;
                    }
                }
                if let Some(p) = self.next_value_path().filter(|p| recorded(p)) {
                    self.locations.values.insert(p, Self::pos(mark));
                }
            }
            Event::Alias(_) => {
                if let Some(p) = self.next_value_path().filter(|p| recorded(p)) {
                    self.locations.values.insert(p, Self::pos(mark));
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                // A complex key is unusual in a pipeline; index it as "?".
                let path = self.next_value_path().unwrap_or_else(|| "?".into());
                if recorded(&path) {
                    self.locations.values.insert(path.clone(), Self::pos(mark));
                }
                self.stack.push(if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map {
                        path,
                        expecting_key: true,
                        key: String::new(),
                    }
                } else {
                    Frame::Seq { path, index: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys_and_items() {
        let text = "name: x\nstages:\n  a:\n    kind: command\n    needs: [b, c]\n";
        let loc = Locations::index(text);
        assert_eq!(loc.key("stages.a.kind"), Position { line: 4, column: 5 });
        assert_eq!(
            loc.value("stages.a.needs.1"),
            Position {
                line: 5,
                column: 16
            }
        );
        // Unknown paths fall back to the closest known parent.
        assert_eq!(
            loc.key("stages.a.params.x"),
            Position { line: 3, column: 3 }
        );
    }
}
