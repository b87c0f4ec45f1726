//! Throughput check on a synthetic month: N investments (wires with and without references,
//! IRA wires, card charges settled in daily payouts with a payout report) against ~N lines.
//! Ignored by default; run e.g.
//! `ENGINE_PERF_N=1000000 cargo test --release -p tieout-reconcile --test engine_perf -- --ignored --nocapture`.

mod engine_common;

use std::time::Instant;

use engine_common::*;
use tieout_domain::{InvestmentStatus as S, PaymentMethod as M};
use tieout_reconcile::engine::{ReconInput, Tolerances, exceptions_csv, matches_csv, reconcile};

const FIRST: [&str; 8] = [
    "James", "Maria", "Wei", "Olga", "Ahmed", "Sofia", "Kenji", "Amara",
];
const LAST: [&str; 8] = [
    "Smith", "Garcia", "Chen", "Ivanova", "Hassan", "Rossi", "Tanaka", "Okafor",
];

/// A distinct all-letter suffix (names drop digits when tokenised).
fn letters(mut k: usize) -> String {
    let mut s = String::new();
    loop {
        s.push((b'a' + (k % 26) as u8) as char);
        k /= 26;
        if k == 0 {
            return s;
        }
    }
}

#[test]
#[ignore]
fn synthetic_month_throughput() {
    let n: usize = std::env::var("ENGINE_PERF_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let mut investors = Vec::with_capacity(n);
    let mut investments = Vec::with_capacity(n);
    let mut lines = Vec::with_capacity(n);
    let mut payouts = Vec::new();
    let mut row = 0u32;
    let mut day_net: std::collections::BTreeMap<u32, i64> = Default::default();
    for i in 0..n {
        let id = i as i64 + 1;
        let (f, l) = (
            FIRST[i % 8],
            format!("{}{}", letters(i / 64), LAST[(i / 8) % 8].to_lowercase()),
        );
        investors.push(investor(id, f, &l));
        let dd = 1 + (i % 28) as u32;
        let day = format!("2026-10-{dd:02}");
        let dollars = 100 + (i * 37 % 5000) as i64;
        let method = match i % 10 {
            0..=3 => M::Wire,
            4 | 5 => M::Wire,
            6 => M::Ira,
            _ => M::Card,
        };
        let mut inv = investment(
            id,
            id,
            method.clone(),
            S::Invested,
            &format!("{dollars}.00"),
            &day,
        );
        let cents = dollars * 100;
        match i % 10 {
            0..=3 => {
                row += 1;
                lines.push(line(
                    row,
                    &day,
                    cents,
                    Some(&format!("{f} {l}").to_uppercase()),
                    &format!("FEDWIRE CREDIT OBI: ISS-{id:06} IMAD 20261001MMQFMP{i}"),
                ));
            }
            4..=6 => {
                row += 1;
                let cp = if method == M::Ira {
                    format!("EQUITY TRUST CO FBO {f} {l}")
                } else {
                    format!("{f} {l}")
                };
                lines.push(line(
                    row,
                    &day,
                    cents,
                    Some(&cp.to_uppercase()),
                    "FEDWIRE CREDIT",
                ));
            }
            _ => {
                let pi = format!("pi_{id:010}");
                inv.payment_intent_id = Some(pi.clone());
                let payday = format!("2026-10-{:02}", dd + 2);
                payouts.push(payout_item(
                    i as u32,
                    &format!("po_{dd:04}"),
                    Some(&pi),
                    "charge",
                    cents,
                    0,
                    &payday,
                ));
                *day_net.entry(dd).or_default() += cents;
            }
        }
        investments.push(inv);
    }
    for (dd, net) in day_net {
        row += 1;
        lines.push(line(
            row,
            &format!("2026-10-{:02}", dd + 2),
            net,
            Some("STRIPE"),
            &format!("STRIPE TRANSFER IND ID:po_{dd:04}"),
        ));
    }
    let b = book(investors, investments);
    let t = Instant::now();
    let input = ReconInput {
        book: &b,
        lines: &lines,
        payouts: &payouts,
        balances: &[],
        rejects: &[],
        carry_forward: None,
        period: period(),
    };
    let o = reconcile(&input, &Tolerances::default()).unwrap();
    let m = matches_csv(&o.matches);
    let e = exceptions_csv(&o.exceptions);
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "n={n} lines={} matches={} exceptions={} csv={}B in {secs:.2}s; matched ratio {:.4}",
        lines.len(),
        o.matches.len(),
        o.exceptions.len(),
        m.len() + e.len(),
        o.summary.matched_ratio_count
    );
    assert!(
        o.summary.matched_ratio_count > 0.99,
        "{:?}",
        o.summary.exceptions_by_code
    );
}
