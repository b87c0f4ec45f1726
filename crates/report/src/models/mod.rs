//! Report models: plain serialisable rows and totals per report, computed from the
//! [`ReportInput`]. Renderers only format these; tests and snapshots cover them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use serde::Serialize;
use tieout_domain::{
    Cents, Finding, Investment, InvestmentStatus, Investor, Offering, OfferingType, PaymentMethod,
    RuleCode, Severity, decimal_to_cents, mask_tax_id,
};
use tieout_reconcile::model::ExceptionCode;

use crate::cells::{Cell, Id, Money, Pct, Table, TableRow, Totals, table_row};
use crate::{ReportError, ReportInput};
use tieout_domain::Period;
use tieout_domain::calendar::{add_business_days, next_business_day_on_or_after};

mod board;
mod exceptions;
mod funds;
mod register;
mod regulator;

pub use board::*;
pub use exceptions::*;
pub use funds::*;
pub use register::*;
pub use regulator::*;

/// The page header every report carries.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ReportHeader {
    /// Period (serialised with its first and last day, as the reports print it).
    #[serde(
        serialize_with = "period_with_days",
        deserialize_with = "period_from_days"
    )]
    pub period: Period,
    /// Run id.
    pub run_id: String,
}

/// `{ "month": "YYYY-MM", "first": …, "last": … }`.
fn period_with_days<S: serde::Serializer>(period: &Period, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("Period", 3)?;
    st.serialize_field("month", &period.label())?;
    st.serialize_field("first", &period.first_day())?;
    st.serialize_field("last", &period.last_day())?;
    st.end()
}

/// Reads what [`period_with_days`] wrote (the month decides).
fn period_from_days<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Period, D::Error> {
    #[derive(serde::Deserialize)]
    struct Days {
        month: String,
    }
    let days = <Days as serde::Deserialize>::deserialize(d)?;
    Period::parse(&days.month).map_err(serde::de::Error::custom)
}

/// Every report model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportModels {
    /// Period and run id.
    pub header: ReportHeader,
    /// Investor register.
    pub investor_register: InvestorRegister,
    /// Funds received.
    pub funds_received: FundsReceived,
    /// Exceptions, findings and rejects.
    pub exceptions: ExceptionsReport,
    /// Regulator figures.
    pub regulator: RegulatorReport,
    /// Board pack.
    pub board: BoardReport,
}

/// Column keys of a report table, for layout validation.
pub fn table_keys(report: &str, table: &str) -> Option<&'static [&'static str]> {
    Some(match (report, table) {
        ("investor-register", "investors") => InvestorRow::KEYS,
        ("investor-register", "by_offering") => OfferingHoldingRow::KEYS,
        ("funds-received", "receipts") => ReceiptRow::KEYS,
        ("funds-received", "by_day_method") => DayMethodRow::KEYS,
        ("funds-received", "by_method") | ("board", "by_method") => MethodRow::KEYS,
        ("exceptions", "reconciliation") => ReconExceptionRow::KEYS,
        ("exceptions", "summary") => ExceptionSummaryRow::KEYS,
        ("exceptions", "findings") => FindingRow::KEYS,
        ("exceptions", "rejects") => RejectRow::KEYS,
        ("exceptions", "money_model") => MoneyModelRow::KEYS,
        ("regulator", "figures") => FigureRow::KEYS,
        ("regulator", "by_state") => StateRow::KEYS,
        ("regulator", "issuer_caps") => IssuerCapRow::KEYS,
        ("board", "progress") => ProgressRow::KEYS,
        ("board", "reconciliation") | ("board", "exception_age") => StatusRow::KEYS,
        ("board", "top_issues") => IssueRow::KEYS,
        _ => return None,
    })
}

/// Tables a report's layout must define.
pub fn required_tables(report: &str) -> &'static [&'static str] {
    match report {
        "investor-register" => &["investors"],
        "funds-received" => &["receipts", "by_day_method", "by_method"],
        "exceptions" => &["reconciliation", "findings", "rejects", "money_model"],
        "regulator" => &["figures", "by_state", "issuer_caps"],
        "board" => &[
            "progress",
            "by_method",
            "reconciliation",
            "exception_age",
            "top_issues",
        ],
        _ => &[],
    }
}

