//! The adversarial VM benchmark: what an attacker's contracts cost in time
//! per gas, native stack per charged slot, and compile time and memory per
//! KB, against the reference loop in the same run (docs/gas.md, "What gas
//! bounds"; bench/README.md, "Adversarial shapes").
//!
//! `cargo run --release -p orac-bench --bin vm-adversary [-- --help]`

use clap::Parser;
use orac_bench::adversary::{Runner, cold, compile, search, stack, time};
use orac_bench::vmkit::median;
use orac_vm::limits::BYTES_PER_SLOT;

#[global_allocator]
static ALLOC: compile::Counting = compile::Counting;

#[derive(Parser)]
#[command(about = "orac VM under attack: time per gas, stack per slot, compile cost per KB")]
struct Args {
    /// Sections to run, comma-separated: time, search, stack, compile, cold.
    #[arg(long, default_value = "time,search,stack,compile,cold")]
    sections: String,
    /// Gas per timed run.
    #[arg(long, default_value_t = 10_000_000)]
    gas: u64,
    /// Timed runs per shape (after a warm-up); medians are reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Only shapes whose name contains this.
    #[arg(long)]
    only: Option<String>,
    /// Loop bodies the time search measures.
    #[arg(long, default_value_t = 300)]
    evaluations: usize,
    /// Random frame shapes the stack section measures.
    #[arg(long, default_value_t = 200)]
    frames: usize,
    /// Random modules the compile search compiles.
    #[arg(long, default_value_t = 100)]
    modules: usize,
    /// Seed of the random searches.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() {
    let args = Args::parse();
    let want = |s: &str| args.sections.split(',').any(|x| x.trim() == s);
    println!(
        "orac VM adversarial benchmark (release build: {})",
        !cfg!(debug_assertions)
    );
    let runner = Runner::new();
    if want("time") || want("search") {
        orac_vm::on_execution_stack(|| timing(&args, &runner, want("time"), want("search")));
    }
    if want("stack") {
        stack_section(&args);
    }
    if want("compile") {
        compile_section(&args, &runner);
    }
    if want("cold") {
        orac_vm::on_execution_stack(|| cold_section(&args, &runner));
    }
}

fn cold_section(args: &Args, runner: &Runner) {
    let contracts = 300;
    println!(
        "\n== cold code: {contracts} distinct contracts called round robin from a fresh VM (every module loaded from the disk cache), against calls to one warm contract"
    );
    let reference = time::reference();
    let (r, _) = runner.measure(&reference, args.gas, args.runs);
    for functions in [1, 280] {
        let c = cold::run(contracts, functions);
        let ns = |us: f64| us * 1e3 / c.gas_per_call as f64;
        println!(
            "  {:.1} KB each, {} gas per call: cold {:.1} µs ({:.2} ns/gas, {:.2}x ref), warm {:.1} µs ({:.2} ns/gas); cold/warm {:.1}x",
            c.kb,
            c.gas_per_call,
            c.cold_us,
            ns(c.cold_us),
            ns(c.cold_us) / r,
            c.warm_us,
            ns(c.warm_us),
            c.cold_us / c.warm_us
        );
    }
}

