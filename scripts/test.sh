#!/usr/bin/env bash
# Runs every test: installs the client libraries the end-to-end tests drive
# (ethers, viem, cast from npm; web3.py from PyPI), then the whole workspace,
# then a one-minute differential fuzz of the VM.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/clients/setup.sh
cargo test --workspace "$@"
# A bounded differential fuzz of the VM (fuzz/src/main.rs); long runs are
# `cargo run --release -p orac-fuzz -- --seconds N`.
cargo run -q -p orac-fuzz -- --seconds 60
# A smoke of the decoder targets (transactions, JSON-RPC, oracle reports and
# peer messages, configs, price values; fuzz/README.md): 3 s each.
cargo run -q -p orac-fuzz -- --target decoders --seconds 3 \
    --findings-dir "${TMPDIR:-/tmp}/orac-fuzz-findings"
