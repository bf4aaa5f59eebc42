// Compiles Token.sol and Compute.sol with solc-js (the `solc` npm package
// pinned in package.json), optimizer on with 200 runs (what `solcjs --bin
// --optimize` does), and writes next to the sources:
//   <Name>.bin          creation bytecode (hex, what a deploy transaction carries)
//   <Name>.bin-runtime  runtime bytecode (hex, the deployed code)
//   <Name>.abi.json     ABI and method identifiers
// Run through build.sh (which installs solc first).
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const here = __dirname;
const names = ["Token", "Compute"];
const input = {
  language: "Solidity",
  sources: Object.fromEntries(
    names.map((n) => [`${n}.sol`, { content: fs.readFileSync(path.join(here, `${n}.sol`), "utf8") }]),
  ),
  settings: {
    optimizer: { enabled: true, runs: 200 },
    outputSelection: {
      "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.methodIdentifiers"] },
    },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
let failed = false;
for (const e of output.errors || []) {
  console.error(e.formattedMessage);
  if (e.severity === "error") failed = true;
}
if (failed) process.exit(1);
for (const n of names) {
  const c = output.contracts[`${n}.sol`][n];
  fs.writeFileSync(path.join(here, `${n}.bin`), c.evm.bytecode.object + "\n");
  fs.writeFileSync(path.join(here, `${n}.bin-runtime`), c.evm.deployedBytecode.object + "\n");
  fs.writeFileSync(
    path.join(here, `${n}.abi.json`),
    JSON.stringify({ abi: c.abi, methodIdentifiers: c.evm.methodIdentifiers }, null, 2) + "\n",
  );
  console.log(
    `${n}: creation ${c.evm.bytecode.object.length / 2} bytes, runtime ${c.evm.deployedBytecode.object.length / 2} bytes`,
  );
}
console.log(`solc ${solc.version()}, optimizer on (200 runs), default EVM version`);
