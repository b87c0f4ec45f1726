//! The no-argument month-end run on the bundled demo dataset.

use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

use std::time::Duration;

use crate::{DEMO_PORT, exit_code, start_sandbox};

/// Environment variable the demo passes the sandbox key through (never on the command line).
const DEMO_KEY_ENV: &str = "TIEOUT_DEMO_API_KEY";

/// Runs the whole month end against `testdata/demo` through the sandbox API over HTTP.
pub fn run(bin: &Path, root: &Path) -> Result<ExitCode> {
    let data = root.join("testdata").join("demo");
    let manifest_path = data.join("dataset.json");
    let text = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("reading {}", manifest_path.display()))?;
    let ds: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("parsing {}", manifest_path.display()))?;
    let period = ds["period"]
        .as_str()
        .context("dataset.json has no period")?
        .to_string();
    let key = ds["api_key"]
        .as_str()
        .context("dataset.json has no api_key")?
        .to_string();
    let list = |k: &str| -> Vec<String> {
        ds["demo"][k]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let statements = list("statements");
    let payouts = list("payouts");
    if statements.is_empty() {
        bail!("dataset.json lists no demo statements");
    }

    let (sandbox, url) = start_sandbox(bin, &data, Some(DEMO_PORT), Duration::from_secs(120))?;
    eprintln!("xtask: sandbox API for the demo dataset is listening on {url}");

    let out = root.join("reports").join(&period);
    // The raw snapshot (unmasked tax ids) is kept beside the reports, owner-only.
    let snapshot_out = root.join("reports").join(format!("{period}-snapshot"));
    let mut cmd = Command::new(bin);
    cmd.current_dir(root)
        .arg("reconcile")
        .args(["--api-url", &url, "--api-key-env", DEMO_KEY_ENV])
        .arg("--snapshot-out")
        .arg(&snapshot_out)
        .args(["--period", &period])
        .arg("--out")
        .arg(&out)
        .env(DEMO_KEY_ENV, &key);
    for s in &statements {
        cmd.arg("--statement").arg(data.join(s));
    }
    for p in &payouts {
        cmd.arg("--payouts").arg(data.join(p));
    }
    let sdn = root.join("testdata").join("sdn-fictional");
    if sdn.join("sdn.csv").exists() {
        cmd.arg("--sdn").arg(&sdn);
    }
    let overrides = data.join("overrides.csv");
    if overrides.exists() {
        cmd.arg("--overrides").arg(&overrides);
    }
    let status = cmd.status().context("running tieout reconcile")?;
    drop(sandbox);
    let code = status.code();
    match code {
        Some(0) | Some(1) => {
            eprintln!("xtask: reports for {period} are in {}", out.display());
        }
        _ => eprintln!("xtask: the month-end run failed; no reports were written"),
    }
    Ok(exit_code(code))
}
