//! The CSV/XLSX layouts the sandbox generator renders (crates/sandbox/DATASET.md) load without
//! a profile, plus the table-loader rules: header below title lines, debit/credit and CR/DR
//! layouts, running balances, unsure columns and their resolution by a profile, BOM, `;`,
//! quoted multi-line fields.

use chrono::NaiveDate;
use tieout_reconcile::load::{
    BankProfile, LoadError, LoadOptions, load_statement_from_bytes, load_statement_from_str,
};
use tieout_reconcile::{SourceFormat, StatementLine};

/// (bank_ref, date, signed cents, counterparty, text)
fn txns() -> Vec<(&'static str, NaiveDate, i64, &'static str, &'static str)> {
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    vec![
        (
            "WR100001",
            d(10, 1),
            250_000,
            "JANE Q DOE",
            "WIRE IN REF INV-1001 JANE DOE",
        ),
        (
            "AC100002",
            d(10, 2),
            12_345_678,
            "STRIPE",
            "STRIPE TRANSFER po_1ABC",
        ),
        ("FE100003", d(10, 3), -2_500, "", "WIRE FEE"),
        (
            "RF100004",
            d(10, 3),
            -100_000,
            "JOHN ROE",
            "REFUND INV-1002, JOHN ROE",
        ),
        (
            "AR100005",
            d(10, 31),
            -5_005,
            "ACME, INC.",
            "ACH RETURN R01",
        ),
    ]
}

const OPEN: i64 = 100_000;

fn dec(c: i64) -> String {
    format!(
        "{}{}.{:02}",
        if c < 0 { "-" } else { "" },
        c.abs() / 100,
        c.abs() % 100
    )
}

fn grouped(c: i64) -> String {
    let whole = (c.abs() / 100).to_string();
    let mut g = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            g.push(',');
        }
        g.push(ch);
    }
    format!("{g}.{:02}", c.abs() % 100)
}

