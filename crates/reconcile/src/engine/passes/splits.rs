//! Pass 6, `split_payment`: one investment paid by two or three lines of the same payer.

use rustc_hash::FxHashMap as HashMap;

use rayon::prelude::*;
use tieout_domain::Cents;

use crate::engine::expected::{Method, MoveKind};
use crate::engine::state::*;
use crate::engine::subset::{self, Subset};
use crate::engine::text::name_similarity;

pub(crate) fn pass_split(state: &mut State<'_>) {
    let mut name_index: HashMap<&str, Vec<usize>> = HashMap::default();
    for (l, line) in state.lines.iter().enumerate() {
        if !state.used[l] && state.book_hit[l].is_none() && line.amount > 0 {
            for t in &line.names {
                if t.len() >= 3 {
                    name_index.entry(t.as_str()).or_default().push(l);
                }
            }
        }
    }
    // Plans in parallel (read-only), accepted in movement order.
    let stref: &State<'_> = state;
    let plans: Vec<(usize, Vec<usize>)> = (0..state.moves.len())
        .into_par_iter()
        .filter_map(|m| split_plan(stref, &name_index, m))
        .collect();
    for (m, ls) in plans {
        if state.done[m] || ls.iter().any(|&l| state.used[l]) {
            continue;
        }
        let mut rest = state.moves[m].expected;
        for (i, &l) in ls.iter().enumerate() {
            let a = state.lines[l].amount;
            let e = if i + 1 == ls.len() { rest } else { a };
            rest -= e;
            state.accept(m, l, "split_payment", 0.85, e, a);
        }
    }
}

/// The lines (two or three, by a unique subset-sum) that together pay movement `m`, if any.
pub(crate) fn split_plan(
    state: &State<'_>,
    name_index: &HashMap<&str, Vec<usize>>,
    m: usize,
) -> Option<(usize, Vec<usize>)> {
    let movement = &state.moves[m];
    if state.done[m]
        || movement.kind != MoveKind::Credit
        || movement.is_shadow()
        || !matches!(
            movement.method,
            Method::Wire | Method::Ira | Method::Unknown
        )
    {
        return None;
    }
    let mut ls: Vec<usize> = movement
        .names
        .iter()
        .flatten()
        .filter_map(|t| name_index.get(t.as_str()))
        .filter(|v| v.len() <= 200)
        .flatten()
        .copied()
        .collect();
    ls.sort_unstable();
    ls.dedup();
    let mut ls: Vec<usize> = ls
        .into_iter()
        .filter(|&l| {
            let line = &state.lines[l];
            line.amount < movement.expected
                && state.window_ok(m, line.date).is_some()
                && movement
                    .names
                    .iter()
                    .map(|n| name_similarity(n, &line.names))
                    .fold(0.0, f64::max)
                    >= state.tol.name_threshold
        })
        .collect();
    ls.sort_by_key(|&l| (state.lines[l].date, l));
    ls.truncate(20);
    if ls.len() < 2 {
        return None;
    }
    let amounts: Vec<Cents> = ls.iter().map(|&l| state.lines[l].amount).collect();
    let tolc = movement
        .tolerance(state.tol)
        .tolerance_cents(movement.expected);
    match subset::find_unique(&amounts, movement.expected, tolc, 2, 10_000) {
        Subset::Unique(ix) if ix.len() <= 3 => Some((m, ix.iter().map(|&i| ls[i]).collect())),
        _ => None,
    }
}
