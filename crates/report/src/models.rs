//! Report models: plain serialisable rows and totals per report, computed from the
//! [`ReportInput`]. Renderers only format these; tests and snapshots cover them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use serde::Serialize;
use tieout_domain::rules::{NOT_MODELLED, rega_tier, regcf_issuer_positions};
use tieout_domain::thresholds::{RegATier, SECTION_12G, reg_a_on};
use tieout_domain::{
    Cents, Finding, Investment, InvestmentStatus, Investor, Offering, OfferingType, PaymentMethod,
    RuleCode, Severity, decimal_to_cents, format_cents, mask_tax_id,
};
use tieout_reconcile::model::ExceptionCode;

use crate::bizdays::{add_business_days, next_business_day_on_or_after};
use crate::cells::{Cell, Id, Money, Pct, Table, TableRow, Totals, table_row};
use crate::{Period, ReportError, ReportInput};

/// Section 12(g) holders-of-record threshold (read from the domain's one table).
pub const HOLDERS_12G: i64 = SECTION_12G.holders;
/// Section 12(g) non-accredited holders-of-record threshold (read from the domain's one table).
pub const NON_ACCREDITED_HOLDERS_12G: i64 = SECTION_12G.non_accredited_holders;

/// The page header every report carries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportHeader {
    /// Period.
    pub period: Period,
    /// Run id.
    pub run_id: String,
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

table_row! {
    /// One investor in the register.
    InvestorRow {
        /// Investor id.
        investor_id: Id,
        /// Full name.
        name: String,
        /// Investor type (wire value).
        investor_type: String,
        /// KYC status (wire value).
        kyc_status: String,
        /// `yes` / `no` / empty when not stated.
        accredited: String,
        /// Accreditation basis.
        accreditation_type: Option<String>,
        /// Country (ISO alpha-2).
        country: Option<String>,
        /// US state / region.
        state: Option<String>,
        /// Date of birth (this report only).
        date_of_birth: Option<NaiveDate>,
        /// Tax id masked to the last four.
        tax_id: Option<String>,
        /// Number of investments.
        investments: i64,
        /// Started / not received.
        pending: Money,
        /// Received, invested or approved (held, not yet accepted).
        held: Money,
        /// Accepted (incl. escrow closed).
        accepted: Money,
        /// Refunded.
        refunded: Money,
        /// Cancelled, failed, not approved or unknown status.
        void: Money,
        /// Total of all investments.
        total: Money,
        /// Shares incl. bonus shares of investments with funds taken.
        shares: i64,
    }
}

table_row! {
    /// The holdings of one offering: the register summarised by offering.
    OfferingHoldingRow {
        /// Offering id.
        offering_id: Id,
        /// Offering name.
        offering: String,
        /// Offering type (wire value).
        offering_type: String,
        /// Distinct investors with an investment in the offering.
        investors: i64,
        /// Number of investments.
        investments: i64,
        /// Started / not received.
        pending: Money,
        /// Received, invested or approved.
        held: Money,
        /// Accepted (incl. escrow closed).
        accepted: Money,
        /// Refunded.
        refunded: Money,
        /// Cancelled, failed, not approved or unknown status.
        void: Money,
        /// Total of all investments.
        total: Money,
        /// Shares incl. bonus shares of investments with funds taken.
        shares: i64,
    }
}

/// The investor register.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvestorRegister {
    /// One row per investor, by id.
    pub investors: Table<InvestorRow>,
    /// The same investments summarised by offering, by offering id (the PDF shows it when the
    /// register is too long to list in full).
    pub by_offering: Table<OfferingHoldingRow>,
}

impl InvestorRegister {
    /// Indices into `investors.rows` of the `k` investors with the largest totals (largest
    /// first, ties by investor id).
    pub fn largest(&self, k: usize) -> Vec<usize> {
        let rows = &self.investors.rows;
        top_k(rows.len(), k, |a, b| {
            rows[b]
                .total
                .cmp(&rows[a].total)
                .then(rows[a].investor_id.cmp(&rows[b].investor_id))
        })
    }
}

/// The first `k` of `0..n` under the total order `cmp`, sorted by it.
fn top_k(n: usize, k: usize, cmp: impl Fn(usize, usize) -> std::cmp::Ordering) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    let cmp = |a: &usize, b: &usize| cmp(*a, *b).then(a.cmp(b));
    if k < n {
        if k == 0 {
            return Vec::new();
        }
        idx.select_nth_unstable_by(k - 1, cmp);
        idx.truncate(k);
    }
    idx.sort_unstable_by(cmp);
    idx
}

table_row! {
    /// One receipt (an investment whose funds arrived in the period).
    ReceiptRow {
        /// Date received.
        date: NaiveDate,
        /// Payment method (wire value).
        method: String,
        /// Investment id.
        investment_id: Id,
        /// Investor name.
        investor: String,
        /// Offering name.
        offering: String,
        /// Investment status.
        status: String,
        /// Amount invested.
        amount: Money,
        /// Running total over the period.
        running_total: Money,
        /// Matched statement line(s) as `file#row`.
        statement: Option<String>,
        /// Bank reference of the matched line(s).
        bank_ref: Option<String>,
        /// Cents of the line(s) attributed to this investment.
        bank_amount: Option<Money>,
        /// Match rule(s).
        match_rule: Option<String>,
    }
}

table_row! {
    /// Receipts of one day and payment method.
    DayMethodRow {
        /// Day.
        date: NaiveDate,
        /// Payment method.
        method: String,
        /// Number of receipts.
        count: i64,
        /// Amount.
        amount: Money,
        /// Running total over the period after this line.
        running_total: Money,
    }
}

table_row! {
    /// Receipts of one payment method.
    MethodRow {
        /// Payment method.
        method: String,
        /// Number of receipts.
        count: i64,
        /// Amount.
        amount: Money,
        /// Share of the period's receipts.
        share: Option<Pct>,
    }
}

/// Funds received in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FundsReceived {
    /// Every receipt, by date, method, investment id.
    pub receipts: Table<ReceiptRow>,
    /// Subtotals by day and method.
    pub by_day_method: Table<DayMethodRow>,
    /// Subtotals by method.
    pub by_method: Table<MethodRow>,
}

impl FundsReceived {
    /// Indices into `receipts.rows` of the `k` largest receipts (ties by position), in the
    /// table's own order (date, method, investment id).
    pub fn largest(&self, k: usize) -> Vec<usize> {
        let rows = &self.receipts.rows;
        let mut idx = top_k(rows.len(), k, |a, b| rows[b].amount.cmp(&rows[a].amount));
        idx.sort_unstable();
        idx
    }
}

table_row! {
    /// One reconciliation exception.
    ReconExceptionRow {
        /// Severity.
        severity: String,
        /// Exception code.
        code: String,
        /// Investment id.
        investment_id: Option<Id>,
        /// Statement `file#row`.
        statement: Option<String>,
        /// Amount at stake.
        amount: Money,
        /// Days between the item's date and the period end.
        age_days: Option<i64>,
        /// What happened.
        detail: String,
        /// What to do next.
        next_action: String,
    }
}

table_row! {
    /// One compliance finding.
    FindingRow {
        /// Severity.
        severity: String,
        /// Rule code.
        code: String,
        /// Investment id.
        investment_id: Option<Id>,
        /// Investor name.
        investor: Option<String>,
        /// Offering name.
        offering: Option<String>,
        /// Amount of the investment concerned.
        amount: Option<Money>,
        /// Regulation cited.
        citation: String,
        /// What the rule found.
        detail: String,
        /// What to do next.
        next_action: String,
    }
}

