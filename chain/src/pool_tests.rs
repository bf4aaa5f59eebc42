use orac_primitives::PrivateKey;

use crate::testing;

use super::*;

fn tx(key: &PrivateKey, nonce: u64, tip: u64, cap: u64) -> RecoveredTx {
    testing::transfer(Address::repeat_byte(9), U256::zero())
        .chain_id(1)
        .nonce(nonce)
        .fees(U256::from(tip), U256::from(cap))
        .recovered(key)
}

/// A balance that affords anything.
const RICH: U256 = U256::MAX;

fn key(i: u8) -> PrivateKey {
    PrivateKey::from_bytes(&[i; 32]).unwrap()
}

/// With `pool` full, `newcomer`'s transaction at `nonce` tipping 1 is
/// refused, and tipping 3 evicts exactly `victim` (tipping 1, cap 10).
fn only_a_better_tip_evicts(
    pool: &mut Pool,
    newcomer: &PrivateKey,
    nonce: u64,
    victim: (&PrivateKey, u64),
) {
    assert_eq!(
        pool.add(tx(newcomer, nonce, 1, 10), 0, RICH),
        Err(InvalidTx::PoolFull)
    );
    let admitted = pool.add(tx(newcomer, nonce, 3, 10), 0, RICH).unwrap();
    let (key, n) = victim;
    assert_eq!(admitted.evicted, vec![tx(key, n, 1, 10).hash()]);
}

#[test]
fn pending_nonce_counts_the_ready_run() {
    let mut pool = Pool::new(PoolConfig::default());
    let k = key(1);
    assert_eq!(pool.pending_nonce(&k.address(), 3), 3);
    pool.add(tx(&k, 3, 1, 10), 3, RICH).unwrap();
    pool.add(tx(&k, 4, 1, 10), 3, RICH).unwrap();
    pool.add(tx(&k, 6, 1, 10), 3, RICH).unwrap();
    assert_eq!(pool.pending_nonce(&k.address(), 3), 5);
    let (ready, queued) = pool.content();
    assert_eq!((ready.len(), queued.len()), (2, 1));
    assert_eq!(pool.counts(), (2, 1));
    // Filling the gap promotes the queued one.
    pool.add(tx(&k, 5, 1, 10), 3, RICH).unwrap();
    assert_eq!(pool.counts(), (4, 0));
    assert_eq!(pool.pending_nonce(&k.address(), 3), 7);
    assert_eq!(pool.ready(U256::one(), u64::MAX).len(), 4);
}

#[test]
fn duplicates_stale_nonces_and_replacements() {
    let mut pool = Pool::new(PoolConfig::default());
    let k = key(1);
    let t = tx(&k, 0, 10, 100);
    pool.add(t.clone(), 0, RICH).unwrap();
    assert_eq!(pool.add(t, 0, RICH), Err(InvalidTx::AlreadyKnown));
    assert!(matches!(
        pool.add(tx(&k, 0, 1, 10), 1, RICH),
        Err(InvalidTx::NonceTooLow { .. })
    ));
    // +5% is not enough; +10% on both fields is.
    assert_eq!(
        pool.add(tx(&k, 0, 10, 105), 0, RICH),
        Err(InvalidTx::ReplacementUnderpriced)
    );
    assert_eq!(
        pool.add(tx(&k, 0, 10, 110), 0, RICH),
        Err(InvalidTx::ReplacementUnderpriced)
    );
    let replaced = pool.add(tx(&k, 0, 11, 110), 0, RICH).unwrap();
    assert!(replaced.replaced.is_some());
    assert_eq!(pool.len(), 1);
}

#[test]
fn limits_and_eviction() {
    let mut pool = Pool::new(PoolConfig {
        max_total: 3,
        max_per_sender: 2,
        ..PoolConfig::default()
    });
    let (a, b, c) = (key(1), key(2), key(3));
    pool.add(tx(&a, 0, 1, 10), 0, RICH).unwrap();
    pool.add(tx(&a, 1, 1, 10), 0, RICH).unwrap();
    assert!(matches!(
        pool.add(tx(&a, 2, 1, 10), 0, RICH),
        Err(InvalidTx::AccountLimit { .. })
    ));
    pool.add(tx(&b, 0, 5, 10), 0, RICH).unwrap();
    // Full: a cheaper newcomer is refused, a better one evicts a's tail.
    only_a_better_tip_evicts(&mut pool, &c, 0, (&a, 1));
    assert_eq!(pool.len(), 3);
}

