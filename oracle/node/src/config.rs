//! The node's TOML config file, as read by `orac oracle --config FILE`.
//!
//! The file is parsed into private `*File` structs that mirror it field for
//! field (unknown fields are refused, so a typo such as `min_source` is an
//! error rather than a silently ignored setting), then checked and turned
//! into [`Config`], whose fields are already parsed (URLs, socket address,
//! durations, the key source as an enum). Code past [`Config::load`]
//! therefore never re-validates, and every mistake in the file is reported
//! at start-up, with the file's path and the offending field, instead of as
//! a failed fetch minutes later.
//!
//! ```toml
//! rpc_url = "http://127.0.0.1:8545"
//! listen = "127.0.0.1:9101"
//! peers = ["http://127.0.0.1:9102"]
//! key_env = "ORAC_ORACLE_KEY"
//! poll_interval_ms = 1000
//! request_fee_margin_pct = 100
//! min_request_fee_gwei = 0
//! max_open_requests_per_requester = 32
//!
//! [[feeds]]
//! id = 1
//! decimals = 8
//! min_sources = 2
//! max_spread_ppm = 50000
//! heartbeat_secs = 60
//! deviation_ppb = 5000000
//!
//!   [[feeds.sources]]
//!   url = "http://127.0.0.1:8000/price"
//!   pointer = "/data/price"
//!
//!   # Optional: named queries that requests may ask for (`request(feed,
//!   # keccak256("EUR"), …)`), each with its own sources.
//!   [[feeds.queries]]
//!   name = "EUR"
//!   min_sources = 1
//!     [[feeds.queries.sources]]
//!     url = "http://127.0.0.1:8000/eur"
//!     pointer = "/price"
//! ```
//!
//! `rpc_url`, `listen`, `peers` and `max_open_requests_per_requester` can
//! also be set from outside the file ([`Overrides`]): the env vars
//! [`RPC_URL_ENV`], [`LISTEN_ENV`], [`PEERS_ENV`] and
//! [`MAX_OPEN_PER_REQUESTER_ENV`] (which [`Config::load`] applies), and
//! whatever flags the command line passes on top ([`Config::apply`]). They
//! are checked exactly as the file's values are.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use orac_primitives::U256;
use reqwest::Url;
use serde::Deserialize;

use crate::requests::{
    DEFAULT_FEE_MARGIN_PCT, DEFAULT_MAX_OPEN_PER_REQUESTER, FeePolicy, MAX_FEE_MARGIN_PCT,
    MAX_OPEN_REQUESTS,
};

/// Env var that overrides the file's `listen` (an IP:port address).
pub const LISTEN_ENV: &str = "ORAC_ORACLE_LISTEN";
/// Env var that overrides the file's `peers`: base URLs separated by
/// commas (spaces around them ignored); set and empty means no peers.
pub const PEERS_ENV: &str = "ORAC_ORACLE_PEERS";
/// Env var that overrides the file's `rpc_url`.
pub const RPC_URL_ENV: &str = "ORAC_ORACLE_RPC_URL";
/// Env var that overrides the file's `max_open_requests_per_requester` (a
/// number from 1 to [`MAX_OPEN_REQUESTS`]).
pub const MAX_OPEN_PER_REQUESTER_ENV: &str = "ORAC_ORACLE_MAX_OPEN_REQUESTS_PER_REQUESTER";

/// Most feeds one node observes. Each feed polls all its sources every
/// interval and holds up to three open rounds in the observation pool
/// (`pool::MAX_ROUND_ENTRIES` is sized from this).
pub const MAX_FEEDS: usize = 64;

/// Poll interval used when the file gives none.
pub const DEFAULT_POLL_INTERVAL_MS: u64 = 1_000;

/// Shortest poll interval accepted. Every poll fetches every source of
/// every feed; below this a node hammers public price APIs (and gets rate
/// limited) without any gain, since prices are not published that often.
pub const MIN_POLL_INTERVAL_MS: u64 = 100;

/// Longest poll interval accepted (one hour). A feed's heartbeat is checked
/// once per poll, so a longer interval would make heartbeats meaningless.
pub const MAX_POLL_INTERVAL_MS: u64 = 3_600_000;

/// Per-attempt timeout of a source that gives none.
pub const DEFAULT_SOURCE_TIMEOUT_MS: u64 = 2_000;

/// Longest per-attempt source timeout accepted. A source is retried (see
/// `source::MAX_ATTEMPTS`), so one slow source can hold a poll for a few
/// times this; a minute is already far past any useful price.
pub const MAX_SOURCE_TIMEOUT_MS: u64 = 60_000;

/// Most sources one feed may list. Each poll fetches all of them
/// concurrently; this bounds the fan-out of one node per feed, and nobody
/// needs more independent prices than this for a median.
pub const MAX_SOURCES_PER_FEED: usize = 32;

/// Most named queries one feed may serve, and the longest name (bytes).
pub const MAX_QUERIES_PER_FEED: usize = 16;
/// Longest query name, in bytes (see [`MAX_QUERIES_PER_FEED`]).
pub const MAX_QUERY_NAME: usize = 64;

/// Decimals a feed's answers may be scaled by. The same limit as the
/// on-chain registry (`orac_oracle::feed::MAX_DECIMALS`): an i128 holds 38
/// digits, which leaves two for the integer part at the maximum.
pub const MAX_DECIMALS: u8 = 36;

