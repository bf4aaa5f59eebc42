//! The chain end to end, in process: admission, instant and interval
//! mining, restart, the pool journal, dev patches and snapshots.

use std::sync::Arc;
use std::time::Duration;

use orac_chain::dev::{DEV_MNEMONIC, derive_keys};
use orac_chain::testing;
use orac_chain::{BlockTag, Chain, ChainConfig, MiningMode, Patch};
use orac_primitives::{Address, PrivateKey, RecoveredTx, TxType, U256};
use orac_state::StateReader;

fn config(dir: &std::path::Path, mining: MiningMode) -> ChainConfig {
    testing::dev_config(dir, mining)
}

fn keys() -> Vec<PrivateKey> {
    derive_keys(DEV_MNEMONIC, 10).unwrap()
}

fn gwei(n: u64) -> U256 {
    U256::from(n) * U256::from(1_000_000_000u64)
}

fn transfer(key: &PrivateKey, nonce: u64, to: Address, value: U256) -> RecoveredTx {
    testing::transfer(to, value).nonce(nonce).recovered(key)
}

/// An instant-mining dev chain in a fresh directory, which must outlive it.
fn instant_chain() -> (tempfile::TempDir, Arc<Chain>) {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::open(config(dir.path(), MiningMode::Instant)).unwrap();
    (dir, chain)
}

/// Submits `key`'s transfer, which must be accepted (and so be durable).
async fn send(chain: &Chain, key: &PrivateKey, nonce: u64, to: Address, value: u64) {
    chain
        .submit(transfer(key, nonce, to, U256::from(value)))
        .await
        .unwrap();
}

/// The text of the error `tx` must be refused with.
async fn refusal(chain: &Chain, tx: RecoveredTx) -> String {
    chain.submit(tx).await.unwrap_err().to_string()
}

/// `a`'s balance in `state`; zero for an account that does not exist.
fn balance_in(state: &impl StateReader, a: &Address) -> U256 {
    state
        .account(a)
        .unwrap()
        .map(|x| x.balance)
        .unwrap_or_default()
}

fn balance(chain: &Chain, a: &Address) -> U256 {
    balance_in(&chain.snapshot().unwrap().latest_state().unwrap(), a)
}

