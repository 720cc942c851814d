//! Tests of the protein module. They write their own small fixtures (no
//! network); `real_files` is ignored unless asked for, with
//! `SEQLAB_REAL_PROTEINS` pointing at the extracted Debian packages.

mod cafa_terms_tests;
mod cafaeval_parity;
mod crop_tests;
mod fasta_tests;
mod fmax_tests;
mod go_graph_tests;
mod go_rows_tests;
mod go_task_tests;
mod ia_tests;
mod labels_tests;
mod obo_tests;
mod real_files;
mod stockholm_tests;
mod swissprot_tests;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::ParseError;

/// Writes `content` to `dir/name`.
fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write fixture");
    p
}

/// Writes `content` gzip-compressed to `dir/name`.
fn write_gz(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    let f = std::fs::File::create(&p).expect("create fixture");
    let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::default());
    gz.write_all(content.as_bytes()).expect("gzip fixture");
    gz.finish().expect("finish gzip");
    p
}

/// Asserts where an error points and that its Display has the documented form.
#[track_caller]
fn assert_at(e: &ParseError, path: &Path, line: usize, field: Option<&str>) {
    assert_eq!(e.path, path, "path of {e}");
    assert_eq!(e.line, line, "line of {e}");
    assert_eq!(e.field.as_deref(), field, "field of {e}");
    assert!(!e.hint.is_empty(), "hint of {e}");
    let shown = e.to_string();
    // `:line` is left out for whole-file errors (line 0)
    let prefix = if line == 0 {
        format!("{}: ", path.display())
    } else {
        format!("{}:{}: ", path.display(), line)
    };
    assert!(shown.starts_with(&prefix), "{shown}");
    if let Some(f) = field {
        assert!(shown.contains(&format!("field `{f}`: ")), "{shown}");
    }
    assert!(shown.ends_with(&format!("({})", e.hint)), "{shown}");
}
