//! Ground truth for compliance: the rules of `crates/domain/RULES.md` evaluated on the generated
//! world. The generator plants each violation well past its threshold and keeps clean
//! investments with margins, so this evaluation is unambiguous.
//!
//! The oracle evaluates the semantics on its own (its own windows, sums, limits and scope), but
//! holds no figure table: every regulatory figure and its effective date comes from
//! `tieout_domain::thresholds`, the one table, which `crates/domain/tests/legal_cases.rs` checks
//! against the regulation text. A copied table here would only repeat the engine's mistakes.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use tieout_domain::thresholds::{
    ACCREDITED_ENTITY_ASSETS, ACCREDITED_INCOME, ACCREDITED_JOINT_INCOME, ACCREDITED_NET_WORTH,
    LimitBasis, RULE_506B_MAX_NONACCREDITED, reg_a_on, reg_cf_on,
};

use super::world::{Inv, OffKind, Status, World};

/// One row of `truth/violations.csv`.
pub(crate) struct Violation {
    pub code: &'static str,
    pub investment_id: i64,
    pub investor_id: i64,
    pub offering_id: i64,
    pub note: String,
}

/// Rule order of RULES.md (rows are emitted per investment in this order).
const ORDER: [&str; 18] = [
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
    "DATA_MISSING",
];

/// The offerings' time zone as rendered (`default_timezone`).
const ZONE: chrono_tz::Tz = chrono_tz::US::Pacific;

/// First day of the 12 calendar months preceding and including `d`.
fn window_start(d: NaiveDate) -> NaiveDate {
    d.checked_sub_months(Months::new(12))
        .and_then(|x| x.succ_opt())
        .unwrap_or(NaiveDate::MIN)
}

