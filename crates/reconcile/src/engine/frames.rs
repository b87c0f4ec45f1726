//! The engine's columnar side: expected movements as a polars frame (money as i64 cents, dates
//! as `Date`), and the set-oriented steps that run on frames:
//!
//! * [`exact_candidates`] — pass 1's candidate pairs, an inner join of a `(line_idx, key hash)`
//!   frame against a `(movement_idx, key hash)` frame (64-bit hashes join far faster than
//!   strings; every pair is checked against the keys themselves afterwards);
//! * [`day_totals`] — a batch line's candidate charges summed per settlement day and method;
//! * [`method_summary`] / [`exception_counts`] — the summary's per-method figures and the
//!   exception counts per code.
//!
//! Everything that needs an order (the assignment, the tie-breaks) stays in the matcher; results
//! read back from a frame are sorted before use, so outputs never depend on hash order.

use std::collections::BTreeMap;

use polars::prelude::*;
use tieout_domain::Cents;

use super::MethodSummary;
use super::expected::{Method, Movement};

/// Column names shared by the frames.
pub(crate) mod c {
    pub const MOVEMENT_IDX: &str = "movement_idx";
    pub const LINE_IDX: &str = "line_idx";
    pub const KEY: &str = "key";
    pub const INVESTMENT_ID: &str = "investment_id";
    pub const KIND: &str = "kind";
    pub const METHOD: &str = "method";
    pub const EXPECTED_CENTS: &str = "expected_cents";
    pub const ALT_CENTS: &str = "alt_cents";
    pub const DATE: &str = "date";
    pub const SHADOW: &str = "shadow";
    pub const DAY: &str = "day";
    pub const SUM_CENTS: &str = "sum_cents";
    pub const N: &str = "n";
    pub const STATE: &str = "state";
    pub const ABS_CENTS: &str = "abs_cents";
    pub const MATCHED: &str = "matched";
    pub const MATCHED_CENTS: &str = "matched_cents";
    pub const CODE: &str = "code";
}

fn idx_u32(i: usize) -> PolarsResult<u32> {
    u32::try_from(i).map_err(|_| polars_err!(ComputeError: "index {i} does not fit in u32"))
}

/// One row per expected movement: `movement_idx` (u32, the matcher's index), `investment_id`,
/// `kind`, `method`, `expected_cents` (i64), `alt_cents` (nullable i64), `date` (Date),
/// `shadow` (bool).
pub(crate) fn movements_frame(moves: &[Movement]) -> PolarsResult<DataFrame> {
    let idx: Vec<u32> = (0..moves.len()).map(idx_u32).collect::<PolarsResult<_>>()?;
    DataFrame::new(
        moves.len(),
        vec![
            Column::new(c::MOVEMENT_IDX.into(), idx),
            Column::new(
                c::INVESTMENT_ID.into(),
                moves.iter().map(|m| m.investment_id).collect::<Vec<i64>>(),
            ),
            Column::new(
                c::KIND.into(),
                moves.iter().map(|m| m.kind.label()).collect::<Vec<&str>>(),
            ),
            Column::new(
                c::METHOD.into(),
                moves
                    .iter()
                    .map(|m| m.method.label())
                    .collect::<Vec<&str>>(),
            ),
            Column::new(
                c::EXPECTED_CENTS.into(),
                moves.iter().map(|m| m.expected).collect::<Vec<i64>>(),
            ),
            Column::new(
                c::ALT_CENTS.into(),
                moves.iter().map(|m| m.alt).collect::<Vec<Option<i64>>>(),
            ),
            Series::new(
                c::DATE.into(),
                moves
                    .iter()
                    .map(|m| m.date)
                    .collect::<Vec<chrono::NaiveDate>>(),
            )
            .into(),
            Column::new(
                c::SHADOW.into(),
                moves.iter().map(|m| m.is_shadow()).collect::<Vec<bool>>(),
            ),
        ],
    )
}

/// The 64-bit hash keys are joined by (FxHash of the bytes): equal keys hash equally;
/// different keys that collide are told apart by [`exact_candidates`]' check.
fn key_hash(k: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    k.hash(&mut h);
    h.finish()
}

