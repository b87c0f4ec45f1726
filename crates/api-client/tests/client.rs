//! The client against the sandbox server over real HTTP, with faults on.

mod common;

use std::str::FromStr;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use tieout_api::snapshot::{self, NoProgress, Progress, PullOptions};
use tieout_api::{
    ApiError, ApiKey, Client, ClientConfig, InvestmentQuery, InvestorQuery, Params, RetryPolicy,
};
use tieout_domain::{InvestmentStatus, KycStatus, PaymentMethod};
use tieout_sandbox::server::{FaultConfig, RunningServer, ServerConfig, serve};

use common::{KEY, N, write_fixture};

async fn start(dir: &std::path::Path, faults: &str) -> RunningServer {
    let mut cfg = ServerConfig::new(dir);
    cfg.faults = FaultConfig::parse(faults).unwrap();
    serve(cfg).await.unwrap()
}

fn client(base: &str, concurrency: usize, attempts: u32) -> Client {
    common::install_crypto();
    let mut cfg = ClientConfig::new(base);
    cfg.concurrency = concurrency;
    cfg.read_timeout = Duration::from_secs(10);
    cfg.retry = RetryPolicy {
        max_attempts: attempts,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    };
    Client::with_config(cfg, ApiKey::new(KEY).unwrap()).unwrap()
}

