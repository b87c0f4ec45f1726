//! Fault injection: seeded, deterministic decisions about which responses go wrong and how.

use std::sync::Mutex;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Which faults the server injects, and how often. All rates are probabilities in `0.0..=1.0`.
///
/// Parse from the CLI form with [`FaultConfig::parse`]:
/// `rate429=0.1,rate5xx=0.1,slow_ms=200,slow=0.5,drop=0.05,retry_after=1,seed=1`.
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
                _ => {
                    return Err(err(
                        "unknown key (rate429, rate5xx, slow_ms, slow, drop, retry_after, seed)",
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
}

impl FaultInjector {
    pub(crate) fn new(cfg: FaultConfig) -> Self {
        let rng = Mutex::new(ChaCha8Rng::seed_from_u64(cfg.seed));
        Self { cfg, rng }
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

#[cfg(test)]
mod tests {
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
