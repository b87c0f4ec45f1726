//! The ground truth a generated dataset carries (`truth/lines.csv`, `truth/exceptions.csv`,
//! written by the generator beside the statements; see `DATASET.md`) and the one scoring of a
//! reconciliation against it, used by the accuracy tests and by `cargo xtask bench`.
//!
//! Definition: a truth pair is (investment id, bank reference of the statement line) from
//! `truth/lines.csv`, leaving out the lines and investments of planted exceptions
//! (`truth/exceptions.csv`), which a correct engine reports instead of matching. A found pair is
//! (investment id, reference of the matched line) with the same exclusions. Precision = correct
//! / found, recall = correct / truth. A planted exception is reported when the run has an
//! exception with its code on the same investment, on the same line, or, for a planted line
//! without an investment, with the same amount (each such exception counts once).
//!
//! Beyond pairs, [`Truth::grade`] grades every line's outcome against what its kind calls for
//! ([`Expected`]) and counts the exceptions no plant explains (false alarms).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod grade;

pub use grade::{Expected, Grade, KindGrade, LineOutcome, TruthLine};

/// A truth file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum TruthError {
    /// The file could not be read or parsed as CSV.
    #[error("reading {path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// A planted exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planted {
    /// Exception code.
    pub code: String,
    /// The investment it is about, if any.
    pub investment_id: Option<i64>,
    /// The statement line's bank reference, if any.
    pub bank_ref: String,
    /// Amount in cents.
    pub amount_cents: i64,
}

/// A dataset's ground truth.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    /// Truth pairs outside planted exceptions: (investment id, bank reference).
    pub pairs: BTreeSet<(i64, String)>,
    /// Planted exceptions.
    pub planted: Vec<Planted>,
    /// Every statement line with what a correct engine does with it.
    pub lines: Vec<TruthLine>,
    planted_refs: BTreeSet<String>,
    planted_investments: BTreeSet<i64>,
}

/// An exception a run reported, as the scoring reads it.
#[derive(Debug, Clone, Copy)]
pub struct Reported<'a> {
    /// Exception code.
    pub code: &'a str,
    /// Investment, if any.
    pub investment_id: Option<i64>,
    /// Bank reference of the line it is on, if any.
    pub line_ref: Option<&'a str>,
    /// Amount in cents.
    pub amount_cents: i64,
}

/// Precision and recall of one run (or one part of it).
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
    /// One line for a report.
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

type Rows = Vec<BTreeMap<String, String>>;

fn read_csv(path: &Path) -> Result<Rows, TruthError> {
    let err = |message: String| TruthError::Read {
        path: path.to_path_buf(),
        message,
    };
    let mut r = csv::Reader::from_path(path).map_err(|e| err(e.to_string()))?;
    let headers = r.headers().map_err(|e| err(e.to_string()))?.clone();
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| err(e.to_string()))?;
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

impl Truth {
    /// Reads `truth/lines.csv` and `truth/exceptions.csv` of a dataset directory.
    pub fn read(dataset: &Path) -> Result<Self, TruthError> {
        let lines = read_csv(&dataset.join("truth/lines.csv"))?;
        let exceptions = read_csv(&dataset.join("truth/exceptions.csv"))?;
        Ok(Self::from_rows(&lines, &exceptions))
    }

