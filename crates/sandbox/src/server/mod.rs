//! The sandbox HTTP server: the Issuance Issuer API over a dataset directory.
//!
//! It serves `DIR/api/{offerings,investors,investments,users}.jsonl` with the API's shapes:
//! `Authorization: Api-Key <key>` (403 otherwise), DRF page-number pagination with absolute
//! `next`/`previous` links, django-filter lookups, `ordering`, `search`, the statuses / summary /
//! values endpoints, users POST/PATCH with DRF-shaped validation errors (kept in memory), Django's
//! APPEND_SLASH redirect, and seeded fault injection ([`FaultConfig`]).
//!
//! Records are loaded once and served as the exact bytes of their dataset line; a page is the
//! concatenation of those bytes, so nothing is re-serialised per request.

// Handlers return a ready `Response` as their error (it is what gets sent): no point boxing it.
#![allow(clippy::result_large_err)]

mod data;
mod faults;
mod query;
mod users;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;

use data::{Dataset, Rec};
use faults::{Fault, FaultInjector};
pub use faults::{FaultConfig, FaultParseError};
use query::Schema;
use users::{create_user, update_user};

/// How to run the sandbox server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Dataset directory: either the generator's `DIR` (served from `DIR/api/`) or a snapshot
    /// directory holding the `*.jsonl` files directly.
    pub data_dir: PathBuf,
    /// Address to bind; loopback by default.
    pub host: IpAddr,
    /// Port to bind; 0 picks an ephemeral port.
    pub port: u16,
    /// The API key to accept. When `None`, `dataset.json`'s `api_key` is used.
    pub api_key: Option<String>,
    /// Fault injection switches.
    pub faults: FaultConfig,
    /// Page size when the request has no (valid) `page_size`.
    pub default_page_size: usize,
    /// Largest `page_size` honoured; larger values are clamped.
    pub max_page_size: usize,
}

impl ServerConfig {
    /// Loopback, ephemeral port, no faults, page size 100 (max 1000), key from `dataset.json`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            api_key: None,
            faults: FaultConfig::none(),
            default_page_size: 100,
            max_page_size: 1000,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A dataset file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A dataset file has a bad record.
    #[error("{path}:{line}: {reason}")]
    Dataset {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Neither the config nor `dataset.json` gives an API key.
    #[error(
        "no API key: the dataset has no dataset.json with an `api_key` and none was configured"
    )]
    NoApiKey,
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The server task failed.
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

/// Request counters, for tests and the CLI.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// All requests received.
    pub requests: u64,
    /// GET requests.
    pub gets: u64,
    /// POST requests.
    pub posts: u64,
    /// PATCH requests.
    pub patches: u64,
    /// Responses replaced or damaged by fault injection (slow responses not counted).
    pub faults: u64,
    /// Of those, responses cut mid-body.
    pub dropped: u64,
    /// Responses delayed by the slow fault.
    pub slowed: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    gets: AtomicU64,
    posts: AtomicU64,
    patches: AtomicU64,
    faults: AtomicU64,
    dropped: AtomicU64,
    slowed: AtomicU64,
}

struct AppState {
    ds: Dataset,
    /// Users change with POST/PATCH; readers take a cheap snapshot (the `Arc`), writers copy on
    /// write, so a list request never deep-copies every user.
    users: RwLock<Arc<Vec<Rec>>>,
    key: String,
    faults: FaultInjector,
    default_page_size: usize,
    max_page_size: usize,
    counters: Counters,
}

/// A server running in the background on the current tokio runtime.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    state: Arc<AppStateHandle>,
}

/// Opaque handle to the shared state (for [`RunningServer::stats`]).
struct AppStateHandle(Arc<AppState>);

impl std::fmt::Debug for AppStateHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppState { .. }")
    }
}

