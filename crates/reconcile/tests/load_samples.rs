//! The loaders against the real public sample files in /work/shared/samples (read in place,
//! never copied). Skips visibly when the folder is missing.

use std::path::{Path, PathBuf};

use tieout_reconcile::load::{BankProfile, LoadError, LoadOptions, load_payouts, load_statement};

/// Whether this run is CI (`CI=true`), where the samples folder is always present: a missing
/// folder is then a failure, never a silent pass.
fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

fn samples() -> Option<PathBuf> {
    let p = std::env::var("TIEOUT_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/samples"
            ))
        });
    if p.is_dir() {
        Some(p)
    } else {
        assert!(
            !on_ci(),
            "samples folder not found at {} (CI=true: CI always has ../shared/samples)",
            p.display()
        );
        eprintln!("SKIPPED: samples folder not found at {}", p.display());
        None
    }
}

fn profile(name: &str) -> LoadOptions {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../templates/bank-profiles")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    LoadOptions {
        profile: Some(BankProfile::from_toml_str(&text).unwrap()),
        ..Default::default()
    }
}

fn count_prefix(path: &Path, prefix: &str) -> usize {
    let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
    text.lines()
        .filter(|l| l.trim_start().starts_with(prefix))
        .count()
}

#[test]
fn bai2_valid_samples_load_every_detail_without_rejects() {
    let Some(s) = samples() else { return };
    for f in [
        "moov-sample1.txt",
        "moov-sample2.txt",
        "mojbai2-svb_us_example.bai2",
        "mojbai2-citi_example.bai2",
        "baizen-BAI-File-From-Bank.bai",
        "mojbai2-account_trailer_amount_blank_example.bai2",
    ] {
        let p = s.join("bai2").join(f);
        let l = load_statement(&p, &LoadOptions::default()).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(l.rejects.is_empty(), "{f}: {:?}", l.rejects);
        assert_eq!(l.lines.len(), count_prefix(&p, "16,"), "{f}");
        for (i, line) in l.lines.iter().enumerate() {
            assert_eq!(line.statement_row as usize, i + 1, "{f}");
            assert_eq!(line.file, f);
            assert!(
                line.amount_cents != 0 || f == "moov-sample2.txt",
                "{f}: {line:?}"
            );
            assert!(line.raw.starts_with("16,"), "{f}");
        }
    }
}

