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
use orac_oracle_node::{AggregateError, Fetcher, SourceError, aggregate};
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

async fn serve() -> (SocketAddr, Hits) {
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
    (addr, hits)
}

fn source(addr: SocketAddr, path: &str, pointer: &str) -> SourceSpec {
    SourceSpec {
        url: Url::parse(&format!("http://{addr}{path}")).unwrap(),
        pointer: pointer.into(),
        scale: 1.0,
        timeout: Duration::from_secs(2),
    }
}

/// A feed of the sources at `paths`, each read at the pointer `/p`.
fn feed_at(addr: SocketAddr, paths: &[&str], min_sources: usize) -> FeedSpec {
    let sources = paths.iter().map(|path| source(addr, path, "/p")).collect();
    feed(sources, min_sources)
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
    let (addr, _) = serve().await;
    let fetcher = Fetcher::new().unwrap();

    let number = fetcher.fetch(&source(addr, "/number", "/price"), 8).await;
    assert_eq!(number, Ok(12_345_000_000));

    // Nine decimals in the string, eight in the feed: rounded half to
    // even (…789 -> …79), never through a float.
    let string = fetcher.fetch(&source(addr, "/string", "/price"), 8).await;
    assert_eq!(string, Ok(6_789_012_345_679));
    let string = fetcher.fetch(&source(addr, "/string", "/price"), 18).await;
    assert_eq!(string, Ok(67_890_123_456_789_000_000_000));

    let nested = fetcher
        .fetch(&source(addr, "/nested", "/data/quotes/1/last"), 8)
        .await;
    assert_eq!(nested, Ok(4_217));

    let mut cents = source(addr, "/cents", "/cents");
    cents.scale = 0.01;
    assert_eq!(fetcher.fetch(&cents, 2).await, Ok(12_345));
    assert_eq!(fetcher.fetch(&cents, 8).await, Ok(12_345_000_000));
}

