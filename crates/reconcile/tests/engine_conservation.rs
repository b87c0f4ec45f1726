//! Conservation under random inputs: every line's cents and every investment's movements end in
//! exactly one bucket, including empty statements, duplicated lines and reversed entries, payout
//! reports (with payouts that do and do not add up), stated balances (tying and not) and items
//! carried forward from a previous run.

mod engine_common;

use engine_common::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use tieout_domain::{InvestmentStatus as S, PaymentMethod as M};

use tieout_reconcile::StatedBalance;
use tieout_reconcile::engine::{OpenItem, OpenItems, ReconInput, Tolerances, reconcile};

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

prop_compose! {
    fn arb_carry()(inv in 0i64..25, dollars in 1i64..300, dd in 0u32..30, refund in any::<bool>())
        -> (i64, i64, u32, bool) { (inv, dollars, dd, refund) }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn every_item_in_exactly_one_bucket(
        invs in prop::collection::vec(arb_inv(), 0..20),
        raw in prop::collection::vec(arb_line(), 0..30),
        payout_groups in prop::collection::vec((0usize..20, 0usize..3, -200i64..200), 0..12),
        balance in prop::option::of((-100_000i64..100_000, any::<bool>())),
        carried in prop::collection::vec(arb_carry(), 0..4),
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
        // Payout reports: items for investments' payment intents (and a fee), grouped into
        // payouts; each payout's bank line pays its net total, or that plus `off` cents.
        let mut payouts = Vec::new();
        let mut po_net: BTreeMap<usize, i64> = BTreeMap::new();
        for (k, &(inv, group, off)) in payout_groups.iter().enumerate() {
            let po = format!("po_{group:04}");
            let pi = (inv < invs.len() && invs[inv].5).then(|| format!("pi_{inv:08}"));
            let gross = if inv < invs.len() { invs[inv].2 * 5000 } else { 10_000 };
            let category = if off < -150 { "refund" } else { "charge" };
            let gross = if category == "refund" { -gross } else { gross };
            payouts.push(payout_item(k as u32 + 1, &po, pi.as_deref(), category, gross, 300, "2026-10-15"));
            *po_net.entry(group).or_default() += gross - 300;
            if k % 4 == 3 {
                payouts.push(payout_item(100 + k as u32, &po, None, "fee", 0, 150, "2026-10-15"));
                *po_net.entry(group).or_default() -= 150;
            }
        }
        for (&group, &net) in &po_net {
            let off = payout_groups.iter().find(|g| g.1 == group).map_or(0, |g| g.2);
            let net = if off.abs() < 50 { net + off } else { net };
            row += 1;
            lines.push(line(row, "2026-10-16", net, None, &format!("STRIPE PAYOUT po_{group:04}")));
        }
        // A stated balance for the file: tying, or off by `delta` cents.
        let total: i64 = lines.iter().map(|l| l.amount_cents).sum();
        let balances: Vec<StatedBalance> = balance.map(|(opening, ties)| StatedBalance {
            file: "bank.csv".into(),
            account: Some("escrow".into()),
            opening_cents: opening,
            closing_cents: opening + total + if ties { 0 } else { 777 },
            as_of: Some(d("2026-10-31")),
        }).into_iter().collect();
        // Items still open at the end of the previous month.
        let carry = OpenItems {
            format: 1,
            period_end: Some(d("2026-09-30")),
            // Credits of the book's investments (one movement per investment and kind: the
            // carried item marks the book's own), and refunds of investments no longer in it.
            items: carried.iter().map(|&(inv, dollars, dd, refund)| OpenItem {
                investment_id: if refund { 100 + inv } else { inv + 1 },
                kind: if refund { "refund" } else { "credit" }.into(),
                method: "wire".into(),
                status: "received".into(),
                expected_cents: if refund { -dollars * 5000 } else { dollars * 5000 },
                alt_cents: None,
                date: d(&day(dd)),
                reference_id: Some(format!("ISS-{:06}", inv + 1)),
                payment_intent_id: None,
                names: vec!["Ada Lovelace".into()],
                code: "UNMATCHED_INVESTMENT".into(),
                first_open_period_end: d("2026-09-30"),
            }).collect(),
        };
        let input = ReconInput {
            book: &b,
            lines: &lines,
            payouts: &payouts,
            balances: &balances,
            rejects: &[],
            control_breaks: &[],
            carry_forward: (!carry.items.is_empty()).then_some(&carry),
            period: period(),
            platform: None,
        };
        // reconcile() itself returns Err(Conservation) when a line or movement is lost or
        // double-counted; the checks below are made from the outputs alone.
        let o = reconcile(&input, &Tolerances::default()).unwrap();
        let s = &o.summary;

        // Lines: each line's cents are split exactly across the rows that name it (matches,
        // exceptions holding line cents, ignored parts), and each line is in exactly one of
        // matched / exception / ignored (an exception on it wins, then a match).
        type Key = (String, u32);
        let mut attributed: BTreeMap<Key, i64> = BTreeMap::new();
        let mut matched: BTreeSet<Key> = BTreeSet::new();
        let mut excepted: BTreeSet<Key> = BTreeSet::new();
        let mut ignored: BTreeSet<Key> = BTreeSet::new();
        for m in &o.matches {
            let k = (m.statement_file.clone(), m.statement_row);
            *attributed.entry(k.clone()).or_default() += m.bank_cents;
            matched.insert(k);
        }
        for e in &o.exceptions {
            if let (Some(f), Some(r)) = (&e.statement_file, e.statement_row) {
                let k = (f.clone(), r);
                *attributed.entry(k.clone()).or_default() += e.amount_cents;
                excepted.insert(k);
            }
        }
        for i in &o.ignored_lines {
            let k = (i.statement_file.clone(), i.statement_row);
            *attributed.entry(k.clone()).or_default() += i.amount_cents;
            ignored.insert(k);
        }
        let mut buckets = [0usize; 3];
        for l in &lines {
            let k = (l.file.clone(), l.statement_row);
            prop_assert_eq!(attributed.get(&k).copied().unwrap_or(0), l.amount_cents, "cents of line {:?}", k);
            let bucket = if excepted.contains(&k) { 1 } else if matched.contains(&k) { 0 } else {
                prop_assert!(ignored.contains(&k), "line {:?} is in no bucket", k);
                2
            };
            buckets[bucket] += 1;
        }
        prop_assert_eq!(attributed.len(), lines.len(), "rows name lines that do not exist");
        prop_assert_eq!(buckets, [s.lines_matched, s.lines_exception, s.lines_ignored]);
        prop_assert_eq!(s.lines_cents, s.matched_line_cents + s.exception_line_cents + s.ignored_line_cents);

        // Movements: per investment and direction (money in, money out), exactly one of
        // matched / an exception on the movement itself / ignored with a reason, never two; an
        // investment out of scope (`none`) has no match and no movement exception.
        type Dir = (i64, bool);
        let mut places: BTreeMap<Dir, Vec<&str>> = BTreeMap::new();
        let mut matched_dirs: BTreeSet<Dir> = BTreeSet::new();
        for m in &o.matches {
            matched_dirs.insert((m.investment_id, m.expected_cents >= 0));
        }
        for d in &matched_dirs {
            places.entry(*d).or_default().push("matched");
        }
        for e in &o.exceptions {
            if let (Some(i), None) = (e.investment_id, e.statement_row) {
                places.entry((i, e.amount_cents >= 0)).or_default().push(e.code.as_str());
            }
        }
        let mut out_of_scope: BTreeSet<i64> = BTreeSet::new();
        for i in &o.ignored_investments {
            match i.movement.as_str() {
                "none" => { out_of_scope.insert(i.investment_id); }
                "credit" => places.entry((i.investment_id, true)).or_default().push("ignored"),
                _ => places.entry((i.investment_id, false)).or_default().push("ignored"),
            }
        }
        for (dir, p) in &places {
            prop_assert!(p.len() == 1, "movement {:?} is in several buckets: {:?}", dir, p);
            prop_assert!(!out_of_scope.contains(&dir.0), "investment {} is out of scope but {:?}", dir.0, p);
        }
        let named_by_line: BTreeSet<i64> = o.exceptions.iter().filter(|e| e.statement_row.is_some()).filter_map(|e| e.investment_id).collect();
        let carried_ids = carry.items.iter().map(|i| i.investment_id);
        for id in b.investments.iter().map(|i| i.id).chain(carried_ids) {
            let inv = &id;
            let placed = out_of_scope.contains(inv)
                || places.contains_key(&(*inv, true))
                || places.contains_key(&(*inv, false))
                || named_by_line.contains(inv);
            prop_assert!(placed, "investment {} is in no bucket", inv);
        }
        prop_assert_eq!(s.movements, s.movements_matched + s.movements_exception + s.movements_ignored - out_of_scope.len());

        // No statement line is claimed by two different investments outside a batch rule (a
        // carried movement matched inside a batch takes the rule `carry_forward`).
        let mut per_line: BTreeMap<(String, u32), Vec<&str>> = Default::default();
        for m in &o.matches { per_line.entry((m.statement_file.clone(), m.statement_row)).or_default().push(m.rule.as_str()); }
        for rules in per_line.values() {
            if rules.len() > 1 {
                prop_assert!(rules.iter().all(|r| matches!(*r, "payout_report" | "batch_day_total" | "batch_subset_sum" | "exact_reference" | "carry_forward")), "{rules:?}");
            }
        }
    }
}
