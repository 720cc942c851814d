//! Rendering tests on the fixture and on odd inputs.

use seqlab::report::sections::TITLES;
use seqlab::report::util::{acc_colour, css_rgb};
use seqlab::report::{render, write, *};
use seqlab_test_support::fixtures::sample_input;

/// The html of figure `id`: from its opening tag to `</figure>`.
pub fn figure_html<'a>(html: &'a str, id: &str) -> &'a str {
    let open = format!("<figure id=\"{id}\">");
    let start = html
        .find(&open)
        .unwrap_or_else(|| panic!("figure {id} missing"));
    let end = html[start..].find("</figure>").expect("unclosed figure") + start;
    &html[start..end]
}

/// The html of section `id`.
pub fn section_html<'a>(html: &'a str, id: &str) -> &'a str {
    let open = format!("<section id=\"{id}\">");
    let start = html
        .find(&open)
        .unwrap_or_else(|| panic!("section {id} missing"));
    let end = html[start..].find("</section>").expect("unclosed section") + start;
    &html[start..end]
}

#[test]
fn every_section_heading_is_present() {
    let r = render(&sample_input()).unwrap();
    for t in TITLES {
        let esc = t.replace('\'', "&#39;");
        assert!(
            r.html.contains(&format!("<h2>{esc}</h2>")),
            "html lacks {t}"
        );
        assert!(
            r.markdown.contains(&format!("\n## {t}\n")),
            "markdown lacks {t}"
        );
    }
    for h in [
        "Findings at a glance",
        "Minimum depth, beside Liu et al.",
        "Depth against length",
        "Length generalization",
        "Shifted input distribution (p1)",
        "The cost model",
        "Attributions",
        "Linear probes per layer",
        "Provenance",
        "Versions",
    ] {
        assert!(r.html.contains(&format!("<h3>{h}</h3>")), "html lacks {h}");
        assert!(
            r.markdown.contains(&format!("### {h}")),
            "markdown lacks {h}"
        );
    }
    assert!(r
        .html
        .contains("<h1>How do Transformers implement recurrence?</h1>"));
    // collapsed details, in html and as headings in markdown
    assert!(r.html.contains("<details>\n<summary>All "));
    assert!(!r.html.contains("<details open"));
    assert!(r
        .markdown
        .contains("#### Every cached instance behind this page"));
}

#[test]
fn every_figure_is_an_inline_plotters_svg_with_text() {
    let r = render(&sample_input()).unwrap();
    let expected = [
        "fig-training",
        "fig-depth",
        "fig-depth-length",
        "fig-length",
        "fig-p1",
        "fig-timing",
        "fig-mlp-length",
        "fig-explain-summary-c-2",
        "fig-explain-gallery-c-2",
        "fig-explain-summary-flip-flop-3-values",
        "fig-explain-gallery-flip-flop-3-values",
    ];
    assert_eq!(
        &r.figures[..expected.len()],
        expected,
        "figure ids in page order"
    );
    assert!(r.figures.iter().any(|f| f == "fig-probe"));
    assert!(r.figures.iter().any(|f| f == "fig-real-aapl-daily-returns"));
    assert_eq!(r.html.matches("<figure ").count(), r.figures.len());
    for id in &r.figures {
        let f = figure_html(&r.html, id);
        assert!(f.contains("<svg width="), "{id} has no svg");
        assert!(f.contains("viewBox="), "{id} svg has no viewBox");
        assert!(f.contains("</svg>"), "{id} svg not closed");
        assert!(f.contains("<text"), "{id} has no text in its svg");
        assert!(f.contains("<figcaption>"), "{id} has no caption");
        assert!(!f.contains("drawing failed"), "{id} failed to draw");
    }
    // the heatmap prints the numbers in its cells (D_8, L = 2: 97.8)
    let hm = figure_html(&r.html, "fig-depth");
    assert!(hm.contains(">\n97.8\n</text>") || hm.contains(">97.8</text>"));
    // log2 length axis is labelled by the real lengths
    let len = figure_html(&r.html, "fig-length");
    assert!(len.contains("(log2 scale)"));
    assert!(len.contains(">\n64\n</text>") || len.contains(">64</text>"));
    // not-applicable models are listed under the figure, not drawn
    assert!(len.contains("mlp: not applicable (the MLP has weights for exactly 16"));
    // the probe figure has the dashed chance line in its legend
    assert!(figure_html(&r.html, "fig-probe").contains(">\nchance\n</text>"));
}