/// `(id_col, key)`: one row per key of each entry of `keys` (its index and the key's hash).
fn key_hash_frame(
    id_col: &str,
    keys: &[&[String]],
    hash: fn(&str) -> u64,
) -> PolarsResult<DataFrame> {
    let n: usize = keys.iter().map(|k| k.len()).sum();
    let mut idx = Vec::with_capacity(n);
    let mut h = Vec::with_capacity(n);
    for (i, ks) in keys.iter().enumerate() {
        let i = idx_u32(i)?;
        for k in ks.iter() {
            idx.push(i);
            h.push(hash(k));
        }
    }
    DataFrame::new(
        n,
        vec![
            Column::new(id_col.into(), idx),
            Column::new(c::KEY.into(), h),
        ],
    )
}

/// Pass 1's candidates: for each line (an entry of `line_keys`), the sorted, distinct movements
/// one of whose exact keys is one of the line's key tokens — an inner join of
/// `(line_idx, key hash)` with `(movement_idx, key hash)`, each pair then checked on the keys.
pub(crate) fn exact_candidates(
    line_keys: &[&[String]],
    move_keys: &[&[String]],
) -> PolarsResult<Vec<Vec<usize>>> {
    exact_candidates_by(line_keys, move_keys, key_hash)
}

fn exact_candidates_by(
    line_keys: &[&[String]],
    move_keys: &[&[String]],
    hash: fn(&str) -> u64,
) -> PolarsResult<Vec<Vec<usize>>> {
    let lines = key_hash_frame(c::LINE_IDX, line_keys, hash)?;
    let moves = key_hash_frame(c::MOVEMENT_IDX, move_keys, hash)?;
    let pairs = lines
        .lazy()
        .join(
            moves.lazy(),
            [col(c::KEY)],
            [col(c::KEY)],
            JoinArgs::new(JoinType::Inner),
        )
        .select([col(c::LINE_IDX), col(c::MOVEMENT_IDX)])
        .collect()?;
    let mut out = vec![Vec::new(); line_keys.len()];
    let ls = pairs.column(c::LINE_IDX)?.u32()?;
    let ms = pairs.column(c::MOVEMENT_IDX)?.u32()?;
    for (l, m) in ls.into_no_null_iter().zip(ms.into_no_null_iter()) {
        let (l, m) = (l as usize, m as usize);
        let (Some(lk), Some(mk)) = (line_keys.get(l), move_keys.get(m)) else {
            return Err(polars_err!(ComputeError: "join returned a pair ({l}, {m}) out of range"));
        };
        // Equal hashes of different keys are no candidate.
        if lk.iter().any(|k| mk.contains(k)) {
            out[l].push(m);
        }
    }
    for c in &mut out {
        c.sort_unstable();
        c.dedup();
    }
    Ok(out)
}

/// A batch line's candidate charge: (business-day offset, method, expected cents).
pub(crate) struct DayCharge {
    /// Business days between the line and the charge.
    pub day: i64,
    /// Payment method.
    pub method: Method,
    /// Expected cents.
    pub expected: Cents,
}

/// Totals of one settlement day per method: cents and count of charges.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DayTotals {
    /// Card cents and count.
    pub card: (Cents, usize),
    /// ACH cents and count.
    pub ach: (Cents, usize),
    /// Crypto cents and count.
    pub crypto: (Cents, usize),
}