#[tokio::test]
async fn retries_server_errors_until_success() {
    let (addr, hits) = serve().await;
    let fetcher = Fetcher::new().unwrap();
    let value = fetcher.fetch(&source(addr, "/flaky", "/price"), 0).await;
    assert_eq!(value, Ok(42));
    assert_eq!(hits.flaky.load(Ordering::SeqCst), 3);

    // 429 is retried too.
    let value = fetcher.fetch(&source(addr, "/busy", "/price"), 0).await;
    assert_eq!(value, Ok(7));
    assert_eq!(hits.busy.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn gives_up_after_the_last_attempt() {
    let (addr, hits) = serve().await;
    let fetcher = Fetcher::new().unwrap();
    let started = Instant::now();
    let value = fetcher.fetch(&source(addr, "/broken", "/price"), 0).await;
    assert_eq!(value, Err(SourceError::Status(500)));
    assert_eq!(hits.broken.load(Ordering::SeqCst), 3);
    // Backoff of 100 ms then 200 ms.
    assert!(started.elapsed() >= Duration::from_millis(300));

    // A 404 will not change: asked once.
    let value = fetcher.fetch(&source(addr, "/missing", "/price"), 0).await;
    assert_eq!(value, Err(SourceError::Status(404)));
    assert_eq!(hits.missing.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn slow_sources_time_out() {
    let (addr, hits) = serve().await;
    let fetcher = Fetcher::new().unwrap();
    let timeout = Duration::from_millis(200);

    let mut slow = source(addr, "/slow", "/price");
    slow.timeout = timeout;
    let started = Instant::now();
    assert_eq!(
        fetcher.fetch(&slow, 0).await,
        Err(SourceError::Timeout(timeout))
    );
    // Three attempts of 200 ms and 300 ms of backoff; far from the 10 s
    // the server would take.
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(hits.slow.load(Ordering::SeqCst), 3);

    // The deadline covers the body, not just the headers.
    let mut slow_body = source(addr, "/slow-body", "/price");
    slow_body.timeout = timeout;
    assert_eq!(
        fetcher.fetch(&slow_body, 0).await,
        Err(SourceError::Timeout(timeout))
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let (addr, _) = serve().await;
    let fetcher = Fetcher::new().unwrap();
    assert_eq!(
        fetcher.fetch(&source(addr, "/big", "/price"), 0).await,
        Err(SourceError::TooLarge(MAX_BODY_BYTES))
    );
    assert_eq!(
        fetcher
            .fetch(&source(addr, "/big-chunked", "/price"), 0)
            .await,
        Err(SourceError::TooLarge(MAX_BODY_BYTES))
    );
    assert_eq!(
        fetcher
            .fetch(&source(addr, "/just-fits", "/price"), 0)
            .await,
        Ok(5)
    );
}

#[tokio::test]
async fn bad_values_are_typed_errors() {
    let (addr, _) = serve().await;
    let fetcher = Fetcher::new().unwrap();
    let fetch = |path: &'static str, pointer: &'static str| {
        let fetcher = fetcher.clone();
        async move { fetcher.fetch(&source(addr, path, pointer), 8).await }
    };

    assert!(matches!(
        fetch("/html", "/price").await,
        Err(SourceError::NotJson(_))
    ));
    assert_eq!(
        fetch("/number", "/data/price").await,
        Err(SourceError::MissingPointer("/data/price".into()))
    );
    assert_eq!(
        fetch("/nan", "/price").await,
        Err(SourceError::NotNumeric {
            pointer: "/price".into(),
            found: "\"NaN\"".into()
        })
    );
    assert_eq!(
        fetch("/words", "/price").await,
        Err(SourceError::NotNumeric {
            pointer: "/price".into(),
            found: "\"12 dollars\"".into()
        })
    );
    assert_eq!(
        fetch("/null", "/price").await,
        Err(SourceError::NotNumeric {
            pointer: "/price".into(),
            found: "null".into()
        })
    );
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
        fetcher.fetch(&source(dead, "/price", "/price"), 8).await,
        Err(SourceError::Network(_))
    ));
}

#[tokio::test]
async fn median_of_three_sources_drops_the_outlier() {
    let (addr, _) = serve().await;
    let fetcher = Fetcher::new().unwrap();
    let three = feed_at(addr, &["/p100", "/p10000", "/p101"], 2);
    let results = fetcher.fetch_feed(&three).await;
    assert_eq!(
        results,
        vec![
            Ok(10_000_000_000),
            Ok(1_000_000_000_000),
            Ok(10_150_000_000)
        ]
    );
    let agg = aggregate(&results, three.min_sources, three.max_spread_ppm).unwrap();
    // The median of all three is 101.5; 10000 is 100x away and dropped;
    // the lower median of 100 and 101.5 is 100.
    assert_eq!(agg.answer, 10_000_000_000);
    assert_eq!(agg.used, vec![0, 2]);
    assert_eq!(agg.outliers, vec![1]);
    assert!(agg.failed.is_empty());

    // Four sources with one failing: the median of 99, 100, 101.5.
    let four = feed_at(addr, &["/p100", "/missing", "/p99", "/p101"], 3);
    let results = fetcher.fetch_feed(&four).await;
    let agg = aggregate(&results, four.min_sources, four.max_spread_ppm).unwrap();
    assert_eq!(agg.answer, 10_000_000_000);
    assert_eq!(agg.failed, vec![1]);
}

#[tokio::test]
async fn min_sources_not_met() {
    let (addr, _) = serve().await;
    let fetcher = Fetcher::new().unwrap();
    let feed = feed_at(addr, &["/p100", "/missing", "/p10000"], 2);
    let results = fetcher.fetch_feed(&feed).await;
    assert_eq!(
        aggregate(&results, feed.min_sources, feed.max_spread_ppm),
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
    let (addr, _) = serve().await;
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
    let results = Fetcher::new().unwrap().fetch_feed(feed).await;
    assert_eq!(results, vec![Ok(12_345_000_000), Ok(12_345_000_000)]);
    let agg = aggregate(&results, feed.min_sources, feed.max_spread_ppm).unwrap();
    assert_eq!(agg.answer, 12_345_000_000);
}
