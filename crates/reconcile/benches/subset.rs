//! Subset-sum, the search behind batched settlements (ACH batches, processor payouts net of
//! refunds): proving a unique combination among 24 and 40 candidate amounts, and the budget
//! path where several combinations exist (ambiguity costs as much as it must, no more).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tieout_reconcile::engine::subset::{Subset, find_unique, find_unique_signed};

/// Deterministic, distinct-looking amounts in cents (an LCG; no RNG dependency).
fn amounts(n: usize, seed: u64) -> Vec<i64> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            10_000 + ((x >> 33) % 5_000_000) as i64
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("subset");
    for n in [24usize, 40] {
        let a = amounts(n, 7);
        // A target made of every third item: one combination, found and proven unique.
        let target: i64 = a.iter().step_by(3).sum();
        assert!(matches!(
            find_unique(&a, target, 0, 1, 2_000_000),
            Subset::Unique(_) | Subset::GaveUp
        ));
        g.bench_with_input(BenchmarkId::new("unique_positive", n), &a, |b, a| {
            b.iter(|| find_unique(std::hint::black_box(a), target, 0, 1, 2_000_000))
        });
        // Charges and refunds: signed amounts netting to the payout.
        let mut s = a.clone();
        for v in s.iter_mut().skip(1).step_by(5) {
            *v = -*v / 3;
        }
        let net: i64 = s.iter().step_by(2).sum();
        g.bench_with_input(BenchmarkId::new("unique_signed", n), &s, |b, s| {
            b.iter(|| find_unique_signed(std::hint::black_box(s), net, 0, 1, 2_000_000))
        });
    }
    // Equal amounts: many combinations; the search stops once two are seen.
    let same = vec![25_000i64; 40];
    g.bench_function("ambiguous_equal_amounts_40", |b| {
        b.iter(|| find_unique(std::hint::black_box(&same), 250_000, 0, 1, 2_000_000))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
