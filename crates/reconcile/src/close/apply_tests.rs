//! Unit tests of applying decisions.

use chrono::NaiveDate;
use tieout_domain::{Book, Finding, RuleCode, Severity};

use super::*;
use crate::close::{Decision, DecisionFile, DecisionKind};
use crate::engine::{OpenItem, OpenItems, ReconOutcome, Tolerances};
use crate::model::{ExceptionCode, ExceptionRow, SourceFormat, StatementLine};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, d).unwrap()
}

fn line(row: u32, cents: i64) -> StatementLine {
    StatementLine {
        file: "bank.csv".into(),
        statement_row: row,
        format: SourceFormat::Csv,
        account: None,
        bank_ref: Some(format!("REF{row}")),
        end_to_end_ref: None,
        entry_ref: None,
        booking_date: day(5),
        value_date: None,
        amount_cents: cents,
        currency: None,
        counterparty: None,
        description: "WIRE".into(),
        type_code: None,
        raw: String::new(),
    }
}

fn exc(code: ExceptionCode, row: Option<u32>, inv: Option<i64>, cents: i64) -> ExceptionRow {
    ExceptionRow {
        code,
        severity: Severity::Warning,
        investment_id: inv,
        statement_file: row.map(|_| "bank.csv".into()),
        statement_row: row,
        amount_cents: cents,
        detail: "d".into(),
    }
}

fn open_item(inv: i64, cents: i64) -> OpenItem {
    OpenItem {
        investment_id: inv,
        kind: "credit".into(),
        method: "wire".into(),
        status: "invested".into(),
        expected_cents: cents,
        alt_cents: None,
        date: day(2),
        reference_id: None,
        payment_intent_id: None,
        names: vec![],
        code: "UNMATCHED_INVESTMENT".into(),
        first_open_period_end: day(31),
    }
}

fn book(ids: &[i64]) -> Book {
    let mut b = Book::default();
    for &id in ids {
        b.investments.push(tieout_domain::Investment {
            id,
            offering_id: 1,
            investor_id: 3,
            amount: rust_decimal::Decimal::new(90, 0),
            quantity: None,
            price: None,
            price_fees: None,
            price_payment_processing_fees: None,
            shares_amount: None,
            bonus_shares: None,
            status: serde_json::from_str("\"invested\"").unwrap(),
            payment_method: serde_json::from_str("\"wire\"").unwrap(),
            payment_intent_id: None,
            reference_id: None,
            investor_name: None,
            accredited: None,
            accreditation_type: None,
            net_worth: None,
            annual_income: None,
            us_person: None,
            regcf_invested_this_year: None,
            watchlist: vec![],
            processing_issue_statuses: None,
            created_at: None,
            processed_at: None,
            received_at: None,
            invested_at: None,
            refunded_at: None,
            updated_at: None,
        });
    }
    b
}

fn decision(id: &str, kind: DecisionKind, invs: &[i64]) -> Decision {
    Decision {
        exception_id: id.into(),
        kind,
        match_investment_ids: invs.to_vec(),
        note: "n".into(),
        decided_by: "ana".into(),
        file: "d.csv".into(),
        sheet: None,
        row: 2,
    }
}

struct Case {
    lines: Vec<StatementLine>,
    outcome: ReconOutcome,
    findings: Vec<Finding>,
    book: Book,
}

impl Case {
    fn new() -> Self {
        let outcome = ReconOutcome {
            exceptions: vec![
                exc(ExceptionCode::UnmatchedCredit, Some(1), None, 10_000),
                exc(ExceptionCode::UnmatchedInvestment, None, Some(7), 2_000),
                exc(ExceptionCode::UnmatchedDebit, Some(2), None, -500),
            ],
            open_items: OpenItems {
                format: 1,
                period_end: Some(day(31)),
                items: vec![open_item(7, 2_000)],
            },
            ..ReconOutcome::default()
        };
        Case {
            lines: vec![line(1, 10_000), line(2, -500)],
            outcome,
            findings: vec![Finding {
                code: RuleCode::SanctionsNameMatch,
                severity: Severity::Violation,
                investment_id: Some(7),
                investor_id: Some(3),
                offering_id: Some(1),
                citation: String::new(),
                figures: vec![("ent_num".into(), "90001".into())],
                detail: "matches".into(),
            }],
            book: book(&[7]),
        }
    }

