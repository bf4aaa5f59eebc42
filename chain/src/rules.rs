//! The chain's rules, assembled in one place: the composition root.
//!
//! What every node of a chain must agree on beyond the spec's parameters
//! is which VM runs contracts and which native system contracts answer
//! beside them, with the accounts those contracts need from genesis.
//! [`ChainRules`] owns all of it. The node ([`crate::Chain::open`], through
//! [`crate::ChainConfig::rules`]), the testkit, the benchmarks and the tests
//! build their VM from it and write their genesis with it, so none of them
//! can run a chain whose rules differ from the others'.
//!
//! The VM's consensus settings are not knobs: the engine fixes its
//! compiler (Winch), fuel metering and limits itself (`orac_vm::engine`),
//! and [`orac_vm::VmConfig`] carries only what a node may choose for
//! itself (where and how much compiled code it caches). What the rules add
//! on top is the set of system contracts, and this module is the one place
//! in the chain that names them: [`ChainRules::standard`] is orac's rule
//! set, with the oracle feed registry (`orac-oracle-registry`).

use std::collections::BTreeMap;
use std::sync::Arc;

use orac_primitives::{Address, GenesisAccount};
use orac_state::{Overlay, StateError};
use orac_vm::{SystemContract, Vm, VmConfig, VmError};

/// What is consensus, beyond the chain spec: the system contracts every
/// node registers, and the genesis accounts they need. Cheap to clone.
#[derive(Clone)]
pub struct ChainRules {
    systems: Vec<Arc<dyn SystemContract>>,
}

impl ChainRules {
    /// orac's rules: the oracle feed registry, native chain code at a
    /// fixed address from genesis (docs/oracle.md).
    pub fn standard() -> Self {
        Self {
            systems: vec![Arc::new(orac_oracle_registry::Registry)],
        }
    }

    /// A VM under these rules. `local` is what the node chooses for
    /// itself (its code cache); nothing in it changes what a block does.
    pub fn vm(&self, local: &VmConfig) -> Result<Vm, VmError> {
        Ok(self
            .systems
            .iter()
            .fold(Vm::new(local)?, |vm, s| vm.with_system(s.clone())))
    }

    /// The accounts the system contracts need at genesis, as each declares
    /// them ([`SystemContract::genesis`]).
    pub fn genesis_accounts(&self) -> impl Iterator<Item = (Address, GenesisAccount)> + '_ {
        self.systems.iter().flat_map(|s| s.genesis())
    }

    /// A spec's allocations completed with the system contracts' accounts.
    /// Where both name an account, the spec's entry keeps what it sets and
    /// the system contract's requirements are added to it: its nonce and
    /// balance are at least the contract's, the contract's code fills an
    /// empty one, and the contract's storage slots fill slots it lacks.
    pub fn genesis_alloc(
        &self,
        spec_alloc: &BTreeMap<Address, GenesisAccount>,
    ) -> BTreeMap<Address, GenesisAccount> {
        let mut alloc = spec_alloc.clone();
        for (address, needed) in self.genesis_accounts() {
            let a = alloc.entry(address).or_default();
            a.nonce = a.nonce.max(needed.nonce);
            a.balance = a.balance.max(needed.balance);
            if a.code.is_empty() {
                a.code = needed.code;
            }
            for (slot, value) in needed.storage {
                a.storage.entry(slot).or_insert(value);
            }
        }
        alloc
    }

    /// Writes the system contracts' genesis accounts into `state`, for the
    /// testkit and the benchmarks, which start from an empty state rather
    /// than a spec (a chain's genesis comes from
    /// [`ChainSpec::genesis_changes`](crate::ChainSpec::genesis_changes)).
    pub fn write_genesis(&self, state: &mut Overlay) -> Result<(), StateError> {
        for (address, a) in self.genesis_accounts() {
            state.update_account(&address, |acct| {
                acct.nonce = acct.nonce.max(a.nonce);
                acct.balance = acct.balance.max(a.balance);
            })?;
            if !a.code.is_empty() {
                state.set_code(&address, a.code)?;
            }
            for (slot, value) in &a.storage {
                state.set_storage(&address, slot, *value)?;
            }
        }
        Ok(())
    }
}

impl Default for ChainRules {
    /// [`ChainRules::standard`].
    fn default() -> Self {
        Self::standard()
    }
}

impl std::fmt::Debug for ChainRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainRules")
            .field(
                "systems",
                &self.systems.iter().map(|s| s.home()).collect::<Vec<_>>(),
            )
            .finish()
    }
}