#[test]
fn ready_orders_by_tip_and_keeps_nonce_order() {
    let mut pool = Pool::new(PoolConfig::default());
    let (a, b) = (key(1), key(2));
    pool.add(tx(&a, 0, 1, 100), 0, RICH).unwrap();
    pool.add(tx(&a, 1, 50, 100), 0, RICH).unwrap();
    pool.add(tx(&b, 0, 10, 100), 0, RICH).unwrap();
    pool.add(tx(&b, 1, 2, 5), 0, RICH).unwrap();
    let order: Vec<(Address, u64)> = pool
        .ready(U256::from(1), u64::MAX)
        .iter()
        .map(|t| (t.sender, t.tx.tx.nonce))
        .collect();
    // b:0 (tip 10) beats a:0 (tip 1); a:1 (50) must wait for a:0; b:1 (tip 2, cap 5)...
    assert_eq!(order[0], (b.address(), 0));
    assert_eq!(order.len(), 4);
    let a0 = order.iter().position(|x| *x == (a.address(), 0)).unwrap();
    let a1 = order.iter().position(|x| *x == (a.address(), 1)).unwrap();
    assert!(a0 < a1);
    // At a base fee of 6, b:1 (cap 5) cannot be included.
    assert_eq!(pool.ready(U256::from(6), u64::MAX).len(), 3);
    assert!(pool.has_underpriced_ready(U256::from(200)));
}

#[test]
fn new_state_nonces_drop_stale_transactions() {
    let mut pool = Pool::new(PoolConfig::default());
    let k = key(1);
    for n in 0..5 {
        pool.add(tx(&k, n, 1, 10), 0, RICH).unwrap();
    }
    let dropped = pool.set_state_nonces([(k.address(), 3)]);
    assert_eq!(dropped.len(), 3);
    assert_eq!(pool.len(), 2);
    assert_eq!(pool.ready(U256::one(), u64::MAX).len(), 2);
}

fn sized(key: &PrivateKey, nonce: u64, tip: u64, data: usize) -> RecoveredTx {
    testing::call(Address::repeat_byte(9), vec![1; data], 2_000_000)
        .chain_id(1)
        .nonce(nonce)
        .fees(U256::from(tip), U256::from(100u64))
        .recovered(key)
}

/// REPRO H4: the pool was bounded by count only (100,000 × 128 KiB =
/// 12.5 GiB). Bytes are bounded too, and a big newcomer evicts as many
/// cheaper tails as it needs, or is refused without evicting anything.
#[test]
fn the_pool_is_bounded_by_bytes() {
    let mut pool = Pool::new(PoolConfig {
        max_bytes: 100_000,
        ..PoolConfig::default()
    });
    let (a, b, c) = (key(1), key(2), key(3));
    for n in 0..3 {
        pool.add(sized(&a, n, 1, 30_000), 0, RICH).unwrap();
    }
    assert!(
        pool.bytes() > 90_000 && pool.bytes() <= 100_000,
        "{}",
        pool.bytes()
    );
    // Refused whole: nothing is evicted for a newcomer that cannot fit.
    assert_eq!(
        pool.add(sized(&b, 0, 1, 30_000), 0, RICH),
        Err(InvalidTx::PoolFull)
    );
    assert_eq!(pool.len(), 3);
    let admitted = pool.add(sized(&b, 0, 5, 50_000), 0, RICH).unwrap();
    assert_eq!(admitted.evicted.len(), 2, "two tails make room for 50 KB");
    assert_eq!(pool.len(), 2);
    assert!(pool.bytes() <= 100_000);
    // A sender's own transactions are never evicted for it.
    assert_eq!(
        pool.add(sized(&b, 1, 9, 60_000), 0, RICH),
        Err(InvalidTx::PoolFull)
    );
    let small = pool.add(sized(&c, 0, 9, 10), 0, RICH).unwrap();
    assert!(small.evicted.is_empty());
    // Removal gives the bytes back.
    let all: Vec<H256> = pool.content().0.iter().map(|t| t.hash()).collect();
    for h in all {
        pool.remove(&h);
    }
    assert_eq!((pool.len(), pool.bytes(), pool.queued()), (0, 0, 0));
}

