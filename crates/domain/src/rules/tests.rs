//! Rule tests: one block per rule, fixtures on both sides of every threshold and effective date.

use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;

use super::*;
use crate::model::{InvestmentStatus, InvestorType, KycStatus, PaymentMethod, WatchlistScreening};
use crate::sanctions::{Override, SanctionsList, SdnFiles};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn offering(id: i64, t: OfferingType) -> Offering {
    Offering {
        id,
        issuer_id: Some(1),
        name: format!("Offering {id}"),
        slug: format!("o{id}"),
        offering_type: t,
        timezone: Some("US/Pacific".into()),
        ..crate::fixtures::offering()
    }
}

fn investor(id: i64) -> Investor {
    Investor {
        id,
        investor_type: InvestorType::Person,
        user_id: None,
        entity_id: None,
        first_name: "Pat".into(),
        last_name: format!("Tester{id}"),
        display_name: None,
        individual_name: None,
        email: None,
        date_of_birth: Some(d("1980-01-01")),
        country: Some("US".into()),
        state: None,
        citizenship: None,
        us_person: Some(true),
        accredited: Some(false),
        accreditation_type: None,
        net_worth: Some(dec("40000")),
        annual_income: Some(dec("30000")),
        regcf_invested_this_year: None,
        regcf_invested_other_platforms: None,
        kyc_status: KycStatus::Passed,
        tax_id: None,
    }
}

fn investment(id: i64, offering_id: i64, investor_id: i64, amount: &str, date: &str) -> Investment {
    let at = Utc.from_utc_datetime(&d(date).and_hms_opt(15, 0, 0).unwrap());
    Investment {
        id,
        offering_id,
        investor_id,
        amount: dec(amount),
        status: InvestmentStatus::Invested,
        payment_method: PaymentMethod::Wire,
        created_at: Some(at),
        received_at: Some(at),
        ..crate::fixtures::investment()
    }
}

fn run(book: &Book) -> Vec<Finding> {
    check(
        book,
        d("2030-01-01"),
        None,
        &Overrides::default(),
        &CheckConfig::default(),
    )
}

fn codes(findings: &[Finding], code: RuleCode) -> Vec<i64> {
    findings
        .iter()
        .filter(|f| f.code == code)
        .filter_map(|f| f.investment_id)
        .collect()
}

fn fig<'a>(f: &'a Finding, name: &str) -> &'a str {
    f.figures
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap()
}

// ---------------------------------------------------------------- REGCF_INVESTOR_LIMIT

#[test]
fn regcf_investor_limit_worked_sentence() {
    let mut i = investor(42);
    i.annual_income = Some(dec("30000"));
    i.net_worth = Some(dec("40000"));
    let book = Book {
        offerings: vec![offering(1, OfferingType::RegCf)],
        investors: vec![i],
        investments: vec![
            investment(10, 1, 42, "500", "2026-05-01"),
            investment(11, 1, 42, "3000", "2026-10-03"),
        ],
    };
    let f = run(&book);
    let hits: Vec<&Finding> = f
        .iter()
        .filter(|f| f.code == RuleCode::RegcfInvestorLimit)
        .collect();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].investment_id, Some(11));
    assert_eq!(
        hits[0].detail,
        "Investor 42 (non-accredited, income $30,000.00, net worth $40,000.00) bought $3,000.00 in Reg CF offering 1 on 2026-10-03; with $500.00 earlier in the 12-month period from 2025-10-04 the total $3,500.00 exceeds the $2,500.00 limit (17 CFR 227.100(a)(2): greater basis in force since 2021-03-15, Release 33-10884, 86 FR 3496; floor $2,500.00, threshold $124,000.00 and cap $124,000.00 in force since 2022-09-20, Release 33-11098, 87 FR 57394)."
    );
    assert_eq!(fig(hits[0], "limit"), "2500.00");
    assert_eq!(fig(hits[0], "counted"), "3500.00");
    assert_eq!(fig(hits[0], "threshold_version"), "2022-09-20");
    assert_eq!(hits[0].citation, "17 CFR 227.100(a)(2)");
    assert_eq!(hits[0].severity, Severity::Violation);
}

