//! Pass 4, negative settlements (`batch_subset_sum`): a processor payout whose refunds that day
//! exceeded its charges posts as a debit. Its candidates are the open card/ACH charges in their
//! settlement window (net of processing fees, positive) and the card/ACH refunds of the days
//! before it (the gross returned to the payer, negative), found by date in [`NegativeIndex`];
//! a bounded signed subset-sum must prove exactly one combination (several: AMBIGUOUS_MATCH;
//! an exhausted budget, or a window holding more than the line's share: an exception that says
//! so).

use chrono::{Duration, NaiveDate};
use tieout_domain::Cents;
use tieout_domain::calendar::weekdays_between;

use crate::engine::expected::{Method, MoveKind};
use crate::engine::passes::batches::{DateIndex, LineWork, refuse};
use crate::engine::passes::budget::Budget;
use crate::engine::state::*;
use crate::engine::subset::{self, Subset};
use crate::model::ExceptionCode;

/// The charges and refunds a negative settlement may net, by date (see [`batch_negative`]).
pub(crate) struct NegativeIndex {
    /// Open card/ACH credits not carried forward.
    credits: DateIndex,
    /// Card/ACH credits carried forward (their window has no end).
    carried: Vec<usize>,
    /// Open card/ACH refunds.
    refunds: DateIndex,
}

impl NegativeIndex {
    pub(crate) fn new(state: &State<'_>) -> Self {
        let card_or_ach = |m: usize| {
            let movement = &state.moves[m];
            !state.done[m]
                && !movement.is_shadow()
                && matches!(movement.method, Method::Card | Method::Ach)
        };
        let credit = |m: usize| {
            card_or_ach(m) && state.moves[m].kind == MoveKind::Credit && state.moves[m].expected > 0
        };
        Self {
            credits: DateIndex::new(state, |m| credit(m) && state.moves[m].carried.is_none()),
            carried: (0..state.moves.len())
                .filter(|&m| credit(m) && state.moves[m].carried.is_some())
                .collect(),
            refunds: DateIndex::new(state, |m| {
                card_or_ach(m) && state.moves[m].kind == MoveKind::Refund
            }),
        }
    }
}

/// The calendar days that hold `n` business days at most (`n + 2·⌈n/5⌉ + 2`).
fn calendar_span(n: i64) -> Duration {
    let n = n.max(0);
    Duration::days(n + 2 * ((n + 4) / 5) + 2)
}

/// The charges (net, positive) and refunds (gross, negative) a negative settlement on `ld` may
/// net, by movement index, with the entries visited to find them.
fn negative_candidates(
    state: &State<'_>,
    ld: NaiveDate,
    index: &NegativeIndex,
) -> (Vec<(usize, Cents)>, u64) {
    let (card, ach) = (&state.tol.card, &state.tol.ach);
    let max = card.window_max_days.max(ach.window_max_days);
    let min = card.window_min_days.min(ach.window_min_days);
    let credits = index
        .credits
        .range(ld - calendar_span(max), ld + calendar_span(-min));
    let refund_min = state.tol.refund.window_min_days;
    let refunds = index
        .refunds
        .range(ld - calendar_span(max), ld + calendar_span(-refund_min));
    let visited = (credits.len() + index.carried.len() + refunds.len()) as u64;
    let mut set: Vec<(usize, Cents)> = Vec::new();
    for m in credits
        .iter()
        .map(|x| x.1)
        .chain(index.carried.iter().copied())
    {
        if !state.done[m] && state.window_ok(m, ld).is_some() {
            set.push((m, state.moves[m].expected));
        }
    }
    for &(_, m) in refunds {
        let movement = &state.moves[m];
        // Stripe returns the gross and keeps its fee: `alt` is the gross for card/ACH.
        let gross = movement.alt.unwrap_or(movement.expected);
        let max = if movement.method == Method::Card {
            card.window_max_days
        } else {
            ach.window_max_days
        };
        if !state.done[m]
            && gross < 0
            && state.window_ok(m, ld).is_some()
            && weekdays_between(movement.date, ld) <= max
        {
            set.push((m, gross));
        }
    }
    set.sort_unstable();
    (set, visited)
}

/// A processor settlement line with a negative amount: the day's charges (net of processing
/// fees, positive) and refunds (the gross returned to the card or bank account, negative) whose
/// sum is the line. Accepted only when a bounded signed subset-sum proves exactly one
/// combination; several combinations leave an AMBIGUOUS hint, an exhausted budget an
/// unmatched-debit hint.
pub(crate) fn batch_negative(
    state: &mut State<'_>,
    l: usize,
    index: &NegativeIndex,
    budget: &mut Budget,
) {
    let ld = state.lines[l].date;
    let amount = state.lines[l].amount;
    let (set, visited) = negative_candidates(state, ld, index);
    let mut work = LineWork {
        share: budget.share(),
        spent: 0,
    };
    if !work.afford(visited) {
        budget.refuse(work.spent);
        refuse(state, l, "Negative batch settlement", visited, work.share);
        return;
    }
    batch_negative_search(state, l, amount, &set, &mut work);
    budget.spend(work.spent);
}

/// The subset search of [`batch_negative`] over its candidates `set`.
fn batch_negative_search(
    state: &mut State<'_>,
    l: usize,
    amount: Cents,
    set: &[(usize, Cents)],
    work: &mut LineWork,
) {
    if set.len() < 2 || !set.iter().any(|(_, a)| *a < 0) {
        return;
    }
    if set.len() > state.tol.subset_sum_max_candidates {
        state.batch_hint[l] = Some((
            ExceptionCode::UnmatchedDebit,
            format!(
                "Looks like a negative batch settlement but {} candidate charges and refunds are in its window (limit {}); supply the processor payout report.",
                set.len(),
                state.tol.subset_sum_max_candidates
            ),
        ));
        return;
    }
    let amounts: Vec<Cents> = set.iter().map(|(_, a)| *a).collect();
    let (found, nodes) = subset::find_unique_signed_counted(
        &amounts,
        amount,
        state.tol.batch_abs_cents,
        2,
        work.search_budget(state.tol.subset_sum_budget),
    );
    work.spent += nodes;
    match found {
        Subset::Unique(ix) => {
            let mut attributed = 0;
            for (k, &i) in ix.iter().enumerate() {
                let (m, e) = set[i];
                let bank = if k + 1 == ix.len() {
                    amount - attributed
                } else {
                    e
                };
                attributed += bank;
                state.accept(m, l, "batch_subset_sum", 0.8, e, bank);
            }
        }
        Subset::Multiple => {
            state.batch_hint[l] = Some((ExceptionCode::AmbiguousMatch, "Negative batch settlement: several combinations of charges and refunds add up to this amount; supply the processor payout report or assign by hand.".into()));
        }
        Subset::GaveUp => {
            state.batch_hint[l] = Some((
                ExceptionCode::UnmatchedDebit,
                format!(
                    "Negative batch settlement: search budget exhausted after {nodes} candidate sets without a proven answer; not matched — supply the processor payout report."
                ),
            ));
        }
        Subset::NotFound => {}
    }
}
