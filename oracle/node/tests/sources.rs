//! Fetching and aggregating real HTTP sources: an axum server on
//! 127.0.0.1 plays each kind of price API, good and bad.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use orac_oracle_node::config::{Config, FeedSpec, SourceSpec};
use orac_oracle_node::source::MAX_BODY_BYTES;
use orac_oracle_node::testing::{ConfigToml, FeedToml, SourceToml};
use orac_oracle_node::{Aggregate, AggregateError, Fetcher, SourceError, aggregate};
use reqwest::Url;
use serde_json::json;

/// Requests seen per route, for checking how often a source was retried.
#[derive(Clone, Default)]
struct Hits {
    flaky: Arc<AtomicUsize>,
    broken: Arc<AtomicUsize>,
    missing: Arc<AtomicUsize>,
    busy: Arc<AtomicUsize>,
    slow: Arc<AtomicUsize>,
}

fn json_response(value: serde_json::Value) -> Response {
    axum::Json(value).into_response()
}

/// A route that answers `status` to its first `failures` requests
/// (counted in `count(hits)`), then `{"price": price}`.
fn failing(
    count: fn(&Hits) -> &Arc<AtomicUsize>,
    failures: usize,
    status: StatusCode,
    price: u64,
) -> MethodRouter<Hits> {
    get(move |State(hits): State<Hits>| async move {
        if count(&hits).fetch_add(1, Ordering::SeqCst) < failures {
            status.into_response()
        } else {
            json_response(json!({"price": price}))
        }
    })
}

/// The price server, and a fetcher for it.
struct Server {
    addr: SocketAddr,
    hits: Hits,
    fetcher: Fetcher,
}

impl Server {
    /// The source at `path` on this server, read at `pointer`.
    fn source(&self, path: &str, pointer: &str) -> SourceSpec {
        source(self.addr, path, pointer)
    }

    /// Fetches `path` at `pointer` with `decimals`.
    async fn fetch(&self, path: &str, pointer: &str, decimals: u8) -> Result<i128, SourceError> {
        self.fetcher
            .fetch(&self.source(path, pointer), decimals)
            .await
    }

    /// Fetches a feed of the sources at `paths` (each read at the pointer
    /// `/p`): what each source gave, and their aggregate.
    async fn aggregate_at(
        &self,
        paths: &[&str],
        min_sources: usize,
    ) -> (
        Vec<Result<i128, SourceError>>,
        Result<Aggregate, AggregateError>,
    ) {
        let sources = paths.iter().map(|path| self.source(path, "/p")).collect();
        let feed = feed(sources, min_sources);
        let results = self.fetcher.fetch_feed(&feed).await;
        let agg = aggregate(&results, feed.min_sources, feed.max_spread_ppm);
        (results, agg)
    }
}

async fn serve() -> Server {
    let hits = Hits::default();
    // Price APIs that always answer the same JSON.
    let fixed = [
        ("/number", json!({"price": 123.45})),
        ("/string", json!({"price": "67890.123456789"})),
        (
            "/nested",
            json!({
                "data": {"quotes": [
                    {"symbol": "AAA", "last": 1},
                    {"symbol": "ORC", "last": "0.00004217"}
                ]}
            }),
        ),
        ("/cents", json!({"cents": 12345})),
        ("/nan", json!({"price": "NaN"})),
        ("/words", json!({"price": "12 dollars"})),
        ("/null", json!({"price": null})),
        ("/huge", json!({"price": "1e40"})),
        ("/p100", json!({"p": 100.0})),
        ("/p101", json!({"p": "101.5"})),
        ("/p99", json!({"p": 99})),
        ("/p10000", json!({"p": 10000})),
    ];
    let mut router = Router::new();
    for (path, body) in fixed {
        router = router.route(path, get(move || async move { json_response(body) }));
    }
    let never = usize::MAX;
    let router = router
        // Fails twice, then answers: the third attempt succeeds.
        .route(
            "/flaky",
            failing(|h| &h.flaky, 2, StatusCode::INTERNAL_SERVER_ERROR, 42),
        )
        .route(
            "/broken",
            failing(|h| &h.broken, never, StatusCode::INTERNAL_SERVER_ERROR, 0),
        )
        .route(
            "/missing",
            failing(|h| &h.missing, never, StatusCode::NOT_FOUND, 0),
        )
        .route(
            "/busy",
            failing(|h| &h.busy, 1, StatusCode::TOO_MANY_REQUESTS, 7),
        )
        .route(
            "/slow",
            get(|hits: State<Hits>| async move {
                hits.slow.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(10)).await;
                json_response(json!({"price": 1}))
            }),
        )
        .route(
            "/slow-body",
            get(|| async {
                // Headers at once, then a body that never finishes in time.
                let chunks = futures::stream::unfold(0u32, |n| async move {
                    tokio::time::sleep(Duration::from_millis(150)).await;
                    (n < 20).then(|| (Ok::<_, std::io::Error>(Bytes::from_static(b" ")), n + 1))
                });
                Response::new(Body::from_stream(chunks))
            }),
        )
        .route(
            "/big",
            get(|| async {
                let pad = "x".repeat(MAX_BODY_BYTES);
                json_response(json!({"pad": pad, "price": 1}))
            }),
        )
        .route(
            "/big-chunked",
            get(|| async {
                // No Content-Length: only counting the body catches it.
                let mut chunks = vec![Bytes::from_static(b"{\"pad\": \"")];
                chunks.extend((0..20).map(|_| Bytes::from(vec![b'x'; 4096])));
                chunks.push(Bytes::from_static(b"\", \"price\": 1}"));
                let stream = futures::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
                Response::new(Body::from_stream(stream))
            }),
        )
        .route(
            "/just-fits",
            get(|| async {
                let body = format!(
                    "{{\"price\": 5, \"pad\": \"{}\"}}",
                    "x".repeat(MAX_BODY_BYTES - 64)
                );
                ([("content-type", "application/json")], body).into_response()
            }),
        )
        .route("/html", get(|| async { "<html>price: 5</html>" }))
        .with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Server {
        addr,
        hits,
        fetcher: Fetcher::new().unwrap(),
    }
}