table_row! {
    /// One statement line that could not be read.
    RejectRow {
        /// File.
        file: String,
        /// Row / line number.
        row: Id,
        /// Column.
        column: Option<String>,
        /// Why it failed.
        reason: String,
        /// What to do next.
        next_action: String,
    }
}

table_row! {
    /// Exceptions, findings or rejects of one code: the exceptions report summarised.
    ExceptionSummaryRow {
        /// `Reconciliation`, `Compliance` or `Rejected lines`.
        kind: String,
        /// Worst severity of the group.
        severity: String,
        /// Exception or rule code (`REJECTED_LINE` for rejects).
        code: String,
        /// Number of items.
        count: i64,
        /// Absolute amount at stake (reconciliation) or of the investments concerned.
        amount: Money,
        /// What to do next.
        next_action: String,
    }
}

/// Exceptions, findings and rejects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExceptionsReport {
    /// Every item summarised by kind and code (the PDF shows it when the lists are too long
    /// to print in full): reconciliation by code, then compliance by code, then rejects.
    pub summary: Table<ExceptionSummaryRow>,
    /// Reconciliation exceptions by severity, then amount (largest first).
    pub reconciliation: Table<ReconExceptionRow>,
    /// Compliance findings by severity, then amount.
    pub findings: Table<FindingRow>,
    /// Rejected statement lines.
    pub rejects: Table<RejectRow>,
}

table_row! {
    /// One regulator figure with its citation.
    FigureRow {
        /// What the figure is.
        item: String,
        /// The figure.
        value: Cell,
        /// Regulation cited.
        citation: String,
    }
}

table_row! {
    /// Sales in one state (or non-US country).
    StateRow {
        /// US state, or `Non-US: <country>`.
        state: String,
        /// Distinct investors.
        investors: i64,
        /// Funds received.
        received: Money,
        /// Accepted sales.
        accepted: Money,
    }
}

table_row! {
    /// Reg CF 12-month issuer cap headroom for one issuer.
    IssuerCapRow {
        /// Issuer id.
        issuer_id: Option<Id>,
        /// Reg CF offerings of the issuer.
        offerings: i64,
        /// Reg CF sales (funds taken) in the 12 months to the period end.
        sold_12m: Money,
        /// The cap.
        cap: Money,
        /// Cap minus sold (negative when over).
        headroom: Money,
    }
}

/// Figures for one offering.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegulatorSection {
    /// Offering id.
    pub offering_id: i64,
    /// Offering name.
    pub offering_name: String,
    /// Offering type (wire value).
    pub offering_type: String,
    /// Regime name, e.g. `Regulation Crowdfunding`.
    pub regime: String,
    /// Figures with citations.
    pub figures: Table<FigureRow>,
    /// Sales by state (Reg D Form D), empty otherwise.
    pub by_state: Table<StateRow>,
}

/// The regulator report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegulatorReport {
    /// One section per offering, by id.
    pub sections: Vec<RegulatorSection>,
    /// Reg CF issuer-cap headroom by issuer.
    pub issuer_caps: Table<IssuerCapRow>,
    /// What the figures and findings do not model (`tieout_domain::rules::NOT_MODELLED`), so
    /// nobody reads silence as compliance.
    pub notes: Vec<String>,
}

table_row! {
    /// Raise progress of one offering.
    ProgressRow {
        /// Offering.
        offering: String,
        /// Type.
        offering_type: String,
        /// Target.
        target: Option<Money>,
        /// Maximum.
        maximum: Option<Money>,
        /// Funds received (funds taken, incl. accepted).
        received: Money,
        /// Accepted.
        accepted: Money,
        /// Received / target.
        pct_target: Option<Pct>,
        /// Received / maximum.
        pct_maximum: Option<Pct>,
    }
}

table_row! {
    /// One line of the reconciliation status.
    StatusRow {
        /// What.
        item: String,
        /// Count.
        count: Option<i64>,
        /// Amount.
        amount: Option<Money>,
        /// Share.
        share: Option<Pct>,
    }
}

table_row! {
    /// One group of compliance findings.
    IssueRow {
        /// Rule code.
        code: String,
        /// Worst severity.
        severity: String,
        /// Findings.
        count: i64,
        /// Amount of investments concerned.
        amount: Money,
        /// Citation.
        citation: String,
    }
}

/// One day of the cumulative chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyPoint {
    /// Day.
    pub date: NaiveDate,
    /// Received that day.
    pub amount: Money,
    /// Cumulative over the period.
    pub cumulative: Money,
}

/// The board pack.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardReport {
    /// Progress by offering.
    pub progress: Table<ProgressRow>,
    /// Funds received in the period by method.
    pub by_method: Table<MethodRow>,
    /// Every day of the period.
    pub daily: Vec<DailyPoint>,
    /// Reconciliation status.
    pub reconciliation: Table<StatusRow>,
    /// Open exceptions by age.
    pub exception_age: Table<StatusRow>,
    /// Top compliance issues (at most 8).
    pub top_issues: Table<IssueRow>,
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
        "exceptions" => &["reconciliation", "findings", "rejects"],
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
struct Ctx<'a> {
    input: &'a ReportInput<'a>,
    investors: HashMap<i64, &'a Investor>,
    offerings: BTreeMap<i64, &'a Offering>,
    investments: HashMap<i64, &'a Investment>,
    /// Booking date of the statement line each exception points at, by exception index.
    exception_line_dates: Vec<Option<NaiveDate>>,
}

impl<'a> Ctx<'a> {
    fn new(input: &'a ReportInput<'a>) -> Result<Self, ReportError> {
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
    fn amount(&self, inv: &Investment) -> Cents {
        decimal_to_cents(inv.amount).unwrap_or(0)
    }

    fn investor_name(&self, id: i64) -> String {
        match self.investors.get(&id) {
            Some(i) => i.full_name(),
            None => format!("(investor #{id} not in snapshot)"),
        }
    }

    fn offering_name(&self, id: i64) -> String {
        match self.offerings.get(&id) {
            Some(o) => o.name.clone(),
            None => format!("(offering #{id} not in snapshot)"),
        }
    }

    fn accredited(&self, inv: &Investment) -> bool {
        inv.accredited
            .or_else(|| {
                self.investors
                    .get(&inv.investor_id)
                    .and_then(|i| i.accredited)
            })
            .unwrap_or(false)
    }
}

fn opt_cents(d: Option<rust_decimal::Decimal>) -> Option<Cents> {
    d.and_then(decimal_to_cents)
}

/// Builds every report model from the input.
pub fn build_models(input: &ReportInput<'_>) -> Result<ReportModels, ReportError> {
    let ctx = Ctx::new(input)?;
    let funds_received = funds_received(&ctx);
    let exceptions = exceptions(&ctx);
    Ok(ReportModels {
        header: ReportHeader {
            period: input.period.clone(),
            run_id: input.run_id.to_string(),
        },
        investor_register: investor_register(&ctx),
        regulator: regulator(&ctx),
        board: board(&ctx, &funds_received),
        funds_received,
        exceptions,
    })
}

fn yes_no(b: Option<bool>) -> String {
    match b {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => String::new(),
    }
}

/// The register's status buckets: 0 pending, 1 held, 2 accepted, 3 refunded, 4 void.
fn bucket(status: &InvestmentStatus) -> usize {
    use InvestmentStatus as S;
    match status {
        S::Started | S::NotReceived => 0,
        S::Received | S::Invested | S::Approved => 1,
        S::Accepted | S::AcceptedEscrowClosed => 2,
        S::Refunded => 3,
        S::Cancelled | S::PaymentFailed | S::NotApproved | S::Other(_) => 4,
    }
}

/// The cents of bucket `b` (see [`bucket`]) among a row's five amounts.
fn bucket_mut<'a>(
    pending: &'a mut Money,
    held: &'a mut Money,
    accepted: &'a mut Money,
    refunded: &'a mut Money,
    void: &'a mut Money,
    b: usize,
) -> &'a mut Cents {
    match b {
        0 => &mut pending.0,
        1 => &mut held.0,
        2 => &mut accepted.0,
        3 => &mut refunded.0,
        _ => &mut void.0,
    }
}

