//! The reconciliation engine: expected movements from the snapshot against statement lines and
//! processor payout reports, in ordered, explainable passes.
//!
//! A run ([`run`]) tokenises the statement lines once ([`line`]), then applies ordered passes to
//! an exclusive-assignment state ([`state`]): each line's cents and each expected movement end
//! in exactly one place. The passes, in order (each module's doc explains its rule):
//! 1. [`passes::exact`] — exact references and payment intents;
//!    [`passes::fuzzy_reference`] — one mangled character;
//! 2. [`passes::payouts`] — processor payout reports;
//! 3. [`passes::names`] over debits — refund and return pairs;
//! 4. [`passes::batches`] — settlement batches without a report;
//! 5. [`passes::names`] over credits — amount + date window + name;
//! 6. [`passes::splits`] — one investment paid by two or three lines;
//! 7. [`passes::releases`] — escrow releases: one debit for many closed investments.
//!
//! The lines are read in a canonical order ([`line::canonical_order`]), and every search pass
//! works within a budget of steps proportional to its input ([`passes::budget`]).
//!
//! A movement carried forward from a previous run that finds its money is matched with rule
//! `carry_forward`. What is left is classified ([`classify`]), stated balances are rolled
//! forward ([`balance`]), conservation is checked ([`conservation`]: a violation is a bug,
//! [`ReconError::Conservation`]) and the outcome and summary are built ([`outcome`]; per-method
//! figures and exception counts are polars `group_by` aggregations over the movements frame, see
//! `frames`: money as i64 cents, dates as `Date`).

mod balance;
mod classify;
mod conservation;
pub mod currency;
mod expected;
mod frames;
mod line;
pub mod money_model;
mod outcome;
mod output;
mod passes;
mod run;
mod state;
pub mod subset;
mod text;
mod tolerances;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tieout_domain::{Book, Cents, Period};

use crate::model::{ExceptionRow, MatchRow, PayoutItem, Reject, StatedBalance, StatementLine};

pub use money_model::{MoneyModel, PlatformProfile};
pub use output::{ManualNotes, exceptions_csv, matches_csv, matches_csv_with, rejects_csv};
pub use passes::budget::{PassWork, SearchReport};
pub use passes::releases::{ReleaseFit, ReleaseModel, ReleaseReading};
pub use tolerances::{MethodTolerance, Tolerances, TolerancesError};

/// Everything one run reads.
#[derive(Debug, Clone, Copy)]
pub struct ReconInput<'a> {
    /// The snapshot.
    pub book: &'a Book,
    /// Parsed statement lines of every file.
    pub lines: &'a [StatementLine],
    /// Processor payout report rows.
    pub payouts: &'a [PayoutItem],
    /// Stated opening/closing balances, for the roll-forward check.
    pub balances: &'a [StatedBalance],
    /// Rows the loaders rejected (reported and counted, never matched).
    pub rejects: &'a [Reject],
    /// Trailer records that contradict their own file (BAI2 control totals and counts): each is
    /// a `BALANCE_BREAK` exception of the outcome.
    pub control_breaks: &'a [Reject],
    /// Open items of the previous run.
    pub carry_forward: Option<&'a OpenItems>,
    /// The month reconciled.
    pub period: Period,
    /// The user's platform profile: money-model formulas pinned per method (not fitted).
    pub platform: Option<&'a money_model::PlatformProfile>,
}

/// Errors of a run. Bad input is named precisely; [`ReconError::Conservation`] is a bug.
#[derive(Debug, thiserror::Error)]
pub enum ReconError {
    /// An investment amount does not fit in i64 cents.
    #[error("investment {investment_id}: field {field} does not fit in 64-bit cents")]
    Amount {
        /// Investment id.
        investment_id: i64,
        /// Field name.
        field: &'static str,
    },
    /// Tolerances out of range.
    #[error(transparent)]
    Tolerances(#[from] TolerancesError),
    /// A columnar (polars) step of the engine failed: a bug, please report it.
    #[error("columnar step failed (engine bug): {0}")]
    Frame(String),
    /// [`reconcile_prepared`] was given movements prepared from another book, period,
    /// tolerances or carry-forward file than its own.
    #[error(
        "the prepared movements belong to another book, period, tolerances or carry-forward file"
    )]
    PreparedMismatch,
    /// The engine lost or double-counted an item: a bug, please report it.
    #[error("conservation violated (engine bug): {0}")]
    Conservation(String),
}