/// Env var read for the keystore password when the file names none.
pub const DEFAULT_KEYSTORE_PASSWORD_ENV: &str = "ORAC_KEYSTORE_PASSWORD";

/// A checked config.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The chain's JSON-RPC endpoint.
    pub rpc_url: Url,
    /// Address of this node's peer and metrics HTTP server.
    pub listen: SocketAddr,
    /// Base URLs of the other oracle nodes.
    pub peers: Vec<Url>,
    /// Where the node's signing key comes from.
    pub key: KeySource,
    /// How often every feed's sources are fetched.
    pub poll_interval: Duration,
    /// How long each oracle node waits, once a round has a quorum of
    /// observations, for the node before it in the transmitter rotation to
    /// land it, before transmitting it itself.
    pub transmit_timeout: Duration,
    /// Which requests pay enough to be answered.
    pub requests: FeePolicy,
    /// Most open requests of one requester the node tracks (1 to
    /// [`MAX_OPEN_REQUESTS`]; see [`crate::requests`]).
    pub max_open_requests_per_requester: usize,
    /// The feeds this node observes (at least one, ids unique).
    pub feeds: Vec<FeedSpec>,
}

/// Where the node's secp256k1 key comes from (see [`crate::keys`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// The named env var holds the key as hex, `0x` optional.
    Env {
        /// The env var's name.
        var: String,
    },
    /// An Ethereum v3 JSON keystore; the named env var holds its password.
    Keystore {
        /// The keystore file, relative paths resolved against the config
        /// file's folder.
        path: PathBuf,
        /// The env var holding the password.
        password_env: String,
    },
}

/// One feed this node observes.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedSpec {
    /// The on-chain feed id.
    pub id: u64,
    /// Answers are values times 10^decimals, as integers.
    pub decimals: u8,
    /// Sources that must agree (be within `max_spread_ppm` of their
    /// median) for an answer; fewer and the node observes nothing.
    pub min_sources: usize,
    /// A source further than this, in parts per million of the median of
    /// all sources, is dropped as an outlier.
    pub max_spread_ppm: u64,
    /// Seconds after which the node reports even an unchanged answer.
    pub heartbeat_secs: u64,
    /// Relative change, in parts per billion, that makes the node report
    /// before the heartbeat is due.
    pub deviation_ppb: u64,
    /// Where the feed's value is fetched from.
    pub sources: Vec<SourceSpec>,
    /// Named queries requests may ask for instead of the feed's value.
    pub queries: Vec<QuerySpec>,
}

/// A named query: a datum other than the feed's own value (another
/// currency, a related index) that requests to the feed's signers may ask
/// for, answered from its own sources with the feed's decimals.
#[derive(Clone, Debug, PartialEq)]
pub struct QuerySpec {
    /// The name in the config file ("EUR").
    pub name: String,
    /// What requests carry as `query`: keccak256 of the name.
    pub id: [u8; 32],
    /// As the feed's `min_sources`, for this query's sources (defaults to
    /// the feed's).
    pub min_sources: usize,
    /// As the feed's `max_spread_ppm` (defaults to the feed's).
    pub max_spread_ppm: u64,
    /// Where the query's value is fetched from.
    pub sources: Vec<SourceSpec>,
}

/// The `query` a request carries to ask for the named query `name`.
pub fn query_id(name: &str) -> [u8; 32] {
    orac_primitives::keccak256(name.as_bytes()).0
}

impl FeedSpec {
    /// What to observe for a request with `query`: the feed itself for the
    /// zero query, a configured named query otherwise (same feed id and
    /// decimals, the query's sources); `None` if this node has no such
    /// query.
    pub fn for_query(&self, query: &[u8; 32]) -> Option<FeedSpec> {
        if *query == [0; 32] {
            return Some(self.clone());
        }
        let q = self.queries.iter().find(|q| q.id == *query)?;
        Some(FeedSpec {
            min_sources: q.min_sources,
            max_spread_ppm: q.max_spread_ppm,
            sources: q.sources.clone(),
            queries: Vec::new(),
            ..self.clone()
        })
    }
}

/// One HTTP price source.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceSpec {
    /// The http(s) URL fetched; may hold an API key (see [`Self::label`]).
    pub url: Url,
    /// RFC 6901 JSON pointer to the value in the response; "" is the whole
    /// document.
    pub pointer: String,
    /// Multiplier applied to the value before scaling by the feed's
    /// decimals (0.01 for a source quoting cents). 1 keeps the conversion
    /// exact.
    pub scale: f64,
    /// Timeout of one attempt (connect, headers and body).
    pub timeout: Duration,
}

impl SourceSpec {
    /// The URL without user info, query or fragment: what logs and metric
    /// labels show. Price API keys usually travel in the query string, and
    /// metrics are served to anyone who can reach the node.
    pub fn label(&self) -> String {
        let host = self.url.host_str().unwrap_or("");
        match self.url.port() {
            Some(port) => format!("{}://{host}:{port}{}", self.url.scheme(), self.url.path()),
            None => format!("{}://{host}{}", self.url.scheme(), self.url.path()),
        }
    }
}

