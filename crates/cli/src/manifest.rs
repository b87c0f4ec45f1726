//! `manifest.json`: what a run read, with which parameters, what it found and what it wrote,
//! with the hash of every input and output. A typed record, serialised in field order.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::{RunConfig, Source};
use crate::inputs::{InputFile, display_path};
use crate::pipeline::{RunResult, Verdict};

/// The manifest of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// Always `tieout`.
    pub tool: &'static str,
    /// The tool's version.
    pub version: &'static str,
    /// Deterministic run id (see [`crate::pipeline::run_id`]).
    pub run_id: String,
    /// `YYYY-MM`.
    pub period: String,
    /// The verdict.
    pub verdict: Verdict,
    /// The run's parameters, paths as given.
    pub parameters: Parameters,
    /// Every input read, hashed as read.
    pub inputs: Vec<InputFile>,
    /// What the bank sees per payment method: the formula, where it comes from (fitted on the
    /// keyed lines, borrowed, default or pinned) and how many keyed lines it explains.
    pub money_model: tieout_reconcile::engine::MoneyModel,
    /// Which field the compliance rules read as the securities value (`quantity × unit_price`
    /// decides), with the evidence.
    pub securities_value: tieout_domain::SecuritiesReading,
    /// The work each search pass did against its budget, and what ran out.
    pub search: tieout_reconcile::engine::SearchReport,
    /// Counts of the results.
    pub counts: Counts,
    /// Every decision file: its SHA-256 and what it applied.
    pub decisions: Vec<DecisionRecord>,
    /// Files written after this manifest and so not hashed in it: `board.pdf` (drawn from
    /// `board.json`, hashed here, and the sign-offs that apply) and `signoff.json` (which
    /// binds to this manifest's hash).
    pub after_manifest: Vec<&'static str>,
    /// Every output written (but the manifest itself and a pulled snapshot).
    pub outputs: Vec<OutputFile>,
}

/// Where the book came from, as recorded (never the key itself).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum SourceRecord {
    /// A snapshot directory.
    Snapshot {
        /// Its path as given.
        snapshot: String,
    },
    /// A pull from the API.
    Api {
        /// The URL without credentials or query.
        api_url: String,
        /// The environment variable the key came from.
        api_key_env: String,
        /// Where the pulled snapshot was kept.
        snapshot_out: String,
    },
}

/// The run's parameters.
#[derive(Debug, Clone, Serialize)]
pub struct Parameters {
    /// Where the book came from.
    pub source: SourceRecord,
    /// Statement files.
    pub statements: Vec<String>,
    /// Payout exports.
    pub payouts: Vec<String>,
    /// Previous open items.
    pub carry_forward: Option<String>,
    /// Decision files.
    pub decisions: Vec<String>,
    /// OFAC SDN folder.
    pub sdn: Option<String>,
    /// Screening overrides.
    pub overrides: Option<String>,
    /// Tolerances file.
    pub tolerances: Option<String>,
    /// Bank profile.
    pub bank_profile: Option<String>,
    /// Platform profile (money-model pins).
    pub platform_profile: Option<String>,
    /// Whether reports were rendered.
    pub reports: bool,
}

/// Counts of the results.
#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    /// Statement lines read.
    pub statement_lines: usize,
    /// Lines fully matched.
    pub lines_matched: usize,
    /// Lines holding an exception.
    pub lines_exception: usize,
    /// Lines set aside with a reason.
    pub lines_ignored: usize,
    /// Rows rejected by the loaders.
    pub rows_rejected: usize,
    /// Sum of all line cents.
    pub lines_cents: i64,
    /// Line cents attributed to matches.
    pub matched_line_cents: i64,
    /// Line cents held by exceptions.
    pub exception_line_cents: i64,
    /// Line cents ignored with a reason.
    pub ignored_line_cents: i64,
    /// Expected movements in scope.
    pub movements: usize,
    /// Matched movements.
    pub movements_matched: usize,
    /// Movements under an exception.
    pub movements_exception: usize,
    /// Movements ignored with a reason.
    pub movements_ignored: usize,
    /// Match rows.
    pub matches: usize,
    /// Exception rows.
    pub exceptions: usize,
    /// Exceptions per code.
    pub exceptions_by_code: BTreeMap<String, usize>,
    /// Compliance findings.
    pub findings: usize,
    /// Findings per severity.
    pub findings_by_severity: BTreeMap<&'static str, usize>,
    /// Findings per rule.
    pub findings_by_rule: BTreeMap<&'static str, usize>,
    /// Open items carried to the next run.
    pub open_items: usize,
    /// Items closed by a decision (`resolved.csv`).
    pub resolved: usize,
    /// Standing decisions carried to the next run.
    pub standing_decisions: usize,
}

