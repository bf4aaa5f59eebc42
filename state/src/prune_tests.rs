//! Pruning against a model: random blocks (accounts created, changed and
//! deleted with their storage, identical storage in several accounts, dev
//! patches, rewinds) on a full node with a small window. After every
//! commit the kept states read back exactly, older ones are gone, and
//! every stored node's count equals the places that use it: the current
//! state plus the journal rows not yet applied. No node leaks, none is
//! deleted early.

use std::collections::{BTreeMap, HashMap};

use orac_primitives::trie::{Trie, TrieError};
use orac_primitives::{Account, Address, EMPTY_CODE_HASH, EMPTY_ROOT, H256, Header, U256};
use rand::{Rng, SeedableRng};
use redb::{ReadableTable, ReadableTableMetadata};

use crate::nodes::{JournalRow, split_value};
use crate::reader::TableNodes;
use crate::tables::{TRIE_JOURNAL, TRIE_NODES};
use crate::{BlockBody, Db, DbConfig, StateChanges, StateError, StateHistory, StateReader};

type Model = BTreeMap<Address, (U256, BTreeMap<H256, H256>)>;

const KEEP: u64 = 4;

fn config(history: StateHistory) -> DbConfig {
    DbConfig {
        history,
        ..DbConfig::default()
    }
}

fn open(dir: &tempfile::TempDir, history: StateHistory) -> Db {
    Db::open(&dir.path().join("c.redb"), &config(history)).unwrap()
}

/// An empty genesis.
fn genesis(db: &Db) -> Header {
    db.init_genesis(1, &StateChanges::default(), |root| {
        Header::test_header(0, H256::zero(), root)
    })
    .unwrap()
}

/// Random changes on top of `model` (which they update).
fn random_changes(rng: &mut impl Rng, model: &mut Model) -> StateChanges {
    let mut changes = StateChanges::default();
    for _ in 0..rng.random_range(1..10) {
        let a = Address::repeat_byte(rng.random_range(1..24u8));
        // One change per account per commit, as a block's changes are.
        if changes.accounts.contains_key(&a) {
            continue;
        }
        if model.contains_key(&a) && rng.random_bool(0.1) {
            model.remove(&a);
            changes.accounts.insert(a, None);
            changes.storage.remove(&a);
            continue;
        }
        let entry = model.entry(a).or_default();
        entry.0 = U256::from(rng.random_range(1..50u64));
        changes.accounts.insert(
            a,
            Some(Account {
                nonce: 1,
                balance: entry.0,
                storage_root: EMPTY_ROOT,
                code_hash: EMPTY_CODE_HASH,
            }),
        );
        // Few slots and values: accounts often end up with identical
        // storage tries, sharing nodes.
        for _ in 0..rng.random_range(0..4) {
            let slot = H256::from_low_u64_be(rng.random_range(0..5));
            let value = if rng.random_bool(0.3) {
                H256::zero()
            } else {
                H256::from_low_u64_be(rng.random_range(1..3))
            };
            changes.storage.entry(a).or_default().insert(slot, value);
            if value.is_zero() {
                entry.1.remove(&slot);
            } else {
                entry.1.insert(slot, value);
            }
        }
    }
    changes
}

fn check_state(db: &Db, root: H256, model: &Model) {
    let st = db.snapshot().unwrap().state_at(root).unwrap();
    for a in (1..24u8).map(Address::repeat_byte) {
        match model.get(&a) {
            None => assert!(st.account(&a).unwrap().is_none()),
            Some((bal, slots)) => {
                assert_eq!(st.account(&a).unwrap().unwrap().balance, *bal);
                for s in 0..5 {
                    let slot = H256::from_low_u64_be(s);
                    let want = slots.get(&slot).copied().unwrap_or_default();
                    assert_eq!(st.storage(&a, &slot).unwrap(), want);
                }
            }
        }
    }
}

