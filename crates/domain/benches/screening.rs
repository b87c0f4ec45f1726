//! Name screening: 10,000 synthetic investor names against the fictional OFAC SDN list in
//! `testdata/sdn-fictional` (the index is built once in setup).

use criterion::{Criterion, criterion_group, criterion_main};
use tieout_domain::sanctions::{Partition, SanctionsIndex, SanctionsList, ScreenConfig, SdnFiles};

const FIRST: &[&str] = &[
    "James", "Maria", "Wei", "Olga", "Ahmed", "Fatima", "John", "Ivan", "Elena", "Carlos", "Yuki",
    "Amara", "Liam", "Sofia", "Mohammed", "Anna", "Dmitri", "Chen", "Priya", "Omar",
];
const LAST: &[&str] = &[
    "Smith", "Garcia", "Zhang", "Petrova", "Hassan", "Khan", "Johnson", "Ivanov", "Rossi", "Lopez",
    "Tanaka", "Okafor", "Murphy", "Novak", "Rahman", "Schmidt", "Volkov", "Li", "Patel", "Haddad",
];

fn names(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let f = FIRST[i % FIRST.len()];
            let l = LAST[(i / FIRST.len() + i * 7) % LAST.len()];
            // A middle initial varies the strings without leaving the name space.
            let m = char::from(b'A' + (i % 26) as u8);
            format!("{f} {m} {l}")
        })
        .collect()
}

fn read(dir: &std::path::Path, f: &str) -> Option<Vec<u8>> {
    std::fs::read(dir.join(f)).ok()
}

fn bench(c: &mut Criterion) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sdn-fictional");
    let sdn = read(&dir, "sdn.csv").expect("testdata/sdn-fictional/sdn.csv");
    let alt = read(&dir, "alt.csv");
    let add = read(&dir, "add.csv");
    let comments = read(&dir, "sdn_comments.csv");
    let list = SanctionsList::parse_lenient(&SdnFiles {
        sdn: &sdn,
        alt: alt.as_deref(),
        add: add.as_deref(),
        comments: comments.as_deref(),
    });
    let index = SanctionsIndex::build(&list);
    let cfg = ScreenConfig::default();
    let names = names(10_000);
    let mut g = c.benchmark_group("sanctions");
    g.sample_size(10);
    g.throughput(criterion::Throughput::Elements(names.len() as u64));
    g.bench_function("screen_10k_names", |b| {
        b.iter(|| {
            let mut hits = 0usize;
            for n in &names {
                hits += index
                    .screen_name(n, Partition::Person, None, &[], &cfg)
                    .len();
            }
            std::hint::black_box(hits)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
