use std::path::Path;

use super::super::go_term::{Aspect, GoId};
use super::super::obo;
use super::assert_at;

/// A small GO: three namespaces, alt id, part_of, a cross-namespace edge,
/// an obsolete and an external term, and a Typedef.
pub(super) const MINI_OBO: &str = "format-version: 1.2
data-version: releases/2023-01-01
ontology: go

[Term]
id: GO:0008150
name: biological_process
namespace: biological_process

[Term]
id: GO:0009987
name: cellular process
namespace: biological_process
is_a: GO:0008150 ! biological_process

[Term]
id: GO:0008152
name: metabolic process
namespace: biological_process
alt_id: GO:0044236
is_a: GO:0008150 ! biological_process

[Term]
id: GO:0044237
name: cellular metabolic process
namespace: biological_process
is_a: GO:0008152 ! metabolic process
is_a: GO:0009987 {source=\"x\"} ! cellular process

[Term]
id: GO:0005575
name: cellular_component
namespace: cellular_component

[Term]
id: GO:0005622
name: intracellular anatomical structure
namespace: cellular_component
is_a: GO:0005575

[Term]
id: GO:0005737
name: cytoplasm
namespace: cellular_component
relationship: part_of GO:0005622 ! intracellular anatomical structure
relationship: has_part GO:0005575 ! not followed

[Term]
id: GO:0003674
name: molecular_function
namespace: molecular_function

[Term]
id: GO:0005488
name: binding
namespace: molecular_function
is_a: GO:0003674
relationship: part_of GO:0008150 ! crosses namespaces: dropped

[Term]
id: GO:0000005
name: obsolete thing
namespace: molecular_function
is_obsolete: true

[Term]
id: GO:0000006
name: something external
namespace: external

[Typedef]
id: part_of
name: part of
is_transitive: true
";

pub(super) fn go(n: u32) -> GoId {
    GoId::from_number(n).unwrap()
}

#[test]
fn obo_parses_terms_tags_and_skips_typedef() {
    let f = obo::from_reader("go-basic.obo", MINI_OBO.as_bytes()).unwrap();
    assert_eq!(f.data_version.as_deref(), Some("releases/2023-01-01"));
    assert_eq!(f.terms.len(), 11);
    let t = &f.terms[3];
    assert_eq!(t.id, go(44237));
    assert_eq!(t.name, "cellular metabolic process");
    assert_eq!(t.aspect, Some(Aspect::Bpo));
    assert_eq!(t.is_a, vec![go(8152), go(9987)]);
    assert_eq!(t.line, 23);
    assert_eq!(f.terms[2].alt_ids, vec![go(44236)]);
    assert_eq!(
        f.terms[6].part_of,
        vec![go(5622)],
        "has_part is not followed"
    );
    assert!(f.terms[9].is_obsolete);
    assert_eq!(f.terms[10].aspect, None, "external namespace");
}

fn err(text: &str) -> crate::ParseError {
    obo::from_reader("go.obo", text.as_bytes()).unwrap_err()
}

#[test]
fn obo_errors_name_line_and_field() {
    let n = Path::new("go.obo");
    let head = "format-version: 1.2\n\n[Term]\nid: GO:0000001\nnamespace: biological_process\n";
    assert_at(
        &err(&format!("{head}is_a: GO:12 ! bad\n")),
        n,
        6,
        Some("is_a"),
    );
    assert_at(
        &err(&format!("{head}relationship: part_of GOX ! bad\n")),
        n,
        6,
        Some("relationship"),
    );
    assert_at(
        &err(&format!("{head}alt_id: 0000002\n")),
        n,
        6,
        Some("alt_id"),
    );
    assert_at(
        &err(&format!("{head}is_obsolete: yes\n")),
        n,
        6,
        Some("is_obsolete"),
    );
    assert_at(&err(&format!("{head}id: GO:0000003\n")), n, 6, Some("id"));
    assert_at(&err(&format!("{head}this line has no colon\n")), n, 6, None);
    assert_at(&err("[Term]\nid: GO:00000001\n"), n, 2, Some("id"));
    assert_at(
        &err("[Term]\nid: GO:0000001\nnamespace: chemistry\n"),
        n,
        3,
        Some("namespace"),
    );
    // stanza-level errors point at the [Term] line
    assert_at(
        &err("[Term]\nname: no id\n\n[Term]\nid: GO:0000002\n"),
        n,
        1,
        Some("id"),
    );
    assert_at(
        &err("[Term]\nid: GO:0000001\nname: x\n"),
        n,
        1,
        Some("namespace"),
    );
    let dup = "[Term]\nid: GO:0000001\nnamespace: biological_process\n\n[Term]\nid: GO:0000001\nnamespace: biological_process\n";
    let e = err(dup);
    assert_at(&e, n, 5, Some("id"));
    assert!(e.message.contains("first on line 1"));
    // obsolete terms may lack a namespace
    let ok = obo::from_reader(n, "[Term]\nid: GO:0000001\nis_obsolete: true\n".as_bytes()).unwrap();
    assert!(ok.terms[0].is_obsolete);
}
