//! Conservation under random inputs: every line's cents and every investment end in exactly one
//! bucket, including empty statements, duplicated lines and reversed entries.

mod engine_common;

use engine_common::*;
use proptest::prelude::*;
use tieout_domain::{InvestmentStatus as S, PaymentMethod as M};
use tieout_reconcile::engine::{ReconInput, Tolerances, reconcile};

const METHODS: [M; 5] = [M::Wire, M::Ira, M::Card, M::Ach, M::Crypto];
const STATUSES: [S; 7] = [
    S::Invested,
    S::Received,
    S::Refunded,
    S::PaymentFailed,
    S::Cancelled,
    S::NotReceived,
    S::Started,
];
const NAMES: [(&str, &str); 5] = [
    ("Ada", "Lovelace"),
    ("Bob", "Jones"),
    ("Jane", "Doe"),
    ("Иван", "Петров"),
    ("J", "Smith"),
];

fn day(n: u32) -> String {
    format!("2026-{:02}-{:02}", 9 + (n / 30), 1 + n % 30)
}

prop_compose! {
    fn arb_inv()(m in 0usize..5, s in 0usize..7, dollars in 1i64..300, dd in 20u32..60, who in 0usize..5, with_pi in any::<bool>())
        -> (usize, usize, i64, u32, usize, bool) { (m, s, dollars, dd, who, with_pi) }
}

prop_compose! {
    fn arb_line()(amt in -300i64..300, dd in 25u32..60, who in 0usize..6, refer in 0i64..25, kind in 0u8..4, dup in any::<bool>(), reverse in any::<bool>())
        -> (i64, u32, usize, i64, u8, bool, bool) { (amt, dd, who, refer, kind, dup, reverse) }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn every_item_in_exactly_one_bucket(invs in prop::collection::vec(arb_inv(), 0..20), raw in prop::collection::vec(arb_line(), 0..30)) {
        let investors = NAMES.iter().enumerate().map(|(i, (f, l))| investor(i as i64 + 1, f, l)).collect();
        let investments: Vec<_> = invs.iter().enumerate().map(|(i, &(m, s, dollars, dd, who, with_pi))| {
            let mut x = investment(i as i64 + 1, who as i64 + 1, METHODS[m].clone(), STATUSES[s].clone(), &format!("{}.00", dollars * 50), &day(dd));
            if with_pi { x.payment_intent_id = Some(format!("pi_{i:08}")); }
            if STATUSES[s] == S::Refunded { x.refunded_at = x.received_at.map(|t| t + chrono::Duration::days(3)); }
            x
        }).collect();
        let b = book(investors, investments);
        let mut lines = Vec::new();
        let mut row = 0;
        for &(amt, dd, who, refer, kind, dup, reverse) in &raw {
            let cents = if kind == 0 { amt * 5000 } else { amt * 5000 - 2500 * i64::from(kind) };
            let name = NAMES.get(who).map(|(f, l)| format!("{f} {l}"));
            let desc = match kind { 0 => format!("WIRE ISS-{refer:06}"), 1 => "STRIPE TRANSFER".to_string(), 2 => format!("pi_{refer:08}"), _ => "DEPOSIT".to_string() };
            row += 1;
            let l = line(row, &day(dd), cents, name.as_deref(), &desc);
            if dup { row += 1; let mut c = l.clone(); c.statement_row = row; lines.push(c); }
            if reverse { row += 1; let mut c = l.clone(); c.statement_row = row; c.amount_cents = -c.amount_cents; lines.push(c); }
            lines.push(l);
        }
        let input = ReconInput { book: &b, lines: &lines, payouts: &[], balances: &[], rejects: &[], control_breaks: &[], carry_forward: None, period: period() };
        // reconcile() itself returns Err(Conservation) when a line or movement is lost or double-counted.
        let o = reconcile(&input, &Tolerances::default()).unwrap();
        let s = &o.summary;
        prop_assert_eq!(s.lines_cents, lines.iter().map(|l| l.amount_cents).sum::<i64>());
        prop_assert_eq!(s.lines_cents, s.matched_line_cents + s.exception_line_cents + s.ignored_line_cents);
        prop_assert_eq!(s.lines, s.lines_matched + s.lines_exception + s.lines_ignored);
        prop_assert_eq!(s.movements, s.movements_matched + s.movements_exception + s.movements_ignored - o.ignored_investments.iter().filter(|i| i.movement == "none").count());
        // Every investment of the book is accounted for somewhere.
        for inv in &b.investments {
            let seen = o.matches.iter().any(|m| m.investment_id == inv.id)
                || o.exceptions.iter().any(|e| e.investment_id == Some(inv.id))
                || o.ignored_investments.iter().any(|i| i.investment_id == inv.id);
            prop_assert!(seen, "investment {} not accounted for", inv.id);
        }
        // No statement line is claimed by two different investments outside a batch rule.
        let mut per_line: std::collections::BTreeMap<(String, u32), Vec<&str>> = Default::default();
        for m in &o.matches { per_line.entry((m.statement_file.clone(), m.statement_row)).or_default().push(m.rule.as_str()); }
        for rules in per_line.values() {
            if rules.len() > 1 {
                prop_assert!(rules.iter().all(|r| matches!(*r, "payout_report" | "batch_day_total" | "batch_subset_sum" | "exact_reference")), "{rules:?}");
            }
        }
    }
}