    /// The truth of parsed rows (header names as in the files).
    fn from_rows(lines: &Rows, exceptions: &Rows) -> Self {
        let planted: Vec<Planted> = exceptions
            .iter()
            .map(|r| Planted {
                code: get(r, "code").to_string(),
                investment_id: get(r, "investment_id").parse().ok(),
                bank_ref: get(r, "bank_ref").to_string(),
                amount_cents: get(r, "amount_cents").parse().unwrap_or(0),
            })
            .collect();
        let planted_refs: BTreeSet<String> = planted
            .iter()
            .map(|p| p.bank_ref.clone())
            .filter(|s| !s.is_empty())
            .collect();
        let planted_investments: BTreeSet<i64> =
            planted.iter().filter_map(|p| p.investment_id).collect();
        let ids_of = |r: &BTreeMap<String, String>| -> Vec<i64> {
            get(r, "investment_ids")
                .split(';')
                .filter_map(|s| s.parse::<i64>().ok())
                .collect()
        };
        let truth_lines = lines
            .iter()
            .map(|r| {
                let bank_ref = get(r, "bank_ref").to_string();
                let ids = ids_of(r);
                let code = planted
                    .iter()
                    .find(|p| p.bank_ref == bank_ref)
                    .map(|p| p.code.as_str());
                let near = ids.iter().any(|i| planted_investments.contains(i));
                TruthLine {
                    account: get(r, "account").to_string(),
                    amount_cents: get(r, "amount_cents").parse().unwrap_or(0),
                    kind: get(r, "kind").to_string(),
                    expected: Expected::of(get(r, "kind"), &ids, code, near),
                    ids,
                    bank_ref,
                }
            })
            .collect();
        let pairs = lines
            .iter()
            .filter(|r| !planted_refs.contains(get(r, "bank_ref")))
            .flat_map(|r| {
                let bank_ref = get(r, "bank_ref").to_string();
                get(r, "investment_ids")
                    .split(';')
                    .filter_map(|s| s.parse::<i64>().ok())
                    .map(move |i| (i, bank_ref.clone()))
                    .collect::<Vec<_>>()
            })
            .filter(|(i, _)| !planted_investments.contains(i))
            .collect();
        Truth {
            pairs,
            planted,
            lines: truth_lines,
            planted_refs,
            planted_investments,
        }
    }

    /// Whether a found pair counts (it is not about a planted exception's line or investment).
    pub fn counts(&self, investment_id: i64, line_ref: &str) -> bool {
        !self.planted_refs.contains(line_ref) && !self.planted_investments.contains(&investment_id)
    }

