//! Passes 3 and 5: amount + directional date window + fuzzy name. Run first over refund and
//! return debits (`refund_pair` / `ach_return_pair`, before the batches: a refund with its own
//! debit line is not one a processor netted inside a payout), then over credits
//! (`amount_date_name`).
//!
//! Amount within the method's tolerance, booking date inside the directional business-day
//! window, fuzzy counterparty name (FBO custodian names, truncation, misspelling,
//! transliteration; both the given and the family name must be on the line; a surname-only hit
//! — spouse, family company, trust — counts as a weak name when the amount is exact; a credit
//! above its expected amount needs a near-certain name). Score = 0.45·name + 0.35·amount +
//! 0.20·date.
//!
//! Global greedy by score with deterministic tie-breaks (whole-name coverage, line order, then
//! investment); when another investor's name + amount evidence is within `ambiguity_epsilon` and
//! their whole names are not clearly apart (coverage of every name token, e.g. `HUU PHUOC BUI`
//! tells Hữu Phước Bùi from Hữu Phước Đặng) the line is AMBIGUOUS_MATCH (a different date inside
//! the window does not tell two payers apart); a candidate beaten that way is deferred to the
//! other investor. Candidates come from [`super::name_index`].

use chrono::NaiveDate;
use rayon::prelude::*;
use tieout_domain::Cents;

use crate::engine::expected::{Method, MoveKind, Movement};
use crate::engine::line::*;
use crate::engine::passes::budget::Budget;
use crate::engine::passes::name_index::*;
use crate::engine::state::*;
use crate::engine::text::{COVERAGE_TOKEN_MIN, Rail, family_tokens, token_best};
use crate::model::ExceptionCode;

pub(crate) fn pass_fuzzy(state: &mut State<'_>, credits: bool) {
    // Blocked by name keys (see `name_key`), then ordered by amount: a movement visits
    // only lines that can pass the name test with it (or carry no name at all) inside both its
    // date window and its amount tolerance.
    let used = &state.used;
    let mut idx: Vec<(u64, Cents, NaiveDate, usize)> = state
        .lines
        .par_iter()
        .enumerate()
        .filter(|(l, line)| {
            !used[*l]
                && state.book_hit[*l].is_none()
                && if credits {
                    line.amount > 0
                } else {
                    line.amount < 0
                }
        })
        .flat_map_iter(|(l, line)| {
            line_name_keys(line)
                .into_iter()
                .map(move |k| (k, line.amount, line.date, l))
        })
        .collect();
    idx.par_sort_unstable();
    let index = NameIndex::new(idx);
    let movs: Vec<usize> = (0..state.moves.len())
        .filter(|&m| {
            let movement = &state.moves[m];
            !state.done[m]
                && if credits {
                    movement.kind == MoveKind::Credit
                        && !matches!(movement.method, Method::Card | Method::Crypto)
                } else {
                    movement.kind != MoveKind::Credit
                }
        })
        .collect();
    // Each movement gets an equal share of the pass's budget.
    let pass = if credits {
        "amount_date_name"
    } else {
        "refund_pair"
    };
    let mut budget = Budget::new(pass, state.lines.len() + state.moves.len(), movs.len(), 1);
    let share = budget.share();
    let stref: &State<'_> = state;
    let found: Vec<(usize, Candidates)> = movs
        .par_iter()
        .map(|&m| (m, candidates(stref, &index, m, share)))
        .collect();
    tracing::debug!(
        pass,
        scored = found.iter().map(|x| x.1.scored).sum::<u64>(),
        kept = found.iter().map(|x| x.1.lines.len()).sum::<usize>(),
        most_steps = found.iter().map(|x| x.1.steps).max().unwrap_or(0),
        "names: candidates scored"
    );
    let mut cands: Vec<Cand> = Vec::new();
    for (m, c) in found {
        if c.refused {
            budget.refuse(c.steps);
            state.name_budget[m] = Some((c.steps, share));
            continue;
        }
        budget.spend(c.steps);
        cands.extend(
            c.lines
                .into_iter()
                .map(|(score, ident, tie, l, weak)| Cand {
                    score,
                    ident,
                    tie,
                    m,
                    l,
                    weak,
                }),
        );
    }
    state.work.push(budget.report());
    cands.par_sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.tie.total_cmp(&a.tie))
            .then(a.l.cmp(&b.l))
            .then(a.m.cmp(&b.m))
    });
    let mut by_line: Vec<Vec<(usize, f64, f64)>> = vec![Vec::new(); state.lines.len()];
    let mut by_move: Vec<Vec<(usize, f64)>> = vec![Vec::new(); state.moves.len()];
    for c in &cands {
        by_line[c.l].push((c.m, c.ident, c.tie));
        by_move[c.m].push((c.l, c.score));
    }
    // A candidate that another investor's better tie-breaker evidence beats on its line is
    // deferred: the better candidate decides the line first; what is left gets a second look at
    // the end.
    let mut deferred: Vec<Cand> = Vec::new();
    fuzzy_assign(state, &cands, &by_line, &by_move, Some(&mut deferred));
    fuzzy_assign(state, &deferred, &by_line, &by_move, None);
    tracing::debug!(pass, "names: assigned");
}

