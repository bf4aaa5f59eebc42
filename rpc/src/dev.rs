//! Dev-node controls (`evm_*`, `anvil_*`, `hardhat_*`), served only when
//! [`crate::dispatch::Ctx::dev_methods`] is on; parsed in
//! [`crate::request::DevRequest`].

use orac_chain::Chain;
use serde_json::Value;

use crate::dispatch::answer;
use crate::error::RpcError;
use crate::request::DevRequest;
use crate::types::Quantity;

/// Runs one dev control, answering as anvil does.
pub(crate) async fn run(chain: &Chain, r: DevRequest) -> Result<Value, RpcError> {
    match r {
        DevRequest::Snapshot => answer(Quantity(chain.take_snapshot()?)),
        DevRequest::Revert(Some(id)) => answer(chain.revert_to_snapshot(id).await?),
        DevRequest::Revert(None) => answer(false),
        DevRequest::EvmMine { blocks, timestamp } => {
            chain.mine(blocks, timestamp).await?;
            answer("0x0")
        }
        DevRequest::Mine(blocks) => {
            chain.mine(blocks, None).await?;
            Ok(Value::Null)
        }
        DevRequest::IncreaseTime(secs) => answer(chain.increase_time(secs).await?),
        DevRequest::SetNextBlockTimestamp(t) => {
            chain.set_next_timestamp(t).await?;
            Ok(Value::Null)
        }
        DevRequest::Patch(address, patch) => {
            chain.patch(address, patch).await?;
            answer(true)
        }
    }
}
