//! Structure-aware mutation for the decoder targets: raw bytes (flips,
//! truncations, splices, interesting values), RLP (the item tree edited
//! and re-encoded, and length fields edited in place), JSON (the value
//! tree edited: types swapped, huge numbers, deep nesting, long strings,
//! keys added and dropped) and line-based text (TOML).
//!
//! Everything is driven by the caller's seeded [`Rng`], so a run is
//! reproducible from its seed.

use orac_bench::vmkit::Rng;
use serde_json::{Map, Value};

pub(crate) fn chance(rng: &mut Rng, one_in: u64) -> bool {
    rng.below(one_in) == 0
}

pub(crate) fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.below(items.len() as u64) as usize]
}

/// A mutated seed: one of `seeds`, edited as a tree by `edit` when `parse`
/// reads it (but kept whole one time in `odds.0`), then byte-edited one
/// time in `odds.1`, so inputs stay near the decoder's grammar yet still
/// reach its error paths.
pub(crate) fn from_seed<T>(
    rng: &mut Rng,
    seeds: &[Vec<u8>],
    odds: (u64, u64),
    parse: impl FnOnce(&[u8]) -> Option<T>,
    edit: impl FnOnce(T, &mut Rng) -> Vec<u8>,
) -> Vec<u8> {
    let mut data = pick(rng, seeds).clone();
    if let Some(tree) = parse(&data)
        && !chance(rng, odds.0)
    {
        data = edit(tree, rng);
    }
    if chance(rng, odds.1) {
        bytes(&mut data, rng, seeds);
    }
    data
}

/// [`from_seed`] for JSON seeds, edited by [`json`].
pub(crate) fn json_seed(
    rng: &mut Rng,
    seeds: &[Vec<u8>],
    odds: (u64, u64),
    field_names: &[&str],
    strings: &[&str],
) -> Vec<u8> {
    from_seed(
        rng,
        seeds,
        odds,
        |data| serde_json::from_slice::<Value>(data).ok(),
        |mut v, rng| {
            json(&mut v, rng, field_names, strings);
            v.to_string().into_bytes()
        },
    )
}

/// An index in `0..len`, `len > 0`.
fn index(rng: &mut Rng, len: usize) -> usize {
    rng.below(len as u64) as usize
}

