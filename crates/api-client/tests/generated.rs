//! End to end with the world generator's dataset: serve it, pull it, load it.

mod common;

use std::time::Duration;

use tieout_api::snapshot::{self, NoProgress, PullOptions};
use tieout_api::{ApiKey, Client, ClientConfig, RetryPolicy};
use tieout_sandbox::generator::{GenConfig, Period, generate};
use tieout_sandbox::server::{FaultConfig, ServerConfig, serve};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_dataset_round_trips_through_the_api() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let cfg = GenConfig {
        investments: 300,
        seed: 7,
        period: Period::parse("2026-10").unwrap(),
        sdn_names: Vec::new(),
        world: Default::default(),
    };
    let summary = generate(&cfg, &data).unwrap();
    let mut scfg = ServerConfig::new(&data);
    scfg.faults =
        FaultConfig::parse("rate429=0.05,rate5xx=0.05,drop=0.05,retry_after=0,seed=5").unwrap();
    let server = serve(scfg).await.unwrap();
    common::install_crypto();
    let mut ccfg = ClientConfig::new(server.base_url());
    ccfg.retry = RetryPolicy {
        max_attempts: 10,
        base_delay: Duration::from_millis(2),
        ..RetryPolicy::default()
    };
    let client = Client::with_config(ccfg, ApiKey::new(summary.api_key.clone()).unwrap()).unwrap();
    let snap = tmp.path().join("snap");
    let when = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let mut opts = PullOptions::new(when);
    opts.page_size = 64;
    let m = snapshot::pull(&client, &snap, &opts, &NoProgress)
        .await
        .unwrap();
    for f in snapshot::FILES {
        let served = std::fs::read_to_string(data.join("api").join(f)).unwrap();
        let pulled = std::fs::read_to_string(snap.join(f)).unwrap();
        assert_eq!(pulled, served, "{f} differs from the dataset");
    }
    assert_eq!(m.counts["investments"], summary.investments as u64);
    let book = snapshot::load_book(&snap).unwrap();
    assert_eq!(book.investments.len(), summary.investments);
    assert_eq!(book.offerings.len(), summary.offerings);
    assert!(book.investors.len() >= summary.investors);
    assert_eq!(book, snapshot::load_book(&data.join("api")).unwrap());
    server.shutdown().await.unwrap();
}

/// `book.bin` serves only when it can be trusted; otherwise the JSONL does, with the reason.
#[test]
fn book_cache_is_used_only_when_it_matches_the_manifest_and_the_jsonl() {
    use snapshot::CacheUse;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let cfg = GenConfig {
        investments: 250,
        seed: 11,
        period: Period::parse("2026-10").unwrap(),
        sdn_names: Vec::new(),
        world: Default::default(),
    };
    generate(&cfg, &data).unwrap();
    let api = data.join("api");

    // The generator writes no book: the JSONL serves, every file hashed as read.
    let plain = snapshot::open_book(&api).unwrap();
    assert_eq!(plain.cache, CacheUse::Absent);
    let manifest = snapshot::read_manifest(&api).unwrap();
    for r in &plain.read[1..] {
        assert_eq!(manifest.sha256[&r.file], r.sha256, "{}", r.file);
    }

    // Built once, it serves the same book and is listed in the manifest.
    let m = snapshot::write_book_cache(&api).unwrap();
    assert!(m.sha256.contains_key("book.bin"));
    let cached = snapshot::open_book(&api).unwrap();
    assert_eq!(cached.cache, CacheUse::Used);
    assert_eq!(cached.book, plain.book);
    let files: Vec<&str> = cached.read.iter().map(|r| r.file.as_str()).collect();
    assert_eq!(files, ["manifest.json", "book.bin"]);
    snapshot::verify(&api).unwrap();

    // A JSONL file edited after the book was built: the JSONL serves.
    let inv = api.join("investments.jsonl");
    let original = std::fs::read(&inv).unwrap();
    let mut edited = original.clone();
    edited.extend_from_slice(b"\n");
    std::fs::write(&inv, &edited).unwrap();
    let stale = snapshot::open_book(&api).unwrap();
    assert!(
        matches!(&stale.cache, CacheUse::Stale(r) if r.contains("investments.jsonl")),
        "{:?}",
        stale.cache
    );
    assert_eq!(stale.book, plain.book);
    std::fs::write(&inv, &original).unwrap();

    // A corrupted book: its hash no longer matches, the JSONL serves.
    let book = api.join("book.bin");
    let mut bytes = std::fs::read(&book).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&book, &bytes).unwrap();
    let bad = snapshot::open_book(&api).unwrap();
    assert!(
        matches!(&bad.cache, CacheUse::Stale(r) if r.contains("SHA-256")),
        "{:?}",
        bad.cache
    );
    assert_eq!(bad.book, plain.book);

    // A JSONL file that no longer matches the manifest: no book is built from it.
    std::fs::write(&inv, &edited).unwrap();
    let e = snapshot::write_book_cache(&api).unwrap_err().to_string();
    assert!(e.contains("does not match the manifest"), "{e}");
}

/// Manual check on a large snapshot: `TIEOUT_BOOK_DIR=<snapshot> cargo test -p tieout-api
/// --release --test generated -- --ignored` compares the book from `book.bin` with the JSONL's.
#[test]
#[ignore = "needs TIEOUT_BOOK_DIR pointing at a snapshot with a book.bin"]
fn book_cache_equals_jsonl_on_a_given_snapshot() {
    let Ok(dir) = std::env::var("TIEOUT_BOOK_DIR") else {
        eprintln!("SKIPPED: TIEOUT_BOOK_DIR not set");
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let cached = snapshot::open_book(&dir).unwrap();
    assert_eq!(cached.cache, snapshot::CacheUse::Used);
    let (plain, _) = snapshot::load_jsonl(&dir).unwrap();
    assert_eq!(cached.book.offerings, plain.offerings);
    for (a, b) in cached.book.investors.iter().zip(&plain.investors) {
        assert_eq!(a, b);
    }
    for (a, b) in cached.book.investments.iter().zip(&plain.investments) {
        assert_eq!(a, b);
    }
    assert_eq!(cached.book, plain);
}
