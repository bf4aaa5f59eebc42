//! Feeds: creation, reconfiguration, transmission of rounds, and reading
//! them (the registry's own views and AggregatorV3 at each feed's address).

use alloy_primitives::{I256, Uint};
use alloy_sol_types::{SolCall, SolEvent};
use orac_primitives::alloy::{ToAlloy, ToOrac};
use orac_primitives::{H160, H256};
use orac_vm::{SystemCall, SystemExit, gas};

use super::abi::{self, AggregatorV3Interface as Agg, FeedParams, IOracleRegistry as I, RoundData};
use super::store::{ConfigWord, Latest, MAX_INCLUDED_AT, RoundWord, Store};
use super::{MAX_DESCRIPTION, OBSERVATION_GAS, REGISTRY, decode_aggregator, fail, subs};
use orac_oracle::feed::FeedConfig;
use orac_oracle::report::{Domain, Expect, Kind, Report};

type R<T> = Result<T, SystemExit>;

pub(super) fn domain(call: &mut SystemCall) -> Domain {
    Domain {
        chain_id: call.block().chain_id,
        registry: REGISTRY,
    }
}

/// Emits `event` from the registry.
pub(super) fn emit<E: SolEvent>(call: &mut SystemCall, event: &E) -> R<()> {
    let log = event.encode_log_data();
    let topics = log.topics().iter().map(|t| t.to_orac()).collect();
    call.log(topics, log.data.to_vec())
}

/// The feed's configuration word, or a revert if there is no such feed.
pub(super) fn require_feed(store: &mut Store, feed: u64) -> R<ConfigWord> {
    let config = store.config(feed)?;
    if config.n == 0 {
        return Err(fail(format!("unknown feed {feed}")));
    }
    Ok(config)
}

fn to_config(p: &FeedParams, admin: H160, version: u64) -> R<FeedConfig> {
    if p.description.len() > MAX_DESCRIPTION {
        return Err(fail(format!(
            "invalid config: description of {} bytes, at most {MAX_DESCRIPTION}",
            p.description.len()
        )));
    }
    let bound = |v: I256, what: &str| {
        i128::try_from(v).map_err(|_| fail(format!("invalid config: {what} does not fit int128")))
    };
    let config = FeedConfig {
        description: p.description.clone(),
        decimals: p.decimals,
        signers: p.signers.iter().map(|s| s.to_orac()).collect(),
        f: p.f,
        heartbeat_secs: p.heartbeat,
        deviation_ppb: p.deviationPpb,
        min_answer: bound(p.minAnswer, "minAnswer")?,
        max_answer: bound(p.maxAnswer, "maxAnswer")?,
        admin,
        version,
    };
    config
        .validate()
        .map_err(|e| fail(format!("invalid config: {e}")))?;
    Ok(config)
}

/// Stores `config` as feed `id`'s current configuration.
fn write_config(call: &mut SystemCall, id: u64, config: &FeedConfig) -> R<H256> {
    // The digest hashes the chain, registry, feed and configuration.
    // (At most 31 signers: `to_config` validated the config.)
    call.charge(gas::KECCAK_BASE + gas::KECCAK_WORD * (10 + config.signers.len() as u64))?;
    let digest = config.digest(&domain(call), id);
    let mut store = Store { call };
    store.set_config(
        id,
        &ConfigWord {
            decimals: config.decimals,
            f: config.f,
            n: config.signers.len() as u8,
            version: config.version,
            heartbeat: config.heartbeat_secs,
            deviation_ppb: config.deviation_ppb,
        },
    )?;
    store.set_bounds(id, config.min_answer, config.max_answer)?;
    store.set_digest(id, digest)?;
    store.set_description(id, &config.description)?;
    for (i, signer) in config.signers.iter().enumerate() {
        store.set_signer_at(id, i as u8, *signer)?;
        store.set_signer_version(id, *signer, config.version)?;
    }
    emit(
        call,
        &I::ConfigSet {
            feedId: id,
            version: config.version,
            configDigest: digest.0.into(),
            signers: config.signers.to_alloy(),
            f: config.f,
        },
    )?;
    Ok(digest)
}

