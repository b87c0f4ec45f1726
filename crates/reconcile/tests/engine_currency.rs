//! Currency: investments are in US dollars; a statement in euros that carries the very
//! references and amounts of USD investments matches none of them — every line is a
//! `CURRENCY_MISMATCH` exception — and a mixed statement matches only its USD lines.

mod engine_common;

use engine_common::*;
use tieout_domain::{InvestmentStatus as S, PaymentMethod as M};
use tieout_reconcile::engine::{ReconInput, Tolerances, reconcile};
use tieout_reconcile::{ExceptionCode as C, StatedBalance, StatementLine};

fn eur(mut l: StatementLine) -> StatementLine {
    l.currency = Some("EUR".into());
    l.file = "eur.xml".into();
    l
}

fn month() -> (tieout_domain::Book, Vec<StatementLine>) {
    let b = book(
        vec![investor(1, "Jane", "Doe"), investor(2, "John", "Roe")],
        vec![
            investment(101, 1, M::Wire, S::Accepted, "2500.00", "2026-10-02"),
            investment(102, 2, M::Wire, S::Accepted, "1200.00", "2026-10-03"),
        ],
    );
    let lines = vec![
        line(
            1,
            "2026-10-02",
            250_000,
            Some("JANE DOE"),
            "WIRE IN ISS-000101",
        ),
        line(
            2,
            "2026-10-03",
            120_000,
            Some("JOHN ROE"),
            "WIRE IN ISS-000102",
        ),
    ];
    (b, lines)
}

#[test]
fn the_same_statement_in_usd_matches_both() {
    let (b, lines) = month();
    let o = run(&b, &lines, &[]);
    assert_eq!(o.matches.len(), 2, "{:?}", o.exceptions);
    assert!(o.exceptions.iter().all(|e| e.code != C::CurrencyMismatch));
}

#[test]
fn a_eur_statement_against_usd_investments_matches_nothing() {
    let (b, lines) = month();
    let lines: Vec<StatementLine> = lines.into_iter().map(eur).collect();
    let o = run(&b, &lines, &[]);
    assert!(o.matches.is_empty(), "{:?}", o.matches);
    let mism: Vec<_> = o
        .exceptions
        .iter()
        .filter(|e| e.code == C::CurrencyMismatch)
        .collect();
    assert_eq!(mism.len(), 2);
    for (e, l) in mism.iter().zip(&lines) {
        assert_eq!(e.statement_file.as_deref(), Some("eur.xml"));
        assert_eq!(e.statement_row, Some(l.statement_row));
        assert_eq!(e.amount_cents, l.amount_cents);
        assert_eq!(e.investment_id, None);
        assert!(
            e.detail.contains("EUR ") && e.detail.contains("investments are in USD"),
            "{}",
            e.detail
        );
        assert!(!e.detail.contains('$'), "{}", e.detail);
    }
    assert_eq!(
        mism[0].detail.split(" on ").next(),
        Some("A credit of EUR 2,500.00")
    );
    // The investments whose money did not come are open, as without the statement.
    let unmatched: Vec<i64> = o
        .exceptions
        .iter()
        .filter(|e| e.code == C::UnmatchedInvestment)
        .filter_map(|e| e.investment_id)
        .collect();
    assert_eq!(unmatched, vec![101, 102]);
    // Every line is accounted for, in the summary too.
    let s = &o.summary;
    assert_eq!(s.lines, 2);
    assert_eq!(s.lines_exception, 2);
    assert_eq!(s.lines_cents, 370_000);
    assert_eq!(s.exception_line_cents, 370_000);
    assert_eq!(s.exceptions_by_code.get("CURRENCY_MISMATCH"), Some(&2));
}

#[test]
fn a_mixed_file_matches_only_its_usd_lines_and_checks_the_eur_balance_in_eur() {
    let (b, mut lines) = month();
    lines[1] = eur(lines[1].clone());
    let balances = vec![StatedBalance {
        file: "eur.xml".into(),
        account: Some("escrow".into()),
        opening_cents: 1_000,
        closing_cents: 100_000,
        as_of: Some(d("2026-10-31")),
    }];
    let input = ReconInput {
        book: &b,
        lines: &lines,
        payouts: &[],
        balances: &balances,
        rejects: &[],
        control_breaks: &[],
        carry_forward: None,
        period: period(),
        platform: None,
    };
    let o = reconcile(&input, &Tolerances::default()).unwrap();
    assert_eq!(o.matches.len(), 1);
    assert_eq!(o.matches[0].investment_id, 101);
    let codes: Vec<C> = o.exceptions.iter().map(|e| e.code).collect();
    assert!(codes.contains(&C::CurrencyMismatch), "{codes:?}");
    // 10.00 + 1,200.00 ≠ 1,000.00: the break is stated in euros.
    let br = o
        .exceptions
        .iter()
        .find(|e| e.code == C::BalanceBreak)
        .unwrap();
    assert_eq!(br.amount_cents, 100_000 - 1_000 - 120_000);
    assert!(
        br.detail.contains("EUR 10.00") && br.detail.contains("EUR 1,200.00"),
        "{}",
        br.detail
    );
    assert_eq!(o.summary.lines, 2);
    assert_eq!(o.summary.lines_matched + o.summary.lines_exception, 2);
}
