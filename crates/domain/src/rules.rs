//! The compliance rules: for every in-scope investment of a [`Book`], decide whether the investor
//! was allowed to invest that amount, and explain why not. Semantics: `crates/domain/RULES.md`.
//!
//! Pure: no I/O, no clock. Rule violations are findings (data), never errors.

use rustc_hash::FxHashMap as HashMap;

use chrono::{Datelike, Days, NaiveDate};
use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::finding::{Finding, RuleCode};
use crate::model::{
    AccreditationType, Book, Investment, Investor, KycStatus, Offering, OfferingType, Severity,
};
use crate::money::{Cents, decimal_to_cents, format_cents};
use crate::sanctions::{MatchLevel, Overrides, SanctionsIndex, ScreenConfig};
use crate::thresholds::{reg_cf_investor_limit, reg_cf_on};

/// Tunables of [`check`].
#[derive(Debug, Clone, PartialEq)]
pub struct CheckConfig {
    /// Sanctions screening thresholds.
    pub screening: ScreenConfig,
    /// Also emit review-band sanctions hits (score in `[review, match)`) as `warning` findings.
    /// Off by default: the review band is for an analyst's queue, not the findings file.
    pub sanctions_review_findings: bool,
    /// Emit one `info` finding per sanctions hit cleared by an override (investment_id empty).
    pub report_cleared_overrides: bool,
    /// Maximum number of non-accredited purchasers in a 506(b) offering (230.506(b)(2)(i)).
    pub max_506b_nonaccredited: usize,
    /// Age of majority for [`RuleCode::InvestorUnderage`].
    pub age_of_majority: u32,
}

impl Default for CheckConfig {
    fn default() -> Self {
        Self {
            screening: ScreenConfig::default(),
            sanctions_review_findings: false,
            report_cleared_overrides: true,
            max_506b_nonaccredited: 35,
            age_of_majority: 18,
        }
    }
}

/// One in-scope investment with its suitability figures resolved (investment first, investor
/// entity second) and its money in cents.
struct Row<'a> {
    inv: &'a Investment,
    investor: Option<&'a Investor>,
    offering: Option<&'a Offering>,
    date: NaiveDate,
    amount: Cents,
    accredited: bool,
    acc_type: Option<&'a AccreditationType>,
    net_worth: Option<Cents>,
    income: Option<Cents>,
    us_person: Option<bool>,
    regcf_this_year: Cents,
    regcf_other: Cents,
}

fn cents(d: Decimal) -> Cents {
    decimal_to_cents(d).unwrap_or(if d.is_sign_negative() {
        Cents::MIN
    } else {
        Cents::MAX
    })
}

fn opt_cents(d: Option<Decimal>) -> Option<Cents> {
    d.map(cents)
}

fn usd(c: Cents) -> String {
    format!("${}", format_cents(c))
}

fn usd_opt(c: Option<Cents>) -> String {
    c.map(usd).unwrap_or_else(|| "not stated".to_string())
}

fn offering_label(t: &OfferingType) -> &str {
    match t {
        OfferingType::RegA => "Reg A",
        OfferingType::RegD506b => "Reg D 506(b)",
        OfferingType::RegD506c => "Reg D 506(c)",
        OfferingType::RegS => "Reg S",
        OfferingType::RegCf => "Reg CF",
        OfferingType::TestTheWaters => "testing-the-waters",
        OfferingType::Other(s) => s.as_str(),
    }
}

impl Row<'_> {
    fn finding(
        &self,
        code: RuleCode,
        severity: Severity,
        citation: &str,
        figures: Vec<(String, String)>,
        detail: String,
    ) -> Finding {
        Finding {
            code,
            severity,
            investment_id: Some(self.inv.id),
            investor_id: Some(self.inv.investor_id),
            offering_id: Some(self.inv.offering_id),
            citation: citation.to_string(),
            figures,
            detail,
        }
    }

    fn offering_type(&self) -> Option<&OfferingType> {
        self.offering.map(|o| &o.offering_type)
    }

    fn offering_desc(&self) -> String {
        match self.offering_type() {
            Some(t) => format!("{} offering {}", offering_label(t), self.inv.offering_id),
            None => format!("offering {}", self.inv.offering_id),
        }
    }

    fn bought(&self) -> String {
        format!(
            "Investor {} bought {} in {} on {}",
            self.inv.investor_id,
            usd(self.amount),
            self.offering_desc(),
            self.date
        )
    }
}

