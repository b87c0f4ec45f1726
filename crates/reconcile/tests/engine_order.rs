//! Order does not matter: shuffling the statement lines or the book's records, splitting one
//! statement into two files, or adding unrelated lines changes no match (property test).
//!
//! Lines are compared by what they say (date, cents, description, counterparty), not by where
//! they sit: a split renames their file, and of two lines that say the same thing either may
//! be the one matched.

mod engine_common;

use std::collections::BTreeMap;

use engine_common::*;
use proptest::prelude::*;
use tieout_domain::{Book, InvestmentStatus as S, PaymentMethod as M};
use tieout_reconcile::engine::{ReconInput, ReconOutcome, Tolerances, reconcile};
use tieout_reconcile::{PayoutItem, StatementLine};

const METHODS: [M; 5] = [M::Wire, M::Ira, M::Card, M::Ach, M::Crypto];
const STATUSES: [S; 6] = [
    S::Invested,
    S::Received,
    S::Accepted,
    S::Refunded,
    S::PaymentFailed,
    S::Cancelled,
];
const NAMES: [(&str, &str); 6] = [
    ("Ada", "Lovelace"),
    ("Bob", "Jones"),
    ("Jane", "Doe"),
    ("Иван", "Петров"),
    ("J", "Smith"),
    ("Grace", "Hopper"),
];

fn day(n: u32) -> String {
    format!("2026-10-{:02}", 1 + n % 30)
}

/// What a line says, wherever it sits.
type Said = (String, i64, String, Option<String>);

fn said(l: &StatementLine) -> Said {
    (
        l.booking_date.to_string(),
        l.amount_cents,
        l.description.clone(),
        l.counterparty.clone(),
    )
}

/// The outcome as (what the line said, investment, rule, expected, bank) for matches and
/// (code, what the line said, investment, cents) for exceptions, each sorted; ignored lines
/// by what they said.
type Shape = (
    Vec<(Said, i64, String, i64, i64)>,
    Vec<(String, Option<Said>, Option<i64>, i64)>,
    Vec<Said>,
);

fn shape(lines: &[StatementLine], o: &ReconOutcome) -> Shape {
    let by_place: BTreeMap<(&str, u32), Said> = lines
        .iter()
        .map(|l| ((l.file.as_str(), l.statement_row), said(l)))
        .collect();
    let at = |f: &str, r: u32| by_place[&(f, r)].clone();
    let mut matches: Vec<_> = o
        .matches
        .iter()
        .map(|m| {
            (
                at(&m.statement_file, m.statement_row),
                m.investment_id,
                m.rule.clone(),
                m.expected_cents,
                m.bank_cents,
            )
        })
        .collect();
    matches.sort();
    let mut exceptions: Vec<_> = o
        .exceptions
        .iter()
        .map(|e| {
            (
                e.code.as_str().to_string(),
                e.statement_file
                    .as_deref()
                    .zip(e.statement_row)
                    .map(|(f, r)| at(f, r)),
                e.investment_id,
                e.amount_cents,
            )
        })
        .collect();
    exceptions.sort();
    let mut ignored: Vec<_> = o
        .ignored_lines
        .iter()
        .map(|i| at(&i.statement_file, i.statement_row))
        .collect();
    ignored.sort();
    (matches, exceptions, ignored)
}

fn recon(book: &Book, lines: &[StatementLine], payouts: &[PayoutItem]) -> ReconOutcome {
    let input = ReconInput {
        book,
        lines,
        payouts,
        balances: &[],
        rejects: &[],
        control_breaks: &[],
        carry_forward: None,
        period: period(),
        platform: None,
    };
    reconcile(&input, &Tolerances::default()).unwrap()
}

prop_compose! {
    fn arb_inv()(m in 0usize..5, s in 0usize..6, dollars in 1i64..60, dd in 0u32..28, who in 0usize..6, with_pi in any::<bool>())
        -> (usize, usize, i64, u32, usize, bool) { (m, s, dollars, dd, who, with_pi) }
}

