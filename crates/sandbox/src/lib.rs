//! # tieout-sandbox
//!
//! A local stand-in for the Issuance Issuer API: an axum server over a dataset directory (with
//! fault injection), and a deterministic, seeded generator of a realistic world and the money
//! trail it leaves (statements in CSV/XLSX/BAI2/camt.053, a processor payout export, and ground
//! truth). See `DATASET.md` for the dataset layout.
//!
//! Invariants: the server binds loopback only by default; the generator is a pure function of
//! its arguments (same arguments → byte-identical files).

pub mod generator;
pub mod server;
pub mod truth;