/// Every stored node's count is its places in the current state plus its
/// entries in unapplied journal rows, and nothing else is stored.
fn check_counts(db: &Db) {
    let snap = db.snapshot().unwrap();
    let txn = &snap.txn;
    let nodes = txn.open_table(TRIE_NODES).unwrap();
    let store = TableNodes(&nodes);
    let mut expected: HashMap<H256, u32> = HashMap::new();
    let root = snap.state_root().unwrap();
    let mut places = Trie::new(&store, root).stored_nodes().unwrap();
    let latest = snap.latest_state().unwrap();
    for a in (1..24u8).map(Address::repeat_byte) {
        if let Some(acct) = latest.account(&a).unwrap() {
            places.extend(Trie::new(&store, acct.storage_root).stored_nodes().unwrap());
        }
    }
    for item in txn.open_table(TRIE_JOURNAL).unwrap().iter().unwrap() {
        let (_, v) = item.unwrap();
        places.extend(JournalRow::decode(v.value()).unwrap().replaced);
    }
    for h in places {
        *expected.entry(h).or_default() += 1;
    }
    let mut stored: HashMap<H256, u32> = HashMap::new();
    for item in nodes.iter().unwrap() {
        let (k, v) = item.unwrap();
        stored.insert(
            H256::from_slice(k.value()),
            split_value(v.value()).unwrap().1,
        );
    }
    assert_eq!(stored, expected);
}

fn commit_block(db: &Db, n: u64, parent: H256, changes: &StateChanges) -> (H256, H256) {
    let mut w = db.writer().unwrap();
    let root = w.apply_state(changes, (n, 0)).unwrap();
    let hash = w
        .put_block(
            &Header::test_header(n, parent, root),
            &BlockBody::default(),
            &[],
        )
        .unwrap();
    w.commit().unwrap();
    (root, hash)
}

#[test]
fn a_full_node_keeps_its_window_and_counts_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, StateHistory::Recent(KEEP));
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let genesis = genesis(&db);
    let mut model = Model::new();
    // (root, model) after each block, and after the patches on top of it.
    let mut history = vec![(genesis.state_root, model.clone())];
    let mut parent = genesis.hash();
    for n in 1..=80u64 {
        let changes = random_changes(&mut rng, &mut model);
        let (root, hash) = commit_block(&db, n, parent, &changes);
        parent = hash;
        history.push((root, model.clone()));
        // Now and then a dev patch on top of the head.
        if rng.random_bool(0.2) {
            let changes = random_changes(&mut rng, &mut model);
            let mut w = db.writer().unwrap();
            w.apply_patch(&changes).unwrap();
            w.commit().unwrap();
        }
        check_counts(&db);
        for (root, m) in &history[(n + 1).saturating_sub(KEEP) as usize..=n as usize] {
            check_state(&db, *root, m);
        }
        // A state well out of the window lost its root node (unless an
        // identical state is kept).
        if n > KEEP + 8 {
            let (old, _) = history[(n - KEEP - 8) as usize];
            let kept: Vec<H256> = history[(n + 1 - KEEP) as usize..]
                .iter()
                .map(|x| x.0)
                .collect();
            if !kept.contains(&old) && old != db.snapshot().unwrap().state_root().unwrap() {
                let err = db
                    .snapshot()
                    .unwrap()
                    .state_at(old)
                    .unwrap()
                    .account(&Address::zero())
                    .unwrap_err();
                assert!(
                    matches!(err, StateError::Trie(TrieError::MissingNode(h)) if h == old),
                    "{err}"
                );
            }
        }
    }

    // A rewind past the pruned history is refused and changes nothing.
    let mut w = db.writer().unwrap();
    let err = w.rewind_to(3, 0).unwrap_err();
    assert!(err.to_string().contains("--archive"), "{err}");
    drop(w);

    // A pin (a dev snapshot) holds pruning back: rewinding to it after
    // more blocks than the window works, and the counts stay exact.
    let head = db.snapshot().unwrap().head().unwrap().number;
    let patches = db.snapshot().unwrap().patches().unwrap();
    db.pin_history(Some((head, patches)));
    let pinned_root = db.snapshot().unwrap().state_root().unwrap();
    let pinned_model = model.clone();
    for n in head + 1..=head + 3 * KEEP {
        let changes = random_changes(&mut rng, &mut model);
        let (_, hash) = commit_block(&db, n, parent, &changes);
        parent = hash;
        check_counts(&db);
    }
    let mut w = db.writer().unwrap();
    w.rewind_to(head, patches).unwrap();
    w.commit().unwrap();
    db.pin_history(None);
    assert_eq!(db.snapshot().unwrap().state_root().unwrap(), pinned_root);
    check_state(&db, pinned_root, &pinned_model);
    check_counts(&db);

    // The pin released, the backlog drains a few rows per block, and the
    // database passes the start-up check at every step.
    let mut parent = db.snapshot().unwrap().head().unwrap().hash;
    let mut model = pinned_model;
    for n in head + 1..=head + 4 * KEEP {
        let changes = random_changes(&mut rng, &mut model);
        let (root, hash) = commit_block(&db, n, parent, &changes);
        parent = hash;
        check_counts(&db);
        check_state(&db, root, &model);
        db.check(genesis.hash(), &config(StateHistory::Recent(KEEP)))
            .unwrap();
    }
    let rows = db
        .snapshot()
        .unwrap()
        .txn
        .open_table(TRIE_JOURNAL)
        .unwrap()
        .len()
        .unwrap();
    assert!(rows <= KEEP + 1, "{rows} journal rows left");
    // `orac db inspect` sees the same rows.
    let sizes = db.snapshot().unwrap().table_sizes().unwrap();
    let journal = sizes.iter().find(|t| t.name == "trie_journal").unwrap();
    assert_eq!(journal.entries, rows);
    assert!(journal.stored_bytes > 0);
    assert_eq!(sizes.len(), 15);
}

