//! Encodings of what the tables hold beyond plain primitives.

use orac_primitives::{Account, Address, H256, Receipt, RecoveredTx, SignedTransaction, U256};
use rlp::{Rlp, RlpStream};

use crate::StateError;

/// The transactions of a block, with senders recovered at admission so that
/// reading a block never repeats the secp256k1 work.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockBody {
    /// The block's transactions in order, each with its sender.
    pub transactions: Vec<RecoveredTx>,
}

impl BlockBody {
    /// The body as stored: an RLP list of `[encoded tx, sender]` pairs.
    pub fn encode(&self) -> Vec<u8> {
        let mut s = RlpStream::new_list(self.transactions.len());
        for tx in &self.transactions {
            s.begin_list(2);
            s.append(&tx.tx.encoded());
            s.append(&tx.sender);
        }
        s.out().to_vec()
    }

    /// Reads a body written by [`BlockBody::encode`].
    pub fn decode(bytes: &[u8]) -> Result<Self, StateError> {
        let bad = |e: &dyn std::fmt::Display| StateError::corrupt("bodies", e);
        let rlp = Rlp::new(bytes);
        let mut transactions = Vec::with_capacity(rlp.item_count().map_err(|e| bad(&e))?);
        for item in rlp.iter() {
            let raw: Vec<u8> = item.val_at(0).map_err(|e| bad(&e))?;
            let sender: Address = item.val_at(1).map_err(|e| bad(&e))?;
            let tx = SignedTransaction::decode(&raw).map_err(|e| bad(&e))?;
            transactions.push(RecoveredTx { tx, sender });
        }
        Ok(Self { transactions })
    }
}

/// A receipt with the per-transaction facts clients ask for alongside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredReceipt {
    /// The consensus receipt.
    pub receipt: Receipt,
    /// Gas used by this transaction alone.
    pub gas_used: u64,
    /// What the sender paid per gas (base fee plus the tip it got).
    pub effective_gas_price: U256,
    /// The contract a creation deployed, if it did.
    pub contract_address: Option<Address>,
}

pub(crate) fn encode_receipts(receipts: &[StoredReceipt]) -> Vec<u8> {
    let mut s = RlpStream::new_list(receipts.len());
    for r in receipts {
        s.begin_list(4);
        s.append(&r.receipt.encode_2718());
        s.append(&r.gas_used);
        s.append(&r.effective_gas_price);
        match &r.contract_address {
            Some(a) => s.append(a),
            None => s.append_empty_data(),
        };
    }
    s.out().to_vec()
}

pub(crate) fn decode_receipts(bytes: &[u8]) -> Result<Vec<StoredReceipt>, StateError> {
    let bad = |e: &dyn std::fmt::Display| StateError::corrupt("receipts", e);
    let rlp = Rlp::new(bytes);
    let mut out = Vec::with_capacity(rlp.item_count().map_err(|e| bad(&e))?);
    for item in rlp.iter() {
        let raw: Vec<u8> = item.val_at(0).map_err(|e| bad(&e))?;
        let contract = item.at(3).map_err(|e| bad(&e))?;
        out.push(StoredReceipt {
            receipt: Receipt::decode_2718(&raw).map_err(|e| bad(&e))?,
            gas_used: item.val_at(1).map_err(|e| bad(&e))?,
            effective_gas_price: item.val_at(2).map_err(|e| bad(&e))?,
            contract_address: if contract.is_empty() {
                None
            } else {
                Some(contract.as_val().map_err(|e| bad(&e))?)
            },
        });
    }
    Ok(out)
}

/// Where a transaction landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLocation {
    /// Number of the block.
    pub block: u64,
    /// Index of the transaction in that block.
    pub index: u32,
}

impl TxLocation {
    /// The location as stored: block then index, big-endian.
    pub fn encode(&self) -> [u8; 12] {
        let mut out = [0u8; 12];
        out[..8].copy_from_slice(&self.block.to_be_bytes());
        out[8..].copy_from_slice(&self.index.to_be_bytes());
        out
    }

    /// Reads a location written by [`TxLocation::encode`].
    pub fn decode(bytes: &[u8]) -> Result<Self, StateError> {
        let b: [u8; 12] = bytes
            .try_into()
            .map_err(|_| StateError::corrupt("tx_lookup", "location must be 12 bytes"))?;
        Ok(Self {
            block: u64::from_be_bytes(b[..8].try_into().unwrap_or_default()),
            index: u32::from_be_bytes(b[8..].try_into().unwrap_or_default()),
        })
    }
}

/// What a committed state change overwrote, so it can be undone exactly
/// (`evm_revert`). `None` means the account did not exist; a zero storage
/// value means the slot was empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ReverseDiff {
    pub state_root: H256,
    pub accounts: Vec<(Address, Option<Account>)>,
    pub storage: Vec<(Address, H256, H256)>,
}

impl ReverseDiff {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut s = RlpStream::new_list(3);
        s.append(&self.state_root);
        s.begin_list(self.accounts.len());
        for (addr, acct) in &self.accounts {
            s.begin_list(2);
            s.append(addr);
            match acct {
                Some(a) => s.append(&rlp::encode(a).to_vec()),
                None => s.append_empty_data(),
            };
        }
        s.begin_list(self.storage.len());
        for (addr, slot, old) in &self.storage {
            s.begin_list(3);
            s.append(addr);
            s.append(slot);
            s.append(old);
        }
        s.out().to_vec()
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, StateError> {
        let bad = |e: &dyn std::fmt::Display| StateError::corrupt("state_diffs", e);
        let rlp = Rlp::new(bytes);
        let mut diff = ReverseDiff {
            state_root: rlp.val_at(0).map_err(|e| bad(&e))?,
            ..Default::default()
        };
        for item in rlp.at(1).map_err(|e| bad(&e))?.iter() {
            let addr: Address = item.val_at(0).map_err(|e| bad(&e))?;
            let raw: Vec<u8> = item.val_at(1).map_err(|e| bad(&e))?;
            let acct = if raw.is_empty() {
                None
            } else {
                Some(rlp::decode(&raw).map_err(|e| bad(&e))?)
            };
            diff.accounts.push((addr, acct));
        }
        for item in rlp.at(2).map_err(|e| bad(&e))?.iter() {
            diff.storage.push((
                item.val_at(0).map_err(|e| bad(&e))?,
                item.val_at(1).map_err(|e| bad(&e))?,
                item.val_at(2).map_err(|e| bad(&e))?,
            ));
        }
        Ok(diff)
    }
}
