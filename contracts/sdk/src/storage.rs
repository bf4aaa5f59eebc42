//! Typed storage, with Solidity's slot layout.
//!
//! A `#[storage]` struct gives each field consecutive root slots, starting
//! at 0, in declaration order (a nested `#[storage]` struct takes as many
//! as it needs). Every value takes a whole 32-byte slot — there is no
//! packing of small values. Beyond that the layout is Solidity's, so the
//! same key finds the same slot:
//!
//! | item | where it lives |
//! |---|---|
//! | `Value<T>` at slot `p` | slot `p` |
//! | `Map<K, V>` at `p`, entry `k` | `keccak256(key(k) ‖ p)`; `key(k)` is `k` left-padded to 32 bytes, or the raw bytes of a string/bytes key |
//! | `StorageVec<T>` at `p` | length at `p`; element `i` at `keccak256(p) + i·n`, `n` the slots one element takes (1 but for `#[storage]` structs) |
//! | `StorageString`/`StorageBytes` at `p` | ≤ 31 bytes: data and `2·len` in slot `p`; longer: `2·len + 1` in `p`, data from `keccak256(p)` on |
//!
//! Nested containers compose: `Map<Address, Map<Address, U256>>` is
//! Solidity's `mapping(address => mapping(address => uint256))`.
//!
//! ```
//! use orac_sdk::prelude::*;
//! use orac_sdk::storage::StorageLayout;
//! use orac_sdk::{primitives::keccak256, testing};
//!
//! #[storage]
//! pub struct Book {
//!     owner: Value<Address>,              // slot 0
//!     balances: Map<Address, U256>,       // slot 1
//! }
//!
//! testing::reset();
//! let mut book = Book::at(U256::ZERO); // what #[contract] roots it at
//! let alice = Address::repeat_byte(0xa1);
//! book.balances.set(&alice, U256::from(7));
//! // Solidity's slot for balances[alice]: keccak256(pad32(alice) ‖ pad32(1)).
//! let mut key = [0u8; 64];
//! key[12..32].copy_from_slice(alice.as_slice());
//! key[63] = 1;
//! let word = testing::storage_at(this::address(), keccak256(key));
//! assert_eq!(U256::from_be_bytes(word.0), U256::from(7));
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::marker::PhantomData;

use alloy_primitives::{Address, B256, FixedBytes, I256, U256};

use crate::host;

/// Something that lives in storage, rooted at a slot.
pub trait StorageLayout {
    /// Root slots it occupies.
    const SLOTS: usize;
    /// The item rooted at `slot`.
    fn at(slot: U256) -> Self;
}

/// A value that fits in one 32-byte slot.
pub trait Storable: Sized {
    /// The slot's contents, laid out as Solidity lays out this type.
    fn to_word(&self) -> B256;
    /// Reads back what [`Storable::to_word`] wrote (a never-written slot
    /// is all zeros: zero, `false`, the zero address).
    fn from_word(word: B256) -> Self;
}

/// What a container holds: a value (accessed through a [`Value`] handle)
/// or another storage item (accessed directly).
pub trait Element {
    /// How the container hands out one element: a [`Value`] for a plain
    /// value, the container itself for a nested one.
    type Handle: StorageLayout;
}

fn read(slot: U256) -> B256 {
    host::storage_read(&B256::from(slot))
}

fn write(slot: U256, word: B256) {
    host::storage_write(&B256::from(slot), &word);
}

/// Deletes a slot (the same gas as writing zero; no zero word to pass).
fn remove(slot: U256) {
    host::storage_remove(&B256::from(slot));
}

fn hash_slot(slot: U256) -> U256 {
    U256::from_be_bytes(host::keccak256(&slot.to_be_bytes::<32>()).0)
}

impl Storable for U256 {
    fn to_word(&self) -> B256 {
        B256::from(*self)
    }
    fn from_word(w: B256) -> Self {
        U256::from_be_bytes(w.0)
    }
}

impl Storable for I256 {
    fn to_word(&self) -> B256 {
        B256::from(self.into_raw())
    }
    fn from_word(w: B256) -> Self {
        I256::from_raw(U256::from_be_bytes(w.0))
    }
}

impl Storable for bool {
    fn to_word(&self) -> B256 {
        B256::with_last_byte(*self as u8)
    }
    fn from_word(w: B256) -> Self {
        w != B256::ZERO
    }
}

