# What the cast client scripts share, sourced after `set -euo pipefail` and
# with LABEL set: the failure exit, the cast binary, the dev accounts and
# `c`, which points every cast command at the node under test.

fail() {
  echo "FAIL ($LABEL): $*" >&2
  exit 1
}
trap 'echo "FAIL ($LABEL): command failed (line $LINENO): $BASH_COMMAND" >&2' ERR

# The binary inside the @foundry-rs/cast npm package (or $CAST): the
# package's `cast` bin is a node wrapper that always exits 0, even when
# cast fails.
if [[ -z "${CAST:-}" ]]; then
  CAST="$(cd "$(dirname "${BASH_SOURCE[0]}")" && node -e '
    const arch = { x64: "amd64", arm64: "arm64" }[process.arch];
    const pkg = `@foundry-rs/cast-${process.platform}-${arch}`;
    console.log(require.resolve(`${pkg}/bin/cast${process.platform === "win32" ? ".exe" : ""}`));
  ')" || fail "no cast binary: run tests/clients/setup.sh"
fi
[[ -x "$CAST" ]] || fail "cast binary $CAST is not executable"

# The first dev accounts of the standard test mnemonic; ADDR1 is node-held
# (for --unlocked sends), ADDR9 never sends in any client script, so it
# keeps its genesis balance.
KEY0=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
ADDR0=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
ADDR1=0x70997970C51812dc3A010C7d01b50e0d17dc79C8
ADDR9=0xa0Ee7A142d267C1f36714E4a8F75612F20a79720

c() { "$CAST" "$1" --rpc-url "$ORAC_RPC_URL" "${@:2}"; }
