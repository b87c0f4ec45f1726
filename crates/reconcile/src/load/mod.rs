//! Statement and payout loaders.
//!
//! Entry points: [`load_statement`] (CSV, XLSX/XLS, BAI2, camt.053, OFX; format detected from content
//! and extension) and [`load_payouts`] (Stripe itemised payout / balance-transaction exports),
//! plus `_from_bytes` variants that take a file name and the content.
//!
//! Every transaction becomes a [`StatementLine`] or a [`Reject`] (file, row, column, reason);
//! nothing is dropped or zeroed. Whole-file structural failures are [`LoadError`]s naming the
//! file and why. Stated opening/closing balances are returned as [`StatedBalance`]s; use
//! [`check_balance`] / [`LoadedStatement::balance_breaks`] for the roll-forward check.

mod bai2;
mod camt;
mod currency;
mod decode;
mod grid;
mod headers;
mod layout;
mod ofx;
mod payouts;
pub mod profile;
mod sign;
mod tabular;
pub mod values;
pub mod xlsx_limits;

use std::path::Path;

use tieout_domain::Cents;

use crate::model::{PayoutItem, Reject, SourceFormat, StatedBalance, StatementLine};
pub use profile::{BankProfile, ColumnRole, DateFormat, Encoding, SignConvention};
pub use values::{DayOrder, DecimalSeparator, parse_amount, parse_date};
pub use xlsx_limits::XlsxLimits;

/// Options for [`load_statement`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Explicit column mapping etc. for CSV/XLSX exports.
    pub profile: Option<BankProfile>,
    /// Force a format instead of detecting it (`Csv`, `Xlsx`, `Bai2`, `Camt053`).
    pub format: Option<SourceFormat>,
    /// Size and cell bounds checked before an XLSX workbook is read.
    pub xlsx_limits: XlsxLimits,
}

/// What a statement file yielded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadedStatement {
    /// Parsed transactions, in file order.
    pub lines: Vec<StatementLine>,
    /// Records that could not be parsed.
    pub rejects: Vec<Reject>,
    /// Trailer records whose control totals or counts disagree with the records they close
    /// (BAI2 49/98/99): every transaction was read, but the file contradicts itself. Reported
    /// as `BALANCE_BREAK` exceptions, not as rejects.
    pub control_breaks: Vec<Reject>,
    /// Stated opening/closing balances (BAI2 010/015, camt OPBD/CLBD, CSV running balance).
    pub balances: Vec<StatedBalance>,
    /// For each entry of `balances`, the half-open range `[start, end)` of
    /// [`StatementLine::statement_row`] values that the balance covers.
    pub balance_rows: Vec<(u32, u32)>,
    /// What the loader inferred rather than read (column roles by content, day/month order,
    /// the text encoding, an assumed currency, balance rows): said so a user can pin it.
    pub notes: Vec<String>,
}

/// Opening + credits − debits ≠ closing for one stated balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceBreak {
    /// File.
    pub file: String,
    /// Account, when stated.
    pub account: Option<String>,
    /// Stated opening balance.
    pub opening_cents: Cents,
    /// Sum of credits (positive lines).
    pub credits_cents: Cents,
    /// Sum of debits as a positive number.
    pub debits_cents: Cents,
    /// Opening + credits − debits.
    pub computed_closing_cents: Cents,
    /// Stated closing balance.
    pub stated_closing_cents: Cents,
    /// Stated − computed.
    pub difference_cents: Cents,
    /// Date of the closing balance.
    pub as_of: Option<chrono::NaiveDate>,
}

/// Roll-forward check: sums the given `lines` that belong to `balance` (same file, and same
/// account when both state one) and compares opening + credits − debits with the stated
/// closing. `None` when it ties. When a file holds several statements for one account (e.g. two
/// BAI2 groups), pass only that statement's lines or use [`LoadedStatement::balance_breaks`].
pub fn check_balance(lines: &[StatementLine], balance: &StatedBalance) -> Option<BalanceBreak> {
    let mut credits: Cents = 0;
    let mut debits: Cents = 0;
    for l in lines.iter().filter(|l| {
        l.file == balance.file
            && match (&l.account, &balance.account) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }) {
        if l.amount_cents >= 0 {
            credits += l.amount_cents;
        } else {
            debits -= l.amount_cents;
        }
    }
    let computed = balance.opening_cents + credits - debits;
    (computed != balance.closing_cents).then(|| BalanceBreak {
        file: balance.file.clone(),
        account: balance.account.clone(),
        opening_cents: balance.opening_cents,
        credits_cents: credits,
        debits_cents: debits,
        computed_closing_cents: computed,
        stated_closing_cents: balance.closing_cents,
        difference_cents: balance.closing_cents - computed,
        as_of: balance.as_of,
    })
}

