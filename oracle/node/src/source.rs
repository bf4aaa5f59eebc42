//! Fetching one price source: an HTTP GET whose JSON response holds a
//! number at a JSON pointer.
//!
//! Sources are outside our control, so everything about a response is
//! bounded or checked: each attempt has a deadline, the body is read in
//! chunks up to [`MAX_BODY_BYTES`] whatever `Content-Length` claims, the
//! value must be a JSON number or a numeric string (never `NaN` or
//! `Infinity`), and the conversion to the feed's fixed-point integer is
//! exact, failing rather than wrapping when it does not fit an `i128`.
//! Transient failures (timeouts, connection errors, 5xx, 429) are retried
//! with exponential backoff; answers that retrying cannot change (other
//! 4xx, bad bodies) are not.
//!
//! Errors and logs name a source by [`SourceSpec::label`], never by its
//! full URL, which may carry an API key in its query.

use std::time::Duration;

use futures::future::join_all;
use serde_json::Value;

use crate::config::{FeedSpec, SourceSpec};

/// Largest response body read. Price responses are a few hundred bytes;
/// this leaves room for verbose APIs (a ticker list) while bounding the
/// memory and parse time a hostile or broken source can cost per poll.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Attempts per source and poll, the first included. Three rides out a
/// dropped connection or a restarting backend without making a dead source
/// hold the poll for long.
pub const MAX_ATTEMPTS: u32 = 3;

/// Wait before the second attempt, doubled before each further one (100 ms,
/// 200 ms): long enough for a backend to come back, short against a poll
/// interval of a second.
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(100);

/// Redirects followed. A price endpoint may move once (http to https, a
/// new path); a chain of them is a misconfiguration.
pub const MAX_REDIRECTS: usize = 3;

/// Characters of an offending value quoted in an error. The value comes
/// from the source and ends up in logs, so only a prefix is kept.
const QUOTE_CHARS: usize = 40;

/// 2^127: the first magnitude an `i128` cannot hold (as a positive value).
const I128_LIMIT: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0;

/// Why a price source gave no value this poll.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// An attempt took longer than the source's timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// Connecting, sending or reading failed.
    #[error("network error: {0}")]
    Network(String),
    /// A status other than 2xx.
    #[error("HTTP status {0}")]
    Status(u16),
    /// The body passed the size limit (the limit in bytes).
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
    /// The body does not parse as JSON (why).
    #[error("response is not JSON: {0}")]
    NotJson(String),
    /// The source's pointer finds nothing in the body.
    #[error("no value at JSON pointer {0:?}")]
    MissingPointer(String),
    /// What the pointer finds is no decimal number.
    #[error("value at {pointer:?} is not a number: {found}")]
    NotNumeric {
        /// The source's pointer.
        pointer: String,
        /// The start of what was found there.
        found: String,
    },
    /// The number does not fit the feed's fixed point.
    #[error("value {value} at {decimals} decimals does not fit in an i128")]
    OutOfRange {
        /// The number as the source wrote it.
        value: String,
        /// The feed's decimals.
        decimals: u8,
    },
}

impl SourceError {
    /// Whether another attempt might succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            SourceError::Timeout(_) | SourceError::Network(_) => true,
            SourceError::Status(status) => *status == 429 || (500..600).contains(status),
            _ => false,
        }
    }

    /// A short fixed name for metric labels (`result` of
    /// `source_fetch_total`).
    pub fn kind(&self) -> &'static str {
        match self {
            SourceError::Timeout(_) => "timeout",
            SourceError::Network(_) => "network",
            SourceError::Status(_) => "http_status",
            SourceError::TooLarge(_) => "too_large",
            SourceError::NotJson(_) => "not_json",
            SourceError::MissingPointer(_) => "missing_pointer",
            SourceError::NotNumeric { .. } => "not_numeric",
            SourceError::OutOfRange { .. } => "out_of_range",
        }
    }
}

/// How failed attempts are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, at least 1.
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each further one.
    pub initial_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: MAX_ATTEMPTS,
            initial_backoff: INITIAL_BACKOFF,
        }
    }
}

