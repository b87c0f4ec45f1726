//! World variants: the knobs that decide what the API document leaves open — which money field
//! carries the securities value, which figure the bank sees, how fees are charged and deducted,
//! how escrow releases and crypto settlements post, how banks write descriptions and how long
//! money takes to arrive.
//!
//! A [`WorldKnobs`] is plain data: a named preset ([`WorldKnobs::preset`], listed in
//! [`WORLD_NAMES`]) or a TOML file of knobs ([`WorldKnobs::from_toml`]; fields left out take
//! the `classic` value). The generator writes the knobs of every dataset to `truth/world.toml`
//! for a human to read. The engine never reads them: it gets the snapshot and the files, as a
//! user does. `classic` is the world the generator has always produced, byte for byte.

use serde::{Deserialize, Serialize};

/// The named worlds, `classic` first.
pub const WORLD_NAMES: [&str; 4] = ["classic", "amount-gross", "net-wires", "unitemised"];

/// Which API field of an investment carries the securities value (`quantity × unit_price`);
/// the other money field is that value plus the investor's fees (`price_fees`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecuritiesField {
    /// `amount` = securities value, `price` = `amount` + `price_fees` (classic).
    Amount,
    /// `price` = securities value, `amount` = `price` + `price_fees`.
    Price,
}

/// A fee: `bp` basis points of a base (rounded half up to the cent), plus `fixed_cents`, at
/// most `cap_cents` (0: no cap). All zero: no fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeeModel {
    /// Percentage part in basis points (290 = 2.9 %).
    pub bp: u32,
    /// Fixed part in cents.
    pub fixed_cents: i64,
    /// Cap in cents; 0 is no cap.
    pub cap_cents: i64,
}

impl FeeModel {
    const fn new(bp: u32, fixed_cents: i64, cap_cents: i64) -> Self {
        FeeModel {
            bp,
            fixed_cents,
            cap_cents,
        }
    }
    /// The fee on `base_c` cents.
    pub fn of(&self, base_c: i64) -> i64 {
        if self.bp == 0 && self.fixed_cents == 0 {
            return 0;
        }
        let f = (base_c * i64::from(self.bp) + 5_000) / 10_000 + self.fixed_cents;
        if self.cap_cents > 0 {
            f.min(self.cap_cents)
        } else {
            f
        }
    }
}

/// How the escrow pays closed Reg CF investments out to the issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReleaseShape {
    /// One book transfer of the whole escrow balance, tied to no investment (classic:
    /// `disbursement_out` / `disbursement_in` lines).
    Transfer,
    /// One debit per closing listing the closed investments it pays (`escrow_release`), and
    /// its credit on the operating account (`escrow_release_in`).
    PerClosing,
}

/// Which closed investments a per-closing release covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReleaseCover {
    /// Every closed investment in one release.
    All,
    /// Two releases: about two thirds of the closed investments mid-month, the rest later.
    SecondRelease,
    /// One release; about one in eight closed investments is held back in escrow.
    HoldBack,
}

/// What a release pays per investment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReleaseBasis {
    /// What the investors paid (securities value + investor fees).
    Paid,
    /// The securities value only.
    Securities,
}

/// How a bank writes the description of an incoming wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DescStyle {
    /// `FEDWIRE CREDIT VIA: … B/O: <originator> OBI: <remittance> IMAD: …` (classic).
    Classic,
    /// `WIRE TRANSFER IN ORG=<originator> OGB=<bank> RFB=<remittance> IMAD=…`.
    Tagged,
    /// `<remittance> / WIRE FROM <originator> / <bank> …`: the reference first.
    ReferenceFirst,
}

