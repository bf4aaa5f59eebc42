//! Oracle node configs (`orac oracle --config FILE`): TOML through
//! `orac_oracle_node::Config::parse`.
//!
//! Seeds: the example configs in oracle/examples and one with named
//! queries, keystore and every optional field. Mutations are line-based
//! (values swapped for edge values, lines dropped, duplicated, swapped,
//! sections repeated) and byte-level. Properties:
//!
//! * parsing never panics and gives the same answer twice;
//! * a config that parses keeps every documented bound: poll interval
//!   and transmit timeout, at least one feed, unique feed ids, decimals,
//!   heartbeat, sources per feed and `min_sources`, http(s) URLs with a
//!   host, positive finite scales, source timeouts, queries per feed and
//!   their names, query ids that are keccak256 of the names.

use std::collections::HashSet;
use std::time::Duration;

use orac_bench::vmkit::Rng;
use orac_oracle_node::config::{
    MAX_DECIMALS, MAX_POLL_INTERVAL_MS, MAX_QUERIES_PER_FEED, MAX_QUERY_NAME,
    MAX_SOURCE_TIMEOUT_MS, MAX_SOURCES_PER_FEED, MIN_POLL_INTERVAL_MS, query_id,
};
use orac_oracle_node::testing::{ConfigToml, FeedToml, QueryToml, SourceToml};
use orac_oracle_node::{Config, SourceSpec};

use crate::harness::Target;
use crate::mutate;

const KEYS: &[&str] = &[
    "rpc_url",
    "listen",
    "peers",
    "key_env",
    "keystore",
    "keystore_password_env",
    "poll_interval_ms",
    "transmit_timeout_ms",
    "id",
    "decimals",
    "min_sources",
    "max_spread_ppm",
    "heartbeat_secs",
    "deviation_ppb",
    "url",
    "pointer",
    "scale",
    "timeout_ms",
    "name",
];

/// A config with every optional field, keystore, a named query and edge
/// values (ids, decimals, spreads and heartbeats at their limits).
fn full() -> String {
    ConfigToml::new("https://rpc.example.org:8545/v1", "[::1]:9101")
        .peers(&["http://127.0.0.1:9102/", "https://peer.example.org/"])
        .string("keystore", "keys/node.json")
        .string("keystore_password_env", "PW")
        .set("poll_interval_ms", 100)
        .set("transmit_timeout_ms", 3_600_000)
        .feed(
            FeedToml::new(u64::MAX)
                .decimals(36)
                .max_spread_ppm(0)
                .trigger(1, 0)
                .source(
                    SourceToml::new("http://127.0.0.1:8000/a?key=secret#frag", "")
                        .scale(0.01)
                        .timeout_ms(60_000),
                )
                .source(SourceToml::new(
                    "https://user:pw@api.example.org/b",
                    "/data/~0price~1usd/0",
                ))
                .query(
                    QueryToml::new(
                        "EUR",
                        vec![SourceToml::new("http://127.0.0.1:8000/eur", "/price")],
                    )
                    .min_sources(1),
                ),
        )
        .feed(
            FeedToml::new(0)
                .decimals(0)
                .min_sources(1)
                .max_spread_ppm(u64::MAX)
                .trigger(u64::MAX, 1)
                .source(SourceToml::new("http://h/", "/p")),
        )
        .to_string()
}

pub(crate) struct ConfigTarget {
    seeds: Vec<Vec<u8>>,
    parsed: u64,
}

impl ConfigTarget {
    pub(crate) fn new() -> Self {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../oracle/examples");
        let mut seeds = vec![full().into_bytes()];
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            paths.sort();
            for p in paths {
                if p.extension().is_some_and(|e| e == "toml")
                    && let Ok(text) = std::fs::read(&p)
                {
                    seeds.push(text);
                }
            }
        }
        Self { seeds, parsed: 0 }
    }
}