/// One decision file and what it did.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionRecord {
    /// Path as given.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Decisions it holds.
    pub decisions: usize,
    /// Of which applied.
    pub applied: usize,
    /// Of which stale (each a `STALE_DECISION` exception).
    pub stale: usize,
}

/// One output file.
#[derive(Debug, Clone, Serialize)]
pub struct OutputFile {
    /// Path relative to the output directory, `/`-separated.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

impl Manifest {
    /// The manifest of `result`, run with `config`, that wrote `outputs`.
    pub fn new(config: &RunConfig, result: &RunResult, outputs: Vec<OutputFile>) -> Self {
        let mut findings_by_severity: BTreeMap<&'static str, usize> = BTreeMap::new();
        let mut findings_by_rule: BTreeMap<&'static str, usize> = BTreeMap::new();
        for f in &result.findings {
            *findings_by_severity.entry(f.severity.as_str()).or_default() += 1;
            *findings_by_rule.entry(f.code.as_str()).or_default() += 1;
        }
        let s = &result.outcome.summary;
        let path = |p: &Option<std::path::PathBuf>| p.as_deref().map(display_path);
        Manifest {
            tool: "tieout",
            version: env!("CARGO_PKG_VERSION"),
            run_id: result.run_id.clone(),
            period: config.period.to_string(),
            verdict: result.verdict,
            parameters: Parameters {
                source: match &config.source {
                    Source::Snapshot(dir) => SourceRecord::Snapshot {
                        snapshot: display_path(dir),
                    },
                    Source::Api {
                        url,
                        key_env,
                        snapshot_out,
                        ..
                    } => SourceRecord::Api {
                        api_url: redact_url(url),
                        api_key_env: key_env.clone(),
                        snapshot_out: display_path(snapshot_out),
                    },
                },
                statements: config.statements.iter().map(|p| display_path(p)).collect(),
                payouts: config.payouts.iter().map(|p| display_path(p)).collect(),
                carry_forward: path(&config.carry_forward),
                decisions: config.decisions.iter().map(|p| display_path(p)).collect(),
                sdn: path(&config.sdn),
                overrides: path(&config.overrides),
                tolerances: path(&config.tolerances),
                bank_profile: path(&config.bank_profile),
                platform_profile: path(&config.platform_profile),
                reports: config.reports,
            },
            inputs: result.inputs.clone(),
            money_model: result.outcome.money_model.clone(),
            securities_value: result.securities.clone(),
            search: result.outcome.search.clone(),
            counts: Counts {
                statement_lines: s.lines,
                lines_matched: s.lines_matched,
                lines_exception: s.lines_exception,
                lines_ignored: s.lines_ignored,
                rows_rejected: result.rejects.len(),
                lines_cents: s.lines_cents,
                matched_line_cents: s.matched_line_cents,
                exception_line_cents: s.exception_line_cents,
                ignored_line_cents: s.ignored_line_cents,
                movements: s.movements,
                movements_matched: s.movements_matched,
                movements_exception: s.movements_exception,
                movements_ignored: s.movements_ignored,
                matches: result.outcome.matches.len(),
                exceptions: result.outcome.exceptions.len(),
                exceptions_by_code: s.exceptions_by_code.clone(),
                findings: result.findings.len(),
                findings_by_severity,
                findings_by_rule,
                open_items: result.outcome.open_items.items.len(),
                resolved: result.closing.resolved.len(),
                standing_decisions: result.closing.standing.len(),
            },
            decisions: result
                .closing
                .files
                .iter()
                .zip(&config.decisions)
                .map(|(f, p)| DecisionRecord {
                    path: display_path(p),
                    sha256: f.sha256.clone(),
                    decisions: f.decisions,
                    applied: f.applied,
                    stale: f.stale,
                })
                .collect(),
            after_manifest: if config.reports {
                vec!["board.pdf", "signoff.json"]
            } else {
                vec!["signoff.json"]
            },
            outputs,
        }
    }

    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }
}

/// The URL without credentials or query (for manifests).
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.to_string()
        }
        Err(_) => "<unparseable url>".into(),
    }
}
