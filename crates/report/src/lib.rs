//! # tieout-report
//!
//! Month-end reports for issuers: the investor register, funds received, exceptions, the
//! regulator figures and the board pack, as PDF (with an embedded Unicode font) and XLSX.
//!
//! The flow is: [`ReportInput`] → [`build_models`] (plain serialisable tables and totals, what
//! the tests and snapshots cover) → renderers ([`pdf`], [`xlsx`]) that only format the models,
//! laid out by [`Layouts`] read from `templates/reports/*.toml`.
//!
//! Outputs are deterministic: dates in the PDF info dictionary and the XLSX document properties
//! come from the period, and the PDF file identifier from the run id, never the clock.

use std::path::{Path, PathBuf};

use chrono::{NaiveDateTime, NaiveTime};
use tieout_domain::{Book, Finding, Period};
use tieout_reconcile::model::{ExceptionRow, MatchRow, Reject, StatementLine};

pub mod cells;
pub mod close;
pub mod layout;
pub mod models;
pub mod pdf;
pub mod worksheet;
pub mod xlsx;

#[cfg(test)]
mod report_tests;
#[cfg(test)]
mod testdata;

pub use cells::{Cell, Money, Pct, Table, Totals};
pub use layout::{Layouts, REPORTS};
pub use models::{ReportModels, build_models};

/// Errors from building or writing reports.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A layout file is invalid.
    #[error("layout {file}: {message}")]
    Layout {
        /// File (or `<embedded>/…`).
        file: String,
        /// What is wrong.
        message: String,
    },
    /// An investment amount does not fit in cents.
    #[error("investment {investment_id}: amount {amount} does not fit in i64 cents")]
    Amount {
        /// Investment id.
        investment_id: i64,
        /// Amount as given.
        amount: String,
    },
    /// A font could not be read or parsed.
    #[error("font {0}: cannot parse")]
    Font(String),
    /// Writing an XLSX failed.
    #[error("xlsx {path}: {message}")]
    Xlsx {
        /// Output path.
        path: PathBuf,
        /// Writer message.
        message: String,
    },
    /// Writing a PDF failed.
    #[error("pdf {path}: {message}")]
    Pdf {
        /// Output path.
        path: PathBuf,
        /// Message.
        message: String,
    },
    /// File I/O failed.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
}

/// The timestamp written into document metadata: the last day of the period, 23:59:59 (never
/// the clock).
pub fn document_time(period: &Period) -> NaiveDateTime {
    period
        .last_day()
        .and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default())
}

/// Everything the reports are built from, as the CLI passes it.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// Period.
    pub period: &'a Period,
    /// Deterministic run id (derived by the CLI from input hashes).
    pub run_id: &'a str,
    /// Timestamp for document metadata; normally [`document_time`].
    pub document_time: NaiveDateTime,
    /// Offerings, investors, investments.
    pub book: &'a Book,
    /// Accepted matches.
    pub matches: &'a [MatchRow],
    /// Reconciliation exceptions.
    pub exceptions: &'a [ExceptionRow],
    /// Rejected statement lines.
    pub rejects: &'a [Reject],
    /// All statement lines read.
    pub statement_lines: &'a [StatementLine],
    /// Compliance findings.
    pub findings: &'a [Finding],
    /// Decisions applied, ids and what changed since last month (`None`: a run without them).
    pub close: Option<close::CloseView<'a>>,
    /// What the bank was read to see per payment method (`None`: not stated).
    pub money_model: Option<&'a tieout_reconcile::engine::MoneyModel>,
}

/// Builds the models and writes every report into `out_dir` (created if missing):
/// `investor-register.pdf/.xlsx`, `funds-received.pdf/.xlsx`, `exceptions.pdf/.xlsx`,
/// `regulator.pdf`, `board.pdf`. Returns the paths written, in that order.
pub fn render_all(
    input: &ReportInput<'_>,
    layouts: &Layouts,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    let models = build_models(input)?;
    render_models(&models, input.document_time, layouts, out_dir)
}

/// Writes every report from already-built models (see [`render_all`]).
pub fn render_models(
    models: &ReportModels,
    document_time: NaiveDateTime,
    layouts: &Layouts,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(out_dir).map_err(|e| ReportError::Io {
        path: out_dir.to_path_buf(),
        source: e,
    })?;
    let fonts = pdf::Fonts::embedded()?;
    let mut written = Vec::new();
    for name in ["investor-register", "funds-received", "exceptions"] {
        let p = out_dir.join(format!("{name}.pdf"));
        pdf::write_report(name, models, layouts, &fonts, document_time, &p)?;
        written.push(p);
        let x = out_dir.join(format!("{name}.xlsx"));
        xlsx::write_report(name, models, layouts, document_time, &x)?;
        written.push(x);
    }
    for name in ["regulator", "board"] {
        let p = out_dir.join(format!("{name}.pdf"));
        pdf::write_report(name, models, layouts, &fonts, document_time, &p)?;
        written.push(p);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_time_is_the_last_second_of_the_period() {
        let p = Period::parse("2026-02").unwrap();
        assert_eq!(document_time(&p).to_string(), "2026-02-28 23:59:59");
    }
}
