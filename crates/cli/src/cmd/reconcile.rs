//! `tieout reconcile`: the month-end run.
//!
//! snapshot (pull or given) → compliance findings → statements and payouts loaded → matching →
//! CSV outputs, open items, PDF/XLSX reports → manifest with input and output hashes. Everything
//! is written into a staging directory and moved into `--out` only when the run succeeded.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde_json::json;
use tieout_domain::{Finding, Severity, findings_csv};
use tieout_reconcile::engine::{
    self, OpenItems, ReconInput, ReconOutcome, Tolerances, exceptions_csv, matches_csv, rejects_csv,
};
use tieout_reconcile::load::{self, BankProfile, LoadOptions};
use tieout_reconcile::{
    ExceptionCode, ExceptionRow, PayoutItem, Reject, StatedBalance, StatementLine,
};

use crate::inputs::{InputFile, display_path, read_input};
use crate::outdir::{Access, StagedDir, list_files, sha256_bytes, sha256_file};
use crate::{Outcome, ReconcileArgs};

/// The run's verdict, as written to the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every line and every in-scope investment matched; no compliance violation.
    Reconciled,
    /// Exceptions or violations remain.
    Exceptions,
    /// Some input rows could not be read: the run cannot vouch for completeness.
    Incomplete,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Reconciled => "reconciled",
            Verdict::Exceptions => "exceptions",
            Verdict::Incomplete => "incomplete",
        }
    }
}