#[test]
fn bai2_sample_specifics() {
    let Some(s) = samples() else { return };
    // Continuations (88) are joined into the detail text; funds type V gives the value date.
    let l = load_statement(
        &s.join("bai2/mojbai2-citi_example.bai2"),
        &LoadOptions::default(),
    )
    .unwrap();
    let x = &l.lines[0];
    assert!(
        x.description
            .starts_with("FR:FP SIP INCOMING ENDT:20150715"),
        "{}",
        x.description
    );
    assert!(x.description.ends_with("BO1:DOE JO"));
    assert_eq!(x.bank_ref.as_deref(), Some("1234567890"));
    assert_eq!(x.end_to_end_ref.as_deref(), Some("RP12312312312312"));
    assert_eq!(
        x.value_date.map(|d| d.to_string()).as_deref(),
        Some("2015-07-15")
    );
    assert_eq!(x.currency.as_deref(), Some("GBP"));
    assert_eq!(x.raw.lines().count(), 8);
    // The Citi file states opening 100.00 and closing 100.00 around a 0.01 credit: a real break.
    let breaks = l.balance_breaks();
    assert_eq!(breaks.len(), 1);
    assert_eq!(
        breaks[0].computed_closing_cents,
        breaks[0].opening_cents + x.amount_cents
    );

    // SVB: two groups (two days) for one account, each with 010/015 that tie.
    let l = load_statement(
        &s.join("bai2/mojbai2-svb_us_example.bai2"),
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(l.balances.len(), 2);
    assert_eq!(l.balance_rows, vec![(1, 2), (2, 3)]);
    assert!(l.balance_breaks().is_empty(), "{:?}", l.balance_breaks());
    assert_eq!(l.balances[0].closing_cents, l.balances[1].opening_cents);

    // Type codes give the direction: 409 debits and 108 credits in moov-sample1.
    let l = load_statement(&s.join("bai2/moov-sample1.txt"), &LoadOptions::default()).unwrap();
    for x in &l.lines {
        let code: u32 = x.type_code.as_deref().unwrap().parse().unwrap();
        assert_eq!(x.amount_cents > 0, code < 400, "{x:?}");
        assert_eq!(x.currency.as_deref(), Some("CAD"));
    }
}

#[test]
fn bai2_sample4_loads_all_details_and_flags_its_inconsistent_trailers() {
    let Some(s) = samples() else { return };
    let p = s.join("bai2/moov-sample4-continuations-newline-delimited.txt");
    let l = load_statement(&p, &LoadOptions::default()).unwrap();
    assert_eq!(l.lines.len(), count_prefix(&p, "16,"));
    // Every record parses: no rejects. Its 49/98/99 trailers do not agree with its records
    // (upstream data); every such disagreement is a control break naming the trailer record.
    assert!(l.rejects.is_empty(), "{:?}", l.rejects);
    assert!(!l.control_breaks.is_empty());
    for r in &l.control_breaks {
        let col = r.column.as_deref().unwrap();
        assert!(
            col.starts_with("49 ") || col.starts_with("98 ") || col.starts_with("99 "),
            "{r:?}"
        );
        assert!(r.raw.starts_with(&col[..2]), "{r:?}");
    }
    let r = l
        .control_breaks
        .iter()
        .find(|r| r.column.as_deref() == Some("49 account control total"))
        .unwrap();
    assert_eq!(r.row, 22);
    assert!(
        r.reason.starts_with("BALANCE: account 107049932"),
        "{}",
        r.reason
    );
    // Free text with commas survives; KEY: value continuation lines are appended.
    let x = l
        .lines
        .iter()
        .find(|x| x.bank_ref.as_deref() == Some("GI2321400000090"))
        .unwrap();
    assert_eq!(x.amount_cents, -50_500);
    assert!(
        x.description
            .contains("Settled Amt: EUR 322.00, FX Rate: 156.833677 REMI: QWERTIOP"),
        "{}",
        x.description
    );
}

#[test]
fn bai2_malformed_sample_is_a_typed_error() {
    let Some(s) = samples() else { return };
    let e = load_statement(
        &s.join("bai2/moov-sample-parseError.txt"),
        &LoadOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, LoadError::Bai2 { line: 1, .. }), "{e:?}");
    let m = e.to_string();
    assert!(
        m.starts_with("moov-sample-parseError.txt: line 1: not a valid BAI2 file"),
        "{m}"
    );
    assert!(m.contains("code `00`, expected `01`"), "{m}");
}

#[test]
fn camt_valid_samples_load_without_rejects() {
    let Some(s) = samples() else { return };
    for f in [
        "newinnovations-test-camt053.xml",
        "newinnovations-error-camt053.xml",
        "oca-test-camt053.xml",
        "genkgo-camt053.v8.xml",
        "oca-test-camt053-multi-currency.xml",
        "genkgo-camt053.v2.multi.statement.xml",
        "subite-LT-2024-03-07.xml",
        "newinnovations-example-camt053-b.xml",
    ] {
        let p = s.join("camt053").join(f);
        let l = load_statement(&p, &LoadOptions::default()).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(l.rejects.is_empty(), "{f}: {:?}", l.rejects);
        let entries = count_prefix(&p, "<Ntry>")
            + std::fs::read_to_string(&p)
                .unwrap()
                .matches("<Ntry>")
                .count()
            - count_prefix(&p, "<Ntry>");
        assert!(
            l.lines.len() >= entries,
            "{f}: {} lines for {entries} entries",
            l.lines.len()
        );
        assert!(l.lines.iter().all(|x| x.raw.starts_with("<Ntry>")), "{f}");
    }
}

