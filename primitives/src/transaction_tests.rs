//! Vectors: EIP-155's own example, geth's EIP-2930 encoding test, and two
//! mainnet transactions (hashes and senders as block explorers show them).

use super::*;
use crate::from_hex;

fn h256(s: &str) -> H256 {
    H256::from_slice(&from_hex(s).unwrap())
}
fn addr(s: &str) -> H160 {
    H160::from_slice(&from_hex(s).unwrap())
}

#[test]
fn eip155_example() {
    let tx = Transaction {
        tx_type: TxType::Legacy,
        chain_id: Some(1),
        nonce: 9,
        max_priority_fee_per_gas: U256::from(20_000_000_000u64),
        max_fee_per_gas: U256::from(20_000_000_000u64),
        gas_limit: 21_000,
        to: Some(addr("3535353535353535353535353535353535353535")),
        value: U256::from(10u64).pow(U256::from(18)),
        input: Bytes::new(),
        access_list: vec![],
    };
    assert_eq!(
        tx.signing_hash(),
        h256("daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53")
    );
    let key = PrivateKey::from_bytes(&[0x46; 32]).unwrap();
    let signed = tx.sign(&key);
    let expected = from_hex("f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83").unwrap();
    assert_eq!(signed.encoded(), &expected[..]);
    assert_eq!(signed.v(), 37);
    let decoded = SignedTransaction::decode(&expected).unwrap();
    assert_eq!(decoded, signed);
    assert_eq!(decoded.recover_sender().unwrap(), key.address());
}

#[test]
fn geth_eip2930_vector() {
    let raw = from_hex("01f8630103018261a894b94f5374fce5edbc8e2a8697c15331677e6ebf0b0a825544c001a0c9519f4f2b30335884581971573fadf60c6204f59a911df35ee8a540456b2660a032f1e8e2c5dd761f9e4f88f41c8310aeaba26a8bfcdacfedfa12ec3862d37521").unwrap();
    let tx = SignedTransaction::decode(&raw).unwrap();
    assert_eq!(tx.tx.tx_type, TxType::AccessList);
    assert_eq!(tx.tx.chain_id, Some(1));
    assert_eq!(tx.tx.nonce, 3);
    assert_eq!(tx.tx.gas_limit, 25_000);
    assert_eq!(tx.tx.value, U256::from(10));
    assert_eq!(tx.tx.input.0, vec![0x55, 0x44]);
    assert_eq!(
        tx.tx.signing_hash(),
        h256("49b486f0ec0a60dfbbca2d30cb07c9e8ffb2a2ff41f29a1ab6737475f6ff69f3")
    );
    // geth's vector carries fixed signature bytes; they must survive the
    // round trip untouched.
    assert_eq!(
        SignedTransaction::from_parts(tx.tx.clone(), tx.signature),
        tx
    );
}

#[test]
fn mainnet_eip1559_transaction() {
    let raw = from_hex("02f86f0102843b9aca0085029e7822d68298f094d9e1459a7a482635700cbc20bbaf52d495ab9c9680841b55ba3ac080a0c199674fcb29f353693dd779c017823b954b3c69dffa3cd6b2a6ff7888798039a028ca912de909e7e6cdef9cdcaf24c54dd8c1032946dfa1d85c206b32a9064fe8").unwrap();
    let tx = SignedTransaction::decode(&raw).unwrap();
    assert_eq!(tx.tx.tx_type, TxType::DynamicFee);
    assert_eq!(
        tx.hash(),
        h256("ce4dc6d7a7549a98ee3b071b67e970879ff51b5b95d1c340bacd80fa1e1aab31")
    );
    assert_eq!(
        tx.tx.to,
        Some(addr("d9e1459a7a482635700cbc20bbaf52d495ab9c96"))
    );
    assert_eq!(
        tx.recover_sender().unwrap(),
        addr("001e2b7de757ba469a57bf6b23d982458a07efce")
    );
    assert_eq!(tx.encoded(), &raw[..]);
}

#[test]
fn mainnet_legacy_transaction() {
    let raw = from_hex("f9015482078b8505d21dba0083022ef1947a250d5630b4cf539739df2c5dacb4c659f2488d880c46549a521b13d8b8e47ff36ab50000000000000000000000000000000000000000000066ab5a608bd00a23f2fe000000000000000000000000000000000000000000000000000000000000008000000000000000000000000048c04ed5691981c42154c6167398f95e8f38a7ff00000000000000000000000000000000000000000000000000000000632ceac70000000000000000000000000000000000000000000000000000000000000002000000000000000000000000c02aaa39b223fe8d0a0e5c4f27ead9083c756cc20000000000000000000000006c6ee5e31d828de241282b9606c8e98ea48526e225a0c9077369501641a92ef7399ff81c21639ed4fd8fc69cb793cfa1dbfab342e10aa0615facb2f1bcf3274a354cfe384a38d0cc008a11c2dd23a69111bc6930ba27a8").unwrap();
    let tx = SignedTransaction::decode(&raw).unwrap();
    assert_eq!(
        tx.hash(),
        h256("280cde7cdefe4b188750e76c888f13bd05ce9a4d7767730feefe8a0e50ca6fc4")
    );
    assert_eq!(tx.tx.chain_id, Some(1));
    assert_eq!(
        tx.recover_sender().unwrap(),
        addr("a12e1462d0ced572f396f58b6e2d03894cd7c8a4")
    );
}

