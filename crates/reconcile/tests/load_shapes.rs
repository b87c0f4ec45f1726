//! Real bank files as banks send them, reproduced in small files written here (never copies
//! of third-party files): headerless exports placed by content, UK paid-out/paid-in with `£`
//! in Windows-1252, Austrian `;` with `+120,00` and `DD.MM.YYYY`, a card export with a space
//! after every comma and a trailing D/C column, a Brazilian export with an opening-balance row
//! in Latin-1, unpadded `YYYY/M/D`, day/month order per file, UTF-8 with BOM, ambiguous
//! layouts refused with what is ambiguous and how to write a profile. Expected values are
//! worked out from the rows written, by hand.

use chrono::NaiveDate;
use tieout_reconcile::load::{
    BankProfile, LoadError, LoadOptions, LoadedStatement, load_statement_from_bytes,
};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn load(name: &str, bytes: &[u8]) -> LoadedStatement {
    load_statement_from_bytes(name, bytes, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn amounts(l: &LoadedStatement) -> Vec<i64> {
    l.lines.iter().map(|x| x.amount_cents).collect()
}

fn dates(l: &LoadedStatement) -> Vec<NaiveDate> {
    l.lines.iter().map(|x| x.booking_date).collect()
}

fn currencies(l: &LoadedStatement) -> Vec<&str> {
    l.lines
        .iter()
        .map(|x| x.currency.as_deref().unwrap_or("-"))
        .collect()
}

/// Windows-1252 / Latin-1 bytes of a text made of characters below U+0100 (and `€`).
fn cp1252(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '€' => 0x80,
            c if (c as u32) < 0x100 => c as u32 as u8,
            c => panic!("{c} is not in the test's Windows-1252 subset"),
        })
        .collect()
}

#[test]
fn headerless_type_date_text_amount_with_parentheses() {
    let f = "DEBIT,2011/12/24,\"HOST 037196321563 MO 12/22SLICEHOST\",($85.00)\n\
             CHECK,2010/12/24,\"CHECK 2656\",($20.00)\n\
             DEBIT,2009/12/24,\"GITHUB 041287430274 CA 12/22GITHUB 04\",($7.00)\n\
             CREDIT,2008/12/24,\"Some Company vendorpymt PPD ID: 59728JSL20\",$3520.00\n\
             CREDIT,2007/12/24,\"Blarg BLARG REVENUE PPD ID: 00jah78563\",$1558.52\n\
             DEBIT,2006/12/24,\"WEBSITE-BALANCE-17DEC09 12 12/17WEBSITE-BAL\",$.23\n";
    let l = load("other.csv", f.as_bytes());
    assert!(l.rejects.is_empty(), "{:?}", l.rejects);
    // The first column holds DEBIT/CREDIT and CHECK: a type, not a direction; the signs are
    // the amounts' own (parentheses = negative). `$.23` on a DEBIT row is +0.23 as written.
    assert_eq!(
        amounts(&l),
        vec![-8_500, -2_000, -700, 352_000, 155_852, 23]
    );
    assert_eq!(
        dates(&l),
        vec![
            d(2011, 12, 24),
            d(2010, 12, 24),
            d(2009, 12, 24),
            d(2008, 12, 24),
            d(2007, 12, 24),
            d(2006, 12, 24)
        ]
    );
    assert_eq!(l.lines[0].type_code.as_deref(), Some("DEBIT"));
    assert_eq!(l.lines[1].description, "CHECK 2656");
    assert!(
        l.notes.iter().any(|n| n.contains("no header row")),
        "{:?}",
        l.notes
    );
    // No currency anywhere: USD, and said.
    assert!(currencies(&l).iter().all(|c| *c == "USD"));
    assert!(
        l.notes.iter().any(|n| n.contains("read as USD")),
        "{:?}",
        l.notes
    );
}

