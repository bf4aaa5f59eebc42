//! Host functions: the contract's only window on the chain.
//!
//! Rules every function here follows:
//! * charge gas **before** doing any work;
//! * check every pointer and length against linear memory (a bad pointer
//!   fails the frame, never the node);
//! * never call back into the calling instance (nested calls run other
//!   instances, in their own stores);
//! * be deterministic: only chain state and the block, never the clock or
//!   the host.

pub mod abi;
mod bulk;

use std::sync::Arc;

use orac_primitives::{Address, H256, Log, Signature, U256, keccak256};
use orac_state::StateError;
use wasmtime::{Caller, Linker, Trap};

use crate::envelope;
use crate::exec::{
    Bounded, Call, Exit, Fault, Frame, StateChange, create_address, create2_address, run_child,
};
use crate::gas;
use crate::limits::*;

type C<'a> = Caller<'a, Frame>;
type R<T> = wasmtime::Result<T>;

fn fault(fault: Fault) -> wasmtime::Error {
    wasmtime::Error::new(Exit::Fault(fault))
}

fn fatal(e: StateError) -> wasmtime::Error {
    wasmtime::Error::new(Exit::Fatal(e))
}

/// Takes `amount` gas from the running frame, or fails it with "out of
/// gas".
fn charge(c: &mut C, amount: u64) -> R<()> {
    charge_fuel(c, gas::gas_to_fuel(amount))
}

/// Takes `cost` fuel from the running frame, or fails it with "out of gas"
/// (all its fuel gone, as when compiled code runs out).
fn charge_fuel(c: &mut C, cost: u64) -> R<()> {
    let fuel = c.get_fuel()?;
    match fuel.checked_sub(cost) {
        Some(left) if left >= gas::FUEL_SENTINEL => c.set_fuel(left)?,
        _ => {
            c.set_fuel(0)?;
            return Err(Trap::OutOfFuel.into());
        }
    }
    Ok(())
}

fn gas_left(c: &C) -> R<u64> {
    Ok(c.get_fuel()?.saturating_sub(gas::FUEL_SENTINEL) / gas::FUEL_PER_GAS)
}

/// The running instance's linear memory.
fn memory(c: &C) -> R<wasmtime::Memory> {
    c.data().memory.ok_or_else(|| fault(Fault::NoMemory))
}

/// The `len` bytes at `ptr` in linear memory.
fn bytes<'a>(c: &'a C, ptr: i32, len: i32) -> R<&'a [u8]> {
    let mem = memory(c)?;
    let (start, len) = (ptr as u32 as usize, len as u32 as usize);
    mem.data(c)
        .get(start..start.saturating_add(len))
        .ok_or_else(|| fault(Fault::OutOfBounds { len, start }))
}

/// Copies `len` bytes at `ptr` out of linear memory.
fn read(c: &C, ptr: i32, len: i32) -> R<Vec<u8>> {
    bytes(c, ptr, len).map(<[u8]>::to_vec)
}

fn read_array<const N: usize>(c: &C, ptr: i32) -> R<[u8; N]> {
    let mut out = [0; N];
    out.copy_from_slice(bytes(c, ptr, N as i32)?);
    Ok(out)
}

fn read_address(c: &C, ptr: i32) -> R<Address> {
    Ok(Address::from(read_array::<20>(c, ptr)?))
}

fn read_word(c: &C, ptr: i32) -> R<H256> {
    Ok(H256(read_array::<32>(c, ptr)?))
}

fn read_u256(c: &C, ptr: i32) -> R<U256> {
    Ok(U256::from_big_endian(&read_array::<32>(c, ptr)?))
}

/// Copies `data` into linear memory at `ptr`.
fn write(c: &mut C, ptr: i32, data: &[u8]) -> R<()> {
    let mem = memory(c)?;
    let start = ptr as u32 as usize;
    c.data_mut().host_dirty |= crate::instance::chunk_bits(start, data.len());
    mem.data_mut(&mut *c)
        .get_mut(start..start.saturating_add(data.len()))
        .ok_or_else(|| {
            fault(Fault::OutOfBounds {
                len: data.len(),
                start,
            })
        })?
        .copy_from_slice(data);
    Ok(())
}

fn write_u256(c: &mut C, ptr: i32, v: U256) -> R<()> {
    write(c, ptr, &v.to_big_endian())
}

fn no_state_change(c: &C, what: StateChange) -> R<()> {
    if c.data().is_static {
        return Err(fault(Fault::StaticCall(what)));
    }
    Ok(())
}

