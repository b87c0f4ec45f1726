//! `tieout`: the month-end command line for issuers on the Issuance platform.
//!
//! A thin layer over the library crates: it reads files and the environment, shows progress
//! and logs, writes outputs atomically and maps outcomes to exit codes:
//! **0** reconciled, **1** exceptions found (or the run is incomplete), **2** error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

mod cmd;

/// mimalloc instead of the system allocator: a month-end run makes millions of small
/// allocations from several threads (the book, statement lines, match state), and glibc's
/// malloc spent a quarter to a half of the statement-loading time in its own bookkeeping.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Allocator tuning: the one audited `unsafe` of this crate (two calls into the mimalloc C
/// library the global allocator already links).
#[allow(unsafe_code)]
mod alloc_tuning {
    use std::ffi::{c_int, c_long};

    unsafe extern "C" {
        fn mi_option_set(option: c_int, value: c_long);
        #[cfg(test)]
        fn mi_option_get(option: c_int) -> c_long;
    }

    /// `mi_option_purge_delay` in the bundled mimalloc v3 (`include/mimalloc.h` of
    /// libmimalloc-sys, pinned by Cargo.lock; the test below fails if it moves).
    const PURGE_DELAY: c_int = 15;

    /// How long freed memory stays with the process before mimalloc returns it to the OS.
    /// A run frees large temporaries between its phases and allocates as much again in the next
    /// one; returned memory comes back as fresh pages the kernel must zero (measured: a fifth
    /// of a million-investment reconcile's CPU time at the default 1 s). An explicit
    /// `MIMALLOC_PURGE_DELAY` in the environment wins.
    pub(crate) fn keep_freed_memory(ms: i64) {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: `mi_option_set` only stores an integer option; any value is valid for
            // the purge delay (-1 = never, 0 = at once, else milliseconds).
            unsafe { mi_option_set(PURGE_DELAY, ms as c_long) }
        }
    }

    /// The purge delay in effect, in milliseconds.
    #[cfg(test)]
    #[allow(clippy::useless_conversion)] // `c_long` is `i32` on some targets
    pub(crate) fn purge_delay() -> i64 {
        // SAFETY: `mi_option_get` reads an integer option.
        i64::from(unsafe { mi_option_get(PURGE_DELAY) })
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn the_purge_delay_option_is_the_one_set() {
            if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
                eprintln!("MIMALLOC_PURGE_DELAY is set; skipping");
                return;
            }
            // mimalloc v3's default purge delay is 1000 ms; another option at this index
            // would have another default.
            assert_eq!(super::purge_delay(), 1000);
            super::keep_freed_memory(4321);
            assert_eq!(super::purge_delay(), 4321);
            super::keep_freed_memory(1000);
        }
    }
}

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
    /// Sign off a run as its preparer or reviewer (bound to the run's manifest hash).
    Signoff(SignoffArgs),
    /// Build (or rebuild) a snapshot's binary book, book.bin, from its JSONL files; pulls and
    /// `gen` write it themselves, so this is for snapshots made by older versions.
    Book(BookArgs),
    /// Read bank/escrow statement files as `reconcile` does and show every line, reject and
    /// balance (lines.csv, rejects.csv, balances.csv): check a new bank's file before month end.
    Read(cmd::read::ReadArgs),
}

