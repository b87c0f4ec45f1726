//! Closing the month: stable exception ids, a person's decisions on the exceptions (read from
//! the filled-in `exceptions.xlsx` or a CSV) applied to a run's outcome, what they resolved,
//! and what is carried to the next month.
//!
//! The flow, run by the CLI after the engine and the compliance checks:
//! 1. [`ids`]: every exception and finding gets an id derived from what it is about.
//! 2. [`read`]: decision files are parsed (a bad row is an error naming file, row and column).
//! 3. [`apply()`]: decisions carried from last month (`open-items.json`), then each file's in
//!    order (a later decision on the same item wins), are applied:
//!    - `match` / `accept_difference` naming investments turn a statement line's exception into
//!      matches with rule `manual`; the money must tie within the methods' tolerances unless
//!      the decision is `accept_difference`;
//!    - `write_off`, `refund_sent`, `return_to_sender`, `accept_difference`, `false_positive`
//!      resolve an exception: it leaves the open list for `resolved.csv`, and an investment it
//!      was about is no longer carried forward;
//!    - `false_positive` on a screening finding (OFAC or the platform's AML hit) clears it the
//!      way a recorded override does: the finding stays, as `info`, saying who cleared it;
//!    - `keep_open` leaves the item open and carries the decision, with its history, to the
//!      next month (a statement line's exception is carried itself: next month's statements
//!      do not hold the line);
//!    - a decision that does not fit (unknown id, investment gone or not open, amounts that
//!      do not tie, a decision of the wrong kind) is never dropped: it becomes a
//!      `STALE_DECISION` exception naming the decision file, row and reason.
//!
//! Pure: no I/O, no clock (the period end dates the history).

mod apply;
pub mod ids;
mod output;
pub mod read;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::ExceptionRow;

pub use apply::{CloseInput, Closing, FileReport, apply};
pub use output::{exceptions_csv, open_items_json, resolved_csv};

/// What a person decided about one exception or finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// The statement line pays the named investment(s): a match with rule `manual`.
    Match,
    /// Accept the difference: on a match decision, pair despite amounts that do not tie; on
    /// an amount mismatch, close it.
    AcceptDifference,
    /// Write the line or amount off (bank fee, immaterial difference…), with a reason.
    WriteOff,
    /// The refund was sent (outside these statements).
    RefundSent,
    /// The money was returned to the sender.
    ReturnToSender,
    /// Leave it open and carry it to next month with this decision.
    KeepOpen,
    /// Not an exception at all (for a screening hit: not the listed person).
    FalsePositive,
}

impl DecisionKind {
    /// Every decision, in the order the worksheet's drop-down offers them.
    pub const ALL: [DecisionKind; 7] = [
        Self::Match,
        Self::AcceptDifference,
        Self::WriteOff,
        Self::RefundSent,
        Self::ReturnToSender,
        Self::KeepOpen,
        Self::FalsePositive,
    ];

    /// The decision as written in the worksheet.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Match => "match",
            Self::AcceptDifference => "accept_difference",
            Self::WriteOff => "write_off",
            Self::RefundSent => "refund_sent",
            Self::ReturnToSender => "return_to_sender",
            Self::KeepOpen => "keep_open",
            Self::FalsePositive => "false_positive",
        }
    }

    /// Parses a decision (case, spaces and hyphens do not matter).
    pub fn parse(s: &str) -> Option<Self> {
        let n: String = s
            .trim()
            .chars()
            .map(|c| if c == ' ' || c == '-' { '_' } else { c })
            .flat_map(char::to_lowercase)
            .collect();
        Self::ALL.into_iter().find(|k| k.as_str() == n)
    }
}

/// One decision read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The exception or finding id it decides.
    pub exception_id: String,
    /// What was decided.
    pub kind: DecisionKind,
    /// For `match` (and `accept_difference` as a match): the investments the line pays.
    pub match_investment_ids: Vec<i64>,
    /// Why.
    pub note: String,
    /// Who.
    pub decided_by: String,
    /// The file it came from (file name).
    pub file: String,
    /// The sheet, for a workbook.
    pub sheet: Option<String>,
    /// 1-based row in that file or sheet (the header is row 1).
    pub row: u32,
}

