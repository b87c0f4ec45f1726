//! Project automation for tieout, run as `cargo xtask <command>`.
//!
//! xtask stays light: it has no polars/printpdf/reqwest; it builds and drives the `tieout`
//! binary, the way a user would.
//!
//! Commands:
//! - `reconcile` with no arguments: the full month-end run on the bundled demo dataset. It starts
//!   the bundled sandbox API on loopback, pulls through the real client over HTTP, checks
//!   compliance, reconciles the demo statements and writes every report to `reports/<period>/`.
//! - `reconcile <args…>`: the same pipeline on real inputs; the arguments go to
//!   `tieout reconcile` unchanged (`--api-url`, `--statement`, `--payouts`, `--period`, …).
//! - `bench [--sizes 10000,100000] [--skip-1m]`: release-build timings, throughput and peak RSS
//!   of pull/check/reconcile/reports on generated datasets, against the baseline matcher;
//!   results in `reports/bench/` (see `bench.rs`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

mod bench;
mod demo;
mod score;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode> {
    let mut args = std::env::args().skip(1);
    let cmd = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match cmd.as_str() {
        "reconcile" => reconcile(&rest),
        "bench" => bench::run(&rest),
        "" | "help" | "--help" | "-h" => {
            println!("{}", HELP);
            Ok(ExitCode::SUCCESS)
        }
        other => bail!("unknown xtask command `{other}`\n\n{HELP}"),
    }
}

const HELP: &str = "usage: cargo xtask <command>

commands:
  reconcile            month-end run on the bundled demo dataset (sandbox API over HTTP)
  reconcile <args…>    month-end run on real inputs; args go to `tieout reconcile`
  bench [options]      release benchmark on generated data (options: --sizes 10000,100000,
                       --skip-1m, --no-baseline, --baseline-timeout SECS,
                       --reports-max N, --reconcile-timeout SECS, --world NAME[,NAME],
                       --nothing-matches, --variant-size N, --no-variants, --debug);
                       see reports/bench/ and docs/worlds.md";

/// The workspace root (xtask's manifest dir is `<root>/xtask`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// Builds the `tieout` binary with the given profile and returns its path.
fn build_tieout(release: bool) -> Result<PathBuf> {
    build_bins(release, false)
}

/// Builds `tieout` and, with `bench`, the bench-only `tieout-baseline` and `tieout-score` (one
/// cargo run, so all link the same build of the libraries); returns the path of `tieout`,
/// beside which the others lie.
fn build_bins(release: bool, bench: bool) -> Result<PathBuf> {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(root())
        .args(["build", "--package", "tieout", "--bin", "tieout"]);
    if bench {
        cmd.args([
            "--package",
            "tieout-bench",
            "--bin",
            "tieout-baseline",
            "--bin",
            "tieout-score",
        ]);
    }
    if release {
        cmd.arg("--release");
    }
    eprintln!(
        "xtask: building tieout ({})…",
        if release { "release" } else { "debug" }
    );
    let status = cmd.status().context("running cargo build")?;
    if !status.success() {
        bail!("cargo build of tieout failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| root().join("target"));
    let bin = target
        .join(if release { "release" } else { "debug" })
        .join(format!("tieout{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        bail!("built tieout binary not found at {}", bin.display());
    }
    Ok(bin)
}

fn reconcile(args: &[String]) -> Result<ExitCode> {
    let bin = build_tieout(false)?;
    if !args.is_empty() {
        let status = Command::new(&bin)
            .arg("reconcile")
            .args(args)
            .status()
            .context("running tieout reconcile")?;
        return Ok(exit_code(status.code()));
    }
    demo::run(&bin, &root())
}

/// Maps a child's exit status onto ours, keeping the 0/1/2 contract.
fn exit_code(code: Option<i32>) -> ExitCode {
    match code {
        Some(0) => ExitCode::SUCCESS,
        Some(1) => ExitCode::from(1),
        _ => ExitCode::from(2),
    }
}

/// The loopback port the demo sandbox prefers: a fixed port keeps the API URL recorded in the
/// run manifest the same from run to run (byte-identical reruns).
const DEMO_PORT: u16 = 48_213;

/// A child process that is killed when dropped (the sandbox server).
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tieout sandbox` on loopback (on `preferred_port` when it is free, else an ephemeral
/// port) and waits up to `within` until it writes its URL; the server stops when the guard drops.
fn start_sandbox(
    bin: &Path,
    data: &Path,
    preferred_port: Option<u16>,
    within: Duration,
) -> Result<(KillOnDrop, String)> {
    let ready = std::env::temp_dir().join(format!("tieout-sandbox-{}.url", std::process::id()));
    let _ = std::fs::remove_file(&ready);
    let port = preferred_port
        .filter(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
        .unwrap_or(0);
    let child = Command::new(bin)
        .args(["--quiet", "sandbox", "--port", &port.to_string(), "--data"])
        .arg(data)
        .arg("--ready-file")
        .arg(&ready)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the sandbox")?;
    let mut guard = KillOnDrop(child);
    let started = Instant::now();
    loop {
        if let Ok(mut f) = std::fs::File::open(&ready) {
            let mut url = String::new();
            f.read_to_string(&mut url)?;
            let url = url.trim().to_string();
            if !url.is_empty() {
                let _ = std::fs::remove_file(&ready);
                return Ok((guard, url));
            }
        }
        if let Some(status) = guard.0.try_wait()? {
            bail!("the sandbox exited before it was ready ({status})");
        }
        if started.elapsed() > within {
            bail!(
                "the sandbox did not become ready within {} s",
                within.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
