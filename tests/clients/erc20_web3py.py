"""web3.py (v7) drives the orac SDK's ERC-20 (a Rust/WASM contract) through
the standard ERC-20 ABI, unchanged and with default settings: the contract
constructor deploys it, then the ERC-20 views and transactions (from a local
signing account and from a node-held account), Transfer and Approval events
from eth_getLogs (`events.X.get_logs`), from an HTTP filter
(`events.X.create_filter`) and from a WebSocket logs subscription
(AsyncWeb3 + eth_subscribe("logs")), and the token's custom errors.

    ORAC_RPC_URL=... ORAC_WS_URL=... ORAC_ERC20_BIN=... ORAC_ERC20_ABI=... \
        tests/clients/.venv/bin/python tests/clients/erc20_web3py.py

erc20.abi.json is used only to deploy (it holds the constructor); every
interaction goes through the minimal standard ERC-20 ABI below.
"""

import asyncio
import json
import os
import sys

try:
    import web3
    from eth_account import Account
    from eth_utils import function_signature_to_4byte_selector
    from web3 import AsyncWeb3, Web3
    from web3.exceptions import ContractCustomError
    from web3.middleware import SignAndSendRawMiddlewareBuilder
except ImportError as e:
    print(f"FAIL: web3.py is not installed ({e}): run tests/clients/setup.sh", file=sys.stderr)
    sys.exit(2)

from common import ADDR0, ADDR1, KEY0, STEP, CheckFailed, check, eq, must_fail, require_env, run

ENV = require_env("web3.py erc20", ("ORAC_RPC_URL", "ORAC_WS_URL", "ORAC_ERC20_BIN", "ORAC_ERC20_ABI"))
RPC_URL = ENV["ORAC_RPC_URL"]
WS_URL = ENV["ORAC_WS_URL"]
with open(os.environ["ORAC_ERC20_ABI"]) as f:
    FULL_ABI = json.load(f)
with open(os.environ["ORAC_ERC20_BIN"]) as f:
    BYTECODE = f.read().strip()


def _fn(name, inputs, outputs, mutability):
    return {
        "type": "function",
        "name": name,
        "inputs": [{"name": n, "type": t} for n, t in inputs],
        "outputs": [{"name": "", "type": t} for t in outputs],
        "stateMutability": mutability,
    }


def _event(name, inputs):
    return {
        "type": "event",
        "name": name,
        "anonymous": False,
        "inputs": [{"name": n, "type": t, "indexed": i} for n, t, i in inputs],
    }


# The standard ERC-20 interface (EIP-20).
ERC20_ABI = [
    _fn("name", [], ["string"], "view"),
    _fn("symbol", [], ["string"], "view"),
    _fn("decimals", [], ["uint8"], "view"),
    _fn("totalSupply", [], ["uint256"], "view"),
    _fn("balanceOf", [("owner", "address")], ["uint256"], "view"),
    _fn("allowance", [("owner", "address"), ("spender", "address")], ["uint256"], "view"),
    _fn("transfer", [("to", "address"), ("value", "uint256")], ["bool"], "nonpayable"),
    _fn("approve", [("spender", "address"), ("value", "uint256")], ["bool"], "nonpayable"),
    _fn(
        "transferFrom",
        [("from", "address"), ("to", "address"), ("value", "uint256")],
        ["bool"],
        "nonpayable",
    ),
    _event("Transfer", [("from", "address", True), ("to", "address", True), ("value", "uint256", False)]),
    _event(
        "Approval",
        [("owner", "address", True), ("spender", "address", True), ("value", "uint256", False)],
    ),
]
# The token's custom errors (not part of EIP-20): signature -> field names.
ERRORS = {
    "InsufficientBalance(address,uint256,uint256)": ("owner", "balance", "needed"),
    "InsufficientAllowance(address,uint256,uint256)": ("spender", "allowance", "needed"),
    "InvalidReceiver(address)": ("receiver",),
}

