//! Typed models of every field in the Issuer API document. Unknown fields are ignored (the raw
//! JSON of each record is kept alongside, see [`crate::Record`]); every field is optional except
//! `id`; money is an exact [`Decimal`]; enumerations keep unknown values (`Other`).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tieout_domain::{
    AccreditationType, InvestmentStatus, InvestorType, KycStatus, OfferingStatus, OfferingType,
    PaymentMethod,
};

use crate::money::{null_default, opt_decimal};

/// The user behind an investor, as nested in an investment (`investor.user`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct NestedUser {
    /// User id.
    pub id: i64,
    /// Login email.
    pub email: Option<String>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// When the account was created.
    pub date_joined: Option<DateTime<Utc>>,
    /// Last login.
    pub last_login: Option<DateTime<Utc>>,
}

/// The investor's legal entity (`investor.entity`): identity, address, KYC and suitability.
/// The union of the shapes nested in investments and served by `/api/investors/`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Entity {
    /// Entity id.
    pub id: i64,
    /// Contact email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Address line 1.
    pub street_address_1: Option<String>,
    /// Address line 2.
    pub street_address_2: Option<String>,
    /// City.
    pub city: Option<String>,
    /// US state code.
    pub state: Option<String>,
    /// Region (non-US).
    pub region: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// ISO country code.
    pub country: Option<String>,
    /// KYC status.
    pub kyc_status: Option<KycStatus>,
    /// Given name (or entity name).
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Date of birth.
    pub date_of_birth: Option<NaiveDate>,
    /// Net worth (net assets for entities).
    #[serde(default, deserialize_with = "opt_decimal")]
    pub net_worth: Option<Decimal>,
    /// Annual income (revenue for entities).
    #[serde(default, deserialize_with = "opt_decimal")]
    pub annual_income: Option<Decimal>,
    /// Self-declared accredited status.
    pub accredited_investor: Option<bool>,
    /// Citizenship.
    pub citizenship: Option<String>,
    /// US person.
    pub us_person: Option<bool>,
    /// Exempt from backup withholding.
    pub exempt_from_backup_withholding: Option<bool>,
    /// Reg CF purchases on this platform this year.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub amount_invested_in_reg_cf_offering_this_year: Option<Decimal>,
    /// Reg CF purchases on other platforms this year.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub amount_invested_in_reg_cf_offering_this_year_other_platforms: Option<Decimal>,
    /// Accreditation basis.
    pub accredited_investor_type: Option<AccreditationType>,
    /// Canadian eligible-investor basis.
    pub canadian_eligible_investor_type: Option<String>,
    /// Household W-9.
    pub household_w9: Option<bool>,
    /// Tax id (SSN/EIN) as stored; mask before display.
    pub tax_id_number: Option<String>,
}

/// The natural person behind an entity investor (`individual_entity`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct IndividualEntity {
    /// Entity id.
    pub id: i64,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// KYC status.
    pub kyc_status: Option<KycStatus>,
}

/// The investor object nested in an investment.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InvestmentInvestor {
    /// Investor id.
    pub id: i64,
    /// User account.
    pub user: Option<NestedUser>,
    /// Legal entity.
    pub entity: Option<Entity>,
    /// Natural person behind an entity.
    pub individual_entity: Option<IndividualEntity>,
    /// Investor type.
    #[serde(rename = "type")]
    pub investor_type: Option<InvestorType>,
    /// SMS opt-in.
    pub receive_sms: Option<bool>,
    /// Email opt-in.
    pub receive_emails: Option<bool>,
    /// Marketing attribution, free-form.
    #[serde(default, deserialize_with = "null_default")]
    pub utm_parameters: Map<String, Value>,
}

/// One platform AML screening record (`watchlistentity_set[]`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WatchlistEntity {
    /// Record id.
    pub id: i64,
    /// Screened entity id.
    pub entity: Option<i64>,
    /// Whether the provider reported hits.
    pub has_hits: Option<bool>,
    /// The provider's hit details, free-form.
    #[serde(default)]
    pub watchlist_hits: Option<Value>,
    /// OFAC/FinCEN status text.
    pub ofac_fincen_status: Option<String>,
    /// Last update.
    pub updated_at: Option<DateTime<Utc>>,
    /// Provider name.
    pub aml_provider: Option<String>,
}

