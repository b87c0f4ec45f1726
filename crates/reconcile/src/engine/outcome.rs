//! The outcome of a run: sorted rows, open items and the summary (polars `group_by`
//! aggregations over the movements frame), and the working memory handed back as [`Scratch`].

use rayon::prelude::*;

use crate::engine::expected::Movement;
use crate::engine::frames::{self, MoveState};
use crate::engine::line::*;
use crate::engine::run::frame_err;
use crate::engine::state::*;
use crate::engine::{
    IgnoredInvestment, IgnoredLine, OpenItem, OpenItems, ReconError, ReconInput, ReconOutcome,
    ReconSummary,
};
use crate::model::{ExceptionRow, MatchRow};

/// Hands the run's working data (the tokenised lines, the movements and their frames: millions
/// of small allocations) to a thread that frees it while the caller writes its outputs. Freeing
/// it here took a second and a half of one core at a million investments; the result does not
/// depend on it. When no thread can be started it is freed here.
/// What a tokenised line owns: its keys, name tokens, name prefixes and upper-cased text.
pub(crate) type LineOwned = (Vec<String>, Vec<String>, Vec<u16>, String);

/// What a run owns once it is over (see [`super::Scratch`]). The lines borrow the statement;
/// what they own is moved out (no copy of the strings) so that it can cross to another thread.
pub(crate) struct Scratch {
    pub(crate) lines: Vec<LineOwned>,
    pub(crate) moves: Vec<Movement>,
    pub(crate) frame: polars::prelude::DataFrame,
}

impl Scratch {
    pub(crate) fn new(
        lines: Vec<Line<'_>>,
        moves: Vec<Movement>,
        frame: polars::prelude::DataFrame,
    ) -> Self {
        let lines = lines
            .into_iter()
            .map(|l| (l.keys, l.names, l.pfx, l.upper))
            .collect();
        Self {
            lines,
            moves,
            frame,
        }
    }

    /// Frees it all on a thread of its own (right here for a small run, where a thread costs
    /// more than the frees).
    pub(crate) fn free_in_background(self) {
        if self.lines.len() + self.moves.len() < 10_000 {
            return;
        }
        let work = (self.lines, self.moves, self.frame);
        // On a spawn error the closure, and with it the data, is dropped right here.
        let _ = std::thread::Builder::new()
            .name("tieout-free".into())
            .spawn(move || drop(work));
    }
}

