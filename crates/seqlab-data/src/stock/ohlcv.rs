//! Daily OHLCV price files in four layouts, told apart by the header
//! (case-insensitive; spaces and underscores in names ignored):
//!
//! | layout | header | dates |
//! |---|---|---|
//! | Yahoo | `Date,Open,High,Low,Close,Adj Close,Volume` | `YYYY-MM-DD` |
//! | bokeh-sampledata | `Ticker,Date,Open,High,Low,Close,Volume,Adj Close` | `YYYY-MM-DD`, several tickers |
//! | arch | `Date,Open,High,Low,Close,Adj Close,Volume` | `m/d/YYYY` |
//! | vega-datasets | `date,open,high,low,close,adjclose,volume` | `YYYY-MM-DD` |
//!
//! Columns are found by name, so their order does not matter; extra columns
//! are ignored; `Adj Close` is optional. Yahoo and arch share a header and are
//! told apart by the first row's date. A file with a `Ticker` column may hold
//! several tickers; one without takes its ticker from the caller or from the
//! file stem (`AAPL.csv.gz` → `AAPL`).
//!
//! Within a ticker dates must be strictly increasing; a ticker written
//! wholly newest-first is reversed; any other order, or a repeated date, is
//! an error naming both lines.

use std::io::BufRead;
use std::path::Path;

use indexmap::IndexMap;

use super::date::{Date, DateFormat};
use super::layout::{columns, split_row};
pub use super::layout::{Layout, ACCEPTED_LAYOUTS};
use crate::error::{DataError, ParseError};
use crate::io::{data_stem, display_name, maybe_gunzip, open_data};

/// One trading day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    pub date: Date,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    /// Dividend/split-adjusted close, when the file has one.
    pub adj_close: Option<f64>,
    pub volume: f64,
}

/// One ticker's bars, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub ticker: String,
    pub bars: Vec<Bar>,
}

impl Series {
    /// Number of days.
    pub fn len(&self) -> usize {
        self.bars.len()
    }

    /// True when there are no bars.
    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }

    /// True when every bar has an adjusted close.
    pub(crate) fn has_adj_close(&self) -> bool {
        !self.bars.is_empty() && self.bars.iter().all(|b| b.adj_close.is_some())
    }
}

/// A loaded file: its layout and one series per ticker, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct OhlcvFile {
    pub layout: Layout,
    pub series: IndexMap<String, Series>,
}

impl OhlcvFile {
    /// Rows over all tickers.
    pub fn total_rows(&self) -> usize {
        self.series.values().map(Series::len).sum()
    }