/// `tieout signoff`.
#[derive(Debug, Args)]
pub struct SignoffArgs {
    /// The run folder (as written by `tieout reconcile`).
    #[arg(long = "run", value_name = "DIR")]
    pub run: PathBuf,
    /// `preparer` or `reviewer` (a reviewer signs after a preparer, and is someone else).
    #[arg(long, value_enum)]
    pub role: SignoffRole,
    /// Who signs.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// A note kept with the sign-off.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Report layouts folder the run used (defaults to the built-in copies of templates/).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

/// Who signs off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SignoffRole {
    /// Prepared the month end.
    Preparer,
    /// Reviewed it.
    Reviewer,
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
    /// Send https requests through this proxy (never plain-http ones). Without it (or
    /// `--proxy-from-env`) no proxy is used, whatever the environment says.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Use the proxy named by `HTTPS_PROXY` for https requests (an explicit opt-in: the proxy
    /// variables are otherwise ignored).
    #[arg(long, conflicts_with = "proxy")]
    pub proxy_from_env: bool,
    /// Seconds one request attempt may take, from connecting to the body's last byte.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub request_timeout: u64,
    /// Seconds the whole pull may take (every page, check and retry).
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    pub pull_deadline: u64,
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
    /// Snapshot directory to write (new, empty, or a snapshot tieout wrote; owner-only).
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
    /// Output directory (new, empty, or one tieout wrote before).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Make the outputs readable by the owner's group (files 0640, folders 0750; default
    /// owner-only 0600/0700).
    #[arg(long)]
    pub group_readable: bool,
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
    /// Decisions on this period's exceptions: the filled-in exceptions.xlsx, or a CSV with
    /// exception_id,decision,match_investment_id,note,decided_by; repeatable (a later file's
    /// decision on the same item wins).
    #[arg(long = "decisions", value_name = "FILE")]
    pub decisions: Vec<PathBuf>,
    /// Sanctions list and overrides.
    #[command(flatten)]
    pub compliance: ComplianceArgs,
    /// Matching tolerances (TOML); defaults to templates/tolerances.toml's values.
    #[arg(long, value_name = "FILE")]
    pub tolerances: Option<PathBuf>,
    /// Platform profile (TOML): pins what the bank sees per payment method instead of fitting
    /// it from the statements (see templates/platform-profile.toml).
    #[arg(long, value_name = "FILE")]
    pub platform_profile: Option<PathBuf>,
    /// Report layouts folder (defaults to the built-in copies of templates/).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Month to reconcile.
    #[arg(long, value_name = "YYYY-MM")]
    pub period: tieout_domain::Period,
    /// Output directory (written atomically; new, empty, or one tieout wrote before: a folder
    /// holding other files, or any input, is refused).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Where the snapshot pulled with `--api-url` is kept (required with it): a folder of its
    /// own, outside `--out`, owner-only (files 0600, folders 0700), since it holds unmasked
    /// tax ids.
    #[arg(long, value_name = "DIR", requires = "api_url")]
    pub snapshot_out: Option<PathBuf>,
    /// Make the reports readable by the owner's group (files 0640, folders 0750; default
    /// owner-only 0600/0700). The snapshot stays owner-only.
    #[arg(long)]
    pub group_readable: bool,
    /// Most non-empty cells an XLSX statement's sheet may hold (a bigger one is refused with a
    /// clear error before it is read).
    #[arg(long, value_name = "N", default_value_t = 20_000_000)]
    pub xlsx_max_cells: u64,
    /// Most MiB one part of an XLSX statement (a sheet, the shared strings) may inflate to
    /// (zip bombs are refused; twice this for all parts together).
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    pub xlsx_max_mib: u64,
    /// Skip PDF/XLSX rendering (CSV outputs and manifest only).
    #[arg(long)]
    pub no_reports: bool,
}

/// `tieout gen`.
#[derive(Debug, Args)]
pub struct GenArgs {
    /// Dataset directory to write.
    #[arg(long, value_name = "DIR", required_unless_present = "list_worlds")]
    pub out: Option<PathBuf>,
    /// Number of investments.
    #[arg(long, default_value_t = 400)]
    pub investments: usize,
    /// Random seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Month the statements cover.
    #[arg(long, value_name = "YYYY-MM", required_unless_present = "list_worlds")]
    pub period: Option<tieout_domain::Period>,
    /// An OFAC SDN folder to take names from for planted sanctions matches.
    #[arg(long, value_name = "DIR")]
    pub sdn: Option<PathBuf>,
    /// World variant: classic, amount-gross, net-wires or unitemised (see docs/worlds.md).
    #[arg(
        long,
        value_name = "NAME",
        default_value = "classic",
        conflicts_with = "world_file"
    )]
    pub world: String,
    /// A TOML file of world knobs (knobs left out take the classic value; see docs/worlds.md).
    #[arg(long, value_name = "FILE")]
    pub world_file: Option<PathBuf>,
    /// Print the names of the world variants, one a line, and exit.
    #[arg(long)]
    pub list_worlds: bool,
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
    // Freed memory is kept for 5 s (phases of a run reuse it) instead of 1 s.
    alloc_tuning::keep_freed_memory(5_000);
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
        Command::Read(a) => cmd::read::run(a),
        Command::Signoff(a) => cmd::signoff::run(a),
    };
    match result {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => {
            // Errors quote input files and server answers: no control character reaches the
            // terminal.
            let msg = format!("{e:#}");
            eprintln!(
                "tieout: error: {}",
                tieout_domain::safe_text::terminal_safe(&msg)
            );
            ExitCode::from(2)
        }
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| SafeStderr)
        .with_ansi(false)
        .with_target(false)
        .init();
}

/// Standard error without control characters (log lines quote input files: an ESC byte in a
/// bank statement must not drive the terminal).
struct SafeStderr;

impl std::io::Write for SafeStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(tieout_domain::safe_text::terminal_safe(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
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
