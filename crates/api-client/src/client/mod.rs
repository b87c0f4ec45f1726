//! The HTTP client: auth, URL safety, retries, pagination streams, and one method per endpoint.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use url::Url;

use crate::error::ApiError;
use crate::key::ApiKey;
use crate::models::{
    Envelope, Investment, InvestmentValues, Investor, InvestorValues, Offering, StatusesData,
    Summary, User, UserWrite, ValuesData,
};
use crate::query::{InvestmentQuery, InvestorQuery, OfferingQuery, Params, UserQuery};

mod pages;
use pages::fuse_on_error;

/// Production base URL of the Issuer API.
pub const DEFAULT_BASE_URL: &str = "https://api.issuance.com";

/// Retry behaviour for idempotent requests (GET).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total (1 = no retry).
    pub max_attempts: u32,
    /// First backoff delay; doubles per attempt.
    pub base_delay: Duration,
    /// Largest backoff delay.
    pub max_delay: Duration,
    /// Largest `Retry-After` honoured: a longer wait asked by the server is cut to this, with a
    /// warning saying so.
    pub max_retry_after: Duration,
    /// Seed of the jitter sequence.
    pub jitter_seed: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(30),
            jitter_seed: 0x7E0_u64.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        }
    }
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API base URL (scheme, host, optional port and path prefix), e.g. [`DEFAULT_BASE_URL`].
    pub base_url: String,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Timeout between reads of a response.
    pub read_timeout: Duration,
    /// Deadline of one request attempt, from connecting to the last byte of the body (a
    /// drip-fed body fails here, then is retried like any cut body).
    pub request_timeout: Duration,
    /// An HTTPS proxy, used only for `https://` targets and only when set (the proxy
    /// environment variables are never read by the client itself). Requests to plain `http://`
    /// (loopback) never go through a proxy.
    pub proxy: Option<String>,
    /// Most pages one list walk may fetch before it fails (a server whose `next` never ends).
    pub max_pages: u64,
    /// Retries for GET.
    pub retry: RetryPolicy,
    /// Pages fetched at once when the total count is known (1 = strictly follow `next`).
    pub concurrency: usize,
    /// `User-Agent` header.
    pub user_agent: String,
}

impl ClientConfig {
    /// Defaults for `base_url`: 10 s connect, 60 s read timeouts, 120 s per request attempt,
    /// 6 attempts, 4 pages at once, no proxy, at most 200,000 pages per list.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(120),
            proxy: None,
            max_pages: 200_000,
            retry: RetryPolicy::default(),
            concurrency: 4,
            user_agent: concat!("tieout/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self::new(DEFAULT_BASE_URL)
    }
}

/// A record as received: the typed value and the exact JSON the server sent.
#[derive(Debug, Clone)]
pub struct Record<T> {
    /// The typed view.
    pub value: T,
    /// The JSON object as sent (compact; re-serialised only if the server sent line breaks).
    pub raw: Box<RawValue>,
}

/// One page of a list endpoint, with its records still raw.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL fetched.
    pub url: String,
    /// Total number of records matching the query, when the server says.
    pub count: Option<u64>,
    /// Next page link.
    pub next: Option<String>,
    /// Previous page link.
    pub previous: Option<String>,
    /// The records, as sent.
    pub results: Vec<Box<RawValue>>,
}

#[derive(Deserialize)]
struct PageDe {
    count: Option<u64>,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<Box<RawValue>>,
}

