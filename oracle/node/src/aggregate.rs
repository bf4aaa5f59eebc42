//! Turning one poll's source values into the node's observation, and
//! deciding whether that observation is worth a report.
//!
//! A node's observation is a median: one wrong or manipulated source cannot
//! move it past the honest ones. Sources that disagree wildly with the rest
//! (a stale API, a unit change, a flash crash on one exchange) are dropped
//! before that median, and the node would rather observe nothing than an
//! answer backed by fewer than `min_sources` agreeing sources: the on-chain
//! median across nodes tolerates a silent node, not a wrong one.
//!
//! Reports cost gas, so a node proposes one only when the answer moved by
//! the feed's deviation threshold or the heartbeat is due
//! ([`should_report`]).

use std::cmp::Ordering;

use orac_primitives::U256;

/// Parts per million: the unit of `max_spread_ppm`.
pub const PPM: u64 = 1_000_000;

/// Parts per billion: the unit of `deviation_ppb`.
pub const PPB: u64 = 1_000_000_000;

/// Why a feed's sources gave no answer this poll.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateError {
    /// Too few sources answered and agreed for an answer worth signing.
    #[error(
        "{usable} usable sources, need {need} ({failed} failed, {outliers} dropped as outliers)"
    )]
    TooFewSources {
        /// Sources that answered and agreed.
        usable: usize,
        /// The feed's `min_sources`.
        need: usize,
        /// Sources that gave no value.
        failed: usize,
        /// Sources too far from the median of the others.
        outliers: usize,
    },
}

/// The answer for one feed and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregate {
    /// The lower median of the sources kept.
    pub answer: i128,
    /// Indices (into the input) of the sources the answer is the median of.
    pub used: Vec<usize>,
    /// Indices of sources that failed.
    pub failed: Vec<usize>,
    /// Indices of sources dropped for being too far from the median.
    pub outliers: Vec<usize>,
}

/// Combines one poll's source results for a feed.
///
/// Failed sources are dropped; of the rest, those further than
/// `max_spread_ppm` (of the median of all of them) from that median are
/// dropped as outliers; at least `min_sources` (and at least one) must
/// remain, and the answer is their lower median.
pub fn aggregate<E>(
    results: &[Result<i128, E>],
    min_sources: usize,
    max_spread_ppm: u64,
) -> Result<Aggregate, AggregateError> {
    let mut failed = Vec::new();
    let mut values = Vec::with_capacity(results.len());
    for (i, result) in results.iter().enumerate() {
        match result {
            Ok(value) => values.push((i, *value)),
            Err(_) => failed.push(i),
        }
    }
    let need = min_sources.max(1);
    let Some(center) = lower_median(values.iter().map(|&(_, v)| v).collect()) else {
        return Err(AggregateError::TooFewSources {
            usable: 0,
            need,
            failed: failed.len(),
            outliers: 0,
        });
    };

    let (kept, dropped): (Vec<_>, Vec<_>) = values
        .into_iter()
        .partition(|&(_, v)| within_spread(v, center, max_spread_ppm));
    let outliers: Vec<usize> = dropped.iter().map(|&(i, _)| i).collect();
    if kept.len() < need {
        return Err(AggregateError::TooFewSources {
            usable: kept.len(),
            need,
            failed: failed.len(),
            outliers: outliers.len(),
        });
    }
    for &(i, value) in &dropped {
        tracing::debug!(source = i, value, median = center, "dropped outlier source");
    }
    let used: Vec<usize> = kept.iter().map(|&(i, _)| i).collect();
    let answer = lower_median(kept.into_iter().map(|(_, v)| v).collect()).ok_or(
        AggregateError::TooFewSources {
            usable: 0,
            need,
            failed: failed.len(),
            outliers: outliers.len(),
        },
    )?;
    Ok(Aggregate {
        answer,
        used,
        failed,
        outliers,
    })
}

/// The median of `values`, the lower of the middle two for an even count
/// (always one of the values, never an average nobody observed); `None`
/// for no values.
pub fn lower_median(mut values: Vec<i128>) -> Option<i128> {
    if values.is_empty() {
        return None;
    }
    let mid = (values.len() - 1) / 2;
    let (_, median, _) = values.select_nth_unstable(mid);
    Some(*median)
}

