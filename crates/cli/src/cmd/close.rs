//! The closing steps of `tieout reconcile` and `tieout signoff` at the edge: the sign-offs an
//! earlier run left in the output folder, and the board pack drawn from `board.json` with the
//! sign-offs that apply (decisions are read by `tieout::inputs` and applied in the pipeline).

use std::path::Path;

use anyhow::{Context, Result};
use tieout_report::close::SignoffFile;

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
    let mut f =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}
