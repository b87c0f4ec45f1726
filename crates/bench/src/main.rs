//! `tieout-baseline`: the baseline matcher on a month's inputs, for `cargo xtask bench`.
//!
//! `tieout-baseline --snapshot DIR --period YYYY-MM --out DIR --statement FILE… [--payouts FILE…]`
//! reads and parses the inputs as `tieout reconcile` does, runs [`tieout_bench::baseline`] and
//! writes `matches.csv` and `exceptions.csv`. Exit codes as `tieout`: 0 every line and movement
//! matched, 1 exceptions, 2 error. Not for a real month end.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use tieout::config::{RunConfig, Source};
use tieout_reconcile::engine::{ReconInput, exceptions_csv, matches_csv};

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("tieout-baseline: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool> {
    let mut snapshot = None;
    let mut period = None;
    let mut out = None;
    let mut statements = Vec::new();
    let mut payouts = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--snapshot" => snapshot = Some(PathBuf::from(value()?)),
            "--period" => period = Some(value()?.parse::<tieout_domain::Period>()?),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--statement" => statements.push(PathBuf::from(value()?)),
            "--payouts" => payouts.push(PathBuf::from(value()?)),
            "--quiet" | "--no-reports" => {}
            other => bail!("unknown argument `{other}`"),
        }
    }
    let config = RunConfig {
        source: Source::Snapshot(snapshot.context("--snapshot DIR is required")?),
        statements,
        payouts,
        bank_profile: None,
        carry_forward: None,
        decisions: Vec::new(),
        sdn: None,
        overrides: None,
        tolerances: None,
        platform_profile: None,
        templates: None,
        period: period.context("--period YYYY-MM is required")?,
        out: out.context("--out DIR is required")?,
        reports: false,
        checks: tieout_domain::CheckConfig::default(),
        xlsx_limits: Default::default(),
    }
    .validate()?;
    let Source::Snapshot(dir) = &config.source else {
        unreachable!("built with a snapshot above")
    };
    let inputs = tieout::inputs::read(&config, dir)?;
    let opts = tieout_reconcile::load::LoadOptions::default();
    let parsed = tieout::pipeline::parse(inputs.files, &opts)?;
    let input = ReconInput {
        book: &inputs.book,
        lines: &parsed.lines,
        payouts: &parsed.payouts,
        balances: &parsed.balances,
        rejects: &parsed.rejects,
        control_breaks: &parsed.control_breaks,
        carry_forward: None,
        period: config.period,
        platform: None,
    };
    let outcome = tieout_bench::baseline::reconcile(&input, &inputs.tolerances)?;
    std::fs::create_dir_all(&config.out)
        .with_context(|| format!("creating {}", config.out.display()))?;
    std::fs::write(
        config.out.join("matches.csv"),
        matches_csv(&outcome.matches),
    )?;
    std::fs::write(
        config.out.join("exceptions.csv"),
        exceptions_csv(&outcome.exceptions),
    )?;
    Ok(outcome.exceptions.is_empty())
}
