//! Ground truth for compliance: the rules of `crates/domain/RULES.md` evaluated on the generated
//! world. The generator plants each violation well past its threshold and keeps clean
//! investments with margins, so this evaluation is unambiguous.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};

use super::world::{Inv, OffKind, World};

/// One row of `truth/violations.csv`.
pub(crate) struct Violation {
    pub code: &'static str,
    pub investment_id: i64,
    pub investor_id: i64,
    pub offering_id: i64,
    pub note: String,
}

/// Rule order of RULES.md (rows are emitted per investment in this order).
const ORDER: [&str; 17] = [
    "REGCF_INVESTOR_LIMIT",
    "REGCF_ISSUER_CAP",
    "REGA_TIER2_LIMIT",
    "REGD_506B_NONACCREDITED_COUNT",
    "REGD_506C_NOT_ACCREDITED",
    "REGS_US_PERSON",
    "ACCREDITATION_INCONSISTENT",
    "KYC_NOT_PASSED",
    "AML_WATCHLIST_HIT",
    "SANCTIONS_NAME_MATCH",
    "INVESTOR_UNDERAGE",
    "COUNTRY_EXCLUDED",
    "INVESTMENT_BELOW_MIN",
    "INVESTMENT_ABOVE_MAX",
    "INVESTMENT_INCREMENT",
    "OFFERING_MAX_EXCEEDED",
    "FUNDS_AFTER_DEADLINE",
];

/// Reg CF thresholds: (effective, floor, threshold, cap, greater basis, accredited limited, issuer cap).
fn regcf_version(d: NaiveDate) -> (i64, i64, i64, bool, bool, i64) {
    let v = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap_or(NaiveDate::MIN);
    if d >= v(2022, 9, 20) {
        (250_000, 12_400_000, 12_400_000, true, false, 500_000_000)
    } else if d >= v(2021, 3, 15) {
        (220_000, 10_700_000, 10_700_000, true, false, 500_000_000)
    } else if d >= v(2017, 4, 10) {
        (220_000, 10_700_000, 10_700_000, false, true, 107_000_000)
    } else {
        (200_000, 10_000_000, 10_000_000, false, true, 100_000_000)
    }
}

fn money(c: i64) -> String {
    format!("${}.{:02}", c / 100, (c % 100).abs())
}

fn age_on(dob: NaiveDate, d: NaiveDate) -> i32 {
    let mut age = d.year() - dob.year();
    if (d.month(), d.day()) < (dob.month(), dob.day()) {
        age -= 1;
    }
    age
}