/// Issuer API client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base: Url,
    key: ApiKey,
    cfg: ClientConfig,
    jitter: AtomicU64,
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `text` as a URL fit to show: without user info, query string or fragment (where a key
/// might hide).
pub fn redact_url_text(text: &str) -> String {
    let t = text.trim();
    let cut = t.find(['?', '#']).unwrap_or(t.len());
    let t = &t[..cut];
    let (scheme, rest) = match t.find("://") {
        Some(i) => (&t[..i + 3], &t[i + 3..]),
        None => ("", t),
    };
    let host_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(host_end);
    let authority = match authority.rfind('@') {
        Some(i) => &authority[i + 1..],
        None => authority,
    };
    let mut out: String = format!("{scheme}{authority}{path}")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if cut < text.trim().len() {
        out.push_str("?<removed>");
    }
    out
}

/// Checks that the key may be sent to `url`: https anywhere, plain http only to loopback.
pub fn check_url_safe(url: &Url) -> Result<(), ApiError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(ApiError::InsecureUrl {
            host: url.host_str().unwrap_or("").to_string(),
        }),
        other => Err(ApiError::InvalidUrl {
            url: url.to_string(),
            reason: format!("unsupported scheme `{other}`"),
        }),
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !msg.contains(&t) {
            msg.push_str(": ");
            msg.push_str(&t);
        }
        src = s.source();
    }
    msg
}

/// Seconds of a `Retry-After` header (delta-seconds form; HTTP dates are ignored).
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn detail_of(body: &[u8]) -> Option<String> {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(d) = v.get("detail").and_then(|d| d.as_str()) {
            return Some(d.to_string());
        }
        return Some(v.to_string().chars().take(300).collect());
    }
    let text = String::from_utf8_lossy(body);
    let t = text.trim();
    (!t.is_empty()).then(|| t.chars().take(200).collect())
}

/// Decodes JSON, reporting the failing path.
fn decode<T: DeserializeOwned>(url: &str, text: &str, prefix: &str) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let p = e.path().to_string();
        let path = match (prefix.is_empty(), p.as_str()) {
            (true, _) => p.clone(),
            (false, ".") => prefix.to_string(),
            (false, _) => format!("{prefix}.{p}"),
        };
        let message = crate::error::without_pii(&path, e.into_inner().to_string());
        ApiError::Decode {
            url: url.to_string(),
            path,
            message,
        }
    })
}

/// Whether `text` holds a line break. Scans in fixed-size blocks without an early exit per
/// byte, which the compiler vectorises (pages are large and nearly always single-line).
fn has_line_break(text: &str) -> bool {
    text.as_bytes().chunks(64).any(|c| {
        c.iter()
            .fold(false, |acc, &b| acc | (b == b'\n') | (b == b'\r'))
    })
}

/// Makes a record's raw JSON single-line (it is already, unless the server pretty-printed).
fn compact(raw: Box<RawValue>) -> Box<RawValue> {
    if !has_line_break(raw.get()) {
        return raw;
    }
    serde_json::from_str::<serde_json::Value>(raw.get())
        .ok()
        .and_then(|v| serde_json::value::to_raw_value(&v).ok())
        .unwrap_or(raw)
}

/// Decodes one raw record into its typed view.
pub fn decode_record<T: DeserializeOwned>(
    url: &str,
    index: usize,
    raw: Box<RawValue>,
) -> Result<Record<T>, ApiError> {
    let value = decode(url, raw.get(), &format!("results[{index}]"))?;
    Ok(Record { value, raw })
}

impl Client {
    /// A client for `base_url` with default settings.
    pub fn new(base_url: &str, key: ApiKey) -> Result<Self, ApiError> {
        Self::with_config(ClientConfig::new(base_url), key)
    }

