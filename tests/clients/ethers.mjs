// ethers v6 against an orac dev node, with ethers' default settings.
//
//   ORAC_RPC_URL=http://127.0.0.1:PORT ORAC_WS_URL=ws://127.0.0.1:PORT node ethers.mjs
//
// Exits 0 when every check passed; otherwise prints the failed check and
// exits 1.

import {
  JsonRpcProvider,
  WebSocketProvider,
  Wallet,
  Transaction,
  getAddress,
  parseEther,
  version,
} from "ethers";
import { ADDR0, ADDR1, ADDR9, KEY0, KEY1, check, eq, mustFail, requireEnv, run, sleep, withTimeout } from "./common.mjs";

const { ORAC_RPC_URL: RPC_URL, ORAC_WS_URL: WS_URL } = requireEnv("ethers", ["ORAC_RPC_URL", "ORAC_WS_URL"]);

const TEN_THOUSAND_ETH = parseEther("10000");

let step = "start";
/** The node's own JSON-RPC error message carried inside an ethers error. */
function nodeMessage(e) {
  return String(e?.info?.error?.message ?? e?.error?.message ?? "");
}
const freshAddress = () => Wallet.createRandom().address;

/** Checks a mined transfer end to end; returns the receipt. */
async function checkTransfer(provider, tx, { from, to, value, type }, before) {
  eq(tx.type, type, "response type");
  const receipt = await withTimeout(tx.wait(), 30_000, "the receipt");
  check(receipt !== null, "a receipt");
  eq(receipt.status, 1, "receipt.status");
  eq(receipt.gasUsed, 21000n, "receipt.gasUsed");
  eq(receipt.type, type, "receipt.type");
  eq(receipt.hash, tx.hash, "receipt.hash");
  eq(receipt.from, from, "receipt.from");
  eq(receipt.to, to, "receipt.to");
  check(receipt.blockNumber >= 1, "receipt.blockNumber");
  eq(receipt.logs.length, 0, "no logs for a transfer");

  const block = await provider.getBlock(receipt.blockNumber);
  check(block !== null, `block ${receipt.blockNumber} by number`);
  eq(block.number, receipt.blockNumber, "block.number");
  eq(block.hash, receipt.blockHash, "block.hash");
  check(block.transactions.includes(tx.hash), "block lists the transaction");
  check(typeof block.baseFeePerGas === "bigint" && block.baseFeePerGas > 0n, "block.baseFeePerGas");
  const byHash = await provider.getBlock(receipt.blockHash);
  check(byHash !== null, "block by hash");
  eq(byHash.number, block.number, "block by hash: number");
  eq(byHash.hash, block.hash, "block by hash: hash");
  eq(byHash.parentHash, block.parentHash, "block by hash: parentHash");
  eq(byHash.baseFeePerGas, block.baseFeePerGas, "block by hash: baseFeePerGas");
  const parent = await provider.getBlock(block.number - 1);
  eq(block.parentHash, parent.hash, "block.parentHash links to the previous block");

  // effectiveGasPrice, as ethers reads it into receipt.gasPrice.
  const got = await provider.getTransaction(tx.hash);
  check(got !== null, "getTransaction");
  eq(got.hash, tx.hash, "getTransaction.hash");
  eq(got.from, from, "getTransaction.from");
  eq(got.to, to, "getTransaction.to");
  eq(got.value, value, "getTransaction.value");
  eq(got.nonce, tx.nonce, "getTransaction.nonce");
  eq(got.type, type, "getTransaction.type");
  eq(got.chainId, 31337n, "getTransaction.chainId");
  eq(got.blockNumber, receipt.blockNumber, "getTransaction.blockNumber");
  eq(got.blockHash, receipt.blockHash, "getTransaction.blockHash");
  eq(got.index, receipt.index, "getTransaction.index");
  eq(got.gasLimit, tx.gasLimit, "getTransaction.gasLimit");
  let expectedPrice;
  if (type === 2) {
    check(got.maxFeePerGas >= block.baseFeePerGas, "maxFeePerGas covers the base fee");
    const tip = got.maxFeePerGas - block.baseFeePerGas;
    expectedPrice =
      block.baseFeePerGas + (got.maxPriorityFeePerGas < tip ? got.maxPriorityFeePerGas : tip);
  } else {
    expectedPrice = got.gasPrice;
  }
  eq(receipt.gasPrice, expectedPrice, "receipt.effectiveGasPrice");
  eq(receipt.fee, 21000n * expectedPrice, "receipt.fee");
  // The signed transaction the node serves re-derives the same hash.
  eq(Transaction.from(got).hash, tx.hash, "getTransaction re-serialises to the same hash");

  // Balances at the transfer's block and the one before it (ethers caches
  // an identical "latest" request for 250 ms, and instant mining is faster).
  const n = receipt.blockNumber;
  const [toAfter, fromAfter, toBefore, fromBefore] = await Promise.all([
    provider.getBalance(to, n),
    provider.getBalance(from, n),
    provider.getBalance(to, n - 1),
    provider.getBalance(from, n - 1),
  ]);
  eq(toBefore, before.to, "recipient balance before the transfer");
  eq(fromBefore, before.from, "sender balance before the transfer");
  eq(toAfter - toBefore, value, "recipient balance delta");
  eq(fromBefore - fromAfter, value + receipt.fee, "sender balance delta (value + fee)");
  await sleep(300); // past ethers' request cache
  eq(await provider.getBalance(to), toAfter, "recipient balance at latest");
  const full = await provider.getBlock(receipt.blockNumber, true);
  check(full.prefetchedTransactions.some((t) => t.hash === tx.hash), "getBlock(n, true) has the tx");
  return receipt;
}

