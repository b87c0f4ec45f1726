//! The settlement schedule of the batched methods (card/ACH payouts, direct ACH batches, crypto
//! settlements), fitted on the settlement lines themselves.
//!
//! A processor settles a day's receipts together some business days later; a receipt after its
//! daily cutoff waits one more day. Neither the lag nor the cutoff is in the Issuer API, and a
//! crypto processor may keep a percentage of each settlement's *total* (not of each transfer).
//! At scale a settlement holds thousands of items: no one item's figure says anything (every
//! figure is on some line), only the totals do. So, per method:
//!
//! 1. the open receipt-dated credits are bucketed by (business days before each settlement
//!    line, hour of receipt) — one pass over each line's window;
//! 2. every hypothesis — a cutoff hour (or none), a gross reading (crypto: each reading of the
//!    API's figures; card/ACH: the money model's figure), and the lag the line shows — gives
//!    that line a day total; a hypothesis *explains* the line when the total is the line to the
//!    cent (crypto: less a whole number of basis points of the total, ±1 cent of rounding);
//! 3. each (cutoff, reading, percentage, lag) collects the lines it explains; the most wins if
//!    it explains at least [`MIN_LINES`] lines and at least twice as many as any hypothesis
//!    with another reading, percentage or lag (a small day total matches one of a few hundred
//!    hypotheses by chance). Cutoffs that explain the same lines are one answer (another
//!    method's fitted cutoff among them, else the middle one, is named with the others); no
//!    cutoff wins ties.
//!
//! A method without enough lines of its own (a direct ACH batch carries failed debits nobody can
//! date, so its total never closes) borrows the cutoff fitted on another batched method when
//! that cutoff makes at least as many of its stated-count batches consistent (fewer receipt-dated
//! items than stated, less money) as no cutoff does — and says so. The model is plain data
//! ([`SettlementModel`]) in the money model, the summary and `manifest.json`; the batch pass
//! groups charges by the day the schedule settles them.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use tieout_domain::calendar::weekdays_between;
use tieout_domain::{Book, Cents};

use super::fees::percent_of;
use super::{Basis, Figures, Formula, MAX_FEE_BPS, MoneyModel, exact_formulas};
use crate::engine::ReconError;
use crate::engine::expected::{Method, MoveKind, Movement};
use crate::engine::line::Line;
use crate::engine::passes::batches::{offering_homes, statement_of};

/// Fewest settlement lines a schedule must explain to be taken.
pub const MIN_LINES: usize = 2;

/// Most settlement lines the fit reads (an even sample beyond).
const MAX_FIT_LINES: usize = 1_000;

/// Business days before a settlement line that its charges are looked for.
const MAX_LAG: usize = 8;

/// How a batched method settles, as the batch pass uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Schedule {
    /// A receipt at or after this minute of the UTC day settles one business day later.
    pub cutoff_minute: Option<u16>,
    /// Basis points a settlement keeps of its total.
    pub fee_bps: u32,
}

/// Each batched method's schedule (methods without one settle by receipt day, gross).
pub(crate) type Schedules = BTreeMap<Method, Schedule>;

impl Schedule {
    /// What a settlement of charges totalling `gross` pays.
    pub(crate) fn net_of(&self, gross: Cents) -> Cents {
        gross - percent_of(gross, i64::from(self.fee_bps))
    }
}

/// The settlement day of movement `m` relative to `line_date`, in business days (negative:
/// before the line), under its method's schedule.
pub(crate) fn settle_day(schedules: &Schedules, line_date: NaiveDate, m: &Movement) -> i64 {
    let day = weekdays_between(line_date, m.date);
    let late = schedules
        .get(&m.method)
        .and_then(|s| s.cutoff_minute)
        .zip(m.receipt_minute)
        .is_some_and(|(cut, at)| at >= cut);
    day + i64::from(late)
}

