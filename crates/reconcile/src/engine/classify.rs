//! End of run: what is left. Lines and movements the passes did not settle become exceptions,
//! ignored items with a reason, or open items to carry forward.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use rayon::prelude::*;
use tieout_domain::calendar::weekdays_between;
use tieout_domain::{Cents, Severity};

use crate::engine::expected::{MoveKind, Movement, Req};
use crate::engine::passes::batches::statement_of;
use crate::engine::state::*;
use crate::engine::text::{key_shaped, norm_key, norm_key_into, raw_key_shaped};
use crate::engine::{IgnoredInvestment, OpenItem, ReconInput};
use crate::model::ExceptionCode;

pub(crate) const TRANSFER_WORDS: &[&str] = &[
    "DISBURS",
    "TRANSFER",
    "ESCROW RELEASE",
    "CLOSING",
    "BOOK TRANSFER",
    "INTERNAL",
];
pub(crate) const FEE_WORDS: &[&str] = &["FEE", "SERVICE CHARGE", "SVC CHG", "CHARGE"];

/// The keys (normalised reference ids and payment intent ids, of the book's investments and of
/// the movements, which include carried items) that are not [`key_shaped`]: spelt like words.
pub(crate) fn word_like_keys(book: &tieout_domain::Book, moves: &[Movement]) -> HashSet<String> {
    let word_like = |k: &String| k.len() >= super::text::MIN_KEY_LEN && !key_shaped(k);
    let from_book = book.investments.par_iter().flat_map_iter(|inv| {
        [
            inv.reference_id.as_deref(),
            inv.payment_intent_id.as_deref(),
        ]
        .into_iter()
        .flatten()
        .filter(|raw| !raw_key_shaped(raw))
        .map(norm_key)
        .filter(word_like)
    });
    let from_moves = moves
        .par_iter()
        .flat_map_iter(|m| m.keys.iter().filter(|k| word_like(k)).cloned());
    from_book.chain(from_moves).collect()
}

/// For every line still open after the exact passes, the book investment whose reference id or
/// payment intent id it carries (the lowest index when several): one parallel scan of the book
/// against the open lines' keys.
pub(crate) fn book_key_hits(state: &State<'_>, input: &ReconInput<'_>) -> Vec<Option<usize>> {
    let open_keys: HashSet<&str> = state
        .lines
        .iter()
        .enumerate()
        .filter(|(l, _)| !state.used[*l])
        .flat_map(|(_, line)| line.keys.iter().map(String::as_str))
        .collect();
    // Each key is normalised into one buffer per task: no allocation per investment.
    let hits: Vec<(&str, usize)> = input
        .book
        .investments
        .par_iter()
        .enumerate()
        .fold(
            || (Vec::new(), String::new()),
            |(mut hits, mut buf), (i, inv)| {
                for raw in [
                    inv.reference_id.as_deref(),
                    inv.payment_intent_id.as_deref(),
                ]
                .into_iter()
                .flatten()
                {
                    norm_key_into(raw, &mut buf);
                    if buf.len() >= super::text::MIN_KEY_LEN
                        && let Some(&k) = open_keys.get(buf.as_str())
                    {
                        hits.push((k, i));
                    }
                }
                (hits, buf)
            },
        )
        .map(|(hits, _)| hits)
        .reduce(Vec::new, |mut a, b| {
            a.extend(b);
            a
        });
    let mut book_keys: HashMap<&str, usize> = HashMap::default();
    for (k, i) in hits {
        let e = book_keys.entry(k).or_insert(i);
        *e = (*e).min(i);
    }
    state
        .lines
        .iter()
        .enumerate()
        .map(|(l, line)| {
            if state.used[l] {
                return None;
            }
            line.keys
                .iter()
                .filter_map(|k| book_keys.get(k.as_str()))
                .copied()
                .min()
        })
        .collect()
}