/// shared/domain.md §3.1 worked examples, end to end: buying exactly the limit is clean, one
/// cent more fires.
#[test]
fn regcf_worked_examples_table() {
    let table = [
        ("30000", "40000", "2500.00", "2500.01"),
        ("150000", "80000", "7500.00", "7500.01"),
        ("200000", "900000", "90000.00", "90000.01"),
        ("1200000", "2000000", "124000.00", "124000.01"),
    ];
    for (income, nw, at, over) in table {
        for (amount, fires) in [(at, false), (over, true)] {
            let mut i = investor(1);
            i.annual_income = Some(dec(income));
            i.net_worth = Some(dec(nw));
            let book = Book {
                offerings: vec![offering(1, OfferingType::RegCf)],
                investors: vec![i],
                investments: vec![investment(1, 1, 1, amount, "2026-10-03")],
            };
            let f = run(&book);
            let hit = f.iter().find(|f| f.code == RuleCode::RegcfInvestorLimit);
            assert_eq!(hit.is_some(), fires, "{income}/{nw} buying {amount}");
            if let Some(h) = hit {
                assert_eq!(fig(h, "limit"), at);
            }
        }
    }
}

#[test]
fn regcf_investor_limit_both_sides_of_the_limit() {
    for (amount, fires) in [("2500.00", false), ("2500.01", true)] {
        let book = Book {
            offerings: vec![offering(1, OfferingType::RegCf)],
            investors: vec![investor(1)],
            investments: vec![investment(1, 1, 1, amount, "2026-10-03")],
        };
        assert_eq!(
            !codes(&run(&book), RuleCode::RegcfInvestorLimit).is_empty(),
            fires,
            "{amount}"
        );
    }
}

#[test]
fn regcf_accredited_limited_until_2021_03_14_only() {
    for (date, fires) in [("2021-03-14", true), ("2021-03-15", false)] {
        let mut i = investor(1);
        i.accredited = Some(true);
        i.accreditation_type = Some(AccreditationType::Professional);
        i.annual_income = Some(dec("50000"));
        i.net_worth = Some(dec("50000"));
        let mut book = Book {
            offerings: vec![offering(1, OfferingType::RegCf)],
            investors: vec![i],
            investments: vec![investment(1, 1, 1, "5000", date)],
        };
        assert_eq!(
            !codes(&run(&book), RuleCode::RegcfInvestorLimit).is_empty(),
            fires,
            "{date}"
        );
        // A claim by income that the stated $50,000 contradicts does not lift the limit.
        book.investors[0].accreditation_type = Some(AccreditationType::Income);
        assert_eq!(
            codes(&run(&book), RuleCode::RegcfInvestorLimit),
            vec![1],
            "{date}"
        );
    }
}

#[test]
fn regcf_lesser_vs_greater_basis_around_2021_03_15() {
    // income 150k, nw 80k: before → 5% of lesser 80k = 4,000; from → 5% of greater = 7,500.
    for (date, fires) in [("2021-03-14", true), ("2021-03-15", false)] {
        let mut i = investor(1);
        i.annual_income = Some(dec("150000"));
        i.net_worth = Some(dec("80000"));
        let book = Book {
            offerings: vec![offering(1, OfferingType::RegCf)],
            investors: vec![i],
            investments: vec![investment(1, 1, 1, "5000", date)],
        };
        assert_eq!(
            !codes(&run(&book), RuleCode::RegcfInvestorLimit).is_empty(),
            fires,
            "{date}"
        );
    }
}