fn timing(args: &Args, runner: &Runner, shapes: bool, search: bool) {
    let reference = time::reference();
    let mut refs = Vec::new();
    let reference_now = |refs: &mut Vec<f64>| {
        let (ns, _) = runner.measure(&reference, args.gas, args.runs);
        refs.push(ns);
        ns
    };
    let mut worst = (0.0f64, String::new());
    let mut all: Vec<(f64, String)> = Vec::new();
    if shapes {
        println!(
            "\n== time per gas ({} gas per run, median of {}; x ref = against the reference loop measured just before)",
            args.gas, args.runs
        );
        println!(
            "  {:<64} {:>10} {:>8} {:>12}  result",
            "shape", "ns/gas", "x ref", "gas"
        );
        for shape in time::shapes() {
            if args
                .only
                .as_ref()
                .is_some_and(|o| !shape.name.contains(o.as_str()))
            {
                continue;
            }
            let r = reference_now(&mut refs);
            let (ns, run) = runner.measure(&shape, args.gas, args.runs);
            let x = ns / r;
            println!(
                "  {:<64} {:>10.2} {:>8.2} {:>12}  {}",
                shape.name,
                ns,
                x,
                run.gas,
                run.result
                    .error
                    .as_ref()
                    .map_or("ok".into(), ToString::to_string)
            );
            if x > worst.0 {
                worst = (x, shape.name.clone());
            }
            all.push((x, shape.name.clone()));
        }
        all.sort_by(|a, b| b.0.total_cmp(&a.0));
        println!("\n  slowest per gas:");
        for (x, name) in all.iter().take(10) {
            println!("    {x:>6.2}x  {name}");
        }
    }
    if search {
        println!(
            "\n== search: {} random loop bodies, hill-climbed on ns/gas (seed {})",
            args.evaluations, args.seed
        );
        let found = search::search(runner, args.seed, args.evaluations, args.gas, args.runs);
        let r = reference_now(&mut refs);
        let (ns, _) = runner.measure(
            &orac_bench::adversary::Shape::new("found", found.body.module()),
            args.gas,
            args.runs,
        );
        println!(
            "  slowest body: {:.2} ns/gas = {:.2}x ref (during the search: {:.2}); {} pages; body:",
            ns,
            ns / r,
            found.ns_per_gas,
            found.body.pages
        );
        for s in &found.body.stmts {
            println!("    {s}");
        }
        if ns / r > worst.0 {
            worst = (ns / r, "search: slowest body".into());
        }
    }
    println!(
        "\n  reference: {:.3} ns/gas (median of {} measurements across the run)",
        median(&refs),
        refs.len()
    );
    println!("  WORST: {:.2}x ref: {}", worst.0, worst.1);
}

fn stack_section(args: &Args) {
    println!(
        "\n== native stack per charged slot ({} hand-written and {} random frame shapes; the counter assumes at most {BYTES_PER_SLOT} bytes per slot)",
        stack::frames().len(),
        args.frames
    );
    let measured = stack::run(args.frames, args.seed);
    println!(
        "  {:<72} {:>9} {:>12} {:>10}",
        "frame", "slots", "bytes/frame", "bytes/slot"
    );
    for m in measured.iter().take(12) {
        println!(
            "  {:<72} {:>9} {:>12.0} {:>10.2}",
            m.name,
            m.charged_slots,
            m.bytes,
            m.bytes_per_slot()
        );
    }
    if let Some(w) = measured.first() {
        println!(
            "  WORST: {:.2} bytes per slot ({}), bound {BYTES_PER_SLOT}: {}",
            w.bytes_per_slot(),
            w.name,
            if w.bytes_per_slot() <= BYTES_PER_SLOT as f64 {
                "holds"
            } else {
                "VIOLATED"
            }
        );
    }
}

fn compile_section(args: &Args, runner: &Runner) {
    println!(
        "\n== compile: validate + instrument + Winch + link (median of 3; peak heap of the compile)"
    );
    println!(
        "  {:<72} {:>7} {:>9} {:>8} {:>9} {:>8}",
        "module", "KB", "ms", "ms/KB", "peak MB", "MB/KB"
    );
    let mut worst_time = (0.0f64, String::new());
    let mut worst_mem = (0.0f64, String::new());
    let mut report = |c: compile::Compiled| {
        if let Some(e) = &c.error {
            println!("  {:<72} refused: {e}", c.name);
            return;
        }
        println!(
            "  {:<72} {:>7.1} {:>9.1} {:>8.2} {:>9.1} {:>8.2}",
            c.name,
            c.kb,
            c.ms,
            c.ms_per_kb(),
            c.peak_mb,
            c.mb_per_kb()
        );
        // Tiny modules are all fixed cost; per-KB figures mean little.
        if c.kb >= 4.0 {
            if c.ms_per_kb() > worst_time.0 {
                worst_time = (c.ms_per_kb(), c.name.clone());
            }
            if c.mb_per_kb() > worst_mem.0 {
                worst_mem = (c.mb_per_kb(), c.name.clone());
            }
        }
    };
    for (name, code) in compile::shapes() {
        if args
            .only
            .as_ref()
            .is_some_and(|o| !name.contains(o.as_str()))
        {
            continue;
        }
        report(compile::compile(&runner.vm, &name, &code, 3));
    }
    report(compile::search(&runner.vm, args.seed, args.modules));
    println!("  WORST time: {:.2} ms/KB ({})", worst_time.0, worst_time.1);
    println!("  WORST memory: {:.2} MB/KB ({})", worst_mem.0, worst_mem.1);
}
