//! Section 3: time against sequence length, theory beside measurement: each
//! family's cost model (multiply-adds per step from its shapes, one fitted
//! constant per family) drawn as lines over the measured times, the
//! derivation, the crossovers it implies, and what a CPU hides.

use super::findings::{and_list, family, family_rank, sig};
use super::{figure, make_section, NO_DATA};
use crate::report::doc::{Block, Cell, FigureIds, Section, Table};
use crate::report::figures::lines::SeriesKind;
use crate::report::figures::{panel_plot, LinePlot, Series};
use crate::report::model::{CostModel, ReportInput, TimingSeries};
use crate::report::util::{finite_sorted_by_x, num, palette};
use crate::study::stats::loglog_slope;

const TRAIN: &str = "train step";
const INFER: &str = "inference";

/// The exponent to show and whether it was fitted here.
fn exponent(t: &TimingSeries) -> (Option<f64>, bool) {
    match t.exponent {
        Some(e) if e.is_finite() => (Some(e), false),
        _ => (loglog_slope(&t.points), true),
    }
}

/// `c[0] + c[1]·T + c[2]·T²`.
pub(crate) fn poly(c: &[f64; 3], t: f64) -> f64 {
    c[0] + c[1] * t + c[2] * t * t
}

/// The model's coefficients for this series' metric.
fn coeffs<'a>(t: &TimingSeries, m: &'a CostModel) -> &'a [f64; 3] {
    if t.metric == INFER {
        &m.infer_macs
    } else {
        &m.macs
    }
}

/// The fitted constant (ms per multiply-add, least squares in log space)
/// and the largest factor between a measurement and the fitted line.
pub fn fit(t: &TimingSeries) -> Option<(f64, f64)> {
    let m = t.cost.as_ref()?;
    let c = coeffs(t, m);
    let logs: Vec<f64> = finite_sorted_by_x(&t.points)
        .into_iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0 && poly(c, *x) > 0.0)
        .map(|(x, y)| (y / poly(c, x)).ln())
        .collect();
    if logs.is_empty() {
        return None;
    }
    let mean = logs.iter().sum::<f64>() / logs.len() as f64;
    let worst = logs.iter().map(|l| (l - mean).abs()).fold(0.0, f64::max);
    Some((mean.exp(), worst.exp()))
}

/// The smallest T > 0 at which `a`'s fitted line crosses `b`'s, with which
/// is cheaper below it; `None` when they never cross.
fn crossover(a: &[f64; 3], ka: f64, b: &[f64; 3], kb: f64) -> Option<f64> {
    let d: Vec<f64> = (0..3).map(|i| ka * a[i] - kb * b[i]).collect();
    let (c0, c1, c2) = (d[0], d[1], d[2]);
    let roots: Vec<f64> = if c2.abs() < 1e-300 {
        if c1.abs() < 1e-300 {
            vec![]
        } else {
            vec![-c0 / c1]
        }
    } else {
        let disc = c1 * c1 - 4.0 * c2 * c0;
        if disc < 0.0 {
            vec![]
        } else {
            let s = disc.sqrt();
            vec![(-c1 - s) / (2.0 * c2), (-c1 + s) / (2.0 * c2)]
        }
    };
    roots
        .into_iter()
        .filter(|r| r.is_finite() && *r > 1.0)
        .reduce(f64::min)
}

fn geometric(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| lo * (hi / lo).powf(i as f64 / (n - 1).max(1) as f64))
        .collect()
}