#[test]
fn numbers_from_the_input_appear_in_tables() {
    let input = sample_input();
    let r = render(&input).unwrap();
    let h = &r.html;
    // the results table (collapsed): C_2 / transformer L=2, coloured cell
    let row = &input.results[1];
    assert_eq!(row.model, "transformer L=2");
    assert!(h.contains(&format!(
        "<td>C_2</td><td title=\"model=transformer, layers=2, length=16\">transformer L=2</td><td class=\"heat\" style=\"background:{};color:#000000\">99.6</td>",
        css_rgb(acc_colour(0.996))
    )));
    // the paper's table with the same colour scale: 100 % is the top colour
    let low = css_rgb(acc_colour(0.079));
    assert!(h.contains(&format!(
        "<td>S_5</td><td class=\"heat\" style=\"background:{low};color:#ffffff\">7.9</td>"
    )));
    // the min-depth table: best / mean at each threshold, the paper, the depths
    assert!(h.contains("<caption>Smallest depth L reaching each accuracy</caption>"));
    assert!(h.contains(
        "<td>A_5</td><td>transformer</td><td class=\"num\">4 / 6</td><td class=\"num\">6 / 6</td><td class=\"num\">7</td><td>1, 2, 4, 6</td>"
    ));
    assert!(h.contains(
        "<td>S_5</td><td>transformer</td><td class=\"num\">6 / none</td><td class=\"num\">none / none</td><td class=\"num\">13</td>"
    ));
    // timing exponents and the fit of the cost model
    assert!(h.contains("<td>transformer</td><td>train step</td><td class=\"num\">"));
    // explanation numbers in the collapsed table (3 decimals)
    let e = &input.explanations[0];
    assert!(h.contains(&format!(
        "<td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{:.3}</td>",
        e.task,
        e.model,
        e.method,
        e.agreement.unwrap()
    )));
    // provenance: the key is cut to 16 characters, in collapsed details
    let key = &input.provenance[0].cache_key;
    assert_eq!(key.len(), 64);
    assert!(h.contains(&format!("<code>{}</code>", &key[..16])));
    assert!(!h.contains(&format!("<code>{key}</code>")));
    // versions
    assert!(h.contains("<code>0.22.1</code>"));

    let m = &r.markdown;
    assert!(m.contains("| C_2 | transformer L=2 | 99.6 |"));
    assert!(m.contains("| S_5 | 7.9 | 11.8 |"));
    // A_5 at L = 2: mean 47.8%, best seed 47.8 + 0.45 · 52.2 = 71.3%
    assert!(m.contains("| A_5 | transformer | ") && m.contains(" | 47.8 (best 71.3) | — |"));
    assert!(m.contains(&format!("| `{}` |", &key[..16])));
    assert!(m.contains("> **Finding.** "));
    assert!(m.contains("- mlp: not applicable"));
    assert!(!m.contains("<svg"));
}

