//! Expected movements: what the snapshot says should appear on the statements this period.
//!
//! ## Amounts
//! What the bank sees is the money model's ([`super::money_model`], the only place the formula
//! lives): built here with the default reading, then refitted from the statement lines before
//! any pass. Per kind: a credit is what the bank sees (card and ACH: the alternative is the
//! gross, for a payout that did not deduct fees); a refund debit is `−gross` for wire/IRA/crypto
//! and `−(gross − processing fees)` for card/ACH (alternative: the other one); an ACH return is
//! `−(gross − processing fees)` (alternative `−gross`).
//!
//! ## Scope (money date = received_at, else processed_at, else created_at)
//! * funds-taken statuses (received, invested, approved, accepted, accepted_escrow_closed):
//!   a credit, required when the money date is in the period; optional (ignored if not found)
//!   within `lookback_days` before the period; ignored with a reason before that or after the
//!   period end. Crypto credits are optional (crypto settles off-bank unless a settlement wire
//!   shows up).
//! * refunded: the credit as above (optional for card/ACH: a same-day refund never leaves
//!   Stripe) and a refund debit dated `refunded_at` when that falls in the period (required for
//!   wire/IRA; optional for card/ACH, which may be netted inside a payout).
//! * payment_failed ACH: an optional credit and an optional return debit.
//! * any other status with a `refunded_at` (e.g. not_approved after the money arrived) is
//!   treated as refunded.
//! * cancelled / not_approved: a "shadow" credit — if money is found it is
//!   REFUND_DUE. started / not_received / cancelled / not_approved / unknown statuses: a shadow
//!   credit — money found is STATUS_MISMATCH; otherwise ignored with the status as reason.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{Duration, NaiveDate, Timelike};
use rayon::prelude::*;
use tieout_domain::{Book, Cents, Investment, InvestmentStatus, PaymentMethod};

use super::money_model::{self, Amounts, Figures};
use super::text::{name_tokens, norm_key};
use super::tolerances::{MethodTolerance, Tolerances};
use super::{OpenItem, Period, ReconError};

/// Payment method class used by the engine and in summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Method {
    Card,
    Wire,
    Ira,
    Ach,
    Crypto,
    Unknown,
}

impl Method {
    pub(crate) fn from_payment(p: &PaymentMethod) -> Self {
        match p {
            PaymentMethod::Card => Self::Card,
            PaymentMethod::Wire => Self::Wire,
            PaymentMethod::Ira => Self::Ira,
            PaymentMethod::Ach => Self::Ach,
            PaymentMethod::Crypto => Self::Crypto,
            PaymentMethod::Other(_) => Self::Unknown,
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::Wire => "wire",
            Self::Ira => "ira",
            Self::Ach => "ach",
            Self::Crypto => "crypto",
            Self::Unknown => "unknown",
        }
    }

    pub(crate) fn from_label(s: &str) -> Self {
        match s {
            "card" => Self::Card,
            "wire" => Self::Wire,
            "ira" => Self::Ira,
            "ach" => Self::Ach,
            "crypto" => Self::Crypto,
            _ => Self::Unknown,
        }
    }

    /// Settles in processor batches (payouts / sweeps / settlement wires).
    pub(crate) fn batched(self) -> bool {
        matches!(self, Self::Card | Self::Ach | Self::Crypto)
    }
}

/// Direction and nature of an expected movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum MoveKind {
    Credit,
    Refund,
    AchReturn,
}

impl MoveKind {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Credit => "credit",
            Self::Refund => "refund",
            Self::AchReturn => "ach_return",
        }
    }

    pub(crate) fn from_label(s: &str) -> Option<Self> {
        match s {
            "credit" => Some(Self::Credit),
            "refund" => Some(Self::Refund),
            "ach_return" => Some(Self::AchReturn),
            _ => None,
        }
    }
}

/// What happens when a movement finds (or does not find) its money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Req {
    /// Unmatched → exception.
    Required,
    /// Unmatched → ignored with this reason.
    Optional(Cow<'static, str>),
    /// The platform says no money; money found → this exception code; unmatched → ignored.
    Shadow {
        refund_due: bool,
        reason: Cow<'static, str>,
    },
}

