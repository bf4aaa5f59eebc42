use std::collections::{BTreeMap, HashMap};

use keccak_hasher::KeccakHasher;
use rand::{Rng, SeedableRng};

use super::*;

/// Reference root from parity's `triehash`, computed from scratch.
fn reference_root(map: &BTreeMap<Vec<u8>, Vec<u8>>) -> H256 {
    let r = triehash::trie_root::<KeccakHasher, _, _, _>(map.iter());
    H256::from_slice(r.as_ref())
}

/// A store holding a trie built from scratch with the keys keccak(i), i
/// in `0..n`, each set to `value`: the store, its root and how many nodes
/// the commit wrote.
fn committed(n: u32, value: &[u8]) -> (HashMap<H256, Vec<u8>>, H256, usize) {
    let mut trie = Trie::new(&EmptyStore, EMPTY_ROOT);
    for i in 0..n {
        trie.insert(keccak256(i.to_be_bytes()).as_bytes(), value.to_vec())
            .unwrap();
    }
    let (root, nodes) = trie.commit();
    let written = nodes.len();
    (nodes.into_iter().collect(), root, written)
}

#[test]
fn ethereum_trietest_vector() {
    // ethereum/tests TrieTests "puppy": do, horse, doge, dog.
    let store = EmptyStore;
    let mut trie = Trie::new(&store, EMPTY_ROOT);
    for (k, v) in [
        ("do", "verb"),
        ("horse", "stallion"),
        ("doge", "coin"),
        ("dog", "puppy"),
    ] {
        trie.insert(k.as_bytes(), v.as_bytes().to_vec()).unwrap();
    }
    let (root, _) = trie.commit();
    assert_eq!(
        format!("{root:?}"),
        "0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84"
    );
}

#[test]
fn empty_trie_root() {
    let store = EmptyStore;
    let mut trie = Trie::new(&store, EMPTY_ROOT);
    assert_eq!(trie.commit().0, EMPTY_ROOT);
    assert_eq!(ordered_trie_root(Vec::<Vec<u8>>::new()), EMPTY_ROOT);
}

/// Random inserts, updates and removals across several commits, each root
/// checked against triehash and every key read back through the store.
#[test]
fn incremental_matches_reference() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut store: HashMap<H256, Vec<u8>> = HashMap::new();
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut root = EMPTY_ROOT;
    for round in 0..60 {
        let mut trie = Trie::new(&store, root);
        for _ in 0..rng.random_range(1..40) {
            // Short keys from a small alphabet force shared prefixes,
            // extensions and values in branches.
            let len = rng.random_range(0..if round % 2 == 0 { 4 } else { 33 });
            let key: Vec<u8> = (0..len).map(|_| rng.random_range(0..4u8) * 0x11).collect();
            if rng.random_bool(0.3) {
                trie.remove(&key).unwrap();
                model.remove(&key);
            } else {
                let vlen = rng.random_range(1..70);
                let value: Vec<u8> = (0..vlen).map(|_| rng.random()).collect();
                trie.insert(&key, value.clone()).unwrap();
                model.insert(key, value);
            }
        }
        let (new_root, nodes) = trie.commit();
        assert_eq!(new_root, reference_root(&model), "round {round}");
        store.extend(nodes);
        root = new_root;
        let trie = Trie::new(&store, root);
        for (k, v) in &model {
            assert_eq!(trie.get(k).unwrap().as_ref(), Some(v));
        }
        assert_eq!(trie.get(b"not-a-key-in-the-alphabet").unwrap(), None);
    }
}

#[test]
fn removing_everything_gives_the_empty_root() {
    let (store, root, _) = committed(200, &[1; 40]);
    let keys: Vec<Vec<u8>> = (0..200u32)
        .map(|i| keccak256(i.to_be_bytes()).0.to_vec())
        .collect();
    let mut trie = Trie::new(&store, root);
    for k in &keys {
        assert!(trie.remove(k).unwrap());
    }
    assert!(!trie.remove(&keys[0]).unwrap());
    assert_eq!(trie.commit().0, EMPTY_ROOT);
}

