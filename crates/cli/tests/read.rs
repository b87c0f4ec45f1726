//! `tieout read` over every bank statement sample in `shared/samples` (read in place; override
//! the folder with `TIEOUT_SAMPLES`; missing samples skip visibly), and over shapes written
//! here. The expected counts, sums, signs, dates and currencies were worked out from the files
//! against their formats' rules, not taken from the program:
//! - BAI2: one line per 16 record (88 continuations joined); type codes 100–399 credit,
//!   400–699 debit; amounts in minor units; the group's (02) as-of date; the 03 account's
//!   currency, else the 02 group's, else USD (BAI2's default); a balance only where an 03
//!   states both 010 (opening) and 015 (closing).
//! - camt.053: one line per booked `Ntry` (a batch whose `TxDtls` amounts add up to the entry
//!   is one line per transaction); `CdtDbtInd` gives the sign; `Amt@Ccy`; `BookgDt`, else the
//!   closing balance's date; OPBD/CLBD balances.
//! - OFX: one line per `STMTTRN`, `TRNAMT` signed, `CURDEF`, `DTPOSTED`.
//! - CSV: by hand, row by row (noted per file).
//!
//! Processor exports (`csv/processor/`) are payout reports read by `reconcile --payouts`, not
//! statements, and OFAC files are not bank files: neither is read here.

use std::path::{Path, PathBuf};
use std::process::Command;

fn samples() -> Option<PathBuf> {
    let p = std::env::var("TIEOUT_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/samples"
            ))
        });
    if p.join("bai2").is_dir() {
        Some(p)
    } else {
        eprintln!("SKIPPED: samples folder not found at {}", p.display());
        None
    }
}

/// `tieout read` on `files`; (exit code, stdout, stderr).
fn read(files: &[&Path], out: &Path, extra: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_tieout"))
        .arg("--quiet")
        .arg("read")
        .args(files)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// `-47.29` → -4729, checking the form: an optional minus, digits, a dot, two digits.
fn cents(s: &str) -> i64 {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let (units, frac) = body.split_once('.').unwrap_or_else(|| panic!("`{s}`"));
    assert!(
        frac.len() == 2 && units.bytes().all(|b| b.is_ascii_digit()) && !units.is_empty(),
        "`{s}` is not a signed decimal with two places"
    );
    let c = units.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap();
    if neg { -c } else { c }
}

/// What one file must read as.
struct Want {
    file: &'static str,
    exit: i32,
    lines: usize,
    credits: (usize, i64),
    debits: (usize, i64),
    currencies: &'static [&'static str],
    dates: Option<(&'static str, &'static str)>,
    /// `ties` of each balances.csv row.
    balances: &'static [&'static str],
}

