//! External (consensus-driven) block production: two nodes on the same
//! spec, one proposing, the other verifying and committing; hostile blocks
//! refused with the reason; certificates and journaled admissions durable.

use std::sync::Arc;
use std::time::Duration;

use orac_chain::dev::{DEV_MNEMONIC, derive_keys};
use orac_chain::testing;
use orac_chain::{BlockError, Chain, ChainError, InvalidTx, MiningMode, Patch, ProposedBlock};
use orac_primitives::{Address, H256, Header, PrivateKey, RecoveredTx, U256};

/// Eleven dev keys: the first ten funded at genesis, the last not.
fn keys() -> Vec<PrivateKey> {
    derive_keys(DEV_MNEMONIC, 11).unwrap()
}

fn open(dir: &std::path::Path, mining: MiningMode) -> Arc<Chain> {
    Chain::open(testing::dev_config(dir, mining)).unwrap()
}

/// Two consensus-driven chains on the same spec, each in its own directory.
fn pair() -> (tempfile::TempDir, Arc<Chain>, tempfile::TempDir, Arc<Chain>) {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = open(da.path(), MiningMode::External);
    let b = open(db.path(), MiningMode::External);
    (da, a, db, b)
}

fn transfer(key: &PrivateKey, nonce: u64, value: u64) -> RecoveredTx {
    testing::transfer(Address::repeat_byte(0x42), U256::from(value))
        .nonce(nonce)
        .recovered(key)
}

/// `chain` proposes the block after its head, one second after it.
async fn propose(chain: &Chain) -> ProposedBlock {
    let head = chain.head();
    chain
        .propose_block(head.number + 1, head.timestamp + 1)
        .await
        .unwrap()
}

/// A pair whose first chain has proposed a block with one transfer of
/// `k[0]`'s (not committed anywhere); the directories must outlive them.
async fn one_transfer_proposed() -> (
    [tempfile::TempDir; 2],
    Arc<Chain>,
    Arc<Chain>,
    Vec<PrivateKey>,
    ProposedBlock,
) {
    let (da, a, db, b) = pair();
    let k = keys();
    a.submit(transfer(&k[0], 0, 1)).await.unwrap();
    let p = propose(&a).await;
    ([da, db], a, b, k, p)
}

