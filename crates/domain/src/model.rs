//! Domain types: what an offering, an investor and an investment are to tieout, independent of
//! how the Issuer API spells them. The api-client converts snapshot records into these.
//!
//! Every enum that mirrors an API enumeration keeps values it does not know in an
//! `Other(String)` variant: the platform has renamed labels before, and a new value must never
//! crash a month-end run.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Declares an enum that maps to and from the API's wire strings, keeping unknown values.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version of tieout does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The value as the API spells it.
            pub fn as_wire(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(s) => s.as_str(),
                }
            }

            /// Parses an API value; unknown values become `Other`.
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $($wire => Self::$variant,)+
                    other => Self::Other(other.to_string()),
                }
            }

            /// Every known value, in the API document's order.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_wire())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_wire())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok(Self::from_wire(&s))
            }
        }
    };
}

wire_enum! {
    /// Investment lifecycle status (`status` on `/api/investments/`).
    InvestmentStatus {
        /// Checkout started, no money yet.
        Started => "started",
        /// Payment expected but not received.
        NotReceived => "not_received",
        /// Payment attempt failed (e.g. ACH return, card decline).
        PaymentFailed => "payment_failed",
        /// Funds received.
        Received => "received",
        /// Cancelled by investor or issuer.
        Cancelled => "cancelled",
        /// Funds returned to the investor.
        Refunded => "refunded",
        /// Funds received and subscription signed.
        Invested => "invested",
        /// Approved by the issuer.
        Approved => "approved",
        /// Rejected by the issuer.
        NotApproved => "not_approved",
        /// Accepted (countersigned).
        Accepted => "accepted",
        /// Accepted and the escrow closed (funds disbursed to the issuer).
        AcceptedEscrowClosed => "accepted_escrow_closed",
    }
}

impl InvestmentStatus {
    /// Statuses in which the issuer has taken the investor's money.
    pub fn funds_taken(&self) -> bool {
        matches!(
            self,
            Self::Received
                | Self::Invested
                | Self::Approved
                | Self::Accepted
                | Self::AcceptedEscrowClosed
        )
    }

    /// Statuses counted as an accepted sale (for issuer caps, offering maxima, Form D figures).
    pub fn is_accepted(&self) -> bool {
        matches!(self, Self::Accepted | Self::AcceptedEscrowClosed)
    }
}

wire_enum! {
    /// How the investor paid (`payment_method`). The API value `other` is labelled "ACH" by the
    /// platform and is modelled as [`PaymentMethod::Ach`].
    PaymentMethod {
        /// Card via Stripe; settles in daily payouts net of fees.
        Card => "card",
        /// Bank wire; one incoming transfer per investor.
        Wire => "wire",
        /// IRA custodian wire ("... FBO <investor>").
        Ira => "ira",
        /// ACH bank transfer via Stripe (API value `other`).
        Ach => "other",
        /// Crypto settlement.
        Crypto => "crypto",
    }
}

wire_enum! {
    /// Investor KYC status (`entity.kyc_status`).
    KycStatus {
        /// Not yet verified.
        Unverified => "unverified",
        /// Verification in progress.
        Processing => "processing",
        /// Verification passed.
        Passed => "passed",
        /// Verification failed.
        Failed => "failed",
    }
}

wire_enum! {
    /// Investor type (`investor.type`).
    InvestorType {
        /// A natural person.
        Person => "person",
        /// A company.
        Company => "company",
        /// A trust.
        Trust => "trust",
        /// A self-directed IRA held in trust by a custodian.
        TrustIra => "trust_ira",
    }
}

impl InvestorType {
    /// Whether the investor is a natural person (income / net worth) rather than an entity
    /// (revenue / net assets). Self-directed IRAs are treated as the natural person behind them.
    pub fn is_natural_person(&self) -> bool {
        matches!(self, Self::Person | Self::TrustIra)
    }
}

wire_enum! {
    /// Offering exemption type (`offering.type`).
    OfferingType {
        /// Regulation A (the tier is read from the offering data, see `rules::rega_tier`).
        RegA => "reg_a",
        /// Regulation D Rule 506(b).
        RegD506b => "reg_d_506b",
        /// Regulation D Rule 506(c).
        RegD506c => "reg_d_506c",
        /// Regulation S.
        RegS => "reg_s",
        /// Regulation Crowdfunding.
        RegCf => "reg_cf",
        /// Testing the waters (no sales).
        TestTheWaters => "test_the_waters",
    }
}

wire_enum! {
    /// Offering status (`offering.status`).
    OfferingStatus {
        /// Being set up.
        Incomplete => "incomplete",
        /// Awaiting approval.
        Pending => "pending",
        /// Open for investment.
        Opened => "opened",
        /// Closed.
        Closed => "closed",
        /// Paused.
        Paused => "paused",
    }
}

