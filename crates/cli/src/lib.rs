//! # tieout (library)
//!
//! The month-end run as a library, so the `tieout` binary and the tests run the same code:
//! a validated [`config::RunConfig`], the inputs read at the edge ([`inputs::read`]),
//! [`pipeline::run`] (scheduling, the engine and the compliance checks, the verdict) and the
//! typed [`manifest::Manifest`]. The binary parses arguments, reads, calls and writes.
//!
//! Invariants: nothing here prints, reads the clock or exits the process; a failed run is a
//! [`error::RunError`] naming the file and the cause, and writes nothing (outputs go through
//! [`outdir::StagedDir`]).

pub mod config;
pub mod error;
pub mod inputs;
pub mod manifest;
pub mod outdir;
pub mod pipeline;

pub use config::{RunConfig, Source};
pub use error::RunError;
pub use pipeline::{RunResult, Verdict};
