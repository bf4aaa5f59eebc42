//! `orac-fuzz`: differential fuzzing of the VM.
//!
//! Every generated module is validated (which must never panic, for
//! mutated modules too); each one the deploy rules accept is called with a
//! few inputs and gas limits in four ways:
//!
//! 1. on a fresh VM (compiled now, a fresh instance);
//! 2. again on the same VM (module warm, the instance reset and reused);
//! 3. on a second VM reading the module from the first one's disk cache
//!    (validation skipped, artifact mapped);
//! 4. in another process (`orac-fuzz --worker`, fed over a pipe).
//!
//! All four must give the same digest of result, gas, output, error, logs
//! and state changes. A mismatch or a panic stops the run, writes the
//! module to `fuzz-finding-<n>.wasm` and exits non-zero.
//!
//! `cargo run --release -p orac-fuzz -- --seconds 600` (README: "Fuzzing").
//!
//! `--target NAME` fuzzes one of the decoders of outside bytes instead
//! (fuzz/README.md): `tx`, `rpc-params`, `rpc`, `report`, `peer`,
//! `chain-spec`, `oracle-config`, `price`, or `decoders` for all of them
//! in turn; `--execs N` bounds each by executions, `--seconds` by time;
//! `--replay FILE` runs one saved input (hex) and says what it does.

mod generate;
mod harness;
mod mutate;
mod run;
mod targets;

#[cfg(test)]
mod regressions;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use orac_bench::vmkit::Rng;
use orac_primitives::H256;
use orac_vm::{Vm, VmConfig};

#[derive(Parser)]
#[command(about = "Differential fuzzing of the orac VM")]
struct Args {
    /// Stop after this many seconds (per target; 60 for the VM, and for a
    /// decoder target given no --execs).
    #[arg(long)]
    seconds: Option<u64>,
    /// Seed of the generator (a run is reproducible from it).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// What to fuzz: `vm` (the differential VM fuzz), a decoder target
    /// (`tx`, `rpc-params`, `rpc`, `report`, `peer`, `chain-spec`,
    /// `oracle-config`, `price`), or `decoders` for every decoder target.
    #[arg(long, default_value = "vm")]
    target: String,
    /// Stop each decoder target after this many executions.
    #[arg(long)]
    execs: Option<u64>,
    /// Run one saved input (a hex file, as findings are written) through
    /// the target and report what it does.
    #[arg(long)]
    replay: Option<std::path::PathBuf>,
    /// Where the decoder targets write findings and each one's slowest
    /// input (hex).
    #[arg(long, default_value = "fuzz-findings")]
    findings_dir: std::path::PathBuf,
    /// Write each input to fuzz-current-<target>.bin before running it
    /// (to catch an input that kills the process; slow).
    #[arg(long)]
    save_each: bool,
    /// Serve calls for another orac-fuzz process on stdin/stdout.
    #[arg(long, hide = true)]
    worker: bool,
}

/// Gas limits each accepted module is called with (twice each, with
/// different calldata): one that usually runs out, one that usually does
/// not.
const GAS: [u64; 2] = [50_000, 3_000_000];

fn main() {
    let args = Args::parse();
    if args.worker {
        orac_vm::on_execution_stack(worker);
        return;
    }
    let code = if args.target == "vm" {
        orac_vm::on_execution_stack(|| fuzz(&args))
    } else {
        decoders(&args)
    };
    std::process::exit(code);
}

/// Runs the decoder targets `--target` names; non-zero if any finding.
fn decoders(args: &Args) -> i32 {
    let names: Vec<&str> = if args.target == "decoders" {
        targets::NAMES.to_vec()
    } else if targets::NAMES.contains(&args.target.as_str()) {
        vec![args.target.as_str()]
    } else {
        eprintln!(
            "unknown target {:?}: vm, decoders, or one of {}",
            args.target,
            targets::NAMES.join(", ")
        );
        return 2;
    };
    let mut code = 0;
    for name in names {
        let Some(mut target) = targets::make(name, args.seed) else {
            continue;
        };
        if let Some(path) = &args.replay {
            let input = match std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|t| hex::decode(t.trim()).map_err(|e| e.to_string()))
            {
                Ok(i) => i,
                Err(e) => {
                    eprintln!("cannot read {}: {e}", path.display());
                    return 2;
                }
            };
            let t0 = Instant::now();
            let result = harness::check(target.as_mut(), &input);
            println!("[{name}] {:?} in {:?}", result, t0.elapsed());
            if result.is_err() {
                code = 1;
            }
            continue;
        }
        let limits = harness::Limits {
            execs: args.execs,
            seconds: args.seconds.or(args.execs.is_none().then_some(60)),
            findings_dir: Some(args.findings_dir.clone()),
            save_each: args.save_each,
        };
        let summary = harness::fuzz(name, target.as_mut(), &mut Rng(args.seed), &limits);
        if !summary.findings.is_empty() {
            code = 1;
        }
    }
    code
}

/// Framing on the pipe: u32 LE length, bytes.
fn send(w: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    w.write_all(&(bytes.len() as u32).to_le_bytes())?;
    w.write_all(bytes)
}

