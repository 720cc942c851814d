//! Rendering tests on the fixture and on odd inputs.

use seqlab::report::sections::TITLES;
use seqlab::report::util::{acc_colour, css_rgb};
use seqlab::report::{render, write, *};
use seqlab_test_support::fixtures::sample_input;

/// The html of figure `id`: from its opening tag to `</figure>`.
fn figure_html<'a>(html: &'a str, id: &str) -> &'a str {
    let open = format!("<figure id=\"{id}\">");
    let start = html
        .find(&open)
        .unwrap_or_else(|| panic!("figure {id} missing"));
    let end = html[start..].find("</figure>").expect("unclosed figure") + start;
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
        "Training curves",
        "Liu et al. 2023, Table 1",
        "Minimum depth to reach a threshold",
        "Length generalization",
        "Shifted input distribution (p1)",
        "How the MLP fails as T grows",
        "Attributions",
        "Linear probes per layer",
        "ECG heartbeats (MIT-BIH)",
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
        .contains("<h1>automata: how do Transformers implement recurrence?</h1>"));
}

#[test]
fn every_figure_is_an_inline_plotters_svg_with_text() {
    let r = render(&sample_input()).unwrap();
    let expected = [
        "fig-training-parity",
        "fig-depth-transformer",
        "fig-depth-lstm",
        "fig-depth-length-a-5",
        "fig-depth-length-s-5",
        "fig-length-parity",
        "fig-length-dihedral-4",
        "fig-p1-parity",
        "fig-timing",
        "fig-mlp-trained-length-c-2",
        "fig-mlp-length-mlp",
        "fig-explain-flipflop-3-transformer-l-2-attention-l1h0",
        "fig-explain-flipflop-3-lstm-integrated-gradients",
        "fig-explain-parity-transformer-l-4-saliency",
        "fig-probe-parity",
        "fig-probe-quaternion",
        "fig-real-ecg-heartbeats-mit-bih-mit-bih",
    ];
    assert_eq!(r.figures, expected, "figure ids in page order");
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
    // the heatmap prints the numbers in its cells
    let hm = figure_html(&r.html, "fig-depth-transformer");
    assert!(hm.contains(">\n96.2\n</text>") || hm.contains(">96.2</text>"));
    // log2 length axis is labelled by the real lengths
    let len = figure_html(&r.html, "fig-length-parity");
    assert!(len.contains("(log2 scale)"));
    assert!(len.contains(">\n512\n</text>") || len.contains(">512</text>"));
    // not-applicable models are listed under the figure, not drawn
    assert!(len.contains("transformer L=4 (learned abs.): not applicable"));
    // the legend carries the exponent
    let t = figure_html(&r.html, "fig-timing");
    assert!(
        t.contains("transformer, train step (slope 1.62)"),
        "{}",
        &t[..200]
    );
    // the probe figure has the dashed chance line in its legend
    assert!(figure_html(&r.html, "fig-probe-parity").contains("chance (50.0%)"));
}

#[test]
fn numbers_from_the_input_appear_in_tables() {
    let r = render(&sample_input()).unwrap();
    let h = &r.html;
    // summary row: parity / transformer L=2: mean 0.962, coloured cell
    assert!(h.contains("<td>parity</td><td title=\"layers=2, d_model=64, heads=4, pos=sinusoidal\">transformer L=2</td><td class=\"heat\""));
    assert!(h.contains(">96.2</td><td class=\"num\">[95.1, 97.0]</td><td class=\"num\">[94.7, 97.5]</td><td class=\"num\">3</td><td class=\"num\">41.0 s</td>"));
    // the paper's table with the same colour scale: 100 % is the top colour
    let low = css_rgb(acc_colour(0.079));
    assert_ne!(low, "#fde725");
    assert!(h.contains(&format!(
        "<td>S_5</td><td class=\"heat\" style=\"background:{low};color:#ffffff\">7.9</td>"
    )));
    assert!(h.contains("style=\"background:#fde725;color:#000000\">100.0</td>"));
    // min depth tables at 95 % and 99 %
    assert!(h.contains("<caption>Minimum depth L reaching 95% accuracy</caption>"));
    assert!(h.contains("<caption>Minimum depth L reaching 99% accuracy</caption>"));
    assert!(
        h.contains("<td>alternating_5</td><td>transformer</td><td class=\"num\">not reached</td>")
    );
    // MLP text generated from the numbers
    assert!(
        h.contains("MLP on parity: 61.3% mean (mlp-3x256, 3 seeds); best other model gru 100.0%.")
    );
    assert!(h.contains(
        "mlp-3x256 on parity: 61.3% at test length T = 32, 50.0% at test length T = 512."
    ));
    // timing exponents, given and fitted
    assert!(h.contains("<td class=\"num\">1.62</td>"));
    assert!(h.contains("0.55 (fitted here)"));
    // explanation numbers
    assert!(h.contains("Deletion AUC: 0.213."));
    // provenance: the key is cut to 16 characters
    let key = &sample_input().provenance[0].cache_key;
    assert_eq!(key.len(), 64);
    assert!(h.contains(&format!("<code>{}</code>", &key[..16])));
    assert!(!h.contains(&format!("<code>{key}</code>")));
    assert!(h.contains("{&quot;task&quot;:&quot;parity&quot;,<wbr>&quot;T&quot;:32"));
    // versions
    assert!(h.contains("<code>0.22.1</code>"));

    let m = &r.markdown;
    assert!(m.contains(
        "| parity | transformer L=2 | 96.2 | [95.1, 97.0] | [94.7, 97.5] | 3 | 41.0 s |"
    ));
    assert!(m.contains("| S_5 | 7.9 | 11.8 |"));
    assert!(m.contains("| parity | 71.2 (best 84.2) | 96.2 (best 97.9) |"));
    assert!(m.contains("| alternating_5 | transformer | not reached | not reached | 7 | — |"));
    assert!(m.contains("| transformer | train step | 1.62 | 16–1024 |"));
    assert!(m.contains(&format!("| `{}` |", &key[..16])));
    assert!(m.contains("**Figure:** parity: accuracy against test length T"));
    assert!(m.contains("- transformer L=4 (learned abs.): not applicable"));
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
    // the only URL is the SVG namespace
    let urls = h.matches("http").count();
    let ns = h.matches("xmlns=\"http://www.w3.org/2000/svg\"").count();
    assert_eq!(urls, ns, "a URL other than the svg namespace");
    assert_eq!(ns, r.figures.len());
    assert!(h.contains("max-width: 60rem"));
}