impl RunningServer {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`: the base URL a client uses (without trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Request counters so far.
    pub fn stats(&self) -> ServerStats {
        let c = &self.state.0.counters;
        ServerStats {
            requests: c.requests.load(AtomicOrdering::Relaxed),
            gets: c.gets.load(AtomicOrdering::Relaxed),
            posts: c.posts.load(AtomicOrdering::Relaxed),
            patches: c.patches.load(AtomicOrdering::Relaxed),
            faults: c.faults.load(AtomicOrdering::Relaxed),
            dropped: c.dropped.load(AtomicOrdering::Relaxed),
            slowed: c.slowed.load(AtomicOrdering::Relaxed),
        }
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the server.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match (&mut self.task).await {
            Ok(r) => r.map_err(ServerError::Serve),
            Err(e) => Err(ServerError::Serve(std::io::Error::other(e.to_string()))),
        }
    }

    /// Runs until Ctrl-C, then shuts down gracefully (for `tieout sandbox`).
    pub async fn run_until_ctrl_c(self) -> Result<(), ServerError> {
        tokio::signal::ctrl_c().await.map_err(ServerError::Serve)?;
        self.shutdown().await
    }
}

/// Loads the dataset and starts serving it in the background on the current tokio runtime.
pub async fn serve(cfg: ServerConfig) -> Result<RunningServer, ServerError> {
    let dir = cfg.data_dir.clone();
    let ds = tokio::task::spawn_blocking(move || Dataset::load(&dir))
        .await
        .map_err(|e| ServerError::Serve(std::io::Error::other(e.to_string())))??;
    let key = cfg
        .api_key
        .clone()
        .or_else(|| ds.api_key.clone())
        .ok_or(ServerError::NoApiKey)?;
    let users = RwLock::new(Arc::new(ds.users.clone()));
    let state = Arc::new(AppState {
        ds,
        users,
        key,
        faults: FaultInjector::new(cfg.faults.clone()),
        default_page_size: cfg.default_page_size.max(1),
        max_page_size: cfg.max_page_size.max(1),
        counters: Counters::default(),
    });
    let addr = SocketAddr::new(cfg.host, cfg.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ServerError::Bind { addr, source })?;
    let app = Router::new().fallback(handle).with_state(state.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    Ok(RunningServer {
        addr,
        shutdown: Some(tx),
        task,
        state: Arc::new(AppStateHandle(state)),
    })
}

/// A complete JSON response.
fn json_response(status: StatusCode, body: impl Into<Bytes>) -> Response {
    let mut r = Response::new(Body::from(body.into()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn detail(status: StatusCode, text: &str) -> Response {
    json_response(status, json!({ "detail": text }).to_string())
}

fn not_found() -> Response {
    detail(StatusCode::NOT_FOUND, "Not found.")
}

fn field_errors(errors: &[(&str, &str)]) -> Response {
    let mut m = Map::new();
    for (k, v) in errors {
        m.insert((*k).to_string(), json!([v]));
    }
    json_response(StatusCode::BAD_REQUEST, Value::Object(m).to_string())
}

fn method_not_allowed(method: &Method) -> Response {
    detail(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("Method \"{method}\" not allowed."),
    )
}

/// Parses the raw query string into decoded pairs, in request order.
fn parse_query(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

async fn handle(
    State(st): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let c = &st.counters;
    c.requests.fetch_add(1, AtomicOrdering::Relaxed);
    match method {
        Method::GET => c.gets.fetch_add(1, AtomicOrdering::Relaxed),
        Method::POST => c.posts.fetch_add(1, AtomicOrdering::Relaxed),
        Method::PATCH => c.patches.fetch_add(1, AtomicOrdering::Relaxed),
        _ => 0,
    };
    // Faults first, as a flaky proxy in front of the application would.
    let decision = st.faults.decide();
    if decision.slow_ms > 0 {
        c.slowed.fetch_add(1, AtomicOrdering::Relaxed);
        tokio::time::sleep(std::time::Duration::from_millis(decision.slow_ms)).await;
    }
    match decision.fault {
        Some(Fault::TooMany) => {
            c.faults.fetch_add(1, AtomicOrdering::Relaxed);
            let secs = st.faults.retry_after();
            let unit = if secs == 1 { "second" } else { "seconds" };
            let mut r = detail(
                StatusCode::TOO_MANY_REQUESTS,
                &format!("Request was throttled. Expected available in {secs} {unit}."),
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            return r;
        }
        Some(Fault::ServerError(code)) => {
            c.faults.fetch_add(1, AtomicOrdering::Relaxed);
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut r = Response::new(Body::from(format!(
                "<html><body><h1>{} {}</h1></body></html>",
                status.as_u16(),
                status.canonical_reason().unwrap_or("Error")
            )));
            *r.status_mut() = status;
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            return r;
        }
        _ => {}
    }
    let response = route(&st, &method, &uri, &headers, &body);
    if decision.fault == Some(Fault::Drop) {
        c.faults.fetch_add(1, AtomicOrdering::Relaxed);
        c.dropped.fetch_add(1, AtomicOrdering::Relaxed);
        return truncate(response).await;
    }
    let cfg = st.faults.config();
    if cfg.drip_ms > 0 {
        return drip(response, cfg.drip_ms, cfg.drip_bytes).await;
    }
    response
}

/// Sends the body `chunk` bytes at a time, `ms` milliseconds apart (a drip-fed response that
/// never trips a read timeout).
async fn drip(response: Response, ms: u64, chunk: u64) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let chunk = usize::try_from(chunk.max(1)).unwrap_or(16);
    let stream = futures::stream::unfold(0usize, move |at| {
        let bytes = bytes.clone();
        async move {
            if at >= bytes.len() {
                return None;
            }
            if at > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            }
            let end = (at + chunk).min(bytes.len());
            Some((Ok::<Bytes, std::io::Error>(bytes.slice(at..end)), end))
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// `recs` after `n` drifts: the records at positions `pos..pos + n` deleted, `n` new records
/// (copies of the last one under the next free ids) appended.
fn drifted(recs: &[Rec], pos: usize, n: usize) -> Vec<Rec> {
    let Some(last) = recs.last() else {
        return Vec::new();
    };
    let mut out: Vec<Rec> = recs
        .iter()
        .enumerate()
        .filter(|(i, _)| *i < pos || *i >= pos + n)
        .map(|(_, r)| r.clone())
        .collect();
    for k in 1..=n {
        let mut v = last.value.clone();
        if let Some(o) = v.as_object_mut() {
            o.insert("id".into(), json!(last.id + k as i64));
        }
        if let Some(r) = Rec::from_value(v) {
            out.push(r);
        }
    }
    out
}

/// Sends the headers and about half of the body, then fails the connection.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(_) => Bytes::new(),
    };
    let half = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(half),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "sandbox fault: connection dropped",
        )),
    ];
    Response::from_parts(parts, Body::from_stream(futures::stream::iter(chunks)))
}

fn route(st: &AppState, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Response {
    let path = uri.path();
    let Some(rest) = path.strip_prefix("/api/") else {
        return not_found();
    };
    // Django APPEND_SLASH: GET without the slash is redirected; other methods cannot be.
    if !path.ends_with('/') {
        if *method == Method::GET || *method == Method::HEAD {
            let location = match uri.query() {
                Some(q) => format!("{path}/?{q}"),
                None => format!("{path}/"),
            };
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::MOVED_PERMANENTLY;
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            return r;
        }
        return not_found();
    }
    // Auth.
    match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        None => {
            return detail(
                StatusCode::FORBIDDEN,
                "Authentication credentials were not provided.",
            );
        }
        Some(v) => match v.strip_prefix("Api-Key ") {
            Some(k) if k.trim() == st.key => {}
            Some(_) => return detail(StatusCode::FORBIDDEN, "Invalid API Key."),
            None => {
                return detail(
                    StatusCode::FORBIDDEN,
                    "Authentication credentials were not provided.",
                );
            }
        },
    }
    let segs: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let params = parse_query(uri);
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let ds = &st.ds;
    let get_only = |f: &dyn Fn() -> Response| {
        if *method == Method::GET {
            f()
        } else {
            method_not_allowed(method)
        }
    };
    match segs.as_slice() {
        ["investments"] => get_only(&|| {
            list(
                st,
                &query::INVESTMENTS,
                &ds.investments,
                host,
                path,
                &params,
            )
        }),
        ["investments", "statuses"] => get_only(&statuses),
        ["investments", "summary"] => get_only(&|| summary(st, &params)),
        ["investments", "values"] => {
            get_only(&|| values(&query::INVESTMENTS, &ds.investments, &params))
        }
        ["investments", id] => get_only(&|| detail_of(&ds.investments, id)),
        ["investors"] => {
            get_only(&|| list(st, &query::INVESTORS, &ds.investors, host, path, &params))
        }
        ["investors", "values"] => get_only(&|| values(&query::INVESTORS, &ds.investors, &params)),
        ["investors", id] => get_only(&|| detail_of(&ds.investors, id)),
        ["offerings"] => {
            get_only(&|| list(st, &query::OFFERINGS, &ds.offerings, host, path, &params))
        }
        ["offerings", id] => get_only(&|| detail_of(&ds.offerings, id)),
        ["users"] => match *method {
            Method::GET => {
                let users = read_users(st);
                list(st, &query::USERS, &users, host, path, &params)
            }
            Method::POST => create_user(st, body),
            _ => method_not_allowed(method),
        },
        ["users", id] => match *method {
            Method::GET => detail_of(&read_users(st), id),
            Method::PATCH => update_user(st, id, body),
            _ => method_not_allowed(method),
        },
        _ => not_found(),
    }
}

fn read_users(st: &AppState) -> Arc<Vec<Rec>> {
    match st.users.read() {
        Ok(g) => Arc::clone(&g),
        Err(p) => Arc::clone(&p.into_inner()),
    }
}

fn detail_of(recs: &[Rec], id: &str) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    match recs.binary_search_by_key(&id, |r| r.id) {
        Ok(i) => json_response(StatusCode::OK, recs[i].bytes.clone()),
        Err(_) => not_found(),
    }
}

/// Applies filters and search; returns indices in id order.
fn select(
    schema: &Schema,
    recs: &[Rec],
    params: &[(String, String)],
) -> Result<Vec<usize>, Response> {
    let filters =
        query::compile(schema, params).map_err(|e| field_errors(&[(&e.field, &e.message)]))?;
    let terms: Vec<String> = param(params, "search")
        .map(|s| s.split_whitespace().map(str::to_lowercase).collect())
        .unwrap_or_default();
    if filters.is_empty() && terms.is_empty() {
        // Nothing to test per record: every page of an unfiltered list is O(page), not O(N).
        return Ok((0..recs.len()).collect());
    }
    Ok((0..recs.len())
        .filter(|&i| {
            filters.iter().all(|f| f.matches(&recs[i]))
                && (terms.is_empty() || query::search_matches(schema, &recs[i], &terms))
        })
        .collect())
}

/// `http://host/path?<params with page replaced>` with keys sorted, as DRF's replace_query_param.
fn page_link(host: &str, path: &str, params: &[(String, String)], page: Option<usize>) -> String {
    let mut kept: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "page")
        .cloned()
        .collect();
    if let Some(p) = page {
        kept.push(("page".into(), p.to_string()));
    }
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in &kept {
        ser.append_pair(k, v);
    }
    let q = ser.finish();
    if q.is_empty() {
        format!("http://{host}{path}")
    } else {
        format!("http://{host}{path}?{q}")
    }
}