impl LoadedStatement {
    /// Roll-forward check of every stated balance against exactly the lines it covers.
    pub fn balance_breaks(&self) -> Vec<BalanceBreak> {
        self.balances
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let (start, end) = self.balance_rows.get(i).copied().unwrap_or((0, u32::MAX));
                let lines: Vec<StatementLine> = self
                    .lines
                    .iter()
                    .filter(|l| l.statement_row >= start && l.statement_row < end)
                    .cloned()
                    .collect();
                check_balance(&lines, b)
            })
            .collect()
    }
}

/// What a payout export yielded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadedPayouts {
    /// Parsed rows.
    pub items: Vec<PayoutItem>,
    /// Rows that could not be parsed.
    pub rejects: Vec<Reject>,
}

/// Whole-file failures. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{file}: cannot read the file: {source}")]
    Io {
        /// File.
        file: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The format could not be recognised.
    #[error("{file}: unrecognised statement format: {reason}")]
    UnknownFormat {
        /// File.
        file: String,
        /// Why.
        reason: String,
    },
    /// Text decoding failed.
    #[error("{file}: {reason}")]
    Encoding {
        /// File.
        file: String,
        /// Why.
        reason: String,
    },
    /// CSV structure is broken (e.g. an unterminated quote).
    #[error("{file}: line {line}: CSV cannot be read: {reason}")]
    Csv {
        /// File.
        file: String,
        /// Physical line.
        line: u32,
        /// Why.
        reason: String,
    },
    /// No header row was found.
    #[error("{file}: header row not found: {reason}")]
    HeaderNotFound {
        /// File.
        file: String,
        /// Why.
        reason: String,
    },
    /// The loader cannot decide what some columns mean; a bank profile must map them.
    #[error(
        "{file}: cannot place columns {columns:?} without a bank profile: {reason}; map them in a bank profile (see templates/bank-profiles/example.toml)"
    )]
    UnsureColumns {
        /// File.
        file: String,
        /// The columns concerned.
        columns: Vec<String>,
        /// What is ambiguous or missing.
        reason: String,
    },
    /// The bank profile does not fit the file.
    #[error("{file}: bank profile: {reason}")]
    Profile {
        /// File.
        file: String,
        /// Why.
        reason: String,
    },
    /// The spreadsheet could not be opened.
    #[error("{file}: spreadsheet: {reason}")]
    Spreadsheet {
        /// File.
        file: String,
        /// Why.
        reason: String,
    },
    /// Not a (structurally valid) BAI2 file.
    #[error("{file}: line {line}: not a valid BAI2 file: {reason}")]
    Bai2 {
        /// File.
        file: String,
        /// Physical line.
        line: u32,
        /// Why.
        reason: String,
    },
    /// XML is not well-formed.
    #[error("{file}: line {line}: XML is not well-formed: {reason}")]
    Xml {
        /// File.
        file: String,
        /// Line of the error.
        line: u32,
        /// Why.
        reason: String,
    },
    /// Well-formed XML but not a camt.053 statement.
    #[error("{file}: not a camt.053 statement: {reason}")]
    Camt {
        /// File.
        file: String,
        /// Why.
        reason: String,
    },
    /// The payout export is not a supported layout.
    #[error("{file}: unsupported payout layout: {reason}")]
    UnsupportedPayoutLayout {
        /// File.
        file: String,
        /// Required columns not found.
        missing: Vec<String>,
        /// Details.
        reason: String,
    },
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Load a bank/escrow statement file (CSV, XLSX/XLS, BAI2, camt.053, OFX).
pub fn load_statement(path: &Path, opts: &LoadOptions) -> Result<LoadedStatement, LoadError> {
    let file = file_name(path);
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        file: file.clone(),
        source,
    })?;
    load_statement_from_bytes(&file, &bytes, opts)
}