/// An investment (`/api/investments/` and `/api/investments/{id}/`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Investment {
    /// Investment id.
    pub id: i64,
    /// Number of shares/units.
    pub quantity: Option<i64>,
    /// Price including fees.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub price: Option<Decimal>,
    /// Investor-paid platform fees.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub price_fees: Option<Decimal>,
    /// Payment processing fees.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub price_payment_processing_fees: Option<Decimal>,
    /// Amount invested.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub amount: Option<Decimal>,
    /// Lifecycle status.
    pub status: Option<InvestmentStatus>,
    /// Stripe payment intent id.
    pub payment_intent_id: Option<String>,
    /// Offering id.
    pub offering: Option<i64>,
    /// Platform reference quoted on wires.
    pub reference_id: Option<String>,
    /// Investor name as entered.
    pub investor_individual_name: Option<String>,
    /// The investor.
    pub investor: Option<InvestmentInvestor>,
    /// Payment method.
    pub payment_method: Option<PaymentMethod>,
    /// Last update.
    pub updated_at: Option<DateTime<Utc>>,
    /// Whether the investor signed.
    pub has_investor_signed: Option<bool>,
    /// Accredited status declared on this investment.
    pub accredited_investor: Option<bool>,
    /// Net worth declared on this investment.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub net_worth: Option<Decimal>,
    /// Annual income declared on this investment.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub annual_income: Option<Decimal>,
    /// US person declared on this investment.
    pub us_person: Option<bool>,
    /// Exempt from backup withholding.
    pub exempt_from_backup_withholding: Option<bool>,
    /// Reg CF purchases this year declared on this investment.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub amount_invested_in_reg_cf_offering_this_year: Option<Decimal>,
    /// Browser used.
    pub user_browser_type: Option<String>,
    /// Accreditation basis declared on this investment.
    pub accredited_investor_type: Option<AccreditationType>,
    /// Payment processed.
    pub processed_at: Option<DateTime<Utc>>,
    /// Bonus shares.
    pub bonus_shares: Option<i64>,
    /// Processing issue statuses.
    pub processing_issue_statuses: Option<String>,
    /// Monetary value of the shares.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub shares_amount: Option<Decimal>,
    /// AML screenings.
    #[serde(default, deserialize_with = "null_default")]
    pub watchlistentity_set: Vec<WatchlistEntity>,
    /// Bonus code used.
    pub bonus_shares_code: Option<String>,
    /// Bonus tier (percentage).
    pub bonus_shares_percentage_tier: Option<String>,
    /// Bonus tier (quantity).
    pub bonus_shares_quantity_tier: Option<String>,
    /// Shares qualifying for bonus.
    pub quantity_qualified_shares: Option<i64>,
    /// Price of qualifying shares.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub price_qualified_shares: Option<Decimal>,
    /// Funds received.
    pub received_at: Option<DateTime<Utc>>,
    /// Subscription completed.
    pub invested_at: Option<DateTime<Utc>>,
    /// Refunded.
    pub refunded_at: Option<DateTime<Utc>>,
    /// Created (not in the documented shape; read when a server sends it).
    pub created_at: Option<DateTime<Utc>>,
}

/// The user as nested in `/api/investors/` (`user`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InvestorUser {
    /// User id.
    pub id: i64,
    /// Login email.
    pub email: Option<String>,
}

/// An investor (`/api/investors/` and `/api/investors/{id}/`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Investor {
    /// Investor id.
    pub id: i64,
    /// User account.
    pub user: Option<InvestorUser>,
    /// Legal entity.
    pub entity: Option<Entity>,
    /// Investor type.
    #[serde(rename = "type")]
    pub investor_type: Option<InvestorType>,
    /// Natural person behind an entity.
    pub individual_entity: Option<IndividualEntity>,
}

