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
//! 3. each (cutoff, reading, percentage) collects the lines it explains; the most wins if it
//!    explains at least [`MIN_LINES`] lines and no hypothesis with another percentage or
//!    another membership explains as many. Cutoffs that explain the same lines are one answer
//!    (the earliest is named, with the range); no cutoff wins ties.
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

/// Fewest settlement lines a schedule must explain to be taken.
pub const MIN_LINES: usize = 2;

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

/// One hypothesis: cutoff hour (0: none), reading index, basis points.
type Hypo = (u8, usize, u32);

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
    model: &mut MoneyModel,
    pinned: impl Fn(Method) -> bool,
) -> Result<Schedules, ReconError> {
    let settle_lines: Vec<usize> = (0..lines.len())
        .filter(|&l| lines[l].is_batch && lines[l].amount > 0)
        .collect();
    let mut schedules = Schedules::new();
    if settle_lines.is_empty() {
        return Ok(schedules);
    }
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
            for (_, ix) in by_date.range(from..=line.date) {
                for &i in ix {
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
            for c in 0..24usize {
                for k in 0..=MAX_LAG {
                    if count(&b.count, k, c) == 0 {
                        continue;
                    }
                    for &r in &readings {
                        let t = total(&b.sums[r], k, c);
                        if let Some(bps) = fee_explaining(t, line.amount, refit) {
                            mine.push((c as u8, r, bps));
                        }
                    }
                }
            }
            mine.sort_unstable();
            mine.dedup();
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
        // One answer: every top hypothesis has the same reading and percentage (cutoffs that
        // explain the same lines are one answer); no cutoff wins a tie with a cutoff.
        let (_, r0, bps0) = top[0];
        let one = top.iter().all(|&(_, r, b)| r == r0 && b == bps0);
        if best < MIN_LINES || !one {
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
        let note = match (cutoff, reading) {
            (Some(c), _) => format!(
                "receipts at or after {} UTC settle one business day later{}",
                hhmm(c),
                if ties.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (any cutoff up to {} explains the same lines)",
                        ties.join(", ")
                    )
                }
            ),
            (None, _) => "each day's receipts settle together".to_string(),
        };
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
                |cutoff: Option<u16>| consistent_lines(lines, moves, method, st, cutoff);
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

/// Of the stated-count batch lines `st`, how many are consistent under `cutoff`: some day's
/// receipt-dated items of `method` are fewer than stated and add up to less than the line.
fn consistent_lines(
    lines: &[Line<'_>],
    moves: &[Movement],
    method: Method,
    st: &[(usize, u32)],
    cutoff: Option<u16>,
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
    let items: Vec<&Movement> = moves
        .iter()
        .filter(|mv| {
            mv.method == method
                && mv.kind == MoveKind::Credit
                && mv.receipt_dated
                && !mv.is_shadow()
                && mv.expected > 0
        })
        .collect();
    st.iter()
        .filter(|&&(l, n)| {
            let line = &lines[l];
            let mut days: BTreeMap<i64, (u32, Cents)> = BTreeMap::new();
            for mv in &items {
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
