//! Pass 2, `payout_report`: a bank line carrying `po_…`, or equal to a payout's net total within
//! the payout date window, is broken down into the payout's items, each tied to its investment
//! by payment_intent_id.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use chrono::{Duration, NaiveDate};
use tieout_domain::Cents;

use crate::engine::expected::MoveKind;
use crate::engine::state::*;
use crate::engine::text::{norm_key, norm_key_into};
use crate::model::{ExceptionCode, PayoutItem};

pub(crate) struct Payout<'p> {
    pub(crate) id: String,
    pub(crate) items: Vec<&'p PayoutItem>,
    pub(crate) net: Cents,
    pub(crate) date: Option<NaiveDate>,
}

pub(crate) fn is_fee_like(item: &PayoutItem) -> bool {
    let c = item.reporting_category.to_ascii_lowercase();
    item.payment_intent_id.is_none()
        && (c.contains("fee")
            || c.contains("adjustment")
            || c.contains("tax")
            || c.contains("contribution"))
}

/// Pass 2 (see the module doc): payouts grouped from their items, their bank lines claimed,
/// then each claimed line broken down into the payout's items.
pub(crate) fn pass_payouts(state: &mut State<'_>, items: &[PayoutItem]) {
    let payouts = group_payouts(items);
    if payouts.is_empty() {
        return;
    }
    let claimed = claim_lines(state, &payouts);
    let mut buf = String::new();
    // The movements of the payment intents the claimed payouts carry (each normalised into
    // one buffer: no string per movement).
    let wanted: HashSet<String> = claimed
        .keys()
        .filter_map(|k| payouts.get(k))
        .flat_map(|p| p.items.iter())
        .filter_map(|it| it.payment_intent_id.as_deref())
        .map(norm_key)
        .collect();
    let mut pi_index: HashMap<&str, Vec<usize>> = HashMap::default();
    for (m, movement) in state.moves.iter().enumerate() {
        if let Some(pi) = movement.payment_intent_id.as_deref() {
            norm_key_into(pi, &mut buf);
            if let Some(k) = wanted.get(buf.as_str()) {
                pi_index.entry(k.as_str()).or_default().push(m);
            }
        }
    }
    for (k, l) in claimed {
        let Some(p) = payouts.get(&k) else { continue };
        break_down(state, l, p, &pi_index, &mut buf);
    }
}

/// The payouts the report's items settled in, by normalised payout id (payout and
/// payout-reversal rows are the payouts themselves, not items).
fn group_payouts(items: &[PayoutItem]) -> BTreeMap<String, Payout<'_>> {
    let mut buf = String::new();
    let mut payouts: BTreeMap<String, Payout<'_>> = BTreeMap::new();
    for it in items {
        let Some(pid) = it.payout_id.as_deref() else {
            continue;
        };
        let c = it.reporting_category.as_str();
        if c.eq_ignore_ascii_case("payout") || c.eq_ignore_ascii_case("payout_reversal") {
            continue;
        }
        norm_key_into(pid, &mut buf);
        if !payouts.contains_key(buf.as_str()) {
            payouts.insert(
                buf.clone(),
                Payout {
                    id: pid.to_string(),
                    items: Vec::new(),
                    net: 0,
                    date: None,
                },
            );
        }
        let Some(p) = payouts.get_mut(buf.as_str()) else {
            continue;
        };
        p.items.push(it);
        p.net += it.net_cents;
        p.date = p.date.max(it.payout_date);
    }
    payouts
}

/// The bank line of each payout: the open line carrying its `po_…` id, else the one open line
/// paying its net total within the payout date window (nearest date, no tie).
fn claim_lines(
    state: &State<'_>,
    payouts: &BTreeMap<String, Payout<'_>>,
) -> BTreeMap<String, usize> {
    let mut claimed: BTreeMap<String, usize> = BTreeMap::new();
    for l in 0..state.lines.len() {
        if state.used[l] {
            continue;
        }
        if let Some(k) = state.lines[l]
            .keys
            .iter()
            .find(|k| k.starts_with("PO_") && payouts.contains_key(k.as_str()))
            && !claimed.contains_key(k)
        {
            claimed.insert(k.clone(), l);
        }
    }
    let claimed_lines: HashSet<usize> = claimed.values().copied().collect();
    let mut by_amount: HashMap<Cents, Vec<usize>> = HashMap::default();
    for (l, line) in state.lines.iter().enumerate() {
        if !state.used[l] && !claimed_lines.contains(&l) {
            by_amount.entry(line.amount).or_default().push(l);
        }
    }
    let mut taken: HashSet<usize> = claimed_lines.clone();
    for (k, p) in payouts {
        if claimed.contains_key(k) || p.net == 0 {
            continue;
        }
        let Some(pd) = p.date else { continue };
        let lo = pd - Duration::days(state.tol.payout_days_before);
        let hi = pd + Duration::days(state.tol.payout_days_after);
        let mut c: Vec<(i64, usize)> = by_amount
            .get(&p.net)
            .into_iter()
            .flatten()
            .filter(|&&l| {
                !taken.contains(&l) && state.lines[l].date >= lo && state.lines[l].date <= hi
            })
            .map(|&l| ((state.lines[l].date - pd).num_days().abs(), l))
            .collect();
        c.sort_unstable();
        if c.len() == 1 || (c.len() > 1 && c[0].0 < c[1].0) {
            claimed.insert(k.clone(), c[0].1);
            taken.insert(c[0].1);
        }
    }
    claimed
}

