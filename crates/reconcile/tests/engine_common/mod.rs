//! Builders for hand-made engine inputs.
#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use tieout_domain::Period;
use tieout_domain::{
    Book, Investment, InvestmentStatus, Investor, InvestorType, KycStatus, PaymentMethod,
};
use tieout_reconcile::engine::{ReconInput, ReconOutcome, Tolerances, reconcile};
use tieout_reconcile::{PayoutItem, SourceFormat, StatementLine};

pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub fn period() -> Period {
    Period::new(2026, 10).unwrap()
}

pub fn investor(id: i64, first: &str, last: &str) -> Investor {
    Investor {
        id,
        investor_type: InvestorType::Person,
        user_id: None,
        entity_id: None,
        first_name: first.into(),
        last_name: last.into(),
        display_name: None,
        individual_name: None,
        email: None,
        date_of_birth: None,
        country: Some("US".into()),
        state: None,
        citizenship: None,
        us_person: Some(true),
        accredited: None,
        accreditation_type: None,
        net_worth: None,
        annual_income: None,
        regcf_invested_this_year: None,
        regcf_invested_other_platforms: None,
        kyc_status: KycStatus::Passed,
        tax_id: None,
    }
}

/// An investment of `price` dollars (amount = price, no fees) received on `day`.
pub fn investment(
    id: i64,
    investor_id: i64,
    method: PaymentMethod,
    status: InvestmentStatus,
    price: &str,
    day: &str,
) -> Investment {
    let t = Utc.from_utc_datetime(&d(day).and_hms_opt(15, 0, 0).unwrap());
    let p: Decimal = price.parse().unwrap();
    Investment {
        id,
        offering_id: 1,
        investor_id,
        amount: p,
        price: Some(p),
        price_fees: Some(Decimal::ZERO),
        price_payment_processing_fees: Some(Decimal::ZERO),
        status,
        payment_method: method,
        reference_id: Some(format!("ISS-{id:06}")),
        created_at: Some(t),
        received_at: Some(t),
        updated_at: Some(t),
        ..tieout_domain::fixtures::investment()
    }
}

pub fn line(
    row: u32,
    day: &str,
    cents: i64,
    counterparty: Option<&str>,
    description: &str,
) -> StatementLine {
    StatementLine {
        file: "bank.csv".into(),
        statement_row: row,
        format: SourceFormat::Csv,
        account: Some("escrow".into()),
        bank_ref: Some(format!("BR{row:05}")),
        end_to_end_ref: None,
        entry_ref: None,
        booking_date: d(day),
        value_date: None,
        amount_cents: cents,
        currency: Some("USD".into()),
        counterparty: counterparty.map(str::to_string),
        description: description.into(),
        type_code: None,
        raw: String::new(),
    }
}

pub fn payout_item(
    row: u32,
    po: &str,
    pi: Option<&str>,
    category: &str,
    gross: i64,
    fee: i64,
    day: &str,
) -> PayoutItem {
    PayoutItem {
        file: "stripe-payouts.csv".into(),
        row,
        balance_transaction_id: Some(format!("txn_{row}")),
        payout_id: Some(po.into()),
        reporting_category: category.into(),
        gross_cents: gross,
        fee_cents: fee,
        net_cents: gross - fee,
        source_id: None,
        payment_intent_id: pi.map(str::to_string),
        charge_id: None,
        payment_method_type: Some("card".into()),
        payout_date: Some(d(day)),
        created: None,
        description: None,
    }
}

pub fn run(book: &Book, lines: &[StatementLine], payouts: &[PayoutItem]) -> ReconOutcome {
    let input = ReconInput {
        book,
        lines,
        payouts,
        balances: &[],
        rejects: &[],
        control_breaks: &[],
        carry_forward: None,
        period: period(),
        platform: None,
    };
    reconcile(&input, &Tolerances::default()).unwrap()
}

pub fn book(investors: Vec<Investor>, investments: Vec<Investment>) -> Book {
    Book {
        offerings: vec![],
        investors,
        investments,
    }
}

const FIRST: [&str; 8] = [
    "James", "Maria", "Wei", "Olga", "Ahmed", "Sofia", "Kenji", "Amara",
];
const LAST: [&str; 8] = [
    "Smith", "Garcia", "Chen", "Ivanova", "Hassan", "Rossi", "Tanaka", "Okafor",
];

/// A distinct all-letter suffix (names drop digits when tokenised).
pub fn letters(mut k: usize) -> String {
    let mut s = String::new();
    loop {
        s.push((b'a' + (k % 26) as u8) as char);
        k /= 26;
        if k == 0 {
            return s;
        }
    }
}

/// A synthetic month at `n` investments (wires with and without references, IRA wires, card
/// charges settled in daily payouts with a payout report), for the perf test and the bench.
pub fn synthetic_month(n: usize) -> (Book, Vec<StatementLine>, Vec<PayoutItem>) {
    let mut investors = Vec::with_capacity(n);
    let mut investments = Vec::with_capacity(n);
    let mut lines = Vec::with_capacity(n);
    let mut payouts = Vec::new();
    let mut row = 0u32;
    let mut day_net: BTreeMap<u32, i64> = BTreeMap::new();
    for i in 0..n {
        let id = i as i64 + 1;
        let (f, l) = (
            FIRST[i % 8],
            format!("{}{}", letters(i / 64), LAST[(i / 8) % 8].to_lowercase()),
        );
        investors.push(investor(id, f, &l));
        let dd = 1 + (i % 28) as u32;
        let day = format!("2026-10-{dd:02}");
        let dollars = 100 + (i * 37 % 5000) as i64;
        let method = match i % 10 {
            0..=5 => PaymentMethod::Wire,
            6 => PaymentMethod::Ira,
            _ => PaymentMethod::Card,
        };
        let mut inv = investment(
            id,
            id,
            method.clone(),
            InvestmentStatus::Invested,
            &format!("{dollars}.00"),
            &day,
        );
        let cents = dollars * 100;
        match i % 10 {
            0..=3 => {
                row += 1;
                lines.push(line(
                    row,
                    &day,
                    cents,
                    Some(&format!("{f} {l}").to_uppercase()),
                    &format!("FEDWIRE CREDIT OBI: ISS-{id:06} IMAD 20261001MMQFMP{i}"),
                ));
            }
            4..=6 => {
                row += 1;
                let cp = if method == PaymentMethod::Ira {
                    format!("EQUITY TRUST CO FBO {f} {l}")
                } else {
                    format!("{f} {l}")
                };
                lines.push(line(
                    row,
                    &day,
                    cents,
                    Some(&cp.to_uppercase()),
                    "FEDWIRE CREDIT",
                ));
            }
            _ => {
                let pi = format!("pi_{id:010}");
                inv.payment_intent_id = Some(pi.clone());
                let payday = format!("2026-10-{:02}", dd + 2);
                payouts.push(payout_item(
                    i as u32,
                    &format!("po_{dd:04}"),
                    Some(&pi),
                    "charge",
                    cents,
                    0,
                    &payday,
                ));
                *day_net.entry(dd).or_default() += cents;
            }
        }
        investments.push(inv);
    }
    for (dd, net) in day_net {
        row += 1;
        lines.push(line(
            row,
            &format!("2026-10-{:02}", dd + 2),
            net,
            Some("STRIPE"),
            &format!("STRIPE TRANSFER IND ID:po_{dd:04}"),
        ));
    }
    (book(investors, investments), lines, payouts)
}