pub(crate) fn classify_lines(state: &mut State<'_>, input: &ReconInput<'_>) {
    // Bank fees.
    for l in 0..state.lines.len() {
        let line = &state.lines[l];
        if state.used[l] {
            continue;
        }
        if line.amount == 0 {
            state.ignore_line(l, 0, "zero-amount line".into());
        } else if line.amount < 0
            && -line.amount <= state.tol.bank_fee_max_cents
            && line.has_word(FEE_WORDS)
            && state.book_hit[l].is_none()
        {
            state.ignore_line(l, line.amount, "bank fee".into());
        }
    }
    // Inter-account transfers (escrow disbursement out of one account, into another): a debit
    // and a credit of the same amount in another account within `transfer_days`, one of them
    // worded as a transfer; the nearest in days, then the first line. The open credits are
    // bucketed by amount and ordered by date, the worded ones also on their own: a debit without
    // transfer words looks only at worded credits, and only inside its date window (a month of
    // unmatched lines costs what its transfers do, not debits × credits of each amount).
    let worded: Vec<bool> = state
        .lines
        .par_iter()
        .map(|line| line.amount != 0 && line.has_word(TRANSFER_WORDS))
        .collect();
    let mut credits: HashMap<Cents, Vec<usize>> = HashMap::default();
    let mut worded_credits: HashMap<Cents, Vec<usize>> = HashMap::default();
    for (l, line) in state.lines.iter().enumerate() {
        if !state.used[l] && line.amount > 0 {
            credits.entry(line.amount).or_default().push(l);
            if worded[l] {
                worded_credits.entry(line.amount).or_default().push(l);
            }
        }
    }
    for bucket in credits.values_mut().chain(worded_credits.values_mut()) {
        bucket.sort_unstable_by_key(|&c| (state.lines[c].date, c));
    }
    for (l, &is_worded) in worded.iter().enumerate() {
        let line = &state.lines[l];
        // A line carrying an investment's own key is that investment's money, not a transfer
        // (at scale some unrelated transfer has the same cents within days).
        if state.used[l] || line.amount >= 0 || state.book_hit[l].is_some() {
            continue;
        }
        let pool = if is_worded { &credits } else { &worded_credits };
        let Some(bucket) = pool.get(&-line.amount) else {
            continue;
        };
        let days = state.tol.transfer_days;
        let lo = bucket.partition_point(|&c| (state.lines[c].date - line.date).num_days() < -days);
        let best = bucket[lo..]
            .iter()
            .take_while(|&&c| (state.lines[c].date - line.date).num_days() <= days)
            .filter(|&&c| {
                let other = &state.lines[c];
                !state.used[c]
                    && state.book_hit[c].is_none()
                    && (&other.src.account, &other.src.file) != (&line.src.account, &line.src.file)
                    && other
                        .src
                        .account
                        .as_ref()
                        .is_none_or(|a| Some(a) != line.src.account.as_ref())
            })
            .map(|&c| ((state.lines[c].date - line.date).num_days().abs(), c))
            .min();
        if let Some((_, c)) = best {
            let (a, b) = (state.lines[l].label(), state.lines[c].label());
            let (la, ca) = (state.lines[l].amount, state.lines[c].amount);
            state.ignore_line(l, la, format!("inter-account transfer, paired with {b}"));
            state.ignore_line(c, ca, format!("inter-account transfer, paired with {a}"));
        }
    }
    for l in 0..state.lines.len() {
        if state.used[l] {
            continue;
        }
        let line = &state.lines[l];
        let a = line.amount;
        if let Some(i) = state.book_hit[l] {
            let inv = &input.book.investments[i];
            let (code, detail) = if a < 0 {
                (
                    ExceptionCode::StatusMismatch,
                    format!(
                        "Debit of {} references investment {} whose status is {}; no refund or return is recorded on the platform — update the status or recall the payment.",
                        money(a.saturating_abs()),
                        inv.id,
                        inv.status
                    ),
                )
            } else if inv.status.funds_taken()
                || inv.status == tieout_domain::InvestmentStatus::Refunded
            {
                (
                    ExceptionCode::DuplicatePayment,
                    format!(
                        "Credit of {} references investment {} ({}) whose payment is already accounted for; confirm with the investor and return the duplicate.",
                        money(a),
                        inv.id,
                        inv.status
                    ),
                )
            } else {
                (
                    ExceptionCode::StatusMismatch,
                    format!(
                        "Credit of {} references investment {} whose status is {} and is not expected this period; update the status or return the funds.",
                        money(a),
                        inv.id,
                        inv.status
                    ),
                )
            };
            state.line_exception(code, l, a, Some(inv.id), None, detail);
            continue;
        }
        if let Some(m) = state.dup_hint[l] {
            let inv = state.moves[m].investment_id;
            state.line_exception(
                ExceptionCode::DuplicatePayment,
                l,
                a,
                Some(inv),
                None,
                format!("Same payer and amount ({}) as the line matched to investment {inv}; likely paid twice — confirm and return the duplicate.", money(a)),
            );
            continue;
        }
        if let Some((code, detail)) = state.batch_hint[l].clone() {
            state.line_exception(code, l, a, None, None, detail);
            continue;
        }
        let (code, detail) = if a > 0 {
            (
                ExceptionCode::UnmatchedCredit,
                format!(
                    "Credit of {} on {} matches no investment; identify the payer and record the investment or return the funds.",
                    money(a),
                    line.date
                ),
            )
        } else {
            (
                ExceptionCode::UnmatchedDebit,
                format!(
                    "Debit of {} on {} matches no refund, return or disbursement; find its authorisation.",
                    money(a.saturating_abs()),
                    line.date
                ),
            )
        };
        state.line_exception(code, l, a, None, None, detail);
    }
}