/// Detect the statement format from the content and the file name's extension.
pub fn detect_format(file: &str, bytes: &[u8]) -> Result<SourceFormat, LoadError> {
    let ext = Path::new(file)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let head = &body[start..];
    let bai_like =
        head.len() >= 3 && head[0].is_ascii_digit() && head[1].is_ascii_digit() && head[2] == b',';
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"\xD0\xCF\x11\xE0") {
        return Ok(SourceFormat::Xlsx);
    }
    match ext.as_str() {
        "bai" | "bai2" | "btrs" => return Ok(SourceFormat::Bai2),
        "xlsx" | "xls" | "xlsm" | "xlsb" | "ods" => return Ok(SourceFormat::Xlsx),
        "xml" | "camt" | "053" => return Ok(SourceFormat::Camt053),
        "ofx" | "qfx" | "qbo" => return Ok(SourceFormat::Ofx),
        _ => {}
    }
    if head.starts_with(b"01,") || (bai_like && ext == "txt") {
        return Ok(SourceFormat::Bai2);
    }
    let probe = &head[..head.len().min(2048)];
    if head.starts_with(b"OFXHEADER") || probe.windows(5).any(|w| w == b"<OFX>") {
        return Ok(SourceFormat::Ofx);
    }
    if head.starts_with(b"<") {
        return Ok(SourceFormat::Camt053);
    }
    if matches!(ext.as_str(), "csv" | "txt" | "tsv" | "") {
        return Ok(SourceFormat::Csv);
    }
    Err(LoadError::UnknownFormat {
        file: file.to_string(),
        reason: format!(
            "extension `.{ext}` is not one of .csv .xlsx .xls .bai .bai2 .txt .xml .ofx, and the content is not BAI2, OFX or XML"
        ),
    })
}

/// [`load_statement`] on in-memory content; `file` is the name used in lines and messages.
pub fn load_statement_from_bytes(
    file: &str,
    bytes: &[u8],
    opts: &LoadOptions,
) -> Result<LoadedStatement, LoadError> {
    let format = match opts.format {
        Some(f) => f,
        None => detect_format(file, bytes)?,
    };
    let mut loaded = load_format(file, bytes, format, opts)?;
    if format != SourceFormat::Xlsx && std::str::from_utf8(bytes).is_err() {
        loaded.notes.push(
            "not UTF-8: decoded as Windows-1252 / Latin-1 (pin encoding in a bank profile)".into(),
        );
    }
    currency::fill_missing(&mut loaded);
    Ok(loaded)
}

fn load_format(
    file: &str,
    bytes: &[u8],
    format: SourceFormat,
    opts: &LoadOptions,
) -> Result<LoadedStatement, LoadError> {
    let profile = opts.profile.as_ref();
    match format {
        SourceFormat::Csv => {
            let text =
                decode::decode_text(file, bytes, profile.map(|p| p.encoding).unwrap_or_default())?;
            let rows = grid::csv_rows(file, &text, profile.and_then(|p| p.delimiter))?;
            tabular::parse_table(file, SourceFormat::Csv, rows, profile)
        }
        SourceFormat::Xlsx => {
            xlsx_limits::check_xlsx(file, bytes, &opts.xlsx_limits)?;
            let rows = tabular::xlsx_rows(file, bytes, profile.and_then(|p| p.sheet.as_deref()))?;
            tabular::parse_table(file, SourceFormat::Xlsx, rows, profile)
        }
        SourceFormat::Bai2 => {
            let text = decode::decode_text(file, bytes, Encoding::Auto)?;
            bai2::parse_bai2(file, &text)
        }
        SourceFormat::Camt053 => {
            let text = decode::decode_text(file, bytes, Encoding::Auto)?;
            camt::parse_camt(file, &text)
        }
        SourceFormat::Ofx => {
            let text = decode::decode_text(file, bytes, Encoding::Auto)?;
            ofx::parse_ofx(file, &text)
        }
        SourceFormat::Payouts => Err(LoadError::UnknownFormat {
            file: file.to_string(),
            reason: "payout exports are loaded with load_payouts, not load_statement".into(),
        }),
    }
}

/// [`load_statement_from_bytes`] for text content.
pub fn load_statement_from_str(
    file: &str,
    text: &str,
    opts: &LoadOptions,
) -> Result<LoadedStatement, LoadError> {
    load_statement_from_bytes(file, text.as_bytes(), opts)
}

/// Load a processor payout / balance-transaction export (Stripe itemised payout
/// reconciliation or balance-change report columns).
pub fn load_payouts(path: &Path) -> Result<LoadedPayouts, LoadError> {
    let file = file_name(path);
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        file: file.clone(),
        source,
    })?;
    load_payouts_from_bytes(&file, &bytes)
}

/// [`load_payouts`] on in-memory content.
pub fn load_payouts_from_bytes(file: &str, bytes: &[u8]) -> Result<LoadedPayouts, LoadError> {
    let text = decode::decode_text(file, bytes, Encoding::Auto)?;
    let rows = grid::csv_rows(file, &text, None)?;
    payouts::parse_payouts(file, rows)
}

/// [`load_payouts_from_bytes`] for text content.
pub fn load_payouts_from_str(file: &str, text: &str) -> Result<LoadedPayouts, LoadError> {
    load_payouts_from_bytes(file, text.as_bytes())
}