wire_enum! {
    /// The accreditation basis the investor claimed (`accredited_investor_type`). The API
    /// document only shows `net_worth`; the rest follow Rule 501(a) and are kept as `Other`
    /// when the platform spells them differently.
    AccreditationType {
        /// 501(a)(5): net worth over $1,000,000 excluding primary residence.
        NetWorth => "net_worth",
        /// 501(a)(6): income over $200,000 (individual) in each of the last two years.
        Income => "income",
        /// 501(a)(6): joint income with spouse over $300,000.
        JointIncome => "joint_income",
        /// 501(a)(10): Series 7, 65 or 82 licence holder.
        Professional => "professional",
        /// 501(a)(4): director or executive officer of the issuer.
        Insider => "insider",
        /// 501(a)(3)/(7)/(9): entity with assets or investments over $5,000,000.
        EntityAssets => "entity_assets",
        /// 501(a)(8): entity whose equity owners are all accredited.
        EntityOwners => "entity_owners",
        /// 501(a)(1): regulated institution (bank, broker-dealer, adviser, ...).
        Institution => "institution",
    }
}

/// One platform AML watchlist screening record attached to an investment
/// (`watchlistentity_set[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchlistScreening {
    /// Record id.
    pub id: i64,
    /// Whether the provider reported hits.
    pub has_hits: bool,
    /// The provider's OFAC/FinCEN status text, if any.
    pub ofac_fincen_status: Option<String>,
    /// The AML provider's name, if any.
    pub aml_provider: Option<String>,
}

/// An offering, with the fields the rules and reports need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offering {
    /// Offering id.
    pub id: i64,
    /// Issuer id.
    pub issuer_id: Option<i64>,
    /// Display name.
    pub name: String,
    /// Description as the platform states it (read for the Regulation A tier and exchange
    /// listing, see `rules::rega_tier`).
    pub description: Option<String>,
    /// URL slug.
    pub slug: String,
    /// Exemption type.
    pub offering_type: OfferingType,
    /// Lifecycle status.
    pub status: OfferingStatus,
    /// Price per share/unit.
    pub unit_price: Option<Decimal>,
    /// Minimum single investment.
    pub min_investment: Option<Decimal>,
    /// Maximum single investment.
    pub max_investment: Option<Decimal>,
    /// Investment increment above the minimum.
    pub increment: Option<Decimal>,
    /// Minimum amount for wire transfers.
    pub min_wire: Option<Decimal>,
    /// Target / minimum raise (`minimum_amount_raised`).
    pub target_amount: Option<Decimal>,
    /// Maximum raise (`maximum_amount_raised`).
    pub max_amount: Option<Decimal>,
    /// Platform fee percentage for Reg CF.
    pub reg_cf_fee_percentage: Option<Decimal>,
    /// ISO country codes investors may not come from.
    pub excluded_countries: Vec<String>,
    /// ISO country codes investors must come from (empty: any).
    pub included_countries: Vec<String>,
    /// Last day to invest (a local date in [`Offering::timezone`]).
    pub deadline: Option<NaiveDate>,
    /// The offering's time zone (`default_timezone`, an IANA name such as `US/Pacific`).
    pub timezone: Option<String>,
    /// When the offering was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When the offering opened.
    pub opened_at: Option<DateTime<Utc>>,
    /// Whether accredited investors may invest.
    pub accepts_accredited: Option<bool>,
    /// Whether non-accredited investors may invest.
    pub accepts_non_accredited: Option<bool>,
}

/// An investor: the person or entity behind investments, with KYC and suitability data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Investor {
    /// Investor id.
    pub id: i64,
    /// Type of investor.
    pub investor_type: InvestorType,
    /// User account id.
    pub user_id: Option<i64>,
    /// Entity id.
    pub entity_id: Option<i64>,
    /// Given name (or entity name's first part).
    pub first_name: String,
    /// Family name (or the rest of an entity name).
    pub last_name: String,
    /// Name as used on the investment (`investor_individual_name`), when known.
    pub display_name: Option<String>,
    /// The natural person behind an entity/IRA, when known.
    pub individual_name: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// Date of birth (natural persons). Leaves tieout only in the investor register.
    pub date_of_birth: Option<NaiveDate>,
    /// Residence country as stated (normally ISO 3166 alpha-2; rules read it through
    /// [`crate::countries::normalize_country`]).
    pub country: Option<String>,
    /// US state or region.
    pub state: Option<String>,
    /// Citizenship as stated.
    pub citizenship: Option<String>,
    /// Self-declared US person status.
    pub us_person: Option<bool>,
    /// Self-declared accredited status.
    pub accredited: Option<bool>,
    /// Claimed accreditation basis.
    pub accreditation_type: Option<AccreditationType>,
    /// Net worth (net assets for entities).
    pub net_worth: Option<Decimal>,
    /// Annual income (revenue for entities).
    pub annual_income: Option<Decimal>,
    /// Self-reported Reg CF purchases on this platform this year.
    pub regcf_invested_this_year: Option<Decimal>,
    /// Self-reported Reg CF purchases on other platforms this year.
    pub regcf_invested_other_platforms: Option<Decimal>,
    /// KYC status.
    pub kyc_status: KycStatus,
    /// Tax id as received. Reports must mask it with [`mask_tax_id`].
    pub tax_id: Option<String>,
}