/// Fetches sources through one shared HTTP client (one connection pool,
/// so a source polled every second keeps its connection alive).
#[derive(Clone, Debug)]
pub struct Fetcher {
    client: reqwest::Client,
    retry: RetryPolicy,
    max_body: usize,
}

impl Fetcher {
    /// A fetcher with the default retry policy and body limit.
    pub fn new() -> Result<Self, reqwest::Error> {
        Self::with_policy(RetryPolicy::default(), MAX_BODY_BYTES)
    }

    /// A fetcher that retries by `retry` and refuses bodies over
    /// `max_body` bytes.
    pub fn with_policy(retry: RetryPolicy, max_body: usize) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("orac-oracle-node/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .build()?;
        Ok(Self {
            client,
            retry: RetryPolicy {
                attempts: retry.attempts.max(1),
                ..retry
            },
            max_body,
        })
    }

    /// Fetches every source of `feed` concurrently; the results are in the
    /// order of `feed.sources`.
    pub async fn fetch_feed(&self, feed: &FeedSpec) -> Vec<Result<i128, SourceError>> {
        join_all(
            feed.sources
                .iter()
                .map(|source| self.fetch(source, feed.decimals)),
        )
        .await
    }

    /// Fetches `source` and returns its value times 10^`decimals`.
    pub async fn fetch(&self, source: &SourceSpec, decimals: u8) -> Result<i128, SourceError> {
        let result = self.fetch_body(source).await.and_then(|body| {
            let text = extract(&body, &source.pointer)?;
            to_fixed(&text, source.scale, decimals).map_err(|e| match e {
                NumberError::NotNumeric => SourceError::NotNumeric {
                    pointer: source.pointer.clone(),
                    found: quote(&text),
                },
                NumberError::OutOfRange => SourceError::OutOfRange {
                    value: quote(&text),
                    decimals,
                },
            })
        });
        match &result {
            Ok(value) => tracing::debug!(source = %source.label(), value, "fetched source"),
            Err(error) => tracing::warn!(source = %source.label(), %error, "source failed"),
        }
        result
    }