/// Evaluates every rule; rows sorted by investment id, then rule order.
pub(crate) fn violations(w: &World) -> Vec<Violation> {
    let mut hits: BTreeMap<(i64, usize), String> = BTreeMap::new();
    let mut add = |inv: &Inv, code: &'static str, note: String| {
        let k = ORDER.iter().position(|c| *c == code).unwrap_or(0);
        hits.entry((inv.id, k)).or_insert(note);
    };
    let scope: Vec<&Inv> = {
        let mut v: Vec<&Inv> = w.invs.iter().filter(|i| i.status.funds_taken()).collect();
        v.sort_by_key(|i| (i.effective_date(), i.id));
        v
    };
    // Per-investment rules.
    for inv in &scope {
        let o = &w.offerings[inv.off];
        let p = &w.investors[inv.investor];
        let d = inv.effective_date();
        match o.kind {
            OffKind::D506c if !p.accredited || p.acc_type.is_none() => add(
                inv,
                "REGD_506C_NOT_ACCREDITED",
                "506(c) investor not verified accredited".into(),
            ),
            OffKind::RegS if p.us_person || p.country == "US" => add(
                inv,
                "REGS_US_PERSON",
                "US person in a Reg S offering".into(),
            ),
            _ => {}
        }
        if p.accredited {
            let bad = match p.acc_type {
                Some("net_worth") => p.nw_c <= 100_000_000,
                Some("income") => p.income_c <= 20_000_000,
                Some("joint_income") => p.income_c <= 30_000_000,
                Some("entity_assets") => p.nw_c <= 500_000_000,
                _ => false,
            };
            if bad {
                add(
                    inv,
                    "ACCREDITATION_INCONSISTENT",
                    format!(
                        "claims {} with net worth {} income {}",
                        p.acc_type.unwrap_or(""),
                        money(p.nw_c),
                        money(p.income_c)
                    ),
                );
            }
        }
        if p.kyc != "passed" {
            add(inv, "KYC_NOT_PASSED", format!("kyc_status {}", p.kyc));
        }
        if p.watch_hit {
            add(
                inv,
                "AML_WATCHLIST_HIT",
                "watchlist screening has hits".into(),
            );
        }
        if let Some(ent) = p.sdn_ent {
            add(
                inv,
                "SANCTIONS_NAME_MATCH",
                format!("name of SDN ent_num {ent}"),
            );
        }
        if let (true, Some(dob)) = (p.itype.natural(), p.dob) {
            let age = age_on(dob, d);
            if age < 18 {
                add(inv, "INVESTOR_UNDERAGE", format!("age {age} on {d}"));
            }
        }
        if o.excluded.contains(&p.country)
            || (!o.included.is_empty() && !o.included.contains(&p.country))
        {
            add(inv, "COUNTRY_EXCLUDED", format!("country {}", p.country));
        }
        if inv.amount_c < o.min_c {
            add(
                inv,
                "INVESTMENT_BELOW_MIN",
                format!("{} < minimum {}", money(inv.amount_c), money(o.min_c)),
            );
        }
        if let Some(m) = o.max_c.filter(|m| inv.amount_c > *m) {
            add(
                inv,
                "INVESTMENT_ABOVE_MAX",
                format!("{} > maximum {}", money(inv.amount_c), money(m)),
            );
        }
        if o.inc_c > 0 && inv.amount_c >= o.min_c && (inv.amount_c - o.min_c) % o.inc_c != 0 {
            add(
                inv,
                "INVESTMENT_INCREMENT",
                format!(
                    "{} off the {} increment",
                    money(inv.amount_c),
                    money(o.inc_c)
                ),
            );
        }
        if let Some(r) = inv.received.filter(|r| r.date() > o.deadline) {
            add(
                inv,
                "FUNDS_AFTER_DEADLINE",
                format!("received {} after deadline {}", r.date(), o.deadline),
            );
        }
    }
    // Reg CF investor limit and issuer cap.
    let cf: Vec<&&Inv> = scope
        .iter()
        .filter(|i| w.offerings[i.off].kind == OffKind::RegCf)
        .collect();
    let mut per_investor: BTreeMap<usize, Vec<(NaiveDate, i64)>> = BTreeMap::new();
    let (mut tail, mut window) = (0usize, 0i64);
    for inv in cf.iter() {
        let p = &w.investors[inv.investor];
        let d = inv.effective_date();
        let (floor, thr, cap, greater, acc_limited, issuer_cap) = regcf_version(d);
        let lo = d - Duration::days(365);
        let mine = per_investor.entry(inv.investor).or_default();
        if !p.accredited || acc_limited {
            let basis = if greater {
                p.income_c.max(p.nw_c)
            } else {
                p.income_c.min(p.nw_c)
            };
            let lim100 = if p.income_c.min(p.nw_c) < thr {
                (floor * 100).max(basis * 5)
            } else {
                basis * 10
            }
            .min(cap * 100);
            let prior: i64 = mine
                .iter()
                .filter(|(jd, _)| *jd >= lo)
                .map(|(_, a)| a)
                .sum();
            let counted = inv.amount_c + prior + p.self_cf_c + p.self_cf_other_c;
            if counted * 100 > lim100 {
                add(
                    inv,
                    "REGCF_INVESTOR_LIMIT",
                    format!(
                        "12-month Reg CF total {} > limit {}",
                        money(counted),
                        money(lim100 / 100)
                    ),
                );
            }
        }
        mine.push((d, inv.amount_c));
        window += inv.amount_c;
        while cf[tail].effective_date() < lo {
            window -= cf[tail].amount_c;
            tail += 1;
        }
        if window > issuer_cap {
            add(
                inv,
                "REGCF_ISSUER_CAP",
                format!(
                    "12-month Reg CF sales {} > issuer cap {}",
                    money(window),
                    money(issuer_cap)
                ),
            );
        }
    }
    // Reg A Tier 2 per-offering running sums of non-accredited investors.
    let mut run: BTreeMap<(usize, usize), i64> = BTreeMap::new();
    for inv in scope
        .iter()
        .filter(|i| w.offerings[i.off].kind == OffKind::RegA)
    {
        let p = &w.investors[inv.investor];
        if p.accredited {
            continue;
        }
        let s = run.entry((inv.off, inv.investor)).or_insert(0);
        *s += inv.amount_c;
        let lim = p.income_c.max(p.nw_c) / 10;
        if *s * 10 > p.income_c.max(p.nw_c) {
            add(
                inv,
                "REGA_TIER2_LIMIT",
                format!("Reg A purchases {} > 10% limit {}", money(*s), money(lim)),
            );
        }
    }
    // 506(b): 36th and later non-accredited investors.
    let mut order: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for inv in scope
        .iter()
        .filter(|i| w.offerings[i.off].kind == OffKind::D506b)
    {
        let p = &w.investors[inv.investor];
        if p.accredited {
            continue;
        }
        let list = order.entry(inv.off).or_default();
        if !list.contains(&inv.investor) {
            list.push(inv.investor);
        }
        let pos = list.iter().position(|x| *x == inv.investor).unwrap_or(0) + 1;
        if pos >= 36 {
            add(
                inv,
                "REGD_506B_NONACCREDITED_COUNT",
                format!("non-accredited purchaser #{pos}"),
            );
        }
    }
    // Offering maximum: running sum of accepted amounts.
    let mut acc: BTreeMap<usize, i64> = BTreeMap::new();
    for inv in scope.iter().filter(|i| i.status.accepted()) {
        let s = acc.entry(inv.off).or_insert(0);
        *s += inv.amount_c;
        let m = w.offerings[inv.off].max_raise_c;
        if *s > m {
            add(
                inv,
                "OFFERING_MAX_EXCEEDED",
                format!("accepted total {} > maximum raise {}", money(*s), money(m)),
            );
        }
    }
    let by_id: BTreeMap<i64, &Inv> = w.invs.iter().map(|i| (i.id, i)).collect();
    hits.into_iter()
        .filter_map(|((id, k), note)| {
            let inv = by_id.get(&id)?;
            Some(Violation {
                code: ORDER[k],
                investment_id: id,
                investor_id: w.investors[inv.investor].id,
                offering_id: w.offerings[inv.off].id,
                note,
            })
        })
        .collect()
}
