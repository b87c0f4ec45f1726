//! Escrow releases: one debit on the escrow account paying out many closed investments of an
//! offering is matched to each of them, with the fitted reading of what a release pays; its
//! credit leg in the issuer's account is the other side of the transfer. A one-off transfer of
//! history money (closed months ago) stays a transfer.

mod engine_common;

use chrono::{TimeZone, Utc};
use engine_common::*;
use rust_decimal::Decimal;
use tieout_domain::fixtures;
use tieout_domain::{Book, Investment, InvestmentStatus, Offering};
use tieout_reconcile::StatementLine;
use tieout_reconcile::engine::{ReconOutcome, ReleaseReading};

fn offering(id: i64, unit: &str) -> Offering {
    Offering {
        id,
        name: format!("Offering {id}"),
        unit_price: Some(unit.parse().unwrap()),
        ..fixtures::offering()
    }
}

/// A closed investment of `quantity` units at `unit` dollars: `amount` is the securities value,
/// `price` adds `fee` dollars the investor paid; closed (last updated) on `closed`.
fn closed(
    id: i64,
    offering_id: i64,
    quantity: i64,
    unit: i64,
    fee: &str,
    closed: &str,
) -> Investment {
    let securities = Decimal::from(quantity * unit);
    let fee: Decimal = fee.parse().unwrap();
    let received = Utc.from_utc_datetime(&d("2026-09-02").and_hms_opt(15, 0, 0).unwrap());
    let at = Utc.from_utc_datetime(&d(closed).and_hms_opt(16, 0, 0).unwrap());
    Investment {
        id,
        offering_id,
        investor_id: id,
        amount: securities,
        quantity: Some(quantity),
        price: Some(securities + fee),
        price_fees: Some(fee),
        status: InvestmentStatus::AcceptedEscrowClosed,
        reference_id: Some(format!("INV-{id:06}")),
        created_at: Some(received),
        received_at: Some(received),
        invested_at: Some(received),
        updated_at: Some(at),
        ..fixtures::investment()
    }
}

fn month(offerings: Vec<Offering>, investments: Vec<Investment>) -> Book {
    Book {
        offerings,
        investors: investments
            .iter()
            .map(|i| {
                investor(
                    i.investor_id,
                    "Ada",
                    &format!("{}ovelace", letters(i.id as usize)),
                )
            })
            .collect(),
        investments,
    }
}

/// The credit leg of a transfer: the same cents into the operating account.
fn credit_leg(row: u32, day: &str, cents: i64, text: &str) -> StatementLine {
    StatementLine {
        file: "operating.csv".into(),
        account: Some("operating".into()),
        ..line(row, day, cents, None, text)
    }
}

fn released(out: &ReconOutcome) -> Vec<i64> {
    out.matches
        .iter()
        .filter(|m| m.rule == "escrow_release")
        .map(|m| m.investment_id)
        .collect()
}