/// Whether `value` is within `ppm` parts per million of `center`, that is
/// |value - center| * 10^6 <= ppm * |center|. Computed in 256 bits, so
/// extreme answers neither overflow nor lose precision. With a center of 0
/// only 0 is within any spread.
fn within_spread(value: i128, center: i128, ppm: u64) -> bool {
    compare_ratio(value.abs_diff(center), PPM, center.unsigned_abs(), ppm) != Ordering::Greater
}

/// Compares a * b with c * d without overflow.
fn compare_ratio(a: u128, b: u64, c: u128, d: u64) -> Ordering {
    (U256::from(a) * U256::from(b)).cmp(&(U256::from(c) * U256::from(d)))
}

/// The last answer this node knows to be on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastRound {
    /// The round's answer.
    pub answer: i128,
    /// Unix seconds of that round.
    pub at: u64,
}

/// Why a new round should be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The feed has no round yet.
    First,
    /// The answer moved by at least the threshold; `ppb` is the move
    /// relative to the last answer, saturated at `u64::MAX` (which a move
    /// away from 0 always is).
    Deviation {
        /// The move, parts per billion.
        ppb: u64,
    },
    /// `heartbeat_secs` passed since the last round.
    Heartbeat,
}

/// Whether a new answer should be reported at `now` (unix seconds).
///
/// A change of at least `deviation_ppb` relative to |last answer| triggers
/// [`Trigger::Deviation`] (with a threshold of 0, any change does; no
/// change never does); otherwise `heartbeat_secs` after the last round
/// triggers [`Trigger::Heartbeat`]. A clock behind the last round counts as
/// no time passed.
pub fn should_report(
    last: Option<LastRound>,
    new_answer: i128,
    now: u64,
    deviation_ppb: u64,
    heartbeat_secs: u64,
) -> Option<Trigger> {
    let Some(last) = last else {
        return Some(Trigger::First);
    };
    if new_answer != last.answer {
        let ppb = deviation(last.answer, new_answer);
        if ppb >= deviation_ppb {
            return Some(Trigger::Deviation { ppb });
        }
    }
    if now.saturating_sub(last.at) >= heartbeat_secs {
        return Some(Trigger::Heartbeat);
    }
    None
}

