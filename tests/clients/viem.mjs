// viem against an orac dev node, with viem's default settings.
//
//   ORAC_RPC_URL=http://127.0.0.1:PORT ORAC_WS_URL=ws://127.0.0.1:PORT node viem.mjs
//
// Exits 0 when every check passed; otherwise prints the failed check and
// exits 1.

import {
  BaseError,
  FeeCapTooLowError,
  InsufficientFundsError,
  IntrinsicGasTooLowError,
  NonceTooLowError,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  parseEther,
  parseGwei,
  webSocket,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { ADDR0, ADDR9, KEY0, check, eq, mustFail, packageVersion, requireEnv, run, sleep, until } from "./common.mjs";

const version = packageVersion("viem");

const { ORAC_RPC_URL: RPC_URL, ORAC_WS_URL: WS_URL } = requireEnv("viem", ["ORAC_RPC_URL", "ORAC_WS_URL"]);

const oracDev = defineChain({
  id: 31337,
  name: "orac dev",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [RPC_URL], webSocket: [WS_URL] } },
});

let step = "start";
const freshAddress = () => privateKeyToAccount(generatePrivateKey()).address;

const publicClient = createPublicClient({ chain: oracDev, transport: http(RPC_URL) });
const account = privateKeyToAccount(KEY0);
const wallet = createWalletClient({ account, chain: oracDev, transport: http(RPC_URL) });

/** Checks a mined transfer end to end; returns the receipt. */
async function checkTransfer(hash, { from, to, value, type }) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: 30_000 });
  eq(receipt.status, "success", "receipt.status");
  eq(receipt.gasUsed, 21000n, "receipt.gasUsed");
  eq(receipt.cumulativeGasUsed, 21000n, "receipt.cumulativeGasUsed");
  eq(receipt.type, type, "receipt.type");
  eq(receipt.transactionHash, hash, "receipt.transactionHash");
  eq(receipt.from.toLowerCase(), from.toLowerCase(), "receipt.from");
  eq(receipt.to.toLowerCase(), to.toLowerCase(), "receipt.to");
  eq(receipt.contractAddress, null, "receipt.contractAddress");
  eq(receipt.logs.length, 0, "no logs for a transfer");
  check(receipt.blockNumber >= 1n, "receipt.blockNumber");

  const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
  eq(block.number, receipt.blockNumber, "block.number");
  eq(block.hash, receipt.blockHash, "block.hash");
  check(block.transactions.includes(hash), "block lists the transaction");
  check(typeof block.baseFeePerGas === "bigint" && block.baseFeePerGas > 0n, "block.baseFeePerGas");
  eq(block.gasUsed, 21000n, "block.gasUsed");
  const byHash = await publicClient.getBlock({ blockHash: receipt.blockHash, includeTransactions: true });
  eq(byHash.number, block.number, "block by hash: number");
  eq(byHash.hash, block.hash, "block by hash: hash");
  eq(byHash.baseFeePerGas, block.baseFeePerGas, "block by hash: baseFeePerGas");
  eq(byHash.transactions[0]?.hash, hash, "block by hash: full transaction");

  const tx = await publicClient.getTransaction({ hash });
  eq(tx.hash, hash, "getTransaction.hash");
  eq(tx.from.toLowerCase(), from.toLowerCase(), "getTransaction.from");
  eq(tx.to.toLowerCase(), to.toLowerCase(), "getTransaction.to");
  eq(tx.value, value, "getTransaction.value");
  eq(tx.type, type, "getTransaction.type");
  eq(tx.chainId, 31337, "getTransaction.chainId");
  eq(tx.blockNumber, receipt.blockNumber, "getTransaction.blockNumber");
  eq(tx.blockHash, receipt.blockHash, "getTransaction.blockHash");
  eq(tx.transactionIndex, receipt.transactionIndex, "getTransaction.transactionIndex");
  let expectedPrice;
  if (type === "eip1559") {
    check(tx.maxFeePerGas >= block.baseFeePerGas, "maxFeePerGas covers the base fee");
    const room = tx.maxFeePerGas - block.baseFeePerGas;
    expectedPrice =
      block.baseFeePerGas + (tx.maxPriorityFeePerGas < room ? tx.maxPriorityFeePerGas : room);
    eq(tx.gasPrice, expectedPrice, "getTransaction.gasPrice of a mined type-2 tx");
  } else {
    expectedPrice = tx.gasPrice;
  }
  eq(receipt.effectiveGasPrice, expectedPrice, "receipt.effectiveGasPrice");

  const n = receipt.blockNumber;
  const [toAfter, toBefore, fromAfter, fromBefore] = await Promise.all([
    publicClient.getBalance({ address: to, blockNumber: n }),
    publicClient.getBalance({ address: to, blockNumber: n - 1n }),
    publicClient.getBalance({ address: from, blockNumber: n }),
    publicClient.getBalance({ address: from, blockNumber: n - 1n }),
  ]);
  eq(toAfter - toBefore, value, "recipient balance delta");
  eq(fromBefore - fromAfter, value + 21000n * expectedPrice, "sender balance delta (value + fee)");
  eq(await publicClient.getBalance({ address: to }), toAfter, "recipient balance at latest");
  return receipt;
}