impl Storable for Address {
    fn to_word(&self) -> B256 {
        self.into_word()
    }
    fn from_word(w: B256) -> Self {
        Address::from_word(w)
    }
}

impl<const N: usize> Storable for FixedBytes<N> {
    fn to_word(&self) -> B256 {
        let mut w = [0u8; 32];
        w[..N.min(32)].copy_from_slice(&self.0[..N.min(32)]);
        B256::from(w)
    }
    fn from_word(w: B256) -> Self {
        let mut out = [0u8; N];
        out[..N.min(32)].copy_from_slice(&w.0[..N.min(32)]);
        FixedBytes(out)
    }
}

macro_rules! storable_uint {
    ($($t:ty),*) => {$(
        impl Storable for $t {
            fn to_word(&self) -> B256 {
                B256::from(U256::from(*self))
            }
            fn from_word(w: B256) -> Self {
                // Values stored by this type always fit; anything larger was
                // written by someone else and is cut to the low bits.
                U256::from_be_bytes(w.0).as_limbs()[0] as $t
            }
        }
        impl Element for $t {
            type Handle = Value<$t>;
        }
    )*};
}
storable_uint!(u8, u16, u32, u64);

impl Storable for u128 {
    fn to_word(&self) -> B256 {
        B256::from(U256::from(*self))
    }
    fn from_word(w: B256) -> Self {
        let l = U256::from_be_bytes(w.0);
        (l.as_limbs()[0] as u128) | ((l.as_limbs()[1] as u128) << 64)
    }
}

macro_rules! element_value {
    ($($t:ty),*) => {$(
        impl Element for $t {
            type Handle = Value<$t>;
        }
    )*};
}
element_value!(U256, I256, bool, Address, u128);

impl<const N: usize> Element for FixedBytes<N> {
    type Handle = Value<FixedBytes<N>>;
}

/// The containers that are a root slot and a marker of the types they
/// hold: each takes one slot, and what it holds lives at slots derived from
/// that one.
macro_rules! one_slot_layout {
    ($(impl<$($g:ident $(: ?$unsized:ident)?),*> $t:ty;)*) => {$(
        impl<$($g $(: ?$unsized)?),*> StorageLayout for $t {
            const SLOTS: usize = 1;
            fn at(slot: U256) -> Self {
                Self {
                    slot,
                    _t: PhantomData,
                }
            }
        }
    )*};
}

one_slot_layout! {
    impl<T> Value<T>;
    impl<K: ?Sized, V> Map<K, V>;
    impl<T> StorageVec<T>;
}

/// One value in one slot.
pub struct Value<T> {
    slot: U256,
    _t: PhantomData<T>,
}

impl<T: Storable> Value<T> {
    /// The stored value (zero/false/empty if never set).
    pub fn get(&self) -> T {
        T::from_word(read(self.slot))
    }
    /// Stores `value` (writing zero frees the slot, as `clear` does).
    pub fn set(&mut self, value: T) {
        write(self.slot, value.to_word());
    }
    /// Deletes the slot: it reads as zero again (Solidity's `delete`).
    pub fn clear(&mut self) {
        remove(self.slot);
    }
    /// The slot it lives in, e.g. for `eth_getStorageAt`.
    pub fn slot(&self) -> U256 {
        self.slot
    }
}

/// Keys of a [`Map`], hashed into slots as Solidity hashes them.
pub trait MapKey {
    /// What Solidity hashes for this key: a value type as its 32-byte
    /// word, `string` and `bytes` as their raw bytes.
    fn key_bytes(&self) -> Vec<u8>;
}

impl<T: Storable + Copy> MapKey for T {
    fn key_bytes(&self) -> Vec<u8> {
        self.to_word().to_vec()
    }
}

impl MapKey for String {
    fn key_bytes(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}

impl MapKey for str {
    fn key_bytes(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}

impl MapKey for alloy_primitives::Bytes {
    fn key_bytes(&self) -> Vec<u8> {
        self.to_vec()
    }
}

/// Marks which key and value types a map holds, without owning any.
type Holds<K, V> = PhantomData<(fn(&K), V)>;

/// A mapping from keys to values or nested containers.
pub struct Map<K: ?Sized, V> {
    slot: U256,
    _t: Holds<K, V>,
}

impl<K: ?Sized, V> Element for Map<K, V> {
    type Handle = Self;
}

impl<K: MapKey + ?Sized, V: Element> Map<K, V> {
    fn slot_of(&self, key: &K) -> U256 {
        let mut preimage = key.key_bytes();
        preimage.extend_from_slice(&self.slot.to_be_bytes::<32>());
        U256::from_be_bytes(host::keccak256(&preimage).0)
    }