const WANT: &[Want] = &[
    // BAI2
    Want {
        // 9 lockbox deposits (175), 2 ACH debits (451) and a returned check (555).
        file: "bai2/baizen-BAI-File-From-Bank.bai",
        exit: 0,
        lines: 12,
        credits: (9, 1_652_785),
        debits: (3, -1_901_945),
        currencies: &["USD"],
        dates: Some(("2005-10-22", "2005-10-22")),
        balances: &[], // the 03 records state 015 but no 010
    },
    Want {
        file: "bai2/mojbai2-account_trailer_amount_blank_example.bai2",
        exit: 0,
        lines: 0,
        credits: (0, 0),
        debits: (0, 0),
        currencies: &[],
        dates: None,
        balances: &[],
    },
    Want {
        // One 191 credit of 001 minor units (GBP 0.01) against 010 = 015 = 10000: the file
        // states a balance that does not move while a penny arrives.
        file: "bai2/mojbai2-citi_example.bai2",
        exit: 1,
        lines: 1,
        credits: (1, 1),
        debits: (0, 0),
        currencies: &["GBP"],
        dates: Some(("2015-07-15", "2015-07-15")),
        balances: &["no"],
    },
    Want {
        file: "bai2/mojbai2-svb_us_example.bai2",
        exit: 0,
        lines: 2,
        credits: (2, 490_196 + 905_800),
        debits: (0, 0),
        currencies: &["USD"],
        dates: Some(("2022-02-01", "2022-02-02")),
        balances: &["yes", "yes"],
    },
    Want {
        file: "bai2/moov-sample1.txt",
        exit: 0,
        lines: 17,
        credits: (5, 320_000),
        debits: (12, -320_000),
        currencies: &["CAD"],
        dates: Some(("2006-03-17", "2006-03-17")),
        balances: &[],
    },
    Want {
        // No currency in any 02 or 03 record: USD, BAI2's default.
        file: "bai2/moov-sample2.txt",
        exit: 0,
        lines: 4,
        credits: (4, 450_000 + 500_000 + 20_000_000 + 10_000_000),
        debits: (0, 0),
        currencies: &["USD"],
        dates: Some(("2004-06-20", "2004-06-20")),
        balances: &[],
    },
    Want {
        // Its 49 trailers disagree with its records, and account 104108339's 010/015 do not
        // roll by its details: exit 1.
        file: "bai2/moov-sample4-continuations-newline-delimited.txt",
        exit: 1,
        lines: 17,
        credits: (9, 600_731),
        debits: (8, -31_349_055),
        currencies: &["USD"],
        dates: Some(("2023-09-06", "2023-09-06")),
        balances: &["no"],
    },
    // camt.053
    Want {
        file: "camt053/genkgo-camt053.v2.multi.statement.xml",
        exit: 0,
        lines: 2,
        credits: (1, 885),
        debits: (1, -700),
        currencies: &["EUR"],
        dates: Some(("2014-12-31", "2014-12-31")),
        balances: &["yes", "yes"],
    },
    Want {
        // Opening in EUR, closing in SEK: no roll-forward to check.
        file: "camt053/genkgo-camt053.v8.xml",
        exit: 0,
        lines: 1,
        credits: (1, 885),
        debits: (0, 0),
        currencies: &["EUR"],
        dates: Some(("2014-12-31", "2014-12-31")),
        balances: &[],
    },
    Want {
        // 1,000.00 + 50.00 − 100.00 = 950.00, but CLBD says 900.00.
        file: "camt053/newinnovations-error-camt053.xml",
        exit: 1,
        lines: 2,
        credits: (1, 5_000),
        debits: (1, -10_000),
        currencies: &["EUR"],
        dates: Some(("2026-03-05", "2026-04-10")),
        balances: &["no"],
    },
    Want {
        // A USD account with one entry whose Amt says EUR 29.06 (its USD 25.00 is the
        // instructed amount): the line is in EUR, as the file states.
        file: "camt053/newinnovations-example-camt053-b.xml",
        exit: 0,
        lines: 19,
        credits: (13, 14_553),
        debits: (6, -7_006),
        currencies: &["EUR", "USD"],
        dates: Some(("2025-12-06", "2026-04-22")),
        balances: &["yes"],
    },
    Want {
        file: "camt053/newinnovations-test-camt053.xml",
        exit: 0,
        lines: 2,
        credits: (1, 5_000),
        debits: (1, -10_000),
        currencies: &["EUR"],
        dates: Some(("2026-03-05", "2026-04-10")),
        balances: &["yes"],
    },
    Want {
        file: "camt053/oca-test-camt053-multi-currency.xml",
        exit: 0,
        lines: 2,
        credits: (1, 13_400),
        debits: (1, -57_921),
        currencies: &["CHF"],
        dates: Some(("2021-09-14", "2021-09-14")),
        balances: &["yes"],
    },
    Want {
        // The 664.05 debit batch splits into 564.05 + 100.00. 15,568.27 − 754.25 − 664.05 +
        // 1,405.31 = 15,555.28, but CLBD says 15,121.12.
        file: "camt053/oca-test-camt053.xml",
        exit: 1,
        lines: 4,
        credits: (1, 140_531),
        debits: (3, -(75_425 + 56_405 + 10_000)),
        currencies: &["EUR"],
        dates: Some(("2014-01-05", "2014-01-05")),
        balances: &["no"],
    },
    Want {
        // No BookgDt: dated from the closing balance. A second statement with no entries.
        file: "camt053/subite-LT-2024-03-07.xml",
        exit: 0,
        lines: 3,
        credits: (1, 82_853_198),
        debits: (2, -579_417),
        currencies: &["EUR"],
        dates: Some(("2024-03-07", "2024-03-07")),
        balances: &["yes", "yes"],
    },
    // OFX
    Want {
        file: "ofx/asgrim-ofxdata-memoWithAmpersand.ofx",
        exit: 0,
        lines: 16,
        credits: (3, 112_787),
        debits: (13, -73_405),
        currencies: &["BRL"],
        dates: Some(("2018-09-13", "2018-10-05")),
        balances: &[],
    },
    Want {
        file: "ofx/ofxparse-bank_medium.ofx",
        exit: 0,
        lines: 3,
        credits: (0, 0),
        debits: (3, -34_527),
        currencies: &["CAD"],
        dates: Some(("2009-04-01", "2009-04-03")),
        balances: &[],
    },
    Want {
        file: "ofx/ofxparse-checking.ofx",
        exit: 0,
        lines: 3,
        credits: (1, 1),
        debits: (2, -(3_451 + 2_500)),
        currencies: &["USD"],
        dates: Some(("2011-03-31", "2011-04-07")),
        balances: &[],
    },
    Want {
        // `$120` and a 20th month: one rejected transaction.
        file: "ofx/ofxparse-fail_decimal_error.ofx",
        exit: 1,
        lines: 0,
        credits: (0, 0),
        debits: (0, 0),
        currencies: &[],
        dates: None,
        balances: &[],
    },
    Want {
        file: "ofx/ofxparse-multiple_accounts2.ofx",
        exit: 0,
        lines: 0,
        credits: (0, 0),
        debits: (0, 0),
        currencies: &[],
        dates: None,
        balances: &[],
    },
    Want {
        file: "ofx/ofxparse-suncorp.ofx",
        exit: 0,
        lines: 1,
        credits: (0, 0),
        debits: (1, -1_685),
        currencies: &["AUD"],
        dates: Some(("2013-12-15", "2013-12-15")),
        balances: &[],
    },
    // CSV
    Want {
        // No header: type, OFX-style date, text, signed amount. Credits 3,520.00 + 1,558.52 +
        // 2,105.00; debits 85.00 + 20.00 + 7.00 + 12.23 + 20.96 + 116.22 (a CREDIT-typed
        // transfer written −116.22). No currency anywhere: USD, said in the summary.
        file: "csv/reckon-chase.csv",
        exit: 0,
        lines: 9,
        credits: (3, 718_352),
        debits: (6, -26_141),
        currencies: &["USD"],
        dates: Some(("2009-12-10", "2009-12-24")),
        balances: &[],
    },
    Want {
        // No header, `;`, DD-MM-YYYY, decimal comma: 497,90 in; 48 + 79 + 995 + 3,452.90 + 655
        // out. The running balance of this excerpt does not roll (rows are missing): exit 1.
        file: "csv/reckon-danish_kroner_nordea_example.csv",
        exit: 1,
        lines: 6,
        credits: (1, 49_790),
        debits: (5, -522_990),
        currencies: &["USD"],
        dates: Some(("2012-08-27", "2012-11-16")),
        balances: &["no"],
    },
    Want {
        file: "csv/reckon-invalid_header_example.csv",
        exit: 0,
        lines: 2,
        credits: (1, 5_000),
        debits: (1, -810),
        currencies: &["EUR"],
        dates: Some(("2016-02-18", "2016-02-19")),
        balances: &[],
    },
    Want {
        // Withdrawal/deposit with 0 placeholders; balance 0 → 700 = 1,200 in − 500 out.
        file: "csv/reckon-suntrust.csv",
        exit: 0,
        lines: 7,
        credits: (2, 120_000),
        debits: (5, -50_000),
        currencies: &["USD"],
        dates: Some(("2014-11-01", "2014-11-17")),
        balances: &["yes"],
    },
    Want {
        // −$76.00 / +$327.49 columns: in 327.49 + 88.55, out 76.00 + 800.00 + 88.55. Its
        // balance column moves 200.00 where a line says 800.00: does not tie.
        file: "csv/reckon-two_money_columns.csv",
        exit: 1,
        lines: 5,
        credits: (2, 41_604),
        debits: (3, -96_455),
        currencies: &["USD"],
        dates: Some(("2008-03-26", "2008-04-01")),
        balances: &["no"],
    },
];

