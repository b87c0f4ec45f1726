//! Matching tolerances, loaded from TOML (`templates/tolerances.toml` holds the defaults).

use serde::{Deserialize, Serialize};

/// Amount tolerance and directional date window for one kind of movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodTolerance {
    /// Absolute amount tolerance in cents.
    pub amount_abs_cents: i64,
    /// Relative amount tolerance in basis points of the expected amount (100 bp = 1%).
    pub amount_bp: i64,
    /// Earliest booking date, in business days after the money date (negative = before).
    pub window_min_days: i64,
    /// Latest booking date, in business days after the money date.
    pub window_max_days: i64,
}

impl MethodTolerance {
    const fn new(abs: i64, bp: i64, min: i64, max: i64) -> Self {
        Self {
            amount_abs_cents: abs,
            amount_bp: bp,
            window_min_days: min,
            window_max_days: max,
        }
    }

    /// The tolerance in cents for an expected amount: max(absolute, expected × bp / 10 000).
    pub fn tolerance_cents(&self, expected: i64) -> i64 {
        let rel = (i128::from(expected).abs() * i128::from(self.amount_bp) / 10_000) as i64;
        self.amount_abs_cents.max(rel)
    }
}

/// Every knob of the engine. `Tolerances::default()` equals `templates/tolerances.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Tolerances {
    /// Minimum name similarity (0..1) for an amount + date + name match.
    pub name_threshold: f64,
    /// Scores within this distance are a near-tie (AMBIGUOUS_MATCH).
    pub ambiguity_epsilon: f64,
    /// Maximum search nodes per line in the subset-sum pass.
    pub subset_sum_budget: u64,
    /// Maximum candidates for one batch line.
    pub subset_sum_max_candidates: usize,
    /// Allowed difference between a batch line and the sum of its investments (cents).
    pub batch_abs_cents: i64,
    /// Calendar days a payout may arrive before its payout date.
    pub payout_days_before: i64,
    /// Calendar days a payout may arrive after its payout date.
    pub payout_days_after: i64,
    /// Calendar days before the period start whose money may still arrive this period.
    pub lookback_days: i64,
    /// Largest debit (cents) classified as a bank fee by its text.
    pub bank_fee_max_cents: i64,
    /// Calendar days between the legs of an inter-account transfer.
    pub transfer_days: i64,
    /// Words (case-insensitive) that mark a line as a processor settlement / batch; only such
    /// lines go through the batch passes.
    pub batch_words: Vec<String>,
    /// Bank wires.
    pub wire: MethodTolerance,
    /// IRA custodian wires.
    pub ira: MethodTolerance,
    /// Card via Stripe.
    pub card: MethodTolerance,
    /// ACH via Stripe.
    pub ach: MethodTolerance,
    /// Crypto settlements.
    pub crypto: MethodTolerance,
    /// Refund debits (window from the refund date).
    pub refund: MethodTolerance,
    /// ACH return debits (window from the credit date).
    pub ach_return: MethodTolerance,
}

impl Default for Tolerances {
    fn default() -> Self {
        Self {
            name_threshold: 0.85,
            ambiguity_epsilon: 0.02,
            subset_sum_budget: 200_000,
            subset_sum_max_candidates: 40,
            batch_abs_cents: 0,
            payout_days_before: 1,
            payout_days_after: 3,
            lookback_days: 14,
            bank_fee_max_cents: 500_000,
            transfer_days: 3,
            batch_words: [
                "STRIPE",
                "SWEEP",
                "PAYOUT",
                "BATCH",
                "SETTLEMENT",
                "SETTLE",
                "CRYPTO",
                "COINBASE",
                "CIRCLE",
                "USDC",
                "BITPAY",
            ]
            .map(String::from)
            .to_vec(),
            wire: MethodTolerance::new(5000, 0, -3, 5),
            ira: MethodTolerance::new(5000, 0, -3, 10),
            card: MethodTolerance::new(0, 0, 1, 4),
            ach: MethodTolerance::new(0, 0, 1, 5),
            crypto: MethodTolerance::new(0, 0, 0, 5),
            refund: MethodTolerance::new(5000, 0, -1, 10),
            ach_return: MethodTolerance::new(0, 0, 1, 45),
        }
    }
}

