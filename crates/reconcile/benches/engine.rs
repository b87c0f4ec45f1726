//! Engine micro-benchmarks on a synthetic 20k-investment month (wires with and without
//! references, IRA wires, card charges settled in daily payouts with a payout report):
//! `exact_key_join` — pass 1's candidate join alone; `reconcile_20k` — a full run.
//! Run with `cargo bench -p tieout-reconcile --bench engine`.

#[path = "../tests/engine_common/mod.rs"]
mod engine_common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use engine_common::*;
use tieout_reconcile::engine::{ReconInput, Tolerances, exact_key_candidates, reconcile};

const N: usize = 20_000;
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
    let (book, lines, payouts) = synthetic_month(N);
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