/// Candidate charges summed per settlement day and method (`group_by([day, method])`), by day
/// ascending.
pub(crate) fn day_totals(charges: &[DayCharge]) -> PolarsResult<BTreeMap<i64, DayTotals>> {
    let df = DataFrame::new(
        charges.len(),
        vec![
            Column::new(
                c::DAY.into(),
                charges.iter().map(|x| x.day).collect::<Vec<i64>>(),
            ),
            Column::new(
                c::METHOD.into(),
                charges
                    .iter()
                    .map(|x| x.method.label())
                    .collect::<Vec<&str>>(),
            ),
            Column::new(
                c::EXPECTED_CENTS.into(),
                charges.iter().map(|x| x.expected).collect::<Vec<i64>>(),
            ),
        ],
    )?;
    let g = df
        .lazy()
        .group_by([col(c::DAY), col(c::METHOD)])
        .agg([
            col(c::EXPECTED_CENTS).sum().alias(c::SUM_CENTS),
            len().cast(DataType::Int64).alias(c::N),
        ])
        .sort([c::DAY, c::METHOD], SortMultipleOptions::default())
        .collect()?;
    let days = g.column(c::DAY)?.i64()?;
    let methods = g.column(c::METHOD)?.str()?;
    let sums = g.column(c::SUM_CENTS)?.i64()?;
    let ns = g.column(c::N)?.i64()?;
    let mut out: BTreeMap<i64, DayTotals> = BTreeMap::new();
    for i in 0..g.height() {
        let (Some(day), Some(method), Some(sum), Some(n)) =
            (days.get(i), methods.get(i), sums.get(i), ns.get(i))
        else {
            polars_bail!(ComputeError: "null in day totals row {i}");
        };
        let t = out.entry(day).or_default();
        let n = usize::try_from(n).unwrap_or(0);
        match Method::from_label(method) {
            Method::Card => t.card = (sum, n),
            Method::Ach => t.ach = (sum, n),
            Method::Crypto => t.crypto = (sum, n),
            _ => {}
        }
    }
    Ok(out)
}

/// Final state of a movement, as the summary counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MoveState {
    /// Matched.
    Matched,
    /// Under an exception.
    Exception,
    /// Ignored with a reason.
    Ignored,
}

/// Per-method figures over the movements frame: movements that are neither shadows nor ignored,
/// grouped by `method` with counts and |expected| cents, split matched / exception.
pub(crate) fn method_summary(
    moves: &DataFrame,
    states: &[MoveState],
) -> PolarsResult<BTreeMap<String, MethodSummary>> {
    let state: Vec<&str> = states
        .iter()
        .map(|s| match s {
            MoveState::Matched => "matched",
            MoveState::Exception => "exception",
            MoveState::Ignored => "ignored",
        })
        .collect();
    let df = moves
        .select([c::METHOD, c::EXPECTED_CENTS, c::SHADOW])?
        .hstack(&[Column::new(c::STATE.into(), state)])?;
    let matched = col(c::STATE).eq(lit("matched"));
    let g = df
        .lazy()
        .filter(col(c::SHADOW).not().and(col(c::STATE).neq(lit("ignored"))))
        .with_columns([
            when(col(c::EXPECTED_CENTS).lt(lit(0i64)))
                .then(lit(0i64) - col(c::EXPECTED_CENTS))
                .otherwise(col(c::EXPECTED_CENTS))
                .alias(c::ABS_CENTS),
            matched.clone().cast(DataType::Int64).alias(c::MATCHED),
        ])
        .with_columns([(col(c::ABS_CENTS) * col(c::MATCHED)).alias(c::MATCHED_CENTS)])
        .group_by([col(c::METHOD)])
        .agg([
            len().cast(DataType::Int64).alias(c::N),
            col(c::MATCHED).sum(),
            col(c::ABS_CENTS).sum(),
            col(c::MATCHED_CENTS).sum(),
        ])
        .sort([c::METHOD], SortMultipleOptions::default())
        .collect()?;
    let methods = g.column(c::METHOD)?.str()?;
    let ns = g.column(c::N)?.i64()?;
    let matched = g.column(c::MATCHED)?.i64()?;
    let cents = g.column(c::ABS_CENTS)?.i64()?;
    let matched_cents = g.column(c::MATCHED_CENTS)?.i64()?;
    let mut out = BTreeMap::new();
    for i in 0..g.height() {
        let (Some(m), Some(n), Some(k), Some(e), Some(me)) = (
            methods.get(i),
            ns.get(i),
            matched.get(i),
            cents.get(i),
            matched_cents.get(i),
        ) else {
            polars_bail!(ComputeError: "null in method summary row {i}");
        };
        let (n, k) = (
            usize::try_from(n).unwrap_or(0),
            usize::try_from(k).unwrap_or(0),
        );
        out.insert(
            m.to_string(),
            MethodSummary {
                movements: n,
                matched: k,
                exceptions: n - k.min(n),
                expected_cents: e,
                matched_expected_cents: me,
            },
        );
    }
    Ok(out)
}

