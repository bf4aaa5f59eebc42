//! Building an orac contract crate into what a chain deploys.
//!
//! 1. Compile the crate for `wasm32-unknown-unknown` in release with the
//!    contract profile (opt-level "z", LTO, one codegen unit, abort on
//!    panic, no debug info), using rustup's wasm32 target when it is (or can
//!    be) installed, otherwise Debian's packaged Rust building `core` and
//!    `alloc` from source — and say which.
//! 2. Collect the ABI JSON the SDK's macros embedded in `orac.abi` custom
//!    sections, and strip every custom section from the module.
//! 3. Check the module with the node's own deploy rules (same code, same
//!    messages).
//! 4. Write `<name>.wasm`, `<name>.bin` (hex of the deploy envelope: what
//!    ethers' `ContractFactory` and `cast send --create` take) and
//!    `<name>.abi.json`.
//!
//! [`scaffold`] writes new contract crates (`orac new`).
//!
//! Same input, same bytes: paths are remapped out of the binary, custom
//! sections (producers, names) are dropped, and no machine-dependent
//! optimiser runs after rustc.

use std::path::{Path, PathBuf};
use std::process::Command;

/// New contract crates with the SDK vendored in (`orac new`).
pub mod scaffold;

use orac_vm::limits::{MAX_MEMORY_PAGES, SMALL_MEMORY_PAGES};
use serde_json::Value;

/// What contracts are compiled for.
pub const TARGET: &str = "wasm32-unknown-unknown";
/// The contract's stack, at the bottom of its linear memory (see `build`).
pub const STACK_BYTES: u32 = 64 * 1024;

/// Why a contract did not build.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The directory given is not a crate.
    #[error("{0} has no Cargo.toml")]
    NotACrate(PathBuf),
    /// A file could not be read or written.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Neither rustup's wasm32 target nor Debian's Rust is there.
    #[error(
        "no toolchain can build for {TARGET}: `rustup target add {TARGET}` failed and Debian's \
         packaged Rust is not installed (apt-get install rustc-web cargo-web rust-web-src lld)"
    )]
    NoToolchain,
    /// cargo failed (for the named package); it printed why.
    #[error("cargo failed building {0} (its errors are above)")]
    Cargo(String),
    /// rustc's output did not parse as WebAssembly.
    #[error("the built module is not valid WebAssembly: {0}")]
    Wasm(String),
    /// The node's deploy checks refuse the module.
    #[error("the module would not deploy: {0}")]
    Deploy(#[from] orac_vm::DeployError),
    /// An `orac.abi` section the SDK's macros embedded is not valid JSON.
    #[error("bad ABI data in the module: {0}")]
    Abi(String),
    /// The crate's Cargo.toml is not what a contract needs.
    #[error("bad Cargo.toml: {0}")]
    Manifest(String),
}

/// Which compiler built the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Toolchain {
    /// rustup's toolchain with its prebuilt wasm32 standard library.
    Rustup,
    /// Debian's rustc, building `core` and `alloc` for wasm32 itself.
    Debian,
}

impl std::fmt::Display for Toolchain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Toolchain::Rustup => write!(f, "rustup's {TARGET} target"),
            Toolchain::Debian => write!(f, "Debian's rustc-web with -Zbuild-std"),
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BuildError + '_ {
    move |source| BuildError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Finds a toolchain that builds wasm32, installing rustup's target if it
/// is missing and can be downloaded.
pub fn toolchain() -> Result<Toolchain, BuildError> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == TARGET)
        })
        .unwrap_or(false);
    if installed {
        return Ok(Toolchain::Rustup);
    }
    let added = Command::new("timeout")
        .args(["300", "rustup", "target", "add", TARGET])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if added {
        return Ok(Toolchain::Rustup);
    }
    let debian = Path::new("/usr/bin/rustc").exists()
        && Path::new("/usr/bin/cargo").exists()
        && Command::new("wasm-ld").arg("--version").output().is_ok();
    if debian {
        return Ok(Toolchain::Debian);
    }
    Err(BuildError::NoToolchain)
}

/// What a build produced.
#[derive(Clone, Debug)]
pub struct Artifact {
    /// The package name: the output files' stem.
    pub name: String,
    /// The deployable module (custom sections stripped).
    pub wasm: Vec<u8>,
    /// The ABI JSON (an array of entries, as ethers, viem and web3.py load).
    pub abi: Value,
    /// Which toolchain compiled it.
    pub toolchain: Toolchain,
}

impl Artifact {
    /// Hex of the deploy envelope: the "bytecode" tools take.
    pub fn bytecode_hex(&self) -> String {
        format!("0x{}", hex::encode(orac_vm::envelope::wrap(&self.wasm)))
    }