    /// One ticker's series; an unknown ticker lists those present.
    pub fn get(&self, ticker: &str) -> Result<&Series, DataError> {
        self.series.get(ticker).ok_or_else(|| {
            DataError::Invalid(format!(
                "no ticker `{ticker}`; tickers present: {}",
                self.series.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })
    }
}

/// Load a price file (plain or `.gz`). `ticker` names the series of a file
/// without a Ticker column (default: the file stem); it is ignored for files
/// that have one.
pub fn load_ohlcv(path: &Path, ticker: Option<&str>) -> Result<OhlcvFile, DataError> {
    let name = display_name(path);
    let t = ticker
        .map(str::to_string)
        .unwrap_or_else(|| data_stem(path));
    parse(&name, open_data(path)?, &t)
}

/// Like [`load_ohlcv`] from a reader; `name` is used in errors and, with no
/// `ticker`, for the ticker (its stem).
pub fn load_ohlcv_from_reader<R: std::io::Read>(
    name: &str,
    reader: R,
    ticker: Option<&str>,
) -> Result<OhlcvFile, DataError> {
    let t = ticker
        .map(str::to_string)
        .unwrap_or_else(|| data_stem(Path::new(name)));
    parse(name, maybe_gunzip(name, reader)?, &t)
}

fn parse(name: &str, reader: impl BufRead, default_ticker: &str) -> Result<OhlcvFile, DataError> {
    let mut lines = reader.lines().enumerate();
    let header = loop {
        match lines.next() {
            None => {
                return Err(ParseError::new(
                    name,
                    1,
                    "empty file",
                    format!("expected a header; layouts accepted: {ACCEPTED_LAYOUTS}"),
                )
                .into())
            }
            Some((_, l)) => {
                let l = l.map_err(|e| DataError::io(name, e))?;
                if !l.trim().is_empty() {
                    break l;
                }
            }
        }
    };
    let cols = columns(name, header.trim_start_matches('\u{feff}'))?;
    let mut layout = None;
    let mut fmt = DateFormat::Iso;
    // per ticker: bars and the line of each
    let mut groups: IndexMap<String, (Vec<Bar>, Vec<usize>)> = IndexMap::new();
    for (i, line) in lines {
        let lineno = i + 1;
        let line = line.map_err(|e| DataError::io(name, e))?;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let f = split_row(line);
        if f.len() != cols.raw.len() {
            return Err(ParseError::new(
                name,
                lineno,
                format!(
                    "{} fields, but the header has {} ({})",
                    f.len(),
                    cols.raw.len(),
                    cols.raw.join(",")
                ),
                "every row needs one value per header column; a quoted comma is not supported",
            )
            .into());
        }
        let date_s = f[cols.date];
        if layout.is_none() {
            fmt = DateFormat::sniff(date_s);
            layout = Some(Layout::detect(&cols, fmt));
        }
        let field = |i: usize| cols.raw[i].as_str();
        let date = Date::parse(date_s, fmt).ok_or_else(|| {
            ParseError::field(
                name,
                lineno, field(cols.date),
                format!("not a date: `{date_s}`"),
                format!("this file's dates are {} (from its first row); every row must use the same format", fmt.example()),)
        })?;
        let num = |i: usize, price: bool| -> Result<f64, ParseError> {
            let s = f[i];
            let v: f64 = s.parse().map_err(|_| {
                let hint = if s.is_empty() || s.eq_ignore_ascii_case("null") || s.eq_ignore_ascii_case("nan") {
                    "missing value: drop this row (Yahoo writes `null` for days without data) or fill it"
                } else {
                    "write a plain decimal number such as 123.45"
                };
                ParseError::field(name, lineno, field(i), format!("not a number: `{s}`"), hint)
            })?;
            if !v.is_finite() || (price && v <= 0.0) || v < 0.0 {
                return Err(ParseError::field(
                    name,
                    lineno,
                    field(i),
                    format!("impossible value {s}"),
                    if price {
                        "prices must be finite and positive"
                    } else {
                        "volume must be finite and ≥ 0"
                    },
                ));
            }
            Ok(v)
        };
        let bar = Bar {
            date,
            open: num(cols.open, true)?,
            high: num(cols.high, true)?,
            low: num(cols.low, true)?,
            close: num(cols.close, true)?,
            adj_close: cols.adj.map(|i| num(i, true)).transpose()?,
            volume: num(cols.volume, false)?,
        };
        let ticker = match cols.ticker {
            Some(t) if f[t].is_empty() => {
                return Err(ParseError::field(
                    name,
                    lineno,
                    field(t),
                    "empty ticker",
                    "every row needs its ticker symbol",
                )
                .into())
            }
            Some(t) => f[t].to_string(),
            None => default_ticker.to_string(),
        };
        let g = groups.entry(ticker).or_default();
        g.0.push(bar);
        g.1.push(lineno);
    }
    let mut series = IndexMap::new();
    for (ticker, (mut bars, mut lines)) in groups {
        order(name, &ticker, &mut bars, &mut lines)?;
        series.insert(ticker.clone(), Series { ticker, bars });
    }
    Ok(OhlcvFile {
        layout: layout.unwrap_or(Layout::Yahoo),
        series,
    })
}

/// Check a ticker's dates are strictly monotonic; reverse a newest-first one.
fn order(name: &str, ticker: &str, bars: &mut [Bar], lines: &mut [usize]) -> Result<(), DataError> {
    let descending = bars.len() >= 2 && bars[1].date < bars[0].date;
    for k in 1..bars.len() {
        let (a, b) = (bars[k - 1].date, bars[k].date);
        let ok = if descending { b < a } else { b > a };
        if !ok {
            let (msg, hint) = if a == b {
                (
                    format!(
                        "duplicate date {b} for {ticker} (also on line {})",
                        lines[k - 1]
                    ),
                    "remove one of the two rows",
                )
            } else {
                (
                    format!(
                        "date {b} for {ticker} breaks the date order: line {} has {a} and the rows run {}",
                        lines[k - 1],
                        if descending { "newest first" } else { "oldest first" }
                    ),
                    "sort each ticker's rows by date (oldest first)",
                )
            };
            return Err(ParseError::field(name, lines[k], "Date", msg, hint).into());
        }
    }
    if descending {
        bars.reverse();
        lines.reverse();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str, text: &str) -> Result<OhlcvFile, DataError> {
        load_ohlcv_from_reader(name, text.as_bytes(), None)
    }

    #[test]
    fn detects_all_four_layouts() {
        let yahoo = "Date,Open,High,Low,Close,Adj Close,Volume\n2012-01-03,58.49,58.93,58.43,58.75,50.77,75555200\n2012-01-04,58.57,59.24,58.47,59.06,51.04,65005500\n";
        let f = load("AAPL.csv", yahoo).unwrap();
        assert_eq!(f.layout, Layout::Yahoo);
        let s = f.get("AAPL").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s.bars[1].adj_close, Some(51.04));
        assert_eq!(s.bars[0].date.to_string(), "2012-01-03");

        let bokeh = "Ticker,Date,Open,High,Low,Close,Volume,Adj Close\nAAPL,2000-03-01,118.56,132.06,118.5,130.31,9616100,4.18\nIBM,2000-03-01,102.0,105.5,100.06,100.25,10807800,70.1\nAAPL,2000-03-02,127.0,127.94,120.69,122.0,2779100,3.91\n";
        let f = load("stocks.csv", bokeh).unwrap();
        assert_eq!(f.layout, Layout::Bokeh);
        assert_eq!(f.series.keys().collect::<Vec<_>>(), vec!["AAPL", "IBM"]);
        assert_eq!(f.get("AAPL").unwrap().len(), 2);
        assert_eq!(f.total_rows(), 3);
        assert!(f
            .get("MSFT")
            .unwrap_err()
            .to_string()
            .contains("tickers present: AAPL, IBM"));

        let arch = "Date,Open,High,Low,Close,Adj Close,Volume\n1/4/1999,1229.22998,1248.810059,1219.099976,1228.099976,1228.099976,877000000\n1/5/1999,1228.099976,1246.109985,1228.099976,1244.780029,1244.780029,775000000\n";
        let f = load_ohlcv_from_reader("sp500.csv.gz", arch.as_bytes(), None).unwrap();
        assert_eq!(f.layout, Layout::Arch);
        assert_eq!(
            f.get("sp500").unwrap().bars[0].date,
            Date::new(1999, 1, 4).unwrap()
        );

        let vega = "date,open,high,low,close,adjclose,volume\n2000-01-03,1469.25,1478.0,1438.359985,1455.219971,1455.219971,931800000\n";
        let f = load_ohlcv_from_reader("x.csv", vega.as_bytes(), Some("SPX")).unwrap();
        assert_eq!(f.layout, Layout::Vega);
        assert_eq!(f.get("SPX").unwrap().len(), 1);

        // no Adj Close, reordered columns, CRLF
        let f = load(
            "T.csv",
            "volume,close,low,high,open,date\r\n10,2,1,3,1.5,2020-01-02\r\n",
        )
        .unwrap();
        assert_eq!(f.get("T").unwrap().bars[0].close, 2.0);
        assert!(!f.get("T").unwrap().has_adj_close());
    }

    #[test]
    fn newest_first_is_reversed() {
        let t = "Date,Open,High,Low,Close,Volume\n2020-01-03,1,1,1,3,0\n2020-01-02,1,1,1,2,0\n2020-01-01,1,1,1,1,0\n";
        let s = load("X.csv", t).unwrap().series["X"].clone();
        assert_eq!(
            s.bars.iter().map(|b| b.close).collect::<Vec<_>>(),
            vec![1.0, 2.0, 3.0]
        );
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let h = "Date,Open,High,Low,Close,Adj Close,Volume\n";
        let e = load(
            "a.csv",
            &format!("{h}2020-01-02,1,2,0.5,1.5,1.5,100\n2020-01-03,1,x,0.5,1.5,1.5,100\n"),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "a.csv:3: field `High`: not a number: `x` (write a plain decimal number such as 123.45)");
        let e = load("a.csv", &format!("{h}2020-01-02,1,null,0.5,1.5,1.5,100\n")).unwrap_err();
        assert!(e.to_string().contains("Yahoo writes `null`"), "{e}");
        let e = load(
            "a.csv",
            &format!("{h}2020-01-02,1,2,0.5,1.5,1.5,100\n2020-13-03,1,2,0.5,1.5,1.5,100\n"),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("a.csv:3: field `Date`: not a date: `2020-13-03`"),
            "{e}"
        );
        let e = load(
            "a.csv",
            &format!("{h}1/2/2020,1,2,0.5,1.5,1.5,100\n2020-01-03,1,2,0.5,1.5,1.5,100\n"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("m/d/YYYY"), "{e}");
        let e = load(
            "a.csv",
            &format!("{h}2020-01-02,1,2,0.5,1.5,1.5,100\n2020-01-02,1,2,0.5,1.5,1.5,100\n"),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "a.csv:3: field `Date`: duplicate date 2020-01-02 for a (also on line 2) (remove one of the two rows)");
        let e = load("a.csv", &format!("{h}2020-01-02,1,2,0.5,1.5,1.5,100\n2020-01-06,1,2,0.5,1.5,1.5,100\n2020-01-03,1,2,0.5,1.5,1.5,100\n")).unwrap_err();
        assert!(e.to_string().starts_with("a.csv:4: field `Date`: date 2020-01-03 for a breaks the date order: line 3 has 2020-01-06"), "{e}");
        let e = load("a.csv", &format!("{h}2020-01-02,1,2,0.5,-1.5,1.5,100\n")).unwrap_err();
        assert!(
            e.to_string()
                .contains("field `Close`: impossible value -1.5"),
            "{e}"
        );
        let e = load("a.csv", &format!("{h}2020-01-02,1,2,0.5,1.5,100\n")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("a.csv:2: 6 fields, but the header has 7"),
            "{e}"
        );
        let e = load("b.csv", "Day,Open,High,Low,Price,Volume\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("b.csv:1: field `date`: missing required column(s) date, close; columns found: Day, Open, High, Low, Price, Volume"), "{e}");
        assert!(e.contains("layouts accepted: Yahoo"), "{e}");
        assert!(e.contains("vega-datasets"), "{e}");
    }

    /// Row counts of the real files: `SEQLAB_REAL_STOCKS` names a folder
    /// holding `stocks.csv.gz` (bokeh-sampledata 2026.1), `sp500.csv.gz`
    /// (arch 8.0.0) and `sp500-2000.csv` (vega-datasets 3.2.1).
    #[test]
    #[ignore = "needs SEQLAB_REAL_STOCKS: a folder holding stocks.csv.gz (PyPI bokeh-sampledata 2026.1), sp500.csv.gz (PyPI arch 8.0.0) and sp500-2000.csv (npm vega-datasets 3.2.1); pins in src/fetch/pins.rs"]
    fn real_files() {
        let dir = std::env::var("SEQLAB_REAL_STOCKS")
            .expect("SEQLAB_REAL_STOCKS: the folder of the real files");
        let dir = Path::new(&dir);
        let f = load_ohlcv(&dir.join("stocks.csv.gz"), None).unwrap();
        assert_eq!(f.layout, Layout::Bokeh);
        let counts: Vec<(String, usize)> =
            f.series.iter().map(|(k, s)| (k.clone(), s.len())).collect();
        eprintln!("bokeh stocks.csv.gz: {} rows {counts:?}", f.total_rows());
        assert_eq!(f.total_rows(), 12_154);
        assert_eq!(f.series.len(), 5);
        let f = load_ohlcv(&dir.join("sp500.csv.gz"), None).unwrap();
        assert_eq!(f.layout, Layout::Arch);
        let s = f.get("sp500").unwrap();
        eprintln!(
            "arch sp500.csv.gz: {} rows {}..{}",
            s.len(),
            s.bars[0].date,
            s.bars[s.len() - 1].date
        );
        assert_eq!(s.len(), 5_031);
        let f = load_ohlcv(&dir.join("sp500-2000.csv"), None).unwrap();
        assert_eq!(f.layout, Layout::Vega);
        let s = f.get("sp500-2000").unwrap();
        eprintln!(
            "vega sp500-2000.csv: {} rows {}..{}",
            s.len(),
            s.bars[0].date,
            s.bars[s.len() - 1].date
        );
        // data.md says 5,104: the file has 5,105 rows, the last without a
        // final newline (so `wc -l` counts 5,105 lines with the header)
        assert_eq!(s.len(), 5_105);
    }
}
