//! Checks on the real files shipped by Debian `libswiss-perl`,
//! `emboss-test` and `hmmer-examples`. Ignored unless asked for
//! (`--ignored`): `SEQLAB_REAL_PROTEINS` is then the root the packages were
//! extracted into (`dpkg-deb -x X.deb ROOT/`); tests never download anything.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::super::annotations::GoAnnotations;
use super::super::fasta;
use super::super::go_term::Aspect;
use super::super::labels::{pfam_from_stockholm, pfam_from_swissprot};
use super::super::stockholm;
use super::super::swissprot;

fn root() -> PathBuf {
    std::env::var_os("SEQLAB_REAL_PROTEINS")
        .map(PathBuf::from)
        .expect("SEQLAB_REAL_PROTEINS: the root the Debian packages were extracted into")
}

#[test]
#[ignore = "needs SEQLAB_REAL_PROTEINS: the root the Debian packages libswiss-perl 1.80-1, emboss-test 6.6.0+dfsg-12 and hmmer-examples 3.3.2+dfsg-1 were extracted into (apt-get download X; dpkg-deb -x X.deb ROOT/)"]
fn real_swiss100_counts() {
    let root = root();
    let es =
        swissprot::read(&root.join("usr/share/doc/libswiss-perl/examples/SWISS100.dat")).unwrap();
    let go_lines: usize = es.iter().map(|e| e.go.len()).sum();
    let distinct: BTreeSet<_> = es
        .iter()
        .flat_map(|e| e.go.iter().map(|x| x.term))
        .collect();
    let per_aspect = |a| {
        es.iter()
            .flat_map(|e| &e.go)
            .filter(|x| x.aspect == a)
            .count()
    };
    let pfam_lines: usize = es.iter().map(|e| e.pfam.len()).sum();
    let (lo, hi) = (
        es.iter().map(|e| e.sequence.len()).min().unwrap(),
        es.iter().map(|e| e.sequence.len()).max().unwrap(),
    );
    eprintln!(
        "SWISS100.dat: {} entries, {go_lines} GO lines, {} distinct GO terms (P {} / F {} / C {}), {pfam_lines} Pfam lines, lengths {lo}-{hi}",
        es.len(),
        distinct.len(),
        per_aspect(Aspect::Bpo),
        per_aspect(Aspect::Mfo),
        per_aspect(Aspect::Cco)
    );
    assert_eq!(es.len(), 100);
    assert_eq!(go_lines, 2310);
    assert_eq!(distinct.len(), 937);
    assert_eq!(
        (
            per_aspect(Aspect::Bpo),
            per_aspect(Aspect::Mfo),
            per_aspect(Aspect::Cco)
        ),
        (1219, 435, 656)
    );
    assert_eq!(pfam_lines, 187);
    assert_eq!((lo, hi), (87, 2595));
    assert!(es.iter().all(|e| !e.go.is_empty()));
    let ann = GoAnnotations::from_swissprot(&es);
    assert_eq!((ann.len(), ann.aspect_conflicts()), (100, 0));
}

#[test]
#[ignore = "needs SEQLAB_REAL_PROTEINS: the root the Debian packages libswiss-perl 1.80-1, emboss-test 6.6.0+dfsg-12 and hmmer-examples 3.3.2+dfsg-1 were extracted into (apt-get download X; dpkg-deb -x X.deb ROOT/)"]
fn real_emboss_seq_dat_counts() {
    let root = root();
    let es = swissprot::read(&root.join("usr/share/EMBOSS/test/swiss/seq.dat")).unwrap();
    let go_lines: usize = es.iter().map(|e| e.go.len()).sum();
    let with_pfam = es.iter().filter(|e| !e.pfam.is_empty()).count();
    let (lo, hi) = (
        es.iter().map(|e| e.sequence.len()).min().unwrap(),
        es.iter().map(|e| e.sequence.len()).max().unwrap(),
    );
    let task = pfam_from_swissprot(&es);
    eprintln!(
        "seq.dat: {} entries, {go_lines} GO lines, {with_pfam} entries with Pfam, lengths {lo}-{hi}, {} Pfam classes (first family)",
        es.len(),
        task.classes.len()
    );
    assert_eq!(es.len(), 100);
    assert_eq!(go_lines, 636);
    assert_eq!(with_pfam, 98);
    assert_eq!((lo, hi), (35, 3148));
    assert_eq!(task.examples.len(), 98);
}

