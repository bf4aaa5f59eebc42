// viem drives the orac SDK's ERC-20 (a Rust/WASM contract) through its own
// standard `erc20Abi`, unchanged and with default settings: deployContract,
// readContract / simulateContract / writeContract, Transfer and Approval
// events from eth_getLogs (getContractEvents, getLogs), from an HTTP event
// filter and from a WebSocket logs subscription (watchContractEvent over the
// webSocket transport), and the token's custom errors.
//
//   ORAC_RPC_URL=... ORAC_WS_URL=... ORAC_ERC20_BIN=... ORAC_ERC20_ABI=... node erc20_viem.mjs
//
// erc20.abi.json is used only to deploy (it holds the constructor); every
// interaction uses viem's `erc20Abi` export. The token's custom errors are
// not part of EIP-20, so they are declared separately to decode reverts.
import { readFileSync } from "node:fs";
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  decodeErrorResult,
  defineChain,
  erc20Abi,
  getContractAddress,
  http,
  parseAbi,
  parseAbiItem,
  parseUnits,
  webSocket,
  zeroAddress,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { KEY0, KEY1, check, eq, mustFail, packageVersion, requireEnv, run, same, sleep, until } from "./common.mjs";

const version = packageVersion("viem");

let step = "start";

const env = requireEnv("viem erc20", ["ORAC_RPC_URL", "ORAC_WS_URL", "ORAC_ERC20_BIN", "ORAC_ERC20_ABI"]);
const RPC_URL = env.ORAC_RPC_URL;
const WS_URL = env.ORAC_WS_URL;
const fullAbi = JSON.parse(readFileSync(process.env.ORAC_ERC20_ABI, "utf8"));
const bytecode = readFileSync(process.env.ORAC_ERC20_BIN, "utf8").trim();
const errorsAbi = parseAbi([
  "error InsufficientBalance(address owner, uint256 balance, uint256 needed)",
  "error InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
  "error InvalidReceiver(address receiver)",
]);

const SUPPLY = parseUnits("1000000", 18);

const oracDev = defineChain({
  id: 31337,
  name: "orac dev",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [RPC_URL], webSocket: [WS_URL] } },
});
const publicClient = createPublicClient({ chain: oracDev, transport: http(RPC_URL) });
const owner = privateKeyToAccount(KEY0);
const spender = privateKeyToAccount(KEY1);
const ownerWallet = createWalletClient({ account: owner, chain: oracDev, transport: http(RPC_URL) });
const spenderWallet = createWalletClient({ account: spender, chain: oracDev, transport: http(RPC_URL) });
const freshAddress = () => privateKeyToAccount(generatePrivateKey()).address;
const bob = freshAddress();
const carol = freshAddress();

