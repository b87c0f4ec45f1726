//! Accuracy against ground truth: generated worlds (several seeds) with planted compliance
//! violations and reconciliation exceptions, the same money trail rendered in every statement
//! format. Measures precision and recall; the thresholds are the issues' acceptance figures.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use tieout_domain::sanctions::{Overrides, SanctionsIndex, SanctionsList, SdnFiles, SdnType};
use tieout_domain::{Book, CheckConfig, Severity, check};
use tieout_reconcile::engine::{self, ReconInput, Tolerances};
use tieout_reconcile::load::{self, LoadOptions};
use tieout_reconcile::{PayoutItem, Reject, StatedBalance, StatementLine};
use tieout_sandbox::generator::{GenConfig, Period, SdnName, generate};
use tieout_sandbox::truth::{Reported, Score, Truth};

const SEEDS: [u64; 3] = [11, 23, 37];
const N: usize = 800;
const PERIOD: (i32, u32) = (2026, 10);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fictional_sdn() -> SanctionsList {
    let dir = root().join("testdata/sdn-fictional");
    let read = |n: &str| std::fs::read(dir.join(n)).ok();
    let sdn = read("sdn.csv").expect("testdata/sdn-fictional/sdn.csv");
    let alt = read("alt.csv");
    let add = read("add.csv");
    SanctionsList::parse(&SdnFiles {
        sdn: &sdn,
        alt: alt.as_deref(),
        add: add.as_deref(),
        comments: None,
    })
    .expect("fictional list parses")
}

/// Generates (once per seed and test binary) a dataset into a temp dir.
fn dataset(seed: u64, list: &SanctionsList) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("world");
    let sdn_names = list
        .entries
        .iter()
        .filter(|e| matches!(e.sdn_type, SdnType::Individual | SdnType::Entity))
        .map(|e| SdnName {
            name: e.name.clone(),
            ent_num: e.ent_num,
            individual: e.sdn_type == SdnType::Individual,
            dob: e.dobs.first().and_then(|d| {
                d.date
                    .or_else(|| chrono::NaiveDate::from_ymd_opt(d.year_from, 7, 1))
            }),
            country: e.countries.first().cloned(),
        })
        .collect();
    let cfg = GenConfig {
        investments: N,
        seed,
        period: Period::new(PERIOD.0, PERIOD.1).unwrap(),
        sdn_names,
    };
    generate(&cfg, &out).expect("generate");
    dir
}

fn world(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("world")
}

fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        1.0
    } else {
        num as f64 / den as f64
    }
}

#[test]
fn compliance_precision_and_recall_per_rule() {
    let list = fictional_sdn();
    let index = SanctionsIndex::build(&list);
    // code → (true positives, found, planted)
    let mut per_rule: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for seed in SEEDS {
        let dir = dataset(seed, &list);
        let w = world(&dir);
        let book: Book = tieout_api::snapshot::load_book(&w.join("api")).unwrap();
        let as_of = Period::new(PERIOD.0, PERIOD.1).unwrap().last_day();
        let findings = check(
            &book,
            as_of,
            Some(&index),
            &Overrides::new(),
            &CheckConfig::default(),
        );
        let found: BTreeSet<(String, i64)> = findings
            .iter()
            .filter(|f| f.severity != Severity::Info)
            .filter_map(|f| f.investment_id.map(|i| (f.code.as_str().to_string(), i)))
            .collect();
        let planted: BTreeSet<(String, i64)> = read_csv(&w.join("truth/violations.csv"))
            .into_iter()
            .filter_map(|r| Some((r["code"].clone(), r["investment_id"].parse().ok()?)))
            .collect();
        for (code, inv) in &found {
            let e = per_rule.entry(code.clone()).or_default();
            e.1 += 1;
            if planted.contains(&(code.clone(), *inv)) {
                e.0 += 1;
            } else {
                misses.push(format!("seed {seed}: unplanted {code} on investment {inv}"));
            }
        }
        for (code, inv) in &planted {
            per_rule.entry(code.clone()).or_default().2 += 1;
            if !found.contains(&(code.clone(), *inv)) {
                misses.push(format!("seed {seed}: missed {code} on investment {inv}"));
            }
        }
    }
    let mut report = String::new();
    let mut failed = false;
    for (code, (tp, found, planted)) in &per_rule {
        let p = ratio(*tp, *found);
        let r = ratio(*tp, *planted);
        report.push_str(&format!(
            "{code:32} planted {planted:4} found {found:4} precision {p:.3} recall {r:.3}\n"
        ));
        failed |= p < 0.99 || r < 0.99;
    }
    eprintln!("{report}");
    assert!(
        !failed,
        "per-rule precision/recall below 0.99:\n{report}\n{misses:#?}"
    );
    // Every rule was exercised.
    for code in tieout_domain::RuleCode::ALL {
        assert!(
            per_rule.get(code.as_str()).is_some_and(|c| c.2 > 0),
            "no planted {code} across the seeds"
        );
    }
}

