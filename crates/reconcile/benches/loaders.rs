//! Statement parsing: 50,000-line CSV (Chase layout) and BAI2 texts generated in setup, parsed
//! by `load_statement_from_bytes` (format detection included).

use std::fmt::Write as _;

use criterion::{Criterion, criterion_group, criterion_main};
use tieout_reconcile::load::{LoadOptions, load_statement_from_bytes};

const LINES: usize = 50_000;

fn csv_text() -> String {
    let mut s =
        String::from("Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n");
    let mut balance: i64 = 10_000_000; // cents
    for i in 0..LINES {
        let cents = 10_000 + (i as i64 * 7919) % 5_000_000;
        balance += cents;
        let day = 1 + i % 28;
        let _ = writeln!(
            s,
            "CREDIT,10/{day:02}/2026,FEDWIRE CREDIT VIA: U.S. BANK N.A. /091000022 B/O: INVESTOR {i} OBI: INV-{i:06X} IMAD: 2026100{}MMQFMP{i:08},{}.{:02},WIRE_INCOMING,{}.{:02},OPR2627{i:08}",
            day % 10,
            cents / 100,
            cents % 100,
            balance / 100,
            balance % 100,
        );
    }
    s
}

fn bai2_text() -> String {
    let mut s = String::from(
        "01,043318092,TIEOUTSBX,261101,0600,1101,80,,2/\n02,TIEOUTSBX,043318092,1,261031,2400,USD,2/\n",
    );
    let mut total: i64 = 0;
    let mut body = String::new();
    for i in 0..LINES {
        let cents = 10_000 + (i as i64 * 7919) % 5_000_000;
        total += cents;
        let _ = writeln!(
            body,
            "16,195,{cents},0,NCE2627{i:08},,FEDWIRE CREDIT VIA: U.S. BANK N.A. /091000022\n88,B/O: INVESTOR {i} OBI: INV-{i:06X}"
        );
    }
    let _ = writeln!(s, "03,6333228012,USD,010,0,,,015,{total},,/");
    s.push_str(&body);
    let records = 2 + 2 * LINES;
    let _ = writeln!(s, "49,{},{records}/", total * 2);
    let _ = writeln!(s, "98,{},1,{}/", total * 2, records + 2);
    let _ = writeln!(s, "99,{},1,{}/", total * 2, records + 4);
    s
}

fn bench(c: &mut Criterion) {
    let opts = LoadOptions::default();
    let csv = csv_text();
    let bai2 = bai2_text();
    // The texts must parse completely, or the figures would time error paths.
    for (name, text) in [("bench.csv", &csv), ("bench.bai2", &bai2)] {
        let l = load_statement_from_bytes(name, text.as_bytes(), &opts).expect(name);
        assert_eq!(
            (l.lines.len(), l.rejects.len()),
            (LINES, 0),
            "{name}: {:?}",
            l.rejects.first()
        );
    }
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    g.throughput(criterion::Throughput::Elements(LINES as u64));
    g.bench_function("csv_50k_lines", |b| {
        b.iter(|| {
            let l = load_statement_from_bytes("bench.csv", csv.as_bytes(), &opts).expect("csv");
            std::hint::black_box(l.lines.len())
        })
    });
    g.bench_function("bai2_50k_lines", |b| {
        b.iter(|| {
            let l = load_statement_from_bytes("bench.bai2", bai2.as_bytes(), &opts).expect("bai2");
            std::hint::black_box(l.lines.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
