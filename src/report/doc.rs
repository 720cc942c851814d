//! The document model shared by the HTML and Markdown writers: sections made
//! of blocks. The section builders (`sections/`) produce it once; `html.rs`
//! and `markdown.rs` only serialize it, so both files say the same thing.

use super::util::Rgb;

#[derive(Debug, Clone)]
pub struct Doc {
    pub title: String,
    /// one line under the title (pipeline, versions)
    pub subtitle: String,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone)]
pub struct Section {
    /// anchor id, e.g. "q1-depth"
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub enum Block {
    /// What a question section found, in one or two sentences with the
    /// numbers in them: the first block of every question section.
    Finding(String),
    /// A sub-heading (h3 / ###).
    Heading(String),
    /// Plain text; blank lines split paragraphs; `code` spans are kept.
    Text(String),
    /// A short muted remark (e.g. "no data in this run").
    Empty(String),
    Table(Table),
    Figure(Figure),
    List(Vec<String>),
    /// Details a reader opens on demand (`<details>`, closed; printed
    /// closed): long tables, per-model strips, provenance.
    Details {
        summary: String,
        blocks: Vec<Block>,
    },
    /// Files published next to the page: (file name, what it holds).
    Files(Vec<(String, String)>),
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub caption: Option<String>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// columns (by index) that hold numbers: right-aligned
    pub numeric: Vec<usize>,
    /// a small legend/remark printed under the table
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub text: String,
    pub bg: Option<Rgb>,
    pub fg: Option<Rgb>,
    /// rendered as `<code>` / backticks
    pub code: bool,
    /// a tooltip (HTML title attribute)
    pub title: Option<String>,
    /// never wrapped (short ids such as cache keys)
    pub nowrap: bool,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            ..Default::default()
        }
    }
    pub fn code(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            code: true,
            ..Default::default()
        }
    }
    pub fn coloured(text: impl Into<String>, bg: Rgb, fg: Rgb) -> Self {
        Cell {
            text: text.into(),
            bg: Some(bg),
            fg: Some(fg),
            ..Default::default()
        }
    }
    pub(crate) fn nowrap(mut self) -> Self {
        self.nowrap = true;
        self
    }
    pub(crate) fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }
}

impl<S: Into<String>> From<S> for Cell {
    fn from(s: S) -> Self {
        Cell::new(s)
    }
}

#[derive(Debug, Clone)]
pub struct Figure {
    /// "fig-..." (unique in the page)
    pub id: String,
    pub caption: String,
    /// an inline `<svg ...>...</svg>` made by plotters
    pub svg: String,
    /// lines listed under the figure (e.g. models that do not apply)
    pub notes: Vec<String>,
    /// what Markdown shows in place of the picture (a table of the same
    /// numbers), if anything
    pub md_table: Option<Table>,
}

/// Hands out unique figure ids and remembers them in page order.
#[derive(Debug, Default)]
pub(crate) struct FigureIds {
    pub ids: Vec<String>,
}

impl FigureIds {
    pub fn make(&mut self, parts: &[&str]) -> String {
        let base = format!(
            "fig-{}",
            parts
                .iter()
                .map(|p| super::util::slug(p))
                .collect::<Vec<_>>()
                .join("-")
        );
        let mut id = base.clone();
        let mut n = 2;
        while self.ids.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.ids.push(id.clone());
        id
    }
}