/// The knobs of one world. Fields left out of a TOML file take the `classic` value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorldKnobs {
    /// The world's name (a preset's, or the file's).
    pub name: String,
    /// One sentence on what this world is.
    pub about: String,
    /// Which field carries the securities value.
    pub securities_field: SecuritiesField,
    /// Whether the API itemises the fees: false writes `price_fees` and
    /// `price_payment_processing_fees` as 0 (the money still moves as the fee models say).
    pub itemise_fees: bool,
    /// Investor fee on card investments, on the securities value (paid on top).
    pub investor_fee_card: FeeModel,
    /// Investor fee on every other method, on the securities value (paid on top).
    pub investor_fee_other: FeeModel,
    /// Processor fee on card charges, on what the investor pays; deducted before payout.
    pub processing_card: FeeModel,
    /// Processor fee on ACH debits, on what the investor pays; deducted before payout.
    pub processing_ach: FeeModel,
    /// Fee deducted before settlement from wires and IRA wires (zero: wires arrive gross).
    pub processing_wire: FeeModel,
    /// Crypto settlements arrive net of this many basis points of their total (0: gross).
    pub crypto_fee_bp: u32,
    /// Escrow release shape.
    pub release: ReleaseShape,
    /// Which closed investments a per-closing release covers.
    pub release_cover: ReleaseCover,
    /// What a per-closing release pays per investment.
    pub release_basis: ReleaseBasis,
    /// Platform fee withheld from a per-closing release, in basis points of its total.
    pub release_fee_bp: u32,
    /// Wire description style.
    pub descriptions: DescStyle,
    /// Text the investor's bank puts before the reference in the remittance field.
    pub remit_prefix: String,
    /// The remittance field is cut after this many characters (0: never).
    pub remit_max_chars: u32,
    /// Extra business days between the platform's date and the bank's booking, at most (wires
    /// and IRA wires draw it per item; batched settlements follow `settle_cutoff_hour`).
    pub bank_lag_days: u32,
    /// The processors' daily cutoff (UTC hour, 1..=23) for batched settlements (card/ACH
    /// payouts, direct ACH batches, crypto): a receipt at or after it settles one business day
    /// later. 0: no cutoff, and batched settlements draw `bank_lag_days` per item like wires (a
    /// batch's membership then cannot be told from its total).
    pub settle_cutoff_hour: u32,
    /// Value dates up to this many calendar days after the booking date (0: the same day).
    pub value_lag_days: u32,
}

impl Default for WorldKnobs {
    fn default() -> Self {
        WorldKnobs::classic()
    }
}

/// An unknown world name or a bad knobs file.
#[derive(Debug, thiserror::Error)]
pub enum KnobsError {
    /// No preset of this name.
    #[error("unknown world `{0}`; known worlds: {names}", names = WORLD_NAMES.join(", "))]
    Unknown(String),
    /// The TOML does not parse or names an unknown knob.
    #[error("world knobs: {0}")]
    Toml(String),
    /// A knob is out of range.
    #[error("world knobs: {0}")]
    Range(String),
}

impl WorldKnobs {
    /// The world the generator has always produced.
    pub fn classic() -> Self {
        WorldKnobs {
            name: "classic".into(),
            about: "amount = securities value, price = amount + investor fees; the bank sees \
                    price for wires, IRA and crypto, price - processing fees in card/ACH payouts; \
                    one escrow closing transfer tied to no investment"
                .into(),
            securities_field: SecuritiesField::Amount,
            itemise_fees: true,
            investor_fee_card: FeeModel::new(300, 0, 0),
            investor_fee_other: FeeModel::default(),
            processing_card: FeeModel::new(290, 30, 0),
            processing_ach: FeeModel::new(80, 0, 500),
            processing_wire: FeeModel::default(),
            crypto_fee_bp: 0,
            release: ReleaseShape::Transfer,
            release_cover: ReleaseCover::All,
            release_basis: ReleaseBasis::Paid,
            release_fee_bp: 0,
            descriptions: DescStyle::Classic,
            remit_prefix: String::new(),
            remit_max_chars: 0,
            bank_lag_days: 0,
            settle_cutoff_hour: 0,
            value_lag_days: 0,
        }
    }

