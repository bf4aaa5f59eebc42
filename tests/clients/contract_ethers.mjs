// ethers v6 deploys and drives a Rust/WASM contract on orac, unchanged:
// ContractFactory(abi, bytecode).deploy(args), calls, transactions, events
// (getLogs and a WebSocket subscription), reverts with reasons and custom
// errors.
//
//   ORAC_RPC_URL=... ORAC_WS_URL=... ORAC_COUNTER_BIN=... ORAC_COUNTER_ABI=... node contract_ethers.mjs
import { readFileSync } from "node:fs";
import { ethers } from "ethers";
import { KEY0, check, requireEnv, script, sleep } from "./common.mjs";

const { fail, done } = script("ethers contract");
requireEnv("ethers contract", ["ORAC_RPC_URL", "ORAC_WS_URL", "ORAC_COUNTER_BIN", "ORAC_COUNTER_ABI"]);

const abi = JSON.parse(readFileSync(process.env.ORAC_COUNTER_ABI, "utf8"));
const bytecode = readFileSync(process.env.ORAC_COUNTER_BIN, "utf8").trim();

const provider = new ethers.JsonRpcProvider(process.env.ORAC_RPC_URL);
// ethers caches identical requests (including the pending-nonce query) for
// 250 ms, and orac mines faster than that: wait the cache out between
// transactions from the same wallet, as with any instant-mining dev node.
const settle = () => sleep(300);
const wallet = new ethers.Wallet(KEY0, provider);

const factory = new ethers.ContractFactory(abi, bytecode, wallet);
const contract = await factory.deploy(5);
await contract.waitForDeployment();
const address = await contract.getAddress();
const deployTx = contract.deploymentTransaction();
check(
  address === ethers.getCreateAddress({ from: wallet.address, nonce: deployTx.nonce }),
  `CREATE address ${address}`,
);
const receipt = await deployTx.wait();
check(receipt.status === 1 && receipt.contractAddress === address, "deploy receipt");
console.log(`deployed at ${address} (gas ${receipt.gasUsed})`);
const code = await provider.getCode(address);
check(code.startsWith("0x0061736d"), `getCode returns the wasm module, got ${code.slice(0, 12)}`);

check((await contract.count()) === 5n, "count() after constructor");
await settle();
const tx = await contract.increment();
const r = await tx.wait();
check(r.status === 1, "increment status");
const parsed = r.logs.map((l) => contract.interface.parseLog(l));
check(parsed.length === 1 && parsed[0].name === "Incremented", "Incremented in the receipt");
check(parsed[0].args.by === wallet.address && parsed[0].args.count === 6n, "event args");
check((await contract.count()) === 6n, "count() after increment");

const events = await contract.queryFilter(contract.filters.Incremented(wallet.address), 0);
check(events.length === 1 && events[0].args.count === 6n, "queryFilter (eth_getLogs)");

try {
  await contract.fail.staticCall();
  fail("fail() did not revert");
} catch (e) {
  check(e.code === "CALL_EXCEPTION" && e.reason === "nope", `revert reason: ${e.reason} / ${e.shortMessage}`);
}
await settle();
try {
  await contract.add.staticCall(5000);
  fail("add(5000) did not revert");
} catch (e) {
  check(e.revert && e.revert.name === "TooBig" && e.revert.args[0] === 5000n, `custom error: ${e.shortMessage}`);
}
try {
  // Sending: the gas estimate fails first; the revert data comes with it.
  await contract.add(5000);
  fail("sending add(5000) did not fail");
} catch (e) {
  const parsed = contract.interface.parseError(e.data);
  check(parsed && parsed.name === "TooBig" && parsed.args[0] === 5000n, `custom error data: ${e.shortMessage} ${e.data}`);
}
await settle();
await (await contract.add(10)).wait();
check((await contract.count()) === 16n, "add(10)");

// Events over a WebSocket subscription.
const ws = new ethers.WebSocketProvider(process.env.ORAC_WS_URL);
const wsContract = new ethers.Contract(address, abi, ws);
const seen = new Promise((resolve) => wsContract.once("Incremented", (by, count) => resolve(count)));
await sleep(500); // let the subscription be installed
await (await contract.increment()).wait();
const count = await Promise.race([seen, new Promise((_, rej) => setTimeout(() => rej(new Error("no event")), 20_000))]);
check(count === 17n, `websocket event count ${count}`);
await ws.destroy();

done();
