//! The report carries the issue-12 readouts: the rank agreement with Table 1,
//! depth against length, length generalization beside the anchors, and the
//! MLP against its training length (rendered from the fixture's values).

use seqlab::report::{fixtures::sample_input, render};

#[test]
fn readouts_are_rendered_from_the_input() {
    let input = sample_input();
    let r = render(&input).unwrap();
    for h in [
        "Rank agreement with the paper (Spearman&#39;s ρ)",
        "Depth against length",
        "Accuracy against the training length",
    ] {
        assert!(r.html.contains(&format!("<h3>{h}</h3>")), "html lacks {h}");
    }
    // ρ and the pairs, with "none" counted as the stated depth
    let a = &input.paper_agreement[0];
    let line = format!(
        "transformer, 99.0%, best of seeds: ρ = {:.2} over 4 tasks (ours/paper: C_2 2/2, D_8 2/3, A_5 5/7, S_5 none (= {})/13)",
        a.rho.unwrap(),
        a.unreached_as
    );
    assert!(r.html.contains(&line), "no agreement line {line}");
    assert!(r.markdown.contains(&line));
    // the anchor table: ours at 4T beside Delétang's 52.0%
    assert!(r.html.contains("last position at 4T (%)"));
    assert!(r.html.contains("Delétang et al. 2023 52.0%"));
    assert!(r.html.contains(">51.0<"), "ours at 4T (0.51)");
    // the MLP trend line reads first and last training length
    assert!(
        r.html.contains(
            "mlp on C_2: 99.0% at training length T = 8, 62.0% at training length T = 32."
        ),
        "{}",
        &r.html[r.html.find("Accuracy against the training length").unwrap()..][..600]
    );
}