/// Line `l` broken down into payout `p`'s items: each charge, refund or return tied to its
/// movement by payment intent, fees set aside, the rest an exception.
fn break_down(
    state: &mut State<'_>,
    l: usize,
    p: &Payout<'_>,
    pi_index: &HashMap<&str, Vec<usize>>,
    buf: &mut String,
) {
    let line_amount = state.lines[l].amount;
    let mut attributed: Cents = 0;
    let mut unattributed: Vec<String> = Vec::new();
    let mut items = p.items.clone();
    items.sort_by(|a, b| (a.file.as_str(), a.row).cmp(&(b.file.as_str(), b.row)));
    for it in items {
        let cat = it.reporting_category.to_ascii_lowercase();
        let target = it
            .payment_intent_id
            .as_deref()
            .and_then(|pi| {
                norm_key_into(pi, buf);
                pi_index.get(buf.as_str())
            })
            .and_then(|ms| {
                let want: &[MoveKind] = if it.net_cents >= 0 {
                    &[MoveKind::Credit]
                } else if cat.contains("refund") {
                    &[MoveKind::Refund, MoveKind::AchReturn]
                } else {
                    &[MoveKind::AchReturn, MoveKind::Refund]
                };
                want.iter()
                    .find_map(|kind| ms.iter().copied().find(|&m| state.moves[m].kind == *kind))
            });
        match target {
            Some(m) if !state.done[m] => {
                let e = state.moves[m].expected;
                let score = if it.net_cents == e || Some(it.net_cents) == state.moves[m].alt {
                    1.0
                } else {
                    0.95
                };
                state.accept(m, l, "payout_report", score, e, it.net_cents);
                attributed += it.net_cents;
            }
            Some(m) => {
                let inv = state.moves[m].investment_id;
                state.line_exception(
                    ExceptionCode::DuplicatePayment,
                    l,
                    it.net_cents,
                    Some(inv),
                    None,
                    format!("Payout {} carries another {} for investment {inv}, which is already matched; check the processor for a double charge and refund it.", p.id, money(it.net_cents)),
                );
                attributed += it.net_cents;
            }
            None if is_fee_like(it) => {
                let reason = format!(
                    "processor {} in payout {} ({})",
                    it.reporting_category,
                    p.id,
                    it.balance_transaction_id.clone().unwrap_or_default()
                );
                state.ignore_line(l, it.net_cents, reason);
                attributed += it.net_cents;
            }
            None => unattributed.push(
                it.payment_intent_id
                    .clone()
                    .or(it.source_id.clone())
                    .or(it.balance_transaction_id.clone())
                    .unwrap_or_else(|| format!("row {}", it.row)),
            ),
        }
    }
    let rest = line_amount - attributed;
    if rest != 0 {
        let (code, detail) = if p.net != line_amount {
            (
                ExceptionCode::AmountMismatch,
                format!(
                    "Bank line {} differs from payout {} net total {}; {} of it is not explained by the payout's items — check the processor report.",
                    money(line_amount),
                    p.id,
                    money(p.net),
                    money(rest)
                ),
            )
        } else {
            (
                if rest > 0 {
                    ExceptionCode::UnmatchedCredit
                } else {
                    ExceptionCode::UnmatchedDebit
                },
                format!(
                    "{} of payout {} belongs to items not in the snapshot ({}); pull a fresh snapshot or find the investments.",
                    money(rest),
                    p.id,
                    unattributed.join(", ")
                ),
            )
        };
        state.line_exception(code, l, rest, None, None, detail);
    }
    state.used[l] = true;
}
