//! End-to-end accuracy over a generated dataset: precision and recall of (statement line,
//! investment) pairs per payment method against the ground truth, scored by
//! `tieout_sandbox::truth` (the one scoring the bench uses too).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use tieout_domain::PaymentMethod;
use tieout_reconcile::engine::{ReconInput, Tolerances, reconcile};
use tieout_reconcile::load::{LoadOptions, load_payouts, load_statement};
use tieout_sandbox::generator::{GenConfig, Period as GenPeriod, generate};
use tieout_sandbox::truth::{Reported, Truth};

fn method_label(m: &PaymentMethod) -> &'static str {
    match m {
        PaymentMethod::Card => "card",
        PaymentMethod::Wire => "wire",
        PaymentMethod::Ira => "ira",
        PaymentMethod::Ach => "ach",
        PaymentMethod::Crypto => "crypto",
        PaymentMethod::Other(_) => "unknown",
    }
}

fn run_one(seed: u64, n: usize) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let gp = GenPeriod::new(2026, 10).unwrap();
    let cfg = GenConfig {
        investments: n,
        seed,
        period: gp,
        sdn_names: vec![],
        world: Default::default(),
    };
    generate(&cfg, dir.path()).unwrap();
    let root = dir.path();
    let book = tieout_api::snapshot::load_book(&root.join("api")).unwrap();
    let ds: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("dataset.json")).unwrap()).unwrap();
    let mut lines = Vec::new();
    let mut balances = Vec::new();
    let mut rejects = Vec::new();
    for f in ds["demo"]["statements"].as_array().unwrap() {
        let s = load_statement(&root.join(f.as_str().unwrap()), &LoadOptions::default()).unwrap();
        lines.extend(s.lines);
        balances.extend(s.balances);
        rejects.extend(s.rejects);
    }
    let mut payouts = Vec::new();
    for f in ds["demo"]["payouts"].as_array().unwrap() {
        let p = load_payouts(&root.join(f.as_str().unwrap())).unwrap();
        payouts.extend(p.items);
        rejects.extend(p.rejects);
    }
    let period = gp;
    let input = ReconInput {
        book: &book,
        lines: &lines,
        payouts: &payouts,
        balances: &balances,
        rejects: &rejects,
        control_breaks: &[],
        carry_forward: None,
        period,
        platform: None,
    };
    let out = reconcile(&input, &Tolerances::default()).unwrap();

    // The one scoring against ground truth (`tieout_sandbox::truth`), per payment method.
    let truth = Truth::read(root).unwrap();
    // camt batch items carry `<bank_ref>-<n>`: the line's key is the reference the truth lists.
    let mut truth_refs: HashMap<String, String> = HashMap::new();
    let mut rdr = csv::Reader::from_path(root.join("truth/lines.csv")).unwrap();
    for r in rdr.records() {
        let r = r.unwrap();
        truth_refs.insert(r[2].to_string(), r[6].to_string());
    }
    let method: HashMap<i64, &'static str> = book
        .investments
        .iter()
        .map(|i| (i.id, method_label(&i.payment_method)))
        .collect();
    let key = |l: Option<&str>| base_ref(l.unwrap_or(""), &truth_refs);
    let found: Vec<(i64, String)> = out
        .matches
        .iter()
        .map(|m| (m.investment_id, key(m.statement_ref.as_deref())))
        .collect();
    let line_ref: HashMap<(&str, u32), String> = lines
        .iter()
        .map(|l| {
            (
                (l.file.as_str(), l.statement_row),
                key(l.bank_ref.as_deref()),
            )
        })
        .collect();
    let reported: Vec<Reported<'_>> = out
        .exceptions
        .iter()
        .map(|e| Reported {
            code: e.code.as_str(),
            investment_id: e.investment_id,
            line_ref: e
                .statement_file
                .as_deref()
                .zip(e.statement_row)
                .and_then(|k| line_ref.get(&k))
                .map(String::as_str),
            amount_cents: e.amount_cents,
        })
        .collect();
    if std::env::var("ENGINE_DEBUG").is_ok() {
        for pair in found
            .iter()
            .filter(|p| truth.counts(p.0, &p.1) && !truth.pairs.contains(*p))
            .take(15)
        {
            eprintln!("  wrong: {pair:?}");
        }
        let found: BTreeSet<&(i64, String)> = found.iter().collect();
        for pair in truth.pairs.iter().filter(|p| !found.contains(p)).take(25) {
            eprintln!("  missed: {pair:?}");
        }
    }
    let (overall, by_method) = truth.score_by(found.iter().cloned(), &reported, |i| {
        method.get(&i).copied().unwrap_or("unknown")
    });
    let mut report = Vec::new();
    for (m, s) in &by_method {
        eprintln!(
            "seed {seed} {m}: precision {:.4} ({}/{}) recall {:.4} ({}/{})",
            s.precision(),
            s.correct,
            s.found,
            s.recall(),
            s.correct,
            s.truth
        );
        if s.precision() < 0.99 {
            report.push(format!("seed {seed} {m}: precision {:.4}", s.precision()));
        }
        if s.recall() < 0.97 {
            report.push(format!("seed {seed} {m}: recall {:.4}", s.recall()));
        }
    }
    eprintln!("seed {seed}: {}", overall.note());
    eprintln!("seed {seed}: summary {:?}", out.summary.exceptions_by_code);
    report
}

/// camt batch items carry `<bank_ref>-<n>`; truth lists the entry's bank_ref.
fn base_ref(r: &str, truth: &HashMap<String, String>) -> String {
    if truth.contains_key(r) {
        return r.to_string();
    }
    match r.rsplit_once('-') {
        Some((b, n)) if n.chars().all(|c| c.is_ascii_digit()) && truth.contains_key(b) => {
            b.to_string()
        }
        _ => r.to_string(),
    }
}

#[test]
fn precision_and_recall_per_method_on_generated_datasets() {
    let _ = Path::new(".");
    let mut failures = Vec::new();
    for seed in [7u64, 11, 23] {
        failures.extend(run_one(seed, 600));
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
