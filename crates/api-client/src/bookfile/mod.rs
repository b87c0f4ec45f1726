//! `book.bin`: a snapshot's [`Book`] in a compact binary form, written beside the JSONL files
//! when a snapshot is made and listed with its SHA-256 in `manifest.json`.
//!
//! The JSONL files stay the record of what the API sent; `book.bin` is derived from them once
//! (by [`crate::snapshot::write_book_cache`]) so that every later run reads the book in a
//! fraction of the time and memory that parsing gigabytes of JSON takes. A reader trusts it only
//! when its hash matches the manifest, its format version is this one and the JSONL files still
//! have the sizes it was built from; otherwise the loader falls back to the JSONL.
//!
//! Layout (all integers little-endian or LEB128 varints):
//! ```text
//! "TIEOBOOK" u32:version
//! varint:n_sources { str:file varint:bytes }*          JSONL files the book was built from
//! varint:n_offerings  varint:len bytes                 offerings, one block
//! varint:n_blocks { varint:records varint:len }*  bytes*   investors, in blocks of BLOCK records
//! varint:n_blocks { varint:records varint:len }*  bytes*   investments, likewise
//! ```
//! Blocks let the reader decode in parallel. Decimals are (scale, zig-zag mantissa), dates are
//! days from the common era, instants are (zig-zag seconds, nanoseconds), enums are their API
//! wire strings (so values this version does not know survive as `Other`).

use chrono::{DateTime, NaiveDate, Utc};
use rayon::prelude::*;
use rust_decimal::Decimal;
use tieout_domain::{
    AccreditationType, Book, Investment, InvestmentStatus, Investor, InvestorType, KycStatus,
    OfferingStatus, OfferingType, PaymentMethod, WatchlistScreening,
};

mod read;
mod write;

#[cfg(test)]
mod tests;

use read::R;
use write::W;

/// The file name inside a snapshot directory.
pub const BOOK_FILE: &str = "book.bin";
const MAGIC: &[u8; 8] = b"TIEOBOOK";
/// Bumped whenever the layout or a domain type's fields change.
pub const VERSION: u32 = 2;
/// Records per block.
const BLOCK: usize = 16_384;

/// Why a `book.bin` cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("book.bin at byte {at}: {reason}")]
pub struct DecodeError {
    /// Byte offset where decoding stopped.
    pub at: usize,
    /// What is wrong.
    pub reason: String,
}

/// A JSONL file the book was built from, with its size in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// File name inside the snapshot directory.
    pub file: String,
    /// Size in bytes when the book was built.
    pub bytes: u64,
}

/// Encodes `book` (built from `sources`).
pub fn encode(book: &Book, sources: &[Source]) -> Vec<u8> {
    let mut w = W(Vec::with_capacity(64 + book.investments.len() * 200));
    w.0.extend_from_slice(MAGIC);
    w.0.extend_from_slice(&VERSION.to_le_bytes());
    w.uvar(sources.len() as u64);
    for s in sources {
        w.str(&s.file);
        w.uvar(s.bytes);
    }
    let mut off = W(Vec::new());
    for o in &book.offerings {
        off.offering(o);
    }
    w.uvar(book.offerings.len() as u64);
    w.bytes(&off.0);
    blocks(&mut w, &book.investors, W::investor);
    blocks(&mut w, &book.investments, W::investment);
    w.0
}

fn blocks<T: Sync>(w: &mut W, items: &[T], enc: fn(&mut W, &T)) {
    let parts: Vec<(usize, Vec<u8>)> = items
        .par_chunks(BLOCK)
        .map(|chunk| {
            let mut b = W(Vec::with_capacity(chunk.len() * 160));
            for it in chunk {
                enc(&mut b, it);
            }
            (chunk.len(), b.0)
        })
        .collect();
    w.uvar(parts.len() as u64);
    for (n, b) in &parts {
        w.uvar(*n as u64);
        w.uvar(b.len() as u64);
    }
    for (_, b) in parts {
        w.0.extend_from_slice(&b);
    }
}

/// Reads only the header: the format version and the JSONL sources the book was built from.
/// `Ok(None)` when the file is another version of the format.
pub fn sources(bytes: &[u8]) -> Result<Option<Vec<Source>>, DecodeError> {
    let mut r = R { b: bytes, at: 0 };
    if r.take(8)? != MAGIC {
        return Err(r.err("not a tieout book file"));
    }
    let version = u32::from_le_bytes(r.take(4)?.try_into().map_err(|_| r.err("short"))?);
    if version != VERSION {
        return Ok(None);
    }
    let n = r.len()?;
    let mut out = Vec::with_capacity(n.min(16));
    for _ in 0..n {
        let file = r.string()?;
        let bytes = r.uvar()?;
        out.push(Source { file, bytes });
    }
    Ok(Some(out))
}

