#!/usr/bin/env bash
# cast (foundry) against an orac dev node, with cast's default settings.
#
#   ORAC_RPC_URL=http://127.0.0.1:PORT ORAC_WS_URL=ws://127.0.0.1:PORT bash cast.sh
#
# Exits 0 when every check passed; otherwise prints the failed check and
# exits 1. Uses the cast binary of the @foundry-rs/cast npm package (or
# $CAST if set). The package's `cast` bin (a node wrapper) always exits 0,
# even when cast fails, so this script runs the binary it wraps directly.
set -euo pipefail

LABEL="cast"
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

: "${ORAC_RPC_URL:?set ORAC_RPC_URL (http://...)}"
: "${ORAC_WS_URL:?set ORAC_WS_URL (ws://...)}"

# jget PATH < json: one field (a.b.0 for nesting); objects come out as JSON.
jget() {
  node -e '
    let v = JSON.parse(require("fs").readFileSync(0, "utf8"));
    for (const k of process.argv[1].split(".")) v = v == null ? undefined : v[k];
    console.log(v === undefined ? "<missing>" : v === null ? "null"
      : typeof v === "object" ? JSON.stringify(v) : String(v));
  ' "$1"
}
# big EXPR: integer arithmetic on decimal and 0x numbers of any size.
big() {
  node -e 'console.log(String(eval(process.argv[1].replace(/\b(0x[0-9a-fA-F]+|[0-9]+)\b/g, "$1n"))))' "$1"
}
eq() { # eq ACTUAL EXPECTED WHAT
  [[ "$1" == "$2" ]] || fail "$3: expected $2, got $1"
}
is_true() { # is_true EXPR WHAT
  [[ "$(big "$1")" == "true" ]] || fail "$2 ($1)"
}
fresh_address() { node -e 'console.log("0x" + require("crypto").randomBytes(20).toString("hex"))'; }

# check_transfer RECEIPT_JSON FROM TO VALUE TYPE: the whole life of a transfer.
check_transfer() {
  local receipt="$1" from="$2" to="$3" value="$4" type="$5"
  local hash n bhash block tx base expected
  eq "$(jget status <<<"$receipt")" 0x1 "receipt.status"
  is_true "$(jget gasUsed <<<"$receipt") == 21000" "receipt.gasUsed is 21000"
  eq "$(jget type <<<"$receipt")" "$type" "receipt.type"
  eq "$(jget from <<<"$receipt")" "${from,,}" "receipt.from"
  eq "$(jget to <<<"$receipt")" "${to,,}" "receipt.to"
  eq "$(jget logs <<<"$receipt")" "[]" "receipt.logs"
  hash="$(jget transactionHash <<<"$receipt")"
  n="$(big "$(jget blockNumber <<<"$receipt")")"
  bhash="$(jget blockHash <<<"$receipt")"
  is_true "$n >= 1" "receipt.blockNumber"

  # cast receipt, by hash, agrees with what cast send printed.
  eq "$(c receipt "$hash" --json | jget blockHash)" "$bhash" "cast receipt: blockHash"
  eq "$(c receipt "$hash" status)" "true" "cast receipt HASH status"
  c receipt "$hash" | grep -Eq '^status +1 \(success\)' || fail "cast receipt text shows status 1 (success)"

  # The block, by number and by hash.
  block="$(c block "$n" --json)"
  eq "$(jget hash <<<"$block")" "$bhash" "cast block N: hash"
  eq "$(jget transactions.0 <<<"$block")" "$hash" "cast block N: lists the transaction"
  base="$(jget baseFeePerGas <<<"$block")"
  [[ "$base" == 0x* ]] || fail "cast block N: baseFeePerGas present (got $base)"
  is_true "$base > 0" "cast block N: baseFeePerGas > 0"
  eq "$(c block "$bhash" --json | jget number)" "$(jget number <<<"$block")" "cast block HASH: number"
  eq "$(c block "$bhash" -f baseFeePerGas)" "$(big "$base")" "cast block HASH -f baseFeePerGas"

  # The transaction.
  tx="$(c tx "$hash" --json)"
  eq "$(jget hash <<<"$tx")" "$hash" "cast tx: hash"
  eq "$(jget type <<<"$tx")" "$type" "cast tx: type"
  eq "$(jget from <<<"$tx")" "${from,,}" "cast tx: from"
  eq "$(jget to <<<"$tx")" "${to,,}" "cast tx: to"
  eq "$(jget chainId <<<"$tx")" 0x7a69 "cast tx: chainId"
  eq "$(jget blockHash <<<"$tx")" "$bhash" "cast tx: blockHash"
  is_true "$(jget value <<<"$tx") == $value" "cast tx: value is $value"
  if [[ "$type" == 0x2 ]]; then
    local cap tip
    cap="$(jget maxFeePerGas <<<"$tx")"
    tip="$(jget maxPriorityFeePerGas <<<"$tx")"
    is_true "$cap >= $base" "maxFeePerGas covers the base fee"
    expected="$(big "$base + ($tip < $cap - $base ? $tip : $cap - $base)")"
  else
    eq "$(jget maxFeePerGas <<<"$tx")" "<missing>" "a legacy tx has no maxFeePerGas"
    expected="$(big "$(jget gasPrice <<<"$tx")")"
  fi
  eq "$(big "$(jget effectiveGasPrice <<<"$receipt")")" "$expected" "receipt.effectiveGasPrice"

  # Balances around the block.
  local to_before to_after from_before from_after
  to_before="$(c balance "$to" --block "$((n - 1))")"
  to_after="$(c balance "$to" --block "$n")"
  from_before="$(c balance "$from" --block "$((n - 1))")"
  from_after="$(c balance "$from" --block "$n")"
  eq "$(big "$to_after - $to_before")" "$(big "$value")" "recipient balance delta"
  eq "$(big "$from_before - $from_after")" "$(big "$value + 21000 * $expected")" "sender balance delta (value + fee)"
  eq "$(c balance "$to")" "$to_after" "recipient balance at latest"
}

