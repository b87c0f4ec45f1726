//! The money model: which figure of an investment the bank sees, per payment method, fitted
//! from the statement lines that carry an investment's own key — never assumed.
//!
//! The Issuer API gives an investment `price`, `amount`, `price_fees` and
//! `price_payment_processing_fees` but does not say which of them the investor pays, nor
//! whether processing fees are paid on top or deducted before settlement (see
//! `../shared/domain.md` §2.5). Platforms read it both ways: "price = securities value, amount =
//! price + investor fees" and "amount = securities value, price = amount + fees" are both
//! plausible, and a crypto or card processor may keep a percentage.
//!
//! ## The fit
//! 1. **Evidence.** A credit line whose keys (reference, payment intent) name exactly one
//!    investment is one keyed observation of what the bank saw for that investment's method (an
//!    ACH return debit so keyed is one too: it takes back what the bank was paid).
//!    A payout-report charge row whose payment intent names one investment is an observation
//!    of the gross charge (before the processor's fee) for card and ACH.
//! 2. **Exact readings.** Each gross reading ([`GrossReading`]: `price`, `amount`,
//!    `amount + price_fees`, `price + price_fees`), with and without
//!    `price_payment_processing_fees` deducted, is scored by how many observations it explains
//!    to the cent.
//! 3. **A percentage.** Observations none of those explains are tried as a reading less a
//!    constant percentage (whole basis points up to 10 %, ±1 cent of rounding): a crypto
//!    conversion or processor fee. The percentage model wins only if it explains more
//!    observations than the best exact reading.
//! 4. **Thin evidence.** A method whose best model explains fewer than half of its (at least
//!    [`MIN_EVIDENCE`]) observations borrows the gross reading fitted on the other methods —
//!    what the investor pays is one platform-wide fact; only deductions differ by method — and
//!    says so. With no keyed evidence anywhere the model is the default reading (`price`, else
//!    `amount + price_fees`; card and ACH less processing fees), stated as such.
//! 5. **Ties** (two readings explaining the same observations with different figures elsewhere)
//!    are stated, and the runner-up becomes every movement's alternative amount, so neither
//!    reading is silently dropped.
//!
//! A user pins a method's model in a platform profile (`--platform-profile`, see
//! `templates/platform-profile.toml`); a pinned method is not fitted. The fitted model is plain
//! data ([`MoneyModel`]) in the outcome, the run summary, `manifest.json` and the exceptions
//! report. The fit counts observations only: it does not depend on the order of lines or
//! investments.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};
use tieout_domain::{Book, Cents, Investment, decimal_to_cents};

use super::ReconError;
use super::expected::{Method, MoveKind, Movement};
use super::line::Line;
use crate::model::PayoutItem;

/// Fewest keyed observations a method needs for its own fit.
pub const MIN_EVIDENCE: usize = 3;

/// Largest percentage deduction tried, in basis points (10 %).
const MAX_FEE_BPS: i64 = 1_000;

/// Which API figure, or sum of figures, is the investor's gross payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GrossReading {
    /// `price`.
    #[serde(rename = "price")]
    Price,
    /// `amount`.
    #[serde(rename = "amount")]
    Amount,
    /// `amount + price_fees`.
    #[serde(rename = "amount + price_fees")]
    AmountPlusPriceFees,
    /// `price + price_fees`.
    #[serde(rename = "price + price_fees")]
    PricePlusPriceFees,
}

impl GrossReading {
    /// Every reading, in the order ties are broken.
    pub const ALL: [GrossReading; 4] = [
        GrossReading::Price,
        GrossReading::AmountPlusPriceFees,
        GrossReading::Amount,
        GrossReading::PricePlusPriceFees,
    ];

    /// The formula as the API names its fields.
    pub fn formula(self) -> &'static str {
        match self {
            Self::Price => "price",
            Self::Amount => "amount",
            Self::AmountPlusPriceFees => "amount + price_fees",
            Self::PricePlusPriceFees => "price + price_fees",
        }
    }

    /// The reading of one investment's figures (none when a field it needs is missing).
    pub(crate) fn cents(self, f: &Figures) -> Option<Cents> {
        match self {
            Self::Price => f.price,
            Self::Amount => Some(f.amount),
            Self::AmountPlusPriceFees => Some(f.amount + f.price_fees.unwrap_or(0)),
            Self::PricePlusPriceFees => f.price.map(|p| p + f.price_fees.unwrap_or(0)),
        }
    }
}