    /// A client with explicit settings. Refuses plain http to anything but loopback, and any
    /// URL carrying credentials, a query string or a fragment (where a key might hide); such a
    /// URL is never echoed back.
    pub fn with_config(cfg: ClientConfig, key: ApiKey) -> Result<Self, ApiError> {
        let shown = redact_url_text(&cfg.base_url);
        let base = Url::parse(cfg.base_url.trim()).map_err(|e| ApiError::InvalidUrl {
            url: shown.clone(),
            reason: e.to_string(),
        })?;
        if base.cannot_be_a_base() || base.host().is_none() {
            return Err(ApiError::InvalidUrl {
                url: shown,
                reason: "no host".into(),
            });
        }
        if !base.username().is_empty() || base.password().is_some() {
            return Err(ApiError::InvalidUrl {
                url: shown,
                reason: "credentials in the URL are not allowed; use the API key".into(),
            });
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(ApiError::InvalidUrl {
                url: shown,
                reason: "a query string or fragment in the API URL is not allowed (a key never goes in a URL; put it in the environment variable)".into(),
            });
        }
        check_url_safe(&base)?;
        let proxy = match &cfg.proxy {
            None => None,
            Some(p) => {
                let shown = redact_url_text(p);
                let u = Url::parse(p.trim()).map_err(|e| ApiError::InvalidUrl {
                    url: shown.clone(),
                    reason: format!("proxy: {e}"),
                })?;
                if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
                    return Err(ApiError::InvalidUrl {
                        url: shown,
                        reason: "proxy: an http(s) proxy URL with a host is expected".into(),
                    });
                }
                // Only https targets go through it: the proxy sees a CONNECT tunnel, never
                // the key. Plain-http (loopback) requests always go direct.
                Some(
                    reqwest::Proxy::https(u.as_str())
                        .map_err(|e| ApiError::Client(format!("proxy {shown}: {e}")))?,
                )
            }
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let redirect = reqwest::redirect::Policy::custom(|attempt| {
            let same = attempt
                .previous()
                .first()
                .map(|u| u.host_str() == attempt.url().host_str())
                .unwrap_or(false);
            if same && attempt.previous().len() < 5 && check_url_safe(attempt.url()).is_ok() {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        // Never the proxy environment variables: `HTTP_PROXY` would otherwise receive the key
        // in plain text for an `http://` loopback target.
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(cfg.connect_timeout)
            .read_timeout(cfg.read_timeout)
            .timeout(cfg.request_timeout)
            .user_agent(cfg.user_agent.clone())
            .redirect(redirect);
        if let Some(p) = proxy {
            builder = builder.proxy(p);
        }
        let http = builder
            .build()
            .map_err(|e| ApiError::Client(error_chain(&e)))?;
        let jitter = AtomicU64::new(cfg.retry.jitter_seed);
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base,
                key,
                cfg,
                jitter,
            }),
        })
    }

    /// The base URL (never contains credentials).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The URL of an API path (e.g. `/api/investments/`) with a query.
    pub fn url(&self, path: &str, params: &Params) -> Url {
        let mut u = self.inner.base.clone();
        let prefix = u.path().trim_end_matches('/').to_string();
        u.set_path(&format!("{prefix}{path}"));
        let q = params.to_query_string();
        u.set_query(if q.is_empty() { None } else { Some(&q) });
        u
    }

    /// Resolves a `next` link: same host only; sent with the base URL's scheme and port (so an
    /// `http://` link behind a TLS-terminating proxy is fetched over https).
    pub fn follow_link(&self, link: &str) -> Result<Url, ApiError> {
        let base = &self.inner.base;
        let n = base.join(link).map_err(|e| ApiError::InvalidUrl {
            url: link.to_string(),
            reason: e.to_string(),
        })?;
        let (got, expected) = (n.host_str().unwrap_or(""), base.host_str().unwrap_or(""));
        if !got.eq_ignore_ascii_case(expected) {
            return Err(ApiError::ForeignNext {
                got: got.to_string(),
                expected: expected.to_string(),
            });
        }
        let mut u = base.clone();
        u.set_path(n.path());
        u.set_query(n.query());
        Ok(u)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let p = &self.inner.cfg.retry;
        let exp = p
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let cap = exp.min(p.max_delay);
        // splitmix64 step: seeded jitter in [cap/2, cap].
        let mut z = self
            .inner
            .jitter
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let frac = (z >> 11) as f64 / (1u64 << 53) as f64;
        cap.mul_f64(0.5 + 0.5 * frac)
    }

    /// Sends one request (with retries when `idempotent`) and returns status and body.
    async fn send(
        &self,
        method: Method,
        url: &Url,
        body: Option<Vec<u8>>,
    ) -> Result<(StatusCode, Vec<u8>), ApiError> {
        check_url_safe(url)?;
        let idempotent = method == Method::GET;
        let policy = &self.inner.cfg.retry;
        let max = policy.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= max;
            let mut req = self
                .inner
                .http
                .request(method.clone(), url.clone())
                .header(AUTHORIZATION, self.inner.key.header_value())
                .header(ACCEPT, "application/json");
            if let Some(b) = &body {
                req = req.header(CONTENT_TYPE, "application/json").body(b.clone());
            }
            let transport = |e: reqwest::Error, attempt: u32| ApiError::Transport {
                url: url.to_string(),
                attempts: attempt,
                message: self.inner.key.scrub(&error_chain(&e)),
                timeout: e.is_timeout(),
            };
            match req.send().await {
                Err(e) => {
                    // Only a failed connect proves a non-idempotent request was never sent.
                    let retryable = if idempotent {
                        !e.is_builder() && !e.is_redirect()
                    } else {
                        e.is_connect()
                    };
                    if retryable && !last {
                        tracing::debug!(url = %url, attempt, error = %error_chain(&e), "retrying");
                        tokio::time::sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    return Err(transport(e, attempt));
                }
                Ok(resp) => {
                    let status = resp.status();
                    if idempotent && !last && matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
                    {
                        let wait = resp
                            .headers()
                            .get(RETRY_AFTER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(parse_retry_after)
                            .map(|d| {
                                if d > policy.max_retry_after {
                                    tracing::warn!(
                                        "the API asked to wait {} s before retrying {}; waiting {} s (the most this client waits)",
                                        d.as_secs(),
                                        url.path(),
                                        policy.max_retry_after.as_secs()
                                    );
                                }
                                d.min(policy.max_retry_after)
                            })
                            .unwrap_or_else(|| self.backoff(attempt));
                        tracing::debug!(url = %url, attempt, status = status.as_u16(), "retrying");
                        drop(resp);
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    match resp.bytes().await {
                        Ok(b) => return Ok((status, b.to_vec())),
                        Err(e) => {
                            if idempotent && !last {
                                tracing::debug!(url = %url, attempt, error = %error_chain(&e), "body cut; retrying");
                                tokio::time::sleep(self.backoff(attempt)).await;
                                continue;
                            }
                            return Err(transport(e, attempt));
                        }
                    }
                }
            }
        }
    }

    /// Maps a non-success response to an error.
    fn status_error(&self, url: &Url, status: StatusCode, body: &[u8]) -> ApiError {
        let detail = detail_of(body).map(|d| self.inner.key.scrub(&d));
        match status.as_u16() {
            401 | 403 => ApiError::KeyRefused {
                status: status.as_u16(),
                detail,
            },
            404 => ApiError::NotFound {
                url: url.to_string(),
                detail,
            },
            400 => ApiError::Validation {
                url: url.to_string(),
                body: serde_json::from_slice(body)
                    .unwrap_or_else(|_| serde_json::Value::String(detail.unwrap_or_default())),
            },
            s => ApiError::Status {
                status: s,
                url: url.to_string(),
                detail,
                attempts: if self.is_retryable_status(s) {
                    self.inner.cfg.retry.max_attempts.max(1)
                } else {
                    1
                },
            },
        }
    }

    fn is_retryable_status(&self, s: u16) -> bool {
        matches!(s, 429 | 500 | 502 | 503 | 504)
    }

    /// GET returning the body text of a 2xx response.
    async fn get_text(&self, url: &Url) -> Result<String, ApiError> {
        let (status, body) = self.send(Method::GET, url, None).await?;
        if !status.is_success() {
            return Err(self.status_error(url, status, &body));
        }
        String::from_utf8(body).map_err(|e| ApiError::Decode {
            url: url.to_string(),
            path: ".".into(),
            message: e.to_string(),
        })
    }

    async fn get_json<T: DeserializeOwned>(&self, url: &Url) -> Result<T, ApiError> {
        let text = self.get_text(url).await?;
        decode(url.as_str(), &text, "")
    }

    async fn get_record<T: DeserializeOwned>(&self, url: &Url) -> Result<Record<T>, ApiError> {
        let text = self.get_text(url).await?;
        let raw: Box<RawValue> = decode(url.as_str(), &text, "")?;
        let raw = compact(raw);
        let value = decode(url.as_str(), raw.get(), "")?;
        Ok(Record { value, raw })
    }

    /// Every record of a list endpoint, raw, in server order.
    pub fn list_raw(
        &self,
        path: &str,
        params: &Params,
    ) -> BoxStream<'static, Result<Box<RawValue>, ApiError>> {
        self.pages(path, params)
            .map_ok(|p| stream::iter(p.results.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// Every record of a list endpoint, typed (with raw JSON), in server order.
    pub fn list<T: DeserializeOwned + Send + 'static>(
        &self,
        path: &str,
        params: &Params,
    ) -> BoxStream<'static, Result<Record<T>, ApiError>> {
        let s = self
            .pages(path, params)
            .map_ok(|p| {
                let url = p.url;
                stream::iter(
                    p.results
                        .into_iter()
                        .enumerate()
                        .map(move |(i, raw)| decode_record::<T>(&url, i, raw)),
                )
            })
            .try_flatten()
            .boxed();
        fuse_on_error(s)
    }

    // ---- investments ----

    /// `GET /api/investments/`.
    pub fn investments(
        &self,
        q: &InvestmentQuery,
    ) -> BoxStream<'static, Result<Record<Investment>, ApiError>> {
        self.list(INVESTMENTS, q.params())
    }

    /// `GET /api/investments/{id}/`.
    pub async fn investment(&self, id: i64) -> Result<Record<Investment>, ApiError> {
        self.get_record(&self.url(&format!("{INVESTMENTS}{id}/"), &Params::default()))
            .await
    }

    /// `GET /api/investments/statuses/`.
    pub async fn investment_statuses(&self) -> Result<Envelope<StatusesData>, ApiError> {
        self.get_json(&self.url(&format!("{INVESTMENTS}statuses/"), &Params::default()))
            .await
    }

    /// `GET /api/investments/summary/` with the investments filters.
    pub async fn investment_summary(&self, q: &InvestmentQuery) -> Result<Summary, ApiError> {
        self.get_json(&self.url(&format!("{INVESTMENTS}summary/"), q.params()))
            .await
    }

    /// `GET /api/investments/values/?field=a,b` with the investments filters.
    pub async fn investment_values(
        &self,
        fields: &[&str],
        q: &InvestmentQuery,
    ) -> Result<Envelope<ValuesData<InvestmentValues>>, ApiError> {
        let q = q.clone().param("field", fields.join(","));
        self.get_json(&self.url(&format!("{INVESTMENTS}values/"), q.params()))
            .await
    }

    // ---- investors ----

    /// `GET /api/investors/`.
    pub fn investors(
        &self,
        q: &InvestorQuery,
    ) -> BoxStream<'static, Result<Record<Investor>, ApiError>> {
        self.list(INVESTORS, q.params())
    }

    /// `GET /api/investors/{id}/`.
    pub async fn investor(&self, id: i64) -> Result<Record<Investor>, ApiError> {
        self.get_record(&self.url(&format!("{INVESTORS}{id}/"), &Params::default()))
            .await
    }

    /// `GET /api/investors/values/?field=a,b`.
    pub async fn investor_values(
        &self,
        fields: &[&str],
        q: &InvestorQuery,
    ) -> Result<Envelope<ValuesData<InvestorValues>>, ApiError> {
        let q = q.clone().param("field", fields.join(","));
        self.get_json(&self.url(&format!("{INVESTORS}values/"), q.params()))
            .await
    }

    // ---- offerings ----

    /// `GET /api/offerings/`.
    pub fn offerings(
        &self,
        q: &OfferingQuery,
    ) -> BoxStream<'static, Result<Record<Offering>, ApiError>> {
        self.list(OFFERINGS, q.params())
    }

    /// `GET /api/offerings/{id}/`.
    pub async fn offering(&self, id: i64) -> Result<Record<Offering>, ApiError> {
        self.get_record(&self.url(&format!("{OFFERINGS}{id}/"), &Params::default()))
            .await
    }

    // ---- users ----

    /// `GET /api/users/`.
    pub fn users(&self, q: &UserQuery) -> BoxStream<'static, Result<Record<User>, ApiError>> {
        self.list(USERS, q.params())
    }

    /// `GET /api/users/{id}/`.
    pub async fn user(&self, id: i64) -> Result<Record<User>, ApiError> {
        self.get_record(&self.url(&format!("{USERS}{id}/"), &Params::default()))
            .await
    }

    async fn write_user(
        &self,
        method: Method,
        url: Url,
        body: &UserWrite,
    ) -> Result<Record<User>, ApiError> {
        let bytes = serde_json::to_vec(body).map_err(|e| ApiError::Client(e.to_string()))?;
        let (status, resp) = self.send(method, &url, Some(bytes)).await?;
        if !status.is_success() {
            return Err(self.status_error(&url, status, &resp));
        }
        let text = String::from_utf8(resp).map_err(|e| ApiError::Decode {
            url: url.to_string(),
            path: ".".into(),
            message: e.to_string(),
        })?;
        let raw: Box<RawValue> = decode(url.as_str(), &text, "")?;
        let value = decode(url.as_str(), raw.get(), "")?;
        Ok(Record {
            value,
            raw: compact(raw),
        })
    }

    /// `POST /api/users/` (never retried once sent).
    pub async fn create_user(&self, email: &str, password: &str) -> Result<Record<User>, ApiError> {
        let body = UserWrite {
            email: Some(email.to_string()),
            password: Some(password.to_string()),
        };
        self.write_user(Method::POST, self.url(USERS, &Params::default()), &body)
            .await
    }

    /// `PATCH /api/users/{id}/` (never retried once sent).
    pub async fn update_user(&self, id: i64, patch: &UserWrite) -> Result<Record<User>, ApiError> {
        self.write_user(
            Method::PATCH,
            self.url(&format!("{USERS}{id}/"), &Params::default()),
            patch,
        )
        .await
    }
}