fn random_bytes(rng: &mut Rng, len: usize) -> Vec<u8> {
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

/// Bytes that sit on boundaries of RLP headers and common encodings.
const INTERESTING: &[u8] = &[
    0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xb7, 0xb8, 0xb9, 0xbf, 0xc0, 0xc1, 0xf7, 0xf8, 0xf9, 0xff,
    b'0', b'x', b'"', b'{', b'[', b'-', b'e',
];

/// One to four byte-level edits; `others` are spliced from.
pub(crate) fn bytes(data: &mut Vec<u8>, rng: &mut Rng, others: &[Vec<u8>]) {
    for _ in 0..=rng.below(4) {
        byte_edit(data, rng, others);
    }
}

fn byte_edit(data: &mut Vec<u8>, rng: &mut Rng, others: &[Vec<u8>]) {
    if data.is_empty() {
        data.extend({
            let n = 1 + rng.below(8) as usize;
            random_bytes(rng, n)
        });
        return;
    }
    let len = data.len();
    match rng.below(12) {
        0 => {
            let i = index(rng, len);
            data[i] ^= 1 << rng.below(8);
        }
        1 => {
            let i = index(rng, len);
            data[i] = *pick(rng, INTERESTING);
        }
        2 => {
            let i = index(rng, len);
            data[i] = rng.next_u64() as u8;
        }
        3 => data.truncate(index(rng, len)),
        4 => {
            let at = index(rng, len + 1);
            let extra = {
                let n = 1 + rng.below(16) as usize;
                random_bytes(rng, n)
            };
            data.splice(at..at, extra);
        }
        5 => {
            let at = index(rng, len);
            let end = (at + 1 + rng.below(16) as usize).min(len);
            data.drain(at..end);
        }
        6 => {
            // Splice: this input's head, another's tail.
            if let Some(other) = others.get(index(rng, others.len().max(1))) {
                let cut = index(rng, len + 1);
                let from = index(rng, other.len() + 1);
                data.truncate(cut);
                data.extend_from_slice(&other[from..]);
            }
        }
        7 => {
            // Duplicate a range.
            let at = index(rng, len);
            let end = (at + 1 + rng.below(32) as usize).min(len);
            let chunk = data[at..end].to_vec();
            let to = index(rng, data.len() + 1);
            data.splice(to..to, chunk);
        }
        8 => {
            let i = index(rng, len);
            data[i] = data[i].wrapping_add(if chance(rng, 2) { 1 } else { 255 });
        }
        9 => data.extend({
            let n = 1 + rng.below(64) as usize;
            random_bytes(rng, n)
        }),
        10 => {
            // A run of one byte (zero padding, 0xff fill).
            let at = index(rng, len + 1);
            let fill = *pick(rng, &[0x00, 0xff, 0x80]);
            let run = vec![fill; 1 + rng.below(40) as usize];
            data.splice(at..at, run);
        }
        _ => {
            let i = index(rng, len);
            let j = index(rng, len);
            data.swap(i, j);
        }
    }
}

/// An RLP item tree.
#[derive(Clone, Debug)]
pub(crate) enum Rlp {
    Bytes(Vec<u8>),
    List(Vec<Rlp>),
}

/// Parses one RLP item, leniently (non-canonical headers accepted, so a
/// mutated input can be parsed again); `None` if the bytes are not one.
pub(crate) fn rlp_parse(data: &[u8]) -> Option<Rlp> {
    let (item, used) = rlp_item(data, 0)?;
    (used == data.len()).then_some(item)
}

fn rlp_item(data: &[u8], depth: usize) -> Option<(Rlp, usize)> {
    if depth > 64 {
        return None;
    }
    let first = *data.first()?;
    let (header, len, list) = match first {
        0x00..=0x7f => return Some((Rlp::Bytes(vec![first]), 1)),
        0x80..=0xb7 => (1, (first - 0x80) as usize, false),
        0xb8..=0xbf => {
            let n = (first - 0xb7) as usize;
            (1 + n, be_len(data.get(1..1 + n)?)?, false)
        }
        0xc0..=0xf7 => (1, (first - 0xc0) as usize, true),
        _ => {
            let n = (first - 0xf7) as usize;
            (1 + n, be_len(data.get(1..1 + n)?)?, true)
        }
    };
    let payload = data.get(header..header.checked_add(len)?)?;
    if !list {
        return Some((Rlp::Bytes(payload.to_vec()), header + len));
    }
    let mut items = Vec::new();
    let mut at = 0;
    while at < payload.len() {
        let (item, used) = rlp_item(&payload[at..], depth + 1)?;
        items.push(item);
        at += used;
    }
    Some((Rlp::List(items), header + len))
}

fn be_len(bytes: &[u8]) -> Option<usize> {
    if bytes.len() > 4 {
        return None;
    }
    Some(bytes.iter().fold(0usize, |a, b| (a << 8) | *b as usize))
}

fn rlp_header(out: &mut Vec<u8>, len: usize, short: u8, long: u8) {
    if len < 56 {
        out.push(short + len as u8);
    } else {
        let be = (len as u64).to_be_bytes();
        let skip = be.iter().take_while(|b| **b == 0).count();
        out.push(long + (8 - skip) as u8);
        out.extend_from_slice(&be[skip..]);
    }
}

/// The canonical encoding of `item`.
pub(crate) fn rlp_encode(item: &Rlp) -> Vec<u8> {
    let mut out = Vec::new();
    match item {
        Rlp::Bytes(b) if b.len() == 1 && b[0] < 0x80 => out.push(b[0]),
        Rlp::Bytes(b) => {
            rlp_header(&mut out, b.len(), 0x80, 0xb7);
            out.extend_from_slice(b);
        }
        Rlp::List(items) => {
            let body: Vec<u8> = items.iter().flat_map(rlp_encode).collect();
            rlp_header(&mut out, body.len(), 0xc0, 0xf7);
            out.extend(body);
        }
    }
    out
}

fn rlp_count(item: &Rlp) -> usize {
    match item {
        Rlp::Bytes(_) => 1,
        Rlp::List(items) => 1 + items.iter().map(rlp_count).sum::<usize>(),
    }
}

/// The `k`-th node of the tree in pre-order.
fn rlp_nth<'a>(item: &'a mut Rlp, k: &mut usize) -> Option<&'a mut Rlp> {
    if *k == 0 {
        return Some(item);
    }
    *k -= 1;
    if let Rlp::List(items) = item {
        for i in items {
            if let Some(found) = rlp_nth(i, k) {
                return Some(found);
            }
        }
    }
    None
}

