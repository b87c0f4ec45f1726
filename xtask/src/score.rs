//! Reconciliation accuracy of a run against the generator's ground truth, as the bench reports
//! it at every size (the issue: accuracy must not drop at scale).
//!
//! The same definition as `crates/cli/tests/accuracy.rs`: a truth pair is (investment id, bank
//! reference) from `truth/lines.csv`, leaving out the lines and investments of planted
//! exceptions (`truth/exceptions.csv`), which a correct engine reports instead of matching;
//! a found pair is (investment id, statement reference) from the run's `matches.csv`, with the
//! same exclusions. Planted exceptions count as reported when the run has an exception with the
//! same code for the same investment, or (for line-only exceptions) with the same code and
//! amount.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result};

/// Precision and recall of one run.
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
            "precision {:.4}, recall {:.4} ({} of {} truth pairs); planted exceptions reported {}/{}",
            self.precision(),
            self.recall(),
            self.correct,
            self.truth,
            self.planted_reported,
            self.planted
        )
    }
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        1.0
    } else {
        num as f64 / den as f64
    }
}

type Rows = Vec<BTreeMap<String, String>>;

fn read_csv(path: &Path) -> Result<Rows> {
    let mut r =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let headers = r.headers()?.clone();
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.with_context(|| format!("reading {}", path.display()))?;
        out.push(
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect(),
        );
    }
    Ok(out)
}

fn get<'a>(r: &'a BTreeMap<String, String>, k: &str) -> &'a str {
    r.get(k).map_or("", String::as_str)
}

/// Scores the run in `out` (its `matches.csv`, `exceptions.csv`) against `data/truth/`.
pub fn score(data: &Path, out: &Path) -> Result<Score> {
    let truth_lines = read_csv(&data.join("truth/lines.csv"))?;
    let truth_exc = read_csv(&data.join("truth/exceptions.csv"))?;
    let matches = read_csv(&out.join("matches.csv"))?;
    let exceptions = read_csv(&out.join("exceptions.csv"))?;
    Ok(score_rows(&truth_lines, &truth_exc, &matches, &exceptions))
}

fn score_rows(truth_lines: &Rows, truth_exc: &Rows, matches: &Rows, exceptions: &Rows) -> Score {
    let exc_refs: BTreeSet<&str> = truth_exc
        .iter()
        .map(|r| get(r, "bank_ref"))
        .filter(|s| !s.is_empty())
        .collect();
    let exc_invs: BTreeSet<i64> = truth_exc
        .iter()
        .filter_map(|r| get(r, "investment_id").parse().ok())
        .collect();
    let truth: BTreeSet<(i64, &str)> = truth_lines
        .iter()
        .filter(|r| !exc_refs.contains(get(r, "bank_ref")))
        .flat_map(|r| {
            let bank_ref = get(r, "bank_ref");
            get(r, "investment_ids")
                .split(';')
                .filter_map(|s| s.parse::<i64>().ok())
                .map(move |i| (i, bank_ref))
        })
        .filter(|(i, _)| !exc_invs.contains(i))
        .collect();
    let found: BTreeSet<(i64, &str)> = matches
        .iter()
        .filter_map(|r| {
            Some((
                get(r, "investment_id").parse().ok()?,
                get(r, "statement_ref"),
            ))
        })
        .filter(|(i, r)| !exc_refs.contains(r) && !exc_invs.contains(i))
        .collect();
    let correct = found.intersection(&truth).count();

    let by_inv: BTreeSet<(&str, i64)> = exceptions
        .iter()
        .filter_map(|r| Some((get(r, "code"), get(r, "investment_id").parse().ok()?)))
        .collect();
    let mut by_amount: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for r in exceptions {
        if get(r, "investment_id").is_empty() {
            *by_amount
                .entry((get(r, "code"), get(r, "amount_cents")))
                .or_default() += 1;
        }
    }
    let mut planted_reported = 0;
    for t in truth_exc {
        let code = get(t, "code");
        let hit = match get(t, "investment_id").parse::<i64>() {
            Ok(i) => by_inv.contains(&(code, i)),
            Err(_) => match by_amount.get_mut(&(code, get(t, "amount_cents"))) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            },
        };
        planted_reported += usize::from(hit);
    }
    Score {
        truth: truth.len(),
        found: found.len(),
        correct,
        planted: truth_exc.len(),
        planted_reported,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(header: &str, lines: &[&str]) -> Rows {
        let text = std::iter::once(header)
            .chain(lines.iter().copied())
            .collect::<Vec<_>>()
            .join("\n");
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let h = r.headers().unwrap().clone();
        r.records()
            .map(|x| {
                let x = x.unwrap();
                h.iter()
                    .zip(x.iter())
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn counts_pairs_outside_planted_exceptions_and_planted_codes() {
        let lines = rows(
            "account,seq,bank_ref,booking_date,value_date,amount_cents,kind,investment_ids,note",
            &[
                "a,1,R1,d,d,100,wire,1,",
                "a,2,R2,d,d,300,ach_batch,2;3,",
                "a,3,R3,d,d,50,wire,4,",
                "a,4,R4,d,d,70,wire,5,",
            ],
        );
        let exc = rows(
            "code,investment_id,bank_ref,amount_cents,note",
            &[
                "AMOUNT_MISMATCH,4,R3,50,",
                "UNMATCHED_CREDIT,,R9,999,",
                "UNMATCHED_CREDIT,,R8,999,",
            ],
        );
        let matches = rows(
            "investment_id,statement_file,statement_row,statement_ref,rule,score",
            &[
                "1,f,1,R1,exact_reference,1",
                "2,f,2,R2,batch_day_total,1",
                "5,f,1,R1,amount_date_name,0.9",
                "4,f,3,R3,amount_date_name,0.9",
            ],
        );
        let exceptions = rows(
            "code,severity,investment_id,statement_file,statement_row,amount_cents,detail",
            &[
                "AMOUNT_MISMATCH,warning,4,f,3,50,\"x, y\"",
                "UNMATCHED_CREDIT,warning,,f,9,999,z",
            ],
        );
        let s = score_rows(&lines, &exc, &matches, &exceptions);
        // Truth: (1,R1) (2,R2) (3,R2) (5,R4); investment 4 is planted.
        assert_eq!((s.truth, s.found, s.correct), (4, 3, 2));
        assert_eq!((s.planted, s.planted_reported), (3, 2));
        assert!((s.precision() - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.recall() - 0.5).abs() < 1e-12);
    }
}
