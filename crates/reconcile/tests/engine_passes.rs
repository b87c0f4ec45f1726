//! One small hand-built scenario per pass and per exception code.

mod engine_common;

use engine_common::*;
use rust_decimal::Decimal;
use tieout_domain::{InvestmentStatus as S, PaymentMethod as M};
use tieout_reconcile::ExceptionCode as C;
use tieout_reconcile::engine::{
    OpenItems, ReconInput, ReconOutcome, Tolerances, exceptions_csv, matches_csv, reconcile,
};
use tieout_reconcile::{MatchRow, StatedBalance, StatementLine};

fn only_match(o: &ReconOutcome) -> &MatchRow {
    assert_eq!(
        o.matches.len(),
        1,
        "matches: {:#?}\nexceptions: {:#?}",
        o.matches,
        o.exceptions
    );
    &o.matches[0]
}

fn codes(o: &ReconOutcome) -> Vec<C> {
    o.exceptions.iter().map(|e| e.code).collect()
}

#[test]
fn wire_exact_reference() {
    let b = book(
        vec![investor(1, "Ada", "Lovelace")],
        vec![investment(
            10,
            1,
            M::Wire,
            S::Invested,
            "5000.00",
            "2026-10-05",
        )],
    );
    let l = line(
        1,
        "2026-10-05",
        500_000,
        Some("SOMEONE ELSE"),
        "FEDWIRE CREDIT OBI: ISS-000010 IMAD 123",
    );
    let o = run(&b, &[l], &[]);
    let m = only_match(&o);
    assert_eq!(
        (m.investment_id, m.rule.as_str(), m.difference_cents),
        (10, "exact_reference", 0)
    );
    assert_eq!(m.score, 1.0);
    assert!(o.exceptions.is_empty());
}

#[test]
fn wire_short_by_fee_within_tolerance_is_a_match_with_difference() {
    let b = book(
        vec![investor(1, "Ada", "Lovelace")],
        vec![investment(
            10,
            1,
            M::Wire,
            S::Invested,
            "5000.00",
            "2026-10-05",
        )],
    );
    let o = run(
        &b,
        &[line(
            1,
            "2026-10-06",
            497_500,
            Some("ADA LOVELACE"),
            "WIRE ISS000010",
        )],
        &[],
    );
    let m = only_match(&o);
    assert_eq!(
        (m.expected_cents, m.bank_cents, m.difference_cents),
        (500_000, 497_500, -2_500)
    );
    assert!(m.score < 1.0 && m.score > 0.9);
    assert!(o.exceptions.is_empty());
}

#[test]
fn wire_short_beyond_tolerance_is_amount_mismatch() {
    let b = book(
        vec![investor(1, "Ada", "Lovelace")],
        vec![investment(
            10,
            1,
            M::Wire,
            S::Invested,
            "5000.00",
            "2026-10-05",
        )],
    );
    let o = run(
        &b,
        &[line(
            1,
            "2026-10-06",
            400_000,
            Some("ADA LOVELACE"),
            "WIRE ISS-000010",
        )],
        &[],
    );
    assert!(o.matches.is_empty());
    assert_eq!(codes(&o), vec![C::AmountMismatch]);
    assert_eq!(o.exceptions[0].investment_id, Some(10));
}

#[test]
fn mangled_reference_one_character_off() {
    let b = book(
        vec![investor(1, "Ada", "Lovelace")],
        vec![investment(
            10,
            1,
            M::Wire,
            S::Invested,
            "5000.00",
            "2026-10-05",
        )],
    );
    // Reference ISS-000010 arrives as ISS-00001X, from a company the investor owns.
    let o = run(
        &b,
        &[line(
            1,
            "2026-10-05",
            500_000,
            Some("NORTHWIND LLC"),
            "FEDWIRE CREDIT OBI: ISS-00001X",
        )],
        &[],
    );
    let m = only_match(&o);
    assert_eq!((m.investment_id, m.rule.as_str()), (10, "fuzzy_reference"));
    assert!(m.score < 1.0);
}

#[test]
fn ira_fbo_name_without_reference() {
    let b = book(
        vec![investor(1, "Jane", "Doe")],
        vec![investment(
            11,
            1,
            M::Ira,
            S::Invested,
            "25000.00",
            "2026-10-07",
        )],
    );
    let l = line(
        1,
        "2026-10-09",
        2_500_000,
        Some("EQUITY TRUST COMPANY FBO JANE DOE IRA"),
        "FEDWIRE CREDIT FBO JANE DOE IRA 12345678",
    );
    let o = run(&b, &[l], &[]);
    let m = only_match(&o);
    assert_eq!((m.investment_id, m.rule.as_str()), (11, "amount_date_name"));
    assert!(m.score >= 0.9, "{}", m.score);
}

#[test]
fn romanised_cyrillic_name() {
    let b = book(
        vec![investor(1, "Дмитрий", "Соколов")],
        vec![investment(
            12,
            1,
            M::Wire,
            S::Invested,
            "12000.00",
            "2026-10-12",
        )],
    );
    let l = line(
        1,
        "2026-10-13",
        1_200_000,
        Some("SOKOLOV DMITRII"),
        "SWIFT INCOMING CREDIT B/O SOKOLOV DMITRII",
    );
    let o = run(&b, &[l], &[]);
    assert_eq!(only_match(&o).rule, "amount_date_name");
}