pub fn section(input: &ReportInput, ids: &mut FigureIds) -> Section {
    if input.timing.is_empty() {
        return make_section(
            3,
            "q3-timing",
            vec![
                Block::Finding(
                    "No timing was measured in this run, so the question is not answered here."
                        .into(),
                ),
                Block::Empty(NO_DATA.into()),
            ],
        );
    }
    let mut families: Vec<&str> = Vec::new();
    for t in &input.timing {
        if !families.contains(&t.family.as_str()) {
            families.push(&t.family);
        }
    }
    families.sort_by_key(|f| family_rank(f));
    let mut timing: Vec<&TimingSeries> = input.timing.iter().collect();
    timing.sort_by_key(|t| family_rank(&t.family));
    let colour = |f: &str| palette(families.iter().position(|x| *x == f).unwrap_or(0));
    let mut blocks = vec![Block::Finding(finding(input))];

    // The figure: a panel per metric, measured points and model lines.
    let mut panels = Vec::new();
    for metric in [TRAIN, INFER] {
        let ts: Vec<&TimingSeries> = timing
            .iter()
            .copied()
            .filter(|t| t.metric == metric)
            .collect();
        if ts.is_empty() {
            continue;
        }
        let mut series = Vec::new();
        for t in &ts {
            series.push(Series {
                label: t.family.clone(),
                points: t.points.clone(),
                colour: colour(&t.family),
                kind: SeriesKind::Points,
                ..Default::default()
            });
            if let (Some((k, _)), Some(m)) = (fit(t), t.cost.as_ref()) {
                let pts = finite_sorted_by_x(&t.points);
                if let (Some(a), Some(b)) = (pts.first(), pts.last()) {
                    let c = coeffs(t, m);
                    series.push(Series {
                        label: t.family.clone(),
                        points: geometric(a.0.max(1.0), b.0.max(1.0), 40)
                            .into_iter()
                            .map(|x| (x, k * poly(c, x)))
                            .collect(),
                        colour: colour(&t.family),
                        kind: SeriesKind::Curve,
                        ..Default::default()
                    });
                }
            }
        }
        panels.push(LinePlot {
            title: format!("{metric} (batch of {})", batch_of(&ts)),
            x_label: "sequence length T".into(),
            y_label: "milliseconds".into(),
            series,
            log10_xy: true,
            ..Default::default()
        });
    }
    let any_model = input.timing.iter().any(|t| t.cost.is_some());
    let caption = if any_model {
        "Measured milliseconds per call (points) against sequence length, both axes logarithmic, \
         one colour per family; each line is that family's cost model, multiply-adds from its \
         shapes times one constant fitted to its points."
    } else {
        "Measured milliseconds per call against sequence length, both axes logarithmic, one \
         colour per family (no cost model was supplied for these series)."
    };
    let mut fig = figure(ids, &["timing"], caption.into(), || {
        panel_plot("", &panels, panels.len().min(2))
    });
    fig.md_table = Some(timing_table(&input.timing));
    blocks.push(Block::Figure(fig));

    blocks.push(Block::Heading("The cost model".into()));
    blocks.push(Block::Text(derivation_text().into()));
    let formulas: Vec<String> = timing
        .iter()
        .filter(|t| t.metric == TRAIN)
        .filter_map(|t| {
            let m = t.cost.as_ref()?;
            // k is in ms per multiply-add: 1e-6 / k multiply-adds per ns = GMAC/s
            let fitted = fit(t)
                .map(|(k, w)| {
                    format!(
                        "; fitted: an effective {} GMAC/s, every point within ×{w:.2} of the line",
                        sig(1e-6 / k, 3)
                    )
                })
                .unwrap_or_default();
            Some(format!(
                "{} ({}): multiply-adds per training step = {}; sequential steps per forward pass = {}{fitted}.",
                t.family, m.shapes, m.formula, m.steps_formula
            ))
        })
        .collect();
    if formulas.is_empty() {
        blocks.push(Block::Empty(
            "No cost model was supplied for these families (the timing instances' shapes are \
             unknown), so only the measurements are drawn."
                .into(),
        ));
    } else {
        blocks.push(Block::List(formulas));
    }
    blocks.extend(crossover_text(input).map(Block::Text));
    blocks.push(Block::Text(cpu_gpu_text(input)));
    blocks.push(Block::Details {
        summary: "Timing table".into(),
        blocks: vec![Block::Table(timing_table(&input.timing))],
    });
    make_section(3, "q3-timing", blocks)
}

