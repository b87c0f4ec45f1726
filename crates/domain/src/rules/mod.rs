//! The compliance rules: for every investment in scope on the as-of date, decide whether the
//! investor was allowed to invest that amount, and explain why not. Semantics, citations, data
//! needed and behaviour on missing data: `crates/domain/RULES.md`.
//!
//! Pure: no I/O, no clock. Rule violations are findings (data), never errors. A rule that cannot
//! be evaluated for lack of data gives [`RuleCode::DataMissing`]; it never passes silently.
//!
//! Layout: this module builds the rows (scope, figures) and sorts the findings; `investment`
//! holds the per-investment rules, `regcf` the Reg CF limits, `offering` the per-offering
//! aggregates (Reg A, 506(b), offering maximum), `sanctions` the SDN screening.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;

use chrono::{Datelike, NaiveDate};
use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::countries::Country;
use crate::finding::{Finding, RuleCode};
use crate::model::{
    AccreditationType, Book, Investment, InvestmentStatus, Investor, Offering, OfferingType,
    Severity,
};
use crate::money::{Cents, decimal_to_cents, format_cents};
use crate::sanctions::{Overrides, SanctionsIndex, ScreenConfig};
use crate::thresholds::{
    ACCREDITED_ENTITY_ASSETS, ACCREDITED_INCOME, ACCREDITED_JOINT_INCOME, ACCREDITED_NET_WORTH,
    AccreditationBar, RULE_506B_MAX_NONACCREDITED, RegATier,
};

mod findings_csv;
mod investment;
mod offering;
mod regcf;
mod sanctions;

pub use findings_csv::findings_csv;
pub use offering::rega_tier;
pub use regcf::{IssuerCapPosition, regcf_issuer_positions};

/// What the rules do not model because the data cannot support it, in plain sentences for the
/// regulator report's notes (the same list as `RULES.md` § Not modelled): silence on these is not
/// compliance.
pub const NOT_MODELLED: &[&str] = &[
    "Spouses' joint Reg CF limit (instruction to 17 CFR 227.100(a)(2)): spouses are not linked in the data; each investor is judged alone.",
    "Rule 501(e) exclusions from the 506(b) purchaser count (relatives sharing a home, entities owned by purchasers): not linked in the data, so they are counted as separate purchasers; sophistication (230.506(b)(2)(ii)) is not checkable.",
    "506(c) verification (17 CFR 230.506(c)(2)(ii)): the Issuer API carries no verification evidence; no figure here says an investor was verified.",
    "Reg CF issuer cap aggregation with affiliates and predecessors (instruction to 227.100(a)(1)): only offerings with the same issuer id are added up.",
    "Section 12(g) holders of record per class and the $10,000,000 total-assets test: the data has neither classes nor the issuer's assets; holder counts are purchasers with funds taken, for information only.",
    "Form C-U dates are computed from receipts; whether the intermediary's frequent progress updates make the 50%/100% filings unnecessary is not known; a final Form C-U is dated only when more than the target was accepted and the deadline is known.",
    "Regulation A tier and exchange listing are read from the offering's name and description (or pinned); an unknown tier makes the purchase limit a warning.",
    "Age of majority is 18 everywhere (19 in AL and NE, 21 in MS are not applied); net worth is taken as stated (primary-residence and 60-day debt rules of 230.501(a)(5)(i) not recomputed).",
    "Regulation S offshore transaction and directed selling efforts (17 CFR 230.903(a)) are not in the data.",
];

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
    /// Regulation A tiers pinned by the user, by offering id; they override what the offering
    /// data says (see [`rega_tier`]).
    pub rega_tiers: BTreeMap<i64, RegATier>,
}

impl Default for CheckConfig {
    fn default() -> Self {
        Self {
            screening: ScreenConfig::default(),
            sanctions_review_findings: false,
            report_cleared_overrides: true,
            max_506b_nonaccredited: RULE_506B_MAX_NONACCREDITED,
            age_of_majority: 18,
            rega_tiers: BTreeMap::new(),
        }
    }
}

/// An accreditation claim the investor's own figures contradict.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Contradiction {
    pub bar: &'static AccreditationBar,
    pub stated: Cents,
}

