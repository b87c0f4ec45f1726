//! Reading a snapshot back: `open_book` / `load_book` (from `book.bin` when the manifest
//! vouches for it, else the JSONL streamed in blocks decoded in parallel), `load_jsonl`, and
//! `write_book_cache`, with the record conversions from API models to domain types.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use rayon::prelude::*;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tieout_domain::{Book, KycStatus, PaymentMethod, WatchlistScreening};

use super::{
    FILES, MANIFEST, Manifest, SnapshotError, io_err, parse_manifest, read_manifest, sibling,
};
use crate::bookfile::{self, BOOK_FILE};
use crate::models::{Entity, Investment, InvestmentInvestor, Investor, Offering};

fn missing(file: &Path, line: usize, field: &str) -> SnapshotError {
    SnapshotError::Record {
        file: file.to_path_buf(),
        line,
        path: field.to_string(),
        message: "required field is missing or null".into(),
    }
}

fn join_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let s = format!(
        "{} {}",
        first.unwrap_or("").trim(),
        last.unwrap_or("").trim()
    )
    .trim()
    .to_string();
    (!s.is_empty()).then_some(s)
}

/// Builds a domain investor from the investors.jsonl record (`primary`) and the investor
/// object embedded in the investor's first investment (`embedded`), preferring the former.
fn to_investor(
    id: i64,
    primary: Option<&Investor>,
    embedded: Option<&InvestmentInvestor>,
    display: Option<String>,
) -> Option<tieout_domain::Investor> {
    let investor_type = primary
        .and_then(|p| p.investor_type.clone())
        .or_else(|| embedded.and_then(|e| e.investor_type.clone()))?;
    let pe: Option<&Entity> = primary.and_then(|p| p.entity.as_ref());
    let ee: Option<&Entity> = embedded.and_then(|e| e.entity.as_ref());
    macro_rules! ent {
        ($f:ident) => {
            pe.and_then(|x| x.$f.clone())
                .or_else(|| ee.and_then(|x| x.$f.clone()))
        };
    }
    let ind = primary
        .and_then(|p| p.individual_entity.as_ref())
        .or_else(|| embedded.and_then(|e| e.individual_entity.as_ref()));
    let euser = embedded.and_then(|e| e.user.as_ref());
    let (first, last) = match (ent!(first_name), ent!(last_name)) {
        (None, None) => match ind {
            Some(i) if i.first_name.is_some() || i.last_name.is_some() => {
                (i.first_name.clone(), i.last_name.clone())
            }
            _ => (
                euser.and_then(|u| u.first_name.clone()),
                euser.and_then(|u| u.last_name.clone()),
            ),
        },
        other => other,
    };
    let individual_name = if investor_type.is_natural_person()
        && investor_type != tieout_domain::InvestorType::TrustIra
    {
        None
    } else {
        ind.and_then(|i| join_name(i.first_name.as_deref(), i.last_name.as_deref()))
    };
    let email = ent!(email)
        .or_else(|| {
            primary
                .and_then(|p| p.user.as_ref())
                .and_then(|u| u.email.clone())
        })
        .or_else(|| euser.and_then(|u| u.email.clone()));
    let kyc_status = ent!(kyc_status)
        .or_else(|| ind.and_then(|i| i.kyc_status.clone()))
        .unwrap_or(KycStatus::Unverified);
    Some(tieout_domain::Investor {
        id,
        investor_type,
        user_id: primary
            .and_then(|p| p.user.as_ref().map(|u| u.id))
            .or_else(|| euser.map(|u| u.id)),
        entity_id: pe.map(|e| e.id).or_else(|| ee.map(|e| e.id)),
        first_name: first.unwrap_or_default(),
        last_name: last.unwrap_or_default(),
        display_name: display,
        individual_name,
        email,
        date_of_birth: ent!(date_of_birth),
        country: ent!(country),
        state: ent!(state).or_else(|| ent!(region)),
        citizenship: ent!(citizenship),
        us_person: ent!(us_person),
        accredited: ent!(accredited_investor),
        accreditation_type: ent!(accredited_investor_type),
        net_worth: ent!(net_worth),
        annual_income: ent!(annual_income),
        regcf_invested_this_year: ent!(amount_invested_in_reg_cf_offering_this_year),
        regcf_invested_other_platforms: ent!(
            amount_invested_in_reg_cf_offering_this_year_other_platforms
        ),
        kyc_status,
        tax_id: ent!(tax_id_number),
    })
}