fn list(
    st: &AppState,
    schema: &Schema,
    recs: &[Rec],
    host: &str,
    path: &str,
    params: &[(String, String)],
) -> Response {
    // Misbehaviour of the investors list (fault injection).
    let faults = st.faults.config();
    let investors = std::ptr::eq(schema, &query::INVESTORS);
    let moved: Vec<Rec>;
    let recs = if investors && faults.drift_after > 0 {
        match st.faults.investors_page_drifts() {
            0 => recs,
            n => {
                moved = drifted(
                    recs,
                    usize::try_from(faults.drift_pos).unwrap_or(0),
                    usize::try_from(n).unwrap_or(1),
                );
                &moved
            }
        }
    } else {
        recs
    };
    let mut idx = match select(schema, recs, params) {
        Ok(i) => i,
        Err(r) => return r,
    };
    if let Some(o) = param(params, "ordering") {
        query::order(schema, recs, &mut idx, o);
    }
    let size = param(params, "page_size")
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .map(|n| n.min(st.max_page_size))
        .unwrap_or(st.default_page_size);
    let count = idx.len();
    let pages = count.div_ceil(size).max(1);
    let page = match param(params, "page") {
        None => 1,
        Some("last") => pages,
        Some(p) => match p.parse::<usize>() {
            Ok(n) if n >= 1 && n <= pages => n,
            _ => return detail(StatusCode::NOT_FOUND, "Invalid page."),
        },
    };
    let start = (page - 1) * size;
    let mut end = (start + size).min(count);
    let mut next = (page < pages).then(|| page_link(host, path, params, Some(page + 1)));
    if investors && faults.empty_page == page as u64 {
        end = start;
        next = Some(page_link(host, path, params, Some(page + 1)));
    }
    if investors && faults.self_next == page as u64 {
        next = Some(page_link(host, path, params, Some(page)));
    }
    let previous = match page {
        1 => None,
        2 => Some(page_link(host, path, params, None)),
        p => Some(page_link(host, path, params, Some(p - 1))),
    };
    let mut out = Vec::with_capacity(
        64 + idx[start..end]
            .iter()
            .map(|&i| recs[i].bytes.len() + 1)
            .sum::<usize>(),
    );
    if faults.no_count {
        out.extend_from_slice(b"{\"count\":null,\"next\":");
    } else {
        out.extend_from_slice(format!("{{\"count\":{count},\"next\":").as_bytes());
    }
    out.extend_from_slice(Value::from(next).to_string().as_bytes());
    out.extend_from_slice(b",\"previous\":");
    out.extend_from_slice(Value::from(previous).to_string().as_bytes());
    out.extend_from_slice(b",\"results\":[");
    for (n, &i) in idx[start..end].iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&recs[i].bytes);
    }
    out.extend_from_slice(b"]}");
    json_response(StatusCode::OK, out)
}

