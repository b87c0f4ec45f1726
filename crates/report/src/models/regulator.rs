//! The regulator report: per-offering figures, investors by state, issuer caps.

use super::*;
use tieout_domain::format_cents;
use tieout_domain::rules::{NOT_MODELLED, rega_tier, regcf_issuer_positions};
use tieout_domain::thresholds::{RegATier, SECTION_12G, reg_a_on};

/// Section 12(g) holders-of-record threshold (read from the domain's one table).
pub const HOLDERS_12G: i64 = SECTION_12G.holders;
/// Section 12(g) non-accredited holders-of-record threshold (read from the domain's one table).
pub const NON_ACCREDITED_HOLDERS_12G: i64 = SECTION_12G.non_accredited_holders;

table_row! {
    /// One regulator figure with its citation.
    FigureRow {
        /// What the figure is.
        item: String,
        /// The figure.
        value: Cell,
        /// Regulation cited.
        citation: String,
    }
}

table_row! {
    /// Sales in one state (or non-US country).
    StateRow {
        /// US state, or `Non-US: <country>`.
        state: String,
        /// Distinct investors.
        investors: i64,
        /// Funds received.
        received: Money,
        /// Accepted sales.
        accepted: Money,
    }
}

table_row! {
    /// Reg CF 12-month issuer cap headroom for one issuer.
    IssuerCapRow {
        /// Issuer id.
        issuer_id: Option<Id>,
        /// Reg CF offerings of the issuer.
        offerings: i64,
        /// Reg CF sales (funds taken) in the 12 months to the period end.
        sold_12m: Money,
        /// The cap.
        cap: Money,
        /// Cap minus sold (negative when over).
        headroom: Money,
    }
}

/// Figures for one offering.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegulatorSection {
    /// Offering id.
    pub offering_id: i64,
    /// Offering name.
    pub offering_name: String,
    /// Offering type (wire value).
    pub offering_type: String,
    /// Regime name, e.g. `Regulation Crowdfunding`.
    pub regime: String,
    /// Figures with citations.
    pub figures: Table<FigureRow>,
    /// Sales by state (Reg D Form D), empty otherwise.
    pub by_state: Table<StateRow>,
}

/// The regulator report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegulatorReport {
    /// One section per offering, by id.
    pub sections: Vec<RegulatorSection>,
    /// Reg CF issuer-cap headroom by issuer.
    pub issuer_caps: Table<IssuerCapRow>,
    /// What the figures and findings do not model (`tieout_domain::rules::NOT_MODELLED`), so
    /// nobody reads silence as compliance.
    pub notes: Vec<String>,
}

pub(crate) fn fig(item: &str, value: impl Into<Cell>, citation: &str) -> FigureRow {
    FigureRow {
        item: item.to_string(),
        value: value.into(),
        citation: citation.to_string(),
    }
}

/// The first date on which cumulative funds taken reached `threshold` cents.
pub(crate) fn crossing_date(invs: &[(NaiveDate, Cents)], threshold: Cents) -> Option<NaiveDate> {
    let mut cum = 0;
    for (d, c) in invs {
        cum += c;
        if cum >= threshold {
            return Some(*d);
        }
    }
    None
}

pub(crate) fn regime(t: &OfferingType) -> &'static str {
    match t {
        OfferingType::RegCf => "Regulation Crowdfunding",
        OfferingType::RegD506b => "Regulation D, Rule 506(b)",
        OfferingType::RegD506c => "Regulation D, Rule 506(c)",
        OfferingType::RegA => "Regulation A, Tier 2",
        OfferingType::RegS => "Regulation S",
        OfferingType::TestTheWaters => "Testing the waters",
        OfferingType::Other(_) => "Other exemption",
    }
}

pub(crate) fn count_findings(ctx: &Ctx<'_>, offering_id: i64, code: RuleCode) -> i64 {
    ctx.input
        .findings
        .iter()
        .filter(|f| f.code == code)
        .filter(|f| {
            f.offering_id == Some(offering_id)
                || f.investment_id
                    .and_then(|id| ctx.investments.get(&id))
                    .is_some_and(|i| i.offering_id == offering_id)
        })
        .count() as i64
}

/// The distinct values, sorted.
pub(crate) fn distinct(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut v: Vec<i64> = ids.collect();
    v.sort_unstable();
    v.dedup();
    v
}

