//! The internal host functions that stand in for `memory.fill`,
//! `memory.copy` and `memory.grow` (`instrument.rs` rewrites those
//! instructions into calls to these). Each charges for the work its
//! operands ask for before doing any of it, and behaves exactly as the
//! instruction it replaces: same results, same traps.

use wasmtime::{Linker, Memory, Trap};

use super::{C, R, charge, charge_fuel};
use crate::exec::Frame;
use crate::gas;
use crate::host::abi::{INTERNAL_FUNCTIONS, MEMORY_COPY, MEMORY_FILL, MEMORY_GROW, MODULE};
use crate::instance::chunk_bits;
use crate::limits::MAX_MEMORY_PAGES;

fn name(index: u32) -> &'static str {
    INTERNAL_FUNCTIONS[index as usize].name
}

/// `[start, start + len)` as a range, if it lies within `size` bytes. As
/// for the instructions, an empty range at the very end is in bounds.
fn in_bounds(start: i32, len: i32, size: usize) -> Option<std::ops::Range<usize>> {
    let (start, len) = (start as u32 as usize, len as u32 as usize);
    let end = start.checked_add(len)?;
    (end <= size).then_some(start..end)
}

fn out_of_bounds() -> wasmtime::Error {
    Trap::MemoryOutOfBounds.into()
}

/// Fuel for a bulk operation over `len` bytes: its fixed cost covers the
/// call into the host whatever the length (an empty fill costs as much as
/// a one-byte one), plus a price per byte.
fn bulk_fuel(len: i32) -> u64 {
    gas::gas_to_fuel(gas::MEMORY_BULK_BASE) + gas::MEMORY_BULK_BYTE_FUEL * len as u32 as u64
}

/// Charges for a bulk operation over `len` bytes before touching memory,
/// then gives the memory and its current size in bytes.
fn metered(c: &mut C, len: i32) -> R<(Memory, usize)> {
    charge_fuel(c, bulk_fuel(len))?;
    let mem = super::memory(c)?;
    let size = mem.data_size(&*c);
    Ok((mem, size))
}

/// The range an operation is about to write, checked against `size`
/// and marked dirty for the instance's reset.
fn written(c: &mut C, start: i32, len: i32, size: usize) -> R<std::ops::Range<usize>> {
    let range = in_bounds(start, len, size).ok_or_else(out_of_bounds)?;
    c.data_mut().host_dirty |= chunk_bits(range.start, range.len());
    Ok(range)
}

pub(super) fn define(linker: &mut Linker<Frame>) -> R<()> {
    linker.func_wrap(
        MODULE,
        name(MEMORY_FILL),
        |mut c: C, dst: i32, value: i32, len: i32| -> R<()> {
            let (mem, size) = metered(&mut c, len)?;
            let range = written(&mut c, dst, len, size)?;
            mem.data_mut(&mut c)[range].fill(value as u8);
            Ok(())
        },
    )?;

    linker.func_wrap(
        MODULE,
        name(MEMORY_COPY),
        |mut c: C, dst: i32, src: i32, len: i32| -> R<()> {
            let (mem, size) = metered(&mut c, len)?;
            let from = in_bounds(src, len, size).ok_or_else(out_of_bounds)?;
            let to = written(&mut c, dst, len, size)?;
            mem.data_mut(&mut c).copy_within(from, to.start);
            Ok(())
        },
    )?;

    linker.func_wrap(
        MODULE,
        name(MEMORY_GROW),
        |mut c: C, pages: i32| -> R<i32> {
            charge(&mut c, gas::MEMORY_GROW_BASE)?;
            let mem = super::memory(&c)?;
            let current = mem.size(&c);
            let pages = pages as u32 as u64;
            if pages > MAX_MEMORY_PAGES.saturating_sub(current) {
                // As the instruction does when the memory cannot grow.
                return Ok(-1);
            }
            // Paid before the pages exist: a frame that cannot pay for them
            // never gets to touch them.
            charge(&mut c, pages * gas::MEMORY_PAGE)?;
            match mem.grow(&mut c, pages) {
                Ok(old) => Ok(old as i32),
                Err(_) => Ok(-1),
            }
        },
    )?;
    Ok(())
}
