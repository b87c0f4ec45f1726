//! Pass 4, `batch_day_total` / `batch_subset_sum` / `batch_partial`: without a report, a batch
//! credit is explained by one day's receipt-dated card/ACH/crypto credits (day totals from a
//! polars `group_by([day, method])`), or by one card day plus one ACH day (different settlement
//! lags) less the card/ACH refunds of the line's day (one item may be left out when the
//! difference is exactly its cents, and only its), or by a bounded, deterministic subset-sum
//! that must find exactly one combination within its work budget (otherwise: exception, never a
//! guess).
//!
//! A line that states its item count (`… 186 ITEMS`) whose receipt-dated charges of one method
//! and day are most of it (fewer items, less money; one such day, and the lag its statement's other
//! settlements showed) is matched to them (`batch_partial`) and the rest of the line is an
//! UNMATCHED_CREDIT — unless a bounded subset-sum over the charges without a receipt date finds
//! exactly the missing items.
//!
//! Candidates come only from offerings whose money has been matched in the line's statement (its
//! account, else its file; ≥ 2 % of
//! that offering's matches) or nowhere yet; two rounds, so a settlement explained first frees its
//! charges.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap as HashMap;

use chrono::{Duration, NaiveDate};
use tieout_domain::Cents;
use tieout_domain::calendar::weekdays_between;

use crate::engine::ReconError;
use crate::engine::expected::{Method, MoveKind};
use crate::engine::frames::{self, DayCharge, DayTotals};
use crate::engine::money_model::settlement::settle_day;
use crate::engine::passes::budget::{Budget, exhausted_detail};
use crate::engine::passes::negative_batches::{NegativeIndex, batch_negative};
use crate::engine::run::frame_err;
use crate::engine::state::*;
use crate::engine::subset::{self, Subset};
use crate::model::{ExceptionCode, StatementLine};

/// Open movements by money date, sorted (ties by movement index): the movements of a date range,
/// and how many they are, from two binary searches — what a line's search will cost is known
/// before it starts.
pub(crate) struct DateIndex(Vec<(NaiveDate, usize)>);

impl DateIndex {
    /// The movements `pick` selects.
    pub(crate) fn new(state: &State<'_>, pick: impl Fn(usize) -> bool) -> Self {
        let mut v: Vec<(NaiveDate, usize)> = (0..state.moves.len())
            .filter(|&m| pick(m))
            .map(|m| (state.moves[m].date, m))
            .collect();
        v.sort_unstable();
        Self(v)
    }

