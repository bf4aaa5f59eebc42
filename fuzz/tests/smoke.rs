//! The fuzzers' smoke run, part of `cargo test --workspace`: one minute of
//! differential fuzzing of the VM, then 3 s of each decoder target, through
//! the `orac-fuzz` binary long runs use (`cargo run --release -p orac-fuzz
//! -- --seconds N`; fuzz/README.md).
//!
//! It runs here rather than as `cargo run -p orac-fuzz` after the tests:
//! cargo builds the binary in the tests' own build, with the features that
//! build unifies, instead of a second copy of most of the workspace under
//! orac-fuzz's features alone. One test, so the two runs do not share the
//! cores. The binary's output (executions, slowest input, findings) goes
//! straight to the terminal.

use std::process::Command;

/// Runs `orac-fuzz ARGS`; it exits non-zero when it finds something.
fn fuzz(args: &[&str]) {
    let status = Command::new(env!("CARGO_BIN_EXE_orac-fuzz"))
        .args(args)
        .status()
        .expect("start orac-fuzz");
    assert!(
        status.success(),
        "orac-fuzz {args:?} failed ({status}); its output above says what it found"
    );
}

#[test]
fn the_vm_and_every_decoder_survive_a_smoke_run() {
    fuzz(&["--seconds", "60"]);
    // Findings are kept where they can be read after the run.
    let findings = std::env::temp_dir().join("orac-fuzz-findings");
    let findings = findings.to_str().expect("a UTF-8 temporary directory");
    fuzz(&[
        "--target",
        "decoders",
        "--seconds",
        "3",
        "--findings-dir",
        findings,
    ]);
}