fn investor_register(ctx: &Ctx<'_>) -> InvestorRegister {
    // Rows in a vector with an id → position index (a later investor with the same id
    // replaces the earlier one); sorted by id at the end.
    let mut rows: Vec<InvestorRow> = Vec::with_capacity(ctx.input.book.investors.len());
    let mut at: HashMap<i64, usize> = HashMap::with_capacity(ctx.input.book.investors.len());
    let mut offerings: BTreeMap<i64, (OfferingHoldingRow, Vec<i64>)> = BTreeMap::new();
    for i in &ctx.input.book.investors {
        let row = InvestorRow {
            investor_id: Id(i.id),
            name: i.full_name(),
            investor_type: i.investor_type.to_string(),
            kyc_status: i.kyc_status.to_string(),
            accredited: yes_no(i.accredited),
            accreditation_type: i.accreditation_type.as_ref().map(|a| a.to_string()),
            country: i.country.clone(),
            state: i.state.clone(),
            date_of_birth: i.date_of_birth,
            tax_id: i
                .tax_id
                .as_deref()
                .map(mask_tax_id)
                .filter(|s| !s.is_empty()),
            investments: 0,
            pending: Money(0),
            held: Money(0),
            accepted: Money(0),
            refunded: Money(0),
            void: Money(0),
            total: Money(0),
            shares: 0,
        };
        match at.get(&i.id) {
            Some(&p) => rows[p] = row,
            None => {
                at.insert(i.id, rows.len());
                rows.push(row);
            }
        }
    }
    for inv in &ctx.input.book.investments {
        let p = *at.entry(inv.investor_id).or_insert_with(|| {
            rows.push(InvestorRow {
                investor_id: Id(inv.investor_id),
                name: ctx.investor_name(inv.investor_id),
                investor_type: String::new(),
                kyc_status: String::new(),
                accredited: String::new(),
                accreditation_type: None,
                country: None,
                state: None,
                date_of_birth: None,
                tax_id: None,
                investments: 0,
                pending: Money(0),
                held: Money(0),
                accepted: Money(0),
                refunded: Money(0),
                void: Money(0),
                total: Money(0),
                shares: 0,
            });
            rows.len() - 1
        });
        let row = &mut rows[p];
        let c = ctx.amount(inv);
        let shares = if inv.status.funds_taken() {
            inv.quantity.unwrap_or(0) + inv.bonus_shares.unwrap_or(0)
        } else {
            0
        };
        let b = bucket(&inv.status);
        row.investments += 1;
        row.total.0 += c;
        *bucket_mut(
            &mut row.pending,
            &mut row.held,
            &mut row.accepted,
            &mut row.refunded,
            &mut row.void,
            b,
        ) += c;
        row.shares += shares;

        let o = offerings.entry(inv.offering_id).or_insert_with(|| {
            (
                OfferingHoldingRow {
                    offering_id: Id(inv.offering_id),
                    offering: ctx.offering_name(inv.offering_id),
                    offering_type: ctx
                        .offerings
                        .get(&inv.offering_id)
                        .map(|o| o.offering_type.to_string())
                        .unwrap_or_default(),
                    investors: 0,
                    investments: 0,
                    pending: Money(0),
                    held: Money(0),
                    accepted: Money(0),
                    refunded: Money(0),
                    void: Money(0),
                    total: Money(0),
                    shares: 0,
                },
                Vec::new(),
            )
        });
        o.0.investments += 1;
        o.0.total.0 += c;
        let r = &mut o.0;
        *bucket_mut(
            &mut r.pending,
            &mut r.held,
            &mut r.accepted,
            &mut r.refunded,
            &mut r.void,
            b,
        ) += c;
        r.shares += shares;
        o.1.push(inv.investor_id);
    }
    let by_offering: Vec<OfferingHoldingRow> = offerings
        .into_values()
        .map(|(mut row, mut holders)| {
            holders.sort_unstable();
            holders.dedup();
            row.investors = holders.len() as i64;
            row
        })
        .collect();
    // By id; usually already so (a stable sort of sorted input is one linear pass).
    rows.sort_by_key(|r| r.investor_id);
    let sum = |f: fn(&InvestorRow) -> i64| rows.iter().map(f).sum::<i64>();
    let totals = Totals {
        label: format!("Total ({} investors)", rows.len()),
        values: vec![
            ("investments".into(), Cell::Int(sum(|r| r.investments))),
            ("pending".into(), Cell::Money(sum(|r| r.pending.0))),
            ("held".into(), Cell::Money(sum(|r| r.held.0))),
            ("accepted".into(), Cell::Money(sum(|r| r.accepted.0))),
            ("refunded".into(), Cell::Money(sum(|r| r.refunded.0))),
            ("void".into(), Cell::Money(sum(|r| r.void.0))),
            ("total".into(), Cell::Money(sum(|r| r.total.0))),
            ("shares".into(), Cell::Int(sum(|r| r.shares))),
        ],
    };
    let osum = |f: fn(&OfferingHoldingRow) -> i64| by_offering.iter().map(f).sum::<i64>();
    let offering_totals = Totals {
        label: "Total".into(),
        values: vec![
            ("investments".into(), Cell::Int(osum(|r| r.investments))),
            ("pending".into(), Cell::Money(osum(|r| r.pending.0))),
            ("held".into(), Cell::Money(osum(|r| r.held.0))),
            ("accepted".into(), Cell::Money(osum(|r| r.accepted.0))),
            ("refunded".into(), Cell::Money(osum(|r| r.refunded.0))),
            ("void".into(), Cell::Money(osum(|r| r.void.0))),
            ("total".into(), Cell::Money(osum(|r| r.total.0))),
            ("shares".into(), Cell::Int(osum(|r| r.shares))),
        ],
    };
    InvestorRegister {
        investors: Table {
            rows,
            totals: Some(totals),
        },
        by_offering: Table {
            rows: by_offering,
            totals: Some(offering_totals),
        },
    }
}

/// Whether money for this investment was received (it may have been refunded since).
fn counts_as_receipt(inv: &Investment) -> bool {
    inv.status.funds_taken() || inv.status == InvestmentStatus::Refunded
}

/// The payment method as people call it (the API's `other` is ACH).
pub fn method_label(m: &PaymentMethod) -> String {
    method_str(m).to_string()
}

