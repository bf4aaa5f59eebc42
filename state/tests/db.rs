//! The database end to end: genesis, blocks of changes, incremental roots
//! checked against a from-scratch rebuild, history, rewind, restart checks.

use std::collections::BTreeMap;

use orac_primitives::trie::{EmptyStore, Trie};
use orac_primitives::{
    Account, Address, Bytes, EMPTY_ROOT, H256, Header, Log, Receipt, TxType, U256, keccak256,
};
use orac_state::{
    BlockBody, Db, DbConfig, LogQuery, Overlay, StateChanges, StateReader, StoredReceipt,
};
use rand::{Rng, SeedableRng};

fn header(number: u64, parent: H256, state_root: H256) -> Header {
    Header {
        base_fee_per_gas: U256::from(7),
        ..Header::test_header(number, parent, state_root)
    }
}

/// Every log of blocks `from..=to`.
fn blocks(from: u64, to: u64) -> LogQuery {
    LogQuery {
        from,
        to,
        ..Default::default()
    }
}

/// The model: address -> (balance, storage).
type Model = BTreeMap<Address, (U256, BTreeMap<H256, H256>)>;

fn model_root(model: &Model) -> H256 {
    let store = EmptyStore;
    let mut trie = Trie::new(&store, EMPTY_ROOT);
    for (addr, (balance, slots)) in model {
        let mut st = Trie::new(&store, EMPTY_ROOT);
        for (k, v) in slots {
            st.insert(
                keccak256(k).as_bytes(),
                rlp::encode(&U256::from_big_endian(v.as_bytes())).to_vec(),
            )
            .unwrap();
        }
        let account = Account {
            nonce: 1,
            balance: *balance,
            storage_root: st.commit().0,
            code_hash: orac_primitives::EMPTY_CODE_HASH,
        };
        trie.insert(keccak256(addr).as_bytes(), rlp::encode(&account).to_vec())
            .unwrap();
    }
    trie.commit().0
}

fn open(dir: &tempfile::TempDir) -> Db {
    Db::open(&dir.path().join("chain.redb"), &DbConfig::default()).unwrap()
}