    /// The movements dated `lo..=hi`, by date then index.
    pub(crate) fn range(&self, lo: NaiveDate, hi: NaiveDate) -> &[(NaiveDate, usize)] {
        let a = self.0.partition_point(|x| x.0 < lo);
        let b = self.0.partition_point(|x| x.0 <= hi);
        &self.0[a..b.max(a)]
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What a settlement of `method` charges totalling `sum` pays under the method's schedule, and
/// the rounding slack (1 cent when a percentage is kept).
fn settled(state: &State<'_>, method: Method, sum: Cents) -> (Cents, Cents) {
    match state.schedules.get(&method).filter(|s| s.fee_bps > 0) {
        Some(s) => (s.net_of(sum), 1),
        None => (sum, 0),
    }
}

/// The gross a settlement of `method` paying `amount` was cut from (the nearest whole cents
/// whose net is `amount`), with the rounding slack.
fn gross_of(state: &State<'_>, method: Method, amount: Cents) -> (Cents, Cents) {
    match state.schedules.get(&method).filter(|s| s.fee_bps > 0) {
        Some(s) => {
            let keep = 10_000 - i64::from(s.fee_bps);
            let g = (amount * 10_000 + keep / 2) / keep.max(1);
            let best = (g - 2..=g + 2)
                .min_by_key(|&x| ((s.net_of(x) - amount).abs(), (x - g).abs()))
                .unwrap_or(g);
            (best, 1)
        }
        None => (amount, 0),
    }
}

/// How one line fared in the pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineResult {
    /// Explained (wholly, or in part for a stated item count).
    Explained,
    /// Searched, not explained.
    Open,
    /// Its search needed more than its share of the budget: not searched (its hint says so).
    Refused,
}

pub(crate) fn pass_batches(state: &mut State<'_>) -> Result<(), ReconError> {
    let by_date = DateIndex::new(state, |m| {
        let movement = &state.moves[m];
        movement.kind == MoveKind::Credit
            && movement.method.batched()
            && !movement.is_shadow()
            && !state.done[m]
            && movement.expected > 0
    });
    // Card/ACH refunds a processor nets inside the payout of the refund's day.
    let mut refunds: BTreeMap<NaiveDate, Vec<usize>> = BTreeMap::new();
    for (m, movement) in state.moves.iter().enumerate() {
        if movement.kind == MoveKind::Refund
            && matches!(movement.method, Method::Card | Method::Ach)
            && !movement.is_shadow()
            && !state.done[m]
            && movement.alt.unwrap_or(movement.expected) < 0
        {
            refunds.entry(movement.date).or_default().push(m);
        }
    }
    // Every settlement line (`batch_words`) gets an equal share of the pass's budget, searched
    // at most twice.
    let items = (0..state.lines.len())
        .filter(|&l| !state.used[l] && state.lines[l].amount != 0 && state.lines[l].is_batch)
        .count();
    let mut budget = Budget::new("batches", state.lines.len() + state.moves.len(), items, 2);
    // Negative net payouts (refunds that day exceeded charges) net charges against refunds.
    let negative = NegativeIndex::new(state);
    for l in 0..state.lines.len() {
        if !state.used[l] && state.lines[l].amount < 0 && state.lines[l].is_batch {
            batch_negative(state, l, &negative, &mut budget);
        }
    }
    if by_date.is_empty() {
        state.work.push(budget.report());
        return Ok(());
    }
    let mut refused: BTreeSet<usize> = BTreeSet::new();
    // Two rounds: a settlement explained in the first round takes its charges out of the
    // candidate days of another (a processor payout and a direct ACH batch share ACH days).
    // Settlement lags (business days from receipt to the line) each statement's settlements have
    // shown so far, per method: a batch whose core could be one of several days takes the
    // day its statement's other settlements agree on.
    let mut lags: Lags = BTreeMap::new();
    for _round in 0..2 {
        let mut progress = false;
        // Which statements (accounts, else files: `statement_of`) each offering's money has
        // been matched in so far (exact references, payout reports, refunds), counting one only
        // when it holds at least 2 % of the offering's matches (one stray match does not make a
        // statement the offering's): a settlement line only draws on offerings seen in its own
        // statement (or not seen yet).
        let offering_files = offering_homes(state.matches.iter().filter_map(|(_, l, m)| {
            state.moves[*m]
                .offering_id
                .map(|o| (o, statement_of(state.lines[*l].src)))
        }));
        for l in 0..state.lines.len() {
            // Only lines that say they are settlements (`batch_words`): keeps this pass off the
            // investor wires and bounds its work.
            if state.used[l]
                || state.lines[l].amount <= 0
                || !state.lines[l].is_batch
                || refused.contains(&l)
            {
                continue;
            }
            let sources = Sources {
                by_date: &by_date,
                refunds: &refunds,
                offering_files: &offering_files,
            };
            match batch_line(state, l, &sources, &mut lags, &mut budget)? {
                LineResult::Explained => progress = true,
                LineResult::Open => {}
                LineResult::Refused => {
                    refused.insert(l);
                }
            }
        }
        if !progress {
            break;
        }
    }
    state.work.push(budget.report());
    Ok(())
}

/// Where a positive settlement line's charges come from.
pub(crate) struct Sources<'s> {
    /// Open batched credits by money date.
    by_date: &'s DateIndex,
    /// Open card/ACH refunds by refund date.
    refunds: &'s BTreeMap<NaiveDate, Vec<usize>>,
    /// Offerings' statement files so far (see [`pass_batches`]).
    offering_files: &'s HashMap<i64, BTreeSet<&'s str>>,
}

/// The statement a line belongs to: its account when the file states one, else its file (a
/// statement split into several files is still one account's).
pub(crate) fn statement_of(line: &StatementLine) -> &str {
    line.account.as_deref().unwrap_or(&line.file)
}

