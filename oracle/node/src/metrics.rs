//! The node's metrics, served in the Prometheus text format.
//!
//! A few dozen lines of atomics instead of the `prometheus` or
//! `prometheus-client` crates: the node needs six counter and gauge
//! families, no histograms, no protobuf and no global registry, and this
//! keeps the exact output (names, escaping, ordering) in code we test.
//!
//! Every series is a [`Family`] member picked by its label values. Label
//! values must come from the node's config (feed ids, source labels, peer
//! URLs) or fixed sets (results), never from responses, or a source could
//! grow the registry without bound.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;

/// Prefix of every metric name, so the node's series are told apart from
/// the chain node's on a shared Prometheus.
pub const NAMESPACE: &str = "orac_oracle";

/// A metric kind a [`Family`] can hold.
pub trait Metric: Default {
    /// The `# TYPE` of its family.
    const TYPE: &'static str;
    /// The sample value, as the text format writes it.
    fn sample(&self) -> String;
}

/// A monotonically increasing count.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.inc_by(1);
    }

    /// Adds `n`.
    pub fn inc_by(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The count so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Metric for Counter {
    const TYPE: &'static str = "counter";
    fn sample(&self) -> String {
        self.get().to_string()
    }
}

/// A value that goes up and down; an f64 kept as its bits.
#[derive(Debug, Default)]
pub struct Gauge(AtomicU64);

impl Gauge {
    /// Replaces the value.
    pub fn set(&self, value: f64) {
        self.0.store(value.to_bits(), Ordering::Relaxed);
    }

    /// The last value set (0 before any).
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

impl Metric for Gauge {
    const TYPE: &'static str = "gauge";
    fn sample(&self) -> String {
        let value = self.get();
        if value.is_nan() {
            "NaN".into()
        } else if value.is_infinite() {
            if value > 0.0 { "+Inf" } else { "-Inf" }.into()
        } else {
            value.to_string()
        }
    }
}

/// The series of one metric name, one per combination of its `N` label
/// values.
#[derive(Debug)]
pub struct Family<M, const N: usize> {
    name: String,
    help: &'static str,
    labels: [&'static str; N],
    series: RwLock<BTreeMap<[String; N], Arc<M>>>,
}

impl<M: Metric, const N: usize> Family<M, N> {
    /// A family named `NAMESPACE_name`.
    pub fn new(name: &str, help: &'static str, labels: [&'static str; N]) -> Self {
        Self {
            name: format!("{NAMESPACE}_{name}"),
            help,
            labels,
            series: RwLock::new(BTreeMap::new()),
        }
    }

    /// The metric's name, as exposed (without labels).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The series with these label values (in the order of the family's
    /// label names), created at zero on first use.
    pub fn with(&self, values: [&str; N]) -> Arc<M> {
        let key = values.map(str::to_owned);
        if let Some(metric) = self.series.read().get(&key) {
            return metric.clone();
        }
        self.series.write().entry(key).or_default().clone()
    }

    /// Appends the family in the text format: HELP, TYPE, then one line
    /// per series in label order. A family without series writes nothing.
    pub fn render(&self, out: &mut String) {
        let series = self.series.read();
        if series.is_empty() {
            return;
        }
        let _ = writeln!(out, "# HELP {} {}", self.name, escape_help(self.help));
        let _ = writeln!(out, "# TYPE {} {}", self.name, M::TYPE);
        for (values, metric) in series.iter() {
            out.push_str(&self.name);
            if N > 0 {
                out.push('{');
                for (i, (label, value)) in self.labels.iter().zip(values).enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{label}=\"{}\"", escape_label(value));
                }
                out.push('}');
            }
            let _ = writeln!(out, " {}", metric.sample());
        }
    }
}

/// Label values escape backslash, double quote and newline.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

/// Help text escapes backslash and newline.
fn escape_help(text: &str) -> String {
    text.replace('\\', r"\\").replace('\n', r"\n")
}

