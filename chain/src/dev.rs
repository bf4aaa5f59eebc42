//! Development accounts derived from a BIP-39 mnemonic, as hardhat and anvil
//! do, so scripts written against them work unchanged.

use orac_primitives::PrivateKey;

/// The mnemonic every Ethereum dev node uses by default.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Why dev keys cannot be derived.
#[derive(Debug, thiserror::Error)]
pub enum DevKeyError {
    /// The phrase is not a valid BIP-39 mnemonic (the parser's reason).
    #[error("invalid mnemonic: {0}")]
    Mnemonic(String),
    /// BIP-32 derivation or the key it gave failed (the reason).
    #[error("key derivation failed: {0}")]
    Derivation(String),
}

/// Derives `count` keys at m/44'/60'/0'/0/i.
pub fn derive_keys(mnemonic: &str, count: u32) -> Result<Vec<PrivateKey>, DevKeyError> {
    let m = bip39::Mnemonic::parse_normalized(mnemonic)
        .map_err(|e| DevKeyError::Mnemonic(e.to_string()))?;
    let seed = m.to_seed("");
    (0..count)
        .map(|i| {
            let path: bip32::DerivationPath = format!("m/44'/60'/0'/0/{i}")
                .parse()
                .map_err(|e: bip32::Error| DevKeyError::Derivation(e.to_string()))?;
            let xprv = bip32::XPrv::derive_from_path(&seed, &path)
                .map_err(|e| DevKeyError::Derivation(e.to_string()))?;
            PrivateKey::from_bytes(&xprv.to_bytes())
                .map_err(|e| DevKeyError::Derivation(e.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_dev_accounts() {
        let keys = derive_keys(DEV_MNEMONIC, 10).unwrap();
        // The well-known first and last accounts of hardhat/anvil.
        assert_eq!(
            format!("{:?}", keys[0].address()),
            "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
        );
        assert_eq!(
            hex_key(&keys[0]),
            "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
        );
        assert_eq!(
            format!("{:?}", keys[1].address()),
            "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
        );
        assert_eq!(
            format!("{:?}", keys[9].address()),
            "0xa0ee7a142d267c1f36714e4a8f75612f20a79720"
        );
    }

    fn hex_key(k: &PrivateKey) -> String {
        k.to_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }
}