#[test]
fn text_is_escaped_everywhere() {
    let mut input = sample_input();
    input.title = "a <i>title</i> & more".into();
    let mut row = input.results[0].clone();
    row.task = "<b>&".into();
    row.model = "mlp \"quoted\" 'x' | pipe".into();
    input.results.push(row);
    let mut c = input.length_curves[0].clone();
    c.group = "<b>&".into();
    c.label = "<script>alert(1)</script>".into();
    input.length_curves.push(c);
    input.notes.push("<img src=x onerror=alert(1)>".into());
    input.intro.push_str("\n\nUse `a<b` here & </p> there.");
    let r = render(&input).unwrap();
    let h = &r.html;
    assert!(h.contains("<td>&lt;b&gt;&amp;</td>"));
    assert!(h.contains("mlp &quot;quoted&quot; &#39;x&#39; | pipe"));
    assert!(h.contains("<title>a &lt;i&gt;title&lt;/i&gt; &amp; more</title>"));
    assert!(h.contains("<li>&lt;img src=x onerror=alert(1)&gt;</li>"));
    assert!(h.contains("Use <code>a&lt;b</code> here &amp; &lt;/p&gt; there."));
    // the label reaches the svg legend escaped too (plotters escapes text)
    assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!h.contains("<b>&"));
    assert!(!h.contains("<script"));
    assert!(!h.contains("<img"));
    assert!(!h.contains("<i>title"));
    let m = &r.markdown;
    assert!(m.contains("| &lt;b&gt;&amp; | mlp \"quoted\" 'x' \\| pipe |"));
    assert!(!m.contains("<b>&"));
    assert!(!m.contains("<script"));
}

#[test]
fn page_is_self_contained() {
    let r = render(&sample_input()).unwrap();
    let h = &r.html;
    assert!(h.starts_with("<!DOCTYPE html>"));
    assert!(h.contains("<meta charset=\"utf-8\">"));
    assert!(!h.contains("<script"));
    assert!(!h.contains("src="));
    assert!(!h.contains("<link rel=\"stylesheet\""));
    // the only URL is the SVG namespace; links go to the files beside it
    let urls = h.matches("http").count();
    let ns = h.matches("xmlns=\"http://www.w3.org/2000/svg\"").count();
    assert_eq!(urls, ns, "a URL other than the svg namespace");
    assert_eq!(ns, r.figures.len());
    let mut hrefs: Vec<&str> = h
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|s| !s.starts_with('#') && !s.starts_with("data:"))
        .collect();
    hrefs.sort();
    assert_eq!(hrefs, ["provenance.json", "results.csv"]);
    assert!(h.contains("max-width: 60rem"));
    assert!(h.contains("@media print"));
    assert!(h.contains("break-inside: avoid"));
}

#[test]
fn empty_input_renders_every_section() {
    let r = render(&ReportInput::default()).unwrap();
    assert!(r.figures.is_empty());
    assert!(!r.html.contains("<figure"));
    // nothing from the study: the real-data layout, one section saying so
    for t in [
        "Summary of results",
        "1. Results",
        "Notes",
        "Appendix: provenance and versions",
    ] {
        assert!(r.html.contains(&format!("<h2>{t}</h2>")), "{t}");
        assert!(r.markdown.contains(&format!("## {t}")));
    }
    assert!(r.html.contains("<h1>seqlab report</h1>"));
    assert!(r.html.contains("Real data was not run in this pipeline"));
    assert!(r.html.contains("No caveats were recorded"));
}

#[test]
fn missing_real_data_names_the_real_data_pipelines() {
    let mut input = sample_input();
    input.real_data.clear();
    let r = render(&input).unwrap();
    let s = section_html(&r.html, "q6-real-data");
    assert!(s.contains("Real data was not run in this pipeline"));
    for p in [
        "pipelines/ecg.yaml",
        "pipelines/ecg-raw.yaml",
        "pipelines/proteins.yaml",
        "pipelines/stocks.yaml",
    ] {
        assert!(s.contains(&format!("<code>{p}</code>")), "{p}");
        assert!(r.markdown.contains(&format!("`{p}`")), "{p}");
    }
    assert!(!r.figures.iter().any(|f| f.starts_with("fig-real")));
}