/// One candidate pair of the amount + date + name passes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cand {
    /// Score (identity + date).
    pub(crate) score: f64,
    /// Identity evidence: name (two best tokens) + amount.
    pub(crate) ident: f64,
    /// Tie-breaker evidence (see [`tie_evidence`]).
    pub(crate) tie: f64,
    pub(crate) m: usize,
    pub(crate) l: usize,
    pub(crate) weak: bool,
}

/// Greedy assignment over `cands` (best first). With `defer`, candidates beaten on their line
/// by another investor's better tie-breaker evidence are set aside there instead of being
/// decided.
pub(crate) fn fuzzy_assign(
    state: &mut State<'_>,
    cands: &[Cand],
    by_line: &[Vec<(usize, f64, f64)>],
    by_move: &[Vec<(usize, f64)>],
    mut defer: Option<&mut Vec<Cand>>,
) {
    let eps = state.tol.ambiguity_epsilon;
    for c in cands {
        let Cand {
            score: s,
            ident,
            tie,
            m,
            l,
            weak,
        } = *c;
        if state.done[m] || state.used[l] {
            continue;
        }
        let inv = state.moves[m].investment_id;
        let who = state.moves[m].investor_id;
        let other = |m2: usize| {
            let o = &state.moves[m2];
            m2 != m
                && !state.done[m2]
                && o.investment_id != inv
                && (who.is_none() || o.investor_id != who)
        };
        // Another investor with identity evidence as good and better tie-breaker evidence
        // (`HUU PHUOC BUI` for Hữu Phước Bùi rather than Hữu Phước Đặng; a custodian's FBO wire
        // for the IRA investment rather than the same person's own): not this one's line.
        let beaten = by_line[l]
            .iter()
            .any(|&(m2, id2, t2)| other(m2) && id2 >= ident - eps && t2 > tie + eps);
        if beaten {
            if let Some(d) = defer.as_deref_mut() {
                d.push(*c);
            }
            continue;
        }
        // Rivals: other investors whose identity evidence (name + amount, with the whole name
        // not clearly worse) is as good; a different date inside the window does not tell two
        // payers apart.
        let rivals: Vec<usize> = by_line[l]
            .iter()
            .filter(|&&(m2, id2, t2)| other(m2) && id2 >= ident - eps && t2 >= tie - eps)
            .map(|&(m2, _, _)| m2)
            .collect();
        if !rivals.is_empty() {
            let lbl = state.lines[l].label();
            let mut ids: Vec<i64> = rivals
                .iter()
                .map(|&m2| state.moves[m2].investment_id)
                .chain([inv])
                .collect();
            ids.sort_unstable();
            ids.dedup();
            for &m2 in rivals.iter().chain([&m]) {
                state.ambiguous_movement[m2] = Some(lbl.clone());
            }
            let a = state.lines[l].amount;
            let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
            state.line_exception(
                ExceptionCode::AmbiguousMatch,
                l,
                a,
                None,
                None,
                format!("Investments {} fit this line equally well (name and amount within {:.3}); assign it by hand.", list.join(", "), eps),
            );
            continue;
        }
        // A weak family-name match stands only when nothing else competes: no other open
        // investment for this line and no other open line for this investment.
        if weak {
            let other_move = by_line[l].iter().any(|(m2, _, _)| {
                *m2 != m && !state.done[*m2] && state.moves[*m2].investment_id != inv
            });
            let other_line = by_move[m]
                .iter()
                .any(|(l2, _)| *l2 != l && !state.used[*l2]);
            if other_move || other_line {
                continue;
            }
        }
        // Other lines of the same payer and the same amount: a second payment, unless another
        // investment claims them later.
        for &(l2, _) in &by_move[m] {
            if l2 != l && !state.used[l2] && state.lines[l2].amount == state.lines[l].amount {
                state.dup_hint[l2] = Some(m);
            }
        }
        let movement = &state.moves[m];
        let a = state.lines[l].amount;
        let e = match movement.alt {
            Some(alt) if (a - alt).abs() < (a - movement.expected).abs() => alt,
            _ => movement.expected,
        };
        let rule = match movement.kind {
            MoveKind::Credit => "amount_date_name",
            MoveKind::Refund => "refund_pair",
            MoveKind::AchReturn => "ach_return_pair",
        };
        state.accept(m, l, rule, s, e, a);
    }
}