#[test]
fn name_mismatch_does_not_match_on_amount_alone() {
    let b = book(
        vec![investor(1, "Jane", "Doe")],
        vec![investment(
            11,
            1,
            M::Wire,
            S::Invested,
            "25000.00",
            "2026-10-07",
        )],
    );
    let o = run(
        &b,
        &[line(
            1,
            "2026-10-08",
            2_500_000,
            Some("ACME HOLDINGS"),
            "FEDWIRE CREDIT",
        )],
        &[],
    );
    assert!(o.matches.is_empty());
    let mut c = codes(&o);
    c.sort();
    assert_eq!(c, vec![C::UnmatchedInvestment, C::UnmatchedCredit]);
}

fn card(
    id: i64,
    inv: i64,
    price: &str,
    fee: &str,
    day: &str,
    pi: &str,
) -> tieout_domain::Investment {
    let mut i = investment(id, inv, M::Card, S::Invested, price, day);
    i.price_payment_processing_fees = Some(fee.parse::<Decimal>().unwrap());
    i.payment_intent_id = Some(pi.into());
    i
}

#[test]
fn batch_broken_down_by_payout_report() {
    let b = book(
        vec![investor(1, "A", "One"), investor(2, "B", "Two")],
        vec![
            card(20, 1, "100.00", "3.20", "2026-10-05", "pi_aaa111"),
            card(21, 2, "250.00", "7.55", "2026-10-05", "pi_bbb222"),
        ],
    );
    let items = vec![
        payout_item(
            1,
            "po_X1",
            Some("pi_aaa111"),
            "charge",
            10_000,
            320,
            "2026-10-07",
        ),
        payout_item(
            2,
            "po_X1",
            Some("pi_bbb222"),
            "charge",
            25_000,
            755,
            "2026-10-07",
        ),
    ];
    let net = 10_000 - 320 + 25_000 - 755;
    let l = line(
        1,
        "2026-10-07",
        net,
        Some("STRIPE"),
        "ORIG CO NAME:STRIPE IND ID:po_X1",
    );
    let o = run(&b, std::slice::from_ref(&l), &items);
    assert_eq!(o.matches.len(), 2, "{:#?}", o.exceptions);
    assert!(
        o.matches
            .iter()
            .all(|m| m.rule == "payout_report" && m.difference_cents == 0)
    );
    assert!(o.exceptions.is_empty());
    // Without the po_ id in the text, amount + payout date finds it.
    let mut l2 = l;
    l2.description = "STRIPE TRANSFER".into();
    let o = run(&b, &[l2], &items);
    assert_eq!(o.matches.len(), 2);
}

#[test]
fn batch_by_day_total_and_by_subset_sum_without_report() {
    let b = book(
        vec![
            investor(1, "A", "One"),
            investor(2, "B", "Two"),
            investor(3, "C", "Three"),
            investor(4, "D", "Four"),
        ],
        vec![
            card(30, 1, "100.00", "3.20", "2026-10-05", "pi_1"),
            card(31, 2, "250.00", "7.55", "2026-10-05", "pi_2"),
            card(32, 3, "400.00", "11.90", "2026-10-06", "pi_3"),
            card(33, 4, "75.00", "2.48", "2026-10-06", "pi_4"),
        ],
    );
    // Day total of 2026-10-05 (two charges).
    let day1 = 9_680 + 24_245;
    // A line combining one charge of each day: only a subset-sum explains it.
    let mixed = 24_245 + 38_810;
    let lines = vec![line(
        1,
        "2026-10-07",
        day1,
        Some("STRIPE"),
        "STRIPE TRANSFER",
    )];
    let o = run(&b, &lines, &[]);
    assert_eq!(
        o.matches
            .iter()
            .filter(|m| m.rule == "batch_day_total")
            .count(),
        2,
        "{:#?}",
        o.exceptions
    );
    let lines = vec![line(
        1,
        "2026-10-08",
        mixed,
        Some("STRIPE"),
        "STRIPE TRANSFER",
    )];
    let o = run(&b, &lines, &[]);
    let mut ids: Vec<i64> = o
        .matches
        .iter()
        .filter(|m| m.rule == "batch_subset_sum")
        .map(|m| m.investment_id)
        .collect();
    ids.sort();
    assert_eq!(ids, vec![31, 32], "{:#?}", o.exceptions);
}

#[test]
fn batch_subset_sum_with_two_answers_is_not_a_guess() {
    let b = book(
        vec![investor(1, "A", "One")],
        vec![
            card(30, 1, "100.00", "0", "2026-10-05", "pi_1"),
            card(31, 1, "100.00", "0", "2026-10-06", "pi_2"),
            card(32, 1, "50.00", "0", "2026-10-07", "pi_3"),
            card(33, 1, "25.00", "0", "2026-10-07", "pi_4"),
        ],
    );
    let o = run(
        &b,
        &[line(
            1,
            "2026-10-08",
            15_000,
            Some("STRIPE"),
            "STRIPE TRANSFER",
        )],
        &[],
    );
    assert!(o.matches.is_empty());
    assert!(codes(&o).contains(&C::AmbiguousMatch));
}

