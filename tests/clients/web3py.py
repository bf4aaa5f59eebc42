"""web3.py (v7) against an orac dev node, with web3.py's default settings.

    ORAC_RPC_URL=http://127.0.0.1:PORT ORAC_WS_URL=ws://127.0.0.1:PORT \
        tests/clients/.venv/bin/python tests/clients/web3py.py

Exits 0 when every check passed; otherwise prints the failed check and
exits 1.
"""

import asyncio
import sys
import time

try:
    import web3
    from eth_account import Account
    from web3 import AsyncWeb3, Web3
    from web3.exceptions import Web3RPCError
    from web3.middleware import SignAndSendRawMiddlewareBuilder
except ImportError as e:
    print(f"FAIL: web3.py is not installed ({e}): run tests/clients/setup.sh", file=sys.stderr)
    sys.exit(2)

from common import ADDR0, ADDR1, ADDR9, KEY0, STEP, check, eq, must_fail, require_env, run

ENV = require_env("web3.py", ("ORAC_RPC_URL", "ORAC_WS_URL"))
RPC_URL = ENV["ORAC_RPC_URL"]
WS_URL = ENV["ORAC_WS_URL"]

ETH = 10**18


def rpc_message(e):
    """The node's JSON-RPC error message carried by a web3.py error."""
    if isinstance(e, Web3RPCError) and e.rpc_response:
        return str(e.rpc_response.get("error", {}).get("message", ""))
    return str(e)


def fresh_address():
    return Account.create().address


def check_transfer(w3, tx_hash, sender, to, value, tx_type):
    """Checks a mined transfer end to end; returns the receipt."""
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    eq(receipt["status"], 1, "receipt.status")
    eq(receipt["gasUsed"], 21000, "receipt.gasUsed")
    eq(receipt["cumulativeGasUsed"], 21000, "receipt.cumulativeGasUsed")
    eq(receipt["type"], tx_type, "receipt.type")
    eq(receipt["transactionHash"], tx_hash, "receipt.transactionHash")
    eq(receipt["from"], sender, "receipt.from")
    eq(receipt["to"], to, "receipt.to")
    eq(receipt["contractAddress"], None, "receipt.contractAddress")
    eq(len(receipt["logs"]), 0, "no logs for a transfer")
    n = receipt["blockNumber"]
    check(n >= 1, "receipt.blockNumber")

    block = w3.eth.get_block(n)
    eq(block["number"], n, "block.number")
    eq(block["hash"], receipt["blockHash"], "block.hash")
    check(tx_hash in block["transactions"], "block lists the transaction")
    check("baseFeePerGas" in block and block["baseFeePerGas"] > 0, "block.baseFeePerGas")
    by_hash = w3.eth.get_block(receipt["blockHash"], full_transactions=True)
    eq(by_hash["number"], n, "block by hash: number")
    eq(by_hash["hash"], block["hash"], "block by hash: hash")
    eq(by_hash["baseFeePerGas"], block["baseFeePerGas"], "block by hash: baseFeePerGas")
    eq(by_hash["transactions"][0]["hash"], tx_hash, "block by hash: full transaction")
    eq(w3.eth.get_block(n - 1)["hash"], block["parentHash"], "block.parentHash")

    tx = w3.eth.get_transaction(tx_hash)
    eq(tx["hash"], tx_hash, "getTransaction.hash")
    eq(tx["from"], sender, "getTransaction.from")
    eq(tx["to"], to, "getTransaction.to")
    eq(tx["value"], value, "getTransaction.value")
    eq(tx["type"], tx_type, "getTransaction.type")
    eq(tx["chainId"], 31337, "getTransaction.chainId")
    eq(tx["blockNumber"], n, "getTransaction.blockNumber")
    eq(tx["blockHash"], receipt["blockHash"], "getTransaction.blockHash")
    eq(tx["transactionIndex"], receipt["transactionIndex"], "getTransaction.transactionIndex")
    base = block["baseFeePerGas"]
    if tx_type == 2:
        check(tx["maxFeePerGas"] >= base, "maxFeePerGas covers the base fee")
        expected_price = base + min(tx["maxPriorityFeePerGas"], tx["maxFeePerGas"] - base)
    else:
        check("maxFeePerGas" not in tx, "a legacy tx has no maxFeePerGas")
        expected_price = tx["gasPrice"]
    eq(receipt["effectiveGasPrice"], expected_price, "receipt.effectiveGasPrice")

    to_before = w3.eth.get_balance(to, n - 1)
    to_after = w3.eth.get_balance(to, n)
    from_before = w3.eth.get_balance(sender, n - 1)
    from_after = w3.eth.get_balance(sender, n)
    eq(to_after - to_before, value, "recipient balance delta")
    eq(from_before - from_after, value + 21000 * expected_price, "sender balance delta (value + fee)")
    eq(w3.eth.get_balance(to), to_after, "recipient balance at latest")
    return receipt