fn method_str(m: &PaymentMethod) -> &str {
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
fn join_distinct<'s>(parts: impl Iterator<Item = std::borrow::Cow<'s, str>>) -> Option<String> {
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

fn receipt_date(inv: &Investment) -> Option<NaiveDate> {
    inv.received_at
        .map(|t| t.date_naive())
        .or_else(|| inv.effective_date())
}

fn funds_received(ctx: &Ctx<'_>) -> FundsReceived {
    let period = &ctx.input.period;
    // Credit matches by investment, in input order: a receipt shows the money that came in;
    // a later refund or return debit is not part of the receipt.
    // Sorted by investment id, input order within one (a stable sort), searched by range.
    let mut matches: Vec<&tieout_reconcile::model::MatchRow> = ctx
        .input
        .matches
        .iter()
        .filter(|m| m.bank_cents > 0)
        .collect();
    matches.sort_by_key(|m| m.investment_id);
    let matches_of = |id: i64| {
        let from = matches.partition_point(|m| m.investment_id < id);
        let to = from + matches[from..].partition_point(|m| m.investment_id == id);
        &matches[from..to]
    };
    let mut receipts: Vec<(NaiveDate, &str, i64, &Investment)> = ctx
        .input
        .book
        .investments
        .iter()
        .filter(|i| counts_as_receipt(i))
        .filter_map(|i| receipt_date(i).map(|d| (d, method_str(&i.payment_method), i.id, i)))
        .filter(|(d, ..)| *d >= period.first && *d <= period.last)
        .collect();
    // By date, method label, id: the labels ranked once so the sort compares integers.
    let labels: Vec<&str> = receipts
        .iter()
        .map(|r| r.1)
        .collect::<BTreeSet<&str>>()
        .into_iter()
        .collect();
    let rank = |m: &str| labels.binary_search(&m).unwrap_or(usize::MAX);
    receipts.sort_by_cached_key(|r| (r.0, rank(r.1), r.2));

    let mut running = 0;
    let mut rows = Vec::with_capacity(receipts.len());
    let mut by_day: Vec<DayMethodRow> = Vec::new();
    let mut by_method: BTreeMap<&str, (i64, Cents)> = BTreeMap::new();
    for (date, method, id, inv) in receipts {
        use std::borrow::Cow;
        let c = ctx.amount(inv);
        running += c;
        let ms = matches_of(id);
        rows.push(ReceiptRow {
            date,
            method: method.to_string(),
            investment_id: Id(id),
            investor: ctx.investor_name(inv.investor_id),
            offering: ctx.offering_name(inv.offering_id),
            status: inv.status.to_string(),
            amount: Money(c),
            running_total: Money(running),
            statement: join_distinct(
                ms.iter()
                    .map(|m| Cow::Owned(format!("{}#{}", m.statement_file, m.statement_row))),
            ),
            bank_ref: join_distinct(
                ms.iter()
                    .filter_map(|m| m.statement_ref.as_deref().map(Cow::Borrowed)),
            ),
            bank_amount: (!ms.is_empty()).then(|| Money(ms.iter().map(|m| m.bank_cents).sum())),
            match_rule: join_distinct(ms.iter().map(|m| Cow::Borrowed(m.rule.as_str()))),
        });
        match by_day.last_mut() {
            Some(last) if last.date == date && last.method.as_str() == method => {
                last.count += 1;
                last.amount.0 += c;
                last.running_total = Money(running);
            }
            _ => by_day.push(DayMethodRow {
                date,
                method: method.to_string(),
                count: 1,
                amount: Money(c),
                running_total: Money(running),
            }),
        }
        let e = by_method.entry(method).or_default();
        e.0 += 1;
        e.1 += c;
    }
    let total_count = rows.len() as i64;
    let matched_bank: Cents = rows.iter().filter_map(|r| r.bank_amount.map(|m| m.0)).sum();
    let receipts_totals = Totals {
        label: format!("Total ({total_count} receipts)"),
        values: vec![
            ("amount".into(), Cell::Money(running)),
            ("bank_amount".into(), Cell::Money(matched_bank)),
        ],
    };
    let day_totals = Totals {
        label: "Total".into(),
        values: vec![
            ("count".into(), Cell::Int(total_count)),
            ("amount".into(), Cell::Money(running)),
        ],
    };
    let method_rows: Vec<MethodRow> = by_method
        .into_iter()
        .map(|(method, (count, amount))| MethodRow {
            method: method.to_string(),
            count,
            amount: Money(amount),
            share: Pct::of(i128::from(amount), i128::from(running)),
        })
        .collect();
    let method_totals = Totals {
        label: "Total".into(),
        values: vec![
            ("count".into(), Cell::Int(total_count)),
            ("amount".into(), Cell::Money(running)),
            (
                "share".into(),
                Pct::of(i128::from(running), i128::from(running)).map_or(Cell::Empty, Cell::from),
            ),
        ],
    };
    FundsReceived {
        receipts: Table {
            rows,
            totals: Some(receipts_totals),
        },
        by_day_method: Table {
            rows: by_day,
            totals: Some(day_totals),
        },
        by_method: Table {
            rows: method_rows,
            totals: Some(method_totals),
        },
    }
}

/// The next action for a reconciliation exception code.
pub fn exception_next_action(code: ExceptionCode) -> &'static str {
    match code {
        ExceptionCode::UnmatchedInvestment => {
            "Ask the investor or the escrow agent for proof of payment; if none arrives, set the investment to not received."
        }
        ExceptionCode::UnmatchedCredit => {
            "Identify the sender from the bank's advice and link the credit to an investment, or return it."
        }
        ExceptionCode::UnmatchedDebit => {
            "Obtain the bank's debit advice and record the refund, return or disbursement it settles."
        }
        ExceptionCode::AmountMismatch => {
            "Collect the shortfall or refund the excess, or correct the investment amount on the platform."
        }
        ExceptionCode::StatusMismatch => {
            "Update the investment status on the platform to match the money movement."
        }
        ExceptionCode::DuplicatePayment => "Refund the duplicate payment to the investor.",
        ExceptionCode::RefundDue => "Send the refund and record it on the platform.",
        ExceptionCode::AmbiguousMatch => {
            "Choose the right investment by hand and record the pairing in the overrides file."
        }
        ExceptionCode::BalanceBreak => {
            "Request a corrected or complete statement from the bank; check for missing files or days."
        }
    }
}

/// The next action for a compliance finding code.
pub fn finding_next_action(code: RuleCode) -> &'static str {
    use RuleCode as R;
    match code {
        R::RegcfInvestorLimit | R::RegaTier2Limit => {
            "Confirm income and net worth with the investor; cancel or reduce the investment if the limit is exceeded."
        }
        R::RegcfIssuerCap | R::OfferingMaxExceeded => {
            "Stop accepting funds and refund or reject the investments above the cap."
        }
        R::Regd506bNonaccreditedCount => {
            "Review non-accredited purchasers with counsel; no further non-accredited sales."
        }
        R::Regd506cNotAccredited => {
            "Obtain accreditation verification (230.506(c)(2)(ii)) or refund the investment."
        }
        R::RegsUsPerson => "Obtain a non-US purchaser certification or refund the investment.",
        R::AccreditationInconsistent => {
            "Ask the investor to correct the accreditation basis or figures and keep the evidence."
        }
        R::KycNotPassed => "Complete KYC before accepting the funds, or refund.",
        R::AmlWatchlistHit | R::SanctionsNameMatch => {
            "Escalate to the compliance officer; do not release funds until the match is cleared."
        }
        R::InvestorUnderage => "Refund the investment; minors may not invest.",
        R::CountryExcluded => "Refund the investment; the investor's country is excluded.",
        R::InvestmentBelowMin | R::InvestmentAboveMax | R::InvestmentIncrement => {
            "Correct the investment amount with the investor or refund it."
        }
        R::FundsAfterDeadline => "Refund the funds received after the offering deadline.",
        R::DataMissing => {
            "Obtain the missing data the finding names and re-run; until then the rule is not evaluated."
        }
    }
}

