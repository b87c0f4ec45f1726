//! Pass 6, `split_payment`: one investment paid by two or three lines of the same payer.
//!
//! An open wire, IRA or unknown-method credit looks up the open credits under its name tokens
//! (a token shared by more than 200 lines says nothing and is skipped), keeps those of a close
//! enough name inside its date window and below its amount, the first 20 by date, and accepts
//! the two or three whose sum is its amount when a bounded subset-sum proves that combination
//! unique. Each movement's lookups and search nodes count against its share of the pass's
//! budget ([`super::budget`]).

use rustc_hash::FxHashMap as HashMap;

use rayon::prelude::*;
use tieout_domain::Cents;

use crate::engine::expected::{Method, MoveKind};
use crate::engine::passes::budget::Budget;
use crate::engine::state::*;
use crate::engine::subset::{self, Subset};
use crate::engine::text::NameShape;

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
    // Plans in parallel (read-only), accepted in movement order; each eligible movement gets an
    // equal share of the budget.
    let n_eligible = (0..state.moves.len())
        .filter(|&m| eligible(state, m))
        .count();
    let mut budget = Budget::new(
        "split_payment",
        state.lines.len() + state.moves.len(),
        n_eligible,
        1,
    );
    let share = budget.share();
    let stref: &State<'_> = state;
    let searched: Vec<(usize, Option<Vec<usize>>, u64)> = (0..state.moves.len())
        .into_par_iter()
        .filter(|&m| eligible(stref, m))
        .map(|m| {
            let (plan, steps) = split_plan(stref, &name_index, m, share);
            (m, plan, steps)
        })
        .collect();
    let mut plans: Vec<(usize, Vec<usize>)> = Vec::new();
    for (m, plan, steps) in searched {
        budget.spend(steps);
        if let Some(ls) = plan {
            plans.push((m, ls));
        }
    }
    state.work.push(budget.report());
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

/// Whether movement `m` may be paid in parts: an open credit by wire, IRA or unknown method.
fn eligible(state: &State<'_>, m: usize) -> bool {
    let movement = &state.moves[m];
    !state.done[m]
        && movement.kind == MoveKind::Credit
        && !movement.is_shadow()
        && matches!(
            movement.method,
            Method::Wire | Method::Ira | Method::Unknown
        )
}

/// The lines (two or three, by a unique subset-sum) that together pay movement `m`, if any, and
/// the steps taken (lines looked up, search nodes), at most `share`.
pub(crate) fn split_plan(
    state: &State<'_>,
    name_index: &HashMap<&str, Vec<usize>>,
    m: usize,
    share: u64,
) -> (Option<Vec<usize>>, u64) {
    let movement = &state.moves[m];
    let mut ls: Vec<usize> = movement
        .names
        .iter()
        .flatten()
        .filter_map(|t| name_index.get(t.as_str()))
        .filter(|v| v.len() <= 200)
        .flatten()
        .copied()
        .collect();
    let looked_up = ls.len() as u64;
    ls.sort_unstable();
    ls.dedup();
    let shapes: Vec<NameShape<'_>> = movement.names.iter().map(|n| NameShape::of(n)).collect();
    let mut ls: Vec<usize> = ls
        .into_iter()
        .filter(|&l| {
            let line = &state.lines[l];
            line.amount < movement.expected
                && state.window_ok(m, line.date).is_some()
                && shapes
                    .iter()
                    .map(|n| n.similarity_from(&line.names, state.tol.name_threshold))
                    .fold(0.0, f64::max)
                    >= state.tol.name_threshold
        })
        .collect();
    ls.sort_by_key(|&l| (state.lines[l].date, l));
    ls.truncate(20);
    if ls.len() < 2 {
        return (None, looked_up);
    }
    let amounts: Vec<Cents> = ls.iter().map(|&l| state.lines[l].amount).collect();
    let tolc = movement
        .tolerance(state.tol)
        .tolerance_cents(movement.expected);
    let (found, nodes) = subset::find_unique_counted(
        &amounts,
        movement.expected,
        tolc,
        2,
        SPLIT_SEARCH_NODES.min(share.saturating_sub(looked_up)),
    );
    let plan = match found {
        Subset::Unique(ix) if ix.len() <= 3 => Some(ix.iter().map(|&i| ls[i]).collect()),
        _ => None,
    };
    (plan, looked_up + nodes)
}

/// Search nodes one split payment's subset-sum may visit.
pub(crate) const SPLIT_SEARCH_NODES: u64 = 10_000;
