// ethers v6 drives the orac SDK's ERC-20 (a Rust/WASM contract) through the
// standard ERC-20 ABI, unchanged and with default settings: ContractFactory
// deploy, the ERC-20 views and transactions, Transfer/Approval events from
// eth_getLogs (queryFilter) and from a WebSocket subscription (contract.on),
// and the InsufficientBalance / InsufficientAllowance custom errors.
//
//   ORAC_RPC_URL=... ORAC_WS_URL=... ORAC_ERC20_BIN=... ORAC_ERC20_ABI=... node erc20_ethers.mjs
//
// The full ABI (erc20.abi.json) is used only for deployment, since it holds
// the constructor; every interaction goes through ethers' human-readable
// fragments of the standard ERC-20 interface.
import { readFileSync } from "node:fs";
import { ethers } from "ethers";
import { KEY0, KEY1, check, eq, requireEnv, script, sleep } from "./common.mjs";

const { fail, done } = script("ethers erc20");

requireEnv("ethers erc20", ["ORAC_RPC_URL", "ORAC_WS_URL", "ORAC_ERC20_BIN", "ORAC_ERC20_ABI"]);
const fullAbi = JSON.parse(readFileSync(process.env.ORAC_ERC20_ABI, "utf8"));
const bytecode = readFileSync(process.env.ORAC_ERC20_BIN, "utf8").trim();

// The standard ERC-20 interface (EIP-20), plus the token's custom errors so
// that reverts decode with the same ABI.
const ERC20_ABI = [
  "function name() view returns (string)",
  "function symbol() view returns (string)",
  "function decimals() view returns (uint8)",
  "function totalSupply() view returns (uint256)",
  "function balanceOf(address owner) view returns (uint256)",
  "function transfer(address to, uint256 value) returns (bool)",
  "function transferFrom(address from, address to, uint256 value) returns (bool)",
  "function approve(address spender, uint256 value) returns (bool)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "event Transfer(address indexed from, address indexed to, uint256 value)",
  "event Approval(address indexed owner, address indexed spender, uint256 value)",
  "error InsufficientBalance(address owner, uint256 balance, uint256 needed)",
  "error InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
  "error InvalidReceiver(address receiver)",
];

const SUPPLY = ethers.parseUnits("1000000", 18);

const provider = new ethers.JsonRpcProvider(process.env.ORAC_RPC_URL);
// ethers caches identical requests (including the pending-nonce query) for
// 250 ms, and orac mines faster than that: wait the cache out between
// transactions from the same wallet, as with any instant-mining dev node.
const settle = () => sleep(300);
const owner = new ethers.Wallet(KEY0, provider);
const spender = new ethers.Wallet(KEY1, provider);
const bob = ethers.Wallet.createRandom().address;
const carol = ethers.Wallet.createRandom().address;

// --- deploy -------------------------------------------------------------------
const factory = new ethers.ContractFactory(fullAbi, bytecode, owner);
const deployed = await factory.deploy("Orac Token", "ORC", SUPPLY);
await deployed.waitForDeployment();
const address = await deployed.getAddress();
const deployTx = deployed.deploymentTransaction();
eq(address, ethers.getCreateAddress({ from: owner.address, nonce: deployTx.nonce }), "CREATE address");
const deployReceipt = await deployTx.wait();
check(deployReceipt.status === 1 && deployReceipt.contractAddress === address, "deploy receipt");
console.log(`deployed at ${address} (gas ${deployReceipt.gasUsed})`);

const token = new ethers.Contract(address, ERC20_ABI, owner);
const iface = token.interface;

// The constructor's mint is a Transfer from the zero address, in the receipt.
{
  const logs = deployReceipt.logs.map((l) => iface.parseLog(l)).filter(Boolean);
  eq(logs.length, 1, "one log in the deploy receipt");
  eq(logs[0].name, "Transfer", "mint event name");
  eq(logs[0].args.from, ethers.ZeroAddress, "mint from");
  eq(logs[0].args.to, owner.address, "mint to");
  eq(logs[0].args.value, SUPPLY, "mint value");
}

// --- views ---------------------------------------------------------------------
eq(await token.name(), "Orac Token", "name()");
eq(await token.symbol(), "ORC", "symbol()");
eq(await token.decimals(), 18n, "decimals()");
eq(await token.totalSupply(), SUPPLY, "totalSupply()");
eq(await token.balanceOf(owner.address), SUPPLY, "balanceOf(deployer)");
eq(await token.balanceOf(bob), 0n, "balanceOf(fresh address)");

