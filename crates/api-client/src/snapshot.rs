//! Snapshots: `pull` copies the four list endpoints into JSONL files (one record per line,
//! exactly as the server sent it) plus `manifest.json`; `load_book` reads them back into the
//! domain types.
//!
//! Layout of a snapshot directory:
//! ```text
//! offerings.jsonl investors.jsonl investments.jsonl users.jsonl manifest.json [sidecar/ (ignored)]
//! ```
//! A pull writes into a hidden sibling directory (`.<name>.partial`) and renames it into place at
//! the end, so an interrupted pull never leaves a directory that looks complete.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tieout_domain::{Book, KycStatus, PaymentMethod, WatchlistScreening};

use crate::client::{Client, INVESTMENTS, INVESTORS, OFFERINGS, USERS};
use crate::error::ApiError;
use crate::models::{Entity, Investment, InvestmentInvestor, Investor, Offering};
use crate::query::{InvestmentQuery, InvestorQuery, OfferingQuery, Params, UserQuery};

/// The four record files, in pull order.
pub const FILES: [&str; 4] = [
    "offerings.jsonl",
    "investors.jsonl",
    "investments.jsonl",
    "users.jsonl",
];
/// The manifest file name.
pub const MANIFEST: &str = "manifest.json";

/// Snapshot errors. Record errors name the file, the 1-based line and the JSON path.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The API failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A record does not decode.
    #[error("{file}:{line}: at `{path}`: {message}")]
    Record {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// JSON path inside the record.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The manifest is missing or does not match the files.
    #[error("{path}: {reason}")]
    Manifest {
        /// The manifest or the mismatching file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The target directory cannot be used.
    #[error("snapshot directory {path}: {reason}")]
    Target {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// `"api"` for pulls (the generator writes `"generator"`).
    pub source: String,
    /// The API base URL (never with credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// The offering filter used, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offering: Option<i64>,
    /// When the pull started (given by the caller).
    pub pulled_at: DateTime<Utc>,
    /// Records per file, keyed by resource name (`offerings`, `investors`, ...).
    pub counts: BTreeMap<String, u64>,
    /// SHA-256 (hex) per file name.
    pub sha256: BTreeMap<String, String>,
}

/// Receives pull progress (the CLI maps it to progress bars).
pub trait Progress: Send + Sync {
    /// An endpoint starts; `total` once the first page says how many records there are.
    fn start(&self, endpoint: &str, total: Option<u64>) {
        let _ = (endpoint, total);
    }
    /// `fetched` records of `endpoint` so far.
    fn advance(&self, endpoint: &str, fetched: u64) {
        let _ = (endpoint, fetched);
    }
    /// The endpoint is done.
    fn finish(&self, endpoint: &str, fetched: u64) {
        let _ = (endpoint, fetched);
    }
}

/// Progress that goes nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// What to pull.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// Only this offering (offerings by id, investments by offering); investors and users are
    /// always pulled in full.
    pub offering: Option<i64>,
    /// Recorded as `pulled_at` (the library reads no clock).
    pub pulled_at: DateTime<Utc>,
    /// `page_size` to request (the server may clamp it).
    pub page_size: u32,
}

impl PullOptions {
    /// Everything, 500 records per page.
    pub fn new(pulled_at: DateTime<Utc>) -> Self {
        Self {
            offering: None,
            pulled_at,
            page_size: 500,
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SnapshotError + '_ {
    move |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Pulls one endpoint into `path`; returns (count, sha256 hex).
async fn pull_one(
    client: &Client,
    name: &str,
    endpoint: &str,
    params: &Params,
    path: &Path,
    progress: &dyn Progress,
) -> Result<(u64, String), SnapshotError> {
    let file = std::fs::File::create(path).map_err(io_err(path))?;
    let mut out = std::io::BufWriter::new(file);
    let mut hash = Sha256::new();
    let mut pages = client.pages(endpoint, params);
    let mut n = 0u64;
    let mut last_id: Option<i64> = None;
    let mut started = false;
    while let Some(page) = pages.try_next().await? {
        if !started {
            progress.start(name, page.count);
            started = true;
        }
        for raw in &page.results {
            #[derive(Deserialize)]
            struct Id {
                id: i64,
            }
            let id = serde_json::from_str::<Id>(raw.get())
                .map_err(|e| ApiError::Decode {
                    url: page.url.clone(),
                    path: "results[].id".into(),
                    message: e.to_string(),
                })?
                .id;
            if last_id.is_some_and(|l| id <= l) {
                return Err(ApiError::Inconsistent {
                    url: page.url.clone(),
                    reason: format!("record id {id} after {} (duplicate or out of order: the data changed during the pull)", last_id.unwrap_or_default()),
                }
                .into());
            }
            last_id = Some(id);
            let line = raw.get().as_bytes();
            out.write_all(line).map_err(io_err(path))?;
            out.write_all(b"\n").map_err(io_err(path))?;
            hash.update(line);
            hash.update(b"\n");
            n += 1;
        }
        progress.advance(name, n);
    }
    let file = out.into_inner().map_err(|e| SnapshotError::Io {
        path: path.to_path_buf(),
        source: e.into_error(),
    })?;
    file.sync_all().map_err(io_err(path))?;
    progress.finish(name, n);
    Ok((n, hex::encode(hash.finalize())))
}

fn sibling(dir: &Path, suffix: &str) -> Result<PathBuf, SnapshotError> {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| SnapshotError::Target {
            path: dir.to_path_buf(),
            reason: "has no usable file name".into(),
        })?;
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Ok(parent.join(format!(".{name}.{suffix}")))
}

/// Pulls offerings, investors, investments and users into `dir` (replaced atomically if it
/// exists) and returns the manifest written.
pub async fn pull(
    client: &Client,
    dir: &Path,
    opts: &PullOptions,
    progress: &dyn Progress,
) -> Result<Manifest, SnapshotError> {
    let tmp = sibling(dir, "partial")?;
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
    }
    std::fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
    let size = opts.page_size.max(1);
    let mut off = OfferingQuery::new().ordering("id").page_size(size);
    let mut inv = InvestmentQuery::new().ordering("id").page_size(size);
    if let Some(o) = opts.offering {
        off = off.id(o);
        inv = inv.offering(o);
    }
    let jobs: [(&str, &str, Params); 4] = [
        ("offerings", OFFERINGS, off.params().clone()),
        (
            "investors",
            INVESTORS,
            InvestorQuery::new()
                .ordering("id")
                .page_size(size)
                .params()
                .clone(),
        ),
        ("investments", INVESTMENTS, inv.params().clone()),
        (
            "users",
            USERS,
            UserQuery::new()
                .ordering("id")
                .page_size(size)
                .params()
                .clone(),
        ),
    ];
    let mut counts = BTreeMap::new();
    let mut sha256 = BTreeMap::new();
    for ((name, endpoint, params), file) in jobs.iter().zip(FILES) {
        let (n, h) = pull_one(client, name, endpoint, params, &tmp.join(file), progress).await?;
        counts.insert((*name).to_string(), n);
        sha256.insert(file.to_string(), h);
    }
    let manifest = Manifest {
        source: "api".into(),
        api_url: Some(client.base_url().to_string()),
        offering: opts.offering,
        pulled_at: opts.pulled_at,
        counts,
        sha256,
    };
    let mpath = tmp.join(MANIFEST);
    let mut text =
        serde_json::to_string_pretty(&manifest).map_err(|e| SnapshotError::Manifest {
            path: mpath.clone(),
            reason: e.to_string(),
        })?;
    text.push('\n');
    std::fs::write(&mpath, text).map_err(io_err(&mpath))?;
    // Swap into place.
    if dir.exists() {
        let old = sibling(dir, "old")?;
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(io_err(&old))?;
        }
        std::fs::rename(dir, &old).map_err(io_err(dir))?;
        std::fs::rename(&tmp, dir).map_err(io_err(dir))?;
        std::fs::remove_dir_all(&old).map_err(io_err(&old))?;
    } else {
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        std::fs::rename(&tmp, dir).map_err(io_err(dir))?;
    }
    Ok(manifest)
}

/// Reads `manifest.json`.
pub fn read_manifest(dir: &Path) -> Result<Manifest, SnapshotError> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
    serde_json::from_str(&text).map_err(|e| SnapshotError::Manifest {
        path,
        reason: e.to_string(),
    })
}