/// What the bank sees for one payment method: a gross reading, less processing fees or not,
/// less a fee (a percentage plus a fixed amount, possibly capped) or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Formula {
    /// The investor's gross payment.
    pub gross: GrossReading,
    /// `price_payment_processing_fees` is deducted before the money reaches the bank.
    #[serde(default)]
    pub less_processing_fees: bool,
    /// A percentage deducted on the way (crypto conversion, processor), in basis points.
    #[serde(default)]
    pub fee_bps: u32,
    /// A fixed amount deducted with it, in cents.
    #[serde(default)]
    pub fee_fixed_cents: i64,
    /// The most the deduction takes, in cents (0: no cap).
    #[serde(default)]
    pub fee_cap_cents: i64,
}

impl Formula {
    /// The formula in words: `amount + price_fees − price_payment_processing_fees − 1.50 %`.
    pub fn describe(&self) -> String {
        let mut s = self.gross.formula().to_string();
        if self.less_processing_fees {
            s.push_str(" − price_payment_processing_fees");
        }
        if self.has_fee() {
            let pct = format!("{}.{:02} %", self.fee_bps / 100, self.fee_bps % 100);
            let fixed = format!("${}", tieout_domain::format_cents(self.fee_fixed_cents));
            let mut fee = match (self.fee_bps > 0, self.fee_fixed_cents > 0) {
                (true, true) => format!("{pct} + {fixed}"),
                (true, false) => pct,
                _ => fixed,
            };
            if self.fee_cap_cents > 0 {
                fee = format!(
                    "({fee}, at most ${})",
                    tieout_domain::format_cents(self.fee_cap_cents)
                );
            } else if self.fee_bps > 0 && self.fee_fixed_cents > 0 {
                fee = format!("({fee})");
            }
            s.push_str(" − ");
            s.push_str(&fee);
        }
        s
    }

    /// Whether a fee is deducted on the way.
    pub fn has_fee(&self) -> bool {
        self.fee_bps > 0 || self.fee_fixed_cents > 0
    }

    /// The fee taken from `v` cents.
    pub(crate) fn fee_of(&self, v: Cents) -> Cents {
        if !self.has_fee() {
            return 0;
        }
        let d = percent_of(v, i64::from(self.fee_bps)) + self.fee_fixed_cents;
        if self.fee_cap_cents > 0 {
            d.min(self.fee_cap_cents)
        } else {
            d
        }
    }

    /// This formula's gross reading and processing-fee choice with `fee`'s deduction.
    fn with_fee(self, fee: Fee) -> Self {
        Self {
            fee_bps: fee.bps,
            fee_fixed_cents: fee.fixed,
            fee_cap_cents: fee.cap,
            ..self
        }
    }

    fn fee(&self) -> Fee {
        Fee {
            bps: self.fee_bps,
            fixed: self.fee_fixed_cents,
            cap: self.fee_cap_cents,
        }
    }

    /// The cents the bank sees for one investment under this formula.
    pub(crate) fn cents(&self, f: &Figures) -> Option<Cents> {
        let mut v = self.gross.cents(f)?;
        if self.less_processing_fees {
            v -= f.ppf.unwrap_or(0);
        }
        v -= self.fee_of(v);
        Some(v)
    }
}

/// Where a method's model comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Fitted on this method's own keyed lines.
    Fitted,
    /// No keyed lines: fitted on lines near the movements whose amount is exactly a reading's
    /// figure (less a percentage); `explained` of `keyed` sampled movements have one.
    FittedUnkeyed,
    /// Too few keyed lines: the gross reading fitted on the other methods.
    Borrowed,
    /// No keyed evidence anywhere: the default reading.
    Default,
    /// Pinned by the user's platform profile; not fitted.
    Pinned,
    /// No keyed lines: the figure whose settlement totals (less a percentage of each total)
    /// are the settlement lines (see [`settlement`]); `explained` of `keyed` settlement lines.
    FittedSettlements,
}

/// The model of one payment method, with the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodModel {
    /// `wire`, `ira`, `card`, `ach`, `crypto`, `unknown`.
    pub method: String,
    /// The formula the bank sees.
    pub formula: Formula,
    /// The same in words.
    pub formula_text: String,
    /// Where it comes from.
    pub basis: Basis,
    /// Keyed observations it explains (to the cent, or to rounding for a percentage).
    pub explained: usize,
    /// Keyed observations of this method.
    pub keyed: usize,
    /// Other formulas that explain as many observations but read some investments differently:
    /// every movement also accepts the first of them as its alternative amount.
    pub ties: Vec<String>,
    /// One sentence for the reader.
    pub note: String,
}

