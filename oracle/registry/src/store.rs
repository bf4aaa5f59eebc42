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
    fn field<T: Field>(self, value: T) -> Self {
        value.put(self)
    }
    fn done(self) -> H256 {
        H256(self.word)
    }
}

/// Reads fields back in the order [`Pack`] wrote them.
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
    fn field<T: Field>(&mut self) -> T {
        T::take(self)
    }
}

/// A fixed-size value in a packed word, as its big-endian bytes.
trait Field: Sized {
    fn put(self, p: Pack) -> Pack;
    fn take(u: &mut Unpack<'_>) -> Self;
}

macro_rules! int_fields {
    ($($t:ty),*) => {$(
        impl Field for $t {
            fn put(self, p: Pack) -> Pack {
                p.put(&self.to_be_bytes())
            }
            fn take(u: &mut Unpack<'_>) -> Self {
                Self::from_be_bytes(u.take())
            }
        }
    )*};
}

int_fields!(u8, u32, u64, i128, u128);

impl Field for bool {
    fn put(self, p: Pack) -> Pack {
        p.field(self as u8)
    }
    fn take(u: &mut Unpack<'_>) -> Self {
        u.field::<u8>() != 0
    }
}

impl Field for H160 {
    fn put(self, p: Pack) -> Pack {
        p.put(self.as_bytes())
    }
    fn take(u: &mut Unpack<'_>) -> Self {
        H160(u.take())
    }
}

impl Field for U256 {
    fn put(self, p: Pack) -> Pack {
        p.put(&self.to_big_endian())
    }
    fn take(u: &mut Unpack<'_>) -> Self {
        U256::from_big_endian(&u.take::<32>())
    }
}

/// A record stored in one word.
trait Word: Sized {
    fn pack(&self) -> H256;
    fn unpack(w: &H256) -> Self;
}

/// A single field is a word of its own, left-aligned.
impl<T: Field + Copy> Word for T {
    fn pack(&self) -> H256 {
        Pack::default().field(*self).done()
    }
    fn unpack(w: &H256) -> Self {
        Unpack::new(w).field()
    }
}

impl<A: Field + Copy, B: Field + Copy> Word for (A, B) {
    fn pack(&self) -> H256 {
        Pack::default().field(self.0).field(self.1).done()
    }
    fn unpack(w: &H256) -> Self {
        let mut u = Unpack::new(w);
        (u.field(), u.field())
    }
}

/// Implements [`Word`] for a struct whose fields are packed in the order
/// listed: the one place a record's layout is written down, for both
/// directions.
macro_rules! packed_word {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl Word for $ty {
            fn pack(&self) -> H256 {
                Pack::default()$(.field(self.$field))*.done()
            }
            fn unpack(w: &H256) -> Self {
                let mut u = Unpack::new(w);
                Self { $($field: u.field()),* }
            }
        }
    };
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

impl Word for RoundWord {
    fn pack(&self) -> H256 {
        Pack::default()
            .field(self.answer)
            .field(self.observed_at)
            .put(&self.included_at.to_be_bytes()[1..])
            .field(self.signers)
            .done()
    }

