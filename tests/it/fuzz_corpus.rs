//! Bad pipelines never panic, abort or hang (issue 15, item 9): a corpus of
//! 5,000 mutations of `pipelines/*.yaml` (deleted and duplicated lines, deep
//! nesting, huge matrices, odd keys and values, NUL and control bytes,
//! alias bombs, long `where` expressions, many stages, cross-wired
//! `needs`/`gather`, …) goes through `seqlab dag` (load, validate, plan).
//! Any exit by a panic (101), a signal (abort, stack overflow) or a run over
//! 10 s (of CPU time) fails the test, which names the case and keeps its
//! file.
//!
//! The corpus is generated from a fixed seed, so every run checks the same
//! files. `SEQLAB_FUZZ_CASES=N` runs another number of cases;
//! `SEQLAB_FUZZ_CORPUS_OUT=DIR` also writes every case to DIR (the seed
//! corpus of the `fuzz/` target).

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::common::BIN;
use crate::watchdog;

const BASES: [(&str, &str); 8] = [
    ("automata", include_str!("../../pipelines/automata.yaml")),
    (
        "automata-full",
        include_str!("../../pipelines/automata-full.yaml"),
    ),
    ("demo", include_str!("../../pipelines/demo.yaml")),
    ("ecg-raw", include_str!("../../pipelines/ecg-raw.yaml")),
    ("ecg", include_str!("../../pipelines/ecg.yaml")),
    ("proteins", include_str!("../../pipelines/proteins.yaml")),
    ("quick", include_str!("../../pipelines/quick.yaml")),
    ("stocks", include_str!("../../pipelines/stocks.yaml")),
];

/// The threshold for a hang, in CPU time (so that a machine busy
/// with other work does not count against a case); `WALL` is a backstop.
const HANG: Duration = Duration::from_secs(10);
const WALL: Duration = Duration::from_secs(120);
/// Address space per case: an allocation past it aborts the process, which
/// the test reports (instead of the machine swapping).
const MEMORY: u64 = 4 << 30;

/// xorshift64*, seeded per case.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const ODD_KEYS: &[&str] = &[
    "? [x, y]",
    "? {a: 1}",
    "<<",
    "''",
    "\"\"",
    "~",
    "null",
    "1",
    "-1.5",
    "true",
    "a b",
    "a.b",
    "../x",
    "\"a\\0b\"",
    "\"\\t\"",
    "√ü",
    "a-b",
    "a_b",
    "cmd",
    "kind",
    "needs",
    "matrix",
    "!!str tagged",
    "&anchor key",
    "*alias",
    "stages",
    "name",
    "params",
];

const ODD_VALUES: &[&str] = &[
    ".nan",
    ".inf",
    "-.inf",
    "-1",
    "0",
    "1e400",
    "-1e400",
    "99999999999999999999999",
    "-9223372036854775809",
    "18446744073709551616",
    "0x7fffffffffffffff",
    "''",
    "~",
    "[]",
    "{}",
    "[[]]",
    "[{}]",
    "{a: {b: {c: []}}}",
    "!!binary aGVsbG8=",
    "!custom x",
    "!!map {a: 1}",
    "*undefined",
    "&anchor x",
    "\"\\0\"",
    "\"a\\0b\"",
    "'../../../../etc/passwd'",
    "\"a/b\"",
    "/",
    ".",
    "..",
    "\"\\u202e\"",
    "true",
    "yes",
    "[sh, -c, 'exit 1']",
    "[\"\"]",
    "[1, 2, 3]",
    "[a, a, a]",
    "{x: 1, x: 2}",
    "? a",
    "- a",
    "|\n  block\n  text",
    ">-\n  folded",
    "\"unterminated",
    "'unterminated",
    "[unclosed",
    "{unclosed: 1",
    "%YAML 1.2",
    "---",
    "...",
    "@reserved",
    "`reserved",
];