#[test]
fn regcf_floor_changes_on_2022_09_20() {
    // income 30k / nw 40k: floor 2,200 until 2022-09-19, 2,500 from 2022-09-20.
    for (date, fires, limit) in [
        ("2022-09-19", true, "2200.00"),
        ("2022-09-20", false, "2500.00"),
    ] {
        let book = Book {
            offerings: vec![offering(1, OfferingType::RegCf)],
            investors: vec![investor(1)],
            investments: vec![investment(1, 1, 1, "2300", date)],
        };
        let f = run(&book);
        let hits: Vec<&Finding> = f
            .iter()
            .filter(|f| f.code == RuleCode::RegcfInvestorLimit)
            .collect();
        assert_eq!(!hits.is_empty(), fires, "{date}");
        if let Some(h) = hits.first() {
            assert_eq!(fig(h, "limit"), limit);
        }
    }
}

#[test]
fn regcf_window_is_twelve_calendar_months_and_self_reports_warn() {
    // 2,000 then 1,000 → 3,000 > 2,500 only when the first is within the 12-month period
    // preceding and including 2026-10-03, which starts 2025-10-04.
    for (first, fires) in [("2025-10-03", false), ("2025-10-04", true)] {
        let book = Book {
            offerings: vec![
                offering(1, OfferingType::RegCf),
                offering(2, OfferingType::RegCf),
            ],
            investors: vec![investor(1)],
            investments: vec![
                investment(1, 1, 1, "2000", first),
                investment(2, 2, 1, "1000", "2026-10-03"),
            ],
        };
        assert_eq!(
            codes(&run(&book), RuleCode::RegcfInvestorLimit),
            if fires { vec![2] } else { vec![] }
        );
    }
    let mut i = investor(1);
    i.regcf_invested_other_platforms = Some(dec("2000"));
    let book = Book {
        offerings: vec![offering(1, OfferingType::RegCf)],
        investors: vec![i],
        investments: vec![investment(1, 1, 1, "1000", "2026-10-03")],
    };
    // The investor's own figures stand as of the pull: they describe 2026, not a 2030 run.
    assert!(codes(&run(&book), RuleCode::RegcfInvestorLimit).is_empty());
    let f = check(
        &book,
        d("2026-10-31"),
        None,
        &Overrides::default(),
        &CheckConfig::default(),
    );
    assert_eq!(codes(&f, RuleCode::RegcfInvestorLimit), vec![1]);
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(f[0].detail.contains("self-reported"), "{}", f[0].detail);
}

#[test]
fn out_of_scope_statuses_and_dates_raise_nothing() {
    let mut a = investment(1, 1, 1, "9000", "2026-10-03");
    a.status = InvestmentStatus::Cancelled;
    let b = investment(2, 1, 1, "9000", "2026-11-02");
    let book = Book {
        offerings: vec![offering(1, OfferingType::RegCf)],
        investors: vec![investor(1)],
        investments: vec![a, b],
    };
    let f = check(
        &book,
        d("2026-11-01"),
        None,
        &Overrides::default(),
        &CheckConfig::default(),
    );
    assert!(f.is_empty(), "{f:?}");
    let f = check(
        &book,
        d("2026-11-02"),
        None,
        &Overrides::default(),
        &CheckConfig::default(),
    );
    assert_eq!(codes(&f, RuleCode::RegcfInvestorLimit), vec![2]);
}

// ---------------------------------------------------------------- REGCF_ISSUER_CAP

fn rich(id: i64) -> Investor {
    let mut i = investor(id);
    i.accredited = Some(true);
    i.accreditation_type = Some(AccreditationType::NetWorth);
    i.net_worth = Some(dec("50000000"));
    i.annual_income = Some(dec("5000000"));
    i
}

