//! Encodings of what the tables hold beyond plain primitives.

use orac_primitives::{
    Account, Address, H256, Receipt, RecoveredTx, SignedTransaction, TxType, U256,
};
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

/// Receipts as stored: per receipt `[type, status, cumulativeGasUsed, logs,
/// gasUsed, effectiveGasPrice, contractAddress]`. The 256-byte logs bloom
/// is not stored but recomputed from the logs when read: it was most of a
/// transfer's receipt (a quarter of a full node's disk at a million
/// transfers).
pub(crate) fn encode_receipts(receipts: &[StoredReceipt]) -> Vec<u8> {
    let mut s = RlpStream::new_list(receipts.len());
    for r in receipts {
        s.begin_list(7);
        s.append(&(r.receipt.tx_type as u8));
        s.append(&u8::from(r.receipt.success));
        s.append(&r.receipt.cumulative_gas_used);
        s.append_list(&r.receipt.logs);
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
        if item.item_count().map_err(|e| bad(&e))? != 7 {
            return Err(bad(&"a receipt is a list of 7"));
        }
        let tx_type: u8 = item.val_at(0).map_err(|e| bad(&e))?;
        let status: u8 = item.val_at(1).map_err(|e| bad(&e))?;
        let contract = item.at(6).map_err(|e| bad(&e))?;
        out.push(StoredReceipt {
            receipt: Receipt::new(
                TxType::try_from(tx_type).map_err(|e| bad(&e))?,
                status == 1,
                item.val_at(2).map_err(|e| bad(&e))?,
                item.list_at(3).map_err(|e| bad(&e))?,
            ),
            gas_used: item.val_at(4).map_err(|e| bad(&e))?,
            effective_gas_price: item.val_at(5).map_err(|e| bad(&e))?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use orac_primitives::{Bytes, Log};

    #[test]
    fn receipts_round_trip_with_their_bloom_rebuilt() {
        let log = Log {
            address: Address::repeat_byte(7),
            topics: vec![H256::repeat_byte(1), H256::repeat_byte(2)],
            data: Bytes(vec![1, 2, 3]),
        };
        let receipts = vec![
            StoredReceipt {
                receipt: Receipt::new(TxType::DynamicFee, true, 21_000, vec![log]),
                gas_used: 21_000,
                effective_gas_price: U256::from(7),
                contract_address: None,
            },
            StoredReceipt {
                receipt: Receipt::new(TxType::Legacy, false, 90_000, vec![]),
                gas_used: 69_000,
                effective_gas_price: U256::one(),
                contract_address: Some(Address::repeat_byte(9)),
            },
        ];
        let bytes = encode_receipts(&receipts);
        assert_eq!(decode_receipts(&bytes).unwrap(), receipts);
        // A transfer's receipt costs tens of bytes, not the bloom's 256.
        assert!(encode_receipts(&receipts[1..]).len() < 40);
        assert!(decode_receipts(&[0xc2, 0xc1, 0x80]).is_err());
    }
}