const WHERE: &[&str] = &[
    "1/0 == 1",
    "x == 1",
    "\"a\" + 1 == 2",
    "model == model",
    "!",
    "((((",
    "))))",
    "a && || b",
    "str::regex_matches(\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\", \"(a+)+$\")",
    "math::pow(2, 1000000) > 1",
    "true; false",
    "x = 3",
];

fn deep(rng: &mut Rng) -> String {
    let depth = *rng.pick(&[40, 65, 129, 1_000, 10_000, 100_000]);
    match rng.below(4) {
        0 => format!("{}1{}", "[".repeat(depth), "]".repeat(depth)),
        1 => format!("{}1{}", "{a: ".repeat(depth), "}".repeat(depth)),
        2 => format!("\n{}{}x", " ".repeat(8), "- ".repeat(depth)),
        _ => {
            // Block mappings, indented one more space per level.
            let d = depth.min(3_000);
            let mut s = String::new();
            for i in 0..d {
                s.push('\n');
                s.push_str(&" ".repeat(8 + i));
                s.push_str("k:");
            }
            s.push_str(" 1");
            s
        }
    }
}

fn alias_bomb(rng: &mut Rng) -> String {
    let levels = 3 + rng.below(8);
    let mut s = String::from("\n      l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]");
    for i in 1..=levels {
        let refs: Vec<String> = (0..9).map(|_| format!("*l{}", i - 1)).collect();
        s.push_str(&format!("\n      l{i}: &l{i} [{}]", refs.join(", ")));
    }
    s
}