/// One in-scope investment with its suitability figures resolved (investment first, investor
/// entity second) and its money in cents.
pub(crate) struct Row<'a> {
    pub inv: &'a Investment,
    pub investor: Option<&'a Investor>,
    pub offering: Option<&'a Offering>,
    pub date: NaiveDate,
    /// The securities value bought, in cents (`SecuritiesReading`: `amount` or `price`, as
    /// `quantity × unit_price` says), never a fee-inclusive figure.
    pub amount: Cents,
    /// The accreditation claim: `None` when neither record states it.
    pub accredited: Option<bool>,
    pub acc_type: Option<&'a AccreditationType>,
    pub net_worth: Option<Cents>,
    pub income: Option<Cents>,
    pub us_person: Option<bool>,
    pub country: Country<'a>,
    /// `amount_invested_in_reg_cf_offering_this_year` declared on this investment (describes
    /// this platform's purchases earlier in the calendar year of the sale).
    pub declared_this_year: Option<Cents>,
    pub contradiction: Option<Contradiction>,
}

pub(crate) fn cents(d: Decimal) -> Cents {
    decimal_to_cents(d).unwrap_or(if d.is_sign_negative() {
        Cents::MIN
    } else {
        Cents::MAX
    })
}

pub(crate) fn opt_cents(d: Option<Decimal>) -> Option<Cents> {
    d.map(cents)
}

pub(crate) fn usd(c: Cents) -> String {
    format!("${}", format_cents(c))
}

