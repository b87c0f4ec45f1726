//! Rules judged on one investment alone: KYC, AML watchlist, age, country, offering terms,
//! deadline, 506(c) accreditation, Regulation S, accreditation consistency.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{CheckConfig, Row, age_on, fig, money_fig, opt_cents, usd};
use crate::countries::{Country, normalize_country};
use crate::finding::{Finding, RuleCode};
use crate::model::{KycStatus, Offering, OfferingType, Severity, WatchlistScreening};

const KYC_CITE: &str = "Issuer KYC gate (domain.md §3.6); 31 CFR 1010.220";
const AGE_CITE: &str = "age of majority (state law; 18 in most states)";
const COUNTRY_CITE: &str =
    "offering terms (investors_excluded_countries / investors_included_countries)";
const DEADLINE_CITE: &str = "offering terms (deadline_date, in the offering's default_timezone)";
const REGS_CITE: &str = "17 CFR 230.902(k); 17 CFR 230.903";

pub(super) fn per_investment(r: &Row<'_>, cfg: &CheckConfig) -> Vec<Finding> {
    let mut out = Vec::new();
    kyc(r, &mut out);
    aml(r, &mut out);
    age(r, cfg, &mut out);
    if let Some(o) = r.offering {
        country(r, o, &mut out);
        terms(r, o, &mut out);
        deadline(r, o, &mut out);
        match &o.offering_type {
            OfferingType::RegD506c => rule_506c(r, &mut out),
            OfferingType::RegS => reg_s(r, &mut out),
            _ => {}
        }
    }
    accreditation(r, &mut out);
    out
}

/// KYC_NOT_PASSED.
fn kyc(r: &Row<'_>, out: &mut Vec<Finding>) {
    let inv = r.inv;
    match r.investor {
        None => out.push(r.finding(
            RuleCode::KycNotPassed,
            Severity::Violation,
            KYC_CITE,
            vec![fig("kyc_status", "investor missing")],
            format!(
                "{}, but investor {} is not in the snapshot, so no passed KYC is on record.",
                r.bought(),
                inv.investor_id
            ),
        )),
        Some(i) if i.kyc_status != KycStatus::Passed => out.push(r.finding(
            RuleCode::KycNotPassed,
            Severity::Violation,
            KYC_CITE,
            vec![fig("kyc_status", &i.kyc_status)],
            format!(
                "{} ({}) while the investor's KYC status was '{}', not 'passed'.",
                r.bought(),
                inv.status,
                i.kyc_status
            ),
        )),
        _ => {}
    }
}

/// AML_WATCHLIST_HIT.
fn aml(r: &Row<'_>, out: &mut Vec<Finding>) {
    let hits: Vec<&WatchlistScreening> = r.inv.watchlist.iter().filter(|w| w.has_hits).collect();
    if hits.is_empty() {
        return;
    }
    let ids: Vec<String> = hits.iter().map(|w| w.id.to_string()).collect();
    let status: Vec<&str> = hits
        .iter()
        .filter_map(|w| w.ofac_fincen_status.as_deref())
        .collect();
    out.push(r.finding(
        RuleCode::AmlWatchlistHit,
        Severity::Violation,
        "31 CFR Chapter V (OFAC); platform AML screening",
        vec![
            fig("watchlist_ids", ids.join(";")),
            fig("ofac_fincen_status", status.join(";")),
        ],
        format!(
            "{}; the platform's AML watchlist screening {} recorded hits{}.",
            r.bought(),
            if ids.len() == 1 {
                format!("record {}", ids[0])
            } else {
                format!("records {}", ids.join(", "))
            },
            if status.is_empty() {
                String::new()
            } else {
                format!(" (status: {})", status.join("; "))
            }
        ),
    ));
}

/// INVESTOR_UNDERAGE; DATA_MISSING for a natural person without a date of birth.
fn age(r: &Row<'_>, cfg: &CheckConfig, out: &mut Vec<Finding>) {
    let Some(investor) = r.investor else {
        return;
    };
    if !investor.investor_type.is_natural_person() {
        return;
    }
    let Some(dob) = investor.date_of_birth else {
        out.push(r.data_missing(
            RuleCode::InvestorUnderage,
            AGE_CITE,
            &["date_of_birth"],
            format!(
                "the investor is a natural person ({}) with no date of birth, so their age on {} is unknown",
                investor.investor_type, r.date
            ),
        ));
        return;
    };
    let age = age_on(dob, r.date);
    if age < cfg.age_of_majority as i32 {
        out.push(r.finding(
            RuleCode::InvestorUnderage,
            Severity::Violation,
            AGE_CITE,
            // The date of birth itself stays in the investor register (PII).
            vec![fig("age", age), fig("age_of_majority", cfg.age_of_majority)],
            format!(
                "{}; the investor was {} years old, under the age of majority of {}.",
                r.bought(),
                age,
                cfg.age_of_majority
            ),
        ));
    }
}

