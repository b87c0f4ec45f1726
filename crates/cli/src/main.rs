//! `tieout`: the month-end command line for issuers on the Issuance platform.
//!
//! A thin layer over the library crates: it reads files and the environment, shows progress
//! and logs, writes outputs atomically and maps outcomes to exit codes:
//! **0** reconciled, **1** exceptions found (or the run is incomplete), **2** error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

mod cmd;
mod inputs;
mod outdir;

/// mimalloc instead of the system allocator: a month-end run makes millions of small
/// allocations from several threads (the book, statement lines, match state), and glibc's
/// malloc spent a quarter to a half of the statement-loading time in its own bookkeeping.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Month-end pull, compliance check, reconciliation and reports for Issuance issuers.
#[derive(Debug, Parser)]
#[command(name = "tieout", version, about, long_about = None)]
struct Cli {
    /// Log filter (tracing env-filter syntax), e.g. `info` or `tieout=debug`.
    #[arg(long, global = true, env = "TIEOUT_LOG", default_value = "warn")]
    log: String,
    /// Hide progress bars.
    #[arg(long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Pull offerings, investors, investments and users into a snapshot directory.
    Pull(PullArgs),
    /// Run the compliance rules over a snapshot and write findings.csv.
    Check(CheckArgs),
    /// The month-end run: snapshot, compliance, reconciliation, reports, manifest.
    Reconcile(Box<ReconcileArgs>),
    /// Generate a sandbox dataset (API records, statements, payouts, ground truth).
    Gen(GenArgs),
    /// Serve a dataset as a local Issuer API on loopback.
    Sandbox(SandboxArgs),
    /// Build (or rebuild) a snapshot's binary book, book.bin, from its JSONL files; pulls and
    /// `gen` write it themselves, so this is for snapshots made by older versions.
    Book(BookArgs),
}

/// `tieout book`.
#[derive(Debug, Args)]
pub struct BookArgs {
    /// Snapshot directory (its JSONL files must match its manifest).
    #[arg(long, value_name = "DIR")]
    pub snapshot: PathBuf,
}

/// Where the API is and which environment variable holds its key.
#[derive(Debug, Args, Clone)]
pub struct ApiArgs {
    /// Base URL of the Issuer API (production: https://api.issuance.com).
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// Name of the environment variable holding the API key (the key itself is never an
    /// argument).
    #[arg(long, value_name = "VAR", default_value = "ISSUANCE_API_KEY")]
    pub api_key_env: String,
    /// Concurrent page requests while pulling.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
}

/// `tieout pull`.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// API location and key variable.
    #[command(flatten)]
    pub api: ApiArgs,
    /// Only this offering's records.
    #[arg(long, value_name = "ID")]
    pub offering: Option<i64>,
    /// Snapshot directory to write.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Compliance inputs shared by `check` and `reconcile`.
#[derive(Debug, Args, Clone)]
pub struct ComplianceArgs {
    /// Folder with an OFAC SDN legacy CSV set (sdn.csv, alt.csv, optionally add.csv,
    /// sdn_comments.csv).
    #[arg(long, value_name = "DIR")]
    pub sdn: Option<PathBuf>,
    /// Recorded false-positive decisions for sanctions screening.
    #[arg(long, value_name = "FILE")]
    pub overrides: Option<PathBuf>,
}

/// `tieout check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Snapshot directory (as written by `tieout pull`).
    #[arg(long, value_name = "DIR")]
    pub snapshot: PathBuf,
    /// Sanctions list and overrides.
    #[command(flatten)]
    pub compliance: ComplianceArgs,
    /// Evaluate as of this date (default: the snapshot's pull date).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<chrono::NaiveDate>,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `tieout reconcile`.
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Use an existing snapshot directory instead of pulling.
    #[arg(long, value_name = "DIR", conflicts_with = "api_url")]
    pub snapshot: Option<PathBuf>,
    /// API location and key variable.
    #[command(flatten)]
    pub api: ApiArgs,
    /// Bank/escrow statement file (CSV, XLSX, BAI2, camt.053); repeatable.
    #[arg(long = "statement", value_name = "FILE", required = true)]
    pub statements: Vec<PathBuf>,
    /// Processor payout / balance-transaction export; repeatable.
    #[arg(long = "payouts", value_name = "FILE")]
    pub payouts: Vec<PathBuf>,
    /// Bank profile (TOML) mapping CSV/XLSX columns explicitly.
    #[arg(long, value_name = "FILE")]
    pub bank_profile: Option<PathBuf>,
    /// Previous period's open-items.json.
    #[arg(long, value_name = "FILE")]
    pub carry_forward: Option<PathBuf>,
    /// Sanctions list and overrides.
    #[command(flatten)]
    pub compliance: ComplianceArgs,
    /// Matching tolerances (TOML); defaults to templates/tolerances.toml's values.
    #[arg(long, value_name = "FILE")]
    pub tolerances: Option<PathBuf>,
    /// Report layouts folder (defaults to the built-in copies of templates/).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Month to reconcile.
    #[arg(long, value_name = "YYYY-MM")]
    pub period: tieout_domain::Period,
    /// Output directory (written atomically).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Skip PDF/XLSX rendering (CSV outputs and manifest only).
    #[arg(long)]
    pub no_reports: bool,
    /// Matching implementation: `tieout` (the engine) or `baseline` (the plain single-threaded
    /// comparison used by `cargo xtask bench`; not for real month ends).
    #[arg(long, value_enum, default_value_t = Engine::Tieout, hide = true)]
    pub engine: Engine,
}

/// Which matcher `tieout reconcile` runs (hidden benchmark option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// The reconciliation engine.
    Tieout,
    /// `tieout_reconcile::baseline`, the benchmark's straightforward comparison.
    Baseline,
}

/// `tieout gen`.
#[derive(Debug, Args)]
pub struct GenArgs {
    /// Dataset directory to write.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Number of investments.
    #[arg(long, default_value_t = 400)]
    pub investments: usize,
    /// Random seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Month the statements cover.
    #[arg(long, value_name = "YYYY-MM")]
    pub period: tieout_domain::Period,
    /// An OFAC SDN folder to take names from for planted sanctions matches.
    #[arg(long, value_name = "DIR")]
    pub sdn: Option<PathBuf>,
}

/// `tieout sandbox`.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Dataset directory (as written by `tieout gen`).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Fault injection, e.g. `rate429=0.1,rate5xx=0.1,slow_ms=200,drop=0.05,seed=1`.
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
    /// Write the base URL to this file once listening (for scripts).
    #[arg(long, value_name = "FILE")]
    pub ready_file: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log);
    let quiet = cli.quiet;
    let result = match cli.command {
        Command::Pull(a) => cmd::pull::run(a, quiet),
        Command::Check(a) => cmd::check::run(a),
        Command::Reconcile(a) => cmd::reconcile::run(*a, quiet),
        Command::Gen(a) => cmd::generate::run(a),
        Command::Sandbox(a) => cmd::sandbox::run(a),
        Command::Book(a) => cmd::book::run(a),
    };
    match result {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => {
            eprintln!("tieout: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// How a successful command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything tied out (exit 0).
    Clean,
    /// Exceptions or violations remain, or inputs were incomplete (exit 1).
    Exceptions,
}

impl Outcome {
    fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Clean => ExitCode::SUCCESS,
            Outcome::Exceptions => ExitCode::from(1),
        }
    }
}
