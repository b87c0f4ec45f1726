//! The fit on small books: every plausible reading of the API's money fields, each with the
//! investments' keys on the lines, and what the fit must say.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use tieout_domain::{Book, Investment, PaymentMethod, fixtures};

use super::*;
use crate::engine::expected;
use crate::engine::line::tokenise;
use crate::engine::tolerances::Tolerances;
use crate::model::StatementLine;

fn d(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// An investment of `securities` cents with `fees` of investor fees and `ppf` of processing
/// fees, its fields written the way `reading` says.
fn inv(
    id: i64,
    method: PaymentMethod,
    securities: i64,
    fees: i64,
    ppf: i64,
    reading: &str,
) -> Investment {
    let (amount, price) = match reading {
        // amount = securities value, price = amount + fees (the project's own generator).
        "amount-is-securities" => (securities, securities + fees),
        // price = securities value, amount = price + fees (the independent world).
        "price-is-securities" => (securities + fees, securities),
        _ => unreachable!(),
    };
    Investment {
        id,
        offering_id: 1,
        investor_id: id,
        amount: d(amount),
        price: Some(d(price)),
        price_fees: Some(d(fees)),
        price_payment_processing_fees: Some(d(ppf)),
        quantity: Some(securities / 100),
        payment_method: method,
        reference_id: Some(format!("REFX{id:06}")),
        received_at: Some(
            NaiveDate::from_ymd_opt(2026, 10, 5)
                .and_then(|d| d.and_hms_opt(12, 0, 0))
                .map(|t| t.and_utc())
                .expect("date"),
        ),
        ..fixtures::investment()
    }
}

fn line(row: u32, cents: i64, text: &str) -> StatementLine {
    StatementLine {
        file: "bank.csv".into(),
        statement_row: row,
        booking_date: NaiveDate::from_ymd_opt(2026, 10, 6).expect("date"),
        format: crate::model::SourceFormat::Csv,
        account: None,
        bank_ref: None,
        end_to_end_ref: None,
        entry_ref: None,
        value_date: None,
        amount_cents: cents,
        currency: None,
        counterparty: None,
        description: text.into(),
        type_code: None,
        raw: String::new(),
    }
}

fn period() -> tieout_domain::Period {
    tieout_domain::Period::parse("2026-10").expect("period")
}

/// Fits the model of `book` against `lines` and returns it with the credits' expected cents
/// after it is applied, by investment id.
fn fit_on(
    book: &Book,
    lines: &[StatementLine],
    profile: Option<&PlatformProfile>,
) -> (MoneyModel, Vec<(i64, Cents, Option<Cents>)>) {
    let tol = Tolerances::default();
    let (mut moves, mut out) = expected::build(book, period(), &tol, &[]).expect("build");
    let keys = Default::default();
    let tl = tokenise(lines, &tol, &keys);
    let line_keys: Vec<&[String]> = tl.iter().map(|l| l.keys.as_slice()).collect();
    let move_keys: Vec<&[String]> = moves.iter().map(|m| m.keys.as_slice()).collect();
    let cands = crate::engine::frames::exact_candidates(&line_keys, &move_keys).expect("join");
    let (model, ties) = fit(book, &tl, &moves, &cands, &[], profile).expect("fit");
    apply(book, &model, &ties, &mut moves, &mut out).expect("apply");
    let credits = moves
        .iter()
        .filter(|m| m.kind == MoveKind::Credit)
        .map(|m| (m.investment_id, m.expected, m.alt))
        .collect();
    (model, credits)
}

fn method<'m>(model: &'m MoneyModel, name: &str) -> &'m MethodModel {
    model
        .methods
        .iter()
        .find(|m| m.method == name)
        .unwrap_or_else(|| panic!("no {name} in {model:?}"))
}

/// Five wires with distinct fees, each paid as `bank(securities, fees, ppf)`.
fn wires(reading: &str, bank: impl Fn(i64, i64, i64) -> i64) -> (Book, Vec<StatementLine>) {
    let mut book = Book::default();
    let mut lines = Vec::new();
    for k in 1..=5i64 {
        let (s, f, p) = (100_000 * k, 1_000 + 37 * k, 300 + 11 * k);
        book.investments
            .push(inv(k, PaymentMethod::Wire, s, f, p, reading));
        lines.push(line(
            k as u32,
            bank(s, f, p),
            &format!("WIRE IN REF REFX{k:06}"),
        ));
    }
    (book, lines)
}

#[test]
fn the_bank_sees_price_when_amount_is_the_securities_value() {
    let (book, lines) = wires("amount-is-securities", |s, f, _| s + f);
    let (model, credits) = fit_on(&book, &lines, None);
    let w = method(&model, "wire");
    assert_eq!(w.basis, Basis::Fitted);
    assert_eq!((w.explained, w.keyed), (5, 5));
    // price and amount + price_fees read every investment alike here: no tie to state.
    assert_eq!(w.formula.gross, GrossReading::Price);
    assert!(w.ties.is_empty(), "{:?}", w.ties);
    for (l, (_, e, alt)) in lines.iter().zip(credits) {
        assert_eq!((e, alt), (l.amount_cents, None));
    }
}

