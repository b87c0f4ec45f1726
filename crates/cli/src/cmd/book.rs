//! `tieout book`: (re)build a snapshot's binary book.

use anyhow::{Context, Result};
use tieout_api::bookfile::BOOK_FILE;

use crate::{BookArgs, Outcome};

/// Runs `tieout book`.
pub fn run(args: BookArgs) -> Result<Outcome> {
    let m = tieout_api::snapshot::write_book_cache(&args.snapshot)
        .with_context(|| format!("building the binary book of {}", args.snapshot.display()))?;
    eprintln!(
        "tieout book: {} (SHA-256 {}, listed in the manifest)",
        args.snapshot.join(BOOK_FILE).display(),
        m.sha256.get(BOOK_FILE).map_or("?", String::as_str)
    );
    Ok(Outcome::Clean)
}
