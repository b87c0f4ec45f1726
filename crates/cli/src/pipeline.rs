//! The month-end pipeline, as the binary and the tests run it: statements and payouts parsed
//! beside the engine's expected movements, matching with the compliance checks beside it, the
//! verdict, and the outputs' texts.
//!
//! Scheduling (two cores are the common case, and every step is sized for a million
//! investments): the parsing of every statement file (one task per file) runs beside
//! [`engine::prepare`], which needs only the book; the engine's ordered passes leave a core idle
//! much of the time, so the compliance checks (the OFAC list parsed and indexed, then every
//! rule) run beside them ([`engine::reconcile_beside`]).

use rayon::prelude::*;
use serde::Serialize;
use tieout_domain::{Book, Finding, Severity, check, findings_csv};
use tieout_reconcile::close;
use tieout_reconcile::engine::{
    self, ReconInput, ReconOutcome, Scratch, matches_csv_with, rejects_csv,
};
use tieout_reconcile::load::{self, LoadOptions};
use tieout_reconcile::{PayoutItem, Reject, StatedBalance, StatementLine};
use tieout_report::close::SinceLast;

use crate::config::RunConfig;
use crate::error::RunError;
use crate::inputs::{InputBytes, InputFile, Inputs};
use crate::outdir::sha256_bytes;

/// The run's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every line and every in-scope investment matched; no compliance violation.
    Reconciled,
    /// Exceptions or violations remain.
    Exceptions,
    /// Some input rows could not be read: the run cannot vouch for completeness.
    Incomplete,
}

impl Verdict {
    /// `reconciled`, `exceptions` or `incomplete`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Reconciled => "reconciled",
            Verdict::Exceptions => "exceptions",
            Verdict::Incomplete => "incomplete",
        }
    }

    /// The verdict of an outcome, its findings and the rows the loaders rejected.
    pub fn of(outcome: &ReconOutcome, findings: &[Finding], rejects: &[Reject]) -> Self {
        if !rejects.is_empty() {
            Verdict::Incomplete
        } else if !outcome.exceptions.is_empty()
            || findings.iter().any(|f| f.severity == Severity::Violation)
        {
            Verdict::Exceptions
        } else {
            Verdict::Reconciled
        }
    }
}

/// A step of the run, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Parsing statements and payouts.
    ReadingStatements,
    /// Matching, with the compliance checks beside it.
    Matching,
}

impl Step {
    /// What the step does, for a spinner.
    pub fn label(self) -> &'static str {
        match self {
            Step::ReadingStatements => "reading statements",
            Step::Matching => "matching and checking compliance",
        }
    }
}

/// The statements and payout exports, parsed.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Every statement line, files in argument order.
    pub lines: Vec<StatementLine>,
    /// Stated balances.
    pub balances: Vec<StatedBalance>,
    /// Rows the loaders rejected: the statements', then the payout exports'.
    pub rejects: Vec<Reject>,
    /// Trailer records that contradict their file (BAI2 control totals and counts).
    pub control_breaks: Vec<Reject>,
    /// Payout report rows.
    pub payouts: Vec<PayoutItem>,
}

/// What a run produced, before anything is written.
pub struct RunResult {
    /// The book.
    pub book: Book,
    /// Every statement line read.
    pub lines: Vec<StatementLine>,
    /// Payout report rows.
    pub payouts: Vec<PayoutItem>,
    /// Rows the loaders rejected.
    pub rejects: Vec<Reject>,
    /// The engine's outcome (BALANCE_BREAK rows of contradicting trailers included).
    pub outcome: ReconOutcome,
    /// Compliance findings.
    pub findings: Vec<Finding>,
    /// The verdict.
    pub verdict: Verdict,
    /// Deterministic run id (see [`run_id`]).
    pub run_id: String,
    /// Every file read, in manifest order.
    pub inputs: Vec<InputFile>,
    /// The engine's working memory (see [`Scratch`]).
    pub scratch: Option<Scratch>,
    /// Exception ids and the decisions applied (see `tieout_reconcile::close`).
    pub closing: close::Closing,
    /// What changed since last month, when its open items were given.
    pub since_last: Option<SinceLast>,
    /// Which field the compliance rules read as the securities value, and why.
    pub securities: tieout_domain::SecuritiesReading,
}

/// Parses one file (a statement or a payout export).
enum ParsedFile {
    Statement(load::LoadedStatement),
    Payouts(load::LoadedPayouts),
}