/// Everything the oracle node measures.
#[derive(Debug)]
pub struct Metrics {
    /// Source fetches by feed, source label and result ("ok" or
    /// `SourceError::kind`).
    pub source_fetch_total: Family<Counter, 3>,
    /// Observations this node signed, by feed.
    pub observations_signed_total: Family<Counter, 1>,
    /// Reports this node sent to the chain, by feed and result.
    pub reports_transmitted_total: Family<Counter, 2>,
    /// The latest round of each feed seen on chain.
    pub last_round: Family<Gauge, 1>,
    /// The latest answer of each feed seen on chain, still scaled by the
    /// feed's decimals (a gauge is an f64, so exact to 2^53).
    pub last_answer: Family<Gauge, 1>,
    /// Failed exchanges with each peer.
    pub peer_errors_total: Family<Counter, 1>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every metric of the node, at zero and with no series yet.
    pub fn new() -> Self {
        Self {
            source_fetch_total: Family::new(
                "source_fetch_total",
                "Price source fetches by feed, source and result.",
                ["feed", "source", "result"],
            ),
            observations_signed_total: Family::new(
                "observations_signed_total",
                "Observations this node signed.",
                ["feed"],
            ),
            reports_transmitted_total: Family::new(
                "reports_transmitted_total",
                "Reports this node sent to the chain, by result.",
                ["feed", "result"],
            ),
            last_round: Family::new(
                "last_round",
                "Latest round of the feed seen on chain.",
                ["feed"],
            ),
            last_answer: Family::new(
                "last_answer",
                "Latest answer of the feed seen on chain, scaled by its decimals.",
                ["feed"],
            ),
            peer_errors_total: Family::new(
                "peer_errors_total",
                "Failed exchanges with a peer oracle node.",
                ["peer"],
            ),
        }
    }

    /// All families in the Prometheus text format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.source_fetch_total.render(&mut out);
        self.observations_signed_total.render(&mut out);
        self.reports_transmitted_total.render(&mut out);
        self.last_round.render(&mut out);
        self.last_answer.render(&mut out);
        self.peer_errors_total.render(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_gauges() {
        let m = Metrics::new();
        assert_eq!(m.render(), "");

        m.source_fetch_total
            .with(["1", "http://a/price", "ok"])
            .inc();
        m.source_fetch_total
            .with(["1", "http://a/price", "ok"])
            .inc_by(2);
        m.source_fetch_total
            .with(["1", "http://a/price", "timeout"])
            .inc();
        m.last_answer.with(["1"]).set(12_345_678_901.0);
        m.last_answer.with(["2"]).set(-0.5);
        m.last_round.with(["1"]).set(7.0);

        assert_eq!(
            m.render(),
            "\
# HELP orac_oracle_source_fetch_total Price source fetches by feed, source and result.
# TYPE orac_oracle_source_fetch_total counter
orac_oracle_source_fetch_total{feed=\"1\",source=\"http://a/price\",result=\"ok\"} 3
orac_oracle_source_fetch_total{feed=\"1\",source=\"http://a/price\",result=\"timeout\"} 1
# HELP orac_oracle_last_round Latest round of the feed seen on chain.
# TYPE orac_oracle_last_round gauge
orac_oracle_last_round{feed=\"1\"} 7
# HELP orac_oracle_last_answer Latest answer of the feed seen on chain, scaled by its decimals.
# TYPE orac_oracle_last_answer gauge
orac_oracle_last_answer{feed=\"1\"} 12345678901
orac_oracle_last_answer{feed=\"2\"} -0.5
"
        );
    }

    #[test]
    fn escapes_label_values_and_special_floats() {
        let family: Family<Gauge, 1> = Family::new("x", "a \\ b\nc", ["peer"]);
        family.with(["say \"hi\"\\\n"]).set(f64::NAN);
        family.with(["inf"]).set(f64::INFINITY);
        family.with(["minus"]).set(f64::NEG_INFINITY);
        let mut out = String::new();
        family.render(&mut out);
        assert_eq!(
            out,
            "\
# HELP orac_oracle_x a \\\\ b\\nc
# TYPE orac_oracle_x gauge
orac_oracle_x{peer=\"inf\"} +Inf
orac_oracle_x{peer=\"minus\"} -Inf
orac_oracle_x{peer=\"say \\\"hi\\\"\\\\\\n\"} NaN
"
        );
    }

    #[test]
    fn counters_are_shared_across_threads() {
        let m = Arc::new(Metrics::new());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let m = m.clone();
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        m.peer_errors_total.with(["http://p"]).inc();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(m.peer_errors_total.with(["http://p"]).get(), 4000);
    }
}