pub(crate) fn classify_moves(state: &mut State<'_>, input: &ReconInput<'_>) -> Vec<OpenItem> {
    // Each open movement's verdict is read in parallel (a month where nothing matched has most
    // of a million), then recorded in movement order.
    let period_end = input.period.last_day();
    let st: &State<'_> = state;
    let decided: Vec<(usize, Left)> = (0..st.moves.len())
        .into_par_iter()
        .filter(|&m| !st.done[m])
        .map(|m| (m, left_movement(st, m, period_end)))
        .collect();
    let mut open = Vec::new();
    for (m, left) in decided {
        match left {
            Left::Ignored(ign) => {
                state.ignored_movements.push((Some(m), ign));
                state.done[m] = true;
            }
            Left::Open(code, sev, detail, item) => {
                state.movement_exception(code, sev, m, detail);
                open.push(*item);
            }
        }
    }
    open
}

/// What an open movement becomes at the end of the run.
enum Left {
    /// Not required this period: ignored with the reason.
    Ignored(IgnoredInvestment),
    /// An exception and an open item to carry forward.
    Open(ExceptionCode, Severity, String, Box<OpenItem>),
}

fn left_movement(state: &State<'_>, m: usize, period_end: chrono::NaiveDate) -> Left {
    let movement = &state.moves[m];
    match &movement.req {
        Req::Optional(reason) | Req::Shadow { reason, .. } => Left::Ignored(IgnoredInvestment {
            investment_id: movement.investment_id,
            movement: movement.kind.label().into(),
            expected_cents: movement.expected,
            reason: reason.to_string(),
        }),
        Req::Required => {
            let t = movement.tolerance(state.tol);
            let in_transit = movement.kind == MoveKind::Credit
                && weekdays_between(movement.date, period_end) < t.window_max_days;
            let since = movement
                .carried
                .map(|d| format!(" (open since the period ending {d})"))
                .unwrap_or_default();
            let (code, sev, detail) = if let Some(lbl) = state.ambiguous_movement[m].as_deref() {
                (
                    ExceptionCode::AmbiguousMatch,
                    Severity::Warning,
                    format!(
                        "Investment {} ({}) has candidate money on {lbl} that fits another investment equally well; assign it by hand.",
                        movement.investment_id,
                        money(movement.expected)
                    ),
                )
            } else if movement.kind == MoveKind::Refund {
                (
                    ExceptionCode::StatusMismatch,
                    Severity::Warning,
                    format!(
                        "Platform says investment {} was refunded on {} but no refund debit of {} was found{since}; confirm the refund was sent.",
                        movement.investment_id,
                        movement.date,
                        money(movement.expected.saturating_abs())
                    ),
                )
            } else if in_transit {
                (
                    ExceptionCode::UnmatchedInvestment,
                    Severity::Info,
                    format!(
                        "Investment {} ({}, {}) dated {} may still be in transit after the period end; carried forward{since}.",
                        movement.investment_id,
                        money(movement.expected),
                        movement.method.label(),
                        movement.date
                    ),
                )
            } else {
                (
                    ExceptionCode::UnmatchedInvestment,
                    Severity::Warning,
                    format!(
                        "No statement line for investment {} ({}, {}) dated {}{since}; confirm the money arrived or correct the status.",
                        movement.investment_id,
                        money(movement.expected),
                        movement.method.label(),
                        movement.date
                    ),
                )
            };
            // A search refused for want of budget says so (never a silent miss).
            let detail = match state.name_budget[m] {
                Some((needed, share)) => format!(
                    "{detail} The amount + date + name search for it was not run: search budget exhausted ({needed} candidate lines, {share} allowed per movement)."
                ),
                None => detail,
            };
            Left::Open(
                code,
                sev,
                detail,
                Box::new(OpenItem {
                    investment_id: movement.investment_id,
                    kind: movement.kind.label().into(),
                    method: movement.method.label().into(),
                    status: movement.status.as_wire().to_string(),
                    expected_cents: movement.expected,
                    alt_cents: movement.alt,
                    date: movement.date,
                    reference_id: movement.reference_id.clone(),
                    payment_intent_id: movement.payment_intent_id.clone(),
                    names: movement.display_names.to_vec(),
                    code: code.as_str().into(),
                    first_open_period_end: movement.carried.unwrap_or(period_end),
                }),
            )
        }
    }
}

