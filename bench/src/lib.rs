//! What the benchmark binaries share: the VM kit (benchmark contracts, an
//! in-memory state, timing helpers), generated WebAssembly for compile
//! measurements, and the adversarial shape search of `vm-adversary`.

pub mod adversary;
pub mod load;
pub mod procfs;
pub mod vmkit;
pub mod wasmgen;