fn numbers(n: usize) -> String {
    (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

/// Stage names in a text (lines `  name:` right under `stages:`).
fn stage_names(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.trim_end().ends_with(':'))
        .map(|l| l.trim().trim_end_matches(':').to_string())
        .collect()
}

/// One mutation of `text`, as bytes (some mutations are not UTF-8).
fn mutate(rng: &mut Rng, text: Vec<u8>) -> Vec<u8> {
    let s = String::from_utf8_lossy(&text).into_owned();
    let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
    if lines.is_empty() {
        lines.push(String::new());
    }
    let n = lines.len();
    let names = stage_names(&lines);
    let any_name = |rng: &mut Rng| -> String {
        if names.is_empty() {
            "x".into()
        } else {
            rng.pick(&names).clone()
        }
    };
    // A line holding `key: value`, if any.
    let kv_line = |rng: &mut Rng| -> Option<usize> {
        let candidates: Vec<usize> = (0..n)
            .filter(|&i| {
                let l = lines[i].trim_start();
                !l.starts_with('#') && l.contains(": ")
            })
            .collect();
        (!candidates.is_empty()).then(|| *rng.pick(&candidates))
    };
    let stage_line = |rng: &mut Rng| -> Option<usize> {
        let c: Vec<usize> = (0..n)
            .filter(|&i| {
                lines[i].starts_with("  ")
                    && !lines[i].starts_with("   ")
                    && lines[i].trim_end().ends_with(':')
            })
            .collect();
        (!c.is_empty()).then(|| *rng.pick(&c))
    };
    match rng.below(20) {
        0 => {
            let at = rng.below(n);
            let len = 1 + rng.below(5);
            lines.drain(at..(at + len).min(n));
        }
        1 => {
            let at = rng.below(n);
            let len = 1 + rng.below(8);
            let block: Vec<String> = lines[at..(at + len).min(n)].to_vec();
            let to = rng.below(lines.len() + 1);
            let times = if rng.chance(10) {
                1 + rng.below(200)
            } else {
                1
            };
            for _ in 0..times {
                for (k, l) in block.iter().enumerate() {
                    lines.insert((to + k).min(lines.len()), l.clone());
                }
            }
        }
        2 => {
            let (a, b) = (rng.below(n), rng.below(n));
            lines.swap(a, b);
        }
        3 => {
            let at = rng.below(n);
            lines[at] = match rng.below(4) {
                0 => format!(" {}", lines[at]),
                1 => lines[at].trim_start().to_string(),
                2 => format!("\t{}", lines[at]),
                _ => format!("{}{}", " ".repeat(rng.below(40)), lines[at].trim_start()),
            };
        }
        4 => {
            if let Some(i) = kv_line(rng) {
                let key = lines[i].split(": ").next().unwrap().to_string();
                lines[i] = format!("{key}: {}", deep(rng));
            }
        }
        5 => {
            if let Some(i) = stage_line(rng) {
                let axes = 1 + rng.below(12);
                let values = *rng.pick(&[1, 2, 10, 20, 100, 1000, 100_000]);
                let m: Vec<String> = (0..axes)
                    .map(|k| format!("ax{k}: [{}]", numbers(values)))
                    .collect();
                lines.insert(i + 1, format!("    matrix: {{{}}}", m.join(", ")));
            }
        }
        6 => {
            if let Some(i) = kv_line(rng) {
                let indent: String = lines[i].chars().take_while(|c| *c == ' ').collect();
                let value = lines[i].split_once(": ").unwrap().1.to_string();
                let key = if rng.chance(5) {
                    "k".repeat(10_000)
                } else {
                    rng.pick(ODD_KEYS).to_string()
                };
                lines[i] = format!("{indent}{key}: {value}");
            }
        }
        7 => {
            if let Some(i) = kv_line(rng) {
                let key = lines[i].split(": ").next().unwrap().to_string();
                let value = if rng.chance(5) {
                    format!("\"{}\"", "v".repeat(100_000))
                } else {
                    rng.pick(ODD_VALUES).to_string()
                };
                lines[i] = format!("{key}: {value}");
            }
        }
        8 => {
            let mut bytes = lines.join("\n").into_bytes();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len() + 1);
                let b = *rng.pick(&[0u8, 1, 7, 8, 0x1b, 0x7f, 0x80, 0xc3, 0xff, 0xfe, b'\r']);
                bytes.insert(at, b);
            }
            return bytes;
        }
        9 => {
            if let Some(i) = (0..n).find(|&i| lines[i].trim_start().starts_with("params:")) {
                let indent: String = lines[i].chars().take_while(|c| *c == ' ').collect();
                lines[i] = format!("{indent}params:{}", alias_bomb(rng));
                if lines[i].contains("{") {
                    lines[i] = format!("{indent}params:{}", alias_bomb(rng));
                }
            }
        }
        10 => {
            let mut bytes = lines.join("\n").into_bytes();
            for _ in 0..1 + rng.below(10) {
                if !bytes.is_empty() {
                    let at = rng.below(bytes.len());
                    bytes[at] ^= 1 << rng.below(8);
                }
            }
            return bytes;
        }
        11 => {
            let mut bytes = lines.join("\n").into_bytes();
            bytes.truncate(rng.below(bytes.len() + 1));
            return bytes;
        }
        12 => {
            if let Some(i) = stage_line(rng) {
                let expr = match rng.below(5) {
                    0 => format!("{}1{} == 1", "(".repeat(100_000), ")".repeat(100_000)),
                    1 => format!("{}1 == 1", "1 + ".repeat(50_000)),
                    2 => format!("{}true", "!".repeat(100_000)),
                    3 => "x".repeat(200_000),
                    _ => rng.pick(WHERE).to_string(),
                };
                lines.insert(i + 1, format!("    where: '{}'", expr.replace('\'', "''")));
            }
        }
        13 => {
            if let Some(i) = stage_line(rng) {
                let field = if rng.chance(50) { "needs" } else { "gather" };
                let list: Vec<String> = match rng.below(5) {
                    0 => vec![lines[i].trim().trim_end_matches(':').to_string()],
                    1 => vec!["nope".into()],
                    2 => (0..20_000).map(|_| any_name(rng)).collect(),
                    3 => (0..20_000).map(|k| format!("missing{k}")).collect(),
                    _ => (0..1 + rng.below(4)).map(|_| any_name(rng)).collect(),
                };
                lines.insert(i + 1, format!("    {field}: [{}]", list.join(", ")));
            }
        }
        14 => {
            // Many stages: a chain, a fan of gathers, or copies of one.
            let count = *rng.pick(&[50, 500, 5_000, 9_999, 10_001, 30_000]);
            let style = rng.below(3);
            for k in 0..count {
                let extra = match style {
                    0 if k > 0 => format!(", needs: [g{}]", k - 1),
                    1 if k > 0 => format!(", gather: [g{}]", k / 2),
                    _ => String::new(),
                };
                lines.push(format!(
                    "  g{k}: {{kind: command, params: {{cmd: [true]}}{extra}}}"
                ));
            }
        }
        15 => {
            // Gathers whose edges multiply: n cells each gathering n instances.
            let c = *rng.pick(&[100, 1_000, 3_000, 50_000]);
            lines.push(format!(
                "  wide: {{kind: command, matrix: {{i: [{}]}}, params: {{cmd: [true]}}}}",
                numbers(c)
            ));
            lines.push(format!("  wider: {{kind: command, gather: [wide], matrix: {{j: [{}]}}, params: {{cmd: [true]}}}}", numbers(c)));
            lines.push(
                "  widest: {kind: command, needs: [wider], gather: [wide], params: {cmd: [true]}}"
                    .into(),
            );
        }
        16 => {
            // A large params value repeated in every cell.
            let v = *rng.pick(&[1_000, 100_000, 300_000]);
            let cells = *rng.pick(&[10, 1_000, 50_000]);
            lines.push(format!(
                "  heavy: {{kind: command, matrix: {{i: [{}]}}, params: {{cmd: [true], big: [{}]}}}}",
                numbers(cells),
                numbers(v)
            ));
        }
        17 => {
            // Many axes inherited down a chain.
            let axes = *rng.pick(&[10, 100, 1_000, 10_000]);
            let chain = *rng.pick(&[2, 100, 2_000]);
            let m: Vec<String> = (0..axes).map(|k| format!("a{k}: [1]")).collect();
            lines.push(format!(
                "  root: {{kind: command, matrix: {{{}}}, params: {{cmd: [true]}}}}",
                m.join(", ")
            ));
            for k in 0..chain {
                let up = if k == 0 {
                    "root".to_string()
                } else {
                    format!("c{}", k - 1)
                };
                lines.push(format!(
                    "  c{k}: {{kind: command, needs: [{up}], params: {{cmd: [true]}}}}"
                ));
            }
        }
        18 => {
            // Duplicate keys, and YAML directives and documents.
            let extra = rng.pick(&[
                "name: again",
                "stages: {}",
                "---\nname: second\nstages: {}",
                "%YAML 1.1\n---",
                "!!set {a, b}",
                "? complex\n: key",
                "<<: *nothing",
                "    params:\n      ? [x, y]\n      : z",
            ]);
            let at = rng.below(n + 1);
            lines.insert(at, extra.to_string());
        }
        _ => {
            // Overwrite a matrix axis or needs entry with junk.
            if let Some(i) =
                (0..n).find(|&i| lines[i].contains("matrix") || lines[i].contains("needs"))
            {
                let junk = rng.pick(&[
                    "[~]",
                    "[[1]]",
                    "[{a: 1}]",
                    "[]",
                    "{}",
                    "7",
                    "[\"../x\", \"/\", \"\\0\"]",
                ]);
                let key = lines[i].split(':').next().unwrap().to_string();
                lines[i] = format!("{key}: {junk}");
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out.into_bytes()
}

/// Case `i` of the corpus: a base pipeline with 1–3 mutations.
fn case(i: usize) -> (String, Vec<u8>) {
    let mut rng = Rng::new(0x5e91ab ^ (i as u64 + 1));
    let (base, text) = BASES[i % BASES.len()];
    let mut bytes = text.as_bytes().to_vec();
    let rounds = 1 + rng.below(3);
    for _ in 0..rounds {
        bytes = mutate(&mut rng, bytes);
    }
    (format!("{i:05}-{base}.yaml"), bytes)
}

enum Verdict {
    Fine,
    Bad(String),
}

/// Run `seqlab dag --format dot FILE` (load, validate, plan; output linear
/// in the plan) and judge the exit.
fn judge(file: &Path, cache: &Path) -> Verdict {
    let out = file.with_extension("out");
    let mut cmd = Command::new(BIN);
    cmd.arg("--cache")
        .arg(cache)
        .arg("-q")
        .args(["dag", "--format", "dot"])
        .arg(file)
        .current_dir(file.parent().unwrap())
        .env_remove("SEQLAB_LOG")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&out).unwrap());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: MEMORY,
                rlim_max: MEMORY,
            };
            libc::setrlimit(libc::RLIMIT_AS, &lim);
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let status = match watchdog::wait(&mut child, HANG, WALL) {
        watchdog::Ended::Exited(s) => s,
        watchdog::Ended::Hung { cpu, wall } => {
            return Verdict::Bad(format!("ran over {HANG:?} (cpu {cpu:?}, wall {wall:?})"))
        }
    };
    let stderr = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    let tail: String = stderr.chars().take(600).collect();
    if let Some(sig) = status.signal() {
        return Verdict::Bad(format!("killed by signal {sig}: {tail}"));
    }
    match status.code() {
        Some(0..=2) if !stderr.contains("panicked") => Verdict::Fine,
        Some(c) => Verdict::Bad(format!("exit {c}: {tail}")),
        None => Verdict::Bad("no exit code".into()),
    }
}

