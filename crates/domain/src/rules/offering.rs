//! Per-offering aggregates: the Regulation A Tier 2 purchase limit, the 506(b) count of
//! non-accredited purchasers, and the offering's maximum raise.

use chrono::NaiveDate;
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use super::{CheckConfig, Row, fig, is_type, money_fig, opt_cents, sort_rows, usd, usd_opt};
use crate::finding::{Finding, RuleCode};
use crate::model::{Offering, OfferingType, Severity};
use crate::money::Cents;
use crate::thresholds::{RegATier, reg_a_on};

const REGA_CITE: &str = "17 CFR 230.251(d)(2)(i)(C)";

/// Whether `text` holds `word` as a whole word (ASCII lower case).
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

/// The Regulation A tier of an offering and why it is known, or `None` when the data cannot
/// tell. In order: the user's pin; the offering's name or description naming the tier ("Tier 2",
/// "Tier II", "Tier 1", ...) and, for Tier 2, an exchange listing ("national securities
/// exchange", "listed on the NYSE/Nasdaq"); a maximum raise above the Tier 1 cap in force
/// (230.251(a)(1)), which only Tier 2 allows.
pub fn rega_tier(
    o: &Offering,
    pinned: Option<RegATier>,
    on: NaiveDate,
) -> Option<(RegATier, String)> {
    if let Some(t) = pinned {
        return Some((t, "pinned by the user".into()));
    }
    let text = format!(
        "{} {}",
        o.name.to_ascii_lowercase(),
        o.description.as_deref().unwrap_or("").to_ascii_lowercase()
    );
    let tier2 = ["tier 2", "tier ii", "tier two", "tier-2"]
        .iter()
        .any(|w| has_word(&text, w));
    let tier1 = ["tier 1", "tier i", "tier one", "tier-1"]
        .iter()
        .any(|w| has_word(&text, w));
    let listed = [
        "national securities exchange",
        "listed on the nyse",
        "listed on nyse",
        "listed on the nasdaq",
        "listed on nasdaq",
        "exchange-listed",
    ]
    .iter()
    .any(|w| text.contains(w));
    match (tier1, tier2) {
        (false, true) if listed => {
            return Some((
                RegATier::Tier2Listed,
                "the offering text names Tier 2 and an exchange listing".into(),
            ));
        }
        (false, true) => return Some((RegATier::Tier2, "the offering text names Tier 2".into())),
        (true, false) => return Some((RegATier::Tier1, "the offering text names Tier 1".into())),
        _ => {}
    }
    let caps = reg_a_on(on);
    if let Some(max) = opt_cents(o.max_amount)
        && max > caps.tier1_cap
    {
        let tier = if listed {
            RegATier::Tier2Listed
        } else {
            RegATier::Tier2
        };
        return Some((
            tier,
            format!(
                "its maximum raise {} is above the Tier 1 cap of {} (17 CFR 230.251(a)(1))",
                usd(max),
                usd(caps.tier1_cap)
            ),
        ));
    }
    None
}

