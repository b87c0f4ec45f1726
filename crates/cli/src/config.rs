//! The month-end run's configuration, validated once: what `tieout reconcile`'s arguments
//! describe, independent of the command line that gave them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tieout_domain::{CheckConfig, Period};

/// Where the run's book comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An existing snapshot directory.
    Snapshot(PathBuf),
    /// A pull from the Issuer API into a snapshot folder of its own.
    Api {
        /// Base URL.
        url: String,
        /// Name of the environment variable holding the key (never the key).
        key_env: String,
        /// Concurrent page requests.
        concurrency: usize,
        /// Where the pulled snapshot is kept (never inside the reports folder: it holds
        /// unmasked tax ids).
        snapshot_out: PathBuf,
    },
}

/// Everything a month-end run is told.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The book's source.
    pub source: Source,
    /// Bank/escrow statement files, in argument order.
    pub statements: Vec<PathBuf>,
    /// Processor payout exports, in argument order.
    pub payouts: Vec<PathBuf>,
    /// Bank profile (TOML) mapping CSV/XLSX columns.
    pub bank_profile: Option<PathBuf>,
    /// The previous period's `open-items.json`.
    pub carry_forward: Option<PathBuf>,
    /// Decision files (the filled-in `exceptions.xlsx`, or CSV), in argument order.
    pub decisions: Vec<PathBuf>,
    /// Folder with an OFAC SDN legacy CSV set.
    pub sdn: Option<PathBuf>,
    /// Recorded false-positive decisions for sanctions screening.
    pub overrides: Option<PathBuf>,
    /// Matching tolerances (TOML).
    pub tolerances: Option<PathBuf>,
    /// Platform profile (TOML): money-model formulas pinned per payment method.
    pub platform_profile: Option<PathBuf>,
    /// Report layouts folder (the built-in copies when absent).
    pub templates: Option<PathBuf>,
    /// The month reconciled.
    pub period: Period,
    /// Output directory (written atomically).
    pub out: PathBuf,
    /// Whether PDF/XLSX reports are rendered.
    pub reports: bool,
    /// Compliance rule parameters.
    pub checks: CheckConfig,
    /// Bounds checked before an XLSX statement is read.
    pub xlsx_limits: tieout_reconcile::load::XlsxLimits,
}

/// A configuration that cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No statement file.
    #[error("give at least one --statement FILE")]
    NoStatement,
    /// A path without a file name.
    #[error("{0} has no file name")]
    NoFileName(String),
    /// Two inputs share a file name (lines are identified by file name and row).
    #[error("two inputs are named {0}; rename one so every line's file is unambiguous")]
    DuplicateName(String),
}

impl RunConfig {
    /// Every file and folder the run reads (none may lie inside its output folder).
    pub fn read_paths(&self) -> Vec<&Path> {
        let snapshot = match &self.source {
            Source::Snapshot(dir) => Some(dir.as_path()),
            Source::Api { .. } => None,
        };
        snapshot
            .into_iter()
            .chain(self.statements.iter().map(PathBuf::as_path))
            .chain(self.payouts.iter().map(PathBuf::as_path))
            .chain(self.bank_profile.as_deref())
            .chain(self.carry_forward.as_deref())
            .chain(self.sdn.as_deref())
            .chain(self.overrides.as_deref())
            .chain(self.tolerances.as_deref())
            .chain(self.platform_profile.as_deref())
            .chain(self.templates.as_deref())
            .collect()
    }

    /// Checks what can be checked before reading anything: at least one statement, and every
    /// statement and payout file named distinctly (a line is identified by its file's name and
    /// its row).
    pub fn validate(self) -> Result<Self, ConfigError> {
        if self.statements.is_empty() {
            return Err(ConfigError::NoStatement);
        }
        let mut names = BTreeSet::new();
        for path in self.statements.iter().chain(&self.payouts) {
            let name = file_name(path)?;
            if !names.insert(name.clone()) {
                return Err(ConfigError::DuplicateName(name));
            }
        }
        Ok(self)
    }
}

/// The file name of an input path (how its lines are identified).
pub fn file_name(path: &Path) -> Result<String, ConfigError> {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| ConfigError::NoFileName(path.display().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(statements: &[&str], payouts: &[&str]) -> RunConfig {
        RunConfig {
            source: Source::Snapshot("snap".into()),
            statements: statements.iter().map(PathBuf::from).collect(),
            payouts: payouts.iter().map(PathBuf::from).collect(),
            bank_profile: None,
            carry_forward: None,
            decisions: Vec::new(),
            sdn: None,
            overrides: None,
            tolerances: None,
            platform_profile: None,
            templates: None,
            period: Period::new(2026, 10).unwrap(),
            out: "out".into(),
            reports: true,
            checks: CheckConfig::default(),
            xlsx_limits: Default::default(),
        }
    }

    #[test]
    fn validation_names_what_cannot_run() {
        assert!(config(&["a/bank.csv"], &["stripe.csv"]).validate().is_ok());
        assert_eq!(
            config(&[], &[]).validate().unwrap_err(),
            ConfigError::NoStatement
        );
        assert_eq!(
            config(&["a/bank.csv", "b/bank.csv"], &[])
                .validate()
                .unwrap_err(),
            ConfigError::DuplicateName("bank.csv".into())
        );
        assert_eq!(
            config(&["bank.csv"], &["x/bank.csv"])
                .validate()
                .unwrap_err(),
            ConfigError::DuplicateName("bank.csv".into())
        );
        assert!(matches!(
            config(&["/"], &[]).validate().unwrap_err(),
            ConfigError::NoFileName(_)
        ));
    }
}