/// Runs `tieout reconcile`.
pub fn run(args: ReconcileArgs, quiet: bool) -> Result<Outcome> {
    // Every file and folder the run reads: none may lie inside --out (checked, with the
    // folder's own contents, before anything is written).
    let read: Vec<&Path> = args
        .snapshot
        .iter()
        .chain(&args.statements)
        .chain(&args.payouts)
        .chain(&args.bank_profile)
        .chain(&args.carry_forward)
        .chain(&args.compliance.sdn)
        .chain(&args.compliance.overrides)
        .chain(&args.tolerances)
        .chain(&args.templates)
        .map(|p| p.as_path())
        .collect();
    if let Some(snap) = &args.snapshot_out
        && crate::outdir::overlap(snap, &args.out)
    {
        bail!(
            "--snapshot-out {} and --out {} overlap; the raw snapshot (unmasked tax ids) goes in a folder of its own, beside the reports",
            snap.display(),
            args.out.display()
        );
    }
    let access = if args.group_readable {
        Access::Group
    } else {
        Access::Owner
    };
    let stage = StagedDir::new(&args.out, &read, access)?;
    let steps = Steps::new(quiet);
    let mut inputs: Vec<InputFile> = Vec::new();

    // 1. Snapshot.
    let snapshot_dir = match (&args.snapshot, &args.api.api_url) {
        (Some(dir), _) => dir.clone(),
        (None, Some(url)) => {
            let Some(dir) = args.snapshot_out.clone() else {
                bail!(
                    "--api-url needs --snapshot-out DIR: the pulled snapshot holds unmasked tax ids and is kept in a folder of its own (owner-only), not among the reports"
                );
            };
            steps.step("pulling the snapshot");
            steps
                .suspend(|| super::pull::pull_snapshot(&args.api, url, None, &dir, &read, quiet))?;
            dir
        }
        (None, None) => bail!("give either --snapshot DIR or --api-url URL"),
    };
    let period = args.period;
    let mut compliance_inputs: Vec<InputFile> = Vec::new();
    let mut statement_inputs: Vec<InputFile> = Vec::new();
    let opts = LoadOptions {
        profile: match &args.bank_profile {
            Some(p) => {
                let text = String::from_utf8(read_input(p, "bank_profile", &mut statement_inputs)?)
                    .with_context(|| format!("{} is not UTF-8", p.display()))?;
                Some(
                    BankProfile::from_toml_str(&text)
                        .with_context(|| format!("reading the bank profile {}", p.display()))?,
                )
            }
            None => None,
        },
        xlsx_limits: load::XlsxLimits {
            max_cells: args.xlsx_max_cells,
            // The rectangle the rows span may be sparser than the cells, within reason.
            max_grid_cells: args.xlsx_max_cells.saturating_mul(5) / 2,
            max_part_bytes: args.xlsx_max_mib.saturating_mul(1 << 20),
            max_total_bytes: args.xlsx_max_mib.saturating_mul(2 << 20),
        },
        ..LoadOptions::default()
    };
    // Names are checked and files read in argument order, while the snapshot loads (decoding
    // the book leaves a core idle near its end); parsing runs on all cores.
    steps.step("loading the snapshot");
    // (is a statement, file name, path, bytes) per input file.
    type Read<'p> = (bool, String, &'p std::path::Path, Vec<u8>);
    let read_files = || -> Result<Vec<Read<'_>>> {
        let mut names = BTreeSet::new();
        let mut files = Vec::new();
        for (is_statement, path) in args
            .statements
            .iter()
            .map(|p| (true, p))
            .chain(args.payouts.iter().map(|p| (false, p)))
        {
            let name = file_name(path)?;
            if !names.insert(name.clone()) {
                bail!(
                    "two inputs are named {name}; rename one so every line's file is unambiguous"
                );
            }
            let role = if is_statement { "statement" } else { "payouts" };
            let bytes = read_input(path, role, &mut statement_inputs)?;
            files.push((is_statement, name, path.as_path(), bytes));
        }
        Ok(files)
    };
    let (loaded, files) = rayon::join(
        || tieout_api::snapshot::open_book(&snapshot_dir),
        read_files,
    );
    let loaded =
        loaded.with_context(|| format!("loading the snapshot {}", snapshot_dir.display()))?;
    let files = files?;
    // What was read, hashed as read: the snapshot's manifest (which lists every JSONL file's
    // hash) and the book, or the JSONL files themselves when the book could not serve.
    for r in &loaded.read {
        inputs.push(InputFile {
            role: "snapshot".into(),
            path: format!("snapshot/{}", r.file),
            sha256: r.sha256.clone(),
            bytes: r.bytes,
        });
    }
    let book = loaded.book;

    // 2. The statements and payouts, parsed beside the engine's expected movements.
    steps.step("reading statements");
    enum Parsed {
        Statement(load::LoadedStatement),
        Payouts(load::LoadedPayouts),
    }
    let parse = || -> Result<Vec<Parsed>> {
        // One task per file (rayon would otherwise run the last two files one after the other
        // on one core).
        files
            .into_par_iter()
            .with_max_len(1)
            .map(|(is_statement, name, path, bytes)| -> Result<Parsed> {
                if is_statement {
                    let loaded = load::load_statement_from_bytes(&name, &bytes, &opts)
                        .with_context(|| format!("reading the statement {}", path.display()))?;
                    tracing::info!(
                        "{name}: {} lines, {} rejected, {} stated balances",
                        loaded.lines.len(),
                        loaded.rejects.len(),
                        loaded.balances.len()
                    );
                    Ok(Parsed::Statement(loaded))
                } else {
                    let loaded = load::load_payouts_from_bytes(&name, &bytes)
                        .with_context(|| format!("reading the payout export {}", path.display()))?;
                    tracing::info!(
                        "{name}: {} payout items, {} rejected",
                        loaded.items.len(),
                        loaded.rejects.len()
                    );
                    Ok(Parsed::Payouts(loaded))
                }
            })
            .collect::<Result<_>>()
    };
    // Read before the parsing (the expected movements need them), listed after the statements.
    let mut late_inputs: Vec<InputFile> = Vec::new();
    let carry = match &args.carry_forward {
        Some(p) => {
            let text = String::from_utf8(read_input(p, "carry_forward", &mut late_inputs)?)
                .with_context(|| format!("{} is not UTF-8", p.display()))?;
            Some(
                OpenItems::from_json(&text)
                    .with_context(|| format!("reading the open items {}", p.display()))?,
            )
        }
        None => None,
    };
    let tolerances = match &args.tolerances {
        Some(p) => {
            let text = String::from_utf8(read_input(p, "tolerances", &mut late_inputs)?)
                .with_context(|| format!("{} is not UTF-8", p.display()))?;
            Tolerances::from_toml_str(&text)
                .with_context(|| format!("reading the tolerances {}", p.display()))?
        }
        None => Tolerances::default(),
    };

    let recon_period = engine::Period {
        first: period.first_day(),
        last: period.last_day(),
    };
    // The engine's expected movements (from the book alone) are built beside the statement
    // parsing, filling the cores the longest statement file leaves idle.
    let (prepared, parsed) = rayon::join(
        || match args.engine {
            crate::Engine::Tieout => {
                engine::prepare(&book, recon_period, &tolerances, carry.as_ref()).map(Some)
            }
            crate::Engine::Baseline => Ok(None),
        },
        parse,
    );
    let prepared = prepared.context("reconciling")?;
    let parsed = parsed?;
    // Sized once: growing it file by file would copy the lines read so far each time.
    let mut lines: Vec<StatementLine> = Vec::with_capacity(
        parsed
            .iter()
            .map(|p| match p {
                Parsed::Statement(s) => s.lines.len(),
                Parsed::Payouts(_) => 0,
            })
            .sum(),
    );
    let mut balances: Vec<StatedBalance> = Vec::new();
    let mut rejects: Vec<Reject> = Vec::new();
    let mut control_breaks: Vec<Reject> = Vec::new();
    let mut payouts: Vec<PayoutItem> = Vec::new();
    let mut payout_rejects: Vec<Reject> = Vec::new();
    for p in parsed {
        match p {
            Parsed::Statement(loaded) => {
                lines.extend(loaded.lines);
                balances.extend(loaded.balances);
                rejects.extend(loaded.rejects);
                control_breaks.extend(loaded.control_breaks);
            }
            Parsed::Payouts(loaded) => {
                payouts.extend(loaded.items);
                payout_rejects.extend(loaded.rejects);
            }
        }
    }
    rejects.extend(payout_rejects);
    // 4. Matching, and compliance beside it: the checks need only the book, and the matcher's
    // ordered passes leave a core idle much of the time.
    steps.step("matching and checking compliance");
    let input = ReconInput {
        book: &book,
        lines: &lines,
        payouts: &payouts,
        balances: &balances,
        rejects: &rejects,
        carry_forward: carry.as_ref(),
        period: recon_period,
    };
    let checks = || {
        super::check::run_checks(
            &book,
            period.last_day(),
            &args.compliance,
            &mut compliance_inputs,
        )
    };
    let (outcome, findings) = match prepared {
        // The checks run beside the engine's ordered passes (its tokenising takes every core).
        Some(prepared) => {
            let (run, findings) = engine::reconcile_beside(&input, &tolerances, prepared, checks);
            (run.map(|(o, scratch)| (o, Some(scratch))), findings)
        }
        None => {
            let (findings, outcome) = rayon::join(checks, || {
                tieout_reconcile::baseline::reconcile(&input, &tolerances)
            });
            (outcome.map(|o| (o, None)), findings)
        }
    };
    let findings = findings?;
    let (mut outcome, scratch) = outcome.context("reconciling")?;
    inputs.extend(compliance_inputs);
    inputs.extend(statement_inputs);
    inputs.extend(late_inputs);
    add_control_breaks(&mut outcome, &control_breaks);

    // 5. Outputs.
    steps.step("writing outputs");
    // The texts are built in parallel (the two big CSVs on separate cores), then written.
    let ((matches_text, exceptions_text), (rejects_text, (findings_text, open_text))) = rayon::join(
        || {
            rayon::join(
                || matches_csv(&outcome.matches),
                || exceptions_csv(&outcome.exceptions),
            )
        },
        || {
            rayon::join(
                || rejects_csv(&rejects),
                || (findings_csv(&findings), outcome.open_items.to_json()),
            )
        },
    );
    stage.write("matches.csv", matches_text.as_bytes())?;
    stage.write("exceptions.csv", exceptions_text.as_bytes())?;
    stage.write("rejects.csv", rejects_text.as_bytes())?;
    stage.write("findings.csv", findings_text.as_bytes())?;
    stage.write("open-items.json", open_text.as_bytes())?;
    // The big texts are not needed past here (freed at exit like the rest).
    std::mem::forget((matches_text, exceptions_text));
    // The engine's working memory: the reports reuse it (freed on a background thread);
    // without them the process ends soon, and freeing millions of small allocations one by one
    // would only cost a core about a second at a million investments.
    if args.no_reports {
        std::mem::forget(scratch);
    } else {
        drop(scratch);
    }

    let run_id = run_id(&args, &inputs);
    if !args.no_reports {
        steps.step("rendering reports");
        let layouts = tieout_report::layout::Layouts::load(args.templates.as_deref())
            .context("loading report layouts")?;
        let rperiod = tieout_report::Period::of_month(period);
        let rinput = tieout_report::ReportInput {
            period: &rperiod,
            run_id: &run_id,
            document_time: rperiod.document_time(),
            book: &book,
            matches: &outcome.matches,
            exceptions: &outcome.exceptions,
            rejects: &rejects,
            statement_lines: &lines,
            findings: &findings,
        };
        tieout_report::render_all(&rinput, &layouts, stage.path()).context("rendering reports")?;
    }

    let verdict = verdict(&outcome, &findings, &rejects);
    let manifest = manifest(
        &args,
        &run_id,
        &inputs,
        &outcome,
        &findings,
        &rejects,
        verdict,
        stage.path(),
    )?;
    stage.write("manifest.json", manifest.as_bytes())?;
    steps.finish();
    let out = stage.commit()?;

    print_summary(&args, &out, verdict, &outcome, &findings, &rejects);
    // The process ends right after this: handing millions of small allocations back one by one
    // would only delay the exit (about a second at a million investments).
    std::mem::forget((book, lines, payouts, outcome, findings));
    Ok(match verdict {
        Verdict::Reconciled => Outcome::Clean,
        Verdict::Exceptions | Verdict::Incomplete => Outcome::Exceptions,
    })
}