/// A batched method's fitted settlement schedule, as stated in the summary and the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementModel {
    /// `card`, `ach`, `crypto`.
    pub method: String,
    /// Receipts at or after this UTC time (`HH:MM`) settle one business day later.
    pub cutoff: Option<String>,
    /// Other cutoffs that explain the same lines (the data cannot tell them apart).
    pub cutoff_ties: Vec<String>,
    /// Basis points each settlement keeps of its total.
    pub fee_bps: u32,
    /// The figure summed per charge, when fitted here (crypto).
    pub gross: Option<String>,
    /// `fitted` (on this method's settlement lines) or `borrowed` (another method's cutoff).
    pub basis: String,
    /// Settlement lines explained to the cent.
    pub explained: usize,
    /// Settlement lines tried (positive lines that say they are settlements).
    pub lines: usize,
    /// One sentence for the reader.
    pub note: String,
}

impl SettlementModel {
    /// One line for the run summary.
    pub fn line(&self) -> String {
        let cutoff = self
            .cutoff
            .as_ref()
            .map_or("no cutoff".to_string(), |c| format!("cutoff {c} UTC"));
        let fee = if self.fee_bps > 0 {
            format!(
                ", less {}.{:02} % of each settlement",
                self.fee_bps / 100,
                self.fee_bps % 100
            )
        } else {
            String::new()
        };
        format!(
            "{} settlements: {cutoff}{fee} ({}; explains {} of {} settlement lines)",
            self.method, self.basis, self.explained, self.lines
        )
    }
}

/// One hypothesis: cutoff hour (0: none), reading index, basis points, business days back.
type Hypo = (u8, usize, u32, usize);

/// Per line, per (business days back, hour): count and per-reading sums.
struct Buckets {
    count: Vec<[u32; 24]>,
    sums: Vec<Vec<[Cents; 24]>>,
}

fn hour_of(m: &Movement) -> usize {
    m.receipt_minute.map_or(0, |x| usize::from(x / 60).min(23))
}

/// The day total of (days back `k`, cutoff hour `c`) from buckets: receipts of day `k` before
/// the cutoff and of day `k + 1` at or after it (`c == 0`: all of day `k`).
fn total(b: &[[Cents; 24]], k: usize, c: usize) -> Cents {
    if c == 0 {
        return b[k].iter().sum();
    }
    b[k][..c].iter().sum::<Cents>() + b[k + 1][c..].iter().sum::<Cents>()
}

fn count(b: &[[u32; 24]], k: usize, c: usize) -> u32 {
    if c == 0 {
        return b[k].iter().sum();
    }
    b[k][..c].iter().sum::<u32>() + b[k + 1][c..].iter().sum::<u32>()
}

/// The whole basis points (±1 cent of rounding) that take `total` to `line`, if any.
fn fee_explaining(total: Cents, line: Cents, with_fee: bool) -> Option<u32> {
    if total == line {
        return Some(0);
    }
    if !with_fee || total <= line || (total - line) * 10_000 > MAX_FEE_BPS * total {
        return None;
    }
    let guess = ((total - line) * 10_000 + total / 2) / total;
    (guess.max(1) - 1..=guess + 1)
        .find(|&bps| (total - percent_of(total, bps) - line).abs() <= 1)
        .map(|b| b as u32)
}

/// The sentence stating a cutoff and the cutoffs that explain the same lines.
fn cutoff_note(cutoff: Option<&str>, ties: &[String]) -> String {
    match cutoff {
        Some(c) if ties.is_empty() => {
            format!("receipts at or after {c} UTC settle one business day later")
        }
        Some(c) => format!(
            "receipts at or after {c} UTC settle one business day later (the lines cannot tell it from {})",
            ties.join(", ")
        ),
        None => "each day's receipts settle together".to_string(),
    }
}

/// What one method's fit found.
struct MethodResult {
    schedule: Schedule,
    model: SettlementModel,
    /// The reading to set crypto movements to (gross, no per-item fee).
    reading: Option<Formula>,
}

