//! `tieout check`: compliance findings for a snapshot.

use anyhow::{Context, Result};
use tieout_domain::sanctions::Overrides;
use tieout_domain::{CheckConfig, Finding, Severity, check, findings_csv};

use crate::{CheckArgs, ComplianceArgs, Outcome};
use tieout::inputs::{InputFile, Sanctions, load_overrides, load_sanctions};
use tieout::outdir::{Access, StagedDir, simple_manifest};

/// Runs `tieout check`.
pub fn run(args: CheckArgs) -> Result<Outcome> {
    // The output folder is checked (and locked) before any work: a folder holding the user's
    // files or an input is refused untouched.
    let mut read: Vec<&std::path::Path> = vec![&args.snapshot];
    read.extend(args.compliance.sdn.as_deref());
    read.extend(args.compliance.overrides.as_deref());
    let access = if args.group_readable {
        Access::Group
    } else {
        Access::Owner
    };
    let out = StagedDir::new(&args.out, &read, access)?;
    // The OFAC list is parsed and indexed while the snapshot loads.
    let mut inputs = Vec::new();
    let (book, lists) = rayon::join(
        || tieout_api::snapshot::load_book(&args.snapshot),
        || load_lists(&args.compliance, &mut inputs),
    );
    let book = book.with_context(|| format!("loading the snapshot {}", args.snapshot.display()))?;
    let lists = lists?;
    let as_of = match args.as_of {
        Some(d) => d,
        None => tieout_api::snapshot::read_manifest(&args.snapshot)
            .map(|m| m.pulled_at.date_naive())
            .with_context(|| "no --as-of given and the snapshot manifest has no pull time")?,
    };
    let findings = lists.check(&book, as_of);
    out.write("findings.csv", findings_csv(&findings).as_bytes())?;
    out.write(
        "manifest.json",
        simple_manifest("check", out.path())?.as_bytes(),
    )?;
    out.commit()?;
    let violations = findings
        .iter()
        .filter(|f| f.severity == Severity::Violation)
        .count();
    eprintln!(
        "tieout check: {} findings ({violations} violations) as of {as_of} → {}",
        findings.len(),
        args.out.join("findings.csv").display()
    );
    // The process ends right after this; skip handing the book back allocation by allocation.
    std::mem::forget((book, findings));
    Ok(if violations == 0 {
        Outcome::Clean
    } else {
        Outcome::Exceptions
    })
}

/// What the rules read besides the book: the optional OFAC list (indexed) and the overrides.
struct Lists {
    sanctions: Option<Sanctions>,
    overrides: Overrides,
}

impl Lists {
    /// Every rule over `book` as of `as_of`.
    fn check(&self, book: &tieout_domain::Book, as_of: chrono::NaiveDate) -> Vec<Finding> {
        check(
            book,
            as_of,
            self.sanctions.as_ref().map(|s| &s.index),
            &self.overrides,
            &CheckConfig::default(),
        )
    }
}

/// Reads (recording them in `inputs`) and parses the sanctions list and overrides `args` name.
fn load_lists(args: &ComplianceArgs, inputs: &mut Vec<InputFile>) -> Result<Lists> {
    let sanctions = match &args.sdn {
        Some(dir) => Some(load_sanctions(dir, inputs)?),
        None => None,
    };
    let overrides = load_overrides(args.overrides.as_deref(), inputs)?;
    Ok(Lists {
        sanctions,
        overrides,
    })
}