/// Bounds a guest-supplied length before anything is allocated for it.
fn bounded(len: i32, max: usize, what: Bounded) -> R<usize> {
    let len = len as u32 as usize;
    if len > max {
        return Err(fault(Fault::TooLarge {
            what,
            len,
            limit: max,
        }));
    }
    Ok(len)
}

/// Whether sending value to `address` would bring it into existence (it
/// does not exist, or is empty and so deleted by EIP-161).
fn creates_account(c: &mut C, address: &Address) -> R<bool> {
    let account = c.data_mut().tx().state.account(address).map_err(fatal)?;
    Ok(account.is_none_or(|a| a.is_empty()))
}

fn account_access(c: &mut C, address: Address) -> R<()> {
    let cold = c.data_mut().tx().warm.account(address);
    charge(
        c,
        if cold {
            gas::ACCOUNT_COLD
        } else {
            gas::ACCOUNT_WARM
        },
    )
}

/// Defines every host function on `linker`, group by group.
pub fn define(linker: &mut Linker<Frame>) -> R<()> {
    bulk::define(linker)?;
    define_storage(linker)?;
    define_message_data(linker)?;
    define_env(linker)?;
    define_logs(linker)?;
    define_calls(linker)?;
    define_crypto(linker)
}

/// Writes `value` to a storage slot of the running contract, charging by
/// what the slot held (shared by `storage_write` and `storage_remove`).
fn store_slot(mut c: C, key: H256, value: H256) -> R<()> {
    no_state_change(&c, StateChange::StorageWrite)?;
    let address = c.data().address;
    let tx = c.data_mut().tx();
    let cold = tx.warm.slot(address, key);
    let current = tx.state.storage(&address, &key).map_err(fatal)?;
    charge(
        &mut c,
        gas::sstore_cost(cold, current.is_zero(), value.is_zero()),
    )?;
    c.data_mut()
        .tx()
        .state
        .set_storage(&address, &key, value)
        .map_err(fatal)
}

/// The running contract's storage: read, write, remove.
fn define_storage(linker: &mut Linker<Frame>) -> R<()> {
    let m = abi::MODULE;
    linker.func_wrap(m, "storage_read", |mut c: C, key: i32, out: i32| -> R<()> {
        let key = read_word(&c, key)?;
        let address = c.data().address;
        let cold = c.data_mut().tx().warm.slot(address, key);
        charge(&mut c, gas::sload_cost(cold))?;
        let value = c
            .data_mut()
            .tx()
            .state
            .storage(&address, &key)
            .map_err(fatal)?;
        write(&mut c, out, value.as_bytes())
    })?;

    linker.func_wrap(m, "storage_write", |c: C, key: i32, value: i32| -> R<()> {
        let (k, v) = (read_word(&c, key)?, read_word(&c, value)?);
        store_slot(c, k, v)
    })?;

    linker.func_wrap(m, "storage_remove", |c: C, key: i32| -> R<()> {
        let k = read_word(&c, key)?;
        store_slot(c, k, H256::zero())
    })?;
    Ok(())
}

/// Registers `name() -> T`: charges [`gas::ENV`], then returns the value
/// `get` reads from the frame.
fn env_value<T: wasmtime::WasmTy + 'static>(
    linker: &mut Linker<Frame>,
    name: &'static str,
    get: impl Fn(&mut Frame) -> T + Send + Sync + 'static,
) -> R<()> {
    linker.func_wrap(abi::MODULE, name, move |mut c: C| -> R<T> {
        charge(&mut c, gas::ENV)?;
        Ok(get(c.data_mut()))
    })?;
    Ok(())
}

/// Registers `name() -> i32`: charges [`gas::ENV`], then returns the
/// length `get` reads from the frame.
fn size_of(linker: &mut Linker<Frame>, name: &'static str, get: fn(&Frame) -> usize) -> R<()> {
    env_value(linker, name, move |f| get(f) as i32)
}