/// Why a config was refused: at start-up, before anything is fetched.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What reading it gave.
        source: std::io::Error,
    },
    /// Any other error, with the file it came from.
    #[error("config {path}: {source}")]
    InFile {
        /// The file.
        path: PathBuf,
        /// What is wrong in it.
        source: Box<ConfigError>,
    },
    /// Not TOML, or not the file's shape (an unknown or missing field).
    #[error("invalid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    /// No feed configured.
    #[error("no [[feeds]]: the node would have nothing to observe")]
    NoFeeds,
    /// More than [`MAX_FEEDS`] feeds.
    #[error("{0} feeds, at most {MAX_FEEDS}")]
    TooManyFeeds(usize),
    /// Two feeds with one id.
    #[error("feed id {0} is configured twice")]
    DuplicateFeed(u64),
    /// Both or neither of the two key sources.
    #[error("give exactly one of `key_env` and `keystore`")]
    KeySource,
    /// A field has a value it may not have.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field's path in the file, such as `feeds[0].sources[1].url`
        /// (or the env var or flag it came from).
        field: String,
        /// What is wrong with the value.
        reason: String,
    },
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    rpc_url: String,
    listen: String,
    #[serde(default)]
    peers: Vec<String>,
    key_env: Option<String>,
    keystore: Option<PathBuf>,
    keystore_password_env: Option<String>,
    poll_interval_ms: Option<u64>,
    transmit_timeout_ms: Option<u64>,
    request_fee_margin_pct: Option<u64>,
    min_request_fee_gwei: Option<u64>,
    max_open_requests_per_requester: Option<u64>,
    #[serde(default)]
    feeds: Vec<FeedFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedFile {
    id: u64,
    decimals: u8,
    min_sources: usize,
    max_spread_ppm: u64,
    heartbeat_secs: u64,
    deviation_ppb: u64,
    #[serde(default)]
    sources: Vec<SourceFile>,
    #[serde(default)]
    queries: Vec<QueryFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryFile {
    name: String,
    /// Default: the feed's.
    min_sources: Option<usize>,
    /// Default: the feed's.
    max_spread_ppm: Option<u64>,
    #[serde(default)]
    sources: Vec<SourceFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    url: String,
    pointer: String,
    scale: Option<f64>,
    timeout_ms: Option<u64>,
}

/// One setting given outside the config file, and where it came from (an
/// env var's or a flag's name), for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The env var or flag that gave it, for errors.
    pub from: String,
    /// The value as given.
    pub value: String,
}

impl Setting {
    /// `value`, given by `from`.
    pub fn new(from: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            from: from.into(),
            value: value.into(),
        }
    }
}

/// Settings that take precedence over the config file's: `rpc_url`,
/// `listen` and `peers`, for running the same file on several machines or
/// ports, and `max_open_requests_per_requester`, for changing the request
/// cap without editing the file. `orac oracle` takes them from
/// [`LISTEN_ENV`], [`PEERS_ENV`], [`RPC_URL_ENV`] and
/// [`MAX_OPEN_PER_REQUESTER_ENV`]; a command line that has flags for them
/// builds its own and lays it over the environment's with
/// [`Overrides::over`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// The chain's JSON-RPC URL.
    pub rpc_url: Option<Setting>,
    /// The peer server's IP:port address.
    pub listen: Option<Setting>,
    /// Base URLs, comma-separated; an empty value means no peers.
    pub peers: Option<Setting>,
    /// A decimal number from 1 to [`MAX_OPEN_REQUESTS`].
    pub max_open_requests_per_requester: Option<Setting>,
}

impl Overrides {
    /// The overrides in the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The overrides `lookup` finds under [`RPC_URL_ENV`], [`LISTEN_ENV`],
    /// [`PEERS_ENV`] and [`MAX_OPEN_PER_REQUESTER_ENV`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).map(|value| Setting::new(name, value));
        Self {
            rpc_url: get(RPC_URL_ENV),
            listen: get(LISTEN_ENV),
            peers: get(PEERS_ENV),
            max_open_requests_per_requester: get(MAX_OPEN_PER_REQUESTER_ENV),
        }
    }

    /// These settings, with `lower`'s where these have none (flags over
    /// env vars: `flags.over(Overrides::from_env())`).
    pub fn over(self, lower: Overrides) -> Overrides {
        Overrides {
            rpc_url: self.rpc_url.or(lower.rpc_url),
            listen: self.listen.or(lower.listen),
            peers: self.peers.or(lower.peers),
            max_open_requests_per_requester: self
                .max_open_requests_per_requester
                .or(lower.max_open_requests_per_requester),
        }
    }
}