#[test]
fn split_payment_two_wires() {
    let b = book(
        vec![investor(1, "Maria", "Gonzalez")],
        vec![investment(
            40,
            1,
            M::Wire,
            S::Invested,
            "10000.00",
            "2026-10-05",
        )],
    );
    let lines = vec![
        line(
            1,
            "2026-10-05",
            600_000,
            Some("MARIA GONZALEZ"),
            "FEDWIRE CREDIT",
        ),
        line(
            2,
            "2026-10-06",
            400_000,
            Some("MARIA GONZALEZ"),
            "FEDWIRE CREDIT",
        ),
    ];
    let o = run(&b, &lines, &[]);
    assert_eq!(o.matches.len(), 2, "{:#?}", o.exceptions);
    assert!(o.matches.iter().all(|m| m.rule == "split_payment"));
    assert_eq!(
        o.matches.iter().map(|m| m.expected_cents).sum::<i64>(),
        1_000_000
    );
    assert!(o.exceptions.is_empty());
}

#[test]
fn refund_debit_paired_with_investment() {
    let mut i = investment(50, 1, M::Wire, S::Refunded, "3000.00", "2026-10-02");
    i.refunded_at = Some(chrono::TimeZone::from_utc_datetime(
        &chrono::Utc,
        &d("2026-10-15").and_hms_opt(12, 0, 0).unwrap(),
    ));
    let b = book(vec![investor(1, "Tom", "Baker")], vec![i]);
    let lines = vec![
        line(
            1,
            "2026-10-02",
            300_000,
            Some("TOM BAKER"),
            "FEDWIRE CREDIT ISS-000050",
        ),
        line(
            2,
            "2026-10-16",
            -300_000,
            Some("TOM BAKER"),
            "FEDWIRE DEBIT BNF TOM BAKER",
        ),
    ];
    let o = run(&b, &lines, &[]);
    let rules: Vec<&str> = o.matches.iter().map(|m| m.rule.as_str()).collect();
    assert_eq!(
        rules,
        vec!["exact_reference", "refund_pair"],
        "{:#?}",
        o.exceptions
    );
}

#[test]
fn refunded_on_platform_but_no_debit_is_status_mismatch() {
    let mut i = investment(50, 1, M::Wire, S::Refunded, "3000.00", "2026-10-02");
    i.refunded_at = Some(chrono::TimeZone::from_utc_datetime(
        &chrono::Utc,
        &d("2026-10-15").and_hms_opt(12, 0, 0).unwrap(),
    ));
    let b = book(vec![investor(1, "Tom", "Baker")], vec![i]);
    let o = run(
        &b,
        &[line(
            1,
            "2026-10-02",
            300_000,
            Some("TOM BAKER"),
            "ISS-000050",
        )],
        &[],
    );
    assert_eq!(codes(&o), vec![C::StatusMismatch]);
}

#[test]
fn ach_return_paired() {
    let mut i = investment(60, 1, M::Ach, S::PaymentFailed, "500.00", "2026-10-05");
    i.received_at = None;
    let b = book(vec![investor(1, "Lee", "Wong")], vec![i]);
    let lines = vec![
        line(
            1,
            "2026-10-07",
            50_000,
            Some("LEE WONG"),
            "ACH CREDIT ORIG CO NAME:LEE WONG IND ID:ISS-000060",
        ),
        line(
            2,
            "2026-10-12",
            -50_000,
            Some("LEE WONG"),
            "ACH RETURN R01 INSUFFICIENT FUNDS LEE WONG",
        ),
    ];
    let o = run(&b, &lines, &[]);
    let rules: Vec<&str> = o.matches.iter().map(|m| m.rule.as_str()).collect();
    assert_eq!(
        rules,
        vec!["exact_reference", "ach_return_pair"],
        "{:#?}",
        o.exceptions
    );
    assert!(o.exceptions.is_empty());
    // Nothing on the statement: both movements are ignored with reasons, no exception.
    let o = run(&b, &[], &[]);
    assert!(o.exceptions.is_empty());
    assert_eq!(o.ignored_investments.len(), 2);
}

#[test]
fn duplicate_wire() {
    let b = book(
        vec![investor(1, "Ada", "Lovelace")],
        vec![investment(
            10,
            1,
            M::Wire,
            S::Invested,
            "5000.00",
            "2026-10-05",
        )],
    );
    let lines = vec![
        line(
            1,
            "2026-10-05",
            500_000,
            Some("ADA LOVELACE"),
            "OBI ISS-000010",
        ),
        line(
            2,
            "2026-10-07",
            500_000,
            Some("ADA LOVELACE"),
            "OBI ISS-000010",
        ),
    ];
    let o = run(&b, &lines, &[]);
    assert_eq!(only_match(&o).statement_row, 1);
    assert_eq!(codes(&o), vec![C::DuplicatePayment]);
    assert_eq!(o.exceptions[0].statement_row, Some(2));
    // Without references the second identical wire is still caught.
    let lines = vec![
        line(1, "2026-10-05", 500_000, Some("ADA LOVELACE"), "WIRE"),
        line(2, "2026-10-07", 500_000, Some("ADA LOVELACE"), "WIRE"),
    ];
    let o = run(&b, &lines, &[]);
    assert_eq!(only_match(&o).statement_row, 1);
    assert_eq!(codes(&o), vec![C::DuplicatePayment]);
}

#[test]
fn near_tie_is_ambiguous_not_a_guess() {
    let b = book(
        vec![investor(1, "John", "Smith"), investor(2, "James", "Smith")],
        vec![
            investment(70, 1, M::Wire, S::Invested, "1000.00", "2026-10-05"),
            investment(71, 2, M::Wire, S::Invested, "1000.00", "2026-10-05"),
        ],
    );
    let o = run(
        &b,
        &[line(
            1,
            "2026-10-05",
            100_000,
            Some("J SMITH"),
            "FEDWIRE CREDIT",
        )],
        &[],
    );
    assert!(o.matches.is_empty());
    let c = codes(&o);
    assert_eq!(
        c.iter().filter(|c| **c == C::AmbiguousMatch).count(),
        3,
        "{c:?}"
    );
    assert!(
        o.exceptions
            .iter()
            .any(|e| e.statement_row == Some(1) && e.code == C::AmbiguousMatch)
    );
}

