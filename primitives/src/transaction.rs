//! Transactions: the three EIP-2718 envelopes orac accepts, their signing
//! hashes, canonical encodings, hashes and sender recovery.
//!
//! | type | EIP  | payload                                                        |
//! |------|------|----------------------------------------------------------------|
//! | 0    | 155  | rlp([nonce, gasPrice, gas, to, value, data, v, r, s])          |
//! | 1    | 2930 | 0x01 ‖ rlp([chainId, nonce, gasPrice, gas, to, value, data, accessList, yParity, r, s]) |
//! | 2    | 1559 | 0x02 ‖ rlp([chainId, nonce, tip, feeCap, gas, to, value, data, accessList, yParity, r, s]) |

use primitive_types::{H160, H256, U256};
use rlp::{DecoderError, Rlp, RlpStream};

use crate::bytes::Bytes;
use crate::hash::keccak256;
use crate::signature::{PrivateKey, Signature, SignatureError};

/// Largest encoded transaction accepted, as geth's pool (4 × 32 KiB).
pub const MAX_TX_SIZE: usize = 128 * 1024;

/// Gas every transaction pays before it runs.
pub const TX_BASE_GAS: u64 = 21_000;
/// Extra intrinsic gas of a contract-creation transaction.
pub const TX_CREATE_GAS: u64 = 32_000;
/// Intrinsic gas per zero byte of input.
pub const TX_DATA_ZERO_GAS: u64 = 4;
/// Intrinsic gas per non-zero byte of input.
pub const TX_DATA_NONZERO_GAS: u64 = 16;
/// EIP-2930: per address in the access list.
pub const ACCESS_LIST_ADDRESS_GAS: u64 = 2_400;
/// EIP-2930: per storage key in the access list.
pub const ACCESS_LIST_STORAGE_KEY_GAS: u64 = 1_900;
/// EIP-3860: per 32-byte word of init code.
pub const INITCODE_WORD_GAS: u64 = 2;

/// The EIP-2718 transaction types orac accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TxType {
    /// Pre-EIP-2718 (untyped), with or without EIP-155 replay protection.
    Legacy = 0,
    /// EIP-2930: a gas price and an access list.
    AccessList = 1,
    /// EIP-1559: a fee cap and a priority fee.
    DynamicFee = 2,
}

impl TryFrom<u8> for TxType {
    type Error = TxError;
    fn try_from(v: u8) -> Result<Self, TxError> {
        match v {
            0 => Ok(TxType::Legacy),
            1 => Ok(TxType::AccessList),
            2 => Ok(TxType::DynamicFee),
            _ => Err(TxError::UnsupportedType),
        }
    }
}

/// Why a transaction could not be decoded or recovered.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TxError {
    /// The RLP is malformed (geth's wording).
    #[error("rlp: {0}")]
    Rlp(String),
    /// A type byte orac does not know.
    #[error("transaction type not supported")]
    UnsupportedType,
    /// A type byte with no payload after it.
    #[error("typed transaction too short")]
    TooShort,
    /// The encoding is over [`MAX_TX_SIZE`] bytes.
    #[error("oversized data: transaction size {0}, limit {MAX_TX_SIZE}")]
    Oversized(usize),
    /// Valid RLP, but not the one canonical encoding of its fields.
    #[error("rlp: non-canonical encoding")]
    NonCanonical,
    /// The signature is invalid or recovers no sender.
    #[error(transparent)]
    Signature(#[from] SignatureError),
}

impl From<DecoderError> for TxError {
    /// In geth's words (`rlp: …`), which clients and people search for;
    /// the rlp crate's own Display is its enum variant's name.
    fn from(e: DecoderError) -> Self {
        TxError::Rlp(
            match e {
                DecoderError::RlpIsTooBig => "value size exceeds available input length",
                DecoderError::RlpIsTooShort => "input string too short",
                DecoderError::RlpExpectedToBeList => "expected input list",
                DecoderError::RlpExpectedToBeData => "expected input string or byte",
                DecoderError::RlpIncorrectListLen => "wrong number of list elements",
                DecoderError::RlpDataLenWithZeroPrefix
                | DecoderError::RlpListLenWithZeroPrefix
                | DecoderError::RlpInvalidIndirection => "non-canonical size information",
                DecoderError::RlpInconsistentLengthAndData => {
                    "element is larger than containing list"
                }
                DecoderError::RlpInvalidLength => "input contains more than one value",
                DecoderError::Custom(m) => m,
            }
            .to_string(),
        )
    }
}

