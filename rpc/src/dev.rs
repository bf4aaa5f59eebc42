//! Dev-node controls (`evm_*`, `anvil_*`, `hardhat_*`), served only when
//! [`crate::dispatch::Ctx::dev_methods`] is on.

use orac_chain::{Chain, Patch};
use orac_primitives::{Address, Bytes, H256};
use serde_json::{Value, json};

use crate::error::RpcError;
use crate::params::{Params, Q256, U64};
use crate::types::Quantity;

/// Most blocks one `evm_mine` / `anvil_mine` / `hardhat_mine` may mine.
const MAX_MINE_BLOCKS: u64 = 100_000;

/// Dev-node controls (anvil / hardhat compatible): they rewrite state and
/// time at will, so a chain that is not a dev chain never serves them
/// (REPRO H2: on a `--chain` node anyone could set a balance to 2^256-1).
pub(crate) async fn dispatch_dev(
    chain: &Chain,
    method: &str,
    params: Params,
) -> Result<Value, RpcError> {
    match method {
        "evm_snapshot" => Ok(json!(Quantity(chain.take_snapshot()?))),
        "evm_revert" => {
            // Ids are u64s; a larger one names no snapshot (it used to be
            // cut to its low 64 bits, reverting to some other one).
            let id = params.req::<Q256>(0)?.0;
            match u64::try_from(id) {
                Ok(id) => Ok(json!(chain.revert_to_snapshot(id).await?)),
                Err(_) => Ok(json!(false)),
            }
        }
        "evm_mine" => {
            let (blocks, ts) = mine_params(&params)?;
            chain.mine(blocks, ts).await?;
            Ok(json!("0x0"))
        }
        "anvil_mine" | "hardhat_mine" => {
            let blocks = params.opt::<U64>(0)?.map(|b| b.0).unwrap_or(1);
            check_mine_blocks(blocks)?;
            chain.mine(blocks, None).await?;
            Ok(Value::Null)
        }
        "evm_increaseTime" => {
            let secs = params.req::<U64>(0)?.0;
            let secs = i64::try_from(secs)
                .map_err(|_| RpcError::invalid_params("time increase too large"))?;
            Ok(json!(chain.increase_time(secs).await?))
        }
        "evm_setNextBlockTimestamp" | "anvil_setNextBlockTimestamp" => {
            chain.set_next_timestamp(params.req::<U64>(0)?.0).await?;
            Ok(Value::Null)
        }
        "anvil_setBalance" | "hardhat_setBalance" => {
            let (a, v) = (params.req::<Address>(0)?, params.req::<Q256>(1)?.0);
            chain.patch(a, Patch::Balance(v)).await?;
            Ok(json!(true))
        }
        "anvil_setNonce" | "hardhat_setNonce" => {
            let (a, n) = (params.req::<Address>(0)?, params.req::<U64>(1)?.0);
            chain.patch(a, Patch::Nonce(n)).await?;
            Ok(json!(true))
        }
        "anvil_setCode" | "hardhat_setCode" => {
            let (a, code) = (params.req::<Address>(0)?, params.req::<Bytes>(1)?);
            chain.patch(a, Patch::Code(code)).await?;
            Ok(json!(true))
        }
        "anvil_setStorageAt" | "hardhat_setStorageAt" => {
            let a = params.req::<Address>(0)?;
            let slot = H256(params.req::<Q256>(1)?.0.to_big_endian());
            let value = params.req::<H256>(2)?;
            chain.patch(a, Patch::Storage(slot, value)).await?;
            Ok(json!(true))
        }
        _ => Err(RpcError::method_not_found(method)),
    }
}

/// evm_mine takes nothing, a timestamp, or `{timestamp, blocks}`.
fn mine_params(p: &Params) -> Result<(u64, Option<u64>), RpcError> {
    #[derive(serde::Deserialize)]
    struct Opts {
        timestamp: Option<U64>,
        blocks: Option<U64>,
    }
    if let Ok(Some(ts)) = p.opt::<U64>(0) {
        return Ok((1, Some(ts.0)));
    }
    match p.opt::<Opts>(0)? {
        Some(o) => {
            let blocks = o.blocks.map(|b| b.0).unwrap_or(1);
            check_mine_blocks(blocks)?;
            Ok((blocks, o.timestamp.map(|t| t.0)))
        }
        None => Ok((1, None)),
    }
}

fn check_mine_blocks(blocks: u64) -> Result<(), RpcError> {
    if blocks > MAX_MINE_BLOCKS {
        return Err(RpcError::invalid_params(format!(
            "at most {MAX_MINE_BLOCKS} blocks at once"
        )));
    }
    Ok(())
}