/// Fits every batched method's schedule (see the module documentation) and, for crypto when its
/// settlements keep a percentage of their total, resets its movements to the gross figure the
/// settlements sum. `pinned` methods keep their formula (their schedule is still fitted).
pub(crate) fn fit_settlements(
    book: &Book,
    lines: &[Line<'_>],
    moves: &mut [Movement],
    cands: &[Vec<usize>],
    model: &mut MoneyModel,
    pinned: impl Fn(Method) -> bool,
) -> Result<Schedules, ReconError> {
    let mut settle_lines: Vec<usize> = (0..lines.len())
        .filter(|&l| lines[l].is_batch && lines[l].amount > 0)
        .collect();
    // The fit's work is the lines it reads times the charges in their windows: a statement of
    // very many settlement-worded lines is read at an even stride (lines are in canonical
    // order, so the sample does not depend on the files' order).
    if settle_lines.len() > MAX_FIT_LINES {
        let stride = settle_lines.len().div_ceil(MAX_FIT_LINES);
        settle_lines = settle_lines.into_iter().step_by(stride).collect();
    }
    let mut schedules = Schedules::new();
    if settle_lines.is_empty() {
        return Ok(schedules);
    }
    let homes = Homes::new(lines, &settle_lines, moves, cands);
    let mut results: BTreeMap<Method, MethodResult> = BTreeMap::new();
    let mut stated: BTreeMap<Method, Vec<(usize, u32)>> = BTreeMap::new();
    for method in [Method::Card, Method::Ach, Method::Crypto] {
        let items: Vec<usize> = (0..moves.len())
            .filter(|&m| {
                let mv = &moves[m];
                mv.method == method
                    && mv.kind == MoveKind::Credit
                    && mv.receipt_dated
                    && mv.receipt_minute.is_some()
                    && !mv.is_shadow()
                    && mv.expected > 0
            })
            .collect();
        if items.is_empty() {
            continue;
        }
        // Readings: crypto tries every gross figure of the API (its lines carry no key; the
        // per-item fit cannot see a percentage of a total); card/ACH sum the money model's.
        let refit = method == Method::Crypto && !pinned(method);
        let formulas: Vec<Formula> = if refit {
            exact_formulas()
                .filter(|f| !f.less_processing_fees)
                .collect()
        } else {
            Vec::new()
        };
        let mut values: Vec<Vec<Cents>> =
            vec![Vec::with_capacity(items.len()); formulas.len().max(1)];
        for &m in &items {
            let mv = &moves[m];
            if formulas.is_empty() {
                values[0].push(mv.expected);
                continue;
            }
            let f = match mv.book_index.and_then(|i| book.investments.get(i)) {
                Some(inv) => Some(Figures::of(inv)?),
                None => None,
            };
            for (r, formula) in formulas.iter().enumerate() {
                let v = f
                    .as_ref()
                    .and_then(|f| formula.cents(f))
                    .unwrap_or(mv.expected);
                values[r].push(v);
            }
        }
        // Readings with the same figure on every item are one.
        let mut readings: Vec<usize> = Vec::new();
        for r in 0..values.len() {
            if !readings.iter().any(|&q| values[q] == values[r]) {
                readings.push(r);
            }
        }
        // Cutoffs strictly inside the receipt hours: one at or before the earliest hour moves
        // every receipt a day (the same sets as no cutoff a day further back), one after the
        // latest moves none.
        let hours = items.iter().map(|&m| hour_of(&moves[m]));
        let (lo, hi) = (hours.clone().min().unwrap_or(0), hours.max().unwrap_or(0));
        let cutoffs = (lo + 1)..(hi + 1);
        let masks: Vec<u64> = items.iter().map(|&m| homes.mask(&moves[m])).collect();
        let mut by_date: BTreeMap<NaiveDate, Vec<usize>> = BTreeMap::new();
        for (i, &m) in items.iter().enumerate() {
            by_date.entry(moves[m].date).or_default().push(i);
        }
        let mut votes: BTreeMap<Hypo, usize> = BTreeMap::new();
        let mut line_stated: Vec<(usize, u32)> = Vec::new();
        for &l in &settle_lines {
            let line = &lines[l];
            let mut b = Buckets {
                count: vec![[0; 24]; MAX_LAG + 2],
                sums: vec![vec![[0; 24]; MAX_LAG + 2]; values.len()],
            };
            let from = line.date - Duration::days(2 * MAX_LAG as i64 + 4);
            let bit = homes.bit(line);
            for (_, ix) in by_date.range(from..=line.date) {
                for &i in ix {
                    if masks[i] & bit == 0 {
                        continue;
                    }
                    let mv = &moves[items[i]];
                    let k = -weekdays_between(line.date, mv.date);
                    if !(0..=(MAX_LAG as i64 + 1)).contains(&k) {
                        continue;
                    }
                    let (k, h) = (k as usize, hour_of(mv));
                    b.count[k][h] += 1;
                    for &r in &readings {
                        b.sums[r][k][h] += values[r][i];
                    }
                }
            }
            let mut mine: Vec<Hypo> = Vec::new();
            for c in std::iter::once(0).chain(cutoffs.clone()) {
                for k in 0..=MAX_LAG {
                    if count(&b.count, k, c) == 0 {
                        continue;
                    }
                    for &r in &readings {
                        let t = total(&b.sums[r], k, c);
                        if let Some(bps) = fee_explaining(t, line.amount, refit) {
                            mine.push((c as u8, r, bps, k));
                        }
                    }
                }
            }
            mine.sort_unstable();
            mine.dedup();
            if !mine.is_empty() {
                tracing::debug!(
                    method = method.label(),
                    line = %line.label(),
                    amount = line.amount,
                    hypotheses = ?mine,
                    "engine: settlement line explained"
                );
            }
            for h in mine {
                *votes.entry(h).or_default() += 1;
            }
            if let Some(n) = crate::engine::passes::batches::stated_items(&line.upper) {
                line_stated.push((l, n as u32));
            }
        }
        stated.insert(method, line_stated);
        let Some(best) = votes.values().copied().max() else {
            continue;
        };
        let top: Vec<Hypo> = votes
            .iter()
            .filter(|(_, v)| **v == best)
            .map(|(h, _)| *h)
            .collect();
        // One answer: every top hypothesis has the same reading, percentage and lag (cutoffs
        // that explain the same lines are one answer; no cutoff wins a tie with a cutoff), and
        // it explains at least twice the lines of any other answer: with a few hundred
        // hypotheses per line, a small day total matches some of them by chance.
        let (_, r0, bps0, k0) = top[0];
        let same = |&(_, r, b, k): &Hypo| r == r0 && b == bps0 && k == k0;
        let one = top.iter().all(same);
        let runner_up = votes
            .iter()
            .filter(|(h, _)| !same(h))
            .map(|(_, v)| *v)
            .max()
            .unwrap_or(0);
        if best < MIN_LINES || !one || best < 2 * runner_up {
            tracing::debug!(
                method = method.label(),
                best,
                runner_up,
                one,
                "engine: no settlement schedule"
            );
            continue;
        }
        let cutoffs: Vec<u8> = top.iter().map(|h| h.0).collect();
        // Cutoffs that explain the same lines differ only on receipts between them: another
        // method's fitted cutoff among them is taken (one processor day for the platform), else
        // the middle one.
        let cutoff = if cutoffs.contains(&0) {
            None
        } else {
            let other = results
                .values()
                .filter_map(|r: &MethodResult| r.schedule.cutoff_minute)
                .map(|m| (m / 60) as u8)
                .find(|c| cutoffs.contains(c));
            other.or_else(|| cutoffs.get(cutoffs.len() / 2).copied())
        };
        let hhmm = |c: u8| format!("{c:02}:00");
        let ties: Vec<String> = cutoffs
            .iter()
            .filter(|&&c| Some(c) != cutoff && cutoff.is_some())
            .map(|&c| hhmm(c))
            .collect();
        let reading = refit.then(|| formulas[r0]);
        let note = cutoff_note(cutoff.map(hhmm).as_deref(), &ties);
        results.insert(
            method,
            MethodResult {
                schedule: Schedule {
                    cutoff_minute: cutoff.map(|c| u16::from(c) * 60),
                    fee_bps: bps0,
                },
                model: SettlementModel {
                    method: method.label().to_string(),
                    cutoff: cutoff.map(hhmm),
                    cutoff_ties: ties,
                    fee_bps: bps0,
                    gross: reading.map(|f| f.describe()),
                    basis: "fitted".into(),
                    explained: best,
                    lines: settle_lines.len(),
                    note,
                },
                reading,
            },
        );
    }
    // A cutoff the lines cannot tell from others is the one another method fitted without a tie,
    // when that one is among them (one processor day for the platform).
    let firm: Vec<String> = results
        .values()
        .filter(|r| r.model.cutoff_ties.is_empty())
        .filter_map(|r| r.model.cutoff.clone())
        .collect();
    for r in results.values_mut() {
        let Some(current) = r.model.cutoff.clone() else {
            continue;
        };
        let Some(pick) = firm.iter().find(|c| r.model.cutoff_ties.contains(c)) else {
            continue;
        };
        let mut ties: Vec<String> = r.model.cutoff_ties.clone();
        ties.retain(|c| c != pick);
        ties.push(current);
        ties.sort();
        let hour: u16 = pick[..2].parse().unwrap_or(0);
        r.schedule.cutoff_minute = Some(hour * 60);
        r.model.cutoff = Some(pick.clone());
        r.model.note = cutoff_note(Some(pick), &ties);
        r.model.cutoff_ties = ties;
    }
    // A method with stated-count batches and no fit of its own may borrow a fitted cutoff.
    let fitted: Vec<(Method, Schedule)> = results
        .iter()
        .filter(|(_, r)| r.schedule.cutoff_minute.is_some())
        .map(|(m, r)| (*m, r.schedule))
        .collect();
    for method in [Method::Ach, Method::Card] {
        if results.contains_key(&method) {
            continue;
        }
        let Some(st) = stated.get(&method).filter(|s| !s.is_empty()) else {
            continue;
        };
        for &(from, sched) in &fitted {
            let consistent =
                |cutoff: Option<u16>| consistent_lines(lines, moves, method, st, cutoff, &homes);
            let with = consistent(sched.cutoff_minute);
            let without = consistent(None);
            if with > without {
                let cutoff = sched.cutoff_minute.map(|m| format!("{:02}:00", m / 60));
                results.insert(
                    method,
                    MethodResult {
                        schedule: Schedule {
                            cutoff_minute: sched.cutoff_minute,
                            fee_bps: 0,
                        },
                        model: SettlementModel {
                            method: method.label().to_string(),
                            cutoff,
                            cutoff_ties: Vec::new(),
                            fee_bps: 0,
                            gross: None,
                            basis: format!("borrowed from {}", from.label()),
                            explained: 0,
                            lines: settle_lines.len(),
                            note: format!(
                                "no {0} settlement closes to the cent (its batches carry items no date places); {1}'s cutoff makes {with} of {2} stated-count batches consistent, no cutoff {without}",
                                method.label(),
                                from.label(),
                                st.len()
                            ),
                        },
                        reading: None,
                    },
                );
                break;
            }
        }
    }
    for (method, r) in results {
        if let Some(formula) = r.reading {
            for mv in moves.iter_mut() {
                if mv.method != method || mv.kind != MoveKind::Credit {
                    continue;
                }
                let Some(inv) = mv.book_index.and_then(|i| book.investments.get(i)) else {
                    continue;
                };
                if let Some(v) = formula.cents(&Figures::of(inv)?) {
                    mv.expected = v;
                    mv.alt = None;
                }
            }
            if let Some(mm) = model
                .methods
                .iter_mut()
                .find(|mm| mm.method == method.label())
            {
                mm.formula = formula;
                mm.formula_text = formula.describe();
                mm.basis = Basis::FittedSettlements;
                mm.explained = r.model.explained;
                mm.keyed = r.model.lines;
                mm.ties = Vec::new();
                mm.note = format!("per transfer, summed by settlement: {}", r.model.line());
            }
        }
        schedules.insert(method, r.schedule);
        model.settlements.push(r.model);
    }
    Ok(schedules)
}

/// Which offerings' charges a settlement line may sum, as bit masks over the settlement lines'
/// statements (the first 64; a line of a later statement admits every charge).
struct Homes<'a> {
    statements: Vec<&'a str>,
    masks: BTreeMap<i64, u64>,
}

