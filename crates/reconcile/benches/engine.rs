//! Engine micro-benchmarks on a synthetic 20k-investment month (wires with and without
//! references, IRA wires, card charges settled in daily payouts with a payout report):
//! `exact_key_join` — pass 1's candidate join alone; `reconcile_20k` — a full run.
//! Run with `cargo bench -p tieout-reconcile --bench engine`.

#[path = "../tests/engine_common/mod.rs"]
mod engine_common;

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use engine_common::*;
use tieout_domain::{Book, InvestmentStatus as S, PaymentMethod as M};
use tieout_reconcile::engine::{ReconInput, Tolerances, exact_key_candidates, reconcile};
use tieout_reconcile::{PayoutItem, StatementLine};

const N: usize = 20_000;
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

/// The synthetic month of `tests/engine_perf.rs`, at `n` investments.
fn month(n: usize) -> (Book, Vec<StatementLine>, Vec<PayoutItem>) {
    let mut investors = Vec::with_capacity(n);
    let mut investments = Vec::with_capacity(n);
    let mut lines = Vec::with_capacity(n);
    let mut payouts = Vec::new();
    let mut row = 0u32;
    let mut day_net: BTreeMap<u32, i64> = BTreeMap::new();
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
            0..=5 => M::Wire,
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
    (book(investors, investments), lines, payouts)
}

/// Key tokens shaped like the engine's: every line carries a few noise tokens, four in ten a
/// reference; every movement a reference, three in ten a payment intent id.
fn keys(n: usize) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let lines = (0..n)
        .map(|i| {
            let mut k = vec!["FEDWIRE".to_string(), format!("20261001MMQFMP{i}")];
            if i % 10 < 4 {
                k.push(format!("ISS-{:06}", i + 1));
            }
            k
        })
        .collect();
    let moves = (0..n)
        .map(|i| {
            let mut k = vec![format!("ISS-{:06}", i + 1)];
            if i % 10 >= 7 {
                k.push(format!("PI_{:010}", i + 1));
            }
            k
        })
        .collect();
    (lines, moves)
}

fn bench_engine(c: &mut Criterion) {
    let (line_keys, move_keys) = keys(N);
    c.bench_function("exact_key_join_20k", |b| {
        b.iter(|| exact_key_candidates(black_box(&line_keys), black_box(&move_keys)))
    });
    let (book, lines, payouts) = month(N);
    let tol = Tolerances::default();
    let mut g = c.benchmark_group("full");
    g.sample_size(10);
    g.bench_function("reconcile_20k", |b| {
        b.iter(|| {
            let input = ReconInput {
                book: &book,
                lines: &lines,
                payouts: &payouts,
                balances: &[],
                rejects: &[],
                carry_forward: None,
                period: period(),
            };
            reconcile(black_box(&input), &tol).map(|o| o.matches.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
