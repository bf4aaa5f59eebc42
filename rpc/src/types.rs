//! The JSON shapes of blocks, transactions, receipts and logs, as geth
//! returns them (what ethers, viem and web3.py parse).

use orac_primitives::{Address, Bytes, H256, Header, RecoveredTx, TxType, U256};
use orac_state::{StoredLog, StoredReceipt};
use serde::{Serialize, Serializer};

/// A u64 written as a JSON-RPC quantity ("0x1a").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantity(pub u64);

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:#x}", self.0))
    }
}

/// A log as `eth_getLogs`, receipts and subscriptions return it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcLog {
    /// The contract that emitted it.
    pub address: Address,
    /// Indexed topics; the first is the event signature's hash.
    pub topics: Vec<H256>,
    /// The non-indexed data.
    pub data: Bytes,
    /// The including block.
    pub block_number: Quantity,
    /// The including block's hash.
    pub block_hash: H256,
    /// As geth ≥ 1.16 reports it.
    pub block_timestamp: Quantity,
    /// The emitting transaction.
    pub transaction_hash: H256,
    /// The transaction's index in its block.
    pub transaction_index: Quantity,
    /// The log's index in its block (counted across transactions).
    pub log_index: Quantity,
    /// Always false: orac never reorganises its chain.
    pub removed: bool,
}

impl From<&StoredLog> for RpcLog {
    fn from(l: &StoredLog) -> Self {
        Self {
            address: l.log.address,
            topics: l.log.topics.clone(),
            data: l.log.data.clone(),
            block_number: Quantity(l.block_number),
            block_hash: l.block_hash,
            block_timestamp: Quantity(l.block_timestamp),
            transaction_hash: l.tx_hash,
            transaction_index: Quantity(l.tx_index as u64),
            log_index: Quantity(l.log_index as u64),
            removed: false,
        }
    }
}

/// One EIP-2930 access list entry.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessListEntry {
    /// The account accessed.
    pub address: Address,
    /// Its storage slots accessed.
    pub storage_keys: Vec<H256>,
}

/// Where a transaction sits, if mined.
#[derive(Clone, Copy)]
pub struct TxPosition {
    /// The including block's hash.
    pub block_hash: H256,
    /// The including block's number.
    pub block_number: u64,
    /// The including block's time.
    pub block_timestamp: u64,
    /// The transaction's index in the block.
    pub index: u64,
    /// The block's base fee, for the effective gas price.
    pub base_fee: U256,
}

/// A transaction as `eth_getTransactionBy*` and full blocks return it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcTransaction {
    /// The transaction hash (of its signed encoding).
    pub hash: H256,
    /// The sender's nonce.
    pub nonce: Quantity,
    /// The including block, null while pending.
    pub block_hash: Option<H256>,
    /// The including block's number, null while pending.
    pub block_number: Option<Quantity>,
    /// geth ≥ 1.16 and the execution-apis schema: the including block's
    /// time, null while pending.
    pub block_timestamp: Option<Quantity>,
    /// Index in the block, null while pending.
    pub transaction_index: Option<Quantity>,
    /// The sender, recovered from the signature.
    pub from: Address,
    /// The callee; null for a contract creation.
    pub to: Option<Address>,
    /// Wei sent.
    pub value: U256,
    /// The gas limit.
    pub gas: Quantity,
    /// The legacy price, or for a mined type-2 transaction the price paid.
    pub gas_price: U256,
    /// EIP-1559 fee cap (type 2 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_fee_per_gas: Option<U256>,
    /// EIP-1559 tip cap (type 2 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_priority_fee_per_gas: Option<U256>,
    /// Call data, or init code for a creation.
    pub input: Bytes,
    /// The transaction type (0, 1 or 2).
    #[serde(rename = "type")]
    pub tx_type: Quantity,
    /// EIP-2930 access list (types 1 and 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_list: Option<Vec<AccessListEntry>>,
    /// The chain id it was signed for (EIP-155 or typed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain_id: Option<Quantity>,
    /// Signature `v` as the transaction's encoding carries it.
    pub v: Quantity,
    /// Signature `r`.
    pub r: U256,
    /// Signature `s`.
    pub s: U256,
    /// Signature parity (typed transactions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y_parity: Option<Quantity>,
}