pub(crate) fn usd_opt(c: Option<Cents>) -> String {
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
    pub(crate) fn finding(
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

    /// A [`RuleCode::DataMissing`] warning: `rule` (cited as `citation`) cannot be evaluated on
    /// this investment because `fields` are missing; `why` says what would be needed.
    pub(crate) fn data_missing(
        &self,
        rule: RuleCode,
        citation: &str,
        fields: &[&str],
        why: String,
    ) -> Finding {
        self.finding(
            RuleCode::DataMissing,
            Severity::Warning,
            citation,
            vec![fig("rule", rule.as_str()), fig("missing", fields.join(";"))],
            format!(
                "{}; {} cannot be evaluated: {} ({}). Not evaluated is not compliant: obtain the data and re-run.",
                self.bought(),
                rule.as_str(),
                why,
                citation
            ),
        )
    }

    pub(crate) fn offering_type(&self) -> Option<&OfferingType> {
        self.offering.map(|o| &o.offering_type)
    }

    pub(crate) fn offering_desc(&self) -> String {
        match self.offering_type() {
            Some(t) => format!("{} offering {}", offering_label(t), self.inv.offering_id),
            None => format!("offering {}", self.inv.offering_id),
        }
    }

    pub(crate) fn bought(&self) -> String {
        format!(
            "Investor {} bought {} in {} on {}",
            self.inv.investor_id,
            usd(self.amount),
            self.offering_desc(),
            self.date
        )
    }

    /// Claims accreditation (explicitly `true`).
    pub(crate) fn claims_accredited(&self) -> bool {
        self.accredited == Some(true)
    }

    /// Claims accreditation and the investor's own figures do not contradict the claim. A
    /// contradicted claim does not lift a limit that applies to non-accredited purchasers.
    pub(crate) fn accredited_uncontradicted(&self) -> bool {
        self.claims_accredited() && self.contradiction.is_none()
    }

    pub(crate) fn is_natural_person(&self) -> bool {
        self.investor
            .map(|i| i.investor_type.is_natural_person())
            .unwrap_or(true)
    }
}

pub(crate) fn fig(name: &str, value: impl ToString) -> (String, String) {
    (name.to_string(), value.to_string())
}

/// A money figure as a plain decimal with two places (`2500.00`, `-0.05`), no separators.
pub(crate) fn money_fig(name: &str, c: Cents) -> (String, String) {
    let abs = c.unsigned_abs();
    let sign = if c < 0 { "-" } else { "" };
    (
        name.to_string(),
        format!("{sign}{}.{:02}", abs / 100, abs % 100),
    )
}

/// The Rule 501(a) bar an accreditation claim of type `t` is measured against, with the stated
/// figure it is compared to: net worth for `net_worth`, income for `income` / `joint_income`,
/// net assets for `entity_assets` (the only entity figure in the data; it understates total
/// assets, so a contradiction there is a review item).
pub(crate) fn accreditation_check(
    t: &AccreditationType,
    net_worth: Option<Cents>,
    income: Option<Cents>,
) -> Option<Contradiction> {
    let (bar, stated) = match t {
        AccreditationType::NetWorth => (&ACCREDITED_NET_WORTH, net_worth?),
        AccreditationType::Income => (&ACCREDITED_INCOME, income?),
        AccreditationType::JointIncome => (&ACCREDITED_JOINT_INCOME, income?),
        AccreditationType::EntityAssets => (&ACCREDITED_ENTITY_ASSETS, net_worth?),
        _ => return None,
    };
    (stated <= bar.above).then_some(Contradiction { bar, stated })
}

/// The date an investment counts from, if it was in scope (its funds taken) on `as_of`, else
/// `None`. The status is judged as of `as_of` from the investment's timestamps: an investment
/// refunded, cancelled or rejected after `as_of` whose funds were received on or before it was
/// in scope then (refunded_at, else updated_at, marks the change; without either the current
/// status stands). Investments dated after `as_of` are out of scope; an investment with no
/// timestamp at all is dated `as_of`, so it is checked rather than dropped.
pub fn in_scope_on(inv: &Investment, as_of: NaiveDate) -> Option<NaiveDate> {
    let date = inv.effective_date().unwrap_or(as_of);
    if date > as_of {
        return None;
    }
    if inv.status.funds_taken() {
        return Some(date);
    }
    let undone = matches!(
        inv.status,
        InvestmentStatus::Refunded | InvestmentStatus::Cancelled | InvestmentStatus::NotApproved
    );
    if !undone {
        return None;
    }
    let received = inv.received_at.or(inv.invested_at)?.date_naive();
    let changed = match inv.status {
        InvestmentStatus::Refunded => inv.refunded_at.or(inv.updated_at),
        _ => inv.updated_at,
    }?
    .date_naive();
    (received <= as_of && changed > as_of).then_some(date)
}

/// Checks every investment in scope on `as_of` ([`in_scope_on`]) of `book` against the rules of
/// `RULES.md` and returns the findings, sorted by (code in contract order, offering_id,
/// investment_id, investor_id, detail).
///
/// `sanctions`: a screening index built from the OFAC SDN files; without it
/// [`RuleCode::SanctionsNameMatch`] is not evaluated. `overrides`: recorded false-positive
/// decisions (ent_num, investor_id) that clear a screening hit.
///
/// Investments referring to an investor missing from the book raise [`RuleCode::KycNotPassed`]
/// (no passed KYC is on record); investor-based rules are then skipped for them. Unknown
/// offerings skip offering-based rules.
pub fn check(
    book: &Book,
    as_of: NaiveDate,
    sanctions: Option<&SanctionsIndex>,
    overrides: &Overrides,
    cfg: &CheckConfig,
) -> Vec<Finding> {
    let offerings: HashMap<i64, &Offering> = book.offerings.iter().map(|o| (o.id, o)).collect();
    let investors: HashMap<i64, &Investor> = book.investors.iter().map(|i| (i.id, i)).collect();
    // Limits, minimums, maximums and increments are about the securities bought, not the fees:
    // which field holds that value is read from the book (see `SecuritiesReading`).
    let securities = crate::money::SecuritiesReading::infer(book);

    let rows: Vec<Row<'_>> = book
        .investments
        .par_iter()
        .filter_map(|inv| {
            let date = in_scope_on(inv, as_of)?;
            let investor = investors.get(&inv.investor_id).copied();
            let offering = offerings.get(&inv.offering_id).copied();
            let acc_type = inv
                .accreditation_type
                .as_ref()
                .or(investor.and_then(|i| i.accreditation_type.as_ref()));
            let accredited = inv.accredited.or(investor.and_then(|i| i.accredited));
            let net_worth = opt_cents(inv.net_worth.or(investor.and_then(|i| i.net_worth)));
            let income = opt_cents(inv.annual_income.or(investor.and_then(|i| i.annual_income)));
            let contradiction = match (accredited, acc_type) {
                (Some(true), Some(t)) => accreditation_check(t, net_worth, income),
                _ => None,
            };
            Some(Row {
                inv,
                investor,
                offering,
                date,
                amount: cents(securities.value(inv)),
                accredited,
                acc_type,
                net_worth,
                income,
                us_person: inv.us_person.or(investor.and_then(|i| i.us_person)),
                country: Country::of(investor.and_then(|i| i.country.as_deref())),
                declared_this_year: opt_cents(inv.regcf_invested_this_year).map(|c| c.max(0)),
                contradiction,
            })
        })
        .collect();

    let mut findings: Vec<Finding> = rows
        .par_iter()
        .flat_map_iter(|r| investment::per_investment(r, cfg))
        .collect();

    findings.extend(regcf::investor_limit(&rows, as_of));
    findings.extend(regcf::issuer_cap(&rows));
    findings.extend(offering::rega_limit(&rows, as_of, cfg));
    findings.extend(offering::regd_506b(&rows, cfg));
    findings.extend(offering::offering_max(&rows));
    if let Some(index) = sanctions {
        findings.extend(sanctions::sanctions_findings(&rows, index, overrides, cfg));
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

pub(crate) fn sort_rows<'r, 'a>(
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

pub(crate) fn is_type(r: &Row<'_>, t: OfferingType) -> bool {
    r.offering.is_some_and(|o| o.offering_type == t)
}

#[cfg(test)]
mod tests;
