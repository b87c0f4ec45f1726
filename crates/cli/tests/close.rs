//! Closing the month on the demo: decisions filled into the produced `exceptions.xlsx` and
//! fed back with `--decisions`, the next month with the carried `open-items.json`, stable
//! exception ids, and sign-offs bound to a run's manifest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use calamine::{Data, Reader};
use sha2::Digest;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn dataset() -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/demo/dataset.json")).unwrap(),
    )
    .unwrap()
}

fn tieout(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tieout"))
        .current_dir(root())
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap()
}

/// The demo month end into `out`, with `extra` arguments.
fn demo_run(out: &Path, extra: &[&str]) -> Output {
    let ds = dataset();
    let mut args: Vec<String> = vec![
        "reconcile".into(),
        "--snapshot".into(),
        "testdata/demo/api".into(),
    ];
    for s in ds["demo"]["statements"].as_array().unwrap() {
        args.push("--statement".into());
        args.push(format!("testdata/demo/{}", s.as_str().unwrap()));
    }
    for p in ds["demo"]["payouts"].as_array().unwrap() {
        args.push("--payouts".into());
        args.push(format!("testdata/demo/{}", p.as_str().unwrap()));
    }
    args.extend(
        [
            "--sdn",
            "testdata/sdn-fictional",
            "--period",
            ds["period"].as_str().unwrap(),
            "--out",
        ]
        .map(String::from),
    );
    args.push(out.to_string_lossy().into_owned());
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    tieout(&refs)
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

fn sheet(path: &Path, name: &str) -> Vec<Vec<Data>> {
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    wb.worksheet_range(name)
        .unwrap()
        .rows()
        .map(|r| r.to_vec())
        .collect()
}

fn col(rows: &[Vec<Data>], heading: &str) -> usize {
    rows[0]
        .iter()
        .position(|c| *c == heading)
        .unwrap_or_else(|| panic!("no column {heading}: {:?}", rows[0]))
}

fn text(d: &Data) -> String {
    match d {
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// A person's edit of the worksheet: the `Reconciliation` sheet with decisions filled into the
/// rows `pick` chooses, saved as a new workbook (as Excel would save it).
fn fill_worksheet(
    produced: &Path,
    saved: &Path,
    pick: impl Fn(&BTreeMap<String, String>) -> Option<(&'static str, String, String)>,
) -> usize {
    let rows = sheet(produced, "Reconciliation");
    let headings: Vec<String> = rows[0].iter().map(text).collect();
    let (dc, mc, nc, bc) = (
        col(&rows, "Decision"),
        col(&rows, "Match investment ID(s)"),
        col(&rows, "Note"),
        col(&rows, "Decided by"),
    );
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Reconciliation").unwrap();
    let mut filled = 0;
    for (r, row) in rows.iter().enumerate() {
        let mut cells: Vec<String> = row.iter().map(text).collect();
        if r > 0 {
            let named: BTreeMap<String, String> = headings
                .iter()
                .cloned()
                .zip(cells.iter().cloned())
                .collect();
            if let Some((decision, ids, note)) = pick(&named) {
                cells[dc] = decision.into();
                cells[mc] = ids;
                cells[nc] = note;
                cells[bc] = "Ana Controller".into();
                filled += 1;
            }
        }
        for (c, v) in cells.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32, c as u16, v).unwrap();
            }
        }
    }
    wb.save(saved).unwrap();
    filled
}

fn sha256(path: &Path) -> String {
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

fn ids(rows: &[BTreeMap<String, String>]) -> Vec<String> {
    rows.iter().map(|r| r["exception_id"].clone()).collect()
}

#[test]
fn decisions_from_the_workbook_close_the_month_and_carry_to_the_next() {
    let tmp = tempfile::tempdir().unwrap();
    let run1 = tmp.path().join("run1");
    let o = demo_run(&run1, &[]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let exc1 = read_csv(&run1.join("exceptions.csv"));
    let id_of = |code: &str, file: &str, row: &str, inv: &str| -> String {
        exc1.iter()
            .find(|e| {
                e["code"] == code
                    && e["statement_file"] == file
                    && e["statement_row"] == row
                    && e["investment_id"] == inv
            })
            .unwrap_or_else(|| panic!("no {code} {file} {row} {inv} in run 1"))["exception_id"]
            .clone()
    };
    let ambiguous_line = id_of("AMBIGUOUS_MATCH", "private.xlsx", "26", "");
    let ambiguous_inv = id_of("AMBIGUOUS_MATCH", "", "", "120");
    let debit = id_of("UNMATCHED_DEBIT", "operating.chase.csv", "13", "");
    let bad = id_of("AMBIGUOUS_MATCH", "escrow.bai2", "39", "");
    let kept = id_of("UNMATCHED_INVESTMENT", "", "", "255");
    let refund = id_of("STATUS_MISMATCH", "", "", "167");

    // The worksheet: decision columns with a drop-down, an instructions sheet.
    let produced = run1.join("exceptions.xlsx");
    let wb: calamine::Xlsx<_> = calamine::open_workbook(&produced).unwrap();
    assert_eq!(wb.sheet_names()[0], "Instructions");
    let decisions = tmp.path().join("exceptions.xlsx");
    let filled = fill_worksheet(&produced, &decisions, |r| {
        let id = &r["Exception ID"];
        if *id == ambiguous_line {
            Some(("match", "120".into(), "payer confirmed by phone".into()))
        } else if *id == debit {
            Some((
                "write_off",
                String::new(),
                "bank charge, agreed with the bank".into(),
            ))
        } else if *id == bad {
            Some(("match", "999999".into(), "typo in the id".into()))
        } else if *id == kept {
            Some((
                "keep_open",
                String::new(),
                "investor says the wire is on its way".into(),
            ))
        } else if *id == refund {
            Some((
                "refund_sent",
                String::new(),
                "refunded from the operating account".into(),
            ))
        } else {
            None
        }
    });
    assert_eq!(filled, 5);

    // Run 2 with the decisions.
    let run2 = tmp.path().join("run2");
    let o = demo_run(&run2, &["--decisions", decisions.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let matches = read_csv(&run2.join("matches.csv"));
    let manual: Vec<_> = matches.iter().filter(|m| m["rule"] == "manual").collect();
    assert_eq!(manual.len(), 1, "{manual:?}");
    assert_eq!(manual[0]["investment_id"], "120");
    assert_eq!(manual[0]["statement_file"], "private.xlsx");
    assert_eq!(manual[0]["statement_row"], "26");
    assert_eq!(manual[0]["decided_by"], "Ana Controller");
    assert_eq!(manual[0]["note"], "payer confirmed by phone");

    let exc2 = read_csv(&run2.join("exceptions.csv"));
    let open2 = ids(&exc2);
    for gone in [&ambiguous_line, &ambiguous_inv, &debit, &refund] {
        assert!(!open2.contains(gone), "{gone} is still open");
    }
    assert!(open2.contains(&kept), "a kept item stays open");
    let resolved = read_csv(&run2.join("resolved.csv"));
    let sha = sha256(&decisions);
    let wo = resolved
        .iter()
        .find(|r| r["exception_id"] == debit)
        .expect("the write-off is in resolved.csv");
    assert_eq!(wo["decision"], "write_off");
    assert_eq!(wo["decided_by"], "Ana Controller");
    assert_eq!(wo["note"], "bank charge, agreed with the bank");
    assert_eq!(wo["decision_file_sha256"], sha);
    assert!(
        resolved
            .iter()
            .any(|r| r["exception_id"] == refund && r["decision"] == "refund_sent")
    );
    let stale: Vec<_> = exc2
        .iter()
        .filter(|e| e["code"] == "STALE_DECISION")
        .collect();
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert!(
        stale[0]["detail"].contains("999999") && stale[0]["detail"].contains("does not exist"),
        "{}",
        stale[0]["detail"]
    );
    assert!(
        stale[0]["detail"].contains(&bad),
        "the stale decision names the item"
    );
    assert_eq!(stale[0]["statement_file"], "exceptions.xlsx");
    // The undecided items keep their ids.
    for id in ids(&exc1) {
        if ![&ambiguous_line, &ambiguous_inv, &debit, &refund].contains(&&id) {
            assert!(open2.contains(&id), "{id} changed between the runs");
        }
    }

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run2.join("manifest.json")).unwrap())
            .unwrap();
    let d = &manifest["decisions"][0];
    assert_eq!(d["sha256"], sha.as_str());
    assert_eq!(d["decisions"], 5);
    assert_eq!(d["applied"], 4);
    assert_eq!(d["stale"], 1);
    let m1: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run1.join("manifest.json")).unwrap())
            .unwrap();
    assert_ne!(
        m1["run_id"], manifest["run_id"],
        "new decisions, new run id"
    );

    // The next month: November, nothing of October's decided items is asked again.
    let nov = tmp.path().join("nov.csv");
    std::fs::write(
        &nov,
        "Date,Description,Amount\n2026-11-03,INCOMING WIRE B/O NOBODY KNOWN REF XK-11,1234.56\n",
    )
    .unwrap();
    let run3 = tmp.path().join("run3");
    let carry = run2.join("open-items.json");
    let o = tieout(&[
        "reconcile",
        "--snapshot",
        "testdata/demo/api",
        "--statement",
        nov.to_str().unwrap(),
        "--sdn",
        "testdata/sdn-fictional",
        "--period",
        "2026-11",
        "--carry-forward",
        carry.to_str().unwrap(),
        "--out",
        run3.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let exc3 = read_csv(&run3.join("exceptions.csv"));
    for e in &exc3 {
        assert!(
            !["120", "167"].contains(&e["investment_id"].as_str()),
            "decided in October, asked again in November: {e:?}"
        );
        assert_ne!(e["code"], "STALE_DECISION", "{e:?}");
    }
    // The kept item is still open, under the same id, with its decision carried.
    assert!(ids(&exc3).contains(&kept), "{:?}", ids(&exc3));
    let rows = sheet(&run3.join("exceptions.xlsx"), "Reconciliation");
    let (ic, dc, bc) = (
        col(&rows, "Exception ID"),
        col(&rows, "Decision"),
        col(&rows, "Decided by"),
    );
    let row = rows.iter().find(|r| text(&r[ic]) == kept).unwrap();
    assert_eq!(text(&row[dc]), "keep_open");
    assert_eq!(text(&row[bc]), "Ana Controller");
    let open3: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run3.join("open-items.json")).unwrap())
            .unwrap();
    let carried = open3["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["exception_id"] == kept.as_str())
        .expect("the kept decision is carried again");
    assert_eq!(carried["history"][0]["period_end"], "2026-10-31");
}

#[test]
fn exception_ids_are_stable_across_runs_of_the_same_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    assert_eq!(demo_run(&a, &["--no-reports"]).status.code(), Some(1));
    assert_eq!(demo_run(&b, &["--no-reports"]).status.code(), Some(1));
    let ia = ids(&read_csv(&a.join("exceptions.csv")));
    let ib = ids(&read_csv(&b.join("exceptions.csv")));
    assert_eq!(ia, ib);
    assert_eq!(
        ia.len(),
        ia.iter().collect::<std::collections::BTreeSet<_>>().len(),
        "unique"
    );
    assert!(ia.iter().all(|i| i.starts_with("X-")));
}

#[test]
fn a_signoff_of_an_older_run_does_not_apply_to_a_newer_one() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    assert_eq!(demo_run(&run, &[]).status.code(), Some(1));
    let dir = run.to_str().unwrap();
    // A reviewer cannot sign before the preparer.
    let o = tieout(&[
        "signoff",
        "--run",
        dir,
        "--role",
        "reviewer",
        "--name",
        "Bo Reviewer",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = tieout(&[
        "signoff",
        "--run",
        dir,
        "--role",
        "preparer",
        "--name",
        "Ana Controller",
        "--note",
        "October close",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The preparer cannot review their own run.
    let o = tieout(&[
        "signoff",
        "--run",
        dir,
        "--role",
        "reviewer",
        "--name",
        "ana controller",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = tieout(&[
        "signoff",
        "--run",
        dir,
        "--role",
        "reviewer",
        "--name",
        "Bo Reviewer",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let read = |dir: &Path| -> (tieout_report::close::SignoffFile, String, String) {
        let s = serde_json::from_str(&std::fs::read_to_string(dir.join("signoff.json")).unwrap())
            .unwrap();
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap())
                .unwrap();
        (
            s,
            m["run_id"].as_str().unwrap().to_string(),
            sha256(&dir.join("manifest.json")),
        )
    };
    let (s1, run_id1, sha1) = read(&run);
    assert_eq!(s1.valid(&run_id1, &sha1).len(), 2, "prepared and reviewed");

    // New decisions regenerate the reports into the same folder: a new run.
    let decisions = tmp.path().join("d.csv");
    let first = read_csv(&run.join("exceptions.csv"))
        .into_iter()
        .find(|e| e["code"] == "UNMATCHED_DEBIT")
        .unwrap();
    std::fs::write(
        &decisions,
        format!(
            "exception_id,decision,match_investment_id,note,decided_by\n{},write_off,,bank fee,Ana Controller\n",
            first["exception_id"]
        ),
    )
    .unwrap();
    assert_eq!(
        demo_run(&run, &["--decisions", decisions.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
    let (s2, run_id2, sha2) = read(&run);
    assert_ne!(run_id1, run_id2);
    assert_eq!(
        s2.signoffs.len(),
        2,
        "the earlier sign-offs are kept, visibly"
    );
    assert!(
        s2.valid(&run_id2, &sha2).is_empty(),
        "and do not apply to the new run"
    );
    let lines = s2.lines(&run_id2, &sha2).join("\n");
    assert!(lines.contains("Prepared by: not signed off yet"), "{lines}");
    assert!(
        lines.contains(&format!(
            "No longer applies: Ana Controller signed as preparer on {}",
            s1.signoffs[0].signed_at
        )),
        "{lines}"
    );
    // A reviewer cannot sign the new run on the strength of the old preparer.
    let o = tieout(&[
        "signoff",
        "--run",
        dir,
        "--role",
        "reviewer",
        "--name",
        "Bo Reviewer",
    ]);
    assert_eq!(o.status.code(), Some(2));
    // A changed run folder cannot be signed.
    std::fs::write(run.join("matches.csv"), "tampered").unwrap();
    let o = tieout(&[
        "signoff",
        "--run",
        dir,
        "--role",
        "preparer",
        "--name",
        "Ana Controller",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("matches.csv differs"));
}