    /// A named preset (see [`WORLD_NAMES`]).
    pub fn preset(name: &str) -> Result<Self, KnobsError> {
        let c = WorldKnobs::classic();
        Ok(match name {
            "classic" => c,
            // The independent reading that broke the engine (issue 17).
            "amount-gross" => WorldKnobs {
                name: name.into(),
                about: "price = securities value, amount = price + investor fees and the bank \
                        sees amount; a 1.5 % + $5 investor fee (capped at $250) on every method; \
                        crypto net of 1.5 %; one escrow release per closing, one in eight closed \
                        investments held back; tagged descriptions; wires up to 2 business days late; \
                        batched settlements one day later after a 19:00 UTC cutoff"
                    .into(),
                securities_field: SecuritiesField::Price,
                investor_fee_card: FeeModel::new(300, 0, 0),
                investor_fee_other: FeeModel::new(150, 500, 25_000),
                crypto_fee_bp: 150,
                release: ReleaseShape::PerClosing,
                release_cover: ReleaseCover::HoldBack,
                descriptions: DescStyle::Tagged,
                bank_lag_days: 2,
                settle_cutoff_hour: 19,
                value_lag_days: 2,
                ..c
            },
            "net-wires" => WorldKnobs {
                name: name.into(),
                about: "amount = securities value, price = amount + investor fees; processing \
                        fees are deducted before settlement from wires too (bank sees price - \
                        processing fees); card 3.4 % + $0.50 capped at $40; two escrow releases \
                        of the securities value net of a 2 % platform fee; reference first, \
                        remittance cut at 16 characters; value dates up to 4 days later; batched \
                        settlements one day later after a 20:00 UTC cutoff"
                    .into(),
                investor_fee_other: FeeModel::new(100, 0, 0),
                processing_card: FeeModel::new(340, 50, 4_000),
                processing_ach: FeeModel::new(100, 25, 1_000),
                processing_wire: FeeModel::new(10, 1_500, 5_000),
                release: ReleaseShape::PerClosing,
                release_cover: ReleaseCover::SecondRelease,
                release_basis: ReleaseBasis::Securities,
                release_fee_bp: 200,
                descriptions: DescStyle::ReferenceFirst,
                remit_prefix: "SUBSCR ".into(),
                remit_max_chars: 16,
                bank_lag_days: 1,
                settle_cutoff_hour: 20,
                value_lag_days: 4,
                ..c
            },
            "unitemised" => WorldKnobs {
                name: name.into(),
                about: "fees are not itemised: price = amount = securities value, price_fees and \
                        processing fees are 0 in the API; card/ACH payouts still net of 2.5 % + \
                        $0.25 (ACH 0.5 % capped at $10); crypto net of 1 %; one escrow release \
                        per closing for all closed investments; tagged descriptions with the \
                        remittance cut at 18 characters; wires up to 3 business days late; batched \
                        settlements one day later after an 18:00 UTC cutoff"
                    .into(),
                itemise_fees: false,
                investor_fee_card: FeeModel::default(),
                processing_card: FeeModel::new(250, 25, 0),
                processing_ach: FeeModel::new(50, 0, 1_000),
                crypto_fee_bp: 100,
                release: ReleaseShape::PerClosing,
                release_cover: ReleaseCover::All,
                descriptions: DescStyle::Tagged,
                remit_prefix: "INVESTMENT ".into(),
                remit_max_chars: 18,
                bank_lag_days: 3,
                settle_cutoff_hour: 18,
                value_lag_days: 1,
                ..c
            },
            other => return Err(KnobsError::Unknown(other.to_string())),
        })
    }

    /// Knobs from TOML text; fields left out take the `classic` value, unknown fields are an
    /// error. The name defaults to `custom`.
    pub fn from_toml(text: &str) -> Result<Self, KnobsError> {
        let mut k: WorldKnobs =
            toml::from_str(text).map_err(|e| KnobsError::Toml(e.to_string()))?;
        if !text.lines().any(|l| l.trim_start().starts_with("name")) {
            k.name = "custom".into();
            k.about = "knobs from a file".into();
        }
        k.validate()?;
        Ok(k)
    }

