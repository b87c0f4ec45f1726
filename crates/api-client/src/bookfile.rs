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

struct W(Vec<u8>);

impl W {
    fn uvar(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    fn ivar(&mut self, v: i64) {
        self.uvar(((v << 1) ^ (v >> 63)) as u64);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.uvar(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn flag(&mut self, b: bool) {
        self.0.push(u8::from(b));
    }
    fn opt<T>(&mut self, v: &Option<T>, f: impl FnOnce(&mut Self, &T)) {
        match v {
            None => self.0.push(0),
            Some(x) => {
                self.0.push(1);
                f(self, x);
            }
        }
    }
    fn ostr(&mut self, v: &Option<String>) {
        self.opt(v, |w, s| w.str(s));
    }
    fn oi64(&mut self, v: &Option<i64>) {
        self.opt(v, |w, x| w.ivar(*x));
    }
    fn obool(&mut self, v: &Option<bool>) {
        self.0.push(match v {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        });
    }
    fn dec(&mut self, d: &Decimal) {
        self.0.push(d.scale() as u8);
        let m = d.mantissa();
        // Zig-zag over i128, then LEB128.
        let mut z = ((m << 1) ^ (m >> 127)) as u128;
        while z >= 0x80 {
            self.0.push((z as u8) | 0x80);
            z >>= 7;
        }
        self.0.push(z as u8);
    }
    fn odec(&mut self, v: &Option<Decimal>) {
        self.opt(v, |w, d| w.dec(d));
    }
    fn odate(&mut self, v: &Option<NaiveDate>) {
        self.opt(v, |w, d| {
            w.ivar(i64::from(chrono::Datelike::num_days_from_ce(d)))
        });
    }
    fn otime(&mut self, v: &Option<DateTime<Utc>>) {
        self.opt(v, |w, t| {
            w.ivar(t.timestamp());
            w.uvar(u64::from(t.timestamp_subsec_nanos()));
        });
    }
    fn strs(&mut self, v: &[String]) {
        self.uvar(v.len() as u64);
        for s in v {
            self.str(s);
        }
    }

    fn offering(&mut self, o: &tieout_domain::Offering) {
        let tieout_domain::Offering {
            id,
            issuer_id,
            name,
            description,
            slug,
            offering_type,
            status,
            unit_price,
            min_investment,
            max_investment,
            increment,
            min_wire,
            target_amount,
            max_amount,
            reg_cf_fee_percentage,
            excluded_countries,
            included_countries,
            deadline,
            timezone,
            created_at,
            opened_at,
            accepts_accredited,
            accepts_non_accredited,
        } = o;
        self.ivar(*id);
        self.oi64(issuer_id);
        self.str(name);
        self.str(slug);
        self.str(offering_type.as_wire());
        self.str(status.as_wire());
        for d in [
            unit_price,
            min_investment,
            max_investment,
            increment,
            min_wire,
            target_amount,
            max_amount,
            reg_cf_fee_percentage,
        ] {
            self.odec(d);
        }
        self.strs(excluded_countries);
        self.strs(included_countries);
        self.odate(deadline);
        self.otime(created_at);
        self.otime(opened_at);
        self.obool(accepts_accredited);
        self.obool(accepts_non_accredited);
        self.ostr(description);
        self.ostr(timezone);
    }

    fn investor(&mut self, i: &tieout_domain::Investor) {
        let tieout_domain::Investor {
            id,
            investor_type,
            user_id,
            entity_id,
            first_name,
            last_name,
            display_name,
            individual_name,
            email,
            date_of_birth,
            country,
            state,
            citizenship,
            us_person,
            accredited,
            accreditation_type,
            net_worth,
            annual_income,
            regcf_invested_this_year,
            regcf_invested_other_platforms,
            kyc_status,
            tax_id,
        } = i;
        self.ivar(*id);
        self.str(investor_type.as_wire());
        self.oi64(user_id);
        self.oi64(entity_id);
        self.str(first_name);
        self.str(last_name);
        for s in [display_name, individual_name, email] {
            self.ostr(s);
        }
        self.odate(date_of_birth);
        for s in [country, state, citizenship] {
            self.ostr(s);
        }
        self.obool(us_person);
        self.obool(accredited);
        self.opt(accreditation_type, |w, a| w.str(a.as_wire()));
        for d in [
            net_worth,
            annual_income,
            regcf_invested_this_year,
            regcf_invested_other_platforms,
        ] {
            self.odec(d);
        }
        self.str(kyc_status.as_wire());
        self.ostr(tax_id);
    }

    fn investment(&mut self, v: &tieout_domain::Investment) {
        let tieout_domain::Investment {
            id,
            offering_id,
            investor_id,
            amount,
            quantity,
            price,
            price_fees,
            price_payment_processing_fees,
            shares_amount,
            bonus_shares,
            status,
            payment_method,
            payment_intent_id,
            reference_id,
            investor_name,
            accredited,
            accreditation_type,
            net_worth,
            annual_income,
            us_person,
            regcf_invested_this_year,
            watchlist,
            processing_issue_statuses,
            created_at,
            processed_at,
            received_at,
            invested_at,
            refunded_at,
            updated_at,
        } = v;
        self.ivar(*id);
        self.ivar(*offering_id);
        self.ivar(*investor_id);
        self.dec(amount);
        self.oi64(quantity);
        for d in [
            price,
            price_fees,
            price_payment_processing_fees,
            shares_amount,
        ] {
            self.odec(d);
        }
        self.oi64(bonus_shares);
        self.str(status.as_wire());
        self.str(payment_method.as_wire());
        for s in [payment_intent_id, reference_id, investor_name] {
            self.ostr(s);
        }
        self.obool(accredited);
        self.opt(accreditation_type, |w, a| w.str(a.as_wire()));
        self.odec(net_worth);
        self.odec(annual_income);
        self.obool(us_person);
        self.odec(regcf_invested_this_year);
        self.uvar(watchlist.len() as u64);
        for s in watchlist {
            let WatchlistScreening {
                id,
                has_hits,
                ofac_fincen_status,
                aml_provider,
            } = s;
            self.ivar(*id);
            self.flag(*has_hits);
            self.ostr(ofac_fincen_status);
            self.ostr(aml_provider);
        }
        self.ostr(processing_issue_statuses);
        for t in [
            created_at,
            processed_at,
            received_at,
            invested_at,
            refunded_at,
            updated_at,
        ] {
            self.otime(t);
        }
    }
}

struct R<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> R<'a> {
    fn err(&self, reason: &str) -> DecodeError {
        DecodeError {
            at: self.at,
            reason: reason.into(),
        }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.b.len())
            .ok_or_else(|| self.err("unexpected end of data"))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    fn uvar(&mut self) -> Result<u64, DecodeError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.err("varint too long"))
    }
    fn len(&mut self) -> Result<usize, DecodeError> {
        let v = self.uvar()?;
        usize::try_from(v).map_err(|_| self.err("length out of range"))
    }
    fn ivar(&mut self) -> Result<i64, DecodeError> {
        let z = self.uvar()?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }
    fn flag(&mut self) -> Result<bool, DecodeError> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.err("bad flag")),
        }
    }
    fn some(&mut self) -> Result<bool, DecodeError> {
        self.flag()
    }
    fn str(&mut self) -> Result<&'a str, DecodeError> {
        let n = self.len()?;
        let b = self.take(n)?;
        std::str::from_utf8(b).map_err(|_| self.err("string is not UTF-8"))
    }
    fn string(&mut self) -> Result<String, DecodeError> {
        self.str().map(str::to_string)
    }
    fn ostr(&mut self) -> Result<Option<String>, DecodeError> {
        Ok(if self.some()? {
            Some(self.string()?)
        } else {
            None
        })
    }
    fn oi64(&mut self) -> Result<Option<i64>, DecodeError> {
        Ok(if self.some()? {
            Some(self.ivar()?)
        } else {
            None
        })
    }
    fn obool(&mut self) -> Result<Option<bool>, DecodeError> {
        match self.byte()? {
            0 => Ok(None),
            1 => Ok(Some(false)),
            2 => Ok(Some(true)),
            _ => Err(self.err("bad optional bool")),
        }
    }
    fn dec(&mut self) -> Result<Decimal, DecodeError> {
        let scale = u32::from(self.byte()?);
        let mut z: u128 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            if shift > 126 {
                return Err(self.err("decimal mantissa too long"));
            }
            z |= u128::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let m = ((z >> 1) as i128) ^ -((z & 1) as i128);
        Decimal::try_from_i128_with_scale(m, scale).map_err(|e| self.err(&e.to_string()))
    }
    fn odec(&mut self) -> Result<Option<Decimal>, DecodeError> {
        Ok(if self.some()? {
            Some(self.dec()?)
        } else {
            None
        })
    }
    fn odate(&mut self) -> Result<Option<NaiveDate>, DecodeError> {
        if !self.some()? {
            return Ok(None);
        }
        let d = self.ivar()?;
        i32::try_from(d)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .map(Some)
            .ok_or_else(|| self.err("date out of range"))
    }
    fn otime(&mut self) -> Result<Option<DateTime<Utc>>, DecodeError> {
        if !self.some()? {
            return Ok(None);
        }
        let secs = self.ivar()?;
        let nanos = u32::try_from(self.uvar()?).map_err(|_| self.err("nanoseconds"))?;
        DateTime::from_timestamp(secs, nanos)
            .map(Some)
            .ok_or_else(|| self.err("instant out of range"))
    }
    fn strs(&mut self) -> Result<Vec<String>, DecodeError> {
        let n = self.len()?;
        let mut v = Vec::with_capacity(n.min(256));
        for _ in 0..n {
            v.push(self.string()?);
        }
        Ok(v)
    }

    fn offering(&mut self) -> Result<tieout_domain::Offering, DecodeError> {
        let id = self.ivar()?;
        let issuer_id = self.oi64()?;
        let name = self.string()?;
        let slug = self.string()?;
        let offering_type = OfferingType::from_wire(self.str()?);
        let status = OfferingStatus::from_wire(self.str()?);
        let mut d = [None; 8];
        for x in &mut d {
            *x = self.odec()?;
        }
        let [
            unit_price,
            min_investment,
            max_investment,
            increment,
            min_wire,
            target_amount,
            max_amount,
            reg_cf_fee_percentage,
        ] = d;
        Ok(tieout_domain::Offering {
            id,
            issuer_id,
            name,
            slug,
            offering_type,
            status,
            unit_price,
            min_investment,
            max_investment,
            increment,
            min_wire,
            target_amount,
            max_amount,
            reg_cf_fee_percentage,
            excluded_countries: self.strs()?,
            included_countries: self.strs()?,
            deadline: self.odate()?,
            created_at: self.otime()?,
            opened_at: self.otime()?,
            accepts_accredited: self.obool()?,
            accepts_non_accredited: self.obool()?,
            description: self.ostr()?,
            timezone: self.ostr()?,
        })
    }

    fn investor(&mut self) -> Result<tieout_domain::Investor, DecodeError> {
        Ok(tieout_domain::Investor {
            id: self.ivar()?,
            investor_type: InvestorType::from_wire(self.str()?),
            user_id: self.oi64()?,
            entity_id: self.oi64()?,
            first_name: self.string()?,
            last_name: self.string()?,
            display_name: self.ostr()?,
            individual_name: self.ostr()?,
            email: self.ostr()?,
            date_of_birth: self.odate()?,
            country: self.ostr()?,
            state: self.ostr()?,
            citizenship: self.ostr()?,
            us_person: self.obool()?,
            accredited: self.obool()?,
            accreditation_type: if self.some()? {
                Some(AccreditationType::from_wire(self.str()?))
            } else {
                None
            },
            net_worth: self.odec()?,
            annual_income: self.odec()?,
            regcf_invested_this_year: self.odec()?,
            regcf_invested_other_platforms: self.odec()?,
            kyc_status: KycStatus::from_wire(self.str()?),
            tax_id: self.ostr()?,
        })
    }

    fn investment(&mut self) -> Result<tieout_domain::Investment, DecodeError> {
        let id = self.ivar()?;
        let offering_id = self.ivar()?;
        let investor_id = self.ivar()?;
        let amount = self.dec()?;
        let quantity = self.oi64()?;
        let price = self.odec()?;
        let price_fees = self.odec()?;
        let price_payment_processing_fees = self.odec()?;
        let shares_amount = self.odec()?;
        let bonus_shares = self.oi64()?;
        let status = InvestmentStatus::from_wire(self.str()?);
        let payment_method = PaymentMethod::from_wire(self.str()?);
        let payment_intent_id = self.ostr()?;
        let reference_id = self.ostr()?;
        let investor_name = self.ostr()?;
        let accredited = self.obool()?;
        let accreditation_type = if self.some()? {
            Some(AccreditationType::from_wire(self.str()?))
        } else {
            None
        };
        let net_worth = self.odec()?;
        let annual_income = self.odec()?;
        let us_person = self.obool()?;
        let regcf_invested_this_year = self.odec()?;
        let n = self.len()?;
        let mut watchlist = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            watchlist.push(WatchlistScreening {
                id: self.ivar()?,
                has_hits: self.flag()?,
                ofac_fincen_status: self.ostr()?,
                aml_provider: self.ostr()?,
            });
        }
        Ok(tieout_domain::Investment {
            id,
            offering_id,
            investor_id,
            amount,
            quantity,
            price,
            price_fees,
            price_payment_processing_fees,
            shares_amount,
            bonus_shares,
            status,
            payment_method,
            payment_intent_id,
            reference_id,
            investor_name,
            accredited,
            accreditation_type,
            net_worth,
            annual_income,
            us_person,
            regcf_invested_this_year,
            watchlist,
            processing_issue_statuses: self.ostr()?,
            created_at: self.otime()?,
            processed_at: self.otime()?,
            received_at: self.otime()?,
            invested_at: self.otime()?,
            refunded_at: self.otime()?,
            updated_at: self.otime()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn dt(s: &str) -> Option<DateTime<Utc>> {
        Some(s.parse().unwrap())
    }

    fn sample_book() -> Book {
        let offering = tieout_domain::Offering {
            id: 7,
            issuer_id: Some(3),
            name: "Ωmega Brewing — Reg CF".into(),
            description: Some("Tier 2 offering".into()),
            slug: "omega".into(),
            offering_type: OfferingType::from_wire("cf"),
            status: OfferingStatus::from_wire("some_future_status"),
            unit_price: Some(Decimal::from_str("1.2345").unwrap()),
            min_investment: Some(Decimal::from_str("100.00").unwrap()),
            max_investment: None,
            increment: Some(Decimal::from_str("-0.01").unwrap()),
            min_wire: None,
            target_amount: Some(Decimal::from_str("79228162514264337593543950335").unwrap()),
            max_amount: Some(Decimal::from_str("-79228162514264337593543950335").unwrap()),
            reg_cf_fee_percentage: Some(
                Decimal::from_str("0.0000000000000000000000000001").unwrap(),
            ),
            excluded_countries: vec!["KP".into(), "IR".into()],
            included_countries: vec![],
            deadline: NaiveDate::from_ymd_opt(2026, 12, 31),
            timezone: Some("US/Pacific".into()),
            created_at: dt("2025-01-02T03:04:05.123456789Z"),
            opened_at: None,
            accepts_accredited: Some(true),
            accepts_non_accredited: Some(false),
        };
        let investor = tieout_domain::Investor {
            id: 11,
            investor_type: InvestorType::from_wire("person"),
            user_id: Some(-5),
            entity_id: None,
            first_name: "Zoë".into(),
            last_name: "Ng".into(),
            display_name: Some("Zoë Ng".into()),
            individual_name: None,
            email: Some("z@example.org".into()),
            date_of_birth: NaiveDate::from_ymd_opt(-44, 3, 15),
            country: Some("US".into()),
            state: None,
            citizenship: Some(String::new()),
            us_person: None,
            accredited: Some(false),
            accreditation_type: Some(AccreditationType::from_wire("brand_new_basis")),
            net_worth: Some(Decimal::ZERO),
            annual_income: None,
            regcf_invested_this_year: Some(Decimal::from_str("2500.00").unwrap()),
            regcf_invested_other_platforms: None,
            kyc_status: KycStatus::from_wire("passed"),
            tax_id: Some("123-45-6789".into()),
        };
        let investment = tieout_domain::Investment {
            id: 1,
            offering_id: 7,
            investor_id: 11,
            amount: Decimal::from_str("1000.50").unwrap(),
            quantity: Some(i64::MAX),
            price: Some(Decimal::from_str("1030.51").unwrap()),
            price_fees: None,
            price_payment_processing_fees: Some(Decimal::from_str("30.01").unwrap()),
            shares_amount: None,
            bonus_shares: Some(i64::MIN),
            status: InvestmentStatus::from_wire("accepted"),
            payment_method: PaymentMethod::from_wire(""),
            payment_intent_id: Some("pi_1".into()),
            reference_id: None,
            investor_name: Some("Zoë Ng".into()),
            accredited: None,
            accreditation_type: None,
            net_worth: None,
            annual_income: Some(Decimal::from_str("100000").unwrap()),
            us_person: Some(true),
            regcf_invested_this_year: None,
            watchlist: vec![WatchlistScreening {
                id: 9,
                has_hits: true,
                ofac_fincen_status: None,
                aml_provider: Some("ComplyAdvantage".into()),
            }],
            processing_issue_statuses: Some(String::new()),
            created_at: dt("2026-10-01T00:00:00Z"),
            processed_at: None,
            received_at: dt("1969-12-31T23:59:59Z"),
            invested_at: None,
            refunded_at: None,
            updated_at: dt("2026-10-02T12:00:00.5Z"),
        };
        let mut investments = Vec::new();
        for i in 0..(BLOCK as i64 * 2 + 3) {
            let mut v = investment.clone();
            v.id = i + 1;
            investments.push(v);
        }
        Book {
            offerings: vec![offering],
            investors: vec![investor],
            investments,
        }
    }

    #[test]
    fn round_trips_edge_values_across_blocks() {
        let book = sample_book();
        let src = vec![Source {
            file: "investments.jsonl".into(),
            bytes: 42,
        }];
        let bytes = encode(&book, &src);
        assert_eq!(sources(&bytes).unwrap(), Some(src));
        assert_eq!(decode(&bytes).unwrap(), book);
    }

    #[test]
    fn truncated_or_corrupt_input_is_an_error_not_a_panic() {
        let book = sample_book();
        let bytes = encode(&book, &[]);
        for cut in [0, 5, 12, 40, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(decode(&extra).unwrap_err().reason.contains("trailing"));
        let mut other = bytes.clone();
        other[8] = 99;
        assert_eq!(sources(&other).unwrap(), None);
        assert!(decode(&other).is_err());
        assert!(sources(b"NOTABOOK....").is_err());
    }

    #[test]
    fn a_block_claiming_more_records_than_bytes_is_refused_before_anything_is_sized_by_it() {
        // An empty book ends with its two sections' block counts (0, 0); the second becomes one
        // block of 2^40 records in one byte.
        let mut bytes = encode(&Book::default(), &[]);
        assert_eq!(bytes.pop(), Some(0));
        let mut w = W(Vec::new());
        w.uvar(1);
        w.uvar(1 << 40);
        w.uvar(1);
        w.0.push(0);
        bytes.extend(w.0);
        let e = decode(&bytes).unwrap_err();
        assert!(e.reason.contains("more records than"), "{e:?}");
    }

    proptest! {
        #[test]
        fn decimals_and_instants_survive(m in any::<i64>(), hi in any::<i32>(), scale in 0u32..=28,
                                         secs in -50_000_000_000i64..50_000_000_000, nanos in 0u32..1_000_000_000) {
            let mant = (i128::from(hi) << 64) | i128::from(m as u64);
            let d = Decimal::try_from_i128_with_scale(mant % 79_228_162_514_264_337_593_543_950_335, scale).unwrap();
            let t = DateTime::from_timestamp(secs, nanos);
            let mut w = W(Vec::new());
            w.dec(&d);
            w.otime(&t);
            let mut r = R { b: &w.0, at: 0 };
            prop_assert_eq!(r.dec().unwrap(), d);
            prop_assert_eq!(r.otime().unwrap(), t);
            prop_assert_eq!(r.at, w.0.len());
        }
    }
}
