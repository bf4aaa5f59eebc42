//! Price source values: the number text an HTTP price source answers,
//! turned into a feed's fixed-point integer by
//! `orac_oracle_node::source::to_fixed`.
//!
//! An input is `[decimals][scale: f64 LE][text]`. Seeds: numbers in the
//! forms price APIs write (`3000.00`, `1.2e3`, `-0.5`, `+7`, padded with
//! spaces, huge exponents). Properties:
//!
//! * nothing panics;
//! * at scale 1 the conversion is exact: it equals an independent
//!   digit-string computation of round-half-to-even(text × 10^decimals),
//!   or is refused exactly when that does not fit an i128 or the text is
//!   not a decimal number;
//! * at another scale a result has the sign of text × scale (or is 0).

use orac_bench::vmkit::Rng;
use orac_oracle_node::source::{NumberError, to_fixed};

use crate::harness::Target;
use crate::mutate::{self, chance, pick};

const TEXTS: &[&str] = &[
    "3000.00",
    "3000",
    "0.00000001",
    "-12.5",
    "+7",
    "1.2e3",
    "1E-8",
    " 42 ",
    "0",
    "-0.0",
    ".5",
    "5.",
    "170141183460469231731687303715884105727",
    "-170141183460469231731687303715884105728",
    "1e38",
    "1e-400",
    "1e99999999999999999999",
    "0.5",
    "1.5",
    "2.5",
    "123456789.123456789123456789",
];

pub(crate) struct PriceTarget {
    seeds: Vec<Vec<u8>>,
    exact: u64,
}

fn encode(decimals: u8, scale: f64, text: &str) -> Vec<u8> {
    let mut out = vec![decimals];
    out.extend(scale.to_le_bytes());
    out.extend(text.as_bytes());
    out
}

impl PriceTarget {
    pub(crate) fn new() -> Self {
        let mut seeds = Vec::new();
        for t in TEXTS {
            for d in [0u8, 2, 8, 18, 36] {
                seeds.push(encode(d, 1.0, t));
            }
            seeds.push(encode(8, 0.01, t));
        }
        Self { seeds, exact: 0 }
    }
}

/// The reference: `[+-]digits[.digits][(e|E)[+-]digits]` with ASCII
/// whitespace around, as digit strings; `None` if not a number.
fn reference(text: &str, decimals: u8) -> Option<Result<i128, NumberError>> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let (negative, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let exp: i128 = match exponent {
        None => 0,
        Some(e) => {
            let (neg, digits) = match e.as_bytes().first() {
                Some(b'-') => (true, &e[1..]),
                Some(b'+') => (false, &e[1..]),
                _ => (false, e),
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // Past 10^6 the answer is out of range or rounds to zero
            // whatever the digits (inputs are far shorter than that).
            let d = digits.trim_start_matches('0');
            let v: i128 = if d.len() > 7 {
                10_000_000
            } else {
                d.parse().unwrap_or(0)
            };
            if neg { -v } else { v }
        }
    };
    let digits: String = format!("{int}{frac}").trim_start_matches('0').to_string();
    if digits.is_empty() {
        return Some(Ok(0));
    }
    // value = digits × 10^shift
    let shift = exp - frac.len() as i128 + decimals as i128;
    let magnitude: u128 = if shift >= 0 {
        if digits.len() as i128 + shift > 39 {
            return Some(Err(NumberError::OutOfRange));
        }
        let s = format!("{digits}{}", "0".repeat(shift as usize));
        match s.parse::<u128>() {
            Ok(v) => v,
            Err(_) => return Some(Err(NumberError::OutOfRange)),
        }
    } else {
        let drop = (-shift) as usize;
        if drop > digits.len() {
            // Below a tenth of a unit: rounds to zero.
            return Some(Ok(0));
        }
        let (kept, tail) = if drop == digits.len() {
            (String::new(), digits.clone())
        } else {
            let (k, t) = digits.split_at(digits.len() - drop);
            (k.to_string(), t.to_string())
        };
        if kept.len() > 39 {
            return Some(Err(NumberError::OutOfRange));
        }
        let kept_v: u128 = if kept.is_empty() {
            0
        } else {
            match kept.parse::<u128>() {
                Ok(v) => v,
                Err(_) => return Some(Err(NumberError::OutOfRange)),
            }
        };
        // Compare the tail with one half: "5" followed by zeros.
        let first = tail.as_bytes()[0];
        let rest_zero = tail[1..].bytes().all(|b| b == b'0');
        let up = first > b'5' || (first == b'5' && (!rest_zero || kept_v % 2 == 1));
        if up {
            match kept_v.checked_add(1) {
                Some(v) => v,
                None => return Some(Err(NumberError::OutOfRange)),
            }
        } else {
            kept_v
        }
    };
    let limit = i128::MAX as u128;
    Some(match (negative, magnitude) {
        (false, m) if m <= limit => Ok(m as i128),
        (true, m) if m <= limit => Ok(-(m as i128)),
        (true, m) if m == limit + 1 => Ok(i128::MIN),
        _ => Err(NumberError::OutOfRange),
    })
}

impl Target for PriceTarget {
    fn input(&mut self, rng: &mut Rng) -> Vec<u8> {
        let mut data = pick(rng, &self.seeds).clone();
        if chance(rng, 3) {
            data[0] = rng.below(40) as u8;
        }
        if chance(rng, 6) {
            let scale = *pick(rng, &[1.0, 0.01, 1e-300, 1e300, -1.0, 0.0, f64::NAN, 3.0]);
            data[1..9].copy_from_slice(&scale.to_le_bytes());
        }
        if data.len() > 9 && !chance(rng, 4) {
            let mut text = data.split_off(9);
            mutate::bytes(&mut text, rng, &[]);
            data.extend(text);
        }
        data
    }

    fn run(&mut self, input: &[u8]) -> Result<(), String> {
        if input.len() < 9 {
            return Ok(());
        }
        let decimals = input[0];
        let scale = f64::from_le_bytes(input[1..9].try_into().map_err(|_| "length")?);
        // Sources' values arrive as JSON strings or numbers: text.
        let Ok(text) = std::str::from_utf8(&input[9..]) else {
            return Ok(());
        };
        let got = to_fixed(text, scale, decimals);
        if scale == 1.0 {
            let want = reference(text, decimals).unwrap_or(Err(NumberError::NotNumeric));
            if got != want {
                return Err(format!(
                    "to_fixed({text:?}, 1, {decimals}) = {got:?}, the digits say {want:?}"
                ));
            }
            self.exact += 1;
        } else if let (Ok(v), Ok(x)) = (got, text.trim().parse::<f64>())
            && v != 0
            && (v > 0) != (x * scale > 0.0)
        {
            return Err(format!(
                "to_fixed({text:?}, {scale}, {decimals}) = {v}: wrong sign"
            ));
        }
        Ok(())
    }

    fn stats(&self) -> String {
        format!("{} exact conversions compared", self.exact)
    }
}