#[test]
fn uk_paid_out_paid_in_pounds_in_windows_1252() {
    let f = "\"Account Name:\",\"Mr Example Current Account ****12345\"\r\n\
             \"Account Balance:\",\"£1,036.19\"\r\n\
             \"Available Balance: \",\"£1,136.19\"\r\n\
             \r\n\
             \"Date\",\"Transaction type\",\"Description\",\"Paid out\",\"Paid in\",\"Balance\"\r\n\
             \"07 Nov 2013\",\"Payment to\",\"CARD PAYMENT TO CAFÉ NERO\",\"£60.00\",\"\",\"£1,036.19\"\r\n\
             \"05 Nov 2013\",\"Bank credit\",\"BANK CREDIT EMPLOYER\",\"\",\"£500.00\",\"£1,096.19\"\r\n\
             \"04 Nov 2013\",\"Payment to\",\"DIRECT DEBIT COUNCIL\",\"£12,500.00\",\"\",\"£596.19\"\r\n";
    let l = load("uk.csv", &cp1252(f));
    assert!(l.rejects.is_empty(), "{:?}", l.rejects);
    assert_eq!(amounts(&l), vec![-6_000, 50_000, -1_250_000]);
    assert_eq!(
        dates(&l),
        vec![d(2013, 11, 7), d(2013, 11, 5), d(2013, 11, 4)]
    );
    assert_eq!(l.lines[0].description, "CARD PAYMENT TO CAFÉ NERO");
    assert_eq!(currencies(&l), vec!["GBP"; 3]);
    assert!(
        l.notes.iter().any(|n| n.contains("Windows-1252")),
        "{:?}",
        l.notes
    );
    // Newest first: opening = 596.19 + 12,500.00 (before the oldest row); closing 1,036.19.
    assert_eq!(l.balances.len(), 1);
    assert_eq!(
        (l.balances[0].opening_cents, l.balances[0].closing_cents),
        (1_309_619, 103_619)
    );
    assert!(l.balance_breaks().is_empty(), "{:?}", l.balance_breaks());

    // The same rows without their header: the pair is told apart by the running balance.
    let body: String = f.lines().skip(5).map(|x| format!("{x}\n")).collect();
    let h = load("uk-headerless.csv", &cp1252(&body));
    assert!(h.rejects.is_empty(), "{:?}", h.rejects);
    assert_eq!(amounts(&h), amounts(&l));
    assert_eq!(h.balances, {
        let mut b = l.balances.clone();
        b[0].file = "uk-headerless.csv".into();
        b
    });
}

#[test]
fn austrian_semicolons_explicit_plus_and_dotted_dates() {
    let f = "AT611904300234573201;Bezahlung Maestro MC/000002222 2222 K002 13.01. 12:15 SPAR;14.01.2014;14.01.2014;-31,70;EUR\n\
             AT611904300234573201;Gutschrift Gehalt Jänner;31.01.2014;31.01.2014;+120,00;EUR\n\
             AT611904300234573201;Abhebung Bankomat 1.234,56;03.02.2014;04.02.2014;-1.234,56;EUR\n";
    let l = load("at.csv", f.as_bytes());
    assert!(l.rejects.is_empty(), "{:?}", l.rejects);
    assert_eq!(amounts(&l), vec![-3_170, 12_000, -123_456]);
    assert_eq!(
        dates(&l),
        vec![d(2014, 1, 14), d(2014, 1, 31), d(2014, 2, 3)]
    );
    assert_eq!(l.lines[2].value_date, Some(d(2014, 2, 4)));
    assert_eq!(currencies(&l), vec!["EUR"; 3]);
    assert_eq!(l.lines[1].description, "Gutschrift Gehalt Jänner");
    // The one value repeated on every row is the account.
    assert!(
        l.lines
            .iter()
            .all(|x| x.account.as_deref() == Some("AT611904300234573201"))
    );
}

#[test]
fn card_export_with_spaces_after_commas_and_a_trailing_dc_column() {
    let f = "12/03/2013, 12.50, \"STARBUCKS #123, SEATTLE\", D\n\
             12/04/2013, 100.00, PAYMENT THANK YOU, C\n\
             12/15/2013, \"1,250.00\", \"AIRLINE 0162, TICKET\", D\n\
             12/16/2013, 40.00, REFUND AIRLINE, C\n";
    let l = load("card.csv", f.as_bytes());
    assert!(l.rejects.is_empty(), "{:?}", l.rejects);
    assert_eq!(amounts(&l), vec![-1_250, 10_000, -125_000, 4_000]);
    assert_eq!(
        dates(&l),
        vec![
            d(2013, 12, 3),
            d(2013, 12, 4),
            d(2013, 12, 15),
            d(2013, 12, 16)
        ]
    );
    assert_eq!(l.lines[0].description, "STARBUCKS #123, SEATTLE");
}

#[test]
fn brazilian_opening_balance_row_is_a_balance_not_a_credit() {
    let f = "22/03/2012;Saldo Anterior;;100,00\n\
             23/03/2012;Depósito em dinheiro;778821;1.500,00\n\
             26/03/2012;Pagamento de título;778822;-250,35\n\
             26/03/2012;Saldo Final;;1.349,65\n";
    let l = load("extrato.csv", &cp1252(f));
    assert!(l.rejects.is_empty(), "{:?}", l.rejects);
    assert_eq!(amounts(&l), vec![150_000, -25_035]);
    assert_eq!(l.lines[0].description, "Depósito em dinheiro");
    assert_eq!(l.lines[0].statement_row, 1);
    assert_eq!(l.lines[0].bank_ref.as_deref(), Some("778821"));
    assert_eq!(dates(&l), vec![d(2012, 3, 23), d(2012, 3, 26)]);
    assert_eq!(l.balances.len(), 1);
    assert_eq!(
        (l.balances[0].opening_cents, l.balances[0].closing_cents),
        (10_000, 134_965)
    );
    assert!(l.balance_breaks().is_empty());
    assert!(
        l.notes
            .iter()
            .any(|n| n.contains("opening balance 100.00 stated on line 1")),
        "{:?}",
        l.notes
    );
}

