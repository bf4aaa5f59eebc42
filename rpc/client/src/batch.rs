//! JSON-RPC batches: many calls in one HTTP request, for load generators
//! and bookkeeping over many accounts.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::{Client, ClientError};

/// The method name a whole-batch failure is reported under.
const BATCH: &str = "batch";

/// A JSON-RPC error object, as one call of a batch answers it. Kept as the
/// node sent it: within a batch one call failing is an answer, not a
/// failure of the request.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct RpcErrorObject {
    /// The JSON-RPC error code (geth's 3 for a revert, -32000 for most
    /// rejections).
    pub code: i64,
    /// The node's message.
    pub message: String,
    /// Whatever the node attached (revert data, for instance).
    #[serde(default)]
    pub data: Option<Value>,
}

impl std::fmt::Display for RpcErrorObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// One answer of a batch: the call's result, or its error object.
pub type BatchAnswer = Result<Value, RpcErrorObject>;

/// A batch serialised once, so it can be sent without building JSON on the
/// sending path (a load generator signs and serialises everything before
/// its clock starts). The calls get ids `0..len`.
#[derive(Clone, Debug)]
pub struct Batch {
    body: String,
    len: usize,
}

impl Batch {
    /// The batch of `calls` (method, params), in this order.
    pub fn new<'a>(calls: impl IntoIterator<Item = (&'a str, Value)>) -> Self {
        let items: Vec<Value> = calls
            .into_iter()
            .enumerate()
            .map(|(id, (method, params))| {
                json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
            })
            .collect();
        Self {
            len: items.len(),
            body: Value::Array(items).to_string(),
        }
    }

    /// How many calls the batch carries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for a batch of no calls (which nodes reject: JSON-RPC forbids
    /// an empty batch).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Client {
    /// Sends `calls` (method, params) as one JSON-RPC batch; the answers
    /// come back in the order of `calls`, whatever order the node sent
    /// them in.
    ///
    /// A call that failed is an `Err` answer, not a [`ClientError`]: the
    /// request itself fails only when the node is unreachable, rejects the
    /// whole batch ([`ClientError::BatchRejected`]), or answers something
    /// that is not one answer per call.
    pub async fn batch(&self, calls: &[(&str, Value)]) -> Result<Vec<BatchAnswer>, ClientError> {
        self.send_batch(&Batch::new(calls.iter().map(|(m, p)| (*m, p.clone()))))
            .await
    }

    /// Sends a batch serialised beforehand; see [`Client::batch`].
    pub async fn send_batch(&self, batch: &Batch) -> Result<Vec<BatchAnswer>, ClientError> {
        let reply = self.post(BATCH, batch.body.clone()).await?;
        answers(reply, batch.len)
    }
}

/// The answers of a batch reply, by id.
fn answers(reply: Value, len: usize) -> Result<Vec<BatchAnswer>, ClientError> {
    let items = match reply {
        Value::Array(items) => items,
        // A node refusing the whole batch (too large, not parsable) answers
        // one error object instead of an array.
        Value::Object(ref o) if o.contains_key("error") => {
            let e = &o["error"];
            return Err(ClientError::BatchRejected {
                code: e.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: e
                    .get("message")
                    .and_then(Value::as_str)
                    .map_or_else(|| e.to_string(), str::to_string),
            });
        }
        other => return Err(ClientError::unexpected(BATCH, clip(&other))),
    };
    let mut out: Vec<Option<BatchAnswer>> = vec![None; len];
    for mut item in items {
        let slot = item
            .get("id")
            .and_then(Value::as_u64)
            .and_then(|id| usize::try_from(id).ok())
            .and_then(|id| out.get_mut(id))
            .filter(|slot| slot.is_none());
        let Some(slot) = slot else {
            return Err(ClientError::unexpected(
                BATCH,
                format!("an answer with an unknown or repeated id: {}", clip(&item)),
            ));
        };
        *slot = Some(match item.get_mut("error") {
            Some(e) => Err(serde_json::from_value(e.take()).map_err(|err| {
                ClientError::unexpected(BATCH, format!("a malformed error object ({err})"))
            })?),
            None => match item.get_mut("result") {
                Some(r) => Ok(r.take()),
                None => {
                    return Err(ClientError::unexpected(
                        BATCH,
                        format!("an answer with neither result nor error: {}", clip(&item)),
                    ));
                }
            },
        });
    }
    let missing = out.iter().filter(|a| a.is_none()).count();
    if missing > 0 {
        return Err(ClientError::unexpected(
            BATCH,
            format!("no answer for {missing} of the {len} calls"),
        ));
    }
    Ok(out.into_iter().flatten().collect())
}

/// `v` shortened for an error message: a hostile node's answer may be
/// megabytes.
fn clip(v: &Value) -> String {
    let mut s = v.to_string();
    if s.len() > 200 {
        let mut end = 200;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str("...");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_come_back_in_request_order() {
        let reply = json!([
            {"jsonrpc": "2.0", "id": 2, "result": "0x2"},
            {"jsonrpc": "2.0", "id": 0, "result": null},
            {"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "nonce too low"}},
        ]);
        let got = answers(reply, 3).expect("answers");
        assert_eq!(got[0], Ok(Value::Null));
        assert_eq!(
            got[1],
            Err(RpcErrorObject {
                code: -32000,
                message: "nonce too low".into(),
                data: None
            })
        );
        assert_eq!(got[2], Ok(json!("0x2")));
    }

    #[test]
    fn a_whole_batch_error_is_rejected() {
        let reply = json!({"jsonrpc": "2.0", "id": null,
            "error": {"code": -32600, "message": "batch too large"}});
        match answers(reply, 2) {
            Err(ClientError::BatchRejected { code, message }) => {
                assert_eq!(code, -32600);
                assert_eq!(message, "batch too large");
            }
            other => panic!("expected a rejected batch, got {other:?}"),
        }
    }

    #[test]
    fn missing_repeated_and_unknown_answers_are_errors() {
        let one = |id: Value| json!({"jsonrpc": "2.0", "id": id, "result": "0x1"});
        for reply in [
            json!([one(json!(0))]),
            json!([one(json!(0)), one(json!(0))]),
            json!([one(json!(0)), one(json!(7))]),
            json!([one(json!(0)), one(Value::Null)]),
            json!([one(json!(0)), {"jsonrpc": "2.0", "id": 1}]),
            json!("0x1"),
        ] {
            let got = answers(reply.clone(), 2);
            assert!(
                matches!(got, Err(ClientError::Unexpected { .. })),
                "{reply}: {got:?}"
            );
        }
    }
}