const STATUSES: &[(&str, &str)] = &[
    ("started", "Started"),
    ("not_received", "Not Received"),
    ("payment_failed", "Payment Failed"),
    ("received", "Received"),
    ("cancelled", "Cancelled"),
    ("refunded", "Refunded"),
    ("invested", "Invested"),
    ("approved", "Approved"),
    ("not_approved", "Not Approved"),
    ("accepted", "Accepted"),
    ("accepted_escrow_closed", "Accepted Escrow Closed"),
];

fn statuses() -> Response {
    let list: Vec<Value> = STATUSES
        .iter()
        .map(|(v, l)| json!({"value": v, "label": l}))
        .collect();
    json_response(
        StatusCode::OK,
        json!({"data": {"statuses": list}, "success": true, "message": ""}).to_string(),
    )
}

fn dec_of(v: Option<&Value>) -> Decimal {
    match v {
        Some(Value::String(s)) => s.parse().unwrap_or_default(),
        Some(Value::Number(n)) => n.to_string().parse().unwrap_or_default(),
        _ => Decimal::ZERO,
    }
}

fn date_of(rec: &Rec, field: &str) -> Option<chrono::NaiveDate> {
    let v = rec
        .value
        .get(field)
        .or_else(|| rec.hidden.get(field))?
        .as_str()?;
    chrono::DateTime::parse_from_rfc3339(v)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc).date_naive())
}