/// Checks every file's SHA-256 against the manifest; returns the manifest.
pub fn verify(dir: &Path) -> Result<Manifest, SnapshotError> {
    let m = read_manifest(dir)?;
    for (file, want) in &m.sha256 {
        let path = dir.join(file);
        let bytes = std::fs::read(&path).map_err(io_err(&path))?;
        let got = hex::encode(Sha256::digest(&bytes));
        if !got.eq_ignore_ascii_case(want) {
            return Err(SnapshotError::Manifest {
                path,
                reason: format!("SHA-256 {got} does not match the manifest ({want})"),
            });
        }
    }
    Ok(m)
}

/// Reads a JSONL file as typed records with their raw line: `(line number, value, raw)`.
pub fn load_raw<T: DeserializeOwned>(
    path: &Path,
) -> Result<Vec<(usize, T, String)>, SnapshotError> {
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io_err(path))?;
        if line.trim().is_empty() {
            continue;
        }
        let mut de = serde_json::Deserializer::from_str(&line);
        let v: T =
            serde_path_to_error::deserialize(&mut de).map_err(|e| SnapshotError::Record {
                file: path.to_path_buf(),
                line: i + 1,
                path: e.path().to_string(),
                message: e.into_inner().to_string(),
            })?;
        out.push((i + 1, v, line));
    }
    Ok(out)
}

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

