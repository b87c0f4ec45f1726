//! Pass 7, `escrow_release`: one debit on the escrow account that pays out many closed
//! investments of one offering to the issuer.
//!
//! The released investments are those of one offering whose status is
//! `accepted_escrow_closed` and whose closing (`updated_at`, else `invested_at`: the status
//! change) falls in the [`RELEASE_WINDOW_DAYS`] business days up to the debit — the escrow agent
//! pays shortly after a closing; money closed months earlier has left escrow already (the
//! history money of a one-off escrow transfer stays a transfer).
//!
//! What a release pays is itself a reading to fit ([`ReleaseReading`]): per investment, the
//! securities value (`quantity × unit_price`, else the smaller of `price` and `amount`) or what
//! the investor paid (the larger of `price` and `amount`, else `amount + price_fees`), less a
//! platform fee of whole basis points on the release total (rounded half up), found from the
//! data, not assumed. In order:
//! 1. every debit is tried against each offering's closed investments in its window — all of
//!    them, or those closed up to a date (a closing's first part) — under both readings, any
//!    fee from 0 to [`MAX_FEE_BP`];
//! 2. the reading and fee that explain the most debits are the release model
//!    ([`ReleaseModel`]); a debit is matched when that model's fits of it name one set of
//!    investments (two models may tie: the investments are then the same, only the reading is
//!    open, and the model says so);
//! 3. a debit whose text says it is a release (escrow, closing, disbursement) and that no
//!    closing explains in full is searched by a bounded subset-sum under the model (fee 0 and
//!    the offering's Reg CF fee when no release fitted), on the smaller side (what is paid, or
//!    what is held back): exactly, by dynamic programming over the cents, when its share of the
//!    budget covers that, else depth-first. Exactly one combination is matched; several are
//!    AMBIGUOUS_MATCH (two investments of the same amount, one held back: which one was paid
//!    cannot be told from the money), an exhausted budget an UNMATCHED_DEBIT that says so —
//!    exceptions, not transfers (the credit leg is set aside as the transfer's other side).
//!
//! Each released investment gets a match row (`escrow_release`) with its reading as the
//! expected cents and its share of the debit (the fee allocated by largest remainder) as the
//! bank cents. The debit's credit leg in the issuer's own account (same cents, another account,
//! within the transfer window) is set aside as the other side of the transfer.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use tieout_domain::calendar::weekdays_between;
use tieout_domain::{Book, Cents, InvestmentStatus, decimal_to_cents};

use crate::engine::passes::budget::{Budget, PassWork, exhausted_detail};
use crate::engine::state::*;
use crate::engine::subset::{self, Subset};
use crate::model::{ExceptionCode, MatchRow};

/// Business days from a closing to its release, at most.
pub(crate) const RELEASE_WINDOW_DAYS: i64 = 10;

/// The largest platform fee a release may withhold, in basis points (20 %).
pub(crate) const MAX_FEE_BP: u32 = 2_000;

/// Words that mark a debit as an escrow release (the subset search runs only for those).
pub(crate) const RELEASE_WORDS: &[&str] = &["ESCROW", "RELEASE", "CLOSING", "DISBURS"];

/// What a release pays per investment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseReading {
    /// The securities value: `quantity × offering.unit_price` (else the smaller of `price` and
    /// `amount`).
    Securities,
    /// What the investor paid: the securities value plus the investor's fees (the larger of
    /// `price` and `amount`, else `amount + price_fees`).
    Paid,
}

impl ReleaseReading {
    /// The reading's name in words.
    pub fn label(self) -> &'static str {
        match self {
            Self::Securities => "securities value",
            Self::Paid => "what the investors paid",
        }
    }
}

/// One reading of what a release pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ReleaseFit {
    /// Per-investment figure summed.
    pub reading: ReleaseReading,
    /// Platform fee withheld from the total, in basis points (0: none).
    pub fee_bps: u32,
}

