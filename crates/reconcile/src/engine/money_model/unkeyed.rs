//! The fit for a method whose lines carry no key (crypto settlements).

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;
use tieout_domain::{Book, Cents};

use super::{
    Figures, Formula, GrossReading, MAX_FEE_BPS, MIN_EVIDENCE, MethodFit, exact_formulas,
    percent_of,
};
use crate::engine::ReconError;
use crate::engine::expected::{Method, MoveKind, Movement};
use crate::engine::line::Line;

/// Movements sampled (lowest investment ids first) for a fit on lines that carry no key.
const UNKEYED_SAMPLE: usize = 400;

/// Calendar days around a movement's date its unkeyed line is looked for.
pub(super) const UNKEYED_DAYS: i64 = 10;

/// A fit for a method whose lines carry no key (crypto settlements): each sampled open credit
/// of the method votes for every (reading, percentage) under which some credit line within
/// [`UNKEYED_DAYS`] has exactly its figure (±1 cent); a reading is taken only if at least
/// [`MIN_EVIDENCE`] movements agree and no other percentage gets half as many. Noise (a line
/// that happens to fit a random percentage) spreads over a thousand percentages; the true one
/// gathers every single-item settlement.
pub(super) fn unkeyed_fit(
    method: Method,
    book: &Book,
    lines: &[Line<'_>],
    moves: &[Movement],
    by_amount: &HashMap<Cents, Vec<usize>>,
) -> Result<Option<(MethodFit, usize)>, ReconError> {
    let mut sample: Vec<(i64, usize)> = moves
        .iter()
        .enumerate()
        .filter(|(_, m)| m.method == method && m.kind == MoveKind::Credit && m.book_index.is_some())
        .map(|(k, m)| (m.investment_id, k))
        .collect();
    sample.sort_unstable();
    sample.truncate(UNKEYED_SAMPLE);
    let mut votes: BTreeMap<Formula, usize> = BTreeMap::new();
    for &(_, k) in &sample {
        let mv = &moves[k];
        let Some(inv) = mv.book_index.and_then(|i| book.investments.get(i)) else {
            continue;
        };
        let f = Figures::of(inv)?;
        let mut mine: Vec<Formula> = Vec::new();
        for base in exact_formulas() {
            let Some(v) = base.cents(&f) else { continue };
            if v <= 0 {
                continue;
            }
            for bps in 0..=MAX_FEE_BPS {
                let target = v - percent_of(v, bps);
                let near = (target - 1..=target + 1).any(|t| {
                    by_amount.get(&t).is_some_and(|ls| {
                        ls.iter()
                            .any(|&l| (lines[l].date - mv.date).num_days().abs() <= UNKEYED_DAYS)
                    })
                });
                if near {
                    mine.push(Formula {
                        fee_bps: bps as u32,
                        ..base
                    });
                }
            }
        }
        mine.sort_unstable();
        mine.dedup();
        for f in mine {
            *votes.entry(f).or_default() += 1;
        }
    }
    let Some(best) = votes.values().copied().max() else {
        return Ok(None);
    };
    let winners: Vec<Formula> = GrossReading::ALL
        .into_iter()
        .flat_map(|g| {
            votes
                .iter()
                .filter(move |(f, n)| f.gross == g && **n == best)
                .map(|(f, _)| *f)
        })
        .collect();
    let formula = winners[0];
    // The best other percentage. (Neighbouring percentages round small amounts alike, and a
    // processing fee of zero reads alike: neither is another reading.) With at least half the
    // votes it is stated as a tie and accepted as the alternative amount.
    let rival = votes
        .iter()
        .filter(|(f, _)| (i64::from(f.fee_bps) - i64::from(formula.fee_bps)).abs() > 5)
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(f, &n)| (*f, n));
    if best < MIN_EVIDENCE || rival.is_some_and(|(_, n)| n >= best) {
        return Ok(None);
    }
    let ties: Vec<Formula> = rival
        .filter(|&(_, n)| n * 2 >= best)
        .map(|(f, _)| f)
        .into_iter()
        .collect();
    let class = winners
        .iter()
        .filter(|f| {
            f.fee() == formula.fee() && f.less_processing_fees == formula.less_processing_fees
        })
        .map(|f| f.gross)
        .collect();
    Ok(Some((
        MethodFit {
            formula,
            explained: best,
            ties,
            class,
        },
        sample.len(),
    )))
}