/// Evidence that tells apart candidates whose identity evidence (name + amount) ties, as one
/// number whose parts never add up to the one above them:
/// * 1 — the line carries the investor's family name ([`surname_present`]);
/// * 0.5 — the line's channel fits the payment method: a custodian's wire (`FBO … IRA`) for an
///   IRA investment and only for it (IRA money comes only from the custodian); not an ACH line
///   for a wire investment, nor a wire for an ACH one ([`line_rail`]);
/// * 0.25 — the platform records the money as taken (not a shadow movement: a failed or
///   cancelled investment is the less likely owner of a payment another one expects).
///
/// A candidate with less is neither the line's owner nor a rival of one with more (see
/// [`fuzzy_assign`]).
pub(crate) fn tie_evidence(movement: &Movement, fams: &[Vec<&String>], line: &Line<'_>) -> f64 {
    let channel = match movement.method {
        Method::Ira => line.custodial,
        _ if line.custodial => false,
        Method::Wire => line.rail != Rail::Ach,
        Method::Ach => line.rail != Rail::Wire,
        _ => true,
    };
    surname_present(fams, &line.names)
        + if channel { 0.5 } else { 0.0 }
        + if movement.is_shadow() { 0.0 } else { 0.25 }
}

/// Least name score for a credit that brought more than its investment's amount.
pub(crate) const OVERPAID_NAME_MIN: f64 = 0.95;

/// Name score given to a surname-only match (exact amount required).
pub(crate) const SURNAME_ONLY: f64 = 0.6;

/// Name score of a weak family-name match (see [`family_hit`]).
pub(crate) const SURNAME_WEAK: f64 = 0.5;

/// A weaker family-name match than [`surname_hit`]: one of the investor's [`family_tokens`], of
/// any length, equals a line token.
/// Returns whether the matching family name is short (under three letters); `None` when none
/// matches.
pub(crate) fn family_hit(fams: &[Vec<&String>], line: &[String]) -> Option<bool> {
    let mut best: Option<bool> = None;
    for f in fams {
        for s in f {
            if line.iter().any(|t| t == *s) {
                let short = s.len() < 3;
                best = Some(best.map_or(short, |b| b && short));
            }
        }
    }
    best
}

/// The [`family_tokens`] of each of an investor's names, read once per movement (the name tests
/// below run for every candidate line).
pub(crate) fn families(names: &[Vec<String>]) -> Vec<Vec<&String>> {
    names.iter().map(|n| family_tokens(n).collect()).collect()
}

/// 1.0 when the line carries the investor's family name (one of its [`family_tokens`]) as a token
/// scoring at least [`COVERAGE_TOKEN_MIN`], else 0.0. A
/// tie-breaker only: `HUU PHUOC BUI` names Hữu Phước Bùi, not Hữu Phước Đặng, although their two
/// best tokens tie; `J NOWAK` fits Jan and Jakub Nowak alike.
pub(crate) fn surname_present(fams: &[Vec<&String>], line: &[String]) -> f64 {
    let present = fams.iter().any(|f| {
        f.iter()
            .filter(|s| s.len() >= 2)
            .any(|s| token_best(s, line) >= COVERAGE_TOKEN_MIN)
    });
    if present { 1.0 } else { 0.0 }
}

/// Whether the investor's surname (the first of its [`family_tokens`]: the last token that is
/// not a company word; three letters or more) is a token of the line.
pub(crate) fn surname_hit(fams: &[Vec<&String>], line: &[String]) -> bool {
    fams.iter()
        .flat_map(|f| f.first())
        .any(|s| s.len() >= 3 && line.iter().any(|t| t == *s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::text::name_tokens;

    fn names(ns: &[&str]) -> Vec<Vec<String>> {
        ns.iter().map(|n| name_tokens(n)).collect()
    }

    #[test]
    fn surname_present_tells_apart_a_shared_given_name_only() {
        let line = name_tokens("HUU PHUOC BUI");
        assert_eq!(
            surname_present(&families(&names(&["Hữu Phước Bùi"])), &line),
            1.0
        );
        assert_eq!(
            surname_present(&families(&names(&["Hữu Phước Đặng"])), &line),
            0.0
        );
        // An initial and a shared family name: no tie-break.
        let line = name_tokens("J NOWAK");
        assert_eq!(
            surname_present(&families(&names(&["Jan Maria Nowak"])), &line),
            surname_present(&families(&names(&["Jakub Nowak"])), &line)
        );
        // A Vietnamese family name written first.
        let line = name_tokens("DO VAN MINH");
        assert_eq!(
            surname_present(&families(&names(&["Đỗ Văn Minh"])), &line),
            1.0
        );
    }
}
