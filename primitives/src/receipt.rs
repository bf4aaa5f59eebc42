//! Logs and receipts, with their consensus (EIP-2718 typed) encoding.

use primitive_types::{H160, H256};
use rlp::{DecoderError, Rlp, RlpStream};

use crate::bloom::Bloom;
use crate::bytes::Bytes;
use crate::transaction::TxType;

/// An event emitted during execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    /// The contract that emitted it.
    pub address: H160,
    /// Indexed topics, at most four.
    pub topics: Vec<H256>,
    /// Unindexed data.
    pub data: Bytes,
}

// rlp([address, [topics...], data])
rlp_record!(Log {
    val address,
    list topics,
    val data,
});

/// The consensus part of a receipt. Derived fields (gas used by this
/// transaction, contract address, effective gas price) are stored beside it
/// by `orac-state`, not here, exactly as Ethereum does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The transaction's EIP-2718 type, which prefixes the encoding.
    pub tx_type: TxType,
    /// Whether the transaction succeeded (status 1) or failed (0).
    pub success: bool,
    /// Gas used by the block up to and including this transaction.
    pub cumulative_gas_used: u64,
    /// Bloom filter over the logs' addresses and topics.
    pub logs_bloom: Bloom,
    /// Logs emitted, in order.
    pub logs: Vec<Log>,
}

impl Receipt {
    /// A receipt whose bloom is computed from `logs`.
    pub fn new(tx_type: TxType, success: bool, cumulative_gas_used: u64, logs: Vec<Log>) -> Self {
        let mut logs_bloom = Bloom::default();
        for log in &logs {
            logs_bloom.accrue_address(&log.address);
            for t in &log.topics {
                logs_bloom.accrue(t.as_bytes());
            }
        }
        Self {
            tx_type,
            success,
            cumulative_gas_used,
            logs_bloom,
            logs,
        }
    }

    fn rlp_body(&self) -> Vec<u8> {
        let mut s = RlpStream::new_list(4);
        s.append(&(self.success as u8));
        s.append(&self.cumulative_gas_used);
        s.append(&self.logs_bloom);
        s.append_list(&self.logs);
        s.out().to_vec()
    }

    /// EIP-2718 encoding used for the receipts root: `type || rlp(body)` for
    /// typed transactions, bare `rlp(body)` for legacy ones.
    pub fn encode_2718(&self) -> Vec<u8> {
        let body = self.rlp_body();
        match self.tx_type {
            TxType::Legacy => body,
            t => {
                let mut out = Vec::with_capacity(body.len() + 1);
                out.push(t as u8);
                out.extend_from_slice(&body);
                out
            }
        }
    }

    /// Decodes the EIP-2718 encoding ([`Receipt::encode_2718`]).
    pub fn decode_2718(bytes: &[u8]) -> Result<Self, DecoderError> {
        let (tx_type, body) = match bytes.first() {
            None => return Err(DecoderError::RlpIsTooShort),
            Some(b) if *b >= 0xc0 => (TxType::Legacy, bytes),
            Some(b) => (
                TxType::try_from(*b).map_err(|_| DecoderError::Custom("unknown receipt type"))?,
                &bytes[1..],
            ),
        };
        let rlp = Rlp::new(body);
        if rlp.item_count()? != 4 {
            return Err(DecoderError::RlpIncorrectListLen);
        }
        let status: u8 = rlp.val_at(0)?;
        Ok(Self {
            tx_type,
            success: status == 1,
            cumulative_gas_used: rlp.val_at(1)?,
            logs_bloom: rlp.val_at(2)?,
            logs: rlp.list_at(3)?,
        })
    }
}