/// The money model of a run: one [`MethodModel`] per payment method present in the book.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneyModel {
    /// Per method, sorted by method.
    pub methods: Vec<MethodModel>,
    /// What an escrow release pays (fitted by the release pass), when a release was matched.
    pub releases: Option<crate::engine::ReleaseModel>,
    /// How the batched methods settle (cutoff, a percentage of each settlement), where the
    /// settlement lines show it.
    #[serde(default)]
    pub settlements: Vec<settlement::SettlementModel>,
}

impl MoneyModel {
    /// One line per method (and one for escrow releases), for the run summary.
    pub fn lines(&self) -> Vec<String> {
        let releases = self.releases.iter().map(|r| {
            let fee = if r.fee_bps > 0 {
                format!(" less {}.{:02} %", r.fee_bps / 100, r.fee_bps % 100)
            } else {
                String::new()
            };
            format!(
                "escrow releases: pay {}{fee} (explains {} of {} release debits)",
                r.reading.label(),
                r.explained,
                r.of
            )
        });
        self.methods
            .iter()
            .map(|m| {
                let basis = match m.basis {
                    Basis::Fitted => "fitted",
                    Basis::FittedUnkeyed => "fitted on unkeyed lines",
                    Basis::Borrowed => "borrowed",
                    Basis::Default => "default",
                    Basis::Pinned => "pinned",
                    Basis::FittedSettlements => "fitted on settlement totals",
                };
                let evidence = match m.basis {
                    Basis::FittedUnkeyed => "sampled movements with such a line",
                    Basis::FittedSettlements => "settlement lines",
                    _ => "keyed lines",
                };
                let mut s = format!(
                    "{}: bank sees {} ({basis}; explains {} of {} {evidence})",
                    m.method, m.formula_text, m.explained, m.keyed
                );
                if !m.ties.is_empty() {
                    s.push_str(&format!("; equally: {}", m.ties.join(", ")));
                }
                s
            })
            .chain(self.settlements.iter().map(|s| s.line()))
            .chain(releases)
            .collect()
    }

    fn formula(&self, method: Method) -> Option<&MethodModel> {
        self.methods.iter().find(|m| m.method == method.label())
    }
}

/// The user's description of their platform (`--platform-profile FILE`, TOML).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformProfile {
    /// Pinned formulas by payment method (`wire`, `ira`, `card`, `ach`, `crypto`).
    #[serde(default)]
    pub money_model: BTreeMap<String, Formula>,
}

/// A platform profile that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// Not valid TOML for a profile.
    #[error("platform profile: {0}")]
    Parse(String),
    /// An unknown payment method.
    #[error("platform profile: unknown payment method `{0}` (use wire, ira, card, ach, crypto)")]
    Method(String),
    /// A negative fixed fee or cap.
    #[error("platform profile: {0}: fee_fixed_cents and fee_cap_cents cannot be negative")]
    Negative(String),
    /// A percentage out of range.
    #[error("platform profile: {method}: fee_bps {bps} is over {max} (10 %)")]
    Fee {
        /// The method.
        method: String,
        /// The value given.
        bps: u32,
        /// The largest allowed.
        max: i64,
    },
}

impl PlatformProfile {
    /// Parses and checks a profile.
    pub fn from_toml(s: &str) -> Result<Self, ProfileError> {
        let p: Self = toml::from_str(s).map_err(|e| ProfileError::Parse(e.to_string()))?;
        for (m, f) in &p.money_model {
            if Method::from_label(m) == Method::Unknown {
                return Err(ProfileError::Method(m.clone()));
            }
            if f.fee_fixed_cents < 0 || f.fee_cap_cents < 0 {
                return Err(ProfileError::Negative(m.clone()));
            }
            if i64::from(f.fee_bps) > MAX_FEE_BPS {
                return Err(ProfileError::Fee {
                    method: m.clone(),
                    bps: f.fee_bps,
                    max: MAX_FEE_BPS,
                });
            }
        }
        Ok(p)
    }
}

/// The money figures of one investment, in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Figures {
    pub price: Option<Cents>,
    pub amount: Cents,
    pub price_fees: Option<Cents>,
    pub ppf: Option<Cents>,
}

