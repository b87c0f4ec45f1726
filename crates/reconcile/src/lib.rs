//! # tieout-reconcile
//!
//! Statement ingestion (CSV, XLSX, BAI2, ISO 20022 camt.053, processor payout exports) and the
//! reconciliation engine that accounts for every statement line and every investment.
//!
//! Invariants: money is `i64` cents inside frames and ledgers, never `f64`; a line that cannot
//! be parsed becomes a [`Reject`] (file, row, column, reason), never dropped or zeroed; every
//! in-scope investment and every statement line ends in exactly one bucket (matched, exception,
//! rejected, ignored with a reason). This crate does not talk to the network and does not read
//! the clock.

pub mod engine;
pub mod load;
pub mod model;

pub use model::*;
