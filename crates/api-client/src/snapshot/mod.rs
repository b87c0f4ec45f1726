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

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::client::{Client, INVESTMENTS, INVESTORS, OFFERINGS, USERS};
use crate::error::ApiError;
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

pub(super) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SnapshotError + '_ {
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

pub(super) fn sibling(dir: &Path, suffix: &str) -> Result<PathBuf, SnapshotError> {
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

pub(super) fn parse_manifest(path: &Path, bytes: &[u8]) -> Result<Manifest, SnapshotError> {
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

mod load;
pub use load::{
    CacheUse, LoadedBook, ReadFile, load_book, load_jsonl, open_book, write_book_cache,
};