/// The fitted release model of a run: plain data for the summary and the manifest
/// (`money_model`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseModel {
    /// Per-investment figure a release pays.
    pub reading: ReleaseReading,
    /// Platform fee withheld from each release, in basis points of its total.
    pub fee_bps: u32,
    /// Release debits this reading explains.
    pub explained: usize,
    /// Release debits matched in all.
    pub of: usize,
    /// Other readings that explain as many debits: the data cannot tell them apart (the
    /// investments released are the same; only the figure read differs).
    pub tied_with: Vec<ReleaseFit>,
}

/// A closed investment as a release sees it.
#[derive(Debug, Clone)]
struct Closed {
    investment_id: i64,
    offering_id: i64,
    /// The closing day.
    date: NaiveDate,
    /// The closing instant (orders a closing's investments).
    at: chrono::DateTime<chrono::Utc>,
    securities: Cents,
    paid: Cents,
}

impl Closed {
    fn value(&self, r: ReleaseReading) -> Cents {
        match r {
            ReleaseReading::Securities => self.securities,
            ReleaseReading::Paid => self.paid,
        }
    }
}

/// The closed investments of the book, by closing (day, instant, id).
fn closed_investments(book: &Book) -> Vec<Closed> {
    let unit: BTreeMap<i64, rust_decimal::Decimal> = book
        .offerings
        .iter()
        .filter_map(|o| Some((o.id, o.unit_price?)))
        .collect();
    let mut out: Vec<Closed> = book
        .investments
        .iter()
        .filter(|i| i.status == InvestmentStatus::AcceptedEscrowClosed)
        .filter_map(|i| {
            let at = i.updated_at.or(i.invested_at)?;
            let amount = decimal_to_cents(i.amount)?;
            let price = i.price.and_then(decimal_to_cents);
            let fees = i.price_fees.and_then(decimal_to_cents).unwrap_or(0);
            let units = i
                .quantity
                .zip(unit.get(&i.offering_id))
                .and_then(|(q, u)| u.checked_mul(rust_decimal::Decimal::from(q)))
                .and_then(decimal_to_cents);
            let (lo, hi) = match price {
                Some(p) => (p.min(amount), p.max(amount)),
                None => (amount, amount + fees),
            };
            let securities = units.unwrap_or(lo);
            (securities > 0 && hi > 0).then_some(Closed {
                investment_id: i.id,
                offering_id: i.offering_id,
                date: at.date_naive(),
                at,
                securities,
                paid: hi.max(securities),
            })
        })
        .collect();
    out.sort_by_key(|c| (c.date, c.at, c.investment_id));
    out
}

/// The fee on a release total of `total` cents at `bp` basis points (half up).
fn fee(total: Cents, bp: u32) -> Cents {
    (total * Cents::from(bp) + 5_000) / 10_000
}

/// The fees (whole basis points up to [`MAX_FEE_BP`]) under which `total` pays out `paid`.
fn fees_fitting(total: Cents, paid: Cents) -> Vec<u32> {
    if total <= 0 || paid <= 0 || paid > total {
        return Vec::new();
    }
    if paid == total {
        return vec![0];
    }
    let est = ((total - paid) * 10_000 + total / 2) / total;
    (est.saturating_sub(1)..=est + 1)
        .filter(|&bp| bp >= 1 && bp <= Cents::from(MAX_FEE_BP))
        .map(|bp| bp as u32)
        .filter(|&bp| total - fee(total, bp) == paid)
        .collect()
}

/// The release totals that pay out `paid` at `bp` basis points.
fn totals_paying(paid: Cents, bp: u32) -> Vec<Cents> {
    if bp == 0 {
        return vec![paid];
    }
    let est = paid * 10_000 / (10_000 - Cents::from(bp));
    (est - 2..=est + 2)
        .filter(|&t| t - fee(t, bp) == paid)
        .collect()
}

/// A set of closed investments (indices into the closed list) that one reading says a debit
/// pays.
#[derive(Debug, Clone)]
struct Candidate {
    fit: ReleaseFit,
    members: Vec<usize>,
    /// All of the offering's closed investments in the window (else a first part, or a subset).
    whole: bool,
}