pub(crate) fn finish(
    state: State<'_>,
    input: &ReconInput<'_>,
    mut open: Vec<OpenItem>,
) -> Result<(ReconOutcome, Scratch), ReconError> {
    let mut s = ReconSummary {
        lines: state.lines.len(),
        rows_rejected: input.rejects.len(),
        movements: state.moves.len(),
        ..Default::default()
    };
    let mut line_exception = vec![false; state.lines.len()];
    let mut line_match = vec![false; state.lines.len()];
    for (r, l) in state
        .matches
        .iter()
        .map(|(r, l, _)| (r, l))
        .chain(state.releases.iter().map(|(r, l)| (r, l)))
    {
        s.matched_line_cents += r.bank_cents;
        line_match[*l] = true;
    }
    for e in &state.exceptions {
        if let Some(l) = e.line {
            s.exception_line_cents += e.line_cents;
            line_exception[l] = true;
        }
    }
    let codes: Vec<&str> = state
        .exceptions
        .iter()
        .map(|e| e.row.code.as_str())
        .collect();
    s.exceptions_by_code = frames::exception_counts(&codes).map_err(frame_err)?;
    for (_, i) in &state.ignored_lines {
        s.ignored_line_cents += i.amount_cents;
    }
    for (l, line) in state.lines.iter().enumerate() {
        s.lines_cents += line.amount;
        if line_exception[l] {
            s.lines_exception += 1;
        } else if line_match[l] {
            s.lines_matched += 1;
        } else {
            s.lines_ignored += 1;
        }
    }
    let mut movement_state = vec![0u8; state.moves.len()]; // 1 matched, 2 exception, 3 ignored
    for (_, _, m) in &state.matches {
        movement_state[*m] = 1;
    }
    for e in &state.exceptions {
        if let Some(m) = e.movement {
            movement_state[m] = 2;
        }
    }
    for (m, _) in &state.ignored_movements {
        if let Some(m) = m {
            movement_state[*m] = 3;
        }
    }
    let states: Vec<MoveState> = movement_state
        .iter()
        .map(|&x| match x {
            1 => MoveState::Matched,
            2 => MoveState::Exception,
            _ => MoveState::Ignored,
        })
        .collect();
    for x in &states {
        match x {
            MoveState::Matched => s.movements_matched += 1,
            MoveState::Exception => s.movements_exception += 1,
            MoveState::Ignored => s.movements_ignored += 1,
        }
    }
    s.per_method = frames::method_summary(&state.move_frame, &states).map_err(frame_err)?;
    let (denom_n, denom_c, num_c) = s.per_method.values().fold((0usize, 0, 0), |a, e| {
        (
            a.0 + e.movements,
            a.1 + e.expected_cents,
            a.2 + e.matched_expected_cents,
        )
    });
    s.movements_ignored += state
        .ignored_movements
        .iter()
        .filter(|(m, _)| m.is_none())
        .count();
    s.matched_ratio_count = if denom_n == 0 {
        1.0
    } else {
        s.movements_matched as f64 / denom_n as f64
    };
    s.matched_ratio_amount = if denom_c == 0 {
        1.0
    } else {
        num_c as f64 / denom_c as f64
    };
    // Matches in (file, row, investment, rule) order. The file is compared by its rank among the
    // sorted file names (the same order as comparing the names, without a string comparison
    // per pair); stable parallel sorts give the same order as a sequential stable sort.
    let mut files: Vec<&str> = state.lines.iter().map(|l| l.src.file.as_str()).collect();
    files.sort_unstable();
    files.dedup();
    let rank = |f: &str| files.binary_search(&f).unwrap_or(usize::MAX);
    // Sorted where they are (a match's file is its line's file).
    let line_rank: Vec<usize> = state.lines.par_iter().map(|l| rank(&l.src.file)).collect();
    // Escrow releases pair lines with investments that are no movement of the period.
    let mut matches = state.matches;
    matches.extend(state.releases.into_iter().map(|(r, l)| (r, l, usize::MAX)));
    matches.par_sort_by(|a, b| {
        (line_rank[a.1], a.0.statement_row, a.0.investment_id)
            .cmp(&(line_rank[b.1], b.0.statement_row, b.0.investment_id))
            .then_with(|| a.0.rule.cmp(&b.0.rule))
    });
    let matches: Vec<MatchRow> = matches.into_iter().map(|(r, _, _)| r).collect();
    let mut exceptions: Vec<ExceptionRow> = state.exceptions.into_iter().map(|e| e.row).collect();
    exceptions.par_sort_by(ExceptionRow::output_order);
    let mut ignored_lines: Vec<IgnoredLine> =
        state.ignored_lines.into_iter().map(|(_, i)| i).collect();
    ignored_lines.sort_by(|a, b| {
        (&a.statement_file, a.statement_row, &a.reason).cmp(&(
            &b.statement_file,
            b.statement_row,
            &b.reason,
        ))
    });
    let mut ignored_investments: Vec<IgnoredInvestment> = state
        .ignored_movements
        .into_iter()
        .map(|(_, i)| i)
        .collect();
    ignored_investments
        .par_sort_by(|a, b| (a.investment_id, &a.movement).cmp(&(b.investment_id, &b.movement)));
    open.sort_by(|a, b| (a.investment_id, &a.kind).cmp(&(b.investment_id, &b.kind)));
    let scratch = Scratch::new(state.lines, state.moves, state.move_frame);
    let outcome = ReconOutcome {
        matches,
        exceptions,
        ignored_lines,
        ignored_investments,
        open_items: OpenItems {
            format: 1,
            period_end: Some(input.period.last_day()),
            items: open,
        },
        summary: s,
        search: crate::engine::SearchReport {
            work: state.work,
            release_model: state.release_model,
        },
        money_model: Default::default(),
    };
    Ok((outcome, scratch))
}
