//! The shared vocabulary of loaders, engine and reports.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tieout_domain::{Cents, Severity};

/// Which kind of file a statement line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// Bank CSV export.
    Csv,
    /// Bank XLSX export.
    Xlsx,
    /// BAI2 cash management file.
    Bai2,
    /// ISO 20022 camt.053 bank-to-customer statement.
    Camt053,
    /// Processor payout / balance-transaction export (e.g. Stripe).
    Payouts,
    /// OFX (Open Financial Exchange) bank or card statement download.
    Ofx,
}

/// One transaction on a bank/escrow statement, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// File name (as given on the command line, file-name part) the line came from.
    pub file: String,
    /// 1-based index of the transaction within its file, in file order (header and title lines
    /// not counted).
    pub statement_row: u32,
    /// Format of the file.
    pub format: SourceFormat,
    /// Account identifier when the file states one.
    pub account: Option<String>,
    /// The bank's reference for the transaction (BAI2 bank ref, camt AcctSvcrRef, CSV reference).
    pub bank_ref: Option<String>,
    /// End-to-end / customer reference when the file carries one.
    pub end_to_end_ref: Option<String>,
    /// For a camt batch entry expanded into its transactions: the entry's reference.
    pub entry_ref: Option<String>,
    /// Booking (posting) date.
    pub booking_date: NaiveDate,
    /// Value date, when stated.
    pub value_date: Option<NaiveDate>,
    /// Signed amount in cents: positive = money in (credit), negative = money out (debit).
    pub amount_cents: Cents,
    /// ISO currency code: the line's, else its statement's or account's; a file stating none
    /// anywhere is read as USD (and its load notes say so). `None` only for lines built by
    /// hand.
    pub currency: Option<String>,
    /// Counterparty (originator for credits, beneficiary for debits), when stated.
    pub counterparty: Option<String>,
    /// Description / remittance / memo text, joined.
    pub description: String,
    /// Bank transaction type code when stated (BAI2 type code, camt BkTxCd, CSV type column).
    pub type_code: Option<String>,
    /// The raw record as it appeared in the file (joined continuation lines, or the XML/CSV row).
    pub raw: String,
}

/// A statement line (or a payout-report row) that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reject {
    /// File the line came from.
    pub file: String,
    /// 1-based physical line/row number in the file (or record index for XML).
    pub row: u32,
    /// Column (header name or field position) that failed, when known.
    pub column: Option<String>,
    /// Why it failed, in plain words.
    pub reason: String,
    /// The raw text of the record.
    pub raw: String,
}

/// Stated balances found in a statement, for the roll-forward check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatedBalance {
    /// File the balances came from.
    pub file: String,
    /// Account, when stated.
    pub account: Option<String>,
    /// Opening balance in cents.
    pub opening_cents: Cents,
    /// Closing balance in cents.
    pub closing_cents: Cents,
    /// Date of the closing balance.
    pub as_of: Option<NaiveDate>,
}

/// One row of a processor payout / balance-transaction export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutItem {
    /// File the row came from.
    pub file: String,
    /// 1-based data row index in the file.
    pub row: u32,
    /// Balance transaction id (`txn_…`).
    pub balance_transaction_id: Option<String>,
    /// The payout this row settled in (`po_…`).
    pub payout_id: Option<String>,
    /// Reporting category: `charge`, `refund`, `fee`, `payout`, `dispute`, ...
    pub reporting_category: String,
    /// Gross amount in cents (signed, positive = funds in).
    pub gross_cents: Cents,
    /// Fee in cents (positive = fee charged).
    pub fee_cents: Cents,
    /// Net in cents.
    pub net_cents: Cents,
    /// Source object id (`ch_…`, `py_…`, `re_…`).
    pub source_id: Option<String>,
    /// Payment intent id (`pi_…`), the key to the investment.
    pub payment_intent_id: Option<String>,
    /// Charge id.
    pub charge_id: Option<String>,
    /// Payment method type (`card`, `us_bank_account`, ...).
    pub payment_method_type: Option<String>,
    /// When the payout reached the bank (its effective date).
    pub payout_date: Option<NaiveDate>,
    /// When the transaction was created.
    pub created: Option<NaiveDate>,
    /// Description text.
    pub description: Option<String>,
}

