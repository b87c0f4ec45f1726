//! Effective-dated regulatory figures: the one table every rule, the regulator report and the
//! sandbox's oracle read. Each version is looked up by the transaction date; every figure can say
//! from which date its value applies ([`RegCfThresholds::since`]), which may be earlier than the
//! version's own date when a later release left that figure unchanged.
//!
//! Sources (the primary text; see `shared/domain.md` §3 and `crates/domain/RULES.md`):
//! - Reg CF adopted: Release 33-9974, 80 FR 71387 (Nov 16, 2015), rule text 80 FR 71537,
//!   effective 2016-05-16.
//! - First inflation adjustment: Release 33-10332, 82 FR 17545 (Apr 12, 2017), effective on
//!   publication, **2017-04-12** (amended 227.100 at 82 FR 17552).
//! - 2020 amendments: Release 33-10884, 86 FR 3496 (Jan 14, 2021), effective **2021-03-15**
//!   (227.100 at 86 FR 3590; Reg A Tier 2 cap in 230.251(a)): greater-of basis, accredited
//!   purchasers not limited, $5,000,000 issuer cap, $75,000,000 Tier 2 cap.
//! - Second inflation adjustment: Release 33-11098, 87 FR 57394 (Sep 20, 2022), effective on
//!   publication, **2022-09-20** (227.100 at 87 FR 57398); the $5,000,000 cap left unchanged.
//! - Regulation A as amended: Release 33-9741, 80 FR 21806, effective 2015-06-19 (Tier 1
//!   $20,000,000, Tier 2 $50,000,000).
//! - Rule 501(a) bars: 17 CFR 230.501(a)(5) (net worth over $1,000,000 excluding the primary
//!   residence, Dodd-Frank §413(a), effective 2010-07-21), (a)(6) ($200,000 / $300,000 joint),
//!   (a)(3)/(a)(7)/(a)(9) ($5,000,000), text as amended by Release 33-10824 (85 FR 64234),
//!   effective 2020-12-08.
//! - Exchange Act §12(g)(1) as amended by JOBS Act §501 (2012-04-05): 2,000 holders of record
//!   or 500 non-accredited, with total assets over $10,000,000 (17 CFR 240.12g-1); Reg CF
//!   holders excluded under 17 CFR 240.12g-6 (effective 2016-05-16).

use chrono::{Months, NaiveDate};

use crate::money::Cents;

/// Which of annual income and net worth the Reg CF investor limit is computed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitBasis {
    /// The lesser of income and net worth (before 2021-03-15).
    Lesser,
    /// The greater of income and net worth (from 2021-03-15).
    Greater,
}

impl LimitBasis {
    /// Lower-case name used in sentences and figures.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Lesser => "lesser",
            Self::Greater => "greater",
        }
    }
}

/// One version of the Reg CF thresholds (17 CFR 227.100(a)), in force from `effective`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegCfThresholds {
    /// First day this version applies to (transaction date ≥ effective).
    pub effective: NaiveDate,
    /// Lower floor of the investor limit (cents), 227.100(a)(2)(i).
    pub floor: Cents,
    /// Income / net-worth threshold separating the 5% and 10% tiers (cents).
    pub threshold: Cents,
    /// 12-month aggregate cap per investor (cents), 227.100(a)(2)(ii).
    pub cap: Cents,
    /// Basis of the percentage.
    pub basis: LimitBasis,
    /// Whether accredited investors are subject to the investor limit.
    pub accredited_limited: bool,
    /// Issuer 12-month cap, 227.100(a)(1) (cents).
    pub issuer_cap: Cents,
    /// Federal Register source of this version (release and page).
    pub source: &'static str,
}

/// A Reg CF figure, to ask from which date its value applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegCfFigure {
    /// The investor-limit floor.
    Floor,
    /// The 5%/10% threshold.
    Threshold,
    /// The per-investor 12-month cap.
    Cap,
    /// Lesser/greater basis and whether accredited purchasers are limited.
    Basis,
    /// The issuer 12-month cap.
    IssuerCap,
}

const fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => panic!("invalid constant date"),
    }
}

/// The Reg CF threshold table, oldest first. Dollar figures are in cents.
pub const REG_CF_TABLE: [RegCfThresholds; 4] = [
    RegCfThresholds {
        effective: ymd(2016, 5, 16),
        floor: 2_000_00,
        threshold: 100_000_00,
        cap: 100_000_00,
        basis: LimitBasis::Lesser,
        accredited_limited: true,
        issuer_cap: 1_000_000_00,
        source: "Release 33-9974, 80 FR 71537",
    },
    RegCfThresholds {
        effective: ymd(2017, 4, 12),
        floor: 2_200_00,
        threshold: 107_000_00,
        cap: 107_000_00,
        basis: LimitBasis::Lesser,
        accredited_limited: true,
        issuer_cap: 1_070_000_00,
        source: "Release 33-10332, 82 FR 17545",
    },
    RegCfThresholds {
        effective: ymd(2021, 3, 15),
        floor: 2_200_00,
        threshold: 107_000_00,
        cap: 107_000_00,
        basis: LimitBasis::Greater,
        accredited_limited: false,
        issuer_cap: 5_000_000_00,
        source: "Release 33-10884, 86 FR 3496",
    },
    RegCfThresholds {
        effective: ymd(2022, 9, 20),
        floor: 2_500_00,
        threshold: 124_000_00,
        cap: 124_000_00,
        basis: LimitBasis::Greater,
        accredited_limited: false,
        issuer_cap: 5_000_000_00,
        source: "Release 33-11098, 87 FR 57394",
    },
];

impl RegCfThresholds {
    fn key(&self, f: RegCfFigure) -> (Cents, bool, bool) {
        match f {
            RegCfFigure::Floor => (self.floor, false, false),
            RegCfFigure::Threshold => (self.threshold, false, false),
            RegCfFigure::Cap => (self.cap, false, false),
            RegCfFigure::Basis => (
                0,
                self.basis == LimitBasis::Greater,
                self.accredited_limited,
            ),
            RegCfFigure::IssuerCap => (self.issuer_cap, false, false),
        }
    }

    /// The first date from which figure `f` has had the value it has in this version, and the
    /// release that set it (e.g. the $5,000,000 issuer cap of the 2022 version applies since
    /// 2021-03-15, Release 33-10884).
    pub fn since(&self, f: RegCfFigure) -> (NaiveDate, &'static str) {
        let k = self.key(f);
        let mut at = REG_CF_TABLE
            .iter()
            .position(|t| t.effective == self.effective)
            .unwrap_or(0);
        while at > 0 && REG_CF_TABLE[at - 1].key(f) == k {
            at -= 1;
        }
        (REG_CF_TABLE[at].effective, REG_CF_TABLE[at].source)
    }

    /// "in force since 2021-03-15, Release 33-10884, 86 FR 3496" for figure `f`.
    pub fn since_text(&self, f: RegCfFigure) -> String {
        let (d, s) = self.since(f);
        format!("in force since {d}, {s}")
    }
}

/// The Reg CF thresholds in force on `date`. Dates before Reg CF took effect (2016-05-16) get the
/// first version (no Reg CF sale can lawfully predate it).
pub fn reg_cf_on(date: NaiveDate) -> &'static RegCfThresholds {
    REG_CF_TABLE
        .iter()
        .rev()
        .find(|t| t.effective <= date)
        .unwrap_or(&REG_CF_TABLE[0])
}

