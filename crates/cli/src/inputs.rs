//! Reading the run's input files (sanctions list, overrides) at the edge, so the domain crate
//! stays pure. Every input read is recorded with its SHA-256 for the manifest.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use tieout_domain::sanctions::{Overrides, SanctionsIndex, SanctionsList, SdnFiles};

use crate::outdir::sha256_bytes;

/// One input file and its hash, for the manifest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputFile {
    /// What the file is (`statement`, `payouts`, `sdn`, `snapshot`, ...).
    pub role: String,
    /// Path as given (or relative to the snapshot).
    pub path: String,
    /// SHA-256 of the bytes read.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// Reads a file and records it.
pub fn read_input(path: &Path, role: &str, inputs: &mut Vec<InputFile>) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    inputs.push(InputFile {
        role: role.to_string(),
        path: display_path(path),
        sha256: sha256_bytes(&bytes),
        bytes: bytes.len() as u64,
    });
    Ok(bytes)
}

/// A path as written in manifests: as given, with `/` separators.
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// A parsed OFAC list and its screening index.
pub struct Sanctions {
    /// The parsed list (entries and rejected records).
    pub list: SanctionsList,
    /// The screening index.
    pub index: SanctionsIndex,
}

/// Reads an OFAC legacy CSV set from a folder: `sdn.csv` required; `alt.csv`, `add.csv`,
/// `sdn_comments.csv` when present. A malformed record is an error; comment, alias and address
/// rows whose entry `sdn.csv` does not have are a logged warning naming every one.
pub fn load_sanctions(dir: &Path, inputs: &mut Vec<InputFile>) -> Result<Sanctions> {
    let sdn_path = dir.join("sdn.csv");
    if !sdn_path.exists() {
        bail!(
            "{} has no sdn.csv (an OFAC SDN legacy CSV set is expected)",
            dir.display()
        );
    }
    let sdn = read_input(&sdn_path, "sdn", inputs)?;
    let mut optional = |name: &str| -> Result<Option<Vec<u8>>> {
        let p: PathBuf = dir.join(name);
        if p.exists() {
            Ok(Some(read_input(&p, "sdn", inputs)?))
        } else {
            Ok(None)
        }
    };
    let alt = optional("alt.csv")?;
    let add = optional("add.csv")?;
    let comments = optional("sdn_comments.csv")?;
    let files = SdnFiles {
        sdn: &sdn,
        alt: alt.as_deref(),
        add: add.as_deref(),
        comments: comments.as_deref(),
    };
    let list = SanctionsList::parse(&files)
        .with_context(|| format!("parsing the OFAC list in {}", dir.display()))?;
    for r in &list.rejects {
        tracing::warn!("OFAC list record set aside: {r}");
    }
    // Rows whose entry sdn.csv no longer has (files fetched on different days): a warning
    // naming every one of them; screening goes on.
    if let Some(w) = list.orphan_warning() {
        tracing::warn!("{w}");
    }
    let index = SanctionsIndex::build(&list);
    Ok(Sanctions { list, index })
}

/// Reads the overrides file (recorded false-positive decisions).
pub fn load_overrides(path: Option<&Path>, inputs: &mut Vec<InputFile>) -> Result<Overrides> {
    match path {
        None => Ok(Overrides::new()),
        Some(p) => {
            let bytes = read_input(p, "overrides", inputs)?;
            let text = String::from_utf8(bytes)
                .with_context(|| format!("{} is not UTF-8 text", p.display()))?;
            Overrides::parse_csv(&text).with_context(|| format!("reading {}", p.display()))
        }
    }
}
