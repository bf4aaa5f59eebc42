#!/usr/bin/env bash
# cast deploys and drives a Rust/WASM contract on orac, unchanged:
# `cast send --create <bytecode> "constructor(uint256)" 5`, calls, sends,
# logs, and revert reasons.
#
#   ORAC_RPC_URL=... ORAC_COUNTER_BIN=... bash contract_cast.sh
set -euo pipefail
LABEL="cast contract"
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
: "${ORAC_RPC_URL:?}" "${ORAC_COUNTER_BIN:?}"
BIN="$(cat "$ORAC_COUNTER_BIN")"

out="$(c send --private-key "$KEY0" --create "$BIN" "constructor(uint256)" 5 --json)"
status="$(node -e 'console.log(JSON.parse(process.argv[1]).status)' "$out")"
[[ "$status" == "0x1" || "$status" == "1" ]] || fail "deploy status $status"
ADDR="$(node -e 'console.log(JSON.parse(process.argv[1]).contractAddress)' "$out")"
[[ "$ADDR" =~ ^0x[0-9a-fA-F]{40}$ ]] || fail "no contract address in $out"
echo "deployed at $ADDR"
[[ "$(c code "$ADDR")" == 0x0061736d* ]] || fail "cast code is not the wasm module"

[[ "$(c call "$ADDR" "count()(uint256)")" == "5" ]] || fail "count() after constructor"
c send --private-key "$KEY0" "$ADDR" "increment()" >/dev/null
[[ "$(c call "$ADDR" "count()(uint256)")" == "6" ]] || fail "count() after increment"
c send --private-key "$KEY0" "$ADDR" "add(uint256)" 10 >/dev/null
[[ "$(c call "$ADDR" "count()(uint256)")" == "16" ]] || fail "count() after add"

logs="$(c logs --from-block 0 --address "$ADDR" "Incremented(address indexed,uint256)" --json)"
n="$(node -e 'console.log(JSON.parse(process.argv[1]).length)' "$logs")"
[[ "$n" == "1" ]] || fail "expected 1 Incremented log, got $n: $logs"
topic1="$(node -e 'console.log(JSON.parse(process.argv[1])[0].topics[1])' "$logs")"
[[ "${topic1,,}" == "0x000000000000000000000000${ADDR0:2}"* || "${topic1,,}" == "0x000000000000000000000000${ADDR0,,}" || "${topic1,,}" == "0x000000000000000000000000$(echo "${ADDR0:2}" | tr 'A-F' 'a-f')" ]] || fail "indexed sender topic $topic1"

set +e
err="$(c call "$ADDR" "fail()" 2>&1)"
rc=$?
set -e
[[ $rc -ne 0 ]] || fail "fail() did not revert"
[[ "$err" == *"execution reverted"*"nope"* ]] || fail "revert reason missing: $err"
set +e
err="$(c send --private-key "$KEY0" "$ADDR" "add(uint256)" 5000 2>&1)"
rc=$?
set -e
[[ $rc -ne 0 ]] || fail "add(5000) did not revert"
[[ "$err" == *"execution reverted"* ]] || fail "custom error revert missing: $err"
echo "cast contract: all checks passed"