    /// The entry for `key`: a handle to its value or nested container.
    pub fn entry(&self, key: &K) -> V::Handle {
        V::Handle::at(self.slot_of(key))
    }
}

impl<K: MapKey + ?Sized, T: Storable + Element<Handle = Value<T>>> Map<K, T> {
    /// The value for `key` (zero/false/empty if never set).
    pub fn get(&self, key: &K) -> T {
        self.entry(key).get()
    }
    /// Stores `value` under `key`.
    pub fn set(&mut self, key: &K, value: T) {
        self.entry(key).set(value)
    }
    /// Deletes the entry: `get` reads zero/false/empty again.
    pub fn remove(&mut self, key: &K) {
        self.entry(key).clear()
    }
}

/// A growable array.
pub struct StorageVec<T> {
    slot: U256,
    _t: PhantomData<T>,
}

impl<T> Element for StorageVec<T> {
    type Handle = Self;
}

impl<T: Element> StorageVec<T> {
    /// How many elements it holds (its root slot, as in Solidity).
    pub fn len(&self) -> usize {
        U256::from_be_bytes(read(self.slot).0).saturating_to::<usize>()
    }
    /// Whether it holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn element_slot(&self, index: usize) -> U256 {
        // Elements are laid out back to back, each taking as many slots as
        // it needs (a `#[storage]` struct takes several), as in Solidity.
        hash_slot(self.slot) + U256::from(index) * U256::from(T::Handle::SLOTS)
    }
    /// Handle to element `index`, if it exists.
    pub fn entry(&self, index: usize) -> Option<T::Handle> {
        (index < self.len()).then(|| T::Handle::at(self.element_slot(index)))
    }
    /// Appends an element slot and returns its handle.
    pub fn grow(&mut self) -> T::Handle {
        let len = self.len();
        write(self.slot, B256::from(U256::from(len + 1)));
        T::Handle::at(self.element_slot(len))
    }
}

impl<T: Storable + Element<Handle = Value<T>>> StorageVec<T> {
    /// Element `index`, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<T> {
        self.entry(index).map(|h| h.get())
    }
    /// Overwrites element `index`; `false` (and nothing written) past the
    /// end, where Solidity would panic.
    pub fn set(&mut self, index: usize, value: T) -> bool {
        match self.entry(index) {
            Some(mut h) => {
                h.set(value);
                true
            }
            None => false,
        }
    }
    /// Appends `value`.
    pub fn push(&mut self, value: T) {
        self.grow().set(value)
    }
    /// Removes and returns the last element (its slot is zeroed).
    pub fn pop(&mut self) -> Option<T> {
        let len = self.len();
        let mut last = self.entry(len.checked_sub(1)?)?;
        let v = last.get();
        last.clear();
        write(self.slot, B256::from(U256::from(len - 1)));
        Some(v)
    }
    /// The elements in order, one storage read each.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// Bytes with Solidity's `bytes` layout.
pub struct StorageBytes {
    slot: U256,
}

impl StorageLayout for StorageBytes {
    const SLOTS: usize = 1;
    fn at(slot: U256) -> Self {
        Self { slot }
    }
}

impl Element for StorageBytes {
    type Handle = Self;
}

impl StorageBytes {
    /// The stored bytes (empty if never set).
    pub fn get(&self) -> Vec<u8> {
        let head = read(self.slot);
        let marker = U256::from_be_bytes(head.0);
        if head.0[31] & 1 == 0 {
            // Short: the data and 2·len share the slot.
            let len = (head.0[31] / 2) as usize;
            return head.0[..len.min(31)].to_vec();
        }
        // Long form: the slot holds 2·len + 1 (no division: it is odd).
        let len = (marker >> 1usize).saturating_to::<usize>();
        let base = hash_slot(self.slot);
        let mut out = Vec::with_capacity(len);
        let mut i = 0usize;
        while out.len() < len {
            let word = read(base + U256::from(i));
            let take = (len - out.len()).min(32);
            out.extend_from_slice(&word.0[..take]);
            i += 1;
        }
        out
    }