fn fig(name: &str, value: impl ToString) -> (String, String) {
    (name.to_string(), value.to_string())
}

/// A money figure as a plain decimal with two places (`2500.00`, `-0.05`), no separators.
fn money_fig(name: &str, c: Cents) -> (String, String) {
    let abs = c.unsigned_abs();
    let sign = if c < 0 { "-" } else { "" };
    (
        name.to_string(),
        format!("{sign}{}.{:02}", abs / 100, abs % 100),
    )
}

/// Checks every in-scope investment of `book` (status takes funds, dated on or before `as_of`)
/// against the rules of `RULES.md` and returns the findings, sorted by (code in contract order,
/// offering_id, investment_id, investor_id, detail).
///
/// `sanctions`: a screening index built from the OFAC SDN files; without it
/// [`RuleCode::SanctionsNameMatch`] is not evaluated. `overrides`: recorded false-positive
/// decisions (ent_num, investor_id) that clear a screening hit.
///
/// Investments whose dates are all missing are dated `as_of` (they took funds, so they are
/// checked rather than dropped). Investments referring to an investor missing from the book
/// raise [`RuleCode::KycNotPassed`] (no passed KYC is on record); investor-based rules are then
/// skipped for them. Unknown offerings skip offering-based rules.
pub fn check(
    book: &Book,
    as_of: NaiveDate,
    sanctions: Option<&SanctionsIndex>,
    overrides: &Overrides,
    cfg: &CheckConfig,
) -> Vec<Finding> {
    let offerings: HashMap<i64, &Offering> = book.offerings.iter().map(|o| (o.id, o)).collect();
    let investors: HashMap<i64, &Investor> = book.investors.iter().map(|i| (i.id, i)).collect();

    let rows: Vec<Row<'_>> = book
        .investments
        .par_iter()
        .filter(|inv| inv.status.funds_taken())
        .filter_map(|inv| {
            let date = inv.effective_date().unwrap_or(as_of);
            if date > as_of {
                return None;
            }
            let investor = investors.get(&inv.investor_id).copied();
            let offering = offerings.get(&inv.offering_id).copied();
            Some(Row {
                inv,
                investor,
                offering,
                date,
                amount: cents(inv.amount),
                accredited: inv
                    .accredited
                    .or(investor.and_then(|i| i.accredited))
                    .unwrap_or(false),
                acc_type: inv
                    .accreditation_type
                    .as_ref()
                    .or(investor.and_then(|i| i.accreditation_type.as_ref())),
                net_worth: opt_cents(inv.net_worth.or(investor.and_then(|i| i.net_worth))),
                income: opt_cents(inv.annual_income.or(investor.and_then(|i| i.annual_income))),
                us_person: inv.us_person.or(investor.and_then(|i| i.us_person)),
                regcf_this_year: opt_cents(
                    inv.regcf_invested_this_year
                        .or(investor.and_then(|i| i.regcf_invested_this_year)),
                )
                .unwrap_or(0)
                .max(0),
                regcf_other: opt_cents(investor.and_then(|i| i.regcf_invested_other_platforms))
                    .unwrap_or(0)
                    .max(0),
            })
        })
        .collect();

    let mut findings: Vec<Finding> = rows
        .par_iter()
        .flat_map_iter(|r| per_investment(r, cfg))
        .collect();

    findings.extend(regcf_investor_limit(&rows));
    findings.extend(regcf_issuer_cap(&rows));
    findings.extend(rega_tier2(&rows));
    findings.extend(regd_506b(&rows, cfg));
    findings.extend(offering_max(&rows));
    if let Some(index) = sanctions {
        findings.extend(sanctions_findings(&rows, index, overrides, cfg));
    }

    findings.par_sort_by(|a, b| {
        (
            a.code,
            a.offering_id,
            a.investment_id,
            a.investor_id,
            &a.detail,
        )
            .cmp(&(
                b.code,
                b.offering_id,
                b.investment_id,
                b.investor_id,
                &b.detail,
            ))
    });
    findings
}

