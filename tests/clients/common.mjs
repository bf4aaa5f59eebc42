// What every JavaScript client script shares: the dev accounts, the checks,
// the watchdog and the pass/fail exit. Only node's standard library, so it
// speaks for no client library in particular.

import { readFileSync } from "node:fs";

// The first dev accounts of the standard test mnemonic, as orac --dev and
// anvil fund them.
export const KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
export const ADDR0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
export const KEY1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
export const ADDR1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
// Never sends in any client script, so it keeps its genesis balance.
export const ADDR9 = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";

// Never hang: a stuck client call fails the run (tests/tests/clients.rs
// waits longer, so the script's own message is the one shown).
const WATCHDOG_MS = 180_000;

export function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}
export function eq(actual, expected, what) {
  if (actual !== expected) {
    throw new Error(`check failed: ${what}: expected ${String(expected)}, got ${String(actual)}`);
  }
}
export const same = (a, b) => a.toLowerCase() === b.toLowerCase();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** `promise`, or an error once `ms` pass. */
export function withTimeout(promise, ms, what) {
  return Promise.race([
    promise,
    sleep(ms).then(() => {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }),
  ]);
}
/** Waits until `cond()` holds, up to `ms`. */
export async function until(cond, ms) {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(50);
  return cond();
}
/** Runs `f`, which must throw; returns the error. */
export async function mustFail(f, what) {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error(`check failed: ${what} succeeded but must fail`);
}

/** The installed version of npm package `name` (the reports name it). */
export function packageVersion(name) {
  const url = new URL(`./node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")).version;
}

/** The environment variables `names`, or exit 2 naming the first missing. */
export function requireEnv(label, names) {
  const out = {};
  for (const v of names) {
    if (!process.env[v]) {
      console.error(`FAIL (${label}): set ${v}`);
      process.exit(2);
    }
    out[v] = process.env[v];
  }
  return out;
}

/**
 * Runs the checks of `main`, within the watchdog: exits 0 when they pass,
 * else prints the failure with the step `where()` names and exits 1.
 * `explain(err)` may print more about a failure.
 */
export function run(label, main, where = () => "", explain = () => {}) {
  const at = () => (where() ? `, step "${where()}"` : "");
  const watchdog = setTimeout(() => {
    console.error(`FAIL (${label}${at()}): timed out after ${WATCHDOG_MS / 1000} s`);
    process.exit(1);
  }, WATCHDOG_MS);
  main().then(
    () => {
      clearTimeout(watchdog);
      console.log(`${label}: all checks passed`);
      process.exit(0);
    },
    (err) => {
      console.error(`FAIL (${label}${at()}): ${err?.stack ?? err}`);
      explain(err);
      process.exit(1);
    },
  );
}

/**
 * For a script written as top-level code: starts the watchdog and turns
 * any uncaught error (a failed check) into a failure. Returns `fail`,
 * which ends the run at once, and `done`, which passes it.
 */
export function script(label) {
  const fail = (msg) => {
    console.error(`FAIL (${label}): ${msg}`);
    process.exit(1);
  };
  const watchdog = setTimeout(() => fail(`timed out after ${WATCHDOG_MS / 1000} s`), WATCHDOG_MS);
  process.on("uncaughtException", (e) => fail(e?.stack ?? e));
  process.on("unhandledRejection", (e) => fail(`unhandled rejection: ${e?.stack ?? e}`));
  const done = () => {
    console.log(`${label}: all checks passed`);
    clearTimeout(watchdog);
    process.exit(0);
  };
  return { fail, done };
}
