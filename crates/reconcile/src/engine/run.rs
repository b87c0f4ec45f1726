//! One run: tokenise the lines, then the ordered passes, classification, conservation and the
//! summary.

use crate::engine::balance::{balance_breaks, control_breaks};
use crate::engine::classify::{
    book_key_hits, classify_lines, classify_moves, foreign_lines, word_like_keys,
};
use crate::engine::conservation::conservation;
use crate::engine::expected::{self, Method, Movement};
use crate::engine::frames::{self};
use crate::engine::line::*;
use crate::engine::money_model;
use crate::engine::money_model::settlement::{self, Schedules};
use crate::engine::outcome::{Scratch, finish};
use crate::engine::passes::batches::pass_batches;
use crate::engine::passes::exact::pass_exact;
use crate::engine::passes::fuzzy_reference::pass_fuzzy_reference;
use crate::engine::passes::names::pass_fuzzy;
use crate::engine::passes::payouts::pass_payouts;
use crate::engine::passes::releases::pass_releases;
use crate::engine::passes::splits::pass_split;
use crate::engine::state::*;
use crate::engine::tolerances::Tolerances;
use crate::engine::{IgnoredInvestment, ReconError, ReconInput, ReconOutcome};
use crate::model::ExceptionCode;

/// Runs every pass and the final checks, with `beside` on another core once the lines are
/// tokenised (see [`super::reconcile_beside`]).
pub(crate) fn run<R: Send>(
    input: &ReconInput<'_>,
    tol: &Tolerances,
    moves: Vec<Movement>,
    out_of_scope: Vec<expected::OutOfScope>,
    beside: impl FnOnce() -> R + Send,
) -> (Result<(ReconOutcome, Scratch), ReconError>, R) {
    tracing::debug!("engine: tokenise lines");
    // A line token is kept only if it can be some key: key-shaped, or spelt like one of the
    // keys that look like words. Every consumer of `Line::keys` (the exact join, the one-typo
    // reference search, payout ids, the book's keys) only ever uses such tokens.
    let word_keys = word_like_keys(input.book, &moves);
    let lines = tokenise_in(&canonical_order(input.lines), tol, &word_keys);
    // The money model, fitted on the lines that carry an investment's own key, sets every
    // movement's amounts before any pass reads them.
    let (mut moves, mut out_of_scope) = (moves, out_of_scope);
    let fitted = exact_candidates(&lines, &moves).and_then(|cands| {
        tracing::debug!("engine: money model fit");
        let (model, ties) = money_model::fit(
            input.book,
            &lines,
            &moves,
            &cands,
            input.payouts,
            input.platform,
        )?;
        money_model::apply(input.book, &model, &ties, &mut moves, &mut out_of_scope)?;
        // How the batched methods settle: on the settlement lines' totals.
        tracing::debug!("engine: settlement schedules");
        let mut model = model;
        let pinned = |m: Method| {
            input
                .platform
                .is_some_and(|p| p.money_model.contains_key(m.label()))
        };
        let schedules = settlement::fit_settlements(
            input.book, &lines, &mut moves, &cands, &mut model, pinned,
        )?;
        Ok((model, cands, schedules))
    });
    let (model, cands, schedules) = match fitted {
        Ok(f) => f,
        Err(e) => return (Err(e), beside()),
    };
    tracing::info!(model = ?model.lines(), "engine: money model");
    tracing::debug!("engine: frames");
    let move_frame = match frames::movements_frame(&moves) {
        Ok(f) => f,
        Err(e) => return (Err(frame_err(e)), beside()),
    };
    // The passes are ordered and mostly sequential: `beside` fills the other core meanwhile.
    rayon::join(
        || {
            passes(
                input,
                tol,
                lines,
                (moves, move_frame),
                out_of_scope,
                cands,
                schedules,
            )
            .map(|(mut outcome, scratch)| {
                outcome.money_model = model;
                outcome.money_model.releases = outcome.search.release_model.clone();
                (outcome, scratch)
            })
        },
        beside,
    )
}