/// REPRO H4: one funded sender parked 16,384 transactions behind a nonce
/// gap, never executed and never paid for. Queued transactions are capped
/// per sender and overall, may not reach far past the ready run, and
/// expire.
#[test]
fn queued_transactions_are_capped_and_expire() {
    let mut pool = Pool::new(PoolConfig {
        max_queued_per_sender: 3,
        max_queued: 5,
        max_nonce_gap: 10,
        queued_lifetime: std::time::Duration::from_secs(60),
        ..PoolConfig::default()
    });
    let (a, b) = (key(1), key(2));
    assert!(matches!(
        pool.add(tx(&a, 12, 1, 10), 0, RICH),
        Err(InvalidTx::NonceGap { .. })
    ));
    for n in [2, 3, 4] {
        pool.add(tx(&a, n, 1, 10), 0, RICH).unwrap();
    }
    assert!(matches!(
        pool.add(tx(&a, 5, 1, 10), 0, RICH),
        Err(InvalidTx::QueuedLimit { .. })
    ));
    assert_eq!(pool.queued(), 3);
    // Ready ones are not queued: a's run 0, 1 fills the gap.
    pool.add(tx(&a, 0, 1, 10), 0, RICH).unwrap();
    pool.add(tx(&a, 1, 1, 10), 0, RICH).unwrap();
    assert_eq!(pool.queued(), 0);
    assert_eq!(pool.pending_nonce(&a.address(), 0), 5);
    // The gap counts from the end of the ready run.
    pool.add(tx(&a, 14, 1, 10), 0, RICH).unwrap();
    assert_eq!(pool.queued(), 1);
    // The overall cap: b fills it, then a cheaper queued newcomer is
    // refused and a better one displaces the cheapest queued tail.
    for n in [1, 2, 3] {
        pool.add(tx(&b, n, 2, 10), 0, RICH).unwrap();
    }
    pool.add(tx(&a, 15, 1, 10), 0, RICH).unwrap();
    assert_eq!(pool.queued(), 5);
    only_a_better_tip_evicts(&mut pool, &key(3), 1, (&a, 15));
    assert_eq!(pool.queued(), 5);
    // Expiry drops queued ones only.
    let later = std::time::Instant::now() + std::time::Duration::from_secs(61);
    let expired = pool.expire_queued(later);
    assert_eq!(expired.len(), 5);
    assert_eq!(pool.queued(), 0);
    assert_eq!(pool.len(), 5, "a's ready run stays");
}

/// REPRO H4: balance was checked per transaction, so a sender could pool
/// many transactions each affordable alone. They must be affordable
/// together (geth's "overdraft").
#[test]
fn a_senders_pooled_transactions_must_be_affordable_together() {
    let mut pool = Pool::new(PoolConfig::default());
    let k = key(1);
    let one = tx(&k, 0, 1, 10);
    let cost = one.tx.tx.max_cost().unwrap();
    let balance = cost * U256::from(2u64);
    pool.add(one, 0, balance).unwrap();
    pool.add(tx(&k, 1, 1, 10), 0, balance).unwrap();
    assert!(matches!(
        pool.add(tx(&k, 2, 1, 10), 0, balance),
        Err(InvalidTx::Overdraft { .. })
    ));
    // A replacement counts instead of the one it replaces, not on top.
    let more = balance + U256::from(21_000u64);
    pool.add(tx(&k, 1, 2, 11), 0, more).unwrap();
    assert!(matches!(
        pool.add(tx(&k, 2, 1, 10), 0, more),
        Err(InvalidTx::Overdraft { .. })
    ));
    // Once the first is mined its cost no longer counts.
    pool.set_state_nonces([(k.address(), 1)]);
    pool.add(tx(&k, 2, 1, 10), 1, more).unwrap();
}
