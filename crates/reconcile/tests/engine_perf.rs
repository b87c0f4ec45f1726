//! Throughput check on a synthetic month: N investments (wires with and without references,
//! IRA wires, card charges settled in daily payouts with a payout report) against ~N lines.
//! Ignored by default; run e.g.
//! `ENGINE_PERF_N=1000000 cargo test --release -p tieout-reconcile --test engine_perf -- --ignored --nocapture`.

mod engine_common;

use std::time::Instant;

use engine_common::*;
use tieout_reconcile::engine::{ReconInput, Tolerances, exceptions_csv, matches_csv, reconcile};

#[test]
#[ignore]
fn synthetic_month_throughput() {
    let n: usize = std::env::var("ENGINE_PERF_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let (b, lines, payouts) = synthetic_month(n);
    let t = Instant::now();
    let input = ReconInput {
        book: &b,
        lines: &lines,
        payouts: &payouts,
        balances: &[],
        rejects: &[],
        control_breaks: &[],
        carry_forward: None,
        period: period(),
        platform: None,
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
