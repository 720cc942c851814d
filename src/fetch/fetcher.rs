//! `fetch()`: obtain, extract, verify, place. See the module docs of
//! [`crate::fetch`].

use std::path::{Path, PathBuf};

use super::atomic::AtomicFile;
use super::command::{
    apt_download, apt_not_found, apt_update, failed, npm_pack, pip_download, run, Cmd,
};
use super::error::FetchError;
use super::hash::{blake3_file, HashingWriter};
use super::source::FetchSource;
use super::unpack::{contains_member, extract_member, ArchiveKind};

/// The Python that runs pip: `$SEQLAB_PYTHON`, else `python3`.
pub(crate) fn python() -> String {
    std::env::var("SEQLAB_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Get `source`'s file into `dest_dir` (named after the member's file name),
/// verified against its pin, using `cache_dir` for package archives. Returns
/// the file's path. An up-to-date file already in `dest_dir` is kept
/// without downloading anything.
pub fn fetch(
    source: &FetchSource,
    dest_dir: &Path,
    cache_dir: &Path,
) -> Result<PathBuf, FetchError> {
    source.validate()?;
    let target = dest_dir.join(source.file_name());
    if target.is_file() && blake3_file(&target)? == source.blake3() {
        return Ok(target);
    }
    match source {
        FetchSource::Local {
            path, instructions, ..
        } => {
            if !path.is_file() {
                return Err(FetchError::MissingLocal {
                    path: path.clone(),
                    instructions: instructions.clone(),
                });
            }
            let same = match (path.canonicalize(), target.canonicalize()) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            };
            if same {
                // in place already and the hash check above failed
                return Err(mismatch(source, &blake3_file(path)?, ""));
            }
            let mut f = std::fs::File::open(path).map_err(|e| FetchError::io(path, e))?;
            place(source, &target, "", |w| {
                std::io::copy(&mut f, w)
                    .map(|_| ())
                    .map_err(|e| FetchError::io(path, e))
            })
        }
        _ => {
            let (archive, kind) = obtain_archive(source, cache_dir)?;
            let dir = archive.parent().unwrap_or(cache_dir);
            let hint = format!(
                ". The package archive is cached at {}: delete that folder to download it again",
                dir.display()
            );
            let member = source.member();
            place(source, &target, &hint, |w| {
                extract_member(&archive, kind, &member, w)
            })
        }
    }
}

/// The last step alone: `member` of an archive already on disk into the
/// file `target`, verified against `blake3` (hex).
pub fn fetch_from_archive(
    archive: &Path,
    kind: ArchiveKind,
    member: &str,
    blake3: &str,
    target: &Path,
) -> Result<PathBuf, FetchError> {
    let src = FetchSource::Local {
        path: archive.to_path_buf(),
        blake3: blake3.to_string(),
        instructions: String::new(),
    };
    place(&src, target, "", |w| {
        extract_member(archive, kind, member, w)
    })
}

fn mismatch(source: &FetchSource, actual: &str, cache_hint: &str) -> FetchError {
    FetchError::HashMismatch {
        what: source.member(),
        source_desc: source.describe(),
        expected: source.blake3().to_string(),
        actual: actual.to_string(),
        cache_hint: cache_hint.to_string(),
    }
}

/// Write through `fill` into a temporary file beside `target`, hashing as
/// it goes; rename onto `target` only if the hash is the pinned one.
fn place(
    source: &FetchSource,
    target: &Path,
    cache_hint: &str,
    fill: impl FnOnce(&mut dyn std::io::Write) -> Result<(), FetchError>,
) -> Result<PathBuf, FetchError> {
    let mut tmp = AtomicFile::create(target)?;
    let actual = {
        let mut w = HashingWriter::new(std::io::BufWriter::new(tmp.file()));
        fill(&mut w)?;
        let (h, mut inner) = w.finish();
        std::io::Write::flush(&mut inner).map_err(|e| FetchError::io(target, e))?;
        h
    };
    if actual != source.blake3() {
        return Err(mismatch(source, &actual, cache_hint)); // tmp is removed on drop
    }
    tmp.commit()
}

/// Removes a half-made cache folder unless disarmed.
struct DirGuard(Option<PathBuf>);

impl Drop for DirGuard {
    fn drop(&mut self) {
        if let Some(d) = self.0.take() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

fn archives_in(dir: &Path, kind: ArchiveKind) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| ArchiveKind::from_path(p) == Some(kind))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The commands that download `source`'s archive into `dir`.
pub(crate) fn download_commands(source: &FetchSource, dir: &Path) -> Vec<Cmd> {
    match source {
        FetchSource::Local { .. } => vec![],
        FetchSource::Pip {
            package,
            version,
            python_version,
            platform,
            ..
        } => {
            vec![pip_download(
                &python(),
                package,
                version,
                dir,
                python_version.as_deref(),
                platform.as_deref(),
            )]
        }
        FetchSource::Apt {
            package, version, ..
        } => vec![apt_download(package, version.as_deref(), dir)],
        FetchSource::Npm {
            package, version, ..
        } => vec![npm_pack(package, version, dir)],
    }
}

fn kind_of(source: &FetchSource) -> ArchiveKind {
    match source {
        FetchSource::Pip { .. } | FetchSource::Local { .. } => ArchiveKind::Wheel,
        FetchSource::Apt { .. } => ArchiveKind::Deb,
        FetchSource::Npm { .. } => ArchiveKind::Tgz,
    }
}

/// The package archive holding the member: from the cache, or downloaded
/// into it (into a temporary folder first, renamed into place when done).
pub(crate) fn obtain_archive(
    source: &FetchSource,
    cache_dir: &Path,
) -> Result<(PathBuf, ArchiveKind), FetchError> {
    let kind = kind_of(source);
    let key = cache_dir.join(source.cache_key().expect("registry source"));
    let member = source.member();
    if !key.is_dir() {
        let parent = key.parent().expect("cache key has a parent");
        std::fs::create_dir_all(parent).map_err(|e| FetchError::io(parent, e))?;
        let tmp = parent.join(format!(
            ".{}.partial-{}",
            key.file_name().unwrap().to_string_lossy(),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| FetchError::io(&tmp, e))?;
        let mut guard = DirGuard(Some(tmp.clone()));
        let abs_tmp = tmp.canonicalize().map_err(|e| FetchError::io(&tmp, e))?;
        for cmd in download_commands(source, &abs_tmp) {
            match run(&cmd) {
                Ok(_) => {}
                Err(FetchError::CommandFailed { stderr, .. })
                    if matches!(source, FetchSource::Apt { .. }) && apt_not_found(&stderr) =>
                {
                    // stale or empty package lists: refresh once and retry
                    run(&apt_update())?;
                    let out = std::process::Command::new(&cmd.program)
                        .args(&cmd.args)
                        .current_dir(&abs_tmp)
                        .stdin(std::process::Stdio::null())
                        .output()
                        .map_err(|e| FetchError::io(&cmd.program, e))?;
                    if !out.status.success() {
                        return Err(failed(&cmd, &out, "the package (or this version of it) is not in the configured Debian repositories"));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        if archives_in(&tmp, kind).is_empty() {
            return Err(FetchError::BadArchive {
                path: tmp.display().to_string(),
                message: format!("the download left no {kind:?} archive"),
            });
        }
        match std::fs::rename(&tmp, &key) {
            Ok(()) => guard.0 = None,
            Err(_) if key.is_dir() => {} // another run won the race; use its copy
            Err(e) => return Err(FetchError::io(&key, e)),
        }
    }
    let found = archives_in(&key, kind);
    if let Some(a) = found.iter().find(|a| contains_member(a, kind, &member)) {
        return Ok((a.clone(), kind));
    }
    match found.first() {
        // re-run the extraction on the first archive for its detailed error
        Some(a) => Err(extract_member(a, kind, &member, &mut std::io::sink())
            .err()
            .unwrap_or_else(|| FetchError::MemberNotFound {
                archive: a.display().to_string(),
                member: member.clone(),
                near: String::new(),
            })),
        None => Err(FetchError::BadArchive {
            path: key.display().to_string(),
            message: format!(
                "no {kind:?} archive in the cache folder; delete it to download again"
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::hash::blake3_bytes;
    use crate::fetch::unpack::tests::{build_deb, write_tgz, write_wheel};

    fn listing(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn local_success_then_kept() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("in/mitbih_train.csv");
        std::fs::create_dir_all(src.parent().unwrap()).unwrap();
        std::fs::write(&src, b"1,2,3\n").unwrap();
        let s = FetchSource::Local {
            path: src.clone(),
            blake3: blake3_bytes(b"1,2,3\n"),
            instructions: "get it".into(),
        };
        let dest = d.path().join("out");
        let p = fetch(&s, &dest, &d.path().join("cache")).unwrap();
        assert_eq!(p, dest.join("mitbih_train.csv"));
        assert_eq!(std::fs::read(&p).unwrap(), b"1,2,3\n");
        // second call: already there, nothing copied (source may even be gone)
        std::fs::remove_file(&src).unwrap();
        assert_eq!(fetch(&s, &dest, &d.path().join("cache")).unwrap(), p);
        assert_eq!(listing(&dest), vec!["mitbih_train.csv"]);
    }

    #[test]
    fn local_hash_mismatch_writes_nothing() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("a.csv");
        std::fs::write(&src, b"changed").unwrap();
        let want = blake3_bytes(b"original");
        let s = FetchSource::Local {
            path: src,
            blake3: want.clone(),
            instructions: String::new(),
        };
        let dest = d.path().join("out");
        let e = fetch(&s, &dest, d.path()).unwrap_err();
        let msg = e.to_string();
        let actual = blake3_bytes(b"changed");
        assert!(msg.contains(&format!("expected {want}")), "{msg}");
        assert!(msg.contains(&format!("actual   {actual}")), "{msg}");
        assert!(
            msg.contains(&format!("update the pin: set `blake3: {actual}`")),
            "{msg}"
        );
        assert!(listing(&dest).is_empty(), "left {:?}", listing(&dest));
    }

    #[test]
    fn local_missing_prints_callers_instructions() {
        let d = tempfile::tempdir().unwrap();
        let s = FetchSource::Local {
            path: d.path().join("mitbih_train.csv"),
            blake3: blake3_bytes(b""),
            instructions: "kaggle datasets download -d shayanfazeli/heartbeat".into(),
        };
        let e = fetch(&s, d.path(), d.path()).unwrap_err();
        assert!(matches!(e, FetchError::MissingLocal { .. }));
        assert!(e
            .to_string()
            .contains("kaggle datasets download -d shayanfazeli/heartbeat"));
    }

    #[test]
    fn from_archives_built_here() {
        let d = tempfile::tempdir().unwrap();
        let whl = d.path().join("p-1.0-py3-none-any.whl");
        write_wheel(
            &whl,
            &[("p/data/stocks.csv.gz", b"\x1f\x8b..."), ("p/x.py", b"")],
        );
        let out = d.path().join("out/stocks.csv.gz");
        let p = fetch_from_archive(
            &whl,
            ArchiveKind::Wheel,
            "p/data/stocks.csv.gz",
            &blake3_bytes(b"\x1f\x8b..."),
            &out,
        )
        .unwrap();
        assert_eq!(std::fs::read(p).unwrap(), b"\x1f\x8b...");
        let tgz = d.path().join("v-1.0.0.tgz");
        write_tgz(&tgz, &[("package/data/sp500.csv", b"date\n")]);
        let out = d.path().join("out/sp500.csv");
        fetch_from_archive(
            &tgz,
            ArchiveKind::Tgz,
            "package/data/sp500.csv",
            &blake3_bytes(b"date\n"),
            &out,
        )
        .unwrap();
        let e = fetch_from_archive(
            &tgz,
            ArchiveKind::Tgz,
            "package/data/sp500.csv",
            &blake3_bytes(b"x"),
            &d.path().join("out/bad.csv"),
        );
        assert!(matches!(e, Err(FetchError::HashMismatch { .. })));
        assert_eq!(
            listing(&d.path().join("out")),
            vec!["sp500.csv", "stocks.csv.gz"]
        );
    }

    /// A cache folder filled beforehand stands in for the registry: fetch
    /// finds the archive there and runs no client.
    #[test]
    fn registry_sources_use_the_cache() {
        let d = tempfile::tempdir().unwrap();
        let cache = d.path().join("cache");
        let dest = d.path().join("data");
        let pip = FetchSource::Pip {
            package: "scipy".into(),
            version: "1.11.4".into(),
            member: "scipy/misc/ecg.dat".into(),
            blake3: blake3_bytes(b"ECG"),
            python_version: Some("3.11".into()),
            platform: Some("manylinux2014_x86_64".into()),
        };
        let key = cache.join(pip.cache_key().unwrap());
        std::fs::create_dir_all(&key).unwrap();
        // two wheels: only the second holds the member
        write_wheel(&key.join("a-1.0-py3-none-any.whl"), &[("a/x", b"")]);
        write_wheel(
            &key.join("scipy-1.11.4-cp311-cp311-manylinux2014_x86_64.whl"),
            &[("scipy/misc/ecg.dat", b"ECG")],
        );
        assert_eq!(
            std::fs::read(fetch(&pip, &dest, &cache).unwrap()).unwrap(),
            b"ECG"
        );

        let npm = FetchSource::Npm {
            package: "vega-datasets".into(),
            version: "3.2.1".into(),
            member: "package/data/sp500-2000.csv".into(),
            blake3: blake3_bytes(b"date\n"),
        };
        let key = cache.join(npm.cache_key().unwrap());
        std::fs::create_dir_all(&key).unwrap();
        write_tgz(
            &key.join("vega-datasets-3.2.1.tgz"),
            &[("package/data/sp500-2000.csv", b"date\n")],
        );
        assert_eq!(
            std::fs::read(fetch(&npm, &dest, &cache).unwrap()).unwrap(),
            b"date\n"
        );

        // wrong pin: the error says where the cached archive is
        let npm_bad = FetchSource::Npm {
            package: "vega-datasets".into(),
            version: "3.2.1".into(),
            member: "package/data/sp500-2000.csv".into(),
            blake3: blake3_bytes(b"old"),
        };
        let e = fetch(&npm_bad, &d.path().join("data2"), &cache)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("delete that folder to download it again")
                && e.contains("npm/vega-datasets-3.2.1"),
            "{e}"
        );

        let files: &[(&str, &[u8])] =
            &[("usr/share/doc/seqlab-test/examples/SWISS100.dat", b"ID\n")];
        let apt = FetchSource::Apt {
            package: "seqlab-test".into(),
            version: None,
            member: "usr/share/doc/seqlab-test/examples/SWISS100.dat".into(),
            blake3: blake3_bytes(b"ID\n"),
        };
        let key = cache.join(apt.cache_key().unwrap());
        std::fs::create_dir_all(&key).unwrap();
        match build_deb(&key, "xz", files) {
            Some(_) => assert_eq!(
                std::fs::read(fetch(&apt, &dest, &cache).unwrap()).unwrap(),
                b"ID\n"
            ),
            None => eprintln!("NOTE: dpkg-deb not installed: skipping the cached .deb case"),
        }
        assert_eq!(
            listing(&dest).len(),
            if key.join("seqlab-test-xz.deb").exists() {
                3
            } else {
                2
            }
        );
    }

    #[test]
    fn download_commands_per_registry() {
        let dir = Path::new("/cache/tmp");
        let apt = FetchSource::Apt {
            package: "hmmer-examples".into(),
            version: Some("3.3.2+dfsg-1".into()),
            member: "x".into(),
            blake3: blake3_bytes(b""),
        };
        let c = download_commands(&apt, dir);
        assert_eq!(
            c[0].line(),
            "(cd /cache/tmp && apt-get download hmmer-examples=3.3.2+dfsg-1)"
        );
        let local = FetchSource::Local {
            path: "x".into(),
            blake3: blake3_bytes(b""),
            instructions: String::new(),
        };
        assert!(download_commands(&local, dir).is_empty());
    }
}