fn source(addr: SocketAddr, path: &str, pointer: &str) -> SourceSpec {
    SourceSpec {
        url: Url::parse(&format!("http://{addr}{path}")).unwrap(),
        pointer: pointer.into(),
        scale: 1.0,
        timeout: Duration::from_secs(2),
    }
}

fn feed(sources: Vec<SourceSpec>, min_sources: usize) -> FeedSpec {
    FeedSpec {
        id: 1,
        decimals: 8,
        min_sources,
        max_spread_ppm: 50_000,
        heartbeat_secs: 60,
        deviation_ppb: 5_000_000,
        sources,
        queries: Vec::new(),
    }
}

#[tokio::test]
async fn reads_numbers_strings_and_nested_pointers() {
    let server = serve().await;
    for (path, pointer, decimals, value) in [
        ("/number", "/price", 8, 12_345_000_000),
        // Nine decimals in the string, eight in the feed: rounded half to
        // even (…789 -> …79), never through a float.
        ("/string", "/price", 8, 6_789_012_345_679),
        ("/string", "/price", 18, 67_890_123_456_789_000_000_000),
        ("/nested", "/data/quotes/1/last", 8, 4_217),
    ] {
        assert_eq!(
            server.fetch(path, pointer, decimals).await,
            Ok(value),
            "{path} at {decimals}"
        );
    }

    let mut cents = server.source("/cents", "/cents");
    cents.scale = 0.01;
    assert_eq!(server.fetcher.fetch(&cents, 2).await, Ok(12_345));
    assert_eq!(server.fetcher.fetch(&cents, 8).await, Ok(12_345_000_000));
}