#[test]
fn regcf_issuer_cap_crossing_and_onward() {
    let book = Book {
        offerings: vec![
            offering(1, OfferingType::RegCf),
            offering(2, OfferingType::RegCf),
        ],
        investors: vec![rich(1)],
        investments: vec![
            investment(1, 1, 1, "3000000", "2026-01-10"),
            investment(2, 2, 1, "2000000", "2026-02-10"),
            investment(3, 2, 1, "0.01", "2026-03-10"),
            investment(4, 1, 1, "10", "2026-04-10"),
            // 365+ days after the first two: window back under the cap
            investment(5, 1, 1, "10", "2027-02-11"),
        ],
    };
    let f = run(&book);
    let mut got = codes(&f, RuleCode::RegcfIssuerCap);
    got.sort_unstable();
    assert_eq!(got, vec![3, 4]);
    let h = f
        .iter()
        .find(|f| f.code == RuleCode::RegcfIssuerCap && f.investment_id == Some(3))
        .unwrap();
    assert_eq!(fig(h, "issuer_cap"), "5000000.00");
    assert_eq!(fig(h, "sold_12_months"), "5000000.01");
}

#[test]
fn regcf_issuer_cap_was_1_07m_before_2021_03_15() {
    for (date, fires) in [("2021-03-14", true), ("2021-03-15", false)] {
        let book = Book {
            offerings: vec![offering(1, OfferingType::RegCf)],
            investors: vec![rich(1)],
            investments: vec![investment(1, 1, 1, "1070000.01", date)],
        };
        assert_eq!(
            !codes(&run(&book), RuleCode::RegcfIssuerCap).is_empty(),
            fires,
            "{date}"
        );
    }
}

// ---------------------------------------------------------------- REGA_TIER2_LIMIT

#[test]
fn rega_tier2_limit_on_greater_of_income_and_net_worth() {
    let mut i = investor(1);
    i.annual_income = Some(dec("100000"));
    i.net_worth = Some(dec("50000"));
    let mk = |last: &str| Book {
        offerings: vec![
            offering(1, OfferingType::RegA),
            offering(2, OfferingType::RegA),
        ],
        investors: vec![i.clone()],
        investments: vec![
            investment(1, 1, 1, "6000", "2026-01-10"),
            investment(2, 1, 1, last, "2026-02-10"),
            investment(3, 1, 1, "1", "2026-03-10"),
            investment(4, 2, 1, "9000", "2026-03-10"), // another offering: own limit
        ],
    };
    assert_eq!(
        codes(&run(&mk("4000.00")), RuleCode::RegaTier2Limit),
        vec![3]
    );
    assert_eq!(
        codes(&run(&mk("4000.01")), RuleCode::RegaTier2Limit),
        vec![2, 3]
    );
    let mut acc = i.clone();
    acc.accredited = Some(true);
    let mut book = mk("9000");
    book.investors = vec![acc];
    assert!(codes(&run(&book), RuleCode::RegaTier2Limit).is_empty());
}

// ---------------------------------------------------------------- REGD_506B_NONACCREDITED_COUNT

#[test]
fn regd_506b_36th_non_accredited_purchaser() {
    for n in [35i64, 36] {
        let mut investors = vec![rich(1000)];
        let mut investments = vec![investment(1000, 1, 1000, "50000", "2026-01-01")];
        for k in 1..=n {
            investors.push(investor(k));
            investments.push(investment(
                k,
                1,
                k,
                "1000",
                &format!("2026-02-{:02}", k.min(28)),
            ));
        }
        // a second investment of the 36th-or-later investor fires too
        investments.push(investment(500, 1, n, "1000", "2026-05-01"));
        let book = Book {
            offerings: vec![offering(1, OfferingType::RegD506b)],
            investors,
            investments,
        };
        let got = codes(&run(&book), RuleCode::Regd506bNonaccreditedCount);
        if n == 35 {
            assert!(got.is_empty());
        } else {
            assert_eq!(got, vec![36, 500]);
        }
    }
}

// ---------------------------------------------------------------- REGD_506C / REGS

#[test]
fn regd_506c_requires_accreditation_and_type() {
    let mut acc = investor(1);
    acc.accredited = Some(true);
    acc.accreditation_type = Some(AccreditationType::Professional);
    let mut no_type = acc.clone();
    no_type.id = 2;
    no_type.accreditation_type = None;
    let book = Book {
        offerings: vec![offering(1, OfferingType::RegD506c)],
        investors: vec![acc, no_type, investor(3)],
        investments: vec![
            investment(1, 1, 1, "100", "2026-01-01"),
            investment(2, 1, 2, "100", "2026-01-01"),
            investment(3, 1, 3, "100", "2026-01-01"),
        ],
    };
    let f = run(&book);
    assert_eq!(codes(&f, RuleCode::Regd506cNotAccredited), vec![2, 3]);
}