/// Path of the investments endpoint.
pub const INVESTMENTS: &str = "/api/investments/";
/// Path of the investors endpoint.
pub const INVESTORS: &str = "/api/investors/";
/// Path of the offerings endpoint.
pub const OFFERINGS: &str = "/api/offerings/";
/// Path of the users endpoint.
pub const USERS: &str = "/api/users/";

#[cfg(test)]
mod tests {
    use super::pages::with_page;
    use super::*;

    fn key() -> ApiKey {
        ApiKey::new("SECRET-KEY-42").unwrap()
    }

    #[test]
    fn refuses_plain_http_except_loopback() {
        for ok in [
            "https://api.issuance.com",
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
            "http://127.3.4.5",
        ] {
            Client::new(ok, key()).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "http://api.issuance.com",
            "http://10.0.0.1",
            "http://localhost.evil.com",
        ] {
            let e = Client::new(bad, key()).unwrap_err();
            assert!(matches!(e, ApiError::InsecureUrl { .. }), "{bad}: {e:?}");
            assert!(!e.to_string().contains("SECRET"));
        }
        assert!(matches!(
            Client::new("ftp://x.com", key()).unwrap_err(),
            ApiError::InvalidUrl { .. }
        ));
        assert!(matches!(
            Client::new("https://u:p@x.com", key()).unwrap_err(),
            ApiError::InvalidUrl { .. }
        ));
    }