pub(super) fn create(call: &mut SystemCall, c: I::createFeedCall) -> R<Vec<u8>> {
    let admin = call.caller();
    let config = to_config(&c.params, admin, 1)?;
    let mut store = Store { call };
    let id = store
        .feed_count()?
        .checked_add(1)
        .ok_or_else(|| fail("no feed ids left"))?;
    store.set_feed_count(id)?;
    store.set_admin(id, admin)?;
    write_config(call, id, &config)?;
    emit(
        call,
        &I::FeedCreated {
            feedId: id,
            admin: admin.to_alloy(),
            description: config.description.clone(),
        },
    )?;
    Ok(I::createFeedCall::abi_encode_returns(&id))
}

fn require_admin(store: &mut Store, feed: u64) -> R<ConfigWord> {
    let config = require_feed(store, feed)?;
    let caller = store.call.caller();
    if store.admin(feed)? != caller {
        return Err(fail(format!("{caller:?} is not the admin of feed {feed}")));
    }
    Ok(config)
}

pub(super) fn set_config(call: &mut SystemCall, c: I::setConfigCall) -> R<Vec<u8>> {
    let old = require_admin(&mut Store { call }, c.feedId)?;
    let version = old
        .version
        .checked_add(1)
        .ok_or_else(|| fail(format!("feed {} has no config versions left", c.feedId)))?;
    let config = to_config(&c.params, call.caller(), version)?;
    // Signer slots past the new count are left behind but never read: the
    // count bounds every read, and the version bounds who may sign.
    write_config(call, c.feedId, &config)?;
    Ok(Vec::new())
}

pub(super) fn transfer_admin(call: &mut SystemCall, c: I::transferAdminCall) -> R<Vec<u8>> {
    let mut store = Store { call };
    require_admin(&mut store, c.feedId)?;
    let admin = c.admin.to_orac();
    store.set_admin(c.feedId, admin)?;
    emit(
        call,
        &I::AdminTransferred {
            feedId: c.feedId,
            admin: c.admin,
        },
    )?;
    Ok(Vec::new())
}

/// Whether `who` is an authorized signer of `feed` in its current
/// configuration.
fn is_signer(store: &mut Store, feed: u64, config: &ConfigWord, who: H160) -> R<bool> {
    Ok(store.signer_version(feed, who)? == config.version)
}

/// Checks that the caller may send reports for the feed, then the report's
/// signatures against the feed's signer set: every recovered signer must
/// have been authorized in the current version.
///
/// Who may transmit: the feed's current signers and its admin. A report's
/// fees (subscribers' callback fees, a request's fee) go to whoever sends
/// it, so a permissionless `transmit` let anyone copy a pending report and
/// take them (REPRO M2(c)). Signers are the oracle nodes, which transmit
/// with their signing keys; the admin appoints the signers, so letting it
/// transmit too trusts it with nothing new.
pub(super) fn check_report(
    call: &mut SystemCall,
    report: &Report,
    kind: Kind,
    min_round: u64,
    min_time: u64,
) -> R<(ConfigWord, orac_oracle::Round)> {
    let caller = call.caller();
    let mut store = Store { call };
    let config = require_feed(&mut store, report.feed_id)?;
    if !is_signer(&mut store, report.feed_id, &config, caller)?
        && store.admin(report.feed_id)? != caller
    {
        return Err(fail(format!(
            "{caller:?} may not transmit for feed {}: only its signers and its admin may",
            report.feed_id
        )));
    }
    let digest = store.digest(report.feed_id)?;
    // Pay for the recoveries before doing them; more observations than
    // signers is refused by `check` before any recovery.
    let count = report.observations.len().min(config.n as usize) as u64;
    call.charge(OBSERVATION_GAS.saturating_mul(count))?;
    let expect = Expect {
        kind,
        config_digest: digest,
        quorum: 2 * config.f as usize + 1,
        signers: config.n as usize,
        min_round,
        min_time,
        now: call.block().timestamp,
    };
    let round = domain(call)
        .check(report, &expect)
        .map_err(|e| fail(format!("invalid report: {e}")))?;
    let mut store = Store { call };
    for (index, signer) in round.signers.iter().enumerate() {
        if !is_signer(&mut store, report.feed_id, &config, *signer)? {
            return Err(fail(format!(
                "invalid report: {}",
                orac_oracle::ReportError::UnknownSigner {
                    index,
                    signer: *signer
                }
            )));
        }
    }
    Ok((config, round))
}

