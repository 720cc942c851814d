//! Opens a rendered page in headless Chromium: a screenshot, the DOM after
//! load, and the console errors. Used by the browser tests (here and in the
//! main repo) and for looking at a report by hand.
//!
//! Chromium runs with a fresh profile directory, no sandbox (tests run as
//! root in containers), no GPU and no background networking, under a time
//! limit after which its whole process group is killed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

/// Environment variable: set to `1` to skip browser tests when Chromium is
/// not installed.
pub const SKIP_ENV: &str = "SEQLAB_SKIP_BROWSER";
/// Environment variable: path of the Chromium binary to use (optional).
pub const CHROMIUM_ENV: &str = "SEQLAB_CHROMIUM";
/// How to install it (Debian).
pub const INSTALL_HINT: &str = "install it with `apt-get install -y chromium` \
     (or run ci-install-chromium.sh), or set SEQLAB_SKIP_BROWSER=1 to skip browser tests";

#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// None: [`find_chromium`]
    pub chromium: Option<PathBuf>,
    pub window: (u32, u32),
    /// per Chromium run (there are two: screenshot, then DOM dump)
    pub timeout: Duration,
    /// None: `shot.png` beside the page
    pub screenshot: Option<PathBuf>,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        BrowserOptions {
            chromium: None,
            window: (1280, 4000),
            timeout: Duration::from_secs(60),
            screenshot: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct BrowserCheck {
    pub chromium: PathBuf,
    /// e.g. "Chromium 147.0.7727.101 built on Debian GNU/Linux 12 (bookworm)"
    pub version: String,
    pub screenshot: PathBuf,
    pub screenshot_bytes: u64,
    /// (width, height) read from the PNG header
    pub screenshot_size: Option<(u32, u32)>,
    /// the DOM after load (`--dump-dom`)
    pub dom: String,
    /// console lines that report an error: uncaught exceptions, failed
    /// resource loads, anything logged at ERROR level
    pub console_errors: Vec<String>,
    /// every console line of the page, whatever its level. Chromium's
    /// stderr log prints console.log/warn/error all as `INFO:CONSOLE`, so a
    /// `console.error` call only shows up here; a page without scripts (the
    /// report) should have none.
    pub console_messages: Vec<String>,
    /// ids of the `<figure>`s in the DOM that contain an `<svg`
    pub figures_with_svg: Vec<String>,
    /// Chromium's stderr from both runs, for diagnostics
    pub log: String,
}

/// `$SEQLAB_CHROMIUM`, else the first of chromium, chromium-browser,
/// google-chrome-stable, google-chrome on PATH.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(CHROMIUM_ENV) {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Some(p);
        }
    }
    let path = std::env::var_os("PATH")?;
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome-stable",
        "google-chrome",
    ] {
        for dir in std::env::split_paths(&path) {
            let cand = dir.join(name);
            if is_executable(&cand) {
                return Some(cand);
            }
        }
    }
    None
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// For tests: Ok(Some(path)) when Chromium is there; Ok(None) (after
/// printing a skip line) when it is not and `SEQLAB_SKIP_BROWSER=1`; an
/// error saying how to install it otherwise.
pub fn require_chromium() -> anyhow::Result<Option<PathBuf>> {
    if let Some(p) = find_chromium() {
        return Ok(Some(p));
    }
    if std::env::var(SKIP_ENV).map(|v| v == "1").unwrap_or(false) {
        println!("skipped: chromium not found on PATH and {SKIP_ENV}=1");
        return Ok(None);
    }
    bail!("chromium (or chromium-browser) not found on PATH: {INSTALL_HINT}")
}

/// Screenshot, DOM dump and console check of `html_path` with default options
/// (1280x4000 window, 60 s limit per run, screenshot `shot.png` beside the page).
pub fn check_in_browser(html_path: &Path) -> anyhow::Result<BrowserCheck> {
    check_in_browser_with(html_path, &BrowserOptions::default())
}