/// A file whose trailer records contradict its own transactions (BAI2 control totals and
/// counts) cannot vouch for its completeness: each contradiction is a `BALANCE_BREAK`.
fn add_control_breaks(outcome: &mut ReconOutcome, breaks: &[Reject]) {
    for b in breaks {
        outcome.exceptions.push(ExceptionRow {
            code: ExceptionCode::BalanceBreak,
            severity: Severity::Warning,
            investment_id: None,
            statement_file: Some(b.file.clone()),
            statement_row: None,
            amount_cents: 0,
            detail: format!(
                "{} (line {}, {}); every transaction was read, but ask the bank whether the file is complete.",
                b.reason,
                b.row,
                b.column.as_deref().unwrap_or("trailer")
            ),
        });
        *outcome
            .summary
            .exceptions_by_code
            .entry(ExceptionCode::BalanceBreak.as_str().to_string())
            .or_default() += 1;
    }
    outcome.exceptions.sort_by(ExceptionRow::output_order);
}

fn file_name(path: &Path) -> Result<String> {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .with_context(|| format!("{} has no file name", path.display()))
}

fn verdict(outcome: &ReconOutcome, findings: &[Finding], rejects: &[Reject]) -> Verdict {
    if !rejects.is_empty() {
        Verdict::Incomplete
    } else if !outcome.exceptions.is_empty()
        || findings.iter().any(|f| f.severity == Severity::Violation)
    {
        Verdict::Exceptions
    } else {
        Verdict::Reconciled
    }
}