#[test]
fn modes_are_fixed_at_creation() {
    let dir = tempfile::tempdir().unwrap();
    let genesis = genesis(&open(&dir, StateHistory::Archive));
    let db = open(&dir, StateHistory::Recent(8));
    let err = db.check(genesis.hash(), &DbConfig::default()).unwrap_err();
    assert!(err.to_string().contains("--archive"), "{err}");
    db.check(genesis.hash(), &config(StateHistory::Archive))
        .unwrap();
}

#[test]
fn an_archive_node_keeps_every_state() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, StateHistory::Archive);
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let genesis = genesis(&db);
    let mut model = Model::new();
    let mut history = vec![];
    let mut parent = genesis.hash();
    for n in 1..=30u64 {
        let changes = random_changes(&mut rng, &mut model);
        let (root, hash) = commit_block(&db, n, parent, &changes);
        parent = hash;
        history.push((root, model.clone()));
    }
    for (root, m) in &history {
        check_state(&db, *root, m);
    }
    assert_eq!(
        db.snapshot()
            .unwrap()
            .txn
            .open_table(TRIE_JOURNAL)
            .unwrap()
            .len()
            .unwrap(),
        0
    );
    let mut w = db.writer().unwrap();
    w.rewind_to(1, 0).unwrap();
    w.commit().unwrap();
    check_state(&db, history[0].0, &history[0].1);
}

/// One account changed in every block: each commit replaces the node the
/// one before added, so all but the oldest kept row's replaced node were
/// written within the window (what `orac db inspect` reports).
#[test]
fn journal_churn_counts_nodes_replaced_within_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, StateHistory::Recent(KEEP));
    let mut parent = genesis(&db).hash();
    for n in 1..=10u64 {
        let mut changes = StateChanges::default();
        let account = Account {
            balance: U256::from(n),
            ..Account::default()
        };
        changes
            .accounts
            .insert(Address::repeat_byte(1), Some(account));
        parent = commit_block(&db, n, parent, &changes).1;
    }
    let churn = db.snapshot().unwrap().journal_churn().unwrap();
    assert!(churn.rows >= 2, "{churn:?}");
    assert_eq!(churn.added, churn.rows, "{churn:?}");
    assert_eq!(churn.replaced, churn.rows, "{churn:?}");
    assert_eq!(churn.replaced_from_window, churn.rows - 1, "{churn:?}");

    let dir = tempfile::tempdir().unwrap();
    let archive = open(&dir, StateHistory::Archive);
    genesis(&archive);
    let churn = archive.snapshot().unwrap().journal_churn().unwrap();
    assert_eq!(churn, crate::JournalChurn::default());
}