#[test]
fn a_release_of_a_whole_closing_is_matched_to_each_investment() {
    // 38 closed investments of offering 1 (units of $10, a 3 % investor fee on top), and five
    // of offering 2 closed the same day.
    let mut invs: Vec<Investment> = (0..38)
        .map(|i| {
            let q = 10 + 7 * i;
            // 3 % of q × $10, in cents.
            let fee_cents = q * 30;
            let fee = format!("{}.{:02}", fee_cents / 100, fee_cents % 100);
            closed(101 + i, 1, q, 10, &fee, "2026-10-12")
        })
        .collect();
    invs.extend((0..5).map(|i| closed(201 + i, 2, 40 + i, 5, "0", "2026-10-12")));
    let securities: i64 = (0..38).map(|i| (10 + 7 * i) * 10 * 100).sum();
    // The escrow agent withholds 1.5 % of the release (half up).
    let fee = (securities * 150 + 5_000) / 10_000;
    let paid = securities - fee;
    let b = month(vec![offering(1, "10"), offering(2, "5")], invs);
    let lines = vec![
        line(
            7,
            "2026-10-14",
            -paid,
            None,
            "ESCROW RELEASE CLOSING 1 TO ISSUER",
        ),
        credit_leg(
            3,
            "2026-10-14",
            paid,
            "BOOK TRANSFER CREDIT NORTH CAPITAL ESCROW",
        ),
    ];
    let out = run(&b, &lines, &[]);
    assert_eq!(released(&out), (101..=138).collect::<Vec<i64>>());
    let rows: Vec<_> = out
        .matches
        .iter()
        .filter(|m| m.rule == "escrow_release")
        .collect();
    assert!(
        rows.iter()
            .all(|m| m.statement_file == "bank.csv" && m.statement_row == 7)
    );
    assert_eq!(rows.iter().map(|m| m.bank_cents).sum::<i64>(), -paid);
    assert_eq!(
        rows.iter().map(|m| m.expected_cents).sum::<i64>(),
        -securities
    );
    assert_eq!(rows.iter().map(|m| m.difference_cents).sum::<i64>(), fee);
    let model = out.search.release_model.clone().expect("a release model");
    assert_eq!(
        (model.reading, model.fee_bps),
        (ReleaseReading::Securities, 150)
    );
    assert_eq!((model.explained, model.of), (1, 1));
    assert!(model.tied_with.is_empty(), "{model:?}");
    // The credit leg is the other side of the transfer; nothing is left as an exception.
    assert!(
        out.ignored_lines
            .iter()
            .any(|i| i.statement_file == "operating.csv" && i.reason.contains("escrow release")),
        "{:?}",
        out.ignored_lines
    );
    assert!(out.exceptions.is_empty(), "{:?}", out.exceptions);
}

#[test]
fn a_release_of_some_of_a_closing_is_found_by_a_bounded_subset_sum() {
    // Ten closed investments of $100 × 2^k (each sum of some of them is unique), $1 of investor
    // fee each; the release pays what four of the investors paid.
    let invs: Vec<Investment> = (0..10)
        .map(|k| closed(301 + k, 1, 10 << k, 10, "1.00", "2026-10-19"))
        .collect();
    let paid_of = |k: i64| ((10 << k) * 10 + 1) * 100;
    let picked = [0, 3, 4, 7];
    let paid: i64 = picked.iter().map(|&k| paid_of(k)).sum();
    let b = month(vec![offering(1, "10")], invs);
    let lines = vec![line(
        4,
        "2026-10-21",
        -paid,
        None,
        "OUTGOING WIRE ESCROW DISBURSEMENT",
    )];
    let out = run(&b, &lines, &[]);
    assert_eq!(
        released(&out),
        picked.iter().map(|k| 301 + k).collect::<Vec<i64>>()
    );
    let model = out.search.release_model.clone().expect("a release model");
    assert_eq!((model.reading, model.fee_bps), (ReleaseReading::Paid, 0));
    // The other six stay in escrow: no exception for them, none for the line.
    assert!(out.exceptions.is_empty(), "{:?}", out.exceptions);
    let work: Vec<_> = out
        .search
        .work
        .iter()
        .filter(|w| w.pass.starts_with("escrow_release"))
        .collect();
    assert!(work.iter().all(|w| w.steps <= w.budget), "{work:?}");
    assert!(work.iter().map(|w| w.steps).sum::<u64>() > 0, "{work:?}");
}

#[test]
fn a_one_off_transfer_of_history_money_stays_a_transfer() {
    // The classic month: money closed months ago leaves escrow in one book transfer whose
    // amount happens to be the sum of those investments.
    let invs: Vec<Investment> = (0..8)
        .map(|i| closed(401 + i, 1, 25 + 3 * i, 10, "7.50", "2026-06-15"))
        .collect();
    let paid: i64 = (0..8).map(|i| ((25 + 3 * i) * 10 * 100) + 750).sum();
    let b = month(vec![offering(1, "10")], invs);
    let lines = vec![
        line(
            35,
            "2026-10-16",
            -paid,
            Some("SOLENNE MODULAR HOMES INC"),
            "BOOK TRANSFER DEBIT ESCROW CLOSING DISBURSEMENT TO ISSUER OPERATING ACCT XXXXXX4417",
        ),
        credit_leg(
            22,
            "2026-10-16",
            paid,
            "BOOK TRANSFER CREDIT ESCROW CLOSING NORTH CAPITAL ESCROW",
        ),
    ];
    let out = run(&b, &lines, &[]);
    assert!(released(&out).is_empty(), "{:?}", out.matches);
    assert!(out.search.release_model.is_none());
    assert_eq!(out.ignored_lines.len(), 2, "{:?}", out.ignored_lines);
    assert!(
        out.ignored_lines
            .iter()
            .all(|i| i.reason.starts_with("inter-account transfer")),
        "{:?}",
        out.ignored_lines
    );
}