    fn run(&mut self, carried: &[CarriedDecision], decisions: Vec<Decision>) -> Closing {
        let tol = Tolerances::default();
        let files = [DecisionFile {
            name: "d.csv".into(),
            sha256: "ab".repeat(32),
            decisions,
        }];
        apply(
            &CloseInput {
                book: &self.book,
                lines: &self.lines,
                tolerances: &tol,
                period_end: day(31),
                carried,
                files: &files,
            },
            &mut self.outcome,
            &mut self.findings,
        )
    }

    fn id(&self, code: ExceptionCode) -> String {
        let lines = LineIndex::new(&self.lines, &self.outcome.exceptions);
        let ids = exception_ids(&self.outcome.exceptions, &lines);
        let k = self
            .outcome
            .exceptions
            .iter()
            .position(|e| e.code == code)
            .unwrap();
        ids[k].clone()
    }
}

#[test]
fn a_match_that_does_not_tie_is_stale_unless_the_difference_is_accepted() {
    let mut c = Case::new();
    let credit = c.id(ExceptionCode::UnmatchedCredit);
    let out = c.run(&[], vec![decision(&credit, DecisionKind::Match, &[7])]);
    assert_eq!(out.files[0].stale, 1);
    let stale = c
        .outcome
        .exceptions
        .iter()
        .find(|e| e.code == ExceptionCode::StaleDecision)
        .unwrap();
    assert!(stale.detail.contains("does not tie"), "{}", stale.detail);
    assert!(c.outcome.matches.is_empty());

    let mut c = Case::new();
    let out = c.run(
        &[],
        vec![decision(&credit, DecisionKind::AcceptDifference, &[7])],
    );
    assert_eq!(out.files[0].applied, 1);
    assert_eq!(c.outcome.matches.len(), 1);
    assert_eq!(c.outcome.matches[0].rule, "manual");
    assert_eq!(c.outcome.matches[0].difference_cents, 8_000);
    // The line's and the investment's exceptions are both closed; 7 is not carried.
    assert!(
        c.outcome
            .exceptions
            .iter()
            .all(|e| e.code == ExceptionCode::UnmatchedDebit)
    );
    assert!(c.outcome.open_items.items.is_empty());
    assert_eq!(out.resolved.len(), 2);
}

#[test]
fn keep_open_on_a_line_is_carried_whole_and_comes_back_next_month() {
    let mut c = Case::new();
    let debit = c.id(ExceptionCode::UnmatchedDebit);
    let out = c.run(&[], vec![decision(&debit, DecisionKind::KeepOpen, &[])]);
    let carry = out.carry();
    assert_eq!(carry.len(), 1);
    assert!(carry[0].exception.is_some());
    // Next month: other statements, the carried line's exception is still open, same id.
    let mut next = Case::new();
    next.lines = vec![];
    next.outcome.exceptions.clear();
    for l in &mut next.lines {
        l.file = "november.csv".into();
    }
    let out = next.run(&carry, vec![]);
    assert_eq!(out.exception_ids, vec![debit.clone()]);
    assert_eq!(out.standing[&debit].history.len(), 1);
    assert_eq!(
        next.outcome.exceptions[0].code,
        ExceptionCode::UnmatchedDebit
    );
}

#[test]
fn false_positive_clears_a_screening_hit_and_stays_cleared() {
    let mut c = Case::new();
    let fid = crate::close::ids::finding_ids(&c.findings)[0].clone();
    let out = c.run(&[], vec![decision(&fid, DecisionKind::FalsePositive, &[])]);
    assert_eq!(c.findings[0].severity, Severity::Info);
    assert!(
        c.findings[0]
            .detail
            .contains("cleared as a false positive by ana")
    );
    let mut next = Case::new();
    next.run(&out.carry(), vec![]);
    assert_eq!(
        next.findings[0].severity,
        Severity::Info,
        "carried to next month"
    );
}

#[test]
fn unknown_ids_and_missing_investments_are_stale() {
    let mut c = Case::new();
    let credit = c.id(ExceptionCode::UnmatchedCredit);
    let out = c.run(
        &[],
        vec![
            decision("X-0000000000000000", DecisionKind::WriteOff, &[]),
            decision(&credit, DecisionKind::Match, &[8]),
        ],
    );
    assert_eq!(out.files[0].stale, 2);
    let details: Vec<&str> = c
        .outcome
        .exceptions
        .iter()
        .filter(|e| e.code == ExceptionCode::StaleDecision)
        .map(|e| e.detail.as_str())
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d.contains("no exception or finding")),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.contains("investment 8 does not exist")),
        "{details:?}"
    );
    assert_eq!(out.exception_ids.len(), c.outcome.exceptions.len());
}