    /// Replaces the stored bytes, freeing the slots the old value used
    /// beyond the new one's.
    pub fn set(&mut self, data: &[u8]) {
        self.clear();
        if data.len() <= 31 {
            let mut w = [0u8; 32];
            w[..data.len()].copy_from_slice(data);
            w[31] = (data.len() * 2) as u8;
            write(self.slot, B256::from(w));
            return;
        }
        write(self.slot, B256::from(U256::from(data.len() * 2 + 1)));
        let base = hash_slot(self.slot);
        for (i, chunk) in data.chunks(32).enumerate() {
            let mut w = [0u8; 32];
            w[..chunk.len()].copy_from_slice(chunk);
            write(base + U256::from(i), B256::from(w));
        }
    }

    /// Deletes the value and every data slot it used.
    pub fn clear(&mut self) {
        let head = read(self.slot);
        if head.0[31] & 1 == 1 {
            let len = (U256::from_be_bytes(head.0) >> 1usize).saturating_to::<usize>();
            let base = hash_slot(self.slot);
            for i in 0..len.div_ceil(32) {
                remove(base + U256::from(i));
            }
        }
        remove(self.slot);
    }

    /// The length in bytes (reads the whole value).
    pub fn len(&self) -> usize {
        self.get().len()
    }

    /// Whether nothing is stored: one slot read, whatever the length.
    pub fn is_empty(&self) -> bool {
        read(self.slot) == B256::ZERO
    }
}

/// A string with Solidity's `string` layout (that of `bytes`).
pub struct StorageString(StorageBytes);

impl StorageLayout for StorageString {
    const SLOTS: usize = 1;
    fn at(slot: U256) -> Self {
        Self(StorageBytes::at(slot))
    }
}

impl Element for StorageString {
    type Handle = Self;
}

impl StorageString {
    /// The stored string (invalid UTF-8, which only raw storage writes
    /// could leave, is replaced with U+FFFD rather than reverting).
    pub fn get(&self) -> String {
        String::from_utf8_lossy(&self.0.get()).into_owned()
    }
    /// Replaces the stored string.
    pub fn set(&mut self, s: &str) {
        self.0.set(s.as_bytes())
    }
    /// Deletes the string and every data slot it used.
    pub fn clear(&mut self) {
        self.0.clear()
    }
    /// Whether the string is empty (one slot read).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-slot element, as `#[storage]` would lay it out.
    struct Pair {
        a: Value<U256>,
        b: Value<U256>,
    }

    impl StorageLayout for Pair {
        const SLOTS: usize = 2;
        fn at(slot: U256) -> Self {
            Self {
                a: Value::at(slot),
                b: Value::at(slot + U256::from(1)),
            }
        }
    }

    impl Element for Pair {
        type Handle = Self;
    }

    #[test]
    fn multi_slot_elements_do_not_overlap() {
        crate::testing::reset();
        let mut v = StorageVec::<Pair>::at(U256::from(3));
        for i in 0..3u64 {
            let mut p = v.grow();
            p.a.set(U256::from(10 * i + 1));
            p.b.set(U256::from(10 * i + 2));
        }
        for i in 0..3u64 {
            let p = v.entry(i as usize).unwrap();
            assert_eq!(p.a.get(), U256::from(10 * i + 1));
            assert_eq!(p.b.get(), U256::from(10 * i + 2));
        }
        // Solidity's layout: element i starts at keccak256(p) + 2·i.
        let base = hash_slot(U256::from(3));
        assert_eq!(v.entry(2).unwrap().a.slot(), base + U256::from(4));
        assert!(v.entry(3).is_none());
    }

    #[test]
    fn clearing_deletes_the_slots() {
        use crate::testing::{reset, with_env};
        reset();
        let mut v = Value::<U256>::at(U256::from(1));
        let mut m = Map::<Address, U256>::at(U256::from(2));
        let mut b = StorageBytes::at(U256::from(3));
        v.set(U256::from(7));
        m.set(&Address::repeat_byte(1), U256::from(8));
        b.set(&[7u8; 70]); // long form: the head and three data slots
        assert_eq!(with_env(|e| e.storage.len()), 6);
        v.clear();
        m.remove(&Address::repeat_byte(1));
        b.clear();
        assert!(with_env(|e| e.storage.is_empty()), "every slot deleted");
        assert_eq!(v.get(), U256::ZERO);
        assert_eq!(m.get(&Address::repeat_byte(1)), U256::ZERO);
        assert!(b.is_empty() && b.get().is_empty());
    }
}