/// A deterministic id for the run: the same inputs and parameters give the same id.
fn run_id(args: &ReconcileArgs, inputs: &[InputFile]) -> String {
    let mut text = format!(
        "tieout {}\nperiod {}\n",
        env!("CARGO_PKG_VERSION"),
        args.period
    );
    let mut hashes: Vec<String> = inputs
        .iter()
        .map(|i| format!("{} {}", i.role, i.sha256))
        .collect();
    hashes.sort();
    for h in hashes {
        text.push_str(&h);
        text.push('\n');
    }
    sha256_bytes(text.as_bytes())[..12].to_string()
}

#[allow(clippy::too_many_arguments)]
fn manifest(
    args: &ReconcileArgs,
    run_id: &str,
    inputs: &[InputFile],
    outcome: &ReconOutcome,
    findings: &[Finding],
    rejects: &[Reject],
    verdict: Verdict,
    dir: &Path,
) -> Result<String> {
    let mut outputs = Vec::new();
    for rel in list_files(dir)? {
        let rel_s = display_path(&rel);
        if rel_s == "manifest.json" || rel_s.starts_with("snapshot/") {
            continue;
        }
        let p = dir.join(&rel);
        outputs.push(json!({
            "path": rel_s,
            "sha256": sha256_file(&p)?,
            "bytes": std::fs::metadata(&p)?.len(),
        }));
    }
    let mut by_severity: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in findings {
        *by_severity.entry(f.severity.as_str()).or_default() += 1;
        *by_rule.entry(f.code.as_str()).or_default() += 1;
    }
    let s = &outcome.summary;
    let source = match (&args.snapshot, &args.api.api_url) {
        (Some(dir), _) => json!({ "snapshot": display_path(dir) }),
        (None, Some(url)) => json!({
            "api_url": redact_url(url),
            "api_key_env": args.api.api_key_env,
            "snapshot_out": args.snapshot_out.as_ref().map(|p| display_path(p)),
        }),
        _ => json!(null),
    };
    let doc = json!({
        "tool": "tieout",
        "version": env!("CARGO_PKG_VERSION"),
        "run_id": run_id,
        "period": args.period.to_string(),
        "verdict": verdict.as_str(),
        "parameters": {
            "source": source,
            "statements": args.statements.iter().map(|p| display_path(p)).collect::<Vec<_>>(),
            "payouts": args.payouts.iter().map(|p| display_path(p)).collect::<Vec<_>>(),
            "carry_forward": args.carry_forward.as_ref().map(|p| display_path(p)),
            "sdn": args.compliance.sdn.as_ref().map(|p| display_path(p)),
            "overrides": args.compliance.overrides.as_ref().map(|p| display_path(p)),
            "tolerances": args.tolerances.as_ref().map(|p| display_path(p)),
            "bank_profile": args.bank_profile.as_ref().map(|p| display_path(p)),
            "reports": !args.no_reports,
        },
        "inputs": inputs,
        "counts": {
            "statement_lines": s.lines,
            "lines_matched": s.lines_matched,
            "lines_exception": s.lines_exception,
            "lines_ignored": s.lines_ignored,
            "rows_rejected": rejects.len(),
            "lines_cents": s.lines_cents,
            "matched_line_cents": s.matched_line_cents,
            "exception_line_cents": s.exception_line_cents,
            "ignored_line_cents": s.ignored_line_cents,
            "movements": s.movements,
            "movements_matched": s.movements_matched,
            "movements_exception": s.movements_exception,
            "movements_ignored": s.movements_ignored,
            "matches": outcome.matches.len(),
            "exceptions": outcome.exceptions.len(),
            "exceptions_by_code": s.exceptions_by_code,
            "findings": findings.len(),
            "findings_by_severity": by_severity,
            "findings_by_rule": by_rule,
            "open_items": outcome.open_items.items.len(),
        },
        "outputs": outputs,
    });
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    Ok(text)
}

