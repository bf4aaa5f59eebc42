//! The README's "Write your first contract", as a user follows it. The
//! blocks marked `<!-- tested: NAME -->` in README.md are read from the
//! file when the test runs and run as they are printed: the shell blocks
//! with bash (with `orac` and `cast` on the PATH, as the README asks), the
//! JavaScript one with node (with ethers where `npm install ethers` would
//! put it). No copy of them is kept here, so the README cannot drift from
//! what is tested. Against the dev node the harness starts, through
//! `$ETH_RPC_URL`, which cast, `orac deploy` and the ethers block honour.
//!
//! Around the blocks it checks what the README claims of them: the
//! scaffold builds offline without changing its Cargo.lock, and the same
//! sources build the same bytes elsewhere.

use std::path::{Path, PathBuf};
use std::process::Command;

use orac_tests::{Node, clients_dir, orac_bin, workspace};

/// The fenced block after `<!-- tested: NAME -->` in README.md, which must
/// be closed by `<!-- /tested -->`.
fn readme_block(name: &str) -> String {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let marker = format!("<!-- tested: {name} -->\n");
    let start = readme
        .find(&marker)
        .unwrap_or_else(|| panic!("README.md has no {marker:?}"))
        + marker.len();
    let rest = &readme[start..];
    let body_start = rest.find('\n').expect("an opening fence") + 1;
    assert!(
        rest.starts_with("```"),
        "{name}: no code fence after the marker"
    );
    let body_len = rest[body_start..].find("\n```\n").expect("a closing fence") + 1;
    let after = &rest[body_start + body_len..];
    assert!(
        after.starts_with("```\n<!-- /tested -->"),
        "{name}: the block must end right before <!-- /tested -->"
    );
    rest[body_start..body_start + body_len].to_string()
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

fn cast_dir() -> PathBuf {
    let out = Command::new("node")
        .current_dir(clients_dir())
        .args([
            "-e",
            "console.log(require.resolve('@foundry-rs/cast-linux-amd64/bin/cast'))",
        ])
        .output()
        .expect("node");
    assert!(
        out.status.success(),
        "cast is not installed: run tests/clients/setup.sh"
    );
    let cast = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    cast.parent().unwrap().to_path_buf()
}

/// A shell block in `cwd`, stopping at the first failing command, with
/// `orac` (the binary under test, linked as `cwd/bin/orac`: the name a
/// user types) and `cast` first on the PATH.
fn bash(block: &str, cwd: &Path) -> Command {
    let bin = cwd.join("bin");
    if !bin.join("orac").exists() {
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(orac_bin(), bin.join("orac")).unwrap();
    }
    let path = std::env::join_paths(
        [bin, cast_dir()]
            .into_iter()
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let mut cmd = Command::new("bash");
    cmd.args(["-euo", "pipefail", "-c", block])
        .current_dir(cwd)
        .env("PATH", path)
        // The new crate's own target/, as for a user; not this test's.
        .env_remove("CARGO_TARGET_DIR");
    cmd
}

/// Copies a crate's sources (not target/ or out/).
fn copy_sources(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" || name == "out" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_sources(&entry.path(), &to.join(&name));
        } else {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

#[test]
fn write_build_deploy_and_call_a_first_contract() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();

    // orac new, cargo test, orac build. Offline: the scaffold's Cargo.lock
    // names only crates this workspace's build already fetched. (Not with
    // Debian's fallback toolchain, which builds core and alloc from source
    // and may still have to fetch their dependencies.)
    let mut scaffold = bash(&readme_block("scaffold"), work);
    if matches!(orac_build::toolchain(), Ok(orac_build::Toolchain::Rustup)) {
        scaffold.env("CARGO_NET_OFFLINE", "true");
    }
    let scaffold = run(&mut scaffold);
    assert!(scaffold.contains("test result: ok. 3 passed"), "{scaffold}");
    assert!(
        scaffold.contains("passes the node's deploy checks"),
        "{scaffold}"
    );
    let hello = work.join("hello");
    let manifest = std::fs::read_to_string(hello.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains(r#"orac-sdk = { path = "vendor/orac-sdk" }"#),
        "the SDK is vendored, not found on this machine:\n{manifest}"
    );
    // The lock orac new wrote is the one cargo keeps: nothing re-resolved.
    let lock = std::fs::read_to_string(hello.join("Cargo.lock")).unwrap();
    let fresh = work.join("fresh");
    std::fs::create_dir(&fresh).unwrap();
    run(Command::new(orac_bin())
        .args(["new", "hello", "--dir"])
        .arg(&fresh));
    assert_eq!(
        std::fs::read_to_string(fresh.join("hello/Cargo.lock")).unwrap(),
        lock,
        "cargo test and orac build changed Cargo.lock"
    );
    // Same sources, same bytes: a copy elsewhere builds identically.
    let out = hello.join("out");
    let copy = work.join("elsewhere").join("hello");
    copy_sources(&hello, &copy);
    run(Command::new(orac_bin()).arg("build").arg(&copy));
    for file in ["hello.wasm", "hello.abi.json"] {
        assert_eq!(
            std::fs::read(copy.join("out").join(file)).unwrap(),
            std::fs::read(out.join(file)).unwrap(),
            "{file}: builds are reproducible"
        );
    }

    // Against a dev node: cast, then ethers.
    let node = Node::dev_process(&work.join("node"), &[]);
    let cast = run(bash(&readme_block("cast"), work).env("ETH_RPC_URL", &node.url));
    let lines: Vec<&str> = cast.lines().map(str::trim).collect();
    let (five, seven) = (
        lines.iter().position(|l| *l == "5"),
        lines.iter().position(|l| *l == "7"),
    );
    assert!(
        matches!((five, seven), (Some(a), Some(b)) if a < b),
        "count() is 5, then 7:\n{cast}"
    );
    assert!(
        cast.contains("data: 0x0000000000000000000000000000000000000000000000000000000000000007"),
        "the Incremented log:\n{cast}"
    );

    std::fs::write(work.join("first.mjs"), readme_block("ethers")).unwrap();
    std::os::unix::fs::symlink(
        clients_dir().join("node_modules"),
        work.join("node_modules"),
    )
    .unwrap();
    let ethers = run(Command::new("node")
        .arg("first.mjs")
        .current_dir(work)
        .env("ETH_RPC_URL", &node.url));
    for expected in [
        "7n\n",
        "by: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', count: 7n",
        "name: 'TooBig'",
        "[ 5000n, 1000n ]",
    ] {
        assert!(ethers.contains(expected), "{expected:?} in:\n{ethers}");
    }
}
