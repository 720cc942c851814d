//! The report as a post a person reads (issue 14): every question section
//! opens with a finding generated from the data (its numbers follow the
//! data), every figure holds data marks, ground truth is outlined where
//! agreement is reported, section 3 draws the cost model over the measured
//! times with the derivation, and a figure without data is not drawn.

use seqlab::report::figures::{error_svg, line_plot, LinePlot, DATA_CLASS};
use seqlab::report::model::*;
use seqlab::report::render;
use seqlab_test_support::fixtures::sample_input;

use crate::report_render::{figure_html, section_html};

/// Every `<svg>…</svg>` of a page.
pub fn svgs(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(a) = rest.find("<svg") {
        let b = rest[a..].find("</svg>").expect("unclosed svg") + a + "</svg>".len();
        out.push(&rest[a..b]);
        rest = &rest[b..];
    }
    out
}

/// The data marks of an svg: shapes (rect, circle, polyline, line, path,
/// polygon) inside its `<g class="data">` groups, with a drawn extent. The
/// svg must parse as XML.
pub fn data_marks(svg: &str) -> Result<usize, String> {
    let doc = roxmltree::Document::parse(svg).map_err(|e| format!("not XML: {e}"))?;
    let num = |n: &roxmltree::Node, a: &str| n.attribute(a).and_then(|v| v.parse::<f64>().ok());
    Ok(doc
        .descendants()
        .filter(|g| g.has_tag_name("g") && g.attribute("class") == Some(DATA_CLASS))
        .flat_map(|g| g.descendants())
        .filter(|e| match e.tag_name().name() {
            "rect" => num(e, "width").unwrap_or(0.0) > 0.0 && num(e, "height").unwrap_or(0.0) > 0.0,
            "circle" => num(e, "r").unwrap_or(0.0) > 0.0,
            "polyline" | "polygon" => {
                e.attribute("points")
                    .unwrap_or("")
                    .split_whitespace()
                    .count()
                    >= 2
            }
            "line" | "path" => true,
            _ => false,
        })
        .count())
}

/// Fails, naming the figure, when an svg of `html` holds no data mark.
fn assert_every_svg_has_data(html: &str, what: &str) {
    let all = svgs(html);
    assert!(!all.is_empty(), "{what}: no svg at all");
    for (i, svg) in all.iter().enumerate() {
        let n = data_marks(svg).unwrap_or_else(|e| panic!("{what}: svg #{i}: {e}"));
        let head: String = svg.chars().take(300).collect();
        assert!(n > 0, "{what}: svg #{i} holds no data mark:\n{head}");
    }
}

