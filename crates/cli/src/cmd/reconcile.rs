//! `tieout reconcile`: the month-end run, as glue: the arguments become a [`RunConfig`], the
//! inputs are read ([`tieout::inputs::read`], the snapshot pulled first when an API is given),
//! [`tieout::pipeline::run_with_progress`] does the work, and the outputs are written into a
//! staging directory moved into `--out` only when the run succeeded. `--out` is checked first
//! ([`tieout::outdir`]): a folder holding files tieout did not write, or any input, is refused
//! untouched. A pulled snapshot goes to `--snapshot-out`, never among the reports.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tieout::config::{RunConfig, Source};
use tieout::inputs::display_path;
use tieout::manifest::{Manifest, OutputFile};
use tieout::outdir::{Access, StagedDir, list_files, sha256_file};
use tieout::pipeline::{self, RunResult, Verdict};

use crate::{Outcome, ReconcileArgs};

/// The validated configuration of `tieout reconcile`'s arguments.
fn config(args: ReconcileArgs) -> Result<RunConfig> {
    let source = match (args.snapshot, args.api.api_url) {
        (Some(dir), _) => Source::Snapshot(dir),
        (None, Some(url)) => Source::Api {
            url,
            key_env: args.api.api_key_env,
            concurrency: args.api.concurrency,
            snapshot_out: args.snapshot_out.ok_or_else(|| {
                anyhow::anyhow!(
                    "--api-url needs --snapshot-out DIR: the pulled snapshot holds unmasked tax ids and is kept in a folder of its own (owner-only), not among the reports"
                )
            })?,
        },
        (None, None) => anyhow::bail!("give either --snapshot DIR or --api-url URL"),
    };
    Ok(RunConfig {
        source,
        statements: args.statements,
        payouts: args.payouts,
        bank_profile: args.bank_profile,
        carry_forward: args.carry_forward,
        decisions: args.decisions,
        sdn: args.compliance.sdn,
        overrides: args.compliance.overrides,
        tolerances: args.tolerances,
        platform_profile: args.platform_profile,
        templates: args.templates,
        period: args.period,
        out: args.out,
        reports: !args.no_reports,
        checks: tieout_domain::CheckConfig::default(),
        xlsx_limits: tieout_reconcile::load::XlsxLimits {
            max_cells: args.xlsx_max_cells,
            // The rectangle the rows span may be sparser than the cells, within reason.
            max_grid_cells: args.xlsx_max_cells.saturating_mul(5) / 2,
            max_part_bytes: args.xlsx_max_mib.saturating_mul(1 << 20),
            max_total_bytes: args.xlsx_max_mib.saturating_mul(2 << 20),
        },
    }
    .validate()?)
}