/// Sums over positions, updated one position at a time (a Fenwick tree).
struct Fenwick(Vec<Cents>);

impl Fenwick {
    fn new(values: impl ExactSizeIterator<Item = Cents>) -> Self {
        let mut t = Fenwick(vec![0; values.len() + 1]);
        for (i, v) in values.enumerate() {
            t.add(i, v);
        }
        t
    }

    fn add(&mut self, i: usize, v: Cents) {
        let mut i = i + 1;
        while i < self.0.len() {
            self.0[i] += v;
            i += i & i.wrapping_neg();
        }
    }

    /// Sum of positions `0..i`.
    fn prefix(&self, mut i: usize) -> Cents {
        let mut s = 0;
        while i > 0 {
            s += self.0[i];
            i -= i & i.wrapping_neg();
        }
        s
    }

    fn range(&self, a: usize, b: usize) -> Cents {
        self.prefix(b) - self.prefix(a)
    }
}

/// One offering's closed investments in closing order, with the open ones' count and figures
/// summed by position: a release window's whole closing in a few binary searches.
struct OfferingClosed {
    /// Indices into the closed list, in closing order.
    members: Vec<usize>,
    dates: Vec<NaiveDate>,
    open: Fenwick,
    securities: Fenwick,
    paid: Fenwick,
}

/// The closed investments per offering (see [`OfferingClosed`]), and where each one sits.
struct ClosedIndex {
    offerings: Vec<OfferingClosed>,
    /// Per closed investment: (offering slot, position).
    at: Vec<(usize, usize)>,
}

impl ClosedIndex {
    fn new(closed: &[Closed]) -> Self {
        let mut by: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (c, x) in closed.iter().enumerate() {
            by.entry(x.offering_id).or_default().push(c);
        }
        let mut at = vec![(0, 0); closed.len()];
        let offerings = by
            .into_values()
            .enumerate()
            .map(|(slot, members)| {
                for (pos, &c) in members.iter().enumerate() {
                    at[c] = (slot, pos);
                }
                OfferingClosed {
                    dates: members.iter().map(|&c| closed[c].date).collect(),
                    open: Fenwick::new(members.iter().map(|_| 1)),
                    securities: Fenwick::new(members.iter().map(|&c| closed[c].securities)),
                    paid: Fenwick::new(members.iter().map(|&c| closed[c].paid)),
                    members,
                }
            })
            .collect();
        Self { offerings, at }
    }

    /// Takes a released investment out of the sums.
    fn release(&mut self, closed: &[Closed], c: usize) {
        let (slot, pos) = self.at[c];
        let o = &mut self.offerings[slot];
        o.open.add(pos, -1);
        o.securities.add(pos, -closed[c].securities);
        o.paid.add(pos, -closed[c].paid);
    }

    /// Per offering, the positions `a..b` of its closings in line `l`'s window.
    fn windows(&self, state: &State<'_>, l: usize) -> Vec<(usize, usize, usize)> {
        let ld = state.lines[l].date;
        self.offerings
            .iter()
            .enumerate()
            .map(|(slot, o)| {
                // Days in the window form one run: business days to the line never grow
                // with the date.
                let a = o
                    .dates
                    .partition_point(|d| weekdays_between(*d, ld) > RELEASE_WINDOW_DAYS);
                let b = o.dates.partition_point(|d| *d <= ld);
                (slot, a, b.max(a))
            })
            .filter(|(_, a, b)| b > a)
            .collect()
    }

    /// The closed investments in line `l`'s window, all offerings.
    fn window_len(&self, state: &State<'_>, l: usize) -> u64 {
        self.windows(state, l)
            .iter()
            .map(|(_, a, b)| (b - a) as u64)
            .sum()
    }