/// An offering (`/api/offerings/` and `/api/offerings/{id}/`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[allow(missing_docs)]
pub struct Offering {
    /// Offering id.
    pub id: i64,
    /// Issuer id.
    pub issuer: Option<i64>,
    /// Display name.
    pub name: Option<String>,
    /// Exemption type.
    #[serde(rename = "type")]
    pub offering_type: Option<OfferingType>,
    /// Lifecycle status.
    pub status: Option<OfferingStatus>,
    pub description: Option<String>,
    pub security_type: Option<String>,
    pub share_or_unit: Option<String>,
    pub share_or_unit_details: Option<String>,
    pub warrant_per_unit: Option<i64>,
    pub warrant_expiration_date_delta_year: Option<i64>,
    pub warrant_expiration_date_delta_month: Option<i64>,
    pub dollar_amount_investment: Option<bool>,
    /// Price per share/unit.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub unit_price: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub administrative_fees: Option<Decimal>,
    pub administrative_fees_paid_by_investor: Option<bool>,
    pub number_of_shares: Option<i64>,
    /// Maximum single investment.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub max_investment_amount: Option<Decimal>,
    /// Minimum single investment.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub min_investment_amount: Option<Decimal>,
    /// Investment increment.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub investment_increment_amount: Option<Decimal>,
    /// Minimum wire.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub minimum_wire_transfer_amount: Option<Decimal>,
    pub contact_name: Option<String>,
    pub contact_title: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    /// Accepts accredited investors.
    pub accredited_investors: Option<bool>,
    /// Accepts non-accredited investors.
    pub non_accredited_investors: Option<bool>,
    /// URL slug.
    pub slug: Option<String>,
    pub logo: Option<String>,
    pub favicon: Option<String>,
    pub circular_link: Option<String>,
    pub circular_file: Option<String>,
    pub circular_type: Option<String>,
    pub display_circular: Option<bool>,
    #[serde(default)]
    pub displayed_number_of_shares: Option<Value>,
    pub signing_full_name: Option<String>,
    pub signing_title: Option<String>,
    pub signing_email: Option<String>,
    pub support_email: Option<String>,
    pub support_phone: Option<String>,
    pub daily_summary_emails: Option<bool>,
    pub daily_summary_recipients: Option<String>,
    pub weekly_summary_emails: Option<bool>,
    pub weekly_summary_recipients: Option<String>,
    pub wire_email_reminder_period: Option<i64>,
    pub wire_email_reminder_max_sent: Option<i64>,
    pub investment_email_reminder_period: Option<i64>,
    pub investment_email_reminder_max_sent: Option<i64>,
    pub messaging_consent_text: Option<String>,
    pub email_sender_name: Option<String>,
    pub default_timezone: Option<String>,
    pub segment_dataset_id: Option<String>,
    pub auto_approve_investments: Option<bool>,
    pub auto_accept_investments: Option<bool>,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub auto_accept_max_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub auto_accept_min_amount: Option<Decimal>,
    pub email_investment_started_high_value: Option<bool>,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub email_investment_started_threshold: Option<Decimal>,
    pub enable_test_the_waters: Option<bool>,
    #[serde(default)]
    pub displayed_test_the_waters_amounts: Option<Value>,
    pub accent_color: Option<String>,
    pub background_accent_color: Option<String>,
    pub activity_accent_color: Option<String>,
    pub per_investment_summary_emails: Option<bool>,
    pub per_investment_summary_recipients: Option<String>,
    pub user_sent_max_monitoring_emails: Option<bool>,
    pub user_sent_max_monitoring_recipients: Option<String>,
    pub other_platform_investment_notice: Option<bool>,
    pub other_platform_investment_notice_text: Option<String>,
    pub investor_phone_number_required: Option<bool>,
    /// Target / minimum raise.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub minimum_amount_raised: Option<Decimal>,
    pub reg_cf_amount_raised_tier: Option<String>,
    /// Maximum raise.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub maximum_amount_raised: Option<Decimal>,
    pub reg_cf_oversubscription: Option<String>,
    /// Platform fee percentage (Reg CF).
    #[serde(default, deserialize_with = "opt_decimal")]
    pub reg_cf_fee_percentage: Option<Decimal>,
    pub archived: Option<bool>,
    /// Excluded investor countries.
    #[serde(default, deserialize_with = "null_default")]
    pub investors_excluded_countries: Vec<String>,
    /// Allowed investor countries (empty: any).
    #[serde(default, deserialize_with = "null_default")]
    pub investors_included_countries: Vec<String>,
    pub display_logo_during_investment: Option<String>,
    pub display_logo_on_dashboard: Option<bool>,
    /// Last day to invest.
    pub deadline_date: Option<NaiveDate>,
    /// Created.
    pub created_at: Option<DateTime<Utc>>,
    /// Opened.
    pub opened_at: Option<DateTime<Utc>>,
}