/// A file a load read, with its SHA-256 (hex) and size: what a run's manifest records as input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFile {
    /// File name inside the snapshot directory.
    pub file: String,
    /// SHA-256 of the bytes read, hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// Whether a load used `book.bin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheUse {
    /// `book.bin` was read (its hash matched the manifest).
    Used,
    /// The snapshot has no `book.bin` (or no manifest listing one); the JSONL was parsed.
    Absent,
    /// `book.bin` exists but could not be trusted; the JSONL was parsed instead.
    Stale(String),
}

/// A loaded snapshot: the book, the files read to build it, and whether `book.bin` served.
#[derive(Debug, Clone)]
pub struct LoadedBook {
    /// The book.
    pub book: Book,
    /// Every file read, hashed as read (the manifest first when there is one).
    pub read: Vec<ReadFile>,
    /// Whether the binary book served.
    pub cache: CacheUse,
}

/// Reads a snapshot directory into a [`Book`] (offerings, investors, investments by id).
/// See [`open_book`].
pub fn load_book(dir: &Path) -> Result<Book, SnapshotError> {
    open_book(dir).map(|l| l.book)
}

/// Reads a snapshot directory: from `book.bin` when the manifest lists it with a matching hash,
/// it is this version's format and the JSONL files still have the sizes it was built from;
/// otherwise from the JSONL files (see [`load_jsonl`]).
pub fn open_book(dir: &Path) -> Result<LoadedBook, SnapshotError> {
    let mpath = dir.join(MANIFEST);
    // The manifest is read once: hashed for the run's record and parsed for `book.bin`'s hash.
    let (manifest_read, cache) = match std::fs::read(&mpath) {
        Ok(bytes) => {
            let m = parse_manifest(&mpath, &bytes)?;
            let cache = match m.sha256.get(BOOK_FILE) {
                Some(want) => try_cache(dir, want),
                None => Err(CacheUse::Absent),
            };
            let read = ReadFile {
                file: MANIFEST.into(),
                sha256: hex::encode(Sha256::digest(&bytes)),
                bytes: bytes.len() as u64,
            };
            (Some(read), cache)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (None, Err(CacheUse::Absent)),
        Err(e) => return Err(io_err(&mpath)(e)),
    };
    let (book, mut read, cache) = match cache {
        Ok((book, file)) => (book, vec![file], CacheUse::Used),
        Err(why) => {
            if let CacheUse::Stale(reason) = &why {
                tracing::warn!(
                    "{}: not used ({reason}); reading the JSONL files instead",
                    dir.join(BOOK_FILE).display()
                );
            }
            let (book, read) = load_jsonl(dir)?;
            (book, read, why)
        }
    };
    if let Some(m) = manifest_read {
        read.insert(0, m);
    }
    Ok(LoadedBook { book, read, cache })
}

/// Decodes `book.bin` if it can be trusted; the reason otherwise.
fn try_cache(dir: &Path, want_sha: &str) -> Result<(Book, ReadFile), CacheUse> {
    let path = dir.join(BOOK_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => return Err(CacheUse::Stale(format!("cannot read it: {e}"))),
    };
    let sources = match bookfile::sources(&bytes) {
        Ok(Some(s)) => s,
        Ok(None) => return Err(CacheUse::Stale("written by another version".into())),
        Err(e) => return Err(CacheUse::Stale(e.to_string())),
    };
    for s in &sources {
        let now = std::fs::metadata(dir.join(&s.file)).map(|m| m.len()).ok();
        if now != Some(s.bytes) {
            return Err(CacheUse::Stale(format!(
                "{} changed size since the book was built",
                s.file
            )));
        }
    }
    let (sha, book) = rayon::join(
        || hex::encode(Sha256::digest(&bytes)),
        || bookfile::decode(&bytes),
    );
    if !sha.eq_ignore_ascii_case(want_sha) {
        return Err(CacheUse::Stale(format!(
            "SHA-256 {sha} does not match the manifest ({want_sha})"
        )));
    }
    let book = book.map_err(|e| CacheUse::Stale(e.to_string()))?;
    Ok((
        book,
        ReadFile {
            file: BOOK_FILE.into(),
            sha256: sha,
            bytes: bytes.len() as u64,
        },
    ))
}

/// Builds `book.bin` from the snapshot's JSONL files and lists it in the manifest (rewritten
/// atomically). Refuses when a JSONL file's hash differs from the manifest's.
pub fn write_book_cache(dir: &Path) -> Result<Manifest, SnapshotError> {
    let mut manifest = read_manifest(dir)?;
    let (book, read) = load_jsonl(dir)?;
    let mut sources = Vec::new();
    for r in &read {
        if let Some(want) = manifest.sha256.get(&r.file)
            && !want.eq_ignore_ascii_case(&r.sha256)
        {
            return Err(SnapshotError::Manifest {
                path: dir.join(&r.file),
                reason: format!("SHA-256 {} does not match the manifest ({want})", r.sha256),
            });
        }
        sources.push(bookfile::Source {
            file: r.file.clone(),
            bytes: r.bytes,
        });
    }
    let bytes = bookfile::encode(&book, &sources);
    let path = dir.join(BOOK_FILE);
    write_atomic(&path, &bytes)?;
    manifest
        .sha256
        .insert(BOOK_FILE.into(), hex::encode(Sha256::digest(&bytes)));
    let mut text =
        serde_json::to_string_pretty(&manifest).map_err(|e| SnapshotError::Manifest {
            path: dir.join(MANIFEST),
            reason: e.to_string(),
        })?;
    text.push('\n');
    write_atomic(&dir.join(MANIFEST), text.as_bytes())?;
    Ok(manifest)
}

/// Writes `path` through a temporary sibling and a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SnapshotError> {
    let tmp = sibling(path, "tmp")?;
    let mut f = std::fs::File::create(&tmp).map_err(io_err(&tmp))?;
    f.write_all(bytes).map_err(io_err(&tmp))?;
    f.sync_all().map_err(io_err(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

/// Bytes per block read from a JSONL file (records in a block decode in parallel).
const JSONL_BLOCK: usize = 16 << 20;

/// Reads a JSONL file block by block, hashing every byte, decoding the records of a block in
/// parallel and converting each with `convert(line number, record)`; returns the converted
/// values in file order, the file as read, and nothing else held in memory.
fn read_jsonl<T, U, F>(
    dir: &Path,
    name: &str,
    mut per_block: impl FnMut(Vec<U>),
    convert: F,
) -> Result<ReadFile, SnapshotError>
where
    T: DeserializeOwned,
    U: Send,
    F: Fn(usize, T) -> Result<U, SnapshotError> + Sync,
{
    use std::io::Read;
    let path = dir.join(name);
    let mut file = std::fs::File::open(&path).map_err(io_err(&path))?;
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    let mut carry: Vec<u8> = Vec::with_capacity(JSONL_BLOCK * 2);
    let mut buf = vec![0u8; JSONL_BLOCK];
    let mut line_base = 0usize;
    loop {
        let mut n = 0;
        while n < buf.len() {
            match file.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
        let eof = n < buf.len();
        total += n as u64;
        carry.extend_from_slice(&buf[..n]);
        let cut = if eof {
            carry.len()
        } else {
            match carry.iter().rposition(|b| *b == b'\n') {
                Some(p) => p + 1,
                None => continue,
            }
        };
        let block = &carry[..cut];
        let mut lines: Vec<(usize, &[u8])> = Vec::new();
        for (i, l) in block.split(|b| *b == b'\n').enumerate() {
            if !l.iter().all(u8::is_ascii_whitespace) {
                lines.push((line_base + i + 1, l));
            }
        }
        line_base += block.iter().filter(|b| **b == b'\n').count();
        let (_, values) = rayon::join(
            || hasher.update(block),
            || {
                lines
                    .par_iter()
                    .map(|(no, l)| {
                        let v: T = serde_json::from_slice(l)
                            .map_err(|_| record_error::<T>(&path, *no, l))?;
                        convert(*no, v)
                    })
                    .collect::<Result<Vec<U>, SnapshotError>>()
            },
        );
        per_block(values?);
        carry.drain(..cut);
        if eof {
            break;
        }
    }
    Ok(ReadFile {
        file: name.into(),
        sha256: hex::encode(hasher.finalize()),
        bytes: total,
    })
}

/// The detailed error for a record that does not decode: file, line and JSON path.
fn record_error<T: DeserializeOwned>(path: &Path, line: usize, raw: &[u8]) -> SnapshotError {
    let text = String::from_utf8_lossy(raw);
    let mut de = serde_json::Deserializer::from_str(&text);
    let (json_path, message) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => {
            let p = e.path().to_string();
            let m = crate::error::without_pii(&p, e.into_inner().to_string());
            (p, m)
        }
        Ok(_) if std::str::from_utf8(raw).is_err() => (".".into(), "not valid UTF-8".into()),
        Ok(_) => (".".into(), "does not decode".into()),
    };
    SnapshotError::Record {
        file: path.to_path_buf(),
        line,
        path: json_path,
        message,
    }
}

/// Reads a snapshot's JSONL files into a [`Book`], returning the files as read (hashed).
///
/// Investor identity (tax id, date of birth, ...) comes from `investors.jsonl` and, where missing
/// there, from the investor object embedded in that investor's first investment; an investor
/// that only appears embedded in investments is still included. A missing KYC status is taken
/// as `unverified`; a missing payment method is kept as `Other("")`.
pub fn load_jsonl(dir: &Path) -> Result<(Book, Vec<ReadFile>), SnapshotError> {
    let opath = dir.join(FILES[0]);
    let ipath = dir.join(FILES[1]);
    let vpath = dir.join(FILES[2]);

    let mut offerings = Vec::new();
    let off_read = read_jsonl(
        dir,
        FILES[0],
        |v| offerings.extend(v),
        |line, o: Offering| to_offering(&opath, line, o),
    )?;

    // Investments, keeping the embedded investor object and display name of each investor's
    // first investment.
    let mut investments = Vec::new();
    let mut embedded: HashMap<i64, (InvestmentInvestor, Option<String>)> = HashMap::new();
    let inv_read = read_jsonl(
        dir,
        FILES[2],
        |v: Vec<(tieout_domain::Investment, InvestmentInvestor)>| {
            for (inv, mut e) in v {
                if let std::collections::hash_map::Entry::Vacant(slot) = embedded.entry(e.id) {
                    e.utm_parameters = Default::default();
                    slot.insert((e, inv.investor_name.clone()));
                }
                investments.push(inv);
            }
        },
        |line, v: Investment| to_investment(&vpath, line, v),
    )?;

    let mut investors = Vec::new();
    let mut problem: Option<SnapshotError> = None;
    let mut seen = std::collections::HashSet::new();
    let ivr_read = read_jsonl(
        dir,
        FILES[1],
        |v: Vec<(usize, Investor)>| {
            for (line, p) in v {
                if problem.is_some() {
                    return;
                }
                let (emb, display) = match embedded.remove(&p.id) {
                    Some((e, d)) => (Some(e), d),
                    None => (None, None),
                };
                seen.insert(p.id);
                match to_investor(p.id, Some(&p), emb.as_ref(), display) {
                    Some(inv) => investors.push(inv),
                    None => problem = Some(missing(&ipath, line, "type")),
                }
            }
        },
        |line, p: Investor| Ok((line, p)),
    )?;
    if let Some(e) = problem {
        return Err(e);
    }
    let mut only_embedded: Vec<_> = embedded
        .into_iter()
        .filter(|(id, _)| !seen.contains(id))
        .collect();
    only_embedded.sort_by_key(|(id, _)| *id);
    for (id, (e, display)) in only_embedded {
        let inv =
            to_investor(id, None, Some(&e), display).ok_or_else(|| SnapshotError::Record {
                file: vpath.clone(),
                line: 0,
                path: format!("investor(id {id}).type"),
                message: "investor type missing (investor not in investors.jsonl)".into(),
            })?;
        investors.push(inv);
    }
    offerings.sort_by_key(|o| o.id);
    investors.sort_by_key(|i| i.id);
    investments.sort_by_key(|i| i.id);
    Ok((
        Book {
            offerings,
            investors,
            investments,
        },
        vec![off_read, ivr_read, inv_read],
    ))
}

fn to_offering(
    opath: &Path,
    line: usize,
    o: Offering,
) -> Result<tieout_domain::Offering, SnapshotError> {
    Ok(tieout_domain::Offering {
        id: o.id,
        issuer_id: o.issuer,
        name: o.name.unwrap_or_default(),
        description: o.description,
        slug: o.slug.unwrap_or_default(),
        offering_type: o
            .offering_type
            .ok_or_else(|| missing(opath, line, "type"))?,
        status: o.status.ok_or_else(|| missing(opath, line, "status"))?,
        unit_price: o.unit_price,
        min_investment: o.min_investment_amount,
        max_investment: o.max_investment_amount,
        increment: o.investment_increment_amount,
        min_wire: o.minimum_wire_transfer_amount,
        target_amount: o.minimum_amount_raised,
        max_amount: o.maximum_amount_raised,
        reg_cf_fee_percentage: o.reg_cf_fee_percentage,
        excluded_countries: o.investors_excluded_countries,
        included_countries: o.investors_included_countries,
        deadline: o.deadline_date,
        timezone: o.default_timezone,
        created_at: o.created_at,
        opened_at: o.opened_at,
        accepts_accredited: o.accredited_investors,
        accepts_non_accredited: o.non_accredited_investors,
    })
}

fn to_investment(
    vpath: &Path,
    line: usize,
    mut v: Investment,
) -> Result<(tieout_domain::Investment, InvestmentInvestor), SnapshotError> {
    let investor = v
        .investor
        .take()
        .ok_or_else(|| missing(vpath, line, "investor"))?;
    let inv = tieout_domain::Investment {
        id: v.id,
        offering_id: v.offering.ok_or_else(|| missing(vpath, line, "offering"))?,
        investor_id: investor.id,
        amount: v.amount.ok_or_else(|| missing(vpath, line, "amount"))?,
        quantity: v.quantity,
        price: v.price,
        price_fees: v.price_fees,
        price_payment_processing_fees: v.price_payment_processing_fees,
        shares_amount: v.shares_amount,
        bonus_shares: v.bonus_shares,
        status: v.status.ok_or_else(|| missing(vpath, line, "status"))?,
        payment_method: v
            .payment_method
            .unwrap_or_else(|| PaymentMethod::Other(String::new())),
        payment_intent_id: v.payment_intent_id,
        reference_id: v.reference_id,
        investor_name: v.investor_individual_name,
        accredited: v.accredited_investor,
        accreditation_type: v.accredited_investor_type,
        net_worth: v.net_worth,
        annual_income: v.annual_income,
        us_person: v.us_person,
        regcf_invested_this_year: v.amount_invested_in_reg_cf_offering_this_year,
        watchlist: v
            .watchlistentity_set
            .into_iter()
            .map(|w| WatchlistScreening {
                id: w.id,
                has_hits: w.has_hits.unwrap_or(false),
                ofac_fincen_status: w.ofac_fincen_status,
                aml_provider: w.aml_provider,
            })
            .collect(),
        processing_issue_statuses: v.processing_issue_statuses,
        created_at: v.created_at,
        processed_at: v.processed_at,
        received_at: v.received_at,
        invested_at: v.invested_at,
        refunded_at: v.refunded_at,
        updated_at: v.updated_at,
    };
    Ok((inv, investor))
}