#[test]
fn camt_balances_reversals_and_batches() {
    let Some(s) = samples() else { return };
    let o = LoadOptions::default();
    // Consistent statement ties; the deliberately broken copy (CLBD 900.00) breaks by 50.00.
    let good = load_statement(&s.join("camt053/newinnovations-test-camt053.xml"), &o).unwrap();
    assert_eq!(good.balances.len(), 1);
    assert!(good.balance_breaks().is_empty());
    let bad = load_statement(&s.join("camt053/newinnovations-error-camt053.xml"), &o).unwrap();
    let b = bad.balance_breaks();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].stated_closing_cents, 90_000);
    assert_eq!(b[0].computed_closing_cents, good.balances[0].closing_cents);
    assert_eq!(b[0].file, "newinnovations-error-camt053.xml");

    // Goldman Sachs sample: 5 reversals; opening + entries ties to closing only when the sign
    // follows CdtDbtInd (the documented semantics).
    let gs = load_statement(&s.join("camt053/newinnovations-example-camt053-b.xml"), &o).unwrap();
    assert_eq!(
        gs.lines
            .iter()
            .filter(|x| x.description.starts_with("REVERSAL:"))
            .count(),
        5
    );
    assert!(gs.balance_breaks().is_empty(), "{:?}", gs.balance_breaks());
    assert!(gs.balances[0].opening_cents < 0, "DBIT balance is negative");

    // ABN AMRO sample: the reversed batch entry (2 TxDtls) expands into two lines that keep
    // the entry, with amounts from AmtDtls/TxAmt.
    let abn = load_statement(&s.join("camt053/oca-test-camt053.xml"), &o).unwrap();
    let batch: Vec<_> = abn.lines.iter().filter(|x| x.entry_ref.is_some()).collect();
    assert_eq!(batch.len(), 2);
    assert_eq!(batch[0].entry_ref, batch[1].entry_ref);
    assert_eq!(batch.iter().map(|x| x.amount_cents).sum::<i64>(), -66_405);
    assert_eq!(abn.lines.len(), 4);

    // Two statements in one document → two balances, each over its own lines.
    let multi =
        load_statement(&s.join("camt053/genkgo-camt053.v2.multi.statement.xml"), &o).unwrap();
    assert_eq!(multi.balances.len(), 2);
    assert_eq!(multi.balance_rows, vec![(1, 2), (2, 3)]);
    assert!(multi.balance_breaks().is_empty());

    // v08 party shape Dbtr/Pty/Nm.
    let v8 = load_statement(&s.join("camt053/genkgo-camt053.v8.xml"), &o).unwrap();
    assert!(v8.lines[0].counterparty.is_some());
    // Opening in EUR, closing in SEK: not a roll-forward, so no stated balance.
    assert!(v8.balances.is_empty());

    // Minified v08 without BookgDt/Sts: dated from the statement's closing balance.
    let lt = load_statement(&s.join("camt053/subite-LT-2024-03-07.xml"), &o).unwrap();
    assert!(
        lt.lines
            .iter()
            .all(|x| x.booking_date.to_string() == "2024-03-07")
    );
    assert!(lt.balance_breaks().is_empty(), "{:?}", lt.balance_breaks());
}

#[test]
fn csv_header_below_preamble_loads_auto_and_with_the_example_profile() {
    let Some(s) = samples() else { return };
    let p = s.join("csv/reckon-invalid_header_example.csv");
    let auto = load_statement(&p, &LoadOptions::default()).unwrap();
    assert!(auto.rejects.is_empty(), "{:?}", auto.rejects);
    assert_eq!(auto.lines.len(), 2);
    assert_eq!(auto.lines[0].amount_cents, 5_000);
    assert_eq!(auto.lines[1].amount_cents, -810);
    assert_eq!(auto.lines[0].booking_date.to_string(), "2016-02-19");
    assert_eq!(auto.lines[0].currency.as_deref(), Some("EUR"));
    let prof = load_statement(&p, &profile("example.toml")).unwrap();
    assert_eq!(
        prof.lines
            .iter()
            .map(|x| x.amount_cents)
            .collect::<Vec<_>>(),
        auto.lines
            .iter()
            .map(|x| x.amount_cents)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        prof.lines[0].counterparty.as_deref(),
        Some("VIR RECU 508160")
    );
    assert!(
        prof.lines[0]
            .description
            .starts_with("VIR RECU 1234567834S DE: Francois")
    );
}