/// The message's own data: its input, and what it returns or reverts with.
fn define_message_data(linker: &mut Linker<Frame>) -> R<()> {
    let m = abi::MODULE;
    size_of(linker, "calldata_size", |f| f.input.len())?;

    linker.func_wrap(
        m,
        "calldata_copy",
        |mut c: C, dst: i32, offset: i32, len: i32| -> R<()> {
            let len = bounded(
                len,
                MAX_CODE_SIZE.max(MAX_RETURN_DATA),
                Bounded::CalldataCopy,
            )?;
            charge(&mut c, gas::copy_cost(len))?;
            let input = c.data().input.clone();
            let start = offset as u32 as usize;
            let slice = input.get(start..start.saturating_add(len)).ok_or_else(|| {
                fault(Fault::CalldataRange {
                    start,
                    len,
                    end: input.len(),
                })
            })?;
            write(&mut c, dst, slice)
        },
    )?;

    linker.func_wrap(m, "set_return", |mut c: C, ptr: i32, len: i32| -> R<()> {
        let len = bounded(len, MAX_RETURN_DATA, Bounded::ReturnData)?;
        charge(&mut c, gas::copy_cost(len))?;
        let data = read(&c, ptr, len as i32)?;
        c.data_mut().output = data;
        Ok(())
    })?;

    linker.func_wrap(m, "revert", |mut c: C, ptr: i32, len: i32| -> R<()> {
        let len = bounded(len, MAX_RETURN_DATA, Bounded::RevertData)?;
        charge(&mut c, gas::copy_cost(len))?;
        let data = read(&c, ptr, len as i32)?;
        c.data_mut().output = data;
        Err(wasmtime::Error::new(Exit::Revert))
    })?;
    Ok(())
}

/// Registers `name(out)`: charges [`gas::ENV`], then writes the bytes
/// `get` reads from the frame (an address, a word) to `out`.
fn env_bytes<T: AsRef<[u8]> + 'static>(
    linker: &mut Linker<Frame>,
    name: &'static str,
    get: fn(&mut Frame) -> T,
) -> R<()> {
    linker.func_wrap(abi::MODULE, name, move |mut c: C, out: i32| -> R<()> {
        charge(&mut c, gas::ENV)?;
        let v = get(c.data_mut());
        write(&mut c, out, v.as_ref())
    })?;
    Ok(())
}

/// Registers `name() -> i64`: charges [`gas::ENV`], then returns the
/// number `get` reads from the frame.
fn env_number(linker: &mut Linker<Frame>, name: &'static str, get: fn(&mut Frame) -> u64) -> R<()> {
    env_value(linker, name, move |f| get(f) as i64)
}

/// The message, transaction and block environment, and balances.
fn define_env(linker: &mut Linker<Frame>) -> R<()> {
    env_bytes(linker, "caller", |f| f.caller)?;
    env_bytes(linker, "origin", |f| f.tx().env.origin)?;
    env_bytes(linker, "address", |f| f.address)?;
    env_bytes(linker, "call_value", |f| f.value.to_big_endian())?;

    linker.func_wrap(
        abi::MODULE,
        "balance",
        |mut c: C, addr: i32, out: i32| -> R<()> {
            let address = read_address(&c, addr)?;
            account_access(&mut c, address)?;
            let b = c.data_mut().tx().state.balance(&address).map_err(fatal)?;
            write_u256(&mut c, out, b)
        },
    )?;

    env_number(linker, "block_number", |f| f.tx().env.block.number)?;
    env_number(linker, "block_timestamp", |f| f.tx().env.block.timestamp)?;
    env_number(linker, "block_gas_limit", |f| f.tx().env.block.gas_limit)?;
    env_bytes(linker, "coinbase", |f| f.tx().env.block.coinbase)?;
    env_number(linker, "chain_id", |f| f.tx().env.block.chain_id)?;
    env_bytes(linker, "base_fee", |f| {
        f.tx().env.block.base_fee.to_big_endian()
    })?;
    env_bytes(linker, "gas_price", |f| {
        f.tx().env.gas_price.to_big_endian()
    })?;
    env_bytes(linker, "prevrandao", |f| f.tx().env.block.prev_randao)?;

    linker.func_wrap(abi::MODULE, "gas_left", |mut c: C| -> R<i64> {
        charge(&mut c, gas::ENV)?;
        Ok(gas_left(&c)? as i64)
    })?;
    Ok(())
}

/// Events.
fn define_logs(linker: &mut Linker<Frame>) -> R<()> {
    linker.func_wrap(abi::MODULE, "emit_log", emit_log)?;
    Ok(())
}

/// `emit_log(topics, count, data, len)`: `count` 32-byte topics at
/// `topics` and `len` bytes of data at `data`.
fn emit_log(mut c: C, topics: i32, count: i32, data: i32, len: i32) -> R<()> {
    no_state_change(&c, StateChange::Log)?;
    let count = bounded(count, MAX_LOG_TOPICS, Bounded::TopicCount)?;
    let len = bounded(len, MAX_LOG_DATA, Bounded::LogData)?;
    charge(
        &mut c,
        gas::LOG_BASE + gas::LOG_TOPIC * count as u64 + gas::LOG_BYTE * len as u64,
    )?;
    let raw = read(&c, topics, (count * 32) as i32)?;
    let topics = raw.chunks(32).map(H256::from_slice).collect();
    let data = read(&c, data, len as i32)?;
    let address = c.data().address;
    c.data_mut().tx().state.add_log(Log {
        address,
        topics,
        data: data.into(),
    });
    Ok(())
}