impl Figures {
    /// Reads an investment's figures (an amount beyond i64 cents is an error naming the field).
    pub(crate) fn of(inv: &Investment) -> Result<Self, ReconError> {
        let conv = |d: Decimal, field: &'static str| {
            decimal_to_cents(d).ok_or(ReconError::Amount {
                investment_id: inv.id,
                field,
            })
        };
        let opt = |d: Option<Decimal>, field| d.map(|d| conv(d, field)).transpose();
        Ok(Self {
            price: opt(inv.price, "price")?,
            amount: conv(inv.amount, "amount")?,
            price_fees: opt(inv.price_fees, "price_fees")?,
            ppf: opt(
                inv.price_payment_processing_fees,
                "price_payment_processing_fees",
            )?,
        })
    }

    /// The default gross reading: `price`, else `amount + price_fees`.
    pub(crate) fn default_gross(&self) -> Cents {
        self.price
            .unwrap_or(self.amount + self.price_fees.unwrap_or(0))
    }
}

/// The default formula of a method (no evidence): card and ACH settle net of processing fees.
pub(crate) fn default_formula(method: Method, gross: GrossReading) -> Formula {
    Formula {
        gross,
        less_processing_fees: matches!(method, Method::Card | Method::Ach),
        fee_bps: 0,
        fee_fixed_cents: 0,
        fee_cap_cents: 0,
    }
}

/// One keyed observation: the cents the bank (or the processor's gross) saw for an investment.
struct Observation {
    method: Method,
    figures: Figures,
    cents: Cents,
    /// A payout-report gross: only gross readings apply (the processor's fee comes after).
    gross_only: bool,
    /// The processor's fee on a payout-report charge.
    fee: Option<Cents>,
}