/// The ordered passes, classification, conservation and the summary.
pub(crate) fn passes<'a>(
    input: &ReconInput<'a>,
    tol: &'a Tolerances,
    lines: Vec<Line<'a>>,
    (moves, move_frame): (Vec<Movement>, polars::prelude::DataFrame),
    out_of_scope: Vec<expected::OutOfScope>,
    exact_cands: Vec<Vec<usize>>,
    schedules: Schedules,
) -> Result<(ReconOutcome, Scratch), ReconError> {
    let n_lines = lines.len();
    let n_moves = moves.len();
    let mut state = State {
        tol,
        lines,
        moves,
        move_frame,
        used: vec![false; n_lines],
        done: vec![false; n_moves],
        matches: Vec::new(),
        exceptions: Vec::new(),
        ignored_lines: Vec::new(),
        ignored_movements: Vec::new(),
        ambiguous_movement: vec![None; n_moves],
        dup_hint: vec![None; n_lines],
        batch_hint: vec![None; n_lines],
        book_hit: Vec::new(),
        name_budget: vec![None; n_moves],
        releases: Vec::new(),
        release_model: None,
        work: Vec::new(),
        credits_by_amount: None,
        schedules,
    };
    tracing::debug!(
        lines = n_lines,
        movements = n_moves,
        "engine: pass exact_reference"
    );
    pass_exact(&mut state, exact_cands);
    // Lines still open that carry an investment's own key (whatever its status): never given
    // to another investment whose reference is one typo away.
    state.book_hit = book_key_hits(&state, input);
    tracing::debug!("engine: pass fuzzy_reference");
    pass_fuzzy_reference(&mut state);
    tracing::debug!("engine: pass payout_report");
    pass_payouts(&mut state, input.payouts);
    // Statements that name no investment of the snapshot are set aside from the searches
    // (held as used until classification, where each line is an exception saying why).
    let foreign = foreign_lines(&state);
    for &(l, _) in &foreign {
        state.used[l] = true;
    }
    // Refund and return debits first: a refund with its own debit line is not one a processor
    // netted inside a payout (pass 3 nets the refunds still open on a payout's day).
    // The name passes (and the open items) read names: those of the movements still open.
    tracing::debug!("engine: names of the open movements");
    let done = std::mem::take(&mut state.done);
    expected::fill_names(input.book, &mut state.moves, |m| !done[m]);
    state.done = done;
    tracing::debug!("engine: pass refund_pair / ach_return_pair");
    pass_fuzzy(&mut state, false);
    tracing::debug!("engine: pass batches");
    pass_batches(&mut state)?;
    tracing::debug!("engine: pass amount_date_name");
    pass_fuzzy(&mut state, true);
    tracing::debug!("engine: pass split_payment");
    pass_split(&mut state);
    tracing::debug!("engine: pass escrow_release");
    let (model, work) = pass_releases(&mut state, input.book);
    state.release_model = model;
    state.work.extend(work);
    for w in &state.work {
        tracing::debug!(
            pass = %w.pass,
            items = w.items,
            steps = w.steps,
            budget = w.budget,
            share = w.share,
            exhausted = w.exhausted,
            "engine: search work"
        );
    }
    for (l, detail) in foreign {
        state.used[l] = false;
        let code = if state.lines[l].amount < 0 {
            ExceptionCode::UnmatchedDebit
        } else {
            ExceptionCode::UnmatchedCredit
        };
        state.batch_hint[l] = Some((code, detail));
    }
    tracing::debug!("engine: classify lines");
    classify_lines(&mut state, input);
    tracing::debug!("engine: classify movements");
    let open_items = classify_moves(&mut state, input);
    for o in out_of_scope {
        state.ignored_movements.push((
            None,
            IgnoredInvestment {
                investment_id: o.investment_id,
                movement: "none".into(),
                expected_cents: o.expected,
                reason: o.reason,
            },
        ));
    }
    tracing::debug!("engine: balances and conservation");
    balance_breaks(&mut state, input);
    control_breaks(&mut state, input);
    conservation(&state)?;
    tracing::debug!("engine: summary");
    let out = finish(state, input, open_items);
    tracing::debug!("engine: done");
    out
}

/// The exact-key candidates of every line (see [`pass_exact`]): read by the money-model fit,
/// then by the exact pass.
fn exact_candidates(lines: &[Line<'_>], moves: &[Movement]) -> Result<Vec<Vec<usize>>, ReconError> {
    let line_keys: Vec<&[String]> = lines.iter().map(|l| l.keys.as_slice()).collect();
    let move_keys: Vec<&[String]> = moves.iter().map(|m| m.keys.as_slice()).collect();
    tracing::debug!("engine: exact join");
    frames::exact_candidates(&line_keys, &move_keys).map_err(frame_err)
}

pub(crate) fn frame_err(e: polars::prelude::PolarsError) -> ReconError {
    ReconError::Frame(e.to_string())
}