#[test]
fn every_statement_sample_reads_as_its_format_says() {
    let Some(s) = samples() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (k, w) in WANT.iter().enumerate() {
        let out = tmp.path().join(format!("out{k}"));
        let (code, stdout, stderr) = read(&[&s.join(w.file)], &out, &[]);
        let (header, lines) = csv_rows(&out.join("lines.csv"));
        assert_eq!(
            header.join(","),
            "file,row,format,account,currency,booking_date,value_date,amount,bank_ref,end_to_end_ref,counterparty,type_code,description"
        );
        let amounts: Vec<i64> = lines.iter().map(|r| cents(&r[7])).collect();
        let credits: Vec<i64> = amounts.iter().copied().filter(|a| *a > 0).collect();
        let debits: Vec<i64> = amounts.iter().copied().filter(|a| *a < 0).collect();
        let mut ccys: Vec<&str> = lines.iter().map(|r| r[4].as_str()).collect();
        ccys.sort_unstable();
        ccys.dedup();
        let mut dates: Vec<&str> = lines.iter().map(|r| r[5].as_str()).collect();
        dates.sort_unstable();
        let span = dates.first().map(|f| (*f, *dates.last().unwrap()));
        let (_, bals) = csv_rows(&out.join("balances.csv"));
        let ties: Vec<&str> = bals.iter().map(|r| r[10].as_str()).collect();
        let got = (
            code,
            lines.len(),
            (credits.len(), credits.iter().sum::<i64>()),
            (debits.len(), debits.iter().sum::<i64>()),
            ccys.clone(),
            span,
            ties.clone(),
        );
        let want = (
            w.exit,
            w.lines,
            w.credits,
            w.debits,
            w.currencies.to_vec(),
            w.dates,
            w.balances.to_vec(),
        );
        if got != want {
            failures.push(format!(
                "{}:\n  got  {got:?}\n  want {want:?}\n{stdout}{stderr}",
                w.file
            ));
        }
        // Every line names its file and format; ISO dates; balances show their arithmetic.
        let name = Path::new(w.file).file_name().unwrap().to_str().unwrap();
        for r in &lines {
            assert_eq!(r[0], name);
            assert!(r[5].len() == 10 && r[5].as_bytes()[4] == b'-', "{r:?}");
            assert!(r[6].is_empty() || r[6].len() == 10, "{r:?}");
        }
        for b in &bals {
            let c = |i: usize| cents(&b[i]);
            assert_eq!(c(4) + c(5) - c(6), c(7), "{b:?}");
            assert_eq!(c(8) - c(7), c(9), "{b:?}");
            assert_eq!(b[10] == "yes", c(9) == 0, "{b:?}");
        }
        assert!(stdout.contains(name), "{stdout}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_refused_file_exits_2_naming_file_line_and_reason_and_writes_nothing() {
    let Some(s) = samples() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, _, stderr) = read(&[&s.join("bai2/moov-sample-parseError.txt")], &out, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("moov-sample-parseError.txt: line 1: not a valid BAI2 file"),
        "{stderr}"
    );
    assert!(!out.exists());
    // The Venmo fragment (a summary row below the transaction, four money columns): its
    // layout cannot be placed without a profile, and the message says what to map.
    let (code, _, stderr) = read(&[&s.join("csv/reckon-multi-line-field.csv")], &out, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("reckon-multi-line-field.csv") && stderr.contains("bank profile"),
        "{stderr}"
    );
    // With a profile (as `reconcile --bank-profile` takes it): one line, one rejected row.
    let prof = tmp.path().join("venmo.toml");
    let mut text = String::from(
        "header_row = 0\n[columns]\n\"#2\" = \"reference\"\n\"#3\" = \"booking_date\"\n\"#4\" = \"type\"\n\"#8\" = \"counterparty\"\n\"#9\" = \"amount\"\n",
    );
    for c in 10..=22 {
        text.push_str(&format!("\"#{c}\" = \"ignore\"\n"));
    }
    std::fs::write(&prof, text).unwrap();
    let (code, stdout, stderr) = read(
        &[&s.join("csv/reckon-multi-line-field.csv")],
        &out,
        &["--bank-profile", prof.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    let (_, lines) = csv_rows(&out.join("lines.csv"));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0][7], "-21.59");
    assert_eq!(lines[0][10], "Lyft, Inc");
    let (_, rejects) = csv_rows(&out.join("rejects.csv"));
    assert_eq!(rejects.len(), 1);
}

#[test]
fn shapes_from_real_files_read_without_a_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let w = |name: &str, bytes: &[u8]| {
        let p = tmp.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    // camt.053 debit written with a negative amount, and a currency from the account.
    let camt = w(
        "neg.xml",
        br#"<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Id>1</Id><Acct><Id><IBAN>AT611904300234573201</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-10-01</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">52.71</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-10-31</Dt></Dt></Bal>
<Ntry><Amt>-47.29</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-10-02</Dt></BookgDt><AcctSvcrRef>X1</AcctSvcrRef></Ntry>
</Stmt></BkToCstmrStmt></Document>"#,
    );
    // BAI2 with records packed on physical lines.
    let bai = w(
        "packed.bai",
        b"01,SENDER,RECV,261003,0800,1,,,2/\n02,RECV,BANK,1,261002,2400,USD,2/03,123,USD,010,100000,,,015,100800,,/\n16,195,700,0,B1,C1/16,495,200,0,B2,C2/\n16,195,300,0,B3,/49,202000,5/\n98,202000,1,7/99,202000,1,9/\n",
    );
    let out = tmp.path().join("out");
    let (code, stdout, stderr) = read(&[&camt, &bai], &out, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (_, lines) = csv_rows(&out.join("lines.csv"));
    let got: Vec<(&str, &str, &str, &str)> = lines
        .iter()
        .map(|r| (r[0].as_str(), r[4].as_str(), r[5].as_str(), r[7].as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("neg.xml", "EUR", "2026-10-02", "-47.29"),
            ("packed.bai", "USD", "2026-10-02", "7.00"),
            ("packed.bai", "USD", "2026-10-02", "-2.00"),
            ("packed.bai", "USD", "2026-10-02", "3.00"),
        ]
    );
    let (_, bals) = csv_rows(&out.join("balances.csv"));
    assert_eq!(bals.len(), 2);
    assert_eq!(
        bals[0][..],
        [
            "neg.xml",
            "AT611904300234573201",
            "EUR",
            "2026-10-31",
            "100.00",
            "0.00",
            "47.29",
            "52.71",
            "52.71",
            "0.00",
            "yes"
        ]
    );
    assert!(stdout.contains("read cleanly"), "{stdout}");

    // A headerless Brazilian export with its opening balance as a row, in Latin-1.
    let br: Vec<u8> = "22/03/2012;Saldo Anterior;;100,00\n23/03/2012;Dep\u{f3}sito;778821;1.500,00\n26/03/2012;Pagamento;778822;-250,35\n"
        .chars()
        .map(|c| c as u32 as u8)
        .collect();
    let brf = w("extrato.csv", &br);
    let (code, stdout, stderr) = read(&[&brf], &out, &[]);
    // Only the opening is stated and there is no running balance: nothing to roll forward,
    // but the file is read cleanly and the summary says why there is no balance check.
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (_, lines) = csv_rows(&out.join("lines.csv"));
    let amounts: Vec<&str> = lines.iter().map(|r| r[7].as_str()).collect();
    assert_eq!(amounts, vec!["1500.00", "-250.35"]);
    assert_eq!(lines[0][12], "Dep\u{f3}sito");
    assert!(
        stdout.contains("opening balance 100.00 stated on line 1"),
        "{stdout}"
    );
    assert!(stdout.contains("Windows-1252"), "{stdout}");
}