    /// Checks the ranges the generator relies on.
    pub fn validate(&self) -> Result<(), KnobsError> {
        let fees = [
            ("investor_fee_card", self.investor_fee_card),
            ("investor_fee_other", self.investor_fee_other),
            ("processing_card", self.processing_card),
            ("processing_ach", self.processing_ach),
            ("processing_wire", self.processing_wire),
        ];
        for (n, f) in fees {
            if f.bp > 2_000 || !(0..=100_000).contains(&f.fixed_cents) || f.cap_cents < 0 {
                return Err(KnobsError::Range(format!(
                    "{n}: bp must be at most 2000, fixed_cents within 0..=100000, cap_cents not negative"
                )));
            }
        }
        for (n, bp) in [
            ("crypto_fee_bp", self.crypto_fee_bp),
            ("release_fee_bp", self.release_fee_bp),
        ] {
            if bp > 2_000 {
                return Err(KnobsError::Range(format!("{n} must be at most 2000")));
            }
        }
        if self.remit_max_chars != 0 && self.remit_max_chars < 8 {
            return Err(KnobsError::Range(
                "remit_max_chars must be 0 (no cut) or at least 8".into(),
            ));
        }
        if self.bank_lag_days > 10 || self.value_lag_days > 10 {
            return Err(KnobsError::Range(
                "bank_lag_days and value_lag_days must be at most 10".into(),
            ));
        }
        if self.settle_cutoff_hour > 23 {
            return Err(KnobsError::Range(
                "settle_cutoff_hour must be 0 (none) or an hour 1..=23".into(),
            ));
        }
        if !self.remit_prefix.is_ascii() || self.remit_prefix.len() > 30 {
            return Err(KnobsError::Range(
                "remit_prefix must be ASCII, at most 30 characters".into(),
            ));
        }
        Ok(())
    }

    /// The knobs as TOML, with a header saying what the file is (`truth/world.toml`).
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!(
            "# The world this dataset was generated in (tieout gen --world). Ground truth for\n\
             # humans: the engine never reads this file.\n{body}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_fee_models_are_the_historic_formulas() {
        let c = WorldKnobs::classic();
        for amount in [1_000i64, 10_000, 12_345, 2_500_000, 75_000_000, 99_999] {
            let fee = (amount * 3 + 50) / 100;
            assert_eq!(c.investor_fee_card.of(amount), fee);
            let price = amount + fee;
            assert_eq!(c.processing_card.of(price), (price * 29 + 500) / 1000 + 30);
            assert_eq!(
                c.processing_ach.of(amount),
                ((amount * 8 + 500) / 1000).min(500)
            );
            assert_eq!(c.processing_wire.of(amount), 0);
        }
    }

    #[test]
    fn presets_round_trip_through_toml_and_files_default_to_classic() {
        for n in WORLD_NAMES {
            let k = WorldKnobs::preset(n).unwrap();
            assert_eq!(k.name, n);
            k.validate().unwrap();
            let text = k.to_toml();
            assert_eq!(WorldKnobs::from_toml(&text).unwrap(), k, "{text}");
        }
        let k = WorldKnobs::from_toml("crypto_fee_bp = 150\n").unwrap();
        assert_eq!(k.name, "custom");
        assert_eq!(k.crypto_fee_bp, 150);
        assert_eq!(k.processing_card, WorldKnobs::classic().processing_card);
        assert!(WorldKnobs::from_toml("no_such_knob = 1\n").is_err());
        assert!(WorldKnobs::from_toml("crypto_fee_bp = 9000\n").is_err());
        assert!(matches!(
            WorldKnobs::preset("nope"),
            Err(KnobsError::Unknown(_))
        ));
    }

    #[test]
    fn fee_model_caps_and_fixed_parts() {
        let f = FeeModel::new(150, 500, 25_000);
        assert_eq!(f.of(100_000), 1_500 + 500);
        assert_eq!(f.of(100_000_000), 25_000);
        assert_eq!(FeeModel::default().of(123_456), 0);
    }
}