pub fn check_in_browser_with(
    html_path: &Path,
    opts: &BrowserOptions,
) -> anyhow::Result<BrowserCheck> {
    let chromium = match &opts.chromium {
        Some(p) => p.clone(),
        None => find_chromium()
            .with_context(|| format!("chromium not found on PATH: {INSTALL_HINT}"))?,
    };
    let page = html_path
        .canonicalize()
        .with_context(|| format!("no page at {}", html_path.display()))?;
    let url = file_url(&page);
    let shot = opts
        .screenshot
        .clone()
        .unwrap_or_else(|| page.with_file_name("shot.png"));
    let _ = std::fs::remove_file(&shot);
    let version = run_chromium(&chromium, &["--version".to_string()], opts.timeout)
        .map(|o| o.stdout.trim().to_string())
        .unwrap_or_default();

    let mut log = String::new();
    // 1. screenshot
    let o = run_chromium(
        &chromium,
        &[
            format!("--screenshot={}", shot.display()),
            format!("--window-size={},{}", opts.window.0, opts.window.1),
            "--hide-scrollbars".into(),
            "--enable-logging=stderr".into(),
            "--v=0".into(),
            url.clone(),
        ],
        opts.timeout,
    )
    .context("chromium --screenshot")?;
    log.push_str(&o.stderr);
    let meta = std::fs::metadata(&shot).with_context(|| {
        format!(
            "chromium wrote no screenshot at {} (exit {:?}); stderr:\n{}",
            shot.display(),
            o.status,
            o.stderr
        )
    })?;
    let head = std::fs::read(&shot)?;
    let screenshot_size = png_size(&head);

    // 2. DOM after load, with console logging
    let o = run_chromium(
        &chromium,
        &[
            "--dump-dom".into(),
            format!("--window-size={},{}", opts.window.0, opts.window.1),
            "--enable-logging=stderr".into(),
            "--v=0".into(),
            url,
        ],
        opts.timeout,
    )
    .context("chromium --dump-dom")?;
    log.push('\n');
    log.push_str(&o.stderr);
    if o.stdout.trim().is_empty() {
        bail!(
            "chromium --dump-dom printed nothing (exit {:?}); stderr:\n{}",
            o.status,
            o.stderr
        );
    }
    let console_errors = console_errors(&log);
    let console_messages = log
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(|l| l.trim().to_string())
        .collect();
    let figures_with_svg = figures_with_svg(&o.stdout);
    Ok(BrowserCheck {
        chromium,
        version,
        screenshot: shot,
        screenshot_bytes: meta.len(),
        screenshot_size,
        dom: o.stdout,
        console_errors,
        console_messages,
        figures_with_svg,
        log,
    })
}

/// Prints `html_path` to `pdf` as Chromium's "print to PDF" does (its
/// default paper, `<details>` closed, no header or footer) and returns the
/// number of pages.
pub fn print_to_pdf(html_path: &Path, pdf: &Path, timeout: Duration) -> anyhow::Result<usize> {
    let chromium =
        find_chromium().with_context(|| format!("chromium not found on PATH: {INSTALL_HINT}"))?;
    let page = html_path
        .canonicalize()
        .with_context(|| format!("no page at {}", html_path.display()))?;
    let _ = std::fs::remove_file(pdf);
    let o = run_chromium(
        &chromium,
        &[
            "--no-pdf-header-footer".into(),
            format!("--print-to-pdf={}", pdf.display()),
            file_url(&page),
        ],
        timeout,
    )
    .context("chromium --print-to-pdf")?;
    let bytes = std::fs::read(pdf).with_context(|| {
        format!(
            "chromium wrote no pdf at {} (exit {:?}); stderr:\n{}",
            pdf.display(),
            o.status,
            o.stderr
        )
    })?;
    pdf_pages(pdf, &bytes)
}

/// The page count of a PDF: `pdfinfo` (poppler-utils) when installed, else
/// the page objects counted in the file (Chromium writes them uncompressed).
pub fn pdf_pages(path: &Path, bytes: &[u8]) -> anyhow::Result<usize> {
    if let Ok(o) = Command::new("pdfinfo").arg(path).output() {
        if o.status.success() {
            let text = String::from_utf8_lossy(&o.stdout);
            if let Some(n) = text
                .lines()
                .find_map(|l| l.strip_prefix("Pages:"))
                .and_then(|n| n.trim().parse().ok())
            {
                return Ok(n);
            }
        }
    }
    let text = String::from_utf8_lossy(bytes);
    let n = text
        .match_indices("/Type /Page")
        .filter(|(i, _)| !text[i + 11..].starts_with('s'))
        .count();
    anyhow::ensure!(n > 0, "no pages found in {}", path.display());
    Ok(n)
}

