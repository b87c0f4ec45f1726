//! Engine micro-benchmarks on a synthetic 20k-investment month (wires with and without
//! references, IRA wires, card charges settled in daily payouts with a payout report):
//! `reconcile_20k` — a full run.
//! Run with `cargo bench -p tieout-reconcile --bench engine`.

#[path = "../tests/engine_common/mod.rs"]
mod engine_common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use engine_common::*;
use tieout_reconcile::engine::{ReconInput, Tolerances, reconcile};

const N: usize = 20_000;
fn bench_engine(c: &mut Criterion) {
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
                control_breaks: &[],
                carry_forward: None,
                period: period(),
                platform: None,
            };
            reconcile(black_box(&input), &tol).map(|o| o.matches.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
