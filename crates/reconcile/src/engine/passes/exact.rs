//! Pass 1, `exact_reference`: reference_id / payment_intent_id / processor ids found as tokens
//! in a line's description, references or counterparty (one tokenisation per line; candidates
//! from a polars inner join of a `(line, token hash)` frame with a `(movement, key hash)` frame,
//! every pair then checked on the keys themselves).
//!
//! Two lines carrying the same reference that add up → `split_payment`; a second full payment
//! → DUPLICATE_PAYMENT.
//!
//! A line still open after this pass and [`super::fuzzy_reference`] that carries the reference
//! or payment intent of any book investment (one out of scope this period, or already paid)
//! belongs to that investment: the name passes never offer it to another one, and
//! classification reports it against its own (STATUS_MISMATCH, DUPLICATE_PAYMENT).

use rayon::prelude::*;
use tieout_domain::Cents;

use crate::engine::state::*;
use crate::model::ExceptionCode;

/// `cands`: per line, the movements whose keys it carries (`frames::exact_candidates`, the
/// polars join of `(line, token)` with `(movement, key)`, distinct, sorted per line).
pub(crate) fn pass_exact(state: &mut State<'_>, cands: Vec<Vec<usize>>) {
    tracing::debug!("engine: exact claims");
    // (movement, line): each line claims at most one movement.
    let mut claims: Vec<(usize, usize)> = Vec::new();
    for (l, c) in cands.iter().enumerate() {
        let open = |m: &usize| state.sign_ok(*m, l) && !state.done[*m];
        // Most lines carry one investment's key: no allocation for them.
        let mut it = c.iter().copied().filter(open);
        match (it.next(), it.next()) {
            (None, _) => {}
            (Some(m), None) => claims.push((m, l)),
            _ => {
                let c: Vec<usize> = c.iter().copied().filter(open).collect();
                let amount = state.lines[l].amount;
                let sum: Cents = c.iter().map(|&m| state.moves[m].expected).sum();
                if (amount - sum).abs() <= state.tol.batch_abs_cents {
                    state.accept_batch(l, &c, "exact_reference", 1.0);
                    continue;
                }
                let within: Vec<usize> = c
                    .iter()
                    .copied()
                    .filter(|&m| state.moves[m].amount_diff(amount, state.tol).is_some())
                    .collect();
                if within.len() == 1 {
                    claims.push((within[0], l));
                } else {
                    let ids: Vec<String> = c
                        .iter()
                        .map(|&m| state.moves[m].investment_id.to_string())
                        .collect();
                    let lbl = state.lines[l].label();
                    for &m in &c {
                        state.ambiguous_movement[m] = Some(lbl.clone());
                    }
                    state.line_exception(
                        ExceptionCode::AmbiguousMatch,
                        l,
                        amount,
                        None,
                        None,
                        format!("Line carries the references of investments {} and its amount fits none or several of them; assign it by hand.", ids.join(", ")),
                    );
                }
            }
        }
    }
    // By movement, then each movement's lines by date and row order.
    claims.par_sort_unstable_by_key(|&(m, l)| (m, state.lines[l].date, l));
    let mut ls: Vec<usize> = Vec::new();
    let mut within: Vec<Option<Cents>> = Vec::new();
    for group in claims.chunk_by(|a, b| a.0 == b.0) {
        let m = group[0].0;
        ls.clear();
        ls.extend(group.iter().map(|&(_, l)| l));
        let expected = state.moves[m].expected;
        within.clear();
        within.extend(
            ls.iter()
                .map(|&l| state.moves[m].amount_diff(state.lines[l].amount, state.tol)),
        );
        let total: Cents = ls.iter().map(|&l| state.lines[l].amount).sum();
        if ls.len() >= 2
            && within.iter().all(Option::is_none)
            && state.moves[m].amount_diff(total, state.tol).is_some()
        {
            let mut rest = expected;
            for (i, &l) in ls.iter().enumerate() {
                let a = state.lines[l].amount;
                let e = if i + 1 == ls.len() { rest } else { a };
                rest -= e;
                state.accept(m, l, "split_payment", 1.0, e, a);
            }
            continue;
        }
        let first = within.iter().position(Option::is_some);
        match first {
            Some(i) => {
                let l = ls[i];
                let diff = within[i].unwrap_or(0);
                let t = state.moves[m]
                    .tolerance(state.tol)
                    .tolerance_cents(expected)
                    .max(1);
                let score = 1.0 - 0.05 * (diff.abs() as f64 / t as f64);
                state.accept(
                    m,
                    l,
                    "exact_reference",
                    score,
                    expected,
                    state.lines[l].amount,
                );
                for (j, &l2) in ls.iter().enumerate() {
                    if j != i && within[j].is_some() && !state.used[l2] {
                        let inv = state.moves[m].investment_id;
                        let a = state.lines[l2].amount;
                        let first_lbl = state.lines[l].label();
                        state.line_exception(
                            ExceptionCode::DuplicatePayment,
                            l2,
                            a,
                            Some(inv),
                            None,
                            format!("Second payment of {} for investment {inv} (first: {first_lbl}); confirm with the investor and return the duplicate.", money(a)),
                        );
                    }
                }
            }
            None => {
                let l = ls[0];
                let a = state.lines[l].amount;
                let inv = state.moves[m].investment_id;
                state.line_exception(
                    ExceptionCode::AmountMismatch,
                    l,
                    a,
                    Some(inv),
                    Some(m),
                    format!(
                        "Line carries the reference of investment {inv} but pays {} against {} expected (difference {}), beyond tolerance; ask the payer or correct the investment.",
                        money(a),
                        money(expected),
                        money(a - expected)
                    ),
                );
            }
        }
    }
}