/// Sum of every genesis account's balance plus the coinbase's, and the fees
/// burned so far (gas used × base fee, per block).
fn total_and_burned(chain: &Chain, extra: &[Address]) -> (U256, U256) {
    let snap = chain.snapshot().unwrap();
    let state = snap.latest_state().unwrap();
    let mut total = U256::zero();
    let mut seen = std::collections::HashSet::new();
    for a in chain
        .spec()
        .alloc
        .keys()
        .chain(extra)
        .chain([&chain.spec().coinbase])
    {
        if seen.insert(*a) {
            total += balance_in(&state, a);
        }
    }
    let head = snap.head().unwrap().number;
    let mut burned = U256::zero();
    for n in 1..=head {
        let h = snap.header(n).unwrap().unwrap();
        burned += h.base_fee_per_gas * U256::from(h.gas_used);
    }
    (total, burned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instant_mining_transfers_and_conservation() {
    let (_dir, chain) = instant_chain();
    let k = keys();
    let to = Address::repeat_byte(0x42);
    let (initial, _) = total_and_burned(&chain, &[to]);
    for nonce in 0..3 {
        send(&chain, &k[0], nonce, to, 1000).await;
        // Instant mode answers only once the block holding it is durable.
        assert_eq!(chain.head().number, nonce + 1);
    }
    assert_eq!(balance(&chain, &to), U256::from(3000));
    assert_eq!(chain.pending_nonce(&k[0].address()).unwrap(), 3);
    let snap = chain.snapshot().unwrap();
    let receipts = snap.receipts(1).unwrap().unwrap();
    assert_eq!(receipts.len(), 1);
    assert!(receipts[0].receipt.success);
    assert_eq!(receipts[0].gas_used, 21_000);
    let (total, burned) = total_and_burned(&chain, &[to]);
    assert_eq!(total + burned, initial);
    assert!(!burned.is_zero());
    chain.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_transactions_get_geth_errors_and_change_nothing() {
    let (_dir, chain) = instant_chain();
    let k = keys();
    let to = Address::repeat_byte(0x42);
    send(&chain, &k[0], 0, to, 1).await;
    let head = chain.head().number;
    let poor = PrivateKey::from_bytes(&[9; 32]).unwrap();
    // k[0]'s next transaction, each case below breaking one rule of it.
    let next = || testing::transfer(to, U256::one()).nonce(1);
    let signed = |t: testing::DevTx| RecoveredTx::recover(t.sign(&k[0])).unwrap();
    let cases: Vec<(RecoveredTx, &str)> = vec![
        (transfer(&k[0], 0, to, U256::one()), "nonce too low"),
        (
            transfer(&poor, 0, to, U256::one()),
            "insufficient funds for gas * price + value",
        ),
        (signed(next().chain_id(1)), "invalid chain id for signer"),
        (
            signed(next().tx_type(TxType::Legacy).unprotected()),
            "only replay-protected (EIP-155) transactions allowed over RPC",
        ),
        (signed(next().gas_limit(20_000)), "intrinsic gas too low"),
        (
            signed(next().fees(U256::one(), U256::one())),
            "max fee per gas less than block base fee",
        ),
        (
            signed(next().gas_limit(40_000_000)),
            "exceeds block gas limit",
        ),
        (
            signed(next().fees(gwei(200), gwei(100))),
            "max priority fee per gas higher than max fee per gas",
        ),
    ];
    for (tx, want) in cases {
        let err = refusal(&chain, tx).await;
        assert!(err.contains(want), "got {err:?}, want {want:?}");
    }
    // Garbage bytes.
    let err = chain
        .submit_raw(vec![0x02, 0xc0])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("rlp"), "{err}");
    // A queued (future-nonce) transaction, then an underpriced replacement
    // and a duplicate.
    let queued = transfer(&k[1], 5, to, U256::one());
    chain.submit(queued.clone()).await.unwrap();
    assert_eq!(refusal(&chain, queued).await, "already known");
    assert_eq!(
        refusal(&chain, transfer(&k[1], 5, to, U256::from(2))).await,
        "replacement transaction underpriced"
    );
    assert_eq!(chain.head().number, head);
    assert_eq!(balance(&chain, &to), U256::one());
    chain.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_load_is_group_committed_and_fully_mined() {
    let (_dir, chain) = instant_chain();
    let k = keys();
    let to = Address::repeat_byte(0x77);
    let per_sender = 150u64;
    let mut handles = Vec::new();
    for key in k.clone() {
        let chain = chain.clone();
        handles.push(tokio::spawn(async move {
            // Nonces sent out of order, 50 at once (the pool takes at
            // most 64 past a sender's next nonce).
            for chunk in 0..per_sender / 50 {
                let mut futs = Vec::new();
                for nonce in (chunk * 50..(chunk + 1) * 50).rev() {
                    let chain = chain.clone();
                    let tx = transfer(&key, nonce, to, U256::one());
                    futs.push(tokio::spawn(async move { chain.submit(tx).await }));
                }
                for f in futs {
                    f.await.unwrap().unwrap();
                }
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let expected = per_sender * k.len() as u64;
    // Everything was answered only after being durable; all of it mines.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while balance(&chain, &to) != U256::from(expected) {
        assert!(
            std::time::Instant::now() < deadline,
            "stalled at {}",
            balance(&chain, &to)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let blocks = chain.head().number;
    assert!(
        blocks < expected / 5,
        "{blocks} blocks for {expected} transactions"
    );
    assert_eq!(
        chain.pool_content().0.len() + chain.pool_content().1.len(),
        0
    );
    chain.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_resumes_and_reloads_the_journaled_pool() {
    let dir = tempfile::tempdir().unwrap();
    let k = keys();
    let to = Address::repeat_byte(0x55);
    let (head, root) = {
        // A long interval: the block will not be sealed before shutdown.
        let chain = Chain::open(config(
            dir.path(),
            MiningMode::Interval(Duration::from_secs(3600)),
        ))
        .unwrap();
        chain.mine(2, None).await.unwrap();
        send(&chain, &k[0], 0, to, 7).await;
        assert_eq!(chain.head().number, 2);
        let h = chain.head();
        chain.shutdown();
        (h.number, h.state_root)
    };
    let chain = Chain::open(config(dir.path(), MiningMode::Instant)).unwrap();
    assert_eq!(chain.head_pointer().unwrap().number, head);
    assert_eq!(
        chain
            .snapshot()
            .unwrap()
            .header(head)
            .unwrap()
            .unwrap()
            .state_root,
        root
    );
    // The journaled transaction is mined after the restart.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while balance(&chain, &to) != U256::from(7) {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    chain.shutdown();
}

/// A journaled transaction the node died executing is replayed once (the
/// death may have been a plain kill), and dropped after the second death
/// instead of crash-looping the node (HOSTILE B1, the `--block-time`
/// crash loop). The deaths are simulated by leaving the producer's black
/// box as a dying process leaves it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_that_kills_the_node_is_not_replayed_forever() {
    let dir = tempfile::tempdir().unwrap();
    let k = keys();
    let interval = || config(dir.path(), MiningMode::Interval(Duration::from_secs(3600)));
    let tx = transfer(&k[0], 0, Address::repeat_byte(0x56), U256::from(7));
    let hash = tx.hash();
    {
        let chain = Chain::open(interval()).unwrap();
        chain.submit(tx).await.unwrap();
        chain.shutdown();
    }
    let die_running = |strikes: u32| {
        let mut record = hash.as_bytes().to_vec();
        record.extend_from_slice(&strikes.to_le_bytes());
        std::fs::write(dir.path().join("executing"), record).unwrap();
    };
    // First death: kept.
    die_running(0);
    {
        let chain = Chain::open(interval()).unwrap();
        assert!(
            chain.pool_transaction(&hash).is_some(),
            "kept after one death"
        );
        chain.shutdown();
    }
    // Second death on the same transaction: dropped, and not back after
    // another restart.
    die_running(1);
    {
        let chain = Chain::open(interval()).unwrap();
        assert!(chain.pool_transaction(&hash).is_none(), "dropped after two");
        chain.mine(1, None).await.unwrap();
        chain.shutdown();
    }
    let chain = Chain::open(interval()).unwrap();
    assert!(chain.pool_transaction(&hash).is_none());
    chain.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_patches_and_history() {
    let (dir, chain) = instant_chain();
    let k = keys();
    let who = Address::repeat_byte(0x99);
    let id = chain.take_snapshot().unwrap();
    send(&chain, &k[0], 0, who, 5).await;
    chain
        .patch(who, Patch::Balance(U256::from(1_000_000)))
        .await
        .unwrap();
    assert_eq!(balance(&chain, &who), U256::from(1_000_000));
    chain.patch(who, Patch::Nonce(9)).await.unwrap();
    assert_eq!(chain.pending_nonce(&who).unwrap(), 9);
    // History at block 1 still shows the mined value, not the patch.
    let snap = chain.snapshot().unwrap();
    let past = chain.state_at(&snap, BlockTag::Number(0)).unwrap().unwrap();
    assert!(past.account(&who).unwrap().is_none());
    drop(past);
    drop(snap);
    let later = chain.take_snapshot().unwrap();
    assert!(chain.revert_to_snapshot(id).await.unwrap());
    assert_eq!(chain.head().number, 0);
    assert_eq!(balance(&chain, &who), U256::zero());
    // Reverting consumes that snapshot and every later one.
    assert!(!chain.revert_to_snapshot(later).await.unwrap());
    assert!(!chain.revert_to_snapshot(id).await.unwrap());
    // The chain goes on from there, nonce 0 again.
    send(&chain, &k[0], 0, who, 6).await;
    assert_eq!(balance(&chain, &who), U256::from(6));
    let offset = chain.increase_time(3600).await.unwrap();
    assert_eq!(offset, 3600);
    chain.mine(1, None).await.unwrap();
    assert!(chain.head().timestamp >= 3600);
    chain.shutdown();
    // And it all still checks out after a restart.
    drop(chain);
    let chain = Chain::open(config(dir.path(), MiningMode::Instant)).unwrap();
    assert_eq!(balance(&chain, &who), U256::from(6));
    chain.shutdown();
}
