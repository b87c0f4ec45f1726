//! Reconciliation accuracy of a bench run against the generator's ground truth, as the bench
//! reports it at every size (accuracy must not drop at scale). The scoring itself is
//! `tieout_sandbox::truth` (the one definition the accuracy tests use too), run through the
//! bench-only `tieout-score` binary: xtask links no tieout crate. This module only carries the
//! counts it prints.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Precision and recall of one run, as `tieout-score` counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Score {
    /// Truth pairs (outside planted exceptions).
    pub truth: usize,
    /// Pairs the run matched (outside planted exceptions).
    pub found: usize,
    /// Found pairs that are truth pairs.
    pub correct: usize,
    /// Planted exceptions.
    pub planted: usize,
    /// Planted exceptions the run reported with their code.
    pub planted_reported: usize,
    /// Exceptions no planted exception explains.
    pub false_alarms: usize,
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        1.0
    } else {
        num as f64 / den as f64
    }
}

impl Score {
    /// correct / found (1 when nothing was found).
    pub fn precision(&self) -> f64 {
        ratio(self.correct, self.found)
    }
    /// correct / truth (1 when there is no truth).
    pub fn recall(&self) -> f64 {
        ratio(self.correct, self.truth)
    }
    /// planted_reported / planted.
    pub fn planted_recall(&self) -> f64 {
        ratio(self.planted_reported, self.planted)
    }
    /// One line for the bench table.
    pub fn note(&self) -> String {
        format!(
            "precision {:.4}, recall {:.4} ({} of {} truth pairs); planted exceptions reported {}/{}; false alarms {}",
            self.precision(),
            self.recall(),
            self.correct,
            self.truth,
            self.planted_reported,
            self.planted,
            self.false_alarms
        )
    }
}

/// Scores the run in `out` against `data/truth/` with the `tieout-score` binary `scorer`.
pub fn score(scorer: &Path, data: &Path, out: &Path) -> Result<Score> {
    let o = Command::new(scorer)
        .arg(data)
        .arg(out)
        .output()
        .with_context(|| format!("running {}", scorer.display()))?;
    if !o.status.success() {
        bail!(
            "tieout-score failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        );
    }
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).context("reading tieout-score's output")?;
    let n = |k: &str| -> Result<usize> {
        v[k].as_u64()
            .map(|x| x as usize)
            .with_context(|| format!("tieout-score printed no {k}"))
    };
    Ok(Score {
        truth: n("truth")?,
        found: n("found")?,
        correct: n("correct")?,
        planted: n("planted")?,
        planted_reported: n("planted_reported")?,
        false_alarms: n("false_alarms")?,
    })
}