/// The statements each offering's money was seen in, from (offering, statement) sightings,
/// counting a statement only when it holds at least 2 % of the offering's sightings (one stray
/// match does not make a statement the offering's). The one rule by which the batch pass and
/// the settlement fit decide which offerings' charges a settlement line may carry.
pub(crate) fn offering_homes<'a>(
    sightings: impl Iterator<Item = (i64, &'a str)>,
) -> HashMap<i64, BTreeSet<&'a str>> {
    let mut counts: HashMap<i64, BTreeMap<&'a str, usize>> = HashMap::default();
    for (o, s) in sightings {
        *counts.entry(o).or_default().entry(s).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(o, files)| {
            let total: usize = files.values().sum();
            let set = files
                .into_iter()
                .filter(|(_, n)| n * 50 >= total)
                .map(|(f, _)| f)
                .collect();
            (o, set)
        })
        .collect()
}

/// Settlement lags seen per (statement, method) (see [`statement_of`]).
pub(crate) type Lags = BTreeMap<(String, Method), BTreeSet<i64>>;

/// Records the lag of each method whose receipt-dated charges in `parts` share one day.
pub(crate) fn learn_lags(state: &State<'_>, l: usize, parts: &[(usize, Cents)], lags: &mut Lags) {
    let ld = state.lines[l].date;
    let mut seen: BTreeMap<Method, BTreeSet<i64>> = BTreeMap::new();
    for &(m, _) in parts {
        let movement = &state.moves[m];
        if movement.kind == MoveKind::Credit && movement.receipt_dated {
            seen.entry(movement.method).or_default().insert(settle_day(
                &state.schedules,
                ld,
                movement,
            ));
        }
    }
    for (method, days) in seen {
        if days.len() == 1 {
            lags.entry((statement_of(state.lines[l].src).to_string(), method))
                .or_default()
                .extend(days);
        }
    }
}

/// The item count a settlement line states (`ACH SETTLEMENT BATCH 186 ITEMS`), if any.
pub(crate) fn stated_items(upper: &str) -> Option<usize> {
    let words: Vec<&str> = upper.split_whitespace().collect();
    words.windows(2).find_map(|w| {
        (w[1] == "ITEMS" || w[1] == "ITEM")
            .then(|| w[0].parse::<usize>().ok())
            .flatten()
            .filter(|n| *n > 0)
    })
}

/// Accepts `parts` (movement, cents) of batch line `l`. With `absorb`, the last part takes
/// whatever remains of the line so its cents are fully attributed.
pub(crate) fn accept_parts(
    state: &mut State<'_>,
    l: usize,
    parts: &[(usize, Cents)],
    rule: &str,
    score: f64,
    absorb: bool,
) -> Cents {
    let line_amount = state.lines[l].amount;
    let mut attributed = 0;
    for (i, &(m, e)) in parts.iter().enumerate() {
        // A settlement that keeps a percentage of its total: each item pays its share.
        let fee = state
            .schedules
            .get(&state.moves[m].method)
            .map_or(0, |s| s.net_of(e) - e);
        let bank = if absorb && i + 1 == parts.len() {
            line_amount - attributed
        } else {
            e + fee
        };
        attributed += bank;
        state.accept(m, l, rule, score, e, bank);
    }
    attributed
}

/// The groups of payment methods a settlement may carry: Stripe's card and ACH together, each
/// alone, crypto alone.
type Group = fn(Method) -> bool;

fn card_or_ach(m: Method) -> bool {
    matches!(m, Method::Card | Method::Ach)
}
fn card_only(m: Method) -> bool {
    m == Method::Card
}
fn ach_only(m: Method) -> bool {
    m == Method::Ach
}
fn crypto_only(m: Method) -> bool {
    m == Method::Crypto
}

/// The method groups a day total is tried for (see [`day_total_hits`]).
const DAY_TOTAL_GROUPS: [Group; 4] = [card_or_ach, card_only, ach_only, crypto_only];

/// One settlement line as the batch steps see it: where its charges may come from.
struct LineScope<'s> {
    /// The line.
    l: usize,
    /// Its booking date.
    date: NaiveDate,
    /// Its cents (positive).
    amount: Cents,
    /// The earliest money date a charge it settles can have.
    earliest: NaiveDate,
    /// Its statement ([`statement_of`]).
    file: &'s str,
    /// Offerings' statement files so far (see [`pass_batches`]).
    offering_files: &'s HashMap<i64, BTreeSet<&'s str>>,
}

