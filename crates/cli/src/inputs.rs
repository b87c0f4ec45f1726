//! Reading a run's input files at the edge, so the library crates stay pure. Every input read
//! is recorded with its SHA-256 for the manifest.

use std::path::{Path, PathBuf};

use tieout_domain::Book;
use tieout_domain::sanctions::{Overrides, SanctionsIndex, SanctionsList, SdnFiles};
use tieout_reconcile::engine::{OpenItems, Tolerances};
use tieout_reconcile::load::BankProfile;

use crate::config::{RunConfig, file_name};
use crate::error::RunError;
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
pub fn read_input(
    path: &Path,
    role: &str,
    inputs: &mut Vec<InputFile>,
) -> Result<Vec<u8>, RunError> {
    let bytes = std::fs::read(path).map_err(|source| RunError::Read {
        path: path.display().to_string(),
        source,
    })?;
    inputs.push(InputFile {
        role: role.to_string(),
        path: display_path(path),
        sha256: sha256_bytes(&bytes),
        bytes: bytes.len() as u64,
    });
    Ok(bytes)
}

/// Reads a UTF-8 text file and records it.
fn read_text(path: &Path, role: &str, inputs: &mut Vec<InputFile>) -> Result<String, RunError> {
    String::from_utf8(read_input(path, role, inputs)?).map_err(|_| RunError::NotUtf8 {
        path: path.display().to_string(),
    })
}

/// A path as written in manifests: as given, with `/` separators.
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// An OFAC legacy CSV set as read: `sdn.csv`, and `alt.csv`, `add.csv`, `sdn_comments.csv`
/// when present.
#[derive(Debug, Clone)]
pub struct SdnSet {
    /// The folder.
    pub dir: PathBuf,
    /// `sdn.csv`.
    pub sdn: Vec<u8>,
    /// `alt.csv`.
    pub alt: Option<Vec<u8>>,
    /// `add.csv`.
    pub add: Option<Vec<u8>>,
    /// `sdn_comments.csv`.
    pub comments: Option<Vec<u8>>,
}

/// A parsed OFAC list and its screening index.
pub struct Sanctions {
    /// The parsed list (entries and rejected records).
    pub list: SanctionsList,
    /// The screening index.
    pub index: SanctionsIndex,
}