/// One expected movement of money.
#[derive(Debug, Clone)]
pub(crate) struct Movement {
    pub investment_id: i64,
    pub investor_id: Option<i64>,
    /// Offering id (unknown for a rebuilt carried item).
    pub offering_id: Option<i64>,
    pub kind: MoveKind,
    pub method: Method,
    /// Signed expected cents (positive = credit).
    pub expected: Cents,
    /// Alternative expected cents (gross vs net), when different.
    pub alt: Option<Cents>,
    /// Date the window counts from.
    pub date: NaiveDate,
    pub keys: Vec<String>,
    pub reference_id: Option<String>,
    pub payment_intent_id: Option<String>,
    /// Name tokens of every name the payer may use (empty until [`fill_names`] when
    /// `names_from` is set).
    pub names: Arc<Vec<Vec<String>>>,
    /// The names themselves (same).
    pub display_names: Arc<Vec<String>>,
    /// Where the names come from, until [`fill_names`] has read them: the investment (index
    /// into the book's investments). Only the movements the name passes see need names, so
    /// most are never read (looking every investment's investor up costs a cache miss each).
    pub names_from: Option<usize>,
    /// Index of the investment in the book (none for a carried item rebuilt from its record).
    pub book_index: Option<usize>,
    /// The investment's status as the platform reports it (unknown values kept).
    pub status: InvestmentStatus,
    pub req: Req,
    /// Carried forward from a previous run: the period end it was first open at.
    pub carried: Option<NaiveDate>,
    /// The date is a receipt date (`received_at`, or a carried item's date): a processor
    /// settles it a fixed lag later. Otherwise (a failed ACH dated by `processed_at`) the
    /// settlement day cannot be derived from it.
    pub receipt_dated: bool,
    /// The minute of the UTC day of the receipt (`received_at`), when known: a processor
    /// settles a receipt after its daily cutoff one business day later (see
    /// [`crate::engine::money_model::settlement`]).
    pub receipt_minute: Option<u16>,
}

impl Movement {
    /// The window and amount tolerance applying to this movement.
    pub(crate) fn tolerance<'t>(&self, tol: &'t Tolerances) -> &'t MethodTolerance {
        match self.kind {
            MoveKind::Refund => &tol.refund,
            MoveKind::AchReturn => &tol.ach_return,
            MoveKind::Credit => match self.method {
                Method::Card => &tol.card,
                Method::Ach => &tol.ach,
                Method::Ira => &tol.ira,
                Method::Crypto => &tol.crypto,
                Method::Wire | Method::Unknown => &tol.wire,
            },
        }
    }

    /// Whether `amount` is within tolerance of the expected (or alternative) amount; returns the
    /// difference (bank − expected) against the closer one.
    pub(crate) fn amount_diff(&self, amount: Cents, tol: &Tolerances) -> Option<Cents> {
        let t = self.tolerance(tol);
        let mut best: Option<Cents> = None;
        for e in std::iter::once(self.expected).chain(self.alt) {
            let diff = amount - e;
            if diff.abs() <= t.tolerance_cents(e) && best.is_none_or(|b| diff.abs() < b.abs()) {
                best = Some(diff);
            }
        }
        best
    }

    pub(crate) fn is_shadow(&self) -> bool {
        matches!(self.req, Req::Shadow { .. })
    }
}

/// An investment that is not expected to move money this period, with the reason.
#[derive(Debug, Clone)]
pub(crate) struct OutOfScope {
    pub investment_id: i64,
    /// The movement it would have been (its amount follows the money model).
    pub kind: MoveKind,
    pub expected: Cents,
    pub reason: String,
    /// Index of the investment in the book.
    pub book_index: Option<usize>,
}

