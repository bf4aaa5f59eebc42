//! What the fuzzer feeds the VM: modules from wasm-smith, configured to
//! the feature set the deploy rules accept (one memory of at most 1 MiB,
//! one table, no SIMD, threads, tail calls, exceptions, GC or memory64; the
//! orac host functions as the only imports; `memory` and `call` exported),
//! and the hostile shapes of `vm-adversary` (frame shapes, random loop
//! bodies), which wasm-smith alone rarely produces.

use arbitrary::Unstructured;
use orac_bench::adversary::{search, stack, wat as shapes};
use orac_bench::vmkit::Rng;
use orac_vm::limits::MAX_MEMORY_PAGES;
use wasm_smith::{Config, InstructionKind, InstructionKinds, Module};

/// The imports wasm-smith may use: every orac host function.
fn available_imports() -> Vec<u8> {
    wat::parse_str(format!("(module {})", shapes::imports())).expect("imports parse")
}

/// The exports every contract must have.
fn required_exports() -> Vec<u8> {
    wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "call")))"#)
        .expect("exports parse")
}

pub(crate) fn config() -> Config {
    Config {
        available_imports: Some(available_imports()),
        exports: Some(required_exports()),
        allowed_instructions: InstructionKinds::new(&[
            InstructionKind::Numeric,
            InstructionKind::Reference,
            InstructionKind::Parametric,
            InstructionKind::Variable,
            InstructionKind::Memory,
            InstructionKind::Control,
        ]),
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        tail_call_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        memory64_enabled: false,
        custom_page_sizes_enabled: false,
        multi_value_enabled: true,
        bulk_memory_enabled: true,
        reference_types_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        // The required exports bring the one memory; none besides.
        max_memories: 0,
        extended_const_enabled: false,
        wide_arithmetic_enabled: false,
        max_memory32_bytes: MAX_MEMORY_PAGES * 65_536,
        max_tables: 1,
        max_table_elements: 256,
        max_types: 64,
        max_funcs: 40,
        max_imports: 40,
        max_globals: 16,
        max_instructions: 400,
        max_nesting_depth: 12,
        max_data_segments: 8,
        max_element_segments: 4,
        allow_start_export: false,
        ..Config::default()
    }
}

/// A module from wasm-smith, from `bytes` of randomness.
pub(crate) fn smith(config: &Config, bytes: &[u8]) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(bytes);
    Module::new(config.clone(), &mut u)
        .ok()
        .map(|m| m.to_bytes())
}

/// A hostile shape: a frame shape (recursion), or a random loop body from
/// the time search.
pub(crate) fn hostile(rng: &mut Rng) -> Vec<u8> {
    if rng.below(2) == 0 {
        stack::random_frame(rng).module_with_call()
    } else {
        let mut g = search::Gen {
            rng: Rng(rng.next_u64()),
            pages: 1,
        };
        g.body().module()
    }
}

/// A module with random bytes changed: for the validator, which must
/// refuse or accept anything without panicking.
pub(crate) fn mutate(module: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut m = module.to_vec();
    if m.is_empty() {
        return m;
    }
    for _ in 0..1 + rng.below(4) {
        let i = rng.below(m.len() as u64) as usize;
        match rng.below(3) {
            0 => m[i] = rng.next_u64() as u8,
            1 => {
                m.remove(i);
            }
            _ => m.insert(i, rng.next_u64() as u8),
        }
        if m.is_empty() {
            break;
        }
    }
    m
}
