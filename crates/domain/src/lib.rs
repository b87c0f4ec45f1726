//! # tieout-domain
//!
//! The pure core of tieout: the domain types every other crate speaks (offerings, investors,
//! investments, money), the compliance rules that decide whether an investor was allowed to
//! invest, and OFAC SDN name screening.
//!
//! Invariants: this crate performs no I/O, reads no clock, spawns no tasks and has no async.
//! Every rule takes an explicit `as_of` date and returns findings as data; a rule violation is
//! never an `Err`.
//!
//! Entry points: [`check`] (all rules of `RULES.md` over a [`Book`]), [`findings_csv`],
//! [`sanctions::SanctionsList::parse`], [`sanctions::SanctionsIndex::build`],
//! [`sanctions::Overrides::parse_csv`].

// Cent amounts are written `2_500_00` (dollars_cents) on purpose.
#![allow(clippy::inconsistent_digit_grouping)]

pub mod calendar;
pub mod countries;
pub mod finding;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod model;
pub mod money;
pub mod period;
pub mod rules;
pub mod safe_text;
pub mod sanctions;
pub mod similarity;
pub mod thresholds;

pub use finding::{Finding, RuleCode};
pub use model::*;
pub use money::{
    Cents, SecuritiesField, SecuritiesReading, cents_to_decimal, decimal_to_cents, format_cents,
};
pub use period::{Period, PeriodError};
pub use rules::{CheckConfig, check, findings_csv, in_scope_on};