    /// Writes `<name>.wasm`, `<name>.bin` and `<name>.abi.json` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<[PathBuf; 3], BuildError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let wasm = dir.join(format!("{}.wasm", self.name));
        let bin = dir.join(format!("{}.bin", self.name));
        let abi = dir.join(format!("{}.abi.json", self.name));
        std::fs::write(&wasm, &self.wasm).map_err(io(&wasm))?;
        std::fs::write(&bin, self.bytecode_hex() + "\n").map_err(io(&bin))?;
        let text = serde_json::to_string_pretty(&self.abi).unwrap_or_default() + "\n";
        std::fs::write(&abi, text).map_err(io(&abi))?;
        Ok([wasm, bin, abi])
    }
}

/// What `orac build` reads from the contract's Cargo.toml.
struct Manifest {
    /// The package name (as cargo names the output).
    name: String,
    /// `[package.metadata.orac] max-memory-pages`: the most 64 KiB pages
    /// the contract's memory may grow to. Loads cost less in a memory that
    /// cannot pass `SMALL_MEMORY_PAGES` (docs/gas.md, "Memory"), so that is
    /// the default; a contract that needs more says so, up to
    /// `MAX_MEMORY_PAGES`.
    max_memory_pages: u64,
}

fn manifest(dir: &Path) -> Result<Manifest, BuildError> {
    let path = dir.join("Cargo.toml");
    let text =
        std::fs::read_to_string(&path).map_err(|_| BuildError::NotACrate(dir.to_path_buf()))?;
    let doc: toml::Table = text
        .parse()
        .map_err(|e| BuildError::Manifest(format!("{}: {e}", path.display())))?;
    let package = doc
        .get("package")
        .and_then(|p| p.as_table())
        .ok_or_else(|| BuildError::NotACrate(dir.to_path_buf()))?;
    let name = package
        .get("name")
        .and_then(|n| n.as_str())
        .ok_or_else(|| BuildError::NotACrate(dir.to_path_buf()))?
        .to_string();
    let pages = package
        .get("metadata")
        .and_then(|m| m.get("orac"))
        .and_then(|o| o.get("max-memory-pages"));
    let max_memory_pages = match pages {
        None => SMALL_MEMORY_PAGES,
        Some(v) => match v.as_integer() {
            Some(n) if n >= 2 && n as u64 <= MAX_MEMORY_PAGES => n as u64,
            _ => {
                return Err(BuildError::Manifest(format!(
                    "{}: [package.metadata.orac] max-memory-pages must be an integer from 2 to \
                     {MAX_MEMORY_PAGES} (pages of 64 KiB)",
                    path.display()
                )));
            }
        },
    };
    Ok(Manifest {
        name,
        max_memory_pages,
    })
}

/// The target directory for every contract a test process builds:
/// `contracts/` in the cargo target directory the running executable was
/// built into (`…/target/debug/deps/on_the_vm-HASH` gives
/// `…/target/contracts`). Contracts built into one directory compile the
/// SDK and its dependencies for wasm32 once, not once per contract crate.
/// `None` when the executable does not sit in a cargo target directory.
pub fn test_target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let deps = exe.parent()?;
    if deps.file_name()? != "deps" {
        return None;
    }
    Some(deps.parent()?.parent()?.join("contracts"))
}