    /// The body of the first successful attempt, or the last error.
    async fn fetch_body(&self, source: &SourceSpec) -> Result<Vec<u8>, SourceError> {
        let mut backoff = self.retry.initial_backoff;
        let mut attempt = 1;
        loop {
            let result = match tokio::time::timeout(source.timeout, self.attempt(source)).await {
                Ok(result) => result,
                Err(_) => Err(SourceError::Timeout(source.timeout)),
            };
            match result {
                Err(error) if error.is_retryable() && attempt < self.retry.attempts => {
                    tracing::debug!(
                        source = %source.label(),
                        attempt,
                        %error,
                        retry_in = ?backoff,
                        "source attempt failed"
                    );
                    tokio::time::sleep(backoff).await;
                    backoff = backoff.saturating_mul(2);
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn attempt(&self, source: &SourceSpec) -> Result<Vec<u8>, SourceError> {
        let mut response = self
            .client
            .get(source.url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(network)?;
        let status = response.status();
        if !status.is_success() {
            return Err(SourceError::Status(status.as_u16()));
        }
        // A declared length over the limit is refused at once; a smaller
        // one is not believed, the count below is what holds.
        if response
            .content_length()
            .is_some_and(|len| len > self.max_body as u64)
        {
            return Err(SourceError::TooLarge(self.max_body));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(network)? {
            if body.len() + chunk.len() > self.max_body {
                return Err(SourceError::TooLarge(self.max_body));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// reqwest's error with its causes, but without the URL (its query may
/// hold an API key).
fn network(error: reqwest::Error) -> SourceError {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    SourceError::Network(text)
}

/// Parses `body` as JSON and returns the text of the number or string at
/// `pointer`.
fn extract(body: &[u8], pointer: &str) -> Result<String, SourceError> {
    let json: Value =
        serde_json::from_slice(body).map_err(|e| SourceError::NotJson(e.to_string()))?;
    let not_numeric = |found: String| SourceError::NotNumeric {
        pointer: pointer.to_string(),
        found,
    };
    match json.pointer(pointer) {
        None => Err(SourceError::MissingPointer(pointer.to_string())),
        // serde_json keeps integers exactly and floats as the nearest f64,
        // whose shortest representation is printed here: the source's own
        // text whenever it had at most 15 significant digits (and always
        // when the source printed an f64 itself). Numeric strings are
        // taken digit for digit.
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Null) => Err(not_numeric("null".into())),
        Some(Value::Bool(b)) => Err(not_numeric(format!("boolean {b}"))),
        Some(Value::Array(_)) => Err(not_numeric("an array".into())),
        Some(Value::Object(_)) => Err(not_numeric("an object".into())),
    }
}

/// `text` in quotes, cut to [`QUOTE_CHARS`] characters.
fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_CHARS) {
        Some((end, _)) => format!("{:?}...", &text[..end]),
        None => format!("{text:?}"),
    }
}

/// Why a text could not become a fixed-point value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// Not a decimal number (NaN, infinities, hex and thousands separators
    /// included).
    #[error("not a decimal number")]
    NotNumeric,
    /// A number, but the result does not fit an `i128`.
    #[error("does not fit in an i128")]
    OutOfRange,
}

/// Converts a decimal number written as text (`-12.5`, `1.2e3`) to the
/// integer `round(text * scale * 10^decimals)`.
///
/// With `scale == 1` this is exact: the digits are shifted, never passed
/// through a float, and digits beyond `decimals` are rounded half to even.
/// Another scale is applied in f64 (also rounded half to even), which is
/// exact to about 15 significant digits.
pub fn to_fixed(text: &str, scale: f64, decimals: u8) -> Result<i128, NumberError> {
    let number = Decimal::parse(text).ok_or(NumberError::NotNumeric)?;
    if scale == 1.0 {
        return number.to_fixed(decimals);
    }
    // The grammar was checked above, so the float parser sees no "NaN" or
    // "inf"; a huge exponent still overflows to infinity, caught below.
    let value: f64 = text.trim().parse().map_err(|_| NumberError::NotNumeric)?;
    let scaled = (value * scale * 10f64.powi(i32::from(decimals))).round_ties_even();
    if !(-I128_LIMIT..I128_LIMIT).contains(&scaled) {
        return Err(NumberError::OutOfRange);
    }
    Ok(scaled as i128)
}

/// A parsed decimal: `digits * 10^exp10`, negated if `negative`.
struct Decimal {
    negative: bool,
    /// ASCII digits without leading zeros; empty for zero.
    digits: Vec<u8>,
    exp10: i64,
}

impl Decimal {
    /// Parses `[+-]digits[.digits][(e|E)[+-]digits]`, with at least one
    /// digit in the mantissa; ASCII whitespace around it is ignored.
    fn parse(text: &str) -> Option<Decimal> {
        let bytes = text.trim_ascii().as_bytes();
        let (negative, rest) = match bytes.split_first() {
            Some((b'-', rest)) => (true, rest),
            Some((b'+', rest)) => (false, rest),
            _ => (false, bytes),
        };
        let (mantissa, exponent) = match rest.iter().position(|&b| b == b'e' || b == b'E') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int, frac) = match mantissa.iter().position(|&b| b == b'.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, &[][..]),
        };
        if (int.is_empty() && frac.is_empty()) || !int.iter().chain(frac).all(u8::is_ascii_digit) {
            return None;
        }
        let exp = match exponent {
            None => 0,
            Some(exp) => parse_exponent(exp)?,
        };
        let digits: Vec<u8> = int
            .iter()
            .chain(frac)
            .copied()
            .skip_while(|&d| d == b'0')
            .collect();
        let frac_len = i64::try_from(frac.len()).unwrap_or(i64::MAX);
        Some(Decimal {
            negative,
            digits,
            exp10: exp.saturating_sub(frac_len),
        })
    }

    fn to_fixed(&self, decimals: u8) -> Result<i128, NumberError> {
        if self.digits.is_empty() {
            return Ok(0);
        }
        let shift = self.exp10.saturating_add(i64::from(decimals));
        let magnitude = if shift >= 0 {
            // `digits` starts with a non-zero digit, so the loop overflows
            // within 39 rounds however large `shift` is.
            let mut m = digits_to_u128(&self.digits)?;
            for _ in 0..shift {
                m = m.checked_mul(10).ok_or(NumberError::OutOfRange)?;
            }
            m
        } else {
            let dropped = shift.unsigned_abs();
            let len = self.digits.len() as u64;
            let (kept, tail, tail_is_all) = if dropped >= len {
                // The whole number is below one unit; if `dropped > len`
                // it is even below a tenth of one.
                (0, &self.digits[..], dropped == len)
            } else {
                let split = (len - dropped) as usize;
                (
                    digits_to_u128(&self.digits[..split])?,
                    &self.digits[split..],
                    true,
                )
            };
            // Half to even: up above one half, or at exactly one half when
            // the kept part is odd.
            let up = tail_is_all
                && match tail.split_first() {
                    Some((&first, _)) if first > b'5' => true,
                    Some((b'5', rest)) => rest.iter().any(|&d| d != b'0') || kept % 2 == 1,
                    _ => false,
                };
            if up {
                kept.checked_add(1).ok_or(NumberError::OutOfRange)?
            } else {
                kept
            }
        };
        match (self.negative, i128::try_from(magnitude)) {
            (false, Ok(v)) => Ok(v),
            (true, Ok(v)) => Ok(-v),
            (true, Err(_)) if magnitude == i128::MIN.unsigned_abs() => Ok(i128::MIN),
            _ => Err(NumberError::OutOfRange),
        }
    }
}

/// `[+-]digits`, saturated to the i64 range: past a few hundred thousand
/// the result is out of range or rounds to zero either way.
fn parse_exponent(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits.iter().fold(0i64, |acc, &d| {
        acc.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    Some(if negative { -value } else { value })
}

fn digits_to_u128(digits: &[u8]) -> Result<u128, NumberError> {
    digits.iter().try_fold(0u128, |acc, &d| {
        acc.checked_mul(10)
            .and_then(|acc| acc.checked_add(u128::from(d - b'0')))
            .ok_or(NumberError::OutOfRange)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(text: &str, decimals: u8) -> Result<i128, NumberError> {
        to_fixed(text, 1.0, decimals)
    }

    /// Each `(text, decimals, value)`: `text` converts to `value` at scale 1.
    fn converts(cases: &[(&str, u8, i128)]) {
        for (text, decimals, value) in cases {
            assert_eq!(fixed(text, *decimals), Ok(*value), "{text:?} at {decimals}");
        }
    }

    #[test]
    fn exact_decimal_scaling() {
        converts(&[
            ("123.45678901", 8, 12_345_678_901),
            ("0.1", 18, 100_000_000_000_000_000),
            ("42", 0, 42),
            ("-1.5", 2, -150),
            ("+7", 1, 70),
            (" 3.25\n", 2, 325),
            (".5", 1, 5),
            ("5.", 1, 50),
            ("-0", 8, 0),
            ("0.000", 8, 0),
            ("1.5e3", 2, 150_000),
            ("15E-1", 0, 2),
            ("1e-7", 8, 10),
            // 0.1 + 0.2 in f64 is 0.30000000000000004; digits are not floats.
            ("0.30000000000000004", 17, 30_000_000_000_000_004),
            // More digits than fit a u128, but leading zeros and dropped
            // digits do not count.
            ("0000000000000000000000000000000000000000001.5", 1, 15),
            ("1e-999999999999999999999", 36, 0),
        ]);
        assert_eq!(fixed(&format!("0.{}1", "0".repeat(60)), 8), Ok(0));
    }

    #[test]
    fn rounds_half_to_even() {
        converts(&[
            ("0.125", 2, 12),
            ("0.135", 2, 14),
            ("0.1250001", 2, 13),
            ("0.1249999", 2, 12),
            ("-0.125", 2, -12),
            ("-0.135", 2, -14),
            ("0.5", 0, 0),
            ("1.5", 0, 2),
            ("0.51", 0, 1),
            ("0.05", 0, 0),
            ("0.9", 0, 1),
        ]);
    }

    #[test]
    fn i128_bounds() {
        let max = i128::MAX.to_string();
        assert_eq!(fixed(&max, 0), Ok(i128::MAX));
        assert_eq!(fixed(&i128::MIN.to_string(), 0), Ok(i128::MIN));
        assert_eq!(
            fixed("170141183460469231731687303715884105728", 0),
            Err(NumberError::OutOfRange)
        );
        assert_eq!(fixed("1.7e38", 0), Ok(170 * 10i128.pow(36)));
        assert_eq!(fixed("1.8e38", 0), Err(NumberError::OutOfRange));
        assert_eq!(fixed("2", 38), Err(NumberError::OutOfRange));
        assert_eq!(
            fixed("1e999999999999999999999", 0),
            Err(NumberError::OutOfRange)
        );
        assert_eq!(fixed(&"9".repeat(50), 0), Err(NumberError::OutOfRange));
        // Rounding up past the maximum.
        assert_eq!(fixed(&format!("{max}.9"), 0), Err(NumberError::OutOfRange));
    }

    #[test]
    fn refuses_non_numbers() {
        for text in [
            "",
            "-",
            "+",
            ".",
            "e5",
            "1e",
            "1e+",
            "NaN",
            "nan",
            "inf",
            "-Infinity",
            "0x10",
            "1,000",
            "1_000",
            "1.2.3",
            "--1",
            "1e5.5",
            "١٢",
            "12abc",
            " ",
        ] {
            assert_eq!(fixed(text, 8), Err(NumberError::NotNumeric), "{text:?}");
            assert_eq!(
                to_fixed(text, 0.01, 8),
                Err(NumberError::NotNumeric),
                "{text:?}"
            );
        }
    }

    #[test]
    fn scaled_through_f64() {
        assert_eq!(to_fixed("12345", 0.01, 8), Ok(12_345_000_000));
        assert_eq!(to_fixed("1.5", 2.0, 0), Ok(3));
        // 0.25 * 10 = 2.5 rounds to even.
        assert_eq!(to_fixed("0.25", 10.0, 0), Ok(2));
        assert_eq!(to_fixed("0.75", 10.0, 0), Ok(8));
        assert_eq!(to_fixed("-3", 0.5, 0), Ok(-2));
        assert_eq!(to_fixed("1e300", 0.5, 0), Err(NumberError::OutOfRange));
        assert_eq!(to_fixed("1e400", 0.5, 0), Err(NumberError::OutOfRange));
        assert_eq!(to_fixed("1e20", 0.5, 0), Ok(50_000_000_000_000_000_000));
        assert!(to_fixed("3e38", 0.5, 0).is_ok());
    }

    #[test]
    fn extracts_numbers_and_strings() {
        let body =
            br#"{"a": {"b": [1, "2.5", 3.75, null, true, {}, []]}, "big": 18446744073709551615}"#;
        assert_eq!(extract(body, "/a/b/0"), Ok("1".into()));
        assert_eq!(extract(body, "/a/b/1"), Ok("2.5".into()));
        assert_eq!(extract(body, "/a/b/2"), Ok("3.75".into()));
        assert_eq!(extract(body, "/big"), Ok("18446744073709551615".into()));
        assert_eq!(
            extract(body, "/a/c"),
            Err(SourceError::MissingPointer("/a/c".into()))
        );
        for (pointer, found) in [
            ("/a/b/3", "null"),
            ("/a/b/4", "boolean true"),
            ("/a/b/5", "an object"),
            ("/a/b/6", "an array"),
        ] {
            assert_eq!(
                extract(body, pointer),
                Err(SourceError::NotNumeric {
                    pointer: pointer.into(),
                    found: found.into()
                })
            );
        }
        assert!(matches!(
            extract(b"<html>", ""),
            Err(SourceError::NotJson(_))
        ));
        assert_eq!(extract(b"7", ""), Ok("7".into()));
    }

    #[test]
    fn quotes_are_cut() {
        assert_eq!(quote("abc"), "\"abc\"");
        let long = "x".repeat(100);
        assert_eq!(quote(&long), format!("\"{}\"...", "x".repeat(QUOTE_CHARS)));
    }
}