/// Pre-computed lookups shared by the builders. The hash maps are only ever looked up, never
/// iterated, so their order cannot reach an output.
pub(crate) struct Ctx<'a> {
    pub(crate) input: &'a ReportInput<'a>,
    pub(crate) investors: HashMap<i64, &'a Investor>,
    pub(crate) offerings: BTreeMap<i64, &'a Offering>,
    pub(crate) investments: HashMap<i64, &'a Investment>,
    /// Booking date of the statement line each exception points at, by exception index.
    pub(crate) exception_line_dates: Vec<Option<NaiveDate>>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(input: &'a ReportInput<'a>) -> Result<Self, ReportError> {
        let book = input.book;
        for inv in &book.investments {
            decimal_to_cents(inv.amount).ok_or(ReportError::Amount {
                investment_id: inv.id,
                amount: inv.amount.to_string(),
            })?;
        }
        // Only the lines exceptions point at; a later line with the same file and row wins,
        // as it did when every line was indexed.
        let mut wanted: HashMap<(&str, u32), Option<NaiveDate>> = input
            .exceptions
            .iter()
            .filter_map(|e| match (&e.statement_file, e.statement_row) {
                (Some(f), Some(r)) => Some(((f.as_str(), r), None)),
                _ => None,
            })
            .collect();
        if !wanted.is_empty() {
            for l in input.statement_lines {
                if let Some(d) = wanted.get_mut(&(l.file.as_str(), l.statement_row)) {
                    *d = Some(l.booking_date);
                }
            }
        }
        let exception_line_dates = input
            .exceptions
            .iter()
            .map(|e| match (&e.statement_file, e.statement_row) {
                (Some(f), Some(r)) => wanted.get(&(f.as_str(), r)).copied().flatten(),
                _ => None,
            })
            .collect();
        Ok(Self {
            input,
            investors: book.investors.iter().map(|i| (i.id, i)).collect(),
            offerings: book.offerings.iter().map(|o| (o.id, o)).collect(),
            investments: book.investments.iter().map(|i| (i.id, i)).collect(),
            exception_line_dates,
        })
    }

    /// The investment's amount in cents (every amount was checked to fit in [`Ctx::new`]).
    pub(crate) fn amount(&self, inv: &Investment) -> Cents {
        decimal_to_cents(inv.amount).unwrap_or(0)
    }

    pub(crate) fn investor_name(&self, id: i64) -> String {
        match self.investors.get(&id) {
            Some(i) => i.full_name(),
            None => format!("(investor #{id} not in snapshot)"),
        }
    }

    pub(crate) fn offering_name(&self, id: i64) -> String {
        match self.offerings.get(&id) {
            Some(o) => o.name.clone(),
            None => format!("(offering #{id} not in snapshot)"),
        }
    }

    pub(crate) fn accredited(&self, inv: &Investment) -> bool {
        inv.accredited
            .or_else(|| {
                self.investors
                    .get(&inv.investor_id)
                    .and_then(|i| i.accredited)
            })
            .unwrap_or(false)
    }
}

pub(crate) fn opt_cents(d: Option<rust_decimal::Decimal>) -> Option<Cents> {
    d.and_then(decimal_to_cents)
}

/// Builds every report model from the input.
pub fn build_models(input: &ReportInput<'_>) -> Result<ReportModels, ReportError> {
    let ctx = Ctx::new(input)?;
    let funds_received = funds_received(&ctx);
    let exceptions = exceptions(&ctx);
    Ok(ReportModels {
        header: ReportHeader {
            period: *input.period,
            run_id: input.run_id.to_string(),
        },
        investor_register: investor_register(&ctx),
        regulator: regulator(&ctx),
        board: board(&ctx, &funds_received),
        funds_received,
        exceptions,
    })
}

pub(crate) fn yes_no(b: Option<bool>) -> String {
    match b {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => String::new(),
    }
}

/// Whether money for this investment was received (it may have been refunded since).
pub(crate) fn counts_as_receipt(inv: &Investment) -> bool {
    inv.status.funds_taken() || inv.status == InvestmentStatus::Refunded
}

/// The payment method as people call it (the API's `other` is ACH).
pub fn method_label(m: &PaymentMethod) -> String {
    method_str(m).to_string()
}

pub(crate) fn method_str(m: &PaymentMethod) -> &str {
    match m {
        PaymentMethod::Card => "Card",
        PaymentMethod::Wire => "Wire",
        PaymentMethod::Ira => "IRA",
        PaymentMethod::Ach => "ACH",
        PaymentMethod::Crypto => "Crypto",
        PaymentMethod::Other(s) => s,
    }
}

/// The distinct values of `parts` in first-seen order, joined with `; ` (`None` when empty).
pub(crate) fn join_distinct<'s>(
    parts: impl Iterator<Item = std::borrow::Cow<'s, str>>,
) -> Option<String> {
    let mut seen: Vec<std::borrow::Cow<'s, str>> = Vec::new();
    for p in parts {
        if !seen.contains(&p) {
            seen.push(p);
        }
    }
    match seen.len() {
        0 => None,
        1 => seen.pop().map(std::borrow::Cow::into_owned),
        _ => Some(seen.join("; ")),
    }
}

pub(crate) fn receipt_date(inv: &Investment) -> Option<NaiveDate> {
    inv.received_at
        .map(|t| t.date_naive())
        .or_else(|| inv.effective_date())
}
