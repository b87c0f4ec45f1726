//! The **baseline** matcher: a plain, single-threaded implementation of the same matching
//! passes as `tieout_reconcile::engine`, written the way a first version would be — no polars, no rayon,
//! no indexes beyond one hash map of keys, and nested scans where the engine uses sorted
//! indexes. It exists only so `cargo xtask bench` can state the engine's figures as ratios
//! against something straightforward on the same data (the `tieout-baseline` binary of this crate).
//! It is not the reference for results: the engine's passes are richer (fuzzy references,
//! batch day totals, subset-sum, splits, ambiguity detection, business-day windows,
//! carry-forward). Do not use it for a real month end.
//!
//! Passes, in order, each claiming a statement line at most once:
//! 1. `exact_reference` — a line whose description / references / counterparty carry an
//!    investment's `reference_id` or `payment_intent_id` (normalised tokens, looked up in a
//!    hash map). Same sign required; amount outside the method's tolerance →
//!    AMOUNT_MISMATCH; a second payment of an already matched credit → DUPLICATE_PAYMENT; money
//!    for an investment whose status says no money → STATUS_MISMATCH / REFUND_DUE.
//! 2. `payout_report` — a credit line carrying a `po_…` id, or whose amount equals a payout's
//!    net total within the payout date window (a linear scan over the payouts), is broken down
//!    into the payout's items; each charge/refund item is tied to its investment by
//!    `payment_intent_id` (bank cents = the item's net). What the items do not explain (fees,
//!    unknown items) is ignored with a reason.
//! 3. `amount_date_name` — for every line still open, a scan over **every** open movement:
//!    same sign, amount within tolerance, booking date inside the method's calendar-day window,
//!    Jaro-Winkler similarity of the counterparty with an investor name ≥ `name_threshold`.
//!    Score = 0.45·name + 0.35·amount + 0.20·date; the best candidate wins (ties: lowest
//!    investment id). Refund debits are matched by the same pass (negative expected amounts).
//! 4. Leftovers: small debits whose text says FEE are ignored as bank fees; other lines are
//!    UNMATCHED_CREDIT / UNMATCHED_DEBIT; open required movements are UNMATCHED_INVESTMENT (and
//!    become open items); optional and shadow movements are ignored with a reason.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use tieout_domain::{
    Cents, Investment, InvestmentStatus, PaymentMethod, Severity, decimal_to_cents,
};

use tieout_reconcile::engine::{
    IgnoredInvestment, IgnoredLine, MethodTolerance, OpenItem, OpenItems, ReconError, ReconInput,
    ReconOutcome, ReconSummary, Tolerances,
};
use tieout_reconcile::model::{ExceptionCode, ExceptionRow, MatchRow, StatementLine};

/// Minimum length of a key token (as in the engine).
const MIN_KEY: usize = 4;

/// What an unmatched movement becomes.
#[derive(Debug, Clone, PartialEq)]
enum Need {
    Required,
    Optional(String),
    /// No money expected: found money is this exception.
    Shadow(ExceptionCode, String),
}

#[derive(Debug, Clone)]
struct Mv {
    investment_id: i64,
    refund: bool,
    method: &'static str,
    expected: Cents,
    alt: Option<Cents>,
    date: NaiveDate,
    keys: Vec<String>,
    names: Vec<String>,
    reference_id: Option<String>,
    payment_intent_id: Option<String>,
    status: String,
    need: Need,
    /// Done: matched or excepted.
    done: bool,
    matched: bool,
}

fn norm_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn norm_name(s: &str) -> String {
    let up: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                ' '
            }
        })
        .collect();
    up.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn tokens(line: &StatementLine) -> Vec<String> {
    let mut out = Vec::new();
    let texts = [
        Some(line.description.as_str()),
        line.bank_ref.as_deref(),
        line.end_to_end_ref.as_deref(),
        line.entry_ref.as_deref(),
        line.counterparty.as_deref(),
    ];
    for t in texts.into_iter().flatten() {
        for raw in t.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_')) {
            let k = norm_key(raw);
            if k.len() >= MIN_KEY {
                out.push(k);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn method_label(p: &PaymentMethod) -> &'static str {
    match p {
        PaymentMethod::Card => "card",
        PaymentMethod::Wire => "wire",
        PaymentMethod::Ira => "ira",
        PaymentMethod::Ach => "ach",
        PaymentMethod::Crypto => "crypto",
        PaymentMethod::Other(_) => "unknown",
    }
}

fn tolerance<'t>(m: &Mv, tol: &'t Tolerances) -> &'t MethodTolerance {
    if m.refund {
        return &tol.refund;
    }
    match m.method {
        "card" => &tol.card,
        "ach" => &tol.ach,
        "ira" => &tol.ira,
        "crypto" => &tol.crypto,
        _ => &tol.wire,
    }
}

