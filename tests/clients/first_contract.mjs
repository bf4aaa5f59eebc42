// The README's "Write your first contract", ethers part: deploy the
// scaffolded counter with ContractFactory, call it, read its events.
//
//   ORAC_RPC_URL=... HELLO_OUT=<dir with hello.bin and hello.abi.json> node first_contract.mjs
import { readFileSync } from "node:fs";
import { ethers } from "ethers";

const fail = (m) => {
  console.error(`FAIL (first contract, ethers): ${m}`);
  process.exit(1);
};
setTimeout(() => fail("timed out"), 120_000);

const out = process.env.HELLO_OUT;
const abi = JSON.parse(readFileSync(`${out}/hello.abi.json`, "utf8"));
const bytecode = readFileSync(`${out}/hello.bin`, "utf8").trim();
const provider = new ethers.JsonRpcProvider(process.env.ORAC_RPC_URL);
const wallet = new ethers.Wallet("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d", provider);

const factory = new ethers.ContractFactory(abi, bytecode, wallet);
const counter = await factory.deploy(5);
await counter.waitForDeployment();
console.log(`deployed at ${await counter.getAddress()}`);
if ((await counter.count()) !== 5n) fail("count() after deploy");
await new Promise((r) => setTimeout(r, 300)); // ethers' 250 ms request cache
await (await counter.add(2)).wait();
if ((await counter.count()) !== 7n) fail("count() after add(2)");
const events = await counter.queryFilter("Incremented");
if (events.length !== 1 || events[0].args.count !== 7n || events[0].args.by !== wallet.address) {
  fail(`events: ${JSON.stringify(events.map((e) => e.args))}`);
}
try {
  await counter.add.staticCall(5000);
  fail("add(5000) did not revert");
} catch (e) {
  if (!e.revert || e.revert.name !== "TooBig") fail(`custom error: ${e.shortMessage}`);
}
console.log("first contract (ethers): all checks passed");
process.exit(0);