fn parse_file(file: InputBytes, opts: &LoadOptions) -> Result<ParsedFile, RunError> {
    let InputBytes {
        is_statement,
        name,
        path,
        bytes,
    } = file;
    if is_statement {
        let loaded = load::load_statement_from_bytes(&name, &bytes, opts).map_err(|source| {
            RunError::Statement {
                path: path.display().to_string(),
                source,
            }
        })?;
        tracing::info!(
            "{name}: {} lines, {} rejected, {} stated balances",
            loaded.lines.len(),
            loaded.rejects.len(),
            loaded.balances.len()
        );
        Ok(ParsedFile::Statement(loaded))
    } else {
        let loaded =
            load::load_payouts_from_bytes(&name, &bytes).map_err(|source| RunError::Payouts {
                path: path.display().to_string(),
                source,
            })?;
        tracing::info!(
            "{name}: {} payout items, {} rejected",
            loaded.items.len(),
            loaded.rejects.len()
        );
        Ok(ParsedFile::Payouts(loaded))
    }
}

/// Parses every statement and payout file, one task per file (rayon would otherwise run the
/// last two files one after the other on one core).
pub fn parse(files: Vec<InputBytes>, opts: &LoadOptions) -> Result<Parsed, RunError> {
    let parsed: Vec<ParsedFile> = files
        .into_par_iter()
        .with_max_len(1)
        .map(|f| parse_file(f, opts))
        .collect::<Result<_, _>>()?;
    // Sized once: growing it file by file would copy the lines read so far each time.
    let mut out = Parsed {
        lines: Vec::with_capacity(
            parsed
                .iter()
                .map(|p| match p {
                    ParsedFile::Statement(s) => s.lines.len(),
                    ParsedFile::Payouts(_) => 0,
                })
                .sum(),
        ),
        ..Parsed::default()
    };
    let mut payout_rejects: Vec<Reject> = Vec::new();
    for p in parsed {
        match p {
            ParsedFile::Statement(loaded) => {
                out.lines.extend(loaded.lines);
                out.balances.extend(loaded.balances);
                out.rejects.extend(loaded.rejects);
                out.control_breaks.extend(loaded.control_breaks);
            }
            ParsedFile::Payouts(loaded) => {
                out.payouts.extend(loaded.items);
                payout_rejects.extend(loaded.rejects);
            }
        }
    }
    out.rejects.extend(payout_rejects);
    Ok(out)
}

/// Runs the month end on what was read: see the module doc for the scheduling.
pub fn run(config: &RunConfig, inputs: Inputs) -> Result<RunResult, RunError> {
    run_with_progress(config, inputs, &|_| {})
}

/// [`run`], telling `progress` each step as it starts.
pub fn run_with_progress(
    config: &RunConfig,
    inputs: Inputs,
    progress: &dyn Fn(Step),
) -> Result<RunResult, RunError> {
    let Inputs {
        book,
        files,
        bank_profile,
        carry_forward,
        carried_decisions,
        decisions,
        tolerances,
        platform,
        sanctions,
        overrides,
        read,
    } = inputs;
    progress(Step::ReadingStatements);
    let opts = LoadOptions {
        profile: bank_profile,
        xlsx_limits: config.xlsx_limits,
        ..LoadOptions::default()
    };
    // The engine's expected movements (from the book alone) are built beside the statement
    // parsing, filling the cores the longest statement file leaves idle.
    let (prepared, parsed) = rayon::join(
        || engine::prepare(&book, config.period, &tolerances, carry_forward.as_ref()),
        || parse(files, &opts),
    );
    let prepared = prepared.map_err(RunError::Reconcile)?;
    let Parsed {
        lines,
        balances,
        rejects,
        control_breaks,
        payouts,
    } = parsed?;
    progress(Step::Matching);
    let input = ReconInput {
        book: &book,
        lines: &lines,
        payouts: &payouts,
        balances: &balances,
        rejects: &rejects,
        control_breaks: &control_breaks,
        carry_forward: carry_forward.as_ref(),
        period: config.period,
        platform: platform.as_ref(),
    };
    let checks = || -> Result<Vec<Finding>, RunError> {
        let sanctions = sanctions.as_ref().map(|s| s.parse()).transpose()?;
        Ok(check(
            &book,
            config.period.last_day(),
            sanctions.as_ref().map(|s| &s.index),
            &overrides,
            &config.checks,
        ))
    };
    // The checks run beside the engine's ordered passes (its tokenising takes every core).
    let (outcome, findings) = engine::reconcile_beside(&input, &tolerances, prepared, checks);
    let mut findings = findings?;
    let (mut outcome, scratch) = outcome.map_err(RunError::Reconcile)?;
    // Decisions: last month's standing ones, then this month's files.
    let closing = close::apply(
        &close::CloseInput {
            book: &book,
            lines: &lines,
            tolerances: &tolerances,
            period_end: config.period.last_day(),
            carried: &carried_decisions,
            files: &decisions,
        },
        &mut outcome,
        &mut findings,
    );
    let since_last = since_last(
        carry_forward.as_ref(),
        carried_decisions.len(),
        &outcome,
        config.period.last_day(),
    );
    let verdict = Verdict::of(&outcome, &findings, &rejects);
    let run_id = run_id(config, &read);
    let securities = tieout_domain::SecuritiesReading::infer(&book);
    Ok(RunResult {
        book,
        lines,
        payouts,
        rejects,
        outcome,
        findings,
        verdict,
        run_id,
        inputs: read,
        scratch: Some(scratch),
        closing,
        since_last,
        securities,
    })
}

