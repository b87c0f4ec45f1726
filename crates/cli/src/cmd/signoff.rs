//! `tieout signoff`: records that a person prepared or reviewed a run, bound to the SHA-256 of
//! the run's `manifest.json` (which hashes every output but the board pack, a rendering of
//! `board.json` and the sign-offs). The run folder must still be what the manifest says. The
//! sign-off goes into `signoff.json` and the board pack's first page is rendered again with
//! who prepared and who reviewed the run. Regenerated reports have a new manifest (and, with
//! new inputs or decisions, a new run id): earlier sign-offs then show as no longer applying.
//!
//! This is an edge: it reads the clock for the sign-off time.

use anyhow::{Context, Result, bail};
use tieout_report::close::{Signoff, SignoffFile};

use crate::{Outcome, SignoffArgs, SignoffRole};
use tieout::outdir::{sha256_bytes, sha256_file};

/// Runs `tieout signoff`.
pub fn run(args: SignoffArgs) -> Result<Outcome> {
    let dir = &args.run;
    let manifest_path = dir.join("manifest.json");
    let manifest_bytes = std::fs::read(&manifest_path).with_context(|| {
        format!(
            "reading {} (is this a run folder?)",
            manifest_path.display()
        )
    })?;
    let manifest_sha = sha256_bytes(&manifest_bytes);
    let manifest: serde_json::Value =
        serde_json::from_slice(&manifest_bytes).context("reading manifest.json")?;
    let run_id = manifest["run_id"]
        .as_str()
        .context("manifest.json has no run_id")?
        .to_string();
    // The folder must still hold what the run wrote.
    for o in manifest["outputs"].as_array().into_iter().flatten() {
        let (Some(path), Some(sha)) = (o["path"].as_str(), o["sha256"].as_str()) else {
            continue;
        };
        let p = dir.join(path);
        let now = sha256_file(&p).with_context(|| format!("checking {path}"))?;
        if now != sha {
            bail!(
                "{path} differs from what run {run_id} wrote (manifest sha256 {sha}, now {now}); \
                 a changed run cannot be signed off: run the month end again"
            );
        }
    }
    let name = args.name.trim();
    if name.is_empty() {
        bail!("--name is empty: a sign-off names who signs");
    }
    let signoff_path = dir.join("signoff.json");
    let mut file: SignoffFile = match std::fs::read_to_string(&signoff_path) {
        Ok(t) => serde_json::from_str(&t).context("reading signoff.json")?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => SignoffFile {
            format: 1,
            signoffs: Vec::new(),
        },
        Err(e) => return Err(e).context("reading signoff.json"),
    };
    let role = match args.role {
        SignoffRole::Preparer => "preparer",
        SignoffRole::Reviewer => "reviewer",
    };
    if args.role == SignoffRole::Reviewer {
        let valid = file.valid(&run_id, &manifest_sha);
        match valid.get("preparer") {
            None => bail!(
                "run {run_id} has no preparer sign-off for this manifest; the preparer signs first"
            ),
            Some(p) if p.name.trim().eq_ignore_ascii_case(name) => {
                bail!("{name} prepared run {run_id}; the reviewer must be someone else")
            }
            Some(_) => {}
        }
    }
    let signed_at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    file.format = 1;
    file.signoffs.push(Signoff {
        role: role.into(),
        name: name.to_string(),
        note: args.note.clone().filter(|n| !n.trim().is_empty()),
        signed_at: signed_at.clone(),
        run_id: run_id.clone(),
        manifest_sha256: manifest_sha.clone(),
    });
    let mut text = serde_json::to_string_pretty(&file)?;
    text.push('\n');
    super::close::write_atomic(&signoff_path, text.as_bytes())?;
    super::close::render_board(dir, &file, &manifest_sha, args.templates.as_deref())
        .context("rendering the board pack with the sign-off")?;
    eprintln!(
        "tieout signoff: run {run_id} (manifest sha256 {}) signed as {role} by {name} at {signed_at}",
        &manifest_sha[..12]
    );
    Ok(Outcome::Clean)
}
