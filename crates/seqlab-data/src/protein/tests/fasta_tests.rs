use std::path::Path;

use super::super::fasta::{self, header_id};
use super::{assert_at, write, write_gz};

#[test]
fn fasta_parses_cafa_and_uniprot_headers() {
    let text = ">P20536 sp|P20536|UNG_VACCC Uracil-DNA glycosylase\nmnsvtvshap\nYTITYHDDWE\n\n\
                >sp|P12345|AATM_RABIT Aspartate aminotransferase OS=Oryctolagus\nMALLHSGRVL PG*\n\
                >gi|123|ref|NP_1| something\nACDE\n";
    let recs = fasta::from_reader("mem.fasta", text.as_bytes()).unwrap();
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[0].id, "P20536");
    assert_eq!(
        recs[0].description,
        "sp|P20536|UNG_VACCC Uracil-DNA glycosylase"
    );
    assert_eq!(recs[0].sequence, "MNSVTVSHAPYTITYHDDWE");
    assert_eq!(recs[0].line, 1);
    assert_eq!(recs[1].id, "P12345");
    assert_eq!(
        recs[1].description,
        "Aspartate aminotransferase OS=Oryctolagus"
    );
    assert_eq!(
        recs[1].sequence, "MALLHSGRVLPG",
        "spaces and the final * removed"
    );
    assert_eq!(recs[1].line, 5);
    assert_eq!(recs[2].id, "gi|123|ref|NP_1|");
    assert_eq!(header_id("tr|A0A0|X_Y"), "A0A0");
    assert_eq!(header_id("sp||X"), "sp||X");
}

#[test]
fn fasta_accepts_all_letters_including_bjouxz() {
    let recs = fasta::from_reader("m", ">x\nACDEFGHIKLMNPQRSTVWYBJOUXZ\n".as_bytes()).unwrap();
    assert_eq!(recs[0].sequence.len(), 26);
}

#[test]
fn fasta_reads_files_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "a.fasta", ">A\nMK\n>B\nQQ\n");
    let g = write_gz(dir.path(), "a.fasta.gz", ">A\nMK\n>B\nQQ\n");
    assert_eq!(fasta::read(&p).unwrap(), fasta::read(&g).unwrap());
    // gzip detected by magic bytes even without the .gz name
    let g2 = dir.path().join("renamed.fa");
    std::fs::copy(&g, &g2).unwrap();
    assert_eq!(fasta::read(&g2).unwrap().len(), 2);
}

#[test]
fn fasta_error_sequence_before_header() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "bad.fasta", "\nMKV\n>A\nMK\n");
    let e = fasta::read(&p).unwrap_err();
    assert_at(&e, &p, 2, None);
    assert!(e.message.contains("before the first `>`"));
}

#[test]
fn fasta_error_empty_sequence_points_at_header() {
    let e = fasta::from_reader("x.fa", ">A\nMK\n>B desc\n>C\nQ\n".as_bytes()).unwrap_err();
    assert_at(&e, Path::new("x.fa"), 3, Some("sequence"));
    assert!(e.message.contains("`B`"));
    let e = fasta::from_reader("x.fa", ">A\nMK\n>B\n".as_bytes()).unwrap_err();
    assert_at(&e, Path::new("x.fa"), 3, Some("sequence"));
}

#[test]
fn fasta_error_invalid_residues() {
    let e = fasta::from_reader("x.fa", ">A\nMK\nMK-V\n".as_bytes()).unwrap_err();
    assert_at(&e, Path::new("x.fa"), 3, Some("sequence"));
    assert!(e.message.contains("column 3"), "{}", e.message);
    assert!(e.hint.contains("Stockholm"));
    let e = fasta::from_reader("x.fa", ">A\nMK1\n".as_bytes()).unwrap_err();
    assert_at(&e, Path::new("x.fa"), 2, Some("sequence"));
    let e = fasta::from_reader("x.fa", ">A\nMK*\nQ\n".as_bytes()).unwrap_err();
    assert_at(&e, Path::new("x.fa"), 2, Some("sequence"));
    let e = fasta::from_reader("x.fa", ">A\nMK\n>  \nMK\n".as_bytes()).unwrap_err();
    assert_at(&e, Path::new("x.fa"), 3, Some("id"));
}

#[test]
fn missing_file_is_a_line_zero_error() {
    let p = Path::new("/nonexistent/dir/x.fasta");
    let e = fasta::read(p).unwrap_err();
    assert_eq!((e.path.as_path(), e.line), (p, 0));
    assert_at(&e, p, 0, None);
    assert!(
        e.to_string()
            .starts_with("/nonexistent/dir/x.fasta: I/O error: "),
        "{e}"
    );
}
