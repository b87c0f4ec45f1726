//! `cargo xtask bench`: end-to-end figures for the release `tieout` binary on generated data.
//!
//! For each size (investments: 10,000, 100,000 and 1,000,000 by default) it generates a dataset
//! once (`tieout gen --seed 7 --period 2026-10`) into a cache outside the repository
//! (`$CARGO_TARGET_DIR/tieout-bench/<version>-gen<fingerprint of the generator's sources>/
//! n<N>-seed7-2026-10/`, reused when present), then
//! times each stage as a separate child process, measuring wall time and the child's peak
//! resident set size (`wait4`'s `ru_maxrss`):
//!
//! - `pull` (sizes ≤ 100,000): `tieout pull` from `tieout sandbox` on loopback;
//! - `check` and `check+sdn`: `tieout check` without and with the full OFAC SDN list from
//!   `../shared/samples/ofac/full` (the fictional `testdata/sdn-fictional` when that is
//!   missing); the difference is the screening cost;
//! - `reconcile`: `tieout reconcile --no-reports` on the dataset's demo statement set;
//!
//! `check`, `check+sdn` and `reconcile` run `--repeat` times (3 by default) and report the
//! median run's wall time with the spread in the note, and the largest run's peak RSS;
//! - `reconcile-baseline`: the same inputs through `tieout-baseline` (the bench-only crate
//!   `crates/bench`: the same reading and parsing, the plain single-threaded baseline matcher),
//!   stopped after `--baseline-timeout` seconds;
//! - `reconcile+reports`: the same run rendering every PDF/XLSX report; `reports` is the
//!   difference to `reconcile`.
//!
//! Results go to `reports/bench/results.csv` and `results.md` (git-ignored), with the machine
//! they came from.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{build_bins, root, start_sandbox};

const SEED: u64 = 7;
const PERIOD: &str = "2026-10";
const AS_OF: &str = "2026-10-31";
const KEY_ENV: &str = "TIEOUT_BENCH_API_KEY";
/// Largest size the pull stage runs at (the sandbox serves from memory; 1M is not a target).
const PULL_MAX: u64 = 100_000;

/// Command-line options.
#[derive(Debug, Clone)]
struct Opts {
    sizes: Vec<u64>,
    baseline_timeout: Duration,
    baseline: bool,
    /// Largest size the `reconcile+reports` stage runs at.
    reports_max: u64,
    /// Stop the engine's reconcile after this long (the size's remaining stages are skipped).
    reconcile_timeout: Option<Duration>,
    /// Runs of each check and reconcile stage; the median run is reported (this VM's speed
    /// drifts by a third from one minute to the next, so one run is an anecdote).
    repeat: usize,
}

fn parse(args: &[String]) -> Result<Opts> {
    let mut o = Opts {
        sizes: vec![10_000, 100_000, 1_000_000],
        baseline_timeout: Duration::from_secs(900),
        baseline: true,
        reports_max: u64::MAX,
        reconcile_timeout: None,
        repeat: 3,
    };
    let mut skip_1m = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--sizes" => {
                let v = it
                    .next()
                    .context("--sizes needs a value, e.g. 10000,100000")?;
                o.sizes = v
                    .split(',')
                    .map(|s| {
                        s.trim()
                            .replace('_', "")
                            .parse::<u64>()
                            .with_context(|| format!("--sizes: `{s}` is not a number"))
                    })
                    .collect::<Result<_>>()?;
            }
            "--skip-1m" => skip_1m = true,
            "--reconcile-timeout" => {
                let v = it.next().context("--reconcile-timeout needs seconds")?;
                o.reconcile_timeout = Some(Duration::from_secs(
                    v.parse()
                        .with_context(|| format!("--reconcile-timeout: `{v}`"))?,
                ));
            }
            "--reports-max" => {
                let v = it.next().context("--reports-max needs a size")?;
                o.reports_max = v
                    .replace('_', "")
                    .parse()
                    .with_context(|| format!("--reports-max: `{v}` is not a number"))?;
            }
            "--no-baseline" => o.baseline = false,
            "--repeat" => {
                let v = it.next().context("--repeat needs a count")?;
                o.repeat = v
                    .parse()
                    .ok()
                    .filter(|&r: &usize| r >= 1)
                    .with_context(|| format!("--repeat: `{v}` is not a count of 1 or more"))?;
            }
            "--baseline-timeout" => {
                let v = it.next().context("--baseline-timeout needs seconds")?;
                o.baseline_timeout = Duration::from_secs(
                    v.parse()
                        .with_context(|| format!("--baseline-timeout: `{v}`"))?,
                );
            }
            other => bail!("unknown bench option `{other}`\n\n{}", HELP),
        }
    }
    if skip_1m {
        o.sizes.retain(|&n| n < 1_000_000);
    }
    o.sizes.sort_unstable();
    o.sizes.dedup();
    if o.sizes.is_empty() {
        bail!("no sizes left to run");
    }
    Ok(o)
}