#[test]
fn regs_us_person_or_us_country() {
    let mut foreign = investor(1);
    foreign.us_person = Some(false);
    foreign.country = Some("DE".into());
    let mut us_person_abroad = foreign.clone();
    us_person_abroad.id = 2;
    us_person_abroad.us_person = Some(true);
    let mut us_resident = foreign.clone();
    us_resident.id = 3;
    us_resident.country = Some("us".into());
    let book = Book {
        offerings: vec![offering(1, OfferingType::RegS)],
        investors: vec![foreign, us_person_abroad, us_resident],
        investments: vec![
            investment(1, 1, 1, "100", "2026-01-01"),
            investment(2, 1, 2, "100", "2026-01-01"),
            investment(3, 1, 3, "100", "2026-01-01"),
        ],
    };
    assert_eq!(codes(&run(&book), RuleCode::RegsUsPerson), vec![2, 3]);
}

// ---------------------------------------------------------------- ACCREDITATION_INCONSISTENT

#[test]
fn accreditation_inconsistent_at_each_bar() {
    let cases = [
        (AccreditationType::NetWorth, "1000000", "0", true),
        (AccreditationType::NetWorth, "1000000.01", "0", false),
        (AccreditationType::Income, "0", "200000", true),
        (AccreditationType::Income, "0", "200000.01", false),
        (AccreditationType::JointIncome, "0", "300000", true),
        (AccreditationType::JointIncome, "0", "300000.01", false),
        (AccreditationType::EntityAssets, "5000000", "0", true),
        (AccreditationType::EntityAssets, "5000000.01", "0", false),
        (AccreditationType::Professional, "0", "0", false),
    ];
    for (t, nw, income, fires) in cases {
        let mut i = investor(1);
        i.accredited = Some(true);
        i.accreditation_type = Some(t.clone());
        i.net_worth = Some(dec(nw));
        i.annual_income = Some(dec(income));
        let book = Book {
            offerings: vec![offering(1, OfferingType::RegD506b)],
            investors: vec![i],
            investments: vec![investment(1, 1, 1, "100", "2026-01-01")],
        };
        let f = run(&book);
        let hits: Vec<&Finding> = f
            .iter()
            .filter(|f| f.code == RuleCode::AccreditationInconsistent)
            .collect();
        assert_eq!(!hits.is_empty(), fires, "{t:?} {nw} {income}");
        if let Some(h) = hits.first() {
            assert_eq!(h.severity, Severity::Warning);
        }
    }
}

// ---------------------------------------------------------------- KYC / AML

#[test]
fn kyc_not_passed_and_missing_investor() {
    let mut p = investor(2);
    p.kyc_status = KycStatus::Processing;
    let book = Book {
        offerings: vec![offering(1, OfferingType::RegA)],
        investors: vec![investor(1), p],
        investments: vec![
            investment(1, 1, 1, "100", "2026-01-01"),
            investment(2, 1, 2, "100", "2026-01-01"),
            investment(3, 1, 99, "100", "2026-01-01"),
        ],
    };
    let f = run(&book);
    assert_eq!(codes(&f, RuleCode::KycNotPassed), vec![2, 3]);
}