impl RpcTransaction {
    /// The transaction, with where it was mined if it was.
    pub fn new(rtx: &RecoveredTx, pos: Option<TxPosition>) -> Self {
        let st = &rtx.tx;
        let t = &st.tx;
        let typed = t.tx_type != TxType::Legacy;
        let dynamic = t.tx_type == TxType::DynamicFee;
        // Mined dynamic-fee transactions report the price actually paid.
        let gas_price = match (dynamic, pos) {
            (true, Some(p)) => t.effective_gas_price(p.base_fee),
            _ => t.max_fee_per_gas,
        };
        Self {
            hash: st.hash(),
            nonce: Quantity(t.nonce),
            block_hash: pos.map(|p| p.block_hash),
            block_number: pos.map(|p| Quantity(p.block_number)),
            block_timestamp: pos.map(|p| Quantity(p.block_timestamp)),
            transaction_index: pos.map(|p| Quantity(p.index)),
            from: rtx.sender,
            to: t.to,
            value: t.value,
            gas: Quantity(t.gas_limit),
            gas_price,
            max_fee_per_gas: dynamic.then_some(t.max_fee_per_gas),
            max_priority_fee_per_gas: dynamic.then_some(t.max_priority_fee_per_gas),
            input: t.input.clone(),
            tx_type: Quantity(t.tx_type as u64),
            access_list: typed.then(|| {
                t.access_list
                    .iter()
                    .map(|i| AccessListEntry {
                        address: i.address,
                        storage_keys: i.storage_keys.clone(),
                    })
                    .collect()
            }),
            chain_id: t.chain_id.map(Quantity),
            v: Quantity(st.v()),
            r: st.signature.r,
            s: st.signature.s,
            y_parity: typed.then_some(Quantity(st.signature.y_parity as u64)),
        }
    }
}

/// A receipt as `eth_getTransactionReceipt` returns it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcReceipt {
    /// The transaction this receipt is for.
    pub transaction_hash: H256,
    /// Its index in the block.
    pub transaction_index: Quantity,
    /// The including block's hash.
    pub block_hash: H256,
    /// The including block's number.
    pub block_number: Quantity,
    /// The sender.
    pub from: Address,
    /// The callee; null for a creation.
    pub to: Option<Address>,
    /// Gas used in the block up to and including this transaction.
    pub cumulative_gas_used: Quantity,
    /// Gas this transaction used.
    pub gas_used: Quantity,
    /// The price per gas paid (base fee plus tip).
    pub effective_gas_price: U256,
    /// The created contract, for a creation.
    pub contract_address: Option<Address>,
    /// The logs it emitted.
    pub logs: Vec<RpcLog>,
    /// The 256-byte bloom of its logs.
    pub logs_bloom: Bytes,
    /// The transaction type.
    #[serde(rename = "type")]
    pub tx_type: Quantity,
    /// 1 for success, 0 for a revert or halt.
    pub status: Quantity,
}

/// All receipts of a block, with log indexes counted across the block.
pub fn block_receipts(
    header: &Header,
    txs: &[RecoveredTx],
    receipts: &[StoredReceipt],
) -> Vec<RpcReceipt> {
    let block_hash = header.hash();
    let mut log_index = 0u32;
    txs.iter()
        .zip(receipts)
        .enumerate()
        .map(|(i, (tx, r))| {
            let logs = r
                .receipt
                .logs
                .iter()
                .map(|log| {
                    let l = StoredLog {
                        log: log.clone(),
                        block_number: header.number,
                        block_hash,
                        block_timestamp: header.timestamp,
                        tx_hash: tx.hash(),
                        tx_index: i as u32,
                        log_index,
                    };
                    log_index += 1;
                    RpcLog::from(&l)
                })
                .collect();
            RpcReceipt {
                transaction_hash: tx.hash(),
                transaction_index: Quantity(i as u64),
                block_hash,
                block_number: Quantity(header.number),
                from: tx.sender,
                to: tx.tx.tx.to,
                cumulative_gas_used: Quantity(r.receipt.cumulative_gas_used),
                gas_used: Quantity(r.gas_used),
                effective_gas_price: r.effective_gas_price,
                contract_address: r.contract_address,
                logs,
                logs_bloom: Bytes(r.receipt.logs_bloom.0.to_vec()),
                tx_type: Quantity(r.receipt.tx_type as u64),
                status: Quantity(r.receipt.success as u64),
            }
        })
        .collect()
}

/// A block's transactions: hashes, or whole when asked for.
#[derive(Serialize)]
#[serde(untagged)]
pub enum BlockTransactions {
    /// Transaction hashes only.
    Hashes(Vec<H256>),
    /// Whole transactions.
    Full(Vec<RpcTransaction>),
}