echo "$("$CAST" --version | head -1) ($CAST) against $ORAC_RPC_URL"

# --- connect -------------------------------------------------------------
eq "$(c chain-id)" 31337 "cast chain-id"
[[ "$(c client)" == orac/* ]] || fail "cast client starts with orac/"
start_block="$(c block-number)"
[[ "$start_block" =~ ^[0-9]+$ ]] || fail "cast block-number is a number (got $start_block)"
eq "$(c balance "$ADDR9")" 10000000000000000000000 "cast balance of dev account 9"
eq "$(c balance --ether "$ADDR9")" 10000.000000000000000000 "cast balance --ether"
nonce0="$(c nonce "$ADDR0")"
[[ "$nonce0" =~ ^[0-9]+$ ]] || fail "cast nonce is a number (got $nonce0)"
eq "$(c code "$ADDR9")" 0x "cast code of an account"
gas_price="$(c gas-price)"
is_true "$gas_price >= 1000000000" "cast gas-price covers the 1 gwei base fee"
eq "$(c base-fee)" "$(c block latest -f baseFeePerGas)" "cast base-fee is the latest block's"
echo "  connected: chain 31337, block $start_block"

# --- type 2 transfer with a private key (the main path) -------------------
to="$(fresh_address)"
receipt="$(c send --private-key "$KEY0" "$to" --value 1.5ether --json)"
check_transfer "$receipt" "$ADDR0" "$to" 1500000000000000000 0x2
hash="$(jget transactionHash <<<"$receipt")"
is_true "$(c tx "$hash" nonce) == $nonce0" "first nonce"
echo "  type-2 transfer mined in block $(big "$(jget blockNumber <<<"$receipt")"), effectiveGasPrice $(big "$(jget effectiveGasPrice <<<"$receipt")")"

# --- legacy with --legacy ---------------------------------------------------
to="$(fresh_address)"
receipt="$(c send --legacy --private-key "$KEY0" "$to" --value 123456 --json)"
check_transfer "$receipt" "$ADDR0" "$to" 123456 0x0
echo "  legacy transfer mined in block $(big "$(jget blockNumber <<<"$receipt")")"
eq "$(c nonce "$ADDR0")" "$((nonce0 + 2))" "cast nonce after two transfers"

# --- node-held account: cast send --unlocked (eth_sendTransaction) --------
to="$(fresh_address)"
receipt="$(c send --unlocked --from "$ADDR1" "$to" --value 777 --json)"
check_transfer "$receipt" "$ADDR1" "$to" 777 0x2
echo "  --unlocked transfer mined in block $(big "$(jget blockNumber <<<"$receipt")")"

# --- errors with geth's texts ---------------------------------------------
# must_fail WHAT TEXT cast-args...: cast exits non-zero and says TEXT.
must_fail() {
  local what="$1" text="$2" out
  shift 2
  if out="$(c "$@" 2>&1)"; then
    fail "$what succeeded but must fail: $out"
  fi
  grep -q -- "$text" <<<"$out" || fail "$what: expected an error with \"$text\", got: $out"
}
must_fail "a transfer reusing a mined nonce" "nonce too low" \
  send --private-key "$KEY0" "$(fresh_address)" --value 1 --nonce "$nonce0"
balance0="$(c balance "$ADDR0")"
must_fail "sending more than the balance" "insufficient funds" \
  send --private-key "$KEY0" "$(fresh_address)" --value "$(big "$balance0 + 1")"
must_fail "sending the whole balance plus gas (eth_sendRawTransaction)" "insufficient funds" \
  send --private-key "$KEY0" "$(fresh_address)" --value "$balance0" --gas-limit 21000
must_fail "a transfer with 20000 gas" "intrinsic gas too low" \
  send --private-key "$KEY0" "$(fresh_address)" --value 1 --gas-limit 20000
must_fail "a transfer whose max fee is below the base fee" "max fee per gas less than block base fee" \
  send --private-key "$KEY0" "$(fresh_address)" --value 1 --gas-price 1 --priority-gas-price 1
must_fail "a tip above the max fee" "max priority fee per gas higher than max fee per gas" \
  send --private-key "$KEY0" "$(fresh_address)" --value 1 --gas-price 5gwei --priority-gas-price 6gwei
must_fail "creating a contract from EVM bytecode" "bad deploy envelope" \
  send --private-key "$KEY0" --create 0x6000
eq "$(c nonce "$ADDR0" --block pending)" "$((nonce0 + 2))" "failed sends used no nonce"

# --- logs: none so far (no contract has run), but the query is served -----
eq "$(c logs --from-block 0 --to-block latest --json)" "[]" "cast logs from genesis"

# --- cast block latest ------------------------------------------------------
latest="$(c block latest --json)"
eq "$(big "$(jget number <<<"$latest")")" "$(c block-number)" "cast block latest is the head"
[[ "$(jget baseFeePerGas <<<"$latest")" == 0x* ]] || fail "cast block latest: baseFeePerGas present"
eq "$(jget parentHash <<<"$latest")" "$(c block "$(( $(c block-number) - 1 ))" -f hash)" "cast block latest: parentHash"
end_block="$(c block-number)"
is_true "$end_block >= $start_block + 3" "block number advanced by the 3 transfers (from $start_block to $end_block)"

echo "cast: all checks passed"