/// What changed since last month: `carry` is last month's open items (when given).
fn since_last(
    carry: Option<&tieout_reconcile::engine::OpenItems>,
    carried_decisions: usize,
    outcome: &ReconOutcome,
    period_end: chrono::NaiveDate,
) -> Option<SinceLast> {
    let carry = carry?;
    let still = outcome
        .open_items
        .items
        .iter()
        .filter(|o| o.first_open_period_end < period_end)
        .count();
    let carried_ids: std::collections::HashSet<i64> =
        carry.items.iter().map(|o| o.investment_id).collect();
    let new = outcome
        .exceptions
        .iter()
        .filter(|e| e.investment_id.is_none_or(|i| !carried_ids.contains(&i)))
        .count();
    Some(SinceLast {
        previous_period_end: carry.period_end,
        carried_in: carry.items.len() + carried_decisions,
        carried_still_open: still,
        new_this_period: new,
    })
}

/// A deterministic id for the run: the same inputs and parameters give the same id.
pub fn run_id(config: &RunConfig, inputs: &[InputFile]) -> String {
    let mut text = format!(
        "tieout {}\nperiod {}\n",
        env!("CARGO_PKG_VERSION"),
        config.period
    );
    let mut hashes: Vec<String> = inputs
        .iter()
        .map(|i| format!("{} {}", i.role, i.sha256))
        .collect();
    hashes.sort();
    for h in hashes {
        text.push_str(&h);
        text.push('\n');
    }
    sha256_bytes(text.as_bytes())[..12].to_string()
}

/// The texts of the CSV and JSON outputs, in the order they are written.
pub fn output_texts(result: &RunResult) -> Vec<(&'static str, String)> {
    let outcome = &result.outcome;
    // Built in parallel (the two big CSVs on separate cores).
    let ((matches, exceptions), (rejects, (findings, open_items))) = rayon::join(
        || {
            rayon::join(
                || matches_csv_with(&outcome.matches, &result.closing.manual),
                || close::exceptions_csv(&result.closing.exception_ids, &outcome.exceptions),
            )
        },
        || {
            rayon::join(
                || rejects_csv(&result.rejects),
                || {
                    (
                        findings_csv(&result.findings),
                        close::open_items_json(&outcome.open_items, &result.closing.carry()),
                    )
                },
            )
        },
    );
    vec![
        ("matches.csv", matches),
        ("exceptions.csv", exceptions),
        ("rejects.csv", rejects),
        ("findings.csv", findings),
        ("open-items.json", open_items),
        (
            "resolved.csv",
            close::resolved_csv(&result.closing.resolved),
        ),
    ]
}

impl RunResult {
    /// What the reports are built from.
    pub fn report_input<'a>(
        &'a self,
        period: &'a tieout_domain::Period,
    ) -> tieout_report::ReportInput<'a> {
        tieout_report::ReportInput {
            period,
            run_id: &self.run_id,
            document_time: tieout_report::document_time(period),
            book: &self.book,
            matches: &self.outcome.matches,
            exceptions: &self.outcome.exceptions,
            rejects: &self.rejects,
            statement_lines: &self.lines,
            findings: &self.findings,
            close: Some(tieout_report::close::CloseView {
                exception_ids: &self.closing.exception_ids,
                finding_ids: &self.closing.finding_ids,
                standing: &self.closing.standing,
                resolved: &self.closing.resolved,
                since_last: self.since_last.as_ref(),
            }),
            money_model: Some(&self.outcome.money_model),
        }
    }
}
