//! Snapshot loading over a generated dataset of 20,000 investments (generated once into a
//! temporary directory in setup): parsing the JSONL files (the fallback, and what building
//! `book.bin` costs once) against decoding `book.bin` (what every run does).

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
        world: Default::default(),
    };
    generate(&cfg, &out).expect("generate the dataset");
    let api = out.join("api");
    let mut g = c.benchmark_group("snapshot");
    g.sample_size(10);
    g.throughput(criterion::Throughput::Elements(20_000));
    g.bench_function("jsonl_20k", |b| {
        b.iter(|| {
            let (book, _) = tieout_api::snapshot::load_jsonl(&api).expect("load_jsonl");
            std::hint::black_box(book.investments.len())
        })
    });
    tieout_api::snapshot::write_book_cache(&api).expect("write book.bin");
    g.bench_function("book_bin_20k", |b| {
        b.iter(|| {
            let loaded = tieout_api::snapshot::open_book(&api).expect("open_book");
            assert_eq!(loaded.cache, tieout_api::snapshot::CacheUse::Used);
            std::hint::black_box(loaded.book.investments.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
