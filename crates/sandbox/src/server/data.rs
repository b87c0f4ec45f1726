//! The dataset the server serves: every record loaded once, kept as the compact JSON bytes it is
//! served as plus the parsed value the filters read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use axum::body::Bytes;
use serde_json::{Map, Value};

use super::ServerError;

/// One record of a resource.
#[derive(Debug, Clone)]
pub(crate) struct Rec {
    /// The record's `id`.
    pub id: i64,
    /// Exactly the bytes served for this record (one line of the dataset file).
    pub bytes: Bytes,
    /// The parsed record, for filters and ordering.
    pub value: Value,
    /// Filter-only fields that are not served (e.g. `created_at` from the sidecar).
    pub hidden: Map<String, Value>,
}

impl Rec {
    /// Builds a record from a JSON object value (serialised compactly).
    pub(crate) fn from_value(value: Value) -> Option<Self> {
        let id = value.get("id")?.as_i64()?;
        let bytes = Bytes::from(serde_json::to_vec(&value).ok()?);
        Some(Self {
            id,
            bytes,
            value,
            hidden: Map::new(),
        })
    }
}

/// All four resources, each sorted by id (list requests rely on it: an index range of a
/// resource is already in `ordering=id` order).
#[derive(Debug, Default)]
pub(crate) struct Dataset {
    pub offerings: Vec<Rec>,
    pub investors: Vec<Rec>,
    pub investments: Vec<Rec>,
    pub users: Vec<Rec>,
    /// The API key from `dataset.json`, when present.
    pub api_key: Option<String>,
    /// `snapshot_time` from `dataset.json`: "today" for the summary endpoint.
    pub today: Option<chrono::NaiveDate>,
}

fn read_jsonl(path: &Path, required: bool) -> Result<Vec<Rec>, ServerError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(Vec::new()),
        Err(e) => {
            return Err(ServerError::Io {
                path: path.to_path_buf(),
                source: e,
            });
        }
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = |reason: String| ServerError::Dataset {
            path: path.to_path_buf(),
            line: i + 1,
            reason,
        };
        let value: Value = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        let id = value
            .get("id")
            .and_then(Value::as_i64)
            .ok_or_else(|| bad("record has no integer `id`".to_string()))?;
        // Serve a compact rendering: the line itself when it already is one.
        let bytes = if line.contains('\n') {
            Bytes::from(serde_json::to_vec(&value).unwrap_or_default())
        } else {
            Bytes::copy_from_slice(line.as_bytes())
        };
        out.push(Rec {
            id,
            bytes,
            value,
            hidden: Map::new(),
        });
    }
    // Stable: id order is the default ordering.
    out.sort_by_key(|r| r.id);
    Ok(out)
}

/// Statuses the sandbox treats as an approved investment (`investmentapproval__is_approved`).
fn approval_of(status: Option<&str>) -> Value {
    match status {
        Some("approved" | "accepted" | "accepted_escrow_closed") => Value::Bool(true),
        Some("not_approved") => Value::Bool(false),
        _ => Value::Null,
    }
}

impl Dataset {
    /// Loads `DIR/api/*.jsonl` (or `DIR/*.jsonl` when `DIR` has no `api/` folder) and
    /// `DIR/dataset.json` when present.
    pub(crate) fn load(dir: &Path) -> Result<Self, ServerError> {
        let api: PathBuf = if dir.join("api").is_dir() {
            dir.join("api")
        } else {
            dir.to_path_buf()
        };
        let mut ds = Dataset {
            offerings: read_jsonl(&api.join("offerings.jsonl"), true)?,
            investors: read_jsonl(&api.join("investors.jsonl"), true)?,
            investments: read_jsonl(&api.join("investments.jsonl"), true)?,
            users: read_jsonl(&api.join("users.jsonl"), false)?,
            ..Default::default()
        };
        let meta = dir.join("dataset.json");
        if meta.is_file() {
            let text = std::fs::read_to_string(&meta).map_err(|e| ServerError::Io {
                path: meta.clone(),
                source: e,
            })?;
            let v: Value = serde_json::from_str(&text).map_err(|e| ServerError::Dataset {
                path: meta.clone(),
                line: e.line(),
                reason: e.to_string(),
            })?;
            ds.api_key = v.get("api_key").and_then(Value::as_str).map(str::to_string);
            ds.today = v
                .get("snapshot_time")
                .and_then(Value::as_str)
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                .map(|t| {
                    (t.with_timezone(&chrono::Utc) - chrono::Duration::seconds(1)).date_naive()
                });
        }
        // Sidecar: created_at per investment id (filter-only).
        let sidecar = api.join("sidecar").join("investments_created_at.jsonl");
        let mut created: HashMap<i64, Value> = HashMap::new();
        if sidecar.is_file() {
            for r in read_jsonl(&sidecar, true)? {
                if let Some(c) = r.value.get("created_at") {
                    created.insert(r.id, c.clone());
                }
            }
        }
        let slugs: HashMap<i64, Value> = ds
            .offerings
            .iter()
            .filter_map(|o| o.value.get("slug").map(|s| (o.id, s.clone())))
            .collect();
        for r in &mut ds.investments {
            if let Some(c) = created.get(&r.id) {
                r.hidden.insert("created_at".into(), c.clone());
            }
            let offering = r.value.get("offering").and_then(Value::as_i64);
            if let Some(slug) = offering.and_then(|o| slugs.get(&o)) {
                r.hidden.insert("slug".into(), slug.clone());
            }
            let mut approval = Map::new();
            approval.insert(
                "is_approved".into(),
                approval_of(r.value.get("status").and_then(Value::as_str)),
            );
            r.hidden
                .insert("investmentapproval".into(), Value::Object(approval));
        }
        // Users: when the dataset has no users file, derive them from the investors' users.
        if ds.users.is_empty() {
            let mut seen = std::collections::BTreeMap::new();
            for inv in &ds.investors {
                if let Some(u) = inv.value.get("user")
                    && let Some(id) = u.get("id").and_then(Value::as_i64)
                {
                    let mut m = Map::new();
                    m.insert("id".into(), Value::from(id));
                    m.insert(
                        "email".into(),
                        u.get("email").cloned().unwrap_or(Value::Null),
                    );
                    seen.entry(id).or_insert(Value::Object(m));
                }
            }
            ds.users = seen.into_values().filter_map(Rec::from_value).collect();
        }
        Ok(ds)
    }
}