/// EIP-2930 access list entry.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AccessListItem {
    /// An account the transaction pays to have warm.
    pub address: H160,
    /// Storage slots of that account it pays to have warm.
    pub storage_keys: Vec<H256>,
}

// rlp([address, [storageKeys...]])
rlp_record!(AccessListItem {
    val address,
    list storage_keys,
});

/// An unsigned transaction of any supported type. Legacy and access-list
/// transactions have one gas price, kept in both fee fields so fee logic is
/// the same for every type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// The EIP-2718 type, which fixes the encoding.
    pub tx_type: TxType,
    /// `None` only for pre-EIP-155 legacy transactions.
    pub chain_id: Option<u64>,
    /// The sender's nonce this transaction uses.
    pub nonce: u64,
    /// EIP-1559 tip per gas (the gas price for legacy and access-list types).
    pub max_priority_fee_per_gas: U256,
    /// EIP-1559 fee cap per gas (the gas price for legacy and access-list types).
    pub max_fee_per_gas: U256,
    /// Most gas the transaction may use.
    pub gas_limit: u64,
    /// `None` creates a contract.
    pub to: Option<H160>,
    /// Wei sent with the message.
    pub value: U256,
    /// Calldata, or the deploy envelope and constructor arguments.
    pub input: Bytes,
    /// EIP-2930 access list (empty for legacy transactions).
    pub access_list: Vec<AccessListItem>,
}

impl Transaction {
    /// The price per gas a legacy or access-list transaction offers; the fee
    /// cap of a dynamic-fee one.
    pub fn gas_price(&self) -> U256 {
        self.max_fee_per_gas
    }

    /// What the sender actually pays per gas under `base_fee`. Callers must
    /// first check `max_fee_per_gas >= base_fee`.
    pub fn effective_gas_price(&self, base_fee: U256) -> U256 {
        match self.tx_type {
            TxType::DynamicFee => self
                .max_fee_per_gas
                .min(base_fee.saturating_add(self.max_priority_fee_per_gas)),
            _ => self.max_fee_per_gas,
        }
    }

    /// The tip per gas the block producer receives under `base_fee`.
    pub fn effective_tip(&self, base_fee: U256) -> U256 {
        self.effective_gas_price(base_fee).saturating_sub(base_fee)
    }

    /// Gas charged before any execution: the base cost, calldata, access
    /// list, and for creations the surcharge plus EIP-3860 init-code words.
    pub fn intrinsic_gas(&self) -> u64 {
        let zeros = self.input.iter().filter(|b| **b == 0).count() as u64;
        let nonzeros = self.input.len() as u64 - zeros;
        let mut gas = TX_BASE_GAS + zeros * TX_DATA_ZERO_GAS + nonzeros * TX_DATA_NONZERO_GAS;
        if self.to.is_none() {
            let words = (self.input.len() as u64).div_ceil(32);
            gas += TX_CREATE_GAS + words * INITCODE_WORD_GAS;
        }
        for item in &self.access_list {
            gas += ACCESS_LIST_ADDRESS_GAS
                + item.storage_keys.len() as u64 * ACCESS_LIST_STORAGE_KEY_GAS;
        }
        gas
    }

    /// The most the sender can be charged: value + gas limit × fee cap.
    /// `None` on overflow (which no balance can cover).
    pub fn max_cost(&self) -> Option<U256> {
        U256::from(self.gas_limit)
            .checked_mul(self.max_fee_per_gas)?
            .checked_add(self.value)
    }

    fn append_to(&self, s: &mut RlpStream) {
        match &self.to {
            Some(a) => s.append(a),
            None => s.append_empty_data(),
        };
    }

    /// Appends the unsigned fields in the order of this transaction's type:
    /// typed transactions wrap the legacy fields in a chain id and an
    /// access list, and EIP-1559 adds its tip before the fee cap.
    fn append_fields(&self, s: &mut RlpStream) {
        let typed = self.tx_type != TxType::Legacy;
        if typed {
            s.append(&self.chain_id.unwrap_or_default());
        }
        s.append(&self.nonce);
        if self.tx_type == TxType::DynamicFee {
            s.append(&self.max_priority_fee_per_gas);
        }
        s.append(&self.max_fee_per_gas);
        s.append(&self.gas_limit);
        self.append_to(s);
        s.append(&self.value);
        s.append(&self.input);
        if typed {
            s.append_list(&self.access_list);
        }
    }

    fn field_count(&self) -> usize {
        match self.tx_type {
            TxType::Legacy => 6,
            TxType::AccessList => 8,
            TxType::DynamicFee => 9,
        }
    }

