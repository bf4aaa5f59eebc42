#!/usr/bin/env bash
# Regenerates the committed EVM bytecode of the VM benchmark's Solidity
# contracts (Token.bin, Token.bin-runtime, Compute.bin, ...) with solc-js
# from npm, pinned by package.json / package-lock.json. Needs node >= 20.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if [ ! -d node_modules/solc ] || [ package-lock.json -nt node_modules/solc/package.json ]; then
  npm install --no-audit --no-fund >&2
fi
node compile.js
