//! Daily stock prices: an OHLCV loader for the Yahoo, bokeh-sampledata,
//! arch and vega-datasets layouts, and leak-proof log-return features.

pub mod date;
pub mod features;
pub mod layout;
pub mod ohlcv;