/// A block: its header's fields (as [`RpcHeader`]) and the block's own.
/// Responses go through `serde_json::Value`, whose object keys are sorted,
/// so flattening does not change a byte of the JSON.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcBlock {
    /// The header's fields, flattened into the block object.
    #[serde(flatten)]
    pub header: RpcHeader,
    /// Always zero (no proof of work).
    pub total_difficulty: U256,
    /// The length of the block's RLP encoding.
    pub size: Quantity,
    /// Hashes, or whole transactions when asked for.
    pub transactions: BlockTransactions,
    /// Always empty.
    pub uncles: Vec<H256>,
}

/// The length of the block's RLP encoding, `[header, transactions,
/// uncles]`, which is what `size` means: a legacy transaction is an RLP
/// list inside it, a typed one a byte string holding `type ‖ payload`.
fn block_rlp_len(header: &Header, txs: &[RecoveredTx]) -> usize {
    let mut s = rlp::RlpStream::new_list(3);
    s.append(header);
    s.begin_list(txs.len());
    for t in txs {
        let encoded = t.tx.encoded();
        if t.tx.tx.tx_type == TxType::Legacy {
            s.append_raw(encoded, 1);
        } else {
            s.append(&encoded);
        }
    }
    s.begin_list(0);
    s.out().len()
}

impl RpcBlock {
    /// The block; `full` puts whole transactions in.
    pub fn new(header: &Header, txs: &[RecoveredTx], full: bool) -> Self {
        let rpc_header = RpcHeader::from(header);
        let hash = rpc_header.hash;
        let size = block_rlp_len(header, txs);
        let transactions = if full {
            BlockTransactions::Full(
                txs.iter()
                    .enumerate()
                    .map(|(i, t)| {
                        RpcTransaction::new(
                            t,
                            Some(TxPosition {
                                block_hash: hash,
                                block_number: header.number,
                                block_timestamp: header.timestamp,
                                index: i as u64,
                                base_fee: header.base_fee_per_gas,
                            }),
                        )
                    })
                    .collect(),
            )
        } else {
            BlockTransactions::Hashes(txs.iter().map(|t| t.hash()).collect())
        };
        Self {
            header: rpc_header,
            total_difficulty: U256::zero(),
            size: Quantity(size as u64),
            transactions,
            uncles: Vec::new(),
        }
    }
}

/// The header alone, as `newHeads` subscriptions deliver it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcHeader {
    /// The block number.
    pub number: Quantity,
    /// The header's Keccak-256 hash.
    pub hash: H256,
    /// The previous block's hash.
    pub parent_hash: H256,
    /// Eight zero bytes (no proof of work).
    pub nonce: Bytes,
    /// The hash of the empty uncle list.
    pub sha3_uncles: H256,
    /// The bloom of every log in the block.
    pub logs_bloom: Bytes,
    /// Trie root of the transactions.
    pub transactions_root: H256,
    /// Trie root of the state after the block.
    pub state_root: H256,
    /// Trie root of the receipts.
    pub receipts_root: H256,
    /// The block producer, paid the tips.
    pub miner: Address,
    /// Always zero.
    pub difficulty: U256,
    /// Producer-chosen bytes.
    pub extra_data: Bytes,
    /// The most gas the block's transactions may use.
    pub gas_limit: Quantity,
    /// Gas its transactions used.
    pub gas_used: Quantity,
    /// Seconds since the Unix epoch.
    pub timestamp: Quantity,
    /// The EIP-1559 base fee of this block.
    pub base_fee_per_gas: U256,
    /// Zero (no proof of work or beacon randomness).
    pub mix_hash: H256,
}

impl From<&Header> for RpcHeader {
    fn from(h: &Header) -> Self {
        Self {
            number: Quantity(h.number),
            hash: h.hash(),
            parent_hash: h.parent_hash,
            nonce: Bytes(h.nonce.to_vec()),
            sha3_uncles: h.ommers_hash,
            logs_bloom: Bytes(h.logs_bloom.0.to_vec()),
            transactions_root: h.transactions_root,
            state_root: h.state_root,
            receipts_root: h.receipts_root,
            miner: h.beneficiary,
            difficulty: h.difficulty,
            extra_data: h.extra_data.clone(),
            gas_limit: Quantity(h.gas_limit),
            gas_used: Quantity(h.gas_used),
            timestamp: Quantity(h.timestamp),
            base_fee_per_gas: h.base_fee_per_gas,
            mix_hash: h.mix_hash,
        }
    }
}
