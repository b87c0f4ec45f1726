//! What tieout promises about its outputs and the user's files (SECURITY.md), through the
//! binary: outputs never destroy inputs or foreign files, runs on one folder are serialised,
//! outputs are owner-only, CSV cells are never formulas, no control character reaches the
//! terminal, dates of birth and tax ids stay where they belong, and the key never goes through
//! a proxy it was not meant for or into an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn demo() -> PathBuf {
    root().join("testdata/demo")
}

fn tieout(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tieout"));
    cmd.current_dir(root()).arg("--quiet").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file under `dir` with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn check(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "check",
        "--snapshot",
        "testdata/demo/api",
        "--sdn",
        "testdata/sdn-fictional",
        "--out",
        s(out),
    ];
    args.extend_from_slice(extra);
    tieout(&args, &[])
}

/// `reconcile --out month/` where `month/` holds the statement being read and the controller's
/// notes used to delete both. Now: exit 2 and nothing touched, for every command.
#[test]
fn an_out_folder_holding_user_files_or_inputs_is_refused_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let month = tmp.path().join("month");
    std::fs::create_dir(&month).unwrap();
    let statement = month.join("operating.chase.csv");
    std::fs::copy(
        demo().join("statements/operating/operating.chase.csv"),
        &statement,
    )
    .unwrap();
    std::fs::write(month.join("notes.txt"), "controller's notes").unwrap();
    let before = tree(tmp.path());
    let o = tieout(
        &[
            "reconcile",
            "--snapshot",
            "testdata/demo/api",
            "--statement",
            s(&statement),
            "--period",
            "2026-10",
            "--out",
            s(&month),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing was written"), "{}", stderr(&o));
    assert_eq!(tree(tmp.path()), before, "nothing touched");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);

    // The statement alone (an otherwise empty folder) is refused too: it is an input.
    std::fs::remove_file(month.join("notes.txt")).unwrap();
    let o = tieout(
        &[
            "reconcile",
            "--snapshot",
            "testdata/demo/api",
            "--statement",
            s(&statement),
            "--period",
            "2026-10",
            "--out",
            s(&month),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("holds the input"), "{}", stderr(&o));
    assert!(statement.exists());

    // `check` and `pull` likewise.
    std::fs::write(month.join("notes.txt"), "controller's notes").unwrap();
    let o = check(&month, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = tieout(
        &[
            "pull",
            "--api-url",
            "http://127.0.0.1:9",
            "--api-key-env",
            "TIEOUT_TRUST_KEY",
            "--out",
            s(&month),
        ],
        &[("TIEOUT_TRUST_KEY", "k")],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("notes.txt"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(month.join("notes.txt")).unwrap(),
        "controller's notes"
    );
    assert!(statement.exists());
}

/// A folder tieout wrote is replaced (only its own files); once the user adds a file to it, it
/// is not.
#[test]
fn only_what_tieout_wrote_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("findings");
    // Staging folders of runs that died (kill -9) are cleaned on the next run.
    std::fs::create_dir_all(tmp.path().join(".findings.tieout-stage-4000000/x")).unwrap();
    std::fs::create_dir_all(tmp.path().join(".findings.partial-77")).unwrap();
    for _ in 0..2 {
        let o = check(&out, &[]);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    }
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        vec!["findings".to_string()],
        "no staging, lock or old folder left"
    );
    assert_eq!(
        tree(&out).keys().cloned().collect::<Vec<_>>(),
        vec!["findings.csv", "manifest.json"]
    );
    std::fs::write(out.join("my-review.xlsx"), "mine").unwrap();
    let o = check(&out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("my-review.xlsx"), "{}", stderr(&o));
    assert_eq!(std::fs::read(out.join("my-review.xlsx")).unwrap(), b"mine");
}

/// Two runs on one `--out` used to fail at random; the lock serialises them.
#[test]
fn two_runs_on_one_out_are_serialised() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_tieout"))
            .current_dir(root())
            .args([
                "--quiet",
                "check",
                "--snapshot",
                "testdata/demo/api",
                "--sdn",
                "testdata/sdn-fictional",
                "--out",
                s(&out),
            ])
            .output()
    };
    let (a, b) = std::thread::scope(|sc| {
        let a = sc.spawn(spawn);
        let b = sc.spawn(spawn);
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    for o in [&a, &b] {
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(o));
    }
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let csv = std::fs::read(out.join("findings.csv")).unwrap();
    use sha2::Digest;
    assert_eq!(
        m["outputs"][0]["sha256"].as_str().unwrap(),
        hex::encode(sha2::Sha256::digest(&csv))
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}

#[cfg(unix)]
#[test]
fn outputs_are_owner_only_unless_the_group_is_asked_for() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    check(&out, &[]);
    assert_eq!(mode(&out), 0o700);
    assert_eq!(mode(&out.join("findings.csv")), 0o600);
    let shared = tmp.path().join("shared");
    check(&shared, &["--group-readable"]);
    assert_eq!(mode(&shared), 0o750);
    assert_eq!(mode(&shared.join("findings.csv")), 0o640);
}

