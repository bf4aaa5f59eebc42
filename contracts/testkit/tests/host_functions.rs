//! Every host function of docs/host-abi.md, called through the SDK by a
//! contract on the real VM (`probe/`), against what the chain knows: the
//! message, the block (prevrandao included), gas, balances, storage (removal
//! included), hashing, signature recovery, logs, calls, static calls,
//! creation and reverts.

use orac_primitives::alloy::{ToAlloy, ToOrac};
use std::path::Path;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::{SolCall, sol};
use orac_primitives::{H160, PrivateKey};
use orac_testkit::{Artifact, TestChain};

sol! {
    interface IProbe {
        event Seen(bytes32 indexed topic, bytes data);
        function message() external payable returns (address, address, address, uint256, uint256, uint64);
        function blockEnv() external view returns (uint64, uint64, uint64, address, uint64, uint256, bytes32);
        function gas() external view returns (uint256, uint64);
        function balanceOf(address who) external view returns (uint256);
        function store(bytes32 key, bytes32 value) external;
        function load(bytes32 key) external view returns (bytes32);
        function remove(bytes32 key) external;
        function setAndClear(uint256 value) external returns (uint256);
        function hash(bytes data) external view returns (bytes32);
        function recover(bytes32 hash, uint8 v, bytes32 r, bytes32 s) external view returns (address);
        function log(bytes32 topic, bytes data) external;
        function deploy(bytes code, bytes32 salt) external returns (address, address);
        function relay(address to, bytes data) external payable returns (bytes);
        function peek(address to, bytes data) external view returns (bytes);
        function fail() external view;
    }
}

/// The probe, with a Cargo.lock from the SDK's part of the workspace's
/// (see `orac_testkit::build_standalone`).
fn probe() -> Artifact {
    orac_testkit::build_standalone(Path::new(env!("CARGO_MANIFEST_DIR")).join("probe"))
}

/// `(module (import "orac" "revert" (func (param i32 i32)))
///   (memory (export "memory") 1)
///   (func (export "call") i32.const 0 i32.const 0 call 0))`
const REVERTING_MODULE: &[u8] = &[
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
    // types: (i32, i32) -> (), () -> ()
    0x01, 0x09, 0x02, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x60, 0x00, 0x00,
    // import "orac" "revert" of type 0
    0x02, 0x0f, 0x01, 0x04, b'o', b'r', b'a', b'c', 0x06, b'r', b'e', b'v', b'e', b'r', b't', 0x00,
    0x00, //
    0x03, 0x02, 0x01, 0x01, // one function, of type 1
    0x05, 0x03, 0x01, 0x00, 0x01, // one memory of one page
    // exports: "memory" (memory 0), "call" (function 1)
    0x07, 0x11, 0x02, 0x06, b'm', b'e', b'm', b'o', b'r', b'y', 0x02, 0x00, 0x04, b'c', b'a', b'l',
    b'l', 0x00, 0x01, //
    // body: no locals; i32.const 0, i32.const 0, call 0, end
    0x0a, 0x0a, 0x01, 0x08, 0x00, 0x41, 0x00, 0x41, 0x00, 0x10, 0x00, 0x0b,
];