fn receive(r: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    let mut buf = vec![0u8; u32::from_le_bytes(len) as usize];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

/// The other process: reads (module, input, gas) and answers the digest,
/// on its own VM.
fn worker() {
    let vm = Vm::new(&VmConfig::default()).expect("engine");
    let (mut input, mut output) = (std::io::stdin().lock(), std::io::stdout().lock());
    while let (Ok(module), Ok(calldata), Ok(gas)) = (
        receive(&mut input),
        receive(&mut input),
        receive(&mut input),
    ) {
        let gas = u64::from_le_bytes(gas.try_into().unwrap_or([0; 8]));
        let digest = run::outcome(&vm, &run::state(&module), &calldata, gas);
        if send(&mut output, digest.as_bytes())
            .and_then(|_| output.flush())
            .is_err()
        {
            return;
        }
    }
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    fn start() -> Self {
        let mut child = Command::new(std::env::current_exe().expect("own path"))
            .arg("--worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the worker process");
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Self {
            child,
            stdin,
            stdout,
        }
    }

    fn outcome(&mut self, module: &[u8], input: &[u8], gas: u64) -> H256 {
        send(&mut self.stdin, module)
            .and_then(|_| send(&mut self.stdin, input))
            .and_then(|_| send(&mut self.stdin, &gas.to_le_bytes()))
            .and_then(|_| self.stdin.flush())
            .expect("write to the worker");
        let _ = self.stdout.fill_buf();
        H256::from_slice(&receive(&mut self.stdout).expect("the worker answers"))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Default)]
struct Counts {
    generated: u64,
    accepted: u64,
    refused: u64,
    validated_mutants: u64,
    executions: u64,
}

fn finding(n: u64, module: &[u8], why: &str) -> i32 {
    let path = format!("fuzz-finding-{n}.wasm");
    let _ = std::fs::write(&path, module);
    eprintln!("FINDING #{n}: {why}; module written to {path}");
    1
}

fn fuzz(args: &Args) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(args.seconds.unwrap_or(60));
    let mut rng = Rng(args.seed);
    let config = generate::config();
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = VmConfig {
        cache_dir: Some(dir.path().to_path_buf()),
        cache_bytes: 4 << 30,
    };
    let mut worker = Worker::start();
    // One VM that compiles and reuses, one that only ever loads from the
    // first one's disk cache (every module is new to it): engines are
    // created once, as on a node.
    let first = Vm::new(&disk).expect("engine");
    let second = Vm::new(&disk).expect("engine");
    let mut c = Counts::default();
    let mut last_report = Instant::now();
    while Instant::now() < deadline {
        c.generated += 1;
        let module = if c.generated % 4 == 0 {
            generate::hostile(&mut rng)
        } else {
            let bytes: Vec<u8> = (0..4096).map(|_| rng.next_u64() as u8).collect();
            match generate::smith(&config, &bytes) {
                Some(m) => m,
                None => continue,
            }
        };
        // The validator must never panic, on the module or mutants of it.
        for candidate in [generate::mutate(&module, &mut rng), module.clone()] {
            let validated =
                std::panic::catch_unwind(|| orac_vm::validate::validate(&candidate).is_ok());
            c.validated_mutants += 1;
            if validated.is_err() {
                return finding(c.generated, &candidate, "validate panicked");
            }
        }
        if let Err(e) = orac_vm::validate::validate(&module) {
            c.refused += 1;
            if std::env::var_os("ORAC_FUZZ_REFUSALS").is_some() {
                let why = e.to_string();
                eprintln!("refused: {}", why.split(" (at byte").next().unwrap_or(&why));
            }
            continue;
        }
        c.accepted += 1;
        // Four ways, same inputs.
        let base = run::state(&module);
        let inputs: Vec<(Vec<u8>, u64)> = GAS
            .iter()
            .chain(GAS.iter())
            .map(|g| {
                let len = rng.below(40) as usize;
                ((0..len).map(|_| rng.next_u64() as u8).collect(), *g)
            })
            .collect();
        let mut expected = Vec::new();
        for (input, gas) in &inputs {
            let fresh = run::outcome(&first, &base, input, *gas);
            let reused = run::outcome(&first, &base, input, *gas);
            c.executions += 2;
            if fresh != reused {
                return finding(c.generated, &module, "fresh and reused instances differ");
            }
            expected.push(fresh);
        }
        first.engine().persist(&[], |_| true);
        for ((input, gas), want) in inputs.iter().zip(&expected) {
            let cold = run::outcome(&second, &base, input, *gas);
            let other = worker.outcome(&module, input, *gas);
            c.executions += 2;
            if cold != *want {
                return finding(c.generated, &module, "a module loaded from disk differs");
            }
            if other != *want {
                return finding(c.generated, &module, "another process differs");
            }
        }
        if last_report.elapsed() > Duration::from_secs(30) {
            report(&c);
            last_report = Instant::now();
        }
    }
    report(&c);
    0
}

fn report(c: &Counts) {
    println!(
        "generated {} modules: {} accepted, {} refused; {} validations (with mutants); {} executions compared",
        c.generated, c.accepted, c.refused, c.validated_mutants, c.executions
    );
}