/// Help for `cargo xtask bench`.
pub const HELP: &str = "usage: cargo xtask bench [--sizes 10000,100000] [--skip-1m] [--no-baseline] [--baseline-timeout SECS] [--reports-max N] [--reconcile-timeout SECS] [--repeat N (default 3)]";

/// One measured stage.
#[derive(Debug, Clone)]
struct Row {
    size: u64,
    stage: String,
    wall: Option<Duration>,
    records: u64,
    records_kind: &'static str,
    peak_rss_kib: Option<u64>,
    /// baseline wall / this wall, for `reconcile`.
    ratio: Option<f64>,
    /// Reconciliation accuracy against the ground truth, for `accuracy`.
    score: Option<crate::score::Score>,
    note: String,
}

/// The result of running one child to completion.
struct Measured {
    wall: Duration,
    peak_rss_kib: u64,
    code: Option<i32>,
    timed_out: bool,
}

/// Runs `tieout bench`.
pub fn run(args: &[String]) -> Result<ExitCode> {
    let opts = parse(args)?;
    let bin = build_bins(true, true)?;
    let scorer = bin.with_file_name(format!("tieout-score{}", std::env::consts::EXE_SUFFIX));
    let baseline_bin =
        bin.with_file_name(format!("tieout-baseline{}", std::env::consts::EXE_SUFFIX));
    // Datasets are cached per tieout version and generator source: a changed generator makes
    // new datasets (its truth files would otherwise score the engine against stale plants).
    let version = format!("{}-gen{}", tieout_version(&bin)?, generator_fingerprint()?);
    let cache = target_dir().join("tieout-bench");
    let runs = cache.join("runs");
    let _ = std::fs::remove_dir_all(&runs);
    std::fs::create_dir_all(&runs).with_context(|| format!("creating {}", runs.display()))?;
    // The full OFAC SDN list from the shared samples (read in place) when it is there, so the
    // screening figure is against the real list; the fictional list otherwise.
    let full_sdn = root().join("..").join("shared/samples/ofac/full");
    let (sdn, sdn_label) = if full_sdn.join("sdn.csv").exists() {
        (full_sdn, "the full OFAC SDN list")
    } else {
        eprintln!(
            "xtask: {} not found; screening against the fictional list testdata/sdn-fictional",
            full_sdn.display()
        );
        (
            root().join("testdata").join("sdn-fictional"),
            "the fictional SDN list",
        )
    };
    let mut rows: Vec<Row> = Vec::new();

    let out_dir = root().join("reports").join("bench");
    for &n in &opts.sizes {
        let first_row = rows.len();
        let data = dataset(&bin, &cache.join(&version), n, &mut rows)?;
        let ds = read_json(&data.join("dataset.json"))?;
        let manifest = read_json(&data.join("api").join("manifest.json"))?;
        let count = |k: &str| manifest["counts"][k].as_u64().unwrap_or(0);
        let api_records =
            count("offerings") + count("investors") + count("investments") + count("users");
        let investors = count("investors");
        let lines = statement_lines(&data, &ds)?;
        let out = |stage: &str| runs.join(format!("n{n}-{stage}"));

        // pull
        if n <= PULL_MAX {
            let key = ds["api_key"]
                .as_str()
                .context("dataset.json has no api_key")?
                .to_string();
            let (sandbox, url) = start_sandbox(&bin, &data, None, Duration::from_secs(300))?;
            let mut cmd = Command::new(&bin);
            cmd.args([
                "--quiet",
                "pull",
                "--api-url",
                &url,
                "--api-key-env",
                KEY_ENV,
                "--out",
            ])
            .arg(out("pull"))
            .env(KEY_ENV, &key);
            let m = measure(cmd, None)?;
            drop(sandbox);
            ensure_ok("pull", n, &m)?;
            rows.push(row(n, "pull", &m, api_records, "API records", ""));
        }

        // check, without and with sanctions screening
        for (stage, with_sdn) in [("check", false), ("check+sdn", true)] {
            if with_sdn && !sdn.join("sdn.csv").exists() {
                continue;
            }
            let cmd = || {
                let mut cmd = Command::new(&bin);
                cmd.args(["--quiet", "check", "--snapshot"])
                    .arg(data.join("api"))
                    .args(["--as-of", AS_OF, "--out"])
                    .arg(out(stage));
                if with_sdn {
                    cmd.arg("--sdn").arg(&sdn);
                }
                cmd
            };
            let (m, spread) = measure_median(cmd, opts.repeat, None)?;
            ensure_ok(stage, n, &m)?;
            let note = if with_sdn {
                format!("{investors} investors screened against {sdn_label}; {spread}")
            } else {
                spread
            };
            rows.push(row(
                n,
                stage,
                &m,
                count("investments"),
                "investments",
                &note,
            ));
        }

        // reconcile: engine, baseline, engine with reports
        let recon = |engine: &str, reports: bool, dir: PathBuf| -> Result<Command> {
            let mut cmd = if engine == "baseline" {
                Command::new(&baseline_bin)
            } else {
                let mut cmd = Command::new(&bin);
                cmd.args(["--quiet", "reconcile"]);
                cmd
            };
            cmd.arg("--snapshot")
                .arg(data.join("api"))
                .args(["--period", PERIOD, "--out"])
                .arg(dir);
            for s in demo_list(&ds, "statements") {
                cmd.arg("--statement").arg(data.join(s));
            }
            for p in demo_list(&ds, "payouts") {
                cmd.arg("--payouts").arg(data.join(p));
            }
            if !reports {
                cmd.arg("--no-reports");
            }
            Ok(cmd)
        };
        let (m, spread) = measure_median(
            || recon("tieout", false, out("reconcile")),
            opts.repeat,
            opts.reconcile_timeout,
        )?;
        if m.timed_out {
            let secs = opts.reconcile_timeout.map(|t| t.as_secs()).unwrap_or(0);
            rows.push(Row {
                wall: None,
                note: format!(
                    "did not finish within {secs} s (stopped; peak RSS up to then); baseline and reports skipped"
                ),
                ..row(n, "reconcile", &m, lines, "statement lines", "")
            });
            print_rows(&rows[first_row..]);
            write_results(&out_dir, &rows, &version)?;
            continue;
        }
        ensure_ok("reconcile", n, &m)?;
        let engine_wall = m.wall;
        // The run's own count of statement lines (camt batch entries expanded) when available.
        let lines = read_json(&out("reconcile").join("manifest.json"))
            .ok()
            .and_then(|v| v["counts"]["statement_lines"].as_u64())
            .unwrap_or(lines);
        let mut engine_row = row(n, "reconcile", &m, lines, "statement lines", &spread);
        let accuracy = crate::score::score(&scorer, &data, &out("reconcile"))
            .with_context(|| format!("scoring the {n} run against its ground truth"))?;
        let accuracy_row = Row {
            wall: None,
            records: accuracy.truth as u64,
            records_kind: "truth pairs",
            peak_rss_kib: None,
            ratio: None,
            note: accuracy.note(),
            score: Some(accuracy),
            ..row(n, "accuracy", &m, 0, "truth pairs", "")
        };
        if opts.baseline {
            let m = measure(
                recon("baseline", false, out("reconcile-baseline"))?,
                Some(opts.baseline_timeout),
            )?;
            if m.timed_out {
                engine_row.note = format!(
                    "{spread}; baseline stopped after {} s: ratio > {:.1}",
                    opts.baseline_timeout.as_secs(),
                    opts.baseline_timeout.as_secs_f64() / engine_wall.as_secs_f64()
                );
                rows.push(Row {
                    wall: None,
                    note: format!(
                        "did not finish within {} s",
                        opts.baseline_timeout.as_secs()
                    ),
                    ..row(n, "reconcile-baseline", &m, lines, "statement lines", "")
                });
            } else {
                ensure_ok("reconcile-baseline", n, &m)?;
                engine_row.ratio = Some(m.wall.as_secs_f64() / engine_wall.as_secs_f64());
                rows.push(row(
                    n,
                    "reconcile-baseline",
                    &m,
                    lines,
                    "statement lines",
                    "",
                ));
            }
        }
        rows.push(engine_row);
        rows.push(accuracy_row);
        if n > opts.reports_max {
            print_rows(&rows[first_row..]);
            write_results(&out_dir, &rows, &version)?;
            continue;
        }
        let m = measure(recon("tieout", true, out("reconcile+reports"))?, None)?;
        ensure_ok("reconcile+reports", n, &m)?;
        rows.push(row(
            n,
            "reconcile+reports",
            &m,
            lines,
            "statement lines",
            "",
        ));
        rows.push(Row {
            size: n,
            stage: "reports".into(),
            wall: Some(m.wall.saturating_sub(engine_wall)),
            records: lines,
            records_kind: "statement lines",
            peak_rss_kib: None,
            ratio: None,
            score: None,
            note: "reconcile+reports − reconcile (all PDF/XLSX reports)".into(),
        });
        print_rows(&rows[first_row..]);
        // Written after every size, so a long run that is stopped keeps what it measured.
        write_results(&out_dir, &rows, &version)?;
    }
    eprintln!();
    print!("{}", markdown(&rows, &version));
    eprintln!("xtask: results in {}", out_dir.display());
    Ok(ExitCode::SUCCESS)
}

