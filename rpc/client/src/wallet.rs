//! Sending transactions from one key.

use std::time::Duration;

use orac_primitives::{Address, Bytes, H256, PrivateKey, Transaction, TxType, U256};
use tokio::sync::Mutex;

use crate::{CallRequest, Client, ClientError, Receipt};

/// Priority fee offered when the node will not suggest one: 1 gwei.
const DEFAULT_TIP: u64 = 1_000_000_000;

/// A key bound to a [`Client`]: signs EIP-1559 transactions for the node's
/// chain and keeps its own nonce, so several sends need not wait for each
/// other's receipts.
pub struct Wallet {
    client: Client,
    key: PrivateKey,
    chain_id: u64,
    /// The next nonce, once known; learnt again from the node after any
    /// failed send (the node may have restarted, or another process may
    /// use the key).
    nonce: Mutex<Option<u64>>,
}

impl Wallet {
    /// Binds `key` to `client`, learning the chain id.
    pub async fn connect(client: Client, key: PrivateKey) -> Result<Self, ClientError> {
        let chain_id = client.chain_id().await?;
        Ok(Self {
            client,
            key,
            chain_id,
            nonce: Mutex::new(None),
        })
    }

    /// The client the wallet sends through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The wallet's address.
    pub fn address(&self) -> Address {
        self.key.address()
    }

    /// The signing key.
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// The chain id transactions are signed for.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// `eth_call` from this wallet's address.
    pub async fn call(&self, to: Address, data: &[u8]) -> Result<Bytes, ClientError> {
        self.client
            .call(&CallRequest {
                from: Some(self.address()),
                to: Some(to),
                data: Bytes(data.to_vec()),
                ..Default::default()
            })
            .await
    }

    /// The gas price a transaction sent now pays: the latest base fee plus
    /// the tip [`Wallet::send`] offers.
    pub async fn gas_price(&self) -> Result<U256, ClientError> {
        let base_fee = self.client.latest().await?.base_fee_per_gas;
        Ok(base_fee.saturating_add(self.tip().await))
    }

    /// Sends a transaction (`to: None` creates a contract) and waits up to
    /// `wait` for its receipt. Gas is estimated first, so a transaction
    /// that would revert comes back as [`ClientError::Reverted`] before
    /// anything is spent; the limit then gets headroom (a callee may use
    /// more than it did in the estimate, and the 63/64 rule bites deeper
    /// when it does), within the block's gas limit.
    pub async fn send(
        &self,
        to: Option<Address>,
        value: U256,
        data: Vec<u8>,
        wait: Duration,
    ) -> Result<(H256, Receipt), ClientError> {
        let estimate = self
            .client
            .estimate_gas(&CallRequest {
                from: Some(self.address()),
                to,
                value: Some(value),
                data: Bytes(data.clone()),
                ..Default::default()
            })
            .await?;
        let head = self.client.latest().await?;
        let gas_limit = estimate
            .saturating_add(estimate / 4)
            .saturating_add(50_000)
            .min(head.gas_limit.max(estimate));
        let tip = self.tip().await;
        let mut slot = self.nonce.lock().await;
        let nonce = match *slot {
            Some(n) => n,
            None => self.client.pending_nonce(self.address()).await?,
        };
        let tx = Transaction {
            tx_type: TxType::DynamicFee,
            chain_id: Some(self.chain_id),
            nonce,
            max_priority_fee_per_gas: tip,
            max_fee_per_gas: head
                .base_fee_per_gas
                .saturating_mul(U256::from(2))
                .saturating_add(tip),
            gas_limit,
            to,
            value,
            input: Bytes(data),
            access_list: vec![],
        }
        .sign(&self.key);
        let hash = match self.client.send_raw(tx.encoded()).await {
            Ok(h) => h,
            Err(e) => {
                *slot = None;
                return Err(e);
            }
        };
        *slot = Some(nonce + 1);
        drop(slot);
        match self.client.wait_for_receipt(hash, wait).await {
            Ok(r) => Ok((hash, r)),
            Err(e) => {
                // Not mined in time: the nonce may be stuck; relearn it.
                *self.nonce.lock().await = None;
                Err(e)
            }
        }
    }

    /// The priority fee to offer: the node's suggestion, or 1 gwei.
    async fn tip(&self) -> U256 {
        self.client
            .max_priority_fee()
            .await
            .unwrap_or(U256::from(DEFAULT_TIP))
    }
}