fn batch_of(ts: &[&TimingSeries]) -> String {
    ts.iter()
        .find_map(|t| t.cost.as_ref())
        .and_then(|m| {
            m.shapes
                .split(", ")
                .find_map(|p| p.strip_prefix("B = ").map(str::to_string))
        })
        .unwrap_or_else(|| "B".into())
}

const fn derivation_text() -> &'static str {
    "Work. A Transformer layer projects every position to queries, keys, values and back \
     (4d² multiply-adds per position), scores every pair of positions and mixes the values \
     (2d·T per position, so 2d·T² per sequence: the quadratic term) and runs a feed-forward \
     block (2d·d_ff per position). An LSTM layer computes four gates from the input and the \
     previous state (8d² per position), a GRU three (6d²), except that the first layer's input \
     half is a table with a row per token (the embedding folded into it: 4V·d² or 3V·d² per \
     batch instead of 4d² or 3d² per position); the diagonal linear RNN projects to \
     gates and candidates, back, and through a feed-forward block (7d² per position) plus a \
     scan; the MLP multiplies the whole one-hot window by a block-triangular matrix (T·V·T·h \
     for a window of T). A training step costs about three forward passes (the backward pass \
     about twice the forward) over a batch of B sequences.\n\nSequential depth. Every position of \
     a Transformer layer can be computed at once, so a forward pass is L·const dependent \
     steps; a recurrence must finish position t before t + 1, so an LSTM or GRU takes L·T \
     steps; the linear RNN's scan takes L·⌈log2 T⌉ levels."
}

/// Crossovers: where attention's quadratic term overtakes the linear terms,
/// how the Transformer's work compares with each recurrence's, and where
/// the fitted lines cross (or that they do not).
fn crossover_text(input: &ReportInput) -> Option<String> {
    let train: Vec<&TimingSeries> = input.timing.iter().filter(|t| t.metric == TRAIN).collect();
    let tf = train
        .iter()
        .find(|t| family(&t.family) == "transformer" && t.cost.is_some())?;
    let m = tf.cost.as_ref()?;
    let mut s = String::from("Crossovers. ");
    if m.macs[2] > 0.0 {
        s.push_str(&format!(
            "In the Transformer's work, attention's T² term overtakes the terms linear in T at \
             T = {} for these widths. ",
            num(m.macs[1] / m.macs[2])
        ));
    }
    let (ktf, _) = fit(tf)?;
    let mut ratios = Vec::new();
    let mut crossings = Vec::new();
    for r in train
        .iter()
        .filter(|t| matches!(family(&t.family), "lstm" | "gru"))
    {
        let (Some(rm), Some((kr, _))) = (r.cost.as_ref(), fit(r)) else {
            continue;
        };
        ratios.push(format!(
            "{}× the {}'s",
            sig(poly(&m.macs, 16.0) / poly(&rm.macs, 16.0), 3),
            r.family
        ));
        match crossover(&m.macs, ktf, &rm.macs, kr) {
            Some(x) => {
                let below = if ktf * poly(&m.macs, x / 2.0) < kr * poly(&rm.macs, x / 2.0) {
                    "Transformer"
                } else {
                    r.family.as_str()
                };
                crossings.push(format!(
                    "crosses the {}'s at T ≈ {} (the {below} is faster below it)",
                    r.family,
                    num(x.round())
                ));
            }
            None => {
                let faster = if ktf * poly(&m.macs, 64.0) < kr * poly(&rm.macs, 64.0) {
                    "Transformer"
                } else {
                    r.family.as_str()
                };
                crossings.push(if faster == "Transformer" {
                    format!(
                        "never crosses the {}'s (the Transformer is faster at every T)",
                        r.family
                    )
                } else {
                    format!(
                        "never crosses the {0}'s (the {0} is faster at every T)",
                        r.family
                    )
                });
            }
        }
    }
    if ratios.is_empty() {
        return (s.len() > 12).then(|| s.trim_end().to_string());
    }
    s.push_str(&format!(
        "At T = 16 a Transformer step does {} multiply-adds, and the ratio grows with T. ",
        and_list(&ratios)
    ));
    if !crossings.is_empty() {
        s.push_str(&format!(
            "With the fitted constants, the Transformer's line {}.",
            and_list(&crossings)
        ));
    }
    Some(s.trim_end().to_string())
}