/// The Reg CF investor limit (cents) for the given annual income and net worth (cents) under the
/// thresholds `t`: if the lesser of the two is below the threshold, the greater of the floor and
/// 5% of the basis; otherwise 10% of the basis; never above the 12-month cap. Negative figures
/// count as zero. Percentages round down to the cent.
pub fn reg_cf_investor_limit(t: &RegCfThresholds, income: Cents, net_worth: Cents) -> Cents {
    let income = i128::from(income.max(0));
    let nw = i128::from(net_worth.max(0));
    let basis = match t.basis {
        LimitBasis::Lesser => income.min(nw),
        LimitBasis::Greater => income.max(nw),
    };
    let limit = if income.min(nw) < i128::from(t.threshold) {
        (basis * 5 / 100).max(i128::from(t.floor))
    } else {
        basis * 10 / 100
    };
    // The result is ≤ cap, which fits in i64.
    limit.min(i128::from(t.cap)) as Cents
}

/// First day of "the 12-month period preceding and including" `date` (227.100(a)(1), (a)(2)),
/// counted in calendar months: the day after the same calendar day twelve months earlier (the
/// last day of that month when it has no such day). 2025-03-01 → 2024-03-02; 2024-02-29 →
/// 2023-03-01; 2025-02-28 → 2024-02-29.
pub fn twelve_month_window_start(date: NaiveDate) -> NaiveDate {
    date.checked_sub_months(Months::new(12))
        .and_then(|d| d.succ_opt())
        .unwrap_or(NaiveDate::MIN)
}

/// A Regulation A tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegATier {
    /// Tier 1: no investor limit, state registration.
    Tier1,
    /// Tier 2: the 10% purchase limit of 230.251(d)(2)(i)(C) for non-accredited purchasers,
    /// unless the securities are listed on a national securities exchange at qualification.
    Tier2,
    /// Tier 2 with the securities listed on a national securities exchange at qualification:
    /// the purchase limit does not apply.
    Tier2Listed,
}

impl RegATier {
    /// Short label.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Tier1 => "Tier 1",
            Self::Tier2 => "Tier 2",
            Self::Tier2Listed => "Tier 2 (exchange-listed)",
        }
    }
}

/// One version of the Regulation A offering caps (17 CFR 230.251(a)), in force from `effective`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegACaps {
    /// First day this version applies to.
    pub effective: NaiveDate,
    /// Tier 1 12-month cap (cents), 230.251(a)(1).
    pub tier1_cap: Cents,
    /// Tier 2 12-month cap (cents), 230.251(a)(2).
    pub tier2_cap: Cents,
    /// The Tier 2 non-accredited purchase limit, percent of the greater of income and net worth
    /// (revenue and net assets for entities), 230.251(d)(2)(i)(C).
    pub tier2_purchase_pct: i64,
    /// Release and Federal Register page.
    pub source: &'static str,
}

/// The Regulation A caps, oldest first.
pub const REG_A_TABLE: [RegACaps; 2] = [
    RegACaps {
        effective: ymd(2015, 6, 19),
        tier1_cap: 20_000_000_00,
        tier2_cap: 50_000_000_00,
        tier2_purchase_pct: 10,
        source: "Release 33-9741, 80 FR 21806",
    },
    RegACaps {
        effective: ymd(2021, 3, 15),
        tier1_cap: 20_000_000_00,
        tier2_cap: 75_000_000_00,
        tier2_purchase_pct: 10,
        source: "Release 33-10884, 86 FR 3496",
    },
];

/// The Regulation A caps in force on `date`.
pub fn reg_a_on(date: NaiveDate) -> &'static RegACaps {
    REG_A_TABLE
        .iter()
        .rev()
        .find(|t| t.effective <= date)
        .unwrap_or(&REG_A_TABLE[0])
}

/// A Rule 501(a) dollar bar an accreditation claim must be above ("in excess of").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccreditationBar {
    /// The bar (cents); the stated figure must exceed it.
    pub above: Cents,
    /// What is measured.
    pub what: &'static str,
    /// The paragraph of 17 CFR 230.501(a).
    pub cite: &'static str,
    /// From when the bar applies in its current form.
    pub since: NaiveDate,
    /// Why from then.
    pub source: &'static str,
}

