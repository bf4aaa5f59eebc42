//! Where the registry keeps things: its storage layout, one 32-byte word
//! per record where it fits, so a transmission reads and writes as few
//! slots as possible (docs/oracle.md, "Storage layout").
//!
//! Every slot key is `keccak256("orac.oracle" ‖ tag ‖ u64 ‖ extra)`: the
//! tag names the record, the u64 is the feed or request id, `extra` an
//! index or an address. Values are packed big-endian, left to right.

use orac_primitives::{H160, H256, U256, keccak256_concat};
use orac_vm::{SystemCall, SystemExit};

type R<T> = Result<T, SystemExit>;

#[derive(Clone, Copy)]
#[repr(u8)]
enum Tag {
    FeedCount = 0,
    Config = 1,
    Bounds = 2,
    Admin = 3,
    Digest = 4,
    SignerAt = 5,
    SignerVersion = 6,
    Description = 7,
    Latest = 8,
    Round = 9,
    Subs = 10,
    SubAt = 11,
    Sub = 12,
    Deposit = 13,
    RequestCount = 14,
    RequestOwner = 15,
    RequestTerms = 16,
    RequestFee = 17,
    RequestQuery = 18,
}

fn key(tag: Tag, id: u64, extra: &[u8]) -> H256 {
    keccak256_concat(&[b"orac.oracle", &[tag as u8], &id.to_be_bytes(), extra])
}

/// Packs fields big-endian from the left of a word.
#[derive(Default)]
struct Pack {
    word: [u8; 32],
    at: usize,
}

impl Pack {
    fn put(mut self, bytes: &[u8]) -> Self {
        self.word[self.at..self.at + bytes.len()].copy_from_slice(bytes);
        self.at += bytes.len();
        self
    }
    fn done(self) -> H256 {
        H256(self.word)
    }
}

struct Unpack<'a> {
    word: &'a [u8; 32],
    at: usize,
}

impl<'a> Unpack<'a> {
    fn new(word: &'a H256) -> Self {
        Self {
            word: &word.0,
            at: 0,
        }
    }
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        out.copy_from_slice(&self.word[self.at..self.at + N]);
        self.at += N;
        out
    }
    fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take())
    }
    fn u64(&mut self) -> u64 {
        u64::from_be_bytes(self.take())
    }
    fn i128(&mut self) -> i128 {
        i128::from_be_bytes(self.take())
    }
    fn u128(&mut self) -> u128 {
        u128::from_be_bytes(self.take())
    }
    fn address(&mut self) -> H160 {
        H160(self.take())
    }
}

fn address_word(a: H160) -> H256 {
    Pack::default().put(a.as_bytes()).done()
}

fn word_address(w: &H256) -> H160 {
    Unpack::new(w).address()
}

fn u64_word(v: u64) -> H256 {
    Pack::default().put(&v.to_be_bytes()).done()
}

fn word_u64(w: &H256) -> u64 {
    Unpack::new(w).u64()
}

/// The fields of a feed's configuration read on every transmission.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ConfigWord {
    pub(crate) decimals: u8,
    pub(crate) f: u8,
    /// Number of signers; zero means the feed does not exist.
    pub(crate) n: u8,
    pub(crate) version: u64,
    pub(crate) heartbeat: u64,
    pub(crate) deviation_ppb: u64,
}

/// The last stored round, and the last round number used (which moves
/// past an answer refused by the sanity bounds, so it cannot be replayed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Latest {
    pub(crate) round: u64,
    pub(crate) last_seen: u64,
    pub(crate) observed_at: u64,
}

/// A stored round: answer (int128), observation time, inclusion time
/// (56 bits: good until the year 2^56 s ≈ 2.3 billion, [`MAX_INCLUDED_AT`];
/// a transmission in a later block is refused), signer count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RoundWord {
    pub(crate) answer: i128,
    pub(crate) observed_at: u64,
    pub(crate) included_at: u64,
    pub(crate) signers: u8,
}