/// Reads an OFAC legacy CSV set from a folder (see [`SdnSet`]).
pub fn read_sanctions(dir: &Path, inputs: &mut Vec<InputFile>) -> Result<SdnSet, RunError> {
    let sdn_path = dir.join("sdn.csv");
    if !sdn_path.exists() {
        return Err(RunError::NoSdn {
            dir: dir.display().to_string(),
        });
    }
    let sdn = read_input(&sdn_path, "sdn", inputs)?;
    let mut optional = |name: &str| -> Result<Option<Vec<u8>>, RunError> {
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
    Ok(SdnSet {
        dir: dir.to_path_buf(),
        sdn,
        alt,
        add,
        comments,
    })
}

impl SdnSet {
    /// Parses and indexes the list. A malformed record is an error; comment, alias and address
    /// rows whose entry `sdn.csv` does not have are a logged warning naming every one.
    pub fn parse(&self) -> Result<Sanctions, RunError> {
        let files = SdnFiles {
            sdn: &self.sdn,
            alt: self.alt.as_deref(),
            add: self.add.as_deref(),
            comments: self.comments.as_deref(),
        };
        let list = SanctionsList::parse(&files).map_err(|source| RunError::Sdn {
            dir: self.dir.display().to_string(),
            source,
        })?;
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
}

/// Reads and parses an OFAC legacy CSV set from a folder.
pub fn load_sanctions(dir: &Path, inputs: &mut Vec<InputFile>) -> Result<Sanctions, RunError> {
    read_sanctions(dir, inputs)?.parse()
}

/// Reads the overrides file (recorded false-positive decisions).
pub fn load_overrides(
    path: Option<&Path>,
    inputs: &mut Vec<InputFile>,
) -> Result<Overrides, RunError> {
    match path {
        None => Ok(Overrides::new()),
        Some(p) => {
            let text = read_text(p, "overrides", inputs)?;
            Overrides::parse_csv(&text).map_err(|source| RunError::Overrides {
                path: p.display().to_string(),
                source,
            })
        }
    }
}

/// One statement or payout file as read.
#[derive(Debug, Clone)]
pub struct InputBytes {
    /// A statement (else a payout export).
    pub is_statement: bool,
    /// File name (how its lines are identified).
    pub name: String,
    /// Path as given.
    pub path: PathBuf,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// Everything a month-end run reads, read (see [`read`]).
pub struct Inputs {
    /// The book.
    pub book: Book,
    /// Statements and payout exports, in argument order (statements first).
    pub files: Vec<InputBytes>,
    /// The bank profile.
    pub bank_profile: Option<BankProfile>,
    /// The previous open items.
    pub carry_forward: Option<OpenItems>,
    /// The standing decisions carried in the previous open items.
    pub carried_decisions: Vec<tieout_reconcile::close::CarriedDecision>,
    /// Decision files, parsed, in argument order.
    pub decisions: Vec<tieout_reconcile::close::DecisionFile>,
    /// Matching tolerances.
    pub tolerances: Tolerances,
    /// The platform profile (money-model pins).
    pub platform: Option<tieout_reconcile::engine::PlatformProfile>,
    /// The OFAC list as read (parsed beside the matching).
    pub sanctions: Option<SdnSet>,
    /// Screening overrides.
    pub overrides: Overrides,
    /// Every file read, in manifest order: snapshot, compliance, statements, then carry-forward
    /// and tolerances.
    pub read: Vec<InputFile>,
}

/// Reads every input `config` names, the book from `snapshot_dir`. The snapshot loads while
/// the statement files are read (decoding the book leaves a core idle near its end).
pub fn read(config: &RunConfig, snapshot_dir: &Path) -> Result<Inputs, RunError> {
    let mut compliance_inputs: Vec<InputFile> = Vec::new();
    let mut statement_inputs: Vec<InputFile> = Vec::new();
    let mut late_inputs: Vec<InputFile> = Vec::new();
    let bank_profile = match &config.bank_profile {
        Some(p) => {
            let text = read_text(p, "bank_profile", &mut statement_inputs)?;
            Some(
                BankProfile::from_toml_str(&text).map_err(|source| RunError::BankProfile {
                    path: p.display().to_string(),
                    source,
                })?,
            )
        }
        None => None,
    };
    // Names are checked and files read in argument order, while the snapshot loads.
    let read_files = || -> Result<Vec<InputBytes>, RunError> {
        let mut files = Vec::new();
        for (is_statement, path) in config
            .statements
            .iter()
            .map(|p| (true, p))
            .chain(config.payouts.iter().map(|p| (false, p)))
        {
            let name = file_name(path)?;
            let role = if is_statement { "statement" } else { "payouts" };
            let bytes = read_input(path, role, &mut statement_inputs)?;
            files.push(InputBytes {
                is_statement,
                name,
                path: path.clone(),
                bytes,
            });
        }
        Ok(files)
    };
    let (loaded, files) = rayon::join(|| tieout_api::snapshot::open_book(snapshot_dir), read_files);
    let loaded = loaded.map_err(|source| RunError::Snapshot {
        path: snapshot_dir.display().to_string(),
        source,
    })?;
    let files = files?;
    // What was read, hashed as read: the snapshot's manifest (which lists every JSONL file's
    // hash) and the book, or the JSONL files themselves when the book could not serve.
    let mut read: Vec<InputFile> = loaded
        .read
        .iter()
        .map(|r| InputFile {
            role: "snapshot".into(),
            path: format!("snapshot/{}", r.file),
            sha256: r.sha256.clone(),
            bytes: r.bytes,
        })
        .collect();
    let mut carried_decisions = Vec::new();
    let carry_forward = match &config.carry_forward {
        Some(p) => {
            let text = read_text(p, "carry_forward", &mut late_inputs)?;
            carried_decisions = tieout_reconcile::close::carried_decisions(&text)?;
            Some(
                OpenItems::from_json(&text).map_err(|source| RunError::OpenItems {
                    path: p.display().to_string(),
                    source,
                })?,
            )
        }
        None => None,
    };
    let mut decisions = Vec::new();
    for p in &config.decisions {
        let bytes = read_input(p, "decisions", &mut late_inputs)?;
        let name = file_name(p)?;
        decisions.push(tieout_reconcile::close::DecisionFile {
            decisions: tieout_reconcile::close::read::parse(&name, &bytes)?,
            name,
            sha256: sha256_bytes(&bytes),
        });
    }
    let tolerances = match &config.tolerances {
        Some(p) => {
            let text = read_text(p, "tolerances", &mut late_inputs)?;
            Tolerances::from_toml_str(&text).map_err(|source| RunError::Tolerances {
                path: p.display().to_string(),
                source,
            })?
        }
        None => Tolerances::default(),
    };
    let platform = match &config.platform_profile {
        Some(p) => {
            let text = read_text(p, "platform_profile", &mut late_inputs)?;
            Some(
                tieout_reconcile::engine::PlatformProfile::from_toml(&text).map_err(|source| {
                    RunError::PlatformProfile {
                        path: p.display().to_string(),
                        source,
                    }
                })?,
            )
        }
        None => None,
    };
    let sanctions = match &config.sdn {
        Some(dir) => Some(read_sanctions(dir, &mut compliance_inputs)?),
        None => None,
    };
    let overrides = load_overrides(config.overrides.as_deref(), &mut compliance_inputs)?;
    read.extend(compliance_inputs);
    read.extend(statement_inputs);
    read.extend(late_inputs);
    Ok(Inputs {
        book: loaded.book,
        files,
        bank_profile,
        carry_forward,
        carried_decisions,
        decisions,
        tolerances,
        platform,
        sanctions,
        overrides,
        read,
    })
}
