//! `tieout read`: how a user checks a new bank's file before month end. Reads bank and escrow
//! statement files through the loader `reconcile` uses (`load::load_statement_from_bytes`,
//! the same options and bank profile) and shows what it made of them: every line
//! (`lines.csv`), every rejected row (`rejects.csv`), every stated balance against the lines
//! it covers (`balances.csv`), and a summary (`summary.txt`, also printed) with what the loader
//! inferred. Exit 0: read cleanly; 1: rows rejected or balances (or trailer totals) not tying;
//! 2: a file refused (file, line and reason on stderr; nothing written).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use tieout_domain::Cents;
use tieout_reconcile::engine::rejects_csv;
use tieout_reconcile::load::{self, BankProfile, LoadOptions, LoadedStatement};
use tieout_reconcile::{SourceFormat, StatementLine};

use crate::Outcome;
use tieout::outdir::{Access, StagedDir, simple_manifest};

/// `tieout read`.
#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// Statement files (CSV, XLSX, BAI2, camt.053, OFX).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Bank profile (TOML) mapping CSV/XLSX columns explicitly, as for `reconcile`.
    #[arg(long, value_name = "FILE")]
    pub bank_profile: Option<PathBuf>,
    /// Output directory for lines.csv, rejects.csv, balances.csv and summary.txt (written
    /// atomically); without it only the summary is printed.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// The header of `lines.csv`.
pub const LINES_HEADER: [&str; 13] = [
    "file",
    "row",
    "format",
    "account",
    "currency",
    "booking_date",
    "value_date",
    "amount",
    "bank_ref",
    "end_to_end_ref",
    "counterparty",
    "type_code",
    "description",
];

/// The header of `balances.csv`.
pub const BALANCES_HEADER: [&str; 11] = [
    "file",
    "account",
    "currency",
    "as_of",
    "stated_opening",
    "credits",
    "debits",
    "computed_closing",
    "stated_closing",
    "difference",
    "ties",
];

/// Cents as a signed decimal string: `-47.29`, `1250.00`.
pub fn decimal(c: Cents) -> String {
    let sign = if c < 0 { "-" } else { "" };
    let a = c.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

fn format_name(f: SourceFormat) -> &'static str {
    match f {
        SourceFormat::Csv => "csv",
        SourceFormat::Xlsx => "xlsx",
        SourceFormat::Bai2 => "bai2",
        SourceFormat::Camt053 => "camt053",
        SourceFormat::Payouts => "payouts",
        SourceFormat::Ofx => "ofx",
    }
}

/// One stated balance against the lines it covers.
struct BalanceCheck {
    file: String,
    account: Option<String>,
    currency: String,
    as_of: Option<chrono::NaiveDate>,
    opening: Cents,
    credits: Cents,
    debits: Cents,
    stated_closing: Cents,
}

impl BalanceCheck {
    fn computed(&self) -> Cents {
        self.opening + self.credits - self.debits
    }
    fn ties(&self) -> bool {
        self.computed() == self.stated_closing
    }
}

/// Every stated balance of a loaded file with the lines it covers (its rows, its account).
fn balance_checks(l: &LoadedStatement) -> Vec<BalanceCheck> {
    l.balances
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let (start, end) = l.balance_rows.get(i).copied().unwrap_or((0, u32::MAX));
            let covered: Vec<&StatementLine> = l
                .lines
                .iter()
                .filter(|x| {
                    x.statement_row >= start
                        && x.statement_row < end
                        && x.file == b.file
                        && match (&x.account, &b.account) {
                            (Some(a), Some(c)) => a == c,
                            _ => true,
                        }
                })
                .collect();
            let currencies: BTreeSet<&str> = covered
                .iter()
                .filter_map(|x| x.currency.as_deref())
                .collect();
            BalanceCheck {
                file: b.file.clone(),
                account: b.account.clone(),
                currency: currencies.into_iter().collect::<Vec<_>>().join("/"),
                as_of: b.as_of,
                opening: b.opening_cents,
                credits: covered
                    .iter()
                    .filter(|x| x.amount_cents > 0)
                    .map(|x| x.amount_cents)
                    .sum(),
                debits: -covered
                    .iter()
                    .filter(|x| x.amount_cents < 0)
                    .map(|x| x.amount_cents)
                    .sum::<Cents>(),
                stated_closing: b.closing_cents,
            }
        })
        .collect()
}

