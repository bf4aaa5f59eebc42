//! The JSON-RPC load generator's shared pieces (`orac-bench`,
//! `network-bench`): the client wrapper with batched bookkeeping calls, hex
//! helpers, the deterministic sender keys and recipients, and the
//! multi-threaded signing of the transfers.

use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use futures::future::join_all;
use orac_primitives::{Address, H256, PrivateKey, U256, keccak256};
use orac_rpc_client::{BatchAnswer, Client};
use serde_json::Value;

/// One gwei in wei.
pub const GWEI: u64 = 1_000_000_000;
/// Calls per batch for the untimed bookkeeping requests (funding, nonces,
/// receipts); orac and geth cap batches at 1000.
pub const BOOKKEEPING_BATCH: usize = 500;

/// The load generator's use of the shared client: a whole-run timeout,
/// answers as large as a batch of block receipts, and many calls split
/// into concurrent batches.
#[derive(Clone)]
pub struct Rpc {
    /// The shared JSON-RPC client.
    pub client: Client,
}

/// Largest answer read: a bookkeeping batch of block receipts holds every
/// receipt of up to `BOOKKEEPING_BATCH` full blocks.
pub const MAX_RESPONSE_BYTES: usize = 1 << 30;

impl Rpc {
    /// A client for `url`; `timeout` bounds every request.
    pub fn new(url: &str, timeout: Duration) -> Result<Self> {
        Ok(Self {
            client: Client::with_timeout(url, timeout)?.max_response_bytes(MAX_RESPONSE_BYTES),
        })
    }

    /// One call.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value> {
        Ok(self.client.raw(method, params).await?)
    }

    /// One batch; the answers come back in the order of `calls`.
    pub async fn batch(&self, calls: &[(&str, Value)]) -> Result<Vec<BatchAnswer>> {
        Ok(self.client.batch(calls).await?)
    }

    /// Many calls, split into batches, `concurrency` batches at a time.
    pub async fn batches(
        &self,
        calls: Vec<(&'static str, Value)>,
        concurrency: usize,
    ) -> Result<Vec<BatchAnswer>> {
        let mut out = Vec::with_capacity(calls.len());
        let chunks: Vec<&[(&str, Value)]> = calls.chunks(BOOKKEEPING_BATCH).collect();
        for group in chunks.chunks(concurrency.max(1)) {
            let answers = join_all(group.iter().map(|c| self.batch(c))).await;
            for a in answers {
                out.extend(a?);
            }
        }
        Ok(out)
    }
}

/// Waits (up to `timeout`) until `rpc` shows every one of `addrs` with a
/// balance of at least `at_least`.
pub async fn wait_balances(
    rpc: &Rpc,
    addrs: &[Address],
    at_least: U256,
    concurrency: usize,
    timeout: Duration,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let mut short = 0;
        for r in rpc
            .batches(per_address("eth_getBalance", addrs), concurrency)
            .await?
        {
            if parse_quantity(&r.map_err(|e| anyhow!("eth_getBalance: {e}"))?)? < at_least {
                short += 1;
            }
        }
        if short == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "{short} senders still unfunded after {} s",
                timeout.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The `latest` nonce of each of `addrs`.
pub async fn nonces(rpc: &Rpc, addrs: &[Address], concurrency: usize) -> Result<Vec<u64>> {
    rpc.batches(per_address("eth_getTransactionCount", addrs), concurrency)
        .await?
        .into_iter()
        .map(|r| parse_u64(&r.map_err(|e| anyhow!("eth_getTransactionCount: {e}"))?))
        .collect()
}

/// One `method(address, "latest")` call per address.
pub fn per_address(method: &'static str, addrs: &[Address]) -> Vec<(&'static str, Value)> {
    addrs
        .iter()
        .map(|a| (method, serde_json::json!([hex_addr(a), "latest"])))
        .collect()
}

/// `0x`-hex of an address.
pub fn hex_addr(a: &Address) -> String {
    format!("0x{}", hex::encode(a.as_bytes()))
}

/// `0x`-hex of a hash.
pub fn hex_hash(h: &H256) -> String {
    format!("0x{}", hex::encode(h.as_bytes()))
}

/// A quantity as `0x`-hex.
pub fn hex_u256(v: U256) -> String {
    format!("{v:#x}")
}

/// Parses a hex quantity.
pub fn parse_quantity(v: &Value) -> Result<U256> {
    let s = v
        .as_str()
        .ok_or_else(|| anyhow!("expected a hex quantity, got {v}"))?;
    U256::from_str_radix(s.trim_start_matches("0x"), 16)
        .map_err(|e| anyhow!("bad quantity {s}: {e}"))
}

/// Parses a hex quantity that fits in u64.
pub fn parse_u64(v: &Value) -> Result<u64> {
    let q = parse_quantity(v)?;
    if q > U256::from(u64::MAX) {
        bail!("quantity {q} does not fit in u64");
    }
    Ok(q.as_u64())
}

/// Sender key `i`: keccak256(seed ‖ "/sender/" ‖ i), re-hashed in the
/// (negligible) case it is not a valid secp256k1 scalar.
pub fn sender_key(seed: &str, i: usize) -> Result<PrivateKey> {
    let mut material = keccak256(format!("{seed}/sender/{i}"));
    for _ in 0..16 {
        if let Ok(k) = PrivateKey::from_bytes(material.as_bytes()) {
            return Ok(k);
        }
        material = keccak256(material.as_bytes());
    }
    bail!("could not derive sender key {i}")
}

/// The recipient of transaction `index`: the last 20 bytes of
/// keccak256(seed ‖ index), or of keccak256(seed ‖ index mod `pool`) when
/// recipients are drawn from a fixed pool.
pub fn recipient(seed: &str, index: usize, pool: usize) -> Address {
    let i = if pool == 0 { index } else { index % pool };
    let h = keccak256(format!("{seed}/recipient/{i}"));
    Address::from_slice(&h.as_bytes()[12..])
}

/// One signed transfer: its hash and its `0x`-hex encoding, ready for
/// `eth_sendRawTransaction`.
pub struct SignedTransfer {
    /// The transaction hash.
    pub hash: H256,
    /// `0x` followed by the hex of the encoded transaction.
    pub raw_hex: String,
}

/// What every transfer of a run shares: chain id and fees (value, tip,
/// fee cap).
#[derive(Clone, Copy, Debug)]
pub struct TransferTerms {
    /// The chain id signed into every transaction.
    pub chain_id: u64,
    /// Wei sent.
    pub value: U256,
    /// maxPriorityFeePerGas.
    pub tip: U256,
    /// maxFeePerGas.
    pub max_fee: U256,
}

/// Signs the type-2 transfers `order` lists (key index, nonce, recipient)
/// on every core, in order.
pub fn sign_transfers(
    keys: &[PrivateKey],
    terms: TransferTerms,
    order: &[(usize, u64, Address)],
) -> Vec<SignedTransfer> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let per_thread = order.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = order
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|&(s, nonce, to)| {
                            let signed = orac_chain::testing::transfer(to, terms.value)
                                .chain_id(terms.chain_id)
                                .nonce(nonce)
                                .fees(terms.tip, terms.max_fee)
                                .sign(&keys[s]);
                            SignedTransfer {
                                hash: signed.hash(),
                                raw_hex: format!("0x{}", hex::encode(signed.encoded())),
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("signing thread"))
            .collect()
    })
}