    #[test]
    fn next_links_stay_on_the_same_host() {
        let c = Client::new("https://api.issuance.com", key()).unwrap();
        let u = c
            .follow_link("http://api.issuance.com/api/investments/?page=2&page_size=50")
            .unwrap();
        assert_eq!(
            u.as_str(),
            "https://api.issuance.com/api/investments/?page=2&page_size=50"
        );
        let u = c.follow_link("/api/investments/?page=3").unwrap();
        assert_eq!(
            u.as_str(),
            "https://api.issuance.com/api/investments/?page=3"
        );
        let e = c
            .follow_link("https://evil.example.com/api/investments/?page=2")
            .unwrap_err();
        assert!(matches!(e, ApiError::ForeignNext { .. }));
    }

    #[test]
    fn urls_keep_base_prefix_and_query() {
        let c = Client::new("https://h.example/v1/", key()).unwrap();
        let q = InvestmentQuery::new().offering(3).page_size(10);
        assert_eq!(
            c.url(INVESTMENTS, q.params()).as_str(),
            "https://h.example/v1/api/investments/?offering=3&page_size=10"
        );
        let u = with_page(
            &Url::parse("http://h/api/x/?page=2&status__in=a%2Cb").unwrap(),
            5,
        );
        assert_eq!(u.as_str(), "http://h/api/x/?status__in=a%2Cb&page=5");
    }