#[tokio::test]
async fn retries_server_errors_until_success() {
    let server = serve().await;
    assert_eq!(server.fetch("/flaky", "/price", 0).await, Ok(42));
    assert_eq!(server.hits.flaky.load(Ordering::SeqCst), 3);

    // 429 is retried too.
    assert_eq!(server.fetch("/busy", "/price", 0).await, Ok(7));
    assert_eq!(server.hits.busy.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn gives_up_after_the_last_attempt() {
    let server = serve().await;
    let started = Instant::now();
    let value = server.fetch("/broken", "/price", 0).await;
    assert_eq!(value, Err(SourceError::Status(500)));
    assert_eq!(server.hits.broken.load(Ordering::SeqCst), 3);
    // Backoff of 100 ms then 200 ms.
    assert!(started.elapsed() >= Duration::from_millis(300));

    // A 404 will not change: asked once.
    let value = server.fetch("/missing", "/price", 0).await;
    assert_eq!(value, Err(SourceError::Status(404)));
    assert_eq!(server.hits.missing.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn slow_sources_time_out() {
    let server = serve().await;
    let timeout = Duration::from_millis(200);

    let mut slow = server.source("/slow", "/price");
    slow.timeout = timeout;
    let started = Instant::now();
    assert_eq!(
        server.fetcher.fetch(&slow, 0).await,
        Err(SourceError::Timeout(timeout))
    );
    // Three attempts of 200 ms and 300 ms of backoff; far from the 10 s
    // the server would take.
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(server.hits.slow.load(Ordering::SeqCst), 3);

    // The deadline covers the body, not just the headers.
    let mut slow_body = server.source("/slow-body", "/price");
    slow_body.timeout = timeout;
    assert_eq!(
        server.fetcher.fetch(&slow_body, 0).await,
        Err(SourceError::Timeout(timeout))
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let server = serve().await;
    for path in ["/big", "/big-chunked"] {
        assert_eq!(
            server.fetch(path, "/price", 0).await,
            Err(SourceError::TooLarge(MAX_BODY_BYTES)),
            "{path}"
        );
    }
    assert_eq!(server.fetch("/just-fits", "/price", 0).await, Ok(5));
}

#[tokio::test]
async fn bad_values_are_typed_errors() {
    let server = serve().await;
    let fetch = |path, pointer| server.fetch(path, pointer, 8);

    assert!(matches!(
        fetch("/html", "/price").await,
        Err(SourceError::NotJson(_))
    ));
    assert_eq!(
        fetch("/number", "/data/price").await,
        Err(SourceError::MissingPointer("/data/price".into()))
    );
    for (path, found) in [
        ("/nan", "\"NaN\""),
        ("/words", "\"12 dollars\""),
        ("/null", "null"),
    ] {
        assert_eq!(
            fetch(path, "/price").await,
            Err(SourceError::NotNumeric {
                pointer: "/price".into(),
                found: found.into()
            }),
            "{path}"
        );
    }
    assert_eq!(
        fetch("/huge", "/price").await,
        Err(SourceError::OutOfRange {
            value: "\"1e40\"".into(),
            decimals: 8
        })
    );
    // Nothing listening: a network error, retried, then reported.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    assert!(matches!(
        server
            .fetcher
            .fetch(&source(dead, "/price", "/price"), 8)
            .await,
        Err(SourceError::Network(_))
    ));
}

#[tokio::test]
async fn median_of_three_sources_drops_the_outlier() {
    let server = serve().await;
    let (results, agg) = server.aggregate_at(&["/p100", "/p10000", "/p101"], 2).await;
    assert_eq!(
        results,
        vec![
            Ok(10_000_000_000),
            Ok(1_000_000_000_000),
            Ok(10_150_000_000)
        ]
    );
    let agg = agg.unwrap();
    // The median of all three is 101.5; 10000 is 100x away and dropped;
    // the lower median of 100 and 101.5 is 100.
    assert_eq!(agg.answer, 10_000_000_000);
    assert_eq!(agg.used, vec![0, 2]);
    assert_eq!(agg.outliers, vec![1]);
    assert!(agg.failed.is_empty());

    // Four sources with one failing: the median of 99, 100, 101.5.
    let (_, agg) = server
        .aggregate_at(&["/p100", "/missing", "/p99", "/p101"], 3)
        .await;
    let agg = agg.unwrap();
    assert_eq!(agg.answer, 10_000_000_000);
    assert_eq!(agg.failed, vec![1]);
}

#[tokio::test]
async fn min_sources_not_met() {
    let (_, agg) = serve()
        .await
        .aggregate_at(&["/p100", "/missing", "/p10000"], 2)
        .await;
    assert_eq!(
        agg,
        Err(AggregateError::TooFewSources {
            usable: 1,
            need: 2,
            failed: 1,
            outliers: 1
        })
    );
}

/// The same path through a config file: the TOML shape operators write.
#[tokio::test]
async fn config_file_drives_a_fetch() {
    let server = serve().await;
    let addr = server.addr;
    let text = ConfigToml::new("http://127.0.0.1:8545", "127.0.0.1:9101")
        .string("key_env", "ORAC_ORACLE_KEY")
        .feed(
            FeedToml::new(7)
                .source(SourceToml::new(format!("http://{addr}/number"), "/price"))
                .source(
                    SourceToml::new(format!("http://{addr}/cents?api_key=secret"), "/cents")
                        .scale(0.01)
                        .timeout_ms(500),
                ),
        )
        .to_string();
    let config = Config::parse(&text).unwrap();
    let feed = &config.feeds[0];
    assert_eq!(feed.sources[1].label(), format!("http://{addr}/cents"));
    let results = server.fetcher.fetch_feed(feed).await;
    assert_eq!(results, vec![Ok(12_345_000_000), Ok(12_345_000_000)]);
    let agg = aggregate(&results, feed.min_sources, feed.max_spread_ppm).unwrap();
    assert_eq!(agg.answer, 12_345_000_000);
}
