//! End-to-end accuracy over a generated dataset: precision and recall of (statement line,
//! investment) pairs per payment method against `truth/lines.csv`, and the planted exceptions.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use tieout_domain::PaymentMethod;
use tieout_reconcile::engine::{ReconInput, Tolerances, reconcile};
use tieout_reconcile::load::{LoadOptions, load_payouts, load_statement};
use tieout_sandbox::generator::{GenConfig, Period as GenPeriod, generate};

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

/// Kinds whose lines carry investors' money and should be matched (not planted as exceptions).
const MONEY_KINDS: &[&str] = &[
    "wire",
    "wire_short_fee",
    "ira_wire",
    "ach_single",
    "ach_batch",
    "card_payout",
    "stripe_sweep",
    "crypto_settlement",
    "refund",
    "ach_return",
];

fn run_one(seed: u64, n: usize) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let gp = GenPeriod::new(2026, 10).unwrap();
    let cfg = GenConfig {
        investments: n,
        seed,
        period: gp,
        sdn_names: vec![],
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
    };
    let out = reconcile(&input, &Tolerances::default()).unwrap();

    // Truth.
    let mut truth_pairs: BTreeSet<(String, i64)> = BTreeSet::new();
    let mut truth_kind: HashMap<String, String> = HashMap::new();
    let mut rdr = csv::Reader::from_path(root.join("truth/lines.csv")).unwrap();
    for r in rdr.records() {
        let r = r.unwrap();
        let bref = r[2].to_string();
        truth_kind.insert(bref.clone(), r[6].to_string());
        for id in r[7].split(';').filter(|s| !s.is_empty()) {
            truth_pairs.insert((bref.clone(), id.parse().unwrap()));
        }
    }
    let mut planted: BTreeSet<String> = BTreeSet::new();
    let mut planted_codes: Vec<(String, String)> = Vec::new();
    let mut rdr = csv::Reader::from_path(root.join("truth/exceptions.csv")).unwrap();
    for r in rdr.records() {
        let r = r.unwrap();
        planted.insert(r[2].to_string());
        planted_codes.push((r[0].to_string(), r[2].to_string()));
    }
    let loaded_refs: BTreeSet<String> = lines
        .iter()
        .filter_map(|l| l.bank_ref.clone())
        .map(|r| base_ref(&r, &truth_kind))
        .collect();
    let method: HashMap<i64, &'static str> = book
        .investments
        .iter()
        .map(|i| (i.id, method_label(&i.payment_method)))
        .collect();
    let mut stats: BTreeMap<&str, [usize; 4]> = BTreeMap::new(); // tp, predicted, truth, found
    let mut predicted: BTreeSet<(String, i64)> = BTreeSet::new();
    let mut wrong = Vec::new();
    for m in &out.matches {
        let r = base_ref(m.statement_ref.as_deref().unwrap_or(""), &truth_kind);
        let key = (r.clone(), m.investment_id);
        if !predicted.insert(key.clone()) {
            continue;
        }
        let e = stats
            .entry(method.get(&m.investment_id).copied().unwrap_or("unknown"))
            .or_default();
        e[1] += 1;
        if truth_pairs.contains(&key) {
            e[0] += 1;
        } else {
            wrong.push(format!(
                "{} {} {} {}",
                m.rule,
                r,
                m.investment_id,
                truth_kind.get(&r).cloned().unwrap_or_default()
            ));
        }
    }
    let mut missed = Vec::new();
    for (r, id) in &truth_pairs {
        let kind = truth_kind.get(r).map(String::as_str).unwrap_or("");
        if !loaded_refs.contains(r) || !MONEY_KINDS.contains(&kind) || planted.contains(r) {
            continue;
        }
        let e = stats
            .entry(method.get(id).copied().unwrap_or("unknown"))
            .or_default();
        e[2] += 1;
        if predicted.contains(&(r.clone(), *id)) {
            e[3] += 1;
        } else {
            missed.push(format!("{r} {id} {kind}"));
        }
    }
    let mut report = Vec::new();
    for (m, [tp, p, t, f]) in &stats {
        let precision = if *p == 0 { 1.0 } else { *tp as f64 / *p as f64 };
        let recall = if *t == 0 { 1.0 } else { *f as f64 / *t as f64 };
        eprintln!(
            "seed {seed} {m}: precision {precision:.4} ({tp}/{p}) recall {recall:.4} ({f}/{t})"
        );
        if precision < 0.99 {
            report.push(format!("seed {seed} {m}: precision {precision:.4}"));
        }
        if recall < 0.97 {
            report.push(format!("seed {seed} {m}: recall {recall:.4}"));
        }
    }
    let desc = |r: &str| {
        lines
            .iter()
            .find(|l| {
                l.bank_ref
                    .as_deref()
                    .map(|b| base_ref(b, &truth_kind))
                    .as_deref()
                    == Some(r)
            })
            .map(|l| {
                format!(
                    "{} | {} | {} | {}",
                    l.booking_date,
                    l.amount_cents,
                    l.counterparty.clone().unwrap_or_default(),
                    l.description
                )
            })
            .unwrap_or_default()
    };
    let who = |id: i64| {
        book.investments
            .iter()
            .find(|i| i.id == id)
            .map(|i| {
                let n = book
                    .investors
                    .iter()
                    .find(|v| v.id == i.investor_id)
                    .map(|v| v.full_name())
                    .unwrap_or_default();
                format!(
                    "[{} {} {} {:?} {:?} {:?}]",
                    n,
                    i.status,
                    i.price.unwrap_or_default(),
                    i.received_at.map(|t| t.date_naive()),
                    i.reference_id,
                    i.investor_name
                )
            })
            .unwrap_or_default()
    };
    if std::env::var("ENGINE_DEBUG").is_ok() {
        for w in wrong.iter().take(15) {
            let v: Vec<&str> = w.split(' ').collect();
            eprintln!(
                "  wrong: {w} :: {} :: {}",
                desc(v[1]),
                who(v[2].parse().unwrap_or(0))
            );
        }
        for w in missed.iter().take(25) {
            let v: Vec<&str> = w.split(' ').collect();
            eprintln!(
                "  missed: {w} :: {} :: {}",
                desc(v[0]),
                who(v[1].parse().unwrap_or(0))
            );
        }
    }
    // Planted exceptions found (code and line), for the record.
    let ours: BTreeSet<(String, String)> = out
        .exceptions
        .iter()
        .filter_map(|e| {
            let l = lines.iter().find(|l| {
                Some(&l.file) == e.statement_file.as_ref()
                    && Some(l.statement_row) == e.statement_row
            })?;
            Some((
                e.code.as_str().to_string(),
                base_ref(l.bank_ref.as_deref().unwrap_or(""), &truth_kind),
            ))
        })
        .collect();
    let hit = planted_codes.iter().filter(|p| ours.contains(*p)).count();
    if std::env::var("ENGINE_DEBUG").is_ok() {
        for p in planted_codes.iter().filter(|p| !ours.contains(*p)) {
            let got: Vec<&String> = ours.iter().filter(|o| o.1 == p.1).map(|o| &o.0).collect();
            eprintln!(
                "  planted {} {} -> ours {:?} :: {}",
                p.0,
                p.1,
                got,
                desc(&p.1)
            );
        }
    }
    eprintln!(
        "seed {seed}: planted line exceptions found with the same code: {hit}/{}",
        planted_codes.iter().filter(|p| !p.1.is_empty()).count()
    );
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