/// 501(a)(5): net worth over $1,000,000, primary residence excluded (Dodd-Frank §413(a),
/// effective on enactment 2010-07-21).
pub const ACCREDITED_NET_WORTH: AccreditationBar = AccreditationBar {
    above: 1_000_000_00,
    what: "net worth",
    cite: "17 CFR 230.501(a)(5)",
    since: ymd(2010, 7, 21),
    source: "Dodd-Frank Act §413(a); Release 33-9287, 76 FR 81793",
};

/// 501(a)(6): individual income over $200,000.
pub const ACCREDITED_INCOME: AccreditationBar = AccreditationBar {
    above: 200_000_00,
    what: "income",
    cite: "17 CFR 230.501(a)(6)",
    since: ymd(2020, 12, 8),
    source: "text as amended by Release 33-10824, 85 FR 64234 (figure unchanged from earlier versions)",
};

/// 501(a)(6): joint income with a spouse or spousal equivalent over $300,000.
pub const ACCREDITED_JOINT_INCOME: AccreditationBar = AccreditationBar {
    above: 300_000_00,
    what: "joint income",
    cite: "17 CFR 230.501(a)(6)",
    since: ymd(2020, 12, 8),
    source: "text as amended by Release 33-10824, 85 FR 64234 (spousal equivalent added; figure unchanged)",
};

/// 501(a)(3), (a)(7), (a)(9): entity total assets (investments for (a)(9)) over $5,000,000.
pub const ACCREDITED_ENTITY_ASSETS: AccreditationBar = AccreditationBar {
    above: 5_000_000_00,
    what: "assets",
    cite: "17 CFR 230.501(a)(3), (a)(7), (a)(9)",
    since: ymd(2020, 12, 8),
    source: "text as amended by Release 33-10824, 85 FR 64234 ((a)(9) added; (a)(3) figure unchanged)",
};

/// Maximum number of non-accredited purchasers in a 506(b) offering, 230.506(b)(2)(i).
pub const RULE_506B_MAX_NONACCREDITED: usize = 35;

/// Exchange Act §12(g)(1) registration thresholds (JOBS Act §501, from 2012-04-05).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section12g {
    /// Holders of record of a class (any).
    pub holders: i64,
    /// Holders of record who are not accredited investors.
    pub non_accredited_holders: i64,
    /// Total assets (cents) above which the holder test applies (17 CFR 240.12g-1).
    pub total_assets: Cents,
    /// Total assets (cents) at or below which Reg CF holders are excluded (17 CFR 240.12g-6).
    pub reg_cf_exclusion_assets: Cents,
    /// From when.
    pub since: NaiveDate,
    /// Source.
    pub source: &'static str,
}