impl Config {
    /// Reads and checks the config at `path`, then applies the overrides
    /// in the environment ([`LISTEN_ENV`], [`PEERS_ENV`], [`RPC_URL_ENV`],
    /// [`MAX_OPEN_PER_REQUESTER_ENV`]).
    /// Every error names `path` or the env var.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let mut config = Config::load_file(path)?;
        config.apply(&Overrides::from_env())?;
        Ok(config)
    }

    /// Lays `overrides` over this config, checking each value as the
    /// file's are checked; an error names the setting's source.
    pub fn apply(&mut self, overrides: &Overrides) -> Result<(), ConfigError> {
        if let Some(s) = &overrides.rpc_url {
            self.rpc_url = parse_http_url(&s.from, &s.value)?;
        }
        if let Some(s) = &overrides.listen {
            self.listen = parse_listen(&s.from, &s.value)?;
        }
        if let Some(s) = &overrides.peers {
            let list: Vec<String> = s
                .value
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect();
            self.peers = parse_peers(&s.from, &list)?;
        }
        if let Some(s) = &overrides.max_open_requests_per_requester {
            let n = s.value.trim().parse::<u64>().map_err(|e| {
                invalid(&s.from, format!("{:?} is not a whole number: {e}", s.value))
            })?;
            self.max_open_requests_per_requester = check_requester_cap(&s.from, n)?;
        }
        Ok(())
    }

    /// Reads and checks the config at `path`, without overrides. A relative
    /// `keystore` path is taken relative to the config file's directory, so
    /// a config and its keystore can be moved together. Every error names
    /// `path`.
    pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let in_file = |e: ConfigError| ConfigError::InFile {
            path: path.to_path_buf(),
            source: Box::new(e),
        };
        let mut config = Config::parse(&text).map_err(in_file)?;
        if let KeySource::Keystore { path: keystore, .. } = &mut config.key
            && keystore.is_relative()
            && let Some(dir) = path.parent()
        {
            *keystore = dir.join(&*keystore);
        }
        Ok(config)
    }

    /// Parses and checks config text; paths are kept as written.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let file: ConfigFile = toml::from_str(text)?;

        let rpc_url = parse_http_url("rpc_url", &file.rpc_url)?;
        let listen = parse_listen("listen", &file.listen)?;
        let peers = parse_peers("peers", &file.peers)?;

        let key = match (file.key_env, file.keystore) {
            (Some(var), None) => {
                if file.keystore_password_env.is_some() {
                    return Err(invalid(
                        "keystore_password_env",
                        "only meaningful with `keystore`, not with `key_env`",
                    ));
                }
                check_env_name("key_env", &var)?;
                KeySource::Env { var }
            }
            (None, Some(path)) => {
                if path.as_os_str().is_empty() {
                    return Err(invalid("keystore", "empty path"));
                }
                let password_env = file
                    .keystore_password_env
                    .unwrap_or_else(|| DEFAULT_KEYSTORE_PASSWORD_ENV.to_string());
                check_env_name("keystore_password_env", &password_env)?;
                KeySource::Keystore { path, password_env }
            }
            _ => return Err(ConfigError::KeySource),
        };

        let poll_ms = file.poll_interval_ms.unwrap_or(DEFAULT_POLL_INTERVAL_MS);
        if !(MIN_POLL_INTERVAL_MS..=MAX_POLL_INTERVAL_MS).contains(&poll_ms) {
            return Err(invalid(
                "poll_interval_ms",
                format!("{poll_ms}, must be {MIN_POLL_INTERVAL_MS} to {MAX_POLL_INTERVAL_MS}"),
            ));
        }

        // Long enough for a transaction to be mined by a chain with a few
        // seconds' block time, by default.
        let transmit_ms = file.transmit_timeout_ms.unwrap_or(5 * poll_ms.max(1_000));
        if !(poll_ms..=MAX_POLL_INTERVAL_MS).contains(&transmit_ms) {
            return Err(invalid(
                "transmit_timeout_ms",
                format!("{transmit_ms}, must be from poll_interval_ms to {MAX_POLL_INTERVAL_MS}"),
            ));
        }

        let fee_margin_pct = file
            .request_fee_margin_pct
            .unwrap_or(DEFAULT_FEE_MARGIN_PCT);
        if fee_margin_pct > MAX_FEE_MARGIN_PCT {
            return Err(invalid(
                "request_fee_margin_pct",
                format!("{fee_margin_pct}, at most {MAX_FEE_MARGIN_PCT}"),
            ));
        }
        let requests = FeePolicy {
            fee_margin_pct,
            min_fee_wei: U256::from(file.min_request_fee_gwei.unwrap_or(0))
                * U256::from(1_000_000_000u64),
        };

        let max_open_requests_per_requester = check_requester_cap(
            "max_open_requests_per_requester",
            file.max_open_requests_per_requester
                .unwrap_or(DEFAULT_MAX_OPEN_PER_REQUESTER as u64),
        )?;

        if file.feeds.is_empty() {
            return Err(ConfigError::NoFeeds);
        }
        if file.feeds.len() > MAX_FEEDS {
            return Err(ConfigError::TooManyFeeds(file.feeds.len()));
        }
        let mut ids = HashSet::new();
        let mut feeds = Vec::with_capacity(file.feeds.len());
        for (i, feed) in file.feeds.into_iter().enumerate() {
            if !ids.insert(feed.id) {
                return Err(ConfigError::DuplicateFeed(feed.id));
            }
            feeds.push(check_feed(i, feed)?);
        }

        Ok(Config {
            rpc_url,
            listen,
            peers,
            key,
            poll_interval: Duration::from_millis(poll_ms),
            transmit_timeout: Duration::from_millis(transmit_ms),
            requests,
            max_open_requests_per_requester,
            feeds,
        })
    }
}

/// A per-requester cap of `n` open requests, from `field`: at least one
/// (zero would answer nobody) and at most the whole table.
fn check_requester_cap(field: &str, n: u64) -> Result<usize, ConfigError> {
    match usize::try_from(n) {
        Ok(n) if (1..=MAX_OPEN_REQUESTS).contains(&n) => Ok(n),
        _ => Err(invalid(
            field,
            format!("{n}, must be 1 to {MAX_OPEN_REQUESTS} (the open-request table's size)"),
        )),
    }
}

