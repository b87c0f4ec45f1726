//! Accuracy against ground truth: generated worlds (every world variant, several seeds) with
//! planted compliance violations and reconciliation exceptions, the same money trail rendered
//! in every statement format. Pairs precision and recall, every planted exception, and every
//! statement line's outcome are graded by the one scoring, `tieout_sandbox::truth`; the
//! thresholds are issue 17's acceptance figures.
//!
//! Compliance is asserted in every world. Reconciliation is asserted in the `classic` world;
//! the other worlds' rows are printed by `reconciliation_scores_of_every_world` and asserted by
//! `reconciliation_every_world_meets_the_bar`, ignored until the engine fits every world's money
//! model and settlement shapes (issue 17). `TIEOUT_ACCURACY_DEBUG=1` prints the wrong lines and
//! false alarms of the BAI2 runs.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use tieout_domain::sanctions::{Overrides, SanctionsIndex, SanctionsList, SdnFiles, SdnType};
use tieout_domain::{Book, CheckConfig, Severity, check};
use tieout_reconcile::engine::{self, ReconInput, Tolerances};
use tieout_reconcile::load::{self, LoadOptions};
use tieout_reconcile::{PayoutItem, Reject, StatedBalance, StatementLine};
use tieout_sandbox::generator::{GenConfig, Period, SdnName, WORLD_NAMES, WorldKnobs, generate};
use tieout_sandbox::truth::{Grade, LineOutcome, Reported, Truth};

const SEEDS: [u64; 3] = [11, 23, 37];
const N: usize = 800;
/// Investments of the other worlds' datasets (every world × seed × format runs the engine).
const N_WORLDS: usize = 400;
/// Exceptions no plant explains, at most this share of the truth lines (false alarms).
const FALSE_ALARM_CEILING: f64 = 0.01;
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

/// Generates a dataset of `n` investments in world `knobs` into a temp dir.
fn dataset_of(seed: u64, list: &SanctionsList, n: usize, knobs: WorldKnobs) -> tempfile::TempDir {
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
        investments: n,
        seed,
        period: Period::new(PERIOD.0, PERIOD.1).unwrap(),
        sdn_names,
        world: knobs,
    };
    generate(&cfg, &out).expect("generate");
    dir
}

fn world_dir(dir: &tempfile::TempDir) -> PathBuf {
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

/// Per rule code: (true positives, found, planted).
type PerRule = BTreeMap<String, (usize, usize, usize)>;

/// Compliance findings of `world` (n investments, every seed) against its planted violations:
/// code → (true positives, found, planted), and the misses.
fn compliance_of(world: &str, n: usize, list: &SanctionsList) -> (PerRule, Vec<String>) {
    let index = SanctionsIndex::build(list);
    let mut per_rule = PerRule::new();
    let mut misses = Vec::new();
    for seed in SEEDS {
        let dir = dataset_of(seed, list, n, WorldKnobs::preset(world).unwrap());
        let w = world_dir(&dir);
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
                misses.push(format!(
                    "{world} seed {seed}: unplanted {code} on investment {inv}"
                ));
            }
        }
        for (code, inv) in &planted {
            per_rule.entry(code.clone()).or_default().2 += 1;
            if !found.contains(&(code.clone(), *inv)) {
                misses.push(format!(
                    "{world} seed {seed}: missed {code} on investment {inv}"
                ));
            }
        }
    }
    (per_rule, misses)
}

/// Rows of [`compliance_of`] and whether any rule is below 0.99 precision or recall.
fn compliance_report(world: &str, per_rule: &PerRule) -> (String, bool) {
    let mut report = String::new();
    let mut failed = false;
    for (code, (tp, found, planted)) in per_rule {
        let p = ratio(*tp, *found);
        let r = ratio(*tp, *planted);
        report.push_str(&format!(
            "{world:13} {code:32} planted {planted:4} found {found:4} precision {p:.3} recall {r:.3}\n"
        ));
        failed |= p < 0.99 || r < 0.99;
    }
    (report, failed)
}

