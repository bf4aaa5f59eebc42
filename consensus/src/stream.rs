//! Proposal parts: a proposed block cut into chunks for gossip, and the
//! reassembly of streams arriving from peers.
//!
//! Everything here is bounded: a stream may not announce more than
//! [`MAX_BLOCK_BYTES`], chunks beyond the announced length or sequence
//! numbers beyond what that length needs are refused, and at most
//! [`MAX_STREAMS`] incomplete streams are kept (the oldest is dropped).

use std::collections::{BTreeMap, HashMap, VecDeque};

use bytes::Bytes;
use malachitebft_app_channel::app::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_app_channel::app::types::PeerId;
use malachitebft_core_types::Round;

use crate::block::MAX_BLOCK_BYTES;
use crate::messages::ProposalPart;
use crate::types::{Address, Height};

/// Bytes of block per data part: well under gossipsub's message limit.
pub const CHUNK_BYTES: usize = 64 << 10;

/// Incomplete streams kept at once (across all peers).
pub const MAX_STREAMS: usize = 64;

/// The messages that stream `encoded` as the proposal for `height` and
/// `round`. The stream id is unique per proposer, height and round.
pub fn split(
    height: Height,
    round: Round,
    valid_round: Round,
    proposer: Address,
    encoded: &[u8],
) -> Vec<StreamMessage<ProposalPart>> {
    let mut id = Vec::with_capacity(16);
    id.extend_from_slice(&height.0.to_be_bytes());
    id.extend_from_slice(&round.as_i64().to_be_bytes());
    let id = StreamId::new(Bytes::from(id));
    let mut parts = vec![ProposalPart::Init {
        height,
        round,
        valid_round,
        proposer,
        total_len: encoded.len() as u32,
    }];
    parts.extend(
        encoded
            .chunks(CHUNK_BYTES)
            .map(|c| ProposalPart::Data(Bytes::copy_from_slice(c))),
    );
    parts.push(ProposalPart::Fin);
    let mut msgs: Vec<_> = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| StreamMessage::new(id.clone(), i as u64, StreamContent::Data(p)))
        .collect();
    let fin_seq = msgs.len() as u64;
    msgs.push(StreamMessage::new(id, fin_seq, StreamContent::Fin));
    msgs
}

/// A reassembled proposal: who says they propose what, and the block's
/// bytes (still to be decoded and checked).
#[derive(Clone, Debug)]
pub struct Assembled {
    /// From the Init part.
    pub height: Height,
    /// From the Init part.
    pub round: Round,
    /// From the Init part.
    pub valid_round: Round,
    /// From the Init part; consensus accepts the value only if it matches
    /// the proposer's signed proposal.
    pub proposer: Address,
    /// The encoded block.
    pub encoded: Vec<u8>,
}

#[derive(Default)]
struct Partial {
    parts: BTreeMap<u64, ProposalPart>,
    /// Sequence of the transport's end-of-stream message, once seen.
    end: Option<u64>,
    bytes: usize,
    limit: Option<usize>,
}

/// Why a stream was dropped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamError {
    /// Announced or sent more than [`MAX_BLOCK_BYTES`] or its own length.
    #[error("proposal stream too large")]
    TooLarge,
    /// Parts out of shape (no Init first, Data after Fin, ...).
    #[error("malformed proposal stream")]
    Malformed,
}

/// Streams being reassembled, by publisher and stream id (not by the
/// neighbour that relayed each part: gossip can bring the parts of one
/// stream through different peers).
#[derive(Default)]
pub struct Streams {
    partial: HashMap<(PeerId, StreamId), Partial>,
    order: VecDeque<(PeerId, StreamId)>,
}

impl Streams {
    /// Adds a message; returns the proposal once its stream is complete.
    pub fn insert(
        &mut self,
        from: PeerId,
        msg: StreamMessage<ProposalPart>,
    ) -> Result<Option<Assembled>, StreamError> {
        let key = (from, msg.stream_id.clone());
        if !self.partial.contains_key(&key) {
            if self.order.len() >= MAX_STREAMS
                && let Some(old) = self.order.pop_front()
            {
                self.partial.remove(&old);
            }
            self.order.push_back(key.clone());
        }
        let result = self.add(&key, msg);
        match result {
            Ok(None) => {}
            Ok(Some(_)) | Err(_) => self.forget(&key),
        }
        result
    }

    fn forget(&mut self, key: &(PeerId, StreamId)) {
        self.partial.remove(key);
        self.order.retain(|k| k != key);
    }