/// Whether an investment's funds were taken on `as_of`, judged from its timestamps.
fn in_scope(i: &Inv, as_of: NaiveDate) -> bool {
    if i.effective_date() > as_of {
        return false;
    }
    if i.status.funds_taken() {
        return true;
    }
    let change = match i.status {
        Status::Refunded => Some(i.refunded.unwrap_or(i.updated)),
        Status::Cancelled | Status::NotApproved => Some(i.updated),
        _ => None,
    };
    match (i.received.or(i.invested), change) {
        (Some(r), Some(c)) => r.date() <= as_of && c.date() > as_of,
        _ => false,
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

/// The Rule 501(a) bar a claim of `acc_type` must be above, and the investor's stated figure.
fn contradicted(p: &super::world::Investor) -> bool {
    if !p.accredited {
        return false;
    }
    match p.acc_type {
        Some("net_worth") => p.nw_c <= ACCREDITED_NET_WORTH.above,
        Some("income") => p.income_c <= ACCREDITED_INCOME.above,
        Some("joint_income") => p.income_c <= ACCREDITED_JOINT_INCOME.above,
        Some("entity_assets") => p.nw_c <= ACCREDITED_ENTITY_ASSETS.above,
        _ => false,
    }
}

/// Evaluates every rule; rows sorted by investment id, then rule order.
pub(crate) fn violations(w: &World) -> Vec<Violation> {
    let as_of = w.period.last_day();
    let mut hits: BTreeMap<(i64, usize), String> = BTreeMap::new();
    let mut add = |inv: &Inv, code: &'static str, note: String| {
        let k = ORDER.iter().position(|c| *c == code).unwrap_or(0);
        hits.entry((inv.id, k)).or_insert(note);
    };
    let scope: Vec<&Inv> = {
        let mut v: Vec<&Inv> = w.invs.iter().filter(|i| in_scope(i, as_of)).collect();
        v.sort_by_key(|i| (i.effective_date(), i.id));
        v
    };
    // Per-investment rules.
    for inv in &scope {
        let o = &w.offerings[inv.off];
        let p = &w.investors[inv.investor];
        let d = inv.effective_date();
        let bad = contradicted(p);
        match o.kind {
            OffKind::D506c if !p.accredited || p.acc_type.is_none() || bad => add(
                inv,
                "REGD_506C_NOT_ACCREDITED",
                "506(c) purchaser not accredited, or the claim is unstated or contradicted".into(),
            ),
            OffKind::RegS if p.us_person || p.country == "US" => add(
                inv,
                "REGS_US_PERSON",
                "US person in a Reg S offering".into(),
            ),
            _ => {}
        }
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
        if p.itype.natural() {
            match p.dob {
                Some(dob) => {
                    let age = age_on(dob, d);
                    if age < 18 {
                        add(inv, "INVESTOR_UNDERAGE", format!("age {age} on {d}"));
                    }
                }
                None => add(
                    inv,
                    "DATA_MISSING",
                    "natural person without a date of birth (INVESTOR_UNDERAGE)".into(),
                ),
            }
        }
        if !o.excluded.is_empty() || !o.included.is_empty() {
            if p.country.is_empty() {
                add(
                    inv,
                    "DATA_MISSING",
                    "no country while the offering lists countries".into(),
                );
            } else if o.excluded.contains(&p.country)
                || (!o.included.is_empty() && !o.included.contains(&p.country))
            {
                add(inv, "COUNTRY_EXCLUDED", format!("country {}", p.country));
            }
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
        match inv.received {
            // The deadline is a date in the offering's zone (US/Pacific).
            Some(r) => {
                let local = r.and_utc().with_timezone(&ZONE).date_naive();
                if local > o.deadline {
                    add(
                        inv,
                        "FUNDS_AFTER_DEADLINE",
                        format!("received {local} (Pacific) after deadline {}", o.deadline),
                    );
                }
            }
            None if inv.status.funds_taken() => add(
                inv,
                "DATA_MISSING",
                "funds taken without a receipt time (FUNDS_AFTER_DEADLINE)".into(),
            ),
            None => {}
        }
    }
    // Reg CF investor limit (per investor, 12 calendar months) and issuer cap (one issuer).
    let cf: Vec<&&Inv> = scope
        .iter()
        .filter(|i| w.offerings[i.off].kind == OffKind::RegCf)
        .collect();
    let last_cf: BTreeMap<usize, i64> = cf.iter().map(|i| (i.investor, i.id)).collect();
    let mut per_investor: BTreeMap<usize, Vec<(NaiveDate, i64)>> = BTreeMap::new();
    let (mut tail, mut window) = (0usize, 0i64);
    for inv in cf.iter() {
        let p = &w.investors[inv.investor];
        let d = inv.effective_date();
        let t = reg_cf_on(d);
        let lo = window_start(d);
        let jan1 = NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d);
        let mine = per_investor.entry(inv.investor).or_default();
        if !p.accredited || contradicted(p) || t.accredited_limited {
            let basis = match t.basis {
                LimitBasis::Greater => p.income_c.max(p.nw_c),
                LimitBasis::Lesser => p.income_c.min(p.nw_c),
            };
            let lim100 = if p.income_c.min(p.nw_c) < t.threshold {
                (t.floor * 100).max(basis * 5)
            } else {
                basis * 10
            }
            .min(t.cap * 100);
            let in_year: i64 = mine
                .iter()
                .filter(|(jd, _)| *jd >= jan1)
                .map(|(_, a)| a)
                .sum();
            let before_year: i64 = mine
                .iter()
                .filter(|(jd, _)| *jd >= lo && *jd < jan1)
                .map(|(_, a)| a)
                .sum();
            let snapshot = inv.amount_c + in_year + before_year;
            // Self-reported: the sale's own declaration (this platform, earlier this year), and
            // the investor's figures (as of the pull) on their last sale of the as-of year.
            let last = last_cf.get(&inv.investor) == Some(&inv.id) && d.year() == as_of.year();
            let platform = (in_year + inv.amount_c)
                .max(p.self_cf_c + inv.amount_c)
                .max(if last { p.self_cf_c } else { 0 });
            let other = if last { p.self_cf_other_c } else { 0 };
            let counted = before_year + platform + other;
            if counted * 100 > lim100 {
                add(
                    inv,
                    "REGCF_INVESTOR_LIMIT",
                    format!(
                        "12-month Reg CF total {} (snapshot {}) > limit {}",
                        money(counted),
                        money(snapshot),
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
        if window > t.issuer_cap {
            add(
                inv,
                "REGCF_ISSUER_CAP",
                format!(
                    "12-month Reg CF sales {} > issuer cap {}",
                    money(window),
                    money(t.issuer_cap)
                ),
            );
        }
    }
    // Reg A (the generated offering states Tier 2): per-offering running sums of purchasers
    // without an uncontradicted accreditation claim.
    let mut run: BTreeMap<(usize, usize), i64> = BTreeMap::new();
    for inv in scope
        .iter()
        .filter(|i| w.offerings[i.off].kind == OffKind::RegA)
    {
        let p = &w.investors[inv.investor];
        let s = run.entry((inv.off, inv.investor)).or_insert(0);
        *s += inv.amount_c;
        if p.accredited && !contradicted(p) {
            continue;
        }
        let pct = reg_a_on(inv.effective_date()).tier2_purchase_pct;
        let greater = p.income_c.max(p.nw_c);
        if *s * 100 > greater * pct {
            add(
                inv,
                "REGA_TIER2_LIMIT",
                format!(
                    "Reg A purchases {} > {pct}% limit {}",
                    money(*s),
                    money(greater * pct / 100)
                ),
            );
        }
    }
    // 506(b): the 36th and later non-accredited purchasers.
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
        if pos > RULE_506B_MAX_NONACCREDITED {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The oracle holds no figures of its own; this pins the figures it reads from the domain
    /// table to the Federal Register, independently of both.
    #[test]
    fn the_figures_the_oracle_reads_are_the_cited_ones() {
        // (date, floor, threshold/cap, issuer cap, greater basis, accredited limited), cents.
        let cited = [
            ("2016-05-16", 200_000, 10_000_000, 100_000_000, false, true), // 80 FR 71537
            ("2017-04-11", 200_000, 10_000_000, 100_000_000, false, true),
            ("2017-04-12", 220_000, 10_700_000, 107_000_000, false, true), // 82 FR 17545
            ("2021-03-14", 220_000, 10_700_000, 107_000_000, false, true),
            ("2021-03-15", 220_000, 10_700_000, 500_000_000, true, false), // 86 FR 3496
            ("2022-09-19", 220_000, 10_700_000, 500_000_000, true, false),
            ("2022-09-20", 250_000, 12_400_000, 500_000_000, true, false), // 87 FR 57394
        ];
        for (on, floor, thr, issuer, greater, limited) in cited {
            let t = reg_cf_on(d(on));
            assert_eq!(
                (t.floor, t.threshold, t.cap, t.issuer_cap),
                (floor, thr, thr, issuer),
                "{on}"
            );
            assert_eq!(t.basis == LimitBasis::Greater, greater, "{on}");
            assert_eq!(t.accredited_limited, limited, "{on}");
        }
        assert_eq!(reg_a_on(d("2026-01-01")).tier2_purchase_pct, 10);
        assert_eq!(ACCREDITED_NET_WORTH.above, 100_000_000);
        assert_eq!(ACCREDITED_INCOME.above, 20_000_000);
        assert_eq!(ACCREDITED_JOINT_INCOME.above, 30_000_000);
        assert_eq!(ACCREDITED_ENTITY_ASSETS.above, 500_000_000);
        assert_eq!(RULE_506B_MAX_NONACCREDITED, 35);
        assert_eq!(window_start(d("2024-03-01")), d("2023-03-02"));
    }
}