pub(super) fn decode_report(data: &[u8]) -> R<Report> {
    Report::abi_decode(data).map_err(|e| fail(format!("invalid report: {e}")))
}

/// A transmitter's report: verified, stored as the feed's next round and
/// delivered to subscribers — or, if its answer is outside the sanity
/// bounds, recorded as used and announced, with the last answer kept.
pub(super) fn transmit(call: &mut SystemCall, data: &[u8]) -> R<Vec<u8>> {
    let report = decode_report(data)?;
    let feed = report.feed_id;
    let latest = Store { call }.latest(feed)?;
    let (_, round) = check_report(
        call,
        &report,
        Kind::Round,
        after(feed, latest.last_seen)?,
        latest.observed_at,
    )?;
    let mut store = Store { call };
    let (min, max) = store.bounds(feed)?;
    if !(min..=max).contains(&round.answer) {
        store.set_latest(
            feed,
            &Latest {
                last_seen: round.round,
                ..latest
            },
        )?;
        emit(
            call,
            &I::AnswerOutOfBounds {
                feedId: feed,
                roundId: round.round,
                answer: I256::try_from(round.answer).unwrap_or_default(),
                minAnswer: I256::try_from(min).unwrap_or_default(),
                maxAnswer: I256::try_from(max).unwrap_or_default(),
            },
        )?;
        return Ok(Vec::new());
    }
    let now = store.call.block().timestamp;
    if now > MAX_INCLUDED_AT {
        return Err(fail(format!(
            "block time {now} is past the last one a round can record ({MAX_INCLUDED_AT})"
        )));
    }
    store.set_round(
        feed,
        round.round,
        &RoundWord {
            answer: round.answer,
            observed_at: round.observed_at,
            included_at: now,
            signers: round.signers.len() as u8,
        },
    )?;
    store.set_latest(
        feed,
        &Latest {
            round: round.round,
            last_seen: round.round,
            observed_at: round.observed_at,
        },
    )?;
    let transmitter = call.caller();
    emit(
        call,
        &I::NewRound {
            feedId: feed,
            roundId: round.round,
            answer: I256::try_from(round.answer).unwrap_or_default(),
            observedAt: round.observed_at,
            signers: round.signers.len() as u8,
            transmitter: transmitter.to_alloy(),
        },
    )?;
    subs::deliver(call, feed, round.round, round.answer, round.observed_at)?;
    Ok(Vec::new())
}

pub(super) fn feed_count(call: &mut SystemCall) -> R<Vec<u8>> {
    let n = Store { call }.feed_count()?;
    Ok(I::feedCountCall::abi_encode_returns(&n))
}

pub(super) fn feed_config(call: &mut SystemCall, feed: u64) -> R<Vec<u8>> {
    let mut store = Store { call };
    let config = require_feed(&mut store, feed)?;
    let (min, max) = store.bounds(feed)?;
    let signers = (0..config.n)
        .map(|i| store.signer_at(feed, i).map(|a| a.to_alloy()))
        .collect::<R<Vec<_>>>()?;
    let ret = I::feedConfigReturn {
        params: FeedParams {
            description: store.description(feed)?,
            decimals: config.decimals,
            signers,
            f: config.f,
            heartbeat: config.heartbeat,
            deviationPpb: config.deviation_ppb,
            minAnswer: I256::try_from(min).unwrap_or_default(),
            maxAnswer: I256::try_from(max).unwrap_or_default(),
        },
        admin: store.admin(feed)?.to_alloy(),
        version: config.version,
        configDigest: store.digest(feed)?.0.into(),
    };
    Ok(I::feedConfigCall::abi_encode_returns(&ret))
}