    #[test]
    fn line_breaks_are_found_anywhere() {
        assert!(!has_line_break(""));
        assert!(!has_line_break(&"x".repeat(200)));
        for at in [0, 63, 64, 65, 130, 199] {
            for br in ['\n', '\r'] {
                let mut s: Vec<char> = "x".repeat(200).chars().collect();
                s[at] = br;
                let s: String = s.into_iter().collect();
                assert!(has_line_break(&s), "{at} {br:?}");
            }
        }
        let raw = RawValue::from_string("{\n \"id\": 1\n}".to_string()).unwrap();
        assert_eq!(compact(raw).get(), r#"{"id":1}"#);
    }

    #[test]
    fn backoff_grows_with_jitter_and_cap() {
        let c = Client::new("https://h.example", key()).unwrap();
        let p = RetryPolicy::default();
        for attempt in 1..10 {
            let d = c.backoff(attempt);
            let cap = p
                .base_delay
                .saturating_mul(1 << (attempt - 1))
                .min(p.max_delay);
            assert!(d >= cap / 2 && d <= cap, "{attempt}: {d:?}");
        }
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn decode_errors_name_the_json_path() {
        let raw =
            RawValue::from_string(r#"{"id":5,"amount":"12e3","status":"brand_new"}"#.to_string())
                .unwrap();
        let e = decode_record::<Investment>("u", 3, raw).unwrap_err();
        match e {
            ApiError::Decode { path, message, .. } => {
                assert_eq!(path, "results[3].amount");
                assert!(message.contains("not a plain decimal"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let raw = RawValue::from_string(
            r#"{"id":5,"amount":"12.30","status":"brand_new","payment_method":"zelle","extra":1}"#
                .to_string(),
        )
        .unwrap();
        let r = decode_record::<Investment>("u", 0, raw).unwrap();
        assert_eq!(
            r.value.status,
            Some(tieout_domain::InvestmentStatus::Other("brand_new".into()))
        );
        assert_eq!(
            r.value.payment_method,
            Some(tieout_domain::PaymentMethod::Other("zelle".into()))
        );
        assert!(r.raw.get().contains("\"extra\":1"));
    }
}
