//! The registry's view of a feed, read through `eth_call`: who signs,
//! what digest reports must carry, which round is next, and the last
//! answer (for the deviation and heartbeat triggers).

use alloy_sol_types::SolCall;
use orac_oracle::FeedConfig;
use orac_oracle::REGISTRY;
use orac_oracle::abi::IOracleRegistry as I;
use orac_primitives::alloy::ToOrac;
use orac_primitives::{H160, H256};

use crate::aggregate::LastRound;
use orac_rpc_client::{ClientError, Wallet};

/// What the registry says of one feed, read once per poll.
#[derive(Clone, Debug)]
pub struct FeedView {
    /// The feed id.
    pub id: u64,
    /// Its configuration (signers, f, trigger rules).
    pub config: FeedConfig,
    /// The digest observations must be signed under.
    pub digest: H256,
    /// The round the registry takes next.
    pub next_round: u64,
    /// The stored round, if the feed has one.
    pub last: Option<LastRound>,
}

impl FeedView {
    /// Observations a report needs (2f + 1).
    pub fn quorum(&self) -> usize {
        self.config.quorum()
    }

    /// This node's place in the signer list, if it is a signer.
    pub fn index_of(&self, who: &H160) -> Option<usize> {
        self.config.signers.iter().position(|s| s == who)
    }
}

fn decode<C: SolCall>(method: &str, data: &[u8]) -> Result<C::Return, ClientError> {
    C::abi_decode_returns(data).map_err(|e| ClientError::Unexpected {
        method: method.into(),
        what: format!("undecodable return data ({e})"),
    })
}

/// Calls `method` of the registry and decodes what it returns.
async fn view<C: SolCall>(chain: &Wallet, method: &str, call: C) -> Result<C::Return, ClientError> {
    decode::<C>(method, &chain.call(REGISTRY, &call.abi_encode()).await?)
}

/// Reads feed `id` from the registry.
pub async fn read_feed(chain: &Wallet, id: u64) -> Result<FeedView, ClientError> {
    let c = view(chain, "feedConfig", I::feedConfigCall { feedId: id }).await?;
    let next_round = view(chain, "nextRound", I::nextRoundCall { feedId: id }).await?;
    let last = match chain
        .call(REGISTRY, &I::latestRoundCall { feedId: id }.abi_encode())
        .await
    {
        Ok(data) => {
            let r = decode::<I::latestRoundCall>("latestRound", &data)?;
            Some(LastRound {
                answer: i128::try_from(r.answer).unwrap_or_default(),
                at: r.observedAt,
            })
        }
        // A feed with no round yet: the first observation is due.
        Err(ClientError::Reverted { reason, .. }) if reason.contains("no data yet") => None,
        Err(e) => return Err(e),
    };
    let bound = |v: alloy_primitives::I256| i128::try_from(v).unwrap_or_default();
    Ok(FeedView {
        id,
        config: FeedConfig {
            description: c.params.description,
            decimals: c.params.decimals,
            signers: c.params.signers.iter().map(|a| a.to_orac()).collect(),
            f: c.params.f,
            heartbeat_secs: c.params.heartbeat,
            deviation_ppb: c.params.deviationPpb,
            min_answer: bound(c.params.minAnswer),
            max_answer: bound(c.params.maxAnswer),
            admin: c.admin.to_orac(),
            version: c.version,
        },
        digest: c.configDigest.to_orac(),
        next_round,
        last,
    })
}