/// Nested messages: calls, creations, and what the last one returned.
fn define_calls(linker: &mut Linker<Frame>) -> R<()> {
    let m = abi::MODULE;
    linker.func_wrap(
        m,
        "call",
        |mut c: C, addr: i32, value: i32, data: i32, len: i32, gas_req: i64| -> R<i32> {
            let to = read_address(&c, addr)?;
            let value = read_u256(&c, value)?;
            let len = bounded(len, MAX_RETURN_DATA, Bounded::CallData)?;
            charge(&mut c, gas::copy_cost(len))?;
            let input = read(&c, data, len as i32)?;
            message(c, to, value, input, gas_req, false)
        },
    )?;

    linker.func_wrap(
        m,
        "static_call",
        |mut c: C, addr: i32, data: i32, len: i32, gas_req: i64| -> R<i32> {
            let to = read_address(&c, addr)?;
            let len = bounded(len, MAX_RETURN_DATA, Bounded::CallData)?;
            charge(&mut c, gas::copy_cost(len))?;
            let input = read(&c, data, len as i32)?;
            message(c, to, U256::zero(), input, gas_req, true)
        },
    )?;

    size_of(linker, "return_data_size", |f| f.return_data.len())?;

    linker.func_wrap(
        m,
        "return_data_copy",
        |mut c: C, dst: i32, offset: i32, len: i32| -> R<()> {
            let len = bounded(len, MAX_RETURN_DATA, Bounded::ReturnDataCopy)?;
            charge(&mut c, gas::copy_cost(len))?;
            let start = offset as u32 as usize;
            let data = std::mem::take(&mut c.data_mut().return_data);
            let result = match data.get(start..start.saturating_add(len)) {
                Some(slice) => write(&mut c, dst, slice),
                None => Err(fault(Fault::ReturnDataRange {
                    start,
                    len,
                    end: data.len(),
                })),
            };
            c.data_mut().return_data = data;
            result
        },
    )?;

    linker.func_wrap(
        m,
        "create",
        |mut c: C, value: i32, code: i32, len: i32, out: i32| -> R<i32> {
            let value = read_u256(&c, value)?;
            let len = bounded(len, MAX_CODE_SIZE + MAX_RETURN_DATA, Bounded::CreationData)?;
            charge(&mut c, gas::copy_cost(len))?;
            let data = read(&c, code, len as i32)?;
            create(c, value, data, None, out)
        },
    )?;

    linker.func_wrap(
        m,
        "create2",
        |mut c: C, value: i32, code: i32, len: i32, salt: i32, out: i32| -> R<i32> {
            let value = read_u256(&c, value)?;
            let salt = read_word(&c, salt)?;
            let len = bounded(len, MAX_CODE_SIZE + MAX_RETURN_DATA, Bounded::CreationData)?;
            // CREATE2 also hashes the creation data.
            charge(
                &mut c,
                gas::copy_cost(len) + gas::KECCAK_WORD * (len as u64).div_ceil(32),
            )?;
            let data = read(&c, code, len as i32)?;
            create(c, value, data, Some(salt), out)
        },
    )?;
    Ok(())
}

/// Hashing and signature recovery.
fn define_crypto(linker: &mut Linker<Frame>) -> R<()> {
    let m = abi::MODULE;
    linker.func_wrap(
        m,
        "keccak256",
        |mut c: C, ptr: i32, len: i32, out: i32| -> R<()> {
            let len = bounded(
                len,
                (MAX_MEMORY_PAGES * 65_536) as usize,
                Bounded::KeccakInput,
            )?;
            charge(
                &mut c,
                gas::KECCAK_BASE + gas::KECCAK_WORD * (len as u64).div_ceil(32),
            )?;
            let hash = keccak256(bytes(&c, ptr, len as i32)?);
            write(&mut c, out, hash.as_bytes())
        },
    )?;

    linker.func_wrap(
        m,
        "ecrecover",
        |mut c: C, hash: i32, v: i32, r: i32, s: i32, out: i32| -> R<i32> {
            charge(&mut c, gas::ECRECOVER)?;
            let hash = read_word(&c, hash)?;
            let (r, s) = (read_u256(&c, r)?, read_u256(&c, s)?);
            let y_parity = match v {
                0 | 27 => false,
                1 | 28 => true,
                _ => return Ok(0),
            };
            match (Signature { r, s, y_parity }).recover(&hash) {
                Ok(address) => {
                    write(&mut c, out, address.as_bytes())?;
                    Ok(1)
                }
                Err(_) => Ok(0),
            }
        },
    )?;
    Ok(())
}