/// Whether the offering's list holds `code` (entries read through the country normaliser).
fn list_has(list: &[String], code: &str) -> bool {
    list.iter().any(|x| normalize_country(x) == Some(code))
}

/// COUNTRY_EXCLUDED; DATA_MISSING when the offering limits countries and the investor's
/// country is missing or not recognised.
fn country(r: &Row<'_>, o: &Offering, out: &mut Vec<Finding>) {
    if r.investor.is_none() || (o.excluded_countries.is_empty() && o.included_countries.is_empty())
    {
        return;
    }
    let lists = || {
        let mut v = Vec::new();
        if !o.excluded_countries.is_empty() {
            v.push(format!("excluded: {}", o.excluded_countries.join(", ")));
        }
        if !o.included_countries.is_empty() {
            v.push(format!("permitted: {}", o.included_countries.join(", ")));
        }
        v.join("; ")
    };
    let c = match r.country {
        Country::Known(c) => c,
        Country::Missing => {
            out.push(r.data_missing(
                RuleCode::CountryExcluded,
                COUNTRY_CITE,
                &["country"],
                format!(
                    "the offering limits investor countries ({}) and the investor states no country",
                    lists()
                ),
            ));
            return;
        }
        Country::Unrecognised(s) => {
            out.push(r.data_missing(
                RuleCode::CountryExcluded,
                COUNTRY_CITE,
                &["country"],
                format!(
                    "the offering limits investor countries ({}) and the investor's country '{}' is not a recognised country name or ISO 3166 code",
                    lists(),
                    s
                ),
            ));
            return;
        }
    };
    let excluded = list_has(&o.excluded_countries, c);
    let not_included = !o.included_countries.is_empty() && !list_has(&o.included_countries, c);
    if !(excluded || not_included) {
        return;
    }
    let stated = r
        .investor
        .and_then(|i| i.country.as_deref())
        .unwrap_or_default()
        .trim();
    let shown = if stated.eq_ignore_ascii_case(c) {
        c.to_string()
    } else {
        format!("{c} (stated '{stated}')")
    };
    let why = if excluded {
        format!(
            "excluded by the offering (excluded: {})",
            o.excluded_countries.join(", ")
        )
    } else {
        format!(
            "not among the offering's permitted countries ({})",
            o.included_countries.join(", ")
        )
    };
    out.push(r.finding(
        RuleCode::CountryExcluded,
        Severity::Violation,
        COUNTRY_CITE,
        vec![
            fig("country", c),
            fig("country_stated", stated),
            fig("excluded_countries", o.excluded_countries.join(";")),
            fig("included_countries", o.included_countries.join(";")),
        ],
        format!("{} from country {}, which is {}.", r.bought(), shown, why),
    ));
}

/// INVESTMENT_BELOW_MIN / ABOVE_MAX / INCREMENT.
fn terms(r: &Row<'_>, o: &Offering, out: &mut Vec<Finding>) {
    let min = opt_cents(o.min_investment);
    if let Some(min) = min
        && r.amount < min
    {
        out.push(r.finding(
            RuleCode::InvestmentBelowMin,
            Severity::Violation,
            "offering terms (min_investment_amount)",
            vec![
                money_fig("amount", r.amount),
                money_fig("min_investment", min),
            ],
            format!(
                "{}, below the offering minimum of {}.",
                r.bought(),
                usd(min)
            ),
        ));
    }
    if let Some(max) = opt_cents(o.max_investment)
        && r.amount > max
    {
        out.push(r.finding(
            RuleCode::InvestmentAboveMax,
            Severity::Violation,
            "offering terms (max_investment_amount)",
            vec![
                money_fig("amount", r.amount),
                money_fig("max_investment", max),
            ],
            format!(
                "{}, above the offering maximum per investment of {}.",
                r.bought(),
                usd(max)
            ),
        ));
    }
    if let Some(inc) = opt_cents(o.increment)
        && inc > 0
    {
        let base = min.unwrap_or(0);
        if r.amount >= base && (i128::from(r.amount) - i128::from(base)) % i128::from(inc) != 0 {
            out.push(r.finding(
                RuleCode::InvestmentIncrement,
                Severity::Warning,
                "offering terms (investment_increment_amount)",
                vec![
                    money_fig("amount", r.amount),
                    money_fig("min_investment", base),
                    money_fig("increment", inc),
                ],
                format!(
                    "{}, which is not the minimum {} plus a multiple of the {} increment.",
                    r.bought(),
                    usd(base),
                    usd(inc)
                ),
            ));
        }
    }
}