/// Age in whole years on `on` for someone born on `dob`.
pub fn age_on(dob: NaiveDate, on: NaiveDate) -> i32 {
    let mut years = on.year() - dob.year();
    if (on.month(), on.day()) < (dob.month(), dob.day()) {
        years -= 1;
    }
    years
}

fn per_investment(r: &Row<'_>, cfg: &CheckConfig) -> Vec<Finding> {
    let mut out = Vec::new();
    let inv = r.inv;

    // KYC_NOT_PASSED
    match r.investor {
        None => out.push(r.finding(
            RuleCode::KycNotPassed,
            Severity::Violation,
            "Issuer KYC gate (domain.md §3.6); 31 CFR 1010.220",
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
            "Issuer KYC gate (domain.md §3.6); 31 CFR 1010.220",
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

    // AML_WATCHLIST_HIT
    let hits: Vec<&crate::model::WatchlistScreening> =
        inv.watchlist.iter().filter(|w| w.has_hits).collect();
    if !hits.is_empty() {
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

    if let Some(investor) = r.investor {
        // INVESTOR_UNDERAGE
        if investor.investor_type.is_natural_person()
            && let Some(dob) = investor.date_of_birth
        {
            let age = age_on(dob, r.date);
            if age < cfg.age_of_majority as i32 {
                out.push(r.finding(
                    RuleCode::InvestorUnderage,
                    Severity::Violation,
                    "age of majority (state law; 18 in most states)",
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
    }

    if let Some(o) = r.offering {
        let country = r
            .investor
            .and_then(|i| i.country.as_deref())
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| !c.is_empty());

        // COUNTRY_EXCLUDED
        if let Some(c) = &country {
            let excluded = o
                .excluded_countries
                .iter()
                .any(|x| x.trim().eq_ignore_ascii_case(c));
            let not_included = !o.included_countries.is_empty()
                && !o
                    .included_countries
                    .iter()
                    .any(|x| x.trim().eq_ignore_ascii_case(c));
            if excluded || not_included {
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
                    "offering terms (investors_excluded_countries / investors_included_countries)",
                    vec![
                        fig("country", c),
                        fig("excluded_countries", o.excluded_countries.join(";")),
                        fig("included_countries", o.included_countries.join(";")),
                    ],
                    format!("{} from country {}, which is {}.", r.bought(), c, why),
                ));
            }
        }

        // INVESTMENT_BELOW_MIN / ABOVE_MAX / INCREMENT
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
            if r.amount >= base && (i128::from(r.amount) - i128::from(base)) % i128::from(inc) != 0
            {
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

        // FUNDS_AFTER_DEADLINE
        if let (Some(deadline), Some(received)) = (o.deadline, inv.received_at) {
            let rd = received.date_naive();
            if rd > deadline {
                out.push(r.finding(
                    RuleCode::FundsAfterDeadline,
                    Severity::Violation,
                    "offering terms (deadline_date)",
                    vec![fig("received_at", rd), fig("deadline", deadline)],
                    format!(
                        "Funds of {} from investor {} for {} were received on {}, after the offering deadline of {}.",
                        usd(r.amount),
                        inv.investor_id,
                        r.offering_desc(),
                        rd,
                        deadline
                    ),
                ));
            }
        }

        match &o.offering_type {
            // REGD_506C_NOT_ACCREDITED
            OfferingType::RegD506c if !r.accredited || r.acc_type.is_none() => {
                let (why, cite) = if !r.accredited {
                    ("the investor is not accredited", "17 CFR 230.506(c)(2)(i)")
                } else {
                    (
                        "the investor claims accreditation without stating its basis (accreditation type)",
                        "17 CFR 230.506(c)(2)(ii)",
                    )
                };
                out.push(r.finding(
                    RuleCode::Regd506cNotAccredited,
                    Severity::Violation,
                    cite,
                    vec![
                        fig("accredited", r.accredited),
                        fig(
                            "accreditation_type",
                            r.acc_type.map(|t| t.as_wire()).unwrap_or(""),
                        ),
                    ],
                    format!(
                        "{}, but {}; every 506(c) purchaser must be a verified accredited investor ({}).",
                        r.bought(),
                        why,
                        cite
                    ),
                ));
            }
            // REGS_US_PERSON
            OfferingType::RegS => {
                let us_country = country.as_deref() == Some("US");
                if r.us_person == Some(true) || us_country {
                    let why = match (r.us_person == Some(true), us_country) {
                        (true, true) => "is a declared US person resident in the US",
                        (true, false) => "is a declared US person",
                        _ => "resides in the US (country US)",
                    };
                    out.push(r.finding(
                        RuleCode::RegsUsPerson,
                        Severity::Violation,
                        "17 CFR 230.902(k); 17 CFR 230.903",
                        vec![
                            fig("us_person", r.us_person.map(|b| b.to_string()).unwrap_or_default()),
                            fig("country", country.clone().unwrap_or_default()),
                        ],
                        format!(
                            "{}, but the investor {}; Regulation S sales must be offshore to non-US persons (17 CFR 230.902(k), 230.903).",
                            r.bought(),
                            why
                        ),
                    ));
                }
            }
            _ => {}
        }
    }

    // ACCREDITATION_INCONSISTENT
    if r.accredited
        && let Some(t) = r.acc_type
    {
        let check = match t {
            AccreditationType::NetWorth => r
                .net_worth
                .map(|v| (v, 1_000_000_00, "net worth", "17 CFR 230.501(a)(5)")),
            AccreditationType::Income => r
                .income
                .map(|v| (v, 200_000_00, "income", "17 CFR 230.501(a)(6)")),
            AccreditationType::JointIncome => r
                .income
                .map(|v| (v, 300_000_00, "joint income", "17 CFR 230.501(a)(6)")),
            AccreditationType::EntityAssets => r.net_worth.map(|v| {
                (
                    v,
                    5_000_000_00,
                    "assets",
                    "17 CFR 230.501(a)(3), (a)(7), (a)(9)",
                )
            }),
            _ => None,
        };
        if let Some((value, bar, what, cite)) = check
            && value <= bar
        {
            out.push(r.finding(
                RuleCode::AccreditationInconsistent,
                Severity::Warning,
                cite,
                vec![
                    fig("accreditation_type", t.as_wire()),
                    money_fig("stated", value),
                    money_fig("required_above", bar),
                ],
                format!(
                    "{} claiming accreditation by {} ({}), but the stated {} of {} is not above the {} required ({}).",
                    r.bought(),
                    what,
                    t.as_wire(),
                    what,
                    usd(value),
                    usd(bar),
                    cite
                ),
            ));
        }
    }
    out
}

fn sort_rows<'r, 'a>(
    rows: impl Iterator<Item = &'r Row<'a>>,
    key: impl Fn(&Row<'a>) -> i64 + Sync,
) -> Vec<&'r Row<'a>>
where
    'a: 'r,
{
    let mut v: Vec<&Row<'a>> = rows.collect();
    v.par_sort_unstable_by_key(|r| (key(r), r.date, r.inv.id));
    v
}

fn is_type(r: &Row<'_>, t: OfferingType) -> bool {
    r.offering.is_some_and(|o| o.offering_type == t)
}

fn year_before(d: NaiveDate) -> NaiveDate {
    d.checked_sub_days(Days::new(365)).unwrap_or(NaiveDate::MIN)
}

/// REGCF_INVESTOR_LIMIT: per investor, 365-day look-back over Reg CF investments.
fn regcf_investor_limit(rows: &[Row<'_>]) -> Vec<Finding> {
    let cf = sort_rows(
        rows.iter().filter(|r| is_type(r, OfferingType::RegCf)),
        |r| r.inv.investor_id,
    );
    let mut out = Vec::new();
    let mut start = 0usize; // first row of the current investor
    let mut left = 0usize; // first row inside the window
    let mut window: i128 = 0; // sum of rows [left, i)
    for i in 0..cf.len() {
        let r = cf[i];
        if i == 0 || cf[i - 1].inv.investor_id != r.inv.investor_id {
            start = i;
            left = i;
            window = 0;
        }
        let from = year_before(r.date);
        while left < i && cf[left].date < from {
            window -= i128::from(cf[left].amount);
            left += 1;
        }
        debug_assert!(left >= start);
        let prior = window.clamp(0, i128::from(Cents::MAX)) as Cents;
        window += i128::from(r.amount);

        let t = reg_cf_on(r.date);
        if r.accredited && !t.accredited_limited {
            continue;
        }
        let income = r.income.unwrap_or(0);
        let nw = r.net_worth.unwrap_or(0);
        let limit = reg_cf_investor_limit(t, income, nw);
        let counted = i128::from(r.amount)
            + i128::from(prior)
            + i128::from(r.regcf_this_year)
            + i128::from(r.regcf_other);
        if counted <= i128::from(limit) {
            continue;
        }
        let counted = counted.min(i128::from(Cents::MAX)) as Cents;
        let mut with = format!("with {} in the prior 12 months", usd(prior));
        if r.regcf_this_year > 0 || r.regcf_other > 0 {
            with.push_str(&format!(
                " and {} self-reported this year ({} on this platform, {} on other platforms)",
                usd(r.regcf_this_year.saturating_add(r.regcf_other)),
                usd(r.regcf_this_year),
                usd(r.regcf_other)
            ));
        }
        let detail = format!(
            "Investor {} ({}, income {}, net worth {}) bought {} in {} on {}; {} the total {} exceeds the {} limit in force since {} (17 CFR 227.100(a)(2)).",
            r.inv.investor_id,
            if r.accredited {
                "accredited"
            } else {
                "non-accredited"
            },
            usd_opt(r.income),
            usd_opt(r.net_worth),
            usd(r.amount),
            r.offering_desc(),
            r.date,
            with,
            usd(counted),
            usd(limit),
            t.effective,
        );
        out.push(r.finding(
            RuleCode::RegcfInvestorLimit,
            Severity::Violation,
            "17 CFR 227.100(a)(2)",
            vec![
                money_fig("limit", limit),
                money_fig("amount", r.amount),
                money_fig("prior_12_months", prior),
                money_fig("self_reported_this_year", r.regcf_this_year),
                money_fig("self_reported_other_platforms", r.regcf_other),
                money_fig("counted", counted),
                money_fig("income", income),
                money_fig("net_worth", nw),
                fig("basis", t.basis.as_str()),
                fig("accredited", r.accredited),
                fig("threshold_version", t.effective),
                fig("threshold_source", t.source),
            ],
            detail,
        ));
    }
    out
}

/// REGCF_ISSUER_CAP: 365-day running sum across all Reg CF offerings of the snapshot.
fn regcf_issuer_cap(rows: &[Row<'_>]) -> Vec<Finding> {
    let cf = sort_rows(
        rows.iter().filter(|r| is_type(r, OfferingType::RegCf)),
        |_| 0,
    );
    let mut out = Vec::new();
    let mut left = 0usize;
    let mut window: i128 = 0;
    for i in 0..cf.len() {
        let r = cf[i];
        window += i128::from(r.amount);
        let from = year_before(r.date);
        while left < i && cf[left].date < from {
            window -= i128::from(cf[left].amount);
            left += 1;
        }
        let t = reg_cf_on(r.date);
        if window > i128::from(t.issuer_cap) {
            let sum = window.min(i128::from(Cents::MAX)) as Cents;
            out.push(r.finding(
                RuleCode::RegcfIssuerCap,
                Severity::Violation,
                "17 CFR 227.100(a)(1)",
                vec![
                    money_fig("sold_12_months", sum),
                    money_fig("issuer_cap", t.issuer_cap),
                    fig("window_start", from),
                    fig("threshold_version", t.effective),
                    fig("threshold_source", t.source),
                ],
                format!(
                    "Investment {} of {} by investor {} in {} on {} brings Reg CF sales in the 12 months from {} to {}, above the {} issuer cap in force since {} (17 CFR 227.100(a)(1)).",
                    r.inv.id,
                    usd(r.amount),
                    r.inv.investor_id,
                    r.offering_desc(),
                    r.date,
                    from,
                    usd(sum),
                    usd(t.issuer_cap),
                    t.effective
                ),
            ));
        }
    }
    out
}

/// REGA_TIER2_LIMIT: per (offering, investor) running sum vs 10% of the greater figure.
fn rega_tier2(rows: &[Row<'_>]) -> Vec<Finding> {
    let mut ra: Vec<&Row<'_>> = rows
        .iter()
        .filter(|r| is_type(r, OfferingType::RegA))
        .collect();
    ra.par_sort_unstable_by_key(|r| (r.inv.offering_id, r.inv.investor_id, r.date, r.inv.id));
    let mut out = Vec::new();
    let mut running: i128 = 0;
    for i in 0..ra.len() {
        let r = ra[i];
        if i == 0
            || ra[i - 1].inv.offering_id != r.inv.offering_id
            || ra[i - 1].inv.investor_id != r.inv.investor_id
        {
            running = 0;
        }
        running += i128::from(r.amount);
        if r.accredited {
            continue;
        }
        let income = r.income.unwrap_or(0).max(0);
        let nw = r.net_worth.unwrap_or(0).max(0);
        let limit = i128::from(income.max(nw)) * 10 / 100;
        if running > limit {
            let total = running.min(i128::from(Cents::MAX)) as Cents;
            let limit = limit as Cents;
            let natural = r
                .investor
                .map(|i| i.investor_type.is_natural_person())
                .unwrap_or(true);
            let (inc_l, nw_l) = if natural {
                ("income", "net worth")
            } else {
                ("revenue", "net assets")
            };
            out.push(r.finding(
                RuleCode::RegaTier2Limit,
                Severity::Violation,
                "17 CFR 230.251(d)(2)(i)(C)",
                vec![
                    money_fig("limit", limit),
                    money_fig("amount", r.amount),
                    money_fig("offering_total", total),
                    money_fig(inc_l, income),
                    money_fig(nw_l, nw),
                ],
                format!(
                    "Investor {} (non-accredited, {} {}, {} {}) bought {} in {} on {}, bringing their purchases in this offering to {}, above the {} limit of 10% of the greater of {} and {} (17 CFR 230.251(d)(2)(i)(C)).",
                    r.inv.investor_id,
                    inc_l,
                    usd_opt(r.income),
                    nw_l,
                    usd_opt(r.net_worth),
                    usd(r.amount),
                    r.offering_desc(),
                    r.date,
                    usd(total),
                    usd(limit),
                    inc_l,
                    nw_l
                ),
            ));
        }
    }
    out
}

/// REGD_506B_NONACCREDITED_COUNT: the 36th and later non-accredited purchasers.
fn regd_506b(rows: &[Row<'_>], cfg: &CheckConfig) -> Vec<Finding> {
    let rb = sort_rows(
        rows.iter().filter(|r| is_type(r, OfferingType::RegD506b)),
        |r| r.inv.offering_id,
    );
    let mut out = Vec::new();
    let mut i = 0;
    while i < rb.len() {
        let off = rb[i].inv.offering_id;
        let mut j = i;
        while j < rb.len() && rb[j].inv.offering_id == off {
            j += 1;
        }
        let group = &rb[i..j];
        // Non-accredited investors (any non-accredited in-scope investment), with their first
        // in-scope investment (date, id) in this offering.
        let mut first: HashMap<i64, (NaiveDate, i64)> = HashMap::default();
        let mut nonacc: HashMap<i64, bool> = HashMap::default();
        for r in group {
            first.entry(r.inv.investor_id).or_insert((r.date, r.inv.id));
            if !r.accredited {
                nonacc.insert(r.inv.investor_id, true);
            }
        }
        let mut order: Vec<(NaiveDate, i64, i64)> = nonacc
            .keys()
            .filter_map(|inv| first.get(inv).map(|(d, id)| (*d, *id, *inv)))
            .collect();
        order.sort_unstable();
        let rank: HashMap<i64, usize> = order
            .iter()
            .enumerate()
            .map(|(k, (_, _, inv))| (*inv, k + 1))
            .collect();
        let total = order.len();
        for r in group {
            if let Some(&n) = rank.get(&r.inv.investor_id)
                && n > cfg.max_506b_nonaccredited
            {
                out.push(r.finding(
                    RuleCode::Regd506bNonaccreditedCount,
                    Severity::Violation,
                    "17 CFR 230.506(b)(2)(i)",
                    vec![
                        fig("purchaser_rank", n),
                        fig("nonaccredited_purchasers", total),
                        fig("maximum", cfg.max_506b_nonaccredited),
                    ],
                    format!(
                        "{}; the investor is non-accredited purchaser number {} of {} in this offering, beyond the {} allowed (17 CFR 230.506(b)(2)(i)).",
                        r.bought(),
                        n,
                        total,
                        cfg.max_506b_nonaccredited
                    ),
                ));
            }
        }
        i = j;
    }
    out
}

/// OFFERING_MAX_EXCEEDED: running sum of accepted amounts vs maximum_amount_raised.
fn offering_max(rows: &[Row<'_>]) -> Vec<Finding> {
    let acc = sort_rows(
        rows.iter().filter(|r| {
            r.inv.status.is_accepted() && r.offering.is_some_and(|o| o.max_amount.is_some())
        }),
        |r| r.inv.offering_id,
    );
    let mut out = Vec::new();
    let mut running: i128 = 0;
    for i in 0..acc.len() {
        let r = acc[i];
        if i == 0 || acc[i - 1].inv.offering_id != r.inv.offering_id {
            running = 0;
        }
        running += i128::from(r.amount);
        let Some(max) = r.offering.and_then(|o| opt_cents(o.max_amount)) else {
            continue;
        };
        if running > i128::from(max) {
            let total = running.min(i128::from(Cents::MAX)) as Cents;
            out.push(r.finding(
                RuleCode::OfferingMaxExceeded,
                Severity::Violation,
                "offering terms (maximum_amount_raised)",
                vec![
                    money_fig("accepted_total", total),
                    money_fig("maximum_amount_raised", max),
                ],
                format!(
                    "Accepting investment {} of {} by investor {} on {} brings accepted funds in {} to {}, above its maximum raise of {}.",
                    r.inv.id,
                    usd(r.amount),
                    r.inv.investor_id,
                    r.date,
                    r.offering_desc(),
                    usd(total),
                    usd(max)
                ),
            ));
        }
    }
    out
}

fn sanctions_findings(
    rows: &[Row<'_>],
    index: &SanctionsIndex,
    overrides: &Overrides,
    cfg: &CheckConfig,
) -> Vec<Finding> {
    // Screen each investor with in-scope investments once.
    let mut investors: Vec<&Investor> = rows.iter().filter_map(|r| r.investor).collect();
    investors.sort_unstable_by_key(|i| i.id);
    investors.dedup_by_key(|i| i.id);
    // Per investor: the best hit not cleared by an override (the one reported on each
    // investment), and the cleared hits (reported once as info).
    struct Outcome {
        reported: Option<crate::sanctions::ScreenHit>,
        cleared: Vec<(crate::sanctions::ScreenHit, crate::sanctions::Override)>,
    }
    let hits = index.screen_investor_batch(&investors, &cfg.screening);
    let results: HashMap<i64, Outcome> = investors
        .into_par_iter()
        .zip(hits)
        .filter_map(|(i, hits)| {
            if hits.is_empty() {
                return None;
            }
            let mut cleared = Vec::new();
            let mut open = Vec::new();
            for h in hits {
                match overrides.get(h.ent_num, i.id) {
                    Some(ov) => cleared.push((h, ov.clone())),
                    None => open.push(h),
                }
            }
            // Best uncleared hit: a match; else a name match contradicted only by the date
            // of birth; else (when asked for) a review-band hit.
            let pick = open
                .iter()
                .position(|h| h.level == MatchLevel::Match)
                .or_else(|| open.iter().position(|h| h.dob_conflict))
                .or_else(|| (cfg.sanctions_review_findings && !open.is_empty()).then_some(0));
            let reported = pick.map(|k| open.swap_remove(k));
            Some((i.id, Outcome { reported, cleared }))
        })
        .collect();
    let mut out = Vec::new();
    for r in rows {
        let Some(o) = results.get(&r.inv.investor_id) else {
            continue;
        };
        if let Some(h) = &o.reported {
            let severity = match h.level {
                MatchLevel::Match => Severity::Violation,
                MatchLevel::Review => Severity::Warning,
            };
            out.push(r.finding(
                RuleCode::SanctionsNameMatch,
                severity,
                "31 CFR Chapter V; OFAC SDN list",
                h.figures(),
                format!("{}; {}", r.bought(), h.explain()),
            ));
        }
    }
    if cfg.report_cleared_overrides {
        let mut ids: Vec<&i64> = results.keys().collect();
        ids.sort_unstable();
        for id in ids {
            for (h, ov) in &results[id].cleared {
                let mut figures = h.figures();
                figures.push(fig("override_decided_by", &ov.decided_by));
                figures.push(fig("override_decided_at", &ov.decided_at));
                figures.push(fig("override_note", &ov.note));
                out.push(Finding {
                    code: RuleCode::SanctionsNameMatch,
                    severity: Severity::Info,
                    investment_id: None,
                    investor_id: Some(*id),
                    offering_id: None,
                    citation: "31 CFR Chapter V; OFAC SDN list".to_string(),
                    figures,
                    detail: format!(
                        "Investor {}: the name '{}' resembles OFAC SDN entry {} '{}' (score {:.3}); cleared as a false positive by {} on {}: {}.",
                        id,
                        h.query_name,
                        h.ent_num,
                        h.sdn_name,
                        h.score,
                        ov.decided_by,
                        ov.decided_at,
                        ov.note
                    ),
                });
            }
        }
    }
    out
}

/// Renders findings as `findings.csv`: columns `code,severity,investment_id,investor_id,
/// offering_id,detail` with RFC 4180 quoting; empty cells for missing ids.
pub fn findings_csv(findings: &[Finding]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let id = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    // Writing to a Vec cannot fail; errors are impossible here but handled without panicking.
    let _ = w.write_record([
        "code",
        "severity",
        "investment_id",
        "investor_id",
        "offering_id",
        "detail",
    ]);
    for f in findings {
        let _ = w.write_record([
            f.code.as_str().to_string(),
            f.severity.as_str().to_string(),
            id(f.investment_id),
            id(f.investor_id),
            id(f.offering_id),
            // Details quote input text (names, references): never a formula in a spreadsheet.
            crate::safe_text::csv_text(&f.detail).into_owned(),
        ]);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