impl LineScope<'_> {
    /// Whether movement `m`'s offering may settle into this line's statement: an offering whose
    /// money has so far been seen only in other statements does not.
    fn admits(&self, state: &State<'_>, m: usize) -> bool {
        state.moves[m]
            .offering_id
            .and_then(|o| self.offering_files.get(&o))
            .is_none_or(|fs| fs.contains(self.file))
    }
}

/// The distinct sets of (movement, cents) found to explain a line, each sorted.
#[derive(Default)]
struct Hits(Vec<Vec<(usize, Cents)>>);

impl Hits {
    fn push(&mut self, mut set: Vec<(usize, Cents)>) {
        set.sort_unstable();
        if !set.is_empty() && !self.0.contains(&set) {
            self.0.push(set);
        }
    }
}

/// A line's receipt-dated candidates by settlement day (business days from the charge to the
/// line), with their totals per day and method. Day totals use receipt-dated charges only:
/// another date says nothing about the day a processor settles the charge (those are left to
/// the subset search).
struct ReceiptDays {
    members: BTreeMap<i64, Vec<usize>>,
    totals: BTreeMap<i64, DayTotals>,
}

impl ReceiptDays {
    fn of(state: &State<'_>, line_date: NaiveDate, cands: &[usize]) -> Result<Self, ReconError> {
        let mut members: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        let mut charges: Vec<DayCharge> = Vec::with_capacity(cands.len());
        for &m in cands.iter().filter(|&&m| state.moves[m].receipt_dated) {
            // The day the method's schedule settles it (a receipt after the cutoff, a day later).
            let day = settle_day(&state.schedules, line_date, &state.moves[m]);
            members.entry(day).or_default().push(m);
            charges.push(DayCharge {
                day,
                method: state.moves[m].method,
                expected: state.moves[m].expected,
            });
        }
        // Day totals per method from the frame; a group's members are listed only when its
        // total fits.
        let totals = frames::day_totals(&charges).map_err(frame_err)?;
        Ok(Self { members, totals })
    }

    /// The (movement, expected cents) of `day` whose method is in `group`.
    fn members(&self, state: &State<'_>, day: i64, group: Group) -> Vec<(usize, Cents)> {
        self.members
            .get(&day)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&m| group(state.moves[m].method))
            .map(|m| (m, state.moves[m].expected))
            .collect()
    }

    /// The days holding charges of one method (per `pick`), with that method's total, after a
    /// leading `None` (the method absent from the payout).
    fn days_of(&self, pick: fn(&DayTotals) -> (Cents, usize)) -> Vec<Option<(i64, Cents)>> {
        std::iter::once(None)
            .chain(
                self.totals
                    .iter()
                    .filter(|(_, t)| pick(t).1 > 0)
                    .map(|(d, t)| Some((*d, pick(t).0))),
            )
            .collect()
    }
}

/// The open batched credits inside the line's settlement window that its statement admits.
fn window_candidates(state: &State<'_>, scope: &LineScope<'_>, by_date: &DateIndex) -> Vec<usize> {
    by_date
        .range(scope.earliest, scope.date)
        .iter()
        .map(|&(_, m)| m)
        .filter(|&m| {
            !state.done[m] && scope.admits(state, m) && state.window_ok(m, scope.date).is_some()
        })
        .collect()
}

/// Step A: one business day's total of one method group equals the line (a one-item day total
/// is fine here: the line says it is a settlement).
fn day_total_hits(state: &State<'_>, amount: Cents, days: &ReceiptDays, hits: &mut Hits) {
    for (&day, t) in &days.totals {
        let per_group = [
            (t.card.0 + t.ach.0, t.card.1 + t.ach.1),
            t.card,
            t.ach,
            t.crypto,
        ];
        for (k, (g, (sum, n))) in DAY_TOTAL_GROUPS.iter().zip(per_group).enumerate() {
            // Crypto settlements may keep a percentage of their total (the schedule's fee).
            let (paid, slack) = if k == 3 {
                settled(state, Method::Crypto, sum)
            } else {
                (sum, 0)
            };
            if n == 0 || (paid - amount).abs() > state.tol.batch_abs_cents + slack {
                continue;
            }
            hits.push(days.members(state, day, *g));
        }
    }
}