/// The stack height of the running instance, from its injected global.
fn stack_height(c: &mut C) -> u32 {
    match c.data().stack {
        Some(g) => g.get(&mut *c).i32().unwrap_or(0) as u32,
        None => 0,
    }
}

/// Gas for a sub-frame: what was asked (negative: as much as allowed),
/// capped by the 63/64 rule, taken from the caller now.
fn take_budget(c: &mut C, requested: i64) -> R<u64> {
    let available = gas_left(c)?;
    let cap = gas::max_forwardable(available);
    let gas = if requested < 0 {
        cap
    } else {
        (requested as u64).min(cap)
    };
    let fuel = c.get_fuel()?;
    c.set_fuel(fuel - gas::gas_to_fuel(gas))?;
    Ok(gas)
}

fn give_back(c: &mut C, gas_left: u64) -> R<()> {
    let fuel = c.get_fuel()?;
    c.set_fuel(fuel.saturating_add(gas::gas_to_fuel(gas_left)))?;
    Ok(())
}

/// Runs `frame` as a child of the calling frame, on top of the frames
/// the calling instance's stack counter says are running.
fn child(c: &mut C, frame: Call, gas: u64) -> R<crate::exec::FrameResult> {
    let height = stack_height(c);
    let tx = c
        .data_mut()
        .tx
        .take()
        .ok_or_else(|| fault(Fault::NoTransactionContext))?;
    let (tx, result) = run_child(tx, frame, gas, height);
    c.data_mut().tx = Some(tx);
    result.map_err(fatal)
}

fn message(
    mut c: C,
    to: Address,
    value: U256,
    input: Vec<u8>,
    gas_req: i64,
    is_static: bool,
) -> R<i32> {
    if !value.is_zero() {
        no_state_change(&c, StateChange::ValueTransfer)?;
    }
    account_access(&mut c, to)?;
    charge(
        &mut c,
        gas::CALL_BASE + if value.is_zero() { 0 } else { gas::CALL_VALUE },
    )?;
    if !value.is_zero() && creates_account(&mut c, &to)? {
        charge(&mut c, gas::NEW_ACCOUNT)?;
    }
    let gas = take_budget(&mut c, gas_req)?;
    let stipend = if value.is_zero() {
        0
    } else {
        gas::CALL_STIPEND
    };
    let frame = Call {
        address: to,
        caller: c.data().address,
        value,
        input: Arc::from(input),
        is_static: is_static || c.data().is_static,
        deploy: None,
    };
    let result = child(&mut c, frame, gas + stipend)?;
    give_back(&mut c, result.gas_left)?;
    c.data_mut().return_data = result.output;
    Ok(if result.success { 0 } else { 1 })
}

fn create(mut c: C, value: U256, data: Vec<u8>, salt: Option<H256>, out: i32) -> R<i32> {
    no_state_change(&c, StateChange::ContractCreation)?;
    charge(&mut c, gas::CREATE)?;
    let creator = c.data().address;
    let address = {
        let tx = c.data_mut().tx();
        let nonce = tx.state.nonce(&creator).map_err(fatal)?;
        // The creator's nonce moves even if the creation fails, as on Ethereum.
        tx.state
            .update_account(&creator, |a| a.nonce = nonce.saturating_add(1))
            .map_err(fatal)?;
        match salt {
            Some(s) => create2_address(&creator, &s, &data),
            None => create_address(&creator, nonce),
        }
    };
    let (module, args) = match envelope::unwrap(&data) {
        Ok((m, a)) => (m.to_vec(), a.to_vec()),
        Err(e) => {
            c.data_mut().return_data = e.to_string().into_bytes();
            return Ok(1);
        }
    };
    let gas = take_budget(&mut c, -1)?;
    let frame = Call {
        address,
        caller: creator,
        value,
        input: Arc::from(args),
        is_static: false,
        deploy: Some(module),
    };
    let result = child(&mut c, frame, gas)?;
    give_back(&mut c, result.gas_left)?;
    c.data_mut().return_data = result.output;
    if result.success {
        write(&mut c, out, address.as_bytes())?;
        Ok(0)
    } else {
        write(&mut c, out, Address::zero().as_bytes())?;
        Ok(1)
    }
}