#[test]
fn the_bank_sees_amount_when_price_is_the_securities_value() {
    // The independent world: price = securities, amount = price + price_fees, bank sees amount.
    let (book, lines) = wires("price-is-securities", |s, f, _| s + f);
    let (model, credits) = fit_on(&book, &lines, None);
    let w = method(&model, "wire");
    assert_eq!(w.formula.gross, GrossReading::Amount, "{model:?}");
    assert_eq!(w.formula_text, "amount");
    assert_eq!((w.explained, w.keyed), (5, 5));
    for (l, (_, e, _)) in lines.iter().zip(credits) {
        assert_eq!(e, l.amount_cents);
    }
}

#[test]
fn the_bank_sees_the_securities_value_alone() {
    for reading in ["amount-is-securities", "price-is-securities"] {
        let (book, lines) = wires(reading, |s, _, _| s);
        let (model, credits) = fit_on(&book, &lines, None);
        let w = method(&model, "wire");
        assert_eq!((w.explained, w.keyed), (5, 5), "{reading}: {model:?}");
        for (l, (_, e, _)) in lines.iter().zip(credits) {
            assert_eq!(e, l.amount_cents, "{reading}");
        }
    }
}

#[test]
fn processing_fees_deducted_before_settlement() {
    let (book, lines) = wires("amount-is-securities", |s, f, p| s + f - p);
    let (model, credits) = fit_on(&book, &lines, None);
    let w = method(&model, "wire");
    assert!(w.formula.less_processing_fees, "{model:?}");
    assert_eq!(w.formula_text, "price − price_payment_processing_fees");
    for (l, (_, e, _)) in lines.iter().zip(credits) {
        assert_eq!(e, l.amount_cents);
    }
}

#[test]
fn a_percentage_kept_by_the_processor_is_fitted() {
    // Crypto paid net of 1.5 % of what the investor paid (amount, in this world).
    let mut book = Book::default();
    let mut lines = Vec::new();
    for k in 1..=6i64 {
        let (s, f) = (123_457 * k, 2_500 + k);
        book.investments.push(inv(
            k,
            PaymentMethod::Crypto,
            s,
            f,
            0,
            "price-is-securities",
        ));
        let gross = s + f;
        let net = gross - (gross * 150 + 5_000) / 10_000;
        lines.push(line(k as u32, net, &format!("USDC SETTLEMENT REFX{k:06}")));
    }
    let (model, credits) = fit_on(&book, &lines, None);
    let c = method(&model, "crypto");
    assert_eq!(c.formula.fee_bps, 150, "{model:?}");
    assert_eq!(c.formula.gross, GrossReading::Amount);
    assert_eq!(c.formula_text, "amount − 1.50 %");
    assert_eq!((c.explained, c.keyed), (6, 6));
    for (l, (_, e, _)) in lines.iter().zip(credits) {
        assert!((e - l.amount_cents).abs() <= 1, "{e} vs {}", l.amount_cents);
    }
}

#[test]
fn thin_evidence_borrows_the_gross_reading_and_says_so() {
    let (mut book, mut lines) = wires("price-is-securities", |s, f, _| s + f);
    // One IRA wire only: too few to fit on its own.
    book.investments.push(inv(
        9,
        PaymentMethod::Ira,
        500_000,
        900,
        0,
        "price-is-securities",
    ));
    lines.push(line(9, 500_900, "FBO IRA REFX000009"));
    // Card: no keyed lines at all.
    book.investments.push(inv(
        10,
        PaymentMethod::Card,
        50_000,
        500,
        180,
        "price-is-securities",
    ));
    let (model, credits) = fit_on(&book, &lines, None);
    let ira = method(&model, "ira");
    assert_eq!(ira.basis, Basis::Borrowed);
    assert_eq!(ira.formula.gross, GrossReading::Amount);
    assert_eq!((ira.explained, ira.keyed), (1, 1));
    assert!(ira.note.contains("too few"), "{}", ira.note);
    let card = method(&model, "card");
    assert_eq!(card.basis, Basis::Borrowed);
    assert_eq!(card.formula_text, "amount − price_payment_processing_fees");
    let card_credit = credits.iter().find(|c| c.0 == 10).expect("card credit");
    // What the investor paid (50,500) less the processing fee; the gross is the alternative.
    assert_eq!((card_credit.1, card_credit.2), (50_320, Some(50_500)));
}

#[test]
fn no_keyed_lines_anywhere_is_the_default_and_says_so() {
    let (book, _) = wires("amount-is-securities", |s, f, _| s + f);
    let (model, _) = fit_on(&book, &[], None);
    let w = method(&model, "wire");
    assert_eq!(w.basis, Basis::Default);
    assert_eq!((w.explained, w.keyed), (0, 0));
    assert!(w.note.contains("assumed"), "{}", w.note);
}

