//! Fault injection: seeded, deterministic decisions about which responses go wrong and how.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Which faults the server injects, and how often. All rates are probabilities in `0.0..=1.0`.
///
/// Parse from the CLI form with [`FaultConfig::parse`]:
/// `rate429=0.1,rate5xx=0.1,slow_ms=200,slow=0.5,drop=0.05,retry_after=1,seed=1`.
///
/// Besides those random faults, a misbehaving server (all off by default):
/// `drift_after=N` — once N pages of the investors list were served, one investor (at position
/// `drift_pos` in id order) is deleted and a new one (the next free id) inserted, as on a live
/// platform; `drift_every=M` repeats that every M further investors pages. `empty_page=K` —
/// investors page K holds no records but still links to page K+1; `self_next=K` — investors
/// page K's `next` links to page K itself; `no_count=1` — list pages carry no `count`;
/// `drip_ms=N` — every body is sent `drip_bytes` (default 16) bytes at a time, N ms apart.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// Probability of answering `429 Too Many Requests` with a `Retry-After` header.
    pub rate429: f64,
    /// Probability of answering one of 500/502/503/504.
    pub rate5xx: f64,
    /// Delay added to slowed responses, in milliseconds (0: never slow).
    pub slow_ms: u64,
    /// Probability that a response is slowed by `slow_ms` (default 1.0 when `slow_ms` is set).
    pub slow_rate: f64,
    /// Probability of sending headers and part of the body, then closing the connection.
    pub drop: f64,
    /// Value of the `Retry-After` header on 429 responses, in seconds.
    pub retry_after: u64,
    /// Seed of the fault RNG: the same seed gives the same sequence of decisions.
    pub seed: u64,
    /// Investors list pages served before the data drifts (0: never).
    pub drift_after: u64,
    /// Investors list pages between further drifts (0: drift once).
    pub drift_every: u64,
    /// Position (0-based, id order) of the investor each drift deletes.
    pub drift_pos: u64,
    /// Investors page (1-based) served empty with a `next` (0: never).
    pub empty_page: u64,
    /// Investors page (1-based) whose `next` links to itself (0: never).
    pub self_next: u64,
    /// List pages carry `count: null`.
    pub no_count: bool,
    /// Milliseconds between body chunks of a drip-fed response (0: not drip-fed).
    pub drip_ms: u64,
    /// Bytes per drip-fed chunk.
    pub drip_bytes: u64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            rate429: 0.0,
            rate5xx: 0.0,
            slow_ms: 0,
            slow_rate: 1.0,
            drop: 0.0,
            retry_after: 1,
            seed: 0,
            drift_after: 0,
            drift_every: 0,
            drift_pos: 0,
            empty_page: 0,
            self_next: 0,
            no_count: false,
            drip_ms: 0,
            drip_bytes: 16,
        }
    }
}

/// A fault specification that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault spec `{item}`: {reason}")]
pub struct FaultParseError {
    /// The offending `key=value` item.
    pub item: String,
    /// Why it was rejected.
    pub reason: String,
}

impl FaultConfig {
    /// No faults at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether any fault can happen.
    pub fn is_active(&self) -> bool {
        self.rate429 > 0.0 || self.rate5xx > 0.0 || self.slow_ms > 0 || self.drop > 0.0
    }

    /// Parses `key=value` pairs separated by commas. Keys: `rate429`, `rate5xx`, `slow_ms`,
    /// `slow` (rate), `drop`, `retry_after`, `seed`. An empty string means no faults.
    pub fn parse(spec: &str) -> Result<Self, FaultParseError> {
        let mut cfg = Self::default();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let err = |reason: &str| FaultParseError {
                item: item.to_string(),
                reason: reason.to_string(),
            };
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| err("expected key=value"))?;
            let rate = |v: &str| -> Result<f64, FaultParseError> {
                let r: f64 = v
                    .trim()
                    .parse()
                    .map_err(|_| err("expected a number between 0 and 1"))?;
                if !(0.0..=1.0).contains(&r) {
                    return Err(err("rate must be between 0 and 1"));
                }
                Ok(r)
            };
            let int = |v: &str| -> Result<u64, FaultParseError> {
                v.trim()
                    .parse()
                    .map_err(|_| err("expected a non-negative integer"))
            };
            match key.trim() {
                "rate429" => cfg.rate429 = rate(value)?,
                "rate5xx" => cfg.rate5xx = rate(value)?,
                "slow_ms" => cfg.slow_ms = int(value)?,
                "slow" | "slow_rate" => cfg.slow_rate = rate(value)?,
                "drop" => cfg.drop = rate(value)?,
                "retry_after" => cfg.retry_after = int(value)?,
                "seed" => cfg.seed = int(value)?,
                "drift_after" => cfg.drift_after = int(value)?,
                "drift_every" => cfg.drift_every = int(value)?,
                "drift_pos" => cfg.drift_pos = int(value)?,
                "empty_page" => cfg.empty_page = int(value)?,
                "self_next" => cfg.self_next = int(value)?,
                "no_count" => cfg.no_count = int(value)? != 0,
                "drip_ms" => cfg.drip_ms = int(value)?,
                "drip_bytes" => cfg.drip_bytes = int(value)?.max(1),
                _ => {
                    return Err(err(
                        "unknown key (rate429, rate5xx, slow_ms, slow, drop, retry_after, seed, drift_after, drift_every, drift_pos, empty_page, self_next, no_count, drip_ms, drip_bytes)",
                    ));
                }
            }
        }
        Ok(cfg)
    }
}

