//! The report carries length generalization beside the anchors: the
//! last-position accuracy at each multiple of the training length, Grazzi's
//! scaled accuracy on parity and the published numbers (from the fixture).

use seqlab::report::render;
use seqlab_test_support::fixtures::sample_input;

#[test]
fn the_anchor_table_shows_ours_beside_the_published_numbers() {
    let mut input = sample_input();
    let r = render(&input).unwrap();
    assert!(r.html.contains(">4T (%)</th>") && r.html.contains("accuracy at the last position"));
    assert!(r.html.contains("Delétang et al. 2023 52.0%"));
    assert!(r.html.contains(">51.0<"), "ours at 4T (0.51)");
    // the numbers come from the input: change one and the page follows
    input.length_anchors[0].last[1].1 = 0.734;
    let r = render(&input).unwrap();
    assert!(r.html.contains(">73.4<"), "ours at 4T (0.734)");
    // and the sentence beside the anchors reads the same last-position value
    assert!(
        r.html.contains("at the last position, the best Transformer on parity (pos=none bos L=2) is at 73.4% at 4×"),
        "{}",
        &r.html[r.html.find("Anchors:").unwrap()..][..900]
    );
    assert!(!r.html.contains(">51.0<"));
}