/// An expected movement still open at the end of a run, to be carried into the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenItem {
    /// Investment id.
    pub investment_id: i64,
    /// `credit`, `refund` or `ach_return`.
    pub kind: String,
    /// Payment method label (`card`, `wire`, `ira`, `ach`, `crypto`, `unknown`).
    pub method: String,
    /// Platform status at the time.
    pub status: String,
    /// Signed expected cents.
    pub expected_cents: Cents,
    /// Alternative expected cents (gross vs net), when different.
    pub alt_cents: Option<Cents>,
    /// Date the window counts from.
    pub date: NaiveDate,
    /// Reference id.
    pub reference_id: Option<String>,
    /// Payment intent id.
    pub payment_intent_id: Option<String>,
    /// Investor names known.
    pub names: Vec<String>,
    /// Exception code it was open under.
    pub code: String,
    /// End of the period in which it was first open.
    pub first_open_period_end: NaiveDate,
}

/// The open items file (`open-items.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenItems {
    /// File format version (1).
    pub format: u32,
    /// End of the period that produced the file.
    pub period_end: Option<NaiveDate>,
    /// Open items, sorted by investment id and kind.
    pub items: Vec<OpenItem>,
}

impl OpenItems {
    /// Pretty JSON for `open-items.json`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parses `open-items.json`.
    pub fn from_json(s: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(s)
    }
}

/// A statement line (or part of one) set aside with a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredLine {
    /// Statement file.
    pub statement_file: String,
    /// Statement row.
    pub statement_row: u32,
    /// Cents of the line set aside (the whole line, or a payout's fee items).
    pub amount_cents: Cents,
    /// Why.
    pub reason: String,
}

/// An investment movement not expected on this period's statements, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredInvestment {
    /// Investment id.
    pub investment_id: i64,
    /// `credit`, `refund`, `ach_return`, or `none` when the investment is out of scope.
    pub movement: String,
    /// Expected cents.
    pub expected_cents: Cents,
    /// Why.
    pub reason: String,
}

/// Per-payment-method counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MethodSummary {
    /// Expected movements (required or optional, not shadows).
    pub movements: usize,
    /// Of which matched.
    pub matched: usize,
    /// Of which exceptions.
    pub exceptions: usize,
    /// Sum of |expected| cents.
    pub expected_cents: Cents,
    /// Sum of |expected| cents of matched movements.
    pub matched_expected_cents: Cents,
}

/// Counts and cents per bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReconSummary {
    /// Statement lines read.
    pub lines: usize,
    /// Lines fully matched.
    pub lines_matched: usize,
    /// Lines holding at least one exception.
    pub lines_exception: usize,
    /// Lines set aside with a reason.
    pub lines_ignored: usize,
    /// Rows rejected by the loaders.
    pub rows_rejected: usize,
    /// Sum of all statement line cents (signed).
    pub lines_cents: Cents,
    /// Line cents attributed to matches.
    pub matched_line_cents: Cents,
    /// Line cents held by exceptions.
    pub exception_line_cents: Cents,
    /// Line cents ignored with a reason.
    pub ignored_line_cents: Cents,
    /// Expected movements in scope.
    pub movements: usize,
    /// Matched movements.
    pub movements_matched: usize,
    /// Movements under an exception.
    pub movements_exception: usize,
    /// Movements ignored with a reason (optional, shadows, out of scope).
    pub movements_ignored: usize,
    /// Matched share of required+optional movements that were matched or excepted, by count (0..1).
    pub matched_ratio_count: f64,
    /// The same by amount (0..1).
    pub matched_ratio_amount: f64,
    /// Exceptions per code.
    pub exceptions_by_code: BTreeMap<String, usize>,
    /// Per payment method.
    pub per_method: BTreeMap<String, MethodSummary>,
}

/// The result of a run.
#[derive(Debug, Clone, Default)]
pub struct ReconOutcome {
    /// Matches, sorted by file, row, investment id.
    pub matches: Vec<MatchRow>,
    /// Exceptions, sorted by code, file, row, investment id.
    pub exceptions: Vec<ExceptionRow>,
    /// Lines (or parts) ignored with reasons.
    pub ignored_lines: Vec<IgnoredLine>,
    /// Investment movements ignored with reasons.
    pub ignored_investments: Vec<IgnoredInvestment>,
    /// Open items to carry into the next run.
    pub open_items: OpenItems,
    /// Summary.
    pub summary: ReconSummary,
    /// The search passes' work against their budgets, and the escrow release model fitted.
    pub search: SearchReport,
    /// What the bank sees per payment method: fitted, borrowed, default or pinned.
    pub money_model: money_model::MoneyModel,
}