    /// Whole closings with no fee that debit `l` pays exactly (two investments or more): the
    /// fits of a debit without the words of a release, found from the sums alone.
    fn whole_fits(&self, state: &State<'_>, released: &[bool], l: usize) -> Vec<Candidate> {
        let paid = -state.lines[l].amount;
        let mut out = Vec::new();
        for (slot, a, b) in self.windows(state, l) {
            let o = &self.offerings[slot];
            if o.open.range(a, b) < 2 {
                continue;
            }
            for (reading, sums) in [
                (ReleaseReading::Securities, &o.securities),
                (ReleaseReading::Paid, &o.paid),
            ] {
                if sums.range(a, b) == paid {
                    out.push(Candidate {
                        fit: ReleaseFit {
                            reading,
                            fee_bps: 0,
                        },
                        members: o.members[a..b]
                            .iter()
                            .copied()
                            .filter(|&c| !released[c])
                            .collect(),
                        whole: true,
                    });
                }
            }
        }
        out
    }
}

/// What the pass found for one debit.
struct Found {
    l: usize,
    candidates: Vec<Candidate>,
}

/// Rounds of step 1 (a release matched frees the rest of its closing for the next release).
const FIT_ROUNDS: u64 = 3;

/// Step 1 for one debit: the whole closings and first parts of closings it fits, under every
/// reading. A debit whose text does not say it is a release fits only whole closings of two
/// investments or more with no fee (an exact sum of many figures: no coincidence); a fee or a
/// first part needs the release words.
fn fits_of(state: &State<'_>, closed: &[Closed], released: &[bool], l: usize) -> Vec<Candidate> {
    let paid = -state.lines[l].amount;
    let worded = state.lines[l].has_word(RELEASE_WORDS);
    let min_size = if worded { 1 } else { 2 };
    let mut candidates = Vec::new();
    for members in window_groups(state, closed, l).into_values() {
        let members: Vec<usize> = members.into_iter().filter(|&c| !released[c]).collect();
        for reading in [ReleaseReading::Securities, ReleaseReading::Paid] {
            let mut total = 0;
            for (k, &c) in members.iter().enumerate() {
                total += closed[c].value(reading);
                let whole = k + 1 == members.len();
                // A first part ends where a closing instant ends.
                let cut = whole || closed[members[k + 1]].at != closed[c].at;
                if k + 1 < min_size || !cut || (!whole && !worded) {
                    continue;
                }
                for fee_bps in fees_fitting(total, paid) {
                    if fee_bps != 0 && !worded {
                        continue;
                    }
                    candidates.push(Candidate {
                        fit: ReleaseFit { reading, fee_bps },
                        members: members[..=k].to_vec(),
                        whole,
                    });
                }
            }
        }
    }
    candidates
}

/// The readings that explain the most debits: counted on whole closings (the robust
/// evidence), else on first parts with no fee.
fn best_fits(found: &[Found], support: &BTreeMap<ReleaseFit, usize>) -> Vec<ReleaseFit> {
    let mut counts: BTreeMap<ReleaseFit, usize> = support.clone();
    for f in found {
        let fits: BTreeSet<ReleaseFit> = f
            .candidates
            .iter()
            .filter(|c| c.whole)
            .map(|c| c.fit)
            .collect();
        for fit in fits {
            *counts.entry(fit).or_default() += 1;
        }
    }
    if counts.is_empty() {
        for f in found {
            let fits: BTreeSet<ReleaseFit> = f
                .candidates
                .iter()
                .filter(|c| c.fit.fee_bps == 0)
                .map(|c| c.fit)
                .collect();
            for fit in fits {
                *counts.entry(fit).or_default() += 1;
            }
        }
    }
    let best_n = counts.values().copied().max().unwrap_or(0);
    counts
        .into_iter()
        .filter(|(_, n)| *n == best_n && best_n > 0)
        .map(|(f, _)| f)
        .collect()
}