/// Gathers the keyed observations: credit lines whose exact-key candidates name one investment,
/// and payout-report charges whose payment intent names one.
fn observations(
    book: &Book,
    lines: &[Line<'_>],
    moves: &[Movement],
    cands: &[Vec<usize>],
    payouts: &[PayoutItem],
) -> Result<Vec<Observation>, ReconError> {
    let mut out = Vec::new();
    let figures_of = |m: usize| -> Result<Option<Figures>, ReconError> {
        match moves[m].book_index.and_then(|i| book.investments.get(i)) {
            Some(inv) => Figures::of(inv).map(Some),
            None => Ok(None),
        }
    };
    for (l, c) in cands.iter().enumerate() {
        // A credit, or an ACH return (it takes back exactly what the bank was paid).
        let kind = match lines[l].amount {
            a if a > 0 => MoveKind::Credit,
            a if a < 0 => MoveKind::AchReturn,
            _ => continue,
        };
        let mut credit = c.iter().copied().filter(|&m| moves[m].kind == kind);
        let Some(m) = credit.next() else { continue };
        if credit.any(|m2| moves[m2].investment_id != moves[m].investment_id) {
            continue;
        }
        if let Some(figures) = figures_of(m)? {
            out.push(Observation {
                method: moves[m].method,
                figures,
                cents: lines[l].amount.abs(),
                gross_only: false,
                fee: None,
            });
        }
    }
    if !payouts.is_empty() {
        let mut by_pi: HashMap<&str, Option<usize>> = HashMap::default();
        for (m, mv) in moves.iter().enumerate() {
            if mv.kind != MoveKind::Credit {
                continue;
            }
            if let Some(pi) = mv.payment_intent_id.as_deref() {
                by_pi.entry(pi).and_modify(|e| *e = None).or_insert(Some(m));
            }
        }
        for it in payouts {
            if it.reporting_category != "charge" || it.gross_cents <= 0 {
                continue;
            }
            let Some(Some(m)) = it.payment_intent_id.as_deref().and_then(|p| by_pi.get(p)) else {
                continue;
            };
            if let Some(figures) = figures_of(*m)? {
                out.push(Observation {
                    method: moves[*m].method,
                    figures,
                    cents: it.gross_cents,
                    gross_only: true,
                    fee: Some(it.fee_cents),
                });
            }
        }
    }
    Ok(out)
}

/// Every exact formula worth scoring (no percentage).
fn exact_formulas() -> impl Iterator<Item = Formula> {
    GrossReading::ALL.into_iter().flat_map(|gross| {
        [false, true].into_iter().map(move |less| Formula {
            gross,
            less_processing_fees: less,
            fee_bps: 0,
            fee_fixed_cents: 0,
            fee_cap_cents: 0,
        })
    })
}

/// Whether `f` explains one observation.
fn explains(f: &Formula, o: &Observation) -> bool {
    if o.gross_only && (f.less_processing_fees || f.has_fee()) {
        return false;
    }
    match f.cents(&o.figures) {
        Some(v) if !f.has_fee() => v == o.cents,
        Some(v) => (v - o.cents).abs() <= 1,
        None => false,
    }
}

/// The best formula for one method's observations, with its count and its ties.
struct MethodFit {
    formula: Formula,
    explained: usize,
    ties: Vec<Formula>,
    /// The gross readings the observations cannot tell from the winner's (same count, same
    /// figure on every observation): the platform-wide reading may stand in for it.
    class: Vec<GrossReading>,
}

fn fit_method(obs: &[&Observation]) -> Option<MethodFit> {
    if obs.is_empty() {
        return None;
    }
    // Exact formulas, in tie-break order.
    let mut scored: Vec<(Formula, usize)> = exact_formulas()
        .map(|f| (f, obs.iter().filter(|o| explains(&f, o)).count()))
        .collect();
    // Percentages suggested by the observations no exact formula explains.
    let unexplained: Vec<&&Observation> = obs
        .iter()
        .filter(|o| !exact_formulas().any(|f| explains(&f, o)))
        .collect();
    // Fee models suggested by what each gross reading leaves unexplained.
    for base in exact_formulas() {
        let pairs: Vec<(Cents, Cents)> = unexplained
            .iter()
            .filter(|o| !o.gross_only)
            .filter_map(|o| {
                let v = base.cents(&o.figures)?;
                let d = v - o.cents;
                (v > 0 && d > 0 && d * 10 <= v).then_some((v, d))
            })
            .collect();
        if pairs.len() < 2 {
            continue;
        }
        for fee in fee_candidates(&pairs) {
            let f = base.with_fee(fee);
            scored.push((f, obs.iter().filter(|o| explains(&f, o)).count()));
        }
    }
    let best = scored.iter().map(|s| s.1).max().unwrap_or(0);
    if best == 0 {
        return Some(MethodFit {
            formula: scored[0].0,
            explained: 0,
            ties: Vec::new(),
            class: Vec::new(),
        });
    }
    // An exact formula wins a tie with a percentage (listed first).
    let winners: Vec<Formula> = scored.iter().filter(|s| s.1 == best).map(|s| s.0).collect();
    let formula = winners[0];
    let same_everywhere = |t: &Formula| {
        obs.iter()
            .all(|o| t.cents(&o.figures) == formula.cents(&o.figures))
    };
    let mut class: Vec<GrossReading> = winners
        .iter()
        .filter(|t| {
            t.less_processing_fees == formula.less_processing_fees
                && t.fee() == formula.fee()
                && same_everywhere(t)
        })
        .map(|t| t.gross)
        .collect();
    class.sort_unstable();
    class.dedup();
    // A tie matters only if the two formulas read some investment differently: one whose value
    // equals the winner's on every observation is the same reading of this data.
    let ties = winners[1..]
        .iter()
        .copied()
        .filter(|t| {
            t.gross != formula.gross || t.less_processing_fees != formula.less_processing_fees
        })
        .filter(|t| {
            obs.iter()
                .any(|o| t.cents(&o.figures) != formula.cents(&o.figures))
        })
        .collect();
    Some(MethodFit {
        formula,
        explained: best,
        ties,
        class,
    })
}

/// Fits the model (see the module documentation), taking pinned methods as given.
pub(crate) fn fit(
    book: &Book,
    lines: &[Line<'_>],
    moves: &[Movement],
    cands: &[Vec<usize>],
    payouts: &[PayoutItem],
    profile: Option<&PlatformProfile>,
) -> Result<(MoneyModel, FittedTies), ReconError> {
    let obs = observations(book, lines, moves, cands, payouts)?;
    let mut methods: Vec<Method> = moves.iter().map(|m| m.method).collect();
    methods.sort_unstable();
    methods.dedup();
    // What the bank saw (keyed lines), and what a processor charged (payout-report grosses).
    let mut bank: BTreeMap<Method, Vec<&Observation>> = BTreeMap::new();
    let mut charged: BTreeMap<Method, Vec<&Observation>> = BTreeMap::new();
    for o in &obs {
        let side = if o.gross_only {
            &mut charged
        } else {
            &mut bank
        };
        side.entry(o.method).or_default().push(o);
    }
    let pinned = |m: Method| profile.and_then(|p| p.money_model.get(m.label()));
    // Methods no key reaches and no processor reports (crypto settlements): fitted on the
    // lines near their movements.
    let mut unkeyed: BTreeMap<Method, (MethodFit, usize)> = BTreeMap::new();
    let unreached: Vec<Method> = methods
        .iter()
        .copied()
        .filter(|m| {
            pinned(*m).is_none()
                && !matches!(m, Method::Card | Method::Ach)
                && bank.get(m).map_or(0, Vec::len) < MIN_EVIDENCE
                && !charged.contains_key(m)
        })
        .collect();
    if !unreached.is_empty() {
        let mut by_amount: HashMap<Cents, Vec<usize>> = HashMap::default();
        // Lines that carry some investment's key belong to it, not to this search.
        for (l, line) in lines.iter().enumerate() {
            if line.amount > 0 && cands[l].is_empty() {
                by_amount.entry(line.amount).or_default().push(l);
            }
        }
        for m in unreached {
            if let Some(u) = unkeyed_fit(m, book, lines, moves, &by_amount)? {
                unkeyed.insert(m, u);
            }
        }
    }
    let good =
        |f: &MethodFit, n: usize| n >= MIN_EVIDENCE && f.explained > 0 && f.explained * 2 >= n;
    // Each method's own fits; the platform-wide gross reading from those that fit well.
    let mut bank_fits: BTreeMap<Method, MethodFit> = BTreeMap::new();
    let mut charge_fits: BTreeMap<Method, MethodFit> = BTreeMap::new();
    // Every reading a good fit cannot tell from its winner gets the fit's votes: a method whose
    // observations cannot tell `price` from `amount` (no fees on its investments) leaves the
    // choice to the methods whose observations can.
    let mut gross_votes: BTreeMap<GrossReading, usize> = BTreeMap::new();
    for (side, fits) in [(&bank, &mut bank_fits), (&charged, &mut charge_fits)] {
        for (&m, o) in side {
            if pinned(m).is_some() {
                continue;
            }
            if let Some(f) = fit_method(o) {
                if good(&f, o.len()) {
                    for &g in &f.class {
                        *gross_votes.entry(g).or_default() += f.explained;
                    }
                }
                fits.insert(m, f);
            }
        }
    }
    // Most votes; a tie goes to the first in `GrossReading::ALL`.
    let platform_gross = GrossReading::ALL
        .into_iter()
        .enumerate()
        .filter_map(|(k, g)| gross_votes.get(&g).map(|&n| (n, std::cmp::Reverse(k), g)))
        .max()
        .map(|(.., g)| g);
    // A fit whose observations cannot tell its winner from the platform-wide reading takes it.
    for fits in [&mut bank_fits, &mut charge_fits] {
        for f in fits.values_mut() {
            if let Some(g) = platform_gross
                && f.class.contains(&g)
            {
                f.formula.gross = g;
            }
        }
    }
    for (f, _) in unkeyed.values_mut() {
        if let Some(g) = platform_gross
            && f.class.contains(&g)
        {
            f.formula.gross = g;
        }
    }
    let mut model = MoneyModel::default();
    let mut ties = FittedTies::default();
    for m in methods {
        let seen = bank.get(&m).map_or(&[][..], Vec::as_slice);
        let keyed = seen.len();
        let count = |f: &Formula| seen.iter().filter(|o| explains(f, o)).count();
        if let Some(f) = pinned(m) {
            model.methods.push(MethodModel {
                method: m.label().into(),
                formula: *f,
                formula_text: f.describe(),
                basis: Basis::Pinned,
                explained: count(f),
                keyed,
                ties: Vec::new(),
                note: "pinned by the platform profile; not fitted".into(),
            });
            continue;
        }
        let own = bank_fits.get(&m).filter(|f| good(f, keyed));
        let charges = charge_fits
            .get(&m)
            .filter(|f| good(f, charged.get(&m).map_or(0, Vec::len)));
        let (formula, basis, explained, keyed, tie, note) = match (own, charges, platform_gross) {
            (None, None, _) if unkeyed.contains_key(&m) => {
                let (u, sampled) = &unkeyed[&m];
                (
                    u.formula,
                    Basis::FittedUnkeyed,
                    u.explained,
                    *sampled,
                    u.ties.clone(),
                    format!(
                        "no keyed lines: fitted on lines within {UNKEYED_DAYS} days of {} of {sampled} sampled movements that have exactly this figure",
                        u.explained
                    ),
                )
            }
            (Some(f), _, _) => {
                // A processor's fee column covers every size of charge; the keyed lines may
                // not (a cap the large ones hit reads as a fixed fee): its fee model wins when
                // it explains the keyed lines as well.
                let reported = matches!(m, Method::Card | Method::Ach)
                    .then(|| processor_fee(charged.get(&m).map_or(&[][..], Vec::as_slice)))
                    .flatten()
                    .and_then(|(less, fee, k, n)| {
                        let g = Formula {
                            less_processing_fees: less,
                            ..f.formula
                        }
                        .with_fee(fee);
                        (g != f.formula && count(&g) >= f.explained).then_some((g, k, n))
                    });
                match reported {
                    Some((g, k, n)) => (
                        g,
                        Basis::Fitted,
                        count(&g),
                        keyed,
                        Vec::new(),
                        format!(
                            "fitted on this method's keyed lines, with the fee model of the payout report's fee column (explains {k} of {n} charges)"
                        ),
                    ),
                    None => (
                        f.formula,
                        Basis::Fitted,
                        f.explained,
                        keyed,
                        f.ties.clone(),
                        if f.ties.is_empty() {
                            "fitted on this method's keyed lines".to_string()
                        } else {
                            "fitted; another reading explains as many lines and is accepted as the alternative amount".to_string()
                        },
                    ),
                }
            }
            // Only a processor's charges: their gross reading, and the bank sees payouts.
            (None, Some(c), _) => {
                let processor = matches!(m, Method::Card | Method::Ach);
                let fee = if processor {
                    processor_fee(charged.get(&m).map_or(&[][..], Vec::as_slice))
                } else {
                    None
                };
                let mut f = default_formula(m, c.formula.gross);
                let deduction = match fee {
                    Some((true, _, k, n)) => format!(
                        "payouts net of price_payment_processing_fees, which is the report's fee on {k} of {n} charges"
                    ),
                    Some((false, fee, k, n)) => {
                        f = Formula {
                            less_processing_fees: false,
                            ..f
                        }
                        .with_fee(fee);
                        format!(
                            "payouts net of the processor's fee, fitted on the report's fee column (explains {k} of {n} charges)"
                        )
                    }
                    None if processor => {
                        "payouts net of processing fees (the gross is the alternative)".to_string()
                    }
                    None => "the gross".to_string(),
                };
                (
                    f,
                    Basis::Fitted,
                    c.explained,
                    charged.get(&m).map_or(0, Vec::len),
                    Vec::new(),
                    format!(
                        "gross fitted on the payout report's charges; the bank sees {deduction}"
                    ),
                )
            }
            (None, None, Some(g)) => {
                let f = default_formula(m, g);
                (
                    f,
                    Basis::Borrowed,
                    count(&f),
                    keyed,
                    Vec::new(),
                    format!(
                        "{keyed} keyed lines are too few (or fit no reading) to fit on their own: the gross reading fitted on the other methods, {}",
                        if f.less_processing_fees {
                            "less processing fees as a processor settles"
                        } else {
                            "with no deduction"
                        }
                    ),
                )
            }
            (None, None, None) => {
                let f = default_formula(m, GrossReading::Price);
                (
                    f,
                    Basis::Default,
                    count(&f),
                    keyed,
                    Vec::new(),
                    "no method has keyed lines that fit: the default reading (price, else amount + price_fees) is assumed, not fitted; pin it in a platform profile".to_string(),
                )
            }
        };
        if let Some(t) = tie.first() {
            ties.alt.insert(m, *t);
        }
        model.methods.push(MethodModel {
            method: m.label().into(),
            formula,
            formula_text: formula.describe(),
            basis,
            explained,
            keyed,
            ties: tie.iter().map(Formula::describe).collect(),
            note,
        });
    }
    Ok((model, ties))
}

mod amounts;
mod fees;
pub mod settlement;
mod unkeyed;

pub(crate) use amounts::{Amounts, FittedTies, amounts, apply};
use fees::{Fee, fee_candidates, percent_of, processor_fee};
pub use settlement::SettlementModel;
use unkeyed::{UNKEYED_DAYS, unkeyed_fit};

#[cfg(test)]
mod tests;
