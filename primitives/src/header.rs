//! Block headers in Ethereum's London layout; block hash = keccak(rlp(header)).

use primitive_types::{H160, H256, U256};
use rlp::{Decodable, DecoderError, Encodable, Rlp, RlpStream};

use crate::bloom::Bloom;
use crate::bytes::Bytes;
use crate::hash::keccak256;

/// A block header with the sixteen London fields, in consensus order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Hash of the previous block's header.
    pub parent_hash: H256,
    /// Always the hash of an empty list: no ommers, kept for Ethereum's layout.
    pub ommers_hash: H256,
    /// The block producer's address (`coinbase`, as contracts see it).
    pub beneficiary: H160,
    /// State trie root after the block's transactions.
    pub state_root: H256,
    /// Root of the trie of the block's transactions, by index.
    pub transactions_root: H256,
    /// Root of the trie of the block's receipts, by index.
    pub receipts_root: H256,
    /// Union of the receipts' blooms.
    pub logs_bloom: Bloom,
    /// Always zero (no proof of work), kept for Ethereum's layout.
    pub difficulty: U256,
    /// Height: genesis is 0.
    pub number: u64,
    /// Most gas the block's transactions may use together.
    pub gas_limit: u64,
    /// Gas the block's transactions used.
    pub gas_used: u64,
    /// Seconds since the Unix epoch.
    pub timestamp: u64,
    /// Free-form bytes chosen by the producer.
    pub extra_data: Bytes,
    /// Ethereum's `mixHash`: the block's `prevrandao` (EIP-4399) as contracts see it.
    pub mix_hash: H256,
    /// Always zero (no proof of work), kept for Ethereum's layout.
    pub nonce: [u8; 8],
    /// EIP-1559 base fee per gas.
    pub base_fee_per_gas: U256,
}

/// Fields of a London header.
const HEADER_FIELDS: usize = 16;

impl Header {
    /// Keccak of the RLP-encoded header: the block hash.
    pub fn hash(&self) -> H256 {
        keccak256(rlp::encode(self))
    }
}

#[cfg(feature = "test-utils")]
impl Header {
    /// A header for tests and benchmarks (feature `test-utils`): block
    /// `number` on `parent` with `state_root`, holding nothing (no
    /// transactions, receipts, logs or ommers), a zero beneficiary, a
    /// 30M gas limit, timestamp `number` and a 1 gwei base fee. Change
    /// fields with struct update syntax:
    /// `Header { base_fee_per_gas: U256::one(), ..Header::test_header(0, H256::zero(), root) }`.
    pub fn test_header(number: u64, parent: H256, state_root: H256) -> Self {
        Self {
            parent_hash: parent,
            ommers_hash: crate::EMPTY_LIST_HASH,
            beneficiary: H160::zero(),
            state_root,
            transactions_root: crate::EMPTY_ROOT,
            receipts_root: crate::EMPTY_ROOT,
            logs_bloom: Bloom::default(),
            difficulty: U256::zero(),
            number,
            gas_limit: 30_000_000,
            gas_used: 0,
            timestamp: number,
            extra_data: Bytes::new(),
            mix_hash: H256::zero(),
            nonce: [0; 8],
            base_fee_per_gas: U256::from(1_000_000_000u64),
        }
    }
}

impl Encodable for Header {
    fn rlp_append(&self, s: &mut RlpStream) {
        s.begin_list(HEADER_FIELDS);
        s.append(&self.parent_hash);
        s.append(&self.ommers_hash);
        s.append(&self.beneficiary);
        s.append(&self.state_root);
        s.append(&self.transactions_root);
        s.append(&self.receipts_root);
        s.append(&self.logs_bloom);
        s.append(&self.difficulty);
        s.append(&self.number);
        s.append(&self.gas_limit);
        s.append(&self.gas_used);
        s.append(&self.timestamp);
        s.append(&self.extra_data);
        s.append(&self.mix_hash);
        s.encoder().encode_value(&self.nonce);
        s.append(&self.base_fee_per_gas);
    }
}