/// The demo month with one hostile statement added: formulas, a leading tab, a 40,000-character
/// reference and ESC bytes. The run completes (exit 1), every text cell of every CSV is inert,
/// amounts stay numbers, and no date of birth leaves the investor register.
#[test]
fn hostile_statement_text_is_inert_and_pii_stays_in_the_register() {
    let tmp = tempfile::tempdir().unwrap();
    let hostile = tmp.path().join("hostile.csv");
    let long = "R".repeat(40_000);
    std::fs::write(
        &hostile,
        format!(
            "Date,Description,Amount\n\
             2026-10-05,\"=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",100.00\n\
             =1+1,@SUM(A1:A9),+5\n\
             2026-10-06,\"\t=2+2\",-47.29\n\
             bad-date-{long},x,12.34\n\
             2026-10-08,\"\u{1b}]0;pwned\u{7}\u{1b}[2J\",55.55\n"
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let mut args: Vec<String> = vec![
        "reconcile".into(),
        "--snapshot".into(),
        "testdata/demo/api".into(),
        "--sdn".into(),
        "testdata/sdn-fictional".into(),
        "--period".into(),
        "2026-10".into(),
        "--out".into(),
        out.to_str().unwrap().into(),
        "--statement".into(),
        hostile.to_str().unwrap().into(),
    ];
    let ds: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo().join("dataset.json")).unwrap())
            .unwrap();
    for st in ds["demo"]["statements"].as_array().unwrap() {
        args.push("--statement".into());
        args.push(format!("testdata/demo/{}", st.as_str().unwrap()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = tieout(&args, &[("TIEOUT_LOG", "info")]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        !o.stderr.contains(&0x1b) && !o.stderr.contains(&0x07),
        "{err}"
    );

    // Every text cell of every CSV: never a formula. A cell starting with a sign must be a
    // number (amount columns).
    let mut seen_neutralised = 0;
    for name in [
        "matches.csv",
        "exceptions.csv",
        "rejects.csv",
        "findings.csv",
    ] {
        let mut r = csv::Reader::from_path(out.join(name)).unwrap();
        for rec in r.records() {
            for cell in rec.unwrap().iter() {
                if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    assert!(
                        cell.parse::<i64>().is_ok() || cell.parse::<f64>().is_ok(),
                        "{name}: a formula-like cell: {cell:?}"
                    );
                }
                if cell.starts_with("'=") || cell.starts_with("'\t") || cell.starts_with("'@") {
                    seen_neutralised += 1;
                }
            }
        }
    }
    assert!(
        seen_neutralised >= 1,
        "the hostile cells are in the outputs"
    );
    // The CSVs are complete: the long reference is there in full.
    let rejects = std::fs::read_to_string(out.join("rejects.csv")).unwrap();
    assert!(
        rejects.contains(&format!("bad-date-{long},x,12.34")),
        "the 40,000-character row is kept whole in rejects.csv"
    );
    assert!(out.join("exceptions.xlsx").exists());

    // Dates of birth: only in the investor register.
    let dobs: Vec<String> = std::fs::read_to_string(demo().join("api/investors.jsonl"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            v["entity"]["date_of_birth"].as_str().map(str::to_string)
        })
        .collect();
    assert!(dobs.len() > 100);
    for name in [
        "findings.csv",
        "exceptions.csv",
        "matches.csv",
        "rejects.csv",
    ] {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        for d in &dobs {
            assert!(
                !text.contains(d.as_str()),
                "{name} holds a date of birth {d}"
            );
        }
    }
    use calamine::{Reader, open_workbook_auto};
    let mut wb = open_workbook_auto(out.join("exceptions.xlsx")).unwrap();
    let mut cells = 0;
    for sheet in wb.sheet_names() {
        let range = wb.worksheet_range(&sheet).unwrap();
        for c in range.used_cells() {
            let t = c.2.to_string();
            cells += 1;
            assert!(
                t.chars().count() <= 32_767,
                "{sheet}: a cell over Excel's limit"
            );
            for d in &dobs {
                assert!(!t.contains(d.as_str()), "exceptions.xlsx {sheet} holds {d}");
            }
        }
    }
    assert!(cells > 100);
}

/// A statement whose name carries ESC sequences and whose content is broken: the error names
/// the file, but no control character reaches the terminal.
#[test]
fn control_characters_never_reach_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let evil = tmp.path().join("evil\u{1b}]0;pwned\u{7}\u{1b}[2J.xlsx");
    std::fs::write(&evil, b"PK\x03\x04 not really a workbook \x1b[31m").unwrap();
    let o = tieout(
        &[
            "reconcile",
            "--snapshot",
            "testdata/demo/api",
            "--statement",
            evil.to_str().unwrap(),
            "--period",
            "2026-10",
            "--out",
            s(&tmp.path().join("out")),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("evil"), "{}", stderr(&o));
    assert!(
        !o.stderr.iter().any(|&b| b == 0x1b || b == 0x07),
        "{:?}",
        stderr(&o)
    );
}

/// A tax id of the wrong type in a snapshot used to be printed whole in the error.
#[test]
fn a_mistyped_tax_id_is_not_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = tmp.path().join("snap");
    std::fs::create_dir(&snap).unwrap();
    for f in [
        "offerings.jsonl",
        "investors.jsonl",
        "investments.jsonl",
        "users.jsonl",
    ] {
        std::fs::copy(demo().join("api").join(f), snap.join(f)).unwrap();
    }
    let investors = std::fs::read_to_string(snap.join("investors.jsonl")).unwrap();
    let broken = investors.replacen(
        "\"date_of_birth\":",
        "\"tax_id_number\":987654321,\"date_of_birth\":",
        1,
    );
    assert_ne!(broken, investors);
    std::fs::write(snap.join("investors.jsonl"), &broken).unwrap();
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo().join("api/manifest.json")).unwrap())
            .unwrap();
    use sha2::Digest;
    m["sha256"]["investors.jsonl"] = hex::encode(sha2::Sha256::digest(broken.as_bytes())).into();
    std::fs::write(snap.join("manifest.json"), m.to_string()).unwrap();
    let o = tieout(
        &[
            "check",
            "--snapshot",
            s(&snap),
            "--out",
            s(&tmp.path().join("o")),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("tax_id_number"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("987654321"), "{}", stderr(&o));
}

/// The key goes only where the URL check allows: a key in the URL is refused and never echoed;
/// the proxy variables are ignored unless asked for, so `HTTP_PROXY` never sees the key sent
/// to a plain-http loopback API.
#[test]
fn the_key_never_reaches_a_proxy_or_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let o = tieout(
        &[
            "pull",
            "--api-url",
            "http://127.0.0.1:9/?api_key=SECRET-IN-URL-31",
            "--api-key-env",
            "TIEOUT_TRUST_KEY",
            "--out",
            s(&tmp.path().join("snap")),
        ],
        &[("TIEOUT_TRUST_KEY", "k")],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!stderr(&o).contains("SECRET-IN-URL-31"), "{}", stderr(&o));

    let ds: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo().join("dataset.json")).unwrap())
            .unwrap();
    let key = ds["api_key"].as_str().unwrap().to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt
        .block_on(tieout_sandbox::server::serve(
            tieout_sandbox::server::ServerConfig::new(demo()),
        ))
        .unwrap();
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let purl = format!("http://{}", proxy.local_addr().unwrap());
    let snap = tmp.path().join("snap");
    let o = tieout(
        &[
            "pull",
            "--api-url",
            &server.base_url(),
            "--api-key-env",
            "TIEOUT_TRUST_KEY",
            "--out",
            s(&snap),
        ],
        &[
            ("TIEOUT_TRUST_KEY", &key),
            ("HTTP_PROXY", &purl),
            ("http_proxy", &purl),
            ("ALL_PROXY", &purl),
            ("HTTPS_PROXY", &purl),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(proxy.accept().is_err(), "the proxy saw a connection");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&snap), 0o700);
        assert_eq!(mode(&snap.join("investors.jsonl")), 0o600);
    }
    // Explicitly asked for, the proxy still only serves https: plain http goes direct.
    let o = tieout(
        &[
            "pull",
            "--api-url",
            &server.base_url(),
            "--api-key-env",
            "TIEOUT_TRUST_KEY",
            "--proxy",
            &purl,
            "--out",
            s(&snap),
        ],
        &[("TIEOUT_TRUST_KEY", &key)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(proxy.accept().is_err(), "the proxy saw a connection");
    rt.block_on(server.shutdown()).unwrap();
}