impl<'a> Homes<'a> {
    fn new(
        lines: &'a [Line<'_>],
        settle_lines: &[usize],
        moves: &[Movement],
        cands: &[Vec<usize>],
    ) -> Self {
        let mut statements: Vec<&'a str> = settle_lines
            .iter()
            .map(|&l| statement_of(lines[l].src))
            .collect();
        statements.sort_unstable();
        statements.dedup();
        // The statements each offering's keyed lines are in (see [`offering_homes`]).
        let keyed = cands
            .iter()
            .enumerate()
            .filter_map(|(l, c)| match c.as_slice() {
                [m] => moves[*m]
                    .offering_id
                    .map(|o| (o, statement_of(lines[l].src))),
                _ => None,
            });
        let masks = offering_homes(keyed)
            .into_iter()
            .map(|(o, set)| {
                let mask = statements
                    .iter()
                    .enumerate()
                    .filter(|(i, s)| *i >= 64 || set.contains(*s))
                    .fold(0u64, |m, (i, _)| if i < 64 { m | 1 << i } else { m });
                (o, mask)
            })
            .collect();
        Self { statements, masks }
    }

    /// The statements movement `m`'s offering settles into (every one when no key places it).
    fn mask(&self, m: &Movement) -> u64 {
        m.offering_id
            .and_then(|o| self.masks.get(&o))
            .copied()
            .unwrap_or(u64::MAX)
    }

    /// The bit of a settlement line's statement (every bit past the first 64 statements).
    fn bit(&self, line: &Line<'_>) -> u64 {
        match self.statements.binary_search(&statement_of(line.src)) {
            Ok(i) if i < 64 => 1 << i,
            _ => u64::MAX,
        }
    }
}

