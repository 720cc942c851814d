//! Serializes the document as GitHub markdown: same sections, tables as
//! GitHub tables, figures referenced by their caption (with the figure's
//! numbers as a table where there is one).

use std::fmt::Write as _;

use super::doc::{Block, Doc, Figure, Table};
use super::util::escape_md;

pub(crate) fn to_markdown(doc: &Doc) -> String {
    let mut m = String::with_capacity(64 * 1024);
    let _ = writeln!(m, "# {}\n", escape_md(&doc.title));
    if !doc.subtitle.is_empty() {
        let _ = writeln!(m, "_{}_\n", escape_md(&doc.subtitle));
    }
    for s in &doc.sections {
        let _ = writeln!(m, "## {}\n", escape_md(&s.title));
        for b in &s.blocks {
            block(&mut m, b);
        }
    }
    m
}

/// Text for a markdown paragraph: HTML specials become entities; `code`
/// spans, emphasis and links are left to markdown (the input is markdown-ish).
fn para_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn block(m: &mut String, b: &Block) {
    match b {
        Block::Heading(t) => {
            let _ = writeln!(m, "### {}\n", escape_md(t));
        }
        Block::Text(t) => text(m, t, false),
        Block::Empty(t) => text(m, t, true),
        Block::List(items) => {
            for i in items {
                let _ = writeln!(m, "- {}", para_text(&i.replace('\n', " ")));
            }
            m.push('\n');
        }
        Block::Table(t) => table(m, t),
        Block::Figure(f) => figure(m, f),
        Block::Finding(t) => {
            let _ = writeln!(m, "> **Finding.** {}\n", para_text(&t.replace('\n', " ")));
        }
        Block::Details { summary, blocks } => {
            let _ = writeln!(m, "#### {}\n", escape_md(summary));
            for b in blocks {
                block(m, b);
            }
        }
        Block::Files(files) => {
            for (name, what) in files {
                let _ = writeln!(m, "- [`{name}`]({name}): {}", para_text(what));
            }
            m.push('\n');
        }
    }
}

fn text(m: &mut String, t: &str, muted: bool) {
    for para in t.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let lines: Vec<&str> = para.lines().map(str::trim).collect();
        if lines
            .iter()
            .all(|l| l.starts_with("- ") || l.starts_with("* "))
        {
            for l in lines {
                let _ = writeln!(m, "- {}", para_text(&l[2..]));
            }
        } else if muted {
            let _ = writeln!(m, "_{}_", para_text(&lines.join(" ")));
        } else {
            let _ = writeln!(m, "{}", para_text(&lines.join(" ")));
        }
        m.push('\n');
    }
}

fn cell_md(text: &str, code: bool) -> String {
    if code && !text.is_empty() {
        format!(
            "`{}`",
            text.replace('`', "'")
                .replace('|', "\\|")
                .replace('\n', " ")
        )
    } else {
        escape_md(text)
    }
}

pub(crate) fn table(m: &mut String, t: &Table) {
    if let Some(c) = &t.caption {
        let _ = writeln!(m, "**{}**\n", escape_md(c));
    }
    let ncols = t
        .rows
        .iter()
        .map(|r| r.len())
        .chain(std::iter::once(t.header.len()))
        .max()
        .unwrap_or(0);
    if ncols == 0 {
        return;
    }
    m.push('|');
    for j in 0..ncols {
        let h = t.header.get(j).map(String::as_str).unwrap_or("");
        let _ = write!(m, " {} |", escape_md(h));
    }
    m.push_str("\n|");
    for j in 0..ncols {
        m.push_str(if t.numeric.contains(&j) {
            "---:|"
        } else {
            "---|"
        });
    }
    m.push('\n');
    for row in &t.rows {
        m.push('|');
        for j in 0..ncols {
            let c = row
                .get(j)
                .map(|c| cell_md(&c.text, c.code))
                .unwrap_or_default();
            let _ = write!(m, " {c} |");
        }
        m.push('\n');
    }
    if let Some(n) = &t.note {
        let _ = writeln!(m, "\n_{}_", escape_md(n));
    }
    m.push('\n');
}

fn figure(m: &mut String, f: &Figure) {
    let _ = writeln!(m, "**Figure:** {}\n", para_text(&f.caption));
    for n in &f.notes {
        let _ = writeln!(m, "- {}", para_text(n));
    }
    if !f.notes.is_empty() {
        m.push('\n');
    }
    if let Some(t) = &f.md_table {
        table(m, t);
    }
}
