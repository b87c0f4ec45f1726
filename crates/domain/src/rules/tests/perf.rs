//! Performance of `check` on a million investments (ignored; run by hand).

use super::*;

fn perf_book(realistic: bool) -> Book {
    let n_investors = 100_000i64;
    let mut offerings = vec![
        offering(1, OfferingType::RegCf),
        offering(2, OfferingType::RegA),
        offering(3, OfferingType::RegD506b),
        offering(4, OfferingType::RegD506c),
        offering(5, OfferingType::RegS),
    ];
    for o in &mut offerings {
        o.min_investment = Some(dec("100"));
        o.increment = Some(dec("10"));
        o.max_amount = Some(dec("100000000"));
    }
    let investors: Vec<Investor> = (1..=n_investors)
        .map(|k| {
            let mut i = investor(k);
            if realistic {
                i.us_person = Some(false);
                i.country = Some("CA".into());
                if k % 10 < 7 {
                    i.accredited = Some(true);
                    i.accreditation_type = Some(AccreditationType::NetWorth);
                    i.net_worth = Some(dec("2000000"));
                } else {
                    i.annual_income = Some(dec("100000"));
                    i.net_worth = Some(dec("200000"));
                }
            }
            i
        })
        .collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let base = d("2025-01-01");
    let investments: Vec<Investment> = (1..=1_000_000i64)
        .map(|k| {
            let r = next();
            let date = base + chrono::Days::new(r % 600);
            let offering = if realistic && (r >> 20) % 100 == 0 {
                1
            } else if realistic {
                (r >> 20) as i64 % 4 + 2
            } else {
                (r >> 20) as i64 % 5 + 1
            };
            let mut inv = investment(
                k,
                offering,
                (r >> 32) as i64 % n_investors + 1,
                "1",
                &date.to_string(),
            );
            inv.amount = Decimal::new(((r >> 40) % 90 + 10) as i64 * 1000, 2);
            if k % 3 == 0 {
                inv.status = InvestmentStatus::Accepted;
            }
            inv
        })
        .collect();
    Book {
        offerings,
        investors,
        investments,
    }
}

#[test]
#[ignore = "performance: run with --ignored --nocapture (release recommended)"]
fn perf_one_million_investments() {
    for (label, realistic) in [
        ("realistic", true),
        ("worst case (most investments violate)", false),
    ] {
        let book = perf_book(realistic);
        let t = std::time::Instant::now();
        let f = check(
            &book,
            d("2030-01-01"),
            None,
            &Overrides::default(),
            &CheckConfig::default(),
        );
        eprintln!(
            "PERF check {label}: 1,000,000 investments -> {} findings in {:?}",
            f.len(),
            t.elapsed()
        );
    }
}