fn write_results(dir: &Path, rows: &[Row], version: &str) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join("results.csv"), csv(rows))?;
    std::fs::write(dir.join("results.md"), markdown(rows, version))?;
    Ok(())
}

fn row(size: u64, stage: &str, m: &Measured, records: u64, kind: &'static str, note: &str) -> Row {
    Row {
        size,
        stage: stage.into(),
        wall: Some(m.wall),
        records,
        records_kind: kind,
        peak_rss_kib: Some(m.peak_rss_kib),
        ratio: None,
        score: None,
        note: note.into(),
    }
}

fn ensure_ok(stage: &str, n: u64, m: &Measured) -> Result<()> {
    match m.code {
        Some(0) | Some(1) => Ok(()),
        c => bail!("stage {stage} at {n} investments failed (exit {c:?})"),
    }
}

/// `$CARGO_TARGET_DIR` (absolute) or `<root>/target`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| root().join("target"))
}

/// FNV-1a (64-bit) of the generator's sources (relative paths and contents, in path order), as
/// 16 hex digits: the dataset cache key beside the version.
fn generator_fingerprint() -> Result<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let p = e?.path();
            if p.is_dir() {
                walk(&p, out)?;
            } else {
                out.push(p);
            }
        }
        Ok(())
    }
    let base = root().join("crates").join("sandbox").join("src");
    let mut files = Vec::new();
    walk(&base.join("generator"), &mut files)?;
    files.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in &files {
        let rel = f
            .strip_prefix(&base)
            .unwrap_or(f)
            .to_string_lossy()
            .into_owned();
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        for b in rel.bytes().chain([0]).chain(bytes).chain([0]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    Ok(format!("{h:016x}"))
}

fn tieout_version(bin: &Path) -> Result<String> {
    let out = Command::new(bin)
        .arg("--version")
        .output()
        .context("running tieout --version")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let v = text
        .split_whitespace()
        .last()
        .context("tieout --version printed nothing")?;
    Ok(format!("v{v}"))
}

fn read_json(p: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", p.display()))
}

fn demo_list(ds: &serde_json::Value, k: &str) -> Vec<String> {
    ds["demo"][k]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Statement lines of the demo set: truth/lines.csv rows of the accounts the demo files cover
/// (every account is rendered in every format, so one file per account).
fn statement_lines(data: &Path, ds: &serde_json::Value) -> Result<u64> {
    let accounts: Vec<String> = demo_list(ds, "statements")
        .iter()
        .filter_map(|s| s.split('/').nth(1).map(str::to_string))
        .collect();
    let text = std::fs::read_to_string(data.join("truth").join("lines.csv"))
        .context("reading truth/lines.csv")?;
    Ok(text
        .lines()
        .skip(1)
        .filter(|l| {
            l.split(',')
                .next()
                .is_some_and(|a| accounts.iter().any(|x| x == a))
        })
        .count() as u64)
}

/// The cached dataset for `n` investments, generated (and timed) when missing.
fn dataset(bin: &Path, cache: &Path, n: u64, rows: &mut Vec<Row>) -> Result<PathBuf> {
    let dir = cache.join(format!("n{n}-seed{SEED}-{PERIOD}"));
    if dir.join("dataset.json").exists() {
        eprintln!("xtask: reusing dataset {}", dir.display());
        return Ok(dir);
    }
    std::fs::create_dir_all(cache)?;
    let tmp = cache.join(format!(".n{n}.tmp"));
    let _ = std::fs::remove_dir_all(&tmp);
    eprintln!("xtask: generating {n} investments into {}…", dir.display());
    let mut cmd = Command::new(bin);
    cmd.args(["--quiet", "gen", "--out"]).arg(&tmp).args([
        "--investments",
        &n.to_string(),
        "--seed",
        &SEED.to_string(),
        "--period",
        PERIOD,
    ]);
    let m = measure(cmd, None)?;
    if m.code != Some(0) {
        bail!("tieout gen --investments {n} failed (exit {:?})", m.code);
    }
    std::fs::rename(&tmp, &dir)
        .with_context(|| format!("moving the dataset to {}", dir.display()))?;
    rows.push(row(
        n,
        "gen",
        &m,
        n,
        "investments",
        "dataset generation (cached afterwards)",
    ));
    Ok(dir)
}

/// Runs `cmd` (stdout discarded, stderr inherited), returning wall time and peak RSS. With a
/// timeout, the child is killed when it runs longer and the result is marked `timed_out`.
/// Runs the command `make` builds `runs` times (fewer when a run fails or times out) and returns
/// the median run by wall time, with the peak RSS of the largest run, and a note with the
/// spread (`median of 3 runs: 2.91-3.42 s`).
fn measure_median<C: IntoCommand>(
    make: impl Fn() -> C,
    runs: usize,
    timeout: Option<Duration>,
) -> Result<(Measured, String)> {
    let mut all: Vec<Measured> = Vec::new();
    for _ in 0..runs.max(1) {
        let m = measure(make().into_command()?, timeout)?;
        let stop = m.timed_out || !matches!(m.code, Some(0) | Some(1));
        all.push(m);
        if stop {
            break;
        }
    }
    let peak = all.iter().map(|m| m.peak_rss_kib).max().unwrap_or(0);
    if all.len() < runs.max(1) {
        // A failed or stopped run is what is reported.
        let mut m = all.pop().context("no run")?;
        m.peak_rss_kib = peak;
        return Ok((m, String::new()));
    }
    all.sort_by_key(|m| m.wall);
    let (lo, hi) = (all[0].wall, all[all.len() - 1].wall);
    let k = all.len();
    let mut m = all.swap_remove((k - 1) / 2);
    m.peak_rss_kib = peak;
    let note = if k == 1 {
        String::new()
    } else {
        format!(
            "median of {k} runs: {:.2}-{:.2} s",
            lo.as_secs_f64(),
            hi.as_secs_f64()
        )
    };
    Ok((m, note))
}

/// A command, or the result of building one.
trait IntoCommand {
    fn into_command(self) -> Result<Command>;
}

impl IntoCommand for Command {
    fn into_command(self) -> Result<Command> {
        Ok(self)
    }
}

impl IntoCommand for Result<Command> {
    fn into_command(self) -> Result<Command> {
        self
    }
}

fn measure(mut cmd: Command, timeout: Option<Duration>) -> Result<Measured> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let start = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("starting {cmd:?}"))?;
    let pid = i32::try_from(child.id()).context("child pid out of range")?;
    let mut timed_out = false;
    loop {
        if let Some((code, rss)) = rusage::try_reap(pid)? {
            let wall = start.elapsed();
            // The child is reaped: std must not wait on it again; dropping `Child` is fine.
            drop(child);
            return Ok(Measured {
                wall,
                peak_rss_kib: rss,
                code,
                timed_out,
            });
        }
        if let Some(t) = timeout
            && !timed_out
            && start.elapsed() > t
        {
            let _ = child.kill();
            timed_out = true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The one place with `unsafe`: `wait4(2)` to reap a child with its resource usage.
#[allow(unsafe_code)]
mod rusage {
    use anyhow::{Result, bail};

    /// Non-blocking reap of `pid`: `Some((exit code, peak RSS in KiB))` once it has exited.
    pub fn try_reap(pid: i32) -> Result<Option<(Option<i32>, u64)>> {
        let mut status: libc::c_int = 0;
        // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `status` and `ru` are valid, exclusively borrowed out-pointers for the
        // duration of the call; `pid` is our own child, which std has not reaped.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut ru) };
        if r == 0 {
            return Ok(None);
        }
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                return Ok(None);
            }
            bail!("wait4({pid}) failed: {e}");
        }
        let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
        // Linux reports ru_maxrss in KiB.
        Ok(Some((code, u64::try_from(ru.ru_maxrss).unwrap_or(0))))
    }
}

fn fmt_wall(w: Option<Duration>) -> String {
    w.map(|w| format!("{:.2}", w.as_secs_f64()))
        .unwrap_or_else(|| "—".into())
}

fn throughput(r: &Row) -> Option<f64> {
    r.wall
        .filter(|w| !w.is_zero())
        .map(|w| r.records as f64 / w.as_secs_f64())
}

fn fmt_rss(k: Option<u64>) -> String {
    k.map(|k| format!("{:.0}", k as f64 / 1024.0))
        .unwrap_or_else(|| "—".into())
}

fn print_rows(rows: &[Row]) {
    for r in rows {
        eprintln!(
            "xtask: {:>9} {:<20} {:>9} s {:>12} {}/s  peak {:>6} MiB{}{}",
            r.size,
            r.stage,
            fmt_wall(r.wall),
            throughput(r)
                .map(|t| format!("{t:.0}"))
                .unwrap_or_else(|| "—".into()),
            r.records_kind,
            fmt_rss(r.peak_rss_kib),
            r.ratio
                .map(|x| format!("  baseline/tieout {x:.1}×"))
                .unwrap_or_default(),
            if r.note.is_empty() {
                String::new()
            } else {
                format!("  ({})", r.note)
            },
        );
    }
}

fn csv(rows: &[Row]) -> String {
    let mut s = String::from(
        "investments,stage,wall_s,records,records_kind,records_per_s,peak_rss_mib,baseline_ratio,note\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},\"{}\"",
            r.size,
            r.stage,
            r.wall
                .map(|w| format!("{:.3}", w.as_secs_f64()))
                .unwrap_or_default(),
            r.records,
            r.records_kind,
            throughput(r).map(|t| format!("{t:.0}")).unwrap_or_default(),
            r.peak_rss_kib
                .map(|k| format!("{:.1}", k as f64 / 1024.0))
                .unwrap_or_default(),
            r.ratio.map(|x| format!("{x:.2}")).unwrap_or_default(),
            r.note.replace('"', "\"\""),
        );
    }
    s
}