/// Fewest lines carrying a key-shaped token a statement needs before it can be judged foreign.
const FOREIGN_MIN_KEYED: usize = 200;

/// The open lines of statements that are not this snapshot's: a statement (account, else file)
/// with at least [`FOREIGN_MIN_KEYED`] lines carrying a reference of the book's kind (the
/// letters and length of the book's references or payment intents) of which fewer than 2 %
/// name an investment of the book (exactly, by one typo, or with no movement this period) is
/// another offering's or another platform's statement — or the snapshot is the wrong one. Its
/// open lines are not offered to the amount + date + name, batch, split and release searches
/// (at scale every amount and common name has a namesake in the book: those searches would
/// only find coincidences, at many times a matching month's cost); each becomes an exception
/// that says why. Returns each such line with its exception detail.
pub(crate) fn foreign_lines(state: &State<'_>) -> Vec<(usize, String)> {
    // A reference of the book's kind: the letters it starts with and its length, as the book's
    // own references and payment intents have them (a bank's own transaction reference has
    // another shape and says nothing about whose money a line is).
    let shape = |k: &str| {
        let letters = k.bytes().take_while(u8::is_ascii_alphabetic).count();
        (k[..letters].to_string(), k.len())
    };
    let book: HashSet<(String, usize)> = state
        .moves
        .par_iter()
        .flat_map_iter(|m| m.keys.iter().map(|k| shape(k)))
        .collect();
    let mut per: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (l, line) in state.lines.iter().enumerate() {
        if !line.keys.iter().any(|k| book.contains(&shape(k))) {
            continue;
        }
        let e = per.entry(statement_of(line.src)).or_default();
        e.0 += 1;
        if state.used[l] || state.book_hit.get(l).is_some_and(Option::is_some) {
            e.1 += 1;
        }
    }
    let foreign: BTreeMap<&str, (usize, usize)> = per
        .into_iter()
        .filter(|(_, (keyed, named))| *keyed >= FOREIGN_MIN_KEYED && named * 50 < *keyed)
        .collect();
    if foreign.is_empty() {
        return Vec::new();
    }
    for (s, (keyed, named)) in &foreign {
        tracing::warn!(
            statement = s,
            keyed,
            named,
            "statement names no investment of this snapshot: not searched by amount, date and name"
        );
    }
    state
        .lines
        .iter()
        .enumerate()
        .filter(|(l, _)| !state.used[*l] && state.book_hit.get(*l).is_none_or(Option::is_none))
        .filter_map(|(l, line)| {
            let s = statement_of(line.src);
            foreign.get(s).map(|(keyed, named)| {
                (
                    l,
                    format!(
                        "{} of {}: only {named} of this statement's {keyed} lines with a reference name an investment of this snapshot — another offering's statement, or the wrong snapshot? Not searched by amount, date and name; check the statement and the snapshot.",
                        if line.amount < 0 { "Debit" } else { "Credit" },
                        money(line.amount.saturating_abs()),
                    ),
                )
            })
        })
        .collect()
}
