//! Opens the rendered fixture in headless Chromium. Fails when Chromium is
//! missing unless SEQLAB_SKIP_BROWSER=1.

use std::path::PathBuf;

use seqlab::report::sections::TITLES;
use seqlab::report::write;
use seqlab_test_support::browser::{check_in_browser, print_to_pdf, require_chromium};
use seqlab_test_support::fixtures::sample_input;

fn chromium_or_skip() -> Option<PathBuf> {
    match require_chromium() {
        Ok(p) => p,
        Err(e) => panic!("{e:#}"),
    }
}

#[test]
fn report_renders_in_chromium() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let rendered = write(&sample_input(), dir.path()).unwrap();
    let check = check_in_browser(&dir.path().join("index.html")).unwrap();
    println!("chromium: {} ({})", chromium.display(), check.version);

    // (a) a real screenshot of the requested size
    let png = std::fs::read(&check.screenshot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(check.screenshot_size, Some((1280, 4000)));
    assert!(
        check.screenshot_bytes > 100_000,
        "screenshot only {} bytes: blank page?",
        check.screenshot_bytes
    );
    let keep = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("report-screenshot.png");
    std::fs::create_dir_all(keep.parent().unwrap()).unwrap();
    std::fs::copy(&check.screenshot, &keep).unwrap();
    println!("screenshot: {}", keep.display());

    // (b) no console errors; the page has no scripts, so no console output
    // at all
    assert!(
        check.console_errors.is_empty(),
        "console errors: {:#?}",
        check.console_errors
    );
    assert!(
        check.console_messages.is_empty(),
        "console messages: {:#?}",
        check.console_messages
    );

    // every figure is in the DOM with its svg; sections too
    assert!(!rendered.figures.is_empty());
    for id in &rendered.figures {
        assert!(
            check.figures_with_svg.contains(id),
            "figure {id} missing from the DOM or without svg"
        );
    }
    assert_eq!(check.figures_with_svg.len(), rendered.figures.len());
    for t in TITLES {
        assert!(
            check.dom.contains(&t.replace('\'', "&#39;")) || check.dom.contains(t),
            "section {t} not in DOM"
        );
    }
    // the parser saw real svg elements (not escaped text)
    assert!(check.dom.matches("<svg").count() >= rendered.figures.len());
    assert!(!check.dom.contains("&lt;svg"));
}

/// Issue 14's acceptance: the report of the default study prints to at most
/// 25 pages with its details closed. The fixture has the default study's
/// size (five tasks, depths bracketing each minimum, two seeds, the length
/// axis, timing, explanations, real data); `tools/report-look.sh pages`
/// measures a real run's page the same way.
#[test]
fn the_report_prints_to_at_most_25_pages() {
    let Some(_) = chromium_or_skip() else {
        return;
    };
    // kept under target/ for looking at by hand
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("report-fixture");
    let rendered = write(&sample_input(), &dir).unwrap();
    assert!(rendered.html.contains("<details>"));
    let pages = print_to_pdf(
        &dir.join("index.html"),
        &dir.join("index.pdf"),
        std::time::Duration::from_secs(120),
    )
    .unwrap();
    println!(
        "the fixture report prints to {pages} pages ({})",
        dir.display()
    );
    assert!(pages <= 25, "{pages} pages");
    // a report with every detail open prints much longer: the limit is not
    // met by printing nothing
    let open = rendered.html.replace("<details>", "<details open>");
    std::fs::write(dir.join("open.html"), open).unwrap();
    let all = print_to_pdf(
        &dir.join("open.html"),
        &dir.join("open.pdf"),
        std::time::Duration::from_secs(120),
    )
    .unwrap();
    println!("with every detail open: {all} pages");
    assert!(all > pages + 10, "{all} pages open vs {pages} closed");
}

#[test]
fn browser_check_reports_script_errors_and_missing_figures() {
    let Some(_) = chromium_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>bad</title></head><body>
<figure id="fig-ok"><svg width="10" height="10" xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg></figure>
<figure id="fig-empty"><p>no picture</p></figure>
<script>console.error("seqlab-console-boom"); throw new Error("seqlab-uncaught-boom");</script>
</body></html>"#,
    )
    .unwrap();
    let check = check_in_browser(&page).unwrap();
    assert_eq!(check.figures_with_svg, vec!["fig-ok".to_string()]);
    assert!(
        check
            .console_errors
            .iter()
            .any(|l| l.contains("seqlab-uncaught-boom")),
        "uncaught error not reported; log:\n{}",
        check.log
    );
    // console.error is logged at INFO level by Chromium: only a message
    assert!(
        check
            .console_messages
            .iter()
            .any(|l| l.contains("seqlab-console-boom")),
        "console.error not reported; log:\n{}",
        check.log
    );
    assert!(check.console_messages.len() >= 2);
}

#[cfg(unix)]
#[test]
fn a_hanging_browser_is_killed_at_the_time_limit() {
    use seqlab_test_support::browser::{check_in_browser_with, BrowserOptions};
    use std::os::unix::fs::PermissionsExt;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("fake-chromium");
    let marker = dir.path().join("still-running");
    // writes a marker after 2 s unless killed
    std::fs::write(
        &fake,
        format!("#!/bin/sh\nsleep 2\ntouch '{}'\n", marker.display()),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let page = dir.path().join("p.html");
    std::fs::write(&page, "<!DOCTYPE html><title>x</title>").unwrap();
    let opts = BrowserOptions {
        chromium: Some(fake),
        timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let t0 = Instant::now();
    let err = check_in_browser_with(&page, &opts).unwrap_err();
    assert!(
        format!("{err:#}").contains("did not finish within"),
        "{err:#}"
    );
    assert!(
        t0.elapsed() < Duration::from_millis(1900),
        "{:?}",
        t0.elapsed()
    );
    std::thread::sleep(Duration::from_secs(3));
    assert!(!marker.exists(), "the browser's children were not killed");
}