#[test]
fn every_host_function_through_the_sdk() {
    let artifact = probe();
    let mut chain = TestChain::new();
    chain.block.prev_randao = B256::repeat_byte(0x5a).to_orac();
    chain.block.coinbase = H160::repeat_byte(0xcb);
    chain.block.number = 42;
    let (alice, bob) = (chain.account(0), chain.account(1));
    let probe = chain.deploy(alice, &artifact, ()).address();

    // The message: direct, then relayed through the probe itself (call).
    let r = chain.call_with_value(alice, probe, U256::from(7), &IProbe::messageCall {});
    let m = r.decode::<IProbe::messageCall>();
    assert_eq!(
        (m._0, m._1, m._2, m._3, m._4, m._5),
        (alice, alice, probe, U256::from(7), U256::from(7), 4)
    );
    let inner = IProbe::messageCall {}.abi_encode();
    let r = chain.call_with_value(
        bob,
        probe,
        U256::from(5),
        &IProbe::relayCall {
            to: probe,
            data: inner.into(),
        },
    );
    let out = r.decode::<IProbe::relayCall>();
    let m = IProbe::messageCall::abi_decode_returns(&out).unwrap();
    assert_eq!(
        (m._0, m._1, m._2),
        (probe, bob, probe),
        "sender, origin, this"
    );
    assert_eq!((m._3, m._4), (U256::from(5), U256::from(12)));

    // The block.
    let b = chain.view(probe, &IProbe::blockEnvCall {}).unwrap();
    assert_eq!(
        (b._0, b._1, b._2, b._3, b._4),
        (
            42,
            chain.block.timestamp,
            chain.block.gas_limit,
            Address::repeat_byte(0xcb),
            31337
        )
    );
    assert_eq!(b._5, U256::from(1_000_000_000u64));
    assert_eq!(b._6, B256::repeat_byte(0x5a), "prevrandao");

    // Gas: the testkit pays 1 gwei over the 1 gwei base fee.
    let r = chain.call(alice, probe, &IProbe::gasCall {});
    let g = r.decode::<IProbe::gasCall>();
    assert_eq!(g._0, U256::from(2_000_000_000u64));
    assert!(g._1 > 9_000_000 && g._1 < 10_000_000, "gas left {}", g._1);

    // Balances of other accounts.
    let bob_balance = chain.balance(bob);
    assert_eq!(
        chain
            .view(probe, &IProbe::balanceOfCall { who: bob })
            .unwrap(),
        bob_balance
    );

    // Storage: write, read, remove; and a typed slot cleared.
    let (key, value) = (B256::repeat_byte(1), B256::repeat_byte(2));
    assert!(
        chain
            .call(alice, probe, &IProbe::storeCall { key, value })
            .success
    );
    assert_eq!(chain.storage(probe, key), value);
    assert_eq!(chain.view(probe, &IProbe::loadCall { key }).unwrap(), value);
    let r = chain.call(alice, probe, &IProbe::removeCall { key });
    assert!(r.success);
    assert_eq!(chain.storage(probe, key), B256::ZERO);
    assert_eq!(
        chain.view(probe, &IProbe::loadCall { key }).unwrap(),
        B256::ZERO
    );
    let r = chain.call(
        alice,
        probe,
        &IProbe::setAndClearCall {
            value: U256::from(9),
        },
    );
    assert_eq!(r.decode::<IProbe::setAndClearCall>(), U256::from(9));
    assert_eq!(chain.storage(probe, B256::ZERO), B256::ZERO);

    // keccak256 and ecrecover.
    let data = b"orac".to_vec();
    assert_eq!(
        chain
            .view(
                probe,
                &IProbe::hashCall {
                    data: data.clone().into()
                }
            )
            .unwrap(),
        keccak256(&data)
    );
    let digest = keccak256(b"signed");
    let signing = PrivateKey::from_bytes(&[0x42; 32]).unwrap();
    let sig = signing.sign_prehash(&digest.to_orac());
    let recover = |v: u8, s: B256| IProbe::recoverCall {
        hash: digest,
        v,
        r: B256::from(sig.r.to_big_endian()),
        s,
    };
    let s = B256::from(sig.s.to_big_endian());
    let signer = signing.address().to_alloy();
    let v = 27 + sig.y_parity as u8;
    assert_eq!(chain.view(probe, &recover(v, s)).unwrap(), signer);
    assert_eq!(
        chain.view(probe, &recover(v, B256::ZERO)).unwrap(),
        Address::ZERO,
        "an invalid signature recovers nobody"
    );

    // emit_log.
    let topic = B256::repeat_byte(0x70);
    let r = chain.call(
        alice,
        probe,
        &IProbe::logCall {
            topic,
            data: Bytes::from_static(b"hi"),
        },
    );
    let seen = r.events::<IProbe::Seen>();
    assert_eq!(
        (seen[0].topic, seen[0].data.to_vec()),
        (topic, b"hi".to_vec())
    );
    assert_eq!(r.logs[0].address, probe);

    // create and create2. The child is a minimal module whose `call`
    // reverts, so calling it tells its code from an empty account's (the
    // probe itself is too big to deploy twice in one transaction's gas).
    let code = orac_vm::envelope::wrap(REVERTING_MODULE);
    let salt = B256::repeat_byte(0x5a);
    let r = chain.call(
        alice,
        probe,
        &IProbe::deployCall {
            code: code.clone().into(),
            salt,
        },
    );
    let made = r.decode::<IProbe::deployCall>();
    let mut preimage = vec![0xff];
    preimage.extend_from_slice(probe.as_slice());
    preimage.extend_from_slice(salt.as_slice());
    preimage.extend_from_slice(keccak256(&code).as_slice());
    assert_eq!(made._1, Address::from_slice(&keccak256(&preimage)[12..]));
    assert!(made._0 != Address::ZERO && made._0 != made._1);
    for child in [made._0, made._1] {
        let r = chain.transact(alice, Some(child), U256::ZERO, vec![], 100_000);
        assert!(!r.success, "{child} has the module's code");
    }
    let nobody = Address::repeat_byte(0xee);
    assert!(
        chain
            .transact(alice, Some(nobody), U256::ZERO, vec![], 100_000)
            .success
    );

    // static_call: reads pass, writes are refused.
    let read = IProbe::loadCall { key }.abi_encode();
    let out = chain
        .view(
            probe,
            &IProbe::peekCall {
                to: probe,
                data: read.into(),
            },
        )
        .unwrap();
    assert_eq!(out.as_ref(), B256::ZERO.as_slice());
    let write = IProbe::storeCall { key, value }.abi_encode();
    let r = chain.call(
        alice,
        probe,
        &IProbe::peekCall {
            to: probe,
            data: write.into(),
        },
    );
    assert!(!r.success, "a static call cannot write");
    assert_eq!(chain.storage(probe, key), B256::ZERO);

    // revert.
    let r = chain.call(alice, probe, &IProbe::failCall {});
    assert!(!r.success);
    assert_eq!(r.revert_message().as_deref(), Some("no"));
}