#[test]
fn unmatched_both_sides_and_status_mismatch() {
    let mut nr = investment(81, 2, M::Wire, S::NotReceived, "700.00", "2026-10-05");
    nr.received_at = None;
    let b = book(
        vec![investor(1, "Ada", "Lovelace"), investor(2, "Bob", "Jones")],
        vec![
            investment(80, 1, M::Wire, S::Invested, "5000.00", "2026-10-05"),
            nr,
        ],
    );
    let lines = vec![
        line(1, "2026-10-08", 123_437, None, "DEPOSIT BRANCH 0412"),
        line(
            2,
            "2026-10-09",
            -45_015,
            None,
            "ONLINE TRANSFER TO CHK 1234",
        ),
        line(3, "2026-10-06", 70_000, Some("BOB JONES"), "OBI ISS-000081"),
        line(4, "2026-10-30", -3_500, None, "MONTHLY SERVICE FEE"),
    ];
    let o = run(&b, &lines, &[]);
    let mut c = codes(&o);
    c.sort();
    assert_eq!(
        c,
        vec![
            C::UnmatchedInvestment,
            C::UnmatchedCredit,
            C::UnmatchedDebit,
            C::StatusMismatch
        ]
    );
    assert_eq!(o.ignored_lines.len(), 1);
    assert_eq!(o.ignored_lines[0].reason, "bank fee");
    assert_eq!(o.open_items.items.len(), 1);
    assert_eq!(o.open_items.items[0].investment_id, 80);
}

#[test]
fn cancelled_with_money_is_refund_due() {
    let b = book(
        vec![investor(1, "Ada", "Lovelace")],
        vec![investment(
            90,
            1,
            M::Wire,
            S::Cancelled,
            "800.00",
            "2026-10-05",
        )],
    );
    let o = run(
        &b,
        &[line(
            1,
            "2026-10-06",
            80_000,
            Some("ADA LOVELACE"),
            "ISS-000090",
        )],
        &[],
    );
    assert_eq!(codes(&o), vec![C::RefundDue]);
}

#[test]
fn carry_forward_closes_an_item_when_money_arrives_late() {
    let b = book(
        vec![investor(1, "Ada", "Lovelace")],
        vec![investment(
            10,
            1,
            M::Wire,
            S::Invested,
            "5000.00",
            "2026-09-29",
        )],
    );
    let sept = tieout_domain::Period::new(2026, 9).unwrap();
    let input = ReconInput {
        book: &b,
        lines: &[],
        payouts: &[],
        balances: &[],
        rejects: &[],
        control_breaks: &[],
        carry_forward: None,
        period: sept,
        platform: None,
    };
    let o1 = reconcile(&input, &Tolerances::default()).unwrap();
    assert_eq!(codes(&o1), vec![C::UnmatchedInvestment]);
    let json = o1.open_items.to_json();
    let open = OpenItems::from_json(&json).unwrap();
    assert_eq!(open.items.len(), 1);
    // October: the wire arrives well after its window, without a reference.
    let lines = vec![line(
        1,
        "2026-10-20",
        500_000,
        Some("ADA LOVELACE"),
        "FEDWIRE CREDIT",
    )];
    let input = ReconInput {
        book: &b,
        lines: &lines,
        payouts: &[],
        balances: &[],
        rejects: &[],
        control_breaks: &[],
        carry_forward: Some(&open),
        period: period(),
        platform: None,
    };
    let o2 = reconcile(&input, &Tolerances::default()).unwrap();
    assert_eq!(only_match(&o2).rule, "carry_forward");
    assert!(o2.open_items.items.is_empty());
    assert!(o2.exceptions.is_empty());
}

#[test]
fn balance_break_reported() {
    let b = book(vec![], vec![]);
    let lines = vec![line(1, "2026-10-08", 10_000, None, "DEPOSIT")];
    let bal = vec![StatedBalance {
        file: "bank.csv".into(),
        account: None,
        opening_cents: 100,
        closing_cents: 10_000,
        as_of: None,
    }];
    let input = ReconInput {
        book: &b,
        lines: &lines,
        payouts: &[],
        balances: &bal,
        rejects: &[],
        control_breaks: &[],
        carry_forward: None,
        period: period(),
        platform: None,
    };
    let o = reconcile(&input, &Tolerances::default()).unwrap();
    let br: Vec<_> = o
        .exceptions
        .iter()
        .filter(|e| e.code == C::BalanceBreak)
        .collect();
    assert_eq!(br.len(), 1);
    assert_eq!(br[0].amount_cents, -100);
}