// --- transfer --------------------------------------------------------------
const amount = ethers.parseUnits("1234.5", 18);
eq(await token.transfer.staticCall(bob, amount), true, "transfer() returns true (staticCall)");
await settle();
const tr = await (await token.transfer(bob, amount)).wait();
eq(tr.status, 1, "transfer status");
{
  const parsed = tr.logs.map((l) => iface.parseLog(l));
  eq(parsed.length, 1, "one log in the transfer receipt");
  eq(parsed[0].name, "Transfer", "transfer event name");
  eq(parsed[0].args.from, owner.address, "Transfer.from");
  eq(parsed[0].args.to, bob, "Transfer.to");
  eq(parsed[0].args.value, amount, "Transfer.value");
  eq(tr.logs[0].address, address, "log address");
}
eq(await token.balanceOf(owner.address), SUPPLY - amount, "sender balance after transfer");
eq(await token.balanceOf(bob), amount, "recipient balance after transfer");
eq(await token.totalSupply(), SUPPLY, "totalSupply unchanged");
console.log(`transfer of ${ethers.formatUnits(amount, 18)} ORC in block ${tr.blockNumber}`);

// --- approve / allowance / transferFrom ----------------------------------------
const allowance = ethers.parseUnits("500", 18);
await settle();
const ar = await (await token.approve(spender.address, allowance)).wait();
eq(ar.status, 1, "approve status");
{
  const parsed = ar.logs.map((l) => iface.parseLog(l));
  eq(parsed.length, 1, "one log in the approve receipt");
  eq(parsed[0].name, "Approval", "approve event name");
  eq(parsed[0].args.owner, owner.address, "Approval.owner");
  eq(parsed[0].args.spender, spender.address, "Approval.spender");
  eq(parsed[0].args.value, allowance, "Approval.value");
}
eq(await token.allowance(owner.address, spender.address), allowance, "allowance()");

const asSpender = token.connect(spender);
const pulled = ethers.parseUnits("200", 18);
const tfr = await (await asSpender.transferFrom(owner.address, carol, pulled)).wait();
eq(tfr.status, 1, "transferFrom status");
{
  const parsed = tfr.logs.map((l) => iface.parseLog(l));
  check(parsed.length === 1 && parsed[0].name === "Transfer", "Transfer in the transferFrom receipt");
  eq(parsed[0].args.from, owner.address, "transferFrom Transfer.from");
  eq(parsed[0].args.to, carol, "transferFrom Transfer.to");
  eq(parsed[0].args.value, pulled, "transferFrom Transfer.value");
}
eq(await token.allowance(owner.address, spender.address), allowance - pulled, "allowance after transferFrom");
eq(await token.balanceOf(carol), pulled, "balance after transferFrom");
eq(await token.balanceOf(owner.address), SUPPLY - amount - pulled, "owner balance after transferFrom");

// --- reverts: custom errors decoded with the ABI --------------------------------
const bobBalance = await token.balanceOf(bob);
const ownerBalance = await token.balanceOf(owner.address);
try {
  await token.transfer.staticCall(bob, ownerBalance + 1n);
  fail("transferring more than the balance did not revert (staticCall)");
} catch (e) {
  eq(e.code, "CALL_EXCEPTION", `error code (${e.shortMessage})`);
  check(e.revert && e.revert.name === "InsufficientBalance", `custom error: ${e.shortMessage}`);
  eq(e.revert.args.owner, owner.address, "InsufficientBalance.owner");
  eq(e.revert.args.balance, ownerBalance, "InsufficientBalance.balance");
  eq(e.revert.args.needed, ownerBalance + 1n, "InsufficientBalance.needed");
}
try {
  // Sending: the gas estimate fails first; the revert data comes with it.
  await token.transfer(bob, ownerBalance + 1n);
  fail("sending an overdraft transfer did not fail");
} catch (e) {
  eq(e.code, "CALL_EXCEPTION", `error code of the send (${e.shortMessage})`);
  const parsed = iface.parseError(e.data);
  check(parsed && parsed.name === "InsufficientBalance", `custom error data: ${e.shortMessage} ${e.data}`);
  eq(parsed.args.needed, ownerBalance + 1n, "InsufficientBalance.needed (send)");
}
try {
  await asSpender.transferFrom.staticCall(owner.address, carol, allowance);
  fail("transferFrom beyond the allowance did not revert");
} catch (e) {
  check(e.revert && e.revert.name === "InsufficientAllowance", `custom error: ${e.shortMessage}`);
  eq(e.revert.args.spender, spender.address, "InsufficientAllowance.spender");
  eq(e.revert.args.allowance, allowance - pulled, "InsufficientAllowance.allowance");
  eq(e.revert.args.needed, allowance, "InsufficientAllowance.needed");
}
try {
  await token.transfer.staticCall(ethers.ZeroAddress, 1n);
  fail("transfer to the zero address did not revert");
} catch (e) {
  check(e.revert && e.revert.name === "InvalidReceiver", `custom error: ${e.shortMessage}`);
}
eq(await token.balanceOf(owner.address), ownerBalance, "failed transfers changed nothing");
eq(await token.balanceOf(bob), bobBalance, "failed transfers changed nothing (recipient)");

