//! The world generator: a deterministic, seeded world of offerings, investors and investments
//! (shaped exactly as the Issuer API serves them) and the money trail those investments leave
//! (bank statements in BAI2, camt.053 v08/v02, XLSX and four CSV layouts; a Stripe payout
//! export), with ground truth for reconciliation exceptions and compliance violations.
//!
//! The layout written is specified in `crates/sandbox/DATASET.md`. The output is a pure
//! function of ([`GenConfig::seed`], [`GenConfig::investments`], [`GenConfig::period`],
//! [`GenConfig::sdn_names`], [`GenConfig::world`]): same arguments → byte-identical files.
//! The world's knobs ([`WorldKnobs`]: which money field the bank sees, fee models, settlement
//! shapes, description styles, lags) are written to `truth/world.toml`; the engine never reads
//! them.
//!
//! Entry point: [`generate`].

mod knobs;
mod money;
mod names;
mod oracle;
mod render;
mod rng;
mod world;

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};

pub use knobs::{
    DescStyle, FeeModel, KnobsError, ReleaseBasis, ReleaseCover, ReleaseShape, SecuritiesField,
    WORLD_NAMES, WorldKnobs,
};

/// CSV layouts written for every account (`statements/<account>/<account>.<layout>.csv`).
pub const CSV_LAYOUTS: [&str; 4] = ["chase", "debit_credit", "crdr", "escrow_bank"];

/// The statement period: the domain's calendar month.
pub use tieout_domain::Period;

/// An OFAC SDN name to plant as a sanctioned investor (`SANCTIONS_NAME_MATCH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdnName {
    /// The SDN entry name as in `sdn.csv` (individuals: `LAST, First`).
    pub name: String,
    /// The SDN entry number (`ent_num`).
    pub ent_num: i64,
    /// Whether the entry is an individual (`SDN_Type` = `individual`); others become company
    /// investors.
    pub individual: bool,
    /// The entry's date of birth when the list states one: the planted investor gets it, so
    /// the screening's date-of-birth check corroborates the hit instead of contradicting it.
    /// `None` plants a person without a date of birth.
    pub dob: Option<NaiveDate>,
    /// The entry's country (ISO alpha-2) when the list states one; the planted investor lives
    /// there. `None` keeps the generator's default.
    pub country: Option<String>,
}

/// Picks `count` SDN entries from an OFAC `sdn.csv` (no header; columns ent_num, SDN_Name,
/// SDN_Type, ...), alternating individuals and entities, evenly spaced through the file so the
/// choice is deterministic. Vessels and aircraft are skipped.
pub fn pick_sdn_names(sdn_csv: &Path, count: usize) -> Result<Vec<SdnName>, GenError> {
    let bad = |row: usize, msg: &str| {
        GenError::Config(format!("{}: row {row}: {msg}", sdn_csv.display()))
    };
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(sdn_csv)
        .map_err(|e| GenError::io(sdn_csv, std::io::Error::other(e.to_string())))?;
    let (mut people, mut entities) = (Vec::new(), Vec::new());
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| bad(i + 1, &e.to_string()))?;
        if rec.len() < 3 {
            return Err(bad(
                i + 1,
                "expected at least 3 columns (ent_num, SDN_Name, SDN_Type)",
            ));
        }
        let ent_num: i64 = rec[0]
            .trim()
            .parse()
            .map_err(|_| bad(i + 1, "column 1 (ent_num) is not an integer"))?;
        let name = rec[1].trim().to_string();
        if name.is_empty() {
            return Err(bad(i + 1, "column 2 (SDN_Name) is empty"));
        }
        match rec[2].trim() {
            "individual" => people.push(SdnName {
                name,
                ent_num,
                individual: true,
                dob: None,
                country: None,
            }),
            "vessel" | "aircraft" => {}
            _ => entities.push(SdnName {
                name,
                ent_num,
                individual: false,
                dob: None,
                country: None,
            }),
        }
    }
    let spaced = |v: &[SdnName], k: usize| -> Vec<SdnName> {
        (0..k.min(v.len()))
            .map(|j| v[j * v.len() / k.min(v.len()).max(1)].clone())
            .collect()
    };
    let want_people = count.div_ceil(2).min(people.len());
    let want_entities = (count - want_people).min(entities.len());
    let mut p = spaced(&people, want_people).into_iter();
    let mut e = spaced(&entities, want_entities).into_iter();
    let mut out = Vec::new();
    while out.len() < count {
        match (p.next(), e.next()) {
            (None, None) => break,
            (a, b) => out.extend(a.into_iter().chain(b)),
        }
    }
    out.truncate(count);
    Ok(out)
}

/// Generator arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenConfig {
    /// Number of investments (history months included).
    pub investments: usize,
    /// RNG seed.
    pub seed: u64,
    /// Statement period.
    pub period: Period,
    /// SDN names to plant as sanctioned investors; empty plants none.
    pub sdn_names: Vec<SdnName>,
    /// The world variant ([`WorldKnobs::classic`] is the generator's historic output).
    pub world: WorldKnobs,
}