fn lines_csv(files: &[LoadedStatement]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(LINES_HEADER)?;
    for l in files.iter().flat_map(|f| &f.lines) {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        w.write_record([
            l.file.clone(),
            l.statement_row.to_string(),
            format_name(l.format).to_string(),
            opt(&l.account),
            opt(&l.currency),
            l.booking_date.to_string(),
            l.value_date.map(|d| d.to_string()).unwrap_or_default(),
            decimal(l.amount_cents),
            opt(&l.bank_ref),
            opt(&l.end_to_end_ref),
            opt(&l.counterparty),
            opt(&l.type_code),
            l.description.clone(),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

fn balances_csv(checks: &[BalanceCheck]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(BALANCES_HEADER)?;
    for b in checks {
        w.write_record([
            b.file.clone(),
            b.account.clone().unwrap_or_default(),
            b.currency.clone(),
            b.as_of.map(|d| d.to_string()).unwrap_or_default(),
            decimal(b.opening),
            decimal(b.credits),
            decimal(b.debits),
            decimal(b.computed()),
            decimal(b.stated_closing),
            decimal(b.stated_closing - b.computed()),
            if b.ties() { "yes" } else { "no" }.to_string(),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// The summary of one file.
fn file_summary(name: &str, l: &LoadedStatement, checks: &[BalanceCheck]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let format = l
        .lines
        .first()
        .map(|x| format_name(x.format))
        .unwrap_or("-");
    let credits: Cents = l.lines.iter().map(|x| x.amount_cents.max(0)).sum();
    let debits: Cents = l.lines.iter().map(|x| x.amount_cents.min(0)).sum();
    let currencies: BTreeSet<&str> = l
        .lines
        .iter()
        .filter_map(|x| x.currency.as_deref())
        .collect();
    let _ = writeln!(
        s,
        "{name}: {format}, {} lines ({} credits {}, {} debits {}) in {}; {} rows rejected",
        l.lines.len(),
        l.lines.iter().filter(|x| x.amount_cents > 0).count(),
        decimal(credits),
        l.lines.iter().filter(|x| x.amount_cents < 0).count(),
        decimal(debits),
        if currencies.is_empty() {
            "-".to_string()
        } else {
            currencies.into_iter().collect::<Vec<_>>().join(", ")
        },
        l.rejects.len()
    );
    for b in checks {
        let _ = writeln!(
            s,
            "  balance{}: opening {} + credits {} - debits {} = {}, stated closing {}: {}",
            b.account
                .as_deref()
                .map(|a| format!(" of {a}"))
                .unwrap_or_default(),
            decimal(b.opening),
            decimal(b.credits),
            decimal(b.debits),
            decimal(b.computed()),
            decimal(b.stated_closing),
            if b.ties() {
                "ties".to_string()
            } else {
                format!(
                    "does NOT tie (difference {})",
                    decimal(b.stated_closing - b.computed())
                )
            }
        );
    }
    if checks.is_empty() {
        let _ = writeln!(
            s,
            "  no stated balances: the roll-forward cannot be checked"
        );
    }
    for c in &l.control_breaks {
        let _ = writeln!(s, "  trailer (line {}): {}", c.row, c.reason);
    }
    for r in l.rejects.iter().take(5) {
        let _ = writeln!(
            s,
            "  rejected line {}{}: {}",
            r.row,
            r.column
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default(),
            r.reason
        );
    }
    if l.rejects.len() > 5 {
        let _ = writeln!(s, "  ... {} more in rejects.csv", l.rejects.len() - 5);
    }
    for n in &l.notes {
        let _ = writeln!(s, "  note: {n}");
    }
    s
}

/// The loader options `reconcile` uses for a `--bank-profile`.
pub fn load_options(profile: Option<&Path>) -> Result<LoadOptions> {
    Ok(LoadOptions {
        profile: match profile {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading the bank profile {}", p.display()))?;
                Some(
                    BankProfile::from_toml_str(&text)
                        .with_context(|| format!("reading the bank profile {}", p.display()))?,
                )
            }
            None => None,
        },
        ..LoadOptions::default()
    })
}

/// Runs `tieout read`.
pub fn run(args: ReadArgs) -> Result<Outcome> {
    let opts = load_options(args.bank_profile.as_deref())?;
    let mut names = BTreeSet::new();
    let mut loaded: Vec<(String, LoadedStatement)> = Vec::new();
    let mut refused: Vec<String> = Vec::new();
    for path in &args.files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .with_context(|| format!("{} has no file name", path.display()))?;
        if !names.insert(name.clone()) {
            bail!("two inputs are named {name}; rename one so every line's file is unambiguous");
        }
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        match load::load_statement_from_bytes(&name, &bytes, &opts) {
            Ok(l) => loaded.push((name, l)),
            Err(e) => refused.push(e.to_string()),
        }
    }
    if !refused.is_empty() {
        bail!(
            "{} of {} file(s) refused, nothing written:\n  {}",
            refused.len(),
            args.files.len(),
            refused.join("\n  ")
        );
    }
    let mut summary = String::new();
    let mut all_checks = Vec::new();
    for (name, l) in &loaded {
        let checks = balance_checks(l);
        summary.push_str(&file_summary(name, l, &checks));
        all_checks.extend(checks);
    }
    let rejected: usize = loaded.iter().map(|(_, l)| l.rejects.len()).sum();
    let breaks = all_checks.iter().filter(|b| !b.ties()).count()
        + loaded
            .iter()
            .map(|(_, l)| l.control_breaks.len())
            .sum::<usize>();
    let clean = rejected == 0 && breaks == 0;
    summary.push_str(&if clean {
        "read cleanly\n".to_string()
    } else {
        format!("{rejected} rows rejected, {breaks} balance or trailer checks not tying\n")
    });
    let files: Vec<LoadedStatement> = loaded.into_iter().map(|(_, l)| l).collect();
    if let Some(out) = &args.out {
        // The output folder is checked and locked like every tieout output: a folder holding
        // the user's files or one of the statements read is refused untouched.
        let read: Vec<&Path> = args
            .files
            .iter()
            .map(PathBuf::as_path)
            .chain(args.bank_profile.as_deref())
            .collect();
        let stage = StagedDir::new(out, &read, Access::Owner)?;
        stage.write("lines.csv", lines_csv(&files)?.as_bytes())?;
        let rejects: Vec<_> = files.iter().flat_map(|f| f.rejects.clone()).collect();
        stage.write("rejects.csv", rejects_csv(&rejects).as_bytes())?;
        stage.write("balances.csv", balances_csv(&all_checks)?.as_bytes())?;
        stage.write("summary.txt", summary.as_bytes())?;
        stage.write(
            "manifest.json",
            simple_manifest("read", stage.path())?.as_bytes(),
        )?;
        stage.commit()?;
    }
    print!("{summary}");
    Ok(if clean {
        Outcome::Clean
    } else {
        Outcome::Exceptions
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_signed_with_two_places() {
        assert_eq!(decimal(-4_729), "-47.29");
        assert_eq!(decimal(5), "0.05");
        assert_eq!(decimal(-5), "-0.05");
        assert_eq!(decimal(125_000), "1250.00");
        assert_eq!(decimal(0), "0.00");
    }
}
