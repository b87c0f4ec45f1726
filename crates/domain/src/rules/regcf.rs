//! Regulation Crowdfunding: the investor limit (227.100(a)(2)) and the issuer cap
//! (227.100(a)(1)), both over "the 12-month period preceding and including" the sale, counted in
//! calendar months ([`twelve_month_window_start`]).

use chrono::{Datelike, NaiveDate};

use super::{Row, fig, in_scope_on, is_type, money_fig, opt_cents, sort_rows, usd, usd_opt};
use crate::finding::{Finding, RuleCode};
use crate::model::{Book, OfferingType, Severity};
use crate::money::Cents;
use crate::thresholds::{RegCfFigure, reg_cf_investor_limit, reg_cf_on, twelve_month_window_start};

fn clamp(v: i128) -> Cents {
    v.clamp(i128::from(Cents::MIN), i128::from(Cents::MAX)) as Cents
}

fn jan1(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d)
}

/// REGCF_INVESTOR_LIMIT, per investor over their in-scope Reg CF sales in (date, id) order.
///
/// counted = this sale + the investor's earlier in-scope Reg CF sales in the window. Self-reported
/// figures describe a calendar year up to when they were stated: the figure declared on a sale
/// describes this platform's purchases earlier that year; the investor's own figures (this
/// platform, other platforms) stand as of the pull and are attributed to the investor's latest
/// sale on or before `as_of` when it falls in `as_of`'s year. A this-platform figure describes the
/// same purchases as the snapshot's own sales that year: the larger of the two counts, never both.
/// Over the limit on the snapshot's sales alone: violation. Over only with self-reported figures:
/// warning, with the arithmetic.
pub(super) fn investor_limit(rows: &[Row<'_>], as_of: NaiveDate) -> Vec<Finding> {
    let cf = sort_rows(
        rows.iter().filter(|r| is_type(r, OfferingType::RegCf)),
        |r| r.inv.investor_id,
    );
    let mut out = Vec::new();
    // pre[k] = sum of the amounts of cf[..k].
    let mut pre: Vec<i128> = Vec::with_capacity(cf.len() + 1);
    pre.push(0);
    for r in &cf {
        pre.push(pre[pre.len() - 1] + i128::from(r.amount));
    }
    let (mut start, mut lw, mut ly) = (0usize, 0usize, 0usize);
    for i in 0..cf.len() {
        let r = cf[i];
        if i == 0 || cf[i - 1].inv.investor_id != r.inv.investor_id {
            (start, lw, ly) = (i, i, i);
        }
        let last_of_investor = i + 1 == cf.len() || cf[i + 1].inv.investor_id != r.inv.investor_id;
        let from = twelve_month_window_start(r.date);
        let year_from = jan1(r.date);
        while lw < i && cf[lw].date < from {
            lw += 1;
        }
        while ly < i && cf[ly].date < year_from {
            ly += 1;
        }
        debug_assert!(start <= lw && lw <= ly);
        let in_year = pre[i] - pre[ly];
        let pre_year = pre[ly] - pre[lw];
        let t = reg_cf_on(r.date);
        if r.accredited_uncontradicted() && !t.accredited_limited {
            continue;
        }
        let income = r.income.unwrap_or(0);
        let nw = r.net_worth.unwrap_or(0);
        let limit = reg_cf_investor_limit(t, income, nw);
        let amount = i128::from(r.amount);
        let snapshot = amount + pre_year + in_year;

        // Self-reported figures attributed to this sale.
        let declared = r.declared_this_year.map(i128::from);
        let investor_figs = (last_of_investor && r.date.year() == as_of.year())
            .then(|| {
                r.investor.map(|v| {
                    (
                        opt_cents(v.regcf_invested_this_year).map(|c| i128::from(c.max(0))),
                        opt_cents(v.regcf_invested_other_platforms).map(|c| i128::from(c.max(0))),
                    )
                })
            })
            .flatten()
            .unwrap_or((None, None));
        let on_platform_year = (in_year + amount)
            .max(declared.map(|d| d + amount).unwrap_or(0))
            .max(investor_figs.0.unwrap_or(0));
        let other = investor_figs.1.unwrap_or(0);
        let counted = pre_year + on_platform_year + other;
        if counted <= i128::from(limit) {
            continue;
        }
        let self_only = snapshot <= i128::from(limit);
        let severity = if self_only {
            Severity::Warning
        } else {
            Severity::Violation
        };
        let mut arithmetic = format!(
            "with {} earlier in the 12-month period from {}",
            usd(clamp(pre_year + in_year)),
            from
        );
        if self_only {
            arithmetic = format!(
                "the snapshot's own sales ({}) are within the limit, but with self-reported figures: {} before {} + {} on this platform in {} (the larger of the snapshot's {} and the self-reported {}) + {} self-reported on other platforms",
                usd(clamp(snapshot)),
                usd(clamp(pre_year)),
                year_from,
                usd(clamp(on_platform_year)),
                r.date.year(),
                usd(clamp(in_year + amount)),
                usd(clamp(
                    declared
                        .map(|d| d + amount)
                        .unwrap_or(0)
                        .max(investor_figs.0.unwrap_or(0))
                )),
                usd(clamp(other))
            );
        }
        let who = if r.claims_accredited() && r.contradiction.is_some() {
            "claims accreditation that their own figures contradict, so the limit applies"
        } else if r.claims_accredited() {
            "accredited, limited before 2021-03-15"
        } else {
            "non-accredited"
        };
        let figures_note = if r.income.is_none() || r.net_worth.is_none() {
            " (a figure not stated counts as $0, so at most the floor or the 5% tier applies)"
        } else {
            ""
        };
        let detail = format!(
            "Investor {} ({}, income {}, net worth {}{}) bought {} in {} on {}; {} the total {} exceeds the {} limit (17 CFR 227.100(a)(2): {} basis {}; floor {}, threshold {} and cap {} {}).{}",
            r.inv.investor_id,
            who,
            usd_opt(r.income),
            usd_opt(r.net_worth),
            figures_note,
            usd(r.amount),
            r.offering_desc(),
            r.date,
            arithmetic,
            usd(clamp(if self_only { counted } else { snapshot })),
            usd(limit),
            t.basis.as_str(),
            t.since_text(RegCfFigure::Basis),
            usd(t.floor),
            usd(t.threshold),
            usd(t.cap),
            t.since_text(RegCfFigure::Floor),
            if self_only {
                " Only self-reported figures push the total over the limit: confirm them with the investor."
            } else {
                ""
            }
        );
        out.push(r.finding(
            RuleCode::RegcfInvestorLimit,
            severity,
            "17 CFR 227.100(a)(2)",
            vec![
                money_fig("limit", limit),
                money_fig("amount", r.amount),
                money_fig("prior_12_months", clamp(pre_year + in_year)),
                money_fig("snapshot_total", clamp(snapshot)),
                money_fig(
                    "self_reported_this_platform",
                    clamp(declared.unwrap_or(0).max(investor_figs.0.unwrap_or(0))),
                ),
                money_fig("self_reported_other_platforms", clamp(other)),
                money_fig("counted", clamp(counted)),
                money_fig("income", income),
                money_fig("net_worth", nw),
                fig("basis", t.basis.as_str()),
                fig("accredited", r.claims_accredited()),
                fig("window_start", from),
                fig("threshold_version", t.effective),
                fig("threshold_source", t.source),
            ],
            detail,
        ));
    }
    out
}

/// The issuer an offering's sales count toward: its issuer id, else the offering alone.
fn issuer_key(r: &Row<'_>) -> i64 {
    match r.offering.and_then(|o| o.issuer_id) {
        Some(id) => id,
        None => i64::MIN + r.inv.offering_id.rem_euclid(1 << 40),
    }
}

/// REGCF_ISSUER_CAP: per issuer (its Reg CF offerings together), the in-scope sales in the window
/// of each sale, against the cap in force on the sale's date.
pub(super) fn issuer_cap(rows: &[Row<'_>]) -> Vec<Finding> {
    let cf = sort_rows(
        rows.iter().filter(|r| is_type(r, OfferingType::RegCf)),
        issuer_key,
    );
    let mut out = Vec::new();
    let mut left = 0usize;
    let mut window: i128 = 0;
    let mut missing_issuer: Vec<i64> = Vec::new();
    for i in 0..cf.len() {
        let r = cf[i];
        if i == 0 || issuer_key(cf[i - 1]) != issuer_key(r) {
            left = i;
            window = 0;
        }
        if r.offering.and_then(|o| o.issuer_id).is_none()
            && missing_issuer.last() != Some(&r.inv.offering_id)
        {
            missing_issuer.push(r.inv.offering_id);
        }
        window += i128::from(r.amount);
        let from = twelve_month_window_start(r.date);
        while left < i && cf[left].date < from {
            window -= i128::from(cf[left].amount);
            left += 1;
        }
        let t = reg_cf_on(r.date);
        if window > i128::from(t.issuer_cap) {
            let sum = clamp(window);
            let issuer = match r.offering.and_then(|o| o.issuer_id) {
                Some(id) => format!("issuer {id}"),
                None => "the offering's issuer (issuer not stated)".to_string(),
            };
            out.push(r.finding(
                RuleCode::RegcfIssuerCap,
                Severity::Violation,
                "17 CFR 227.100(a)(1)",
                vec![
                    fig("issuer_id", r.offering.and_then(|o| o.issuer_id).map(|v| v.to_string()).unwrap_or_default()),
                    money_fig("sold_12_months", sum),
                    money_fig("issuer_cap", t.issuer_cap),
                    fig("window_start", from),
                    fig("cap_since", t.since(RegCfFigure::IssuerCap).0),
                    fig("threshold_version", t.effective),
                    fig("threshold_source", t.since(RegCfFigure::IssuerCap).1),
                ],
                format!(
                    "Investment {} of {} by investor {} in {} on {} brings {}'s Reg CF sales in the 12-month period from {} to {} (preceding and including the sale) to {}, above the {} issuer cap ({}) (17 CFR 227.100(a)(1)).",
                    r.inv.id,
                    usd(r.amount),
                    r.inv.investor_id,
                    r.offering_desc(),
                    r.date,
                    issuer,
                    from,
                    r.date,
                    usd(sum),
                    usd(t.issuer_cap),
                    t.since_text(RegCfFigure::IssuerCap)
                ),
            ));
        }
    }
    for offering_id in missing_issuer {
        out.push(Finding {
            code: RuleCode::DataMissing,
            severity: Severity::Warning,
            investment_id: None,
            investor_id: None,
            offering_id: Some(offering_id),
            citation: "17 CFR 227.100(a)(1)".into(),
            figures: vec![fig("rule", "REGCF_ISSUER_CAP"), fig("missing", "issuer")],
            detail: format!(
                "Reg CF offering {offering_id} states no issuer, so REGCF_ISSUER_CAP can only count its own sales, not those of the issuer's other Reg CF offerings (17 CFR 227.100(a)(1)); state the issuer and re-run."
            ),
        });
    }
    out
}

/// One issuer's Reg CF position on a date: what the regulator report shows and what
/// REGCF_ISSUER_CAP judges, from the same scope, window and table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerCapPosition {
    /// Issuer id (`None`: offerings without an issuer, each counted alone).
    pub issuer_id: Option<i64>,
    /// The issuer's Reg CF offerings in the book.
    pub offerings: Vec<i64>,
    /// First day of the 12-month period preceding and including `as_of`.
    pub window_start: NaiveDate,
    /// The date the position is taken on.
    pub as_of: NaiveDate,
    /// In-scope Reg CF sales dated in the window (cents).
    pub sold: Cents,
    /// The issuer cap in force on `as_of` (cents).
    pub cap: Cents,
    /// From when that cap applies.
    pub cap_since: NaiveDate,
    /// The release that set it.
    pub cap_source: &'static str,
}

/// Every issuer's Reg CF sales in the 12-month period preceding and including `as_of`, with the
/// cap in force on `as_of`; offerings without an issuer id are grouped under `None` but each is
/// its own issuer for [`RuleCode::RegcfIssuerCap`].
pub fn regcf_issuer_positions(book: &Book, as_of: NaiveDate) -> Vec<IssuerCapPosition> {
    use std::collections::BTreeMap;
    let t = reg_cf_on(as_of);
    let (cap_since, cap_source) = t.since(RegCfFigure::IssuerCap);
    let window_start = twelve_month_window_start(as_of);
    let securities = crate::money::SecuritiesReading::infer(book);
    let mut by: BTreeMap<Option<i64>, (Vec<i64>, i128)> = BTreeMap::new();
    let mut issuer_of = std::collections::HashMap::new();
    for o in book
        .offerings
        .iter()
        .filter(|o| o.offering_type == OfferingType::RegCf)
    {
        by.entry(o.issuer_id).or_default().0.push(o.id);
        issuer_of.insert(o.id, o.issuer_id);
    }
    for inv in &book.investments {
        let Some(issuer) = issuer_of.get(&inv.offering_id) else {
            continue;
        };
        if let Some(d) = in_scope_on(inv, as_of)
            && d >= window_start
            && let Some(e) = by.get_mut(issuer)
        {
            e.1 += i128::from(super::cents(securities.value(inv)));
        }
    }
    by.into_iter()
        .map(|(issuer_id, (mut offerings, sold))| {
            offerings.sort_unstable();
            IssuerCapPosition {
                issuer_id,
                offerings,
                window_start,
                as_of,
                sold: clamp(sold),
                cap: t.issuer_cap,
                cap_since,
                cap_source,
            }
        })
        .collect()
}