#[test]
fn roundtrip_every_type_with_create_and_access_list() {
    let key = PrivateKey::from_bytes(&[7; 32]).unwrap();
    for tx_type in [TxType::Legacy, TxType::AccessList, TxType::DynamicFee] {
        for to in [None, Some(addr("00000000000000000000000000000000000000aa"))] {
            let tx = Transaction {
                tx_type,
                chain_id: Some(31337),
                nonce: 5,
                max_priority_fee_per_gas: U256::from(if tx_type == TxType::DynamicFee {
                    2
                } else {
                    9
                }),
                max_fee_per_gas: U256::from(9),
                gas_limit: 100_000,
                to,
                value: U256::from(1234),
                input: Bytes(vec![0, 1, 2, 0]),
                access_list: if tx_type == TxType::Legacy {
                    vec![]
                } else {
                    vec![AccessListItem {
                        address: addr("00000000000000000000000000000000000000bb"),
                        storage_keys: vec![H256::repeat_byte(1)],
                    }]
                },
            };
            let signed = tx.clone().sign(&key);
            let decoded = SignedTransaction::decode(signed.encoded()).unwrap();
            assert_eq!(decoded, signed);
            assert_eq!(decoded.recover_sender().unwrap(), key.address());
        }
    }
}

#[test]
fn malformed_inputs_are_rejected() {
    assert_eq!(SignedTransaction::decode(&[]), Err(TxError::TooShort));
    assert_eq!(
        SignedTransaction::decode(&[0x03, 0xc0]),
        Err(TxError::UnsupportedType)
    );
    assert!(matches!(
        SignedTransaction::decode(&[0x02, 0xc0]),
        Err(TxError::Rlp(_))
    ));
    assert!(matches!(
        SignedTransaction::decode(&[0xc3, 0x01]),
        Err(TxError::Rlp(_))
    ));
    assert!(matches!(
        SignedTransaction::decode(&[0x85, 1, 2, 3, 4, 5]),
        Err(TxError::Rlp(_))
    ));
    // Trailing garbage after a valid transaction.
    let key = PrivateKey::from_bytes(&[7; 32]).unwrap();
    let tx = Transaction {
        tx_type: TxType::DynamicFee,
        chain_id: Some(1),
        nonce: 0,
        max_priority_fee_per_gas: U256::one(),
        max_fee_per_gas: U256::one(),
        gas_limit: 21_000,
        to: Some(H160::zero()),
        value: U256::zero(),
        input: Bytes::new(),
        access_list: vec![],
    }
    .sign(&key);
    let mut raw = tx.encoded().to_vec();
    raw.push(0);
    assert!(matches!(
        SignedTransaction::decode(&raw),
        Err(TxError::Rlp(_))
    ));
    let big = vec![0xc0; MAX_TX_SIZE + 1];
    assert_eq!(
        SignedTransaction::decode(&big),
        Err(TxError::Oversized(MAX_TX_SIZE + 1))
    );
}

#[test]
fn intrinsic_gas_schedule() {
    let mut tx = Transaction {
        tx_type: TxType::DynamicFee,
        chain_id: Some(1),
        nonce: 0,
        max_priority_fee_per_gas: U256::zero(),
        max_fee_per_gas: U256::zero(),
        gas_limit: 0,
        to: Some(H160::zero()),
        value: U256::zero(),
        input: Bytes(vec![0, 0, 1]),
        access_list: vec![],
    };
    assert_eq!(tx.intrinsic_gas(), 21_000 + 4 + 4 + 16);
    tx.to = None;
    // Creation: +32,000, plus 2 per started 32-byte word of init code.
    assert_eq!(tx.intrinsic_gas(), 21_000 + 24 + 32_000 + 2);
    tx.access_list = vec![AccessListItem {
        address: H160::zero(),
        storage_keys: vec![H256::zero(), H256::zero()],
    }];
    assert_eq!(tx.intrinsic_gas(), 53_026 + 2_400 + 2 * 1_900);
}

#[test]
fn effective_price_is_capped_by_fee_cap() {
    let mut tx = Transaction {
        tx_type: TxType::DynamicFee,
        chain_id: Some(1),
        nonce: 0,
        max_priority_fee_per_gas: U256::from(2),
        max_fee_per_gas: U256::from(10),
        gas_limit: 21_000,
        to: None,
        value: U256::zero(),
        input: Bytes::new(),
        access_list: vec![],
    };
    assert_eq!(tx.effective_gas_price(U256::from(7)), U256::from(9));
    assert_eq!(tx.effective_gas_price(U256::from(9)), U256::from(10));
    assert_eq!(tx.effective_tip(U256::from(9)), U256::from(1));
    tx.tx_type = TxType::Legacy;
    assert_eq!(tx.effective_gas_price(U256::from(7)), U256::from(10));
}

/// Decode errors read as geth's ("rlp: …"), never as the rlp crate's enum
/// variant names.
#[test]
fn decode_errors_read_like_geths() {
    for bad in [
        &b"\xf8"[..],
        b"\x02\xc0",
        b"\xc2\x01",
        b"\x02\xf8\x05\x01",
        b"\xb8\x01\x01",
        b"\x02\xc3\x01\x02\x03",
    ] {
        let e = SignedTransaction::decode(bad).unwrap_err().to_string();
        assert!(!e.contains("Rlp"), "{e}");
        assert!(e.starts_with("rlp: ") || e.contains("transaction"), "{e}");
    }
}
