//! Config files for tests, fuzz seeds and local networks (feature
//! `test-utils`): [`ConfigToml`] writes the TOML that [`Config::parse`]
//! reads, in the layout of the documented example, so a test states the
//! fields it cares about instead of repeating a whole file.
//!
//! ```
//! use orac_oracle_node::Config;
//! use orac_oracle_node::testing::{ConfigToml, FeedToml, SourceToml};
//!
//! let text = ConfigToml::new("http://127.0.0.1:8545", "127.0.0.1:9101")
//!     .string("key_env", "ORAC_ORACLE_KEY")
//!     .feed(
//!         FeedToml::new(1)
//!             .min_sources(1)
//!             .source(SourceToml::new("http://127.0.0.1:8000/price", "/price")),
//!     )
//!     .to_string();
//! assert_eq!(Config::parse(&text).unwrap().feeds[0].id, 1);
//! ```
//!
//! [`Config::parse`]: crate::Config::parse

use std::fmt::{self, Display, Formatter, Write as _};

/// A whole config file: top-level `key = value` settings in the order
/// given, then the feeds. Values are written as given, so a test can also
/// write ones the parser must refuse.
#[derive(Clone, Debug, Default)]
pub struct ConfigToml {
    settings: Vec<(String, String)>,
    feeds: Vec<FeedToml>,
}

impl ConfigToml {
    /// A file with the two settings every config needs (a key source and
    /// feeds still have to be added).
    pub fn new(rpc_url: &str, listen: &str) -> Self {
        Self::default()
            .string("rpc_url", rpc_url)
            .string("listen", listen)
    }

    /// Adds `key = value` with `value` written as it is (a number, an
    /// array, or anything else a test wants the parser to see).
    pub fn set(mut self, key: &str, value: impl Display) -> Self {
        self.settings.push((key.into(), value.to_string()));
        self
    }

    /// Adds `key = "value"`.
    pub fn string(self, key: &str, value: &str) -> Self {
        self.set(key, quoted(value))
    }

    /// Adds `peers = [...]` with these base URLs.
    pub fn peers(self, urls: &[&str]) -> Self {
        let list: Vec<String> = urls.iter().map(|u| quoted(u)).collect();
        self.set("peers", format_args!("[{}]", list.join(", ")))
    }

    /// Adds a feed after those already added.
    pub fn feed(mut self, feed: FeedToml) -> Self {
        self.feeds.push(feed);
        self
    }
}

impl Display for ConfigToml {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (key, value) in &self.settings {
            writeln!(f, "{key} = {value}")?;
        }
        self.feeds.iter().try_for_each(|feed| write!(f, "{feed}"))
    }
}

/// One `[[feeds]]` table: the feed's fields, its sources, then its named
/// queries. [`FeedToml::new`] fills in the example's values, which pass
/// validation once the feed has two sources.
#[derive(Clone, Debug)]
pub struct FeedToml {
    /// `id`, `decimals`, `min_sources`, `max_spread_ppm`, `heartbeat_secs`
    /// and `deviation_ppb`, in the file's order, as TOML text.
    fields: Vec<(&'static str, String)>,
    sources: Vec<SourceToml>,
    queries: Vec<QueryToml>,
}

impl FeedToml {
    /// Feed `id` at 8 decimals, needing 2 sources within 5% of each other,
    /// with a 60 s heartbeat and a 0.5% deviation trigger; no sources yet.
    pub fn new(id: u64) -> Self {
        let fields = [
            ("id", id),
            ("decimals", 8),
            ("min_sources", 2),
            ("max_spread_ppm", 50_000),
            ("heartbeat_secs", 60),
            ("deviation_ppb", 5_000_000),
        ];
        Self {
            fields: fields.map(|(k, v)| (k, v.to_string())).to_vec(),
            sources: Vec::new(),
            queries: Vec::new(),
        }
    }

    fn put(mut self, key: &str, value: impl Display) -> Self {
        if let Some(field) = self.fields.iter_mut().find(|(k, _)| *k == key) {
            field.1 = value.to_string();
        }
        self
    }

    /// Sets `decimals`.
    pub fn decimals(self, decimals: u8) -> Self {
        self.put("decimals", decimals)
    }

    /// Sets `min_sources`.
    pub fn min_sources(self, n: usize) -> Self {
        self.put("min_sources", n)
    }