#[test]
fn outputs_are_deterministic_and_summary_adds_up() {
    let b = book(
        vec![investor(1, "Ada", "Lovelace"), investor(2, "Bob", "Jones")],
        vec![
            investment(10, 1, M::Wire, S::Invested, "5000.00", "2026-10-05"),
            investment(11, 2, M::Wire, S::Invested, "100.00", "2026-10-05"),
        ],
    );
    let lines = vec![
        line(2, "2026-10-05", 500_000, Some("ADA LOVELACE"), "ISS-000010"),
        line(1, "2026-10-05", 999, None, "X"),
    ];
    let a = run(&b, &lines, &[]);
    let mut rev = lines.clone();
    rev.reverse();
    let z = run(&b, &rev, &[]);
    assert_eq!(matches_csv(&a.matches), matches_csv(&z.matches));
    assert_eq!(exceptions_csv(&a.exceptions), exceptions_csv(&z.exceptions));
    let s = &a.summary;
    assert_eq!(
        s.lines_cents,
        s.matched_line_cents + s.exception_line_cents + s.ignored_line_cents
    );
    assert_eq!(s.per_method["wire"].movements, 2);
    assert_eq!(s.per_method["wire"].matched, 1);
    assert!((s.matched_ratio_count - 0.5).abs() < 1e-9);
}

fn refunded_card(
    id: i64,
    inv: i64,
    price: &str,
    fee: &str,
    day: &str,
    back: &str,
) -> tieout_domain::Investment {
    let mut i = card(id, inv, price, fee, day, &format!("pi_r{id}"));
    i.status = S::Refunded;
    i.refunded_at = Some(chrono::TimeZone::from_utc_datetime(
        &chrono::Utc,
        &d(back).and_hms_opt(15, 0, 0).unwrap(),
    ));
    i
}

#[test]
fn negative_card_payout_nets_charges_and_refunds_by_subset_sum() {
    let investors = vec![
        investor(1, "A", "One"),
        investor(2, "B", "Two"),
        investor(3, "C", "Three"),
        investor(4, "D", "Four"),
    ];
    let charges = vec![
        card(40, 1, "100.00", "3.20", "2026-10-05", "pi_40"),
        card(41, 2, "250.00", "7.55", "2026-10-06", "pi_41"),
    ];
    // Refunds that day exceeded charges: Stripe returns the gross (its fee is kept), so the
    // payout is 96.80 + 242.45 − 1,000.00.
    let net = 9_680 + 24_245 - 100_000;
    let l = line(
        1,
        "2026-10-07",
        net,
        Some("STRIPE"),
        "ORIG CO NAME:STRIPE CO ENTRY DESCR:TRANSFER",
    );
    let mut invs = charges.clone();
    invs.push(refunded_card(
        42,
        3,
        "1000.00",
        "5.00",
        "2026-09-25",
        "2026-10-07",
    ));
    let o = run(
        &book(investors.clone(), invs),
        std::slice::from_ref(&l),
        &[],
    );
    let mut got: Vec<(i64, i64)> = o
        .matches
        .iter()
        .filter(|m| m.rule == "batch_subset_sum")
        .map(|m| (m.investment_id, m.expected_cents))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![(40, 9_680), (41, 24_245), (42, -100_000)],
        "{:#?}",
        o.exceptions
    );
    assert_eq!(o.matches.iter().map(|m| m.bank_cents).sum::<i64>(), net);
    assert!(
        !codes(&o).iter().any(|c| matches!(
            c,
            C::UnmatchedDebit | C::UnmatchedInvestment | C::AmbiguousMatch
        )),
        "{:#?}",
        o.exceptions
    );
    // Two refunds of the same size: two answers, so no guess.
    let mut invs = charges;
    invs.push(refunded_card(
        42,
        3,
        "1000.00",
        "5.00",
        "2026-09-25",
        "2026-10-07",
    ));
    invs.push(refunded_card(
        43,
        4,
        "1000.00",
        "5.00",
        "2026-09-25",
        "2026-10-07",
    ));
    let o = run(&book(investors, invs), &[l], &[]);
    assert!(
        o.matches.iter().all(|m| m.rule != "batch_subset_sum"),
        "{:#?}",
        o.matches
    );
    assert!(
        o.exceptions
            .iter()
            .any(|e| e.statement_row == Some(1) && e.code == C::AmbiguousMatch),
        "{:#?}",
        o.exceptions
    );
}

