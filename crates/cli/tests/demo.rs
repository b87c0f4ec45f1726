//! The committed demo month end, run through the `tieout` binary: exit code, byte-identical
//! reruns, the same results over HTTP as from the snapshot, and insta snapshots of the CSV
//! outputs and the report models (CI fails on drift).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn demo() -> PathBuf {
    root().join("testdata/demo")
}

fn dataset() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(demo().join("dataset.json")).unwrap()).unwrap()
}

/// `tieout reconcile` over the demo inputs, run from the repository root with relative paths
/// (so the manifest is the same on every machine). `source` is `--snapshot …` or `--api-url …`.
fn reconcile(source: &[&str], out: &Path, env: &[(&str, &str)]) -> std::process::Output {
    let ds = dataset();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tieout"));
    cmd.current_dir(root())
        .arg("--quiet")
        .arg("reconcile")
        .args(source);
    for s in ds["demo"]["statements"].as_array().unwrap() {
        cmd.arg("--statement")
            .arg(format!("testdata/demo/{}", s.as_str().unwrap()));
    }
    for p in ds["demo"]["payouts"].as_array().unwrap() {
        cmd.arg("--payouts")
            .arg(format!("testdata/demo/{}", p.as_str().unwrap()));
    }
    cmd.args([
        "--sdn",
        "testdata/sdn-fictional",
        "--period",
        ds["period"].as_str().unwrap(),
    ]);
    cmd.arg("--out").arg(out);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn text(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn demo_run_is_deterministic_and_snapshot_stable() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let out_a = reconcile(&["--snapshot", "testdata/demo/api"], &a, &[]);
    let stderr = String::from_utf8_lossy(&out_a.stderr);
    assert_eq!(
        out_a.status.code(),
        Some(1),
        "the demo has planted exceptions: {stderr}"
    );
    assert!(
        stderr.contains("EXCEPTIONS"),
        "the verdict is printed: {stderr}"
    );
    let out_b = reconcile(&["--snapshot", "testdata/demo/api"], &b, &[]);
    assert_eq!(out_b.status.code(), Some(1));

    let fa = files(&a);
    let fb = files(&b);
    for name in [
        "matches.csv",
        "exceptions.csv",
        "rejects.csv",
        "findings.csv",
        "open-items.json",
        "manifest.json",
        "investor-register.pdf",
        "investor-register.xlsx",
        "funds-received.pdf",
        "funds-received.xlsx",
        "exceptions.pdf",
        "exceptions.xlsx",
        "regulator.pdf",
        "board.pdf",
    ] {
        assert!(fa.contains_key(name), "{name} was not written");
    }
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "both runs write the same files"
    );
    for (name, bytes) in &fa {
        assert!(
            bytes == &fb[name],
            "{name} differs between two runs on the same inputs"
        );
    }
    // No staging directories are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The manifest hashes every output it lists.
    let manifest: serde_json::Value = serde_json::from_str(&text(&a, "manifest.json")).unwrap();
    assert_eq!(manifest["verdict"], "exceptions");
    for o in manifest["outputs"].as_array().unwrap() {
        let path = o["path"].as_str().unwrap();
        let sha = o["sha256"].as_str().unwrap();
        use sha2::Digest;
        assert_eq!(hex::encode(sha2::Sha256::digest(&fa[path])), sha, "{path}");
    }
    assert!(
        !text(&a, "manifest.json").contains("sandbox-"),
        "no key in the manifest"
    );

    insta::assert_snapshot!("demo_matches_csv", text(&a, "matches.csv"));
    insta::assert_snapshot!("demo_exceptions_csv", text(&a, "exceptions.csv"));
    insta::assert_snapshot!("demo_findings_csv", text(&a, "findings.csv"));
    insta::assert_snapshot!("demo_rejects_csv", text(&a, "rejects.csv"));
    insta::assert_snapshot!("demo_open_items_json", text(&a, "open-items.json"));
    insta::assert_json_snapshot!("demo_manifest_counts", manifest["counts"]);
}