impl Decodable for Header {
    fn decode(rlp: &Rlp) -> Result<Self, DecoderError> {
        if rlp.item_count()? != HEADER_FIELDS {
            return Err(DecoderError::RlpIncorrectListLen);
        }
        let nonce: Vec<u8> = rlp.val_at(14)?;
        Ok(Self {
            parent_hash: rlp.val_at(0)?,
            ommers_hash: rlp.val_at(1)?,
            beneficiary: rlp.val_at(2)?,
            state_root: rlp.val_at(3)?,
            transactions_root: rlp.val_at(4)?,
            receipts_root: rlp.val_at(5)?,
            logs_bloom: rlp.val_at(6)?,
            difficulty: rlp.val_at(7)?,
            number: rlp.val_at(8)?,
            gas_limit: rlp.val_at(9)?,
            gas_used: rlp.val_at(10)?,
            timestamp: rlp.val_at(11)?,
            extra_data: rlp.val_at(12)?,
            mix_hash: rlp.val_at(13)?,
            nonce: nonce
                .try_into()
                .map_err(|_| DecoderError::Custom("header nonce must be 8 bytes"))?,
            base_fee_per_gas: rlp.val_at(15)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::from_hex;

    /// Mainnet block 12,965,000, the first London block, as served by
    /// mainnet nodes. Decoding and re-encoding must give the same bytes and
    /// its well-known hash.
    const LONDON_HEADER: &str = "f9021fa03de6bb3849a138e6ab0b83a3a00dc7433f1e83f7fd488e4bba78f2fe2631a633a01dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347947777788200b672a42421017f65ede4fc759564c8a041cf6e8e60fd087d2b00360dc29e5bfb21959bce1f4c242fd1ad7c4da968eb87a0dfcb68d3a3c41096f4a77569db7956e0a0e750fad185948e54789ea0e51779cba08a8865cd785e2e9dfce7da83aca010b10b9af2abbd367114b236f149534c821db9010024e74ad77d9a2b27bdb8f6d6f7f1cffdd8cfb47fdebd433f011f7dfcfbb7db638fadd5ff66ed134ede2879ce61149797fbcdf7b74f6b7de153ec61bdaffeeb7b59c3ed771a2fe9eaed8ac70e335e63ff2bfe239eaff8f94ca642fdf7ee5537965be99a440f53d2ce057dbf9932be9a7b9a82ffdffe4eeee1a66c4cfb99fe4540fbff936f97dde9f6bfd9f8cefda2fc174d23dfdb7d6f7dfef5f754fe6a7eec92efdbff779b5feff3beafebd7fd6e973afebe4f5d86f3aafb1f73bf1e1d0cdd796d89827edeffe8fb6ae6d7bf639ec5f5ff4c32f31f6b525b676c7cdf5e5c75bfd5b7bd1928b6f43aac7fa0f6336576e5f7b7dfb9e8ebbe6f6efe2f9dfe8b3f56871b81c1fe05b21883c5d4888401ca35428401ca262984610bdaa69768747470733a2f2f7777772e6b7279707465782e6f7267a09620b46a81a4795cf4449d48e3270419f58b09293a5421205f88179b563f815a88b223da049adf2216843b9aca00";

    #[test]
    fn london_block_roundtrip_and_hash() {
        let raw = from_hex(LONDON_HEADER).unwrap();
        let header: Header = rlp::decode(&raw).unwrap();
        assert_eq!(header.number, 12_965_000);
        assert_eq!(header.base_fee_per_gas, U256::from(1_000_000_000u64));
        assert_eq!(rlp::encode(&header).to_vec(), raw);
        assert_eq!(
            header.hash(),
            H256::from_slice(
                &from_hex("9b83c12c69edb74f6c8dd5d052765c1adf940e320bd1291696e6fa07829eee71")
                    .unwrap()
            )
        );
    }
}