/// bank − expected against the closer of expected/alt, when within tolerance.
fn amount_diff(m: &Mv, amount: Cents, tol: &Tolerances) -> Option<Cents> {
    let t = tolerance(m, tol);
    let mut best: Option<Cents> = None;
    for e in std::iter::once(m.expected).chain(m.alt) {
        let d = amount - e;
        if d.abs() <= t.tolerance_cents(e) && best.is_none_or(|b| d.abs() < b.abs()) {
            best = Some(d);
        }
    }
    best
}

fn cents(
    inv: &Investment,
    d: rust_decimal::Decimal,
    field: &'static str,
) -> Result<Cents, ReconError> {
    decimal_to_cents(d).ok_or(ReconError::Amount {
        investment_id: inv.id,
        field,
    })
}

/// Expected movements and out-of-scope investments, with the engine's scope rules simplified.
fn movements(
    input: &ReconInput<'_>,
    tol: &Tolerances,
) -> Result<(Vec<Mv>, Vec<IgnoredInvestment>), ReconError> {
    let (first, last) = (input.period.first_day(), input.period.last_day());
    let look_from = first - chrono::Duration::days(tol.lookback_days);
    let mut names_of: HashMap<i64, Vec<String>> = HashMap::new();
    for i in &input.book.investors {
        let mut v = vec![norm_name(&i.full_name())];
        v.extend(i.display_name.iter().map(|n| norm_name(n)));
        names_of.insert(i.id, v);
    }
    let mut moves = Vec::new();
    let mut ignored = Vec::new();
    for inv in &input.book.investments {
        let ppf = match inv.price_payment_processing_fees {
            Some(d) => cents(inv, d, "price_payment_processing_fees")?,
            None => 0,
        };
        let gross = match inv.price {
            Some(p) => cents(inv, p, "price")?,
            None => {
                let fees = match inv.price_fees {
                    Some(d) => cents(inv, d, "price_fees")?,
                    None => 0,
                };
                cents(inv, inv.amount, "amount")? + fees
            }
        };
        let net = gross - ppf;
        let method = method_label(&inv.payment_method);
        let processor = matches!(method, "card" | "ach");
        let (credit, credit_alt) = if processor {
            (net, (net != gross).then_some(gross))
        } else {
            (gross, None)
        };
        let mut keys: Vec<String> = [
            inv.reference_id.as_deref(),
            inv.payment_intent_id.as_deref(),
        ]
        .into_iter()
        .flatten()
        .map(norm_key)
        .filter(|k| k.len() >= MIN_KEY)
        .collect();
        keys.dedup();
        let mut names: Vec<String> = inv.investor_name.iter().map(|n| norm_name(n)).collect();
        if let Some(v) = names_of.get(&inv.investor_id) {
            names.extend(v.iter().cloned());
        }
        names.retain(|n| !n.is_empty());
        names.sort();
        names.dedup();
        let md = inv
            .received_at
            .or(inv.processed_at)
            .or(inv.created_at)
            .map(|t| t.date_naive());
        let Some(md) = md else {
            ignored.push(IgnoredInvestment {
                investment_id: inv.id,
                movement: "none".into(),
                expected_cents: credit,
                reason: "no received, processed or created date".into(),
            });
            continue;
        };
        let base = Mv {
            investment_id: inv.id,
            refund: false,
            method,
            expected: credit,
            alt: credit_alt,
            date: md,
            keys,
            names,
            reference_id: inv.reference_id.clone(),
            payment_intent_id: inv.payment_intent_id.clone(),
            status: inv.status.as_wire().to_string(),
            need: Need::Required,
            done: false,
            matched: false,
        };
        let st = &inv.status;
        let funds = st.funds_taken();
        let refunded = *st == InvestmentStatus::Refunded
            || (inv.refunded_at.is_some() && !funds && *st != InvestmentStatus::PaymentFailed);
        let in_window = md >= look_from && md <= last;
        let mut pushed = false;
        if funds || refunded {
            if in_window {
                let need = if md < first {
                    Need::Optional("money date before the period; assumed settled earlier".into())
                } else if refunded && processor {
                    Need::Optional(
                        "refunded card/ACH payment; refunded inside the processor".into(),
                    )
                } else if method == "crypto" {
                    Need::Optional("crypto settles off-bank".into())
                } else {
                    Need::Required
                };
                moves.push(Mv {
                    need,
                    ..base.clone()
                });
                pushed = true;
            }
        } else if in_window {
            let code = if matches!(
                st,
                InvestmentStatus::Cancelled | InvestmentStatus::NotApproved
            ) {
                ExceptionCode::RefundDue
            } else {
                ExceptionCode::StatusMismatch
            };
            moves.push(Mv {
                need: Need::Shadow(code, format!("status {st}: no money expected")),
                ..base.clone()
            });
            pushed = true;
        }
        if refunded {
            let rd = inv
                .refunded_at
                .or(inv.updated_at)
                .map(|t| t.date_naive())
                .unwrap_or(md);
            if rd >= first && rd <= last {
                let (amt, alt) = if processor {
                    (-net, -gross)
                } else {
                    (-gross, -net)
                };
                let need = if matches!(method, "wire" | "ira" | "unknown") {
                    Need::Required
                } else {
                    Need::Optional("card/ACH/crypto refund netted inside the processor".into())
                };
                moves.push(Mv {
                    refund: true,
                    expected: amt,
                    alt: (alt != amt).then_some(alt),
                    date: rd,
                    need,
                    ..base.clone()
                });
                pushed = true;
            }
        }
        if !pushed {
            ignored.push(IgnoredInvestment {
                investment_id: inv.id,
                movement: "none".into(),
                expected_cents: credit,
                reason: format!("status {st}, money date {md}: not expected this period"),
            });
        }
    }
    Ok((moves, ignored))
}