/// The next action for a rejected statement line.
pub const REJECT_NEXT_ACTION: &str =
    "Fix the line in the statement file (or ask the bank for a corrected export) and re-run.";

fn exceptions(ctx: &Ctx<'_>) -> ExceptionsReport {
    let last = ctx.input.period.last;
    let mut recon: Vec<(Severity, i64, ReconExceptionRow)> = ctx
        .input
        .exceptions
        .iter()
        .zip(&ctx.exception_line_dates)
        .map(|(e, line_date)| {
            let line_date = *line_date;
            let inv_date = e
                .investment_id
                .and_then(|id| ctx.investments.get(&id))
                .and_then(|i| receipt_date(i));
            let age = line_date.or(inv_date).map(|d| (last - d).num_days());
            let row = ReconExceptionRow {
                severity: e.severity.as_str().to_string(),
                code: e.code.as_str().to_string(),
                investment_id: e.investment_id.map(Id),
                statement: match (&e.statement_file, e.statement_row) {
                    (Some(f), Some(r)) => Some(format!("{f}#{r}")),
                    (Some(f), None) => Some(f.clone()),
                    _ => None,
                },
                amount: Money(e.amount_cents),
                age_days: age,
                detail: e.detail.clone(),
                next_action: exception_next_action(e.code).to_string(),
            };
            (e.severity, e.amount_cents.saturating_abs(), row)
        })
        .collect();
    recon.sort_by(|a, b| {
        (
            a.0,
            std::cmp::Reverse(a.1),
            &a.2.code,
            a.2.investment_id,
            &a.2.statement,
        )
            .cmp(&(
                b.0,
                std::cmp::Reverse(b.1),
                &b.2.code,
                b.2.investment_id,
                &b.2.statement,
            ))
    });
    let recon_rows: Vec<ReconExceptionRow> = recon.into_iter().map(|(_, _, r)| r).collect();
    // The amount at stake: credits and debits must not cancel out (the board shows the same).
    let recon_total: Cents = recon_rows.iter().map(|r| r.amount.0.saturating_abs()).sum();

    let mut findings: Vec<(Severity, Cents, &Finding, FindingRow)> = ctx
        .input
        .findings
        .iter()
        .map(|f| {
            let inv = f.investment_id.and_then(|id| ctx.investments.get(&id));
            let amount = inv.map(|i| ctx.amount(i));
            let investor_id = f.investor_id.or(inv.map(|i| i.investor_id));
            let offering_id = f.offering_id.or(inv.map(|i| i.offering_id));
            let row = FindingRow {
                severity: f.severity.as_str().to_string(),
                code: f.code.as_str().to_string(),
                investment_id: f.investment_id.map(Id),
                investor: investor_id.map(|id| ctx.investor_name(id)),
                offering: offering_id.map(|id| ctx.offering_name(id)),
                amount: amount.map(Money),
                citation: f.citation.clone(),
                detail: f.detail.clone(),
                next_action: finding_next_action(f.code).to_string(),
            };
            (f.severity, amount.unwrap_or(0).saturating_abs(), f, row)
        })
        .collect();
    findings.sort_by(|a, b| {
        (
            a.0,
            std::cmp::Reverse(a.1),
            a.2.code,
            a.2.investment_id,
            a.2.investor_id,
            a.2.offering_id,
        )
            .cmp(&(
                b.0,
                std::cmp::Reverse(b.1),
                b.2.code,
                b.2.investment_id,
                b.2.investor_id,
                b.2.offering_id,
            ))
    });
    let finding_rows: Vec<FindingRow> = findings.into_iter().map(|(.., r)| r).collect();
    let finding_total: Cents = finding_rows
        .iter()
        .filter_map(|r| r.amount.map(|m| m.0))
        .sum();

    let reject_rows: Vec<RejectRow> = ctx
        .input
        .rejects
        .iter()
        .map(|r| RejectRow {
            file: r.file.clone(),
            row: Id(i64::from(r.row)),
            column: r.column.clone(),
            reason: r.reason.clone(),
            next_action: REJECT_NEXT_ACTION.to_string(),
        })
        .collect();

    // Summary by kind and code, each group at its worst severity.
    let mut groups: BTreeMap<(u8, String), (Severity, i64, Cents, &'static str)> = BTreeMap::new();
    for e in ctx.input.exceptions {
        let g = groups.entry((0, e.code.as_str().to_string())).or_insert((
            e.severity,
            0,
            0,
            exception_next_action(e.code),
        ));
        g.0 = g.0.min(e.severity);
        g.1 += 1;
        g.2 += e.amount_cents.saturating_abs();
    }
    for f in ctx.input.findings {
        let amount = f
            .investment_id
            .and_then(|id| ctx.investments.get(&id))
            .map(|i| ctx.amount(i))
            .unwrap_or(0);
        let g = groups.entry((1, f.code.as_str().to_string())).or_insert((
            f.severity,
            0,
            0,
            finding_next_action(f.code),
        ));
        g.0 = g.0.min(f.severity);
        g.1 += 1;
        g.2 += amount.saturating_abs();
    }
    let mut summary: Vec<(u8, Severity, ExceptionSummaryRow)> = groups
        .into_iter()
        .map(|((kind, code), (sev, count, amount, next))| {
            (
                kind,
                sev,
                ExceptionSummaryRow {
                    kind: if kind == 0 {
                        "Reconciliation"
                    } else {
                        "Compliance"
                    }
                    .into(),
                    severity: sev.as_str().to_string(),
                    code,
                    count,
                    amount: Money(amount),
                    next_action: next.to_string(),
                },
            )
        })
        .collect();
    summary.sort_by(|a, b| {
        (a.0, a.1, std::cmp::Reverse(a.2.amount), &a.2.code).cmp(&(
            b.0,
            b.1,
            std::cmp::Reverse(b.2.amount),
            &b.2.code,
        ))
    });
    let mut summary: Vec<ExceptionSummaryRow> = summary.into_iter().map(|(.., r)| r).collect();
    if !reject_rows.is_empty() {
        summary.push(ExceptionSummaryRow {
            kind: "Rejected lines".into(),
            severity: String::new(),
            code: "REJECTED_LINE".into(),
            count: reject_rows.len() as i64,
            amount: Money(0),
            next_action: REJECT_NEXT_ACTION.to_string(),
        });
    }

    ExceptionsReport {
        summary: Table {
            totals: Some(Totals {
                label: "Total".into(),
                values: vec![(
                    "count".into(),
                    Cell::Int(summary.iter().map(|r| r.count).sum()),
                )],
            }),
            rows: summary,
        },
        reconciliation: Table {
            totals: Some(Totals {
                label: format!("Total at stake ({} exceptions)", recon_rows.len()),
                values: vec![("amount".into(), Cell::Money(recon_total))],
            }),
            rows: recon_rows,
        },
        findings: Table {
            totals: Some(Totals {
                label: format!("Total ({} findings)", finding_rows.len()),
                values: vec![("amount".into(), Cell::Money(finding_total))],
            }),
            rows: finding_rows,
        },
        rejects: Table {
            totals: Some(Totals {
                label: format!("Total ({} rejected lines)", reject_rows.len()),
                values: vec![],
            }),
            rows: reject_rows,
        },
    }
}

fn fig(item: &str, value: impl Into<Cell>, citation: &str) -> FigureRow {
    FigureRow {
        item: item.to_string(),
        value: value.into(),
        citation: citation.to_string(),
    }
}

/// The first date on which cumulative funds taken reached `threshold` cents.
fn crossing_date(invs: &[(NaiveDate, Cents)], threshold: Cents) -> Option<NaiveDate> {
    let mut cum = 0;
    for (d, c) in invs {
        cum += c;
        if cum >= threshold {
            return Some(*d);
        }
    }
    None
}

fn regime(t: &OfferingType) -> &'static str {
    match t {
        OfferingType::RegCf => "Regulation Crowdfunding",
        OfferingType::RegD506b => "Regulation D, Rule 506(b)",
        OfferingType::RegD506c => "Regulation D, Rule 506(c)",
        OfferingType::RegA => "Regulation A, Tier 2",
        OfferingType::RegS => "Regulation S",
        OfferingType::TestTheWaters => "Testing the waters",
        OfferingType::Other(_) => "Other exemption",
    }
}

