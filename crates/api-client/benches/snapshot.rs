//! Snapshot loading: `load_book` over a generated dataset of 20,000 investments (generated once
//! into a temporary directory in setup).

use criterion::{Criterion, criterion_group, criterion_main};
use tieout_sandbox::generator::{GenConfig, generate};

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("ds");
    let cfg = GenConfig {
        investments: 20_000,
        seed: 7,
        period: "2026-10".parse().expect("period"),
        sdn_names: Vec::new(),
    };
    generate(&cfg, &out).expect("generate the dataset");
    let api = out.join("api");
    let mut g = c.benchmark_group("snapshot");
    g.sample_size(10);
    g.throughput(criterion::Throughput::Elements(20_000));
    g.bench_function("load_book_20k", |b| {
        b.iter(|| {
            let book = tieout_api::snapshot::load_book(&api).expect("load_book");
            std::hint::black_box(book.investments.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
