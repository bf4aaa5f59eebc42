//! The README's "Write your first contract", step by step, as a user runs
//! it: `orac new`, `cargo test` in the new crate, `orac build` (twice, from
//! two directories: same bytes), then deploy and use it with cast and with
//! ethers against a dev node.

use std::process::Command;

use orac_tests::{Node, clients_dir, orac_bin};

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

fn cast() -> String {
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
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn write_build_deploy_and_call_a_first_contract() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    // orac new hello
    run(Command::new(orac_bin())
        .args(["new", "hello", "--dir"])
        .arg(work));
    let hello = work.join("hello");
    assert!(hello.join("src/lib.rs").exists());
    // cd hello && cargo test: the scaffold's unit tests pass out of the box.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let tested = run(Command::new(&cargo)
        .arg("test")
        .current_dir(&hello)
        .env_remove("CARGO_TARGET_DIR"));
    assert!(tested.contains("test result: ok. 2 passed"), "{tested}");
    // orac build hello
    let built = run(Command::new(orac_bin()).arg("build").arg(&hello));
    assert!(built.contains("passes the node's deploy checks"), "{built}");
    let out = hello.join("out");
    let wasm = std::fs::read(out.join("hello.wasm")).unwrap();
    // Same input, same bytes: a copy elsewhere builds identically.
    let copy = work.join("elsewhere").join("hello");
    std::fs::create_dir_all(copy.join("src")).unwrap();
    std::fs::copy(hello.join("Cargo.toml"), copy.join("Cargo.toml")).unwrap();
    std::fs::copy(hello.join("src/lib.rs"), copy.join("src/lib.rs")).unwrap();
    run(Command::new(orac_bin()).arg("build").arg(&copy));
    assert_eq!(
        std::fs::read(copy.join("out/hello.wasm")).unwrap(),
        wasm,
        "builds are reproducible"
    );
    assert_eq!(
        std::fs::read(copy.join("out/hello.abi.json")).unwrap(),
        std::fs::read(out.join("hello.abi.json")).unwrap()
    );

    // orac node --dev, then cast.
    let node = Node::dev(&work.join("node"), &[]);
    let cast = cast();
    let key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    let bin = std::fs::read_to_string(out.join("hello.bin")).unwrap();
    let deployed = run(Command::new(&cast).args([
        "send",
        "--rpc-url",
        &node.url,
        "--private-key",
        key,
        "--create",
        bin.trim(),
        "constructor(uint256)",
        "5",
    ]));
    let address = deployed
        .lines()
        .find_map(|l| {
            l.strip_prefix("contractAddress")
                .map(|r| r.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no contract address in:\n{deployed}"));
    let count = |cast: &str| {
        run(Command::new(cast).args(["call", "--rpc-url", &node.url, &address, "count()(uint256)"]))
    };
    assert_eq!(count(&cast).trim(), "5");
    run(Command::new(&cast).args([
        "send",
        "--rpc-url",
        &node.url,
        "--private-key",
        key,
        &address,
        "add(uint256)",
        "2",
    ]));
    assert_eq!(count(&cast).trim(), "7");
    let logs = run(Command::new(&cast).args([
        "logs",
        "--rpc-url",
        &node.url,
        "--from-block",
        "0",
        "--address",
        &address,
        "Incremented(address indexed,uint256)",
    ]));
    assert!(
        logs.contains("0x0000000000000000000000000000000000000000000000000000000000000007"),
        "{logs}"
    );

    // And ethers.
    run(Command::new("node")
        .arg(clients_dir().join("first_contract.mjs"))
        .current_dir(clients_dir())
        .env("ORAC_RPC_URL", &node.url)
        .env("HELLO_OUT", &out));
}