#[test]
fn spouse_with_same_family_name_and_unique_candidate_matches() {
    // Vietnamese: "Đỗ Văn Minh" natively, stored first_name/last_name Western-style; the wire
    // comes from the spouse, who shares only the family name.
    let b = book(
        vec![
            investor(1, "Văn Minh", "Đỗ"),
            investor(2, "Thành Long", "Huỳnh"),
        ],
        vec![
            investment(80, 1, M::Wire, S::Received, "26000.00", "2026-10-15"),
            investment(81, 2, M::Wire, S::Invested, "750.00", "2026-10-27"),
        ],
    );
    let lines = vec![
        line(
            1,
            "2026-10-13",
            2_600_000,
            Some("QUOC ANH DO"),
            "FEDWIRE CREDIT B/O: QUOC ANH DO OBI: HARBOR LANE FUND I INVESTMENT",
        ),
        // Short by a $20 intermediary fee; a long family name may carry a fee difference.
        line(
            2,
            "2026-10-27",
            73_000,
            Some("DUC HUY HUYNH"),
            "FEDWIRE CREDIT B/O: DUC HUY HUYNH",
        ),
    ];
    let o = run(&b, &lines, &[]);
    let mut got: Vec<(i64, u32, &str, i64)> = o
        .matches
        .iter()
        .map(|m| {
            (
                m.investment_id,
                m.statement_row,
                m.rule.as_str(),
                m.difference_cents,
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (80, 1, "amount_date_name", 0),
            (81, 2, "amount_date_name", -2_000)
        ],
        "{:#?}",
        o.exceptions
    );
    // The weaker name evidence shows in the score.
    assert!(o.matches.iter().all(|m| m.score < 0.85), "{:#?}", o.matches);
    assert!(o.exceptions.is_empty(), "{:#?}", o.exceptions);
    // A two-letter family name alone does not carry a different amount.
    let short = vec![line(
        1,
        "2026-10-13",
        2_597_500,
        Some("QUOC ANH DO"),
        "FEDWIRE CREDIT B/O: QUOC ANH DO",
    )];
    let o = run(&b, &short, &[]);
    assert!(o.matches.is_empty(), "{:#?}", o.matches);
}

#[test]
fn same_family_name_with_two_candidates_is_ambiguous() {
    let b = book(
        vec![investor(1, "Văn Minh", "Đỗ"), investor(2, "Thị Lan", "Đỗ")],
        vec![
            investment(80, 1, M::Wire, S::Received, "26000.00", "2026-10-15"),
            investment(82, 2, M::Wire, S::Received, "26000.00", "2026-10-14"),
        ],
    );
    let o = run(
        &b,
        &[line(
            1,
            "2026-10-13",
            2_600_000,
            Some("QUOC ANH DO"),
            "FEDWIRE CREDIT B/O: QUOC ANH DO",
        )],
        &[],
    );
    assert!(o.matches.is_empty(), "{:#?}", o.matches);
    assert!(
        o.exceptions
            .iter()
            .any(|e| e.statement_row == Some(1) && e.code == C::AmbiguousMatch),
        "{:#?}",
        o.exceptions
    );
}

#[test]
fn prepared_movements_give_the_same_run_and_refuse_another_input() {
    use tieout_reconcile::engine::{ReconError, prepare, reconcile_prepared};
    let b = book(
        vec![investor(1, "Ada", "Lovelace")],
        vec![investment(
            10,
            1,
            M::Wire,
            S::Invested,
            "5000.00",
            "2026-10-05",
        )],
    );
    let other = b.clone();
    let lines = [line(
        1,
        "2026-10-05",
        500_000,
        Some("ADA LOVELACE"),
        "FEDWIRE CREDIT IMAD 123",
    )];
    let tol = Tolerances::default();
    let input = ReconInput {
        book: &b,
        lines: &lines,
        payouts: &[],
        balances: &[],
        rejects: &[],
        control_breaks: &[],
        carry_forward: None,
        period: period(),
        platform: None,
    };
    let whole = reconcile(&input, &tol).unwrap();
    let split =
        reconcile_prepared(&input, &tol, prepare(&b, period(), &tol, None).unwrap()).unwrap();
    assert_eq!(matches_csv(&whole.matches), matches_csv(&split.matches));
    assert_eq!(whole.matches.len(), 1);
    // Movements of another book, or other tolerances, are refused.
    let wrong_book = prepare(&other, period(), &tol, None).unwrap();
    assert!(matches!(
        reconcile_prepared(&input, &tol, wrong_book),
        Err(ReconError::PreparedMismatch)
    ));
    let strict = Tolerances {
        name_threshold: 0.95,
        ..Tolerances::default()
    };
    let wrong_tol = prepare(&b, period(), &strict, None).unwrap();
    assert!(matches!(
        reconcile_prepared(&input, &tol, wrong_tol),
        Err(ReconError::PreparedMismatch)
    ));
}

#[test]
fn one_initial_on_the_line_for_two_prefixes_of_its_letter_is_still_reached() {
    // Sarah Schmidt: prefixes SA and SC; the line `S SHMIDT` (initial + misspelled surname)
    // shares only its initial with both, and the name still scores over the threshold.
    let b = book(
        vec![investor(1, "Sarah", "Schmidt")],
        vec![investment(
            12,
            1,
            M::Wire,
            S::Invested,
            "4200.00",
            "2026-10-07",
        )],
    );
    let l = line(
        1,
        "2026-10-07",
        420_000,
        Some("S SHMIDT"),
        "FEDWIRE CREDIT B/O: S SHMIDT IMAD 1",
    );
    let o = run(&b, &[l], &[]);
    let m = only_match(&o);
    assert_eq!((m.investment_id, m.rule.as_str()), (12, "amount_date_name"));
}

#[test]
fn a_shared_surname_and_initial_is_not_another_persons_name() {
    // `CHRISTOPHER VAN DER BERG` pays; Ashley Van der Berg with the same amount is not a
    // candidate by name, and `H HUYNH` is not Håkon Horváth through its initial.
    let b = book(
        vec![
            investor(1, "Christopher", "Van der Berg"),
            investor(2, "Ashley", "Van der Berg"),
        ],
        vec![
            investment(13, 1, M::Wire, S::Invested, "660.00", "2026-10-02"),
            investment(14, 2, M::Wire, S::Invested, "660.00", "2026-10-02"),
        ],
    );
    let l = line(
        1,
        "2026-10-02",
        66_000,
        Some("CHRISTOPHER VAN DER BERG"),
        "FEDWIRE CREDIT B/O: CHRISTOPHER VAN DER BERG",
    );
    let o = run(&b, &[l], &[]);
    let m = only_match(&o);
    assert_eq!(m.investment_id, 13);
    assert!(!codes(&o).contains(&C::AmbiguousMatch), "{:?}", codes(&o));
}

#[test]
fn two_payers_an_initial_cannot_tell_apart_are_ambiguous() {
    // Håkon Huỳnh and Hữu Phước Huỳnh both fit `H HUYNH` (Hữu and Huỳnh share the prefix HU,
    // which the prefix filter must not count once): two such lines are a near-tie, not a guess.
    let b = book(
        vec![
            investor(1, "Håkon", "Huỳnh"),
            investor(2, "Hữu Phước", "Huỳnh"),
        ],
        vec![
            investment(21, 1, M::Wire, S::Invested, "115000.00", "2026-10-15"),
            investment(22, 2, M::Wire, S::Invested, "115000.00", "2026-10-16"),
        ],
    );
    let lines = [
        line(
            1,
            "2026-10-14",
            11_500_000,
            Some("H HUYNH"),
            "FEDWIRE CREDIT B/O: H HUYNH IMAD: 1",
        ),
        line(
            2,
            "2026-10-14",
            11_500_000,
            Some("H HUYNH"),
            "FEDWIRE CREDIT B/O: H HUYNH IMAD: 2",
        ),
    ];
    let o = run(&b, &lines, &[]);
    assert!(o.matches.is_empty(), "{}", matches_csv(&o.matches));
    assert_eq!(
        codes(&o)
            .iter()
            .filter(|c| **c == C::AmbiguousMatch)
            .count(),
        4,
        "{}",
        exceptions_csv(&o.exceptions)
    );
}

#[test]
fn a_wire_line_goes_to_the_wire_investment_not_a_failed_ach_namesake() {
    // Two investors of one name and amount, no reference on the line: one paid by wire, the
    // other's ACH failed (its credit may have come in before the return). A Fedwire credit is
    // the wire investment's; an ACH credit would be the other's.
    let failed = || {
        let mut f = investment(22, 2, M::Ach, S::PaymentFailed, "500.00", "2026-10-07");
        f.received_at = None;
        f.processed_at = f.created_at;
        f
    };
    let b = book(
        vec![
            investor(1, "Thị Hương", "Vũ"),
            investor(2, "Thị Hương", "Vũ"),
        ],
        vec![
            investment(21, 1, M::Wire, S::Approved, "500.00", "2026-10-09"),
            failed(),
        ],
    );
    let wire = line(
        1,
        "2026-10-08",
        50_000,
        Some("THI HUONG VU"),
        "FEDWIRE CREDIT VIA: TRUIST BANK /061000104 B/O: THI HUONG VU OBI: IMAD: 20261008MMQFMPMJ696706",
    );
    let o = run(&b, std::slice::from_ref(&wire), &[]);
    let pairs: Vec<(i64, u32)> = o
        .matches
        .iter()
        .map(|m| (m.investment_id, m.statement_row))
        .collect();
    assert_eq!(pairs, [(21, 1)], "{}", exceptions_csv(&o.exceptions));
    assert!(!codes(&o).contains(&C::AmbiguousMatch));
    // The same line as an ACH credit: the wire investment is not its owner.
    let mut ach = wire.clone();
    ach.description = "ACH CREDIT THI HUONG VU PPD".into();
    ach.type_code = Some("ACH_CREDIT".into());
    let o = run(&b, &[ach], &[]);
    let pairs: Vec<(i64, u32)> = o
        .matches
        .iter()
        .map(|m| (m.investment_id, m.statement_row))
        .collect();
    assert_eq!(pairs, [(22, 1)], "{}", exceptions_csv(&o.exceptions));
}

#[test]
fn a_reference_spelt_like_a_word_still_matches_exactly() {
    // Line tokens that are short and all letters are kept only when some key is spelt that way
    // (the book's or a movement's); a reference such as `OAK-TREE` is one.
    let mut inv = investment(10, 1, M::Wire, S::Invested, "5000.00", "2026-10-05");
    inv.reference_id = Some("OAK-TREE".into());
    inv.payment_intent_id = None;
    let b = book(vec![investor(1, "Ada", "Lovelace")], vec![inv]);
    let l = line(
        1,
        "2026-10-05",
        500_000,
        Some("SOMEONE ELSE"),
        "FEDWIRE CREDIT OBI: OAKTREE IMAD 123",
    );
    let o = run(&b, &[l], &[]);
    let m = only_match(&o);
    assert_eq!(
        (m.investment_id, m.rule.as_str(), m.difference_cents),
        (10, "exact_reference", 0),
        "{}",
        exceptions_csv(&o.exceptions)
    );
}

#[test]
fn a_line_with_one_investments_own_reference_is_not_given_to_its_one_typo_neighbour() {
    // ISS-000010 is not_received (no money expected this period); ISS-000011 (one character apart) expects
    // the same amount. A wire quoting ISS-000010 is investment 10's money arriving against its
    // status, not a mistyped ISS-000011.
    // Made in July and never received: out of the period's scope, so no movement of its own.
    let mut not_received = investment(10, 1, M::Wire, S::NotReceived, "5000.00", "2026-07-01");
    not_received.received_at = None;
    let b = book(
        vec![
            investor(1, "Ada", "Lovelace"),
            investor(2, "Dmitri", "Ivanov"),
        ],
        vec![
            not_received,
            investment(11, 2, M::Wire, S::Invested, "5000.00", "2026-10-05"),
        ],
    );
    let l = line(
        1,
        "2026-10-05",
        500_000,
        Some("ADA LOVELACE"),
        "FEDWIRE CREDIT OBI: ISS-000010",
    );
    let o = run(&b, &[l], &[]);
    assert!(o.matches.is_empty(), "{:?}", o.matches);
    let codes: Vec<(&str, Option<i64>)> = o
        .exceptions
        .iter()
        .map(|e| (e.code.as_str(), e.investment_id))
        .collect();
    assert!(
        codes.contains(&("STATUS_MISMATCH", Some(10))),
        "{}",
        exceptions_csv(&o.exceptions)
    );
}

/// A credit that carries an investment's own reference is that investment's money even when a
/// transfer of the same cents leaves another account within days (at 1,000,000 investments such
/// a coincidence is certain): it is the STATUS_MISMATCH of its not-received investment, not an
/// inter-account transfer, and the transfer stays an exception of its own.
#[test]
fn a_keyed_credit_is_never_an_inter_account_transfer() {
    // Created in the summer, never received: no movement this period, only its key.
    let mut nr = investment(81, 2, M::Wire, S::NotReceived, "1842.15", "2026-07-01");
    nr.received_at = None;
    let b = book(
        vec![
            investor(1, "Ada", "Lovelace"),
            investor(2, "Anna", "Smirnova"),
        ],
        vec![nr],
    );
    let mut out = line(
        2,
        "2026-10-27",
        -184_215,
        None,
        "BOOK TRANSFER TO OPERATING",
    );
    out.file = "operating.csv".into();
    out.account = Some("operating".into());
    let lines = vec![
        line(
            1,
            "2026-10-26",
            184_215,
            Some("ANNA SMIRNOVA"),
            "OBI ISS-000081",
        ),
        out,
    ];
    let o = run(&b, &lines, &[]);
    let mut c = codes(&o);
    c.sort();
    assert_eq!(
        c,
        vec![C::UnmatchedDebit, C::StatusMismatch],
        "{:?}",
        o.ignored_lines
    );
    assert!(o.ignored_lines.is_empty(), "{:?}", o.ignored_lines);
}

#[test]
fn inter_account_transfers_pair_the_nearest_credit_of_another_account() {
    let b = book(vec![investor(1, "Ada", "Lovelace")], vec![]);
    let in_account = |mut l: StatementLine, account: &str| {
        l.account = Some(account.into());
        l.file = format!("{account}.csv");
        l
    };
    let lines = vec![
        // A worded debit: any credit of its amount in another account within the days.
        line(1, "2026-10-07", -50_000, None, "TRANSFER TO OPERATING"),
        in_account(line(2, "2026-10-05", 50_000, None, "DEPOSIT"), "operating"),
        in_account(line(3, "2026-10-08", 50_000, None, "DEPOSIT"), "operating"),
        // Its own account's credit and one too far away are never its other leg.
        line(4, "2026-10-07", 50_000, None, "DEPOSIT"),
        in_account(line(5, "2026-10-20", 50_000, None, "DEPOSIT"), "operating"),
        // A debit without transfer words pairs only with a worded credit.
        line(6, "2026-10-12", -70_000, None, "OUTGOING WIRE"),
        in_account(line(7, "2026-10-12", 70_000, None, "DEPOSIT"), "operating"),
        in_account(
            line(8, "2026-10-14", 70_000, None, "BOOK TRANSFER CREDIT"),
            "operating",
        ),
    ];
    let out = run(&b, &lines, &[]);
    let mut paired: Vec<(&str, u32)> = out
        .ignored_lines
        .iter()
        .filter(|i| i.reason.starts_with("inter-account transfer"))
        .map(|i| (i.statement_file.as_str(), i.statement_row))
        .collect();
    paired.sort_unstable();
    assert_eq!(
        paired,
        vec![
            ("bank.csv", 1),
            ("bank.csv", 6),
            ("operating.csv", 3),
            ("operating.csv", 8)
        ],
        "{:?}",
        out.ignored_lines
    );
}

/// A statement whose hundreds of referenced lines name no investment of the snapshot is another
/// offering's (or the snapshot is the wrong one): its lines are not searched by amount, date
/// and name — a namesake paying a round amount in the window is a coincidence, not a match —
/// and each is an exception that says why. The same line in a statement of this book's money
/// matches by name.
#[test]
fn a_statement_naming_no_investment_is_not_searched_by_name() {
    let b = book(
        vec![investor(1, "Ada", "Lovelace")],
        vec![investment(
            101,
            1,
            M::Wire,
            S::Invested,
            "1000.00",
            "2026-10-05",
        )],
    );
    let namesake = line(1, "2026-10-05", 100_000, Some("ADA LOVELACE"), "WIRE IN");
    let mut foreign: Vec<StatementLine> = (0..250u32)
        .map(|k| {
            line(
                k + 2,
                "2026-10-06",
                10_000 + i64::from(k),
                Some("SOMEONE ELSE"),
                &format!("WIRE IN ISS-9{k:05}"),
            )
        })
        .collect();
    foreign.push(namesake.clone());
    let o = run(&b, &foreign, &[]);
    assert!(o.matches.is_empty(), "{:?}", o.matches);
    let e = o
        .exceptions
        .iter()
        .find(|e| e.statement_row == Some(1))
        .expect("the namesake line is an exception");
    assert_eq!(e.code, C::UnmatchedCredit);
    assert!(
        e.detail.contains("another offering's statement"),
        "{}",
        e.detail
    );
    // This book's statement: the same line matches by name.
    let o = run(&b, &[namesake], &[]);
    assert_eq!(o.matches.len(), 1, "{:?}", o.exceptions);
}