/// Pass 7 (see the module documentation). Returns the fitted model and the work done.
pub(crate) fn pass_releases(
    state: &mut State<'_>,
    book: &Book,
) -> (Option<ReleaseModel>, Vec<PassWork>) {
    let closed = closed_investments(book);
    let mut order: Vec<usize> = (0..state.lines.len())
        .filter(|&l| !state.used[l] && state.lines[l].amount < 0 && state.book_hit[l].is_none())
        .collect();
    sort_canonical(state, &mut order);
    let input = state.lines.len() + state.moves.len();
    let n_worded = order
        .iter()
        .filter(|&&l| state.lines[l].has_word(RELEASE_WORDS))
        .count();
    let mut budget = Budget::new("escrow_release", input, order.len() - n_worded, FIT_ROUNDS);
    let mut worded_budget = Budget::new("escrow_release_worded", input, n_worded, FIT_ROUNDS);
    if closed.is_empty() || order.is_empty() {
        return (None, vec![budget.report(), worded_budget.report()]);
    }
    let reg_cf_fees: BTreeMap<i64, u32> = book
        .offerings
        .iter()
        .filter_map(|o| {
            let bp = (o.reg_cf_fee_percentage? * rust_decimal::Decimal::ONE_HUNDRED).normalize();
            let bp: u32 = bp.to_string().parse().ok()?;
            (bp <= MAX_FEE_BP).then_some((o.id, bp))
        })
        .collect();
    let mut released: Vec<bool> = vec![false; closed.len()];
    let mut index = ClosedIndex::new(&closed);
    let mut refused: BTreeSet<usize> = BTreeSet::new();
    let mut matched_lines = 0usize;
    // Debits explained per reading (the support of the model, across rounds).
    let mut explained_by: BTreeMap<ReleaseFit, usize> = BTreeMap::new();
    let mut best: Vec<ReleaseFit> = Vec::new();
    for _round in 0..FIT_ROUNDS {
        // 1. Whole closings and first parts, every reading.
        let mut found: Vec<Found> = Vec::new();
        for &l in &order {
            if state.used[l] || refused.contains(&l) {
                continue;
            }
            // A debit that does not say it is a release is tried against whole closings from
            // the sums (a few binary searches per offering); one that says so against every
            // first part too (its window read in full, within its share).
            let worded = state.lines[l].has_word(RELEASE_WORDS);
            let (steps, budget) = if worded {
                (index.window_len(state, l) * 2, &mut worded_budget)
            } else {
                (index.offerings.len() as u64 * 2, &mut budget)
            };
            if steps > budget.share() {
                budget.refuse(steps);
                refused.insert(l);
                if worded {
                    set_hint(
                        state,
                        l,
                        ExceptionCode::UnmatchedDebit,
                        exhausted_detail("Escrow release", steps, budget.share()),
                    );
                }
                continue;
            }
            budget.spend(steps);
            let candidates = if worded {
                fits_of(state, &closed, &released, l)
            } else {
                index.whole_fits(state, &released, l)
            };
            if !candidates.is_empty() {
                found.push(Found { l, candidates });
            }
        }
        // 2. The model: the readings that explain the most debits.
        best = best_fits(&found, &explained_by);
        let mut progress = false;
        for f in &found {
            let under: Vec<&Candidate> = f
                .candidates
                .iter()
                .filter(|c| best.contains(&c.fit))
                .collect();
            // Prefer a whole closing to a first part of it.
            let whole: Vec<&Candidate> = under.iter().copied().filter(|c| c.whole).collect();
            let pick = if whole.is_empty() { under } else { whole };
            let Some(first) = pick.first() else {
                continue;
            };
            if pick.iter().any(|c| c.members != first.members) {
                set_hint(
                    state,
                    f.l,
                    ExceptionCode::AmbiguousMatch,
                    format!(
                        "Escrow release: {} sets of closed investments fit this debit; assign it by hand.",
                        pick.len()
                    ),
                );
                continue;
            }
            if first.members.iter().any(|&c| released[c]) {
                continue;
            }
            let fits: BTreeSet<ReleaseFit> = pick.iter().map(|c| c.fit).collect();
            for fit in fits {
                *explained_by.entry(fit).or_default() += 1;
            }
            let (fit, members) = (first.fit, first.members.clone());
            let score = if first.whole { 0.9 } else { 0.8 };
            accept_release(state, &closed, &mut released, f.l, &members, fit, score);
            for &c in &members {
                index.release(&closed, c);
            }
            matched_lines += 1;
            progress = true;
        }
        if !progress {
            break;
        }
    }
    // 3. Releases of some of a closing's investments: a bounded subset-sum under the model.
    let fits: Vec<ReleaseFit> = if best.is_empty() {
        let mut v: BTreeSet<ReleaseFit> = BTreeSet::new();
        for reading in [ReleaseReading::Securities, ReleaseReading::Paid] {
            v.insert(ReleaseFit {
                reading,
                fee_bps: 0,
            });
            for &fee_bps in reg_cf_fees.values() {
                v.insert(ReleaseFit { reading, fee_bps });
            }
        }
        v.into_iter().collect()
    } else {
        best.clone()
    };
    let worded: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&l| {
            !state.used[l] && !refused.contains(&l) && state.lines[l].has_word(RELEASE_WORDS)
        })
        .collect();
    let mut subsets = Budget::new("escrow_release_subset", input, worded.len(), 1);
    for l in worded {
        let search = search_subsets(state, &closed, &released, l, &fits, subsets.share());
        match search.outcome {
            SubsetOutcome::One(fit, members) => {
                subsets.spend(search.steps);
                *explained_by.entry(fit).or_default() += 1;
                accept_release(state, &closed, &mut released, l, &members, fit, 0.8);
                for &c in &members {
                    index.release(&closed, c);
                }
                matched_lines += 1;
            }
            SubsetOutcome::Several => {
                subsets.spend(search.steps);
                release_exception(
                    state,
                    l,
                    ExceptionCode::AmbiguousMatch,
                    "Escrow release: several combinations of closed investments add up to this debit; assign it by hand.".into(),
                );
            }
            SubsetOutcome::GaveUp => {
                subsets.refuse(search.steps);
                release_exception(
                    state,
                    l,
                    ExceptionCode::UnmatchedDebit,
                    format!(
                        "Escrow release: search budget exhausted after {} candidate sets among {} closed investments; not matched — get the release detail from the escrow agent.",
                        search.steps, search.closed
                    ),
                );
            }
            SubsetOutcome::None => subsets.spend(search.steps),
        }
    }
    let model = explained_by
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(fit, &explained)| ReleaseModel {
            reading: fit.reading,
            fee_bps: fit.fee_bps,
            explained,
            of: matched_lines,
            tied_with: explained_by
                .iter()
                .filter(|(f, n)| *f != fit && **n == explained)
                .map(|(f, _)| *f)
                .collect(),
        });
    (
        model,
        vec![budget.report(), worded_budget.report(), subsets.report()],
    )
}