/// Exceptions per code (`group_by(code).agg(len)`).
pub(crate) fn exception_counts(codes: &[&str]) -> PolarsResult<BTreeMap<String, usize>> {
    let df = DataFrame::new(codes.len(), vec![Column::new(c::CODE.into(), codes)])?;
    let g = df
        .lazy()
        .group_by([col(c::CODE)])
        .agg([len().cast(DataType::Int64).alias(c::N)])
        .collect()?;
    let code = g.column(c::CODE)?.str()?;
    let n = g.column(c::N)?.i64()?;
    let mut out = BTreeMap::new();
    for i in 0..g.height() {
        if let (Some(k), Some(v)) = (code.get(i), n.get(i)) {
            out.insert(k.to_string(), usize::try_from(v).unwrap_or(0));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge(day: i64, method: Method, expected: Cents) -> DayCharge {
        DayCharge {
            day,
            method,
            expected,
        }
    }

    #[test]
    fn day_totals_group_by_day_and_method() {
        let t = day_totals(&[
            charge(1, Method::Card, 1_000),
            charge(1, Method::Ach, 250),
            charge(1, Method::Card, 99),
            charge(2, Method::Crypto, 7),
        ])
        .unwrap();
        assert_eq!(
            t.get(&1),
            Some(&DayTotals {
                card: (1_099, 2),
                ach: (250, 1),
                crypto: (0, 0)
            })
        );
        assert_eq!(t.get(&2).map(|d| d.crypto), Some((7, 1)));
        assert_eq!(t.len(), 2);
    }

    fn keys(k: &[&[&str]]) -> Vec<Vec<String>> {
        k.iter()
            .map(|v| v.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    fn slices(k: &[Vec<String>]) -> Vec<&[String]> {
        k.iter().map(Vec::as_slice).collect()
    }

    #[test]
    fn exact_join_pairs_lines_with_movements_by_key() {
        let lines = keys(&[&["INV-1", "PI_9"], &["PI_9"], &["NOPE"], &[]]);
        let moves = keys(&[&[], &[], &[], &["PI_9"], &[], &["INV-1", "PI_9"]]);
        let c = exact_candidates(&slices(&lines), &slices(&moves)).unwrap();
        assert_eq!(c, vec![vec![3, 5], vec![3, 5], vec![], vec![]]);
    }

    #[test]
    fn exact_join_with_no_keys_at_all_is_empty_not_an_error() {
        let lines = keys(&[&["A1"], &[]]);
        let moves = keys(&[&[], &[]]);
        let c = exact_candidates(&slices(&lines), &slices(&moves)).unwrap();
        assert_eq!(c, vec![Vec::<usize>::new(), vec![]]);
        assert_eq!(
            exact_candidates(&[], &[]).unwrap(),
            Vec::<Vec<usize>>::new()
        );
    }

    #[test]
    fn exact_join_matches_any_key_of_a_movement() {
        let lines = keys(&[&["X", "PI_2"], &["REF1"], &[]]);
        let moves = keys(&[&["REF1", "PI_1"], &["PI_2"]]);
        let c = exact_candidates(&slices(&lines), &slices(&moves)).unwrap();
        assert_eq!(c, vec![vec![1], vec![0], vec![]]);
    }

    #[test]
    fn keys_whose_hashes_collide_are_no_candidates() {
        // Every key hashes alike: only the check on the keys themselves tells them apart.
        let lines = keys(&[&["REF1"], &["REF2", "PI_1"], &["NOPE"]]);
        let moves = keys(&[&["REF1", "PI_1"], &["PI_2"]]);
        let c = exact_candidates_by(&slices(&lines), &slices(&moves), |_| 7).unwrap();
        assert_eq!(c, vec![vec![0], vec![0], vec![]]);
    }

    #[test]
    fn exception_counts_per_code() {
        let m = exception_counts(&["B", "A", "B"]).unwrap();
        assert_eq!(
            m.into_iter().collect::<Vec<_>>(),
            vec![("A".into(), 1), ("B".into(), 2)]
        );
    }
}