/// The statement files of one format for every account.
fn statement_files(w: &Path, format: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for acct in ["escrow", "operating", "private", "intl"] {
        let name = match format {
            "bai2" => format!("{acct}.bai2"),
            "camt053" => format!("{acct}.camt053.xml"),
            "camt053v2" => format!("{acct}.camt053v2.xml"),
            "xlsx" => format!("{acct}.xlsx"),
            layout => format!("{acct}.{layout}.csv"),
        };
        out.push(w.join("statements").join(acct).join(name));
    }
    out
}

const FORMATS: [&str; 8] = [
    "bai2",
    "camt053",
    "camt053v2",
    "xlsx",
    "chase",
    "debit_credit",
    "crdr",
    "escrow_bank",
];

#[derive(Default, Debug)]
struct Tally {
    tp: usize,
    found: usize,
    truth: usize,
}

impl Tally {
    fn add(&mut self, s: &Score) {
        self.tp += s.correct;
        self.found += s.found;
        self.truth += s.truth;
    }
}

#[test]
fn reconciliation_precision_recall_and_planted_exceptions_in_every_format() {
    let list = fictional_sdn();
    let mut per_method: BTreeMap<String, Tally> = BTreeMap::new();
    let mut per_format: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut missed_exceptions = Vec::new();
    let mut wrong = Vec::new();
    for seed in SEEDS {
        let dir = dataset(seed, &list);
        let w = world(&dir);
        let book = tieout_api::snapshot::load_book(&w.join("api")).unwrap();
        let method: HashMap<i64, String> = book
            .investments
            .iter()
            .map(|i| (i.id, i.payment_method.as_wire().to_string()))
            .collect();
        // The one scoring against ground truth (`tieout_sandbox::truth`), per format and method.
        let truth = Truth::read(&w).unwrap();
        let payouts = load::load_payouts(&w.join("payouts/stripe-payouts.csv")).unwrap();
        for format in FORMATS {
            let mut lines: Vec<StatementLine> = Vec::new();
            let mut balances: Vec<StatedBalance> = Vec::new();
            let mut rejects: Vec<Reject> = Vec::new();
            for f in statement_files(&w, format) {
                let loaded = load::load_statement(&f, &LoadOptions::default())
                    .unwrap_or_else(|e| panic!("seed {seed} {format}: {e}"));
                assert!(
                    loaded.rejects.is_empty(),
                    "seed {seed} {format}: generated statements must load without rejects: {:?}",
                    loaded.rejects
                );
                lines.extend(loaded.lines);
                balances.extend(loaded.balances);
                rejects.extend(loaded.rejects);
            }
            let period = Period::new(PERIOD.0, PERIOD.1).unwrap();
            let input = ReconInput {
                book: &book,
                lines: &lines,
                payouts: &payouts.items as &[PayoutItem],
                balances: &balances,
                rejects: &rejects,
                control_breaks: &[],
                carry_forward: None,
                period,
                platform: None,
            };
            let out = engine::reconcile(&input, &Tolerances::default())
                .unwrap_or_else(|e| panic!("seed {seed} {format}: {e}"));
            let key_of: HashMap<(String, u32), String> = lines
                .iter()
                .map(|l| {
                    let key = l
                        .entry_ref
                        .clone()
                        .or_else(|| l.bank_ref.clone())
                        .unwrap_or_default();
                    ((l.file.clone(), l.statement_row), key)
                })
                .collect();
            let found: Vec<(i64, String)> = out
                .matches
                .iter()
                .map(|m| {
                    let key = key_of[&(m.statement_file.clone(), m.statement_row)].clone();
                    (m.investment_id, key)
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
                        .as_ref()
                        .zip(e.statement_row)
                        .and_then(|(f, r)| key_of.get(&(f.clone(), r)))
                        .map(String::as_str),
                    amount_cents: e.amount_cents,
                })
                .collect();
            for pair in &found {
                if truth.counts(pair.0, &pair.1) && !truth.pairs.contains(pair) && wrong.len() < 40
                {
                    wrong.push(format!("seed {seed} {format}: false pair {pair:?}"));
                }
            }
            let (overall, by_method) = truth.score_by(found, &reported, |i| {
                method.get(&i).cloned().unwrap_or_default()
            });
            for (m, part) in by_method {
                per_method.entry(m).or_default().add(&part);
            }
            per_format.entry(format).or_default().add(&overall);
            // Every planted exception is reported with its code.
            if overall.planted_reported < overall.planted {
                missed_exceptions.push(format!(
                    "seed {seed} {format}: {} of {} planted exceptions reported",
                    overall.planted_reported, overall.planted
                ));
            }
        }
    }
    let mut report = String::new();
    let mut failed = false;
    for (name, t) in per_method
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .chain(per_format.iter().map(|(k, v)| (*k, v)))
    {
        let p = ratio(t.tp, t.found);
        let r = ratio(t.tp, t.truth);
        report.push_str(&format!(
            "{name:14} pairs {:6} found {:6} precision {p:.4} recall {r:.4}\n",
            t.truth, t.found
        ));
        failed |= p < 0.99 || r < 0.97;
    }
    eprintln!("{report}");
    assert!(
        !failed,
        "precision < 0.99 or recall < 0.97:\n{report}\n{wrong:#?}"
    );
    assert!(missed_exceptions.is_empty(), "{missed_exceptions:#?}");
}
