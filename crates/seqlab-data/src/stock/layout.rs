//! The four OHLCV header layouts and finding the columns by name
//! (case-insensitive; spaces, underscores and quotes ignored).

use super::date::DateFormat;
use crate::error::ParseError;

/// The accepted layouts, for error messages.
pub const ACCEPTED_LAYOUTS: &str =
    "Yahoo `Date,Open,High,Low,Close,Adj Close,Volume` (YYYY-MM-DD); \
bokeh-sampledata `Ticker,Date,Open,High,Low,Close,Volume,Adj Close`; \
arch `Date,Open,High,Low,Close,Adj Close,Volume` (m/d/YYYY); \
vega-datasets `date,open,high,low,close,adjclose,volume`";

/// Which layout a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Yahoo,
    Bokeh,
    Arch,
    Vega,
}

impl Layout {
    /// The layout of a file with these columns whose first date is written
    /// as `first_date`: a Ticker column means bokeh; m/d/Y dates mean arch;
    /// an all-lowercase `adjclose` header means vega; else Yahoo.
    pub(crate) fn detect(cols: &Columns, first_date: DateFormat) -> Layout {
        if cols.ticker.is_some() {
            Layout::Bokeh
        } else if first_date == DateFormat::Mdy {
            Layout::Arch
        } else if cols.raw.iter().any(|h| h == "adjclose") {
            Layout::Vega
        } else {
            Layout::Yahoo
        }
    }
}

pub(crate) fn norm(h: &str) -> String {
    h.trim()
        .trim_matches('"')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

pub(crate) fn split_row(line: &str) -> Vec<&str> {
    line.split(',')
        .map(|f| f.trim().trim_matches('"').trim())
        .collect()
}

pub(crate) struct Columns {
    pub(crate) ticker: Option<usize>,
    pub(crate) date: usize,
    pub(crate) open: usize,
    pub(crate) high: usize,
    pub(crate) low: usize,
    pub(crate) close: usize,
    pub(crate) adj: Option<usize>,
    pub(crate) volume: usize,
    pub(crate) raw: Vec<String>,
}

pub(crate) fn columns(name: &str, header: &str) -> Result<Columns, ParseError> {
    let raw: Vec<String> = split_row(header).into_iter().map(str::to_string).collect();
    let names: Vec<String> = raw.iter().map(|h| norm(h)).collect();
    let find = |n: &str| names.iter().position(|h| h == n);
    let need = ["date", "open", "high", "low", "close", "volume"];
    let missing: Vec<&str> = need.iter().copied().filter(|n| find(n).is_none()).collect();
    if !missing.is_empty() {
        return Err(ParseError::field(
            name,
            1,
            missing[0],
            format!(
                "missing required column(s) {}; columns found: {}",
                missing.join(", "),
                raw.join(", ")
            ),
            format!("the first line must be a header; layouts accepted: {ACCEPTED_LAYOUTS}"),
        ));
    }
    Ok(Columns {
        ticker: find("ticker"),
        date: find("date").unwrap(),
        open: find("open").unwrap(),
        high: find("high").unwrap(),
        low: find("low").unwrap(),
        close: find("close").unwrap(),
        adj: find("adjclose"),
        volume: find("volume").unwrap(),
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_are_normalised() {
        assert_eq!(norm(" \"Adj Close\" "), "adjclose");
        assert_eq!(norm("ADJ_CLOSE"), "adjclose");
        let c = columns("f", "Ticker,Date,Open,High,Low,Close,Volume,Adj Close").unwrap();
        assert_eq!(
            (c.ticker, c.date, c.adj, c.volume),
            (Some(0), 1, Some(7), 6)
        );
        assert_eq!(Layout::detect(&c, DateFormat::Iso), Layout::Bokeh);
        let c = columns("f", "date,open,high,low,close,adjclose,volume").unwrap();
        assert_eq!(Layout::detect(&c, DateFormat::Iso), Layout::Vega);
        let c = columns("f", "Date,Open,High,Low,Close,Adj Close,Volume").unwrap();
        assert_eq!(Layout::detect(&c, DateFormat::Iso), Layout::Yahoo);
        assert_eq!(Layout::detect(&c, DateFormat::Mdy), Layout::Arch);
    }
}
