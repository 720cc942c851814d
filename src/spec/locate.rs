//! Where each key and value stands in the YAML text.
//!
//! serde_yaml reports positions only for its own errors; checks made after
//! deserialising (a `needs` naming no stage, a cycle) look the place up here.
//! Paths are dotted: `stages.train.needs.0`.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
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
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut builder, false).is_err() {
            return Locations::default();
        }
        builder.locations
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
                        self.locations.keys.insert(full, Self::pos(mark));
                        return;
                    }
                }
                if let Some(p) = self.next_value_path() {
                    self.locations.values.insert(p, Self::pos(mark));
                }
            }
            Event::Alias(_) => {
                if let Some(p) = self.next_value_path() {
                    self.locations.values.insert(p, Self::pos(mark));
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                // A complex key is unusual in a pipeline; index it as "?".
                let path = self.next_value_path().unwrap_or_else(|| "?".into());
                self.locations.values.insert(path.clone(), Self::pos(mark));
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
