//! Serializes the document as one self-contained HTML page: inline CSS and
//! SVG, no scripts, no external resources.

use std::fmt::Write as _;

use super::doc::{Block, Doc, Figure, Table};
use super::util::{css_rgb, escape_html};

const CSS: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f4f2; color: #1b1b1b;
  font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 2rem 2rem 4rem; background: #fff; min-height: 100vh; }
h1 { font-size: 2rem; line-height: 1.25; margin: 0 0 .25rem; }
h2 { font-size: 1.45rem; line-height: 1.3; margin: 2.75rem 0 .75rem; padding-top: 1rem; border-top: 1px solid #e2e2e2; }
h3 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; }
p { margin: .6rem 0; }
.sub { color: #666; margin: 0 0 1rem; }
.empty { color: #6b6b6b; font-style: italic; }
nav.toc { background: #f7f7f5; border: 1px solid #e6e6e3; border-radius: 6px; padding: .5rem 1rem; margin: 1rem 0 1.5rem; }
nav.toc ul { margin: .25rem 0; padding-left: 0; list-style: none; columns: 2; }
nav.toc li { margin: .1rem 0; }
a { color: #1f5fa8; }
.table-wrap { overflow-x: auto; margin: 1rem 0 1.25rem; }
table { border-collapse: collapse; font-size: .9rem; }
caption { text-align: left; font-weight: 600; padding: 0 0 .4rem; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid #e6e6e6; text-align: left; vertical-align: top; }
th { background: #f3f3f1; font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.heat { text-align: center; font-variant-numeric: tabular-nums; border: 1px solid #fff; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: .85em; background: #f3f3f1; padding: 0 .2em; border-radius: 3px; }
td code { white-space: normal; overflow-wrap: anywhere; }
td.nowrap, td.nowrap code { white-space: nowrap; }
table.compact { font-size: .8rem; }
table.compact th, table.compact td { padding: .25rem .4rem; }
.note { font-size: .85rem; color: #666; margin: .35rem 0 0; }
figure { margin: 1.5rem 0 2rem; }
figure svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { font-size: .9rem; color: #444; margin-top: .5rem; }
figcaption p { margin: 0; }
figcaption ul { margin: .3rem 0 0; padding-left: 1.2rem; color: #7a3b00; }
ul.facts { padding-left: 1.2rem; }
p.finding { background: #eef4fb; border-left: 4px solid #1f5fa8; padding: .6rem .9rem; margin: .4rem 0 1rem; font-size: 1.02rem; }
p.finding strong { color: #12406f; }
ul.glance li { margin: .3rem 0; }
details { margin: .8rem 0 1rem; border: 1px solid #e2e2e0; border-radius: 6px; padding: .35rem .8rem; background: #fbfbfa; }
details > summary { cursor: pointer; font-weight: 600; color: #1f5fa8; }
details[open] > summary { margin-bottom: .4rem; }
@media print {
  @page { margin: 14mm 12mm; }
  body { background: #fff; font-size: 11pt; line-height: 1.45; }
  main { max-width: none; padding: 0; min-height: 0; }
  nav.toc { display: none; }
  h2 { margin-top: 1.4rem; break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  p.finding { break-inside: avoid; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  figure { break-inside: avoid; page-break-inside: avoid; margin: .8rem 0 1rem; }
  figure svg { max-height: 21cm; }
  tr, caption { break-inside: avoid; }
  td.heat { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  details > summary { color: #444; }
  a { color: inherit; }
}
"#;

pub(crate) fn to_html(doc: &Doc) -> String {
    let mut h = String::with_capacity(256 * 1024);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // no favicon request, not even for file://
    h.push_str("<link rel=\"icon\" href=\"data:,\">\n");
    let _ = writeln!(h, "<title>{}</title>", escape_html(&doc.title));
    let _ = writeln!(h, "<style>{CSS}</style>\n</head>\n<body>\n<main>");
    let _ = writeln!(h, "<header>\n<h1>{}</h1>", escape_html(&doc.title));
    if !doc.subtitle.is_empty() {
        let _ = writeln!(h, "<p class=\"sub\">{}</p>", escape_html(&doc.subtitle));
    }
    h.push_str(
        "</header>\n<nav class=\"toc\" aria-label=\"contents\"><strong>Contents</strong><ul>\n",
    );
    for s in &doc.sections {
        let _ = writeln!(
            h,
            "<li><a href=\"#{}\">{}</a></li>",
            escape_html(&s.id),
            escape_html(&s.title)
        );
    }
    h.push_str("</ul></nav>\n");
    for s in &doc.sections {
        let _ = writeln!(
            h,
            "<section id=\"{}\">\n<h2>{}</h2>",
            escape_html(&s.id),
            escape_html(&s.title)
        );
        for b in &s.blocks {
            block(&mut h, b);
        }
        h.push_str("</section>\n");
    }
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

fn block(h: &mut String, b: &Block) {
    match b {
        Block::Heading(t) => {
            let _ = writeln!(h, "<h3>{}</h3>", escape_html(t));
        }
        Block::Text(t) => text(h, t, None),
        Block::Empty(t) => text(h, t, Some("empty")),
        Block::List(items) => {
            h.push_str("<ul class=\"facts\">\n");
            for i in items {
                let _ = writeln!(h, "<li>{}</li>", inline(i));
            }
            h.push_str("</ul>\n");
        }
        Block::Table(t) => table(h, t),
        Block::Figure(f) => figure(h, f),
        Block::Finding(t) => {
            let _ = writeln!(
                h,
                "<p class=\"finding\"><strong>Finding.</strong> {}</p>",
                inline(t)
            );
        }
        Block::Details { summary, blocks } => {
            let _ = writeln!(h, "<details>\n<summary>{}</summary>", inline(summary));
            for b in blocks {
                block(h, b);
            }
            h.push_str("</details>\n");
        }
        Block::Files(files) => {
            h.push_str("<ul class=\"facts\">\n");
            for (name, what) in files {
                let _ = writeln!(
                    h,
                    "<li><a href=\"{0}\"><code>{0}</code></a>: {1}</li>",
                    escape_html(name),
                    inline(what)
                );
            }
            h.push_str("</ul>\n");
        }
    }
}

/// Escapes `s` and turns `code` spans into `<code>` (an unpaired backtick
/// stays literal).
pub(crate) fn inline(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(a) = rest.find('`') {
        let Some(b) = rest[a + 1..].find('`') else {
            break;
        };
        out.push_str(&escape_html(&rest[..a]));
        let _ = write!(out, "<code>{}</code>", escape_html(&rest[a + 1..a + 1 + b]));
        rest = &rest[a + 2 + b..];
    }
    out.push_str(&escape_html(rest));
    out
}

/// Paragraphs split on blank lines; a paragraph whose lines all start with
/// "- " or "* " becomes a list.
fn text(h: &mut String, t: &str, class: Option<&str>) {
    let cls = class.map(|c| format!(" class=\"{c}\"")).unwrap_or_default();
    for para in t.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let lines: Vec<&str> = para.lines().map(str::trim).collect();
        if lines
            .iter()
            .all(|l| l.starts_with("- ") || l.starts_with("* "))
        {
            let _ = writeln!(h, "<ul{cls}>");
            for l in lines {
                let _ = writeln!(h, "<li>{}</li>", inline(&l[2..]));
            }
            h.push_str("</ul>\n");
        } else {
            let _ = writeln!(h, "<p{cls}>{}</p>", inline(&lines.join(" ")));
        }
    }
}

fn table(h: &mut String, t: &Table) {
    // wide tables (the paper's, 15 columns) get smaller type to fit
    if t.header.len() > 9 {
        h.push_str("<div class=\"table-wrap\">\n<table class=\"compact\">\n");
    } else {
        h.push_str("<div class=\"table-wrap\">\n<table>\n");
    }
    if let Some(c) = &t.caption {
        let _ = writeln!(h, "<caption>{}</caption>", escape_html(c));
    }
    h.push_str("<thead><tr>");
    for (j, c) in t.header.iter().enumerate() {
        let cls = if t.numeric.contains(&j) {
            " class=\"num\""
        } else {
            ""
        };
        let _ = write!(h, "<th scope=\"col\"{cls}>{}</th>", escape_html(c));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for row in &t.rows {
        h.push_str("<tr>");
        for (j, c) in row.iter().enumerate() {
            let mut attrs = String::new();
            let mut classes = Vec::new();
            if c.bg.is_some() {
                classes.push("heat");
            } else if t.numeric.contains(&j) {
                classes.push("num");
            }
            if c.nowrap {
                classes.push("nowrap");
            }
            if !classes.is_empty() {
                let _ = write!(attrs, " class=\"{}\"", classes.join(" "));
            }
            if let Some(bg) = c.bg {
                let fg = c.fg.unwrap_or((0, 0, 0));
                let _ = write!(
                    attrs,
                    " style=\"background:{};color:{}\"",
                    css_rgb(bg),
                    css_rgb(fg)
                );
            }
            if let Some(ti) = &c.title {
                let _ = write!(attrs, " title=\"{}\"", escape_html(ti));
            }
            let body = if c.code && !c.text.is_empty() {
                // let long JSON break after commas rather than anywhere
                let e = escape_html(&c.text);
                let e = if c.nowrap {
                    e
                } else {
                    e.replace(',', ",<wbr>")
                };
                format!("<code>{e}</code>")
            } else {
                escape_html(&c.text)
            };
            let _ = write!(h, "<td{attrs}>{body}</td>");
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");
    if let Some(n) = &t.note {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", escape_html(n));
    }
    h.push_str("</div>\n");
}

fn figure(h: &mut String, f: &Figure) {
    let _ = writeln!(h, "<figure id=\"{}\">", escape_html(&f.id));
    h.push_str(&f.svg);
    h.push('\n');
    let _ = write!(h, "<figcaption><p>{}</p>", inline(&f.caption));
    if !f.notes.is_empty() {
        h.push_str("<ul>");
        for n in &f.notes {
            let _ = write!(h, "<li>{}</li>", inline(n));
        }
        h.push_str("</ul>");
    }
    h.push_str("</figcaption>\n</figure>\n");
}

#[cfg(test)]
mod tests {
    use super::inline;

    #[test]
    fn inline_code_and_escaping() {
        assert_eq!(inline("run `a<b` now"), "run <code>a&lt;b</code> now");
        assert_eq!(inline("<b>&"), "&lt;b&gt;&amp;");
        assert_eq!(inline("odd ` tick"), "odd ` tick");
        assert_eq!(inline("`x` and `"), "<code>x</code> and `");
    }
}
