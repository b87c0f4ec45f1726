//! Recorded false-positive decisions. Format: CSV with a header row naming the columns
//! `ent_num,investor_id,decided_by,decided_at,note` (any order; extra columns ignored; lines
//! starting with `#` are comments). `decided_at` is `YYYY-MM-DD` or an RFC 3339 timestamp.
//!
//! A cleared (ent_num, investor_id) pair raises no `SANCTIONS_NAME_MATCH` violation on later
//! runs; `check` records it as one `info` finding per pair instead, so the decision stays
//! visible in `findings.csv`. A new SDN entry matching the same investor is still reported.

use std::collections::BTreeMap;

/// One decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// SDN entry number.
    pub ent_num: i64,
    /// Investor id.
    pub investor_id: i64,
    /// Who decided.
    pub decided_by: String,
    /// When (as written).
    pub decided_at: String,
    /// Why.
    pub note: String,
}

/// A bad overrides file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverridesError {
    /// A required column is missing from the header.
    #[error(
        "overrides: header has no `{0}` column (need ent_num,investor_id,decided_by,decided_at,note)"
    )]
    MissingColumn(&'static str),
    /// A row is invalid.
    #[error("overrides: line {line}: {reason}")]
    Row {
        /// 1-based line.
        line: u64,
        /// What is wrong.
        reason: String,
    },
}

/// The set of decisions, keyed by (ent_num, investor_id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    map: BTreeMap<(i64, i64), Override>,
}

impl Overrides {
    /// No decisions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a decision (a later one for the same pair replaces the earlier).
    pub fn insert(&mut self, o: Override) {
        self.map.insert((o.ent_num, o.investor_id), o);
    }

    /// The decision clearing `ent_num` for `investor_id`, if any.
    pub fn get(&self, ent_num: i64, investor_id: i64) -> Option<&Override> {
        self.map.get(&(ent_num, investor_id))
    }

    /// Number of decisions.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Parses an overrides CSV (see the module docs). An empty input is an empty set.
    pub fn parse_csv(text: &str) -> Result<Self, OverridesError> {
        let mut out = Self::new();
        if text.trim().is_empty() {
            return Ok(out);
        }
        let mut rdr = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = rdr
            .headers()
            .map_err(|e| OverridesError::Row {
                line: 1,
                reason: e.to_string(),
            })?
            .clone();
        let col = |name: &'static str| {
            headers
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name))
                .ok_or(OverridesError::MissingColumn(name))
        };
        let (c_ent, c_inv, c_by, c_at, c_note) = (
            col("ent_num")?,
            col("investor_id")?,
            col("decided_by")?,
            col("decided_at")?,
            col("note")?,
        );
        for rec in rdr.records() {
            let rec = rec.map_err(|e| OverridesError::Row {
                line: e.position().map(|p| p.line()).unwrap_or(0),
                reason: e.to_string(),
            })?;
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            let get = |i: usize| rec.get(i).unwrap_or("").to_string();
            let bad = |reason: String| OverridesError::Row { line, reason };
            let ent_num = get(c_ent)
                .parse::<i64>()
                .map_err(|_| bad(format!("ent_num `{}` is not an integer", get(c_ent))))?;
            let investor_id = get(c_inv)
                .parse::<i64>()
                .map_err(|_| bad(format!("investor_id `{}` is not an integer", get(c_inv))))?;
            let decided_by = get(c_by);
            if decided_by.is_empty() {
                return Err(bad("decided_by is empty".into()));
            }
            let decided_at = get(c_at);
            let date_part = decided_at.get(..10).unwrap_or("");
            if chrono::NaiveDate::parse_from_str(date_part, "%Y-%m-%d").is_err() {
                return Err(bad(format!(
                    "decided_at `{decided_at}` is not a YYYY-MM-DD date"
                )));
            }
            let note = get(c_note);
            if note.is_empty() {
                return Err(bad(
                    "note is empty: record why the hit is a false positive".into()
                ));
            }
            out.insert(Override {
                ent_num,
                investor_id,
                decided_by,
                decided_at,
                note,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_with_line_numbers() {
        let ok = "ent_num,investor_id,decided_by,decided_at,note\n# comment\n15102,42,jane@cpa,2026-11-02,\"different person, DOB 1985\"\n";
        let o = Overrides::parse_csv(ok).unwrap();
        assert_eq!(o.len(), 1);
        assert_eq!(o.get(15102, 42).unwrap().note, "different person, DOB 1985");
        assert!(o.get(15102, 43).is_none());

        let bad = "ent_num,investor_id,decided_by,decided_at,note\n15102,x,jane,2026-11-02,n\n";
        assert_eq!(
            Overrides::parse_csv(bad).unwrap_err().to_string(),
            "overrides: line 2: investor_id `x` is not an integer"
        );
        let nocol = "ent_num,investor_id,decided_by,note\n";
        assert!(matches!(
            Overrides::parse_csv(nocol),
            Err(OverridesError::MissingColumn("decided_at"))
        ));
        assert!(Overrides::parse_csv("").unwrap().is_empty());
    }
}
