//! The host ABI's names and signatures, in one table that the deploy
//! validator and the linker both use. docs/host-abi.md documents each.

use wasmparser::ValType;

/// The import module every host function lives in.
pub const MODULE: &str = "orac";

/// Exports the VM adds to every module start with this; contracts may not
/// export anything under it themselves.
pub const RESERVED_EXPORT_PREFIX: &str = "__orac_";

/// Name of the stack-height global the VM injects and exports.
pub const STACK_GLOBAL: &str = "__orac_stack";

/// Name of the dirty-memory mask the VM injects and exports.
pub const DIRTY_GLOBAL: &str = "__orac_dirty";

/// Prefix of the names under which the VM exports a module's mutable
/// globals (`__orac_global_<index>`), so a reused instance can reset them.
pub const GLOBAL_EXPORT_PREFIX: &str = "__orac_global_";

/// A host function's WebAssembly signature.
pub struct HostSig {
    /// The import's name in the `orac` module.
    pub name: &'static str,
    /// Its parameter types.
    pub params: &'static [ValType],
    /// Its result types.
    pub results: &'static [ValType],
}

impl HostSig {
    /// The signature as WebAssembly text, e.g. `(i32, i32) -> ()`, for
    /// error messages.
    pub fn describe(&self) -> String {
        let list = |v: &[ValType]| {
            v.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!("({}) -> ({})", list(self.params), list(self.results))
    }
}

const I: ValType = ValType::I32;
const L: ValType = ValType::I64;

macro_rules! sigs {
    ($($name:literal: ($($p:expr),*) -> ($($r:expr),*);)*) => {
        /// Every host function, in the order the linker defines them.
        pub const HOST_FUNCTIONS: &[HostSig] = &[
            $(HostSig { name: $name, params: &[$($p),*], results: &[$($r),*] },)*
        ];
    };
}

sigs! {
    "storage_read": (I, I) -> ();
    "storage_write": (I, I) -> ();
    "storage_remove": (I) -> ();
    "calldata_size": () -> (I);
    "calldata_copy": (I, I, I) -> ();
    "set_return": (I, I) -> ();
    "revert": (I, I) -> ();
    "caller": (I) -> ();
    "origin": (I) -> ();
    "address": (I) -> ();
    "call_value": (I) -> ();
    "balance": (I, I) -> ();
    "block_number": () -> (L);
    "block_timestamp": () -> (L);
    "block_gas_limit": () -> (L);
    "coinbase": (I) -> ();
    "chain_id": () -> (L);
    "base_fee": (I) -> ();
    "gas_price": (I) -> ();
    "prevrandao": (I) -> ();
    "gas_left": () -> (L);
    "emit_log": (I, I, I, I) -> ();
    "call": (I, I, I, I, L) -> (I);
    "static_call": (I, I, I, L) -> (I);
    "return_data_size": () -> (I);
    "return_data_copy": (I, I, I) -> ();
    "create": (I, I, I, I) -> (I);
    "create2": (I, I, I, I, I) -> (I);
    "keccak256": (I, I, I) -> ();
    "ecrecover": (I, I, I, I, I) -> (I);
}

/// Host functions the instrumentation calls in place of the instructions
/// whose work depends on an operand (`memory.fill`, `memory.copy`,
/// `memory.grow`), so that work is charged before it is done: Winch meters
/// only a fixed cost per instruction. Imported after the module's own
/// imports, in this order; contracts cannot import them by name.
pub const INTERNAL_FUNCTIONS: &[HostSig] = &[
    HostSig {
        name: "__orac_memory_fill",
        params: &[I, I, I],
        results: &[],
    },
    HostSig {
        name: "__orac_memory_copy",
        params: &[I, I, I],
        results: &[],
    },
    HostSig {
        name: "__orac_memory_grow",
        params: &[I],
        results: &[I],
    },
];

/// Index of `memory.fill`'s stand-in in [`INTERNAL_FUNCTIONS`].
pub const MEMORY_FILL: u32 = 0;
/// Index of `memory.copy`'s stand-in.
pub const MEMORY_COPY: u32 = 1;
/// Index of `memory.grow`'s stand-in.
pub const MEMORY_GROW: u32 = 2;

/// A public host function by name (the ones contracts may import).
pub fn lookup(name: &str) -> Option<&'static HostSig> {
    HOST_FUNCTIONS.iter().find(|s| s.name == name)
}