fn check_feed(i: usize, feed: FeedFile) -> Result<FeedSpec, ConfigError> {
    let field = |name: &str| format!("feeds[{i}].{name}");
    if feed.decimals > MAX_DECIMALS {
        return Err(invalid(
            field("decimals"),
            format!("{}, at most {MAX_DECIMALS}", feed.decimals),
        ));
    }
    if feed.heartbeat_secs == 0 {
        return Err(invalid(
            field("heartbeat_secs"),
            "0 would report on every poll; must be at least 1",
        ));
    }
    let sources = check_sources(&field(""), feed.sources, feed.min_sources)?;
    if feed.queries.len() > MAX_QUERIES_PER_FEED {
        return Err(invalid(
            field("queries"),
            format!(
                "{} queries, at most {MAX_QUERIES_PER_FEED}",
                feed.queries.len()
            ),
        ));
    }
    let mut queries: Vec<QuerySpec> = Vec::with_capacity(feed.queries.len());
    for (j, query) in feed.queries.into_iter().enumerate() {
        let prefix = format!("feeds[{i}].queries[{j}].");
        if query.name.is_empty() || query.name.len() > MAX_QUERY_NAME {
            return Err(invalid(
                format!("{prefix}name"),
                format!("{:?}, must be 1 to {MAX_QUERY_NAME} bytes", query.name),
            ));
        }
        if queries.iter().any(|q| q.name == query.name) {
            return Err(invalid(
                format!("{prefix}name"),
                format!("{:?} is configured twice for this feed", query.name),
            ));
        }
        let min_sources = query.min_sources.unwrap_or(feed.min_sources);
        queries.push(QuerySpec {
            id: query_id(&query.name),
            sources: check_sources(&prefix, query.sources, min_sources)?,
            name: query.name,
            min_sources,
            max_spread_ppm: query.max_spread_ppm.unwrap_or(feed.max_spread_ppm),
        });
    }

    Ok(FeedSpec {
        id: feed.id,
        decimals: feed.decimals,
        min_sources: feed.min_sources,
        max_spread_ppm: feed.max_spread_ppm,
        heartbeat_secs: feed.heartbeat_secs,
        deviation_ppb: feed.deviation_ppb,
        sources,
        queries,
    })
}

/// Checks the sources of a feed or query (`prefix` is its field path,
/// ending in `.`) against its `min_sources`.
fn check_sources(
    prefix: &str,
    files: Vec<SourceFile>,
    min_sources: usize,
) -> Result<Vec<SourceSpec>, ConfigError> {
    if files.is_empty() {
        return Err(invalid(format!("{prefix}sources"), "no sources"));
    }
    if files.len() > MAX_SOURCES_PER_FEED {
        return Err(invalid(
            format!("{prefix}sources"),
            format!("{} sources, at most {MAX_SOURCES_PER_FEED}", files.len()),
        ));
    }
    if min_sources == 0 || min_sources > files.len() {
        return Err(invalid(
            format!("{prefix}min_sources"),
            format!(
                "{min_sources}, must be 1 to the number of sources ({})",
                files.len()
            ),
        ));
    }
    let mut sources = Vec::with_capacity(files.len());
    for (j, source) in files.into_iter().enumerate() {
        let field = |name: &str| format!("{prefix}sources[{j}].{name}");
        let url = parse_http_url(&field("url"), &source.url)?;
        check_pointer(&field("pointer"), &source.pointer)?;
        let scale = source.scale.unwrap_or(1.0);
        if !(scale.is_finite() && scale > 0.0) {
            return Err(invalid(
                field("scale"),
                format!("{scale}, must be a finite number above 0"),
            ));
        }
        let timeout_ms = source.timeout_ms.unwrap_or(DEFAULT_SOURCE_TIMEOUT_MS);
        if timeout_ms == 0 || timeout_ms > MAX_SOURCE_TIMEOUT_MS {
            return Err(invalid(
                field("timeout_ms"),
                format!("{timeout_ms}, must be 1 to {MAX_SOURCE_TIMEOUT_MS}"),
            ));
        }
        sources.push(SourceSpec {
            url,
            pointer: source.pointer,
            scale,
            timeout: Duration::from_millis(timeout_ms),
        });
    }
    Ok(sources)
}

fn parse_listen(field: &str, text: &str) -> Result<SocketAddr, ConfigError> {
    text.parse()
        .map_err(|e| invalid(field, format!("{text:?} is not an IP:port address: {e}")))
}

/// Peer base URLs (`field` names the list), each once.
fn parse_peers(field: &str, list: &[String]) -> Result<Vec<Url>, ConfigError> {
    let mut peers = Vec::with_capacity(list.len());
    for (i, peer) in list.iter().enumerate() {
        let url = parse_http_url(&format!("{field}[{i}]"), peer)?;
        if peers.contains(&url) {
            return Err(invalid(
                format!("{field}[{i}]"),
                format!("{url} is listed twice"),
            ));
        }
        peers.push(url);
    }
    Ok(peers)
}

fn parse_http_url(field: &str, text: &str) -> Result<Url, ConfigError> {
    let url =
        Url::parse(text).map_err(|e| invalid(field, format!("{text:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(
            field,
            format!("{text:?}: scheme {:?}, must be http or https", url.scheme()),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid(field, format!("{text:?} has no host")));
    }
    Ok(url)
}

/// RFC 6901: a pointer is empty or a sequence of `/`-prefixed tokens in
/// which `~` only appears as the escapes `~0` and `~1`.
fn check_pointer(field: &str, pointer: &str) -> Result<(), ConfigError> {
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err(invalid(
            field,
            format!("{pointer:?}: a JSON pointer is empty or starts with '/'"),
        ));
    }
    let mut chars = pointer.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(invalid(
                field,
                format!("{pointer:?}: '~' must be followed by 0 or 1"),
            ));
        }
    }
    Ok(())
}

