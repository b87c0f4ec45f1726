//! The bench's tables: rows printed as they are measured, `results.csv`, and `results.md` with
//! the targets each figure is held to.

use std::fmt::Write as _;
use std::time::Duration;

use super::{PERIOD, Row, SEED};

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

pub(super) fn print_rows(rows: &[Row]) {
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

pub(super) fn csv(rows: &[Row]) -> String {
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

pub(super) fn markdown(rows: &[Row], version: &str) -> String {
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
    // The sized classic runs (the world variants have rows of their own below).
    let scores: Vec<(u64, crate::score::Score)> = rows
        .iter()
        .filter(|r| r.stage == "accuracy")
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
    // Every world of the sized runs and every variant row: the issue 17 bar.
    for r in rows
        .iter()
        .filter(|r| r.stage.starts_with("accuracy@") || r.stage.starts_with("variant-accuracy@"))
    {
        if let Some(a) = r.score {
            line(format!(
                "{} at {} meets the bar (precision ≥ 0.99, recall ≥ 0.97, every planted exception reported): {:.4} / {:.4} / {} of {}; false alarms {} — {}",
                r.stage,
                r.size,
                a.precision(),
                a.recall(),
                a.planted_reported,
                a.planted,
                a.false_alarms,
                verdict(
                    a.precision() >= 0.99 && a.recall() >= 0.97 && a.planted_reported == a.planted
                )
            ));
        }
    }
    // A month where nothing matches costs no more than 1.5× the matching one.
    for r in rows
        .iter()
        .filter(|r| r.stage.starts_with("reconcile-nothing-matches"))
    {
        let matching = r
            .stage
            .replacen("reconcile-nothing-matches", "reconcile", 1);
        if let (Some(w), Some(base)) = (r.wall, find(rows, r.size, &matching).and_then(|b| b.wall))
        {
            let x = w.as_secs_f64() / base.as_secs_f64();
            line(format!(
                "{} at {}: nothing-matches month ≤ 1.5× the matching month ({matching}): {x:.2}× — {}",
                r.stage,
                r.size,
                verdict(x <= 1.5)
            ));
        }
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