    /// The digest the sender signs.
    pub fn signing_hash(&self) -> H256 {
        match self.tx_type {
            TxType::Legacy => {
                let mut s = RlpStream::new();
                match self.chain_id {
                    Some(id) => {
                        s.begin_list(9);
                        self.append_fields(&mut s);
                        s.append(&id);
                        s.append(&0u8);
                        s.append(&0u8);
                    }
                    None => {
                        s.begin_list(6);
                        self.append_fields(&mut s);
                    }
                }
                keccak256(s.out())
            }
            _ => {
                let mut s = RlpStream::new_list(self.field_count());
                self.append_fields(&mut s);
                let mut out = vec![self.tx_type as u8];
                out.extend_from_slice(&s.out());
                keccak256(out)
            }
        }
    }

    /// Signs with `key`, producing the network encoding and hash.
    pub fn sign(self, key: &PrivateKey) -> SignedTransaction {
        let signature = key.sign_prehash(&self.signing_hash());
        SignedTransaction::from_parts(self, signature)
    }
}

/// A signed transaction in its canonical EIP-2718 encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTransaction {
    /// The unsigned transaction.
    pub tx: Transaction,
    /// Its signature.
    pub signature: Signature,
    hash: H256,
    encoded: Bytes,
}

impl SignedTransaction {
    /// Signs off `tx` with `signature`, computing its encoding and hash once.
    pub fn from_parts(tx: Transaction, signature: Signature) -> Self {
        let encoded = encode_signed(&tx, &signature);
        Self {
            hash: keccak256(&encoded),
            tx,
            signature,
            encoded: Bytes(encoded),
        }
    }

    /// keccak256 of the EIP-2718 encoding: the transaction's identity.
    pub fn hash(&self) -> H256 {
        self.hash
    }

    /// The canonical EIP-2718 bytes (what `eth_sendRawTransaction` takes).
    pub fn encoded(&self) -> &[u8] {
        &self.encoded
    }

    /// The legacy `v` value (27/28, or chainId × 2 + 35/36), or the y-parity
    /// for typed transactions.
    pub fn v(&self) -> u64 {
        let parity = self.signature.y_parity as u64;
        match (self.tx.tx_type, self.tx.chain_id) {
            (TxType::Legacy, Some(id)) => id * 2 + 35 + parity,
            (TxType::Legacy, None) => 27 + parity,
            _ => parity,
        }
    }

    /// Recovers the signer. Costs one secp256k1 recovery (~100 µs): callers
    /// keep the result rather than asking twice.
    pub fn recover_sender(&self) -> Result<H160, TxError> {
        Ok(self.signature.recover(&self.tx.signing_hash())?)
    }

    /// Decodes network bytes. Rejects oversized input, unknown types,
    /// trailing bytes and any encoding that is not the canonical one, so that
    /// the hash of what was received is the hash of what gets stored.
    pub fn decode(raw: &[u8]) -> Result<Self, TxError> {
        if raw.len() > MAX_TX_SIZE {
            return Err(TxError::Oversized(raw.len()));
        }
        let first = *raw.first().ok_or(TxError::TooShort)?;
        let decoded = if first >= 0xc0 {
            decode_legacy(raw)?
        } else if first <= 0x7f {
            let tx_type = TxType::try_from(first)?;
            if tx_type == TxType::Legacy {
                return Err(TxError::UnsupportedType);
            }
            decode_typed(tx_type, &raw[1..])?
        } else {
            return Err(TxError::Rlp("expected input list for transaction".into()));
        };
        if decoded.encoded.0 != raw {
            return Err(TxError::NonCanonical);
        }
        Ok(decoded)
    }
}

/// A signed transaction together with its recovered sender, so the costly
/// recovery happens once: at admission, or when loading a stored block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveredTx {
    /// The signed transaction.
    pub tx: SignedTransaction,
    /// The address that signed it.
    pub sender: H160,
}

impl RecoveredTx {
    /// Recovers the sender of `tx` (the costly secp256k1 step).
    pub fn recover(tx: SignedTransaction) -> Result<Self, TxError> {
        let sender = tx.recover_sender()?;
        Ok(Self { tx, sender })
    }

    /// The transaction hash.
    pub fn hash(&self) -> H256 {
        self.tx.hash()
    }
}