SUPPLY = 1_000_000 * 10**18
ZERO = "0x0000000000000000000000000000000000000000"


def decode_custom_error(w3, data):
    """(name, {field: value}) of the token's custom error in revert data."""
    raw = bytes.fromhex(data[2:] if data.startswith("0x") else data)
    for sig, fields in ERRORS.items():
        if raw[:4] == function_signature_to_4byte_selector(sig):
            types = sig[sig.index("(") + 1 : -1].split(",")
            return sig[: sig.index("(")], dict(zip(fields, w3.codec.decode(types, raw[4:])))
    raise CheckFailed(f"check failed: unknown revert data {data}")


def fresh_address():
    return Account.create().address


def main():
    print(f"web3.py {web3.__version__} against {RPC_URL} / {WS_URL}")
    w3 = Web3(Web3.HTTPProvider(RPC_URL))
    check(w3.is_connected(), "is_connected")
    acct = Account.from_key(KEY0)
    eq(acct.address, ADDR0, "local account address")
    # Transactions from `acct` are signed locally and sent raw; from ADDR1
    # they go to the node's eth_sendTransaction (a dev account it holds).
    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(acct), layer=0)
    bob, carol = fresh_address(), fresh_address()

    # --- deploy ----------------------------------------------------------------
    STEP[0] = "deploy"
    nonce = w3.eth.get_transaction_count(ADDR0, "pending")
    Factory = w3.eth.contract(abi=FULL_ABI, bytecode=BYTECODE)
    deploy_hash = Factory.constructor("Orac Token", "ORC", SUPPLY).transact({"from": ADDR0})
    deploy_receipt = w3.eth.wait_for_transaction_receipt(deploy_hash, timeout=60)
    eq(deploy_receipt["status"], 1, "deploy status")
    address = deploy_receipt["contractAddress"]
    eq(address, Web3.to_checksum_address(Web3.keccak(_rlp_create(ADDR0, nonce))[12:]), "CREATE address")
    print(f"  deployed at {address} (gas {deploy_receipt['gasUsed']})")
    token = w3.eth.contract(address=address, abi=ERC20_ABI)

    # The constructor's mint, from the deploy receipt.
    minted = token.events.Transfer().process_receipt(deploy_receipt)
    eq(len(minted), 1, "one Transfer in the deploy receipt")
    eq(minted[0]["args"]["from"], ZERO, "mint from")
    eq(minted[0]["args"]["to"], ADDR0, "mint to")
    eq(minted[0]["args"]["value"], SUPPLY, "mint value")

    # --- views -------------------------------------------------------------------
    STEP[0] = "views"
    eq(token.functions.name().call(), "Orac Token", "name()")
    eq(token.functions.symbol().call(), "ORC", "symbol()")
    eq(token.functions.decimals().call(), 18, "decimals()")
    eq(token.functions.totalSupply().call(), SUPPLY, "totalSupply()")
    balance_of = lambda who: token.functions.balanceOf(who).call()  # noqa: E731
    eq(balance_of(ADDR0), SUPPLY, "balanceOf(deployer)")
    eq(balance_of(bob), 0, "balanceOf(fresh address)")

    # --- transfer ------------------------------------------------------------------
    STEP[0] = "transfer"
    amount = 12345 * 10**17
    eq(token.functions.transfer(bob, amount).call({"from": ADDR0}), True, "transfer() returns true (call)")
    tr_hash = token.functions.transfer(bob, amount).transact({"from": ADDR0})
    tr = w3.eth.wait_for_transaction_receipt(tr_hash, timeout=30)
    eq(tr["status"], 1, "transfer status")
    ev = token.events.Transfer().process_receipt(tr)
    eq(len(ev), 1, "one Transfer in the receipt")
    eq((ev[0]["args"]["from"], ev[0]["args"]["to"], ev[0]["args"]["value"]), (ADDR0, bob, amount), "Transfer args")
    eq(ev[0]["address"], address, "log address")
    eq(balance_of(ADDR0), SUPPLY - amount, "sender balance after transfer")
    eq(balance_of(bob), amount, "recipient balance after transfer")
    print(f"  transfer in block {tr['blockNumber']}")

    # --- approve / allowance / transferFrom ----------------------------------------
    STEP[0] = "approve"
    allowance = 500 * 10**18
    ap = w3.eth.wait_for_transaction_receipt(
        token.functions.approve(ADDR1, allowance).transact({"from": ADDR0}), timeout=30
    )
    eq(ap["status"], 1, "approve status")
    ev = token.events.Approval().process_receipt(ap)
    eq(len(ev), 1, "one Approval in the receipt")
    eq((ev[0]["args"]["owner"], ev[0]["args"]["spender"], ev[0]["args"]["value"]), (ADDR0, ADDR1, allowance), "Approval args")
    eq(token.functions.allowance(ADDR0, ADDR1).call(), allowance, "allowance()")

    STEP[0] = "transferFrom"
    pulled = 200 * 10**18
    tf_hash = token.functions.transferFrom(ADDR0, carol, pulled).transact({"from": ADDR1})
    tf = w3.eth.wait_for_transaction_receipt(tf_hash, timeout=30)
    eq(tf["status"], 1, "transferFrom status")
    eq(tf["from"], ADDR1, "transferFrom sent by the spender")
    eq(token.functions.allowance(ADDR0, ADDR1).call(), allowance - pulled, "allowance after transferFrom")
    eq(balance_of(carol), pulled, "balance after transferFrom")
    eq(balance_of(ADDR0), SUPPLY - amount - pulled, "owner balance after transferFrom")
    eq(token.functions.totalSupply().call(), SUPPLY, "totalSupply unchanged")

    # --- reverts: custom errors ----------------------------------------------------
    STEP[0] = "reverts"
    owner_balance = balance_of(ADDR0)
    e = must_fail(
        lambda: token.functions.transfer(bob, owner_balance + 1).call({"from": ADDR0}),
        "transferring more than the balance (call)",
    )
    check(isinstance(e, ContractCustomError), f"a ContractCustomError, got {type(e).__name__}: {e}")
    name, args = decode_custom_error(w3, e.data)
    eq(name, "InsufficientBalance", "decoded error name")
    eq(Web3.to_checksum_address(args["owner"]), ADDR0, "InsufficientBalance.owner")
    eq(args["balance"], owner_balance, "InsufficientBalance.balance")
    eq(args["needed"], owner_balance + 1, "InsufficientBalance.needed")
    # Sending: the gas estimate fails first, with the same error.
    e = must_fail(
        lambda: token.functions.transfer(bob, owner_balance + 1).transact({"from": ADDR0}),
        "sending an overdraft transfer",
    )
    check(isinstance(e, ContractCustomError), f"a ContractCustomError on send, got {type(e).__name__}: {e}")
    eq(decode_custom_error(w3, e.data)[0], "InsufficientBalance", "decoded error name on send")
    e = must_fail(
        lambda: token.functions.transferFrom(ADDR0, carol, allowance).call({"from": ADDR1}),
        "transferFrom beyond the allowance",
    )
    check(isinstance(e, ContractCustomError), f"a ContractCustomError, got {type(e).__name__}: {e}")
    name, args = decode_custom_error(w3, e.data)
    eq(name, "InsufficientAllowance", "decoded error name")
    eq(Web3.to_checksum_address(args["spender"]), ADDR1, "InsufficientAllowance.spender")
    eq(args["allowance"], allowance - pulled, "InsufficientAllowance.allowance")
    eq(args["needed"], allowance, "InsufficientAllowance.needed")
    e = must_fail(
        lambda: token.functions.transfer(ZERO, 1).call({"from": ADDR0}),
        "transfer to the zero address",
    )
    check(isinstance(e, ContractCustomError), f"a ContractCustomError, got {type(e).__name__}: {e}")
    eq(decode_custom_error(w3, e.data)[0], "InvalidReceiver", "decoded error name")
    eq(balance_of(ADDR0), owner_balance, "failed transfers changed nothing")

    # --- events from eth_getLogs ------------------------------------------------------
    STEP[0] = "get_logs"
    all_t = token.events.Transfer.get_logs(from_block=0)
    eq(len(all_t), 3, "Transfer logs (mint, transfer, transferFrom)")
    eq(all_t[0]["args"]["from"], ZERO, "first Transfer is the mint")
    eq(all_t[0]["transactionHash"], deploy_hash, "mint tx hash")
    eq((all_t[1]["args"]["to"], all_t[1]["args"]["value"]), (bob, amount), "second Transfer")
    eq(all_t[1]["transactionHash"], tr_hash, "second Transfer tx hash")
    eq(all_t[1]["blockNumber"], tr["blockNumber"], "second Transfer block")
    eq((all_t[2]["args"]["to"], all_t[2]["args"]["value"]), (carol, pulled), "third Transfer")
    to_bob = token.events.Transfer.get_logs(from_block=0, to_block="latest", argument_filters={"to": bob})
    eq(len(to_bob), 1, "Transfer filtered by indexed `to`")
    from_owner = token.events.Transfer.get_logs(from_block=0, argument_filters={"from": ADDR0})
    eq(len(from_owner), 2, "Transfer filtered by indexed `from`")
    approvals = token.events.Approval.get_logs(from_block=0)
    eq(len(approvals), 1, "Approval logs")
    eq(approvals[0]["args"]["value"], allowance, "Approval value from get_logs")
    in_block = token.events.Transfer.get_logs(block_hash=tr["blockHash"])
    eq(len(in_block), 1, "Transfer logs by block hash")
    print(f"  get_logs: {len(all_t)} Transfer, {len(approvals)} Approval")

    # --- HTTP filter (eth_newFilter / eth_getFilterChanges / eth_getFilterLogs) -------
    STEP[0] = "create_filter"
    # from_block "latest" (web3.py's default) and to_block "latest": every
    # new matching log, however many blocks came since the last poll.
    filt = token.events.Transfer.create_filter(from_block="latest", argument_filters={"to": bob})
    first = w3.eth.block_number + 1
    fixed = token.events.Transfer.create_filter(from_block=first, argument_filters={"to": bob})
    h = token.functions.transfer(bob, 5).transact({"from": ADDR0})
    w3.eth.wait_for_transaction_receipt(h, timeout=30)
    h2 = token.functions.transfer(carol, 6).transact({"from": ADDR0})  # not to bob
    w3.eth.wait_for_transaction_receipt(h2, timeout=30)
    entries = filt.get_new_entries()
    eq(len(entries), 1, "filter entries")
    eq((entries[0]["args"]["to"], entries[0]["args"]["value"]), (bob, 5), "filter entry args")
    eq(entries[0]["transactionHash"], h, "filter entry tx hash")
    eq(filt.get_new_entries(), [], "no new entries on the second poll")
    # eth_getFilterLogs resolves "latest" when called (the head block only,
    # whose transfer is to carol), as geth does; a fixed from_block sees it.
    eq(filt.get_all_entries(), [], "get_all_entries of a latest..latest filter")
    all_entries = fixed.get_all_entries()
    eq(len(all_entries), 1, "get_all_entries from a fixed block")
    eq(all_entries[0]["transactionHash"], h, "get_all_entries tx hash")
    eq(len(fixed.get_new_entries()), 1, "get_new_entries of the fixed-block filter")
    check(w3.eth.uninstall_filter(filt.filter_id), "uninstall_filter")
    check(w3.eth.uninstall_filter(fixed.filter_id), "uninstall_filter (fixed)")

    # --- events over a WebSocket logs subscription ------------------------------------
    STEP[0] = "WebSocket logs subscription"
    asyncio.run(websocket_checks(w3, address))