/// Of the stated-count batch lines `st`, how many are consistent under `cutoff`: some day's
/// receipt-dated items of `method` are fewer than stated and add up to less than the line.
fn consistent_lines(
    lines: &[Line<'_>],
    moves: &[Movement],
    method: Method,
    st: &[(usize, u32)],
    cutoff: Option<u16>,
    homes: &Homes<'_>,
) -> usize {
    let schedules: Schedules = [(
        method,
        Schedule {
            cutoff_minute: cutoff,
            fee_bps: 0,
        },
    )]
    .into_iter()
    .collect();
    let mut items: Vec<(NaiveDate, &Movement, u64)> = moves
        .iter()
        .filter(|mv| {
            mv.method == method
                && mv.kind == MoveKind::Credit
                && mv.receipt_dated
                && !mv.is_shadow()
                && mv.expected > 0
        })
        .map(|mv| (mv.date, mv, homes.mask(mv)))
        .collect();
    items.sort_unstable_by_key(|x| (x.0, x.1.investment_id));
    st.iter()
        .filter(|&&(l, n)| {
            let line = &lines[l];
            let bit = homes.bit(line);
            let from = line.date - Duration::days(2 * MAX_LAG as i64 + 4);
            let a = items.partition_point(|x| x.0 < from);
            let b = items.partition_point(|x| x.0 <= line.date);
            let mut days: BTreeMap<i64, (u32, Cents)> = BTreeMap::new();
            for &(_, mv, _) in items[a..b.max(a)].iter().filter(|x| x.2 & bit != 0) {
                let d = settle_day(&schedules, line.date, mv);
                if (-(MAX_LAG as i64)..=0).contains(&d) {
                    let e = days.entry(d).or_default();
                    e.0 += 1;
                    e.1 += mv.expected;
                }
            }
            // The day that is most of the batch (more than half its items).
            days.values().any(|&(c, s)| {
                2 * c >= n && c <= n && s <= line.amount && (c < n) == (s < line.amount)
            })
        })
        .count()
}

#[cfg(test)]
mod tests {
    //! Crypto settlements of three days, each day's transfers paid together the next business
    //! day less a percentage of the total; a transfer received at or after the processor's
    //! cutoff waits one more day. The fit must find the cutoff, the percentage and the figure
    //! summed from the totals alone.

    use chrono::NaiveDate;
    use rust_decimal::Decimal;
    use tieout_domain::{Book, Investment, PaymentMethod, fixtures};

    use super::*;
    use crate::engine::expected;
    use crate::engine::line::tokenise;
    use crate::engine::tolerances::Tolerances;
    use crate::model::StatementLine;

    /// (day of October, hour, minute, cents of `amount`) of each crypto transfer.
    const TRANSFERS: [(u32, u32, u32, i64); 12] = [
        (5, 15, 0, 1_000_000),
        (5, 18, 30, 250_000),
        (5, 19, 10, 730_000),
        (5, 21, 0, 120_000),
        (6, 14, 5, 990_000),
        (6, 18, 59, 310_000),
        (6, 19, 0, 455_500),
        (6, 20, 40, 80_000),
        (7, 16, 0, 2_000_000),
        (7, 18, 0, 150_000),
        (7, 19, 30, 640_000),
        (7, 22, 0, 99_900),
    ];

    fn date(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 10, day).expect("date")
    }

    fn book() -> Book {
        let mut book = Book::default();
        for (k, &(day, h, m, cents)) in TRANSFERS.iter().enumerate() {
            let id = k as i64 + 1;
            book.investments.push(Investment {
                id,
                investor_id: id,
                offering_id: 1,
                // amount = price + fees: the settlements sum `amount`.
                amount: Decimal::new(cents, 2),
                price: Some(Decimal::new(cents - 500, 2)),
                price_fees: Some(Decimal::new(500, 2)),
                price_payment_processing_fees: Some(Decimal::ZERO),
                payment_method: PaymentMethod::Crypto,
                received_at: date(day).and_hms_opt(h, m, 0).map(|t| t.and_utc()),
                ..fixtures::investment()
            });
        }
        book
    }

    /// Settlement lines under a cutoff hour (`None`: each day's transfers together) keeping
    /// `bps` of each total; one line per settlement day.
    fn settlement_lines(cutoff: Option<u32>, bps: i64) -> Vec<StatementLine> {
        let mut by_day: BTreeMap<u32, Cents> = BTreeMap::new();
        for &(day, h, _, cents) in &TRANSFERS {
            // Mon 5 → Tue 6, Tue → Wed, Wed → Thu; after the cutoff one more business day.
            let late = cutoff.is_some_and(|c| h >= c);
            *by_day.entry(day + 1 + u32::from(late)).or_default() += cents;
        }
        by_day
            .into_iter()
            .enumerate()
            .map(|(k, (day, gross))| StatementLine {
                file: "operating.csv".into(),
                statement_row: k as u32 + 1,
                booking_date: date(day),
                format: crate::model::SourceFormat::Csv,
                account: None,
                bank_ref: None,
                end_to_end_ref: None,
                entry_ref: None,
                value_date: None,
                amount_cents: gross - percent_of(gross, bps),
                currency: None,
                counterparty: None,
                description: format!("COINBASE CRYPTO SETTLEMENT {day}"),
                type_code: None,
                raw: String::new(),
            })
            .collect()
    }

    fn fit_on(lines: &[StatementLine]) -> (MoneyModel, Schedules, Vec<Cents>) {
        let book = book();
        let tol = Tolerances::default();
        let period = tieout_domain::Period::parse("2026-10").expect("period");
        let (mut moves, _) = expected::build(&book, period, &tol, &[]).expect("build");
        let keys = Default::default();
        let tl = tokenise(lines, &tol, &keys);
        let mut model = MoneyModel::default();
        let cands = vec![Vec::new(); tl.len()];
        let s =
            fit_settlements(&book, &tl, &mut moves, &cands, &mut model, |_| false).expect("fit");
        let expected = moves.iter().map(|m| m.expected).collect();
        (model, s, expected)
    }

    #[test]
    fn cutoff_and_percentage_of_the_total_are_found() {
        let (model, schedules, expected) = fit_on(&settlement_lines(Some(19), 150));
        let s = schedules.get(&Method::Crypto).expect("a crypto schedule");
        assert_eq!(s.cutoff_minute, Some(19 * 60), "{model:?}");
        assert_eq!(s.fee_bps, 150);
        let m = &model.settlements[0];
        assert_eq!(m.cutoff.as_deref(), Some("19:00"));
        assert!(m.cutoff_ties.is_empty(), "{m:?}");
        assert_eq!(m.gross.as_deref(), Some("amount"));
        assert_eq!(m.explained, m.lines);
        // Every transfer is expected at its gross `amount`: the percentage is the settlement's.
        let amounts: Vec<Cents> = TRANSFERS.iter().map(|t| t.3).collect();
        assert_eq!(expected, amounts);
    }

    #[test]
    fn no_cutoff_when_every_day_settles_whole() {
        let (model, schedules, _) = fit_on(&settlement_lines(None, 100));
        let s = schedules.get(&Method::Crypto).expect("a crypto schedule");
        assert_eq!(s.cutoff_minute, None, "{model:?}");
        assert_eq!(s.fee_bps, 100);
        assert!(model.lines().iter().any(|l| l.contains("no cutoff")));
    }

    #[test]
    fn a_gross_settlement_keeps_nothing() {
        let (_, schedules, _) = fit_on(&settlement_lines(Some(19), 0));
        assert_eq!(schedules.get(&Method::Crypto).map(|s| s.fee_bps), Some(0));
    }

    #[test]
    fn one_line_is_not_evidence() {
        let mut lines = settlement_lines(Some(19), 150);
        lines.truncate(1);
        let (model, schedules, _) = fit_on(&lines);
        assert!(schedules.is_empty(), "{model:?}");
        assert!(model.settlements.is_empty());
    }

    #[test]
    fn line_order_does_not_matter() {
        let mut lines = settlement_lines(Some(19), 150);
        let (a, _, _) = fit_on(&lines);
        lines.reverse();
        let (b, _, _) = fit_on(&lines);
        assert_eq!(a, b);
    }

    #[test]
    fn settle_day_moves_a_late_receipt() {
        let schedules: Schedules = [(
            Method::Crypto,
            Schedule {
                cutoff_minute: Some(19 * 60),
                fee_bps: 0,
            },
        )]
        .into_iter()
        .collect();
        let book = book();
        let tol = Tolerances::default();
        let period = tieout_domain::Period::parse("2026-10").expect("period");
        let (moves, _) = expected::build(&book, period, &tol, &[]).expect("build");
        // Transfer 2 (18:30) settles with its day, transfer 3 (19:10) a day later.
        assert_eq!(settle_day(&schedules, date(6), &moves[1]), -1);
        assert_eq!(settle_day(&schedules, date(6), &moves[2]), 0);
    }
}