/// Decodes a whole book (blocks in parallel). The caller checks the version with [`sources`]
/// first; a file of another version is an error here.
pub fn decode(bytes: &[u8]) -> Result<Book, DecodeError> {
    if sources(bytes)?.is_none() {
        return Err(DecodeError {
            at: 8,
            reason: "another format version".into(),
        });
    }
    let mut r = R { b: bytes, at: 12 };
    let n = r.len()?;
    for _ in 0..n {
        r.string()?;
        r.uvar()?;
    }
    let n_off = r.len()?;
    let len = r.len()?;
    let start = r.at;
    let mut ro = R {
        b: r.take(len)?,
        at: 0,
    };
    let mut offerings = Vec::with_capacity(n_off.min(1 << 16));
    for _ in 0..n_off {
        offerings.push(ro.offering().map_err(|e| e.shift(start))?);
    }
    // Both sections are located first (block heads only), then decoded side by side.
    let investor_blocks = block_slices(&mut r)?;
    let investment_blocks = block_slices(&mut r)?;
    if r.at != bytes.len() {
        return Err(r.err("trailing bytes"));
    }
    let (investors, investments) = rayon::join(
        || decode_blocks(investor_blocks, blank_investor, |r| r.investor()),
        || decode_blocks(investment_blocks, blank_investment, |r| r.investment()),
    );
    let (investors, investments) = (investors?, investments?);
    Ok(Book {
        offerings,
        investors,
        investments,
    })
}

/// One block of a section: (records, offset of the block in the file, the block's bytes).
type Block<'b> = (usize, usize, &'b [u8]);

/// A section's blocks; `r` is left after the section.
fn block_slices<'b>(r: &mut R<'b>) -> Result<Vec<Block<'b>>, DecodeError> {
    let n = r.len()?;
    let mut heads = Vec::with_capacity(n.min(1 << 20));
    for _ in 0..n {
        heads.push((r.len()?, r.len()?));
    }
    let mut slices = Vec::with_capacity(heads.len());
    for (records, len) in heads {
        // Every record takes at least one byte: a count beyond that is a damaged file (and would
        // size the result by it).
        if records > len {
            return Err(r.err("block claims more records than it has bytes"));
        }
        let start = r.at;
        slices.push((records, start, r.take(len)?));
    }
    Ok(slices)
}

/// Decodes a section's blocks in parallel, in order, each straight into its place in the result.
/// The result is first filled (in parallel) with `blank` records, which the decoded ones replace:
/// decoding block by block and concatenating the blocks afterwards would copy the whole section
/// once more on a single core, into memory the kernel must first zero (most of a million-record
/// book's load time).
fn decode_blocks<T: Send>(
    slices: Vec<Block<'_>>,
    blank: fn() -> T,
    dec: impl Fn(&mut R<'_>) -> Result<T, DecodeError> + Sync,
) -> Result<Vec<T>, DecodeError> {
    let total: usize = slices.iter().map(|s| s.0).sum();
    let mut out: Vec<T> = Vec::new();
    (0..total)
        .into_par_iter()
        .map(|_| blank())
        .collect_into_vec(&mut out);
    let mut places: Vec<&mut [T]> = Vec::with_capacity(slices.len());
    let mut rest = out.as_mut_slice();
    for &(records, _, _) in &slices {
        let (place, tail) = std::mem::take(&mut rest).split_at_mut(records);
        places.push(place);
        rest = tail;
    }
    slices
        .into_par_iter()
        .zip(places)
        .try_for_each(|((_, start, b), place)| {
            let mut br = R { b, at: 0 };
            for slot in place.iter_mut() {
                *slot = dec(&mut br).map_err(|e| e.shift(start))?;
            }
            if br.at != b.len() {
                return Err(br.err("block has trailing bytes").shift(start));
            }
            Ok(())
        })?;
    Ok(out)
}

/// An investor record that decoding replaces (allocates nothing).
fn blank_investor() -> Investor {
    Investor {
        id: 0,
        investor_type: InvestorType::Other(String::new()),
        user_id: None,
        entity_id: None,
        first_name: String::new(),
        last_name: String::new(),
        display_name: None,
        individual_name: None,
        email: None,
        date_of_birth: None,
        country: None,
        state: None,
        citizenship: None,
        us_person: None,
        accredited: None,
        accreditation_type: None,
        net_worth: None,
        annual_income: None,
        regcf_invested_this_year: None,
        regcf_invested_other_platforms: None,
        kyc_status: KycStatus::Other(String::new()),
        tax_id: None,
    }
}

/// An investment record that decoding replaces (allocates nothing).
fn blank_investment() -> Investment {
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
        status: InvestmentStatus::Other(String::new()),
        payment_method: PaymentMethod::Other(String::new()),
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

impl DecodeError {
    fn shift(mut self, by: usize) -> Self {
        self.at += by;
        self
    }
}
