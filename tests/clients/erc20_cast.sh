#!/usr/bin/env bash
# cast drives the orac SDK's ERC-20 (a Rust/WASM contract) through the
# standard ERC-20 signatures, unchanged: `cast send --create` deploys it,
# `cast call` / `cast send` use name/symbol/decimals/totalSupply/balanceOf/
# transfer/approve/allowance/transferFrom (signed locally with
# --private-key, and by the node with --unlocked), `cast logs` reads the
# Transfer and Approval events (eth_getLogs, and `--subscribe` over the
# WebSocket: eth_subscribe "logs"), and the InsufficientBalance /
# InsufficientAllowance custom errors decode with `cast decode-error`.
#
#   ORAC_RPC_URL=... ORAC_WS_URL=... ORAC_ERC20_BIN=... bash erc20_cast.sh
set -euo pipefail
LABEL="cast erc20"
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
: "${ORAC_RPC_URL:?set ORAC_RPC_URL}" "${ORAC_WS_URL:?set ORAC_WS_URL}" "${ORAC_ERC20_BIN:?set ORAC_ERC20_BIN}"
# js JSON EXPR: evaluates EXPR with `v` bound to the parsed JSON.
js() { node -e 'const v = JSON.parse(process.argv[1]); console.log(eval(process.argv[2]))' "$1" "$2"; }
lc() { tr 'A-F' 'a-f' <<<"$1"; }
# The 32-byte topic of an address.
topic_of() { echo "0x000000000000000000000000$(lc "${1:2}")"; }
# A one-value call, through --json so big numbers come without "[1e24]".
call1() { js "$(c call "$@" --json)" 'v[0]'; }
eq() {
  [[ "$1" == "$2" ]] || fail "$3: expected $2, got $1"
}

BOB=0x000000000000000000000000000000000000b0B0
CAROL=0x000000000000000000000000000000000000CA01
DAVE=0x000000000000000000000000000000000000DA7E
ZERO=0x0000000000000000000000000000000000000000
SUPPLY=1000000000000000000000000 # 1e6 tokens of 18 decimals
BIN="$(cat "$ORAC_ERC20_BIN")"
TRANSFER="Transfer(address indexed from,address indexed to,uint256 value)"
APPROVAL="Approval(address indexed owner,address indexed spender,uint256 value)"