// --- events from eth_getLogs ----------------------------------------------------
{
  const all = await token.queryFilter(token.filters.Transfer(), 0);
  eq(all.length, 3, "queryFilter(Transfer) count (mint, transfer, transferFrom)");
  eq(all[0].args.from, ethers.ZeroAddress, "first Transfer is the mint");
  eq(all[0].args.value, SUPPLY, "mint value from getLogs");
  eq(all[1].args.to, bob, "second Transfer to bob");
  eq(all[1].transactionHash, tr.hash, "second Transfer tx hash");
  eq(all[2].args.to, carol, "third Transfer to carol");
  const toBob = await token.queryFilter(token.filters.Transfer(null, bob), 0, "latest");
  eq(toBob.length, 1, "queryFilter(Transfer(null, bob)) count");
  eq(toBob[0].args.value, amount, "Transfer to bob value");
  eq(toBob[0].blockNumber, tr.blockNumber, "Transfer to bob block");
  const fromOwner = await token.queryFilter(token.filters.Transfer(owner.address), 0);
  eq(fromOwner.length, 2, "queryFilter(Transfer(owner)) count");
  const approvals = await token.queryFilter(token.filters.Approval(owner.address, spender.address), 0);
  eq(approvals.length, 1, "queryFilter(Approval(owner, spender)) count");
  eq(approvals[0].args.value, allowance, "Approval value from getLogs");
  const none = await token.queryFilter(token.filters.Transfer(null, ethers.Wallet.createRandom().address), 0);
  eq(none.length, 0, "no Transfer to an untouched address");
  // Plain provider.getLogs with the standard Transfer topic.
  const raw = await provider.getLogs({ address, topics: [ethers.id("Transfer(address,address,uint256)")], fromBlock: 0 });
  eq(raw.length, 3, "provider.getLogs(Transfer topic) count");
  console.log(`getLogs: ${all.length} Transfer, ${approvals.length} Approval`);
}

// --- events over a WebSocket subscription ----------------------------------------
{
  const ws = new ethers.WebSocketProvider(process.env.ORAC_WS_URL);
  const wsToken = new ethers.Contract(address, ERC20_ABI, ws);
  const dave = ethers.Wallet.createRandom().address;
  const withTimeout = (p, what) =>
    Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`no ${what} event within 20 s`)), 20_000))]);
  // Quirk of ethers 6.17: with a topic filter (contract.filters.X(...)) the
  // listener gets only the event payload, not the decoded arguments first
  // (getSubInfo leaves `fragment` null for deferred filters, so the args
  // array is empty); the decoded values are in payload.args.
  const transferSeen = new Promise((resolve) =>
    wsToken.on(wsToken.filters.Transfer(null, dave), (ev) => {
      const [from, to, value] = ev.args;
      resolve({ from, to, value, ev });
    }),
  );
  const approvalSeen = new Promise((resolve) =>
    wsToken.once("Approval", (o, s, value, ev) => resolve({ o, s, value, ev })),
  );
  await sleep(500); // let the subscriptions be installed
  await settle();
  const wsr = await (await token.transfer(dave, 77n)).wait();
  await settle();
  await (await token.approve(dave, 88n)).wait();
  const t = await withTimeout(transferSeen, "Transfer").catch((e) => fail(e.message));
  eq(t.from, owner.address, "WebSocket Transfer.from");
  eq(t.to, dave, "WebSocket Transfer.to");
  eq(t.value, 77n, "WebSocket Transfer.value");
  eq(t.ev.log.transactionHash, wsr.hash, "WebSocket Transfer tx hash");
  const a = await withTimeout(approvalSeen, "Approval").catch((e) => fail(e.message));
  eq(a.o, owner.address, "WebSocket Approval.owner");
  eq(a.s, dave, "WebSocket Approval.spender");
  eq(a.value, 88n, "WebSocket Approval.value");
  await wsToken.removeAllListeners();
  await ws.destroy();
  console.log("WebSocket: Transfer and Approval received");
}

done();
