//! Compliance findings: the output of the rules, as data.

use serde::{Deserialize, Serialize};

use crate::model::Severity;

/// Stable rule codes: part of the output contract (`findings.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuleCode {
    /// Non-accredited Reg CF purchaser above the 12-month investor limit (17 CFR 227.100(a)(2)).
    RegcfInvestorLimit,
    /// Reg CF sales over 12 months above the issuer cap (17 CFR 227.100(a)(1)).
    RegcfIssuerCap,
    /// Non-accredited Reg A Tier 2 purchase above 10% of the greater of income/net worth
    /// (17 CFR 230.251(d)(2)(i)(C)).
    RegaTier2Limit,
    /// More than 35 non-accredited purchasers in a 506(b) offering (17 CFR 230.506(b)(2)(i)).
    Regd506bNonaccreditedCount,
    /// A 506(c) purchaser not accredited or without an accreditation type (17 CFR 230.506(c)).
    Regd506cNotAccredited,
    /// A Reg S purchaser who is a US person or resident in the US (17 CFR 230.902(k), 903).
    RegsUsPerson,
    /// Claimed accreditation type contradicted by stated figures (17 CFR 230.501(a)).
    AccreditationInconsistent,
    /// Funds taken while KYC is not passed.
    KycNotPassed,
    /// The platform's AML watchlist screening recorded a hit.
    AmlWatchlistHit,
    /// Our own OFAC SDN screening found a likely match.
    SanctionsNameMatch,
    /// Investor younger than 18 on the investment date.
    InvestorUnderage,
    /// Investor country excluded by the offering (or not in its included list).
    CountryExcluded,
    /// Investment below the offering minimum.
    InvestmentBelowMin,
    /// Investment above the offering maximum per investment.
    InvestmentAboveMax,
    /// Investment not on the offering's increment.
    InvestmentIncrement,
    /// Accepted funds above the offering maximum raise.
    OfferingMaxExceeded,
    /// Funds received after the offering deadline.
    FundsAfterDeadline,
    /// A rule could not be evaluated for lack of data (the detail names the rule and the
    /// missing fields); never read as compliant.
    DataMissing,
}

impl RuleCode {
    /// Every code, in contract order.
    pub const ALL: [RuleCode; 18] = [
        Self::RegcfInvestorLimit,
        Self::RegcfIssuerCap,
        Self::RegaTier2Limit,
        Self::Regd506bNonaccreditedCount,
        Self::Regd506cNotAccredited,
        Self::RegsUsPerson,
        Self::AccreditationInconsistent,
        Self::KycNotPassed,
        Self::AmlWatchlistHit,
        Self::SanctionsNameMatch,
        Self::InvestorUnderage,
        Self::CountryExcluded,
        Self::InvestmentBelowMin,
        Self::InvestmentAboveMax,
        Self::InvestmentIncrement,
        Self::OfferingMaxExceeded,
        Self::FundsAfterDeadline,
        Self::DataMissing,
    ];

    /// The code as written in `findings.csv`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::RegcfInvestorLimit => "REGCF_INVESTOR_LIMIT",
            Self::RegcfIssuerCap => "REGCF_ISSUER_CAP",
            Self::RegaTier2Limit => "REGA_TIER2_LIMIT",
            Self::Regd506bNonaccreditedCount => "REGD_506B_NONACCREDITED_COUNT",
            Self::Regd506cNotAccredited => "REGD_506C_NOT_ACCREDITED",
            Self::RegsUsPerson => "REGS_US_PERSON",
            Self::AccreditationInconsistent => "ACCREDITATION_INCONSISTENT",
            Self::KycNotPassed => "KYC_NOT_PASSED",
            Self::AmlWatchlistHit => "AML_WATCHLIST_HIT",
            Self::SanctionsNameMatch => "SANCTIONS_NAME_MATCH",
            Self::InvestorUnderage => "INVESTOR_UNDERAGE",
            Self::CountryExcluded => "COUNTRY_EXCLUDED",
            Self::InvestmentBelowMin => "INVESTMENT_BELOW_MIN",
            Self::InvestmentAboveMax => "INVESTMENT_ABOVE_MAX",
            Self::InvestmentIncrement => "INVESTMENT_INCREMENT",
            Self::OfferingMaxExceeded => "OFFERING_MAX_EXCEEDED",
            Self::FundsAfterDeadline => "FUNDS_AFTER_DEADLINE",
            Self::DataMissing => "DATA_MISSING",
        }
    }

    /// Parses a contract code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for RuleCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One compliance finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable rule code.
    pub code: RuleCode,
    /// Severity.
    pub severity: Severity,
    /// Investment concerned (None for offering-level findings without one investment).
    pub investment_id: Option<i64>,
    /// Investor concerned.
    pub investor_id: Option<i64>,
    /// Offering concerned.
    pub offering_id: Option<i64>,
    /// The regulation cited, e.g. `17 CFR 227.100(a)(2)`.
    pub citation: String,
    /// The figures used, as ordered name/value pairs (e.g. `limit` → `2500.00`,
    /// `threshold_version` → `2022-09-20`).
    pub figures: Vec<(String, String)>,
    /// One plain sentence a compliance officer can check by hand.
    pub detail: String,
}