fn q(s: &str) -> String {
    if s.contains(',') || s.contains('"') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn check(lines: &[StatementLine], format: SourceFormat) {
    let t = txns();
    assert_eq!(lines.len(), t.len());
    for (i, (l, (r, d, a, _, _))) in lines.iter().zip(&t).enumerate() {
        assert_eq!(l.statement_row as usize, i + 1);
        assert_eq!(l.bank_ref.as_deref(), Some(*r), "{l:?}");
        assert_eq!(l.booking_date, *d, "{l:?}");
        assert_eq!(l.amount_cents, *a, "{l:?}");
        assert_eq!(l.format, format);
        assert!(!l.raw.is_empty());
    }
}

fn load(name: &str, text: &str) -> tieout_reconcile::load::LoadedStatement {
    load_statement_from_str(name, text, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn chase_layout() {
    let mut s =
        String::from("Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n");
    let mut bal = OPEN;
    for (r, d, a, _, text) in txns() {
        bal += a;
        let det = if a < 0 { "DEBIT" } else { "CREDIT" };
        s += &format!(
            "{det},{},{},{},ACH_CREDIT,{},{r}\n",
            d.format("%m/%d/%Y"),
            q(text),
            dec(a),
            dec(bal)
        );
    }
    let l = load("escrow.chase.csv", &s);
    assert!(l.rejects.is_empty(), "{:?}", l.rejects);
    check(&l.lines, SourceFormat::Csv);
    assert_eq!(l.lines[3].description, "REFUND INV-1002, JOHN ROE");
    assert_eq!(l.lines[0].type_code.as_deref(), Some("ACH_CREDIT"));
    assert_eq!(l.balances.len(), 1);
    assert_eq!(l.balances[0].opening_cents, OPEN);
    assert_eq!(l.balances[0].closing_cents, bal);
    assert!(l.balance_breaks().is_empty());
}

#[test]
fn chase_description_names_the_counterparty() {
    // Chase's export has no counterparty column: the originator (credits) or beneficiary
    // (debits) comes from the markers in the description, as in BAI2 text.
    let s = "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n\
        CREDIT,10/01/2026,\"FEDWIRE CREDIT VIA: WELLS FARGO BANK, N.A. /121000248 B/O: MARCUS VAN DER BERG OBI: IMAD: 20261001MMQFMPTN357425\",1900.00,WIRE_INCOMING,,OPR1\n\
        DEBIT,10/02/2026,WIRE OUT BNF: JOHN ROE REF: R1,-100.00,WIRE_OUTGOING,,OPR2\n\
        CREDIT,10/03/2026,DEPOSIT,50.00,DEPOSIT,,OPR3\n";
    let l = load("operating.chase.csv", s);
    assert!(l.rejects.is_empty(), "{:?}", l.rejects);
    let cp: Vec<Option<&str>> = l.lines.iter().map(|l| l.counterparty.as_deref()).collect();
    assert_eq!(cp, [Some("MARCUS VAN DER BERG"), Some("JOHN ROE"), None]);
}

#[test]
fn debit_credit_layout_with_title_lines() {
    let mut s = String::from(
        "\"Account Statement - First Escrow Bank, N.A. - North Capital FBO\"\nAccount 12345 Period 2026-10-01 to 2026-10-31 Opening 1000.00\nDate,Reference,Description,Debit,Credit,Balance\n",
    );
    let mut bal = OPEN;
    for (r, d, a, _, text) in txns() {
        bal += a;
        let (dr, cr) = if a < 0 {
            (dec(-a), String::new())
        } else {
            (String::new(), dec(a))
        };
        s += &format!("{d},{r},{},{dr},{cr},{}\n", q(text), dec(bal));
    }
    let l = load("escrow.debit_credit.csv", &s);
    assert!(l.rejects.is_empty(), "{:?}", l.rejects);
    check(&l.lines, SourceFormat::Csv);
    assert_eq!(l.balances[0].opening_cents, OPEN);
    assert!(l.balance_breaks().is_empty());
    // Rows are counted from the header: the third transaction is physical line 6.
    let bad = s.replacen(",25.00,", ",2S.00,", 1);
    let l = load("x.csv", &bad);
    assert_eq!(l.rejects.len(), 1);
    assert_eq!(l.rejects[0].row, 6);
    assert_eq!(l.rejects[0].column.as_deref(), Some("Debit"));
    assert!(
        l.rejects[0].reason.contains("2S.00"),
        "{}",
        l.rejects[0].reason
    );
    assert!(l.rejects[0].raw.starts_with("2026-10-03,FE100003,"));
    assert_eq!(
        l.lines[2].statement_row, 4,
        "a rejected row keeps its place in the numbering"
    );
    // …and the lost money shows as a balance break, not as silence.
    assert_eq!(l.balance_breaks().len(), 1);
}

#[test]
fn crdr_layout() {
    let mut s =
        String::from("Value Date,Booking Date,Reference,Counterparty,Details,Amount,CR/DR\n");
    for (r, d, a, party, text) in txns() {
        let dd = d.format("%d-%b-%Y").to_string();
        s += &format!(
            "{dd},{dd},{r},{},{},{},{}\n",
            q(party),
            q(text),
            q(&format!("${}", grouped(a))),
            if a < 0 { "DR" } else { "CR" }
        );
    }
    let l = load("escrow.crdr.csv", &s);
    assert!(l.rejects.is_empty(), "{:?}", l.rejects);
    check(&l.lines, SourceFormat::Csv);
    assert_eq!(l.lines[1].amount_cents, 12_345_678);
    assert_eq!(l.lines[4].counterparty.as_deref(), Some("ACME, INC."));
    assert_eq!(l.lines[0].value_date, Some(l.lines[0].booking_date));
    let bad = s.replacen(",CR\n", ",XX\n", 1);
    let l = load("x.csv", &bad);
    assert_eq!(l.rejects[0].column.as_deref(), Some("CR/DR"));
    assert!(l.rejects[0].reason.contains("`XX`"));
}

#[test]
fn escrow_bank_layout_parentheses_and_trailing_minus() {
    let mut s = String::from("Posting Date,Bank Ref,Originator,Memo,Amount\n");
    for (i, (r, d, a, party, text)) in txns().into_iter().enumerate() {
        let amt = if a >= 0 {
            grouped(a)
        } else if i % 2 == 0 {
            format!("{}-", grouped(a))
        } else {
            format!("({})", grouped(a))
        };
        s += &format!(
            "{},{r},{},{},{}\n",
            d.format("%m/%d/%Y"),
            q(party),
            q(text),
            q(&amt)
        );
    }
    let l = load("escrow.escrow_bank.csv", &s);
    assert!(l.rejects.is_empty(), "{:?}", l.rejects);
    check(&l.lines, SourceFormat::Csv);
    assert_eq!(l.lines[0].counterparty.as_deref(), Some("JANE Q DOE"));
    assert_eq!(l.lines[2].counterparty, None);
    assert!(l.balances.is_empty());
}

#[test]
fn xlsx_with_title_rows_typed_dates_and_numbers() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "First Escrow Bank - Account Statement")
        .unwrap();
    ws.write_string(1, 0, "Account: escrow (12345)").unwrap();
    ws.write_string(
        2,
        0,
        "Period: 2026-10-01 to 2026-10-31   Opening balance: 1,000.00",
    )
    .unwrap();
    let head = [
        "Posting Date",
        "Value Date",
        "Bank Reference",
        "Description",
        "Counterparty",
        "Debit",
        "Credit",
        "Balance",
    ];
    for (c, h) in head.iter().enumerate() {
        ws.write_string(4, c as u16, *h).unwrap();
    }
    let datef = Format::new().set_num_format("yyyy-mm-dd");
    let numf = Format::new().set_num_format("#,##0.00");
    let mut bal = OPEN;
    for (i, (r, d, a, party, text)) in txns().into_iter().enumerate() {
        let row = 5 + i as u32;
        bal += a;
        let x = ExcelDateTime::from_ymd(
            2026,
            d.format("%m").to_string().parse().unwrap(),
            d.format("%d").to_string().parse().unwrap(),
        )
        .unwrap();
        ws.write_datetime_with_format(row, 0, &x, &datef).unwrap();
        // value date as a plain serial number (no date format): still a date
        let serial = (d - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days();
        ws.write_number(row, 1, serial as f64).unwrap();
        ws.write_string(row, 2, r).unwrap();
        ws.write_string(row, 3, text).unwrap();
        ws.write_string(row, 4, party).unwrap();
        ws.write_number_with_format(
            row,
            if a < 0 { 5 } else { 6 },
            a.abs() as f64 / 100.0,
            &numf,
        )
        .unwrap();
        ws.write_number_with_format(row, 7, bal as f64 / 100.0, &numf)
            .unwrap();
    }
    let bytes = wb.save_to_buffer().unwrap();
    let l = load_statement_from_bytes("private.xlsx", &bytes, &LoadOptions::default()).unwrap();
    assert!(l.rejects.is_empty(), "{:?}", l.rejects);
    check(&l.lines, SourceFormat::Xlsx);
    assert_eq!(l.lines[0].value_date, Some(l.lines[0].booking_date));
    assert_eq!(l.balances[0].opening_cents, OPEN);
    assert_eq!(l.balances[0].closing_cents, bal);
    assert!(l.balance_breaks().is_empty());
}

#[test]
fn newest_first_running_balance() {
    let s =
        "Date,Description,Amount,Balance\n10/03/2026,B,-20.00,80.00\n10/02/2026,A,50.00,100.00\n";
    let l = load("n.csv", s);
    assert_eq!(l.balances[0].opening_cents, 5_000);
    assert_eq!(l.balances[0].closing_cents, 8_000);
    assert!(l.balance_breaks().is_empty());
}

#[test]
fn bom_semicolon_decimal_comma_and_multiline_quotes() {
    let s = "\u{feff}Buchungstag;Valuta;Verwendungszweck;Betrag;Währung\r\n03.10.2026;04.10.2026;\"Zeile eins\r\nZeile zwei\";1.234,56;EUR\r\n21.10.2026;21.10.2026;Gebühr;-2,50;EUR\r\n";
    let l = load("de.csv", s);
    assert!(l.rejects.is_empty(), "{:?}", l.rejects);
    assert_eq!(l.lines[0].amount_cents, 123_456);
    assert_eq!(
        l.lines[0].booking_date,
        NaiveDate::from_ymd_opt(2026, 10, 3).unwrap()
    );
    assert_eq!(l.lines[0].value_date, NaiveDate::from_ymd_opt(2026, 10, 4));
    assert!(
        l.lines[0].description.contains("Zeile eins\r\nZeile zwei")
            || l.lines[0].description.contains("Zeile eins\nZeile zwei")
    );
    assert!(l.lines[0].raw.contains("Zeile zwei"));
    assert_eq!(l.lines[1].amount_cents, -250);
    assert_eq!(l.lines[1].currency.as_deref(), Some("EUR"));
}

#[test]
fn day_first_dates_are_detected_from_the_column() {
    let s = "Date,Description,Amount\n02/10/2026,A,1.00\n21/10/2026,B,2.00\n";
    let l = load("d.csv", s);
    assert_eq!(
        l.lines[0].booking_date,
        NaiveDate::from_ymd_opt(2026, 10, 2).unwrap()
    );
}

#[test]
fn unsure_columns_stop_with_names_and_a_profile_resolves_them() {
    // Two equally good date columns.
    let s = "Date,Transaction Date,Description,Amount\n2026-10-01,2026-10-02,A,1.00\n";
    let e = load_statement_from_str("u.csv", s, &LoadOptions::default()).unwrap_err();
    let LoadError::UnsureColumns { columns, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        columns,
        &["Date".to_string(), "Transaction Date".to_string()]
    );
    assert!(
        e.to_string().starts_with("u.csv: cannot place columns"),
        "{e}"
    );
    let p =
        BankProfile::from_toml_str("[columns]\n\"Transaction Date\" = \"value_date\"\n").unwrap();
    let l = load_statement_from_str(
        "u.csv",
        s,
        &LoadOptions {
            profile: Some(p),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(l.lines[0].value_date, NaiveDate::from_ymd_opt(2026, 10, 2));

    // An unknown header that holds money.
    let s = "Posting Date,Description,Amount,Fee Withheld\n2026-10-01,A,100.00,$1.50\n";
    let e = load_statement_from_str("m.csv", s, &LoadOptions::default()).unwrap_err();
    let LoadError::UnsureColumns {
        columns, reason, ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(columns, &["Fee Withheld".to_string()]);
    assert!(reason.contains("holds amounts"));
    let p = BankProfile::from_toml_str("[columns]\n\"Fee Withheld\" = \"ignore\"\n").unwrap();
    assert!(
        load_statement_from_str(
            "m.csv",
            s,
            &LoadOptions {
                profile: Some(p),
                ..Default::default()
            }
        )
        .is_ok()
    );

    // No amount column: the unplaced column is named; a profile maps it.
    let s = "Posting Date,Description,Value\n2026-10-01,A,100.00\n";
    let e = load_statement_from_str("n.csv", s, &LoadOptions::default()).unwrap_err();
    let LoadError::UnsureColumns {
        columns, reason, ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(columns, &["Value".to_string()]);
    assert!(reason.contains("no amount column"), "{reason}");
    let p = BankProfile::from_toml_str("[columns]\nValue = \"amount\"\n").unwrap();
    let l = load_statement_from_str(
        "n.csv",
        s,
        &LoadOptions {
            profile: Some(p),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(l.lines[0].amount_cents, 10_000);

    // A profile naming a column the file does not have is an error, not a silent no-op.
    let p = BankProfile::from_toml_str("[columns]\nBetrag = \"amount\"\n").unwrap();
    let s = "Posting Date,Description,Amount\n2026-10-01,A,100.00\n";
    let e = load_statement_from_str(
        "n.csv",
        s,
        &LoadOptions {
            profile: Some(p),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("`Betrag`") && e.to_string().contains("no such column"),
        "{e}"
    );
}

#[test]
fn profile_date_pattern_and_inverted_sign() {
    let p = BankProfile::from_toml_str("date_format = \"%Y.%j\"\nsign = \"inverted\"\n").unwrap();
    let s = "Date,Description,Amount\n2026.276,card spend,12.00\n";
    let l = load_statement_from_str(
        "p.csv",
        s,
        &LoadOptions {
            profile: Some(p),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        l.lines[0].booking_date,
        NaiveDate::from_ymd_opt(2026, 10, 3).unwrap()
    );
    assert_eq!(l.lines[0].amount_cents, -1_200);
}
