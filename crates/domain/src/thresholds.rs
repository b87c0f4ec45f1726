//! Effective-dated regulatory thresholds: one table, looked up by the transaction date.
//!
//! Sources (see `shared/domain.md` §3.1): 80 FR 71537 (Reg CF adopted, effective 2016-05-16);
//! 82 FR 17552 (inflation adjustment, effective 2017-04-10); 86 FR 3590 (2020 amendments,
//! effective 2021-03-15: greater-of basis, accredited investors unlimited, $5M issuer cap);
//! 87 FR 57394/57398 (inflation adjustment, effective 2022-09-20).

use chrono::NaiveDate;

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
    /// Lower floor of the investor limit (cents).
    pub floor: Cents,
    /// Income / net-worth threshold separating the 5% and 10% tiers (cents).
    pub threshold: Cents,
    /// 12-month aggregate cap per investor (cents).
    pub cap: Cents,
    /// Basis of the percentage.
    pub basis: LimitBasis,
    /// Whether accredited investors are subject to the investor limit.
    pub accredited_limited: bool,
    /// Issuer 12-month cap, 227.100(a)(1) (cents).
    pub issuer_cap: Cents,
    /// Federal Register source of this version.
    pub source: &'static str,
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
        source: "80 FR 71537",
    },
    RegCfThresholds {
        effective: ymd(2017, 4, 10),
        floor: 2_200_00,
        threshold: 107_000_00,
        cap: 107_000_00,
        basis: LimitBasis::Lesser,
        accredited_limited: true,
        issuer_cap: 1_070_000_00,
        source: "82 FR 17552",
    },
    RegCfThresholds {
        effective: ymd(2021, 3, 15),
        floor: 2_200_00,
        threshold: 107_000_00,
        cap: 107_000_00,
        basis: LimitBasis::Greater,
        accredited_limited: false,
        issuer_cap: 5_000_000_00,
        source: "86 FR 3590",
    },
    RegCfThresholds {
        effective: ymd(2022, 9, 20),
        floor: 2_500_00,
        threshold: 124_000_00,
        cap: 124_000_00,
        basis: LimitBasis::Greater,
        accredited_limited: false,
        issuer_cap: 5_000_000_00,
        source: "87 FR 57398",
    },
];

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
        assert_eq!(reg_cf_on(d("2017-04-09")).floor, 2_000_00);
        assert_eq!(reg_cf_on(d("2017-04-10")).floor, 2_200_00);
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
}