/// A stored round, or a revert naming what is missing.
fn load_round(store: &mut Store, feed: u64, round: u64) -> R<RoundData> {
    match store.round(feed, round)? {
        Some(r) => Ok(RoundData {
            roundId: round,
            answer: I256::try_from(r.answer).unwrap_or_default(),
            observedAt: r.observed_at,
            includedAt: r.included_at,
            signers: r.signers,
        }),
        None => Err(fail(format!("feed {feed} has no round {round}"))),
    }
}

fn latest_data(store: &mut Store, feed: u64) -> R<RoundData> {
    require_feed(store, feed)?;
    let latest = store.latest(feed)?;
    if latest.round == 0 {
        return Err(fail(format!("feed {feed} has no data yet")));
    }
    load_round(store, feed, latest.round)
}

pub(super) fn latest_round(call: &mut SystemCall, feed: u64, max_age: Option<u64>) -> R<Vec<u8>> {
    let data = latest_data(&mut Store { call }, feed)?;
    if let Some(max_age) = max_age {
        let now = call.block().timestamp;
        if now.saturating_sub(data.observedAt) > max_age {
            return Err(fail(format!(
                "stale answer: feed {feed} was observed at {}, more than {max_age}s before the block time {now}",
                data.observedAt
            )));
        }
    }
    Ok(I::latestRoundCall::abi_encode_returns(&data))
}

/// The round number after `last`; a feed that used u64::MAX has none.
fn after(feed: u64, last: u64) -> R<u64> {
    last.checked_add(1)
        .ok_or_else(|| fail(format!("feed {feed} has no round numbers left")))
}

/// The round number the next report must carry: one above the last one
/// used, stored or refused by the bounds (what oracle nodes sign next).
pub(super) fn next_round(call: &mut SystemCall, feed: u64) -> R<Vec<u8>> {
    let mut store = Store { call };
    require_feed(&mut store, feed)?;
    let next = after(feed, store.latest(feed)?.last_seen)?;
    Ok(I::nextRoundCall::abi_encode_returns(&next))
}

pub(super) fn get_round(call: &mut SystemCall, feed: u64, round: u64) -> R<Vec<u8>> {
    let mut store = Store { call };
    require_feed(&mut store, feed)?;
    let data = load_round(&mut store, feed, round)?;
    Ok(I::getRoundCall::abi_encode_returns(&data))
}

/// Chainlink's AggregatorV3 at the feed's own address. Rounds map as:
/// `startedAt` = observation time, `updatedAt` = inclusion time,
/// `answeredInRound` = the round itself.
pub(super) fn aggregator_call(call: &mut SystemCall, feed: u64) -> R<Vec<u8>> {
    use abi::AggregatorV3Interface::AggregatorV3InterfaceCalls as C;
    let decoded = decode_aggregator(call.input())?;
    let mut store = Store { call };
    let config = require_feed(&mut store, feed)?;
    // getRoundData returns the same five values as latestRoundData.
    let v3 = |d: RoundData| {
        let id = Uint::<80, 2>::from(d.roundId);
        Agg::latestRoundDataCall::abi_encode_returns(&Agg::latestRoundDataReturn {
            roundId: id,
            answer: d.answer,
            startedAt: alloy_primitives::U256::from(d.observedAt),
            updatedAt: alloy_primitives::U256::from(d.includedAt),
            answeredInRound: id,
        })
    };
    Ok(match decoded {
        C::decimals(_) => Agg::decimalsCall::abi_encode_returns(&config.decimals),
        C::description(_) => Agg::descriptionCall::abi_encode_returns(&store.description(feed)?),
        C::version(_) => {
            Agg::versionCall::abi_encode_returns(&alloy_primitives::U256::from(config.version))
        }
        C::latestRoundData(_) => v3(latest_data(&mut store, feed)?),
        C::getRoundData(c) => {
            let round = u64::try_from(c.roundId)
                .map_err(|_| fail(format!("feed {feed} has no round {}", c.roundId)))?;
            v3(load_round(&mut store, feed, round)?)
        }
    })
}