/// An update touching one key writes only the nodes on its path.
#[test]
fn commit_writes_only_the_touched_path() {
    let (store, root, written) = committed(10_000, &[7; 70]);
    assert!(written > 10_000);
    let mut trie = Trie::new(&store, root);
    trie.insert(keccak256(5u32.to_be_bytes()).as_bytes(), vec![8; 70])
        .unwrap();
    let (_, nodes) = trie.commit();
    assert!(nodes.len() <= 6, "wrote {} nodes", nodes.len());
}

#[test]
fn ordered_root_matches_reference() {
    let values: Vec<Vec<u8>> = (0..300u32)
        .map(|i| vec![i as u8; (i % 50 + 1) as usize])
        .collect();
    let expected = triehash::ordered_trie_root::<KeccakHasher, _>(values.iter());
    assert_eq!(
        ordered_trie_root(&values),
        H256::from_slice(expected.as_ref())
    );
}

#[test]
fn proofs_walk_to_the_key() {
    let (store, root, _) = committed(500, &[3; 40]);
    let trie = Trie::new(&store, root);
    let proof = trie
        .proof(keccak256(7u32.to_be_bytes()).as_bytes())
        .unwrap();
    assert_eq!(keccak256(&proof[0]), root);
    for pair in proof.windows(2) {
        // Each node references the next by hash.
        let h = keccak256(&pair[1]);
        assert!(pair[0].windows(32).any(|w| w == h.as_bytes()));
    }
    assert!(proof.len() >= 2);
}

/// A reference-counting store driven by what commits report: add the new
/// nodes, release the replaced ones, delete at zero. After every round the
/// store must hold exactly the nodes of the current trie, each counted
/// once per position (the keys are short and from a small alphabet, so
/// identical nodes at several positions and inline nodes both occur).
#[test]
fn replaced_nodes_keep_a_counting_store_exact() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut store: HashMap<H256, (Vec<u8>, i64)> = HashMap::new();
    struct View<'a>(&'a HashMap<H256, (Vec<u8>, i64)>);
    impl NodeStore for View<'_> {
        fn node(&self, hash: &H256) -> Result<Option<Vec<u8>>, TrieError> {
            Ok(self.0.get(hash).map(|(raw, _)| raw.clone()))
        }
    }
    let mut root = EMPTY_ROOT;
    for round in 0..300 {
        let (new_root, nodes, replaced) = {
            let view = View(&store);
            let mut trie = Trie::new(&view, root);
            for _ in 0..rng.random_range(1..30) {
                let len = rng.random_range(1..6);
                let key: Vec<u8> = (0..len).map(|_| rng.random_range(0..3u8) * 0x11).collect();
                if rng.random_bool(0.35) {
                    trie.remove(&key).unwrap();
                } else {
                    // Few distinct values, some long enough to hash.
                    let value = vec![rng.random_range(1..4u8); [1, 40][rng.random_range(0..2)]];
                    trie.insert(&key, value).unwrap();
                }
            }
            let (r, nodes) = trie.commit();
            (r, nodes, trie.take_replaced())
        };
        for (h, raw) in nodes {
            store.entry(h).or_insert((raw, 0)).1 += 1;
        }
        for h in replaced {
            let e = store.get_mut(&h).expect("a replaced node was stored");
            e.1 -= 1;
            if e.1 == 0 {
                store.remove(&h);
            }
        }
        root = new_root;
        let mut expected: HashMap<H256, i64> = HashMap::new();
        for h in Trie::new(&View(&store), root).stored_nodes().unwrap() {
            *expected.entry(h).or_default() += 1;
        }
        let counts: HashMap<H256, i64> = store.iter().map(|(h, (_, c))| (*h, *c)).collect();
        assert_eq!(counts, expected, "round {round}");
    }
}