async function balances(provider, from, to) {
  const [f, t] = await Promise.all([provider.getBalance(from), provider.getBalance(to)]);
  return { from: f, to: t };
}

async function main() {
  console.log(`ethers ${version} against ${RPC_URL} / ${WS_URL}`);
  const provider = new JsonRpcProvider(RPC_URL);

  step = "connect";
  const network = await provider.getNetwork();
  eq(network.chainId, 31337n, "chainId");
  const startBlock = await provider.getBlockNumber();
  check(Number.isInteger(startBlock) && startBlock >= 0, "getBlockNumber");
  eq(await provider.getBalance(ADDR9), TEN_THOUSAND_ETH, "balance of dev account 9");
  // 0 on a fresh node; the checks below are relative so a reused node works.
  const nonce0 = await provider.getTransactionCount(ADDR0);
  eq(await provider.getCode(ADDR0), "0x", "getCode of an account");
  const feeData = await provider.getFeeData();
  check(feeData.maxFeePerGas !== null && feeData.maxPriorityFeePerGas !== null, "EIP-1559 fee data");
  check(feeData.gasPrice > 0n, "gasPrice");
  console.log(`  connected: chain ${network.chainId}, block ${startBlock}`);

  // --- type 2 transfer from a local wallet (the main path) ---------------
  step = "type-2 transfer";
  const wallet = new Wallet(KEY0, provider);
  eq(wallet.address, ADDR0, "wallet address");
  let to = freshAddress();
  let value = parseEther("1.25");
  let before = await balances(provider, ADDR0, to);
  const tx2 = await wallet.sendTransaction({ to, value });
  const r2 = await checkTransfer(provider, tx2, { from: ADDR0, to, value, type: 2 }, before);
  eq(tx2.nonce, nonce0, "first nonce");
  console.log(`  type-2 transfer mined in block ${r2.blockNumber}, effectiveGasPrice ${r2.gasPrice}`);

  // --- legacy (type 0) when asked explicitly ------------------------------
  step = "legacy transfer";
  to = freshAddress();
  value = 123456789n;
  before = await balances(provider, ADDR0, to);
  const tx0 = await wallet.sendTransaction({ to, value, type: 0 });
  check(tx0.gasPrice > 0n && tx0.maxFeePerGas === null, "legacy tx carries gasPrice only");
  const r0 = await checkTransfer(provider, tx0, { from: ADDR0, to, value, type: 0 }, before);
  eq(tx0.nonce, nonce0 + 1, "second nonce");
  console.log(`  legacy transfer mined in block ${r0.blockNumber}`);

  // --- node-held account: JsonRpcSigner / eth_sendTransaction -------------
  step = "JsonRpcSigner transfer";
  const accounts = await provider.listAccounts();
  eq(accounts.length, 10, "eth_accounts count");
  const signer = await provider.getSigner(0);
  eq(signer.address, ADDR0, "node signer 0 address");
  const signer1 = await provider.getSigner(ADDR1);
  eq(signer1.address, ADDR1, "node signer by address");
  to = freshAddress();
  value = parseEther("0.5");
  before = await balances(provider, ADDR1, to);
  const txs = await signer1.sendTransaction({ to, value });
  const rs = await checkTransfer(provider, txs, { from: ADDR1, to, value, type: 2 }, before);
  console.log(`  eth_sendTransaction transfer mined in block ${rs.blockNumber}`);

  // --- errors with geth's texts -------------------------------------------
  step = "nonce too low";
  let e = await mustFail(
    () => wallet.sendTransaction({ to: freshAddress(), value: 1n, nonce: 0 }),
    "a transfer reusing nonce 0",
  );
  eq(e.code, "NONCE_EXPIRED", `ethers error code for a used nonce (${e.message})`);
  check(/nonce too low/.test(nodeMessage(e)), `node message has "nonce too low": ${nodeMessage(e)}`);
  // Rebroadcasting the already-mined first transfer, byte for byte.
  const mined = await provider.getTransaction(tx2.hash);
  e = await mustFail(
    () => provider.broadcastTransaction(Transaction.from(mined).serialized),
    "rebroadcasting a mined transaction",
  );
  eq(e.code, "NONCE_EXPIRED", `ethers error code for a mined tx resent (${e.message})`);
  check(/nonce too low/.test(nodeMessage(e)), `node message has "nonce too low": ${nodeMessage(e)}`);

  step = "insufficient funds";
  const balance0 = await provider.getBalance(ADDR0);
  // With defaults ethers estimates gas first (eth_estimateGas fails).
  e = await mustFail(
    () => wallet.sendTransaction({ to: freshAddress(), value: balance0 + 1n }),
    "sending more than the balance",
  );
  eq(e.code, "INSUFFICIENT_FUNDS", `ethers error code (${e.message})`);
  check(/insufficient funds/.test(nodeMessage(e)), `node message has "insufficient funds": ${nodeMessage(e)}`);
  // With the gas given, the signed transaction reaches eth_sendRawTransaction.
  e = await mustFail(
    () => wallet.sendTransaction({ to: freshAddress(), value: balance0, gasLimit: 21000n }),
    "sending the whole balance plus gas",
  );
  eq(e.code, "INSUFFICIENT_FUNDS", `ethers error code (${e.message})`);
  check(/insufficient funds/.test(nodeMessage(e)), `node message has "insufficient funds": ${nodeMessage(e)}`);
  eq(await provider.getTransactionCount(ADDR0, "pending"), nonce0 + 2, "failed sends used no nonce");

  // --- logs: none without a VM, but the queries must be served ------------
  step = "getLogs";
  eq((await provider.getLogs({ fromBlock: 0, toBlock: "latest" })).length, 0, "getLogs from genesis");
  eq((await provider.getLogs({ blockHash: r2.blockHash })).length, 0, "getLogs by blockHash");
  eq((await provider.getLogs({ address: ADDR0, topics: [null] })).length, 0, "getLogs by address");

  // --- provider.on("block") over HTTP polling ------------------------------
  step = "HTTP block events";
  {
    const seen = [];
    await provider.on("block", (n) => seen.push(n));
    await sleep(1500); // let the poller take its baseline
    const t = await wallet.sendTransaction({ to: freshAddress(), value: 1n });
    const r = await t.wait();
    const deadline = Date.now() + 20_000;
    while (!seen.includes(r.blockNumber) && Date.now() < deadline) await sleep(100);
    check(seen.includes(r.blockNumber), `HTTP "block" event for block ${r.blockNumber} (saw ${seen})`);
    await provider.off("block");
    console.log(`  HTTP "block" events: ${seen.join(", ")}`);
  }

  // --- WebSocketProvider subscription (eth_subscribe newHeads) ------------
  step = "WebSocket block events";
  {
    const wsp = new WebSocketProvider(WS_URL);
    eq((await wsp.getNetwork()).chainId, 31337n, "chainId over WebSocket");
    eq(await wsp.getBlockNumber(), await provider.getBlockNumber(), "block number over WebSocket");
    const seen = [];
    await wsp.on("block", (n) => seen.push(n));
    await wsp.getBlockNumber(); // round trip after the eth_subscribe
    await sleep(500);
    const t = await wallet.sendTransaction({ to: freshAddress(), value: 1n });
    const r = await t.wait();
    const deadline = Date.now() + 20_000;
    while (!seen.includes(r.blockNumber) && Date.now() < deadline) await sleep(50);
    check(seen.includes(r.blockNumber), `WebSocket "block" event for block ${r.blockNumber} (saw ${seen})`);
    // A transfer sent over the WebSocket provider too.
    const wsWallet = new Wallet(KEY1, wsp);
    const dest = freshAddress();
    const t2 = await wsWallet.sendTransaction({ to: dest, value: 7n });
    const r2 = await withTimeout(t2.wait(), 30_000, "receipt over WebSocket");
    eq(r2.status, 1, "WebSocket transfer status");
    eq(await wsp.getBalance(dest), 7n, "WebSocket transfer balance");
    while (!seen.includes(r2.blockNumber) && Date.now() < deadline + 20_000) await sleep(50);
    check(seen.includes(r2.blockNumber), `WebSocket "block" event for block ${r2.blockNumber}`);
    await wsp.off("block");
    // Let the eth_unsubscribe that off() sends get its answer first.
    await wsp.getBlockNumber();
    await sleep(200);
    await wsp.destroy();
    console.log(`  WebSocket "block" events: ${seen.join(", ")}`);
  }

  step = "final state";
  const end = await provider.getBlockNumber();
  const raw = await provider.send("eth_blockNumber", []);
  check(
    end >= startBlock + 6,
    `block number advanced by the 6 transfers (from ${startBlock} to ${end}; raw eth_blockNumber ${raw})`,
  );
  eq(getAddress(accounts[0].address), ADDR0, "listAccounts[0]");
  provider.destroy();
}

run("ethers", main, () => step, (err) => {
  if (err?.info) console.error(`  info: ${JSON.stringify(err.info, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`);
});