/// Builds the contract crate at `dir`, into `target_dir` (default
/// `dir/target/orac`).
pub fn build(dir: &Path, target_dir: Option<&Path>) -> Result<Artifact, BuildError> {
    let dir = dir.canonicalize().map_err(io(dir))?;
    let Manifest {
        name,
        max_memory_pages,
    } = manifest(&dir)?;
    let toolchain = toolchain()?;
    let target_dir = target_dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.join("target").join("orac"));
    // Keep machine paths out of the module (panic locations embed them).
    // The contract's own directory matters only to its own crate; the
    // cargo home and the SDK's directory to its dependencies too.
    let contract_remap = format!("--remap-path-prefix={}=/contract", dir.display());
    let mut shared_remaps = Vec::new();
    if let Some(home) = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
    {
        shared_remaps.push(format!("--remap-path-prefix={}=/cargo", home.display()));
    }
    if let Some(sdk) = Path::new(env!("CARGO_MANIFEST_DIR")).parent() {
        shared_remaps.push(format!(
            "--remap-path-prefix={}=/orac-contracts",
            sdk.display()
        ));
    }
    let profile = [
        "profile.release.opt-level=\"z\"",
        "profile.release.lto=true",
        "profile.release.codegen-units=1",
        "profile.release.panic=\"abort\"",
        "profile.release.debug=0",
        "profile.release.strip=true",
        "profile.release.incremental=false",
    ];
    let (mut cmd, mut rustflags) = match toolchain {
        Toolchain::Rustup => (Command::new("cargo"), Vec::new()),
        Toolchain::Debian => {
            let mut c = Command::new("/usr/bin/cargo");
            c.env("RUSTC", "/usr/bin/rustc").env("RUSTC_BOOTSTRAP", "1");
            (c, vec!["-C".to_string(), "linker=wasm-ld".to_string()])
        }
    };
    rustflags.extend(shared_remaps.iter().cloned());
    // Flags for the contract's crate alone (`cargo rustc -- FLAGS`), so
    // that every contract built into one target directory shares its
    // dependencies' builds: RUSTFLAGS that differ rebuild them all.
    // rustc applies the last matching remap, so the contract's own comes
    // before the shared ones again, as it always has: an example inside
    // the SDK's tree keeps its /orac-contracts paths.
    let mut own = vec![contract_remap];
    own.extend(shared_remaps);
    // rustc's default wasm stack is 1 MiB, and orac charges gas for every
    // 64 KiB page of initial memory on every call (docs/gas.md). 64 KiB of
    // stack is plenty for contract code; the stack sits at the bottom of
    // memory, so an overflow traps (out of bounds) instead of corrupting data.
    own.push(format!("-Clink-arg=-zstack-size={STACK_BYTES}"));
    // A declared maximum: loads are cheaper in a memory that cannot grow
    // past SMALL_MEMORY_PAGES (see `Manifest::max_memory_pages`).
    own.push(format!(
        "-Clink-arg=--max-memory={}",
        max_memory_pages * 65_536
    ));
    cmd.current_dir(&dir)
        .args(["rustc", "--release", "--lib", "--target", TARGET])
        .arg("--target-dir")
        .arg(&target_dir)
        // rustup's cargo may be a proxy set by an outer cargo; make sure the
        // contract sees only our flags.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("RUSTFLAGS", rustflags.join(" "));
    for p in profile {
        cmd.args(["--config", p]);
    }
    if toolchain == Toolchain::Debian {
        cmd.arg("-Zbuild-std=core,alloc");
    }
    cmd.arg("--").args(&own);
    let status = cmd.status().map_err(|e| BuildError::Io {
        path: PathBuf::from("cargo"),
        source: e,
    })?;
    if !status.success() {
        return Err(BuildError::Cargo(name));
    }
    let out = target_dir
        .join(TARGET)
        .join("release")
        .join(format!("{}.wasm", name.replace('-', "_")));
    let raw = std::fs::read(&out).map_err(io(&out))?;
    let (wasm, abi) = strip_and_collect_abi(&raw)?;
    orac_vm::validate::validate(&wasm)?;
    Ok(Artifact {
        name,
        wasm,
        abi,
        toolchain,
    })
}

/// Removes every custom section and returns the ABI entries found in the
/// `orac.abi` ones (one JSON object per line), in a stable order.
pub fn strip_and_collect_abi(module: &[u8]) -> Result<(Vec<u8>, Value), BuildError> {
    let mut out = wasm_encoder::Module::new();
    let mut entries: Vec<Value> = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        let payload = payload.map_err(|e| BuildError::Wasm(e.to_string()))?;
        match &payload {
            wasmparser::Payload::CustomSection(c) => {
                if c.name() == "orac.abi" {
                    let text = std::str::from_utf8(c.data())
                        .map_err(|e| BuildError::Abi(e.to_string()))?;
                    for line in text.lines().filter(|l| !l.trim().is_empty()) {
                        let v: Value = serde_json::from_str(line)
                            .map_err(|e| BuildError::Abi(e.to_string()))?;
                        if !entries.contains(&v) {
                            entries.push(v);
                        }
                    }
                }
            }
            wasmparser::Payload::Version { .. } | wasmparser::Payload::End(_) => {}
            other => {
                if let Some((id, range)) = other.as_section() {
                    out.section(&wasm_encoder::RawSection {
                        id,
                        data: &module[range],
                    });
                }
            }
        }
    }
    // Constructor first, then functions, events, errors, each by name.
    let rank = |v: &Value| match v["type"].as_str() {
        Some("constructor") => 0,
        Some("function") => 1,
        Some("receive") => 2,
        Some("event") => 3,
        Some("error") => 4,
        _ => 5,
    };
    entries.sort_by(|a, b| {
        rank(a)
            .cmp(&rank(b))
            .then_with(|| a["name"].as_str().cmp(&b["name"].as_str()))
            .then_with(|| a.to_string().cmp(&b.to_string()))
    });
    Ok((out.finish(), Value::Array(entries)))
}