/// The latest inclusion time a round word holds (56 bits).
pub(crate) const MAX_INCLUDED_AT: u64 = (1 << 56) - 1;

impl RoundWord {
    fn pack(&self) -> H256 {
        Pack::default()
            .put(&self.answer.to_be_bytes())
            .put(&self.observed_at.to_be_bytes())
            .put(&self.included_at.to_be_bytes()[1..])
            .put(&[self.signers])
            .done()
    }

    fn unpack(w: &H256) -> Self {
        let mut u = Unpack::new(w);
        let answer = u.i128();
        let observed_at = u.u64();
        let mut at = [0u8; 8];
        at[1..].copy_from_slice(&u.take::<7>());
        Self {
            answer,
            observed_at,
            included_at: u64::from_be_bytes(at),
            signers: u.u8(),
        }
    }
}

/// A feed's subscriber list header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubsWord {
    /// Subscribers in the delivery list (parked ones are not).
    pub count: u32,
    /// Sum of the listed subscribers' callback gas limits.
    pub reserved_gas: u64,
    /// Set while a round is being delivered: subscriptions of the feed
    /// cannot change then (a callback could otherwise leave without
    /// paying for itself), and the feed takes no new round.
    pub delivering: bool,
}

/// One subscription.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SubWord {
    /// Gas each callback may use; zero means "not subscribed".
    pub(crate) callback_gas: u64,
    /// Place in the delivery list plus one; zero while parked (or not
    /// subscribed).
    pub(crate) slot: u32,
    /// Consecutive rounds it missed: callbacks that failed and rounds
    /// priced above its cap. A delivered callback resets it.
    pub(crate) misses: u8,
    /// The most it pays per gas; zero means no cap (subscriptions made
    /// with the two-argument `subscribe`, and all made before caps).
    pub(crate) max_gas_price: u128,
}

impl SubWord {
    pub(crate) fn subscribed(&self) -> bool {
        self.callback_gas != 0
    }

    /// Its gas price cap, if it has one.
    pub(crate) fn cap(&self) -> Option<U256> {
        (self.max_gas_price != 0).then(|| U256::from(self.max_gas_price))
    }

    fn pack(&self) -> H256 {
        Pack::default()
            .put(&self.callback_gas.to_be_bytes())
            .put(&self.slot.to_be_bytes())
            .put(&[self.misses])
            .put(&self.max_gas_price.to_be_bytes())
            .done()
    }