prop_compose! {
    /// A line: a wire quoting an investment's reference (or not), a named wire, a settlement
    /// of one investment's money, a refund debit; amounts near the investments'.
    fn arb_line()(inv in 0usize..16, kind in 0u8..5, lag in 0u32..4, off in -1i64..2, who in 0usize..7)
        -> (usize, u8, u32, i64, usize) { (inv, kind, lag, off, who) }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn order_files_and_unrelated_lines_change_no_match(
        invs in prop::collection::vec(arb_inv(), 1..16),
        raw in prop::collection::vec(arb_line(), 0..24),
        seed in any::<u64>(),
        split_day in 0u32..30,
        unrelated in prop::collection::vec((0u32..28, 1i64..400, any::<bool>()), 1..6),
    ) {
        let investors = NAMES.iter().enumerate().map(|(i, (f, l))| investor(i as i64 + 1, f, l)).collect();
        let investments: Vec<_> = invs.iter().enumerate().map(|(i, &(m, s, dollars, dd, who, with_pi))| {
            let mut x = investment(i as i64 + 1, who as i64 + 1, METHODS[m].clone(), STATUSES[s].clone(), &format!("{}.00", dollars * 50), &day(dd));
            if with_pi { x.payment_intent_id = Some(format!("pi_{i:08}")); }
            if STATUSES[s] == S::Refunded { x.refunded_at = x.received_at.map(|t| t + chrono::Duration::days(3)); }
            x
        }).collect();
        let b = book(investors, investments);
        let mut lines = Vec::new();
        for (k, &(inv, kind, lag, off, who)) in raw.iter().enumerate() {
            let Some(&(_, _, dollars, dd, _, with_pi)) = invs.get(inv % invs.len()) else { continue };
            let cents = dollars * 5000 + off * 2500;
            let name = NAMES.get(who).map(|(f, l)| format!("{f} {l}"));
            let row = k as u32 + 1;
            let l = match kind {
                0 => line(row, &day(dd + lag), cents, name.as_deref(), &format!("WIRE ISS-{:06}", inv % invs.len() + 1)),
                1 => line(row, &day(dd + lag), cents, name.as_deref(), "FEDWIRE CREDIT"),
                2 => line(row, &day(dd + lag + 1), cents, None, "STRIPE TRANSFER"),
                3 if with_pi => line(row, &day(dd + lag), cents, None, &format!("ACH pi_{:08}", inv % invs.len())),
                _ => line(row, &day(dd + lag + 3), -cents, name.as_deref(), "OUTGOING WIRE REFUND"),
            };
            lines.push(l);
        }
        let base = shape(&lines, &recon(&b, &lines, &[]));

        // Shuffled lines (a deterministic permutation from the seed).
        let mut shuffled = lines.clone();
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(&shape(&shuffled, &recon(&b, &shuffled, &[])), &base, "shuffled lines");

        // The book's records in reverse.
        let mut rb = b.clone();
        rb.investments.reverse();
        rb.investors.reverse();
        prop_assert_eq!(&shape(&lines, &recon(&rb, &lines, &[])), &base, "book reversed");

        // One statement downloaded in two parts: the lines booked before a day in one file,
        // the rest in another, each numbered from 1 (same account).
        let cut = d(&day(split_day));
        let mut rows = [0u32; 2];
        let split: Vec<StatementLine> = lines.iter().map(|l| {
            let part = usize::from(l.booking_date >= cut);
            rows[part] += 1;
            StatementLine { file: format!("bank-part{}.csv", part + 1), statement_row: rows[part], ..l.clone() }
        }).collect();
        prop_assert_eq!(&shape(&split, &recon(&b, &split, &[])), &base, "split into two files");

        // Unrelated lines: odd cents, names no investor has.
        let mut more = lines.clone();
        for (k, &(dd, dollars, credit)) in unrelated.iter().enumerate() {
            let cents = (dollars * 100 + 37) * if credit { 1 } else { -1 };
            more.push(line(1000 + k as u32, &day(dd), cents, Some("QUENTIN ZYLSTRA"), "MISC ITEM"));
        }
        let (m, e, _) = shape(&more, &recon(&b, &more, &[]));
        prop_assert_eq!(&m, &base.0, "unrelated lines: matches");
        let unrelated_said: Vec<Said> = more[lines.len()..].iter().map(said).collect();
        let e: Vec<_> = e.into_iter().filter(|x| x.1.as_ref().is_none_or(|s| !unrelated_said.contains(s))).collect();
        prop_assert_eq!(&e, &base.1, "unrelated lines: exceptions");
    }
}