/// Values that sit on the edges of transaction fields: zero, one, 2^64±1,
/// 2^256-1, 33 bytes, leading zeros, a 20-byte and a 19/21-byte address.
fn edge_value(rng: &mut Rng) -> Vec<u8> {
    match rng.below(12) {
        0 => vec![],
        1 => vec![0],
        2 => vec![1],
        3 => vec![0xff; 8],
        4 => {
            let mut v = vec![1];
            v.extend([0; 8]);
            v
        }
        5 => vec![0xff; 32],
        6 => vec![0xff; 33],
        7 => {
            let mut v = vec![0];
            v.extend({
                let n = 1 + rng.below(32) as usize;
                random_bytes(rng, n)
            });
            v
        }
        8 => random_bytes(rng, 20),
        9 => {
            let n = 19 + 2 * rng.below(2) as usize;
            random_bytes(rng, n)
        }
        10 => {
            let n = rng.below(200) as usize;
            random_bytes(rng, n)
        }
        _ => vec![0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    }
}

/// Edits the item tree of `data` (parsed leniently) and re-encodes it,
/// so lengths stay consistent while the contents go wrong; then maybe
/// edits a length field in place. `prefix` (a typed transaction's type
/// byte) is kept in front unless a byte edit changes it.
pub(crate) fn rlp(data: &[u8], rng: &mut Rng, prefix_len: usize) -> Vec<u8> {
    let (prefix, body) = data.split_at(prefix_len.min(data.len()));
    let Some(mut tree) = rlp_parse(body) else {
        let mut out = data.to_vec();
        bytes(&mut out, rng, &[]);
        return out;
    };
    for _ in 0..=rng.below(3) {
        let mut k = index(rng, rlp_count(&tree));
        let Some(node) = rlp_nth(&mut tree, &mut k) else {
            break;
        };
        match (rng.below(8), node) {
            (0..=2, n) => *n = Rlp::Bytes(edge_value(rng)),
            (3, Rlp::List(items)) if !items.is_empty() => {
                let i = index(rng, items.len());
                items.remove(i);
            }
            (4, Rlp::List(items)) if !items.is_empty() => {
                let i = index(rng, items.len());
                let copy = items[i].clone();
                items.insert(i, copy);
            }
            (5, Rlp::List(items)) if items.len() > 1 => {
                let (i, j) = (index(rng, items.len()), index(rng, items.len()));
                items.swap(i, j);
            }
            (6, n) => *n = Rlp::List(vec![n.clone()]),
            (_, Rlp::Bytes(b)) if !b.is_empty() && chance(rng, 2) => {
                // A leading zero: a non-canonical integer.
                b.insert(0, 0);
            }
            (_, n) => *n = Rlp::List(Vec::new()),
        }
    }
    let mut out = prefix.to_vec();
    out.extend(rlp_encode(&tree));
    if chance(rng, 4) {
        length_edit(&mut out, rng, prefix_len);
    }
    out
}

/// Rewrites one header's length in place: off by one, zero, huge, or the
/// long form for a short length (non-canonical).
fn length_edit(data: &mut Vec<u8>, rng: &mut Rng, from: usize) {
    let headers: Vec<usize> = (from..data.len()).filter(|i| data[*i] >= 0x80).collect();
    if headers.is_empty() {
        return;
    }
    let at = *pick(rng, &headers);
    let b = data[at];
    match rng.below(4) {
        0 => data[at] = b.wrapping_add(1),
        1 => data[at] = b.wrapping_sub(1),
        2 if (0x80..0xb8).contains(&b) || (0xc0..0xf8).contains(&b) => {
            // Short form written long: 0x81..0xb7 -> 0xb8 len.
            let (short, long) = if b < 0xc0 { (0x80, 0xb8) } else { (0xc0, 0xf8) };
            data[at] = long;
            data.insert(at + 1, b - short);
        }
        _ => {
            if (0xb8..0xc0).contains(&b) || b >= 0xf8 {
                let n = (b & 0x07) as usize + 1;
                for i in 0..n {
                    if let Some(x) = data.get_mut(at + 1 + i) {
                        *x = 0xff;
                    }
                }
            } else {
                data[at] = if b < 0xc0 { 0xbf } else { 0xff };
            }
        }
    }
}

/// Strings that tend to break parsers of quantities, hashes and tags.
fn edge_string(rng: &mut Rng) -> String {
    match rng.below(22) {
        0 => String::new(),
        1 => "0x".into(),
        2 => "0x0".into(),
        3 => "0x00".into(),
        4 => format!("0x{}", "f".repeat(64)),
        5 => format!("0x1{}", "0".repeat(64)),
        6 => format!("0x{}", "0".repeat(200)),
        7 => "0x123".into(),
        8 => "-0x1".into(),
        9 => "0X1f".into(),
        10 => "latest".into(),
        11 => "pending".into(),
        12 => "earliest".into(),
        13 => format!("0x{}", hex::encode(random_bytes(rng, 20))),
        14 => format!("0x{}", hex::encode(random_bytes(rng, 32))),
        15 => format!("0x{}", hex::encode(random_bytes(rng, 33))),
        16 => "x".repeat(1 + rng.below(100_000) as usize),
        17 => "\u{0}\u{ffff}\u{1F600}é".into(),
        18 => "0xzz".into(),
        19 => "1e400".into(),
        20 => "18446744073709551616".into(),
        _ => format!("0x{:x}", rng.next_u64()),
    }
}

fn edge_number(rng: &mut Rng) -> Value {
    let text = *pick(
        rng,
        &[
            "0",
            "-1",
            "1",
            "1.5",
            "-0.0",
            "1e308",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775809",
            "340282366920938463463374607431768211456",
            "4294967296",
            "9007199254740993",
        ],
    );
    serde_json::from_str(text).unwrap_or(Value::Null)
}

fn nested(rng: &mut Rng, depth: usize) -> Value {
    let mut v = Value::Null;
    for _ in 0..depth {
        v = if chance(rng, 2) {
            Value::Array(vec![v])
        } else {
            let mut m = Map::new();
            m.insert("a".into(), v);
            Value::Object(m)
        };
    }
    v
}

/// A random JSON value of the kinds `field_names` suggests.
fn edge_value_json(rng: &mut Rng, field_names: &[&str]) -> Value {
    match rng.below(10) {
        0 => Value::Null,
        1 => Value::Bool(chance(rng, 2)),
        2 | 3 => edge_number(rng),
        4..=6 => Value::String(edge_string(rng)),
        7 => {
            let n = 1 + rng.below(200) as usize;
            nested(rng, n)
        }
        8 => Value::Array(
            (0..rng.below(3000))
                .map(|_| Value::String(edge_string(rng).chars().take(80).collect()))
                .collect(),
        ),
        _ => {
            let mut m = Map::new();
            for _ in 0..=rng.below(4) {
                m.insert(
                    pick(rng, field_names).to_string(),
                    Value::String(edge_string(rng)),
                );
            }
            Value::Object(m)
        }
    }
}

fn json_count(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(json_count).sum(),
        Value::Object(m) => m.values().map(json_count).sum(),
        _ => 0,
    }
}

