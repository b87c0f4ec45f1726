//! The exclusive-assignment state every pass reads and writes: which lines are used, which
//! movements are done, and the matches, exceptions and ignored items recorded so far.

use chrono::NaiveDate;
use rustc_hash::FxHashMap as HashMap;
use tieout_domain::calendar::weekdays_between;
use tieout_domain::{Cents, Severity, format_cents};

use crate::engine::expected::{MoveKind, Movement, Req};
use crate::engine::line::*;
use crate::engine::passes::budget::PassWork;
use crate::engine::passes::releases::ReleaseModel;
use crate::engine::tolerances::Tolerances;
use crate::engine::{IgnoredInvestment, IgnoredLine};
use crate::model::{ExceptionCode, ExceptionRow, MatchRow};

pub(crate) struct PendingException {
    pub(crate) row: ExceptionRow,
    pub(crate) line: Option<usize>,
    pub(crate) line_cents: Cents,
    pub(crate) movement: Option<usize>,
}

pub(crate) struct State<'a> {
    pub(crate) tol: &'a Tolerances,
    pub(crate) lines: Vec<Line<'a>>,
    pub(crate) moves: Vec<Movement>,
    /// `moves` as a frame (see [`frames::movements_frame`]).
    pub(crate) move_frame: polars::prelude::DataFrame,
    pub(crate) used: Vec<bool>,
    pub(crate) done: Vec<bool>,
    pub(crate) matches: Vec<(MatchRow, usize, usize)>,
    pub(crate) exceptions: Vec<PendingException>,
    pub(crate) ignored_lines: Vec<(usize, IgnoredLine)>,
    pub(crate) ignored_movements: Vec<(Option<usize>, IgnoredInvestment)>,
    pub(crate) ambiguous_movement: Vec<Option<String>>,
    pub(crate) dup_hint: Vec<Option<usize>>,
    pub(crate) batch_hint: Vec<Option<(ExceptionCode, String)>>,
    /// Per line: the book investment (index into `book.investments`) whose reference id or
    /// payment intent id the line carries, among lines the exact passes left open (see
    /// [`book_key_hits`]). Such a line belongs to that investment even when it has no movement
    /// this period, so the amount + date + name passes never offer it to another one.
    pub(crate) book_hit: Vec<Option<usize>>,
    /// Per movement: the candidate steps its name search needed when that was more than its
    /// share of the search budget (the search was not run; see [`budget`]).
    ///
    /// [`budget`]: crate::engine::passes::budget
    pub(crate) name_budget: Vec<Option<(u64, u64)>>,
    /// Escrow releases matched: (row, line). Released investments are not movements of the
    /// period (see [`crate::engine::passes::releases`]).
    pub(crate) releases: Vec<(MatchRow, usize)>,
    /// The release model fitted, when a release was matched.
    pub(crate) release_model: Option<ReleaseModel>,
    /// The work each search pass did against its budget, in pass order.
    pub(crate) work: Vec<PassWork>,
    /// See [`State::credits_by_amount`].
    pub(crate) credits_by_amount: Option<HashMap<Cents, Vec<usize>>>,
    /// How the batched methods settle (see [`crate::engine::money_model::settlement`]).
    pub(crate) schedules: crate::engine::money_model::settlement::Schedules,
}

pub(crate) fn severity(code: ExceptionCode) -> Severity {
    match code {
        ExceptionCode::RefundDue
        | ExceptionCode::BalanceBreak
        | ExceptionCode::DuplicatePayment => Severity::Violation,
        _ => Severity::Warning,
    }
}

/// `$1,234.56`, or `-$1,234.56` for a negative amount.
pub(crate) fn money(c: Cents) -> String {
    if c < 0 {
        format!("-${}", format_cents(c.saturating_abs()))
    } else {
        format!("${}", format_cents(c))
    }
}

impl<'a> State<'a> {
    pub(crate) fn movement_exception(
        &mut self,
        code: ExceptionCode,
        sev: Severity,
        m: usize,
        detail: String,
    ) {
        let movement = &self.moves[m];
        self.exceptions.push(PendingException {
            row: ExceptionRow {
                code,
                severity: sev,
                investment_id: Some(movement.investment_id),
                statement_file: None,
                statement_row: None,
                amount_cents: movement.expected,
                detail,
            },
            line: None,
            line_cents: 0,
            movement: Some(m),
        });
        self.done[m] = true;
    }

