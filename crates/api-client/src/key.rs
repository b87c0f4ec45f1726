//! The API key, kept out of logs and error messages.

use std::fmt;

/// Default environment variable holding the Issuer API key.
pub const DEFAULT_KEY_VAR: &str = "ISSUANCE_API_KEY";

/// An Issuer API key. `Debug` and `Display` never show it; it only leaves this type as the
/// `Authorization` header (marked sensitive).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

/// Why an API key could not be obtained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The environment variable is not set (or not valid Unicode).
    #[error("environment variable {var} is not set; put the Issuer API key there")]
    Missing {
        /// The variable name.
        var: String,
    },
    /// The key is empty or contains characters that cannot go in an HTTP header.
    #[error("the API key {source_name} is empty or contains whitespace/control characters")]
    Malformed {
        /// Where the key came from (e.g. the variable name); never the key itself.
        source_name: String,
    },
}

impl ApiKey {
    /// Wraps a key. Rejects empty keys and keys with whitespace or control characters.
    pub fn new(key: impl Into<String>) -> Result<Self, KeyError> {
        Self::checked(key.into(), "value")
    }

    fn checked(key: String, source_name: &str) -> Result<Self, KeyError> {
        let key = key.trim().to_string();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_graphic()) {
            return Err(KeyError::Malformed {
                source_name: source_name.to_string(),
            });
        }
        Ok(Self(key))
    }

    /// Reads the key from environment variable `var` (see [`DEFAULT_KEY_VAR`]).
    pub fn from_env(var: &str) -> Result<Self, KeyError> {
        let v = std::env::var(var).map_err(|_| KeyError::Missing {
            var: var.to_string(),
        })?;
        Self::checked(v, var)
    }

    /// The `Authorization` header value, marked sensitive.
    pub(crate) fn header_value(&self) -> reqwest::header::HeaderValue {
        let mut v = reqwest::header::HeaderValue::from_str(&format!("Api-Key {}", self.0))
            .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static("Api-Key invalid"));
        v.set_sensitive(true);
        v
    }

    /// Whether `text` contains this key (used by tests and to scrub messages).
    pub(crate) fn appears_in(&self, text: &str) -> bool {
        text.contains(&self.0)
    }

    /// Replaces any occurrence of the key in `text` by `<redacted>`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        if self.appears_in(text) {
            text.replace(&self.0, "<redacted>")
        } else {
            text.to_string()
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let k = ApiKey::new("sk-live-SECRET123").unwrap();
        assert!(!format!("{k:?}").contains("SECRET123"));
        assert!(!format!("{k}").contains("SECRET123"));
        assert!(!format!("{:?}", Some(k.clone())).contains("SECRET123"));
        assert!(k.appears_in("x sk-live-SECRET123 y"));
        assert_eq!(k.scrub("a sk-live-SECRET123 b"), "a <redacted> b");
        assert!(k.header_value().is_sensitive());
    }

    #[test]
    fn rejects_bad_keys_without_echoing() {
        let e = ApiKey::new("has space SECRET").unwrap_err();
        assert!(!e.to_string().contains("SECRET"));
        assert!(ApiKey::new("").is_err());
        let e = ApiKey::from_env("TIEOUT_TEST_SURELY_UNSET_VAR_83").unwrap_err();
        assert_eq!(
            e,
            KeyError::Missing {
                var: "TIEOUT_TEST_SURELY_UNSET_VAR_83".into()
            }
        );
    }
}