fn check_sources(what: &str, sources: &[SourceSpec], min: usize) -> Result<(), String> {
    if sources.is_empty() || sources.len() > MAX_SOURCES_PER_FEED {
        return Err(format!("{what}: {} sources", sources.len()));
    }
    if min == 0 || min > sources.len() {
        return Err(format!("{what}: min_sources {min} of {}", sources.len()));
    }
    for s in sources {
        if !matches!(s.url.scheme(), "http" | "https") || s.url.host_str().is_none_or(str::is_empty)
        {
            return Err(format!("{what}: source URL {}", s.url));
        }
        if !(s.scale.is_finite() && s.scale > 0.0) {
            return Err(format!("{what}: scale {}", s.scale));
        }
        if s.timeout.is_zero() || s.timeout > Duration::from_millis(MAX_SOURCE_TIMEOUT_MS) {
            return Err(format!("{what}: timeout {:?}", s.timeout));
        }
        if !s.pointer.is_empty() && !s.pointer.starts_with('/') {
            return Err(format!("{what}: pointer {:?}", s.pointer));
        }
        let _ = s.label();
    }
    Ok(())
}

fn check_config(c: &Config) -> Result<(), String> {
    let poll =
        Duration::from_millis(MIN_POLL_INTERVAL_MS)..=Duration::from_millis(MAX_POLL_INTERVAL_MS);
    if !poll.contains(&c.poll_interval) {
        return Err(format!("poll interval {:?}", c.poll_interval));
    }
    if c.transmit_timeout < c.poll_interval
        || c.transmit_timeout > Duration::from_millis(MAX_POLL_INTERVAL_MS)
    {
        return Err(format!("transmit timeout {:?}", c.transmit_timeout));
    }
    if c.feeds.is_empty() {
        return Err("no feeds".into());
    }
    let mut ids = HashSet::new();
    for f in &c.feeds {
        if !ids.insert(f.id) {
            return Err(format!("feed {} twice", f.id));
        }
        if f.decimals > MAX_DECIMALS || f.heartbeat_secs == 0 {
            return Err(format!("feed {}: decimals or heartbeat", f.id));
        }
        check_sources(&format!("feed {}", f.id), &f.sources, f.min_sources)?;
        if f.queries.len() > MAX_QUERIES_PER_FEED {
            return Err(format!("feed {}: {} queries", f.id, f.queries.len()));
        }
        let mut names = HashSet::new();
        for q in &f.queries {
            if q.name.is_empty() || q.name.len() > MAX_QUERY_NAME || !names.insert(&q.name) {
                return Err(format!("feed {}: query name {:?}", f.id, q.name));
            }
            if q.id != query_id(&q.name) {
                return Err(format!("query {:?}: id is not keccak of the name", q.name));
            }
            check_sources(&format!("query {:?}", q.name), &q.sources, q.min_sources)?;
            let _ = f.for_query(&q.id);
        }
    }
    for p in &c.peers {
        if !matches!(p.scheme(), "http" | "https") {
            return Err(format!("peer {p}"));
        }
    }
    Ok(())
}

impl Target for ConfigTarget {
    fn input(&mut self, rng: &mut Rng) -> Vec<u8> {
        mutate::from_seed(
            rng,
            &self.seeds,
            (5, 4),
            |data| Some(String::from_utf8_lossy(data).into_owned()),
            |text, rng| mutate::toml(&text, rng, KEYS).into_bytes(),
        )
    }

    fn run(&mut self, input: &[u8]) -> Result<(), String> {
        // The node reads the file as UTF-8 text (`read_to_string`).
        let Ok(text) = std::str::from_utf8(input) else {
            return Ok(());
        };
        let first = Config::parse(text);
        let second = Config::parse(text);
        match (&first, &second) {
            (Ok(a), Ok(b)) if a == b => {}
            (Err(a), Err(b)) if a.to_string() == b.to_string() => {}
            _ => return Err("parsing the same text twice gives different answers".into()),
        }
        if let Ok(c) = first {
            self.parsed += 1;
            check_config(&c)?;
        }
        Ok(())
    }

    fn stats(&self) -> String {
        format!("{} parsed", self.parsed)
    }
}