def main():
    print(f"web3.py {web3.__version__} against {RPC_URL} / {WS_URL}")
    STEP[0] = "connect"
    w3 = Web3(Web3.HTTPProvider(RPC_URL))
    check(w3.is_connected(), "is_connected")
    eq(w3.eth.chain_id, 31337, "chain_id")
    eq(w3.net.version, "31337", "net.version")
    check(w3.client_version.startswith("orac/"), f"client_version {w3.client_version}")
    start_block = w3.eth.block_number
    check(start_block >= 0, "block_number")
    eq(w3.eth.get_balance(ADDR9), 10_000 * ETH, "balance of dev account 9")
    eq(w3.eth.get_code(ADDR9), b"", "get_code of an account")
    eq(w3.eth.accounts[0], ADDR0, "eth_accounts[0]")
    eq(len(w3.eth.accounts), 10, "eth_accounts count")
    nonce0 = w3.eth.get_transaction_count(ADDR0)
    print(f"  connected: chain 31337, block {start_block}")

    # --- fee methods ----------------------------------------------------
    STEP[0] = "fees"
    tip = w3.eth.max_priority_fee
    check(isinstance(tip, int) and tip > 0, f"max_priority_fee {tip}")
    gas_price = w3.eth.gas_price
    check(gas_price >= 10**9, f"gas_price {gas_price} covers the 1 gwei base fee")

    # --- type 2 transfer from a local account (the main path) -------------
    STEP[0] = "type-2 transfer"
    acct = Account.from_key(KEY0)
    eq(acct.address, ADDR0, "local account address")
    w3s = Web3(Web3.HTTPProvider(RPC_URL))
    w3s.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(acct), layer=0)
    to = fresh_address()
    value = 2 * ETH
    tx_hash = w3s.eth.send_transaction({"from": acct.address, "to": to, "value": value})
    r2 = check_transfer(w3, tx_hash, ADDR0, to, value, 2)
    eq(w3.eth.get_transaction(tx_hash)["nonce"], nonce0, "first nonce")
    print(f"  type-2 transfer mined in block {r2['blockNumber']}, effectiveGasPrice {r2['effectiveGasPrice']}")

    # The same with the transaction signed by hand and sent raw.
    STEP[0] = "signed raw transfer"
    to = fresh_address()
    value = 31337
    base = w3.eth.get_block("latest")["baseFeePerGas"]
    tx = {
        "chainId": w3.eth.chain_id,
        "nonce": w3.eth.get_transaction_count(ADDR0, "pending"),
        "to": to,
        "value": value,
        "gas": w3.eth.estimate_gas({"from": ADDR0, "to": to, "value": value}),
        "maxPriorityFeePerGas": w3.eth.max_priority_fee,
        "maxFeePerGas": 2 * base + w3.eth.max_priority_fee,
    }
    eq(tx["gas"], 21000, "estimate_gas of a transfer")
    signed = acct.sign_transaction(tx)
    raw_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    eq(raw_hash, signed.hash, "send_raw_transaction returns the tx hash")
    check_transfer(w3, raw_hash, ADDR0, to, value, 2)

    # --- legacy: a gasPrice makes web3.py build a type-0 transaction ------
    STEP[0] = "legacy transfer"
    to = fresh_address()
    value = 424242
    tx_hash = w3s.eth.send_transaction(
        {"from": acct.address, "to": to, "value": value, "gasPrice": w3.eth.gas_price}
    )
    r0 = check_transfer(w3, tx_hash, ADDR0, to, value, 0)
    eq(w3.eth.get_transaction(tx_hash)["nonce"], nonce0 + 2, "third nonce")
    print(f"  legacy transfer mined in block {r0['blockNumber']}")

    # --- node-held account: eth_sendTransaction ---------------------------
    STEP[0] = "eth_sendTransaction transfer"
    sender = w3.eth.accounts[1]
    eq(sender, ADDR1, "eth_accounts[1]")
    to = fresh_address()
    value = ETH // 2
    tx_hash = w3.eth.send_transaction({"from": sender, "to": to, "value": value})
    rs = check_transfer(w3, tx_hash, ADDR1, to, value, 2)
    print(f"  eth_sendTransaction transfer (accounts[1]) mined in block {rs['blockNumber']}")
    to = fresh_address()
    tx_hash = w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": to, "value": 5})
    check_transfer(w3, tx_hash, ADDR0, to, 5, 2)
    to = fresh_address()
    tx_hash = w3.eth.send_transaction(
        {"from": w3.eth.accounts[0], "to": to, "value": 6, "gasPrice": w3.eth.gas_price}
    )
    check_transfer(w3, tx_hash, ADDR0, to, 6, 0)

    # --- errors with geth's texts -----------------------------------------
    STEP[0] = "nonce too low"
    e = must_fail(
        lambda: w3s.eth.send_transaction(
            {"from": acct.address, "to": fresh_address(), "value": 1, "nonce": nonce0}
        ),
        "a transfer reusing a mined nonce",
    )
    check(isinstance(e, Web3RPCError), f"a Web3RPCError, got {type(e).__name__}: {e}")
    check("nonce too low" in rpc_message(e), f'node message has "nonce too low": {rpc_message(e)}')
    # The very first signed transaction, sent again byte for byte.
    e = must_fail(
        lambda: w3.eth.send_raw_transaction(signed.raw_transaction),
        "resending a mined raw transaction",
    )
    check(isinstance(e, Web3RPCError), f"a Web3RPCError, got {type(e).__name__}: {e}")
    check("nonce too low" in rpc_message(e), f'node message has "nonce too low": {rpc_message(e)}')

    STEP[0] = "insufficient funds"
    balance = w3.eth.get_balance(ADDR0)
    e = must_fail(
        lambda: w3s.eth.send_transaction(
            {"from": acct.address, "to": fresh_address(), "value": balance + 1}
        ),
        "sending more than the balance (local signer)",
    )
    check(isinstance(e, Web3RPCError), f"a Web3RPCError, got {type(e).__name__}: {e}")
    check("insufficient funds" in rpc_message(e), f'node message has "insufficient funds": {rpc_message(e)}')
    e = must_fail(
        lambda: w3.eth.send_transaction(
            {"from": ADDR0, "to": fresh_address(), "value": balance + 1}
        ),
        "sending more than the balance (node account)",
    )
    check(isinstance(e, Web3RPCError), f"a Web3RPCError, got {type(e).__name__}: {e}")
    check("insufficient funds" in rpc_message(e), f'node message has "insufficient funds": {rpc_message(e)}')
    e = must_fail(
        lambda: w3s.eth.send_transaction(
            {"from": acct.address, "to": fresh_address(), "value": balance, "gas": 21000}
        ),
        "sending the whole balance plus gas (eth_sendRawTransaction)",
    )
    check(isinstance(e, Web3RPCError), f"a Web3RPCError, got {type(e).__name__}: {e}")
    check("insufficient funds" in rpc_message(e), f'node message has "insufficient funds": {rpc_message(e)}')
    eq(w3.eth.get_transaction_count(ADDR0, "pending"), nonce0 + 5, "failed sends used no nonce")

    # --- fee history ------------------------------------------------------
    STEP[0] = "fee_history"
    head = w3.eth.block_number
    fh = w3.eth.fee_history(4, "latest", [25, 75])
    eq(fh["oldestBlock"], head - 3, "fee_history.oldestBlock")
    eq(len(fh["baseFeePerGas"]), 5, "fee_history.baseFeePerGas has blocks + 1 entries")
    check(all(b > 0 for b in fh["baseFeePerGas"]), "fee_history base fees are positive")
    eq(fh["baseFeePerGas"][-2], w3.eth.get_block(head)["baseFeePerGas"], "fee_history base fee of the head")
    eq(len(fh["gasUsedRatio"]), 4, "fee_history.gasUsedRatio")
    gas_limit = w3.eth.get_block(head)["gasLimit"]
    eq(fh["gasUsedRatio"][-1], w3.eth.get_block(head)["gasUsed"] / gas_limit, "fee_history gasUsedRatio of the head")
    eq(len(fh["reward"]), 4, "fee_history.reward rows")
    check(all(len(r) == 2 for r in fh["reward"]), "fee_history.reward has one entry per percentile")
    last_tx = w3.eth.get_block(head, full_transactions=True)["transactions"][0]
    eq(
        fh["reward"][-1][0],
        min(last_tx.get("maxPriorityFeePerGas", last_tx["gasPrice"] - fh["baseFeePerGas"][-2]),
            last_tx.get("maxFeePerGas", last_tx["gasPrice"]) - fh["baseFeePerGas"][-2]),
        "fee_history reward of the head's only transaction",
    )

    # --- logs and block receipts ------------------------------------------
    STEP[0] = "logs"
    eq(w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest"}), [], "get_logs from genesis")
    eq(w3.eth.get_logs({"blockHash": r2["blockHash"]}), [], "get_logs by blockHash")
    receipts = w3.eth.get_block_receipts(r2["blockNumber"])
    eq(len(receipts), 1, "get_block_receipts count")
    eq(receipts[0], w3.eth.get_transaction_receipt(r2["transactionHash"]), "get_block_receipts[0] is the receipt")

    # --- block filter (eth_newBlockFilter / eth_getFilterChanges) --------
    STEP[0] = "block filter"
    block_filter = w3.eth.filter("latest")
    eq(block_filter.get_new_entries(), [], "no new blocks yet")
    tx_hash = w3.eth.send_transaction({"from": ADDR1, "to": fresh_address(), "value": 1})
    r = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    entries = block_filter.get_new_entries()
    eq(entries, [r["blockHash"]], "block filter reports the new block")
    check(w3.eth.uninstall_filter(block_filter.filter_id), "uninstall_filter")

    # --- WebSocket: AsyncWeb3 + eth_subscribe newHeads --------------------
    STEP[0] = "WebSocket newHeads"
    asyncio.run(websocket_checks())

    STEP[0] = "final state"
    end = w3.eth.block_number
    check(end >= start_block + 8, f"block number advanced by the 8 transfers (from {start_block} to {end})")


async def websocket_checks():
    async with AsyncWeb3(AsyncWeb3.WebSocketProvider(WS_URL)) as aw3:
        eq(await aw3.eth.chain_id, 31337, "chain_id over WebSocket")
        sub_id = await aw3.eth.subscribe("newHeads")
        check(isinstance(sub_id, str) and sub_id.startswith("0x"), f"subscription id {sub_id}")
        to = fresh_address()
        tx_hash = await aw3.eth.send_transaction({"from": ADDR1, "to": to, "value": 3})
        receipt = await aw3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
        eq(receipt["status"], 1, "WebSocket transfer status")
        eq(await aw3.eth.get_balance(to), 3, "WebSocket transfer balance")

        async def first_head():
            async for msg in aw3.socket.process_subscriptions():
                eq(msg["subscription"], sub_id, "notification subscription id")
                head = msg["result"]
                if head["number"] >= receipt["blockNumber"]:
                    return head
            return None

        head = await asyncio.wait_for(first_head(), 20)
        eq(head["number"], receipt["blockNumber"], "newHeads number")
        eq(head["hash"], receipt["blockHash"], "newHeads hash")
        check(head["baseFeePerGas"] > 0, "newHeads baseFeePerGas")
        check(await aw3.eth.unsubscribe(sub_id), "eth_unsubscribe")
        print(f"  WebSocket newHeads: block {head['number']}")


if __name__ == "__main__":
    run("web3.py", main)