/// The `k`-th node of the tree in pre-order.
fn json_nth<'a>(v: &'a mut Value, k: &mut usize) -> Option<&'a mut Value> {
    if *k == 0 {
        return Some(v);
    }
    *k -= 1;
    let children: Box<dyn Iterator<Item = &'a mut Value>> = match v {
        Value::Array(items) => Box::new(items.iter_mut()),
        Value::Object(m) => Box::new(m.values_mut()),
        _ => return None,
    };
    for child in children {
        if let Some(found) = json_nth(child, k) {
            return Some(found);
        }
    }
    None
}

/// One to three edits of the value tree. `field_names` are keys worth
/// adding; `strings` are values worth substituting (method names, tags).
pub(crate) fn json(value: &mut Value, rng: &mut Rng, field_names: &[&str], strings: &[&str]) {
    for _ in 0..=rng.below(3) {
        let mut k = index(rng, json_count(value));
        let Some(node) = json_nth(value, &mut k) else {
            break;
        };
        match (rng.below(10), node) {
            (0..=2, n) => *n = edge_value_json(rng, field_names),
            (3, Value::Object(m)) if !m.is_empty() => {
                let keys: Vec<String> = m.keys().cloned().collect();
                m.remove(pick(rng, &keys));
            }
            (3 | 4, Value::Object(m)) => {
                m.insert(
                    pick(rng, field_names).to_string(),
                    edge_value_json(rng, field_names),
                );
            }
            (4 | 5, Value::Array(items)) if !items.is_empty() => {
                let i = index(rng, items.len());
                if chance(rng, 2) {
                    items.remove(i);
                } else {
                    let copy = items[i].clone();
                    items.push(copy);
                }
            }
            (5 | 6, Value::String(s)) if !strings.is_empty() && chance(rng, 2) => {
                *s = pick(rng, strings).to_string();
            }
            (6 | 7, Value::String(s)) => string_edit(s, rng),
            (7 | 8, n @ Value::Number(_)) => *n = edge_number(rng),
            (_, n) => {
                let depth = rng.below(4) as usize;
                *n = nested(rng, depth);
            }
        }
    }
}

