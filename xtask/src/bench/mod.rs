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
//! With `--world NAME[,NAME…]` the sized `reconcile` and `accuracy` stages run in each world
//! variant (`tieout gen --world`; rows `reconcile@<world>`; pull, check, baseline and reports in
//! `classic` only); `--nothing-matches` adds `reconcile-nothing-matches`: the same snapshot
//! against the statements and payouts of seed 8 (nothing should match; the target is ≤ 1.5×
//! the matching month). A row per world variant at `--variant-size` (10,000 by default):
//! `variant-reconcile@<world>` and `variant-accuracy@<world>` (`docs/worlds.md`).
//!
//! Results go to `reports/bench/results.csv` and `results.md` (git-ignored), with the machine
//! they came from.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{build_bins, root, start_sandbox};

mod table;

use table::{csv, markdown, print_rows};

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
    /// Worlds of the sized runs (`tieout gen --world`); pull, check, baseline and reports run
    /// in `classic` only.
    worlds: Vec<String>,
    /// Size of the per-variant accuracy rows (every world); `None` skips them.
    variants: Option<u64>,
    /// Also time a month where nothing matches: the snapshot of seed 7 against the statements
    /// and payouts of seed 8 of the same size and world.
    nothing_matches: bool,
    /// The debug binaries already built (to try the plumbing; timings mean nothing).
    debug: bool,
}