/// The open card/ACH refunds made on the line's own business day, at their gross (the
/// processor nets them inside that day's payout).
fn same_day_refunds(
    state: &State<'_>,
    scope: &LineScope<'_>,
    refunds: &BTreeMap<NaiveDate, Vec<usize>>,
) -> Vec<(usize, Cents)> {
    let ld = scope.date;
    refunds
        .range(ld - Duration::days(3)..=ld)
        .flat_map(|(_, ms)| ms.iter().copied())
        .filter(|&m| {
            !state.done[m]
                && scope.admits(state, m)
                && weekdays_between(state.moves[m].date, ld) == 0
        })
        .map(|m| (m, state.moves[m].alt.unwrap_or(state.moves[m].expected)))
        .collect()
}

/// Step A2: a processor payout settles card and ACH charges with different lags (card T+2, ACH
/// T+4) and nets the refunds made on its own day: one card day + one ACH day (either may be
/// absent) − that day's card/ACH refunds (the gross goes back to the payer).
fn payout_day_hits(
    state: &State<'_>,
    amount: Cents,
    days: &ReceiptDays,
    refund_parts: &[(usize, Cents)],
    hits: &mut Hits,
) -> u64 {
    let refund_total: Cents = refund_parts.iter().map(|p| p.1).sum();
    let card_days = days.days_of(|t| t.card);
    let ach_days = days.days_of(|t| t.ach);
    let refund_options: &[bool] = if refund_parts.is_empty() {
        &[false]
    } else {
        &[false, true]
    };
    for cd in &card_days {
        for ad in &ach_days {
            if cd.is_none() && ad.is_none() {
                continue;
            }
            for &with_refunds in refund_options {
                let sum = cd.map_or(0, |x| x.1)
                    + ad.map_or(0, |x| x.1)
                    + if with_refunds { refund_total } else { 0 };
                // With the day's refunds, one item may belong elsewhere (a refund with its own
                // debit line not found yet, a charge settled in another payout): the difference
                // must then be exactly one item's cents, and only one item's.
                let mut left_out: Option<usize> = None;
                if (sum - amount).abs() > state.tol.batch_abs_cents {
                    if !with_refunds || state.tol.batch_abs_cents != 0 {
                        continue;
                    }
                    match single_item_of(state, sum - amount, days, *cd, *ad, refund_parts) {
                        Some(m) => left_out = Some(m),
                        None => continue,
                    }
                }
                let mut set: Vec<(usize, Cents)> = Vec::new();
                if let Some((d, _)) = cd {
                    set.extend(days.members(state, *d, card_only));
                }
                if let Some((d, _)) = ad {
                    set.extend(days.members(state, *d, ach_only));
                }
                if with_refunds {
                    set.extend(refund_parts.iter().copied());
                }
                set.retain(|p| Some(p.0) != left_out);
                hits.push(set);
            }
        }
    }
    (card_days.len() * ach_days.len() * refund_options.len()) as u64
}

/// The one item (a refund of the day, a charge of the card or ACH day) whose cents are exactly
/// `difference`; none when no item or several have them.
fn single_item_of(
    state: &State<'_>,
    difference: Cents,
    days: &ReceiptDays,
    card_day: Option<(i64, Cents)>,
    ach_day: Option<(i64, Cents)>,
    refund_parts: &[(usize, Cents)],
) -> Option<usize> {
    let mut hit = refund_parts
        .iter()
        .map(|p| p.0)
        .chain(
            card_day
                .iter()
                .flat_map(|(d, _)| days.members(state, *d, card_only))
                .map(|p| p.0),
        )
        .chain(
            ach_day
                .iter()
                .flat_map(|(d, _)| days.members(state, *d, ach_only))
                .map(|p| p.0),
        )
        .filter(|&m| {
            let movement = &state.moves[m];
            let c = if movement.kind == MoveKind::Refund {
                movement.alt.unwrap_or(movement.expected)
            } else {
                movement.expected
            };
            c == difference
        });
    match (hit.next(), hit.next()) {
        (Some(m), None) => Some(m),
        _ => None,
    }
}

/// What step B (the subset search) made of a line.
enum SubsetStep {
    /// Exactly one combination: accepted.
    Accepted,
    /// No proven answer; the exception the line gets if nothing else explains it.
    Open(Option<(ExceptionCode, String)>),
}

