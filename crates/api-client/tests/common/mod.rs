//! A small, realistic dataset for the sandbox server, written into a temp dir.
#![allow(dead_code, missing_docs)]

use serde_json::{Value, json};
use std::path::Path;

pub const KEY: &str = "sandbox-test-key-0123456789abcdef";
pub const N: usize = 250;

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub offerings: Vec<String>,
    pub investors: Vec<String>,
    pub investments: Vec<String>,
    pub users: Vec<String>,
    pub investment_values: Vec<Value>,
}

const TYPES: [&str; 4] = ["person", "company", "trust", "trust_ira"];
const KYC: [&str; 4] = ["passed", "unverified", "processing", "failed"];
const STATUSES: [&str; 6] = [
    "received",
    "started",
    "accepted",
    "invested",
    "refunded",
    "accepted_escrow_closed",
];
const METHODS: [&str; 5] = ["wire", "card", "other", "ira", "crypto"];
const FIRST: [&str; 7] = ["Ana", "Bob", "Chloé", "Dmitri", "Eve", "Fatima", "Gustavo"];
const LAST: [&str; 5] = ["Smith", "García", "Nguyen", "O'Brien", "Müller"];

fn entity(i: usize) -> Value {
    json!({
        "id": 5000 + i,
        "email": format!("Investor{i}@Example.com"),
        "phone": format!("+1555000{i:04}"),
        "street_address_1": format!("{i} Main St"),
        "street_address_2": null,
        "city": "Austin",
        "state": "TX",
        "region": null,
        "postal_code": "78701",
        "country": if i.is_multiple_of(9) { "CA" } else { "US" },
        "kyc_status": KYC[i % 4],
        "first_name": FIRST[i % 7],
        "last_name": LAST[i % 5],
        "date_of_birth": format!("19{:02}-{:02}-{:02}", 50 + i % 45, 1 + i % 12, 1 + i % 28),
        "net_worth": format!("{}.00", 50_000 + i * 7_919),
        "annual_income": format!("{}.50", 40_000 + i * 1_013),
        "accredited_investor": i.is_multiple_of(3),
        "citizenship": "United States",
        "us_person": !i.is_multiple_of(9),
        "exempt_from_backup_withholding": false,
        "amount_invested_in_reg_cf_offering_this_year": "0.00",
        "accredited_investor_type": if i.is_multiple_of(3) { "net_worth" } else { "income" },
        "tax_id_number": format!("{:03}-{:02}-{:04}", 100 + i, 10 + i % 90, 1000 + i)
    })
}

fn investor_in_investment(i: usize) -> Value {
    json!({
        "id": i,
        "user": {"id": 1000 + i, "email": format!("investor{i}@example.com"), "first_name": FIRST[i % 7],
                 "last_name": LAST[i % 5], "date_joined": "2026-01-02T03:04:05.678Z", "last_login": null},
        "entity": entity(i),
        "individual_entity": {"id": 7000 + i, "first_name": FIRST[i % 7], "last_name": LAST[i % 5],
                              "email": format!("investor{i}@example.com"), "phone": null, "kyc_status": KYC[i % 4]},
        "type": TYPES[i % 4],
        "receive_sms": false,
        "receive_emails": true,
        "utm_parameters": {"utm_source": "newsletter"}
    })
}

fn investor_record(i: usize) -> Value {
    // Every 50th investor has no entity in investors.jsonl: its identity comes from investments.
    let entity = if i.is_multiple_of(50) {
        Value::Null
    } else {
        let mut e = entity(i);
        if let Some(m) = e.as_object_mut() {
            m.remove("phone");
            m.insert(
                "amount_invested_in_reg_cf_offering_this_year_other_platforms".into(),
                json!("125.00"),
            );
            m.insert(
                "canadian_eligible_investor_type".into(),
                json!("eligible_net_income"),
            );
            m.insert("household_w9".into(), json!(false));
        }
        e
    };
    json!({
        "id": i,
        "user": {"id": 1000 + i, "email": format!("investor{i}@example.com")},
        "entity": entity,
        "type": TYPES[i % 4],
        "individual_entity": {"id": 7000 + i, "first_name": FIRST[i % 7], "last_name": LAST[i % 5],
                              "email": format!("investor{i}@example.com"), "phone": null, "kyc_status": KYC[i % 4]}
    })
}

/// Investment id for the i-th investment (non-contiguous ids).
pub fn investment_id(i: usize) -> usize {
    10 + i * 3
}

pub fn amount_of(i: usize) -> String {
    format!("{}.{:02}", 100 + (i * 7_907) % 9_900, (i * 37) % 100)
}

