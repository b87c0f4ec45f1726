//! A month where nothing fits must not be slow: every search pass works within a budget
//! proportional to its input (lines + movements), counted in steps, never in time; a line whose
//! search would need more than its share becomes an exception that says so.

mod engine_common;

use engine_common::*;
use tieout_domain::{Book, InvestmentStatus as S, PaymentMethod as M};
use tieout_reconcile::StatementLine;
use tieout_reconcile::engine::{ReconOutcome, SearchReport};

/// The budget contract of `crates/reconcile/src/engine/passes/budget.rs`: 64 steps per line and
/// movement plus 8,000,000, or 4,096 per item searched when that is more; at most four rounds.
fn bound(input: usize, items: usize) -> u64 {
    (64 * input as u64 + 8_000_000).max(4_096 * items as u64 * 4)
}

/// `n` card and ACH investments received across October, and `k` settlement lines and `k` wires
/// from another world: amounts that fit no day, no combination and no investment, names no
/// investor has.
fn mismatched_month(n: usize, k: usize) -> (Book, Vec<StatementLine>) {
    let investors = (0..n)
        .map(|i| investor(i as i64 + 1, "Ada", &format!("{}ovelace", letters(i))))
        .collect();
    let investments = (0..n)
        .map(|i| {
            let method = if i % 3 == 0 { M::Ach } else { M::Card };
            let day = format!("2026-10-{:02}", 1 + i % 28);
            let dollars = 100 + (i * 37 % 4000);
            investment(
                i as i64 + 1,
                i as i64 + 1,
                method,
                S::Invested,
                &format!("{dollars}.00"),
                &day,
            )
        })
        .collect();
    let mut lines = Vec::new();
    for j in 0..k {
        let day = format!("2026-10-{:02}", 5 + j % 24);
        // Odd cents: no sum of whole-dollar investments makes them.
        lines.push(line(
            2 * j as u32 + 1,
            &day,
            10_000_003 + 7 * j as i64,
            None,
            "STRIPE TRANSFER ST-XXXX",
        ));
        lines.push(line(
            2 * j as u32 + 2,
            &day,
            50_017 + 3 * j as i64,
            Some(&format!("ZEBEDEE {}QUIMBY", letters(j))),
            "FEDWIRE CREDIT",
        ));
    }
    (book(investors, investments), lines)
}

fn work_of(outcome: &ReconOutcome, pass: &str) -> tieout_reconcile::engine::PassWork {
    outcome
        .search
        .work
        .iter()
        .find(|w| w.pass == pass)
        .cloned()
        .unwrap_or_else(|| panic!("no work recorded for {pass}: {:?}", outcome.search.work))
}

fn total_steps(search: &SearchReport) -> u64 {
    search.work.iter().map(|w| w.steps).sum()
}

#[test]
fn nothing_fits_and_the_work_is_bounded() {
    let (b, lines) = mismatched_month(20_000, 1_000);
    let out = run(&b, &lines, &[]);
    let input = lines.len() + out.summary.movements;
    for w in &out.search.work {
        assert!(w.steps <= w.budget, "{w:?}");
        assert!(
            w.budget <= bound(input, w.items),
            "{w:?} for {input} inputs"
        );
    }
    // Nothing was matched, and the settlement lines whose window holds more open charges than
    // their share were not searched: their exceptions say so.
    assert!(
        out.matches.is_empty(),
        "{:?}",
        &out.matches[..out.matches.len().min(3)]
    );
    let batches = work_of(&out, "batches");
    assert_eq!(batches.items, 1_000);
    assert!(batches.exhausted > 900, "{batches:?}");
    let said: usize = out
        .exceptions
        .iter()
        .filter(|e| e.detail.contains("search budget exhausted"))
        .count();
    assert_eq!(said, batches.exhausted);
    for pass in [
        "refund_pair",
        "amount_date_name",
        "split_payment",
        "escrow_release",
    ] {
        work_of(&out, pass);
    }
}

#[test]
fn the_work_grows_no_faster_than_the_input() {
    let small = mismatched_month(5_000, 250);
    let large = mismatched_month(20_000, 1_000);
    let s = run(&small.0, &small.1, &[]);
    let l = run(&large.0, &large.1, &[]);
    let (ws, wl) = (total_steps(&s.search), total_steps(&l.search));
    // Four times the input: at most four times the work (and a little for the fixed part).
    assert!(
        wl <= 4 * ws + 1_000_000,
        "{ws} steps at 5,000, {wl} at 20,000"
    );
}

#[test]
fn the_work_is_deterministic_and_order_invariant() {
    let (b, mut lines) = mismatched_month(4_000, 300);
    let first = run(&b, &lines, &[]);
    lines.reverse();
    let second = run(&b, &lines, &[]);
    assert_eq!(first.search, second.search);
    assert_eq!(first.exceptions, second.exceptions);
}
