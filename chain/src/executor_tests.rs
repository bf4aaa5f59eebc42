use std::collections::HashMap;
use std::sync::Arc;

use orac_primitives::{Account, H256, PrivateKey, Transaction};
use orac_state::MemState;
use rand::{Rng, SeedableRng};

use super::*;
use crate::testing;

fn vm() -> Vm {
    Vm::new(&orac_vm::VmConfig::default()).unwrap()
}

fn env(base_fee: u64) -> BlockEnv {
    BlockEnv {
        number: 1,
        timestamp: 1,
        coinbase: Address::repeat_byte(0xcc),
        base_fee: U256::from(base_fee),
        gas_limit: 30_000_000,
        chain_id: 1,
        prev_randao: H256::zero(),
    }
}

/// A transfer on chain 1 with 30,000 gas and two bytes of calldata (one
/// zero, one not, so both calldata prices count). Legacy and EIP-2930
/// transactions have no tip of their own: they pay `cap`.
fn transfer(
    key: &PrivateKey,
    nonce: u64,
    tx_type: TxType,
    to: Address,
    value: u64,
    tip: u64,
    cap: u64,
) -> RecoveredTx {
    let tip = if tx_type == TxType::DynamicFee {
        tip
    } else {
        cap
    };
    testing::transfer(to, U256::from(value))
        .tx_type(tx_type)
        .chain_id(1)
        .nonce(nonce)
        .fees(U256::from(tip), U256::from(cap))
        .gas_limit(30_000)
        .input(vec![0, 1])
        .recovered(key)
}

fn key(seed: u8) -> PrivateKey {
    PrivateKey::from_bytes(&[seed; 32]).unwrap()
}

/// One sender, `key(1)`, with `nonce` and `balance` as the only account,
/// a recipient, a VM and a block at base fee 10.
fn one_sender(nonce: u64, balance: u64) -> (PrivateKey, Address, Overlay, Vm, BlockEnv) {
    let key = key(1);
    let account = Account {
        nonce,
        balance: U256::from(balance),
        ..Default::default()
    };
    let base = MemState::from(HashMap::from([(key.address(), account)]));
    let state = Overlay::new(Arc::new(base));
    (key, Address::repeat_byte(2), state, vm(), env(10))
}

/// The unsigned template the admission tests edit: a type-2 transfer of
/// nothing to the zero address, tip and cap 1.
fn template(key: &PrivateKey) -> Transaction {
    transfer(key, 0, TxType::DynamicFee, Address::zero(), 0, 1, 1)
        .tx
        .tx
}

/// [`check_static`] on chain 1 with a 30M block gas limit.
fn admit(t: Transaction, key: &PrivateKey) -> Result<(), InvalidTx> {
    check_static(&t.sign(key), 1, 30_000_000)
}

#[test]
fn gas_is_bought_refunded_paid_and_burned() {
    let (key, to, mut o, vm, e) = one_sender(0, 10_000_000);
    // Type 2: tip 3 under cap 50 → price 13.
    let out = execute_transaction(
        &mut o,
        &vm,
        &e,
        &transfer(&key, 0, TxType::DynamicFee, to, 1000, 3, 50),
    )
    .unwrap();
    assert!(out.success);
    let gas = 21_000 + 4 + 16;
    assert_eq!(out.gas_used, gas);
    assert_eq!(o.balance(&to).unwrap(), U256::from(1000));
    assert_eq!(o.balance(&e.coinbase).unwrap(), U256::from(3 * gas));
    assert_eq!(
        o.balance(&key.address()).unwrap(),
        U256::from(10_000_000 - 1000 - 13 * gas)
    );
    assert_eq!(o.nonce(&key.address()).unwrap(), 1);
}