#[test]
fn demo_over_http_gives_the_snapshot_results() {
    let ds = dataset();
    let key = ds["api_key"].as_str().unwrap().to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt
        .block_on(tieout_sandbox::server::serve(
            tieout_sandbox::server::ServerConfig::new(demo()),
        ))
        .unwrap();
    let url = server.base_url();
    let tmp = tempfile::tempdir().unwrap();
    let http = tmp.path().join("http");
    let snap = tmp.path().join("snap");
    let pulled = tmp.path().join("pulled");
    let o = reconcile(
        &[
            "--api-url",
            &url,
            "--api-key-env",
            "TIEOUT_TEST_KEY",
            "--snapshot-out",
            pulled.to_str().unwrap(),
        ],
        &http,
        &[("TIEOUT_TEST_KEY", &key)],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = reconcile(&["--snapshot", "testdata/demo/api"], &snap, &[]);
    assert_eq!(o.status.code(), Some(1));
    // The pulled records are exactly the served ones.
    for f in [
        "offerings.jsonl",
        "investors.jsonl",
        "investments.jsonl",
        "users.jsonl",
    ] {
        assert_eq!(
            std::fs::read(pulled.join(f)).unwrap(),
            std::fs::read(demo().join("api").join(f)).unwrap(),
            "{f} pulled over HTTP differs from the served dataset"
        );
    }
    for f in [
        "matches.csv",
        "exceptions.csv",
        "findings.csv",
        "rejects.csv",
        "open-items.json",
    ] {
        assert_eq!(text(&http, f), text(&snap, f), "{f}");
    }
    let manifest = text(&http, "manifest.json");
    assert!(
        !manifest.contains(&key),
        "the API key must not reach the manifest"
    );
    // The raw snapshot (unmasked tax ids) is beside the reports, never among them, and
    // owner-only like the reports.
    assert!(!http.join("snapshot").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&pulled), 0o700);
        assert_eq!(mode(&pulled.join("investors.jsonl")), 0o600);
        assert_eq!(mode(&http), 0o700);
        assert_eq!(mode(&http.join("findings.csv")), 0o600);
    }
    rt.block_on(server.shutdown()).unwrap();
}

#[test]
fn a_refused_key_exits_2_with_one_line_and_no_output() {
    let ds = dataset();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt
        .block_on(tieout_sandbox::server::serve(
            tieout_sandbox::server::ServerConfig::new(demo()),
        ))
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let wrong = "definitely-not-the-key-1234";
    let o = reconcile(
        &[
            "--api-url",
            &server.base_url(),
            "--api-key-env",
            "TIEOUT_TEST_KEY",
            "--snapshot-out",
            tmp.path().join("pulled").to_str().unwrap(),
        ],
        &out,
        &[("TIEOUT_TEST_KEY", wrong)],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains(wrong), "the key is never echoed: {stderr}");
    assert!(!out.exists(), "a failed run leaves no output");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "no staging dir left"
    );
    let _ = ds;
    rt.block_on(server.shutdown()).unwrap();
}