fn date_of(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<NaiveDate> {
    t.map(|t| t.date_naive())
}

/// The period's days, computed once.
#[derive(Clone, Copy)]
struct Window {
    first: NaiveDate,
    last: NaiveDate,
    /// Money dated from here to the period start may still arrive this period.
    look_from: NaiveDate,
}

impl Window {
    fn contains(&self, d: NaiveDate) -> bool {
        d >= self.first && d <= self.last
    }
}

/// Builds the expected movements and the out-of-scope list from the book. Amounts are the
/// default reading here; [`super::money_model::apply`] sets the fitted ones before any pass.
pub(crate) fn build(
    book: &Book,
    period: Period,
    tol: &Tolerances,
    carry: &[OpenItem],
) -> Result<(Vec<Movement>, Vec<OutOfScope>), ReconError> {
    let no_names: SharedNames = (Arc::new(Vec::new()), Arc::new(Vec::new()));
    let (first, last) = (period.first_day(), period.last_day());
    let window = Window {
        first,
        last,
        look_from: first - Duration::days(tol.lookback_days),
    };
    // One investment at a time, in parallel: rayon folds consecutive runs of investments into
    // one pair of vectors each and collects the runs in book order; they are concatenated once.
    let runs: Vec<(Vec<Movement>, Vec<OutOfScope>)> = book
        .investments
        .par_iter()
        .enumerate()
        .try_fold(
            || (Vec::new(), Vec::new()),
            |mut acc, (i, inv)| {
                investment_movements(i, inv, &window, &no_names, &mut acc).map(|()| acc)
            },
        )
        .collect::<Result<_, _>>()?;
    let mut moves = Vec::with_capacity(runs.iter().map(|r| r.0.len()).sum());
    let mut out = Vec::with_capacity(runs.iter().map(|r| r.1.len()).sum());
    for (m, o) in runs {
        moves.extend(m);
        out.extend(o);
    }
    add_carried(&mut moves, &mut out, carry);
    moves.sort_by_key(|m| (m.investment_id, m.kind));
    moves.dedup_by(|a, b| a.investment_id == b.investment_id && a.kind == b.kind);
    Ok((moves, out))
}

/// The normalised keys an investment's money may carry (reference id, payment intent id).
fn keys_of(reference_id: Option<&str>, payment_intent_id: Option<&str>) -> Vec<String> {
    [reference_id, payment_intent_id]
        .into_iter()
        .flatten()
        .map(norm_key)
        .filter(|k| k.len() >= super::text::MIN_KEY_LEN)
        .collect()
}

/// Appends one investment's movements (at most a credit, a refund and an ACH return) and
/// out-of-scope entries to `acc`.
fn investment_movements(
    i: usize,
    inv: &Investment,
    w: &Window,
    no_names: &SharedNames,
    acc: &mut (Vec<Movement>, Vec<OutOfScope>),
) -> Result<(), ReconError> {
    let (moves, out) = acc;
    let method = Method::from_payment(&inv.payment_method);
    let amounts = default_amounts(inv, method)?;
    let (credit_amt, credit_alt) = amounts.of(MoveKind::Credit);
    let out_of_scope = |kind: MoveKind, reason: String| OutOfScope {
        investment_id: inv.id,
        kind,
        expected: amounts.of(kind).0,
        reason,
        book_index: Some(i),
    };
    let Some(md) = date_of(inv.received_at)
        .or(date_of(inv.processed_at))
        .or(date_of(inv.created_at))
    else {
        out.push(out_of_scope(
            MoveKind::Credit,
            "no received, processed or created date: cannot place in a period".into(),
        ));
        return Ok(());
    };
    // Each movement is the `base` with its own kind, amounts, date and requirement. The last one
    // takes `base` itself, so the common single movement copies none of its strings.
    let mut patches: Vec<Patch> = Vec::with_capacity(1);
    let st = &inv.status;
    // Money that came back: status refunded, or a refund date on an investment that no longer
    // holds funds (e.g. not_approved after the money arrived).
    let refunded = *st == InvestmentStatus::Refunded
        || (inv.refunded_at.is_some()
            && !st.funds_taken()
            && *st != InvestmentStatus::PaymentFailed);
    let failed_ach = *st == InvestmentStatus::PaymentFailed && method == Method::Ach;
    match credit_plan(inv, method, md, w, refunded, failed_ach) {
        CreditPlan::Move(req) => patches.push(Patch {
            kind: MoveKind::Credit,
            expected: credit_amt,
            alt: credit_alt,
            date: md,
            req,
        }),
        CreditPlan::Aside(reason) => out.push(out_of_scope(MoveKind::Credit, reason)),
        CreditPlan::History => {}
        CreditPlan::Stop(reason) => {
            out.push(out_of_scope(MoveKind::Credit, reason));
            return Ok(());
        }
    }
    if refunded {
        let rd = date_of(inv.refunded_at)
            .or(date_of(inv.updated_at))
            .unwrap_or(md);
        let (amt, alt) = amounts.of(MoveKind::Refund);
        if w.contains(rd) {
            let req = if matches!(method, Method::Wire | Method::Ira | Method::Unknown) {
                Req::Required
            } else {
                Req::Optional(
                    "card/ACH/crypto refund netted inside the processor (no separate bank debit)"
                        .into(),
                )
            };
            patches.push(Patch {
                kind: MoveKind::Refund,
                expected: amt,
                alt,
                date: rd,
                req,
            });
        } else if patches.is_empty() {
            out.push(out_of_scope(
                MoveKind::Refund,
                format!("refunded on {rd}, outside the period"),
            ));
        }
    }
    if failed_ach && md >= w.look_from && md <= w.last {
        let (expected, alt) = amounts.of(MoveKind::AchReturn);
        patches.push(Patch {
            kind: MoveKind::AchReturn,
            expected,
            alt,
            date: md,
            req: Req::Optional("ACH payment failed before any credit; no return debit".into()),
        });
    }
    let mut base = Some(Movement {
        investment_id: inv.id,
        investor_id: Some(inv.investor_id),
        offering_id: Some(inv.offering_id),
        kind: MoveKind::Credit,
        method,
        expected: credit_amt,
        alt: credit_alt,
        date: w.first,
        keys: keys_of(
            inv.reference_id.as_deref(),
            inv.payment_intent_id.as_deref(),
        ),
        reference_id: inv.reference_id.clone(),
        payment_intent_id: inv.payment_intent_id.clone(),
        names: Arc::clone(&no_names.1),
        display_names: Arc::clone(&no_names.0),
        names_from: Some(i),
        book_index: Some(i),
        status: inv.status.clone(),
        req: Req::Required,
        carried: None,
        receipt_dated: inv.received_at.is_some(),
        receipt_minute: inv.received_at.map(|t| (t.hour() * 60 + t.minute()) as u16),
    });
    let n = patches.len();
    for (k, p) in patches.into_iter().enumerate() {
        let b = if k + 1 == n {
            base.take()
        } else {
            base.clone()
        };
        if let Some(b) = b {
            moves.push(p.apply(b));
        }
    }
    Ok(())
}

/// The default reading's amounts of an investment (before the money model is fitted).
fn default_amounts(inv: &Investment, method: Method) -> Result<Amounts, ReconError> {
    let f = Figures::of(inv)?;
    Ok(money_model::amounts(
        &f,
        money_model::default_formula(method, money_model::GrossReading::Price),
        None,
        method,
    ))
}

/// What becomes of an investment's credit this period.
enum CreditPlan {
    /// An expected credit with this requirement (a shadow when the platform says no money).
    Move(Req),
    /// No credit this period, with the reason; a refund may still be.
    Aside(String),
    /// The credit is history (a refunded investment whose money arrived long ago); the refund
    /// decides.
    History,
    /// Nothing at all this period, with the reason.
    Stop(String),
}

/// Places the credit: funds taken (or refunded, or a failed ACH) by its money date against the
/// period; otherwise a shadow credit inside the window.
fn credit_plan(
    inv: &Investment,
    method: Method,
    md: NaiveDate,
    w: &Window,
    refunded: bool,
    failed_ach: bool,
) -> CreditPlan {
    let st = &inv.status;
    if !(st.funds_taken() || refunded || failed_ach) {
        // No money according to the platform: a shadow credit.
        let refund_due = matches!(
            st,
            InvestmentStatus::Cancelled | InvestmentStatus::NotApproved
        );
        let reason = format!("status {st}: no money expected");
        return if md >= w.look_from && md <= w.last {
            CreditPlan::Move(Req::Shadow {
                refund_due,
                reason: reason.into(),
            })
        } else {
            CreditPlan::Stop(reason)
        };
    }
    if md > w.last {
        return CreditPlan::Aside(format!(
            "money date {md} is after the period end {}",
            w.last
        ));
    }
    if md < w.look_from {
        // A refund may still be in the period; the credit itself is history.
        return if refunded {
            CreditPlan::History
        } else {
            CreditPlan::Aside(format!(
                "money date {md} is before the period (settled in an earlier period)"
            ))
        };
    }
    CreditPlan::Move(if md < w.first {
        Req::Optional(
            format!("money date {md} is before the period; not seen this period, assumed settled earlier")
                .into(),
        )
    } else if failed_ach {
        Req::Optional(
            "ACH payment failed; no credit found, so nothing was swept before the return".into(),
        )
    } else if refunded && matches!(method, Method::Card | Method::Ach) {
        Req::Optional(
            "refunded card/ACH payment; refunded inside the processor before settlement".into(),
        )
    } else if method == Method::Crypto {
        Req::Optional("crypto settles off-bank; no settlement wire found this period".into())
    } else {
        Req::Required
    })
}

/// Carried-forward open items: marks the matching movement, or rebuilds it.
fn add_carried(moves: &mut Vec<Movement>, out: &mut Vec<OutOfScope>, carry: &[OpenItem]) {
    for item in carry {
        let Some(kind) = MoveKind::from_label(&item.kind) else {
            continue;
        };
        if let Some(m) = moves
            .iter_mut()
            .find(|m| m.investment_id == item.investment_id && m.kind == kind)
        {
            m.carried = Some(item.first_open_period_end);
            m.req = Req::Required;
            continue;
        }
        let names: Vec<Vec<String>> = item
            .names
            .iter()
            .map(|n| name_tokens(n))
            .filter(|t| !t.is_empty())
            .collect();
        out.retain(|o| o.investment_id != item.investment_id);
        moves.push(Movement {
            investment_id: item.investment_id,
            investor_id: None,
            offering_id: None,
            kind,
            method: Method::from_label(&item.method),
            expected: item.expected_cents,
            alt: item.alt_cents,
            date: item.date,
            keys: keys_of(
                item.reference_id.as_deref(),
                item.payment_intent_id.as_deref(),
            ),
            reference_id: item.reference_id.clone(),
            payment_intent_id: item.payment_intent_id.clone(),
            names: Arc::new(names),
            display_names: Arc::new(item.names.clone()),
            names_from: None,
            book_index: None,
            status: InvestmentStatus::from_wire(&item.status),
            req: Req::Required,
            carried: Some(item.first_open_period_end),
            receipt_dated: true,
            receipt_minute: None,
        });
    }
}

/// What distinguishes one of an investment's movements from its credit (see `build`).
struct Patch {
    kind: MoveKind,
    expected: Cents,
    alt: Option<Cents>,
    date: NaiveDate,
    req: Req,
}

impl Patch {
    fn apply(self, base: Movement) -> Movement {
        Movement {
            kind: self.kind,
            expected: self.expected,
            alt: self.alt,
            date: self.date,
            req: self.req,
            ..base
        }
    }
}

/// Reads the names of the movements `wanted` picks (among those whose names are not read yet):
/// the investor's full, display and individual names, plus the investment's own investor name
/// when the investor does not already have it. Movements of one investor share one copy.
pub(crate) fn fill_names(
    book: &Book,
    moves: &mut [Movement],
    wanted: impl Fn(usize) -> bool + Sync,
) {
    let pending: Vec<bool> = (0..moves.len())
        .into_par_iter()
        .map(|m| moves[m].names_from.is_some() && wanted(m))
        .collect();
    let need: rustc_hash::FxHashSet<i64> = moves
        .iter()
        .zip(&pending)
        .filter(|(_, p)| **p)
        .filter_map(|(mv, _)| mv.investor_id)
        .collect();
    // The book's last investor of each id wins (as a map built in book order would have it).
    let found: Vec<(i64, usize)> = book
        .investors
        .par_iter()
        .enumerate()
        .filter(|(_, i)| need.contains(&i.id))
        .map(|(k, i)| (i.id, k))
        .collect();
    let mut at: rustc_hash::FxHashMap<i64, usize> = rustc_hash::FxHashMap::default();
    at.extend(found);
    let shared: rustc_hash::FxHashMap<i64, SharedNames> = at
        .into_par_iter()
        .map(|(id, k)| {
            let i = &book.investors[k];
            let mut d: Vec<String> = Vec::with_capacity(3);
            d.push(i.full_name());
            d.extend(i.display_name.iter().cloned());
            d.extend(i.individual_name.iter().cloned());
            let (d, n) = names_of(d);
            (id, (Arc::new(d), Arc::new(n)))
        })
        .collect();
    moves
        .par_iter_mut()
        .zip(pending)
        .filter(|(_, p)| *p)
        .for_each(|(mv, _)| {
            let Some(inv) = mv.names_from.take().and_then(|i| book.investments.get(i)) else {
                return;
            };
            let cached = mv.investor_id.and_then(|id| shared.get(&id));
            let own = inv
                .investor_name
                .as_deref()
                .filter(|n| !n.trim().is_empty());
            let (display_names, names) = match (cached, own) {
                // The investment's own name is one the investor already has (or none).
                (Some((d, n)), own) if own.is_none_or(|o| d.iter().any(|x| x == o)) => {
                    (Arc::clone(d), Arc::clone(n))
                }
                (cached, own) => {
                    let mut d: Vec<String> = own.iter().map(|n| n.to_string()).collect();
                    if let Some((cd, _)) = cached {
                        d.extend(cd.iter().cloned());
                    }
                    let (d, n) = names_of(d);
                    (Arc::new(d), Arc::new(n))
                }
            };
            mv.names = names;
            mv.display_names = display_names;
        });
}

/// An investor's display names and their name tokens, shared by its movements.
type SharedNames = (Arc<Vec<String>>, Arc<Vec<Vec<String>>>);

/// Display names (blank ones dropped, sorted, de-duplicated) and their name tokens (sorted,
/// de-duplicated, empty ones dropped).
fn names_of(mut display_names: Vec<String>) -> (Vec<String>, Vec<Vec<String>>) {
    display_names.retain(|n| !n.trim().is_empty());
    display_names.sort();
    display_names.dedup();
    let mut names: Vec<Vec<String>> = display_names
        .iter()
        .map(|n| name_tokens(n))
        .filter(|t| !t.is_empty())
        .collect();
    names.sort();
    names.dedup();
    (display_names, names)
}