/// `/api/investments/summary/` with the sandbox's semantics (the platform's are undocumented):
/// committed = every status except cancelled/refunded/payment_failed/not_approved; received =
/// funds taken (received and later); invested = invested and later. "Today" is the last day
/// before `dataset.json`'s `snapshot_time` (dated by created_at/received_at/invested_at).
fn summary(st: &AppState, params: &[(String, String)]) -> Response {
    let recs = &st.ds.investments;
    let idx = match select(&query::INVESTMENTS, recs, params) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let status = |r: &Rec| {
        r.value
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let committed = |s: &str| {
        !matches!(
            s,
            "cancelled" | "refunded" | "payment_failed" | "not_approved"
        )
    };
    let received = |s: &str| {
        matches!(
            s,
            "received" | "invested" | "approved" | "accepted" | "accepted_escrow_closed"
        )
    };
    let invested = |s: &str| {
        matches!(
            s,
            "invested" | "approved" | "accepted" | "accepted_escrow_closed"
        )
    };
    let today = st.ds.today;
    let agg = |pred: &dyn Fn(&Rec) -> bool| -> Value {
        let mut amount = Decimal::ZERO;
        let mut count = 0u64;
        let mut investors = std::collections::BTreeSet::new();
        for &i in &idx {
            let r = &recs[i];
            if pred(r) {
                amount += dec_of(r.value.get("amount"));
                count += 1;
                if let Some(inv) = r
                    .value
                    .get("investor")
                    .and_then(|v| v.get("id").or(Some(v)))
                    .and_then(Value::as_i64)
                {
                    investors.insert(inv);
                }
            }
        }
        let amount: Value =
            serde_json::from_str(&amount.normalize().to_string()).unwrap_or(Value::Null);
        json!({"amount": amount, "count": count, "investor_count": investors.len()})
    };
    let on_today = |r: &Rec, f: &str| today.is_some() && date_of(r, f) == today;
    let body = json!({
        "total_amount_committed": agg(&|r| committed(&status(r))),
        "total_amount_committed_today": agg(&|r| committed(&status(r)) && on_today(r, "created_at")),
        "total_amount_received": agg(&|r| received(&status(r))),
        "total_amount_received_today": agg(&|r| received(&status(r)) && on_today(r, "received_at")),
        "total_amount_invested": agg(&|r| invested(&status(r))),
        "total_amount_invested_today": agg(&|r| invested(&status(r)) && on_today(r, "invested_at")),
    });
    json_response(StatusCode::OK, body.to_string())
}

fn values(schema: &Schema, recs: &[Rec], params: &[(String, String)]) -> Response {
    let Some(fields) = param(params, "field").filter(|f| !f.trim().is_empty()) else {
        return field_errors(&[("field", "This field is required.")]);
    };
    let fields: Vec<(&str, Vec<String>)> = fields
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| (f, f.split("__").map(str::to_string).collect()))
        .collect();
    let idx = match select(schema, recs, params) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let list: Vec<Value> = idx
        .iter()
        .map(|&i| {
            let mut m = Map::new();
            for (name, path) in &fields {
                m.insert(
                    (*name).to_string(),
                    query::resolve(&recs[i], path)
                        .cloned()
                        .unwrap_or(Value::Null),
                );
            }
            Value::Object(m)
        })
        .collect();
    let n = list.len();
    json_response(
        StatusCode::OK,
        json!({"data": {"values": list, "count": n}, "success": true, "message": ""}).to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::page_link;
    use super::users::valid_email;

    #[test]
    fn email_validation() {
        assert!(valid_email("ana@example.com"));
        assert!(valid_email("a.b+c@mail.example.co"));
        assert!(!valid_email("not-an-email"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email("a b@example.com"));
        assert!(!valid_email("@example.com"));
    }

    #[test]
    fn page_links_keep_params_sorted() {
        let params = vec![
            ("status".to_string(), "received".to_string()),
            ("page_size".to_string(), "2".to_string()),
        ];
        assert_eq!(
            page_link("127.0.0.1:9", "/api/investments/", &params, Some(3)),
            "http://127.0.0.1:9/api/investments/?page=3&page_size=2&status=received"
        );
        assert_eq!(
            page_link("h", "/api/x/", &[("search".into(), "a b,c".into())], None),
            "http://h/api/x/?search=a+b%2Cc"
        );
    }
}