/// What the subset search made of one release debit.
enum SubsetOutcome {
    /// Exactly one set of closed investments under one reading.
    One(ReleaseFit, Vec<usize>),
    /// Several sets (or readings with different sets).
    Several,
    /// The budget ran out before an answer was proven.
    GaveUp,
    /// No set.
    None,
}

/// The search of step 3 for one debit, with the steps it took and the closed investments it
/// searched among.
struct SubsetSearch {
    outcome: SubsetOutcome,
    steps: u64,
    closed: usize,
}

/// Step 3 for debit `l`: per offering and reading, the open closed investments of its window
/// whose figures make the debit's total, searched on the smaller side (what is paid, or what is
/// held back): exactly by dynamic programming when the share covers it, else depth-first
/// within what is left of the share.
fn search_subsets(
    state: &State<'_>,
    closed: &[Closed],
    released: &[bool],
    l: usize,
    fits: &[ReleaseFit],
    share: u64,
) -> SubsetSearch {
    let paid = -state.lines[l].amount;
    let mut left = share;
    let mut unique: Vec<(ReleaseFit, Vec<usize>)> = Vec::new();
    let (mut several, mut gave_up) = (false, false);
    let mut n_closed = 0;
    for members in window_groups(state, closed, l).into_values() {
        let open: Vec<usize> = members.into_iter().filter(|&c| !released[c]).collect();
        n_closed += open.len();
        for fit in fits {
            let amounts: Vec<Cents> = open.iter().map(|&c| closed[c].value(fit.reading)).collect();
            let all: Cents = amounts.iter().sum();
            for target in totals_paying(paid, fit.fee_bps) {
                if target > all || target <= 0 || open.is_empty() {
                    continue;
                }
                let (goal, complement) = if all - target < target {
                    (all - target, true)
                } else {
                    (target, false)
                };
                let (found, nodes) = if goal == 0 {
                    (Subset::Unique(Vec::new()), 1)
                } else {
                    match subset::find_unique_exact(&amounts, goal, left) {
                        (Subset::GaveUp, _) => subset::find_unique_counted(
                            &amounts,
                            goal,
                            0,
                            1,
                            left.min(state.tol.subset_sum_budget),
                        ),
                        exact => exact,
                    }
                };
                left = left.saturating_sub(nodes);
                match found {
                    Subset::Unique(ix) => {
                        let set: Vec<usize> = if complement {
                            let held: BTreeSet<usize> = ix.into_iter().collect();
                            (0..open.len())
                                .filter(|i| !held.contains(i))
                                .map(|i| open[i])
                                .collect()
                        } else {
                            ix.into_iter().map(|i| open[i]).collect()
                        };
                        if !set.is_empty() && !unique.iter().any(|(_, s)| *s == set) {
                            unique.push((*fit, set));
                        }
                    }
                    Subset::Multiple => several = true,
                    Subset::GaveUp => gave_up = true,
                    Subset::NotFound => {}
                }
            }
        }
    }
    let outcome = if unique.len() > 1 || several {
        SubsetOutcome::Several
    } else if gave_up {
        SubsetOutcome::GaveUp
    } else if let Some((fit, set)) = unique.pop() {
        SubsetOutcome::One(fit, set)
    } else {
        SubsetOutcome::None
    };
    SubsetSearch {
        outcome,
        steps: share - left,
        closed: n_closed,
    }
}