fn cpu_gpu_text(input: &ReportInput) -> String {
    let steps = |fam: &str, t: f64| -> Option<String> {
        let ts = input
            .timing
            .iter()
            .find(|s| family(&s.family) == fam && s.cost.is_some())?;
        let m = ts.cost.as_ref()?;
        let v = m.steps[0] + m.steps[1] * t + m.steps[2] * t.log2().ceil();
        Some(format!("{} ({})", num(v), m.steps_formula))
    };
    let tmax = input
        .timing
        .iter()
        .flat_map(|t| t.points.iter().map(|p| p.0))
        .filter(|x| x.is_finite())
        .reduce(f64::max)
        .unwrap_or(1024.0);
    let mut s = String::from(
        "What a CPU hides. These times were measured on a CPU, where a Transformer layer's \
         parallel work over positions is still done by a few cores one block after another: time \
         follows the multiply-adds, and the Transformer's shorter chain of dependent steps buys \
         little.",
    );
    if let (Some(a), Some(b)) = (steps("transformer", tmax), steps("lstm", tmax)) {
        s.push_str(&format!(
            " At T = {} a Transformer forward pass is {a} dependent steps against the LSTM's {b}.",
            num(tmax)
        ));
    }
    s.push_str(
        " A GPU runs all positions of a layer at once: until the T² work fills the device, the \
         Transformer's step time would follow its sequential depth and stay nearly flat in T, \
         while a recurrence still pays T dependent steps of small matrix products. A GPU run of \
         the same timing stages (`--backend cuda`) would therefore move the crossover to much \
         shorter sequences; this report has no GPU measurement.",
    );
    s
}

fn finding(input: &ReportInput) -> String {
    let train: Vec<&TimingSeries> = input
        .timing
        .iter()
        .filter(|t| t.metric == TRAIN && !t.points.is_empty())
        .collect();
    let Some(tmax) = train
        .iter()
        .flat_map(|t| t.points.iter().map(|p| p.0))
        .filter(|x| x.is_finite())
        .reduce(f64::max)
    else {
        return "No training step was timed in this run, so the question is not answered here."
            .into();
    };
    let at = |t: &TimingSeries| {
        t.points
            .iter()
            .find(|p| p.0 == tmax && p.1.is_finite())
            .map(|p| p.1)
    };
    let describe = |t: &TimingSeries| -> Option<String> {
        let ms = at(t)?;
        let slope = exponent(t)
            .0
            .map(|e| format!(" (T^{e:.2})"))
            .unwrap_or_default();
        Some(format!("{} ms for the {}{slope}", sig(ms, 3), t.family))
    };
    let mut named: Vec<String> = Vec::new();
    for fam in ["transformer", "lstm"] {
        if let Some(d) = train
            .iter()
            .find(|t| family(&t.family) == fam)
            .and_then(|t| describe(t))
        {
            named.push(d);
        }
    }
    let mut s = format!(
        "At T = {} a training step takes {}",
        num(tmax),
        and_list(&named)
    );
    let timed: Vec<(&TimingSeries, f64)> =
        train.iter().filter_map(|t| Some((*t, at(t)?))).collect();
    if let (Some(lo), Some(hi)) = (
        timed.iter().min_by(|a, b| a.1.total_cmp(&b.1)),
        timed.iter().max_by(|a, b| a.1.total_cmp(&b.1)),
    ) {
        if timed.len() > named.len() {
            s.push_str(&format!(
                " (all families: {} ms, {}, to {} ms, {})",
                sig(lo.1, 3),
                lo.0.family,
                sig(hi.1, 3),
                hi.0.family
            ));
        }
    }
    s.push('.');
    let fits: Vec<(&str, f64)> = train
        .iter()
        .filter_map(|t| fit(t).map(|f| (t.family.as_str(), f.1)))
        .collect();
    if let Some((worst_fam, worst)) = fits.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)) {
        s.push_str(&format!(
            " The cost model (multiply-adds from the shapes, one constant per family) puts every \
             measured point within ×{worst:.2} of its line (worst: {worst_fam}){}",
            if worst > 2.0 {
                "; where it misses, per-step overheads rather than arithmetic set the time."
            } else {
                "."
            }
        ));
    }
    if let Some(c) = crossover_text(input) {
        if let Some(i) = c.find("With the fitted constants,") {
            s.push(' ');
            s.push_str(&c[i..]);
            if !s.ends_with('.') {
                s.push('.');
            }
        }
    }
    s
}

