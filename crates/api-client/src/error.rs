//! Errors of the API client. None of them ever contains the API key.

/// Everything that can go wrong talking to the Issuer API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The base URL does not parse or is not http(s).
    #[error("invalid API base URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why it is rejected.
        reason: String,
    },
    /// Refused to send the API key over plain HTTP to a non-loopback host.
    #[error(
        "refusing to send the API key over plain http to {host}: use https (plain http is only allowed to loopback)"
    )]
    InsecureUrl {
        /// The host.
        host: String,
    },
    /// A `next` link points at another host: the key is never sent there.
    #[error(
        "pagination link points to another host ({got}, expected {expected}); refusing to follow it"
    )]
    ForeignNext {
        /// Host of the link.
        got: String,
        /// Host of the base URL.
        expected: String,
    },
    /// The server refused the API key (401/403).
    #[error("the API key was refused (HTTP {status}){}", detail.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    KeyRefused {
        /// 401 or 403.
        status: u16,
        /// The API's `detail` text, when any.
        detail: Option<String>,
    },
    /// 404 on a detail URL or past the last page.
    #[error("not found: {url}{}", detail.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    NotFound {
        /// The requested URL.
        url: String,
        /// The API's `detail` text, when any.
        detail: Option<String>,
    },
    /// A 400 with the API's validation errors (`{"field": ["message"]}`).
    #[error("the API rejected the request (HTTP 400) at {url}: {body}")]
    Validation {
        /// The requested URL.
        url: String,
        /// The error body as sent (field → messages).
        body: serde_json::Value,
    },
    /// Any other unsuccessful status (after retries, for retryable ones).
    #[error("HTTP {status} from {url} after {attempts} attempt(s){}", detail.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The requested URL.
        url: String,
        /// The API's `detail` text, or the start of a non-JSON body.
        detail: Option<String>,
        /// Attempts made.
        attempts: u32,
    },
    /// Network failure (connect, timeout, body cut) after retries.
    #[error("request to {url} failed after {attempts} attempt(s): {message}")]
    Transport {
        /// The requested URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// What failed.
        message: String,
        /// Whether the last failure was a timeout.
        timeout: bool,
    },
    /// The response body does not decode into the expected shape.
    #[error("cannot decode response from {url} at JSON path `{path}`: {message}")]
    Decode {
        /// The requested URL.
        url: String,
        /// The JSON path that failed (e.g. `results[3].amount`).
        path: String,
        /// The decoder's message.
        message: String,
    },
    /// Pages disagree with each other (the data changed during a parallel pull).
    #[error("inconsistent pagination at {url}: {reason}")]
    Inconsistent {
        /// The page URL.
        url: String,
        /// What did not add up.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build HTTP client: {0}")]
    Client(String),
}

impl ApiError {
    /// The HTTP status, when the error came from a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::KeyRefused { status, .. } | Self::Status { status, .. } => Some(*status),
            Self::NotFound { .. } => Some(404),
            Self::Validation { .. } => Some(400),
            _ => None,
        }
    }
}

/// JSON fields whose values are personal data: an error about one never quotes the value.
const PII_FIELDS: [&str; 3] = ["tax_id", "date_of_birth", "ssn"];

/// A decoder's `message` about the value at `json_path`, without the value when the field
/// holds personal data (serde quotes the offending value: a tax id typed as a number would
/// otherwise be printed whole).
pub(crate) fn without_pii(json_path: &str, message: String) -> String {
    if PII_FIELDS.iter().any(|f| json_path.contains(f)) {
        "unexpected type or format (the value is personal data and is not shown)".into()
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn personal_values_are_not_quoted() {
        let m = super::without_pii(
            "results[3].entity.tax_id_number",
            "invalid type: integer `123456789`, expected a string".into(),
        );
        assert!(!m.contains("123456789"), "{m}");
        let m = super::without_pii("results[3].amount", "bad `12e3`".into());
        assert_eq!(m, "bad `12e3`");
    }
}