/// Exception codes: part of the output contract (`exceptions.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExceptionCode {
    /// An investment whose money should have arrived has no matching statement line.
    UnmatchedInvestment,
    /// A credit on the statement matches no investment.
    UnmatchedCredit,
    /// A debit on the statement matches no refund, return or disbursement.
    UnmatchedDebit,
    /// Matched, but the amount differs beyond tolerance.
    AmountMismatch,
    /// The money says one thing, the platform status another.
    StatusMismatch,
    /// The same investment was paid more than once.
    DuplicatePayment,
    /// Money is held that must go back to the investor.
    RefundDue,
    /// Several candidates scored too close to pick one.
    AmbiguousMatch,
    /// Opening + credits − debits ≠ closing on a statement.
    BalanceBreak,
    /// A statement line in another currency than the investments': never matched (no
    /// investment is paid in it), to be explained by hand.
    CurrencyMismatch,
}

impl ExceptionCode {
    /// The code as written in CSV outputs.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::UnmatchedInvestment => "UNMATCHED_INVESTMENT",
            Self::UnmatchedCredit => "UNMATCHED_CREDIT",
            Self::UnmatchedDebit => "UNMATCHED_DEBIT",
            Self::AmountMismatch => "AMOUNT_MISMATCH",
            Self::StatusMismatch => "STATUS_MISMATCH",
            Self::DuplicatePayment => "DUPLICATE_PAYMENT",
            Self::RefundDue => "REFUND_DUE",
            Self::AmbiguousMatch => "AMBIGUOUS_MATCH",
            Self::BalanceBreak => "BALANCE_BREAK",
            Self::CurrencyMismatch => "CURRENCY_MISMATCH",
        }
    }
}

/// One accepted pairing of an investment (or expected movement) with a statement line.
/// A batch line matched to many investments yields one row per investment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchRow {
    /// Investment id.
    pub investment_id: i64,
    /// Statement file.
    pub statement_file: String,
    /// Statement row (see [`StatementLine::statement_row`]).
    pub statement_row: u32,
    /// Bank reference of the line.
    pub statement_ref: Option<String>,
    /// Rule that made the match (e.g. `exact_reference`, `payout_report`, `batch_subset_sum`,
    /// `amount_date_name`, `split_payment`, `refund_pair`).
    pub rule: String,
    /// Score in [0, 1].
    pub score: f32,
    /// Expected cents for this investment on this line.
    pub expected_cents: Cents,
    /// Cents of the line attributed to this investment.
    pub bank_cents: Cents,
    /// bank − expected.
    pub difference_cents: Cents,
}

/// One reconciliation exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRow {
    /// Code.
    pub code: ExceptionCode,
    /// Severity.
    pub severity: Severity,
    /// Investment concerned, when any.
    pub investment_id: Option<i64>,
    /// Statement file concerned, when any.
    pub statement_file: Option<String>,
    /// Statement row concerned, when any.
    pub statement_row: Option<u32>,
    /// Amount at stake in cents (signed as on the statement, or the expected amount).
    pub amount_cents: Cents,
    /// One sentence: what happened and what to do.
    pub detail: String,
}

impl ExceptionRow {
    /// The order exceptions are listed in (`exceptions.csv`, run outcomes): code, file, row,
    /// investment id, detail.
    pub fn output_order(a: &Self, b: &Self) -> std::cmp::Ordering {
        (
            a.code,
            &a.statement_file,
            a.statement_row,
            a.investment_id,
            &a.detail,
        )
            .cmp(&(
                b.code,
                &b.statement_file,
                b.statement_row,
                b.investment_id,
                &b.detail,
            ))
    }
}