fn check_env_name(field: &str, name: &str) -> Result<(), ConfigError> {
    if name.is_empty() || name.contains(['=', '\0']) {
        return Err(invalid(field, format!("{name:?} is not an env var name")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ConfigToml, FeedToml, QueryToml, SourceToml, temp_file};

    /// A valid config with every node field and one feed of two sources,
    /// the second with a scale and a timeout.
    fn good() -> String {
        ConfigToml::new("http://127.0.0.1:8545", "127.0.0.1:9101")
            .peers(&["http://127.0.0.1:9102", "https://oracle-3.example:9103"])
            .string("key_env", "ORAC_ORACLE_KEY")
            .set("poll_interval_ms", 500)
            .feed(
                FeedToml::new(1)
                    .source(SourceToml::new(
                        "http://127.0.0.1:8000/price",
                        "/data/price",
                    ))
                    .source(
                        SourceToml::new(
                            "https://api.example/v1/ticker?key=secret",
                            "/result/0/last",
                        )
                        .scale(0.01)
                        .timeout_ms(750),
                    ),
            )
            .to_string()
    }

    fn with(old: &str, new: &str) -> String {
        let good = good();
        assert!(good.contains(old), "{old:?} not in the sample");
        good.replacen(old, new, 1)
    }

    /// Each `(old, new, field)`: the sample with `old` replaced by `new` is
    /// refused as invalid, naming `field`.
    fn refuses(cases: &[(&str, &str, &str)]) {
        for (old, new, field) in cases {
            assert_eq!(invalid_field(&with(old, new)), *field, "{old:?} -> {new:?}");
        }
    }

    fn invalid_field(text: &str) -> String {
        match Config::parse(text) {
            Err(ConfigError::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn parses_the_sample() {
        let config = Config::parse(&good()).unwrap();
        assert_eq!(config.rpc_url.as_str(), "http://127.0.0.1:8545/");
        assert_eq!(config.listen, "127.0.0.1:9101".parse().unwrap());
        assert_eq!(config.peers.len(), 2);
        assert_eq!(
            config.key,
            KeySource::Env {
                var: "ORAC_ORACLE_KEY".into()
            }
        );
        assert_eq!(config.poll_interval, Duration::from_millis(500));
        let feed = &config.feeds[0];
        assert_eq!(
            (
                feed.id,
                feed.decimals,
                feed.min_sources,
                feed.max_spread_ppm
            ),
            (1, 8, 2, 50_000)
        );
        assert_eq!((feed.heartbeat_secs, feed.deviation_ppb), (60, 5_000_000));
        assert_eq!(feed.sources[0].scale, 1.0);
        assert_eq!(
            feed.sources[0].timeout,
            Duration::from_millis(DEFAULT_SOURCE_TIMEOUT_MS)
        );
        assert_eq!(feed.sources[1].scale, 0.01);
        assert_eq!(feed.sources[1].timeout, Duration::from_millis(750));
        assert_eq!(feed.sources[1].pointer, "/result/0/last");
        // The API key in the query never reaches logs or metrics.
        assert_eq!(feed.sources[1].label(), "https://api.example/v1/ticker");
        assert_eq!(feed.sources[0].label(), "http://127.0.0.1:8000/price");
    }

    #[test]
    fn keystore_source_and_default_password_env() {
        let text = with(
            "key_env = \"ORAC_ORACLE_KEY\"",
            "keystore = \"keys/node.json\"",
        );
        let config = Config::parse(&text).unwrap();
        assert_eq!(
            config.key,
            KeySource::Keystore {
                path: "keys/node.json".into(),
                password_env: DEFAULT_KEYSTORE_PASSWORD_ENV.into()
            }
        );
    }

    #[test]
    fn load_names_the_file_and_resolves_keystore_path() {
        let (dir, path) = temp_file(
            "oracle.toml",
            &with(
                "key_env = \"ORAC_ORACLE_KEY\"",
                "keystore = \"node.json\"\nkeystore_password_env = \"PW\"",
            ),
        );
        let config = Config::load_file(&path).unwrap();
        assert_eq!(
            config.key,
            KeySource::Keystore {
                path: dir.path().join("node.json"),
                password_env: "PW".into()
            }
        );

        std::fs::write(&path, with("min_sources = 2", "min_sources = 3")).unwrap();
        let err = Config::load_file(&path).unwrap_err().to_string();
        assert!(err.contains("oracle.toml"), "{err}");
        assert!(err.contains("feeds[0].min_sources"), "{err}");

        let missing = dir.path().join("missing.toml");
        let err = Config::load_file(&missing).unwrap_err().to_string();
        assert!(err.contains("missing.toml"), "{err}");
    }

    #[test]
    fn rejects_unknown_fields() {
        let err = Config::parse(&with("min_sources = 2", "min_source = 2")).unwrap_err();
        assert!(err.to_string().contains("min_source"), "{err}");
        let err = Config::parse(&with(
            "pointer = \"/data/price\"",
            "pointer = \"/data/price\"\n  pointr = \"\"",
        ))
        .unwrap_err();
        assert!(matches!(err, ConfigError::Toml(_)), "{err}");
    }

    #[test]
    fn needs_exactly_one_key_source() {
        let both = with(
            "key_env = \"ORAC_ORACLE_KEY\"",
            "key_env = \"K\"\nkeystore = \"k.json\"",
        );
        assert!(matches!(Config::parse(&both), Err(ConfigError::KeySource)));
        let neither = with("key_env = \"ORAC_ORACLE_KEY\"", "");
        assert!(matches!(
            Config::parse(&neither),
            Err(ConfigError::KeySource)
        ));
        // A password env var with no keystore to open.
        refuses(&[(
            "key_env = \"ORAC_ORACLE_KEY\"",
            "key_env = \"K\"\nkeystore_password_env = \"P\"",
            "keystore_password_env",
        )]);
    }

    #[test]
    fn rejects_bad_feeds() {
        let good = good();
        let no_feeds = good.split("[[feeds]]").next().unwrap();
        assert!(matches!(Config::parse(no_feeds), Err(ConfigError::NoFeeds)));
        let feed = &good[good.find("[[feeds]]").unwrap()..];
        let many: String = (1..=MAX_FEEDS + 1)
            .map(|id| feed.replacen("id = 1", &format!("id = {id}"), 1))
            .collect();
        assert!(matches!(
            Config::parse(&format!("{no_feeds}{many}")),
            Err(ConfigError::TooManyFeeds(n)) if n == MAX_FEEDS + 1
        ));

        let twice = format!("{good}\n{feed}");
        assert!(matches!(
            Config::parse(&twice),
            Err(ConfigError::DuplicateFeed(1))
        ));
        let other_id = feed.replacen("id = 1", "id = 2", 1);
        assert_eq!(
            Config::parse(&format!("{good}\n{other_id}"))
                .unwrap()
                .feeds
                .len(),
            2
        );

        refuses(&[
            ("min_sources = 2", "min_sources = 0", "feeds[0].min_sources"),
            ("min_sources = 2", "min_sources = 3", "feeds[0].min_sources"),
            ("decimals = 8", "decimals = 37", "feeds[0].decimals"),
            (
                "heartbeat_secs = 60",
                "heartbeat_secs = 0",
                "feeds[0].heartbeat_secs",
            ),
        ]);
    }

    #[test]
    fn named_queries() {
        let eur = QueryToml::new(
            "EUR",
            vec![SourceToml::new("http://127.0.0.1:8000/eur", "/price")],
        )
        .min_sources(1)
        .to_string();
        let with_eur = format!("{}{eur}", good());
        let config = Config::parse(&with_eur).unwrap();
        let feed = &config.feeds[0];
        let q = &feed.queries[0];
        // What a contract computes: keccak256("EUR").
        assert_eq!(q.id, orac_primitives::keccak256(b"EUR").0);
        assert_eq!(q.id, query_id("EUR"));
        // max_spread_ppm defaults to the feed's.
        assert_eq!((q.min_sources, q.max_spread_ppm), (1, 50_000));

        // What a request observes.
        assert_eq!(feed.for_query(&[0; 32]).as_ref(), Some(feed));
        let asked = feed.for_query(&query_id("EUR")).unwrap();
        assert_eq!((asked.id, asked.decimals, asked.min_sources), (1, 8, 1));
        assert_eq!(asked.sources[0].url.as_str(), "http://127.0.0.1:8000/eur");
        assert!(feed.for_query(&query_id("GBP")).is_none());

        // min_sources defaults to the feed's (2: more than one source).
        let inherits = with_eur.replace("  min_sources = 1\n", "");
        assert_eq!(invalid_field(&inherits), "feeds[0].queries[0].min_sources");
        assert_eq!(
            invalid_field(&with_eur.replace("name = \"EUR\"", "name = \"\"")),
            "feeds[0].queries[0].name"
        );
        assert_eq!(
            invalid_field(&format!("{with_eur}{eur}")),
            "feeds[0].queries[1].name"
        );
        let no_sources = with_eur
            .split("    [[feeds.queries.sources]]")
            .next()
            .unwrap();
        assert_eq!(invalid_field(no_sources), "feeds[0].queries[0].sources");
    }

    #[test]
    fn rejects_bad_sources() {
        let url = "http://127.0.0.1:8000/price";
        let pointer = "\"/data/price\"";
        refuses(&[
            (url, "ftp://127.0.0.1/price", "feeds[0].sources[0].url"),
            (url, "not a url", "feeds[0].sources[0].url"),
            (pointer, "\"data/price\"", "feeds[0].sources[0].pointer"),
            (pointer, "\"/data/~2\"", "feeds[0].sources[0].pointer"),
            ("scale = 0.01", "scale = -1.0", "feeds[0].sources[1].scale"),
            ("scale = 0.01", "scale = nan", "feeds[0].sources[1].scale"),
            (
                "timeout_ms = 750",
                "timeout_ms = 0",
                "feeds[0].sources[1].timeout_ms",
            ),
        ]);
        assert!(Config::parse(&with(pointer, "\"\"")).is_ok());
        assert!(Config::parse(&with(pointer, "\"/a~1b/~0c\"")).is_ok());
    }

    #[test]
    fn the_example_configs_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        for i in 1..=4 {
            let config = Config::load_file(&dir.join(format!("node{i}.toml"))).unwrap();
            assert_eq!(config.requests, FeePolicy::default());
            assert_eq!(
                config.max_open_requests_per_requester,
                DEFAULT_MAX_OPEN_PER_REQUESTER
            );
        }
    }

    #[test]
    fn request_fee_policy() {
        let config = Config::parse(&good()).unwrap();
        assert_eq!(config.requests, FeePolicy::default());
        let text = with(
            "poll_interval_ms = 500",
            "poll_interval_ms = 500\nrequest_fee_margin_pct = 150\nmin_request_fee_gwei = 1000",
        );
        let config = Config::parse(&text).unwrap();
        assert_eq!(config.requests.fee_margin_pct, 150);
        assert_eq!(
            config.requests.min_fee_wei,
            U256::from(1_000_000_000_000u64)
        );
        refuses(&[(
            "poll_interval_ms = 500",
            "poll_interval_ms = 500\nrequest_fee_margin_pct = 10001",
            "request_fee_margin_pct",
        )]);
    }

    #[test]
    fn per_requester_cap() {
        let config = Config::parse(&good()).unwrap();
        assert_eq!(
            config.max_open_requests_per_requester,
            DEFAULT_MAX_OPEN_PER_REQUESTER
        );
        let set = |n: &str| {
            with(
                "poll_interval_ms = 500",
                &format!("poll_interval_ms = 500\nmax_open_requests_per_requester = {n}"),
            )
        };
        let config = Config::parse(&set("8")).unwrap();
        assert_eq!(config.max_open_requests_per_requester, 8);
        let config = Config::parse(&set("512")).unwrap();
        assert_eq!(config.max_open_requests_per_requester, MAX_OPEN_REQUESTS);
        for bad in ["0", "513", "18446744073709551615"] {
            assert_eq!(
                invalid_field(&set(bad)),
                "max_open_requests_per_requester",
                "{bad}"
            );
        }
        assert!(matches!(
            Config::parse(&set("-1")),
            Err(ConfigError::Toml(_))
        ));

        // The env var over the file, a flag over the env var; checked the
        // same way, errors naming where the value came from.
        let env = |value: &str| {
            let value = value.to_string();
            Overrides::from_lookup(move |name| {
                (name == MAX_OPEN_PER_REQUESTER_ENV).then(|| value.clone())
            })
        };
        let mut config = Config::parse(&set("8")).unwrap();
        config.apply(&env(" 64 ")).unwrap();
        assert_eq!(config.max_open_requests_per_requester, 64);
        let flag = Overrides {
            max_open_requests_per_requester: Some(Setting::new(
                "--max-open-requests-per-requester",
                "2",
            )),
            ..Overrides::default()
        };
        config.apply(&flag.over(env("64"))).unwrap();
        assert_eq!(config.max_open_requests_per_requester, 2);
        for bad in ["0", "513", "many", "", "-3"] {
            match config.clone().apply(&env(bad)) {
                Err(ConfigError::Invalid { field, .. }) => {
                    assert_eq!(field, MAX_OPEN_PER_REQUESTER_ENV, "{bad:?}")
                }
                other => panic!("{bad:?}: expected Invalid, got {other:?}"),
            }
        }
    }

    #[test]
    fn env_and_flags_override_the_file() {
        let mut config = Config::parse(&good()).unwrap();
        let env = |vars: &'static [(&'static str, &'static str)]| {
            Overrides::from_lookup(move |name| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            })
        };
        // Nothing set: nothing changes.
        let before = config.clone();
        config.apply(&env(&[])).unwrap();
        assert_eq!(config, before);

        let overrides = env(&[
            (LISTEN_ENV, "0.0.0.0:9200"),
            (PEERS_ENV, " http://10.0.0.2:9101/ ,http://10.0.0.3:9101/"),
            (RPC_URL_ENV, "https://rpc.example:8545"),
        ]);
        config.apply(&overrides).unwrap();
        assert_eq!(config.listen, "0.0.0.0:9200".parse().unwrap());
        assert_eq!(
            config.peers.iter().map(Url::as_str).collect::<Vec<_>>(),
            ["http://10.0.0.2:9101/", "http://10.0.0.3:9101/"]
        );
        assert_eq!(config.rpc_url.as_str(), "https://rpc.example:8545/");
        // Set and empty: no peers.
        config.apply(&env(&[(PEERS_ENV, "")])).unwrap();
        assert!(config.peers.is_empty());

        // Flags over env vars.
        let flags = Overrides {
            listen: Some(Setting::new("--listen", "127.0.0.1:9300")),
            ..Overrides::default()
        };
        let both = flags.over(env(&[
            (LISTEN_ENV, "0.0.0.0:9200"),
            (RPC_URL_ENV, "http://127.0.0.1:9545"),
        ]));
        config.apply(&both).unwrap();
        assert_eq!(config.listen, "127.0.0.1:9300".parse().unwrap());
        assert_eq!(config.rpc_url.as_str(), "http://127.0.0.1:9545/");

        // Checked like the file's values; errors name where they came from.
        let bad = |o: Overrides| match Config::parse(&good()).unwrap().apply(&o) {
            Err(ConfigError::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        };
        assert_eq!(bad(env(&[(LISTEN_ENV, "localhost")])), LISTEN_ENV);
        assert_eq!(bad(env(&[(RPC_URL_ENV, "ws://x:1")])), RPC_URL_ENV);
        assert_eq!(
            bad(env(&[(PEERS_ENV, "http://a:1/,http://a:1/")])),
            format!("{PEERS_ENV}[1]")
        );
    }

    #[test]
    fn rejects_bad_node_fields() {
        refuses(&[
            ("http://127.0.0.1:8545", "ws://127.0.0.1:8545", "rpc_url"),
            ("127.0.0.1:9101", "localhost", "listen"),
            (
                "\"https://oracle-3.example:9103\"",
                "\"http://127.0.0.1:9102\"",
                "peers[1]",
            ),
            (
                "poll_interval_ms = 500",
                "poll_interval_ms = 10",
                "poll_interval_ms",
            ),
        ]);
    }
}