    fn unpack(w: &H256) -> Self {
        let mut u = Unpack::new(w);
        Self {
            callback_gas: u.u64(),
            slot: u.u32(),
            misses: u.u8(),
            max_gas_price: u.u128(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum RequestStatus {
    #[default]
    None = 0,
    Pending = 1,
    Fulfilled = 2,
    Cancelled = 3,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RequestTerms {
    pub(crate) feed: u64,
    pub(crate) callback_gas: u64,
    pub(crate) requested_at: u64,
    pub(crate) expires_at: u64,
}

/// Typed access to the registry's storage through a message's
/// [`SystemCall`] (which charges the host ABI's storage prices).
pub(crate) struct Store<'a> {
    pub(crate) call: &'a mut SystemCall,
}

impl Store<'_> {
    fn get(&mut self, tag: Tag, id: u64, extra: &[u8]) -> R<H256> {
        self.call.sload(key(tag, id, extra))
    }
    fn set(&mut self, tag: Tag, id: u64, extra: &[u8], value: H256) -> R<()> {
        self.call.sstore(key(tag, id, extra), value)
    }

    pub(crate) fn feed_count(&mut self) -> R<u64> {
        Ok(word_u64(&self.get(Tag::FeedCount, 0, &[])?))
    }
    pub(crate) fn set_feed_count(&mut self, n: u64) -> R<()> {
        self.set(Tag::FeedCount, 0, &[], u64_word(n))
    }

    pub(crate) fn config(&mut self, feed: u64) -> R<ConfigWord> {
        let w = self.get(Tag::Config, feed, &[])?;
        let mut u = Unpack::new(&w);
        Ok(ConfigWord {
            decimals: u.u8(),
            f: u.u8(),
            n: u.u8(),
            version: u.u64(),
            heartbeat: u.u64(),
            deviation_ppb: u.u64(),
        })
    }
    pub(crate) fn set_config(&mut self, feed: u64, c: &ConfigWord) -> R<()> {
        let w = Pack::default()
            .put(&[c.decimals, c.f, c.n])
            .put(&c.version.to_be_bytes())
            .put(&c.heartbeat.to_be_bytes())
            .put(&c.deviation_ppb.to_be_bytes())
            .done();
        self.set(Tag::Config, feed, &[], w)
    }

    pub(crate) fn bounds(&mut self, feed: u64) -> R<(i128, i128)> {
        let w = self.get(Tag::Bounds, feed, &[])?;
        let mut u = Unpack::new(&w);
        Ok((u.i128(), u.i128()))
    }
    pub(crate) fn set_bounds(&mut self, feed: u64, min: i128, max: i128) -> R<()> {
        let w = Pack::default()
            .put(&min.to_be_bytes())
            .put(&max.to_be_bytes())
            .done();
        self.set(Tag::Bounds, feed, &[], w)
    }

    pub(crate) fn admin(&mut self, feed: u64) -> R<H160> {
        Ok(word_address(&self.get(Tag::Admin, feed, &[])?))
    }
    pub(crate) fn set_admin(&mut self, feed: u64, admin: H160) -> R<()> {
        self.set(Tag::Admin, feed, &[], address_word(admin))
    }

    pub(crate) fn digest(&mut self, feed: u64) -> R<H256> {
        self.get(Tag::Digest, feed, &[])
    }
    pub(crate) fn set_digest(&mut self, feed: u64, digest: H256) -> R<()> {
        self.set(Tag::Digest, feed, &[], digest)
    }

    pub(crate) fn signer_at(&mut self, feed: u64, i: u8) -> R<H160> {
        Ok(word_address(&self.get(Tag::SignerAt, feed, &[i])?))
    }
    pub(crate) fn set_signer_at(&mut self, feed: u64, i: u8, signer: H160) -> R<()> {
        self.set(Tag::SignerAt, feed, &[i], address_word(signer))
    }

    /// The config version in which `signer` was last authorized: it signs
    /// for the feed only while that equals the feed's current version, so
    /// a reconfiguration needs no clean-up of removed signers.
    pub(crate) fn signer_version(&mut self, feed: u64, signer: H160) -> R<u64> {
        Ok(word_u64(&self.get(
            Tag::SignerVersion,
            feed,
            signer.as_bytes(),
        )?))
    }
    pub(crate) fn set_signer_version(&mut self, feed: u64, signer: H160, version: u64) -> R<()> {
        self.set(
            Tag::SignerVersion,
            feed,
            signer.as_bytes(),
            u64_word(version),
        )
    }

    /// A string: its length in word 0, then 32-byte chunks.
    pub(crate) fn description(&mut self, feed: u64) -> R<String> {
        // Only `set_description` writes the length, after the feed's
        // config passed its MAX_DESCRIPTION check; the cap keeps a read
        // bounded whatever the word says.
        let len = (word_u64(&self.get(Tag::Description, feed, &[])?) as usize)
            .min(super::MAX_DESCRIPTION);
        let mut bytes = Vec::with_capacity(len);
        for i in 1..=len.div_ceil(32) as u64 {
            let w = self.get(Tag::Description, feed, &i.to_be_bytes())?;
            bytes.extend_from_slice(&w.0);
        }
        bytes.truncate(len);
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
    pub(crate) fn set_description(&mut self, feed: u64, text: &str) -> R<()> {
        self.set(Tag::Description, feed, &[], u64_word(text.len() as u64))?;
        for (i, chunk) in (1u64..).zip(text.as_bytes().chunks(32)) {
            let w = Pack::default().put(chunk).done();
            self.set(Tag::Description, feed, &i.to_be_bytes(), w)?;
        }
        Ok(())
    }

    pub(crate) fn latest(&mut self, feed: u64) -> R<Latest> {
        let w = self.get(Tag::Latest, feed, &[])?;
        let mut u = Unpack::new(&w);
        Ok(Latest {
            round: u.u64(),
            last_seen: u.u64(),
            observed_at: u.u64(),
        })
    }
    pub(crate) fn set_latest(&mut self, feed: u64, l: &Latest) -> R<()> {
        let w = Pack::default()
            .put(&l.round.to_be_bytes())
            .put(&l.last_seen.to_be_bytes())
            .put(&l.observed_at.to_be_bytes())
            .done();
        self.set(Tag::Latest, feed, &[], w)
    }

    /// A round, or `None` if it was never stored.
    pub(crate) fn round(&mut self, feed: u64, round: u64) -> R<Option<RoundWord>> {
        let w = self.get(Tag::Round, feed, &round.to_be_bytes())?;
        Ok((!w.is_zero()).then(|| RoundWord::unpack(&w)))
    }
    pub(crate) fn set_round(&mut self, feed: u64, round: u64, r: &RoundWord) -> R<()> {
        self.set(Tag::Round, feed, &round.to_be_bytes(), r.pack())
    }

    pub(crate) fn subs(&mut self, feed: u64) -> R<SubsWord> {
        let w = self.get(Tag::Subs, feed, &[])?;
        let mut u = Unpack::new(&w);
        Ok(SubsWord {
            count: u.u32(),
            reserved_gas: u.u64(),
            delivering: u.u8() != 0,
        })
    }
    pub(crate) fn set_subs(&mut self, feed: u64, s: &SubsWord) -> R<()> {
        let w = Pack::default()
            .put(&s.count.to_be_bytes())
            .put(&s.reserved_gas.to_be_bytes())
            .put(&[s.delivering as u8])
            .done();
        self.set(Tag::Subs, feed, &[], w)
    }

    pub(crate) fn sub_at(&mut self, feed: u64, i: u32) -> R<H160> {
        Ok(word_address(&self.get(
            Tag::SubAt,
            feed,
            &i.to_be_bytes(),
        )?))
    }
    pub(crate) fn set_sub_at(&mut self, feed: u64, i: u32, who: H160) -> R<()> {
        self.set(Tag::SubAt, feed, &i.to_be_bytes(), address_word(who))
    }

    pub(crate) fn sub(&mut self, feed: u64, who: H160) -> R<SubWord> {
        let w = self.get(Tag::Sub, feed, who.as_bytes())?;
        Ok(SubWord::unpack(&w))
    }
    pub(crate) fn set_sub(&mut self, feed: u64, who: H160, s: &SubWord) -> R<()> {
        self.set(Tag::Sub, feed, who.as_bytes(), s.pack())
    }

    pub(crate) fn deposit(&mut self, feed: u64, who: H160) -> R<U256> {
        let w = self.get(Tag::Deposit, feed, who.as_bytes())?;
        Ok(U256::from_big_endian(w.as_bytes()))
    }
    pub(crate) fn set_deposit(&mut self, feed: u64, who: H160, amount: U256) -> R<()> {
        self.set(
            Tag::Deposit,
            feed,
            who.as_bytes(),
            H256(amount.to_big_endian()),
        )
    }

    pub(crate) fn request_count(&mut self) -> R<u64> {
        Ok(word_u64(&self.get(Tag::RequestCount, 0, &[])?))
    }
    pub(crate) fn set_request_count(&mut self, n: u64) -> R<()> {
        self.set(Tag::RequestCount, 0, &[], u64_word(n))
    }

    pub(crate) fn request_owner(&mut self, id: u64) -> R<(H160, RequestStatus)> {
        let w = self.get(Tag::RequestOwner, id, &[])?;
        let mut u = Unpack::new(&w);
        let owner = u.address();
        let status = match u.u8() {
            1 => RequestStatus::Pending,
            2 => RequestStatus::Fulfilled,
            3 => RequestStatus::Cancelled,
            _ => RequestStatus::None,
        };
        Ok((owner, status))
    }
    pub(crate) fn set_request_owner(
        &mut self,
        id: u64,
        owner: H160,
        status: RequestStatus,
    ) -> R<()> {
        let w = Pack::default()
            .put(owner.as_bytes())
            .put(&[status as u8])
            .done();
        self.set(Tag::RequestOwner, id, &[], w)
    }

    pub(crate) fn request_terms(&mut self, id: u64) -> R<RequestTerms> {
        let w = self.get(Tag::RequestTerms, id, &[])?;
        let mut u = Unpack::new(&w);
        Ok(RequestTerms {
            feed: u.u64(),
            callback_gas: u.u64(),
            requested_at: u.u64(),
            expires_at: u.u64(),
        })
    }
    pub(crate) fn set_request_terms(&mut self, id: u64, t: &RequestTerms) -> R<()> {
        let w = Pack::default()
            .put(&t.feed.to_be_bytes())
            .put(&t.callback_gas.to_be_bytes())
            .put(&t.requested_at.to_be_bytes())
            .put(&t.expires_at.to_be_bytes())
            .done();
        self.set(Tag::RequestTerms, id, &[], w)
    }

    pub(crate) fn request_fee(&mut self, id: u64) -> R<U256> {
        let w = self.get(Tag::RequestFee, id, &[])?;
        Ok(U256::from_big_endian(w.as_bytes()))
    }
    pub(crate) fn set_request_fee(&mut self, id: u64, fee: U256) -> R<()> {
        self.set(Tag::RequestFee, id, &[], H256(fee.to_big_endian()))
    }

    pub(crate) fn request_query(&mut self, id: u64) -> R<H256> {
        self.get(Tag::RequestQuery, id, &[])
    }
    pub(crate) fn set_request_query(&mut self, id: u64, q: H256) -> R<()> {
        self.set(Tag::RequestQuery, id, &[], q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_words_pack_and_unpack() {
        // A word written before misses and caps existed reads as no
        // misses and no cap.
        let legacy = Pack::default()
            .put(&150_000u64.to_be_bytes())
            .put(&3u32.to_be_bytes())
            .done();
        let sub = SubWord::unpack(&legacy);
        assert_eq!((sub.callback_gas, sub.slot, sub.misses), (150_000, 3, 0));
        assert_eq!(sub.cap(), None);
        assert!(sub.subscribed());
        let capped = SubWord {
            max_gas_price: u128::MAX,
            misses: 4,
            ..sub
        };
        assert_eq!(capped.cap(), Some(U256::from(u128::MAX)));
        assert_eq!(SubWord::unpack(&capped.pack()), capped);
        assert!(!SubWord::default().subscribed());
    }

    #[test]
    fn round_words_pack_and_unpack() {
        let r = RoundWord {
            answer: -123_456_789_012_345_678_901_234_567,
            observed_at: 1_800_000_000,
            included_at: (1 << 56) - 1,
            signers: 7,
        };
        assert_eq!(RoundWord::unpack(&r.pack()), r);
        assert_eq!(r.included_at, MAX_INCLUDED_AT);
        // A stored round is never the all-zero word, which means "absent".
        assert!(
            !RoundWord {
                signers: 3,
                ..Default::default()
            }
            .pack()
            .is_zero()
        );
    }
}