#[test]
fn mutated_pipelines_never_panic_abort_or_hang() {
    let cases: usize = std::env::var("SEQLAB_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let keep: Option<PathBuf> = std::env::var_os("SEQLAB_FUZZ_CORPUS_OUT").map(PathBuf::from);
    if let Some(k) = &keep {
        std::fs::create_dir_all(k).unwrap();
    }
    let work = tempfile::tempdir().unwrap();
    let failures_dir = std::env::temp_dir().join("seqlab-fuzz-failures");
    let next = AtomicUsize::new(0);
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..2 {
            let (next, failures, work, keep, failures_dir) =
                (&next, &failures, work.path(), &keep, &failures_dir);
            s.spawn(move || {
                let cache = work.join(format!("cache{t}"));
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= cases {
                        return;
                    }
                    let (name, bytes) = case(i);
                    let file = work.join(&name);
                    std::fs::write(&file, &bytes).unwrap();
                    if let Some(k) = keep {
                        std::fs::write(k.join(&name), &bytes).unwrap();
                    }
                    if let Verdict::Bad(why) = judge(&file, &cache) {
                        std::fs::create_dir_all(failures_dir).unwrap();
                        let kept = failures_dir.join(&name);
                        std::fs::write(&kept, &bytes).unwrap();
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("{name} ({}): {why}", kept.display()));
                    }
                    let _ = std::fs::remove_file(&file);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    eprintln!(
        "{cases} mutated pipelines in {:.1}s: {} failures",
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The generator is deterministic (a failure names a case that can be
/// regenerated) and produces what it claims: every case differs from its
/// base, and the kinds of damage show up.
#[test]
fn the_corpus_is_deterministic_and_varied() {
    assert_eq!(case(17).1, case(17).1);
    let sample: Vec<Vec<u8>> = (0..2000).map(|i| case(i).1).collect();
    let differs = sample
        .iter()
        .enumerate()
        .filter(|(i, b)| b.as_slice() != BASES[i % BASES.len()].1.as_bytes())
        .count();
    assert!(differs > 1900, "{differs}");
    let has = |pat: &[u8]| {
        sample
            .iter()
            .filter(|b| b.windows(pat.len()).any(|w| w == pat))
            .count()
    };
    assert!(has(b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[") > 3);
    assert!(has(b"*l0") > 3);
    assert!(has(b"\0") > 3);
    assert!(has(b"where: '((((") > 0);
    assert!(has(b"? [x, y]") > 0);
    assert!(sample.iter().any(|b| b.len() > 1_000_000));
}
