//! A block as consensus ships it between validators: in proposal parts and
//! in value-sync responses. RLP, as Ethereum encodes blocks:
//! `[header, [tx, ...]]`, each transaction in its EIP-2718 encoding.
//! Senders are not sent: the receiver recovers them from the signatures.

use orac_primitives::{Address, H256, Header, RecoveredTx, SignedTransaction};
use rlp::{Rlp, RlpStream};

/// Largest encoded block accepted from a peer. A 100M-gas block of plain
/// transfers is about 0.5 MiB; contract deployments can be larger (the
/// transaction size limit is 128 KiB), so this leaves room for big ones
/// while bounding what a peer can make a node buffer per proposal.
pub const MAX_BLOCK_BYTES: usize = 16 << 20;

/// A block: its header and its transactions with their senders.
#[derive(Clone, Debug)]
pub struct Block {
    /// The header; its hash is what consensus decides.
    pub header: Header,
    /// The transactions, in order.
    pub transactions: Vec<RecoveredTx>,
}

/// Why bytes from a peer are not a block.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlockDecodeError {
    /// Larger than [`MAX_BLOCK_BYTES`].
    #[error("block of {0} bytes is over the {MAX_BLOCK_BYTES}-byte limit")]
    TooLarge(usize),
    /// Not `[header, [tx, ...]]`.
    #[error("malformed block: {0}")]
    Rlp(#[from] rlp::DecoderError),
    /// A transaction does not decode or its signature does not recover.
    #[error("transaction {index}: {reason}")]
    Transaction {
        /// Its position in the block.
        index: usize,
        /// Why.
        reason: String,
    },
}

impl Block {
    /// The block's hash (its header's).
    pub fn hash(&self) -> H256 {
        self.header.hash()
    }

    /// `[header, [tx, ...]]`.
    pub fn encode(&self) -> Vec<u8> {
        let mut s = RlpStream::new_list(2);
        s.append(&self.header);
        s.begin_list(self.transactions.len());
        for tx in &self.transactions {
            s.append(&tx.tx.encoded());
        }
        s.out().to_vec()
    }

    /// Decodes a peer's bytes and recovers every sender.
    pub fn decode(bytes: &[u8]) -> Result<Block, BlockDecodeError> {
        Self::decode_with(bytes, |_| None)
    }

    /// Decodes a peer's bytes; a transaction `known` has a sender for
    /// (one this node's pool admitted, recovered then: its hash covers the
    /// signature) is not recovered again.
    pub fn decode_with(
        bytes: &[u8],
        known: impl Fn(&H256) -> Option<Address>,
    ) -> Result<Block, BlockDecodeError> {
        if bytes.len() > MAX_BLOCK_BYTES {
            return Err(BlockDecodeError::TooLarge(bytes.len()));
        }
        let rlp = Rlp::new(bytes);
        if rlp.item_count()? != 2 {
            return Err(rlp::DecoderError::RlpIncorrectListLen.into());
        }
        let header: Header = rlp.val_at(0)?;
        let txs = rlp.at(1)?;
        let mut transactions = Vec::with_capacity(txs.item_count()?);
        for (index, item) in txs.iter().enumerate() {
            let raw = item.data()?;
            let bad = |e: orac_primitives::transaction::TxError| BlockDecodeError::Transaction {
                index,
                reason: e.to_string(),
            };
            let tx = SignedTransaction::decode(raw).map_err(bad)?;
            let tx = match known(&tx.hash()) {
                Some(sender) => RecoveredTx { tx, sender },
                None => RecoveredTx::recover(tx).map_err(bad)?,
            };
            transactions.push(tx);
        }
        Ok(Block {
            header,
            transactions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(n: usize) -> Block {
        let keys = orac_chain::dev::derive_keys(orac_chain::dev::DEV_MNEMONIC, 2).expect("keys");
        let transactions = (0..n as u64)
            .map(|nonce| {
                let tx = orac_chain::testing::transfer(Address::repeat_byte(9), 1u64.into())
                    .nonce(nonce)
                    .sign(&keys[0]);
                RecoveredTx::recover(tx).expect("recovers")
            })
            .collect();
        Block {
            header: Header::test_header(7, H256::repeat_byte(1), H256::repeat_byte(2)),
            transactions,
        }
    }

    #[test]
    fn round_trips_with_senders_recovered() {
        for n in [0, 1, 5] {
            let b = block(n);
            let back = Block::decode(&b.encode()).expect("decodes");
            assert_eq!(back.hash(), b.hash());
            assert_eq!(back.transactions.len(), n);
            for (x, y) in back.transactions.iter().zip(&b.transactions) {
                assert_eq!(x.hash(), y.hash());
                assert_eq!(x.sender, y.sender);
            }
        }
    }

    #[test]
    fn a_known_sender_is_not_recovered_again() {
        let b = block(2);
        let first = b.transactions[0].hash();
        let pooled = Address::repeat_byte(0x77);
        let back =
            Block::decode_with(&b.encode(), |h| (*h == first).then_some(pooled)).expect("decodes");
        assert_eq!(back.transactions[0].sender, pooled);
        assert_eq!(back.transactions[1].sender, b.transactions[1].sender);
    }

    #[test]
    fn refuses_hostile_bytes() {
        let good = block(2).encode();
        assert!(Block::decode(&good[..good.len() - 1]).is_err());
        assert!(Block::decode(&[0xc0]).is_err());
        assert!(Block::decode(&vec![0u8; MAX_BLOCK_BYTES + 1]).is_err());
        let mut s = RlpStream::new_list(2);
        s.append(&block(0).header);
        s.begin_list(1);
        s.append(&&b"not a transaction"[..]);
        assert!(matches!(
            Block::decode(&s.out()),
            Err(BlockDecodeError::Transaction { index: 0, .. })
        ));
    }
}
