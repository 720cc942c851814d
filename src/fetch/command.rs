//! The registry clients' command lines, built by pure functions, and the
//! one place that runs them.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::error::FetchError;

/// A command to run: program, arguments, working directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmd {
    pub program: String,
    pub args: Vec<String>,
    pub cwd: Option<PathBuf>,
}

impl Cmd {
    fn new(program: &str, args: &[&str]) -> Self {
        Cmd {
            program: program.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            cwd: None,
        }
    }

    /// The command as one shell-like line (for messages).
    pub fn line(&self) -> String {
        let mut s = self.program.clone();
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        if let Some(d) = &self.cwd {
            s = format!("(cd {} && {s})", d.display());
        }
        s
    }
}

/// `python -m pip download --no-deps --only-binary=:all: -d DIR pkg==ver
/// [--python-version V] [--platform P]`.
///
/// `--only-binary=:all:` makes pip take a wheel, never build an sdist. A
/// wheel with compiled code exists per interpreter and platform; giving
/// `python_version`/`platform` fixes which one is downloaded, whatever the
/// Python that runs this (pip requires `--only-binary=:all:` and
/// `--no-deps` with them, both given).
pub(crate) fn pip_download(
    python: &str,
    package: &str,
    version: &str,
    dir: &Path,
    python_version: Option<&str>,
    platform: Option<&str>,
) -> Cmd {
    let mut c = Cmd::new(
        python,
        &[
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-d",
        ],
    );
    c.args.push(dir.display().to_string());
    c.args.push(format!("{package}=={version}"));
    if let Some(v) = python_version {
        c.args
            .extend(["--python-version".to_string(), v.to_string()]);
    }
    if let Some(p) = platform {
        c.args.extend(["--platform".to_string(), p.to_string()]);
    }
    c
}

/// `apt-get download pkg[=ver]`, run in `dir` (apt-get writes the `.deb`
/// to the working directory).
pub(crate) fn apt_download(package: &str, version: Option<&str>, dir: &Path) -> Cmd {
    let spec = match version {
        Some(v) => format!("{package}={v}"),
        None => package.to_string(),
    };
    let mut c = Cmd::new("apt-get", &["download", &spec]);
    c.cwd = Some(dir.to_path_buf());
    c
}

/// `apt-get update`: refresh the package lists (only after a download
/// failed because the package or version was not found).
pub(crate) fn apt_update() -> Cmd {
    Cmd::new("apt-get", &["update"])
}

/// `npm pack pkg@ver --ignore-scripts`, run in `dir` (npm writes the
/// `.tgz` to the working directory).
pub(crate) fn npm_pack(package: &str, version: &str, dir: &Path) -> Cmd {
    let mut c = Cmd::new(
        "npm",
        &["pack", &format!("{package}@{version}"), "--ignore-scripts"],
    );
    c.cwd = Some(dir.to_path_buf());
    c
}

/// `dpkg-deb --fsys-tarfile X.deb`: the package's files as one tar stream.
pub(crate) fn dpkg_fsys_tarfile(deb: &Path) -> Cmd {
    Cmd::new("dpkg-deb", &["--fsys-tarfile", &deb.display().to_string()])
}

/// Whether an `apt-get download` failure means the package lists lack it.
pub(crate) fn apt_not_found(stderr: &str) -> bool {
    [
        "Unable to locate package",
        "was not found",
        "Can't select",
        "has no installation candidate",
    ]
    .iter()
    .any(|m| stderr.contains(m))
}

/// How to install a missing client.
pub(crate) fn install_hint(program: &str) -> String {
    match program {
        "apt-get" | "dpkg-deb" => "this needs a Debian-based system (apt-get install apt dpkg)".into(),
        "npm" => "install Node.js and npm (apt-get install npm)".into(),
        p if p.starts_with("python") => format!("install Python 3 with pip (apt-get install python3-pip), or set SEQLAB_PYTHON to another interpreter than `{p}`"),
        p => format!("install `{p}`"),
    }
}

/// Run `cmd`, capturing output; a missing program or a non-zero exit is an
/// error carrying the tail of stderr.
pub fn run(cmd: &Cmd) -> Result<std::process::Output, FetchError> {
    let mut c = Command::new(&cmd.program);
    c.args(&cmd.args).stdin(std::process::Stdio::null());
    if let Some(d) = &cmd.cwd {
        c.current_dir(d);
    }
    let out = c.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            FetchError::ToolMissing {
                program: cmd.program.clone(),
                hint: install_hint(&cmd.program),
            }
        } else {
            FetchError::io(&cmd.program, e)
        }
    })?;
    if !out.status.success() {
        return Err(failed(cmd, &out, ""));
    }
    Ok(out)
}

/// The error for a command that exited non-zero.
pub fn failed(cmd: &Cmd, out: &std::process::Output, hint: &str) -> FetchError {
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    let tail = lines[lines.len().saturating_sub(15)..].join("\n");
    FetchError::CommandFailed {
        command: cmd.line(),
        status: out.status.to_string(),
        stderr: tail,
        hint: if hint.is_empty() {
            "check the package name and version exist in the registry, and that the registry is reachable".into()
        } else {
            hint.into()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_command_line() {
        let c = pip_download(
            "python3",
            "scipy",
            "1.11.4",
            Path::new("/c/d"),
            Some("3.11"),
            Some("manylinux2014_x86_64"),
        );
        assert_eq!(
            c.line(),
            "python3 -m pip download --no-deps --only-binary=:all: --disable-pip-version-check -d /c/d scipy==1.11.4 --python-version 3.11 --platform manylinux2014_x86_64"
        );
        let c = pip_download(
            "python3",
            "bokeh-sampledata",
            "2026.1",
            Path::new("d"),
            None,
            None,
        );
        assert_eq!(c.args.last().unwrap(), "bokeh-sampledata==2026.1");
        assert!(c.cwd.is_none());
    }

    #[test]
    fn apt_and_npm_command_lines() {
        let c = apt_download("hmmer-examples", None, Path::new("/t"));
        assert_eq!(
            (c.program.as_str(), c.args.clone()),
            (
                "apt-get",
                vec!["download".to_string(), "hmmer-examples".into()]
            )
        );
        assert_eq!(c.cwd.as_deref(), Some(Path::new("/t")));
        assert_eq!(
            apt_download("libswiss-perl", Some("1.80-1"), Path::new("/t")).args[1],
            "libswiss-perl=1.80-1"
        );
        assert_eq!(apt_update().line(), "apt-get update");
        let c = npm_pack("vega-datasets", "3.2.1", Path::new("/n"));
        assert_eq!(
            c.line(),
            "(cd /n && npm pack vega-datasets@3.2.1 --ignore-scripts)"
        );
        assert_eq!(
            dpkg_fsys_tarfile(Path::new("a.deb")).line(),
            "dpkg-deb --fsys-tarfile a.deb"
        );
        assert!(apt_not_found("E: Unable to locate package nope"));
        assert!(apt_not_found("E: Version '9' for 'x' was not found"));
        assert!(!apt_not_found("E: Failed to fetch http://… 404"));
    }

    #[test]
    fn missing_program_is_reported_with_a_hint() {
        let c = Cmd::new("seqlab-no-such-program-xyz", &[]);
        let e = run(&c).unwrap_err();
        assert!(matches!(e, FetchError::ToolMissing { .. }), "{e}");
        let c = Cmd::new("sh", &["-c", "echo oops >&2; exit 3"]);
        let e = run(&c).unwrap_err().to_string();
        assert!(
            e.contains("`sh -c echo oops >&2; exit 3` failed") && e.contains("oops"),
            "{e}"
        );
    }
}