fn count_findings(ctx: &Ctx<'_>, offering_id: i64, code: RuleCode) -> i64 {
    ctx.input
        .findings
        .iter()
        .filter(|f| f.code == code)
        .filter(|f| {
            f.offering_id == Some(offering_id)
                || f.investment_id
                    .and_then(|id| ctx.investments.get(&id))
                    .is_some_and(|i| i.offering_id == offering_id)
        })
        .count() as i64
}

/// The distinct values, sorted.
fn distinct(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut v: Vec<i64> = ids.collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn regulator(ctx: &Ctx<'_>) -> RegulatorReport {
    let last = ctx.input.period.last;
    let mut by_offering: BTreeMap<i64, Vec<&Investment>> = BTreeMap::new();
    for inv in &ctx.input.book.investments {
        by_offering.entry(inv.offering_id).or_default().push(inv);
    }
    // Reg CF sales per issuer in the 12-month period preceding and including the period end,
    // with the cap in force then: computed by the domain from the same scope, window and table
    // as REGCF_ISSUER_CAP, so the headroom shown here and the findings never disagree.
    let positions = regcf_issuer_positions(&ctx.input.book, last);
    let mut caps: BTreeMap<Option<i64>, (Cents, Cents, String)> = BTreeMap::new();
    let cap_rows: Vec<IssuerCapRow> = positions
        .iter()
        .map(|p| {
            caps.insert(
                p.issuer_id,
                (
                    p.sold,
                    p.cap,
                    format!(
                        "in force since {}, {}; 12 months from {}",
                        p.cap_since, p.cap_source, p.window_start
                    ),
                ),
            );
            IssuerCapRow {
                issuer_id: p.issuer_id.map(Id),
                offerings: p.offerings.len() as i64,
                sold_12m: Money(p.sold),
                cap: Money(p.cap),
                headroom: Money(p.cap - p.sold),
            }
        })
        .collect();

    let mut sections = Vec::new();
    for o in &ctx.input.book.offerings {
        let invs: Vec<&Investment> = by_offering.get(&o.id).cloned().unwrap_or_default();
        let taken: Vec<&Investment> = invs
            .iter()
            .copied()
            .filter(|i| i.status.funds_taken())
            .collect();
        let received: Cents = taken.iter().map(|i| ctx.amount(i)).sum();
        let accepted: Cents = invs
            .iter()
            .filter(|i| i.status.is_accepted())
            .map(|i| ctx.amount(i))
            .sum();
        let holders = distinct(taken.iter().map(|i| i.investor_id));
        let non_acc_holders = distinct(
            taken
                .iter()
                .filter(|i| !ctx.accredited(i))
                .map(|i| i.investor_id),
        );
        let target = opt_cents(o.target_amount);
        let maximum = opt_cents(o.max_amount);
        let mut figures = vec![
            fig(
                "Funds received (received through accepted)",
                Money(received),
                "",
            ),
            fig("Accepted sales", Money(accepted), ""),
            fig(
                "Purchasers (distinct investors, funds taken)",
                holders.len() as i64,
                "",
            ),
        ];
        let mut by_state = Table::default();
        match &o.offering_type {
            OfferingType::RegCf => {
                let c203 = "17 CFR 227.203(a)(3)";
                figures.push(fig("Target amount", target.map(Money), "17 CFR 227.201(g)"));
                figures.push(fig(
                    "Maximum amount",
                    maximum.map(Money),
                    "17 CFR 227.201(h)",
                ));
                figures.push(fig(
                    "Received as % of target",
                    target.and_then(|t| Pct::of(i128::from(received), i128::from(t))),
                    "",
                ));
                let mut dated: Vec<(NaiveDate, Cents)> = taken
                    .iter()
                    .filter_map(|i| receipt_date(i).map(|d| (d, ctx.amount(i))))
                    .collect();
                dated.sort();
                for (pct, label) in [(50, "50%"), (100, "100%")] {
                    let crossed = target
                        .filter(|t| *t > 0)
                        .and_then(|t| crossing_date(&dated, (t * pct + 99) / 100));
                    figures.push(fig(
                        &format!("Date {label} of target reached"),
                        crossed,
                        c203,
                    ));
                    figures.push(fig(
                        &format!("Form C-U due ({label}; 5 business days after)"),
                        crossed.map(|d| add_business_days(d, 5)),
                        c203,
                    ));
                }
                let non_acc_purchasers = taken.iter().filter(|i| !ctx.accredited(i)).count() as i64;
                figures.push(fig(
                    "Non-accredited purchases (funds taken)",
                    non_acc_purchasers,
                    "17 CFR 227.100(a)(2)",
                ));
                figures.push(fig(
                    "Investor-limit findings (REGCF_INVESTOR_LIMIT)",
                    count_findings(ctx, o.id, RuleCode::RegcfInvestorLimit),
                    "17 CFR 227.100(a)(2)",
                ));
                if let Some((sold, cap, since)) = caps.get(&o.issuer_id) {
                    let cite = format!("17 CFR 227.100(a)(1) ({since})");
                    figures.push(fig(
                        "Issuer Reg CF sales, 12 months to period end",
                        Money(*sold),
                        &cite,
                    ));
                    figures.push(fig(
                        &format!("Issuer cap headroom (cap ${})", format_cents(*cap)),
                        Money(cap - sold),
                        &cite,
                    ));
                    figures.push(fig(
                        "Issuer-cap findings (REGCF_ISSUER_CAP)",
                        count_findings(ctx, o.id, RuleCode::RegcfIssuerCap),
                        "17 CFR 227.100(a)(1)",
                    ));
                }
                let c12g = format!(
                    "Exchange Act §12(g)(1); 17 CFR 240.12g-6 (since {})",
                    SECTION_12G.since
                );
                figures.push(fig(
                    &format!(
                        "Holders of record (threshold {}, with total assets over ${})",
                        SECTION_12G.holders,
                        format_cents(SECTION_12G.total_assets)
                    ),
                    holders.len() as i64,
                    &c12g,
                ));
                figures.push(fig(
                    &format!(
                        "Non-accredited holders (threshold {})",
                        SECTION_12G.non_accredited_holders
                    ),
                    non_acc_holders.len() as i64,
                    &c12g,
                ));
                let final_cu = match (o.deadline, target) {
                    (Some(deadline), Some(t)) if accepted > t => {
                        Some(add_business_days(deadline, 5))
                    }
                    _ => None,
                };
                figures.push(fig(
                    "Final Form C-U due (more than the target accepted; 5 business days after the deadline)",
                    final_cu,
                    c203,
                ));
            }
            OfferingType::RegD506b | OfferingType::RegD506c => {
                let is_b = o.offering_type == OfferingType::RegD506b;
                let acc = distinct(
                    taken
                        .iter()
                        .filter(|i| ctx.accredited(i))
                        .map(|i| i.investor_id),
                );
                figures.push(fig(
                    "Total offering amount",
                    maximum.map(Money),
                    "Form D Item 13",
                ));
                figures.push(fig(
                    "Total amount sold (accepted)",
                    Money(accepted),
                    "Form D Item 13",
                ));
                figures.push(fig(
                    "Accredited investors",
                    acc.len() as i64,
                    "Form D Item 14",
                ));
                figures.push(fig(
                    if is_b {
                        "Non-accredited investors (max 35)"
                    } else {
                        "Non-accredited investors (must be 0)"
                    },
                    non_acc_holders.len() as i64,
                    if is_b {
                        "17 CFR 230.506(b)(2)(i)"
                    } else {
                        "17 CFR 230.506(c)(2)(i)"
                    },
                ));
                let first_sale = taken.iter().filter_map(|i| receipt_date(i)).min();
                figures.push(fig("Date of first sale", first_sale, "Form D Item 7"));
                figures.push(fig(
                    "Form D due (15 calendar days after first sale)",
                    first_sale.map(|d| next_business_day_on_or_after(d + Duration::days(15))),
                    "17 CFR 230.503(a)(1)",
                ));
                let code = if is_b {
                    RuleCode::Regd506bNonaccreditedCount
                } else {
                    RuleCode::Regd506cNotAccredited
                };
                figures.push(fig(
                    &format!("Findings ({})", code.as_str()),
                    count_findings(ctx, o.id, code),
                    if is_b {
                        "17 CFR 230.506(b)(2)(i)"
                    } else {
                        "17 CFR 230.506(c)"
                    },
                ));
                let mut states: BTreeMap<std::borrow::Cow<'_, str>, (Vec<i64>, Cents, Cents)> =
                    BTreeMap::new();
                for i in &taken {
                    use std::borrow::Cow;
                    let inv = ctx.investors.get(&i.investor_id);
                    let country = inv.and_then(|v| v.country.as_deref()).unwrap_or_default();
                    let key: Cow<'_, str> =
                        if country.is_empty() || country.eq_ignore_ascii_case("US") {
                            Cow::Borrowed(
                                inv.and_then(|v| v.state.as_deref())
                                    .filter(|s| !s.is_empty())
                                    .unwrap_or("(state not stated)"),
                            )
                        } else {
                            Cow::Owned(format!("Non-US: {country}"))
                        };
                    let e = states.entry(key).or_default();
                    e.0.push(i.investor_id);
                    e.1 += ctx.amount(i);
                    if i.status.is_accepted() {
                        e.2 += ctx.amount(i);
                    }
                }
                let rows: Vec<StateRow> = states
                    .into_iter()
                    .map(|(state, (inv, r, a))| StateRow {
                        state: state.into_owned(),
                        investors: distinct(inv.into_iter()).len() as i64,
                        received: Money(r),
                        accepted: Money(a),
                    })
                    .collect();
                by_state = Table {
                    totals: Some(Totals {
                        label: "Total".into(),
                        values: vec![
                            ("received".into(), Cell::Money(received)),
                            (
                                "accepted".into(),
                                Cell::Money(rows.iter().map(|r| r.accepted.0).sum()),
                            ),
                        ],
                    }),
                    rows,
                };
            }
            OfferingType::RegA => {
                let caps_a = reg_a_on(last);
                let tier = rega_tier(o, None, last);
                let (label, cap, cite) = match &tier {
                    Some((RegATier::Tier1, _)) => {
                        ("Tier 1", caps_a.tier1_cap, "17 CFR 230.251(a)(1)")
                    }
                    Some(_) => ("Tier 2", caps_a.tier2_cap, "17 CFR 230.251(a)(2)"),
                    None => (
                        "Tier 2 (tier not stated; if Tier 2)",
                        caps_a.tier2_cap,
                        "17 CFR 230.251(a)(2)",
                    ),
                };
                let cite = format!(
                    "{cite} (in force since {}, {})",
                    caps_a.effective, caps_a.source
                );
                figures.push(fig(
                    &format!("{label} offering cap (12 months)"),
                    Money(cap),
                    &cite,
                ));
                figures.push(fig(
                    "Cap headroom after accepted sales",
                    Money(cap - accepted),
                    &cite,
                ));
                figures.push(fig(
                    "Non-accredited purchasers",
                    non_acc_holders.len() as i64,
                    "17 CFR 230.251(d)(2)(i)(C)",
                ));
                figures.push(fig(
                    "Purchase-limit findings (REGA_TIER2_LIMIT)",
                    count_findings(ctx, o.id, RuleCode::RegaTier2Limit),
                    "17 CFR 230.251(d)(2)(i)(C)",
                ));
            }
            OfferingType::RegS => {
                let us_person = |i: &Investment| {
                    i.us_person
                        .or_else(|| ctx.investors.get(&i.investor_id).and_then(|v| v.us_person))
                };
                let attested = taken.iter().filter(|i| us_person(i) == Some(false)).count() as i64;
                let declared_us =
                    taken.iter().filter(|i| us_person(i) == Some(true)).count() as i64;
                let missing = taken.iter().filter(|i| us_person(i).is_none()).count() as i64;
                let us_resident = taken
                    .iter()
                    .filter(|i| {
                        ctx.investors
                            .get(&i.investor_id)
                            .and_then(|v| v.country.as_deref())
                            .is_some_and(|c| c.eq_ignore_ascii_case("US"))
                    })
                    .count() as i64;
                figures.push(fig(
                    "Purchases attested non-US person",
                    attested,
                    "17 CFR 230.903(b)(3)(ii)",
                ));
                figures.push(fig(
                    "Purchases declared US person",
                    declared_us,
                    "17 CFR 230.902(k)",
                ));
                figures.push(fig(
                    "Purchases without attestation",
                    missing,
                    "17 CFR 230.903(b)(3)(ii)",
                ));
                figures.push(fig(
                    "Purchases by US residents",
                    us_resident,
                    "17 CFR 230.902(k)(1)(i)",
                ));
                figures.push(fig(
                    "Findings (REGS_US_PERSON)",
                    count_findings(ctx, o.id, RuleCode::RegsUsPerson),
                    "17 CFR 230.903",
                ));
            }
            OfferingType::TestTheWaters => {
                figures.push(fig(
                    "Funds must not be accepted while testing the waters",
                    Money(received),
                    "17 CFR 227.206; 17 CFR 230.255",
                ));
            }
            OfferingType::Other(_) => {}
        }
        sections.push(RegulatorSection {
            offering_id: o.id,
            offering_name: o.name.clone(),
            offering_type: o.offering_type.to_string(),
            regime: regime(&o.offering_type).to_string(),
            figures: Table {
                rows: figures,
                totals: None,
            },
            by_state,
        });
    }
    RegulatorReport {
        sections,
        issuer_caps: Table {
            rows: cap_rows,
            totals: None,
        },
        notes: NOT_MODELLED.iter().map(|n| n.to_string()).collect(),
    }
}

fn board(ctx: &Ctx<'_>, funds: &FundsReceived) -> BoardReport {
    let period = &ctx.input.period;
    // Progress.
    let mut progress = Vec::new();
    for o in &ctx.input.book.offerings {
        let invs = ctx
            .input
            .book
            .investments
            .iter()
            .filter(|i| i.offering_id == o.id);
        let mut received = 0;
        let mut accepted = 0;
        for i in invs {
            if i.status.funds_taken() {
                received += ctx.amount(i);
            }
            if i.status.is_accepted() {
                accepted += ctx.amount(i);
            }
        }
        let target = opt_cents(o.target_amount);
        let maximum = opt_cents(o.max_amount);
        progress.push(ProgressRow {
            offering: o.name.clone(),
            offering_type: o.offering_type.to_string(),
            target: target.map(Money),
            maximum: maximum.map(Money),
            received: Money(received),
            accepted: Money(accepted),
            pct_target: target.and_then(|t| Pct::of(i128::from(received), i128::from(t))),
            pct_maximum: maximum.and_then(|t| Pct::of(i128::from(received), i128::from(t))),
        });
    }
    let progress_totals = Totals {
        label: "Total".into(),
        values: vec![
            (
                "received".into(),
                Cell::Money(progress.iter().map(|r| r.received.0).sum()),
            ),
            (
                "accepted".into(),
                Cell::Money(progress.iter().map(|r| r.accepted.0).sum()),
            ),
        ],
    };

    // Daily cumulative.
    let mut per_day: BTreeMap<NaiveDate, Cents> = BTreeMap::new();
    for r in &funds.receipts.rows {
        *per_day.entry(r.date).or_default() += r.amount.0;
    }
    let mut daily = Vec::new();
    let mut cum = 0;
    let mut d = period.first;
    while d <= period.last {
        let amt = per_day.get(&d).copied().unwrap_or(0);
        cum += amt;
        daily.push(DailyPoint {
            date: d,
            amount: Money(amt),
            cumulative: Money(cum),
        });
        match d.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }

    // Reconciliation status.
    let matched: HashSet<(&str, u32)> = ctx
        .input
        .matches
        .iter()
        .map(|m| (m.statement_file.as_str(), m.statement_row))
        .collect();
    let credits: Vec<_> = ctx
        .input
        .statement_lines
        .iter()
        .filter(|l| l.amount_cents > 0)
        .collect();
    let debits: Vec<_> = ctx
        .input
        .statement_lines
        .iter()
        .filter(|l| l.amount_cents < 0)
        .collect();
    let credit_total: Cents = credits.iter().map(|l| l.amount_cents).sum();
    let matched_credits: Vec<_> = credits
        .iter()
        .filter(|l| matched.contains(&(l.file.as_str(), l.statement_row)))
        .collect();
    let matched_credit_total: Cents = matched_credits.iter().map(|l| l.amount_cents).sum();
    let debit_total: Cents = debits.iter().map(|l| l.amount_cents).sum();
    let matched_debits: Vec<_> = debits
        .iter()
        .filter(|l| matched.contains(&(l.file.as_str(), l.statement_row)))
        .collect();
    let matched_debit_total: Cents = matched_debits.iter().map(|l| l.amount_cents).sum();
    let open: &[tieout_reconcile::model::ExceptionRow] = ctx.input.exceptions;
    let open_total: Cents = open.iter().map(|e| e.amount_cents.saturating_abs()).sum();
    let st =
        |item: &str, count: Option<i64>, amount: Option<Cents>, share: Option<Pct>| StatusRow {
            item: item.to_string(),
            count,
            amount: amount.map(Money),
            share,
        };
    let reconciliation = vec![
        st(
            "Statement credits",
            Some(credits.len() as i64),
            Some(credit_total),
            None,
        ),
        st(
            "Credits matched to investments",
            Some(matched_credits.len() as i64),
            Some(matched_credit_total),
            Pct::of(i128::from(matched_credit_total), i128::from(credit_total)),
        ),
        st(
            "Statement debits",
            Some(debits.len() as i64),
            Some(debit_total),
            None,
        ),
        st(
            "Debits matched",
            Some(matched_debits.len() as i64),
            Some(matched_debit_total),
            Pct::of(i128::from(matched_debit_total), i128::from(debit_total)),
        ),
        st(
            "Open exceptions (absolute amounts)",
            Some(open.len() as i64),
            Some(open_total),
            None,
        ),
        st(
            "Rejected statement lines",
            Some(ctx.input.rejects.len() as i64),
            None,
            None,
        ),
    ];
    let mut buckets = [(0i64, 0 as Cents); 5];
    let labels = [
        "0–7 days",
        "8–30 days",
        "31–60 days",
        "over 60 days",
        "age unknown",
    ];
    for r in &ctx_exceptions_ages(ctx) {
        let idx = match r.0 {
            Some(a) if a <= 7 => 0,
            Some(a) if a <= 30 => 1,
            Some(a) if a <= 60 => 2,
            Some(_) => 3,
            None => 4,
        };
        buckets[idx].0 += 1;
        buckets[idx].1 += r.1.saturating_abs();
    }
    let exception_age: Vec<StatusRow> = labels
        .iter()
        .zip(buckets)
        .map(|(l, (c, a))| {
            st(
                l,
                Some(c),
                Some(a),
                Pct::of(i128::from(a), i128::from(open_total)),
            )
        })
        .collect();

    // Top issues.
    let mut groups: BTreeMap<RuleCode, (Severity, i64, Cents, String)> = BTreeMap::new();
    for f in ctx.input.findings {
        let amt = f
            .investment_id
            .and_then(|id| ctx.investments.get(&id))
            .map(|i| ctx.amount(i))
            .unwrap_or(0);
        let e = groups
            .entry(f.code)
            .or_insert((f.severity, 0, 0, f.citation.clone()));
        e.0 = e.0.min(f.severity);
        e.1 += 1;
        e.2 += amt;
    }
    let mut issues: Vec<IssueRow> = groups
        .into_iter()
        .map(|(code, (sev, count, amount, citation))| IssueRow {
            code: code.as_str().to_string(),
            severity: sev.as_str().to_string(),
            count,
            amount: Money(amount),
            citation,
        })
        .collect();
    let sev_rank = |s: &str| match s {
        "violation" => 0,
        "warning" => 1,
        _ => 2,
    };
    issues.sort_by(|a, b| {
        (
            sev_rank(&a.severity),
            std::cmp::Reverse(a.count),
            std::cmp::Reverse(a.amount),
            &a.code,
        )
            .cmp(&(
                sev_rank(&b.severity),
                std::cmp::Reverse(b.count),
                std::cmp::Reverse(b.amount),
                &b.code,
            ))
    });
    issues.truncate(8);

    BoardReport {
        progress: Table {
            rows: progress,
            totals: Some(progress_totals),
        },
        by_method: funds.by_method.clone(),
        daily,
        reconciliation: Table {
            rows: reconciliation,
            totals: None,
        },
        exception_age: Table {
            rows: exception_age,
            totals: Some(Totals {
                label: "Total".into(),
                values: vec![
                    ("count".into(), Cell::Int(open.len() as i64)),
                    ("amount".into(), Cell::Money(open_total)),
                ],
            }),
        },
        top_issues: Table {
            rows: issues,
            totals: None,
        },
    }
}

/// (age in days, amount) of every open exception.
fn ctx_exceptions_ages(ctx: &Ctx<'_>) -> Vec<(Option<i64>, Cents)> {
    let last = ctx.input.period.last;
    ctx.input
        .exceptions
        .iter()
        .zip(&ctx.exception_line_dates)
        .map(|(e, line_date)| {
            let line_date = *line_date;
            let inv_date = e
                .investment_id
                .and_then(|id| ctx.investments.get(&id))
                .and_then(|i| receipt_date(i));
            (
                line_date.or(inv_date).map(|d| (last - d).num_days()),
                e.amount_cents,
            )
        })
        .collect()
}