/// Runs `tieout reconcile`.
pub fn run(args: ReconcileArgs, quiet: bool) -> Result<Outcome> {
    let api = args.api.clone();
    let access = if args.group_readable {
        Access::Group
    } else {
        Access::Owner
    };
    let config = config(args)?;
    // Sign-offs of an earlier run in the same folder: kept, and shown as no longer applying.
    let previous_signoffs = super::close::previous_signoffs(&config.out)?;
    // Every file and folder the run reads: none may lie inside --out (checked, with the
    // folder's own contents, before anything is written).
    let read = config.read_paths();
    if let Source::Api { snapshot_out, .. } = &config.source
        && tieout::outdir::overlap(snapshot_out, &config.out)
    {
        anyhow::bail!(
            "--snapshot-out {} and --out {} overlap; the raw snapshot (unmasked tax ids) goes in a folder of its own, beside the reports",
            snapshot_out.display(),
            config.out.display()
        );
    }
    let stage = StagedDir::new(&config.out, &read, access)?;
    let steps = Steps::new(quiet);

    // Read: the snapshot (pulled into --snapshot-out when an API is given), then every input.
    let snapshot_dir = match &config.source {
        Source::Snapshot(dir) => dir.clone(),
        Source::Api {
            url, snapshot_out, ..
        } => {
            steps.step("pulling the snapshot");
            steps.suspend(|| {
                super::pull::pull_snapshot(&api, url, None, snapshot_out, &read, quiet)
            })?;
            snapshot_out.clone()
        }
    };
    steps.step("loading the snapshot");
    let inputs = tieout::inputs::read(&config, &snapshot_dir)?;

    // Call.
    let mut result =
        pipeline::run_with_progress(&config, inputs, &|s: pipeline::Step| steps.step(s.label()))?;

    // Write.
    steps.step("writing outputs");
    let texts = pipeline::output_texts(&result);
    for (name, text) in &texts {
        stage.write(name, text.as_bytes())?;
    }
    // The big texts are not needed past here (freed at exit like the rest).
    std::mem::forget(texts);
    // The engine's working memory: the reports reuse it (freed on a background thread);
    // without them the process ends soon, and freeing millions of small allocations one by one
    // would only cost a core about a second at a million investments.
    let scratch = result.scratch.take();
    if config.reports {
        drop(scratch);
    } else {
        std::mem::forget(scratch);
    }
    if config.reports {
        steps.step("rendering reports");
        let layouts = tieout_report::layout::Layouts::load(config.templates.as_deref())
            .context("loading report layouts")?;
        let input = result.report_input(&config.period);
        let models = tieout_report::build_models(&input).context("building the reports")?;
        tieout_report::render_models(&models, input.document_time, &layouts, stage.path())
            .context("rendering reports")?;
        // What the board pack is drawn from: `tieout signoff` draws it again from this.
        let board = tieout_report::pdf::BoardDoc {
            header: models.header.clone(),
            document_time: input.document_time,
            board: models.board.clone(),
        };
        let mut text = serde_json::to_string_pretty(&board)?;
        text.push('\n');
        stage.write("board.json", text.as_bytes())?;
    }
    let manifest = Manifest::new(&config, &result, outputs(stage.path())?);
    let manifest_text = manifest.to_json()?;
    stage.write("manifest.json", manifest_text.as_bytes())?;
    if config.reports {
        // The board pack with the sign-offs that apply to this manifest.
        let signoffs = previous_signoffs.unwrap_or_default();
        if !signoffs.signoffs.is_empty() {
            let mut text = serde_json::to_string_pretty(&signoffs)?;
            text.push('\n');
            stage.write("signoff.json", text.as_bytes())?;
        }
        super::close::render_board(
            stage.path(),
            &signoffs,
            &tieout::outdir::sha256_bytes(manifest_text.as_bytes()),
            config.templates.as_deref(),
        )?;
    }
    steps.finish();
    let out = stage.commit()?;

    print_summary(&config, &out, &result);
    let verdict = result.verdict;
    // The process ends right after this: handing millions of small allocations back one by one
    // would only delay the exit (about a second at a million investments).
    std::mem::forget(result);
    Ok(match verdict {
        Verdict::Reconciled => Outcome::Clean,
        Verdict::Exceptions | Verdict::Incomplete => Outcome::Exceptions,
    })
}

/// Every file written so far (but a pulled snapshot), hashed.
fn outputs(dir: &Path) -> Result<Vec<OutputFile>> {
    let mut outputs = Vec::new();
    for rel in list_files(dir)? {
        let path = display_path(&rel);
        // The board pack is drawn from board.json (hashed here) and the sign-offs after this
        // manifest; signoff.json binds to the manifest's hash.
        if path == "manifest.json"
            || path == "board.pdf"
            || path == "signoff.json"
            || path.starts_with("snapshot/")
        {
            continue;
        }
        let p = dir.join(&rel);
        outputs.push(OutputFile {
            path,
            sha256: sha256_file(&p)?,
            bytes: std::fs::metadata(&p)?.len(),
        });
    }
    Ok(outputs)
}

fn print_summary(config: &RunConfig, out: &Path, result: &RunResult) {
    let s = &result.outcome.summary;
    let violations = result
        .findings
        .iter()
        .filter(|f| f.severity == tieout_domain::Severity::Violation)
        .count();
    let codes: Vec<String> = s
        .exceptions_by_code
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    eprintln!();
    eprintln!(
        "tieout reconcile {}: {}",
        config.period,
        result.verdict.as_str().to_uppercase()
    );
    eprintln!(
        "  statement lines  {} read: {} matched, {} with exceptions, {} ignored with a reason; {} rows rejected",
        s.lines,
        s.lines_matched,
        s.lines_exception,
        s.lines_ignored,
        result.rejects.len()
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
            result.outcome.exceptions.len(),
            codes.join(", ")
        );
    }
    for (k, line) in result.outcome.money_model.lines().iter().enumerate() {
        let head = if k == 0 { "money model" } else { "" };
        eprintln!("  {head:<16} {line}");
    }
    eprintln!("  {:<16} {}", "", result.securities.describe());
    eprintln!(
        "  compliance       {} findings, {violations} violations",
        result.findings.len()
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