/// A tolerances file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TolerancesError {
    /// Not valid TOML or unknown/mistyped keys.
    #[error("tolerances file is not valid: {0}")]
    Parse(#[from] toml::de::Error),
    /// A value out of range.
    #[error("tolerances file: {0}")]
    Invalid(String),
}

impl Tolerances {
    /// Parses a TOML document; missing keys take their defaults, unknown keys are an error.
    pub fn from_toml_str(s: &str) -> Result<Self, TolerancesError> {
        let t: Self = toml::from_str(s)?;
        t.validate()?;
        Ok(t)
    }

    /// Checks ranges: thresholds in [0, 1], non-negative amounts, min ≤ max windows.
    pub fn validate(&self) -> Result<(), TolerancesError> {
        let bad = |m: String| Err(TolerancesError::Invalid(m));
        if !(0.0..=1.0).contains(&self.name_threshold) {
            return bad(format!(
                "name_threshold {} must be within 0..1",
                self.name_threshold
            ));
        }
        if !(0.0..=1.0).contains(&self.ambiguity_epsilon) {
            return bad(format!(
                "ambiguity_epsilon {} must be within 0..1",
                self.ambiguity_epsilon
            ));
        }
        for (k, v) in [
            ("batch_abs_cents", self.batch_abs_cents),
            ("payout_days_before", self.payout_days_before),
            ("payout_days_after", self.payout_days_after),
            ("lookback_days", self.lookback_days),
            ("bank_fee_max_cents", self.bank_fee_max_cents),
            ("transfer_days", self.transfer_days),
        ] {
            if v < 0 {
                return bad(format!("{k} must not be negative (got {v})"));
            }
        }
        if self.batch_words.iter().any(|w| w.trim().is_empty()) {
            return bad("batch_words must not contain empty words".into());
        }
        for (k, m) in self.methods() {
            if m.amount_abs_cents < 0 || m.amount_bp < 0 {
                return bad(format!("[{k}] amount tolerances must not be negative"));
            }
            if m.window_min_days > m.window_max_days {
                return bad(format!(
                    "[{k}] window_min_days must not exceed window_max_days"
                ));
            }
        }
        Ok(())
    }

    fn methods(&self) -> [(&'static str, &MethodTolerance); 7] {
        [
            ("wire", &self.wire),
            ("ira", &self.ira),
            ("card", &self.card),
            ("ach", &self.ach),
            ("crypto", &self.crypto),
            ("refund", &self.refund),
            ("ach_return", &self.ach_return),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_equals_template_file() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../templates/tolerances.toml"
        );
        let text = std::fs::read_to_string(path).unwrap();
        assert_eq!(
            Tolerances::from_toml_str(&text).unwrap(),
            Tolerances::default()
        );
    }

    #[test]
    fn partial_file_keeps_defaults_and_rejects_typos() {
        let t = Tolerances::from_toml_str("name_threshold = 0.9\n").unwrap();
        assert_eq!(t.name_threshold, 0.9);
        assert_eq!(t.wire, Tolerances::default().wire);
        assert!(Tolerances::from_toml_str("name_treshold = 0.9\n").is_err());
        assert!(
            Tolerances::from_toml_str(
                "[wire]\namount_abs_cents=1\namount_bp=0\nwindow_min_days=3\nwindow_max_days=1\n"
            )
            .is_err()
        );
    }

    #[test]
    fn tolerance_is_max_of_abs_and_relative() {
        let m = MethodTolerance::new(100, 50, 0, 1);
        assert_eq!(m.tolerance_cents(10_000), 100);
        assert_eq!(m.tolerance_cents(1_000_000), 5_000);
        assert_eq!(m.tolerance_cents(-1_000_000), 5_000);
    }
}