async function main() {
  console.log(`viem ${version} against ${RPC_URL} / ${WS_URL}`);

  // --- deploy ------------------------------------------------------------------
  step = "deploy";
  const nonce = await publicClient.getTransactionCount({ address: owner.address, blockTag: "pending" });
  const deployHash = await ownerWallet.deployContract({
    abi: fullAbi,
    bytecode,
    args: ["Orac Token", "ORC", SUPPLY],
  });
  const deployReceipt = await publicClient.waitForTransactionReceipt({ hash: deployHash, timeout: 60_000 });
  eq(deployReceipt.status, "success", "deploy status");
  const address = deployReceipt.contractAddress;
  check(address, "deploy receipt has a contractAddress");
  // viem passes the node's addresses through as they come (lower case, like geth).
  check(same(address, getContractAddress({ from: owner.address, nonce: BigInt(nonce) })), `CREATE address ${address}`);
  console.log(`  deployed at ${address} (gas ${deployReceipt.gasUsed})`);
  const token = { address, abi: erc20Abi };

  // --- views ---------------------------------------------------------------------
  step = "views";
  eq(await publicClient.readContract({ ...token, functionName: "name" }), "Orac Token", "name()");
  eq(await publicClient.readContract({ ...token, functionName: "symbol" }), "ORC", "symbol()");
  eq(await publicClient.readContract({ ...token, functionName: "decimals" }), 18, "decimals()");
  eq(await publicClient.readContract({ ...token, functionName: "totalSupply" }), SUPPLY, "totalSupply()");
  const balanceOf = (who) => publicClient.readContract({ ...token, functionName: "balanceOf", args: [who] });
  eq(await balanceOf(owner.address), SUPPLY, "balanceOf(deployer)");
  eq(await balanceOf(bob), 0n, "balanceOf(fresh address)");

  // --- transfer ------------------------------------------------------------------
  step = "transfer";
  const amount = parseUnits("1234.5", 18);
  const { result, request } = await publicClient.simulateContract({
    ...token,
    account: owner,
    functionName: "transfer",
    args: [bob, amount],
  });
  eq(result, true, "simulated transfer() returns true");
  const trHash = await ownerWallet.writeContract(request);
  const tr = await publicClient.waitForTransactionReceipt({ hash: trHash });
  eq(tr.status, "success", "transfer status");
  eq(tr.logs.length, 1, "one log in the transfer receipt");
  eq(tr.logs[0].address, address.toLowerCase(), "log address");
  eq(await balanceOf(owner.address), SUPPLY - amount, "sender balance after transfer");
  eq(await balanceOf(bob), amount, "recipient balance after transfer");
  console.log(`  transfer in block ${tr.blockNumber}`);

  // --- approve / allowance / transferFrom -----------------------------------------
  step = "approve";
  const allowance = parseUnits("500", 18);
  const apHash = await ownerWallet.writeContract({
    ...token,
    functionName: "approve",
    args: [spender.address, allowance],
  });
  const ap = await publicClient.waitForTransactionReceipt({ hash: apHash });
  eq(ap.status, "success", "approve status");
  const allowanceOf = (o, s) => publicClient.readContract({ ...token, functionName: "allowance", args: [o, s] });
  eq(await allowanceOf(owner.address, spender.address), allowance, "allowance()");

  step = "transferFrom";
  const pulled = parseUnits("200", 18);
  const tfHash = await spenderWallet.writeContract({
    ...token,
    functionName: "transferFrom",
    args: [owner.address, carol, pulled],
  });
  const tf = await publicClient.waitForTransactionReceipt({ hash: tfHash });
  eq(tf.status, "success", "transferFrom status");
  eq(await allowanceOf(owner.address, spender.address), allowance - pulled, "allowance after transferFrom");
  eq(await balanceOf(carol), pulled, "balance after transferFrom");
  eq(await balanceOf(owner.address), SUPPLY - amount - pulled, "owner balance after transferFrom");
  eq(await publicClient.readContract({ ...token, functionName: "totalSupply" }), SUPPLY, "totalSupply unchanged");

  // --- reverts: custom errors --------------------------------------------------------
  step = "reverts";
  const ownerBalance = await balanceOf(owner.address);
  const revertOf = (e) => e.walk((x) => x instanceof ContractFunctionRevertedError);
  /** Simulates `functionName(args)` from `account` with the token's errors
   *  in the ABI; it must revert. The viem error. */
  const mustRevert = (account, functionName, args, what) =>
    mustFail(
      () => publicClient.simulateContract({ address, abi: [...erc20Abi, ...errorsAbi], account, functionName, args }),
      what,
    );
  {
    // With erc20Abi alone viem reports the revert and its raw data ...
    const e = await mustFail(
      () =>
        publicClient.simulateContract({
          ...token,
          account: owner,
          functionName: "transfer",
          args: [bob, ownerBalance + 1n],
        }),
      "transferring more than the balance",
    );
    check(e instanceof BaseError, `a viem error: ${e}`);
    const reverted = revertOf(e);
    check(reverted, `ContractFunctionRevertedError: ${e.message}`);
    check(typeof reverted.raw === "string" && reverted.raw.length > 10, `raw revert data: ${reverted.raw}`);
    // ... which decodes with the token's error ABI.
    const decoded = decodeErrorResult({ abi: errorsAbi, data: reverted.raw });
    eq(decoded.errorName, "InsufficientBalance", "decoded error name");
    check(same(decoded.args[0], owner.address), "InsufficientBalance.owner");
    eq(decoded.args[1], ownerBalance, "InsufficientBalance.balance");
    eq(decoded.args[2], ownerBalance + 1n, "InsufficientBalance.needed");
  }
  {
    // With the errors in the ABI, viem decodes them itself.
    const e = await mustRevert(spender, "transferFrom", [owner.address, carol, allowance], "transferFrom beyond the allowance");
    const reverted = revertOf(e);
    check(reverted?.data, `decoded revert: ${e.message}`);
    eq(reverted.data.errorName, "InsufficientAllowance", "decoded error name");
    check(same(reverted.data.args[0], spender.address), "InsufficientAllowance.spender");
    eq(reverted.data.args[1], allowance - pulled, "InsufficientAllowance.allowance");
    eq(reverted.data.args[2], allowance, "InsufficientAllowance.needed");
  }
  {
    // Sending: the gas estimate fails first, with the same decodable error.
    const e = await mustFail(
      () =>
        ownerWallet.writeContract({
          address,
          abi: [...erc20Abi, ...errorsAbi],
          functionName: "transfer",
          args: [bob, ownerBalance + 1n],
        }),
      "sending an overdraft transfer",
    );
    const reverted = revertOf(e);
    check(reverted?.data, `decoded revert on send: ${e.message}`);
    eq(reverted.data.errorName, "InsufficientBalance", "decoded error name on send");
    const e2 = await mustRevert(owner, "transfer", [zeroAddress, 1n], "transfer to the zero address");
    eq(revertOf(e2)?.data?.errorName, "InvalidReceiver", "InvalidReceiver");
  }
  eq(await balanceOf(owner.address), ownerBalance, "failed transfers changed nothing");

  // --- events from eth_getLogs ------------------------------------------------------
  step = "getLogs";
  {
    const all = await publicClient.getContractEvents({ ...token, eventName: "Transfer", fromBlock: 0n });
    eq(all.length, 3, "getContractEvents(Transfer) count (mint, transfer, transferFrom)");
    eq(all[0].args.from, zeroAddress, "first Transfer is the mint");
    check(same(all[0].args.to, owner.address), "mint to the deployer");
    eq(all[0].args.value, SUPPLY, "mint value");
    eq(all[0].transactionHash, deployHash, "mint tx hash");
    check(same(all[1].args.to, bob) && all[1].args.value === amount, "second Transfer to bob");
    eq(all[1].transactionHash, trHash, "second Transfer tx hash");
    eq(all[1].blockNumber, tr.blockNumber, "second Transfer block");
    check(same(all[2].args.to, carol) && all[2].args.value === pulled, "third Transfer to carol");
    const toBob = await publicClient.getContractEvents({
      ...token,
      eventName: "Transfer",
      args: { to: bob },
      fromBlock: 0n,
      toBlock: "latest",
    });
    eq(toBob.length, 1, "Transfer filtered by indexed `to`");
    const fromOwner = await publicClient.getContractEvents({
      ...token,
      eventName: "Transfer",
      args: { from: owner.address },
      fromBlock: 0n,
    });
    eq(fromOwner.length, 2, "Transfer filtered by indexed `from`");
    const approvals = await publicClient.getContractEvents({ ...token, eventName: "Approval", fromBlock: 0n });
    eq(approvals.length, 1, "Approval count");
    check(same(approvals[0].args.owner, owner.address), "Approval.owner");
    check(same(approvals[0].args.spender, spender.address), "Approval.spender");
    eq(approvals[0].args.value, allowance, "Approval.value");
    const byEvent = await publicClient.getLogs({
      address,
      event: parseAbiItem("event Transfer(address indexed from, address indexed to, uint256 value)"),
      args: { to: carol },
      fromBlock: 0n,
    });
    eq(byEvent.length, 1, "getLogs({ event }) to carol");
    eq(byEvent[0].args.value, pulled, "getLogs({ event }) value");
    const inBlock = await publicClient.getContractEvents({ ...token, blockHash: tr.blockHash });
    eq(inBlock.length, 1, "getContractEvents by blockHash");
    eq(inBlock[0].eventName, "Transfer", "event name by blockHash");
    console.log(`  getLogs: ${all.length} Transfer, ${approvals.length} Approval`);
  }

  // --- HTTP event filter (eth_newFilter / eth_getFilterChanges) ---------------------
  step = "HTTP event filter";
  {
    const filter = await publicClient.createContractEventFilter({ ...token, eventName: "Transfer" });
    const h = await ownerWallet.writeContract({ ...token, functionName: "transfer", args: [bob, 5n] });
    await publicClient.waitForTransactionReceipt({ hash: h });
    const changes = await publicClient.getFilterChanges({ filter });
    eq(changes.length, 1, "filter changes");
    check(same(changes[0].args.to, bob) && changes[0].args.value === 5n, "filter change args");
    eq((await publicClient.getFilterChanges({ filter })).length, 0, "no changes on the second poll");
    eq(await publicClient.uninstallFilter({ filter }), true, "uninstallFilter");
  }

  // --- events over a WebSocket logs subscription ------------------------------------
  step = "WebSocket watchContractEvent";
  {
    const wsClient = createPublicClient({ chain: oracDev, transport: webSocket(WS_URL) });
    const dave = freshAddress();
    const transfers = [];
    const approvals = [];
    const errors = [];
    const unwatchT = wsClient.watchContractEvent({
      ...token,
      eventName: "Transfer",
      args: { to: dave },
      onLogs: (logs) => transfers.push(...logs),
      onError: (e) => errors.push(e),
    });
    const unwatchA = wsClient.watchContractEvent({
      ...token,
      eventName: "Approval",
      onLogs: (logs) => approvals.push(...logs),
      onError: (e) => errors.push(e),
    });
    await sleep(1000); // the eth_subscribe calls go out asynchronously
    const h1 = await ownerWallet.writeContract({ ...token, functionName: "transfer", args: [dave, 77n] });
    await publicClient.waitForTransactionReceipt({ hash: h1 });
    // Not to dave: must not reach the Transfer subscription.
    const h2 = await ownerWallet.writeContract({ ...token, functionName: "transfer", args: [bob, 1n] });
    await publicClient.waitForTransactionReceipt({ hash: h2 });
    const h3 = await ownerWallet.writeContract({ ...token, functionName: "approve", args: [dave, 88n] });
    await publicClient.waitForTransactionReceipt({ hash: h3 });
    const ok = await until(() => transfers.length >= 1 && approvals.length >= 1, 20_000);
    await sleep(300); // anything unexpected would arrive by now
    unwatchT();
    unwatchA();
    check(errors.length === 0, `no subscription errors: ${errors.map(String).join("; ")}`);
    check(ok, `WebSocket logs arrived (transfers ${transfers.length}, approvals ${approvals.length})`);
    eq(transfers.length, 1, "only the Transfer to dave");
    eq(transfers[0].eventName, "Transfer", "subscription event name");
    check(same(transfers[0].args.from, owner.address), "WebSocket Transfer.from");
    check(same(transfers[0].args.to, dave), "WebSocket Transfer.to");
    eq(transfers[0].args.value, 77n, "WebSocket Transfer.value");
    eq(transfers[0].transactionHash, h1, "WebSocket Transfer tx hash");
    eq(approvals.length, 1, "one Approval");
    check(same(approvals[0].args.spender, dave), "WebSocket Approval.spender");
    eq(approvals[0].args.value, 88n, "WebSocket Approval.value");
    eq(approvals[0].transactionHash, h3, "WebSocket Approval tx hash");
    await wsClient.transport.getRpcClient?.().then((c) => c.close()).catch(() => {});
    console.log("  WebSocket: Transfer and Approval received");
  }
}

run("viem erc20", main, () => step);