/// Step B: a bounded subset-sum per method group (Stripe methods together; crypto alone) that
/// must prove exactly one combination.
fn subset_step(
    state: &mut State<'_>,
    l: usize,
    cands: &[usize],
    lags: &mut Lags,
    work: &mut LineWork,
) -> SubsetStep {
    let amount = state.lines[l].amount;
    let mut hint: Option<(ExceptionCode, String)> = None;
    // A crypto settlement may carry one transfer (a card/ACH payout of one charge is left to
    // the other passes): the smallest combination tried.
    for (g, min_items) in [(card_or_ach as Group, 2), (crypto_only, 1)] {
        let set: Vec<usize> = cands
            .iter()
            .copied()
            .filter(|&m| g(state.moves[m].method))
            .collect();
        if set.len() < min_items {
            continue;
        }
        if set.len() > state.tol.subset_sum_max_candidates {
            hint = Some((
                ExceptionCode::UnmatchedCredit,
                format!(
                    "Looks like a batch settlement but {} candidate investments are in its window (limit {}); supply the processor payout report.",
                    set.len(),
                    state.tol.subset_sum_max_candidates
                ),
            ));
            continue;
        }
        let amounts: Vec<Cents> = set.iter().map(|&m| state.moves[m].expected).collect();
        // A crypto settlement that keeps a percentage: the items add up to the gross it was cut
        // from (±1 cent of rounding).
        let (target, slack) = if min_items == 1 {
            gross_of(state, Method::Crypto, amount)
        } else {
            (amount, 0)
        };
        let (found, nodes) = subset::find_unique_counted(
            &amounts,
            target,
            state.tol.batch_abs_cents + slack,
            min_items,
            work.search_budget(state.tol.subset_sum_budget),
        );
        work.spent += nodes;
        match found {
            Subset::Unique(ix) => {
                let parts: Vec<(usize, Cents)> = ix
                    .iter()
                    .map(|&i| (set[i], state.moves[set[i]].expected))
                    .collect();
                learn_lags(state, l, &parts, lags);
                accept_parts(state, l, &parts, "batch_subset_sum", 0.8, true);
                return SubsetStep::Accepted;
            }
            Subset::Multiple => {
                hint = Some((ExceptionCode::AmbiguousMatch, "Batch settlement: several combinations of investments add up to this amount; supply the processor payout report or assign by hand.".into()));
            }
            Subset::GaveUp => {
                hint = Some((
                    ExceptionCode::UnmatchedCredit,
                    format!(
                        "Batch settlement: search budget exhausted after {nodes} candidate sets without a proven answer; not matched — supply the processor payout report."
                    ),
                ));
            }
            Subset::NotFound => {}
        }
    }
    SubsetStep::Open(hint)
}

/// The core of a settlement that states its item count (see [`stated_count_step`]).
struct StatedCore {
    method: Method,
    members: Vec<usize>,
    sum: Cents,
}

/// The one (method, day) of receipt-dated charges that is most of a settlement stating
/// `n_items` (fewer items, less money), agreeing with the lags this statement's settlements have
/// shown; none when no such day or several fit.
fn stated_core(
    state: &State<'_>,
    scope: &LineScope<'_>,
    days: &ReceiptDays,
    n_items: usize,
    lags: &Lags,
) -> Option<StatedCore> {
    let mut cores: Vec<(Method, i64, Vec<usize>, Cents)> = Vec::new();
    for (&day, ms) in &days.members {
        for method in [Method::Ach, Method::Card, Method::Crypto] {
            let f: Vec<usize> = ms
                .iter()
                .copied()
                .filter(|&m| state.moves[m].method == method && state.moves[m].receipt_dated)
                .collect();
            let sum: Cents = f.iter().map(|&m| state.moves[m].expected).sum();
            if !f.is_empty() && f.len() < n_items && 2 * f.len() >= n_items && sum < scope.amount {
                cores.push((method, day, f, sum));
            }
        }
    }
    // Where this statement's settlements have shown their lag, the core must agree with it.
    let file = scope.file.to_string();
    cores.retain(|(method, day, _, _)| {
        lags.get(&(file.clone(), *method))
            .is_none_or(|d| d.contains(day))
    });
    if cores.len() != 1 {
        return None;
    }
    let (method, _, members, sum) = cores.remove(0);
    Some(StatedCore {
        method,
        members,
        sum,
    })
}

