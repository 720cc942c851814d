//! Small shared helpers: escaping, number formatting, colour scales, ids.

/// Escapes text for HTML element content and (double- or single-quoted)
/// attribute values.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text for GitHub markdown (paragraphs and table cells): HTML
/// specials become entities, table pipes and markup characters are
/// backslash-escaped, newlines become spaces.
pub(crate) fn escape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("\\|"),
            '\\' | '`' | '*' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// An accuracy fraction as a percentage with one decimal: 0.9731 -> "97.3".
pub fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{:.1}", v * 100.0)
    } else {
        "n/a".to_string()
    }
}

/// Like [`pct`] with a trailing "%".
pub(crate) fn pct_sign(v: f64) -> String {
    if v.is_finite() {
        format!("{}%", pct(v))
    } else {
        "n/a".to_string()
    }
}

/// A plain number with a sensible number of digits.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{v:.3e}")
    } else if a >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// Seconds, human-readable: "42.0 s", "3.5 min", "1.2 h".
pub fn seconds(s: f64) -> String {
    if !s.is_finite() {
        "n/a".to_string()
    } else if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.2} h", s / 3600.0)
    }
}

pub(crate) fn opt_seconds(s: Option<f64>) -> String {
    s.map(seconds).unwrap_or_else(|| "—".to_string())
}

/// A lowercase id fragment: letters and digits kept, runs of anything else
/// become one '-'. Never empty.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    if out.is_empty() {
        out.push('x');
    }
    out.truncate(48);
    out
}

pub(crate) type Rgb = (u8, u8, u8);

/// Viridis, sampled at 9 points (0, 1/8, ..., 1).
const VIRIDIS: [Rgb; 9] = [
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 144, 141),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
];

/// Where on the colour scale an accuracy lands. The scale is stretched at the
/// top, where the questions live (95 % and 99 % thresholds): 0 -> 0,
/// 0.5 -> 0.3, 0.9 -> 0.6, 0.95 -> 0.75, 0.99 -> 0.9, 1 -> 1.
pub(crate) const ACC_STOPS: [(f64, f64); 6] = [
    (0.0, 0.0),
    (0.5, 0.3),
    (0.9, 0.6),
    (0.95, 0.75),
    (0.99, 0.9),
    (1.0, 1.0),
];

pub(crate) fn acc_scale_pos(acc: f64) -> f64 {
    let a = acc.clamp(0.0, 1.0);
    for w in ACC_STOPS.windows(2) {
        let ((a0, p0), (a1, p1)) = (w[0], w[1]);
        if a <= a1 {
            return p0 + (a - a0) / (a1 - a0) * (p1 - p0);
        }
    }
    1.0
}

pub(crate) fn viridis(t: f64) -> Rgb {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * 8.0;
    let i = (x.floor() as usize).min(7);
    let f = x - i as f64;
    lerp(VIRIDIS[i], VIRIDIS[i + 1], f)
}

pub(crate) fn lerp(a: Rgb, b: Rgb, f: f64) -> Rgb {
    let m = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * f).round() as u8;
    (m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

/// The accuracy colour used by every heatmap and the paper table.
pub fn acc_colour(acc: f64) -> Rgb {
    viridis(acc_scale_pos(acc))
}

/// Black or white, whichever reads better on `bg`.
pub(crate) fn text_on(bg: Rgb) -> Rgb {
    let lum = 0.2126 * bg.0 as f64 + 0.7152 * bg.1 as f64 + 0.0722 * bg.2 as f64;
    if lum > 140.0 {
        (0, 0, 0)
    } else {
        (255, 255, 255)
    }
}

pub fn css_rgb(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Tableau-10: distinguishable line colours.
pub(crate) const PALETTE: [Rgb; 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

pub(crate) fn palette(i: usize) -> Rgb {
    PALETTE[i % PALETTE.len()]
}

/// Groups items by a key, keeping the order of first appearance.
pub(crate) fn group_by<'a, T, K: PartialEq + Clone>(
    items: &'a [T],
    key: impl Fn(&T) -> K,
) -> Vec<(K, Vec<&'a T>)> {
    let mut out: Vec<(K, Vec<&'a T>)> = Vec::new();
    for it in items {
        let k = key(it);
        match out.iter_mut().find(|(g, _)| *g == k) {
            Some((_, v)) => v.push(it),
            None => out.push((k, vec![it])),
        }
    }
    out
}

/// The points whose coordinates are both finite, sorted by x.
pub(crate) fn finite_sorted_by_x(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    pts.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
    pts
}

/// First `n` characters, with an ellipsis when cut.
pub(crate) fn ellipsize(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_html("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(escape_md("a|b<c>"), "a\\|b&lt;c&gt;");
    }

    #[test]
    fn formats() {
        assert_eq!(pct(0.9731), "97.3");
        assert_eq!(pct(f64::NAN), "n/a");
        assert_eq!(num(3.0), "3");
        assert_eq!(num(0.1234), "0.123");
        assert_eq!(slug("Transformer L=2 <b>"), "transformer-l-2-b");
        assert_eq!(slug("***"), "x");
    }

    #[test]
    fn colour_scale_is_monotone_and_stretched() {
        assert_eq!(acc_scale_pos(0.0), 0.0);
        assert_eq!(acc_scale_pos(1.0), 1.0);
        assert!((acc_scale_pos(0.95) - 0.75).abs() < 1e-12);
        let mut last = -1.0;
        for i in 0..=100 {
            let p = acc_scale_pos(i as f64 / 100.0);
            assert!(p > last);
            last = p;
        }
        assert_eq!(text_on(acc_colour(0.0)), (255, 255, 255));
        assert_eq!(text_on(acc_colour(1.0)), (0, 0, 0));
    }
}
