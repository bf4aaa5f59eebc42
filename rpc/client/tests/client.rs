//! The client against a real node served in process: typed reads, a
//! wallet's transfer and deploy, and a revert decoded.

use std::sync::Arc;
use std::time::Duration;

use orac_chain::dev::{DEV_MNEMONIC, derive_keys};
use orac_chain::pool::PoolConfig;
use orac_chain::{Chain, ChainConfig, ChainRules, ChainSpec, MiningMode};
use orac_primitives::{Address, U256};
use orac_rpc::{Limits, RpcConfig};
use orac_rpc_client::{Batch, CallRequest, Client, ClientError, LogFilter, Wallet};
use serde_json::{Value, json};

/// A dev node on an ephemeral port; its URL.
async fn node(dir: &std::path::Path) -> (Arc<Chain>, String) {
    let keys = derive_keys(DEV_MNEMONIC, 10).expect("dev keys");
    let chain = Chain::open(ChainConfig {
        datadir: dir.to_path_buf(),
        spec: ChainSpec::dev(),
        rules: ChainRules::standard(),
        mining: MiningMode::Instant,
        pool: PoolConfig::default(),
        db: Default::default(),
        dev_keys: keys,
        code_cache_bytes: 1 << 26,
    })
    .expect("open chain");
    let (tx, rx) = tokio::sync::oneshot::channel();
    let served = chain.clone();
    tokio::spawn(async move {
        let config = RpcConfig {
            limits: Limits::default(),
            client_version: "orac/test".into(),
            dev_methods: true,
        };
        let _ = orac_rpc::serve(
            served,
            "127.0.0.1:0".parse().expect("addr"),
            config,
            move |addr| {
                let _ = tx.send(addr);
            },
            std::future::pending(),
        )
        .await;
    });
    let addr = rx.await.expect("bound");
    (chain, format!("http://{addr}"))
}

/// A module that reverts every call with `Error("nope")` and logs nothing.
fn reverter() -> Vec<u8> {
    let mut data = vec![0x08, 0xc3, 0x79, 0xa0];
    data.extend_from_slice(&[0u8; 31]);
    data.push(32);
    data.extend_from_slice(&[0u8; 31]);
    data.push(4);
    data.extend_from_slice(b"nope");
    data.resize(4 + 96, 0);
    let escaped: String = data.iter().map(|b| format!("\\{b:02x}")).collect();
    wat::parse_str(format!(
        r#"(module
          (import "orac" "revert" (func $revert (param i32 i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "{escaped}")
          (func (export "call") (call $revert (i32.const 0) (i32.const {len}))))"#,
        len = data.len()
    ))
    .expect("wat")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_sends_deploys_and_decodes_reverts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (chain, url) = node(dir.path()).await;
    let client = Client::new(&url).expect("client");
    assert_eq!(client.chain_id().await.expect("chain id"), 31337);
    assert_eq!(client.block_number().await.expect("number"), 0);
    let genesis = client.latest().await.expect("latest");
    assert_eq!(genesis.number, 0);

    let key = derive_keys(DEV_MNEMONIC, 1).expect("key").remove(0);
    let wallet = Wallet::connect(client.clone(), key).await.expect("wallet");
    let to = Address::repeat_byte(0x42);
    let wait = Duration::from_secs(10);
    let (hash, receipt) = wallet
        .send(Some(to), U256::from(1234), vec![], wait)
        .await
        .expect("transfer");
    assert!(receipt.success);
    assert_eq!(receipt.transaction_hash, hash);
    assert_eq!(receipt.gas_used, 21_000);
    assert_eq!(client.balance(to).await.expect("balance"), U256::from(1234));
    let block = client.block("0x1").await.expect("block").expect("exists");
    assert_eq!(block.number, receipt.block_number);
    assert_eq!(block.parent_hash, genesis.hash);
    assert!(client.block("0x99").await.expect("no block").is_none());

    // Two sends in a row: the wallet's own nonce keeps them apart.
    for _ in 0..2 {
        let (_, r) = wallet
            .send(Some(to), U256::one(), vec![], wait)
            .await
            .expect("send");
        assert!(r.success);
    }

    // A deploy; calls to it revert, and the reason is decoded.
    let creation = orac_vm::envelope::wrap(&reverter());
    let (_, deployed) = wallet
        .send(None, U256::zero(), creation, wait)
        .await
        .expect("deploy");
    let contract = deployed.contract_address.expect("created");
    assert!(!client.code(contract).await.expect("code").0.is_empty());
    let err = wallet.call(contract, &[1, 2, 3]).await.unwrap_err();
    match err {
        ClientError::Reverted { reason, data } => {
            assert_eq!(reason, "nope");
            assert_eq!(&data[..4], &[0x08, 0xc3, 0x79, 0xa0]);
        }
        other => panic!("expected a revert, got {other:?}"),
    }
    // A transaction that would revert is refused before it is sent.
    let refused = wallet
        .send(Some(contract), U256::zero(), vec![1], wait)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, ClientError::Reverted { .. }),
        "{refused:?}"
    );

    // Errors other than reverts keep their code.
    let e = client
        .estimate_gas(&CallRequest {
            from: Some(Address::repeat_byte(9)),
            to: Some(to),
            value: Some(U256::MAX),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Rpc { .. }), "{e:?}");
    let logs = client
        .logs(&LogFilter {
            from_block: 0,
            to_block: client.block_number().await.expect("number"),
            ..Default::default()
        })
        .await
        .expect("logs");
    assert!(logs.is_empty());
    // Nothing listens here: unreachable, not a panic.
    let gone = Client::with_timeout("http://127.0.0.1:9", Duration::from_secs(2)).expect("client");
    assert!(matches!(
        gone.chain_id().await,
        Err(ClientError::Unreachable { .. })
    ));
    chain.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_answer_in_request_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (chain, url) = node(dir.path()).await;
    let client = Client::new(&url).expect("client");
    let unfunded = Address::repeat_byte(0x42);
    let answers = client
        .batch(&[
            ("eth_chainId", json!([])),
            ("no_such_method", json!([])),
            ("eth_getBalance", json!([unfunded, "latest"])),
        ])
        .await
        .expect("batch");
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0], Ok(json!("0x7a69")));
    let failed = answers[1].as_ref().expect_err("an unknown method fails");
    assert_eq!(failed.code, -32601, "{failed:?}");
    assert_eq!(answers[2], Ok(json!("0x0")));

    // Over the node's batch limit (1000), and empty: one error object for
    // the whole batch, reported as such.
    for len in [1001, 0] {
        let batch = Batch::new((0..len).map(|_| ("eth_blockNumber", Value::Null)));
        assert_eq!(batch.len(), len);
        let e = client.send_batch(&batch).await.expect_err("rejected");
        assert!(matches!(e, ClientError::BatchRejected { .. }), "{e:?}");
    }
    chain.shutdown();
}