#[test]
fn aml_watchlist_hit_only_with_hits() {
    let mut a = investment(1, 1, 1, "100", "2026-01-01");
    a.watchlist = vec![WatchlistScreening {
        id: 7,
        has_hits: false,
        ofac_fincen_status: None,
        aml_provider: None,
    }];
    let mut b = investment(2, 1, 1, "100", "2026-01-01");
    b.watchlist = vec![WatchlistScreening {
        id: 8,
        has_hits: true,
        ofac_fincen_status: Some("pending".into()),
        aml_provider: None,
    }];
    let book = Book {
        offerings: vec![offering(1, OfferingType::RegA)],
        investors: vec![investor(1)],
        investments: vec![a, b],
    };
    let f = run(&book);
    assert_eq!(codes(&f, RuleCode::AmlWatchlistHit), vec![2]);
    assert!(f.iter().any(|f| f.detail.contains("record 8")));
}

// ---------------------------------------------------------------- INVESTOR_UNDERAGE

#[test]
fn underage_until_the_18th_birthday() {
    for (date, fires) in [("2026-03-14", true), ("2026-03-15", false)] {
        let mut i = investor(1);
        i.date_of_birth = Some(d("2008-03-15"));
        let mut company = investor(2);
        company.investor_type = InvestorType::Company;
        company.date_of_birth = Some(d("2020-01-01"));
        let book = Book {
            offerings: vec![offering(1, OfferingType::RegA)],
            investors: vec![i, company],
            investments: vec![
                investment(1, 1, 1, "100", date),
                investment(2, 1, 2, "100", date),
            ],
        };
        assert_eq!(
            codes(&run(&book), RuleCode::InvestorUnderage),
            if fires { vec![1] } else { vec![] }
        );
    }
    assert_eq!(age_on(d("2004-02-29"), d("2022-02-28")), 17);
    assert_eq!(age_on(d("2004-02-29"), d("2022-03-01")), 18);
}

// ---------------------------------------------------------------- COUNTRY_EXCLUDED

#[test]
fn country_excluded_and_not_included() {
    let mut o1 = offering(1, OfferingType::RegS);
    o1.excluded_countries = vec!["CN".into()];
    let mut o2 = offering(2, OfferingType::RegS);
    o2.included_countries = vec!["DE".into(), "FR".into()];
    let mut cn = investor(1);
    cn.country = Some("cn".into());
    cn.us_person = Some(false);
    let mut de = investor(2);
    de.country = Some("DE".into());
    de.us_person = Some(false);
    let mut unknown = investor(3);
    unknown.country = None;
    unknown.us_person = Some(false);
    let book = Book {
        offerings: vec![o1, o2],
        investors: vec![cn, de, unknown],
        investments: vec![
            investment(1, 1, 1, "100", "2026-01-01"), // excluded
            investment(2, 1, 2, "100", "2026-01-01"), // fine
            investment(3, 2, 1, "100", "2026-01-01"), // not included
            investment(4, 2, 2, "100", "2026-01-01"), // included
            investment(5, 2, 3, "100", "2026-01-01"), // unknown country: DATA_MISSING
        ],
    };
    let f = run(&book);
    assert_eq!(codes(&f, RuleCode::CountryExcluded), vec![1, 3]);
    assert_eq!(codes(&f, RuleCode::DataMissing), vec![5]);
}

// ---------------------------------------------------------------- MIN / MAX / INCREMENT

#[test]
fn min_max_and_increment() {
    let mut o = offering(1, OfferingType::RegA);
    o.min_investment = Some(dec("100"));
    o.max_investment = Some(dec("10000"));
    o.increment = Some(dec("50"));
    let amounts = ["99.99", "100", "150", "175", "10000", "10000.01", "10050"];
    let investments = amounts
        .iter()
        .enumerate()
        .map(|(k, a)| investment(k as i64 + 1, 1, 1, a, "2026-01-01"))
        .collect();
    let mut i = investor(1);
    i.accredited = Some(true);
    let book = Book {
        offerings: vec![o],
        investors: vec![i],
        investments,
    };
    let f = run(&book);
    assert_eq!(codes(&f, RuleCode::InvestmentBelowMin), vec![1]);
    assert_eq!(codes(&f, RuleCode::InvestmentAboveMax), vec![6, 7]);
    assert_eq!(codes(&f, RuleCode::InvestmentIncrement), vec![4, 6]);
    assert!(
        f.iter()
            .filter(|f| f.code == RuleCode::InvestmentIncrement)
            .all(|f| f.severity == Severity::Warning)
    );
}

