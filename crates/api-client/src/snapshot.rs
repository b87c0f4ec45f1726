//! Snapshots: `pull` copies the four list endpoints into JSONL files (one record per line,
//! exactly as the server sent it) plus `manifest.json`; `load_book` reads them back into the
//! domain types.
//!
//! Layout of a snapshot directory:
//! ```text
//! offerings.jsonl investors.jsonl investments.jsonl users.jsonl book.bin manifest.json [sidecar/ (ignored)]
//! ```
//! `book.bin` (see [`crate::bookfile`]) is the same records decoded into the domain types,
//! written once when the snapshot is made so that later runs skip parsing the JSON.
//!
//! A pull writes into a hidden sibling directory (`.<name>.partial-<pid>`, owner-only) and
//! renames it into place at the end, so an interrupted pull never leaves a directory that looks
//! complete. It replaces only an empty folder or a snapshot (every file listed by its
//! manifest), and deletes only the files that manifest lists.
//!
//! A pull is complete or it fails: each list is walked page by page under the checks of
//! [`Client::pages`], its ids must rise strictly, and once every list is read the ids are read
//! again and must be the same. When the data moved meanwhile (the platform is live at month
//! end) the whole pull starts again, [`PullOptions::attempts`] times at most, then fails naming
//! the ids that appeared or disappeared. [`PullOptions::deadline`] bounds the whole pull.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tieout_domain::{Book, KycStatus, PaymentMethod, WatchlistScreening};

use rayon::prelude::*;

use crate::bookfile::{self, BOOK_FILE};
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
    /// The data kept moving (or the pages did not add up) on every attempt.
    #[error("the pull is incomplete after {attempts} attempt(s): {detail}")]
    Incomplete {
        /// Whole-pull attempts made.
        attempts: u32,
        /// What moved on the last attempt.
        detail: String,
    },
    /// The pull took longer than its deadline.
    #[error("the pull did not finish within its deadline of {secs} s")]
    Deadline {
        /// The deadline, in seconds.
        secs: u64,
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
    /// Whole-pull attempts when the data moves during the pull (at least 1).
    pub attempts: u32,
    /// Deadline of the whole pull (all attempts), if any.
    pub deadline: Option<std::time::Duration>,
}