/// The `k` charges without a receipt date (of the core's method, in the line's window) whose
/// cents are exactly `rest`, by a bounded subset-sum that must find one combination; empty
/// otherwise.
fn missing_items(
    state: &State<'_>,
    scope: &LineScope<'_>,
    by_date: &DateIndex,
    method: Method,
    (k, rest): (usize, Cents),
    work: &mut LineWork,
) -> Vec<usize> {
    let window = by_date.range(scope.earliest, scope.date);
    if !work.afford(window.len() as u64) {
        return Vec::new();
    }
    let pool: Vec<usize> = window
        .iter()
        .map(|&(_, m)| m)
        .filter(|&m| {
            let movement = &state.moves[m];
            !state.done[m]
                && !movement.receipt_dated
                && movement.method == method
                && scope.admits(state, m)
        })
        .collect();
    if pool.len() < k || pool.len() > state.tol.subset_sum_max_candidates {
        return Vec::new();
    }
    let amounts: Vec<Cents> = pool.iter().map(|&m| state.moves[m].expected).collect();
    let (found, nodes) = subset::find_unique_counted(
        &amounts,
        rest,
        state.tol.batch_abs_cents,
        1,
        work.search_budget(state.tol.subset_sum_budget),
    );
    work.spent += nodes;
    match found {
        Subset::Unique(ix) if ix.len() == k => ix.iter().map(|&i| pool[i]).collect(),
        _ => Vec::new(),
    }
}

/// Step C: a batch that states its item count (`ACH SETTLEMENT BATCH 186 ITEMS`) and whose
/// receipt-dated charges of one method and one day are most of it (fewer items, less money):
/// those charges are its core. The rest are credits whose settlement day their date cannot
/// give (a failed ACH dated by `processed_at` is still swept before it is returned): a bounded
/// subset-sum over them with exactly the missing count, else the rest of the line is an
/// exception. Accepted only when exactly one (method, day) core fits; returns whether it was.
fn stated_count_step(
    state: &mut State<'_>,
    scope: &LineScope<'_>,
    days: &ReceiptDays,
    by_date: &DateIndex,
    lags: &mut Lags,
    work: &mut LineWork,
) -> bool {
    let l = scope.l;
    let Some(n_items) = stated_items(&state.lines[l].upper) else {
        return false;
    };
    let Some(core) = stated_core(state, scope, days, n_items, lags) else {
        return false;
    };
    let k = n_items - core.members.len();
    let rest = scope.amount - core.sum;
    let extra = missing_items(state, scope, by_date, core.method, (k, rest), work);
    let mut parts: Vec<(usize, Cents)> = core
        .members
        .iter()
        .chain(&extra)
        .map(|&m| (m, state.moves[m].expected))
        .collect();
    parts.sort_unstable();
    learn_lags(state, l, &parts, lags);
    if !extra.is_empty() {
        accept_parts(state, l, &parts, "batch_subset_sum", 0.8, true);
        return true;
    }
    let rest = scope.amount - accept_parts(state, l, &parts, "batch_partial", 0.8, false);
    let lbl_date = state.moves[core.members[0]].date;
    state.line_exception(
        ExceptionCode::UnmatchedCredit,
        l,
        rest,
        None,
        None,
        format!(
            "Settlement of {n_items} items: the {} {} charges dated {lbl_date} explain {}; the other {k} items ({}) are not identified (charges without a receipt date, e.g. failed ACH debits later returned) — get the batch detail from the bank or processor.",
            core.members.len(),
            core.method.label(),
            money(scope.amount - rest),
            money(rest)
        ),
    );
    true
}

/// The steps one line has taken against its share of the budget.
pub(crate) struct LineWork {
    pub(crate) share: u64,
    pub(crate) spent: u64,
}

impl LineWork {
    /// The nodes a subset search may visit: the tolerances' limit, within what is left of the
    /// share.
    pub(crate) fn search_budget(&self, limit: u64) -> u64 {
        limit.min(self.share.saturating_sub(self.spent))
    }

    /// Counts `steps` when the share still covers them.
    pub(crate) fn afford(&mut self, steps: u64) -> bool {
        let ok = self.spent + steps <= self.share;
        if ok {
            self.spent += steps;
        }
        ok
    }
}