#[test]
fn odd_inputs_do_not_panic() {
    let mut input = sample_input();
    let nan = f64::NAN;
    input.results[0].acc_mean = nan;
    input.results[1].ci95 = Some((f64::INFINITY, nan));
    input.depth_table[0].acc_mean = nan;
    input.length_curves[0].points = vec![(32.0, nan), (nan, 0.5)];
    input.length_curves[2].points = vec![(32.0, 0.9)];
    input.p1_curves[0].points.clear();
    for c in &mut input.training_curves {
        c.not_applicable = Some("not trained".into());
    }
    input.timing[0].points = vec![(0.0, 1.0), (-4.0, 0.0), (16.0, nan)];
    input.timing[1].points.clear();
    input.timing[2].cost = None;
    input.explanations[0].ground_truth = Some(vec![vec![true]]);
    input.explanations[1].values = vec![vec![], vec![1.0, -1.0, nan]];
    input.explanations[2].values = vec![vec![0.0; 900]; 100];
    input.explanations[2].tokens = vec![1; 900];
    input.explanations[3].agreement = Some(nan);
    input.probes[0].layer_acc.clear();
    input.probes[1].chance = nan;
    input.real_data[0]
        .table_rows
        .push(vec!["only one cell".into()]);
    if let Some(h) = input.real_data[0].headline.as_mut() {
        h.models[0].1 = nan;
    }
    input.paper_table[0].acc_by_depth.clear();
    input.min_depth[0].threshold = nan;
    input.depth_length[0].best = usize::MAX;
    let r = render(&input).unwrap();
    for id in &r.figures {
        assert!(figure_html(&r.html, id).contains("<svg"), "{id}");
    }
    assert!(
        !r.html.contains("drawing failed"),
        "a figure failed to draw"
    );
    assert!(r
        .html
        .contains("Only the first 64 rows and 256 positions are drawn (of 100 × 900)."));
}

#[test]
fn json_round_trip_and_defaults() {
    let input = sample_input();
    let json = serde_json::to_string(&input).unwrap();
    let back: ReportInput = serde_json::from_str(&json).unwrap();
    // serde_json (without float_roundtrip) may move a float by one ulp, so
    // compare what matters: the rendered report and the non-float fields
    let (a, b) = (render(&back).unwrap(), render(&input).unwrap());
    assert_eq!(
        (a.html, a.markdown, a.figures),
        (b.html, b.markdown, b.figures)
    );
    assert!(back
        .provenance
        .iter()
        .zip(&input.provenance)
        .all(|(a, b)| a.instance == b.instance
            && a.cache_key == b.cache_key
            && a.params == b.params));
    assert_eq!(back.versions, input.versions);
    assert_eq!(back.results.len(), input.results.len());
    assert!(back
        .results
        .iter()
        .zip(&input.results)
        .all(|(a, b)| a.task == b.task
            && a.params == b.params
            && a.length == b.length
            && (a.acc_mean - b.acc_mean).abs() < 1e-12));
    let empty: ReportInput = serde_json::from_str("{}").unwrap();
    assert_eq!(empty, ReportInput::default());
    // an input written before the length, cost and headline fields existed
    let minimal: ReportInput = serde_json::from_str(
        r#"{"title": "t", "results": [{"task": "parity", "model": "lstm",
            "acc_mean": 0.5, "acc_min": 0.4, "acc_max": 0.6, "n_seeds": 1}],
            "depth_table": [{"task": "parity", "arch": "lstm", "depth": 1,
            "acc_mean": 0.5, "acc_best": 0.6, "n_seeds": 1}],
            "paper_table": [{"task": "C_2", "acc_by_depth": [[1, 0.776], [2, 0.998]]}]}"#,
    )
    .unwrap();
    assert_eq!(minimal.results[0].ci95, None);
    assert_eq!(minimal.results[0].length, None);
    assert_eq!(minimal.paper_table[0].acc_by_depth[1], (2, 0.998));
    let r = render(&minimal).unwrap();
    assert!(r.html.contains(">50.0</td>"));
    // params keep their order (serde_json preserve_order)
    let p = &input.results[0].params;
    let keys: Vec<&str> = p.keys().map(String::as_str).collect();
    assert_eq!(keys, ["model", "layers", "length"]);
}