/// Reads a snapshot directory into a [`Book`] (offerings, investors, investments by id).
///
/// Investor identity (tax id, date of birth, ...) comes from `investors.jsonl` and, where missing
/// there, from the investor object embedded in that investor's investments; an investor that
/// only appears embedded in investments is still included. A missing KYC status is taken as
/// `unverified`; a missing payment method is kept as `Other("")`.
pub fn load_book(dir: &Path) -> Result<Book, SnapshotError> {
    let opath = dir.join(FILES[0]);
    let ipath = dir.join(FILES[1]);
    let vpath = dir.join(FILES[2]);
    let offerings_raw: Vec<(usize, Offering, String)> = load_raw(&opath)?;
    let investors_raw: Vec<(usize, Investor, String)> = load_raw(&ipath)?;
    let investments_raw: Vec<(usize, Investment, String)> = load_raw(&vpath)?;

    let mut offerings = Vec::with_capacity(offerings_raw.len());
    for (line, o, _) in offerings_raw {
        offerings.push(tieout_domain::Offering {
            id: o.id,
            issuer_id: o.issuer,
            name: o.name.unwrap_or_default(),
            slug: o.slug.unwrap_or_default(),
            offering_type: o
                .offering_type
                .ok_or_else(|| missing(&opath, line, "type"))?,
            status: o.status.ok_or_else(|| missing(&opath, line, "status"))?,
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
            created_at: o.created_at,
            opened_at: o.opened_at,
            accepts_accredited: o.accredited_investors,
            accepts_non_accredited: o.non_accredited_investors,
        });
    }

    // Embedded investor objects and display names, first occurrence per investor.
    let mut embedded: HashMap<i64, (InvestmentInvestor, Option<String>)> = HashMap::new();
    let mut investments = Vec::with_capacity(investments_raw.len());
    for (line, v, _) in investments_raw {
        let investor = v
            .investor
            .as_ref()
            .ok_or_else(|| missing(&vpath, line, "investor"))?;
        embedded
            .entry(investor.id)
            .or_insert_with(|| (investor.clone(), v.investor_individual_name.clone()));
        investments.push(tieout_domain::Investment {
            id: v.id,
            offering_id: v
                .offering
                .ok_or_else(|| missing(&vpath, line, "offering"))?,
            investor_id: investor.id,
            amount: v.amount.ok_or_else(|| missing(&vpath, line, "amount"))?,
            quantity: v.quantity,
            price: v.price,
            price_fees: v.price_fees,
            price_payment_processing_fees: v.price_payment_processing_fees,
            shares_amount: v.shares_amount,
            bonus_shares: v.bonus_shares,
            status: v
                .status
                .clone()
                .ok_or_else(|| missing(&vpath, line, "status"))?,
            payment_method: v
                .payment_method
                .clone()
                .unwrap_or_else(|| PaymentMethod::Other(String::new())),
            payment_intent_id: v.payment_intent_id.clone(),
            reference_id: v.reference_id.clone(),
            investor_name: v.investor_individual_name.clone(),
            accredited: v.accredited_investor,
            accreditation_type: v.accredited_investor_type.clone(),
            net_worth: v.net_worth,
            annual_income: v.annual_income,
            us_person: v.us_person,
            regcf_invested_this_year: v.amount_invested_in_reg_cf_offering_this_year,
            watchlist: v
                .watchlistentity_set
                .iter()
                .map(|w| WatchlistScreening {
                    id: w.id,
                    has_hits: w.has_hits.unwrap_or(false),
                    ofac_fincen_status: w.ofac_fincen_status.clone(),
                    aml_provider: w.aml_provider.clone(),
                })
                .collect(),
            processing_issue_statuses: v.processing_issue_statuses.clone(),
            created_at: v.created_at,
            processed_at: v.processed_at,
            received_at: v.received_at,
            invested_at: v.invested_at,
            refunded_at: v.refunded_at,
            updated_at: v.updated_at,
        });
    }

    let mut investors = Vec::with_capacity(investors_raw.len());
    let mut seen = std::collections::HashSet::new();
    for (line, p, _) in &investors_raw {
        let emb = embedded.get(&p.id);
        let inv = to_investor(
            p.id,
            Some(p),
            emb.map(|e| &e.0),
            emb.and_then(|e| e.1.clone()),
        )
        .ok_or_else(|| missing(&ipath, *line, "type"))?;
        seen.insert(p.id);
        investors.push(inv);
    }
    let mut only_embedded: Vec<_> = embedded
        .iter()
        .filter(|(id, _)| !seen.contains(*id))
        .collect();
    only_embedded.sort_by_key(|(id, _)| **id);
    for (id, (e, display)) in only_embedded {
        let inv = to_investor(*id, None, Some(e), display.clone()).ok_or_else(|| {
            SnapshotError::Record {
                file: vpath.clone(),
                line: 0,
                path: format!("investor(id {id}).type"),
                message: "investor type missing (investor not in investors.jsonl)".into(),
            }
        })?;
        investors.push(inv);
    }
    offerings.sort_by_key(|o| o.id);
    investors.sort_by_key(|i| i.id);
    investments.sort_by_key(|i| i.id);
    Ok(Book {
        offerings,
        investors,
        investments,
    })
}