#[test]
fn invalid_transactions_change_nothing() {
    let (key, to, mut o, vm, e) = one_sender(5, 1_000_000);
    let cases = [
        (
            transfer(&key, 4, TxType::DynamicFee, to, 1, 1, 20),
            "nonce too low",
        ),
        (
            transfer(&key, 6, TxType::DynamicFee, to, 1, 1, 20),
            "nonce too high",
        ),
        (
            transfer(&key, 5, TxType::DynamicFee, to, 1, 1, 9),
            "max fee per gas less than block base fee",
        ),
        (
            transfer(&key, 5, TxType::DynamicFee, to, 1, 30, 20),
            "max priority fee per gas higher",
        ),
        (
            transfer(&key, 5, TxType::Legacy, to, 1, 0, 100),
            "insufficient funds for gas * price + value",
        ),
    ];
    for (tx, msg) in cases {
        let err = execute_transaction(&mut o, &vm, &e, &tx).unwrap_err();
        assert!(err.to_string().contains(msg), "{err} vs {msg}");
    }
    assert!(o.into_changes().unwrap().is_empty());
}

/// Random blocks of random transfers of every type: the sum of all balances
/// plus the burned base fees never changes.
#[test]
fn balances_plus_burned_fees_are_conserved() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let keys: Vec<PrivateKey> = (1..=6u8).map(key).collect();
    let mut accounts: HashMap<Address, Account> = keys
        .iter()
        .map(|k| {
            (
                k.address(),
                Account {
                    balance: U256::from(rng.random_range(1_000_000..5_000_000u64)),
                    ..Default::default()
                },
            )
        })
        .collect();
    let total = |m: &HashMap<Address, Account>| m.values().fold(U256::zero(), |s, a| s + a.balance);
    let initial = total(&accounts);
    let mut burned = U256::zero();
    let vm = vm();
    let mut nonces = vec![0u64; keys.len()];
    for block in 0..20 {
        let base = MemState::from(accounts.clone());
        let mut o = Overlay::new(Arc::new(base));
        let e = env(rng.random_range(1..30));
        for _ in 0..15 {
            let i = rng.random_range(0..keys.len());
            let to = if rng.random_bool(0.2) {
                Address::repeat_byte(0xee)
            } else {
                keys[rng.random_range(0..keys.len())].address()
            };
            let tx_type =
                [TxType::Legacy, TxType::AccessList, TxType::DynamicFee][rng.random_range(0..3)];
            let tx = transfer(
                &keys[i],
                nonces[i],
                tx_type,
                to,
                rng.random_range(0..200_000),
                rng.random_range(0..10),
                rng.random_range(25..60),
            );
            match execute_transaction(&mut o, &vm, &e, &tx) {
                Ok(out) => {
                    nonces[i] += 1;
                    burned += e.base_fee * U256::from(out.gas_used);
                }
                Err(ExecError::Invalid(_)) => {}
                Err(other) => panic!("{other}"),
            }
        }
        let changes = o.into_changes().unwrap();
        for (a, acct) in changes.accounts {
            match acct {
                Some(acct) => {
                    accounts.insert(a, acct);
                }
                None => {
                    accounts.remove(&a);
                }
            }
        }
        assert_eq!(total(&accounts) + burned, initial, "block {block}");
    }
    assert!(!burned.is_zero());
}

/// ethereum/tests GASLIMIT_PRICE_PRODUCT_OVERFLOW: gas × maxFeePerGas +
/// value past 2^256-1 is refused, not saturated into a balance check.
#[test]
fn a_cost_past_256_bits_is_refused() {
    let key = key(7);
    let mut t = template(&key);
    let gas = U256::from(t.gas_limit);
    t.max_fee_per_gas = U256::MAX / gas + U256::one();
    t.max_priority_fee_per_gas = U256::one();
    assert_eq!(admit(t.clone(), &key), Err(InvalidTx::CostOverflow));
    t.max_fee_per_gas = U256::MAX / gas;
    admit(t, &key).unwrap();
}

/// A creation whose data is not a deploy envelope used to be mined with
/// status 0 and all its gas charged; it is refused at admission.
#[test]
fn a_creation_without_a_deploy_envelope_is_refused() {
    let key = key(7);
    let mut t = template(&key);
    t.to = None;
    t.gas_limit = 100_000;
    t.input = Bytes(vec![0x60, 0x80, 0x60, 0x40, 0x52]);
    let err = admit(t.clone(), &key).unwrap_err();
    assert!(err.to_string().contains("deploy envelope"), "{err}");
    t.input = Bytes(orac_vm::envelope::wrap(b"\0asm\x01\0\0\0"));
    admit(t, &key).unwrap();
}