async function main() {
  console.log(`viem ${version} against ${RPC_URL} / ${WS_URL}`);

  step = "connect";
  eq(await publicClient.getChainId(), 31337, "chainId");
  const startBlock = await publicClient.getBlockNumber();
  check(typeof startBlock === "bigint" && startBlock >= 0n, "getBlockNumber");
  eq(await publicClient.getBalance({ address: ADDR9 }), parseEther("10000"), "balance of dev account 9");
  const nonce0 = await publicClient.getTransactionCount({ address: ADDR0 });
  const fees = await publicClient.estimateFeesPerGas();
  check(fees.maxFeePerGas > 0n && fees.maxPriorityFeePerGas > 0n, "estimateFeesPerGas");
  const gasPrice = await publicClient.getGasPrice();
  check(gasPrice >= parseGwei("1"), `gasPrice ${gasPrice} covers the 1 gwei base fee`);
  console.log(`  connected: chain 31337, block ${startBlock}`);

  // --- type 2 transfer from a local account (the main path) --------------
  step = "type-2 transfer";
  let to = freshAddress();
  let value = parseEther("1.5");
  const hash2 = await wallet.sendTransaction({ to, value });
  const r2 = await checkTransfer(hash2, { from: ADDR0, to, value, type: "eip1559" });
  eq((await publicClient.getTransaction({ hash: hash2 })).nonce, nonce0, "first nonce");
  console.log(`  type-2 transfer mined in block ${r2.blockNumber}, effectiveGasPrice ${r2.effectiveGasPrice}`);

  // --- legacy when asked explicitly --------------------------------------
  step = "legacy transfer";
  to = freshAddress();
  value = 987654321n;
  const hash0 = await wallet.sendTransaction({ to, value, type: "legacy" });
  const r0 = await checkTransfer(hash0, { from: ADDR0, to, value, type: "legacy" });
  const tx0 = await publicClient.getTransaction({ hash: hash0 });
  eq(tx0.nonce, nonce0 + 1, "second nonce");
  eq(tx0.maxFeePerGas, undefined, "a legacy tx has no maxFeePerGas");
  console.log(`  legacy transfer mined in block ${r0.blockNumber}`);

  // --- errors with geth's texts -------------------------------------------
  step = "nonce too low";
  let e = await mustFail(
    () => wallet.sendTransaction({ to: freshAddress(), value: 1n, nonce: nonce0 }),
    "a transfer reusing a mined nonce",
  );
  check(e instanceof BaseError, `a viem error: ${e}`);
  check(e.walk((x) => x instanceof NonceTooLowError) !== null, `viem NonceTooLowError: ${e.message}`);
  check(/nonce too low/.test(e.details ?? ""), `node message has "nonce too low": ${e.details}`);

  step = "insufficient funds";
  const balance0 = await publicClient.getBalance({ address: ADDR0 });
  e = await mustFail(
    () => wallet.sendTransaction({ to: freshAddress(), value: balance0 + 1n }),
    "sending more than the balance",
  );
  check(e.walk((x) => x instanceof InsufficientFundsError) !== null, `viem InsufficientFundsError: ${e.message}`);
  check(/insufficient funds/.test(e.details ?? ""), `node message has "insufficient funds": ${e.details}`);
  // With the gas given, the signed tx reaches eth_sendRawTransaction.
  e = await mustFail(
    () => wallet.sendTransaction({ to: freshAddress(), value: balance0, gas: 21000n }),
    "sending the whole balance plus gas",
  );
  check(e.walk((x) => x instanceof InsufficientFundsError) !== null, `viem InsufficientFundsError: ${e.message}`);
  check(/insufficient funds/.test(e.details ?? ""), `node message has "insufficient funds": ${e.details}`);

  step = "intrinsic gas too low";
  e = await mustFail(
    () => wallet.sendTransaction({ to: freshAddress(), value: 1n, gas: 20000n }),
    "a transfer with 20000 gas",
  );
  check(e.walk((x) => x instanceof IntrinsicGasTooLowError) !== null, `viem IntrinsicGasTooLowError: ${e.message}`);
  check(/intrinsic gas too low/.test(e.details ?? ""), `node message has "intrinsic gas too low": ${e.details}`);

  step = "max fee below the base fee";
  e = await mustFail(
    () => wallet.sendTransaction({ to: freshAddress(), value: 1n, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }),
    "a transfer whose maxFeePerGas is 1 wei",
  );
  check(e.walk((x) => x instanceof FeeCapTooLowError) !== null, `viem FeeCapTooLowError: ${e.message}`);
  check(/max fee per gas less than block base fee/.test(e.details ?? ""), `node message has geth's text: ${e.details}`);
  eq(await publicClient.getTransactionCount({ address: ADDR0, blockTag: "pending" }), nonce0 + 2, "failed sends used no nonce");

  // --- block filter over HTTP (eth_newBlockFilter / eth_getFilterChanges) -
  step = "HTTP block filter";
  {
    const filter = await publicClient.createBlockFilter();
    const hash = await wallet.sendTransaction({ to: freshAddress(), value: 1n });
    const r = await publicClient.waitForTransactionReceipt({ hash });
    const changes = await publicClient.getFilterChanges({ filter });
    check(changes.includes(r.blockHash), `filter changes ${changes} include block ${r.blockHash}`);
    eq((await publicClient.getFilterChanges({ filter })).length, 0, "no changes on the second poll");
    eq(await publicClient.uninstallFilter({ filter }), true, "uninstallFilter");
  }

  // --- logs: none without a VM, but the queries must be served ------------
  step = "getLogs";
  eq((await publicClient.getLogs({ fromBlock: 0n, toBlock: "latest" })).length, 0, "getLogs from genesis");
  eq((await publicClient.getLogs({ blockHash: r2.blockHash })).length, 0, "getLogs by blockHash");
  {
    const filter = await publicClient.createEventFilter({ address: ADDR0 });
    await publicClient.waitForTransactionReceipt({
      hash: await wallet.sendTransaction({ to: freshAddress(), value: 1n }),
    });
    eq((await publicClient.getFilterChanges({ filter })).length, 0, "event filter changes");
    eq((await publicClient.getFilterLogs({ filter })).length, 0, "event filter logs");
    eq(await publicClient.uninstallFilter({ filter }), true, "uninstall the event filter");
  }

  // --- watchBlockNumber over HTTP polling ---------------------------------
  step = "HTTP watchBlockNumber";
  {
    const seen = [];
    const unwatch = publicClient.watchBlockNumber({
      onBlockNumber: (n) => seen.push(n),
      onError: (err) => seen.push(err),
    });
    await sleep(1500);
    const hash = await wallet.sendTransaction({ to: freshAddress(), value: 1n });
    const r = await publicClient.waitForTransactionReceipt({ hash });
    const ok = await until(() => seen.includes(r.blockNumber), 20_000);
    unwatch();
    check(ok, `HTTP watchBlockNumber saw block ${r.blockNumber} (saw ${seen})`);
    console.log(`  HTTP watchBlockNumber: ${seen.join(", ")}`);
  }

  // --- watchBlockNumber and watchBlocks over the WebSocket transport ------
  step = "WebSocket watchBlocks";
  {
    const wsClient = createPublicClient({ chain: oracDev, transport: webSocket(WS_URL) });
    eq(await wsClient.getChainId(), 31337, "chainId over WebSocket");
    const numbers = [];
    const blocks = [];
    const errors = [];
    const unwatchNumbers = wsClient.watchBlockNumber({
      onBlockNumber: (n) => numbers.push(n),
      onError: (err) => errors.push(err),
    });
    const unwatchBlocks = wsClient.watchBlocks({
      onBlock: (b) => blocks.push(b),
      onError: (err) => errors.push(err),
    });
    await sleep(1000); // the eth_subscribe calls go out asynchronously
    const hash = await wallet.sendTransaction({ to: freshAddress(), value: 1n });
    const r = await publicClient.waitForTransactionReceipt({ hash });
    const ok = await until(
      () => numbers.includes(r.blockNumber) && blocks.some((b) => b.number === r.blockNumber),
      20_000,
    );
    unwatchNumbers();
    unwatchBlocks();
    check(errors.length === 0, `no subscription errors: ${errors.map(String).join("; ")}`);
    check(ok, `WebSocket saw block ${r.blockNumber} (numbers ${numbers}, blocks ${blocks.map((b) => b.number)})`);
    const b = blocks.find((x) => x.number === r.blockNumber);
    eq(b.hash, r.blockHash, "newHeads block hash");
    check(typeof b.baseFeePerGas === "bigint" && b.baseFeePerGas > 0n, "newHeads baseFeePerGas");
    // A transfer sent through the WebSocket transport as well.
    const wsWallet = createWalletClient({ account, chain: oracDev, transport: webSocket(WS_URL) });
    const dest = freshAddress();
    const hashWs = await wsWallet.sendTransaction({ to: dest, value: 9n });
    const rWs = await wsClient.waitForTransactionReceipt({ hash: hashWs, timeout: 30_000 });
    eq(rWs.status, "success", "WebSocket transfer status");
    eq(await wsClient.getBalance({ address: dest }), 9n, "WebSocket transfer balance");
    await sleep(200);
    await wsClient.transport.getRpcClient?.().then((c) => c.close()).catch(() => {});
    console.log(`  WebSocket watchBlockNumber: ${numbers.join(", ")}; watchBlocks: ${blocks.map((x) => x.number).join(", ")}`);
  }

  step = "final state";
  const end = await publicClient.getBlockNumber({ cacheTime: 0 });
  check(end >= startBlock + 7n, `block number advanced by the 7 transfers (from ${startBlock} to ${end})`);
}

run("viem", main, () => step);