/// A user (`/api/users/`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct User {
    /// User id.
    pub id: i64,
    /// Login email.
    pub email: Option<String>,
}

/// Body of `POST /api/users/` and `PATCH /api/users/{id}/` (fields left `None` are not sent).
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
pub struct UserWrite {
    /// New email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// New password (write-only; never printed by `Debug`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl std::fmt::Debug for UserWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserWrite")
            .field("email", &self.email)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// One `{value, label}` of `/api/investments/statuses/`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct StatusLabel {
    /// Wire value.
    pub value: InvestmentStatus,
    /// Human label.
    pub label: Option<String>,
}

/// `data` of `/api/investments/statuses/`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct StatusesData {
    /// The statuses.
    #[serde(default, deserialize_with = "null_default")]
    pub statuses: Vec<StatusLabel>,
}

/// The `{success, message, data}` envelope of the statuses and values endpoints.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Envelope<T> {
    /// Payload.
    pub data: T,
    /// Success flag.
    pub success: Option<bool>,
    /// Message.
    pub message: Option<String>,
}

/// One aggregate of `/api/investments/summary/`. The platform has omitted `amount` and
/// renamed `count` before, so every field is optional.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct SummaryFigure {
    /// Sum of amounts.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub amount: Option<Decimal>,
    /// Number of investments.
    pub count: Option<i64>,
    /// Number of distinct investors.
    pub investor_count: Option<i64>,
}

/// `/api/investments/summary/`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Summary {
    /// Committed.
    pub total_amount_committed: Option<SummaryFigure>,
    /// Committed today.
    pub total_amount_committed_today: Option<SummaryFigure>,
    /// Received.
    pub total_amount_received: Option<SummaryFigure>,
    /// Received today.
    pub total_amount_received_today: Option<SummaryFigure>,
    /// Invested.
    pub total_amount_invested: Option<SummaryFigure>,
    /// Invested today.
    pub total_amount_invested_today: Option<SummaryFigure>,
}

/// `data` of a values endpoint: one object per record with the requested fields. The field set
/// depends on the request, so values stay JSON; [`InvestmentValues`] / [`InvestorValues`]
/// give typed access to the documented ones.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ValuesData<T> {
    /// The rows.
    #[serde(default = "Vec::new", bound(deserialize = "T: Deserialize<'de>"))]
    #[serde(deserialize_with = "null_default")]
    pub values: Vec<T>,
    /// Number of rows.
    pub count: Option<i64>,
}

/// A row of `/api/investments/values/` (documented fields; those not requested are `None`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InvestmentValues {
    /// Investment id.
    pub id: Option<i64>,
    /// Investor id.
    pub investor: Option<i64>,
    /// Requested payment method.
    pub requested_payment_method: Option<PaymentMethod>,
    /// Platform fees.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub price_fees: Option<Decimal>,
    /// Investor type.
    #[serde(rename = "investor__type")]
    pub investor_type: Option<InvestorType>,
    /// Created.
    pub created_at: Option<DateTime<Utc>>,
    /// Amount.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub amount: Option<Decimal>,
    /// Investor verification status.
    pub investor_verify_process_status: Option<String>,
    /// Updated.
    pub updated_at: Option<DateTime<Utc>>,
    /// Processing fees.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub price_payment_processing_fees: Option<Decimal>,
    /// Reference.
    pub reference_id: Option<String>,
    /// Status.
    pub status: Option<InvestmentStatus>,
    /// Offering id.
    pub offering: Option<i64>,
    /// Processing issues.
    pub processing_issue_statuses: Option<String>,
}

/// A row of `/api/investors/values/`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InvestorValues {
    /// Investor id.
    pub id: Option<i64>,
    /// Investor type.
    #[serde(rename = "type")]
    pub investor_type: Option<InvestorType>,
    /// User id.
    pub user: Option<i64>,
    /// Third-party issuer user email.
    #[serde(rename = "user__thirdpartyissueruser__email")]
    pub user_thirdpartyissueruser_email: Option<String>,
    /// Whether a document was uploaded.
    pub upload_document: Option<bool>,
}