/// A header edit and the field it makes wrong.
type Tamper = (fn(&mut Header), &'static str);

/// Verifying `header` with `txs` fails; the reason.
async fn refusal(chain: &Chain, header: &Header, txs: Vec<RecoveredTx>) -> BlockError {
    chain.verify_block(header.clone(), txs).await.unwrap_err()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposed_block_verifies_and_commits_on_a_peer() {
    let (_da, a, _db, b) = pair();
    let k = keys();
    for tx in [
        transfer(&k[0], 0, 1),
        transfer(&k[0], 1, 2),
        transfer(&k[1], 0, 3),
    ] {
        a.submit(tx).await.unwrap();
    }
    // Acknowledged (journaled), but external mode never seals on its own.
    assert_eq!(a.head().number, 0);
    let p = propose(&a).await;
    assert_eq!(p.transactions.len(), 3);
    assert_eq!(a.head().number, 0, "proposing commits nothing");

    b.verify_block(p.header.clone(), p.transactions.clone())
        .await
        .unwrap();
    let cert = b"commit certificate, height 1".to_vec();
    for chain in [&b, &a] {
        chain
            .commit_block(p.header.clone(), p.transactions.clone(), cert.clone())
            .await
            .unwrap();
    }
    assert_eq!(a.head(), p.header);
    assert_eq!(b.head(), p.header);
    let (sa, sb) = (a.snapshot().unwrap(), b.snapshot().unwrap());
    assert_eq!(sa.state_root().unwrap(), sb.state_root().unwrap());
    assert_eq!(sb.state_root().unwrap(), p.header.state_root);
    let receipts = sb.receipts(1).unwrap().unwrap();
    assert_eq!(receipts.len(), 3);
    assert!(receipts.iter().all(|r| r.receipt.success));
    assert_eq!(b.certificate(1).unwrap(), Some(cert.clone()));
    assert_eq!(a.certificate(1).unwrap(), Some(cert.clone()));
    assert_eq!(a.pool_counts(), (0, 0), "mined transactions leave the pool");

    // Committing the head again (a replay after restart) changes nothing,
    // as does an older block committed at its height; a different block
    // at a committed height is a conflict.
    b.commit_block(p.header.clone(), p.transactions.clone(), cert.clone())
        .await
        .unwrap();
    let genesis = b.snapshot().unwrap().header(0).unwrap().unwrap();
    b.commit_block(genesis.clone(), vec![], vec![])
        .await
        .unwrap();
    assert_eq!(b.head(), p.header);
    let other = Header {
        timestamp: p.header.timestamp + 1,
        ..p.header.clone()
    };
    let err = b.commit_block(other, vec![], vec![]).await.unwrap_err();
    assert!(
        matches!(
            err,
            ChainError::InvalidBlock(BlockError::Conflict { number: 1, .. })
        ),
        "{err:?}"
    );

    // The next height, proposed by the other node (empty), verified by
    // commit alone.
    let q = propose(&b).await;
    assert!(q.transactions.is_empty());
    a.commit_block(q.header.clone(), vec![], b"cert 2".to_vec())
        .await
        .unwrap();
    b.commit_block(q.header.clone(), vec![], b"cert 2".to_vec())
        .await
        .unwrap();
    assert_eq!(a.head().hash(), b.head().hash());

    // Timestamps are whole seconds: a block may share its parent's second
    // (a network deciding faster than one a second), never go before it.
    let head = a.head();
    let err = a.propose_block(3, head.timestamp - 1).await.unwrap_err();
    assert!(
        matches!(
            err,
            ChainError::InvalidBlock(BlockError::TimestampBeforeParent { .. })
        ),
        "{err:?}"
    );
    let same_second = a.propose_block(3, head.timestamp).await.unwrap();
    b.verify_block(same_second.header.clone(), vec![])
        .await
        .unwrap();
    let earlier = Header {
        timestamp: head.timestamp - 1,
        ..same_second.header.clone()
    };
    let err = refusal(&b, &earlier, vec![]).await;
    assert!(
        matches!(err, BlockError::TimestampBeforeParent { .. }),
        "{err:?}"
    );
    a.shutdown();
    b.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_headers_name_the_field() {
    let (_dirs, a, b, _k, p) = one_transfer_proposed().await;
    let txs = || p.transactions.clone();
    let tampered = |edit: fn(&mut Header)| {
        let mut h = p.header.clone();
        edit(&mut h);
        h
    };
    let cases: [Tamper; 5] = [
        (|h| h.state_root = H256::repeat_byte(1), "state_root"),
        (|h| h.receipts_root = H256::repeat_byte(1), "receipts_root"),
        (|h| h.gas_used += 1, "gas_used"),
        (
            |h| h.transactions_root = H256::repeat_byte(1),
            "transactions_root",
        ),
        (
            |h| h.logs_bloom = orac_primitives::Bloom([1; 256]),
            "logs_bloom",
        ),
    ];
    for (edit, field) in cases {
        let err = refusal(&b, &tampered(edit), txs()).await;
        assert!(
            matches!(err, BlockError::HeaderMismatch { field: f } if f == field),
            "{field}: {err:?}"
        );
    }
    // Fields the parent and the spec fix are refused before execution.
    let env_cases: [Tamper; 4] = [
        (|h| h.beneficiary = Address::repeat_byte(9), "beneficiary"),
        (|h| h.base_fee_per_gas += U256::one(), "base_fee_per_gas"),
        (|h| h.mix_hash = H256::repeat_byte(9), "mix_hash"),
        (
            |h| h.extra_data = orac_primitives::Bytes(b"x".to_vec()),
            "extra_data",
        ),
    ];
    for (edit, field) in env_cases {
        let err = refusal(&b, &tampered(edit), txs()).await;
        assert!(
            matches!(err, BlockError::EnvMismatch { field: f } if f == field),
            "{field}: {err:?}"
        );
    }
    let err = refusal(
        &b,
        &tampered(|h| h.parent_hash = H256::repeat_byte(7)),
        txs(),
    )
    .await;
    assert!(matches!(err, BlockError::WrongParent { .. }), "{err:?}");
    let err = refusal(&b, &tampered(|h| h.number = 2), txs()).await;
    assert!(
        matches!(
            err,
            BlockError::WrongNumber {
                expected: 1,
                got: 2
            }
        ),
        "{err:?}"
    );
    // Committing a tampered block refuses it, writes nothing.
    let bad = tampered(|h| h.state_root = H256::repeat_byte(1));
    let err = b.commit_block(bad, txs(), vec![]).await.unwrap_err();
    assert!(
        matches!(
            err,
            ChainError::InvalidBlock(BlockError::HeaderMismatch {
                field: "state_root"
            })
        ),
        "{err:?}"
    );
    assert_eq!(b.head().number, 0);
    assert_eq!(b.certificate(1).unwrap(), None);
    // The untampered block still goes in.
    b.verify_block(p.header.clone(), txs()).await.unwrap();
    a.shutdown();
    b.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_with_invalid_transactions_are_refused() {
    let (_dirs, a, b, k, p) = one_transfer_proposed().await;
    // Any header after genesis: execution refuses before it is compared.
    let header = p.header;
    let invalid = |err: &BlockError, at: usize| match err {
        BlockError::InvalidTransaction { index, reason } if *index == at => Some(reason.clone()),
        _ => None,
    };

    let err = refusal(&b, &header, vec![transfer(&k[0], 5, 1)]).await;
    assert!(
        matches!(invalid(&err, 0), Some(InvalidTx::NonceTooHigh { .. })),
        "{err:?}"
    );
    // The same nonce spent twice (two different transfers).
    let err = refusal(
        &b,
        &header,
        vec![transfer(&k[0], 0, 1), transfer(&k[0], 0, 2)],
    )
    .await;
    assert!(
        matches!(invalid(&err, 1), Some(InvalidTx::NonceTooLow { .. })),
        "{err:?}"
    );
    // The same transaction twice.
    let tx = transfer(&k[1], 0, 1);
    let err = refusal(&b, &header, vec![tx.clone(), tx]).await;
    assert!(
        matches!(invalid(&err, 1), Some(InvalidTx::NonceTooLow { .. })),
        "{err:?}"
    );
    // A sender with nothing to spend.
    let err = refusal(&b, &header, vec![transfer(&k[10], 0, 1)]).await;
    assert!(
        matches!(invalid(&err, 0), Some(InvalidTx::InsufficientFunds { .. })),
        "{err:?}"
    );
    // More gas than the block has left: a whole block's gas after a
    // transfer.
    let whole_block = testing::transfer(Address::repeat_byte(1), U256::one())
        .gas_limit(a.spec().gas_limit)
        .nonce(1)
        .recovered(&k[2]);
    let err = refusal(&b, &header, vec![transfer(&k[2], 0, 1), whole_block]).await;
    assert!(
        matches!(invalid(&err, 1), Some(InvalidTx::BlockGasExhausted { .. })),
        "{err:?}"
    );
    // Signed for another chain.
    let other_chain = testing::transfer(Address::repeat_byte(1), U256::one())
        .chain_id(1)
        .recovered(&k[3]);
    let err = refusal(&b, &header, vec![other_chain]).await;
    assert!(
        matches!(invalid(&err, 0), Some(InvalidTx::WrongChainId { .. })),
        "{err:?}"
    );
    // A sender who did not sign it.
    let forged = RecoveredTx {
        sender: k[4].address(),
        ..transfer(&k[0], 0, 1)
    };
    let err = refusal(&b, &header, vec![forged]).await;
    assert!(
        matches!(err, BlockError::WrongSender { index: 0, .. }),
        "{err:?}"
    );
    a.shutdown();
    b.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_and_journal_survive_reopening() {
    let (da, a, db, b) = pair();
    let k = keys();
    let mined = transfer(&k[0], 0, 1);
    a.submit(mined.clone()).await.unwrap();
    let p = propose(&a).await;
    b.commit_block(p.header.clone(), p.transactions.clone(), b"cert".to_vec())
        .await
        .unwrap();
    // `a` commits height 1 (holding `mined`), admits another transaction,
    // then commits `b`'s empty height 2, which leaves that one pooled.
    a.commit_block(p.header.clone(), p.transactions.clone(), b"cert".to_vec())
        .await
        .unwrap();
    let kept = transfer(&k[1], 0, 5);
    a.submit(kept.clone()).await.unwrap();
    let q = propose(&b).await;
    assert!(q.transactions.is_empty());
    a.commit_block(q.header.clone(), vec![], b"cert 2".to_vec())
        .await
        .unwrap();
    a.shutdown();
    b.shutdown();
    drop((a, b));

    let b = open(db.path(), MiningMode::External);
    assert_eq!(b.head(), p.header);
    assert_eq!(b.certificate(1).unwrap(), Some(b"cert".to_vec()));
    b.shutdown();
    let a = open(da.path(), MiningMode::External);
    assert_eq!(a.head(), q.header);
    assert_eq!(a.certificate(2).unwrap(), Some(b"cert 2".to_vec()));
    // Acknowledged but in no block: still pooled after the restart, and
    // proposed next.
    assert!(a.pool_transaction(&kept.hash()).is_some());
    assert!(a.pool_transaction(&mined.hash()).is_none());
    let r = propose(&a).await;
    assert_eq!(r.transactions, vec![kept]);
    a.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_mode_refuses_dev_commands_and_never_seals() {
    let dir = tempfile::tempdir().unwrap();
    let chain = open(dir.path(), MiningMode::External);
    let k = keys();
    chain.submit(transfer(&k[0], 0, 1)).await.unwrap();
    let dev_only = |r: Result<(), ChainError>, method: &str| match r {
        Err(ChainError::DevOnly { method: m }) if m == method => {}
        other => panic!("{method}: {other:?}"),
    };
    let err = chain.mine(1, None).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "evm_mine is not available on a consensus network"
    );
    dev_only(Err(err), "evm_mine");
    dev_only(
        chain.increase_time(10).await.map(|_| ()),
        "evm_increaseTime",
    );
    dev_only(
        chain.set_next_timestamp(u64::MAX).await,
        "evm_setNextBlockTimestamp",
    );
    dev_only(chain.take_snapshot().map(|_| ()), "evm_snapshot");
    dev_only(chain.revert_to_snapshot(1).await.map(|_| ()), "evm_revert");
    dev_only(
        chain
            .patch(k[0].address(), Patch::Balance(U256::one()))
            .await,
        "anvil_setBalance",
    );
    // Wrong height or time for a proposal: typed.
    let head = chain.head();
    let err = chain
        .propose_block(2, head.timestamp + 1)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ChainError::InvalidBlock(BlockError::WrongNumber {
                expected: 1,
                got: 2
            })
        ),
        "{err:?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        chain.head().number,
        0,
        "the producer never seals on its own"
    );
    assert_eq!(chain.pool_counts(), (1, 0));
    chain.shutdown();

    // A self-sealing chain takes no blocks from outside.
    let dir = tempfile::tempdir().unwrap();
    let instant = open(dir.path(), MiningMode::Instant);
    let err = instant.propose_block(1, u64::MAX).await.unwrap_err();
    assert!(matches!(err, ChainError::NotExternal { .. }), "{err:?}");
    let err = instant
        .commit_block(head, vec![], vec![])
        .await
        .unwrap_err();
    assert!(matches!(err, ChainError::NotExternal { .. }), "{err:?}");
    instant.shutdown();
}