/// The local calendar date of `at` in the IANA zone `tz`, or `None` when the zone is unknown.
pub fn local_date(at: DateTime<Utc>, tz: &str) -> Option<NaiveDate> {
    let zone: chrono_tz::Tz = tz.trim().parse().ok()?;
    Some(at.with_timezone(&zone).date_naive())
}

/// FUNDS_AFTER_DEADLINE: the deadline is a date in the offering's time zone, so the receipt
/// instant is converted to that zone's date. Without a usable zone the receipt is late only if
/// it is late in every zone (UTC−12 … UTC+14); when the zone decides it, DATA_MISSING.
fn deadline(r: &Row<'_>, o: &Offering, out: &mut Vec<Finding>) {
    let Some(deadline) = o.deadline else {
        return;
    };
    let Some(received) = r.inv.received_at else {
        if r.inv.status.funds_taken() {
            out.push(r.data_missing(
                RuleCode::FundsAfterDeadline,
                DEADLINE_CITE,
                &["received_at"],
                format!(
                    "the offering has a deadline of {deadline} and the investment ({}) has no received_at timestamp",
                    r.inv.status
                ),
            ));
        }
        return;
    };
    let zone = o.timezone.as_deref().filter(|z| !z.trim().is_empty());
    let local = zone.and_then(|z| local_date(received, z).map(|d| (z, d)));
    let (zone_label, rd) = match local {
        Some((z, d)) => (z.trim().to_string(), d),
        None => {
            let earliest = (received - Duration::hours(12)).date_naive();
            let latest = (received + Duration::hours(14)).date_naive();
            if latest <= deadline {
                return;
            }
            if earliest <= deadline {
                out.push(r.data_missing(
                    RuleCode::FundsAfterDeadline,
                    DEADLINE_CITE,
                    &["default_timezone"],
                    format!(
                        "funds were received at {} and the deadline {} is a local date, but the offering's time zone is {}, so whether the receipt fell after the deadline depends on it",
                        received.format("%Y-%m-%dT%H:%M:%SZ"),
                        deadline,
                        match zone {
                            Some(z) => format!("'{z}', which is not a known IANA zone"),
                            None => "not stated".to_string(),
                        }
                    ),
                ));
                return;
            }
            ("any time zone".to_string(), earliest)
        }
    };
    if rd <= deadline {
        return;
    }
    out.push(r.finding(
        RuleCode::FundsAfterDeadline,
        Severity::Violation,
        DEADLINE_CITE,
        vec![
            fig("received_at", received.format("%Y-%m-%dT%H:%M:%SZ")),
            fig("received_local_date", rd),
            fig("timezone", &zone_label),
            fig("deadline", deadline),
        ],
        format!(
            "Funds of {} from investor {} for {} were received on {} ({}; {}), after the offering deadline of {}.",
            usd(r.amount),
            r.inv.investor_id,
            r.offering_desc(),
            rd,
            zone_label,
            received.format("%Y-%m-%dT%H:%M:%SZ"),
            deadline
        ),
    ));
}

/// REGD_506C_NOT_ACCREDITED: 230.506(c)(2)(i) requires every purchaser to be accredited; the
/// Issuer API carries no verification evidence, so (c)(2)(ii) is never claimed as checked.
fn rule_506c(r: &Row<'_>, out: &mut Vec<Finding>) {
    let acc_type = r.acc_type.map(|t| t.as_wire()).unwrap_or("");
    let figs = |extra: Vec<(String, String)>| {
        let mut v = vec![
            fig(
                "accredited",
                r.accredited.map(|b| b.to_string()).unwrap_or_default(),
            ),
            fig("accreditation_type", acc_type),
        ];
        v.extend(extra);
        v
    };
    match r.accredited {
        None => out.push(r.data_missing(
            RuleCode::Regd506cNotAccredited,
            "17 CFR 230.506(c)(2)(i)",
            &["accredited_investor"],
            "every 506(c) purchaser must be accredited and neither the investment nor the investor states whether this one is".into(),
        )),
        Some(false) => out.push(r.finding(
            RuleCode::Regd506cNotAccredited,
            Severity::Violation,
            "17 CFR 230.506(c)(2)(i)",
            figs(vec![]),
            format!(
                "{}, but the investor is not accredited; every purchaser in a 506(c) offering must be an accredited investor (17 CFR 230.506(c)(2)(i)).",
                r.bought()
            ),
        )),
        Some(true) => {
            if let Some(c) = r.contradiction {
                out.push(r.finding(
                    RuleCode::Regd506cNotAccredited,
                    Severity::Warning,
                    "17 CFR 230.506(c)(2)(i); 17 CFR 230.501(a)",
                    figs(vec![
                        money_fig("stated", c.stated),
                        money_fig("required_above", c.bar.above),
                    ]),
                    format!(
                        "{} claiming accreditation by {} ({}), but the investor's own stated {} of {} is not above the {} required ({}); a purchaser who is not accredited may not buy in a 506(c) offering (17 CFR 230.506(c)(2)(i)). Violation candidate: obtain the verification evidence.",
                        r.bought(),
                        c.bar.what,
                        acc_type,
                        c.bar.what,
                        usd(c.stated),
                        usd(c.bar.above),
                        c.bar.cite
                    ),
                ));
            } else if r.acc_type.is_none() {
                out.push(r.finding(
                    RuleCode::Regd506cNotAccredited,
                    Severity::Warning,
                    "17 CFR 230.506(c)(2)(ii)",
                    figs(vec![]),
                    format!(
                        "{}; the investor claims accreditation without stating its basis (accreditation type), and the data holds no verification evidence, so the reasonable steps to verify required by 17 CFR 230.506(c)(2)(ii) cannot be checked here.",
                        r.bought()
                    ),
                ));
            }
        }
    }
}

