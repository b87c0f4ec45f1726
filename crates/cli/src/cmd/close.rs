//! The closing steps of `tieout reconcile`: decision files read at the edge, decisions applied
//! (`tieout_reconcile::close`), the closing outputs (`resolved.csv`, `board.json`) and the
//! board pack rendered with the sign-offs that apply.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tieout_reconcile::close::{self, CarriedDecision, DecisionFile};
use tieout_reconcile::engine::{OpenItems, ReconOutcome};
use tieout_report::close::{SignoffFile, SinceLast};

use crate::inputs::{InputFile, read_input};
use crate::outdir::sha256_bytes;

/// Reads and parses every `--decisions` file (recorded in `inputs` with role `decisions`).
pub fn read_decisions(paths: &[PathBuf], inputs: &mut Vec<InputFile>) -> Result<Vec<DecisionFile>> {
    let mut out = Vec::new();
    for p in paths {
        let bytes = read_input(p, "decisions", inputs)?;
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .with_context(|| format!("{} has no file name", p.display()))?;
        let decisions = close::read::parse(&name, &bytes)
            .with_context(|| format!("reading the decisions {}", p.display()))?;
        out.push(DecisionFile {
            name,
            sha256: sha256_bytes(&bytes),
            decisions,
        });
    }
    Ok(out)
}

/// The standing decisions of last month's `open-items.json` text.
pub fn carried(text: Option<&str>) -> Result<Vec<CarriedDecision>> {
    match text {
        Some(t) => close::carried_decisions(t).context("reading the carried decisions"),
        None => Ok(Vec::new()),
    }
}

/// What changed since last month: `carry` is last month's open items (when given).
pub fn since_last(
    carry: Option<&OpenItems>,
    carried_decisions: usize,
    outcome: &ReconOutcome,
    period_end: chrono::NaiveDate,
) -> Option<SinceLast> {
    let carry = carry?;
    let still = outcome
        .open_items
        .items
        .iter()
        .filter(|o| o.first_open_period_end < period_end)
        .count();
    let carried_ids: std::collections::HashSet<i64> =
        carry.items.iter().map(|o| o.investment_id).collect();
    let new = outcome
        .exceptions
        .iter()
        .filter(|e| e.investment_id.is_none_or(|i| !carried_ids.contains(&i)))
        .count();
    Some(SinceLast {
        previous_period_end: carry.period_end,
        carried_in: carry.items.len() + carried_decisions,
        carried_still_open: still,
        new_this_period: new,
    })
}

/// The sign-offs recorded in `out` by an earlier run into the same folder (kept in the new
/// run's `signoff.json`, where they show as no longer applying unless the run is the same).
pub fn previous_signoffs(out: &Path) -> Result<Option<SignoffFile>> {
    let p = out.join("signoff.json");
    match std::fs::read_to_string(&p) {
        Ok(text) => Ok(Some(
            serde_json::from_str(&text).with_context(|| format!("reading {}", p.display()))?,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", p.display())),
    }
}

/// Renders `dir/board.pdf` from `dir/board.json` with the sign-offs of `signoffs` that apply
/// to the run whose manifest hashes to `manifest_sha256`.
pub fn render_board(
    dir: &Path,
    signoffs: &SignoffFile,
    manifest_sha256: &str,
    templates: Option<&Path>,
) -> Result<()> {
    if !dir.join("board.json").exists() {
        // A run without reports (--no-reports) has no board pack.
        return Ok(());
    }
    let text = std::fs::read_to_string(dir.join("board.json"))
        .with_context(|| format!("reading {}", dir.join("board.json").display()))?;
    let doc: tieout_report::pdf::BoardDoc =
        serde_json::from_str(&text).context("reading board.json")?;
    let layouts =
        tieout_report::layout::Layouts::load(templates).context("loading report layouts")?;
    let fonts = tieout_report::pdf::Fonts::embedded()?;
    let lines = signoffs.lines(&doc.header.run_id, manifest_sha256);
    let bytes = tieout_report::pdf::board_pdf(&doc, &lines, &layouts, &fonts)?;
    write_atomic(&dir.join("board.pdf"), &bytes)
}

/// Writes `path` through a temporary sibling renamed into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}
