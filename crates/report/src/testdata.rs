//! A small hand-built input shared by the tests.

use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use tieout_domain::*;
use tieout_reconcile::model::*;

use crate::ReportInput;
use tieout_domain::Period;

pub struct Fixture {
    pub period: Period,
    pub run_id: String,
    pub book: Book,
    pub matches: Vec<MatchRow>,
    pub exceptions: Vec<ExceptionRow>,
    pub rejects: Vec<Reject>,
    pub lines: Vec<StatementLine>,
    pub findings: Vec<Finding>,
}

impl Fixture {
    pub fn input(&self) -> ReportInput<'_> {
        ReportInput {
            period: &self.period,
            run_id: &self.run_id,
            document_time: crate::document_time(&self.period),
            book: &self.book,
            matches: &self.matches,
            exceptions: &self.exceptions,
            rejects: &self.rejects,
            statement_lines: &self.lines,
            findings: &self.findings,
            close: None,
            money_model: None,
        }
    }
}

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub fn offering(
    id: i64,
    name: &str,
    t: OfferingType,
    target: Option<&str>,
    max: Option<&str>,
) -> Offering {
    Offering {
        id,
        issuer_id: Some(7),
        name: name.into(),
        description: None,
        slug: name.to_lowercase().replace(' ', "-"),
        offering_type: t,
        status: OfferingStatus::Opened,
        unit_price: Some(dec("10")),
        min_investment: Some(dec("100")),
        max_investment: None,
        increment: None,
        min_wire: None,
        target_amount: target.map(dec),
        max_amount: max.map(dec),
        reg_cf_fee_percentage: None,
        excluded_countries: vec![],
        included_countries: vec![],
        deadline: None,
        timezone: None,
        created_at: None,
        opened_at: None,
        accepts_accredited: Some(true),
        accepts_non_accredited: Some(true),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn investor(
    id: i64,
    first: &str,
    last: &str,
    country: &str,
    state: Option<&str>,
    accredited: bool,
    tax_id: Option<&str>,
    kyc: KycStatus,
) -> Investor {
    Investor {
        id,
        investor_type: InvestorType::Person,
        user_id: Some(id + 100),
        entity_id: None,
        first_name: first.into(),
        last_name: last.into(),
        display_name: None,
        individual_name: None,
        email: None,
        date_of_birth: NaiveDate::from_ymd_opt(1980 + id as i32 % 20, 1 + (id as u32 % 12), 15),
        country: Some(country.into()),
        state: state.map(Into::into),
        citizenship: None,
        us_person: Some(country == "US"),
        accredited: Some(accredited),
        accreditation_type: accredited.then_some(AccreditationType::NetWorth),
        net_worth: Some(dec("250000")),
        annual_income: Some(dec("90000")),
        regcf_invested_this_year: None,
        regcf_invested_other_platforms: None,
        kyc_status: kyc,
        tax_id: tax_id.map(Into::into),
    }
}

pub fn investment(
    id: i64,
    offering_id: i64,
    investor_id: i64,
    amount: &str,
    status: InvestmentStatus,
    method: PaymentMethod,
    day: u32,
) -> Investment {
    let at = Utc.with_ymd_and_hms(2026, 10, day, 15, 0, 0).unwrap();
    Investment {
        id,
        offering_id,
        investor_id,
        amount: dec(amount),
        quantity: Some(dec(amount).trunc().mantissa() as i64 / 10),
        status,
        payment_method: method,
        reference_id: Some(format!("REF{id}")),
        created_at: Some(at),
        processed_at: Some(at),
        received_at: Some(at),
        updated_at: Some(at),
        ..tieout_domain::fixtures::investment()
    }
}

pub fn line(row: u32, day: u32, cents: i64, who: &str) -> StatementLine {
    StatementLine {
        file: "escrow-2026-10.csv".into(),
        statement_row: row,
        format: SourceFormat::Csv,
        account: Some("ESCROW-1".into()),
        bank_ref: Some(format!("BR{row:04}")),
        end_to_end_ref: None,
        entry_ref: None,
        booking_date: NaiveDate::from_ymd_opt(2026, 10, day).unwrap(),
        value_date: None,
        amount_cents: cents,
        currency: Some("USD".into()),
        counterparty: Some(who.into()),
        description: format!("WIRE FROM {who}"),
        type_code: None,
        raw: String::new(),
    }
}

pub fn fixture() -> Fixture {
    use InvestmentStatus as S;
    use PaymentMethod as M;
    let book = Book {
        offerings: vec![
            offering(
                1,
                "Café Lumière Reg CF",
                OfferingType::RegCf,
                Some("10000"),
                Some("50000"),
            ),
            offering(
                2,
                "Αθηνά Holdings 506(b)",
                OfferingType::RegD506b,
                None,
                Some("1000000"),
            ),
            offering(3, "Nordlicht Reg S", OfferingType::RegS, None, None),
        ],
        investors: vec![
            investor(
                1,
                "José",
                "Müller-Ñúñez",
                "US",
                Some("CA"),
                false,
                Some("123-45-6789"),
                KycStatus::Passed,
            ),
            investor(
                2,
                "Αλέξανδρος",
                "Παπαδόπουλος",
                "US",
                Some("NY"),
                true,
                Some("987654321"),
                KycStatus::Passed,
            ),
            investor(
                3,
                "Дмитрий",
                "Иванов",
                "DE",
                None,
                false,
                Some("DE-55-443322"),
                KycStatus::Processing,
            ),
            investor(
                4,
                "Zoë",
                "O'Brien",
                "US",
                Some("TX"),
                false,
                None,
                KycStatus::Failed,
            ),
            investor(
                5,
                "Björk",
                "Guðmundsdóttir",
                "IS",
                None,
                true,
                Some("111-22-3333"),
                KycStatus::Passed,
            ),
        ],
        investments: vec![
            investment(101, 1, 1, "2500.00", S::Accepted, M::Wire, 2),
            investment(102, 1, 4, "3000.00", S::Received, M::Card, 5),
            investment(103, 1, 1, "500.00", S::Refunded, M::Ach, 9),
            investment(104, 1, 2, "1000.00", S::Invested, M::Wire, 12),
            investment(105, 2, 2, "50000.00", S::Accepted, M::Wire, 12),
            investment(106, 2, 1, "1500.50", S::Started, M::Wire, 20),
            investment(107, 3, 3, "2000.00", S::Received, M::Wire, 21),
            investment(108, 3, 5, "7777.77", S::Approved, M::Ira, 21),
            investment(109, 1, 4, "250.00", S::Cancelled, M::Card, 25),
        ],
    };
    let lines = vec![
        line(1, 2, 250000, "JOSE MULLER"),
        line(2, 12, 5100000, "PAPADOPOULOS"),
        line(3, 21, 200000, "IVANOV"),
        line(4, 22, 999999, "UNKNOWN SENDER"),
        line(5, 26, -50000, "REFUND"),
    ];
    let mrow = |inv: i64, row: u32, exp: i64, bank: i64, rule: &str| MatchRow {
        investment_id: inv,
        statement_file: "escrow-2026-10.csv".into(),
        statement_row: row,
        statement_ref: Some(format!("BR{row:04}")),
        rule: rule.into(),
        score: 1.0,
        expected_cents: exp,
        bank_cents: bank,
        difference_cents: bank - exp,
    };
    let matches = vec![
        mrow(101, 1, 250000, 250000, "exact_reference"),
        mrow(104, 2, 100000, 100000, "batch_subset_sum"),
        mrow(105, 2, 5000000, 5000000, "batch_subset_sum"),
        mrow(107, 3, 200000, 200000, "amount_date_name"),
    ];
    let exceptions = vec![
        ExceptionRow {
            code: ExceptionCode::UnmatchedCredit,
            severity: Severity::Warning,
            investment_id: None,
            statement_file: Some("escrow-2026-10.csv".into()),
            statement_row: Some(4),
            amount_cents: 999999,
            detail: "Credit of 9,999.99 from UNKNOWN SENDER matches no investment.".into(),
        },
        ExceptionRow {
            code: ExceptionCode::UnmatchedInvestment,
            severity: Severity::Violation,
            investment_id: Some(108),
            statement_file: None,
            statement_row: None,
            amount_cents: 777777,
            detail: "Investment 108 (approved, IRA) has no statement line.".into(),
        },
        ExceptionRow {
            code: ExceptionCode::UnmatchedInvestment,
            severity: Severity::Violation,
            investment_id: Some(102),
            statement_file: None,
            statement_row: None,
            amount_cents: 300000,
            detail: "Investment 102 (received, card) has no payout.".into(),
        },
    ];
    let rejects = vec![Reject {
        file: "escrow-2026-10.csv".into(),
        row: 9,
        column: Some("Amount".into()),
        reason: "`12,3x` is not an amount".into(),
        raw: "2026-10-30,12,3x,???".into(),
    }];
    let finding = |code: RuleCode,
                   sev: Severity,
                   inv: Option<i64>,
                   investor: Option<i64>,
                   off: Option<i64>,
                   cit: &str,
                   detail: &str| Finding {
        code,
        severity: sev,
        investment_id: inv,
        investor_id: investor,
        offering_id: off,
        citation: cit.into(),
        figures: vec![],
        detail: detail.into(),
    };
    let findings = vec![
        finding(
            RuleCode::KycNotPassed,
            Severity::Violation,
            Some(102),
            Some(4),
            Some(1),
            "",
            "Funds taken while KYC status is failed.",
        ),
        finding(
            RuleCode::RegcfInvestorLimit,
            Severity::Violation,
            Some(101),
            Some(1),
            Some(1),
            "17 CFR 227.100(a)(2)",
            "12-month Reg CF purchases 3,000.00 exceed the limit 2,500.00.",
        ),
        finding(
            RuleCode::RegsUsPerson,
            Severity::Warning,
            Some(107),
            Some(3),
            Some(3),
            "17 CFR 230.902(k)",
            "No non-US attestation on the investment.",
        ),
    ];
    Fixture {
        period: Period::parse("2026-10").unwrap(),
        run_id: "run-3f9a2c1d".into(),
        book,
        matches,
        exceptions,
        rejects,
        lines,
        findings,
    }
}