/// |new - last| / |last| in parts per billion, rounded down and saturated
/// at `u64::MAX`; `u64::MAX` when `last` is 0 and `new` is not, and 0 when
/// both are. Rounding down keeps `deviation(..) >= threshold` exactly
/// equivalent to |new - last| * 10^9 >= threshold * |last|.
pub fn deviation(last: i128, new: i128) -> u64 {
    let diff = new.abs_diff(last);
    if diff == 0 {
        return 0;
    }
    let base = last.unsigned_abs();
    if base == 0 {
        return u64::MAX;
    }
    let ppb = U256::from(diff) * U256::from(PPB) / U256::from(base);
    if ppb > U256::from(u64::MAX) {
        u64::MAX
    } else {
        ppb.low_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(values: &[i128]) -> Vec<Result<i128, ()>> {
        values.iter().map(|&v| Ok(v)).collect()
    }

    #[test]
    fn lower_median_of_odd_and_even_counts() {
        assert_eq!(lower_median(vec![]), None);
        assert_eq!(lower_median(vec![5]), Some(5));
        assert_eq!(lower_median(vec![9, 1, 5]), Some(5));
        assert_eq!(lower_median(vec![10, 1, 7, 3]), Some(3));
        assert_eq!(lower_median(vec![2, 1]), Some(1));
        assert_eq!(lower_median(vec![-5, i128::MIN, i128::MAX]), Some(-5));
    }

    #[test]
    fn drops_outliers_and_failures() {
        let mut results = ok(&[100_000, 101_000, 10_000_000, 99_000]);
        results.insert(1, Err(()));
        // Sources: 0 = 100k, 1 failed, 2 = 101k, 3 = 100x, 4 = 99k.
        // Median of the four values is 100k; 5% spread keeps 99k..105k.
        let agg = aggregate(&results, 3, 50_000).unwrap();
        assert_eq!(agg.answer, 100_000);
        assert_eq!(agg.used, vec![0, 2, 4]);
        assert_eq!(agg.failed, vec![1]);
        assert_eq!(agg.outliers, vec![3]);
    }

    #[test]
    fn spread_boundary_is_inclusive() {
        // 5% of 1000 is exactly 50.
        let agg = aggregate(&ok(&[1000, 1050, 950, 1051, 949]), 1, 50_000).unwrap();
        assert_eq!(agg.outliers, vec![3, 4]);
        assert_eq!(agg.answer, 1000);
        // A zero spread keeps only values equal to the median.
        let agg = aggregate(&ok(&[7, 7, 8]), 1, 0).unwrap();
        assert_eq!((agg.answer, agg.outliers), (7, vec![2]));
    }

    #[test]
    fn min_sources_not_met() {
        let results = vec![Ok(100), Err(()), Ok(10_000)];
        // Median of [100, 10000] is 100; 10000 is an outlier; 1 < 2.
        assert_eq!(
            aggregate(&results, 2, 50_000),
            Err(AggregateError::TooFewSources {
                usable: 1,
                need: 2,
                failed: 1,
                outliers: 1
            })
        );
        let all_failed: Vec<Result<i128, ()>> = vec![Err(()), Err(())];
        assert_eq!(
            aggregate(&all_failed, 0, 50_000),
            Err(AggregateError::TooFewSources {
                usable: 0,
                need: 1,
                failed: 2,
                outliers: 0
            })
        );
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let agg = aggregate(&ok(&[i128::MAX, i128::MAX - 1, i128::MIN]), 2, 1).unwrap();
        assert_eq!(agg.answer, i128::MAX - 1);
        assert_eq!(agg.outliers, vec![2]);
        // Around zero only zero is within spread.
        let agg = aggregate(&ok(&[0, 0, 1, -1]), 1, 1_000_000).unwrap();
        assert_eq!((agg.answer, agg.outliers), (0, vec![2, 3]));
    }

    #[test]
    fn deviation_in_ppb() {
        assert_eq!(deviation(1000, 1000), 0);
        assert_eq!(deviation(1000, 1005), 5_000_000);
        assert_eq!(deviation(1000, 995), 5_000_000);
        assert_eq!(deviation(-1000, -995), 5_000_000);
        assert_eq!(deviation(3, 4), 333_333_333);
        assert_eq!(deviation(0, 1), u64::MAX);
        assert_eq!(deviation(0, 0), 0);
        assert_eq!(deviation(1, i128::MAX), u64::MAX);
        assert_eq!(deviation(i128::MIN, i128::MAX), 1_999_999_999);
    }

    #[test]
    fn report_triggers() {
        let last = Some(LastRound {
            answer: 1_000_000,
            at: 1_000,
        });
        let deviation = |ppb| Some(Trigger::Deviation { ppb });
        let beat = Some(Trigger::Heartbeat);
        // (last, answer, now, threshold ppb, heartbeat s, what to report)
        let cases = [
            (None, 5, 0, 5_000_000, 60, Some(Trigger::First)),
            // 0.5% exactly: reported.
            (last, 1_005_000, 1_001, 5_000_000, 60, deviation(5_000_000)),
            (last, 995_000, 1_001, 5_000_000, 60, deviation(5_000_000)),
            // Just under: not before the heartbeat.
            (last, 1_004_999, 1_059, 5_000_000, 60, None),
            (last, 1_004_999, 1_060, 5_000_000, 60, beat),
            (last, 1_000_000, 1_060, 5_000_000, 60, beat),
            // A clock behind the last round is no heartbeat.
            (last, 1_000_000, 10, 5_000_000, 60, None),
            // Threshold 0: any change, but not no change.
            (last, 1_000_001, 1_001, 0, 60, deviation(1_000)),
            (last, 1_000_000, 1_001, 0, 60, None),
        ];
        for (last, answer, now, ppb, heartbeat, want) in cases {
            assert_eq!(
                should_report(last, answer, now, ppb, heartbeat),
                want,
                "{last:?} -> {answer} at {now}"
            );
        }
    }

    #[test]
    fn report_triggers_from_zero() {
        let zero = Some(LastRound {
            answer: 0,
            at: 1_000,
        });
        assert_eq!(
            should_report(zero, 1, 1_001, 5_000_000, 60),
            Some(Trigger::Deviation { ppb: u64::MAX })
        );
        assert_eq!(
            should_report(zero, 1, 1_001, u64::MAX, 60),
            Some(Trigger::Deviation { ppb: u64::MAX })
        );
        assert_eq!(should_report(zero, 0, 1_001, 5_000_000, 60), None);
    }
}