fn parse(args: &[String]) -> Result<Opts> {
    let mut o = Opts {
        sizes: vec![10_000, 100_000, 1_000_000],
        baseline_timeout: Duration::from_secs(900),
        baseline: true,
        reports_max: u64::MAX,
        reconcile_timeout: None,
        repeat: 3,
        worlds: vec!["classic".into()],
        variants: Some(10_000),
        nothing_matches: false,
        debug: false,
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
            "--world" => {
                let v = it
                    .next()
                    .context("--world needs a name, e.g. amount-gross or classic,amount-gross")?;
                o.worlds = v
                    .split(',')
                    .map(|w| w.trim().to_string())
                    .filter(|w| !w.is_empty())
                    .collect();
                if o.worlds.is_empty() {
                    bail!("--world: no world named");
                }
            }
            "--variant-size" => {
                let v = it.next().context("--variant-size needs a size")?;
                o.variants = Some(
                    v.replace('_', "")
                        .parse()
                        .with_context(|| format!("--variant-size: `{v}` is not a number"))?,
                );
            }
            "--no-variants" => o.variants = None,
            "--nothing-matches" => o.nothing_matches = true,
            "--debug" => o.debug = true,
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
pub const HELP: &str = "usage: cargo xtask bench [--sizes 10000,100000] [--skip-1m] [--no-baseline] [--baseline-timeout SECS] [--reports-max N] [--reconcile-timeout SECS] [--repeat N (default 3)] [--world NAME[,NAME…] (default classic)] [--nothing-matches] [--variant-size N (default 10000) | --no-variants] [--debug]";

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
    let bin = if opts.debug {
        // The debug binaries `cargo build --workspace` left (no cargo run here: a package
        // selection would rebuild the dependencies with other features).
        let bin = target_dir()
            .join("debug")
            .join(format!("tieout{}", std::env::consts::EXE_SUFFIX));
        if !bin.exists() {
            bail!(
                "--debug uses {}: run `cargo build --workspace` first",
                bin.display()
            );
        }
        bin
    } else {
        build_bins(true, true)?
    };
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
    let cache = cache.join(&version);
    for (world, &n) in opts
        .worlds
        .iter()
        .flat_map(|w| opts.sizes.iter().map(move |n| (w.as_str(), n)))
    {
        let classic = world == "classic";
        // Stage names carry the world unless it is classic (the historic rows keep their names).
        let tag = |stage: &str| {
            if classic {
                stage.to_string()
            } else {
                format!("{stage}@{world}")
            }
        };
        let first_row = rows.len();
        let data = dataset(&bin, &cache, n, world, SEED, &mut rows)?;
        let ds = read_json(&data.join("dataset.json"))?;
        let manifest = read_json(&data.join("api").join("manifest.json"))?;
        let count = |k: &str| manifest["counts"][k].as_u64().unwrap_or(0);
        let api_records =
            count("offerings") + count("investors") + count("investments") + count("users");
        let investors = count("investors");
        let lines = statement_lines(&data, &ds)?;
        let out = |stage: &str| runs.join(format!("n{n}-{}", tag(stage)));

        // pull
        if classic && n <= PULL_MAX {
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
            if !classic || (with_sdn && !sdn.join("sdn.csv").exists()) {
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
        // `stmts`: the dataset whose statements and payouts are read (the same file names in
        // every dataset); `data` itself, or another for the nothing-matches month.
        let recon_of =
            |engine: &str, reports: bool, dir: PathBuf, stmts: &Path| -> Result<Command> {
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
                    cmd.arg("--statement").arg(stmts.join(s));
                }
                for p in demo_list(&ds, "payouts") {
                    cmd.arg("--payouts").arg(stmts.join(p));
                }
                if !reports {
                    cmd.arg("--no-reports");
                }
                Ok(cmd)
            };
        let recon =
            |engine: &str, reports: bool, dir: PathBuf| recon_of(engine, reports, dir, &data);
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
                ..row(n, &tag("reconcile"), &m, lines, "statement lines", "")
            });
            print_rows(&rows[first_row..]);
            write_results(&out_dir, &rows, &version)?;
            continue;
        }
        ensure_ok(&tag("reconcile"), n, &m)?;
        let engine_wall = m.wall;
        // The run's own count of statement lines (camt batch entries expanded) when available.
        let lines = read_json(&out("reconcile").join("manifest.json"))
            .ok()
            .and_then(|v| v["counts"]["statement_lines"].as_u64())
            .unwrap_or(lines);
        let mut engine_row = row(n, &tag("reconcile"), &m, lines, "statement lines", &spread);
        let accuracy = crate::score::score(&scorer, &data, &out("reconcile"))
            .with_context(|| format!("scoring the {n} {world} run against its ground truth"))?;
        let accuracy_row = Row {
            wall: None,
            records: accuracy.truth as u64,
            records_kind: "truth pairs",
            peak_rss_kib: None,
            ratio: None,
            note: accuracy.note(),
            score: Some(accuracy),
            ..row(n, &tag("accuracy"), &m, 0, "truth pairs", "")
        };
        // The same snapshot against another month's statements: nothing should match, and it
        // should cost no more than the matching month.
        let nothing = if opts.nothing_matches {
            let other = dataset(&bin, &cache, n, world, SEED + 1, &mut rows)?;
            let dir = out("reconcile-nothing-matches");
            let (m, spread) = measure_median(
                || recon_of("tieout", false, dir.clone(), &other),
                opts.repeat,
                opts.reconcile_timeout,
            )?;
            let stage = tag("reconcile-nothing-matches");
            let ratio = m.wall.as_secs_f64() / engine_wall.as_secs_f64();
            let note = if m.timed_out {
                "did not finish (stopped)".to_string()
            } else {
                ensure_ok(&stage, n, &m)?;
                let matched = std::fs::read_to_string(dir.join("matches.csv"))
                    .map(|t| t.lines().count().saturating_sub(1))
                    .unwrap_or(0);
                format!(
                    "snapshot of seed {SEED} against the statements and payouts of seed {}: {matched} pairs matched; {ratio:.2}× the matching run; {spread}",
                    SEED + 1
                )
            };
            Some(Row {
                wall: (!m.timed_out).then_some(m.wall),
                ..row(n, &stage, &m, lines, "statement lines", &note)
            })
        } else {
            None
        };
        if classic && opts.baseline {
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
        rows.extend(nothing);
        if !classic || n > opts.reports_max {
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
    // A row per world variant: reconcile time and accuracy at one small size.
    if let Some(n) = opts.variants {
        for world in list_worlds(&bin)? {
            let first_row = rows.len();
            let data = dataset(&bin, &cache, n, &world, SEED, &mut rows)?;
            let ds = read_json(&data.join("dataset.json"))?;
            let lines = statement_lines(&data, &ds)?;
            let dir = runs.join(format!("variant-n{n}-{world}"));
            let mut cmd = Command::new(&bin);
            cmd.args(["--quiet", "reconcile", "--snapshot"])
                .arg(data.join("api"))
                .args(["--period", PERIOD, "--no-reports", "--out"])
                .arg(&dir);
            for s in demo_list(&ds, "statements") {
                cmd.arg("--statement").arg(data.join(s));
            }
            for p in demo_list(&ds, "payouts") {
                cmd.arg("--payouts").arg(data.join(p));
            }
            let stage = format!("variant-reconcile@{world}");
            let m = measure(cmd, opts.reconcile_timeout)?;
            if m.timed_out {
                rows.push(Row {
                    wall: None,
                    note: "did not finish (stopped)".into(),
                    ..row(n, &stage, &m, lines, "statement lines", "")
                });
                continue;
            }
            ensure_ok(&stage, n, &m)?;
            rows.push(row(n, &stage, &m, lines, "statement lines", ""));
            let accuracy = crate::score::score(&scorer, &data, &dir)
                .with_context(|| format!("scoring the {world} variant"))?;
            rows.push(Row {
                wall: None,
                records: accuracy.truth as u64,
                records_kind: "truth pairs",
                peak_rss_kib: None,
                ratio: None,
                note: accuracy.note(),
                score: Some(accuracy),
                ..row(
                    n,
                    &format!("variant-accuracy@{world}"),
                    &m,
                    0,
                    "truth pairs",
                    "",
                )
            });
            print_rows(&rows[first_row..]);
            write_results(&out_dir, &rows, &version)?;
        }
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

/// The world variants the binary generates (`tieout gen --list-worlds`).
fn list_worlds(bin: &Path) -> Result<Vec<String>> {
    let out = Command::new(bin)
        .args(["gen", "--list-worlds"])
        .output()
        .context("running tieout gen --list-worlds")?;
    if !out.status.success() {
        bail!("tieout gen --list-worlds failed");
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect())
}

/// The cached dataset for `n` investments of `world` and `seed`, generated (and timed) when
/// missing.
fn dataset(
    bin: &Path,
    cache: &Path,
    n: u64,
    world: &str,
    seed: u64,
    rows: &mut Vec<Row>,
) -> Result<PathBuf> {
    let name = if world == "classic" {
        format!("n{n}-seed{seed}-{PERIOD}")
    } else {
        format!("n{n}-seed{seed}-{PERIOD}-{world}")
    };
    let dir = cache.join(&name);
    if dir.join("dataset.json").exists() {
        eprintln!("xtask: reusing dataset {}", dir.display());
        return Ok(dir);
    }
    std::fs::create_dir_all(cache)?;
    let tmp = cache.join(format!(".{name}.tmp"));
    let _ = std::fs::remove_dir_all(&tmp);
    eprintln!(
        "xtask: generating {n} investments ({world}, seed {seed}) into {}…",
        dir.display()
    );
    let mut cmd = Command::new(bin);
    cmd.args(["--quiet", "gen", "--out"]).arg(&tmp).args([
        "--investments",
        &n.to_string(),
        "--seed",
        &seed.to_string(),
        "--period",
        PERIOD,
        "--world",
        world,
    ]);
    let m = measure(cmd, None)?;
    if m.code != Some(0) {
        bail!(
            "tieout gen --investments {n} --world {world} failed (exit {:?})",
            m.code
        );
    }
    std::fs::rename(&tmp, &dir)
        .with_context(|| format!("moving the dataset to {}", dir.display()))?;
    rows.push(row(
        n,
        &if world == "classic" && seed == SEED {
            "gen".to_string()
        } else {
            format!("gen@{world}-seed{seed}")
        },
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
    fn worlds_variants_and_nothing_matches() {
        let o = parse(&args(&[])).unwrap();
        assert_eq!(o.worlds, vec!["classic".to_string()]);
        assert_eq!(o.variants, Some(10_000));
        assert!(!o.nothing_matches && !o.debug);
        let o = parse(&args(&[
            "--world",
            "classic, amount-gross",
            "--nothing-matches",
            "--variant-size",
            "2_000",
            "--debug",
        ]))
        .unwrap();
        assert_eq!(o.worlds, vec!["classic".to_string(), "amount-gross".into()]);
        assert_eq!(o.variants, Some(2_000));
        assert!(o.nothing_matches && o.debug);
        assert_eq!(parse(&args(&["--no-variants"])).unwrap().variants, None);
        assert!(parse(&args(&["--world", ","])).is_err());
        assert!(parse(&args(&["--variant-size", "x"])).is_err());
    }

    #[test]
    fn markdown_holds_nothing_matches_and_variants_to_their_targets() {
        let r = |stage: &str, secs: f64| Row {
            size: 1_000,
            stage: stage.into(),
            wall: Some(Duration::from_secs_f64(secs)),
            records: 1_000,
            records_kind: "statement lines",
            peak_rss_kib: Some(1024),
            ratio: None,
            score: None,
            note: String::new(),
        };
        let score = crate::score::Score {
            truth: 100,
            found: 50,
            correct: 50,
            planted: 10,
            planted_reported: 10,
            false_alarms: 3,
        };
        let rows = vec![
            r("reconcile@amount-gross", 2.0),
            r("reconcile-nothing-matches@amount-gross", 4.0),
            Row {
                wall: None,
                score: Some(score),
                ..r("variant-accuracy@amount-gross", 0.0)
            },
        ];
        let md = markdown(&rows, "v0");
        assert!(
            md.contains("nothing-matches month ≤ 1.5× the matching month (reconcile@amount-gross): 2.00× — MISSES"),
            "{md}"
        );
        assert!(
            md.contains("variant-accuracy@amount-gross at 1000 meets the bar")
                && md.contains("0.5000 / 10 of 10; false alarms 3 — MISSES"),
            "{md}"
        );
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