#[test]
fn write_is_atomic_and_produces_the_page_and_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested").join("report");
    let input = sample_input();
    let r = write(&input, &out).unwrap();
    let html = std::fs::read_to_string(out.join(HTML_FILE)).unwrap();
    let md = std::fs::read_to_string(out.join(MARKDOWN_FILE)).unwrap();
    assert_eq!(html, r.html);
    assert_eq!(md, r.markdown);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["index.html", "provenance.json", "report.md", "results.csv"],
        "temp files left behind"
    );
    // the linked files hold every row
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("provenance.json")).unwrap())
            .unwrap();
    assert_eq!(
        prov["instances"].as_array().unwrap().len(),
        input.provenance.len()
    );
    assert_eq!(
        prov["instances"][0]["cache_key"],
        input.provenance[0].cache_key
    );
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), input.results.len() + 1);
    let r0 = &input.results[0];
    assert!(csv
        .lines()
        .nth(1)
        .unwrap()
        .starts_with(&format!("{},{},16,2,{},", r0.task, r0.model, r0.acc_mean)));
    // a second write replaces the files in place
    let r2 = write(&ReportInput::default(), &out).unwrap();
    assert_eq!(
        std::fs::read_to_string(out.join(HTML_FILE)).unwrap(),
        r2.html
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 4);
    // writing where a directory cannot be made fails cleanly
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    assert!(write(&ReportInput::default(), &blocker.join("sub")).is_err());
}

#[test]
fn large_inputs_keep_figures_page_sized() {
    let mut input = sample_input();
    // the paper's whole table as a depth sweep: 13 tasks x 13 depths
    input.depth_table = seqlab::report::paper::liu_table1()
        .iter()
        .flat_map(|r| {
            r.acc_by_depth.iter().map(|(d, a)| DepthCell {
                task: r.task.clone(),
                arch: "transformer (paper)".into(),
                depth: *d,
                acc_mean: *a,
                acc_best: *a,
                n_seeds: 20,
                length: Some(100),
            })
        })
        .collect();
    // 12 lines with long labels
    let base = input.length_curves[0].clone();
    input.length_curves = (0..12)
        .map(|i| Curve {
            label: format!("transformer L={i} with a rather long descriptive label"),
            points: base
                .points
                .iter()
                .map(|(x, y)| (*x, y * (0.9 + 0.008 * i as f64)))
                .collect(),
            ..base.clone()
        })
        .collect();
    // a T = 128 attribution strip over 100 examples
    input.explanations[2].values = (0..100)
        .map(|e| (0..128).map(|i| ((i * e) % 7) as f64).collect())
        .collect();
    input.explanations[2].tokens = (0..128).map(|i| i % 2).collect();
    input.explanations[2].ground_truth = None;
    let r = render(&input).unwrap();
    for id in &r.figures {
        let f = figure_html(&r.html, id);
        let w: u32 = f
            .split("<svg width=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{id}: no svg width"));
        assert!((300..=1300).contains(&w), "{id}: svg {w} px wide");
        assert!(!f.contains("drawing failed"), "{id}");
    }
    // 13 heatmaps of 13 cells each, each cell a data rectangle
    let hm = figure_html(&r.html, "fig-depth");
    assert!(hm.matches("<rect").count() >= 13 * 13);
    let e = &input.explanations[2];
    let id = format!(
        "fig-explain-{}-{}-{}",
        seqlab::report::util::slug(&e.task),
        seqlab::report::util::slug(&e.model),
        seqlab::report::util::slug(&e.method)
    );
    let strip = figure_html(&r.html, &id);
    assert!(strip.contains("Only the first 64 rows and 128 positions are drawn (of 100 × 128)."));
}
