//! # tieout-bench
//!
//! The lab, kept out of the product: [`baseline`], the plain single-threaded matcher that
//! `cargo xtask bench` states the engine's speed against, and the `tieout-baseline` binary that
//! runs it on the same inputs as `tieout reconcile` (the same reading and parsing, through the
//! `tieout` library; only the matcher differs).

pub mod baseline;