fn exc(
    code: ExceptionCode,
    investment_id: Option<i64>,
    line: Option<&StatementLine>,
    amount_cents: Cents,
    detail: String,
) -> ExceptionRow {
    let severity = match code {
        ExceptionCode::RefundDue
        | ExceptionCode::BalanceBreak
        | ExceptionCode::DuplicatePayment => Severity::Violation,
        _ => Severity::Warning,
    };
    ExceptionRow {
        code,
        severity,
        investment_id,
        statement_file: line.map(|l| l.file.clone()),
        statement_row: line.map(|l| l.statement_row),
        amount_cents,
        detail,
    }
}

fn mrow(m: &Mv, line: &StatementLine, rule: &str, score: f32, bank: Cents) -> MatchRow {
    MatchRow {
        investment_id: m.investment_id,
        statement_file: line.file.clone(),
        statement_row: line.statement_row,
        statement_ref: line.bank_ref.clone(),
        rule: rule.into(),
        score,
        expected_cents: m.expected,
        bank_cents: bank,
        difference_cents: bank - m.expected,
    }
}

/// Runs the baseline reconciliation (see the module documentation). Same input and output
/// shapes as [`tieout_reconcile::engine::reconcile`].
pub fn reconcile(input: &ReconInput<'_>, tol: &Tolerances) -> Result<ReconOutcome, ReconError> {
    tol.validate()?;
    let (mut moves, ignored_investments) = movements(input, tol)?;
    let lines = input.lines;
    let mut line_done = vec![false; lines.len()];
    let mut matches: Vec<MatchRow> = Vec::new();
    let mut exceptions: Vec<ExceptionRow> = Vec::new();
    let mut ignored_lines: Vec<IgnoredLine> = Vec::new();

    let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, m) in moves.iter().enumerate() {
        for k in &m.keys {
            by_key.entry(k.clone()).or_default().push(i);
        }
    }
    let line_tokens: Vec<Vec<String>> = lines.iter().map(tokens).collect();

    // Pass 1: exact reference.
    for (li, line) in lines.iter().enumerate() {
        let mut cand: Vec<usize> = Vec::new();
        for t in &line_tokens[li] {
            if let Some(v) = by_key.get(t.as_str()) {
                cand.extend(v.iter().copied());
            }
        }
        cand.sort_unstable();
        cand.dedup();
        cand.retain(|&i| (moves[i].expected > 0) == (line.amount_cents > 0));
        let Some(&mi) = cand.iter().find(|&&i| !moves[i].done).or(cand.first()) else {
            continue;
        };
        let m = &mut moves[mi];
        line_done[li] = true;
        if m.done {
            if m.matched && !m.refund && amount_diff(m, line.amount_cents, tol).is_some() {
                exceptions.push(exc(
                    ExceptionCode::DuplicatePayment,
                    Some(m.investment_id),
                    Some(line),
                    line.amount_cents,
                    "second payment of an investment already matched; refund the duplicate".into(),
                ));
            } else {
                exceptions.push(exc(
                    ExceptionCode::UnmatchedCredit,
                    Some(m.investment_id),
                    Some(line),
                    line.amount_cents,
                    "line carries the reference of an investment already settled".into(),
                ));
            }
            continue;
        }
        m.done = true;
        if let Need::Shadow(code, reason) = &m.need {
            exceptions.push(exc(
                *code,
                Some(m.investment_id),
                Some(line),
                line.amount_cents,
                format!("money arrived but {reason}"),
            ));
            continue;
        }
        match amount_diff(m, line.amount_cents, tol) {
            Some(_) => {
                m.matched = true;
                matches.push(mrow(m, line, "exact_reference", 1.0, line.amount_cents));
            }
            None => exceptions.push(exc(
                ExceptionCode::AmountMismatch,
                Some(m.investment_id),
                Some(line),
                line.amount_cents,
                format!(
                    "reference matches but the amount differs from the expected {}",
                    m.expected
                ),
            )),
        }
    }

    // Pass 2: payout report breakdown.
    let mut payouts: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, p) in input.payouts.iter().enumerate() {
        if let Some(po) = p.payout_id.as_deref() {
            payouts.entry(norm_key(po)).or_default().push(i);
        }
    }
    let mut payout_used: BTreeMap<String, bool> = BTreeMap::new();
    for (li, line) in lines.iter().enumerate() {
        if line_done[li] || line.amount_cents <= 0 {
            continue;
        }
        let mut po = line_tokens[li]
            .iter()
            .find(|t| t.starts_with("PO_") && payouts.contains_key(*t))
            .cloned();
        if po.is_none() {
            // Linear scan: a payout whose net total equals the line within the date window.
            for (id, items) in &payouts {
                if payout_used.get(id).copied().unwrap_or(false) {
                    continue;
                }
                let total: Cents = items.iter().map(|&i| input.payouts[i].net_cents).sum();
                let date = items.iter().find_map(|&i| input.payouts[i].payout_date);
                let in_window = date.is_some_and(|d| {
                    let days = (line.booking_date - d).num_days();
                    days >= -tol.payout_days_before && days <= tol.payout_days_after
                });
                if total == line.amount_cents && in_window {
                    po = Some(id.clone());
                    break;
                }
            }
        }
        let Some(po) = po else { continue };
        if payout_used.insert(po.clone(), true).is_some() {
            continue;
        }
        line_done[li] = true;
        let mut explained: Cents = 0;
        for &pi in &payouts[&po] {
            let item = &input.payouts[pi];
            let Some(key) = item.payment_intent_id.as_deref().map(norm_key) else {
                continue;
            };
            let want_refund = item.net_cents < 0;
            let Some(&mi) = by_key.get(key.as_str()).and_then(|v| {
                v.iter()
                    .find(|&&i| moves[i].refund == want_refund && !moves[i].done)
            }) else {
                continue;
            };
            let m = &mut moves[mi];
            m.done = true;
            explained += item.net_cents;
            if let Need::Shadow(code, reason) = &m.need {
                exceptions.push(exc(
                    *code,
                    Some(m.investment_id),
                    Some(line),
                    item.net_cents,
                    format!("money arrived but {reason}"),
                ));
            } else {
                m.matched = true;
                matches.push(mrow(m, line, "payout_report", 1.0, item.net_cents));
            }
        }
        let rest = line.amount_cents - explained;
        if rest != 0 {
            ignored_lines.push(IgnoredLine {
                statement_file: line.file.clone(),
                statement_row: line.statement_row,
                amount_cents: rest,
                reason: format!("payout {po}: fees and items not tied to an investment"),
            });
        }
    }

    // Pass 3: amount + date window + name, nested scan over every open movement.
    for (li, line) in lines.iter().enumerate() {
        if line_done[li] {
            continue;
        }
        let cp = line
            .counterparty
            .as_deref()
            .map(norm_name)
            .unwrap_or_default();
        if cp.is_empty() {
            continue;
        }
        let mut best: Option<(f64, usize, Cents)> = None;
        for (mi, m) in moves.iter().enumerate() {
            if m.done || (m.expected > 0) != (line.amount_cents > 0) {
                continue;
            }
            let Some(diff) = amount_diff(m, line.amount_cents, tol) else {
                continue;
            };
            let t = tolerance(m, tol);
            let days = (line.booking_date - m.date).num_days();
            if days < t.window_min_days || days > t.window_max_days {
                continue;
            }
            let name = m
                .names
                .iter()
                .map(|n| tieout_domain::similarity::jaro_winkler(n, &cp))
                .fold(0.0_f64, f64::max);
            if name < tol.name_threshold {
                continue;
            }
            let span = (t.window_max_days - t.window_min_days).max(1) as f64;
            let date_score = 1.0 - (days - t.window_min_days.max(0)).abs() as f64 / span;
            let amt_score = if diff == 0 { 1.0 } else { 0.5 };
            let score = 0.45 * name + 0.35 * amt_score + 0.20 * date_score.clamp(0.0, 1.0);
            if best.is_none_or(|(s, _, _)| score > s) {
                best = Some((score, mi, diff));
            }
        }
        if let Some((score, mi, _)) = best {
            let m = &mut moves[mi];
            m.done = true;
            line_done[li] = true;
            if let Need::Shadow(code, reason) = &m.need {
                exceptions.push(exc(
                    *code,
                    Some(m.investment_id),
                    Some(line),
                    line.amount_cents,
                    format!("money arrived but {reason}"),
                ));
            } else {
                m.matched = true;
                matches.push(mrow(
                    m,
                    line,
                    "amount_date_name",
                    score as f32,
                    line.amount_cents,
                ));
            }
        }
    }

    // Leftovers.
    for (li, line) in lines.iter().enumerate() {
        if line_done[li] {
            continue;
        }
        let upper = line.description.to_ascii_uppercase();
        if line.amount_cents < 0
            && -line.amount_cents <= tol.bank_fee_max_cents
            && upper.contains("FEE")
        {
            ignored_lines.push(IgnoredLine {
                statement_file: line.file.clone(),
                statement_row: line.statement_row,
                amount_cents: line.amount_cents,
                reason: "bank fee".into(),
            });
        } else if line.amount_cents > 0 {
            exceptions.push(exc(
                ExceptionCode::UnmatchedCredit,
                None,
                Some(line),
                line.amount_cents,
                "credit matches no investment".into(),
            ));
        } else {
            exceptions.push(exc(
                ExceptionCode::UnmatchedDebit,
                None,
                Some(line),
                line.amount_cents,
                "debit matches no refund or return".into(),
            ));
        }
    }
    let mut ignored_investments = ignored_investments;
    let mut open = Vec::new();
    for m in moves.iter().filter(|m| !m.done) {
        let kind = if m.refund { "refund" } else { "credit" };
        match &m.need {
            Need::Required => {
                exceptions.push(exc(
                    ExceptionCode::UnmatchedInvestment,
                    Some(m.investment_id),
                    None,
                    m.expected,
                    "no statement line found for this movement".into(),
                ));
                open.push(OpenItem {
                    investment_id: m.investment_id,
                    kind: kind.into(),
                    method: m.method.into(),
                    status: m.status.clone(),
                    expected_cents: m.expected,
                    alt_cents: m.alt,
                    date: m.date,
                    reference_id: m.reference_id.clone(),
                    payment_intent_id: m.payment_intent_id.clone(),
                    names: m.names.clone(),
                    code: ExceptionCode::UnmatchedInvestment.as_str().into(),
                    first_open_period_end: input.period.last_day(),
                });
            }
            Need::Optional(reason) | Need::Shadow(_, reason) => {
                ignored_investments.push(IgnoredInvestment {
                    investment_id: m.investment_id,
                    movement: kind.into(),
                    expected_cents: m.expected,
                    reason: reason.clone(),
                })
            }
        }
    }

    matches.sort_by(|a, b| {
        (&a.statement_file, a.statement_row, a.investment_id).cmp(&(
            &b.statement_file,
            b.statement_row,
            b.investment_id,
        ))
    });
    exceptions.sort_by(|a, b| {
        (a.code, &a.statement_file, a.statement_row, a.investment_id).cmp(&(
            b.code,
            &b.statement_file,
            b.statement_row,
            b.investment_id,
        ))
    });
    ignored_investments.sort_by_key(|i| i.investment_id);

    let summary = summarise(
        input,
        &moves,
        &matches,
        &exceptions,
        &ignored_lines,
        &ignored_investments,
    );
    Ok(ReconOutcome {
        matches,
        exceptions,
        ignored_lines,
        ignored_investments,
        open_items: OpenItems {
            format: 1,
            period_end: Some(input.period.last_day()),
            items: open,
        },
        summary,
        search: Default::default(),
        money_model: Default::default(),
    })
}