/// The compliance bar (precision and recall ≥ 0.99 per rule) in every world: rules that need
/// the securities amount read it from `quantity × unit_price`, whichever field carries it
/// (issue 17 point 5).
#[test]
fn compliance_every_world_meets_the_bar() {
    let list = fictional_sdn();
    let mut failures = Vec::new();
    for w in WORLD_NAMES {
        let (per_rule, misses) = compliance_of(w, N_WORLDS, &list);
        let (report, failed) = compliance_report(w, &per_rule);
        eprintln!("{report}");
        if failed {
            failures.push(report);
            failures.extend(misses.into_iter().take(10));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn compliance_precision_and_recall_per_rule() {
    let (per_rule, misses) = compliance_of("classic", N, &fictional_sdn());
    let (report, failed) = compliance_report("classic", &per_rule);
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

/// The grade of one world over every seed and format: per format, and per payment method
/// (pairs only) over all formats.
struct WorldGrade {
    world: String,
    by_format: BTreeMap<&'static str, Grade>,
    by_method: BTreeMap<String, Grade>,
    /// Loader rejects of generated statements (there must be none).
    rejects: Vec<String>,
}

/// Runs the engine over `world` × [`SEEDS`] × [`FORMATS`] with `n` investments and grades
/// every run against the dataset's truth.
fn grade_world(world: &str, n: usize, list: &SanctionsList) -> WorldGrade {
    let knobs = WorldKnobs::preset(world).unwrap();
    let mut g = WorldGrade {
        world: world.to_string(),
        by_format: BTreeMap::new(),
        by_method: BTreeMap::new(),
        rejects: Vec::new(),
    };
    for seed in SEEDS {
        let dir = dataset_of(seed, list, n, knobs.clone());
        let w = world_dir(&dir);
        let book = tieout_api::snapshot::load_book(&w.join("api")).unwrap();
        let method: HashMap<i64, String> = book
            .investments
            .iter()
            .map(|i| (i.id, i.payment_method.as_wire().to_string()))
            .collect();
        let truth = Truth::read(&w).unwrap();
        let payouts = load::load_payouts(&w.join("payouts/stripe-payouts.csv")).unwrap();
        for format in FORMATS {
            let mut lines: Vec<StatementLine> = Vec::new();
            let mut balances: Vec<StatedBalance> = Vec::new();
            let mut rejects: Vec<Reject> = Vec::new();
            for f in statement_files(&w, format) {
                let loaded = load::load_statement(&f, &LoadOptions::default())
                    .unwrap_or_else(|e| panic!("{world} seed {seed} {format}: {e}"));
                for r in &loaded.rejects {
                    g.rejects.push(format!(
                        "{world} seed {seed} {format}: {} {}",
                        r.file, r.reason
                    ));
                }
                lines.extend(loaded.lines);
                balances.extend(loaded.balances);
                rejects.extend(loaded.rejects);
            }
            let input = ReconInput {
                book: &book,
                lines: &lines,
                payouts: &payouts.items as &[PayoutItem],
                balances: &balances,
                rejects: &rejects,
                control_breaks: &[],
                carry_forward: None,
                period: Period::new(PERIOD.0, PERIOD.1).unwrap(),
                platform: None,
            };
            let out = engine::reconcile(&input, &Tolerances::default())
                .unwrap_or_else(|e| panic!("{world} seed {seed} {format}: {e}"));
            // A line's key is the truth's bank reference (a camt batch item's entry reference).
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
            let mut outcomes: HashMap<String, LineOutcome> = key_of
                .values()
                .map(|k| (k.clone(), LineOutcome::default()))
                .collect();
            let found: Vec<(i64, String)> = out
                .matches
                .iter()
                .map(|m| {
                    let key = key_of[&(m.statement_file.clone(), m.statement_row)].clone();
                    outcomes
                        .entry(key.clone())
                        .or_default()
                        .matched
                        .insert(m.investment_id);
                    (m.investment_id, key)
                })
                .collect();
            for i in &out.ignored_lines {
                if let Some(k) = key_of.get(&(i.statement_file.clone(), i.statement_row)) {
                    outcomes
                        .entry(k.clone())
                        .or_default()
                        .ignored
                        .push(i.reason.clone());
                }
            }
            let reported: Vec<Reported<'_>> = out
                .exceptions
                .iter()
                .map(|e| {
                    let line_ref = e
                        .statement_file
                        .as_ref()
                        .zip(e.statement_row)
                        .and_then(|(f, r)| key_of.get(&(f.clone(), r)))
                        .map(String::as_str);
                    Reported {
                        code: e.code.as_str(),
                        investment_id: e.investment_id,
                        line_ref,
                        amount_cents: e.amount_cents,
                    }
                })
                .collect();
            for e in &reported {
                if let Some(k) = e.line_ref {
                    outcomes
                        .entry(k.to_string())
                        .or_default()
                        .codes
                        .insert(e.code.to_string());
                }
            }
            let mut grade = truth.grade(found.iter().cloned(), &reported, &outcomes);
            for x in grade
                .wrong_lines
                .iter_mut()
                .chain(grade.false_alarms.iter_mut())
            {
                *x = format!("seed {seed} {format}: {x}");
            }
            for x in grade.missed_planted.iter_mut() {
                *x = format!("seed {seed} {format}: {x}");
            }
            let (_, by_method) = truth.score_by(found, &reported, |i| {
                method.get(&i).cloned().unwrap_or_default()
            });
            for (m, part) in by_method {
                g.by_method.entry(m).or_default().pairs.add(&part);
            }
            g.by_format.entry(format).or_default().add(&grade);
        }
    }
    g
}

trait AddScore {
    fn add(&mut self, o: &tieout_sandbox::truth::Score);
}

impl AddScore for tieout_sandbox::truth::Score {
    fn add(&mut self, o: &tieout_sandbox::truth::Score) {
        self.truth += o.truth;
        self.found += o.found;
        self.correct += o.correct;
        self.planted += o.planted;
        self.planted_reported += o.planted_reported;
    }
}

impl WorldGrade {
    /// One row per format (and per payment method), and the failures against the bar.
    fn report(&self) -> (String, Vec<String>) {
        self.report_with(true)
    }

    /// [`Self::report`], with or without the false-alarm ceiling among the failures.
    fn report_with(&self, alarms_fail: bool) -> (String, Vec<String>) {
        let mut rows = String::new();
        let mut failures = Vec::new();
        for (format, g) in &self.by_format {
            let p = &g.pairs;
            let alarms = g.false_alarms.len();
            let ceiling = (g.lines() as f64 * FALSE_ALARM_CEILING).ceil() as usize;
            rows.push_str(&format!(
                "{:13} {:12} pairs {:5} found {:5} precision {:.4} recall {:.4} planted {:3}/{:3} lines right {:5}/{:5} lost {:2} false alarms {:3} (ceiling {ceiling})\n",
                self.world,
                format,
                p.truth,
                p.found,
                p.precision(),
                p.recall(),
                p.planted_reported,
                p.planted,
                g.lines_right(),
                g.lines(),
                g.lines_lost(),
                alarms,
            ));
            let at = format!("{} {format}", self.world);
            if p.precision() < 0.99 || p.recall() < 0.97 {
                failures.push(format!(
                    "{at}: pairs precision {:.4} / recall {:.4} (bar 0.99 / 0.97)",
                    p.precision(),
                    p.recall()
                ));
            }
            for m in &g.missed_planted {
                failures.push(format!("{at}: planted exception not reported: {m}"));
            }
            if alarms_fail && alarms > ceiling {
                failures.push(format!(
                    "{at}: {alarms} false alarms (ceiling {ceiling}), e.g. {:?}",
                    &g.false_alarms[..alarms.min(5)]
                ));
            }
            if g.lines_lost() > 0 {
                failures.push(format!(
                    "{at}: {} truth lines lost by the loader",
                    g.lines_lost()
                ));
            }
        }
        let mut kinds: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for g in self.by_format.values() {
            for (k, kg) in &g.by_kind {
                let e = kinds.entry(k.as_str()).or_default();
                e.0 += kg.lines;
                e.1 += kg.right;
            }
        }
        for (k, (lines, right)) in &kinds {
            rows.push_str(&format!(
                "{:13}   kind {k:20} lines right {right:5}/{lines:5}\n",
                self.world
            ));
        }
        for (m, g) in &self.by_method {
            rows.push_str(&format!(
                "{:13}   method {m:10} pairs {:5} found {:5} precision {:.4} recall {:.4}\n",
                self.world,
                g.pairs.truth,
                g.pairs.found,
                g.pairs.precision(),
                g.pairs.recall()
            ));
        }
        failures.extend(self.rejects.iter().map(|r| format!("loader reject: {r}")));
        (rows, failures)
    }

    /// The first wrong lines of every format (for a failure message).
    fn wrong_lines(&self, n: usize) -> Vec<String> {
        self.by_format
            .values()
            .flat_map(|g| g.wrong_lines.iter().take(n).cloned())
            .collect()
    }
}

/// Grades the worlds on a few threads (each world's runs are independent).
fn grade_worlds(worlds: &[&str], n: usize) -> Vec<WorldGrade> {
    let list = fictional_sdn();
    std::thread::scope(|s| {
        let handles: Vec<_> = worlds
            .iter()
            .map(|w| {
                let list = &list;
                s.spawn(move || grade_world(w, n, list))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn reconciliation_precision_recall_and_planted_exceptions_in_every_format() {
    let g = grade_world("classic", N, &fictional_sdn());
    let (rows, failures) = g.report();
    eprintln!("{rows}");
    if std::env::var_os("TIEOUT_ACCURACY_DEBUG").is_some() {
        let f = &g.by_format["bai2"];
        eprintln!("{:#?}\n{:#?}", f.wrong_lines, f.false_alarms);
    }
    assert!(
        failures.is_empty(),
        "classic world below the bar:\n{rows}\n{failures:#?}\nwrong lines: {:#?}",
        g.wrong_lines(10)
    );
    // Every line comes out as its kind calls for, bar the few a fuzzy engine may leave to a
    // human (and a wrong one is printed).
    for (format, f) in &g.by_format {
        assert!(
            f.line_accuracy() >= 0.97,
            "classic {format}: lines right {}/{}: {:#?}",
            f.lines_right(),
            f.lines(),
            &f.wrong_lines[..f.wrong_lines.len().min(20)]
        );
    }
}

/// Every world other than `classic`, graded and printed (a row per world and format); the bar
/// is asserted by `reconciliation_every_world_meets_the_bar` once the money model fit lands.
#[test]
fn reconciliation_scores_of_every_world() {
    let others: Vec<&str> = WORLD_NAMES
        .iter()
        .copied()
        .filter(|w| *w != "classic")
        .collect();
    let mut all = String::new();
    for g in grade_worlds(&others, N_WORLDS) {
        let (rows, failures) = g.report();
        all.push_str(&rows);
        all.push_str(&format!(
            "{:13} {} failures against the bar\n",
            g.world,
            failures.len()
        ));
        if std::env::var_os("TIEOUT_ACCURACY_DEBUG").is_some() {
            let f = &g.by_format["bai2"];
            eprintln!(
                "{} bai2 wrong lines {:#?}\nfalse alarms {:#?}",
                g.world, f.wrong_lines, f.false_alarms
            );
        }
        // What can be asserted of any engine: the generated statements load whole.
        assert!(g.rejects.is_empty(), "{:#?}", g.rejects);
        assert!(g.by_format.values().all(|f| f.lines() > 0));
    }
    eprintln!("{all}");
}

/// The issue 17 pairs bar on every world, asserted: pairs precision ≥ 0.99, recall ≥ 0.97,
/// every planted exception reported with its code, no line lost (the false-alarm ceiling is
/// the test below).
#[test]
fn reconciliation_every_world_meets_the_pairs_bar() {
    let mut failures = Vec::new();
    let mut all = String::new();
    for g in grade_worlds(&WORLD_NAMES, N_WORLDS) {
        let (rows, f) = g.report_with(false);
        all.push_str(&rows);
        if !f.is_empty() {
            failures.extend(f);
            failures.extend(g.wrong_lines(5));
        }
    }
    eprintln!("{all}");
    assert!(failures.is_empty(), "{all}\n{failures:#?}");
}

/// The issue 17 bar on every world: pairs precision ≥ 0.99, recall ≥ 0.97, every planted
/// exception reported with its code, false alarms under the ceiling, no line lost.
#[test]
fn reconciliation_every_world_meets_the_bar() {
    let mut failures = Vec::new();
    let mut all = String::new();
    for g in grade_worlds(&WORLD_NAMES, N_WORLDS) {
        let (rows, f) = g.report();
        all.push_str(&rows);
        if !f.is_empty() {
            failures.extend(f);
            failures.extend(g.wrong_lines(5));
        }
    }
    eprintln!("{all}");
    assert!(failures.is_empty(), "{all}\n{failures:#?}");
}