#[test]
fn empty_input_renders_every_section() {
    let r = render(&ReportInput::default()).unwrap();
    assert!(r.figures.is_empty());
    assert!(!r.html.contains("<figure"));
    for t in TITLES {
        assert!(r
            .html
            .contains(&format!("<h2>{}</h2>", t.replace('\'', "&#39;"))));
        assert!(r.markdown.contains(&format!("## {t}")));
    }
    assert!(r.html.contains("<h1>seqlab report</h1>"));
    // summary, depth, min depth, length, p1, timing, mlp, attributions,
    // probes, provenance
    assert_eq!(r.html.matches("No data in this run.").count(), 10);
    assert!(r.markdown.contains("_No data in this run._"));
    assert!(r.html.contains("The paper&#39;s table was not supplied"));
    assert!(r.html.contains("No caveats were recorded"));
}

#[test]
fn missing_real_data_names_the_real_data_pipelines() {
    let mut input = sample_input();
    input.real_data.clear();
    let r = render(&input).unwrap();
    let start = r.html.find("<section id=\"q6-real-data\">").unwrap();
    let end = r.html[start..].find("</section>").unwrap() + start;
    let s = &r.html[start..end];
    assert!(s.contains("Real data was not run in this pipeline."));
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
    input.explanations[0].ground_truth = Some(vec![vec![true]]);
    input.explanations[1].values = vec![vec![], vec![1.0, -1.0, nan]];
    input.explanations[2].values = vec![vec![0.0; 900]; 100];
    input.explanations[2].tokens = vec![1; 900];
    input.probes[0].layer_acc.clear();
    input.probes[1].chance = nan;
    input.real_data[0]
        .table_rows
        .push(vec!["only one cell".into()]);
    input.paper_table[0].acc_by_depth.clear();
    input.min_depth[0].threshold = nan;
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
    assert!(r.html.contains("<td class=\"num\">n/a</td>") || r.html.contains(">n/a</td>"));
}

#[test]
fn json_round_trip_and_defaults() {
    let input = sample_input();
    let json = serde_json::to_string(&input).unwrap();
    let back: ReportInput = serde_json::from_str(&json).unwrap();
    // serde_json (without float_roundtrip) may move a float by one ulp, so
    // compare what matters: the rendered report and the non-float fields
    assert_eq!(render(&back).unwrap(), render(&input).unwrap());
    assert_eq!(back.provenance, input.provenance);
    assert_eq!(back.versions, input.versions);
    assert_eq!(back.results.len(), input.results.len());
    assert!(back
        .results
        .iter()
        .zip(&input.results)
        .all(|(a, b)| a.task == b.task
            && a.params == b.params
            && (a.acc_mean - b.acc_mean).abs() < 1e-12));
    let empty: ReportInput = serde_json::from_str("{}").unwrap();
    assert_eq!(empty, ReportInput::default());
    let minimal: ReportInput = serde_json::from_str(
        r#"{"title": "t", "results": [{"task": "parity", "model": "lstm",
            "acc_mean": 0.5, "acc_min": 0.4, "acc_max": 0.6, "n_seeds": 1}],
            "paper_table": [{"task": "C_2", "acc_by_depth": [[1, 0.776], [2, 0.998]]}]}"#,
    )
    .unwrap();
    assert_eq!(minimal.results[0].ci95, None);
    assert_eq!(minimal.paper_table[0].acc_by_depth[1], (2, 0.998));
    let r = render(&minimal).unwrap();
    assert!(r.html.contains(">50.0</td>"));
    // params keep their order (serde_json preserve_order)
    let p = &input.results[0].params;
    let keys: Vec<&str> = p.keys().map(String::as_str).collect();
    assert_eq!(keys, ["layers", "d_model", "heads", "pos"]);
}

#[test]
fn write_is_atomic_and_produces_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested").join("report");
    let r = write(&sample_input(), &out).unwrap();
    let html = std::fs::read_to_string(out.join(HTML_FILE)).unwrap();
    let md = std::fs::read_to_string(out.join(MARKDOWN_FILE)).unwrap();
    assert_eq!(html, r.html);
    assert_eq!(md, r.markdown);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["index.html", "report.md"], "temp files left behind");
    // a second write replaces the files in place
    let r2 = write(&ReportInput::default(), &out).unwrap();
    assert_eq!(
        std::fs::read_to_string(out.join(HTML_FILE)).unwrap(),
        r2.html
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 2);
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
        assert!((300..=1100).contains(&w), "{id}: svg {w} px wide");
        assert!(!f.contains("drawing failed"), "{id}");
    }
    let hm = figure_html(&r.html, "fig-depth-transformer-paper");
    assert!(hm.matches("<rect").count() >= 13 * 13);
    let strip = figure_html(&r.html, "fig-explain-parity-transformer-l-4-saliency");
    assert!(strip.contains("Input tokens: 0 1 0 1"));
    assert!(strip.contains("Only the first 64 rows and 128 positions are drawn (of 100 × 128)."));
}