/// Machine description: CPU model, logical CPUs, total memory.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok())
        })
        .map(|k| format!("{:.1} GiB", k as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown memory".into());
    // Other work on the machine skews figures: record the load when the results were written.
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into());
    format!(
        "{cpu}, nproc {nproc}, {mem} RAM, {} {}, 1-min load average {load} at the end",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

fn find<'a>(rows: &'a [Row], n: u64, stage: &str) -> Option<&'a Row> {
    rows.iter().find(|r| r.size == n && r.stage == stage)
}

fn markdown(rows: &[Row], version: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# tieout benchmark\n");
    let _ = writeln!(
        s,
        "tieout {version} (release), seed {SEED}, period {PERIOD}. Machine: {}.\n",
        machine()
    );
    let _ = writeln!(
        s,
        "| investments | stage | wall (s) | throughput | peak RSS (MiB) | baseline ÷ tieout | note |"
    );
    let _ = writeln!(s, "|---:|---|---:|---:|---:|---:|---|");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.size,
            r.stage,
            fmt_wall(r.wall),
            throughput(r)
                .map(|t| format!("{t:.0} {}/s", r.records_kind))
                .unwrap_or_else(|| "—".into()),
            fmt_rss(r.peak_rss_kib),
            r.ratio.map(|x| format!("{x:.1}×")).unwrap_or_default(),
            r.note,
        );
    }
    let _ = writeln!(s, "\n## Targets\n");
    let secs = |n: u64, st: &str| {
        find(rows, n, st)
            .and_then(|r| r.wall)
            .map(|w| w.as_secs_f64())
    };
    let verdict = |ok: bool| if ok { "holds" } else { "MISSES" };
    let mut line = |text: String| {
        let _ = writeln!(s, "- {text}");
    };
    if let Some(r) = find(rows, 1_000_000, "reconcile").filter(|r| r.wall.is_none()) {
        let gib = r.peak_rss_kib.unwrap_or(0) as f64 / 1024.0 / 1024.0;
        line(format!("reconcile 1M ≤ 15 s: MISSES ({})", r.note));
        line(format!(
            "reconcile 1M ≤ 4 GiB peak RSS: {gib:.2} GiB before it was stopped — {}",
            if gib > 4.0 {
                "MISSES"
            } else {
                "unknown (stopped early)"
            }
        ));
    }
    if let (Some(w), Some(r)) = (
        secs(1_000_000, "reconcile"),
        find(rows, 1_000_000, "reconcile"),
    ) {
        let gib = r.peak_rss_kib.unwrap_or(0) as f64 / 1024.0 / 1024.0;
        line(format!(
            "reconcile 1M ≤ 15 s: {w:.1} s — {}",
            verdict(w <= 15.0)
        ));
        line(format!(
            "reconcile 1M ≤ 4 GiB peak RSS: {gib:.2} GiB — {}",
            verdict(gib <= 4.0)
        ));
        if let Some(w100) = secs(100_000, "reconcile") {
            let x = w / w100;
            line(format!(
                "reconcile 1M ≤ 12× the 100k run: {x:.1}× — {}",
                verdict(x <= 12.0)
            ));
        }
    }
    if let Some(w) = secs(1_000_000, "check+sdn").or(secs(1_000_000, "check")) {
        line(format!(
            "check over 1M ≤ 5 s (with sanctions screening): {w:.1} s — {}",
            verdict(w <= 5.0)
        ));
    }
    if let (Some(a), Some(b)) = (secs(100_000, "check+sdn"), secs(100_000, "check")) {
        let note = find(rows, 100_000, "check+sdn")
            .map(|r| r.note.clone())
            .unwrap_or_default();
        line(format!(
            "OFAC screening at 100k investments ({note}) ≤ 10 s: {:.1} s (check+sdn − check) — {}",
            (a - b).max(0.0),
            verdict(a - b <= 10.0)
        ));
    }
    if let Some(w) = secs(1_000_000, "reports") {
        line(format!(
            "XLSX register of 1M rows ≤ 30 s: all reports together take {w:.1} s — {}",
            if w <= 30.0 {
                "holds (upper bound)"
            } else {
                "not shown: the figure covers every report"
            }
        ));
    }
    let scores: Vec<(u64, crate::score::Score)> = rows
        .iter()
        .filter_map(|r| Some((r.size, r.score?)))
        .collect();
    if let (Some((n0, small)), Some((n1, large))) = (scores.first(), scores.last())
        && n1 > n0
    {
        line(format!(
            "accuracy does not drop at scale: precision {:.4} / recall {:.4} / planted exceptions reported {:.4} at {n1} vs {:.4} / {:.4} / {:.4} at {n0} — {}",
            large.precision(),
            large.recall(),
            large.planted_recall(),
            small.precision(),
            small.recall(),
            small.planted_recall(),
            verdict(
                large.precision() + 0.002 >= small.precision()
                    && large.recall() + 0.002 >= small.recall()
                    && large.planted_recall() + 0.002 >= small.planted_recall()
            )
        ));
    }
    if let Some((n1, large)) = scores.last() {
        line(format!(
            "accuracy at {n1} meets the reconcile issue's bar (precision ≥ 0.99, recall ≥ 0.97, every planted exception reported with its code): {:.4} / {:.4} / {} of {} — {}",
            large.precision(),
            large.recall(),
            large.planted_reported,
            large.planted,
            verdict(
                large.precision() >= 0.99
                    && large.recall() >= 0.97
                    && large.planted_reported == large.planted
            )
        ));
    }
    if let Some(r) = find(rows, 100_000, "pull") {
        let t = throughput(r).unwrap_or(0.0);
        line(format!(
            "pull of 100k from the local sandbox ≥ 5,000 records/s: {t:.0} records/s — {}",
            verdict(t >= 5000.0)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn sizes_and_skip_1m() {
        let o = parse(&args(&["--sizes", "100000,10_000", "--skip-1m"])).unwrap();
        assert_eq!(o.sizes, vec![10_000, 100_000]);
        let o = parse(&args(&["--skip-1m"])).unwrap();
        assert_eq!(o.sizes, vec![10_000, 100_000]);
        assert!(parse(&args(&["--sizes", "1000000", "--skip-1m"])).is_err());
        assert!(parse(&args(&["--sizes", "ten"])).is_err());
        assert!(parse(&args(&["--bogus"])).is_err());
    }

    #[test]
    fn measure_reports_exit_code_and_rss() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "exit 1"]);
        let m = measure(cmd, None).unwrap();
        assert_eq!(m.code, Some(1));
        assert!(m.peak_rss_kib > 0);
        let mut cmd = Command::new("sleep");
        cmd.arg("5");
        let m = measure(cmd, Some(Duration::from_millis(100))).unwrap();
        assert!(m.timed_out);
        assert!(m.wall < Duration::from_secs(4));
    }

    #[test]
    fn markdown_states_ratio_and_targets() {
        let r = |n: u64, stage: &str, secs: f64, ratio: Option<f64>| Row {
            size: n,
            stage: stage.into(),
            wall: Some(Duration::from_secs_f64(secs)),
            records: n,
            records_kind: "statement lines",
            peak_rss_kib: Some(1024 * 1024),
            ratio,
            score: None,
            note: String::new(),
        };
        let rows = vec![
            r(100_000, "reconcile", 2.0, Some(3.0)),
            r(1_000_000, "reconcile", 30.0, None),
        ];
        let md = markdown(&rows, "v0");
        assert!(md.contains("| 3.0× |"), "{md}");
        assert!(md.contains("reconcile 1M ≤ 15 s: 30.0 s — MISSES"), "{md}");
        assert!(md.contains("15.0× — MISSES"), "{md}");
        assert!(md.contains("1.00 GiB — holds"), "{md}");
    }
}