impl Investor {
    /// The investor's full name as a person would write it.
    pub fn full_name(&self) -> String {
        match (self.first_name.trim(), self.last_name.trim()) {
            ("", "") => self.display_name.clone().unwrap_or_default(),
            (f, "") => f.to_string(),
            ("", l) => l.to_string(),
            (f, l) => format!("{f} {l}"),
        }
    }

    /// Whether the investor claims accredited status.
    pub fn is_accredited(&self) -> bool {
        self.accredited.unwrap_or(false)
    }
}

/// Masks a tax id to its last four characters: `***-**-1234`. Empty input gives an empty string.
pub fn mask_tax_id(tax_id: &str) -> String {
    let digits: Vec<char> = tax_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if digits.is_empty() {
        return String::new();
    }
    let last: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("***-**-{last}")
}

/// An investment: one purchase by one investor in one offering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Investment {
    /// Investment id.
    pub id: i64,
    /// Offering id.
    pub offering_id: i64,
    /// Investor id.
    pub investor_id: i64,
    /// Amount invested (price of the shares, before investor-paid fees).
    pub amount: Decimal,
    /// Number of shares/units.
    pub quantity: Option<i64>,
    /// Price charged including fees, as the platform reports it.
    pub price: Option<Decimal>,
    /// Investor-paid platform fees.
    pub price_fees: Option<Decimal>,
    /// Payment processing fees (card/ACH).
    pub price_payment_processing_fees: Option<Decimal>,
    /// Shares amount (monetary value of shares).
    pub shares_amount: Option<Decimal>,
    /// Bonus shares granted.
    pub bonus_shares: Option<i64>,
    /// Lifecycle status.
    pub status: InvestmentStatus,
    /// Payment method.
    pub payment_method: PaymentMethod,
    /// Stripe payment intent id (card/ACH), when any.
    pub payment_intent_id: Option<String>,
    /// Platform reference the investor should quote on wires.
    pub reference_id: Option<String>,
    /// Investor name as entered on the investment.
    pub investor_name: Option<String>,
    /// Accredited status declared at the time of investment.
    pub accredited: Option<bool>,
    /// Accreditation basis declared at the time of investment.
    pub accreditation_type: Option<AccreditationType>,
    /// Net worth declared at the time of investment.
    pub net_worth: Option<Decimal>,
    /// Annual income declared at the time of investment.
    pub annual_income: Option<Decimal>,
    /// US person flag declared at the time of investment.
    pub us_person: Option<bool>,
    /// Self-reported Reg CF purchases this year declared at the time of investment.
    pub regcf_invested_this_year: Option<Decimal>,
    /// Platform AML screenings.
    pub watchlist: Vec<WatchlistScreening>,
    /// Processing issue statuses text.
    pub processing_issue_statuses: Option<String>,
    /// Created.
    pub created_at: Option<DateTime<Utc>>,
    /// Payment processed.
    pub processed_at: Option<DateTime<Utc>>,
    /// Funds received.
    pub received_at: Option<DateTime<Utc>>,
    /// Subscription completed.
    pub invested_at: Option<DateTime<Utc>>,
    /// Funds refunded.
    pub refunded_at: Option<DateTime<Utc>>,
    /// Last update.
    pub updated_at: Option<DateTime<Utc>>,
}

impl Investment {
    /// The date the investment counts from for limits and deadlines: when funds were received,
    /// else processed, else created, else last updated.
    pub fn effective_date(&self) -> Option<NaiveDate> {
        self.received_at
            .or(self.processed_at)
            .or(self.created_at)
            .or(self.invested_at)
            .or(self.updated_at)
            .map(|t| t.date_naive())
    }
}

/// Everything the rules and the engine read, as loaded from one snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Book {
    /// Offerings by id order.
    pub offerings: Vec<Offering>,
    /// Investors by id order.
    pub investors: Vec<Investor>,
    /// Investments by id order.
    pub investments: Vec<Investment>,
}

/// How serious a finding or exception is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A rule was broken; action is required.
    Violation,
    /// Something needs a person's review.
    Warning,
    /// For the record.
    Info,
}

impl Severity {
    /// Lower-case name used in CSV outputs.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Violation => "violation",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_enum_values_are_kept() {
        let s: InvestmentStatus = serde_json::from_str("\"on_hold\"").unwrap();
        assert_eq!(s, InvestmentStatus::Other("on_hold".into()));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"on_hold\"");
        let m: PaymentMethod = serde_json::from_str("\"other\"").unwrap();
        assert_eq!(m, PaymentMethod::Ach);
    }

    #[test]
    fn masks_tax_ids() {
        assert_eq!(mask_tax_id("123-45-6789"), "***-**-6789");
        assert_eq!(mask_tax_id("12"), "***-**-12");
        assert_eq!(mask_tax_id(""), "");
    }
}