#[test]
fn unpadded_year_first_dates_and_day_month_order_per_file() {
    let l = load(
        "ymd.csv",
        b"2012/3/22,COFFEE,-3.50\n2012/3/9,SALARY,2000.00\n2012/12/1,RENT,-900.00\n",
    );
    assert!(l.rejects.is_empty(), "{:?}", l.rejects);
    assert_eq!(
        dates(&l),
        vec![d(2012, 3, 22), d(2012, 3, 9), d(2012, 12, 1)]
    );
    // One row with a day above 12 in first place decides the whole file: day first, also for
    // the rows that could be read either way.
    let l = load(
        "dmy.csv",
        b"01/02/2015,A,-1.00\n03/04/2015,B,-2.00\n21/11/2015,C,-3.00\n",
    );
    assert_eq!(
        dates(&l),
        vec![d(2015, 2, 1), d(2015, 4, 3), d(2015, 11, 21)]
    );
    assert!(
        l.notes.iter().any(|n| n.contains("day first")),
        "{:?}",
        l.notes
    );
    let l = load(
        "mdy.csv",
        b"01/02/2015,A,-1.00\n03/04/2015,B,-2.00\n11/21/2015,C,-3.00\n",
    );
    assert_eq!(
        dates(&l),
        vec![d(2015, 1, 2), d(2015, 3, 4), d(2015, 11, 21)]
    );
    // Both orders in one file: refused, not guessed.
    let e = load_statement_from_bytes(
        "mixed.csv",
        b"21/11/2015,A,-1.00\n11/21/2015,B,-2.00\n",
        &LoadOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("both day first"), "{e}");
}

#[test]
fn utf8_with_bom_and_a_header() {
    let mut f = b"\xEF\xBB\xBF".to_vec();
    f.extend_from_slice(
        "Date,Description,Amount,Currency\n2026-10-01,Überweisung Müller,1.234,56,EUR\n".as_bytes(),
    );
    // `1.234,56` in a comma-separated file must be quoted; written as the bank would.
    let f = String::from_utf8(f)
        .unwrap()
        .replace("1.234,56", "\"1.234,56\"");
    let l = load("bom.csv", f.as_bytes());
    assert!(l.rejects.is_empty(), "{:?}", l.rejects);
    assert_eq!(amounts(&l), vec![123_456]);
    assert_eq!(l.lines[0].description, "Überweisung Müller");
    assert_eq!(currencies(&l), vec!["EUR"]);
    assert!(!l.notes.iter().any(|n| n.contains("Windows-1252")));
}

#[test]
fn an_ambiguous_layout_is_refused_with_what_and_how() {
    // Two amount columns filled in alternate rows, no signs, no running balance: which one is
    // money out cannot be read from the file.
    let e = load_statement_from_bytes(
        "amb.csv",
        b"01/02/2014,Shop,10.00,\n01/03/2014,Salary,,20.00\n01/04/2014,Shop,5.00,\n",
        &LoadOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e, LoadError::HeaderNotFound { .. }), "{e:?}");
    let m = e.to_string();
    for needle in [
        "amb.csv",
        "#3 and #4",
        "money out",
        "bank profile",
        "header_row = 0",
        "\"#1\"",
    ] {
        assert!(m.contains(needle), "`{needle}` missing: {m}");
    }
    // ... and the profile the message describes reads it.
    let p = BankProfile::from_toml_str(
        "header_row = 0\n[columns]\n\"#1\" = \"booking_date\"\n\"#2\" = \"description\"\n\"#3\" = \"debit\"\n\"#4\" = \"credit\"\n",
    )
    .unwrap();
    let l = load_statement_from_bytes(
        "amb.csv",
        b"01/02/2014,Shop,10.00,\n01/03/2014,Salary,,20.00\n01/04/2014,Shop,5.00,\n",
        &LoadOptions {
            profile: Some(p),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(amounts(&l), vec![-1_000, 2_000, -500]);
}

#[test]
fn one_sign_rule_for_indicator_columns() {
    // A negative amount beside DR is a debit once; a negative amount beside CR contradicts
    // itself and is rejected, naming the amount.
    let f = "Date,Amount,CR/DR,Description\n2026-10-01,-47.29,DR,fee\n2026-10-02,47.29,DR,fee\n2026-10-03,10.00,CR,in\n2026-10-04,-5.00,CR,odd\n";
    let l = load("ind.csv", f.as_bytes());
    assert_eq!(amounts(&l), vec![-4_729, -4_729, 1_000]);
    assert_eq!(l.rejects.len(), 1);
    assert_eq!(l.rejects[0].row, 5);
    assert!(l.rejects[0].reason.contains("`-5.00`"), "{:?}", l.rejects);
}