/// What a generation run wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetSummary {
    /// The dataset directory.
    pub out: PathBuf,
    /// API key the sandbox accepts for this dataset.
    pub api_key: String,
    /// Offerings written.
    pub offerings: usize,
    /// Investors (and users) written.
    pub investors: usize,
    /// Investments written.
    pub investments: usize,
    /// Statement lines per account id, in account order.
    pub lines: Vec<(String, usize)>,
    /// Stripe payouts/sweeps created (including those left out of the report).
    pub payouts: usize,
    /// Rows of the payout export.
    pub payout_rows: usize,
    /// Planted reconciliation exceptions.
    pub exceptions: usize,
    /// Compliance violations in the truth.
    pub violations: usize,
}

/// Generator failure.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// The period is not a month.
    #[error(transparent)]
    Period(#[from] tieout_domain::PeriodError),
    /// Bad arguments.
    #[error("invalid generator arguments: {0}")]
    Config(String),
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// XLSX writer error.
    #[error("{path}: cannot write XLSX: {message}")]
    Xlsx {
        /// The workbook path.
        path: PathBuf,
        /// The writer's message.
        message: String,
    },
    /// The output directory exists and does not look like a generated dataset.
    #[error("{0} exists and is not a generated dataset (no dataset.json); refusing to replace it")]
    OutExists(PathBuf),
}

impl GenError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        GenError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Generates the dataset described in `DATASET.md` into `out`.
///
/// Writes into a temporary sibling directory and renames it into place at the end, so a failed
/// run leaves nothing half-written. An existing `out` is replaced only when it is empty or a
/// previously generated dataset (has `dataset.json`).
pub fn generate(cfg: &GenConfig, out: &Path) -> Result<DatasetSummary, GenError> {
    if cfg.investments == 0 {
        return Err(GenError::Config("investments must be at least 1".into()));
    }
    cfg.world
        .validate()
        .map_err(|e| GenError::Config(e.to_string()))?;
    if cfg.investments > 50_000_000 {
        return Err(GenError::Config(
            "investments must be at most 50,000,000".into(),
        ));
    }
    if out.exists() {
        let empty = std::fs::read_dir(out)
            .map_err(|e| GenError::io(out, e))?
            .next()
            .is_none();
        if !empty && !out.join("dataset.json").is_file() {
            return Err(GenError::OutExists(out.to_path_buf()));
        }
    }
    let name = out
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "dataset".into());
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| GenError::io(&parent, e))?;
    let tmp = parent.join(format!(".{name}.tieout-gen-tmp"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| GenError::io(&tmp, e))?;
    }
    std::fs::create_dir_all(&tmp).map_err(|e| GenError::io(&tmp, e))?;
    let result = write_all(cfg, &tmp);
    match result {
        Ok(mut summary) => {
            if out.exists() {
                std::fs::remove_dir_all(out).map_err(|e| GenError::io(out, e))?;
            }
            std::fs::rename(&tmp, out).map_err(|e| GenError::io(out, e))?;
            summary.out = out.to_path_buf();
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(e)
        }
    }
}

fn write_all(cfg: &GenConfig, dir: &Path) -> Result<DatasetSummary, GenError> {
    let mut w = world::build(cfg);
    money::date_closings(&mut w);
    let m = money::build(&w, cfg.seed);
    let world_toml = dir.join("truth").join("world.toml");
    std::fs::create_dir_all(dir.join("truth")).map_err(|e| GenError::io(&world_toml, e))?;
    std::fs::write(&world_toml, cfg.world.to_toml()).map_err(|e| GenError::io(&world_toml, e))?;
    let v = oracle::violations(&w);
    let api_key = {
        let mut r = rng::R::new(cfg.seed, 99);
        format!("sandbox-{}", r.token(b"0123456789abcdef", 32))
    };
    // Independent files: write them on a few threads (each file's bytes do not depend on timing).
    let (api, statements, payout_rows) = std::thread::scope(|s| {
        let api = s.spawn(|| render::write_api(dir, &w, cfg.seed));
        let statements = s.spawn(|| -> Result<(), GenError> {
            for a in world::Acct::ALL {
                render::write_statements(dir, &w, &m, a, cfg.seed)?;
            }
            Ok(())
        });
        let rest = render::write_payouts(dir, &m)
            .and_then(|n| render::write_truth(dir, &m, &v).map(|()| n));
        let join = |r: std::thread::Result<Result<(), GenError>>| {
            r.unwrap_or_else(|_| Err(GenError::Config("a writer thread panicked".into())))
        };
        let api = api.join().map(|r| r.map(|_| ()));
        (join(api), join(statements.join()), rest)
    });
    api?;
    statements?;
    let payout_rows = payout_rows?;
    if w.undecidable_plants > 0 {
        tracing::warn!(
            "{} money plants kept an amount a namesake's line could fit; their planted exceptions may not be decidable",
            w.undecidable_plants
        );
    }
    render::write_dataset_json(dir, &w, &m, cfg.seed, cfg.investments, &api_key)?;
    let _ = w.period.first_day().year();
    Ok(DatasetSummary {
        out: dir.to_path_buf(),
        api_key,
        offerings: w.offerings.len(),
        investors: w.investors.len(),
        investments: w.invs.len(),
        lines: world::Acct::ALL
            .iter()
            .map(|a| (a.id().to_string(), m.lines[a.idx()].len()))
            .collect(),
        payouts: m.payouts.len(),
        payout_rows,
        exceptions: m.exceptions.len(),
        violations: v.len(),
    })
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod world_tests;
