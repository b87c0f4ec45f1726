//! Test fixtures: one builder per record, every optional field empty, so a test names only
//! what it is about (`Investment { id: 7, amount, ..fixtures::investment() }`) and a field
//! added to a record is added here once. Compiled for this crate's tests and, with the
//! `fixtures` feature, for other crates' tests (enabled in their dev-dependencies only).

use rust_decimal::Decimal;

use crate::model::{
    Investment, InvestmentStatus, Offering, OfferingStatus, OfferingType, PaymentMethod,
};

/// An investment with id 0 in offering 0 of investor 0, no amount, status `invested`, paid by
/// wire, and every optional field empty.
pub fn investment() -> Investment {
    Investment {
        id: 0,
        offering_id: 0,
        investor_id: 0,
        amount: Decimal::ZERO,
        quantity: None,
        price: None,
        price_fees: None,
        price_payment_processing_fees: None,
        shares_amount: None,
        bonus_shares: None,
        status: InvestmentStatus::Invested,
        payment_method: PaymentMethod::Wire,
        payment_intent_id: None,
        reference_id: None,
        investor_name: None,
        accredited: None,
        accreditation_type: None,
        net_worth: None,
        annual_income: None,
        us_person: None,
        regcf_invested_this_year: None,
        watchlist: Vec::new(),
        processing_issue_statuses: None,
        created_at: None,
        processed_at: None,
        received_at: None,
        invested_at: None,
        refunded_at: None,
        updated_at: None,
    }
}

/// An opened Reg CF offering with id 0, no terms (unit price, limits, deadline) and every
/// optional field empty.
pub fn offering() -> Offering {
    Offering {
        id: 0,
        issuer_id: None,
        name: "Offering".into(),
        description: None,
        slug: "offering".into(),
        offering_type: OfferingType::RegCf,
        status: OfferingStatus::Opened,
        unit_price: None,
        min_investment: None,
        max_investment: None,
        increment: None,
        min_wire: None,
        target_amount: None,
        max_amount: None,
        reg_cf_fee_percentage: None,
        excluded_countries: Vec::new(),
        included_countries: Vec::new(),
        deadline: None,
        timezone: None,
        created_at: None,
        opened_at: None,
        accepts_accredited: None,
        accepts_non_accredited: None,
    }
}