fn timing_table(ts: &[TimingSeries]) -> Table {
    let header = [
        "family",
        "metric",
        "log-log slope",
        "T range",
        "ms at smallest T",
        "ms at largest T",
        "fitted line: worst factor",
    ]
    .map(String::from)
    .to_vec();
    let rows = ts
        .iter()
        .map(|t| {
            let pts = finite_sorted_by_x(&t.points);
            let (range, lo, hi) = match (pts.first(), pts.last()) {
                (Some(a), Some(b)) => (format!("{}–{}", num(a.0), num(b.0)), num(a.1), num(b.1)),
                _ => ("—".into(), "—".into(), "—".into()),
            };
            let slope = match exponent(t) {
                (Some(e), false) => format!("{e:.2}"),
                (Some(e), true) => format!("{e:.2} (fitted here)"),
                (None, _) => "—".into(),
            };
            vec![
                Cell::new(t.family.clone()),
                Cell::new(t.metric.clone()),
                Cell::new(slope),
                Cell::new(range),
                Cell::new(lo),
                Cell::new(hi),
                Cell::new(
                    fit(t)
                        .map(|(_, w)| format!("×{w:.2}"))
                        .unwrap_or_else(|| "—".into()),
                ),
            ]
        })
        .collect();
    Table {
        caption: Some("Timing by family and metric".into()),
        header,
        rows,
        numeric: vec![2, 3, 4, 5, 6],
        note: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_recovers_the_constant_and_lines_cross_where_they_should() {
        // ms = 2e-6 · (100·T + T²) exactly: the constant is 2e-6, worst factor 1.
        let m = CostModel {
            macs: [0.0, 100.0, 1.0],
            infer_macs: [0.0, 50.0, 0.5],
            ..Default::default()
        };
        let t = TimingSeries {
            family: "transformer".into(),
            metric: TRAIN.into(),
            points: [16.0, 64.0, 256.0]
                .iter()
                .map(|&x| (x, 2e-6 * (100.0 * x + x * x)))
                .collect(),
            exponent: None,
            cost: Some(m),
        };
        let (k, w) = fit(&t).unwrap();
        assert!(
            (k - 2e-6).abs() < 1e-15 && (w - 1.0).abs() < 1e-9,
            "{k} {w}"
        );
        // 1·(100T + T²) against 300·T: equal at T = 200.
        let x = crossover(&[0.0, 100.0, 1.0], 1.0, &[0.0, 300.0, 0.0], 1.0).unwrap();
        assert!((x - 200.0).abs() < 1e-9, "{x}");
        assert_eq!(
            crossover(&[0.0, 1.0, 0.0], 1.0, &[0.0, 2.0, 0.0], 1.0),
            None
        );
    }
}