    fn add(
        &mut self,
        key: &(PeerId, StreamId),
        msg: StreamMessage<ProposalPart>,
    ) -> Result<Option<Assembled>, StreamError> {
        let p = self.partial.entry(key.clone()).or_default();
        // Init + data parts + Fin part + the transport's end.
        let max_seq = (MAX_BLOCK_BYTES / CHUNK_BYTES + 3) as u64;
        if msg.sequence > max_seq {
            return Err(StreamError::TooLarge);
        }
        match msg.content {
            StreamContent::Fin => p.end = Some(msg.sequence),
            StreamContent::Data(part) => {
                match &part {
                    ProposalPart::Init { total_len, .. } => {
                        let len = *total_len as usize;
                        if msg.sequence != 0 {
                            return Err(StreamError::Malformed);
                        }
                        if len > MAX_BLOCK_BYTES || p.bytes > len {
                            return Err(StreamError::TooLarge);
                        }
                        p.limit = Some(len);
                    }
                    ProposalPart::Data(chunk) => {
                        p.bytes += chunk.len();
                        if p.bytes > p.limit.unwrap_or(MAX_BLOCK_BYTES) {
                            return Err(StreamError::TooLarge);
                        }
                    }
                    ProposalPart::Fin => {}
                }
                p.parts.insert(msg.sequence, part);
            }
        }
        let Some(end) = p.end else { return Ok(None) };
        if p.parts.len() as u64 != end {
            return Ok(None);
        }
        // Every sequence number below `end` is here: check the shape.
        let mut parts = std::mem::take(&mut p.parts).into_values();
        let Some(ProposalPart::Init {
            height,
            round,
            valid_round,
            proposer,
            total_len,
        }) = parts.next()
        else {
            return Err(StreamError::Malformed);
        };
        let mut encoded = Vec::with_capacity(total_len as usize);
        let mut finished = false;
        for part in parts {
            match part {
                ProposalPart::Data(chunk) if !finished => encoded.extend_from_slice(&chunk),
                ProposalPart::Fin if !finished => finished = true,
                _ => return Err(StreamError::Malformed),
            }
        }
        if !finished || encoded.len() != total_len as usize {
            return Err(StreamError::Malformed);
        }
        Ok(Some(Assembled {
            height,
            round,
            valid_round,
            proposer,
            encoded,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> PeerId {
        // An identity multihash (code 0, 32 bytes).
        let mut bytes = vec![0x00, 0x20];
        bytes.extend_from_slice(&[7; 32]);
        PeerId::from_bytes(&bytes).expect("a valid multihash")
    }

    fn sample(len: usize) -> (Vec<u8>, Vec<StreamMessage<ProposalPart>>) {
        let block: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let msgs = split(
            Height(7),
            Round::new(1),
            Round::Nil,
            Address([9; 20]),
            &block,
        );
        (block, msgs)
    }

    #[test]
    fn reassembles_in_any_order() {
        let (block, mut msgs) = sample(3 * CHUNK_BYTES + 17);
        msgs.reverse();
        let mut streams = Streams::default();
        let from = peer();
        let n = msgs.len();
        for (i, m) in msgs.into_iter().enumerate() {
            let out = streams.insert(from, m).expect("well formed");
            assert_eq!(out.is_some(), i == n - 1);
            if let Some(a) = out {
                assert_eq!(a.encoded, block);
                assert_eq!(a.height, Height(7));
            }
        }
    }

    #[test]
    fn refuses_a_stream_longer_than_announced() {
        let (_, mut msgs) = sample(10);
        msgs.insert(
            2,
            StreamMessage::new(
                msgs[0].stream_id.clone(),
                2,
                StreamContent::Data(ProposalPart::Data(Bytes::from(vec![0; 100]))),
            ),
        );
        let mut streams = Streams::default();
        let from = peer();
        let errors: Vec<_> = msgs
            .into_iter()
            .filter_map(|m| streams.insert(from, m).err())
            .collect();
        assert_eq!(errors.first(), Some(&StreamError::TooLarge));
    }

    #[test]
    fn refuses_an_announced_length_over_the_limit() {
        let mut streams = Streams::default();
        let init = ProposalPart::Init {
            height: Height(1),
            round: Round::new(0),
            valid_round: Round::Nil,
            proposer: Address([0; 20]),
            total_len: (MAX_BLOCK_BYTES + 1) as u32,
        };
        let msg = StreamMessage::new(StreamId::new(Bytes::new()), 0, StreamContent::Data(init));
        assert_eq!(
            streams.insert(peer(), msg).err(),
            Some(StreamError::TooLarge)
        );
    }

    #[test]
    fn keeps_a_bounded_number_of_streams() {
        let mut streams = Streams::default();
        let from = peer();
        for i in 0..(MAX_STREAMS as u64 * 3) {
            let msg = StreamMessage::new(
                StreamId::new(Bytes::from(i.to_be_bytes().to_vec())),
                1,
                StreamContent::Data(ProposalPart::Data(Bytes::from_static(b"x"))),
            );
            assert!(streams.insert(from, msg).expect("fine").is_none());
        }
        assert_eq!(streams.partial.len(), MAX_STREAMS);
    }
}
