#!/usr/bin/env bash
# Builds the test contracts in tests/contracts/* for wasm32-unknown-unknown
# and prints the path of each .wasm. Uses rustup's wasm32 target when it can
# be installed, otherwise Debian's packaged Rust with the standard library
# built from source (../shared/TOOLCHAIN.md), and says which.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target=wasm32-unknown-unknown

toolchain=""
if rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  toolchain=rustup
elif command -v rustup >/dev/null && timeout 300 rustup target add "$target" >&2; then
  toolchain=rustup
else
  if ! [ -x /usr/bin/rustc ] || ! command -v wasm-ld >/dev/null; then
    echo "rustup's $target is unavailable; installing Debian's rustc-web" >&2
    apt-get update -qq >&2 && apt-get install -y -qq rustc-web cargo-web rust-web-src lld >&2
  fi
  toolchain=debian
fi
echo "building test contracts with the $toolchain toolchain" >&2

# The same 64 KiB stack and 256 KiB memory maximum as `orac build`
# (contracts/build): memory pages are paid for on every call, and loads cost
# less in a memory that cannot grow past 256 KiB.
stack="-C link-arg=-zstack-size=65536 -C link-arg=--max-memory=262144"

for dir in "$here"/*/; do
  [ -f "$dir/Cargo.toml" ] || continue
  name="$(basename "$dir")"
  if [ "$toolchain" = rustup ]; then
    (cd "$dir" && env -u CARGO_ENCODED_RUSTFLAGS RUSTFLAGS="$stack" \
      cargo build --quiet --release --target "$target" --target-dir "$dir/target") >&2
  else
    (cd "$dir" && RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 RUSTFLAGS="-C linker=wasm-ld $stack" \
      /usr/bin/cargo build --quiet --release --target "$target" --target-dir "$dir/target" -Zbuild-std=core,alloc) >&2
  fi
  echo "$dir/target/$target/release/$name.wasm"
done