#[test]
fn a_tie_is_stated_and_the_runner_up_is_the_alternative() {
    // Lines pay price; but three investments have no fees, so price = amount there, and two
    // lines pay `amount + price_fees`, which equals price... build a real tie: half the lines
    // pay price, half pay amount, on investments whose fees differ.
    let mut book = Book::default();
    let mut lines = Vec::new();
    for k in 1..=4i64 {
        let (s, f) = (200_000 * k, 1_000 * k);
        book.investments
            .push(inv(k, PaymentMethod::Wire, s, f, 0, "amount-is-securities"));
        let paid = if k <= 2 { s + f } else { s };
        lines.push(line(k as u32, paid, &format!("WIRE REFX{k:06}")));
    }
    let (model, credits) = fit_on(&book, &lines, None);
    let w = method(&model, "wire");
    assert_eq!(w.explained, 2);
    assert!(!w.ties.is_empty(), "{model:?}");
    // Every credit accepts both readings.
    for (id, e, alt) in credits {
        let k = id;
        let (s, f) = (200_000 * k, 1_000 * k);
        let mut got = vec![e, alt.expect("alternative")];
        got.sort_unstable();
        assert_eq!(got, vec![s, s + f], "investment {id}");
    }
}

#[test]
fn a_pinned_method_is_not_fitted() {
    let (book, lines) = wires("price-is-securities", |s, f, _| s + f);
    let profile = PlatformProfile::from_toml(
        "[money_model.wire]\ngross = \"price\"\nless_processing_fees = false\n",
    )
    .expect("profile");
    let (model, credits) = fit_on(&book, &lines, Some(&profile));
    let w = method(&model, "wire");
    assert_eq!(w.basis, Basis::Pinned);
    assert_eq!(w.formula.gross, GrossReading::Price);
    // The pin is obeyed even though the lines disagree, and the disagreement is counted.
    assert_eq!((w.explained, w.keyed), (0, 5));
    for (id, e, _) in credits {
        assert_eq!(e, 100_000 * id, "investment {id} expects its price");
    }
}

#[test]
fn a_profile_names_known_methods_and_sane_fees() {
    assert!(matches!(
        PlatformProfile::from_toml("[money_model.paypal]\ngross = \"price\"\n"),
        Err(ProfileError::Method(_))
    ));
    assert!(matches!(
        PlatformProfile::from_toml("[money_model.crypto]\ngross = \"amount\"\nfee_bps = 5000\n"),
        Err(ProfileError::Fee { .. })
    ));
    assert!(matches!(
        PlatformProfile::from_toml("[money_model.wire]\ngross = \"gross\"\n"),
        Err(ProfileError::Parse(_))
    ));
    let p = PlatformProfile::from_toml(
        "[money_model.crypto]\ngross = \"amount + price_fees\"\nfee_bps = 150\n",
    )
    .expect("profile");
    assert_eq!(
        p.money_model["crypto"].describe(),
        "amount + price_fees − 1.50 %"
    );
}

#[test]
fn the_fit_does_not_depend_on_line_order() {
    let (book, mut lines) = wires("price-is-securities", |s, f, p| s + f - p);
    let (a, _) = fit_on(&book, &lines, None);
    lines.reverse();
    let (b, _) = fit_on(&book, &lines, None);
    assert_eq!(a, b);
}

/// `(value, fee)` pairs of a fee model over a spread of sizes.
fn fee_pairs(fee: Fee) -> Vec<(Cents, Cents)> {
    [
        1_999, 10_000, 25_050, 99_999, 150_000, 480_000, 1_250_000, 3_000_000,
    ]
    .into_iter()
    .map(|v| (v, fee.of(v)))
    .collect()
}

#[test]
fn fee_models_are_recovered_from_their_deductions() {
    let card = Fee {
        bps: 290,
        fixed: 30,
        cap: 0,
    };
    let ach = Fee {
        bps: 50,
        fixed: 0,
        cap: 1_000,
    };
    let crypto = Fee {
        bps: 150,
        fixed: 0,
        cap: 0,
    };
    let flat = Fee {
        bps: 0,
        fixed: 2_500,
        cap: 0,
    };
    for fee in [card, ach, crypto, flat] {
        let pairs = fee_pairs(fee);
        let cands = fee_candidates(&pairs);
        assert!(
            cands
                .iter()
                .any(|c| pairs.iter().all(|&(v, d)| c.explains(v, d))),
            "{fee:?} not among {cands:?}"
        );
    }
    // The words.
    let f = default_formula(Method::Card, GrossReading::Amount).with_fee(card);
    assert_eq!(
        Formula {
            less_processing_fees: false,
            ..f
        }
        .describe(),
        "amount − (2.90 % + $0.30)"
    );
    let f = default_formula(Method::Ach, GrossReading::Price).with_fee(ach);
    assert_eq!(
        f.describe(),
        "price − price_payment_processing_fees − (0.50 %, at most $10.00)"
    );
}

#[test]
fn fee_candidates_do_not_depend_on_order() {
    let mut pairs = fee_pairs(Fee {
        bps: 250,
        fixed: 25,
        cap: 0,
    });
    let a = fee_candidates(&pairs);
    pairs.reverse();
    assert_eq!(a, fee_candidates(&pairs));
}