#[test]
fn csv_headerless_samples_load_without_a_profile_as_with_one() {
    let Some(s) = samples() else { return };
    for (f, prof) in [
        ("reckon-chase.csv", "chase-legacy.toml"),
        ("reckon-danish_kroner_nordea_example.csv", "nordea-dk.toml"),
        ("reckon-suntrust.csv", "suntrust.toml"),
    ] {
        let p = s.join("csv").join(f);
        // No header row: the columns are placed by their content, and the notes say so.
        let auto =
            load_statement(&p, &LoadOptions::default()).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(auto.rejects.is_empty(), "{f}: {:?}", auto.rejects);
        assert!(
            auto.notes.iter().any(|n| n.contains("no header row")),
            "{f}: {:?}",
            auto.notes
        );
        let l = load_statement(&p, &profile(prof)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(l.rejects.is_empty(), "{f}: {:?}", l.rejects);
        let physical = std::fs::read_to_string(&p)
            .unwrap()
            .lines()
            .filter(|x| !x.trim().is_empty())
            .count();
        assert_eq!(l.lines.len(), physical, "{f}");
        let key = |x: &tieout_reconcile::StatementLine| {
            (
                x.statement_row,
                x.booking_date,
                x.value_date,
                x.amount_cents,
                x.description.clone(),
            )
        };
        assert_eq!(
            auto.lines.iter().map(key).collect::<Vec<_>>(),
            l.lines.iter().map(key).collect::<Vec<_>>(),
            "{f}"
        );
        assert_eq!(auto.balances, l.balances, "{f}");
    }
    let nordea = load_statement(
        &s.join("csv/reckon-danish_kroner_nordea_example.csv"),
        &profile("nordea-dk.toml"),
    )
    .unwrap();
    assert_eq!(nordea.lines[0].amount_cents, -4_800);
    assert_eq!(nordea.lines[0].booking_date.to_string(), "2012-11-16");
    assert_eq!(
        nordea.lines[2].value_date.map(|d| d.to_string()).as_deref(),
        Some("2012-10-23")
    );
    let chase = load_statement(
        &s.join("csv/reckon-chase.csv"),
        &profile("chase-legacy.toml"),
    )
    .unwrap();
    assert_eq!(chase.lines[0].booking_date.to_string(), "2009-12-24");
    assert_eq!(chase.lines[0].type_code.as_deref(), Some("DEBIT"));
    // SunTrust: withdrawal/deposit columns with 0 placeholders; the running balance ties.
    let st = load_statement(
        &s.join("csv/reckon-suntrust.csv"),
        &profile("suntrust.toml"),
    )
    .unwrap();
    assert_eq!(st.lines[0].amount_cents, 50_000);
    assert_eq!(st.lines[1].amount_cents, -10_000);
    assert_eq!(st.balances.len(), 1);
    assert_eq!(st.balances[0].opening_cents, 0);
    assert!(st.balance_breaks().is_empty(), "{:?}", st.balance_breaks());
}

#[test]
fn csv_two_money_columns_and_multiline_fields_with_inline_profiles() {
    let Some(s) = samples() else { return };
    let two = BankProfile::from_toml_str(
        "header_row = 0\n[columns]\n\"#1\" = \"booking_date\"\n\"#2\" = \"description\"\n\"#3\" = \"reference\"\n\"#4\" = \"debit\"\n\"#5\" = \"credit\"\n\"#6\" = \"balance\"\n",
    )
    .unwrap();
    let l = load_statement(
        &s.join("csv/reckon-two_money_columns.csv"),
        &LoadOptions {
            profile: Some(two),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(l.rejects.is_empty(), "{:?}", l.rejects);
    assert_eq!(
        l.lines.iter().map(|x| x.amount_cents).collect::<Vec<_>>(),
        [-7_600, 32_749, -80_000, -8_855, 8_855]
    );
    assert_eq!(l.lines[0].booking_date.to_string(), "2008-04-01");

    // Venmo fragment: the second record is a summary row with a quoted multi-line field and no
    // date — it is rejected with its row and the whole multi-line raw text, not dropped.
    let mut venmo = String::from(
        "header_row = 0\n[columns]\n\"#2\" = \"reference\"\n\"#3\" = \"booking_date\"\n\"#4\" = \"type\"\n\"#8\" = \"counterparty\"\n\"#9\" = \"amount\"\n",
    );
    for c in 10..=22 {
        venmo.push_str(&format!("\"#{c}\" = \"ignore\"\n"));
    }
    let p = s.join("csv/reckon-multi-line-field.csv");
    let unsure = load_statement(
        &p,
        &LoadOptions {
            profile: Some(
                BankProfile::from_toml_str(
                    "header_row = 0\n[columns]\n\"#3\" = \"booking_date\"\n\"#9\" = \"amount\"\n",
                )
                .unwrap(),
            ),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(unsure, LoadError::UnsureColumns { .. }),
        "{unsure:?}"
    );
    let l = load_statement(
        &p,
        &LoadOptions {
            profile: Some(BankProfile::from_toml_str(&venmo).unwrap()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(l.lines.len(), 1);
    assert_eq!(l.lines[0].amount_cents, -2_159);
    assert_eq!(l.lines[0].counterparty.as_deref(), Some("Lyft, Inc"));
    assert_eq!(l.rejects.len(), 1);
    assert_eq!(l.rejects[0].row, 2);
    assert_eq!(l.rejects[0].column.as_deref(), Some("#3"));
    assert!(
        l.rejects[0].reason.contains("date is empty"),
        "{}",
        l.rejects[0].reason
    );
    assert!(l.rejects[0].raw.contains("This is a multi-line string"));
}

#[test]
fn processor_exports() {
    let Some(s) = samples() else { return };
    let p = load_payouts(&s.join("csv/processor/hledger-stripe.csv")).unwrap();
    assert!(p.rejects.is_empty());
    assert_eq!(p.items.len(), 2);
    assert_eq!(p.items[0].gross_cents, 1_200);
    assert_eq!(p.items[1].net_cents, -77);
    assert_eq!(p.items[1].reporting_category, "refund");
    assert_eq!(
        p.items[0].created.map(|d| d.to_string()).as_deref(),
        Some("2020-01-23")
    );
    for (f, who) in [
        ("oca-adyen-settlement_detail_report_batch_380.csv", "Adyen"),
        ("reckon-paypal-bom_utf8.csv", "PayPal"),
    ] {
        let e = load_payouts(&s.join("csv/processor").join(f)).unwrap_err();
        let m = e.to_string();
        assert!(
            m.starts_with(&format!("{f}: unsupported payout layout")),
            "{m}"
        );
        assert!(m.contains(who) && m.contains("reporting_category"), "{m}");
        let LoadError::UnsupportedPayoutLayout { missing, .. } = e else {
            panic!()
        };
        assert!(missing.contains(&"reporting_category".to_string()));
    }
}

#[test]
fn ofx_samples() {
    let Some(s) = samples() else { return };
    for f in [
        "ofxparse-checking.ofx",
        "ofxparse-bank_medium.ofx",
        "ofxparse-multiple_accounts2.ofx",
        "ofxparse-suncorp.ofx",
        "asgrim-ofxdata-memoWithAmpersand.ofx",
    ] {
        let p = s.join("ofx").join(f);
        let l = load_statement(&p, &LoadOptions::default()).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(l.rejects.is_empty(), "{f}: {:?}", l.rejects);
        let n = std::fs::read_to_string(&p)
            .unwrap()
            .matches("<STMTTRN>")
            .count();
        assert_eq!(l.lines.len(), n, "{f}");
        assert!(
            l.lines
                .iter()
                .all(|x| x.bank_ref.is_some() && x.format == tieout_reconcile::SourceFormat::Ofx),
            "{f}"
        );
    }
    let amp = load_statement(
        &s.join("ofx/asgrim-ofxdata-memoWithAmpersand.ofx"),
        &LoadOptions::default(),
    )
    .unwrap();
    assert!(amp.lines.iter().any(|x| x.description.contains('&')));
    assert!(
        amp.lines.iter().any(|x| x.amount_cents == -3_330),
        "-33.3 is 33.30"
    );
    let sun = load_statement(&s.join("ofx/ofxparse-suncorp.ofx"), &LoadOptions::default()).unwrap();
    assert_eq!(
        sun.lines[0].counterparty.as_deref(),
        Some("EFTPOS WDL HANDYWAY ALDI STORE")
    );
    assert_eq!(sun.lines[0].amount_cents, -1_685);
    // Malformed: `$120` amount and a 20th month.
    let bad = load_statement(
        &s.join("ofx/ofxparse-fail_decimal_error.ofx"),
        &LoadOptions::default(),
    )
    .unwrap();
    assert!(bad.lines.is_empty());
    assert_eq!(bad.rejects.len(), 1);
    let r = &bad.rejects[0];
    assert_eq!(r.file, "ofxparse-fail_decimal_error.ofx");
    assert_eq!(r.column.as_deref(), Some("DTPOSTED"));
    assert!(r.reason.contains("201120000000"), "{}", r.reason);
    assert_eq!(r.row, 34);
    assert!(r.raw.contains("$120"));
}
