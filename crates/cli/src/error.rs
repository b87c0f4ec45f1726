//! The month-end run's errors: each names the file and what is wrong with it.

use tieout_api::snapshot::SnapshotError;
use tieout_domain::sanctions::{OverridesError, SdnError};
use tieout_reconcile::engine::{ReconError, TolerancesError};
use tieout_reconcile::load::LoadError;

use crate::config::ConfigError;

/// Why a run stopped. Bad input is named precisely (file and cause); nothing is written.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A decision file (or the carried decisions) cannot be read.
    #[error(transparent)]
    Decisions(#[from] tieout_reconcile::close::DecisionError),
    /// The configuration cannot run.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A file could not be read.
    #[error("reading {path}")]
    Read {
        /// The path.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A text input is not UTF-8.
    #[error("{path} is not UTF-8 text")]
    NotUtf8 {
        /// The path.
        path: String,
    },
    /// The snapshot could not be loaded.
    #[error("loading the snapshot {path}")]
    Snapshot {
        /// The snapshot directory.
        path: String,
        /// Cause.
        #[source]
        source: SnapshotError,
    },
    /// The bank profile is invalid.
    #[error("reading the bank profile {path}")]
    BankProfile {
        /// The path.
        path: String,
        /// Cause.
        #[source]
        source: toml::de::Error,
    },
    /// The platform profile is invalid.
    #[error("reading the platform profile {path}")]
    PlatformProfile {
        /// The path.
        path: String,
        /// Cause.
        #[source]
        source: tieout_reconcile::engine::money_model::ProfileError,
    },
    /// The open items file is invalid.
    #[error("reading the open items {path}")]
    OpenItems {
        /// The path.
        path: String,
        /// Cause.
        #[source]
        source: serde_json::Error,
    },
    /// The tolerances file is invalid.
    #[error("reading the tolerances {path}")]
    Tolerances {
        /// The path.
        path: String,
        /// Cause.
        #[source]
        source: TolerancesError,
    },
    /// A statement file could not be read as a whole.
    #[error("reading the statement {path}")]
    Statement {
        /// The path.
        path: String,
        /// Cause.
        #[source]
        source: LoadError,
    },
    /// A payout export could not be read as a whole.
    #[error("reading the payout export {path}")]
    Payouts {
        /// The path.
        path: String,
        /// Cause.
        #[source]
        source: LoadError,
    },
    /// The sanctions folder has no `sdn.csv`.
    #[error("{dir} has no sdn.csv (an OFAC SDN legacy CSV set is expected)")]
    NoSdn {
        /// The folder.
        dir: String,
    },
    /// The OFAC list could not be parsed.
    #[error("parsing the OFAC list in {dir}")]
    Sdn {
        /// The folder.
        dir: String,
        /// Cause.
        #[source]
        source: SdnError,
    },
    /// The overrides file is invalid.
    #[error("reading {path}")]
    Overrides {
        /// The path.
        path: String,
        /// Cause.
        #[source]
        source: OverridesError,
    },
    /// The engine failed.
    #[error("reconciling")]
    Reconcile(#[source] ReconError),
}