    /// Sets `max_spread_ppm`.
    pub fn max_spread_ppm(self, ppm: u64) -> Self {
        self.put("max_spread_ppm", ppm)
    }

    /// Sets when to report: `heartbeat_secs` and `deviation_ppb`.
    pub fn trigger(self, heartbeat_secs: u64, deviation_ppb: u64) -> Self {
        self.put("heartbeat_secs", heartbeat_secs)
            .put("deviation_ppb", deviation_ppb)
    }

    /// Adds a source after those already added.
    pub fn source(mut self, source: SourceToml) -> Self {
        self.sources.push(source);
        self
    }

    /// Adds a named query after those already added.
    pub fn query(mut self, query: QueryToml) -> Self {
        self.queries.push(query);
        self
    }
}

impl Display for FeedToml {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "\n[[feeds]]")?;
        for (key, value) in &self.fields {
            writeln!(f, "{key} = {value}")?;
        }
        for source in &self.sources {
            f.write_char('\n')?;
            source.write(f, "  [[feeds.sources]]", "  ")?;
        }
        self.queries.iter().try_for_each(|q| write!(f, "{q}"))
    }
}

/// One price source: `[[feeds.sources]]` or `[[feeds.queries.sources]]`,
/// its `scale` and `timeout_ms` written only when set.
#[derive(Clone, Debug)]
pub struct SourceToml {
    url: String,
    pointer: String,
    scale: Option<f64>,
    timeout_ms: Option<u64>,
}

impl SourceToml {
    /// A source with the default scale and timeout.
    pub fn new(url: impl Into<String>, pointer: &str) -> Self {
        Self {
            url: url.into(),
            pointer: pointer.into(),
            scale: None,
            timeout_ms: None,
        }
    }

    /// Sets `scale`.
    pub fn scale(mut self, scale: f64) -> Self {
        self.scale = Some(scale);
        self
    }

    /// Sets `timeout_ms`.
    pub fn timeout_ms(mut self, ms: u64) -> Self {
        self.timeout_ms = Some(ms);
        self
    }

    fn write(&self, f: &mut Formatter<'_>, header: &str, indent: &str) -> fmt::Result {
        writeln!(f, "{header}")?;
        writeln!(f, "{indent}url = {}", quoted(&self.url))?;
        writeln!(f, "{indent}pointer = {}", quoted(&self.pointer))?;
        if let Some(scale) = self.scale {
            // `{:?}` keeps the point (`1.0`): TOML reads `1` as an integer.
            writeln!(f, "{indent}scale = {scale:?}")?;
        }
        if let Some(ms) = self.timeout_ms {
            writeln!(f, "{indent}timeout_ms = {ms}")?;
        }
        Ok(())
    }
}

/// One `[[feeds.queries]]` table: a named datum with its own sources, its
/// `min_sources` written only when set (else the feed's applies).
#[derive(Clone, Debug)]
pub struct QueryToml {
    name: String,
    min_sources: Option<usize>,
    sources: Vec<SourceToml>,
}

impl QueryToml {
    /// Query `name` with the feed's `min_sources` and these sources.
    pub fn new(name: &str, sources: Vec<SourceToml>) -> Self {
        Self {
            name: name.into(),
            min_sources: None,
            sources,
        }
    }

    /// Sets `min_sources`.
    pub fn min_sources(mut self, n: usize) -> Self {
        self.min_sources = Some(n);
        self
    }
}

impl Display for QueryToml {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "\n  [[feeds.queries]]")?;
        writeln!(f, "  name = {}", quoted(&self.name))?;
        if let Some(n) = self.min_sources {
            writeln!(f, "  min_sources = {n}")?;
        }
        for source in &self.sources {
            source.write(f, "    [[feeds.queries.sources]]", "    ")?;
        }
        Ok(())
    }
}

/// A file `name` holding `contents`, alone in a new temporary directory
/// that is removed when the returned guard drops.
#[cfg(test)]
pub(crate) fn temp_file(name: &str, contents: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    (dir, path)
}

/// A TOML basic string. Rust's escapes of `"`, `\` and control characters
/// are TOML's too, for the text tests write (no `\u{…}` beyond ASCII).
fn quoted(s: &str) -> String {
    format!("{s:?}")
}