#[test]
fn blocks_roots_history_rewind_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let addrs: Vec<Address> = (0..40u8).map(Address::repeat_byte).collect();
    let mut model: Model = BTreeMap::new();
    let mut roots = vec![];
    let genesis;
    {
        let db = open(&dir);
        genesis = db
            .init_genesis(31337, &StateChanges::default(), |root| {
                header(0, H256::zero(), root)
            })
            .unwrap();
        assert_eq!(genesis.state_root, EMPTY_ROOT);
        let mut parent = genesis.hash();
        let mut models = vec![model.clone()];
        for n in 1..=30u64 {
            let snap = db.snapshot().unwrap();
            let latest = std::sync::Arc::new(snap.latest_state().unwrap());
            let mut o = Overlay::new(latest.clone());
            for _ in 0..rng.random_range(1..8) {
                let a = addrs[rng.random_range(0..addrs.len())];
                let bal = U256::from(rng.random_range(1..1_000_000u64));
                o.update_account(&a, |acct| {
                    acct.balance = bal;
                    acct.nonce = 1;
                })
                .unwrap();
                let entry = model.entry(a).or_default();
                entry.0 = bal;
                for _ in 0..rng.random_range(0..3) {
                    let slot = H256::from_low_u64_be(rng.random_range(0..6));
                    let value = if rng.random_bool(0.3) {
                        H256::zero()
                    } else {
                        H256::from_low_u64_be(rng.random_range(1..1000))
                    };
                    o.set_storage(&a, &slot, value).unwrap();
                    if value.is_zero() {
                        entry.1.remove(&slot);
                    } else {
                        entry.1.insert(slot, value);
                    }
                }
            }
            let changes = o.into_changes().unwrap();
            // The root a pending block shows, computed from reads alone,
            // is the one writing the changes gives.
            let preview = snap.root_after(&changes).unwrap();
            drop(latest);
            drop(snap);
            let mut w = db.writer().unwrap();
            let root = w.apply_state(&changes, (n, 0)).unwrap();
            assert_eq!(root, model_root(&model), "block {n}");
            assert_eq!(preview, root, "block {n}: root_after");
            let log = Log {
                address: addrs[(n % 3) as usize],
                topics: vec![H256::from_low_u64_be(n % 2)],
                data: Bytes::new(),
            };
            let receipt = Receipt::new(TxType::DynamicFee, true, 21_000, vec![log]);
            let mut h = header(n, parent, root);
            h.logs_bloom = receipt.logs_bloom;
            let stored = StoredReceipt {
                receipt,
                gas_used: 21_000,
                effective_gas_price: U256::one(),
                contract_address: None,
            };
            parent = w.put_block(&h, &BlockBody::default(), &[stored]).unwrap();
            w.commit().unwrap();
            roots.push(root);
            models.push(model.clone());
        }

        // History: every past root still answers with that block's values.
        let snap = db.snapshot().unwrap();
        for (i, root) in roots.iter().enumerate() {
            let st = snap.state_at(*root).unwrap();
            for (a, (bal, slots)) in &models[i + 1] {
                assert_eq!(st.account(a).unwrap().unwrap().balance, *bal);
                for (k, v) in slots {
                    assert_eq!(st.storage(a, k).unwrap(), *v);
                }
            }
        }

        // Logs through the index and through the unfiltered scan.
        let q = LogQuery {
            from: 1,
            to: 30,
            addresses: vec![addrs[1]],
            topics: vec![Some(vec![H256::from_low_u64_be(1)])],
        };
        let logs = snap.logs(&q, 1000).unwrap();
        let expect: Vec<u64> = (1..=30).filter(|n| n % 3 == 1 && n % 2 == 1).collect();
        assert_eq!(
            logs.iter().map(|l| l.block_number).collect::<Vec<_>>(),
            expect
        );
        let all = snap.logs(&blocks(5, 9), 1000).unwrap();
        assert_eq!(all.len(), 5);
        assert!(snap.logs(&blocks(0, 30), 10).is_err());
        drop(snap);

        // Rewind to block 12 and compare with the model at that point.
        let mut w = db.writer().unwrap();
        w.rewind_to(12, 0).unwrap();
        w.commit().unwrap();
        let snap = db.snapshot().unwrap();
        assert_eq!(snap.head().unwrap().number, 12);
        assert_eq!(snap.state_root().unwrap(), roots[11]);
        assert!(snap.header(13).unwrap().is_none());
        let latest = snap.latest_state().unwrap();
        for (a, (bal, slots)) in &models[12] {
            assert_eq!(latest.account(a).unwrap().unwrap().balance, *bal);
            for (k, v) in slots {
                assert_eq!(latest.storage(a, k).unwrap(), *v);
            }
        }
        for a in &addrs {
            if !models[12].contains_key(a) {
                assert!(latest.account(a).unwrap().is_none());
            }
        }
        let logs = snap.logs(&blocks(0, 100), 1000).unwrap();
        assert_eq!(logs.len(), 12);
    }
    // Reopen: the check passes and sees head 12.
    let db = open(&dir);
    let head = db.check(genesis.hash(), &DbConfig::default()).unwrap();
    assert_eq!(head.number, 12);
    // The wrong genesis is refused with a reason.
    let err = db
        .check(H256::repeat_byte(1), &DbConfig::default())
        .unwrap_err();
    assert!(err.to_string().contains("different chain"), "{err}");
}

#[test]
fn corrupted_file_is_refused_not_served() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let genesis;
    {
        let db = open(&dir);
        let mut changes = StateChanges::default();
        for i in 0..200u8 {
            changes.accounts.insert(
                Address::repeat_byte(i),
                Some(Account {
                    balance: U256::from(i as u64 + 1),
                    ..Default::default()
                }),
            );
        }
        genesis = db
            .init_genesis(1, &changes, |root| header(0, H256::zero(), root))
            .unwrap();
    }
    // Scribble over the middle of the file, where the tables' pages live.
    let mut bytes = std::fs::read(&path).unwrap();
    let len = bytes.len();
    for b in &mut bytes[len / 4..len / 2] {
        *b ^= 0x5a;
    }
    std::fs::write(&path, bytes).unwrap();
    let outcome = std::panic::catch_unwind(|| {
        let db = Db::open(&path, &DbConfig::default())?;
        db.check(genesis.hash(), &DbConfig::default())
    });
    match outcome {
        Ok(Ok(_)) => panic!("a corrupted database was accepted"),
        Ok(Err(e)) => eprintln!("refused: {e}"),
        Err(_) => panic!("opening a corrupted database panicked"),
    }
}