/// One positive settlement line of pass 4. The steps, in order: day totals (A), payout days net
/// of the day's refunds (A2) — accepted when exactly one set fits —, the subset search (B), the
/// stated item count (C); a line none of them explains keeps the hint of B for
/// classification. A line whose window holds more open charges than its share of the budget is
/// not searched: its hint says so.
pub(crate) fn batch_line(
    state: &mut State<'_>,
    l: usize,
    sources: &Sources<'_>,
    lags: &mut Lags,
    budget: &mut Budget,
) -> Result<LineResult, ReconError> {
    let max_lag = [&state.tol.card, &state.tol.ach, &state.tol.crypto]
        .iter()
        .map(|t| t.window_max_days)
        .max()
        .unwrap_or(5);
    let src = state.lines[l].src;
    let scope = LineScope {
        l,
        date: state.lines[l].date,
        amount: state.lines[l].amount,
        earliest: state.lines[l].date - Duration::days(max_lag * 2 + 4),
        file: statement_of(src),
        offering_files: sources.offering_files,
    };
    let mut work = LineWork {
        share: budget.share(),
        spent: 0,
    };
    let window = sources.by_date.range(scope.earliest, scope.date).len() as u64;
    if !work.afford(window) {
        budget.refuse(work.spent);
        refuse(state, l, "Batch settlement", window, work.share);
        return Ok(LineResult::Refused);
    }
    let result = batch_line_steps(state, &scope, sources, lags, &mut work);
    budget.spend(work.spent);
    result
}

/// The line's hint when its search was refused for want of budget.
pub(crate) fn refuse(state: &mut State<'_>, l: usize, what: &str, needed: u64, share: u64) {
    if !state.used[l] {
        let code = if state.lines[l].amount < 0 {
            ExceptionCode::UnmatchedDebit
        } else {
            ExceptionCode::UnmatchedCredit
        };
        state.batch_hint[l] = Some((code, exhausted_detail(what, needed, share)));
    }
}

/// The steps of [`batch_line`] once the line's window is paid for.
fn batch_line_steps(
    state: &mut State<'_>,
    scope: &LineScope<'_>,
    sources: &Sources<'_>,
    lags: &mut Lags,
    work: &mut LineWork,
) -> Result<LineResult, ReconError> {
    let l = scope.l;
    let cands = window_candidates(state, scope, sources.by_date);
    if cands.is_empty() {
        return Ok(LineResult::Open);
    }
    let days = ReceiptDays::of(state, scope.date, &cands)?;
    let mut hits = Hits::default();
    day_total_hits(state, scope.amount, &days, &mut hits);
    let refund_parts = same_day_refunds(state, scope, sources.refunds);
    work.spent += refund_parts.len() as u64;
    work.spent += payout_day_hits(state, scope.amount, &days, &refund_parts, &mut hits);
    tracing::debug!(
        line = %state.lines[l].label(),
        amount = scope.amount,
        candidates = cands.len(),
        refunds = refund_parts.len(),
        refund_total = refund_parts.iter().map(|p| p.1).sum::<Cents>(),
        hits = hits.0.len(),
        days = ?days.totals.iter().map(|(d, t)| (*d, t.card, t.ach)).collect::<Vec<_>>(),
        "engine: batch line"
    );
    if hits.0.len() == 1 {
        let set = hits.0.remove(0);
        learn_lags(state, l, &set, lags);
        accept_parts(state, l, &set, "batch_day_total", 0.95, true);
        return Ok(LineResult::Explained);
    }
    let hint = match subset_step(state, l, &cands, lags, work) {
        SubsetStep::Accepted => return Ok(LineResult::Explained),
        SubsetStep::Open(hint) => hint,
    };
    if stated_count_step(state, scope, &days, sources.by_date, lags, work) {
        return Ok(LineResult::Explained);
    }
    if !state.used[l] {
        state.batch_hint[l] = hint;
    }
    Ok(LineResult::Open)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stated_item_counts() {
        assert_eq!(
            stated_items("ACH SETTLEMENT BATCH 186 ITEMS CO ID:9110394857"),
            Some(186)
        );
        assert_eq!(stated_items("USDC SETTLEMENT X 1 ITEM"), Some(1));
        assert_eq!(stated_items("STRIPE TRANSFER"), None);
        assert_eq!(stated_items("0 ITEMS"), None);
    }
}