/// REGS_US_PERSON; DATA_MISSING when neither the US-person attestation nor a recognised country
/// is stated.
fn reg_s(r: &Row<'_>, out: &mut Vec<Finding>) {
    let us_country = r.country.code() == Some("US");
    if r.us_person == Some(true) || us_country {
        let why = match (r.us_person == Some(true), us_country) {
            (true, true) => "is a declared US person resident in the US",
            (true, false) => "is a declared US person",
            _ => "resides in the US",
        };
        let stated = r
            .investor
            .and_then(|i| i.country.as_deref())
            .unwrap_or_default()
            .trim();
        out.push(r.finding(
            RuleCode::RegsUsPerson,
            Severity::Violation,
            REGS_CITE,
            vec![
                fig(
                    "us_person",
                    r.us_person.map(|b| b.to_string()).unwrap_or_default(),
                ),
                fig("country", r.country.code().unwrap_or_default()),
                fig("country_stated", stated),
            ],
            format!(
                "{}, but the investor {} (us_person {}, country '{}'); Regulation S sales must be offshore to non-US persons (17 CFR 230.902(k), 230.903).",
                r.bought(),
                why,
                r.us_person
                    .map(|b| b.to_string())
                    .unwrap_or_else(|| "not stated".into()),
                stated
            ),
        ));
        return;
    }
    if r.us_person.is_none() && r.country.code().is_none() {
        let country = match r.country {
            Country::Unrecognised(s) => format!("the country '{s}' is not recognised"),
            _ => "no country is stated".to_string(),
        };
        out.push(r.data_missing(
            RuleCode::RegsUsPerson,
            REGS_CITE,
            &["us_person", "country"],
            format!("the investor does not state whether they are a US person and {country}"),
        ));
    }
}

/// ACCREDITATION_INCONSISTENT.
fn accreditation(r: &Row<'_>, out: &mut Vec<Finding>) {
    let (Some(c), Some(t)) = (r.contradiction, r.acc_type) else {
        return;
    };
    out.push(r.finding(
        RuleCode::AccreditationInconsistent,
        Severity::Warning,
        c.bar.cite,
        vec![
            fig("accreditation_type", t.as_wire()),
            money_fig("stated", c.stated),
            money_fig("required_above", c.bar.above),
            fig("bar_since", c.bar.since),
        ],
        format!(
            "{} claiming accreditation by {} ({}), but the stated {} of {} is not above the {} required ({}; in force since {}, {}); the claim does not lift limits that apply to non-accredited purchasers.",
            r.bought(),
            c.bar.what,
            t.as_wire(),
            c.bar.what,
            usd(c.stated),
            usd(c.bar.above),
            c.bar.cite,
            c.bar.since,
            c.bar.source
        ),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacific_local_dates() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // 23:30 PDT on 2026-10-01 is 06:30Z on 10-02.
        assert_eq!(
            local_date(at("2026-10-02T06:30:00Z"), "US/Pacific"),
            Some("2026-10-01".parse().unwrap())
        );
        // 01:30 PDT on 10-02 is 08:30Z.
        assert_eq!(
            local_date(at("2026-10-02T08:30:00Z"), "America/Los_Angeles"),
            Some("2026-10-02".parse().unwrap())
        );
        assert_eq!(local_date(at("2026-10-02T08:30:00Z"), "Mars/Olympus"), None);
    }
}
