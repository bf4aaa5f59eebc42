//! Test-only misbehaviour (feature `byzantine`): a proposer that offers
//! blocks honest validators must refuse, and Malachite's Byzantine network
//! proxy (equivocating or dropped votes and proposals). The end-to-end
//! fault tests use it to check that such blocks are never decided and that
//! equivocation is logged as evidence.

use orac_chain::Chain;
use orac_chain::dev::{DEV_MNEMONIC, derive_keys};
use orac_primitives::trie::ordered_trie_root;
use orac_primitives::{Address, RecoveredTx, U256};

use crate::block::Block;
use crate::config::{BadProposal, ConfigError};

/// The tenth dev account: the tests only ever send it funds, so its
/// transactions appear in no honest block.
const ACCOUNT: usize = 9;

/// Turns an honest block into the invalid one `how` names.
pub fn tamper(chain: &Chain, mut block: Block, how: BadProposal) -> Block {
    let signed = |nonce: u64, value: u64| -> Option<RecoveredTx> {
        let keys = derive_keys(DEV_MNEMONIC, ACCOUNT as u32 + 1).ok()?;
        let tx = orac_chain::testing::transfer(Address::repeat_byte(0xbb), U256::from(value))
            .nonce(nonce)
            .sign(&keys[ACCOUNT]);
        RecoveredTx::recover(tx).ok()
    };
    let sender = derive_keys(DEV_MNEMONIC, ACCOUNT as u32 + 1)
        .ok()
        .and_then(|k| k.get(ACCOUNT).map(|k| k.address()));
    let nonce = sender
        .and_then(|a| chain.pending_nonce(&a).ok())
        .unwrap_or(0);
    match how {
        BadProposal::StateRoot => block.header.state_root.0[0] ^= 0xff,
        BadProposal::InvalidTransaction => block.transactions.extend(signed(nonce + 1_000, 1)),
        BadProposal::DoubleSpend => {
            block.transactions.extend(signed(nonce, 1));
            block.transactions.extend(signed(nonce, 2));
        }
    }
    // A consistent transactions root, so only executing the block shows
    // what is wrong with it.
    block.header.transactions_root =
        ordered_trie_root(block.transactions.iter().map(|t| t.tx.encoded()));
    tracing::warn!(?how, hash = ?block.hash(), "BYZANTINE: proposing an invalid block");
    block
}

/// Malachite's Byzantine configuration from the `[byzantine.engine]` table.
pub fn engine_config(
    table: &toml::Table,
) -> Result<malachitebft_engine_byzantine::ByzantineConfig, ConfigError> {
    let config: malachitebft_engine_byzantine::ByzantineConfig = table
        .clone()
        .try_into()
        .map_err(|e| ConfigError::Invalid(format!("[byzantine.engine]: {e}")))?;
    config
        .validate()
        .map_err(|e| ConfigError::Invalid(format!("[byzantine.engine]: {e}")))?;
    Ok(config)
}