/// Runs the reconciliation.
pub fn reconcile(input: &ReconInput<'_>, tol: &Tolerances) -> Result<ReconOutcome, ReconError> {
    let prepared = prepare(input.book, input.period, tol, input.carry_forward)?;
    reconcile_prepared(input, tol, prepared)
}

/// The expected movements of one book, period, tolerances and carry-forward file: the part of a
/// run that needs no statement. Built by [`prepare`] (for instance while the statements are still
/// being parsed) and consumed by [`reconcile_prepared`]; it borrows what it was built from, so
/// that cannot change in between.
#[derive(Debug)]
pub struct Prepared<'a> {
    moves: Vec<expected::Movement>,
    out_of_scope: Vec<expected::OutOfScope>,
    period: Period,
    book: &'a Book,
    tol: &'a Tolerances,
    carry: Option<&'a OpenItems>,
}

/// Builds the expected movements of `book` for `period` (see [`Prepared`]).
pub fn prepare<'a>(
    book: &'a Book,
    period: Period,
    tol: &'a Tolerances,
    carry_forward: Option<&'a OpenItems>,
) -> Result<Prepared<'a>, ReconError> {
    tol.validate()?;
    let carry: &[OpenItem] = carry_forward.map(|c| c.items.as_slice()).unwrap_or(&[]);
    tracing::debug!("engine: expected movements");
    let (moves, out_of_scope) = expected::build(book, period, tol, carry)?;
    Ok(Prepared {
        moves,
        out_of_scope,
        period,
        book,
        tol,
        carry: carry_forward,
    })
}

/// Runs the reconciliation on movements [`prepare`]d from the same book, period, tolerances and
/// carry-forward file as this call's (anything else is [`ReconError::PreparedMismatch`]).
pub fn reconcile_prepared(
    input: &ReconInput<'_>,
    tol: &Tolerances,
    prepared: Prepared<'_>,
) -> Result<ReconOutcome, ReconError> {
    reconcile_beside(input, tol, prepared, || ())
        .0
        .map(|(outcome, _scratch)| outcome)
}

/// The engine's working memory after a run: the tokenised statement lines, the expected
/// movements and their frames, millions of small allocations at a million investments. Dropping
/// it frees them on a background thread (about a second of one core's time at that size); a
/// process that is about to exit may `std::mem::forget` it instead.
pub struct Scratch {
    inner: Option<outcome::Scratch>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            inner.free_in_background();
        }
    }
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scratch").finish_non_exhaustive()
    }
}

/// [`reconcile_prepared`], with `beside` run on another core while the engine works through its
/// ordered passes (which leave a core idle much of the time: only the tokenising before them is
/// spread over every core). `beside` runs exactly once, whatever the run's result. The engine's
/// working memory is handed back as [`Scratch`].
pub fn reconcile_beside<R: Send>(
    input: &ReconInput<'_>,
    tol: &Tolerances,
    prepared: Prepared<'_>,
    beside: impl FnOnce() -> R + Send,
) -> (Result<(ReconOutcome, Scratch), ReconError>, R) {
    let same_carry = match (prepared.carry, input.carry_forward) {
        (None, None) => true,
        (Some(a), Some(b)) => std::ptr::eq(a, b),
        _ => false,
    };
    if prepared.period != input.period
        || !std::ptr::eq(prepared.book, input.book)
        || !same_carry
        || prepared.tol != tol
    {
        return (Err(ReconError::PreparedMismatch), beside());
    }
    if let Err(e) = tol.validate() {
        return (Err(e.into()), beside());
    }
    // Lines in another currency than the investments' never reach the passes.
    let aside = currency::set_aside(input);
    let same_ccy;
    let input = match &aside {
        Some(a) => {
            same_ccy = ReconInput {
                lines: &a.lines,
                balances: &a.balances,
                ..*input
            };
            &same_ccy
        }
        None => input,
    };
    let (outcome, r) = run::run(input, tol, prepared.moves, prepared.out_of_scope, beside);
    let outcome = outcome.map(|(mut o, inner)| {
        if let Some(a) = aside {
            a.merge_into(&mut o);
        }
        (o, Scratch { inner: Some(inner) })
    });
    (outcome, r)
}