// ---------------------------------------------------------------- OFFERING_MAX_EXCEEDED

#[test]
fn offering_max_counts_accepted_only() {
    let mut o = offering(1, OfferingType::RegA);
    o.max_amount = Some(dec("1000"));
    let mut a = investment(1, 1, 1, "600", "2026-01-01");
    a.status = InvestmentStatus::Accepted;
    let b = investment(2, 1, 1, "600", "2026-01-02"); // invested, not accepted: not counted
    let mut c = investment(3, 1, 1, "400", "2026-01-03");
    c.status = InvestmentStatus::AcceptedEscrowClosed;
    let mut e = investment(4, 1, 1, "0.01", "2026-01-04");
    e.status = InvestmentStatus::Accepted;
    let mut i = investor(1);
    i.accredited = Some(true);
    let book = Book {
        offerings: vec![o],
        investors: vec![i],
        investments: vec![a, b, c, e],
    };
    assert_eq!(codes(&run(&book), RuleCode::OfferingMaxExceeded), vec![4]);
}

// ---------------------------------------------------------------- FUNDS_AFTER_DEADLINE

#[test]
fn funds_after_deadline() {
    let mut o = offering(1, OfferingType::RegA);
    o.deadline = Some(d("2026-06-30"));
    let mut i = investor(1);
    i.accredited = Some(true);
    let book = Book {
        offerings: vec![o],
        investors: vec![i],
        investments: vec![
            investment(1, 1, 1, "100", "2026-06-30"),
            investment(2, 1, 1, "100", "2026-07-01"),
        ],
    };
    assert_eq!(codes(&run(&book), RuleCode::FundsAfterDeadline), vec![2]);
}

// ---------------------------------------------------------------- SANCTIONS_NAME_MATCH

const SDN: &[u8] = b"15102,\"MORENO, Daniel\",\"individual\",\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 12 Oct 1972; POB Corozal, Belize.\"\r\n";

#[test]
fn sanctions_match_per_investment_dob_and_override() {
    let list = SanctionsList::parse(&SdnFiles {
        sdn: SDN,
        ..Default::default()
    })
    .unwrap();
    let index = SanctionsIndex::build(&list);
    let mut hit = investor(1);
    hit.first_name = "daniel".into();
    hit.last_name = "Moreno".into();
    hit.date_of_birth = None;
    let mut other_dob = hit.clone();
    other_dob.id = 2;
    other_dob.date_of_birth = Some(d("1990-05-05"));
    let book = Book {
        offerings: vec![offering(1, OfferingType::RegA)],
        investors: vec![hit, other_dob, investor(3)],
        investments: vec![
            investment(1, 1, 1, "100", "2026-01-01"),
            investment(2, 1, 1, "100", "2026-02-01"),
            investment(3, 1, 2, "100", "2026-01-01"),
            investment(4, 1, 3, "100", "2026-01-01"),
        ],
    };
    let cfg = CheckConfig::default();
    let f = check(
        &book,
        d("2030-01-01"),
        Some(&index),
        &Overrides::default(),
        &cfg,
    );
    assert_eq!(codes(&f, RuleCode::SanctionsNameMatch), vec![1, 2, 3]);
    let sev = |id: i64| {
        f.iter()
            .find(|f| f.code == RuleCode::SanctionsNameMatch && f.investment_id == Some(id))
            .map(|f| f.severity)
    };
    assert_eq!(sev(1), Some(Severity::Violation));
    // same name, listed DOB 1972 vs investor born 1990: kept as a warning for review
    assert_eq!(sev(3), Some(Severity::Warning));
    let w = f.iter().find(|f| f.investment_id == Some(3)).unwrap();
    assert!(w.detail.contains("date of birth differs"), "{}", w.detail);
    let h = f
        .iter()
        .find(|f| f.code == RuleCode::SanctionsNameMatch)
        .unwrap();
    assert_eq!(fig(h, "ent_num"), "15102");
    assert!(
        h.detail.contains("OFAC SDN entry 15102 'MORENO, Daniel'"),
        "{}",
        h.detail
    );

    let mut ov = Overrides::new();
    ov.insert(Override {
        ent_num: 15102,
        investor_id: 1,
        decided_by: "jane@cpa".into(),
        decided_at: "2026-11-02".into(),
        note: "different person".into(),
    });
    let f = check(&book, d("2030-01-01"), Some(&index), &ov, &cfg);
    assert_eq!(codes(&f, RuleCode::SanctionsNameMatch), vec![3]);
    let info: Vec<&Finding> = f.iter().filter(|f| f.severity == Severity::Info).collect();
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].investor_id, Some(1));
    // without a list the rule is not evaluated
    assert!(codes(&run(&book), RuleCode::SanctionsNameMatch).is_empty());
}