/// The lines of Chromium's log that report a page error.
pub fn console_errors(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| {
            let console = l.contains("CONSOLE");
            let lower = l.to_lowercase();
            (console && (l.contains("ERROR:CONSOLE") || l.contains("Uncaught")))
                || lower.contains("console error")
                || (console && lower.contains("failed to load resource"))
                || l.contains("Not allowed to load local resource")
        })
        .map(|l| l.trim().to_string())
        .collect()
}

/// Ids of the `<figure id="...">` elements in `html` whose content has an
/// `<svg`.
pub fn figures_with_svg(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<figure") {
        rest = &rest[i + 7..];
        let Some(tag_end) = rest.find('>') else { break };
        let tag = &rest[..tag_end];
        let body_end = rest.find("</figure>").unwrap_or(rest.len());
        let body = &rest[tag_end..body_end];
        if let Some(id) = attr(tag, "id") {
            if body.contains("<svg") {
                out.push(id);
            }
        }
        rest = &rest[body_end..];
    }
    out
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let pat = format!("{name}=\"");
    let i = tag.find(&pat)? + pat.len();
    let j = tag[i..].find('"')?;
    Some(tag[i..i + j].to_string())
}

/// (width, height) of a PNG from its IHDR chunk.
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&bytes[16..20]), be(&bytes[20..24])))
}

/// `file://` URL of an absolute path, percent-encoding what needs it.
pub fn file_url(p: &Path) -> String {
    let s = p.to_string_lossy();
    let mut out = String::from("file://");
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

struct Output {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(prefix: &str) -> anyhow::Result<Self> {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}-{n}", std::process::id()));
        std::fs::create_dir_all(&p)?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs Chromium with the standard headless flags plus `extra`, a fresh
/// profile, output captured to files (no pipe deadlock on a large DOM), and
/// kills its process group after `timeout`.
fn run_chromium(chromium: &Path, extra: &[String], timeout: Duration) -> anyhow::Result<Output> {
    let tmp = TempDir::new("seqlab-chromium")?;
    let profile = tmp.0.join("profile");
    std::fs::create_dir_all(&profile)?;
    let out_path = tmp.0.join("stdout");
    let err_path = tmp.0.join("stderr");
    let mut cmd = Command::new(chromium);
    if extra.first().map(|a| a != "--version").unwrap_or(true) {
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            "--mute-audio",
        ]);
        cmd.arg(format!("--user-data-dir={}", profile.display()));
    }
    cmd.args(extra)
        .env("HOME", &tmp.0)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path)?)
        .stderr(std::fs::File::create(&err_path)?);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", chromium.display()))?;
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if start.elapsed() > timeout {
            kill_group(child.id());
            let _ = child.kill();
            let _ = child.wait();
            let err = std::fs::read_to_string(&err_path).unwrap_or_default();
            bail!(
                "chromium did not finish within {:.1} s (killed); stderr:\n{err}",
                timeout.as_secs_f64()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Ok(Output {
        status: status.code(),
        stdout: String::from_utf8_lossy(&std::fs::read(&out_path)?).into_owned(),
        stderr: String::from_utf8_lossy(&std::fs::read(&err_path)?).into_owned(),
    })
}

/// SIGKILL to the process group led by `pid` (Chromium's helpers included).
/// Only called while `pid` is still unreaped, so the id cannot have been
/// reused.
fn kill_group(pid: u32) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    #[cfg(not(unix))]
    let _ = pid;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_figures_and_console_lines() {
        let dom = r#"<figure id="fig-a"><svg></svg></figure><figure id="fig-b"><p>x</p></figure>"#;
        assert_eq!(figures_with_svg(dom), vec!["fig-a".to_string()]);
        let log =
            "[1:2:0101/000000.1:INFO:CONSOLE(3)] \"Uncaught Error: boom\", source: file:///x (3)\n\
                   [1:2:0101/000000.1:INFO:CONSOLE(4)] \"hello\", source: file:///x (4)";
        assert_eq!(console_errors(log).len(), 1);
        assert_eq!(file_url(Path::new("/a b/c.html")), "file:///a%20b/c.html");
        assert_eq!(
            png_size(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x05\0\0\0\x0f\xa0"),
            Some((1280, 4000))
        );
    }
}