    pub(crate) fn line_exception(
        &mut self,
        code: ExceptionCode,
        l: usize,
        cents: Cents,
        inv: Option<i64>,
        movement: Option<usize>,
        detail: String,
    ) {
        let src = self.lines[l].src;
        self.exceptions.push(PendingException {
            row: ExceptionRow {
                code,
                severity: severity(code),
                investment_id: inv,
                statement_file: Some(src.file.clone()),
                statement_row: Some(src.statement_row),
                amount_cents: cents,
                detail,
            },
            line: Some(l),
            line_cents: cents,
            movement,
        });
        self.used[l] = true;
        if let Some(m) = movement {
            self.done[m] = true;
        }
    }

    pub(crate) fn ignore_line(&mut self, l: usize, cents: Cents, reason: String) {
        let src = self.lines[l].src;
        self.ignored_lines.push((
            l,
            IgnoredLine {
                statement_file: src.file.clone(),
                statement_row: src.statement_row,
                amount_cents: cents,
                reason,
            },
        ));
        self.used[l] = true;
    }

    /// Pairs movement `m` with `bank_cents` of line `l`. A shadow movement (the platform says no
    /// money) turns into a line exception instead of a match.
    pub(crate) fn accept(
        &mut self,
        m: usize,
        l: usize,
        rule: &str,
        score: f64,
        expected: Cents,
        bank_cents: Cents,
    ) {
        let movement = &self.moves[m];
        if let Req::Shadow { refund_due, .. } = &movement.req {
            let (code, detail) = if *refund_due {
                (
                    ExceptionCode::RefundDue,
                    format!(
                        "Investment {} is {} but {} of its money arrived on {} ({rule}); return it to the investor or reinstate the investment.",
                        movement.investment_id,
                        movement.status,
                        money(bank_cents),
                        self.lines[l].date
                    ),
                )
            } else {
                (
                    ExceptionCode::StatusMismatch,
                    format!(
                        "Money for investment {} ({} on {}, {rule}) arrived but the platform status is {}; update the status or return the funds.",
                        movement.investment_id,
                        money(bank_cents),
                        self.lines[l].date,
                        movement.status
                    ),
                )
            };
            let inv = movement.investment_id;
            self.line_exception(code, l, bank_cents, Some(inv), Some(m), detail);
            return;
        }
        let rule = if movement.carried.is_some() {
            "carry_forward"
        } else {
            rule
        };
        let src = self.lines[l].src;
        let row = MatchRow {
            investment_id: movement.investment_id,
            statement_file: src.file.clone(),
            statement_row: src.statement_row,
            statement_ref: src.bank_ref.clone(),
            rule: rule.to_string(),
            score: score.clamp(0.0, 1.0) as f32,
            expected_cents: expected,
            bank_cents,
            difference_cents: bank_cents - expected,
        };
        self.matches.push((row, l, m));
        self.done[m] = true;
        self.used[l] = true;
    }

    /// Accepts a batch: `parts` are (movement, bank cents); the last part absorbs any remainder
    /// so the line's cents are fully attributed.
    pub(crate) fn accept_batch(&mut self, l: usize, ms: &[usize], rule: &str, score: f64) {
        let line_amount = self.lines[l].amount;
        let mut attributed = 0;
        for (i, &m) in ms.iter().enumerate() {
            let e = self.moves[m].expected;
            let bank = if i + 1 == ms.len() {
                line_amount - attributed
            } else {
                e
            };
            attributed += bank;
            self.accept(m, l, rule, score, e, bank);
        }
    }

    /// The positive lines by cents (all of them, used or not: callers check `used`), built on
    /// first use.
    pub(crate) fn credits_by_amount(&mut self) -> &HashMap<Cents, Vec<usize>> {
        let lines = &self.lines;
        self.credits_by_amount.get_or_insert_with(|| {
            let mut by: HashMap<Cents, Vec<usize>> = HashMap::default();
            for (l, line) in lines.iter().enumerate() {
                if line.amount > 0 {
                    by.entry(line.amount).or_default().push(l);
                }
            }
            by
        })
    }

    pub(crate) fn window_ok(&self, m: usize, line_date: NaiveDate) -> Option<(i64, f64)> {
        let movement = &self.moves[m];
        let t = movement.tolerance(self.tol);
        let lag = weekdays_between(movement.date, line_date);
        if lag < t.window_min_days {
            return None;
        }
        if movement.carried.is_some() {
            return Some((lag, 0.5));
        }
        if lag > t.window_max_days {
            return None;
        }
        let span = (t.window_max_days - t.window_min_days).max(1) as f64;
        Some((lag, 1.0 - 0.5 * (lag - t.window_min_days) as f64 / span))
    }

    pub(crate) fn sign_ok(&self, m: usize, l: usize) -> bool {
        let a = self.lines[l].amount;
        match self.moves[m].kind {
            MoveKind::Credit => a > 0,
            MoveKind::Refund | MoveKind::AchReturn => a < 0,
        }
    }
}