    /// Scores found pairs and reported exceptions, with the pairs also broken down by
    /// `group` of the investment id (planted exceptions count in the overall score only).
    pub fn score_by<K: Ord>(
        &self,
        found: impl IntoIterator<Item = (i64, String)>,
        reported: &[Reported<'_>],
        group: impl Fn(i64) -> K,
    ) -> (Score, BTreeMap<K, Score>) {
        let found: BTreeSet<(i64, String)> = found
            .into_iter()
            .filter(|(i, r)| self.counts(*i, r))
            .collect();
        let mut parts: BTreeMap<K, Score> = BTreeMap::new();
        for pair in &self.pairs {
            parts.entry(group(pair.0)).or_default().truth += 1;
        }
        for pair in &found {
            let part = parts.entry(group(pair.0)).or_default();
            part.found += 1;
            part.correct += usize::from(self.pairs.contains(pair));
        }
        let mut by_amount: BTreeMap<(&str, i64), usize> = BTreeMap::new();
        for e in reported.iter().filter(|e| e.investment_id.is_none()) {
            *by_amount.entry((e.code, e.amount_cents)).or_default() += 1;
        }
        let planted_reported = self
            .planted
            .iter()
            .filter(|p| self.reported(p, reported, &mut by_amount))
            .count();
        let overall = Score {
            truth: self.pairs.len(),
            found: found.len(),
            correct: found.intersection(&self.pairs).count(),
            planted: self.planted.len(),
            planted_reported,
        };
        (overall, parts)
    }

    /// Whether planted exception `p` is among `reported` (see the module's definition);
    /// `by_amount` counts the unclaimed exceptions without an investment by (code, amount).
    fn reported<'a>(
        &self,
        p: &'a Planted,
        reported: &[Reported<'a>],
        by_amount: &mut BTreeMap<(&'a str, i64), usize>,
    ) -> bool {
        let same = |e: &&Reported<'_>| e.code == p.code;
        reported.iter().filter(same).any(|e| {
            p.investment_id.is_some_and(|i| e.investment_id == Some(i))
                || (!p.bank_ref.is_empty() && e.line_ref == Some(p.bank_ref.as_str()))
        }) || (p.investment_id.is_none()
            && match by_amount.get_mut(&(p.code.as_str(), p.amount_cents)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            })
    }

    /// [`Truth::score_by`] without a breakdown.
    pub fn score(
        &self,
        found: impl IntoIterator<Item = (i64, String)>,
        reported: &[Reported<'_>],
    ) -> Score {
        self.score_by(found, reported, |_| ()).0
    }
}

/// Grades the run written to `run` against the truth of `dataset`: pairs, planted exceptions
/// and false alarms. `line_ref` names the line of a (statement file, row) as the truth does (its
/// bank reference), for the exceptions on lines; `matches.csv` names matched lines itself. A
/// run's files do not list the lines it set aside, so the per-line grade
/// ([`Grade::by_kind`]) is left empty: the accuracy tests grade lines from the engine's outcome.
pub fn grade_run(
    dataset: &Path,
    run: &Path,
    line_ref: impl Fn(&str, u32) -> Option<String>,
) -> Result<Grade, TruthError> {
    let truth = Truth::read(dataset)?;
    let matches = read_csv(&run.join("matches.csv"))?;
    let exceptions = read_csv(&run.join("exceptions.csv"))?;
    let found = matches.iter().filter_map(|r| {
        Some((
            get(r, "investment_id").parse().ok()?,
            get(r, "statement_ref").to_string(),
        ))
    });
    let refs: Vec<Option<String>> = exceptions
        .iter()
        .map(|r| {
            line_ref(
                get(r, "statement_file"),
                get(r, "statement_row").parse().ok()?,
            )
        })
        .collect();
    let reported: Vec<Reported<'_>> = exceptions
        .iter()
        .zip(&refs)
        .map(|(r, line)| Reported {
            code: get(r, "code"),
            investment_id: get(r, "investment_id").parse().ok(),
            line_ref: line.as_deref(),
            amount_cents: get(r, "amount_cents").parse().unwrap_or(0),
        })
        .collect();
    let mut g = truth.grade(found, &reported, &std::collections::HashMap::new());
    g.by_kind.clear();
    g.wrong_lines.clear();
    Ok(g)
}

/// Scores the run written to `run` (its `matches.csv` and `exceptions.csv`, lines identified by
/// `statement_ref`) against the truth of `dataset`.
pub fn score_run(dataset: &Path, run: &Path) -> Result<Score, TruthError> {
    let truth = Truth::read(dataset)?;
    let matches = read_csv(&run.join("matches.csv"))?;
    let exceptions = read_csv(&run.join("exceptions.csv"))?;
    let found = matches.iter().filter_map(|r| {
        Some((
            get(r, "investment_id").parse().ok()?,
            get(r, "statement_ref").to_string(),
        ))
    });
    let reported: Vec<Reported<'_>> = exceptions
        .iter()
        .map(|r| Reported {
            code: get(r, "code"),
            investment_id: get(r, "investment_id").parse().ok(),
            line_ref: None,
            amount_cents: get(r, "amount_cents").parse().unwrap_or(0),
        })
        .collect();
    Ok(truth.score(found, &reported))
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
        let truth = Truth::from_rows(
            &rows(
                "account,seq,bank_ref,booking_date,value_date,amount_cents,kind,investment_ids,note",
                &[
                    "a,1,R1,d,d,100,wire,1,",
                    "a,2,R2,d,d,300,ach_batch,2;3,",
                    "a,3,R3,d,d,50,wire,4,",
                    "a,4,R4,d,d,70,wire,5,",
                ],
            ),
            &rows(
                "code,investment_id,bank_ref,amount_cents,note",
                &[
                    "AMOUNT_MISMATCH,4,R3,50,",
                    "UNMATCHED_CREDIT,,R9,999,",
                    "UNMATCHED_CREDIT,,R8,999,",
                ],
            ),
        );
        let found = [
            (1, "R1".to_string()),
            (2, "R2".to_string()),
            (5, "R1".to_string()),
            (4, "R3".to_string()),
        ];
        let reported = [
            Reported {
                code: "AMOUNT_MISMATCH",
                investment_id: Some(4),
                line_ref: None,
                amount_cents: 50,
            },
            Reported {
                code: "UNMATCHED_CREDIT",
                investment_id: None,
                line_ref: None,
                amount_cents: 999,
            },
        ];
        let (s, by) = truth.score_by(found, &reported, |i| i % 2);
        // Truth: (1,R1) (2,R2) (3,R2) (5,R4); investment 4 is planted.
        assert_eq!((s.truth, s.found, s.correct), (4, 3, 2));
        assert_eq!((s.planted, s.planted_reported), (3, 2));
        assert!((s.precision() - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.recall() - 0.5).abs() < 1e-12);
        // Odd investments: truth (1,R1) (3,R2) (5,R4), found (1,R1) (5,R1).
        assert_eq!((by[&1].truth, by[&1].found, by[&1].correct), (3, 2, 1));
        // A planted line is also reported when an exception sits on that line.
        let on_line = [Reported {
            code: "UNMATCHED_CREDIT",
            investment_id: None,
            line_ref: Some("R8"),
            amount_cents: 1,
        }];
        assert_eq!(truth.score([], &on_line).planted_reported, 1);
    }
}