impl PullOptions {
    /// Everything, 500 records per page, 3 attempts, within one hour.
    pub fn new(pulled_at: DateTime<Utc>) -> Self {
        Self {
            offering: None,
            pulled_at,
            page_size: 500,
            attempts: 3,
            deadline: Some(std::time::Duration::from_secs(3600)),
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SnapshotError + '_ {
    move |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The `id` of a raw record.
fn record_id(url: &str, raw: &serde_json::value::RawValue) -> Result<i64, ApiError> {
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    serde_json::from_str::<Id>(raw.get())
        .map(|r| r.id)
        .map_err(|e| ApiError::Decode {
            url: url.to_string(),
            path: "results[].id".into(),
            message: e.to_string(),
        })
}

/// Pulls one endpoint into `path`; returns (count, sha256 hex, the ids in order).
async fn pull_one(
    client: &Client,
    name: &str,
    endpoint: &str,
    params: &Params,
    path: &Path,
    progress: &dyn Progress,
) -> Result<(u64, String, Vec<i64>), SnapshotError> {
    let file = std::fs::File::create(path).map_err(io_err(path))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut hash = Sha256::new();
    let mut pages = client.pages(endpoint, params);
    let mut n = 0u64;
    let mut last_id: Option<i64> = None;
    let mut ids = Vec::new();
    let mut started = false;
    while let Some(page) = pages.try_next().await? {
        if !started {
            progress.start(name, page.count);
            started = true;
        }
        for raw in &page.results {
            let id = record_id(&page.url, raw)?;
            if last_id.is_some_and(|l| id <= l) {
                return Err(ApiError::Inconsistent {
                    url: page.url.clone(),
                    reason: format!("record id {id} after {} (duplicate or out of order: the data changed during the pull)", last_id.unwrap_or_default()),
                }
                .into());
            }
            last_id = Some(id);
            ids.push(id);
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
    Ok((n, hex::encode(hash.finalize()), ids))
}

/// Reads the ids of `endpoint` again; describes how they differ from `ids`, if they do.
async fn moved_since(
    client: &Client,
    name: &str,
    endpoint: &str,
    params: &Params,
    ids: &[i64],
) -> Result<Option<String>, SnapshotError> {
    let mut now = Vec::with_capacity(ids.len());
    let mut pages = client.pages(endpoint, params);
    while let Some(page) = pages.try_next().await? {
        for raw in &page.results {
            now.push(record_id(&page.url, raw)?);
        }
    }
    if now == ids {
        return Ok(None);
    }
    let before: std::collections::BTreeSet<i64> = ids.iter().copied().collect();
    let after: std::collections::BTreeSet<i64> = now.iter().copied().collect();
    let list = |v: Vec<&i64>| {
        let n = v.len();
        let mut t: Vec<String> = v.iter().take(5).map(|i| i.to_string()).collect();
        if n > 5 {
            t.push(format!("… {} more", n - 5));
        }
        (n, t.join(", "))
    };
    let (na, appeared) = list(after.difference(&before).collect());
    let (nd, gone) = list(before.difference(&after).collect());
    let mut what = Vec::new();
    if na > 0 {
        what.push(format!("{na} record(s) appeared (id {appeared})"));
    }
    if nd > 0 {
        what.push(format!("{nd} record(s) disappeared (id {gone})"));
    }
    if what.is_empty() {
        what.push("the records came back in another order".into());
    }
    Ok(Some(format!(
        "{name} changed while the pull read them: {}",
        what.join(", ")
    )))
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

/// Pulls offerings, investors, investments and users into `dir` and returns the manifest
/// written. `dir` must be absent, empty, or a snapshot (every file in it listed by its
/// manifest); it is replaced atomically, and of the previous snapshot only the files its
/// manifest lists are deleted.
pub async fn pull(
    client: &Client,
    dir: &Path,
    opts: &PullOptions,
    progress: &dyn Progress,
) -> Result<Manifest, SnapshotError> {
    let owned = replaceable(dir)?;
    let tmp = sibling(dir, &format!("partial-{}", std::process::id()))?;
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
    }
    create_private_dir(&tmp)?;
    let manifest = match pull_into(client, &tmp, opts, progress).await {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    // Swap into place.
    if dir.exists() {
        let old = sibling(dir, &format!("old-{}", std::process::id()))?;
        std::fs::rename(dir, &old).map_err(io_err(dir))?;
        if let Err(e) = std::fs::rename(&tmp, dir) {
            let _ = std::fs::rename(&old, dir);
            return Err(io_err(dir)(e));
        }
        for f in &owned {
            let _ = std::fs::remove_file(old.join(f));
        }
        std::fs::remove_dir(&old).map_err(io_err(&old))?;
    } else {
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        std::fs::rename(&tmp, dir).map_err(io_err(dir))?;
    }
    Ok(manifest)
}

/// The files of `dir` a pull may delete: none when it is absent or empty; every file when its
/// manifest lists them all; otherwise an error naming a foreign file.
fn replaceable(dir: &Path) -> Result<Vec<String>, SnapshotError> {
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return Ok(Vec::new());
    };
    let target = |reason: String| SnapshotError::Target {
        path: dir.to_path_buf(),
        reason,
    };
    if !meta.is_dir() {
        return Err(target("exists and is not a folder".into()));
    }
    let mut present = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io_err(dir))? {
        let e = e.map_err(io_err(dir))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if !e.file_type().map_err(io_err(dir))?.is_file() {
            return Err(target(format!(
                "holds `{name}`, which tieout did not write; pull into a new or empty folder"
            )));
        }
        present.push(name);
    }
    if present.is_empty() {
        return Ok(present);
    }
    let listed: Vec<String> = match read_manifest(dir) {
        Ok(m) => m.sha256.into_keys().chain([MANIFEST.to_string()]).collect(),
        Err(_) => Vec::new(),
    };
    if let Some(foreign) = present.iter().find(|p| !listed.contains(p)) {
        return Err(target(format!(
            "holds `{foreign}`, which no snapshot manifest there lists; tieout replaces only a snapshot it wrote. Pull into a new or empty folder"
        )));
    }
    Ok(present)
}

/// Creates `dir` (and parents) with owner-only access (0700 on Unix).
fn create_private_dir(dir: &Path) -> Result<(), SnapshotError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(io_err(dir))
}

/// Makes every file directly in `dir` owner-only (0600 on Unix), `dir` itself 0700.
fn make_private(dir: &Path) -> Result<(), SnapshotError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let set = |p: &Path, mode: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).map_err(io_err(p))
        };
        set(dir, 0o700)?;
        for e in std::fs::read_dir(dir).map_err(io_err(dir))? {
            let p = e.map_err(io_err(dir))?.path();
            set(&p, if p.is_dir() { 0o700 } else { 0o600 })?;
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Pulls into `dir`, an existing empty folder the caller provides (and moves into place
/// itself): the JSONL files, `manifest.json` and `book.bin`, owner-only. See the module
/// documentation for the completeness checks, the whole-pull retries and the deadline.
pub async fn pull_into(
    client: &Client,
    dir: &Path,
    opts: &PullOptions,
    progress: &dyn Progress,
) -> Result<Manifest, SnapshotError> {
    let attempts = opts.attempts.max(1);
    let run = async {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let detail = match pull_once(client, dir, opts, progress).await {
                Ok(Ok(m)) => return Ok(m),
                Ok(Err(moved)) => moved,
                Err(SnapshotError::Api(ApiError::Inconsistent { url, reason })) => {
                    format!("{reason} ({url})")
                }
                Err(e) => return Err(e),
            };
            if attempt >= attempts {
                return Err(SnapshotError::Incomplete { attempts, detail });
            }
            tracing::warn!(
                "pull attempt {attempt} of {attempts} is incomplete ({detail}); starting again"
            );
        }
    };
    match opts.deadline {
        Some(d) => tokio::time::timeout(d, run)
            .await
            .map_err(|_| SnapshotError::Deadline { secs: d.as_secs() })?,
        None => run.await,
    }
}

/// One attempt: every list, then every list's ids again. `Ok(Err(what moved))` when the ids
/// differ.
async fn pull_once(
    client: &Client,
    tmp: &Path,
    opts: &PullOptions,
    progress: &dyn Progress,
) -> Result<Result<Manifest, String>, SnapshotError> {
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
    let mut all_ids = Vec::new();
    for ((name, endpoint, params), file) in jobs.iter().zip(FILES) {
        let (n, h, ids) =
            pull_one(client, name, endpoint, params, &tmp.join(file), progress).await?;
        counts.insert((*name).to_string(), n);
        sha256.insert(file.to_string(), h);
        all_ids.push(ids);
    }
    // Read every list's ids again: a record deleted and another inserted while the pages were
    // read leaves the counts equal but the ids not.
    for ((name, endpoint, params), ids) in jobs.iter().zip(&all_ids) {
        if let Some(moved) = moved_since(client, name, endpoint, params, ids).await? {
            return Ok(Err(moved));
        }
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
    let manifest = write_book_cache(tmp)?;
    make_private(tmp)?;
    Ok(Ok(manifest))
}

/// Reads `manifest.json`.
pub fn read_manifest(dir: &Path) -> Result<Manifest, SnapshotError> {
    let path = dir.join(MANIFEST);
    let bytes = std::fs::read(&path).map_err(io_err(&path))?;
    parse_manifest(&path, &bytes)
}

fn parse_manifest(path: &Path, bytes: &[u8]) -> Result<Manifest, SnapshotError> {
    serde_json::from_slice(bytes).map_err(|e| SnapshotError::Manifest {
        path: path.to_path_buf(),
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
