#!/usr/bin/env bash
# Runs every test: installs the client libraries the end-to-end tests drive
# (ethers, viem, cast from npm; web3.py from PyPI), then the whole workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/clients/setup.sh
cargo test --workspace "$@"