fn summarise(
    input: &ReconInput<'_>,
    moves: &[Mv],
    matches: &[MatchRow],
    exceptions: &[ExceptionRow],
    ignored_lines: &[IgnoredLine],
    ignored_investments: &[IgnoredInvestment],
) -> ReconSummary {
    let mut s = ReconSummary {
        lines: input.lines.len(),
        rows_rejected: input.rejects.len(),
        lines_cents: input.lines.iter().map(|l| l.amount_cents).sum(),
        matched_line_cents: matches.iter().map(|m| m.bank_cents).sum(),
        exception_line_cents: exceptions
            .iter()
            .filter(|e| e.statement_row.is_some())
            .map(|e| e.amount_cents)
            .sum(),
        ignored_line_cents: ignored_lines.iter().map(|i| i.amount_cents).sum(),
        ..ReconSummary::default()
    };
    let mut line_state: BTreeMap<(&str, u32), u8> = BTreeMap::new();
    for m in matches {
        line_state
            .entry((m.statement_file.as_str(), m.statement_row))
            .or_insert(0);
    }
    for e in exceptions {
        if let (Some(f), Some(r)) = (e.statement_file.as_deref(), e.statement_row) {
            line_state.insert((f, r), 1);
        }
    }
    for i in ignored_lines {
        line_state
            .entry((i.statement_file.as_str(), i.statement_row))
            .or_insert(2);
    }
    s.lines_matched = line_state.values().filter(|&&v| v == 0).count();
    s.lines_exception = line_state.values().filter(|&&v| v == 1).count();
    s.lines_ignored = line_state.values().filter(|&&v| v == 2).count();
    let mut amount_total: i128 = 0;
    let mut amount_matched: i128 = 0;
    for m in moves {
        if matches!(m.need, Need::Shadow(..)) {
            continue;
        }
        let e = s.per_method.entry(m.method.to_string()).or_default();
        e.movements += 1;
        e.expected_cents += m.expected.abs();
        if m.matched {
            e.matched += 1;
            e.matched_expected_cents += m.expected.abs();
        }
        if m.done || m.need == Need::Required {
            s.movements += 1;
            amount_total += i128::from(m.expected.abs());
            if m.matched {
                s.movements_matched += 1;
                amount_matched += i128::from(m.expected.abs());
            } else {
                s.movements_exception += 1;
                e.exceptions += 1;
            }
        }
    }
    s.movements_ignored = ignored_investments.len();
    for e in exceptions {
        *s.exceptions_by_code
            .entry(e.code.as_str().to_string())
            .or_default() += 1;
    }
    if s.movements > 0 {
        s.matched_ratio_count = s.movements_matched as f64 / s.movements as f64;
    }
    if amount_total > 0 {
        s.matched_ratio_amount = amount_matched as f64 / amount_total as f64;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal::Decimal;
    use tieout_domain::Book;
    use tieout_domain::Period;
    use tieout_reconcile::model::SourceFormat;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn book() -> Book {
        let at = chrono::Utc.with_ymd_and_hms(2026, 10, 5, 12, 0, 0).unwrap();
        let inv = Investment {
            id: 1,
            offering_id: 1,
            investor_id: 10,
            amount: Decimal::new(100_000, 2),
            status: InvestmentStatus::Received,
            payment_method: PaymentMethod::Wire,
            reference_id: Some("INV-4471".into()),
            investor_name: Some("Ada Lovelace".into()),
            created_at: Some(at),
            received_at: Some(at),
            ..tieout_domain::fixtures::investment()
        };
        let mut second = inv.clone();
        second.id = 2;
        second.reference_id = Some("INV-9920".into());
        second.investor_name = Some("Grace Hopper".into());
        second.amount = Decimal::new(250_000, 2);
        Book {
            offerings: vec![],
            investors: vec![],
            investments: vec![inv, second],
        }
    }

    fn line(row: u32, cents: Cents, desc: &str, cp: Option<&str>) -> StatementLine {
        StatementLine {
            file: "bank.csv".into(),
            statement_row: row,
            format: SourceFormat::Csv,
            account: None,
            bank_ref: Some(format!("B{row}")),
            end_to_end_ref: None,
            entry_ref: None,
            booking_date: d(2026, 10, 6),
            value_date: None,
            amount_cents: cents,
            currency: None,
            counterparty: cp.map(str::to_string),
            description: desc.into(),
            type_code: None,
            raw: String::new(),
        }
    }

    #[test]
    fn exact_reference_name_match_and_unmatched_credit() {
        let book = book();
        let lines = vec![
            line(1, 100_000, "WIRE IN REF INV-4471", Some("A LOVELACE")),
            line(2, 777_700, "DEPOSIT", Some("SOMEONE ELSE ENTIRELY")),
            line(3, 250_000, "INCOMING WIRE", Some("GRACE HOPPER")),
        ];
        let input = ReconInput {
            book: &book,
            lines: &lines,
            payouts: &[],
            balances: &[],
            rejects: &[],
            control_breaks: &[],
            carry_forward: None,
            period: Period::new(2026, 10).unwrap(),
            platform: None,
        };
        let out = reconcile(&input, &Tolerances::default()).unwrap();
        let rules: Vec<(i64, u32, &str)> = out
            .matches
            .iter()
            .map(|m| (m.investment_id, m.statement_row, m.rule.as_str()))
            .collect();
        assert_eq!(
            rules,
            vec![(1, 1, "exact_reference"), (2, 3, "amount_date_name")]
        );
        assert_eq!(out.exceptions.len(), 1);
        assert_eq!(out.exceptions[0].code, ExceptionCode::UnmatchedCredit);
        assert_eq!(out.exceptions[0].statement_row, Some(2));
        assert_eq!(out.summary.lines_matched, 2);
        assert_eq!(out.summary.lines_exception, 1);
        assert_eq!(out.summary.movements_matched, 2);
        assert!(out.open_items.items.is_empty());
    }

    #[test]
    fn missing_money_is_an_unmatched_investment_and_an_open_item() {
        let book = book();
        let lines = vec![line(1, 100_000, "REF INV4471", None)];
        let input = ReconInput {
            book: &book,
            lines: &lines,
            payouts: &[],
            balances: &[],
            rejects: &[],
            control_breaks: &[],
            carry_forward: None,
            period: Period::new(2026, 10).unwrap(),
            platform: None,
        };
        let out = reconcile(&input, &Tolerances::default()).unwrap();
        assert_eq!(out.matches.len(), 1);
        assert_eq!(out.exceptions.len(), 1);
        assert_eq!(out.exceptions[0].code, ExceptionCode::UnmatchedInvestment);
        assert_eq!(out.exceptions[0].investment_id, Some(2));
        assert_eq!(out.open_items.items.len(), 1);
        assert_eq!(out.open_items.items[0].investment_id, 2);
    }
}
