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
