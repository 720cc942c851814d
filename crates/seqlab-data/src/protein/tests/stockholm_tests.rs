use std::path::Path;

use super::super::stockholm;
use super::{assert_at, write_gz};

const INTERLEAVED: &str = "# STOCKHOLM 1.0
#=GF ID   fn3
#=GF AC   PF00041.13
#=GF DE   Fibronectin type III domain
#=GS SEQ1/1-10 AC P00001

SEQ1/1-10      ACDE..fg-h
SEQ2/5-12      AC-E..FG--
#=GR SEQ2/5-12 SS ..........
#=GC SS_cons   ..........

SEQ1/1-10      IK
SEQ2/5-12      -k
//
# STOCKHOLM 1.0
#=GF ID   other
X              MM
//
";

#[test]
fn stockholm_concatenates_blocks_and_strips_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_gz(dir.path(), "fn3.sto.gz", INTERLEAVED);
    let alns = stockholm::read(&p).unwrap();
    assert_eq!(alns.len(), 2);
    let a = &alns[0];
    assert_eq!(a.id.as_deref(), Some("fn3"));
    assert_eq!(a.accession.as_deref(), Some("PF00041.13"));
    assert_eq!(a.family_accession(), Some("PF00041"));
    assert_eq!(
        a.description.as_deref(),
        Some("Fibronectin type III domain")
    );
    assert_eq!(a.aligned_length, 12);
    assert_eq!(a.sequences.len(), 2);
    assert_eq!(a.sequences[0].name, "SEQ1/1-10");
    assert_eq!(a.sequences[0].sequence, "ACDEFGHIK");
    assert_eq!(a.sequences[0].range(), Some(("SEQ1", 1, 10)));
    assert_eq!(a.sequences[1].sequence, "ACEFGK");
    assert_eq!(a.sequences[1].line, 8);
    assert_eq!(alns[1].family_accession(), None);
    assert_eq!(alns[1].sequences[0].sequence, "MM");
}

fn err(text: &str) -> crate::ParseError {
    stockholm::from_reader("a.sto", text.as_bytes()).unwrap_err()
}

#[test]
fn stockholm_errors() {
    let n = Path::new("a.sto");
    // missing header
    let e = err("\nSEQ1 ACDE\n//\n");
    assert_at(&e, n, 2, Some("header"));
    // missing // at end of file (reported at the last line)
    let e = err("# STOCKHOLM 1.0\nSEQ1 ACDE\nSEQ2 ACDE\n");
    assert_at(&e, n, 3, None);
    assert!(e.message.contains("line 1"));
    // a name missing from the second block
    let text = "# STOCKHOLM 1.0\nA AC\nB AC\n\nA DE\n//\n";
    let e = err(text);
    assert_at(&e, n, 6, Some("sequence"));
    assert!(
        e.message.contains("`B`") && e.message.contains("1 of the 2 blocks"),
        "{}",
        e.message
    );
    // a name twice in one block
    let e = err("# STOCKHOLM 1.0\nA AC\nA DE\n//\n");
    assert_at(&e, n, 3, Some("sequence"));
    // ragged rows
    let e = err("# STOCKHOLM 1.0\nA ACD\nB AC\n//\n");
    assert_at(&e, n, 3, Some("sequence"));
    // bad character, and a line with three fields
    assert_at(&err("# STOCKHOLM 1.0\nA AC*\n//\n"), n, 2, Some("sequence"));
    assert_at(
        &err("# STOCKHOLM 1.0\nA AC DE\n//\n"),
        n,
        2,
        Some("sequence"),
    );
}