/// REGA_TIER2_LIMIT: per (offering, investor) running sum of in-scope purchases against 10% of
/// the greater of income and net worth (revenue and net assets for entities). Tier 2: violation;
/// tier unknown: warning ("if Tier 2"); Tier 1 or exchange-listed: no limit. Without the figures:
/// DATA_MISSING.
pub(super) fn rega_limit(rows: &[Row<'_>], as_of: NaiveDate, cfg: &CheckConfig) -> Vec<Finding> {
    let mut ra: Vec<&Row<'_>> = rows
        .iter()
        .filter(|r| is_type(r, OfferingType::RegA))
        .collect();
    ra.par_sort_unstable_by_key(|r| (r.inv.offering_id, r.inv.investor_id, r.date, r.inv.id));
    let mut tiers: HashMap<i64, Option<(RegATier, String)>> = HashMap::default();
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
        if r.accredited_uncontradicted() {
            continue;
        }
        let Some(o) = r.offering else {
            continue;
        };
        let tier = tiers
            .entry(o.id)
            .or_insert_with(|| {
                rega_tier(
                    o,
                    cfg.rega_tiers.get(&o.id).copied(),
                    o.opened_at.map(|t| t.date_naive()).unwrap_or(as_of),
                )
            })
            .clone();
        if matches!(
            tier,
            Some((RegATier::Tier1, _)) | Some((RegATier::Tier2Listed, _))
        ) {
            continue;
        }
        let caps = reg_a_on(r.date);
        let pct = i128::from(caps.tier2_purchase_pct);
        let (inc_l, nw_l) = if r.is_natural_person() {
            ("income", "net worth")
        } else {
            ("revenue", "net assets")
        };
        let total = running.min(i128::from(Cents::MAX)) as Cents;
        let known = r
            .income
            .into_iter()
            .chain(r.net_worth)
            .map(|c| c.max(0))
            .max();
        let both = r.income.is_some() && r.net_worth.is_some();
        let limit = known.map(|k| (i128::from(k) * pct / 100) as Cents);
        if !both && limit.is_none_or(|l| i128::from(l) < running) {
            let fields: Vec<&str> = [
                (r.income.is_none(), "annual_income"),
                (r.net_worth.is_none(), "net_worth"),
            ]
            .iter()
            .filter(|(m, _)| *m)
            .map(|(_, f)| *f)
            .collect();
            let why = match limit {
                None => format!(
                    "a non-accredited purchaser's limit is {pct}% of the greater of {inc_l} and {nw_l}, and neither is stated (purchases in this offering {})",
                    usd(total)
                ),
                Some(l) => format!(
                    "purchases in this offering of {} are above {pct}% of the one figure stated ({}), and the other ({}) is not stated, so the greater of the two is unknown",
                    usd(total),
                    usd(l),
                    if r.income.is_none() { inc_l } else { nw_l }
                ),
            };
            out.push(r.data_missing(RuleCode::RegaTier2Limit, REGA_CITE, &fields, why));
            continue;
        }
        let Some(limit) = limit else {
            continue;
        };
        if running <= i128::from(limit) {
            continue;
        }
        let (severity, tier_text) = match &tier {
            Some((_, why)) => (Severity::Violation, format!("Tier 2 ({why})")),
            None => (
                Severity::Warning,
                "tier not stated in the offering data: this applies if the offering is Tier 2 and not exchange-listed; pin the tier to settle it".to_string(),
            ),
        };
        out.push(r.finding(
            RuleCode::RegaTier2Limit,
            severity,
            REGA_CITE,
            vec![
                money_fig("limit", limit),
                money_fig("amount", r.amount),
                money_fig("offering_total", total),
                money_fig(inc_l, r.income.unwrap_or(0)),
                money_fig(nw_l, r.net_worth.unwrap_or(0)),
                fig("tier", tier.as_ref().map(|t| t.0.as_str()).unwrap_or("unknown")),
                fig("rule_since", caps.effective),
            ],
            format!(
                "Investor {} (non-accredited, {} {}, {} {}) bought {} in {} on {}, bringing their purchases in this offering to {}, above the {} limit of {}% of the greater of {} and {} (17 CFR 230.251(d)(2)(i)(C), in force since 2015-06-19, Release 33-9741); {}.",
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
                pct,
                inc_l,
                nw_l,
                tier_text
            ),
        ));
    }
    out
}

/// REGD_506B_NONACCREDITED_COUNT: the 36th and later non-accredited purchasers.
pub(super) fn regd_506b(rows: &[Row<'_>], cfg: &CheckConfig) -> Vec<Finding> {
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
            if !r.claims_accredited() {
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
pub(super) fn offering_max(rows: &[Row<'_>]) -> Vec<Finding> {
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