#[test]
fn a_debit_without_release_words_needs_an_exact_whole_closing() {
    // A transfer to another account that a 4.8 % fee would make a release of these two: not
    // without the words of a release (a fee fitted to one debit could be anything).
    let invs = vec![
        closed(501, 1, 30, 10, "0", "2026-10-12"),
        closed(502, 1, 45, 10, "0", "2026-10-12"),
    ];
    let total = 75 * 10 * 100;
    let paid = total - (total * 480 + 5_000) / 10_000;
    let b = month(vec![offering(1, "10")], invs.clone());
    let out = run(
        &b,
        &[line(
            1,
            "2026-10-13",
            -paid,
            None,
            "ONLINE TRANSFER TO CHK 0477",
        )],
        &[],
    );
    assert!(released(&out).is_empty(), "{:?}", out.matches);
    // The exact sum of the closing, though, is a release whatever the words.
    let b = month(vec![offering(1, "10")], invs);
    let out = run(
        &b,
        &[line(
            1,
            "2026-10-13",
            -total,
            None,
            "ONLINE TRANSFER TO CHK 0477",
        )],
        &[],
    );
    assert_eq!(released(&out), vec![501, 502]);
}

#[test]
fn a_release_that_holds_a_few_back_is_found_on_the_smaller_side() {
    // Sixteen closed investments of 2^16 + 2^k cents (every sum of some of them is unique) at a
    // unit price of one cent; the release pays all but three of them.
    let invs: Vec<Investment> = (0..16)
        .map(|k| closed(601 + k, 1, (1 << 16) + (1 << k), 1, "0", "2026-10-19"))
        .map(|mut i| {
            i.amount /= Decimal::ONE_HUNDRED;
            i.price = Some(i.amount);
            i
        })
        .collect();
    let held = [2, 9, 13];
    let paid: i64 = (0..16)
        .filter(|k| !held.contains(k))
        .map(|k| (1i64 << 16) + (1 << k))
        .sum();
    let b = month(vec![offering(1, "0.01")], invs);
    let out = run(
        &b,
        &[line(
            9,
            "2026-10-22",
            -paid,
            None,
            "ESCROW RELEASE CLOSING 3",
        )],
        &[],
    );
    let expected: Vec<i64> = (0..16)
        .filter(|k| !held.contains(k))
        .map(|k| 601 + k)
        .collect();
    assert_eq!(released(&out), expected);
    assert!(out.exceptions.is_empty(), "{:?}", out.exceptions);
}

#[test]
fn a_release_whose_held_back_amounts_repeat_is_an_exception_not_a_guess() {
    // Two closed investments of the same amount, one held back: which one was paid cannot be
    // told from the money.
    let invs = vec![
        closed(701, 1, 50, 10, "0", "2026-10-19"),
        closed(702, 1, 50, 10, "0", "2026-10-19"),
        closed(703, 1, 81, 10, "0", "2026-10-19"),
    ];
    let b = month(vec![offering(1, "10")], invs);
    let out = run(
        &b,
        &[line(2, "2026-10-20", -131_000, None, "ESCROW RELEASE")],
        &[],
    );
    assert!(released(&out).is_empty(), "{:?}", out.matches);
    assert_eq!(out.exceptions.len(), 1, "{:?}", out.exceptions);
    assert_eq!(out.exceptions[0].code.as_str(), "AMBIGUOUS_MATCH");
}