/// A release debit the search could not settle: an exception now (not a transfer), its credit
/// leg set aside as the other side of the transfer.
fn release_exception(state: &mut State<'_>, l: usize, code: ExceptionCode, detail: String) {
    let amount = state.lines[l].amount;
    state.line_exception(code, l, amount, None, None, detail);
    let label = state.lines[l].label();
    pair_credit_leg(
        state,
        l,
        format!(
            "inter-account transfer, paired with {label} (an escrow release not matched: see its exception)"
        ),
    );
}

/// Sorts line indices by content (date, cents, text, file, row): the order the input came in
/// never matters.
pub(crate) fn sort_canonical(state: &State<'_>, ls: &mut [usize]) {
    ls.sort_by(|&a, &b| {
        let (x, y) = (&state.lines[a], &state.lines[b]);
        (x.date, x.amount, &x.upper, &x.src.file, x.src.statement_row).cmp(&(
            y.date,
            y.amount,
            &y.upper,
            &y.src.file,
            y.src.statement_row,
        ))
    });
}

/// The closed investments (indices) in line `l`'s release window, per offering, in closing
/// order.
fn window_groups(state: &State<'_>, closed: &[Closed], l: usize) -> BTreeMap<i64, Vec<usize>> {
    let ld = state.lines[l].date;
    // n business days span at most n + 2·⌈n/5⌉ + 2 calendar days.
    let lo = ld - Duration::days(RELEASE_WINDOW_DAYS + 2 * ((RELEASE_WINDOW_DAYS + 4) / 5) + 2);
    let a = closed.partition_point(|c| c.date < lo);
    let b = closed.partition_point(|c| c.date <= ld);
    let mut groups: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (c, x) in closed.iter().enumerate().take(b).skip(a) {
        if weekdays_between(x.date, ld) <= RELEASE_WINDOW_DAYS {
            groups.entry(x.offering_id).or_default().push(c);
        }
    }
    groups
}

fn set_hint(state: &mut State<'_>, l: usize, code: ExceptionCode, detail: String) {
    if state.batch_hint[l].is_none() {
        state.batch_hint[l] = Some((code, detail));
    }
}