// ---------------------------------------------------------------- output contract

#[test]
fn findings_are_sorted_and_csv_is_rfc4180() {
    let mut p = investor(2);
    p.kyc_status = KycStatus::Failed;
    let mut o = offering(1, OfferingType::RegCf);
    o.min_investment = Some(dec("100"));
    let book = Book {
        offerings: vec![o],
        investors: vec![investor(1), p],
        investments: vec![
            investment(5, 1, 2, "50", "2026-01-01"),
            investment(4, 1, 1, "9000", "2026-01-01"),
            investment(3, 1, 2, "60", "2026-01-01"),
        ],
    };
    let f = run(&book);
    let keys: Vec<(RuleCode, Option<i64>)> = f.iter().map(|f| (f.code, f.investment_id)).collect();
    assert_eq!(
        keys,
        vec![
            (RuleCode::RegcfInvestorLimit, Some(4)),
            (RuleCode::KycNotPassed, Some(3)),
            (RuleCode::KycNotPassed, Some(5)),
            (RuleCode::InvestmentBelowMin, Some(3)),
            (RuleCode::InvestmentBelowMin, Some(5)),
        ]
    );
    let csv = findings_csv(&f);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("code,severity,investment_id,investor_id,offering_id,detail")
    );
    let first = lines.next().unwrap();
    assert!(
        first.starts_with(
            "REGCF_INVESTOR_LIMIT,violation,4,1,1,\"Investor 1 (non-accredited, income $30,000.00"
        ),
        "{first}"
    );
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), f.len());
    assert_eq!(&rows[0][5], f[0].detail.as_str());
}

// ---------------------------------------------------------------- properties

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn accredited_never_limited_from_2021_03_15(
            days in 0i64..4000,
            amounts in proptest::collection::vec(1i64..100_000_000, 1..6),
            income in 0i64..100_000_000,
            nw in 100_000_001i64..10_000_000_000,
            self_reported in 0i64..100_000_000,
        ) {
            let start = d("2021-03-15");
            let mut i = investor(1);
            i.accredited = Some(true);
            i.accreditation_type = Some(AccreditationType::NetWorth);
            i.annual_income = Some(Decimal::new(income, 2));
            i.net_worth = Some(Decimal::new(nw, 2));
            i.regcf_invested_other_platforms = Some(Decimal::new(self_reported, 2));
            let investments = amounts.iter().enumerate().map(|(k, a)| {
                let date = start + chrono::Days::new((days + 30 * k as i64) as u64);
                let mut inv = investment(k as i64 + 1, 1, 1, "1", &date.to_string());
                inv.amount = Decimal::new(*a, 2);
                inv
            }).collect();
            let book = Book { offerings: vec![offering(1, OfferingType::RegCf)], investors: vec![i], investments };
            let f = check(&book, d("2040-01-01"), None, &Overrides::default(), &CheckConfig::default());
            prop_assert!(codes(&f, RuleCode::RegcfInvestorLimit).is_empty());
        }
    }
}

mod perf;
