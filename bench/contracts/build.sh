#!/usr/bin/env bash
# Builds the VM benchmark's Rust contracts (bench/contracts/*/) for
# wasm32-unknown-unknown and copies each module to bench/contracts/NAME.wasm,
# the file the benchmark embeds (committed, so running the benchmark needs
# no wasm32 toolchain). Needs rustup's wasm32-unknown-unknown target
# (`rustup target add wasm32-unknown-unknown`).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target=wasm32-unknown-unknown
rustup target list --installed | grep -qx "$target" || rustup target add "$target" >&2
for dir in "$here"/*/; do
  [ -f "$dir/Cargo.toml" ] || continue
  name="$(basename "$dir")"
  (cd "$dir" && cargo build --quiet --release --target "$target") >&2
  cp "$dir/target/$target/release/$name.wasm" "$here/$name.wasm"
  echo "$here/$name.wasm ($(wc -c < "$here/$name.wasm") bytes)"
done