#[test]
fn every_svg_of_the_report_holds_a_data_mark() {
    let r = render(&sample_input()).unwrap();
    assert_every_svg_has_data(&r.html, "fixture");
    assert_eq!(svgs(&r.html).len(), r.figures.len());
    // The check can fail: axes without a line, and the error picture.
    let empty = line_plot(&LinePlot {
        title: "nothing".into(),
        x_label: "x".into(),
        y_label: "y".into(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(data_marks(&empty), Ok(0));
    assert_eq!(data_marks(&error_svg("boom")), Ok(0));
    assert!(data_marks("<svg><g class=\"data\"><rect").is_err());
}

/// 0.0196123 → "0.01961" (4 significant digits).
fn sig(v: f64, digits: i32) -> String {
    let decimals = (digits - 1 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.decimals$}")
}

fn pct(v: f64) -> String {
    format!("{:.1}%", 100.0 * v)
}

/// The first block of a section, which must be its finding.
fn finding_of(html: &str, id: &str) -> String {
    let s = section_html(html, id);
    let after_h2 = &s[s.find("</h2>").expect("h2") + 5..];
    let first = after_h2.trim_start();
    assert!(
        first.starts_with("<p class=\"finding\"><strong>Finding.</strong> "),
        "{id} does not open with its finding:\n{}",
        &first[..first.len().min(200)]
    );
    let end = first.find("</p>").unwrap();
    first["<p class=\"finding\"><strong>Finding.</strong> ".len()..end].to_string()
}

/// One number per question section, computed here from the input, that its
/// finding must state.
fn expected(input: &ReportInput) -> Vec<(&'static str, String)> {
    // 1: the smallest depth at which the best A_5 seed reaches 99% (T = 16)
    let a5 = input
        .depth_table
        .iter()
        .filter(|c| c.task == "A_5" && c.arch == "transformer" && c.length == Some(16))
        .filter(|c| c.acc_best >= 0.99)
        .map(|c| c.depth)
        .min()
        .unwrap();
    // 2: the best recurrent accuracy on C_2 at 4× the training length
    let rec = input
        .length_curves
        .iter()
        .filter(|c| {
            c.group == "C_2"
                && ["lstm", "gru", "linear_rnn"]
                    .iter()
                    .any(|f| c.label.starts_with(f))
        })
        .filter_map(|c| c.points.iter().find(|p| p.0 == 64.0).map(|p| p.1))
        .fold(f64::MIN, f64::max);
    // 3: the Transformer's training step at the longest T
    let tf = input
        .timing
        .iter()
        .find(|t| t.family == "transformer" && t.metric == "train step")
        .unwrap();
    let tf_ms = tf
        .points
        .iter()
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap()
        .1;
    // 4: the MLP on C_2 at its shortest training length
    let mlp = input
        .results
        .iter()
        .filter(|r| r.task == "C_2" && r.model == "mlp")
        .min_by_key(|r| r.length)
        .unwrap()
        .acc_mean;
    // 5: the best agreement on C_2 (random ranking excluded)
    let agree = input
        .explanations
        .iter()
        .filter(|e| e.task == "C_2" && e.method != "random")
        .filter_map(|e| e.agreement)
        .fold(f64::MIN, f64::max);
    // 6: the best model's RMSE on the real data
    let h = input.real_data[0].headline.as_ref().unwrap();
    let best = h.models.iter().map(|m| m.1).fold(f64::MAX, f64::min);
    vec![
        ("q1-depth", format!("A_5 at L = {a5}")),
        ("q2-rnn", format!("C_2 {}", pct(rec))),
        (
            "q3-timing",
            format!("{} ms for the transformer", sig(tf_ms, 3)),
        ),
        ("q4-mlp", format!("from {}", pct(mlp))),
        ("q5-explain", format!("agreement {agree:.2}")),
        (
            "q6-real-data",
            format!("RMSE of the next-day log return {}", sig(best, 4)),
        ),
    ]
}

/// The fixture with every section's numbers moved.
fn moved(mut input: ReportInput) -> ReportInput {
    for c in input
        .depth_table
        .iter_mut()
        .filter(|c| c.task == "A_5" && c.arch == "transformer")
    {
        if c.depth == 4 {
            c.acc_best = 0.993;
        }
    }
    for m in input
        .min_depth
        .iter_mut()
        .filter(|m| m.task == "A_5" && m.threshold == 0.99 && m.length == Some(16))
    {
        m.best_of_seeds = Some(4);
    }
    for c in &mut input.length_curves {
        for p in &mut c.points {
            p.1 *= 0.9;
        }
    }
    for t in &mut input.timing {
        for p in &mut t.points {
            p.1 *= 1.7;
        }
    }
    for r in input.results.iter_mut().filter(|r| r.model == "mlp") {
        r.acc_mean *= 0.93;
    }
    for e in &mut input.explanations {
        e.agreement = e.agreement.map(|a| a * 0.8);
    }
    for m in &mut input.real_data[0].headline.as_mut().unwrap().models {
        m.1 *= 1.01;
    }
    input
}

#[test]
fn every_question_section_opens_with_a_finding_that_follows_the_data() {
    let input = sample_input();
    let changed = moved(input.clone());
    let (html, html2) = (render(&input).unwrap().html, render(&changed).unwrap().html);
    let (want, want2) = (expected(&input), expected(&changed));
    for ((id, w), (_, w2)) in want.iter().zip(&want2) {
        assert_ne!(w, w2, "{id}: the moved data should change the number");
        let (f, f2) = (finding_of(&html, id), finding_of(&html2, id));
        assert!(f.contains(w.as_str()), "{id}: finding lacks {w:?}:\n{f}");
        assert!(
            f2.contains(w2.as_str()),
            "{id}: moved finding lacks {w2:?}:\n{f2}"
        );
        assert!(
            !f2.contains(w.as_str()),
            "{id}: moved finding still says {w:?}:\n{f2}"
        );
        assert!(f.chars().any(|c| c.is_ascii_digit()), "{id}: no number");
    }
    // where the result disagrees with the paper, the finding says so
    let f = finding_of(&html, "q1-depth");
    assert!(f.contains("(paper: 7; shallower than the paper)"), "{f}");
    assert!(
        f.contains("S_5 (tried L = 1, 2, 4, 6; the paper needs L = 13, deeper than we tried)"),
        "{f}"
    );
    let rho = input
        .paper_agreement
        .iter()
        .find(|a| {
            a.arch == "transformer"
                && a.threshold == 0.99
                && a.statistic == seqlab::study::SeedStatistic::BestOfSeeds
        })
        .unwrap()
        .rho
        .unwrap();
    assert!(f.contains(&format!("ρ = {rho:.2}")), "{f}");
    // the summary repeats every finding
    let summary = section_html(&html, "summary");
    for (id, w) in &want {
        assert!(summary.contains(w.as_str()), "summary lacks {id}'s {w:?}");
    }
}

#[test]
fn ground_truth_is_outlined_where_agreement_is_reported() {
    let input = sample_input();
    let r = render(&input).unwrap();
    assert!(!r.html.contains("No ground truth supplied"));
    // every strip with an agreement says what is outlined
    for e in input.explanations.iter().filter(|e| e.agreement.is_some()) {
        let id = format!(
            "fig-explain-{}-{}-{}",
            seqlab::report::util::slug(&e.task),
            seqlab::report::util::slug(&e.model),
            seqlab::report::util::slug(&e.method)
        );
        let f = figure_html(&r.html, &id);
        assert!(f.contains("Agreement with the ground truth: "), "{id}");
        assert!(
            f.contains("Outlined: the ground-truth relevant positions."),
            "{id}"
        );
    }
    // the gallery outlines the ground-truth cells of its one example in every
    // row (each model's methods but the random one), plus one in its key
    let rows = input
        .explanations
        .iter()
        .filter(|e| e.task == "C_2" && e.method != "random")
        .count();
    let first = input.explanations.iter().find(|e| e.task == "C_2").unwrap();
    let relevant = first.ground_truth.as_ref().unwrap()[0]
        .iter()
        .filter(|b| **b)
        .count();
    assert!(relevant > 0);
    let g = figure_html(&r.html, "fig-explain-gallery-c-2");
    let outlines = svgs(g)[0]
        .lines()
        .filter(|l| l.starts_with("<rect") && l.contains("fill=\"none\" stroke=\"#000000\""))
        .count();
    assert_eq!(outlines, rows * relevant + 1);
    assert!(g.contains("Outlined cells are the ground-truth relevant positions."));
    // the summary colours each (model, method) by its agreement: one cell each
    let s = figure_html(&r.html, "fig-explain-summary-c-2");
    let cells = input
        .explanations
        .iter()
        .filter(|e| e.task == "C_2")
        .count();
    assert_eq!(
        data_marks(svgs(s)[0]).unwrap(),
        2 * cells,
        "fill and border per cell"
    );
}

#[test]
fn section_three_draws_the_cost_model_over_the_measured_times() {
    let input = sample_input();
    let r = render(&input).unwrap();
    let f = figure_html(&r.html, "fig-timing");
    let svg = svgs(f)[0];
    let doc = roxmltree::Document::parse(svg).unwrap();
    let data: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|g| g.attribute("class") == Some(DATA_CLASS))
        .flat_map(|g| g.descendants())
        .collect();
    let points: Vec<&str> = data
        .iter()
        .filter(|e| e.has_tag_name("circle"))
        .filter_map(|e| e.attribute("fill"))
        .collect();
    let lines: Vec<&str> = data
        .iter()
        .filter(|e| e.has_tag_name("polyline"))
        .filter_map(|e| e.attribute("stroke"))
        .collect();
    let measured: usize = input.timing.iter().map(|t| t.points.len()).sum();
    assert_eq!(points.len(), measured, "one point per measurement");
    assert_eq!(lines.len(), input.timing.len(), "one model line per series");
    for l in &lines {
        assert!(
            points.contains(l),
            "a line of colour {l} without its points"
        );
    }
    // the derivation and the CPU/GPU note are in the text
    let s = section_html(&r.html, "q3-timing");
    for needle in [
        "2d·T² per sequence: the quadratic term",
        "Sequential depth.",
        "so an LSTM or GRU takes L·T steps",
        "3B·(8L·d² + d·C)·T",
        "3B·[L·(4d² + 2d·d_ff)·T + 2L·d·T² + d·C·T]",
        "Crossovers.",
        "What a CPU hides.",
    ] {
        assert!(s.contains(needle), "section 3 lacks {needle:?}");
    }
    // the crossover of attention's T² term: (L·(4d² + 2d·d_ff) + d·C) / (2L·d)
    // at L = 2, d = 64, d_ff = 256, C = 2
    let (l, d) = (2.0, 64.0);
    let t = (l * (4.0 * d * d + 2.0 * d * 256.0) + d * 2.0) / (2.0 * l * d);
    assert!(
        s.contains(&format!("overtakes the terms linear in T at T = {t:.0}")),
        "{t}"
    );
}

#[test]
fn no_figure_without_data_and_a_sentence_instead() {
    let mut input = sample_input();
    // the MLP trained at one length only
    input
        .results
        .retain(|r| r.model != "mlp" || r.length == Some(16));
    // no model can be run at another length
    for c in &mut input.length_curves {
        c.points.clear();
        c.not_applicable = Some("fixed length".into());
    }
    // no ground truth to colour the attributions by
    for e in &mut input.explanations {
        e.agreement = None;
        e.ground_truth = None;
    }
    input.depth_length.clear();
    let r = render(&input).unwrap();
    for gone in [
        "fig-mlp-length",
        "fig-length",
        "fig-explain-summary-c-2",
        "fig-depth-length",
    ] {
        assert!(
            !r.figures.iter().any(|f| f == gone),
            "{gone} drawn without data"
        );
    }
    let mlp = section_html(&r.html, "q4-mlp");
    assert!(
        mlp.contains("No figure of accuracy against T: it needs MLPs trained at several lengths")
    );
    assert!(mlp.contains("It was trained at a single length in this run"));
    assert!(section_html(&r.html, "q2-rnn")
        .contains("No figure: no model could be run at another length"));
    assert!(section_html(&r.html, "q5-explain")
        .contains("No summary figure for C_2: it has no ground truth here"));
    assert!(
        section_html(&r.html, "q1-depth").contains("No figure: no per-position accuracy curves")
    );
    assert_every_svg_has_data(&r.html, "thinned fixture");
}

#[test]
fn a_real_data_report_leads_with_its_finding_and_baselines() {
    let fixture = sample_input();
    let input = ReportInput {
        title: "stocks".into(),
        real_data: fixture.real_data.clone(),
        ..Default::default()
    };
    let r = render(&input).unwrap();
    let titles: Vec<&str> = r
        .html
        .split("<h2>")
        .skip(1)
        .filter_map(|s| s.split("</h2>").next())
        .collect();
    assert_eq!(
        titles,
        [
            "Summary of results",
            "1. AAPL daily returns",
            "Notes",
            "Appendix: provenance and versions"
        ]
    );
    let id = "real-aapl-daily-returns";
    let f = finding_of(&r.html, id);
    let h = fixture.real_data[0].headline.as_ref().unwrap();
    let best = h.models.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    let base = h
        .baselines
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    assert!(f.contains(&format!("({})", best.0)), "{f}");
    assert!(f.contains(&sig(best.1, 4)), "{f}");
    assert!(
        f.contains(&format!("({}: {})", base.0, sig(base.1, 4))),
        "{f}"
    );
    assert!(f.contains("no model beats it"), "{f}");
    assert!(!f.contains("a tie"), "{f}");
    // A best model 0.5% under the baseline beats it, but only by a tie's
    // margin; 5% under is a win.
    for (factor, tie) in [(0.995, true), (0.95, false)] {
        let mut moved = input.clone();
        let hl = moved.real_data[0].headline.as_mut().unwrap();
        hl.models[0].1 = base.1 * factor;
        let f = finding_of(&render(&moved).unwrap().html, id);
        assert!(f.contains("models beat it"), "{f}");
        assert_eq!(f.contains("that is a tie, not a win"), tie, "{f}");
    }
    // one bar per model, every baseline named beside them
    let fig = figure_html(&r.html, "fig-real-aapl-daily-returns");
    assert_eq!(data_marks(svgs(fig)[0]).unwrap(), h.models.len());
    for (label, _) in &h.baselines {
        assert!(fig.contains(label.as_str()), "{label}");
    }
    assert_every_svg_has_data(&r.html, "real data");
}
