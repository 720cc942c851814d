use std::path::Path;

use super::super::annotations::GoAnnotations;
use super::super::go_term::{Aspect, GoId};
use super::super::swissprot;
use super::assert_at;

pub(super) const TWO_ENTRIES: &str = "\
ID   TEST1_HUMAN             Reviewed;          12 AA.
AC   P12345; Q99999;
AC   Q88888;
DE   RecName: Full=Test protein;
OX   NCBI_TaxID=9606;
DR   GO; GO:0005737; C:cytoplasm; IDA:UniProtKB.
DR   GO; GO:0003674; F:molecular_function; ND:UniProtKB.
DR   GO; GO:0008150; P:biological_process; IEA:InterPro.
DR   Pfam; PF00041; fn3; 2.
DR   InterPro; IPR003961; FN3_dom.
SQ   SEQUENCE   12 AA;  1234 MW;  0123456789ABCDEF CRC64;
     MKVLAA GGHHII
//
ID   TEST2_MOUSE             Reviewed;           5 AA.
AC   Q00001;
DR   Pfam; PF00069; Pkinase; 1.
DR   Pfam; PF00041; fn3; 1.
SQ   SEQUENCE   5 AA;  500 MW;  0 CRC64;
     ACDEF
//
";

#[test]
fn swissprot_parses_entries() {
    let es = swissprot::from_reader("t.dat", TWO_ENTRIES.as_bytes()).unwrap();
    assert_eq!(es.len(), 2);
    let e = &es[0];
    assert_eq!(e.entry_name, "TEST1_HUMAN");
    assert_eq!(e.status, "Reviewed");
    assert_eq!(e.accessions, vec!["P12345", "Q99999", "Q88888"]);
    assert_eq!(e.primary_accession(), "P12345");
    assert_eq!(e.taxon_id, Some(9606));
    assert_eq!(e.go.len(), 3);
    assert_eq!(e.go[0].term, GoId::from_number(5737).unwrap());
    assert_eq!(e.go[0].aspect, Aspect::Cco);
    assert_eq!(e.go[0].term_name, "cytoplasm");
    assert_eq!(e.go[0].evidence, "IDA:UniProtKB");
    assert_eq!(e.go[0].evidence_code(), "IDA");
    assert_eq!(e.go[1].aspect, Aspect::Mfo);
    assert_eq!(e.go[2].aspect, Aspect::Bpo);
    assert_eq!(e.pfam[0].accession, "PF00041");
    assert_eq!(e.pfam[0].name, "fn3");
    assert_eq!(e.pfam[0].domains, 2);
    assert_eq!(e.sequence, "MKVLAAGGHHII");
    assert_eq!(es[1].line, 14);
    assert_eq!(es[1].pfam.len(), 2);
    let ann = GoAnnotations::from_swissprot(&es);
    assert_eq!(ann.len(), 1, "TEST2 has no GO lines");
    assert_eq!(ann.terms("P12345").unwrap().len(), 3);
}

fn err(text: &str) -> crate::ParseError {
    swissprot::from_reader("sp.dat", text.as_bytes()).unwrap_err()
}

#[test]
fn swissprot_length_mismatch_names_the_entry() {
    let n = Path::new("sp.dat");
    let bad = TWO_ENTRIES.replace("MKVLAA GGHHII", "MKVLAA GGHHI");
    let e = err(&bad);
    assert_at(&e, n, 13, Some("sequence"));
    assert!(
        e.message.contains("TEST1_HUMAN") && e.message.contains("P12345"),
        "{}",
        e.message
    );
    assert!(e.message.contains("11 residues"), "{}", e.message);
    // ID agrees with the sequence but SQ does not
    let bad = TWO_ENTRIES.replace("SQ   SEQUENCE   5 AA;", "SQ   SEQUENCE   6 AA;");
    assert_at(&err(&bad), n, 20, Some("sequence"));
}

#[test]
fn swissprot_field_errors() {
    let n = Path::new("sp.dat");
    let cases: [(&str, &str, usize, Option<&str>); 9] = [
        (
            "DR   GO; GO:0005737; C:cytoplasm;",
            "DR   GO; GO:005737; C:cytoplasm;",
            6,
            Some("DR GO"),
        ),
        ("C:cytoplasm", "X:cytoplasm", 6, Some("DR GO")),
        (
            "DR   GO; GO:0003674; F:molecular_function; ND:UniProtKB.",
            "DR   GO; GO:0003674; F:x.",
            7,
            Some("DR GO"),
        ),
        ("PF00041; fn3; 2.", "PFAM41; fn3; 2.", 9, Some("DR Pfam")),
        ("PF00041; fn3; 2.", "PF00041; fn3; two.", 9, Some("DR Pfam")),
        ("Reviewed;          12 AA.", "Reviewed;", 1, Some("ID")),
        ("SQ   SEQUENCE   12 AA;", "SQ   SEQUENCE", 11, Some("SQ")),
        (
            "     MKVLAA GGHHII",
            "     MKVLAA GGHH1I",
            12,
            Some("sequence"),
        ),
        ("AC   Q00001;\n", "", 14, Some("AC")),
    ];
    for (from, to, line, field) in cases {
        let text = TWO_ENTRIES.replacen(from, to, 1);
        assert_ne!(text, TWO_ENTRIES, "fixture edit {from:?}");
        assert_at(&err(&text), n, line, field);
    }
}

#[test]
fn swissprot_structure_errors() {
    let n = Path::new("sp.dat");
    // truncated file: no final //
    let text = TWO_ENTRIES.trim_end().trim_end_matches("//");
    let e = err(text);
    assert_at(&e, n, 19, None);
    assert!(e.message.contains("TEST2_MOUSE"));
    // a new ID before //
    let text = TWO_ENTRIES.replacen("//\nID   TEST2", "ID   TEST2", 1);
    assert_at(&err(&text), n, 13, Some("ID"));
    // lines before any ID
    assert_at(&err("AC   P1;\n"), n, 1, None);
    // no SQ block
    let text = "ID   X_Y Reviewed; 3 AA.\nAC   P1;\n//\n";
    assert_at(&err(text), n, 3, Some("SQ"));
    // sequence line before SQ
    let text = "ID   X_Y Reviewed; 3 AA.\nAC   P1;\n     ACD\n//\n";
    assert_at(&err(text), n, 3, Some("sequence"));
}
