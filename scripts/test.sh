#!/usr/bin/env bash
# Runs every test: installs the client libraries the end-to-end tests drive
# (ethers, viem, cast from npm; web3.py from PyPI), then the whole workspace,
# including a one-minute differential fuzz of the VM and a 3 s smoke
# of each decoder target (fuzz/tests/smoke.rs; long runs are
# `cargo run --release -p orac-fuzz -- --seconds N`).
set -euo pipefail
cd "$(dirname "$0")/.."
tests/clients/setup.sh
cargo test --workspace "$@"