/// The §12(g) thresholds in force.
pub const SECTION_12G: Section12g = Section12g {
    holders: 2_000,
    non_accredited_holders: 500,
    total_assets: 10_000_000_00,
    reg_cf_exclusion_assets: 25_000_000_00,
    since: ymd(2012, 4, 5),
    source: "Exchange Act §12(g)(1) as amended by JOBS Act §501; 17 CFR 240.12g-1; 17 CFR 240.12g-6",
};

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn table_is_sorted_and_versions_switch_on_effective_dates() {
        assert!(
            REG_CF_TABLE
                .windows(2)
                .all(|w| w[0].effective < w[1].effective)
        );
        // 82 FR 17545 took effect on publication, 2017-04-12.
        assert_eq!(reg_cf_on(d("2017-04-11")).floor, 2_000_00);
        assert_eq!(reg_cf_on(d("2017-04-12")).floor, 2_200_00);
        assert_eq!(reg_cf_on(d("2021-03-14")).basis, LimitBasis::Lesser);
        assert!(reg_cf_on(d("2021-03-14")).accredited_limited);
        assert_eq!(reg_cf_on(d("2021-03-15")).basis, LimitBasis::Greater);
        assert!(!reg_cf_on(d("2021-03-15")).accredited_limited);
        assert_eq!(reg_cf_on(d("2021-03-14")).issuer_cap, 1_070_000_00);
        assert_eq!(reg_cf_on(d("2021-03-15")).issuer_cap, 5_000_000_00);
        assert_eq!(reg_cf_on(d("2022-09-19")).cap, 107_000_00);
        assert_eq!(reg_cf_on(d("2022-09-20")).cap, 124_000_00);
        assert_eq!(reg_cf_on(d("2016-05-16")).threshold, 100_000_00);
    }

    #[test]
    fn figures_know_since_when_they_apply() {
        let t = reg_cf_on(d("2026-10-03"));
        assert_eq!(t.since(RegCfFigure::IssuerCap).0, d("2021-03-15"));
        assert_eq!(t.since(RegCfFigure::Floor).0, d("2022-09-20"));
        assert_eq!(t.since(RegCfFigure::Basis).0, d("2021-03-15"));
        let t = reg_cf_on(d("2021-06-01"));
        assert_eq!(t.since(RegCfFigure::Floor).0, d("2017-04-12"));
        assert_eq!(
            t.since_text(RegCfFigure::IssuerCap),
            "in force since 2021-03-15, Release 33-10884, 86 FR 3496"
        );
    }

    #[test]
    fn window_is_twelve_calendar_months_including_the_day() {
        assert_eq!(twelve_month_window_start(d("2025-03-01")), d("2024-03-02"));
        assert_eq!(twelve_month_window_start(d("2024-03-01")), d("2023-03-02"));
        assert_eq!(twelve_month_window_start(d("2024-02-29")), d("2023-03-01"));
        assert_eq!(twelve_month_window_start(d("2025-02-28")), d("2024-02-29"));
        assert_eq!(twelve_month_window_start(d("2026-10-31")), d("2025-11-01"));
    }

    #[test]
    fn worked_examples_from_domain_brief() {
        // shared/domain.md §3.1 worked examples (current rule, 2022-09-20 version).
        let t = reg_cf_on(d("2026-10-03"));
        let table = [
            (30_000, 40_000, 2_500),
            (150_000, 80_000, 7_500),
            (200_000, 900_000, 90_000),
            (1_200_000, 2_000_000, 124_000),
        ];
        for (income, nw, limit) in table {
            assert_eq!(
                reg_cf_investor_limit(t, income * 100, nw * 100),
                limit * 100,
                "income {income} nw {nw}"
            );
        }
    }

    #[test]
    fn lesser_basis_before_2021() {
        let t = reg_cf_on(d("2020-06-01"));
        // lesser = 80,000 < 107,000 → max(2,200; 4,000) = 4,000
        assert_eq!(reg_cf_investor_limit(t, 150_000_00, 80_000_00), 4_000_00);
        // both ≥ 107,000 → 10% × lesser 200,000 = 20,000
        assert_eq!(reg_cf_investor_limit(t, 200_000_00, 900_000_00), 20_000_00);
        // the same investor from 2021-03-15: 10% of greater = 90,000
        let t2 = reg_cf_on(d("2021-03-15"));
        assert_eq!(reg_cf_investor_limit(t2, 200_000_00, 900_000_00), 90_000_00);
    }

    #[test]
    fn threshold_edge_is_inclusive_for_the_ten_percent_tier() {
        let t = reg_cf_on(d("2023-01-01"));
        // exactly 124,000 both → 10% = 12,400
        assert_eq!(reg_cf_investor_limit(t, 124_000_00, 124_000_00), 12_400_00);
        // one cent below → 5% of greater (124,000) = 6,200
        assert_eq!(reg_cf_investor_limit(t, 123_999_99, 124_000_00), 6_200_00);
    }

    #[test]
    fn reg_a_caps_by_date() {
        assert_eq!(reg_a_on(d("2021-03-14")).tier2_cap, 50_000_000_00);
        assert_eq!(reg_a_on(d("2021-03-15")).tier2_cap, 75_000_000_00);
        assert_eq!(reg_a_on(d("2026-01-01")).tier1_cap, 20_000_000_00);
    }
}
