//! What a fetch can fail with; every message says what to do next.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// A `Local` source whose file is absent.
    #[error("missing data file {path}\n{instructions}")]
    MissingLocal { path: PathBuf, instructions: String },

    /// The pinned hash does not match the file obtained.
    #[error(
        "blake3 mismatch for `{what}` from {source_desc}:\n  expected {expected}\n  actual   {actual}\n\
         nothing was written. If the new file is what you want, update the pin: set `blake3: {actual}` \
         for this source{cache_hint}"
    )]
    HashMismatch {
        what: String,
        source_desc: String,
        expected: String,
        actual: String,
        cache_hint: String,
    },

    /// A registry client is not installed.
    #[error("`{program}` is not installed or not on PATH: {hint}")]
    ToolMissing { program: String, hint: String },

    /// A registry client ran and failed.
    #[error("`{command}` failed ({status}):\n{stderr}\n{hint}")]
    CommandFailed {
        command: String,
        status: String,
        stderr: String,
        hint: String,
    },

    /// The archive does not hold the member.
    #[error("{archive}: no member `{member}`{near}\n(check the member path: it is the path inside the package, e.g. `scipy/misc/ecg.dat` in a wheel, `usr/share/doc/...` in a .deb, `package/...` in an npm tarball)")]
    MemberNotFound {
        archive: String,
        member: String,
        near: String,
    },

    /// The member exists but is not a regular file.
    #[error("{archive}: member `{member}` is {what}; pin the file it points to instead")]
    NotAFile {
        archive: String,
        member: String,
        what: String,
    },

    /// The source itself is malformed (bad name, bad hash).
    #[error("invalid fetch source: {0}")]
    InvalidSource(String),

    /// An archive could not be read.
    #[error("{path}: cannot read archive: {message}")]
    BadArchive { path: String, message: String },

    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl FetchError {
    /// Wrap an I/O error with the path it concerns.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        FetchError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}
