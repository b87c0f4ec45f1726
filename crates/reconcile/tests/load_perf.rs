//! Throughput check on large generated files. Ignored by default (run with
//! `cargo test -p tieout-reconcile --test load_perf -- --ignored --nocapture`); it asserts only
//! that every line loads, and prints the time taken.

use std::time::Instant;

use tieout_reconcile::load::{LoadOptions, load_statement_from_bytes};

const N: usize = 1_000_000;

#[test]
#[ignore = "large; run explicitly"]
fn million_line_csv_and_bai2() {
    let mut csv = String::with_capacity(N * 80);
    csv.push_str("Posting Date,Bank Ref,Originator,Memo,Amount,Balance\n");
    let mut bal: i64 = 0;
    for i in 0..N {
        let a: i64 = if i % 7 == 0 {
            -((i as i64 % 5000) + 1)
        } else {
            (i as i64 % 100_000) + 100
        };
        bal += a;
        let s = if a < 0 {
            format!("({}.{:02})", -a / 100, -a % 100)
        } else {
            format!("{}.{:02}", a / 100, a % 100)
        };
        csv.push_str(&format!(
            "10/{:02}/2026,REF{i:08},INVESTOR {i},\"Wire, ref INV-{i}\",{s},{}.{:02}\n",
            i % 28 + 1,
            bal.div_euclid(100),
            bal.rem_euclid(100)
        ));
    }
    let t = Instant::now();
    let l = load_statement_from_bytes("big.csv", csv.as_bytes(), &LoadOptions::default()).unwrap();
    eprintln!("CSV: {} lines in {:?}", l.lines.len(), t.elapsed());
    assert_eq!(l.lines.len(), N);
    assert!(l.rejects.is_empty());

    let mut bai = String::with_capacity(N * 60);
    bai.push_str("01,S,R,261031,2400,1,,,2/\n02,R,B,1,261031,2400,USD,2/\n03,1,USD,/\n");
    let mut sum: i64 = 0;
    for i in 0..N {
        let a = (i as i64 % 100_000) + 1;
        sum += a;
        bai.push_str(&format!(
            "16,{},{a},0,REF{i:08},,WIRE FROM INVESTOR {i}/\n88,INV-{i}\n",
            if i % 7 == 0 { 495 } else { 195 }
        ));
    }
    let recs = 2 * N + 2;
    bai.push_str(&format!(
        "49,{sum},{recs}/\n98,{sum},1,{}/\n99,{sum},1,{}/\n",
        recs + 2,
        recs + 4
    ));
    let t = Instant::now();
    let l = load_statement_from_bytes("big.bai2", bai.as_bytes(), &LoadOptions::default()).unwrap();
    eprintln!("BAI2: {} lines in {:?}", l.lines.len(), t.elapsed());
    assert_eq!(l.lines.len(), N);
    assert!(
        l.rejects.is_empty(),
        "{:?}",
        &l.rejects[..l.rejects.len().min(3)]
    );
}