fn investment(i: usize) -> Value {
    let status = if i == 7 { "on_hold" } else { STATUSES[i % 6] };
    let method = if i == 8 { "zelle" } else { METHODS[i % 5] };
    let amount: Value = if i == 11 {
        json!(2500.5)
    } else {
        json!(amount_of(i))
    };
    json!({
        "id": investment_id(i),
        "quantity": 10 + i,
        "price": amount_of(i),
        "price_fees": "0.00",
        "price_payment_processing_fees": if method == "card" { "3.25" } else { "0.00" },
        "amount": amount,
        "status": status,
        "payment_intent_id": if method == "card" { Value::from(format!("pi_{i:08}")) } else { Value::Null },
        "offering": 1 + i % 3,
        "reference_id": format!("REF-{:06}", investment_id(i)),
        "investor_individual_name": format!("{} {}", FIRST[i % 7], LAST[i % 5]),
        "investor": investor_in_investment(i),
        "payment_method": method,
        "updated_at": format!("2026-10-{:02}T12:00:00.123456Z", 1 + i % 30),
        "has_investor_signed": true,
        "accredited_investor": i.is_multiple_of(3),
        "net_worth": format!("{}.00", 50_000 + i * 7_919),
        "annual_income": format!("{}.50", 40_000 + i * 1_013),
        "us_person": !i.is_multiple_of(9),
        "exempt_from_backup_withholding": false,
        "amount_invested_in_reg_cf_offering_this_year": "0.00",
        "user_browser_type": "Firefox",
        "accredited_investor_type": if i.is_multiple_of(3) { "net_worth" } else { "income" },
        "processed_at": if i % 6 == 1 { Value::Null } else { Value::from(format!("2026-10-{:02}T{:02}:30:00Z", 1 + i % 31, i % 24)) },
        "bonus_shares": 0,
        "processing_issue_statuses": null,
        "shares_amount": amount_of(i),
        "watchlistentity_set": [{"id": 9000 + i, "entity": 5000 + i, "has_hits": i.is_multiple_of(40), "watchlist_hits": null,
                                 "ofac_fincen_status": "clear", "updated_at": "2026-10-01T00:00:00Z", "aml_provider": "ComplyAdvantage"}],
        "bonus_shares_code": null,
        "bonus_shares_percentage_tier": null,
        "bonus_shares_quantity_tier": null,
        "quantity_qualified_shares": 0,
        "price_qualified_shares": "0.00",
        "received_at": if STATUSES[i % 6] == "started" { Value::Null } else { Value::from(format!("2026-10-{:02}T09:00:00Z", 1 + i % 31)) },
        "invested_at": null,
        "refunded_at": null
    })
}

fn offering(id: usize, ty: &str, slug: &str) -> Value {
    json!({
        "id": id, "issuer": 1, "name": format!("Acme {slug}"), "type": ty, "status": "opened",
        "description": "Widgets", "security_type": "Common stock", "share_or_unit": "Shares",
        "unit_price": "1.25", "max_investment_amount": "100000.00", "min_investment_amount": "100.00",
        "investment_increment_amount": "1.25", "minimum_wire_transfer_amount": "1000.00",
        "accredited_investors": true, "non_accredited_investors": ty != "reg_d_506c", "slug": slug,
        "displayed_number_of_shares": null, "minimum_amount_raised": "10000.00", "maximum_amount_raised": "5000000.00",
        "reg_cf_fee_percentage": "7.00", "archived": false, "investors_excluded_countries": ["KP", "IR"],
        "investors_included_countries": [], "deadline_date": "2026-12-31", "created_at": "2026-01-01T00:00:00Z",
        "opened_at": "2026-02-01T00:00:00Z", "a_field_not_in_the_document": {"nested": [1, 2]}
    })
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

pub fn write_fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let api = dir.path().join("api");
    std::fs::create_dir_all(api.join("sidecar")).unwrap();
    let offerings: Vec<String> = [
        offering(1, "reg_cf", "acme-cf"),
        offering(2, "reg_d_506c", "acme-506c"),
        offering(3, "reg_a", "acme-a"),
    ]
    .iter()
    .map(|v| v.to_string())
    .collect();
    let investors: Vec<String> = (1..=N).map(|i| investor_record(i).to_string()).collect();
    let investment_values: Vec<Value> = (1..=N).map(investment).collect();
    let investments: Vec<String> = investment_values.iter().map(|v| v.to_string()).collect();
    let users: Vec<String> = (1..=N)
        .map(|i| json!({"id": 1000 + i, "email": format!("investor{i}@example.com")}).to_string())
        .collect();
    let sidecar: Vec<String> = (1..=N)
        .map(|i| json!({"id": investment_id(i), "created_at": format!("2026-{:02}-{:02}T08:00:00Z", 9 + i % 2, 1 + i % 28)}).to_string())
        .collect();
    write_lines(&api.join("offerings.jsonl"), &offerings);
    write_lines(&api.join("investors.jsonl"), &investors);
    write_lines(&api.join("investments.jsonl"), &investments);
    write_lines(&api.join("users.jsonl"), &users);
    write_lines(
        &api.join("sidecar").join("investments_created_at.jsonl"),
        &sidecar,
    );
    std::fs::write(
        dir.path().join("dataset.json"),
        json!({"format": 1, "seed": 1, "period": "2026-10", "investments": N, "api_key": KEY, "snapshot_time": "2026-11-01T00:00:00Z"}).to_string(),
    )
    .unwrap();
    Fixture {
        dir,
        offerings,
        investors,
        investments,
        users,
        investment_values,
    }
}

pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
