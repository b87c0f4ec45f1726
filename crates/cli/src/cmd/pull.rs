//! `tieout pull`: a snapshot of the Issuer API on disk.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tieout_api::snapshot::{self, Manifest, Progress, PullOptions};
use tieout_api::{ApiKey, Client, ClientConfig};

use crate::{ApiArgs, Outcome, PullArgs};
use tieout::outdir::{Access, StagedDir};

/// Runs `tieout pull`.
pub fn run(args: PullArgs, quiet: bool) -> Result<Outcome> {
    let url = args
        .api
        .api_url
        .clone()
        .unwrap_or_else(|| tieout_api::DEFAULT_BASE_URL.to_string());
    let manifest = pull_snapshot(&args.api, &url, args.offering, &args.out, &[], quiet)?;
    eprintln!(
        "tieout pull: {} offerings, {} investors, {} investments, {} users → {}",
        count(&manifest, "offerings"),
        count(&manifest, "investors"),
        count(&manifest, "investments"),
        count(&manifest, "users"),
        args.out.display()
    );
    Ok(Outcome::Clean)
}

fn count(m: &Manifest, endpoint: &str) -> u64 {
    m.counts.get(endpoint).copied().unwrap_or(0)
}

/// Pulls into `out` with progress bars on a terminal: staged beside it and moved into place
/// when complete (see [`tieout::outdir`]: a folder holding anything but an earlier snapshot, or
/// one of `inputs`, is refused), owner-only (files 0600, folders 0700) since the snapshot
/// holds unmasked tax ids.
pub fn pull_snapshot(
    api: &ApiArgs,
    url: &str,
    offering: Option<i64>,
    out: &Path,
    inputs: &[&Path],
    quiet: bool,
) -> Result<Manifest> {
    let shown = tieout_api::client::redact_url_text(url);
    let stage = StagedDir::new(out, inputs, Access::Owner)?;
    let key = ApiKey::from_env(&api.api_key_env)
        .with_context(|| format!("reading the API key from ${}", api.api_key_env))?;
    let mut cfg = ClientConfig::new(url);
    cfg.concurrency = api.concurrency.max(1);
    cfg.request_timeout = Duration::from_secs(api.request_timeout.max(1));
    cfg.proxy = proxy(api)?;
    let client = Client::with_config(cfg, key).context("setting up the API client")?;
    let mut opts = PullOptions::new(chrono::Utc::now());
    opts.offering = offering;
    opts.deadline = Some(Duration::from_secs(api.pull_deadline.max(1)));
    let progress = Bars::new(quiet);
    let rt = super::runtime()?;
    let manifest = rt
        .block_on(snapshot::pull_into(&client, stage.path(), &opts, &progress))
        .with_context(|| format!("pulling from {shown}"))?;
    progress.clear();
    stage.commit()?;
    Ok(manifest)
}

/// The HTTPS proxy the user asked for: `--proxy URL`, or with `--proxy-from-env` the
/// `HTTPS_PROXY` (or `https_proxy`) variable. Never otherwise, and never for plain http.
fn proxy(api: &ApiArgs) -> Result<Option<String>> {
    if let Some(p) = &api.proxy {
        return Ok(Some(p.clone()));
    }
    if api.proxy_from_env {
        let v = std::env::var("HTTPS_PROXY")
            .or_else(|_| std::env::var("https_proxy"))
            .ok()
            .filter(|v| !v.trim().is_empty());
        if v.is_none() {
            anyhow::bail!("--proxy-from-env is given but HTTPS_PROXY is not set");
        }
        return Ok(v);
    }
    Ok(None)
}

/// indicatif bars, one per endpoint; hidden when not on a terminal or with `--quiet`.
struct Bars {
    multi: MultiProgress,
    bars: Mutex<Vec<(String, ProgressBar)>>,
}

impl Bars {
    fn new(quiet: bool) -> Self {
        let multi = MultiProgress::new();
        if quiet {
            multi.set_draw_target(ProgressDrawTarget::hidden());
        }
        Self {
            multi,
            bars: Mutex::new(Vec::new()),
        }
    }

    fn bar(&self, endpoint: &str) -> ProgressBar {
        let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, b)) = bars.iter().find(|(n, _)| n == endpoint) {
            return b.clone();
        }
        let b = self.multi.add(ProgressBar::new(0));
        b.set_style(
            ProgressStyle::with_template("{prefix:>12} {bar:30} {pos}/{len} records ({per_sec})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b.set_prefix(endpoint.to_string());
        bars.push((endpoint.to_string(), b.clone()));
        b
    }

    fn clear(&self) {
        let _ = self.multi.clear();
    }
}

impl Progress for Bars {
    fn start(&self, endpoint: &str, total: Option<u64>) {
        let b = self.bar(endpoint);
        if let Some(t) = total {
            b.set_length(t);
        }
    }

    fn advance(&self, endpoint: &str, fetched: u64) {
        let b = self.bar(endpoint);
        if b.length().unwrap_or(0) < fetched {
            b.set_length(fetched);
        }
        b.set_position(fetched);
    }

    fn finish(&self, endpoint: &str, fetched: u64) {
        let b = self.bar(endpoint);
        b.set_length(fetched);
        b.finish_with_message("done");
        tracing::info!("pulled {fetched} {endpoint}");
    }
}
