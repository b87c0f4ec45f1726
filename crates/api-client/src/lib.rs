//! # tieout-api
//!
//! Client for the Issuance Issuer API (Django REST Framework, `Authorization: Api-Key <key>`):
//! typed models of every documented field ([`models`]), typed query builders with django-filter
//! lookups ([`query`]), paginated record streams with bounded parallel page fetches, retries with
//! backoff and jitter ([`Client`]), and snapshots ([`snapshot`]): `pull` to JSONL files with a
//! manifest, `load_book` back into [`tieout_domain::Book`].
//!
//! Invariants: the key ([`ApiKey`]) never appears in `Debug`/`Display` or errors and is only
//! sent over https or to loopback; `next` links are only followed on the base URL's host; GET is
//! retried, POST/PATCH are not.

pub mod bookfile;
pub mod client;
pub mod error;
pub mod key;
pub mod models;
pub mod money;
pub mod query;
pub mod snapshot;

pub use client::{Client, ClientConfig, DEFAULT_BASE_URL, Page, Record, RetryPolicy};
pub use error::ApiError;
pub use key::{ApiKey, DEFAULT_KEY_VAR, KeyError};
pub use query::{InvestmentQuery, InvestorQuery, OfferingQuery, Params, UserQuery};