/// The URL without credentials or query (for manifests).
fn redact_url(url: &str) -> String {
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

fn print_summary(
    args: &ReconcileArgs,
    out: &Path,
    verdict: Verdict,
    outcome: &ReconOutcome,
    findings: &[Finding],
    rejects: &[Reject],
) {
    let s = &outcome.summary;
    let violations = findings
        .iter()
        .filter(|f| f.severity == Severity::Violation)
        .count();
    let codes: Vec<String> = s
        .exceptions_by_code
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    eprintln!();
    eprintln!(
        "tieout reconcile {}: {}",
        args.period,
        verdict.as_str().to_uppercase()
    );
    eprintln!(
        "  statement lines  {} read: {} matched, {} with exceptions, {} ignored with a reason; {} rows rejected",
        s.lines,
        s.lines_matched,
        s.lines_exception,
        s.lines_ignored,
        rejects.len()
    );
    eprintln!(
        "  investments      {} movements in scope: {} matched ({:.1}% by count, {:.1}% by amount), {} exceptions",
        s.movements,
        s.movements_matched,
        s.matched_ratio_count * 100.0,
        s.matched_ratio_amount * 100.0,
        s.movements_exception
    );
    if codes.is_empty() {
        eprintln!("  exceptions       none");
    } else {
        eprintln!(
            "  exceptions       {} ({})",
            outcome.exceptions.len(),
            codes.join(", ")
        );
    }
    eprintln!(
        "  compliance       {} findings, {violations} violations",
        findings.len()
    );
    eprintln!("  outputs          {}", out.display());
}

/// A spinner naming the current step; hidden with `--quiet` or off a terminal.
struct Steps {
    bar: ProgressBar,
}

/// The process's resident memory in MiB, where the platform tells (Linux `/proc/self/statm`,
/// assuming 4 KiB pages); for the step log only.
fn resident_mib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4 / 1024)
}

impl Steps {
    fn new(quiet: bool) -> Self {
        let bar = ProgressBar::new_spinner();
        if quiet {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Self { bar }
    }

    fn step(&self, msg: &str) {
        match resident_mib() {
            Some(mib) => tracing::info!("{msg} (resident memory {mib} MiB)"),
            None => tracing::info!("{msg}"),
        }
        self.bar.set_message(msg.to_string());
    }

    fn suspend<T>(&self, f: impl FnOnce() -> T) -> T {
        self.bar.suspend(f)
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