def _rlp_create(sender, nonce):
    """RLP([sender, nonce]), hashed by the caller into the CREATE address."""
    addr = bytes.fromhex(sender[2:])
    if nonce == 0:
        n = b"\x80"
    elif nonce < 0x80:
        n = bytes([nonce])
    else:
        nb = nonce.to_bytes((nonce.bit_length() + 7) // 8, "big")
        n = bytes([0x80 + len(nb)]) + nb
    payload = bytes([0x80 + 20]) + addr + n
    return bytes([0xC0 + len(payload)]) + payload


async def websocket_checks(w3, address):
    dave = fresh_address()
    async with AsyncWeb3(AsyncWeb3.WebSocketProvider(WS_URL)) as aw3:
        token = aw3.eth.contract(address=address, abi=ERC20_ABI)
        transfer_topic = Web3.keccak(text="Transfer(address,address,uint256)")
        approval_topic = Web3.keccak(text="Approval(address,address,uint256)")
        dave_topic = "0x" + "00" * 12 + dave[2:].lower()
        # Transfers to dave only, and every Approval of the token.
        t_sub = await aw3.eth.subscribe(
            "logs", {"address": address, "topics": [transfer_topic.to_0x_hex(), None, dave_topic]}
        )
        a_sub = await aw3.eth.subscribe("logs", {"address": address, "topics": [approval_topic.to_0x_hex()]})
        check(isinstance(t_sub, str) and t_sub.startswith("0x"), f"subscription id {t_sub}")

        # Sent over HTTP by the synchronous client (signed locally).
        h1 = token_sync(w3, address).functions.transfer(dave, 77).transact({"from": ADDR0})
        h2 = token_sync(w3, address).functions.transfer(ADDR1, 1).transact({"from": ADDR0})  # not to dave
        h3 = token_sync(w3, address).functions.approve(dave, 88).transact({"from": ADDR0})
        for h in (h1, h2, h3):
            eq(w3.eth.wait_for_transaction_receipt(h, timeout=30)["status"], 1, "WebSocket-phase tx status")

        got = {t_sub: [], a_sub: []}

        async def collect():
            async for msg in aw3.socket.process_subscriptions():
                check(msg["subscription"] in got, f"notification for an unknown subscription {msg['subscription']}")
                got[msg["subscription"]].append(msg["result"])
                if got[t_sub] and got[a_sub]:
                    return

        await asyncio.wait_for(collect(), 20)
        eq(len(got[t_sub]), 1, "one Transfer notification")
        eq(len(got[a_sub]), 1, "one Approval notification")
        t = token.events.Transfer().process_log(got[t_sub][0])
        eq((t["args"]["from"], t["args"]["to"], t["args"]["value"]), (ADDR0, dave, 77), "WebSocket Transfer args")
        eq(t["transactionHash"], h1, "WebSocket Transfer tx hash")
        eq(t["address"], address, "WebSocket Transfer address")
        a = token.events.Approval().process_log(got[a_sub][0])
        eq((a["args"]["owner"], a["args"]["spender"], a["args"]["value"]), (ADDR0, dave, 88), "WebSocket Approval args")
        eq(a["transactionHash"], h3, "WebSocket Approval tx hash")
        check(await aw3.eth.unsubscribe(t_sub), "eth_unsubscribe (Transfer)")
        check(await aw3.eth.unsubscribe(a_sub), "eth_unsubscribe (Approval)")
        print("  WebSocket: Transfer and Approval received")


def token_sync(w3, address):
    return w3.eth.contract(address=address, abi=ERC20_ABI)


if __name__ == "__main__":
    run("web3.py erc20", main)