impl std::str::FromStr for FaultConfig {
    type Err = FaultParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// What to do to one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Answer 429.
    TooMany,
    /// Answer this 5xx status.
    ServerError(u16),
    /// Send part of the body then close.
    Drop,
}

/// The decision for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    pub fault: Option<Fault>,
    pub slow_ms: u64,
}

/// Seeded decision maker shared by all requests.
#[derive(Debug)]
pub(crate) struct FaultInjector {
    cfg: FaultConfig,
    rng: Mutex<ChaCha8Rng>,
    /// Investors list pages served so far.
    investor_pages: AtomicU64,
}

impl FaultInjector {
    pub(crate) fn new(cfg: FaultConfig) -> Self {
        let rng = Mutex::new(ChaCha8Rng::seed_from_u64(cfg.seed));
        Self {
            cfg,
            rng,
            investor_pages: AtomicU64::new(0),
        }
    }

    /// The misbehaviour switches (drift, empty pages, self links, counts, drip).
    pub(crate) fn config(&self) -> &FaultConfig {
        &self.cfg
    }

    /// Counts one investors list page and returns how many drifts have happened before it
    /// is served.
    pub(crate) fn investors_page_drifts(&self) -> u64 {
        let served = self.investor_pages.fetch_add(1, Ordering::Relaxed);
        drifts_after(&self.cfg, served)
    }

    pub(crate) fn retry_after(&self) -> u64 {
        self.cfg.retry_after
    }

    /// Draws the decision for the next request. The same number of draws is made for every
    /// request, so the sequence depends only on the seed and the request order.
    pub(crate) fn decide(&self) -> Decision {
        if !self.cfg.is_active() {
            return Decision {
                fault: None,
                slow_ms: 0,
            };
        }
        let mut rng = match self.rng.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let a: f64 = rng.random();
        let b: f64 = rng.random();
        let which: u32 = rng.random_range(0..4);
        let slow: f64 = rng.random();
        drop(rng);
        let c = &self.cfg;
        let fault = if a < c.rate429 {
            Some(Fault::TooMany)
        } else if a < c.rate429 + c.rate5xx {
            Some(Fault::ServerError([500, 502, 503, 504][which as usize]))
        } else if b < c.drop {
            Some(Fault::Drop)
        } else {
            None
        };
        let slow_ms = if c.slow_ms > 0 && slow < c.slow_rate {
            c.slow_ms
        } else {
            0
        };
        Decision { fault, slow_ms }
    }
}

/// Drifts in effect once `served` investors pages were served.
fn drifts_after(cfg: &FaultConfig, served: u64) -> u64 {
    if cfg.drift_after == 0 || served < cfg.drift_after {
        return 0;
    }
    match cfg.drift_every {
        0 => 1,
        every => 1 + (served - cfg.drift_after) / every,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn drift_counts_follow_the_pages_served() {
        let cfg = FaultConfig::parse("drift_after=2,drift_every=3").unwrap();
        let got: Vec<u64> = (0..9).map(|s| drifts_after(&cfg, s)).collect();
        assert_eq!(got, vec![0, 0, 1, 1, 1, 2, 2, 2, 3]);
        let once = FaultConfig::parse("drift_after=1").unwrap();
        assert_eq!(drifts_after(&once, 0), 0);
        assert_eq!(drifts_after(&once, 50), 1);
        assert_eq!(drifts_after(&FaultConfig::none(), 50), 0);
        let c = FaultConfig::parse("empty_page=2,self_next=3,no_count=1,drip_ms=5").unwrap();
        assert_eq!(
            (c.empty_page, c.self_next, c.no_count, c.drip_ms),
            (2, 3, true, 5)
        );
        assert!(!c.is_active(), "misbehaviour draws no random numbers");
    }

    use super::*;

    #[test]
    fn parses_the_cli_form() {
        let c = FaultConfig::parse("rate429=0.1,rate5xx=0.2,slow_ms=200,drop=0.05,seed=7").unwrap();
        assert_eq!(c.rate429, 0.1);
        assert_eq!(c.rate5xx, 0.2);
        assert_eq!(c.slow_ms, 200);
        assert_eq!(c.drop, 0.05);
        assert_eq!(c.seed, 7);
        assert!(c.is_active());
        assert!(!FaultConfig::parse("").unwrap().is_active());
        assert!(FaultConfig::parse("rate429=2").is_err());
        assert!(FaultConfig::parse("bogus=1").is_err());
        assert!(FaultConfig::parse("drop").is_err());
    }

    #[test]
    fn decisions_are_deterministic_per_seed() {
        let cfg = FaultConfig::parse("rate429=0.2,rate5xx=0.2,drop=0.2,seed=3").unwrap();
        let a: Vec<_> = {
            let f = FaultInjector::new(cfg.clone());
            (0..200).map(|_| f.decide()).collect()
        };
        let b: Vec<_> = {
            let f = FaultInjector::new(cfg.clone());
            (0..200).map(|_| f.decide()).collect()
        };
        assert_eq!(a, b);
        let faults = a.iter().filter(|d| d.fault.is_some()).count();
        assert!(faults > 40 && faults < 160, "{faults}");
        assert!(a.iter().any(|d| d.fault == Some(Fault::TooMany)));
        assert!(a.iter().any(|d| d.fault == Some(Fault::Drop)));
        assert!(
            a.iter()
                .any(|d| matches!(d.fault, Some(Fault::ServerError(_))))
        );
    }
}
