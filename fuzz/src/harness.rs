//! The loop every decoder target runs in: draw an input (a seed, usually
//! mutated), run it under `catch_unwind` with a clock, and keep what
//! breaks a property — a panic anywhere (also on another thread, such as
//! a tokio worker), a property the target checks, an input slower than
//! the target's bound — as a finding: written to
//! `fuzz-findings/<target>-<n>.hex`, printed once per distinct message,
//! counted every time.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use orac_bench::vmkit::Rng;

/// A decoder under test.
pub(crate) trait Target {
    /// The next input: a seed, mutated or generated.
    fn input(&mut self, rng: &mut Rng) -> Vec<u8>;
    /// Runs `input` and checks the target's properties.
    fn run(&mut self, input: &[u8]) -> Result<(), String>;
    /// Figures for the summary line (accepted, refused, non-canonical…).
    fn stats(&self) -> String {
        String::new()
    }
    /// An input that takes longer than this is a finding.
    fn slow(&self) -> Duration {
        Duration::from_millis(250)
    }
}

/// The last panic seen on any thread, with its location.
static PANIC: Mutex<Option<String>> = Mutex::new(None);
static HOOK: Once = Once::new();

/// Records panics instead of printing them: a fuzz run provokes many, and
/// each becomes one line of the summary.
pub(crate) fn quiet_panics() {
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            let at = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            if let Ok(mut p) = PANIC.lock() {
                *p = Some(format!("panic: {msg}{at}"));
            }
        }));
    });
}

fn take_panic() -> Option<String> {
    PANIC.lock().ok().and_then(|mut p| p.take())
}

/// Runs one input; `Err` is the finding's message.
pub(crate) fn check(target: &mut dyn Target, input: &[u8]) -> Result<(), String> {
    quiet_panics();
    take_panic();
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| target.run(input)));
    let panicked = take_panic();
    match (result, panicked) {
        (Ok(Ok(())), None) => Ok(()),
        (Ok(Ok(())), Some(p)) => Err(format!("{p} (on another thread)")),
        (Ok(Err(e)), _) => Err(e),
        (Err(_), p) => Err(p.unwrap_or_else(|| "panic".into())),
    }
}

pub(crate) struct Limits {
    pub execs: Option<u64>,
    pub seconds: Option<u64>,
    /// Where findings and the slowest input are written (none: nowhere).
    pub findings_dir: Option<PathBuf>,
    /// Write each input to `fuzz-current-<target>.bin` before running it,
    /// so an input that kills the process (a stack overflow, an abort) is
    /// on disk afterwards. Slow; for reproducing a crash of a seeded run.
    pub save_each: bool,
}

#[derive(Default)]
pub(crate) struct Summary {
    pub execs: u64,
    pub seconds: f64,
    pub slowest: Duration,
    pub slowest_len: usize,
    /// Distinct finding messages and how often each was hit.
    pub findings: BTreeMap<String, u64>,
    /// Hits of findings already known and still open
    /// ([`crate::targets::KNOWN`]): reported, but not new.
    pub known: BTreeMap<String, u64>,
}

fn finding_key(msg: &str) -> String {
    // Messages carry values (lengths, addresses); the first 100
    // characters of the first line tell kinds apart well enough.
    let line = msg.lines().next().unwrap_or("");
    line.chars().take(100).collect()
}

fn save(dir: Option<&Path>, file: &str, input: &[u8]) -> Option<PathBuf> {
    let dir = dir?;
    let _ = std::fs::create_dir_all(dir);
    let path = dir.join(file);
    std::fs::write(&path, hex::encode(input)).ok()?;
    Some(path)
}

/// Fuzzes `target`, which [`crate::targets::make`] made by `name`.
pub(crate) fn fuzz(name: &str, target: &mut dyn Target, rng: &mut Rng, limits: &Limits) -> Summary {
    let start = Instant::now();
    let deadline = limits.seconds.map(|s| start + Duration::from_secs(s));
    let mut s = Summary::default();
    let mut last_report = Instant::now();
    let dir = limits.findings_dir.as_deref();
    loop {
        if limits.execs.is_some_and(|n| s.execs >= n)
            || deadline.is_some_and(|d| Instant::now() >= d)
        {
            break;
        }
        let input = target.input(rng);
        if limits.save_each {
            let _ = std::fs::write(format!("fuzz-current-{name}.bin"), &input);
        }
        let t0 = Instant::now();
        let result = check(target, &input);
        let took = t0.elapsed();
        s.execs += 1;
        if took > s.slowest {
            s.slowest = took;
            s.slowest_len = input.len();
            save(dir, &format!("{name}-slowest.hex"), &input);
        }
        let result = result.and_then(|()| {
            if took > target.slow() {
                Err(format!(
                    "slow input: {took:?}, bound {:?} ({} bytes)",
                    target.slow(),
                    input.len()
                ))
            } else {
                Ok(())
            }
        });
        if let Err(msg) = result {
            let key = finding_key(&msg);
            if let Some(known) = crate::targets::known(name, &msg) {
                let count = s.known.entry(key).or_insert(0);
                *count += 1;
                if *count == 1 {
                    eprintln!("[{name}] known finding (open, see {}): {msg}", known.test);
                }
                continue;
            }
            let count = s.findings.entry(key).or_insert(0);
            *count += 1;
            if *count == 1 {
                let n = s.findings.len();
                let path = save(dir, &format!("{name}-{n}.hex"), &input)
                    .map_or_else(|| "not saved".into(), |p| p.display().to_string());
                eprintln!(
                    "[{name}] FINDING #{n}: {msg}\n  input ({} bytes, hex): {path}",
                    input.len()
                );
                if input.len() <= 1024 {
                    eprintln!("  {}", hex::encode(&input));
                }
            }
        }
        if last_report.elapsed() > Duration::from_secs(30) {
            println!(
                "[{name}] {} execs, {:.0}/s, {} findings; {}",
                s.execs,
                s.execs as f64 / start.elapsed().as_secs_f64(),
                s.findings.len(),
                target.stats()
            );
            last_report = Instant::now();
        }
    }
    s.seconds = start.elapsed().as_secs_f64();
    println!(
        "[{name}] done: {} execs in {:.1} s ({:.0}/s); slowest input {:.3} ms ({} bytes); {} distinct findings, {} known; {}",
        s.execs,
        s.seconds,
        s.execs as f64 / s.seconds.max(1e-9),
        s.slowest.as_secs_f64() * 1e3,
        s.slowest_len,
        s.findings.len(),
        s.known.len(),
        target.stats()
    );
    for (msg, n) in &s.findings {
        println!("[{name}]   {n} x {msg}");
    }
    for (msg, n) in &s.known {
        println!("[{name}]   {n} x (known) {msg}");
    }
    s
}