#[test]
fn report_models_of_the_demo_are_snapshot_stable() {
    // The same pipeline the binary runs (`tieout::pipeline::run`): the models below are the ones
    // `tieout reconcile` renders for the demo.
    let ds = dataset();
    let w = demo();
    let config = tieout::RunConfig {
        source: tieout::Source::Snapshot(w.join("api")),
        statements: ds["demo"]["statements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| w.join(s.as_str().unwrap()))
            .collect(),
        payouts: ds["demo"]["payouts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| w.join(s.as_str().unwrap()))
            .collect(),
        bank_profile: None,
        carry_forward: None,
        decisions: Vec::new(),
        sdn: Some(root().join("testdata/sdn-fictional")),
        overrides: None,
        tolerances: None,
        platform_profile: None,
        templates: None,
        period: ds["period"].as_str().unwrap().parse().unwrap(),
        out: std::env::temp_dir().join("unused"),
        reports: true,
        checks: tieout_domain::CheckConfig::default(),
        xlsx_limits: Default::default(),
    }
    .validate()
    .unwrap();
    let inputs = tieout::inputs::read(&config, &w.join("api")).unwrap();
    let result = tieout::pipeline::run(&config, inputs).unwrap();
    assert_eq!(result.verdict, tieout::Verdict::Exceptions);
    let book = &result.book;
    let input = result.report_input(&config.period);
    let models = tieout_report::build_models(&input).unwrap();
    insta::assert_json_snapshot!("demo_regulator_model", models.regulator);
    insta::assert_json_snapshot!("demo_board_model", models.board);
    insta::assert_json_snapshot!("demo_funds_by_method", models.funds_received.by_method);

    // The totals tie: funds received in the report = matched bank cents of credits.
    let register = serde_json::to_value(&models.investor_register).unwrap();
    let text = register.to_string();
    for inv in &book.investors {
        if let Some(tax) = &inv.tax_id {
            let digits: String = tax.chars().filter(|c| c.is_ascii_digit()).collect();
            if digits.len() > 4 {
                assert!(
                    !text.contains(tax.as_str()),
                    "full tax id of investor {} in the register",
                    inv.id
                );
            }
        }
    }
}

/// A sheet as rows of cells (header first), read back from an XLSX output.
fn sheet(path: &Path, name: &str) -> Vec<Vec<calamine::Data>> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let range = wb.worksheet_range(name).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn col(rows: &[Vec<calamine::Data>], heading: &str) -> usize {
    rows[0]
        .iter()
        .position(|c| *c == heading)
        .unwrap_or_else(|| panic!("no column {heading}: {:?}", rows[0]))
}

fn cents(d: &calamine::Data) -> i64 {
    match d {
        calamine::Data::Float(f) => (f * 100.0).round() as i64,
        calamine::Data::Int(i) => i * 100,
        calamine::Data::Empty => 0,
        other => panic!("not a number: {other:?}"),
    }
}

#[test]
fn xlsx_csv_and_statement_totals_tie_out() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = reconcile(&["--snapshot", "testdata/demo/api"], &out, &[]);
    assert_eq!(o.status.code(), Some(1));

    // Exceptions: the XLSX lists exactly the CSV's rows and totals the amount at stake.
    let csv_exc: Vec<BTreeMap<String, String>> = read_csv(&out.join("exceptions.csv"));
    let rows = sheet(&out.join("exceptions.xlsx"), "Reconciliation");
    let (code, amount) = (col(&rows, "Code"), col(&rows, "Amount"));
    let data = &rows[1..rows.len() - 1];
    assert_eq!(
        data.len(),
        csv_exc.len(),
        "one XLSX row per exceptions.csv row"
    );
    let mut xlsx_codes: Vec<String> = data.iter().map(|r| r[code].to_string()).collect();
    let mut csv_codes: Vec<String> = csv_exc.iter().map(|r| r["code"].clone()).collect();
    xlsx_codes.sort();
    csv_codes.sort();
    assert_eq!(xlsx_codes, csv_codes);
    let at_stake: i64 = csv_exc
        .iter()
        .map(|r| r["amount_cents"].parse::<i64>().unwrap().abs())
        .sum();
    assert_eq!(
        cents(&rows[rows.len() - 1][amount]),
        at_stake,
        "exceptions total"
    );
    let xlsx_sum: i64 = data.iter().map(|r| cents(&r[amount]).abs()).sum();
    assert_eq!(xlsx_sum, at_stake);

    // Findings: one XLSX row per findings.csv row.
    let csv_findings = read_csv(&out.join("findings.csv"));
    let rows = sheet(&out.join("exceptions.xlsx"), "Findings");
    assert_eq!(
        rows.len() - 2,
        csv_findings.len(),
        "one XLSX row per findings.csv row"
    );

    // Receipts: the bank amount beside each receipt is what matches.csv attributes to that
    // investment, and matches.csv's bank cents come from real statement lines.
    let matches = read_csv(&out.join("matches.csv"));
    let mut bank_by_inv: BTreeMap<i64, i64> = BTreeMap::new();
    for m in &matches {
        let c: i64 = m["bank_cents"].parse().unwrap();
        if c > 0 {
            *bank_by_inv
                .entry(m["investment_id"].parse().unwrap())
                .or_default() += c;
        }
    }
    let rows = sheet(&out.join("funds-received.xlsx"), "Receipts");
    let (inv, bank) = (col(&rows, "Inv. ID"), col(&rows, "Bank amount"));
    let mut checked = 0;
    for r in &rows[1..rows.len() - 1] {
        let id = match &r[inv] {
            calamine::Data::Float(f) => *f as i64,
            calamine::Data::Int(i) => *i,
            other => other.to_string().parse().unwrap(),
        };
        if let Some(expected) = bank_by_inv.get(&id) {
            assert_eq!(cents(&r[bank]), *expected, "bank amount of investment {id}");
            checked += 1;
        }
    }
    assert!(
        checked > 100,
        "most receipts carry their matched bank amount ({checked})"
    );

    // Every matched line's cents are on the statement: per line, the matched cents never
    // exceed the line and fully matched lines add up exactly.
    let ds = dataset();
    let mut line_cents: BTreeMap<(String, u32), i64> = BTreeMap::new();
    for s in ds["demo"]["statements"].as_array().unwrap() {
        let loaded = tieout_reconcile::load::load_statement(
            &demo().join(s.as_str().unwrap()),
            &Default::default(),
        )
        .unwrap();
        for l in loaded.lines {
            line_cents.insert((l.file.clone(), l.statement_row), l.amount_cents);
        }
    }
    let mut matched_per_line: BTreeMap<(String, u32), i64> = BTreeMap::new();
    for m in &matches {
        let key = (
            m["statement_file"].clone(),
            m["statement_row"].parse().unwrap(),
        );
        *matched_per_line.entry(key).or_default() += m["bank_cents"].parse::<i64>().unwrap();
    }
    for (key, matched) in &matched_per_line {
        let on_statement = line_cents
            .get(key)
            .unwrap_or_else(|| panic!("{key:?} is not a statement line"));
        assert!(
            matched.abs() <= on_statement.abs() && matched.signum() == on_statement.signum(),
            "{key:?}: matched {matched} of {on_statement}"
        );
    }
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

/// The demo month's results are its ground truth (`testdata/demo/truth/`), so the insta
/// snapshots above guard wording only: the matched pairs are exactly the truth pairs (and, on
/// the lines and investments of planted exceptions, only pairs the truth lists), the
/// exceptions are exactly the planted ones (each reported with its code, none that no plant
/// explains), and the findings above `info` are exactly the planted violations.
#[test]
fn demo_results_are_the_ground_truth() {
    use std::collections::BTreeSet;
    use tieout_sandbox::truth::{Reported, Truth};

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = reconcile(&["--snapshot", "testdata/demo/api"], &out, &[]);
    assert_eq!(o.status.code(), Some(1));
    let truth = Truth::read(&demo()).unwrap();

    // (statement file, row) → the line's bank reference, as the truth names lines.
    let ds = dataset();
    let mut line_ref: BTreeMap<(String, u32), String> = BTreeMap::new();
    for s in ds["demo"]["statements"].as_array().unwrap() {
        let loaded = tieout_reconcile::load::load_statement(
            &demo().join(s.as_str().unwrap()),
            &Default::default(),
        )
        .unwrap();
        assert!(loaded.rejects.is_empty(), "{:?}", loaded.rejects);
        for l in loaded.lines {
            let key = l
                .entry_ref
                .clone()
                .or(l.bank_ref.clone())
                .unwrap_or_default();
            line_ref.insert((l.file.clone(), l.statement_row), key);
        }
    }
    let every_line: BTreeSet<&str> = truth.lines.iter().map(|l| l.bank_ref.as_str()).collect();
    let loaded: BTreeSet<&str> = line_ref.values().map(String::as_str).collect();
    assert_eq!(every_line, loaded, "the loaders read every truth line");

    // Matches.
    let found: BTreeSet<(i64, String)> = read_csv(&out.join("matches.csv"))
        .into_iter()
        .map(|m| {
            let key = (
                m["statement_file"].clone(),
                m["statement_row"].parse().unwrap(),
            );
            (m["investment_id"].parse().unwrap(), line_ref[&key].clone())
        })
        .collect();
    let counted: BTreeSet<(i64, String)> = found
        .iter()
        .filter(|(i, r)| truth.counts(*i, r))
        .cloned()
        .collect();
    assert_eq!(counted, truth.pairs, "matched pairs are the truth pairs");
    let listed: BTreeSet<(i64, String)> = truth
        .lines
        .iter()
        .flat_map(|l| l.ids.iter().map(|i| (*i, l.bank_ref.clone())))
        .collect();
    let unlisted: Vec<_> = found.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "pairs the truth does not list: {unlisted:?}"
    );

    // Exceptions.
    let exceptions = read_csv(&out.join("exceptions.csv"));
    let reported: Vec<Reported<'_>> = exceptions
        .iter()
        .map(|e| {
            let line = e["statement_row"]
                .parse::<u32>()
                .ok()
                .map(|r| line_ref[&(e["statement_file"].clone(), r)].as_str());
            Reported {
                code: &e["code"],
                investment_id: e["investment_id"].parse().ok(),
                line_ref: line,
                amount_cents: e["amount_cents"].parse().unwrap(),
            }
        })
        .collect();
    let outcomes = std::collections::HashMap::new();
    let grade = truth.grade(found.iter().cloned(), &reported, &outcomes);
    assert!(
        grade.missed_planted.is_empty(),
        "planted exceptions not reported: {:#?}",
        grade.missed_planted
    );
    assert!(
        grade.false_alarms.is_empty(),
        "exceptions no plant explains: {:#?}",
        grade.false_alarms
    );
    assert_eq!(grade.pairs.correct, truth.pairs.len());

    // Findings.
    let findings: BTreeSet<(String, i64)> = read_csv(&out.join("findings.csv"))
        .into_iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| (f["code"].clone(), f["investment_id"].parse().unwrap()))
        .collect();
    let violations: BTreeSet<(String, i64)> = read_csv(&demo().join("truth/violations.csv"))
        .into_iter()
        .map(|v| (v["code"].clone(), v["investment_id"].parse().unwrap()))
        .collect();
    assert_eq!(findings, violations, "findings are the planted violations");
}