/// Edits a string the way quantities and hashes go wrong: a digit more
/// or less, leading zeros, case, the prefix dropped.
fn string_edit(s: &mut String, rng: &mut Rng) {
    match rng.below(7) {
        0 => s.push(*pick(rng, &['0', 'f', 'g', ' '])),
        1 => {
            s.pop();
        }
        2 => {
            if let Some(rest) = s.strip_prefix("0x") {
                *s = format!("0x0{rest}");
            }
        }
        3 => *s = s.to_uppercase(),
        4 => *s = s.trim_start_matches("0x").to_string(),
        5 => *s = format!("{s}{s}"),
        _ => *s = edge_string(rng),
    }
}

/// Line-based edits for TOML text: values swapped for edge values, lines
/// dropped, duplicated and swapped, sections repeated.
pub(crate) fn toml(text: &str, rng: &mut Rng, keys: &[&str]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        lines.push(String::new());
    }
    for _ in 0..=rng.below(3) {
        let i = index(rng, lines.len());
        match rng.below(8) {
            0..=2 => {
                if let Some(eq) = lines[i].find('=') {
                    let key = lines[i][..eq].to_string();
                    lines[i] = format!("{key}= {}", toml_value(rng));
                }
            }
            3 => {
                lines.remove(i);
                if lines.is_empty() {
                    lines.push(String::new());
                }
            }
            4 => {
                let copy = lines[i].clone();
                lines.insert(i, copy);
            }
            5 => {
                let j = index(rng, lines.len());
                lines.swap(i, j);
            }
            6 => lines.insert(i, format!("{} = {}", pick(rng, keys), toml_value(rng))),
            _ => {
                // Repeat the section starting at or before line i.
                let start = (0..=i)
                    .rev()
                    .find(|j| lines[*j].starts_with('['))
                    .unwrap_or(0);
                let end = (i + 1..lines.len())
                    .find(|j| lines[*j].starts_with('['))
                    .unwrap_or(lines.len());
                let section: Vec<String> = lines[start..end].to_vec();
                lines.extend(section);
            }
        }
    }
    lines.join("\n")
}

fn toml_value(rng: &mut Rng) -> String {
    match rng.below(20) {
        0 => "0".into(),
        1 => "-1".into(),
        2 => "9223372036854775807".into(),
        3 => "18446744073709551616".into(),
        4 => "1e309".into(),
        5 => "nan".into(),
        6 => "inf".into(),
        7 => "-0.0".into(),
        8 => "\"\"".into(),
        9 => format!("\"{}\"", "a".repeat(1 + rng.below(5000) as usize)),
        10 => "[]".into(),
        11 => format!(
            "{}{}",
            "[".repeat(1 + rng.below(3000) as usize),
            "]".repeat(1 + rng.below(3000) as usize)
        ),
        12 => "{ a = 1 }".into(),
        13 => "true".into(),
        14 => "1979-05-27T07:32:00Z".into(),
        15 => "\"http://\"".into(),
        16 => "\"http://[::1]:99999/\"".into(),
        17 => "\"/a/~2\"".into(),
        18 => format!("{}", rng.next_u64() as i64),
        _ => format!("\"{}\"", edge_string(rng).replace(['"', '\\'], "")),
    }
}