# --- deploy -------------------------------------------------------------------
nonce="$(c nonce "$ADDR0")"
out="$(c send --private-key "$KEY0" --create "$BIN" "constructor(string,string,uint256)" "Orac Token" ORC "$SUPPLY" --json)"
status="$(js "$out" v.status)"
[[ "$status" == "0x1" || "$status" == "1" ]] || fail "deploy status $status"
TOKEN="$(js "$out" v.contractAddress)"
[[ "$TOKEN" =~ ^0x[0-9a-fA-F]{40}$ ]] || fail "no contract address in the deploy receipt"
expected="$("$CAST" compute-address "$ADDR0" --nonce "$nonce")"
eq "$(lc "$TOKEN")" "$(lc "${expected##* }")" "CREATE address"
echo "deployed at $TOKEN (gas $("$CAST" to-dec "$(js "$out" v.gasUsed)"))"
# The constructor's mint: Transfer(0, deployer, supply) in the receipt.
eq "$(js "$out" 'v.logs.length')" 1 "logs in the deploy receipt"
eq "$(js "$out" 'v.logs[0].topics[0]')" "$("$CAST" keccak "Transfer(address,address,uint256)")" "mint topic"
eq "$(js "$out" 'v.logs[0].topics[1]')" "$(topic_of "$ZERO")" "mint from"
eq "$(js "$out" 'v.logs[0].topics[2]')" "$(topic_of "$ADDR0")" "mint to"
eq "$("$CAST" to-dec "$(js "$out" 'v.logs[0].data')")" "$SUPPLY" "mint value"

# --- views ----------------------------------------------------------------------
eq "$(call1 "$TOKEN" "name()(string)")" "Orac Token" "name()"
eq "$(call1 "$TOKEN" "symbol()(string)")" "ORC" "symbol()"
eq "$(call1 "$TOKEN" "decimals()(uint8)")" 18 "decimals()"
eq "$(call1 "$TOKEN" "totalSupply()(uint256)")" "$SUPPLY" "totalSupply()"
eq "$(call1 "$TOKEN" "balanceOf(address)(uint256)" "$ADDR0")" "$SUPPLY" "balanceOf(deployer)"
eq "$(call1 "$TOKEN" "balanceOf(address)(uint256)" "$BOB")" 0 "balanceOf(fresh address)"
# Plain output too, as people read it.
eq "$(c call "$TOKEN" "balanceOf(address)(uint256)" "$ADDR0")" "$SUPPLY [1e24]" "balanceOf plain output"

# --- transfer -----------------------------------------------------------------
AMOUNT=1234500000000000000000
eq "$(call1 "$TOKEN" "transfer(address,uint256)(bool)" "$BOB" "$AMOUNT" --from "$ADDR0")" true "transfer() returns true (call)"
out="$(c send --private-key "$KEY0" "$TOKEN" "transfer(address,uint256)" "$BOB" "$AMOUNT" --json)"
eq "$(js "$out" v.status)" 0x1 "transfer status"
TRANSFER_TX="$(js "$out" v.transactionHash)"
TRANSFER_BLOCK="$(js "$out" v.blockNumber)"
eq "$(js "$out" 'v.logs.length')" 1 "logs in the transfer receipt"
eq "$(lc "$(js "$out" 'v.logs[0].address')")" "$(lc "$TOKEN")" "log address"
eq "$(js "$out" 'v.logs[0].topics[1]')" "$(topic_of "$ADDR0")" "Transfer.from"
eq "$(js "$out" 'v.logs[0].topics[2]')" "$(topic_of "$BOB")" "Transfer.to"
eq "$("$CAST" to-dec "$(js "$out" 'v.logs[0].data')")" "$AMOUNT" "Transfer.value"
eq "$(call1 "$TOKEN" "balanceOf(address)(uint256)" "$BOB")" "$AMOUNT" "recipient balance after transfer"
eq "$(call1 "$TOKEN" "balanceOf(address)(uint256)" "$ADDR0")" 998765500000000000000000 "sender balance after transfer"
echo "transfer in block $("$CAST" to-dec "$TRANSFER_BLOCK")"

# --- approve / allowance / transferFrom -------------------------------------------
ALLOWANCE=500000000000000000000
PULLED=200000000000000000000
out="$(c send --private-key "$KEY0" "$TOKEN" "approve(address,uint256)" "$ADDR1" "$ALLOWANCE" --json)"
eq "$(js "$out" v.status)" 0x1 "approve status"
eq "$(js "$out" 'v.logs[0].topics[0]')" "$("$CAST" keccak "Approval(address,address,uint256)")" "Approval topic"
eq "$("$CAST" to-dec "$(js "$out" 'v.logs[0].data')")" "$ALLOWANCE" "Approval.value"
eq "$(call1 "$TOKEN" "allowance(address,address)(uint256)" "$ADDR0" "$ADDR1")" "$ALLOWANCE" "allowance()"
# The spender is a node-held account: eth_sendTransaction.
out="$(c send --unlocked --from "$ADDR1" "$TOKEN" "transferFrom(address,address,uint256)" "$ADDR0" "$CAROL" "$PULLED" --json)"
eq "$(js "$out" v.status)" 0x1 "transferFrom status"
eq "$(lc "$(js "$out" v.from)")" "$(lc "$ADDR1")" "transferFrom sent by the spender"
eq "$(call1 "$TOKEN" "allowance(address,address)(uint256)" "$ADDR0" "$ADDR1")" 300000000000000000000 "allowance after transferFrom"
eq "$(call1 "$TOKEN" "balanceOf(address)(uint256)" "$CAROL")" "$PULLED" "balance after transferFrom"
eq "$(call1 "$TOKEN" "balanceOf(address)(uint256)" "$ADDR0")" 998565500000000000000000 "owner balance after transferFrom"
eq "$(call1 "$TOKEN" "totalSupply()(uint256)")" "$SUPPLY" "totalSupply unchanged"

# --- reverts: custom errors ------------------------------------------------------
# cast prints `execution reverted, data: "0x..."`; the data decodes with the
# error's signature.
revert_data() { grep -o '0x[0-9a-fA-F]\{8,\}' <<<"$1" | tail -1; }
# Runs a command that must fail; prints its output (stdout and stderr).
must_fail() {
  local what="$1" out
  shift
  if out="$("$@" 2>&1)"; then
    fail "$what did not fail: $out"
  fi
  echo "$out"
}
BALANCE0="$(call1 "$TOKEN" "balanceOf(address)(uint256)" "$ADDR0")"
NEEDED="$(node -e 'console.log((BigInt(process.argv[1]) + 1n).toString())' "$BALANCE0")"
err="$(must_fail "transferring more than the balance" c call "$TOKEN" "transfer(address,uint256)(bool)" "$BOB" "$NEEDED" --from "$ADDR0")"
[[ "$err" == *"execution reverted"* ]] || fail "no revert in: $err"
data="$(revert_data "$err")"
eq "${data:0:10}" "$("$CAST" sig "InsufficientBalance(address,uint256,uint256)")" "InsufficientBalance selector"
decoded="$("$CAST" decode-error --sig "InsufficientBalance(address,uint256,uint256)" "$data")"
eq "$(sed -n 1p <<<"$decoded")" "$ADDR0" "InsufficientBalance.owner"
eq "$(sed -n 2p <<<"$decoded" | cut -d' ' -f1)" "$BALANCE0" "InsufficientBalance.balance"
eq "$(sed -n 3p <<<"$decoded" | cut -d' ' -f1)" "$NEEDED" "InsufficientBalance.needed"
# Sending: the gas estimate fails first, with the same data.
err="$(must_fail "sending an overdraft transfer" c send --private-key "$KEY0" "$TOKEN" "transfer(address,uint256)" "$BOB" "$NEEDED")"
eq "$(revert_data "$err")" "$data" "revert data of the failed send"
err="$(must_fail "transferFrom beyond the allowance" c call "$TOKEN" "transferFrom(address,address,uint256)(bool)" "$ADDR0" "$CAROL" "$ALLOWANCE" --from "$ADDR1")"
decoded="$("$CAST" decode-error --sig "InsufficientAllowance(address,uint256,uint256)" "$(revert_data "$err")")"
eq "$(sed -n 1p <<<"$decoded")" "$ADDR1" "InsufficientAllowance.spender"
eq "$(sed -n 2p <<<"$decoded" | cut -d' ' -f1)" 300000000000000000000 "InsufficientAllowance.allowance"
eq "$(sed -n 3p <<<"$decoded" | cut -d' ' -f1)" "$ALLOWANCE" "InsufficientAllowance.needed"
eq "$(call1 "$TOKEN" "balanceOf(address)(uint256)" "$ADDR0")" "$BALANCE0" "failed transfers changed nothing"

# --- events from eth_getLogs --------------------------------------------------------
logs="$(c logs --from-block 0 --address "$TOKEN" "$TRANSFER" --json)"
eq "$(js "$logs" v.length)" 3 "Transfer logs (mint, transfer, transferFrom)"
eq "$(js "$logs" 'v[0].topics[1]')" "$(topic_of "$ZERO")" "first Transfer is the mint"
eq "$(js "$logs" 'v[1].transactionHash')" "$TRANSFER_TX" "second Transfer tx hash"
eq "$(js "$logs" 'v[1].blockNumber')" "$TRANSFER_BLOCK" "second Transfer block"
eq "$(js "$logs" 'v[2].topics[2]')" "$(topic_of "$CAROL")" "third Transfer to carol"
# Indexed arguments filter: from the deployer; to bob ("" skips `from`).
eq "$(js "$(c logs --from-block 0 --address "$TOKEN" "$TRANSFER" "$ADDR0" --json)" v.length)" 2 "Transfer from the deployer"
to_bob="$(c logs --from-block 0 --to-block latest --address "$TOKEN" "$TRANSFER" "" "$BOB" --json)"
eq "$(js "$to_bob" v.length)" 1 "Transfer to bob"
eq "$("$CAST" to-dec "$(js "$to_bob" 'v[0].data')")" "$AMOUNT" "Transfer to bob value"
approvals="$(c logs --from-block 0 --address "$TOKEN" "$APPROVAL" "$ADDR0" "$ADDR1" --json)"
eq "$(js "$approvals" v.length)" 1 "Approval(owner, spender) logs"
eq "$("$CAST" to-dec "$(js "$approvals" 'v[0].data')")" "$ALLOWANCE" "Approval value from getLogs"
echo "getLogs: 3 Transfer, 1 Approval"

# --- events over a WebSocket subscription (cast logs --subscribe) ------------------
# cast subscribes to the logs and to newHeads, stops at the first block past
# --to-block, and then prints what it received (with --json, as one array).
head="$(c block-number)"
until_block=$((head + 2))
sub_out="$(mktemp)"
sub_err="$(mktemp)"
"$CAST" logs --rpc-url "$ORAC_WS_URL" --subscribe --to-block "$until_block" \
  --address "$TOKEN" "$TRANSFER" "" "$DAVE" --json >"$sub_out" 2>"$sub_err" &
sub_pid=$!
sleep 2 # let the subscription be installed
c send --private-key "$KEY0" "$TOKEN" "transfer(address,uint256)" "$DAVE" 77 >/dev/null # head+1
c send --private-key "$KEY0" "$TOKEN" "transfer(address,uint256)" "$BOB" 1 >/dev/null  # head+2: not to dave
c send --private-key "$KEY0" "$TOKEN" "approve(address,uint256)" "$DAVE" 88 >/dev/null  # head+3: past --to-block
for _ in $(seq 1 200); do
  kill -0 "$sub_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$sub_pid" 2>/dev/null; then
  kill "$sub_pid"
  fail "cast logs --subscribe did not finish at block $until_block: $(cat "$sub_err")"
fi
wait "$sub_pid" || fail "cast logs --subscribe failed: $(cat "$sub_err")"
sub="$(cat "$sub_out")"
rm -f "$sub_out" "$sub_err"
eq "$(js "$sub" v.length)" 1 "logs received over the subscription: $sub"
eq "$(js "$sub" 'v[0].topics[1]')" "$(topic_of "$ADDR0")" "subscribed Transfer.from"
eq "$(js "$sub" 'v[0].topics[2]')" "$(topic_of "$DAVE")" "subscribed Transfer.to"
eq "$("$CAST" to-dec "$(js "$sub" 'v[0].data')")" 77 "subscribed Transfer.value"
eq "$(js "$sub" 'v[0].blockNumber')" "$(printf '0x%x' $((head + 1)))" "subscribed Transfer block"
echo "WebSocket: Transfer received via cast logs --subscribe"

echo "cast erc20: all checks passed"