const FAULTS: &str = "rate429=0.1,rate5xx=0.1,slow_ms=15,slow=0.3,drop=0.08,retry_after=0,seed=11";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_arrives_once_in_order_byte_identical_despite_faults() {
    let fx = write_fixture();
    let server = start(fx.dir.path(), FAULTS).await;
    for concurrency in [1, 4] {
        let c = client(&server.base_url(), concurrency, 12);
        let q = InvestmentQuery::new().page_size(17);
        let raw: Vec<String> = c
            .list_raw("/api/investments/", q.params())
            .map_ok(|r| r.get().to_string())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(raw.len(), N);
        assert_eq!(raw, fx.investments, "concurrency {concurrency}");
        // Typed, other endpoints.
        let investors: Vec<_> = c
            .investors(&InvestorQuery::new().page_size(33))
            .try_collect()
            .await
            .unwrap();
        let got: Vec<String> = investors.iter().map(|r| r.raw.get().to_string()).collect();
        assert_eq!(got, fx.investors);
        assert_eq!(
            investors.iter().map(|r| r.value.id).collect::<Vec<_>>(),
            (1..=N as i64).collect::<Vec<_>>()
        );
        let users: Vec<_> = c.users(&Default::default()).try_collect().await.unwrap();
        assert_eq!(
            users
                .iter()
                .map(|r| r.raw.get().to_string())
                .collect::<Vec<_>>(),
            fx.users
        );
        let offerings: Vec<_> = c
            .offerings(&Default::default())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(offerings.len(), 3);
        assert_eq!(offerings[0].raw.get(), fx.offerings[0]);
    }
    let stats = server.stats();
    assert!(
        stats.faults >= 5 && stats.dropped >= 1 && stats.slowed >= 1,
        "faults were injected: {stats:?}"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_records_keep_unknown_enums_and_exact_money() {
    let fx = write_fixture();
    let server = start(fx.dir.path(), "").await;
    let c = client(&server.base_url(), 4, 3);
    let all: Vec<_> = c
        .investments(&InvestmentQuery::new().page_size(100))
        .try_collect()
        .await
        .unwrap();
    let by_i = |i: usize| {
        all.iter()
            .find(|r| r.value.id == common::investment_id(i) as i64)
            .unwrap()
    };
    assert_eq!(
        by_i(7).value.status,
        Some(InvestmentStatus::Other("on_hold".into()))
    );
    assert_eq!(
        by_i(8).value.payment_method,
        Some(PaymentMethod::Other("zelle".into()))
    );
    assert_eq!(
        by_i(11).value.amount,
        Some(Decimal::from_str("2500.5").unwrap())
    );
    assert_eq!(
        by_i(12).value.amount.unwrap().to_string(),
        common::amount_of(12)
    );
    let inv = by_i(12).value.investor.as_ref().unwrap();
    assert_eq!(
        inv.entity.as_ref().unwrap().kyc_status,
        Some(KycStatus::Passed)
    );
    // Detail endpoints return the same bytes as the list.
    let one = c
        .investment(common::investment_id(12) as i64)
        .await
        .unwrap();
    assert_eq!(one.raw.get(), by_i(12).raw.get());
    let off = c.offering(2).await.unwrap();
    assert_eq!(off.value.slug.as_deref(), Some("acme-506c"));
    assert_eq!(
        off.value.unit_price,
        Some(Decimal::from_str("1.25").unwrap())
    );
    // Filters go through to the server.
    let received: Vec<_> = c
        .investments(
            &InvestmentQuery::new()
                .status(InvestmentStatus::Received)
                .offering(1)
                .page_size(7),
        )
        .try_collect()
        .await
        .unwrap();
    let want = fx
        .investment_values
        .iter()
        .filter(|v| v["status"] == "received" && v["offering"] == 1)
        .count();
    assert!(want > 0);
    assert_eq!(received.len(), want);
    // Statuses, summary, values.
    let st = c.investment_statuses().await.unwrap();
    assert_eq!(st.data.statuses.len(), 11);
    let summary = c
        .investment_summary(&InvestmentQuery::new().offering(1))
        .await
        .unwrap();
    let invested = |s: &str| {
        matches!(
            s,
            "invested" | "approved" | "accepted" | "accepted_escrow_closed"
        )
    };
    let (mut sum, mut n) = (Decimal::ZERO, 0);
    for v in fx
        .investment_values
        .iter()
        .filter(|v| v["offering"] == 1 && invested(v["status"].as_str().unwrap()))
    {
        sum += Decimal::from_str(v["amount"].to_string().trim_matches('"')).unwrap();
        n += 1;
    }
    let inv_fig = summary.total_amount_invested.unwrap();
    assert_eq!(inv_fig.count, Some(n));
    assert_eq!(inv_fig.amount, Some(sum));
    let values = c
        .investment_values(
            &["id", "investor", "investor__type", "status"],
            &InvestmentQuery::new().id(13),
        )
        .await
        .unwrap();
    assert_eq!(values.data.count, Some(1));
    assert_eq!(values.data.values[0].investor, Some(1));
    assert_eq!(
        values.data.values[0].investor_type,
        Some(tieout_domain::InvestorType::Company)
    );
    let iv = c
        .investor_values(&["id", "type", "user"], &InvestorQuery::new().id_in([2, 3]))
        .await
        .unwrap();
    assert_eq!(
        iv.data.values.iter().map(|v| v.user).collect::<Vec<_>>(),
        vec![Some(1002), Some(1003)]
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_key_and_not_found_are_typed_and_never_echo_the_key() {
    let fx = write_fixture();
    let server = start(fx.dir.path(), "").await;
    common::install_crypto();
    let wrong = "WRONG-KEY-do-not-print-777";
    let c = Client::new(&server.base_url(), ApiKey::new(wrong).unwrap()).unwrap();
    let e = c.investment(13).await.unwrap_err();
    match &e {
        ApiError::KeyRefused { status, detail } => {
            assert_eq!(*status, 403);
            assert_eq!(detail.as_deref(), Some("Invalid API Key."));
        }
        other => panic!("{other:?}"),
    }
    assert!(!e.to_string().contains(wrong) && !format!("{e:?}").contains(wrong));
    assert!(!format!("{c:?}").contains(wrong));
    let e = c
        .investments(&Default::default())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::KeyRefused { status: 403, .. }));

    let c = client(&server.base_url(), 4, 3);
    assert!(!format!("{c:?}").contains(KEY));
    let e = c.investment(999_999).await.unwrap_err();
    match &e {
        ApiError::NotFound { detail, .. } => assert_eq!(detail.as_deref(), Some("Not found.")),
        other => panic!("{other:?}"),
    }
    assert_eq!(e.status(), Some(404));
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_post_patch_validation_and_no_blind_retry() {
    let fx = write_fixture();
    let server = start(fx.dir.path(), "").await;
    let c = client(&server.base_url(), 4, 5);
    let created = c
        .create_user("new.person@example.org", "s3cret-pass")
        .await
        .unwrap();
    assert_eq!(created.value.id, 1000 + N as i64 + 1);
    assert_eq!(
        created.value.email.as_deref(),
        Some("new.person@example.org")
    );
    let e = c.create_user("not-an-email", "x").await.unwrap_err();
    match e {
        ApiError::Validation { body, .. } => assert_eq!(
            body,
            serde_json::json!({"email": ["Enter a valid email address."]})
        ),
        other => panic!("{other:?}"),
    }
    let e = c
        .create_user("INVESTOR3@example.com", "x")
        .await
        .unwrap_err();
    match e {
        ApiError::Validation { body, .. } => assert_eq!(
            body,
            serde_json::json!({"email": ["user with this email already exists."]})
        ),
        other => panic!("{other:?}"),
    }
    let patch = tieout_api::models::UserWrite {
        email: Some("renamed@example.org".into()),
        password: Some("hunter2".into()),
    };
    assert!(!format!("{patch:?}").contains("hunter2"));
    let updated = c.update_user(created.value.id, &patch).await.unwrap();
    assert_eq!(updated.value.email.as_deref(), Some("renamed@example.org"));
    assert_eq!(
        c.user(created.value.id)
            .await
            .unwrap()
            .value
            .email
            .as_deref(),
        Some("renamed@example.org")
    );
    let e = c
        .update_user(
            1001,
            &tieout_api::models::UserWrite {
                email: Some("renamed@example.org".into()),
                password: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Validation { .. }));
    // The dataset on disk is untouched.
    let on_disk = std::fs::read_to_string(fx.dir.path().join("api/users.jsonl")).unwrap();
    assert!(!on_disk.contains("renamed@example.org"));
    server.shutdown().await.unwrap();

    // Every response a 5xx: GET is retried up to the limit, POST/PATCH are sent exactly once.
    let server = start(fx.dir.path(), "rate5xx=1,seed=2").await;
    let c = client(&server.base_url(), 1, 4);
    let e = c.create_user("x@example.com", "pw").await.unwrap_err();
    assert!(matches!(e.status(), Some(500 | 502 | 503 | 504)), "{e:?}");
    let e = c.update_user(1001, &Default::default()).await.unwrap_err();
    assert!(matches!(e.status(), Some(500 | 502 | 503 | 504)), "{e:?}");
    let s = server.stats();
    assert_eq!((s.posts, s.patches), (1, 1));
    let e = c.investment(13).await.unwrap_err();
    assert!(matches!(e, ApiError::Status { attempts: 4, .. }), "{e:?}");
    assert_eq!(server.stats().gets, 4);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured() {
    let fx = write_fixture();
    let server = start(fx.dir.path(), "rate429=1,retry_after=1,seed=1").await;
    let c = client(&server.base_url(), 1, 2);
    let t = Instant::now();
    let e = c.investment(13).await.unwrap_err();
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );
    assert!(matches!(e, ApiError::Status { status: 429, .. }), "{e:?}");
    assert_eq!(server.stats().gets, 2);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_timeouts_are_retried_then_reported() {
    let fx = write_fixture();
    let server = start(fx.dir.path(), "slow_ms=600,slow=1,seed=1").await;
    common::install_crypto();
    let mut cfg = ClientConfig::new(server.base_url());
    cfg.read_timeout = Duration::from_millis(150);
    cfg.retry = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(1),
        ..RetryPolicy::default()
    };
    let c = Client::with_config(cfg, ApiKey::new(KEY).unwrap()).unwrap();
    let e = c.offering(1).await.unwrap_err();
    assert!(
        matches!(
            e,
            ApiError::Transport {
                timeout: true,
                attempts: 2,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(server.stats().gets, 2);
    server.shutdown().await.unwrap();
}

#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<(String, Option<u64>, u64)>>);

impl Progress for Recorder {
    fn start(&self, endpoint: &str, total: Option<u64>) {
        self.0
            .lock()
            .unwrap()
            .push((endpoint.to_string(), total, 0));
    }
    fn finish(&self, endpoint: &str, fetched: u64) {
        if let Some(e) = self.0.lock().unwrap().iter_mut().find(|e| e.0 == endpoint) {
            e.2 = fetched;
        }
    }
}

fn sha(path: &std::path::Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_pull_is_atomic_hashed_and_loads_into_a_book() {
    let fx = write_fixture();
    let server = start(fx.dir.path(), FAULTS).await;
    let c = client(&server.base_url(), 4, 12);
    let out = tempfile::tempdir().unwrap();
    let snap = out.path().join("snap");
    let when = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let mut opts = PullOptions::new(when);
    opts.page_size = 40;
    let rec = Recorder::default();
    let m = snapshot::pull(&c, &snap, &opts, &rec).await.unwrap();
    let join = |l: &[String]| l.iter().map(|s| format!("{s}\n")).collect::<String>();
    assert_eq!(
        std::fs::read_to_string(snap.join("investments.jsonl")).unwrap(),
        join(&fx.investments)
    );
    assert_eq!(
        std::fs::read_to_string(snap.join("investors.jsonl")).unwrap(),
        join(&fx.investors)
    );
    assert_eq!(
        std::fs::read_to_string(snap.join("offerings.jsonl")).unwrap(),
        join(&fx.offerings)
    );
    assert_eq!(
        std::fs::read_to_string(snap.join("users.jsonl")).unwrap(),
        join(&fx.users)
    );
    for f in snapshot::FILES {
        assert_eq!(m.sha256[f], sha(&snap.join(f)), "{f}");
    }
    assert_eq!(m.counts["investments"], N as u64);
    assert_eq!(m.pulled_at, when);
    assert_eq!(
        m.api_url.as_deref(),
        Some(format!("{}/", server.base_url()).as_str())
    );
    assert_eq!(snapshot::verify(&snap).unwrap(), m);
    assert_eq!(snapshot::read_manifest(&snap).unwrap(), m);
    let progress = rec.0.lock().unwrap().clone();
    assert_eq!(
        progress[2],
        ("investments".to_string(), Some(N as u64), N as u64)
    );
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("snap")]);

    // load_book converts everything.
    let book = snapshot::load_book(&snap).unwrap();
    assert_eq!(
        (
            book.offerings.len(),
            book.investors.len(),
            book.investments.len()
        ),
        (3, N, N)
    );
    let i50 = book.investors.iter().find(|i| i.id == 50).unwrap();
    assert_eq!(
        i50.tax_id.as_deref(),
        Some("150-60-1050"),
        "tax id from the embedded investor"
    );
    assert!(i50.date_of_birth.is_some());
    let i3 = book.investors.iter().find(|i| i.id == 3).unwrap();
    assert_eq!(
        i3.regcf_invested_other_platforms,
        Some(Decimal::from_str("125.00").unwrap())
    );
    assert_eq!(i3.email.as_deref(), Some("Investor3@Example.com"));
    let v7 = book
        .investments
        .iter()
        .find(|v| v.id == common::investment_id(7) as i64)
        .unwrap();
    assert_eq!(v7.status, InvestmentStatus::Other("on_hold".into()));
    let v11 = book
        .investments
        .iter()
        .find(|v| v.id == common::investment_id(11) as i64)
        .unwrap();
    assert_eq!(v11.amount, Decimal::from_str("2500.5").unwrap());
    assert_eq!(
        v11.net_worth,
        Some(Decimal::from_str(&format!("{}.00", 50_000 + 11 * 7_919)).unwrap())
    );
    assert_eq!(
        book.offerings[0].offering_type,
        tieout_domain::OfferingType::RegCf
    );

    // Pull again over the existing snapshot, for one offering only: replaced in place.
    opts.offering = Some(2);
    let m2 = snapshot::pull(&c, &snap, &opts, &NoProgress).await.unwrap();
    assert_eq!(m2.counts["offerings"], 1);
    let want = fx
        .investment_values
        .iter()
        .filter(|v| v["offering"] == 2)
        .count() as u64;
    assert_eq!(m2.counts["investments"], want);
    assert_eq!(snapshot::verify(&snap).unwrap().offering, Some(2));
    server.shutdown().await.unwrap();

    // An interrupted pull leaves the previous snapshot untouched and nothing that looks complete.
    let server = start(fx.dir.path(), "rate5xx=1,seed=3").await;
    let c = client(&server.base_url(), 4, 2);
    let before = std::fs::read_to_string(snap.join("manifest.json")).unwrap();
    let e = snapshot::pull(&c, &snap, &opts, &NoProgress)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("HTTP 5"), "{e}");
    assert_eq!(
        std::fs::read_to_string(snap.join("manifest.json")).unwrap(),
        before
    );
    let fresh = out.path().join("fresh");
    assert!(
        snapshot::pull(&c, &fresh, &opts, &NoProgress)
            .await
            .is_err()
    );
    assert!(!fresh.exists());
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_book_errors_name_file_line_and_path() {
    let fx = write_fixture();
    let dir = fx.dir.path().join("api");
    let mut lines = fx.investments.clone();
    lines[4] = lines[4].replacen(
        &format!("\"amount\":\"{}\"", common::amount_of(5)),
        "\"amount\":\"1e3\"",
        1,
    );
    std::fs::write(dir.join("investments.jsonl"), lines.join("\n")).unwrap();
    let e = snapshot::load_book(&dir).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("investments.jsonl:5"), "{msg}");
    assert!(msg.contains("`amount`"), "{msg}");
    assert!(msg.contains("not a plain decimal"), "{msg}");
    let _ = Params::default();
}
