use super::*;
use proptest::prelude::*;
use std::str::FromStr;

fn dt(s: &str) -> Option<DateTime<Utc>> {
    Some(s.parse().unwrap())
}

fn sample_book() -> Book {
    let offering = tieout_domain::Offering {
        id: 7,
        issuer_id: Some(3),
        name: "Ωmega Brewing — Reg CF".into(),
        description: Some("Tier 2 offering".into()),
        slug: "omega".into(),
        offering_type: OfferingType::from_wire("cf"),
        status: OfferingStatus::from_wire("some_future_status"),
        unit_price: Some(Decimal::from_str("1.2345").unwrap()),
        min_investment: Some(Decimal::from_str("100.00").unwrap()),
        max_investment: None,
        increment: Some(Decimal::from_str("-0.01").unwrap()),
        min_wire: None,
        target_amount: Some(Decimal::from_str("79228162514264337593543950335").unwrap()),
        max_amount: Some(Decimal::from_str("-79228162514264337593543950335").unwrap()),
        reg_cf_fee_percentage: Some(Decimal::from_str("0.0000000000000000000000000001").unwrap()),
        excluded_countries: vec!["KP".into(), "IR".into()],
        included_countries: vec![],
        deadline: NaiveDate::from_ymd_opt(2026, 12, 31),
        timezone: Some("US/Pacific".into()),
        created_at: dt("2025-01-02T03:04:05.123456789Z"),
        opened_at: None,
        accepts_accredited: Some(true),
        accepts_non_accredited: Some(false),
    };
    let investor = tieout_domain::Investor {
        id: 11,
        investor_type: InvestorType::from_wire("person"),
        user_id: Some(-5),
        entity_id: None,
        first_name: "Zoë".into(),
        last_name: "Ng".into(),
        display_name: Some("Zoë Ng".into()),
        individual_name: None,
        email: Some("z@example.org".into()),
        date_of_birth: NaiveDate::from_ymd_opt(-44, 3, 15),
        country: Some("US".into()),
        state: None,
        citizenship: Some(String::new()),
        us_person: None,
        accredited: Some(false),
        accreditation_type: Some(AccreditationType::from_wire("brand_new_basis")),
        net_worth: Some(Decimal::ZERO),
        annual_income: None,
        regcf_invested_this_year: Some(Decimal::from_str("2500.00").unwrap()),
        regcf_invested_other_platforms: None,
        kyc_status: KycStatus::from_wire("passed"),
        tax_id: Some("123-45-6789".into()),
    };
    let investment = tieout_domain::Investment {
        id: 1,
        offering_id: 7,
        investor_id: 11,
        amount: Decimal::from_str("1000.50").unwrap(),
        quantity: Some(i64::MAX),
        price: Some(Decimal::from_str("1030.51").unwrap()),
        price_payment_processing_fees: Some(Decimal::from_str("30.01").unwrap()),
        bonus_shares: Some(i64::MIN),
        status: InvestmentStatus::from_wire("accepted"),
        payment_method: PaymentMethod::from_wire(""),
        payment_intent_id: Some("pi_1".into()),
        investor_name: Some("Zoë Ng".into()),
        annual_income: Some(Decimal::from_str("100000").unwrap()),
        us_person: Some(true),
        watchlist: vec![WatchlistScreening {
            id: 9,
            has_hits: true,
            ofac_fincen_status: None,
            aml_provider: Some("ComplyAdvantage".into()),
        }],
        processing_issue_statuses: Some(String::new()),
        created_at: dt("2026-10-01T00:00:00Z"),
        received_at: dt("1969-12-31T23:59:59Z"),
        updated_at: dt("2026-10-02T12:00:00.5Z"),
        ..tieout_domain::fixtures::investment()
    };
    let mut investments = Vec::new();
    for i in 0..(BLOCK as i64 * 2 + 3) {
        let mut v = investment.clone();
        v.id = i + 1;
        investments.push(v);
    }
    Book {
        offerings: vec![offering],
        investors: vec![investor],
        investments,
    }
}

#[test]
fn round_trips_edge_values_across_blocks() {
    let book = sample_book();
    let src = vec![Source {
        file: "investments.jsonl".into(),
        bytes: 42,
    }];
    let bytes = encode(&book, &src);
    assert_eq!(sources(&bytes).unwrap(), Some(src));
    assert_eq!(decode(&bytes).unwrap(), book);
}

#[test]
fn truncated_or_corrupt_input_is_an_error_not_a_panic() {
    let book = sample_book();
    let bytes = encode(&book, &[]);
    for cut in [0, 5, 12, 40, bytes.len() / 2, bytes.len() - 1] {
        assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut extra = bytes.clone();
    extra.push(0);
    assert!(decode(&extra).unwrap_err().reason.contains("trailing"));
    let mut other = bytes.clone();
    other[8] = 99;
    assert_eq!(sources(&other).unwrap(), None);
    assert!(decode(&other).is_err());
    assert!(sources(b"NOTABOOK....").is_err());
}

#[test]
fn a_block_claiming_more_records_than_bytes_is_refused_before_anything_is_sized_by_it() {
    // An empty book ends with its two sections' block counts (0, 0); the second becomes one
    // block of 2^40 records in one byte.
    let mut bytes = encode(&Book::default(), &[]);
    assert_eq!(bytes.pop(), Some(0));
    let mut w = W(Vec::new());
    w.uvar(1);
    w.uvar(1 << 40);
    w.uvar(1);
    w.0.push(0);
    bytes.extend(w.0);
    let e = decode(&bytes).unwrap_err();
    assert!(e.reason.contains("more records than"), "{e:?}");
}

proptest! {
    #[test]
    fn decimals_and_instants_survive(m in any::<i64>(), hi in any::<i32>(), scale in 0u32..=28,
                                     secs in -50_000_000_000i64..50_000_000_000, nanos in 0u32..1_000_000_000) {
        let mant = (i128::from(hi) << 64) | i128::from(m as u64);
        let d = Decimal::try_from_i128_with_scale(mant % 79_228_162_514_264_337_593_543_950_335, scale).unwrap();
        let t = DateTime::from_timestamp(secs, nanos);
        let mut w = W(Vec::new());
        w.dec(&d);
        w.otime(&t);
        let mut r = R { b: &w.0, at: 0 };
        prop_assert_eq!(r.dec().unwrap(), d);
        prop_assert_eq!(r.otime().unwrap(), t);
        prop_assert_eq!(r.at, w.0.len());
    }
}