    fn unpack(w: &H256) -> Self {
        let mut u = Unpack::new(w);
        let answer = u.field();
        let observed_at = u.field();
        let mut at = [0u8; 8];
        at[1..].copy_from_slice(&u.take::<7>());
        Self {
            answer,
            observed_at,
            included_at: u64::from_be_bytes(at),
            signers: u.field(),
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
}

packed_word!(ConfigWord {
    decimals,
    f,
    n,
    version,
    heartbeat,
    deviation_ppb,
});
packed_word!(Latest {
    round,
    last_seen,
    observed_at,
});
packed_word!(SubsWord {
    count,
    reserved_gas,
    delivering,
});
packed_word!(SubWord {
    callback_gas,
    slot,
    misses,
    max_gas_price,
});
packed_word!(RequestTerms {
    feed,
    callback_gas,
    requested_at,
    expires_at,
});

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum RequestStatus {
    #[default]
    None = 0,
    Pending = 1,
    Fulfilled = 2,
    Cancelled = 3,
}

impl Field for RequestStatus {
    fn put(self, p: Pack) -> Pack {
        p.field(self as u8)
    }
    fn take(u: &mut Unpack<'_>) -> Self {
        match u.field::<u8>() {
            1 => RequestStatus::Pending,
            2 => RequestStatus::Fulfilled,
            3 => RequestStatus::Cancelled,
            _ => RequestStatus::None,
        }
    }
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
    fn read<T: Word>(&mut self, tag: Tag, id: u64, extra: &[u8]) -> R<T> {
        Ok(T::unpack(&self.get(tag, id, extra)?))
    }
    fn write<T: Word>(&mut self, tag: Tag, id: u64, extra: &[u8], value: &T) -> R<()> {
        self.set(tag, id, extra, value.pack())
    }

    pub(crate) fn feed_count(&mut self) -> R<u64> {
        self.read(Tag::FeedCount, 0, &[])
    }
    pub(crate) fn set_feed_count(&mut self, n: u64) -> R<()> {
        self.write(Tag::FeedCount, 0, &[], &n)
    }

    pub(crate) fn config(&mut self, feed: u64) -> R<ConfigWord> {
        self.read(Tag::Config, feed, &[])
    }
    pub(crate) fn set_config(&mut self, feed: u64, c: &ConfigWord) -> R<()> {
        self.write(Tag::Config, feed, &[], c)
    }

    pub(crate) fn bounds(&mut self, feed: u64) -> R<(i128, i128)> {
        self.read(Tag::Bounds, feed, &[])
    }
    pub(crate) fn set_bounds(&mut self, feed: u64, min: i128, max: i128) -> R<()> {
        self.write(Tag::Bounds, feed, &[], &(min, max))
    }

    pub(crate) fn admin(&mut self, feed: u64) -> R<H160> {
        self.read(Tag::Admin, feed, &[])
    }
    pub(crate) fn set_admin(&mut self, feed: u64, admin: H160) -> R<()> {
        self.write(Tag::Admin, feed, &[], &admin)
    }

    pub(crate) fn digest(&mut self, feed: u64) -> R<H256> {
        self.get(Tag::Digest, feed, &[])
    }
    pub(crate) fn set_digest(&mut self, feed: u64, digest: H256) -> R<()> {
        self.set(Tag::Digest, feed, &[], digest)
    }

    pub(crate) fn signer_at(&mut self, feed: u64, i: u8) -> R<H160> {
        self.read(Tag::SignerAt, feed, &[i])
    }
    pub(crate) fn set_signer_at(&mut self, feed: u64, i: u8, signer: H160) -> R<()> {
        self.write(Tag::SignerAt, feed, &[i], &signer)
    }

    /// The config version in which `signer` was last authorized: it signs
    /// for the feed only while that equals the feed's current version, so
    /// a reconfiguration needs no clean-up of removed signers.
    pub(crate) fn signer_version(&mut self, feed: u64, signer: H160) -> R<u64> {
        self.read(Tag::SignerVersion, feed, signer.as_bytes())
    }
    pub(crate) fn set_signer_version(&mut self, feed: u64, signer: H160, version: u64) -> R<()> {
        self.write(Tag::SignerVersion, feed, signer.as_bytes(), &version)
    }

    /// A string: its length in word 0, then 32-byte chunks.
    pub(crate) fn description(&mut self, feed: u64) -> R<String> {
        // Only `set_description` writes the length, after the feed's
        // config passed its MAX_DESCRIPTION check; the cap keeps a read
        // bounded whatever the word says.
        let len =
            (self.read::<u64>(Tag::Description, feed, &[])? as usize).min(super::MAX_DESCRIPTION);
        let mut bytes = Vec::with_capacity(len);
        for i in 1..=len.div_ceil(32) as u64 {
            let w = self.get(Tag::Description, feed, &i.to_be_bytes())?;
            bytes.extend_from_slice(&w.0);
        }
        bytes.truncate(len);
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
    pub(crate) fn set_description(&mut self, feed: u64, text: &str) -> R<()> {
        self.write(Tag::Description, feed, &[], &(text.len() as u64))?;
        for (i, chunk) in (1u64..).zip(text.as_bytes().chunks(32)) {
            let w = Pack::default().put(chunk).done();
            self.set(Tag::Description, feed, &i.to_be_bytes(), w)?;
        }
        Ok(())
    }

    pub(crate) fn latest(&mut self, feed: u64) -> R<Latest> {
        self.read(Tag::Latest, feed, &[])
    }
    pub(crate) fn set_latest(&mut self, feed: u64, l: &Latest) -> R<()> {
        self.write(Tag::Latest, feed, &[], l)
    }

    /// A round, or `None` if it was never stored.
    pub(crate) fn round(&mut self, feed: u64, round: u64) -> R<Option<RoundWord>> {
        let w = self.get(Tag::Round, feed, &round.to_be_bytes())?;
        Ok((!w.is_zero()).then(|| RoundWord::unpack(&w)))
    }
    pub(crate) fn set_round(&mut self, feed: u64, round: u64, r: &RoundWord) -> R<()> {
        self.write(Tag::Round, feed, &round.to_be_bytes(), r)
    }

    pub(crate) fn subs(&mut self, feed: u64) -> R<SubsWord> {
        self.read(Tag::Subs, feed, &[])
    }
    pub(crate) fn set_subs(&mut self, feed: u64, s: &SubsWord) -> R<()> {
        self.write(Tag::Subs, feed, &[], s)
    }

    pub(crate) fn sub_at(&mut self, feed: u64, i: u32) -> R<H160> {
        self.read(Tag::SubAt, feed, &i.to_be_bytes())
    }
    pub(crate) fn set_sub_at(&mut self, feed: u64, i: u32, who: H160) -> R<()> {
        self.write(Tag::SubAt, feed, &i.to_be_bytes(), &who)
    }

    pub(crate) fn sub(&mut self, feed: u64, who: H160) -> R<SubWord> {
        self.read(Tag::Sub, feed, who.as_bytes())
    }
    pub(crate) fn set_sub(&mut self, feed: u64, who: H160, s: &SubWord) -> R<()> {
        self.write(Tag::Sub, feed, who.as_bytes(), s)
    }

    pub(crate) fn deposit(&mut self, feed: u64, who: H160) -> R<U256> {
        self.read(Tag::Deposit, feed, who.as_bytes())
    }
    pub(crate) fn set_deposit(&mut self, feed: u64, who: H160, amount: U256) -> R<()> {
        self.write(Tag::Deposit, feed, who.as_bytes(), &amount)
    }

    pub(crate) fn request_count(&mut self) -> R<u64> {
        self.read(Tag::RequestCount, 0, &[])
    }
    pub(crate) fn set_request_count(&mut self, n: u64) -> R<()> {
        self.write(Tag::RequestCount, 0, &[], &n)
    }

    pub(crate) fn request_owner(&mut self, id: u64) -> R<(H160, RequestStatus)> {
        self.read(Tag::RequestOwner, id, &[])
    }
    pub(crate) fn set_request_owner(
        &mut self,
        id: u64,
        owner: H160,
        status: RequestStatus,
    ) -> R<()> {
        self.write(Tag::RequestOwner, id, &[], &(owner, status))
    }

    pub(crate) fn request_terms(&mut self, id: u64) -> R<RequestTerms> {
        self.read(Tag::RequestTerms, id, &[])
    }
    pub(crate) fn set_request_terms(&mut self, id: u64, t: &RequestTerms) -> R<()> {
        self.write(Tag::RequestTerms, id, &[], t)
    }

    pub(crate) fn request_fee(&mut self, id: u64) -> R<U256> {
        self.read(Tag::RequestFee, id, &[])
    }
    pub(crate) fn set_request_fee(&mut self, id: u64, fee: U256) -> R<()> {
        self.write(Tag::RequestFee, id, &[], &fee)
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