pub(crate) fn regulator(ctx: &Ctx<'_>) -> RegulatorReport {
    let last = ctx.input.period.last_day();
    let mut by_offering: BTreeMap<i64, Vec<&Investment>> = BTreeMap::new();
    for inv in &ctx.input.book.investments {
        by_offering.entry(inv.offering_id).or_default().push(inv);
    }
    // Reg CF sales per issuer in the 12-month period preceding and including the period end,
    // with the cap in force then: computed by the domain from the same scope, window and table
    // as REGCF_ISSUER_CAP, so the headroom shown here and the findings never disagree.
    let positions = regcf_issuer_positions(ctx.input.book, last);
    let mut caps: BTreeMap<Option<i64>, (Cents, Cents, String)> = BTreeMap::new();
    let cap_rows: Vec<IssuerCapRow> = positions
        .iter()
        .map(|p| {
            caps.insert(
                p.issuer_id,
                (
                    p.sold,
                    p.cap,
                    format!(
                        "in force since {}, {}; 12 months from {}",
                        p.cap_since, p.cap_source, p.window_start
                    ),
                ),
            );
            IssuerCapRow {
                issuer_id: p.issuer_id.map(Id),
                offerings: p.offerings.len() as i64,
                sold_12m: Money(p.sold),
                cap: Money(p.cap),
                headroom: Money(p.cap - p.sold),
            }
        })
        .collect();

    let mut sections = Vec::new();
    for o in &ctx.input.book.offerings {
        let invs: Vec<&Investment> = by_offering.get(&o.id).cloned().unwrap_or_default();
        let taken: Vec<&Investment> = invs
            .iter()
            .copied()
            .filter(|i| i.status.funds_taken())
            .collect();
        let received: Cents = taken.iter().map(|i| ctx.amount(i)).sum();
        let accepted: Cents = invs
            .iter()
            .filter(|i| i.status.is_accepted())
            .map(|i| ctx.amount(i))
            .sum();
        let holders = distinct(taken.iter().map(|i| i.investor_id));
        let non_acc_holders = distinct(
            taken
                .iter()
                .filter(|i| !ctx.accredited(i))
                .map(|i| i.investor_id),
        );
        let target = opt_cents(o.target_amount);
        let maximum = opt_cents(o.max_amount);
        let mut figures = vec![
            fig(
                "Funds received (received through accepted)",
                Money(received),
                "",
            ),
            fig("Accepted sales", Money(accepted), ""),
            fig(
                "Purchasers (distinct investors, funds taken)",
                holders.len() as i64,
                "",
            ),
        ];
        let mut by_state = Table::default();
        match &o.offering_type {
            OfferingType::RegCf => {
                let c203 = "17 CFR 227.203(a)(3)";
                figures.push(fig("Target amount", target.map(Money), "17 CFR 227.201(g)"));
                figures.push(fig(
                    "Maximum amount",
                    maximum.map(Money),
                    "17 CFR 227.201(h)",
                ));
                figures.push(fig(
                    "Received as % of target",
                    target.and_then(|t| Pct::of(i128::from(received), i128::from(t))),
                    "",
                ));
                let mut dated: Vec<(NaiveDate, Cents)> = taken
                    .iter()
                    .filter_map(|i| receipt_date(i).map(|d| (d, ctx.amount(i))))
                    .collect();
                dated.sort();
                for (pct, label) in [(50, "50%"), (100, "100%")] {
                    let crossed = target
                        .filter(|t| *t > 0)
                        .and_then(|t| crossing_date(&dated, (t * pct + 99) / 100));
                    figures.push(fig(
                        &format!("Date {label} of target reached"),
                        crossed,
                        c203,
                    ));
                    figures.push(fig(
                        &format!("Form C-U due ({label}; 5 business days after)"),
                        crossed.map(|d| add_business_days(d, 5)),
                        c203,
                    ));
                }
                let non_acc_purchasers = taken.iter().filter(|i| !ctx.accredited(i)).count() as i64;
                figures.push(fig(
                    "Non-accredited purchases (funds taken)",
                    non_acc_purchasers,
                    "17 CFR 227.100(a)(2)",
                ));
                figures.push(fig(
                    "Investor-limit findings (REGCF_INVESTOR_LIMIT)",
                    count_findings(ctx, o.id, RuleCode::RegcfInvestorLimit),
                    "17 CFR 227.100(a)(2)",
                ));
                if let Some((sold, cap, since)) = caps.get(&o.issuer_id) {
                    let cite = format!("17 CFR 227.100(a)(1) ({since})");
                    figures.push(fig(
                        "Issuer Reg CF sales, 12 months to period end",
                        Money(*sold),
                        &cite,
                    ));
                    figures.push(fig(
                        &format!("Issuer cap headroom (cap ${})", format_cents(*cap)),
                        Money(cap - sold),
                        &cite,
                    ));
                    figures.push(fig(
                        "Issuer-cap findings (REGCF_ISSUER_CAP)",
                        count_findings(ctx, o.id, RuleCode::RegcfIssuerCap),
                        "17 CFR 227.100(a)(1)",
                    ));
                }
                let c12g = format!(
                    "Exchange Act §12(g)(1); 17 CFR 240.12g-6 (since {})",
                    SECTION_12G.since
                );
                figures.push(fig(
                    &format!(
                        "Holders of record (threshold {}, with total assets over ${})",
                        crate::cells::format_int(SECTION_12G.holders),
                        format_cents(SECTION_12G.total_assets)
                    ),
                    holders.len() as i64,
                    &c12g,
                ));
                figures.push(fig(
                    &format!(
                        "Non-accredited holders (threshold {})",
                        crate::cells::format_int(SECTION_12G.non_accredited_holders)
                    ),
                    non_acc_holders.len() as i64,
                    &c12g,
                ));
                let final_cu = match (o.deadline, target) {
                    (Some(deadline), Some(t)) if accepted > t => {
                        Some(add_business_days(deadline, 5))
                    }
                    _ => None,
                };
                figures.push(fig(
                    "Final Form C-U due (more than the target accepted; 5 business days after the deadline)",
                    final_cu,
                    c203,
                ));
            }
            OfferingType::RegD506b | OfferingType::RegD506c => {
                let is_b = o.offering_type == OfferingType::RegD506b;
                let acc = distinct(
                    taken
                        .iter()
                        .filter(|i| ctx.accredited(i))
                        .map(|i| i.investor_id),
                );
                figures.push(fig(
                    "Total offering amount",
                    maximum.map(Money),
                    "Form D Item 13",
                ));
                figures.push(fig(
                    "Total amount sold (accepted)",
                    Money(accepted),
                    "Form D Item 13",
                ));
                figures.push(fig(
                    "Accredited investors",
                    acc.len() as i64,
                    "Form D Item 14",
                ));
                figures.push(fig(
                    if is_b {
                        "Non-accredited investors (max 35)"
                    } else {
                        "Non-accredited investors (must be 0)"
                    },
                    non_acc_holders.len() as i64,
                    if is_b {
                        "17 CFR 230.506(b)(2)(i)"
                    } else {
                        "17 CFR 230.506(c)(2)(i)"
                    },
                ));
                let first_sale = taken.iter().filter_map(|i| receipt_date(i)).min();
                figures.push(fig("Date of first sale", first_sale, "Form D Item 7"));
                figures.push(fig(
                    "Form D due (15 calendar days after first sale)",
                    first_sale.map(|d| next_business_day_on_or_after(d + Duration::days(15))),
                    "17 CFR 230.503(a)(1)",
                ));
                let code = if is_b {
                    RuleCode::Regd506bNonaccreditedCount
                } else {
                    RuleCode::Regd506cNotAccredited
                };
                figures.push(fig(
                    &format!("Findings ({})", code.as_str()),
                    count_findings(ctx, o.id, code),
                    if is_b {
                        "17 CFR 230.506(b)(2)(i)"
                    } else {
                        "17 CFR 230.506(c)"
                    },
                ));
                let mut states: BTreeMap<std::borrow::Cow<'_, str>, (Vec<i64>, Cents, Cents)> =
                    BTreeMap::new();
                for i in &taken {
                    use std::borrow::Cow;
                    let inv = ctx.investors.get(&i.investor_id);
                    let country = inv.and_then(|v| v.country.as_deref()).unwrap_or_default();
                    let key: Cow<'_, str> =
                        if country.is_empty() || country.eq_ignore_ascii_case("US") {
                            Cow::Borrowed(
                                inv.and_then(|v| v.state.as_deref())
                                    .filter(|s| !s.is_empty())
                                    .unwrap_or("(state not stated)"),
                            )
                        } else {
                            Cow::Owned(format!("Non-US: {country}"))
                        };
                    let e = states.entry(key).or_default();
                    e.0.push(i.investor_id);
                    e.1 += ctx.amount(i);
                    if i.status.is_accepted() {
                        e.2 += ctx.amount(i);
                    }
                }
                let rows: Vec<StateRow> = states
                    .into_iter()
                    .map(|(state, (inv, r, a))| StateRow {
                        state: state.into_owned(),
                        investors: distinct(inv.into_iter()).len() as i64,
                        received: Money(r),
                        accepted: Money(a),
                    })
                    .collect();
                by_state = Table {
                    totals: Some(Totals {
                        label: "Total".into(),
                        values: vec![
                            ("received".into(), Cell::Money(received)),
                            (
                                "accepted".into(),
                                Cell::Money(rows.iter().map(|r| r.accepted.0).sum()),
                            ),
                        ],
                    }),
                    rows,
                };
            }
            OfferingType::RegA => {
                let caps_a = reg_a_on(last);
                let tier = rega_tier(o, None, last);
                let (label, cap, cite) = match &tier {
                    Some((RegATier::Tier1, _)) => {
                        ("Tier 1", caps_a.tier1_cap, "17 CFR 230.251(a)(1)")
                    }
                    Some(_) => ("Tier 2", caps_a.tier2_cap, "17 CFR 230.251(a)(2)"),
                    None => (
                        "Tier 2 (tier not stated; if Tier 2)",
                        caps_a.tier2_cap,
                        "17 CFR 230.251(a)(2)",
                    ),
                };
                let cite = format!(
                    "{cite} (in force since {}, {})",
                    caps_a.effective, caps_a.source
                );
                figures.push(fig(
                    &format!("{label} offering cap (12 months)"),
                    Money(cap),
                    &cite,
                ));
                figures.push(fig(
                    "Cap headroom after accepted sales",
                    Money(cap - accepted),
                    &cite,
                ));
                figures.push(fig(
                    "Non-accredited purchasers",
                    non_acc_holders.len() as i64,
                    "17 CFR 230.251(d)(2)(i)(C)",
                ));
                figures.push(fig(
                    "Purchase-limit findings (REGA_TIER2_LIMIT)",
                    count_findings(ctx, o.id, RuleCode::RegaTier2Limit),
                    "17 CFR 230.251(d)(2)(i)(C)",
                ));
            }
            OfferingType::RegS => {
                let us_person = |i: &Investment| {
                    i.us_person
                        .or_else(|| ctx.investors.get(&i.investor_id).and_then(|v| v.us_person))
                };
                let attested = taken.iter().filter(|i| us_person(i) == Some(false)).count() as i64;
                let declared_us =
                    taken.iter().filter(|i| us_person(i) == Some(true)).count() as i64;
                let missing = taken.iter().filter(|i| us_person(i).is_none()).count() as i64;
                let us_resident = taken
                    .iter()
                    .filter(|i| {
                        ctx.investors
                            .get(&i.investor_id)
                            .and_then(|v| v.country.as_deref())
                            .is_some_and(|c| c.eq_ignore_ascii_case("US"))
                    })
                    .count() as i64;
                figures.push(fig(
                    "Purchases attested non-US person",
                    attested,
                    "17 CFR 230.903(b)(3)(ii)",
                ));
                figures.push(fig(
                    "Purchases declared US person",
                    declared_us,
                    "17 CFR 230.902(k)",
                ));
                figures.push(fig(
                    "Purchases without attestation",
                    missing,
                    "17 CFR 230.903(b)(3)(ii)",
                ));
                figures.push(fig(
                    "Purchases by US residents",
                    us_resident,
                    "17 CFR 230.902(k)(1)(i)",
                ));
                figures.push(fig(
                    "Findings (REGS_US_PERSON)",
                    count_findings(ctx, o.id, RuleCode::RegsUsPerson),
                    "17 CFR 230.903",
                ));
            }
            OfferingType::TestTheWaters => {
                figures.push(fig(
                    "Funds must not be accepted while testing the waters",
                    Money(received),
                    "17 CFR 227.206; 17 CFR 230.255",
                ));
            }
            OfferingType::Other(_) => {}
        }
        sections.push(RegulatorSection {
            offering_id: o.id,
            offering_name: o.name.clone(),
            offering_type: o.offering_type.to_string(),
            regime: regime(&o.offering_type).to_string(),
            figures: Table {
                rows: figures,
                totals: None,
            },
            by_state,
        });
    }
    RegulatorReport {
        sections,
        issuer_caps: Table {
            rows: cap_rows,
            totals: None,
        },
        notes: NOT_MODELLED.iter().map(|n| n.to_string()).collect(),
    }
}