/// Matches debit `l` to the closed investments `members`, sharing the fee out by largest
/// remainder, and sets its credit leg aside.
fn accept_release(
    state: &mut State<'_>,
    closed: &[Closed],
    released: &mut [bool],
    l: usize,
    members: &[usize],
    fit: ReleaseFit,
    score: f32,
) {
    let values: Vec<Cents> = members
        .iter()
        .map(|&c| closed[c].value(fit.reading))
        .collect();
    let total: Cents = values.iter().sum();
    let fee_total = fee(total, fit.fee_bps);
    // Each investment's share of the fee: floor of its pro-rata part, the cents left over to
    // the largest remainders (ties by position).
    let part = |v: Cents| i128::from(v) * i128::from(fee_total);
    let whole = i128::from(total.max(1));
    let mut fees: Vec<Cents> = values
        .iter()
        .map(|&v| Cents::try_from(part(v) / whole).unwrap_or(0))
        .collect();
    let mut rest = fee_total - fees.iter().sum::<Cents>();
    let mut by_rem: Vec<usize> = (0..values.len()).collect();
    by_rem.sort_by_key(|&i| (std::cmp::Reverse(part(values[i]) % whole), i));
    for &i in by_rem.iter().cycle().take(values.len() * 2) {
        if rest == 0 {
            break;
        }
        fees[i] += 1;
        rest -= 1;
    }
    let src = state.lines[l].src;
    for (k, &c) in members.iter().enumerate() {
        released[c] = true;
        let expected = -values[k];
        let bank = -(values[k] - fees[k]);
        state.releases.push((
            MatchRow {
                investment_id: closed[c].investment_id,
                statement_file: src.file.clone(),
                statement_row: src.statement_row,
                statement_ref: src.bank_ref.clone(),
                rule: "escrow_release".into(),
                score,
                expected_cents: expected,
                bank_cents: bank,
                difference_cents: bank - expected,
            },
            l,
        ));
    }
    state.used[l] = true;
    state.batch_hint[l] = None;
    let label = state.lines[l].label();
    pair_credit_leg(
        state,
        l,
        format!(
            "inter-account transfer, paired with {label} (escrow release of {} closed investments)",
            members.len()
        ),
    );
}

/// Sets aside the credit leg of release debit `l`: the same cents into another account (not the
/// debit's own), within the transfer window, nearest date first (open lines looked up by
/// cents: no scan of the statement per release).
fn pair_credit_leg(state: &mut State<'_>, l: usize, reason: String) {
    let src = state.lines[l].src;
    let amount = -state.lines[l].amount;
    let ld = state.lines[l].date;
    let account = src.account.clone();
    let same: Vec<usize> = state
        .credits_by_amount()
        .get(&amount)
        .cloned()
        .unwrap_or_default();
    let mut legs: Vec<usize> = same
        .into_iter()
        .filter(|&c| {
            let o = &state.lines[c];
            !state.used[c]
                && state.book_hit.get(c).is_none_or(Option::is_none)
                && o.src.file != src.file
                && (o.src.account.is_none() || o.src.account != account)
                && (o.date - ld).num_days().abs() <= state.tol.transfer_days
        })
        .collect();
    sort_canonical(state, &mut legs);
    legs.sort_by_key(|&c| (state.lines[c].date - ld).num_days().abs());
    if let Some(&c) = legs.first() {
        state.ignore_line(c, amount, reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_are_found_in_whole_basis_points() {
        assert_eq!(fees_fitting(100_000, 100_000), vec![0]);
        // 1.5 % of $1,000.00 = $15.00.
        assert_eq!(fees_fitting(100_000, 98_500), vec![150]);
        // Half up: 2.9 % of $123.45 = 358.005 cents → 358.
        assert_eq!(fees_fitting(12_345, 12_345 - 358), vec![290]);
        assert!(fees_fitting(100_000, 50_000).is_empty());
        assert!(fees_fitting(100_000, 100_001).is_empty());
        assert_eq!(totals_paying(98_500, 150), vec![100_000]);
        assert_eq!(totals_paying(500, 0), vec![500]);
    }
}
