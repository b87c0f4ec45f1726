//! A pull is complete or it fails: the client against a misbehaving sandbox server (records
//! deleted and inserted while the pages are read, empty pages that still link on, `next` links
//! to themselves, drip-fed bodies, long `Retry-After`s), and URL and proxy rules for the key.

mod common;

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use tieout_api::snapshot::{self, NoProgress, PullOptions, SnapshotError};
use tieout_api::{ApiError, ApiKey, Client, ClientConfig, InvestorQuery, RetryPolicy};
use tieout_sandbox::server::{FaultConfig, RunningServer, ServerConfig, serve};

use common::{KEY, N, write_fixture};

async fn start(dir: &std::path::Path, faults: &str) -> RunningServer {
    let mut cfg = ServerConfig::new(dir);
    cfg.faults = FaultConfig::parse(faults).unwrap();
    serve(cfg).await.unwrap()
}

fn config(base: &str, concurrency: usize) -> ClientConfig {
    common::install_crypto();
    let mut cfg = ClientConfig::new(base);
    cfg.concurrency = concurrency;
    cfg.read_timeout = Duration::from_secs(10);
    cfg.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    };
    cfg
}

fn client(base: &str, concurrency: usize) -> Client {
    Client::with_config(config(base, concurrency), ApiKey::new(KEY).unwrap()).unwrap()
}

fn options(attempts: u32) -> PullOptions {
    let when = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let mut o = PullOptions::new(when);
    o.page_size = 40;
    o.attempts = attempts;
    o
}

fn ids(path: &std::path::Path) -> Vec<i64> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect()
}

/// One investor deleted and one inserted after two pages were served: the counts still add
/// up, so only the second reading of the ids sees it. The pull starts again and ends with the
/// platform's state after the change: the deleted investor gone, the new one present, none
/// skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_deleted_and_one_inserted_mid_pull_restart_it_then_it_is_exact() {
    let fx = write_fixture();
    for concurrency in [1, 4] {
        let server = start(fx.dir.path(), "drift_after=2,drift_pos=3").await;
        let c = client(&server.base_url(), concurrency);
        let out = tempfile::tempdir().unwrap();
        let snap = out.path().join("snap");
        let m = snapshot::pull(&c, &snap, &options(3), &NoProgress)
            .await
            .unwrap();
        let got = ids(&snap.join("investors.jsonl"));
        assert_eq!(m.counts["investors"], N as u64);
        assert_eq!(got.len(), N);
        // Fixture investors are 1..=N; the 4th (id 4) was deleted and N + 1 inserted.
        let mut want: Vec<i64> = (1..=N as i64).filter(|&i| i != 4).collect();
        want.push(N as i64 + 1);
        assert_eq!(got, want, "concurrency {concurrency}");
        server.shutdown().await.unwrap();

        // With one attempt only, the same drift is an error naming what moved.
        let server = start(fx.dir.path(), "drift_after=2,drift_pos=3").await;
        let c = client(&server.base_url(), concurrency);
        let e = snapshot::pull(&c, &out.path().join("one"), &options(1), &NoProgress)
            .await
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(e, SnapshotError::Incomplete { attempts: 1, .. }),
            "{msg}"
        );
        if concurrency == 1 {
            // Investor 4 (on page 1, already read) is gone; the investor the shift pushed
            // back onto page 2 (already read) was never seen.
            assert!(msg.contains("investors changed"), "{msg}");
            assert!(msg.contains("1 record(s) appeared (id 81)"), "{msg}");
            assert!(msg.contains("1 record(s) disappeared (id 4)"), "{msg}");
        }
        assert!(
            !out.path().join("one").exists(),
            "an incomplete pull leaves nothing"
        );
        server.shutdown().await.unwrap();
    }
}

/// Data that keeps moving: a bounded number of whole-pull attempts, then a failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_that_keeps_moving_fails_after_bounded_attempts() {
    let fx = write_fixture();
    let server = start(fx.dir.path(), "drift_after=1,drift_every=2").await;
    let c = client(&server.base_url(), 1);
    let out = tempfile::tempdir().unwrap();
    let e = snapshot::pull(&c, &out.path().join("s"), &options(3), &NoProgress)
        .await
        .unwrap_err();
    assert!(
        matches!(e, SnapshotError::Incomplete { attempts: 3, .. }),
        "{e}"
    );
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    server.shutdown().await.unwrap();
}

/// An empty page that still links on would skip records; one whose `next` is itself used to
/// loop forever (1,369 requests in 45 s). Both fail at once, in both fetch modes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_pages_self_links_and_loops_fail_fast() {
    let fx = write_fixture();
    for (faults, want) in [
        ("empty_page=2", "holds no records but links to a next page"),
        (
            "empty_page=2,no_count=1",
            "holds no records but links to a next page",
        ),
        ("empty_page=2,self_next=2", "holds no records"),
        ("self_next=3,no_count=1", "already fetched (a loop)"),
    ] {
        for concurrency in [1, 4] {
            let server = start(fx.dir.path(), faults).await;
            let c = client(&server.base_url(), concurrency);
            let t = Instant::now();
            let r: Result<Vec<_>, ApiError> = c
                .investors(&InvestorQuery::new().ordering("id").page_size(40))
                .try_collect()
                .await;
            let e = r.expect_err(faults);
            let msg = e.to_string();
            // In parallel mode an empty page is a short page.
            assert!(
                msg.contains(want) || (concurrency > 1 && msg.contains("page 2 has 0 records")),
                "{faults} / {concurrency}: {msg}"
            );
            assert!(t.elapsed() < Duration::from_secs(10), "{faults}");
            assert!(
                server.stats().requests < 20,
                "{faults}: {:?}",
                server.stats()
            );
            server.shutdown().await.unwrap();
        }
    }
}