/// A decision file as read: its name, SHA-256 and decisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionFile {
    /// File name.
    pub name: String,
    /// SHA-256 of its bytes (hex).
    pub sha256: String,
    /// Its decisions, in file order.
    pub decisions: Vec<Decision>,
}

/// One step in a carried item's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// End of the period the decision was applied in.
    pub period_end: NaiveDate,
    /// The decision.
    pub decision: DecisionKind,
    /// Why.
    pub note: String,
    /// Who.
    pub decided_by: String,
    /// Where it came from: `FILE (sha256 …) row N`, or `carried`.
    pub source: String,
}

/// A standing decision carried to the next month in `open-items.json` (`decisions`):
/// `keep_open` on any item, `false_positive` on a screening finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarriedDecision {
    /// The item's id.
    pub exception_id: String,
    /// `reconciliation` or `compliance`.
    pub kind: String,
    /// Exception or rule code.
    pub code: String,
    /// Investment concerned, when any.
    pub investment_id: Option<i64>,
    /// The standing decision.
    pub decision: DecisionKind,
    /// Why (the latest note).
    pub note: String,
    /// Who (the latest decider).
    pub decided_by: String,
    /// Every decision on the item, oldest first.
    pub history: Vec<HistoryEntry>,
    /// A statement line's exception, carried whole (its line is not on next month's
    /// statements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<ExceptionRow>,
}

/// An exception or finding a decision closed, for `resolved.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedItem {
    /// Its id.
    pub exception_id: String,
    /// `reconciliation` or `compliance`.
    pub kind: String,
    /// Exception or rule code.
    pub code: String,
    /// Severity it had.
    pub severity: String,
    /// Investment concerned.
    pub investment_id: Option<i64>,
    /// Statement file concerned.
    pub statement_file: Option<String>,
    /// Statement row concerned.
    pub statement_row: Option<u32>,
    /// Amount at stake it had, in cents.
    pub amount_cents: i64,
    /// What it said.
    pub detail: String,
    /// The decision that closed it (`match`, `write_off`, …, or `no_longer_open` for a
    /// carried item this period no longer reports).
    pub decision: String,
    /// Investments of a manual match.
    pub match_investment_ids: Vec<i64>,
    /// Why.
    pub note: String,
    /// Who.
    pub decided_by: String,
    /// Decision file name (`open-items.json` for a carried decision).
    pub decision_file: String,
    /// Its SHA-256 (empty for a carried decision).
    pub decision_file_sha256: String,
    /// Row in the decision file.
    pub decision_row: Option<u32>,
}

/// A bad decision file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    /// A required column is missing.
    #[error(
        "{file}: no `{column}` column (need exception_id,decision,match_investment_id,note,decided_by)"
    )]
    MissingColumn {
        /// File.
        file: String,
        /// Column.
        column: &'static str,
    },
    /// A row is invalid.
    #[error("{file}{}: row {row}, column {column}: {reason}", sheet.as_ref().map(|s| format!(" (sheet {s})")).unwrap_or_default())]
    Row {
        /// File.
        file: String,
        /// Sheet of a workbook.
        sheet: Option<String>,
        /// 1-based row.
        row: u32,
        /// Column.
        column: String,
        /// What is wrong.
        reason: String,
    },
    /// The file cannot be read as CSV or XLSX.
    #[error("{file}: {reason}")]
    Format {
        /// File.
        file: String,
        /// Why.
        reason: String,
    },
    /// `open-items.json`'s decisions cannot be read.
    #[error("open items: decisions: {0}")]
    Carried(String),
}

/// The standing decisions of an `open-items.json` (none in a file from before decisions).
pub fn carried_decisions(open_items_json: &str) -> Result<Vec<CarriedDecision>, DecisionError> {
    #[derive(Deserialize)]
    struct Only {
        #[serde(default)]
        decisions: Vec<CarriedDecision>,
    }
    serde_json::from_str::<Only>(open_items_json)
        .map(|o| o.decisions)
        .map_err(|e| DecisionError::Carried(e.to_string()))
}