#[test]
#[ignore = "needs SEQLAB_REAL_PROTEINS: the root the Debian packages libswiss-perl 1.80-1, emboss-test 6.6.0+dfsg-12 and hmmer-examples 3.3.2+dfsg-1 were extracted into (apt-get download X; dpkg-deb -x X.deb ROOT/)"]
fn real_hmmer_stockholm_counts() {
    let root = root();
    let ex = root.join("usr/share/doc/hmmer/examples");
    let cases = [
        ("tutorial/fn3.sto", 98, "PF00041", "fn3"),
        ("tutorial/Pkinase.sto", 38, "PF00069", "Pkinase"),
        ("testsuite/RRM_1.sto.gz", 79, "PF00076", "RRM_1"),
    ];
    let mut all = Vec::new();
    for (file, n, acc, id) in cases {
        let alns = stockholm::read(&ex.join(file)).unwrap();
        assert_eq!(alns.len(), 1, "{file}");
        let a = &alns[0];
        let (lo, hi) = (
            a.sequences.iter().map(|s| s.sequence.len()).min().unwrap(),
            a.sequences.iter().map(|s| s.sequence.len()).max().unwrap(),
        );
        eprintln!(
            "{file}: {} sequences, AC {:?}, ID {:?}, {} columns, ungapped lengths {lo}-{hi}",
            a.sequences.len(),
            a.accession,
            a.id,
            a.aligned_length
        );
        assert_eq!(a.sequences.len(), n, "{file}");
        assert_eq!(a.family_accession(), Some(acc), "{file}");
        assert_eq!(a.id.as_deref(), Some(id), "{file}");
        assert!(a
            .sequences
            .iter()
            .all(|s| !s.sequence.is_empty() && s.sequence.bytes().all(|b| b.is_ascii_uppercase())));
        all.extend(alns);
    }
    let task = pfam_from_stockholm(&all);
    assert_eq!(task.classes.len(), 3);
    assert_eq!(task.examples.len(), 98 + 38 + 79);
    // the other Pfam seeds of the package
    for (file, n, acc) in [
        ("SMC_N.sto.gz", 29, "PF02463"),
        ("LuxC.sto.gz", 13, "PF05893"),
        ("Patched.sto.gz", 10, "PF02460"),
        ("Caudal_act.sto.gz", 9, "PF04731"),
        ("XYPPX.sto", 7, "PF02162"),
    ] {
        let a = stockholm::read(&ex.join("testsuite").join(file)).unwrap();
        assert_eq!(
            (a[0].sequences.len(), a[0].family_accession()),
            (n, Some(acc)),
            "{file}"
        );
    }
}

#[test]
#[ignore = "needs SEQLAB_REAL_PROTEINS with Debian mmseqs2-examples extracted into it too (dpkg-deb -x)"]
fn real_mmseqs2_fasta() {
    // Debian `mmseqs2-examples` (optional): 20,000 UniProt sequences.
    let p = root().join("usr/share/doc/mmseqs2/example-data/DB.fasta.gz");
    let recs = fasta::read(&p).unwrap();
    eprintln!("DB.fasta.gz: {} records", recs.len());
    assert_eq!(recs.len(), 20_000);
    assert_eq!(recs[0].id, "W0FSK4", "tr|W0FSK4|W0FSK4_9FLAV -> accession");
}