/// Without `count`, records are still counted against the pages' own statements, and a
/// server whose links never end hits the page cap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_cap_bounds_a_walk() {
    let fx = write_fixture();
    let server = start(fx.dir.path(), "no_count=1").await;
    let mut cfg = config(&server.base_url(), 1);
    cfg.max_pages = 3;
    let c = Client::with_config(cfg, ApiKey::new(KEY).unwrap()).unwrap();
    let e = c
        .investors(&InvestorQuery::new().ordering("id").page_size(40))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("more than 3 pages"), "{e}");
    server.shutdown().await.unwrap();
}

/// A body drip-fed a few bytes at a time never trips the read timeout; the per-request
/// deadline ends each attempt and the pull's deadline ends the pull.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drip_fed_bodies_meet_the_request_and_pull_deadlines() {
    let fx = write_fixture();
    let server = start(fx.dir.path(), "drip_ms=40,drip_bytes=8").await;
    let mut cfg = config(&server.base_url(), 1);
    cfg.request_timeout = Duration::from_millis(500);
    let c = Client::with_config(cfg, ApiKey::new(KEY).unwrap()).unwrap();
    let t = Instant::now();
    let e = c
        .investors(&InvestorQuery::new().page_size(40))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ApiError::Transport {
                timeout: true,
                attempts: 3,
                ..
            }
        ),
        "{e}"
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());

    // The whole pull: a deadline of 1 s although each request may take 60 s.
    let mut cfg = config(&server.base_url(), 1);
    cfg.request_timeout = Duration::from_secs(60);
    let c = Client::with_config(cfg, ApiKey::new(KEY).unwrap()).unwrap();
    let mut o = options(3);
    o.deadline = Some(Duration::from_secs(1));
    let out = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let e = snapshot::pull(&c, &out.path().join("s"), &o, &NoProgress)
        .await
        .unwrap_err();
    assert!(matches!(e, SnapshotError::Deadline { secs: 1 }), "{e}");
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    server.shutdown().await.unwrap();
}

/// A `Retry-After` of 120 s is cut to the client's cap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_retry_after_is_capped() {
    let fx = write_fixture();
    let server = start(fx.dir.path(), "rate429=1,retry_after=120").await;
    let mut cfg = config(&server.base_url(), 1);
    cfg.retry.max_attempts = 2;
    cfg.retry.max_retry_after = Duration::from_millis(200);
    let c = Client::with_config(cfg, ApiKey::new(KEY).unwrap()).unwrap();
    let t = Instant::now();
    let e = c.offering(1).await.unwrap_err();
    assert_eq!(e.status(), Some(429), "{e}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(
        RetryPolicy::default().max_retry_after,
        Duration::from_secs(30)
    );
    server.shutdown().await.unwrap();
}

/// A key put in the URL is refused, and the URL is never echoed.
#[test]
fn keys_in_urls_are_refused_and_never_echoed() {
    common::install_crypto();
    for url in [
        "https://api.issuance.com/?api_key=SECRET-IN-URL-77",
        "https://api.issuance.com/#SECRET-IN-URL-77",
        "https://user:SECRET-IN-URL-77@api.issuance.com/",
        "http://127.0.0.1:8000/?key=SECRET-IN-URL-77",
        "ht!tp://x/?key=SECRET-IN-URL-77",
    ] {
        let e = Client::new(url, ApiKey::new(KEY).unwrap()).unwrap_err();
        let msg = format!("{e} {e:?}");
        assert!(!msg.contains("SECRET-IN-URL-77"), "{url}: {msg}");
    }
    let shown = tieout_api::client::redact_url_text("https://u:p@h.example/api/?api_key=S#f");
    assert_eq!(shown, "https://h.example/api/?<removed>");
}

/// A proxy is for https only: an `http://` loopback target never goes through one, even when
/// one is configured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_never_goes_through_a_proxy() {
    let fx = write_fixture();
    let server = start(fx.dir.path(), "").await;
    // A "proxy" that counts the connections it receives.
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let mut cfg = config(&server.base_url(), 1);
    cfg.proxy = Some(format!("http://{}", proxy.local_addr().unwrap()));
    let c = Client::with_config(cfg, ApiKey::new(KEY).unwrap()).unwrap();
    let o = c.offering(1).await.unwrap();
    assert_eq!(o.value.id, 1);
    assert!(
        proxy.accept().is_err(),
        "the proxy received a connection (and would have seen the key)"
    );
    server.shutdown().await.unwrap();
}
