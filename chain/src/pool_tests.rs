use orac_primitives::{Bytes, PrivateKey, Transaction, TxType};

use super::*;

fn tx(key: &PrivateKey, nonce: u64, tip: u64, cap: u64) -> RecoveredTx {
    let tx = Transaction {
        tx_type: TxType::DynamicFee,
        chain_id: Some(1),
        nonce,
        max_priority_fee_per_gas: U256::from(tip),
        max_fee_per_gas: U256::from(cap),
        gas_limit: 21_000,
        to: Some(Address::repeat_byte(9)),
        value: U256::zero(),
        input: Bytes::new(),
        access_list: vec![],
    }
    .sign(key);
    RecoveredTx {
        sender: key.address(),
        tx,
    }
}

fn key(i: u8) -> PrivateKey {
    PrivateKey::from_bytes(&[i; 32]).unwrap()
}

#[test]
fn pending_nonce_counts_the_ready_run() {
    let mut pool = Pool::new(PoolConfig::default());
    let k = key(1);
    assert_eq!(pool.pending_nonce(&k.address(), 3), 3);
    pool.add(tx(&k, 3, 1, 10), 3).unwrap();
    pool.add(tx(&k, 4, 1, 10), 3).unwrap();
    pool.add(tx(&k, 6, 1, 10), 3).unwrap();
    assert_eq!(pool.pending_nonce(&k.address(), 3), 5);
    let (ready, queued) = pool.content();
    assert_eq!((ready.len(), queued.len()), (2, 1));
    // Filling the gap promotes the queued one.
    pool.add(tx(&k, 5, 1, 10), 3).unwrap();
    assert_eq!(pool.pending_nonce(&k.address(), 3), 7);
    assert_eq!(pool.ready(U256::one(), u64::MAX).len(), 4);
}

#[test]
fn duplicates_stale_nonces_and_replacements() {
    let mut pool = Pool::new(PoolConfig::default());
    let k = key(1);
    let t = tx(&k, 0, 10, 100);
    pool.add(t.clone(), 0).unwrap();
    assert_eq!(pool.add(t, 0), Err(InvalidTx::AlreadyKnown));
    assert!(matches!(
        pool.add(tx(&k, 0, 1, 10), 1),
        Err(InvalidTx::NonceTooLow { .. })
    ));
    // +5% is not enough; +10% on both fields is.
    assert_eq!(
        pool.add(tx(&k, 0, 10, 105), 0),
        Err(InvalidTx::ReplacementUnderpriced)
    );
    assert_eq!(
        pool.add(tx(&k, 0, 10, 110), 0),
        Err(InvalidTx::ReplacementUnderpriced)
    );
    let replaced = pool.add(tx(&k, 0, 11, 110), 0).unwrap();
    assert!(replaced.replaced.is_some());
    assert_eq!(pool.len(), 1);
}

#[test]
fn limits_and_eviction() {
    let mut pool = Pool::new(PoolConfig {
        max_total: 3,
        max_per_sender: 2,
        price_bump_percent: 10,
    });
    let (a, b, c) = (key(1), key(2), key(3));
    pool.add(tx(&a, 0, 1, 10), 0).unwrap();
    pool.add(tx(&a, 1, 1, 10), 0).unwrap();
    assert!(matches!(
        pool.add(tx(&a, 2, 1, 10), 0),
        Err(InvalidTx::AccountLimit { .. })
    ));
    pool.add(tx(&b, 0, 5, 10), 0).unwrap();
    // Full: a cheaper newcomer is refused, a better one evicts a's tail.
    assert_eq!(pool.add(tx(&c, 0, 1, 10), 0), Err(InvalidTx::PoolFull));
    let admitted = pool.add(tx(&c, 0, 3, 10), 0).unwrap();
    assert_eq!(admitted.evicted, Some(tx(&a, 1, 1, 10).hash()));
    assert_eq!(pool.len(), 3);
}

#[test]
fn ready_orders_by_tip_and_keeps_nonce_order() {
    let mut pool = Pool::new(PoolConfig::default());
    let (a, b) = (key(1), key(2));
    pool.add(tx(&a, 0, 1, 100), 0).unwrap();
    pool.add(tx(&a, 1, 50, 100), 0).unwrap();
    pool.add(tx(&b, 0, 10, 100), 0).unwrap();
    pool.add(tx(&b, 1, 2, 5), 0).unwrap();
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
        pool.add(tx(&k, n, 1, 10), 0).unwrap();
    }
    let dropped = pool.set_state_nonces([(k.address(), 3)]);
    assert_eq!(dropped.len(), 3);
    assert_eq!(pool.len(), 2);
    assert_eq!(pool.ready(U256::one(), u64::MAX).len(), 2);
}