fn single_item(bytes: &[u8]) -> Result<Rlp<'_>, TxError> {
    let rlp = Rlp::new(bytes);
    let info = rlp.payload_info()?;
    if info.header_len + info.value_len != bytes.len() {
        return Err(TxError::Rlp("input contains more than one value".into()));
    }
    if !rlp.is_list() {
        return Err(TxError::Rlp("expected input list for transaction".into()));
    }
    Ok(rlp)
}

fn decode_to(rlp: &Rlp, index: usize) -> Result<Option<H160>, TxError> {
    let item = rlp.at(index)?;
    if item.is_empty() {
        Ok(None)
    } else {
        Ok(Some(item.as_val()?))
    }
}

fn decode_legacy(raw: &[u8]) -> Result<SignedTransaction, TxError> {
    let rlp = single_item(raw)?;
    if rlp.item_count()? != 9 {
        return Err(TxError::Rlp("legacy transaction must have 9 fields".into()));
    }
    let v: U256 = rlp.val_at(6)?;
    let v: u64 = if v > U256::from(u64::MAX) {
        return Err(SignatureError::InvalidValues.into());
    } else {
        v.as_u64()
    };
    let (chain_id, y_parity) = match v {
        27 | 28 => (None, v == 28),
        v if v >= 35 => (Some((v - 35) / 2), (v - 35) % 2 == 1),
        _ => return Err(SignatureError::InvalidValues.into()),
    };
    let price: U256 = rlp.val_at(1)?;
    let tx = Transaction {
        tx_type: TxType::Legacy,
        chain_id,
        nonce: rlp.val_at(0)?,
        max_priority_fee_per_gas: price,
        max_fee_per_gas: price,
        gas_limit: rlp.val_at(2)?,
        to: decode_to(&rlp, 3)?,
        value: rlp.val_at(4)?,
        input: rlp.val_at(5)?,
        access_list: Vec::new(),
    };
    let signature = Signature {
        r: rlp.val_at(7)?,
        s: rlp.val_at(8)?,
        y_parity,
    };
    Ok(SignedTransaction::from_parts(tx, signature))
}

fn decode_typed(tx_type: TxType, payload: &[u8]) -> Result<SignedTransaction, TxError> {
    let rlp = single_item(payload)?;
    let dynamic = tx_type == TxType::DynamicFee;
    let fields = if dynamic { 12 } else { 11 };
    if rlp.item_count()? != fields {
        return Err(TxError::Rlp(format!(
            "type {} transaction must have {fields} fields",
            tx_type as u8
        )));
    }
    // Fields after the fee(s) sit one place later in a dynamic-fee tx.
    let o = dynamic as usize;
    let (tip, cap): (U256, U256) = if dynamic {
        (rlp.val_at(2)?, rlp.val_at(3)?)
    } else {
        let p = rlp.val_at(2)?;
        (p, p)
    };
    let parity: u8 = rlp.val_at(8 + o)?;
    if parity > 1 {
        return Err(SignatureError::InvalidValues.into());
    }
    let tx = Transaction {
        tx_type,
        chain_id: Some(rlp.val_at(0)?),
        nonce: rlp.val_at(1)?,
        max_priority_fee_per_gas: tip,
        max_fee_per_gas: cap,
        gas_limit: rlp.val_at(3 + o)?,
        to: decode_to(&rlp, 4 + o)?,
        value: rlp.val_at(5 + o)?,
        input: rlp.val_at(6 + o)?,
        access_list: rlp.list_at(7 + o)?,
    };
    let signature = Signature {
        r: rlp.val_at(9 + o)?,
        s: rlp.val_at(10 + o)?,
        y_parity: parity == 1,
    };
    Ok(SignedTransaction::from_parts(tx, signature))
}

fn encode_signed(tx: &Transaction, sig: &Signature) -> Vec<u8> {
    let mut s = RlpStream::new_list(tx.field_count() + 3);
    tx.append_fields(&mut s);
    match tx.tx_type {
        TxType::Legacy => {
            let parity = sig.y_parity as u64;
            let v = match tx.chain_id {
                Some(id) => id * 2 + 35 + parity,
                None => 27 + parity,
            };
            s.append(&v);
        }
        _ => {
            s.append(&(sig.y_parity as u8));
        }
    }
    s.append(&sig.r);
    s.append(&sig.s);
    let body = s.out();
    match tx.tx_type {
        TxType::Legacy => body.to_vec(),
        t => {
            let mut out = Vec::with_capacity(body.len() + 1);
            out.push(t as u8);
            out.extend_from_slice(&body);
            out
        }
    }
}

#[cfg(test)]
#[path = "transaction_tests.rs"]
mod tests;
