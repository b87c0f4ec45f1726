//! The engine's columnar side: expected movements and statement lines as polars frames (money
//! as i64 cents, dates as `Date`, keys as strings), and the set-oriented steps that run on them:
//!
//! * [`exact_candidates`] — pass 1's candidate pairs, an inner join of the exploded
//!   `(line_idx, key)` frame against the `(movement_idx, key)` frame;
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
    pub const KEYS: &str = "keys";
    pub const INVESTMENT_ID: &str = "investment_id";
    pub const KIND: &str = "kind";
    pub const METHOD: &str = "method";
    pub const EXPECTED_CENTS: &str = "expected_cents";
    pub const ALT_CENTS: &str = "alt_cents";
    pub const DATE: &str = "date";
    pub const SHADOW: &str = "shadow";
    pub const FILE: &str = "file";
    pub const STATEMENT_ROW: &str = "statement_row";
    pub const AMOUNT_CENTS: &str = "amount_cents";
    pub const BOOKING_DATE: &str = "booking_date";
    pub const IS_BATCH: &str = "is_batch";
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
/// `shadow` (bool); plus `keys`, the movement's normalised exact keys as a list of strings.
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
            key_list(moves.iter().map(|m| m.keys.as_slice())),
        ],
    )
}

/// A `List(String)` column of key tokens (typed even when every list is empty).
fn key_list<'a>(keys: impl ExactSizeIterator<Item = &'a [String]>) -> Column {
    let mut b = ListStringChunkedBuilder::new(c::KEYS.into(), keys.len(), keys.len() * 2);
    for k in keys {
        b.append_values_iter(k.iter().map(String::as_str));
    }
    b.finish().into_series().into()
}

/// What the lines frame needs of one tokenised statement line.
pub(crate) struct LineRow<'a> {
    /// Statement file.
    pub file: &'a str,
    /// Statement row.
    pub statement_row: u32,
    /// Signed cents.
    pub amount: Cents,
    /// Booking date.
    pub date: chrono::NaiveDate,
    /// Normalised key tokens of the line's texts.
    pub keys: &'a [String],
    /// The text names a processor settlement.
    pub is_batch: bool,
}

/// One row per statement line: `line_idx` (u32), `file`, `statement_row`, `amount_cents` (i64),
/// `booking_date` (Date), `is_batch` (bool) and `keys` (list of key tokens).
pub(crate) fn lines_frame<'a>(
    lines: impl ExactSizeIterator<Item = LineRow<'a>>,
) -> PolarsResult<DataFrame> {
    let n = lines.len();
    let mut idx = Vec::with_capacity(n);
    let mut file = Vec::with_capacity(n);
    let mut row = Vec::with_capacity(n);
    let mut amount = Vec::with_capacity(n);
    let mut date = Vec::with_capacity(n);
    let mut batch = Vec::with_capacity(n);
    let mut keys = Vec::with_capacity(n);
    for (i, l) in lines.enumerate() {
        idx.push(idx_u32(i)?);
        file.push(l.file);
        row.push(l.statement_row);
        amount.push(l.amount);
        date.push(l.date);
        batch.push(l.is_batch);
        keys.push(l.keys);
    }
    DataFrame::new(
        n,
        vec![
            Column::new(c::LINE_IDX.into(), idx),
            Column::new(c::FILE.into(), file),
            Column::new(c::STATEMENT_ROW.into(), row),
            Column::new(c::AMOUNT_CENTS.into(), amount),
            Series::new(c::BOOKING_DATE.into(), date).into(),
            Column::new(c::IS_BATCH.into(), batch),
            key_list(keys.into_iter()),
        ],
    )
}

/// `(id_col, keys)`: one row per entry of `keys`, `id_col` its index (for the benchmark hook).
pub(crate) fn keys_frame(id_col: &str, keys: &[Vec<String>]) -> PolarsResult<DataFrame> {
    let idx: Vec<u32> = (0..keys.len()).map(idx_u32).collect::<PolarsResult<_>>()?;
    DataFrame::new(
        keys.len(),
        vec![
            Column::new(id_col.into(), idx),
            key_list(keys.iter().map(Vec::as_slice)),
        ],
    )
}

/// `(id_col, key)`: the frame's `keys` list exploded to one row per key (rows without keys drop
/// out).
pub(crate) fn exploded_keys(frame: &DataFrame, id_col: &str) -> PolarsResult<DataFrame> {
    frame
        .select([id_col, c::KEYS])?
        .explode(
            [c::KEYS],
            ExplodeOptions {
                empty_as_null: false,
                keep_nulls: false,
            },
        )?
        .lazy()
        .rename([c::KEYS], [c::KEY], true)
        .filter(col(c::KEY).is_not_null())
        .collect()
}

/// Pass 1's candidates: for each line, the sorted, distinct movements one of whose exact keys is
/// a token of the line — an inner join of `(line_idx, key)` with `(movement_idx, key)`.
pub(crate) fn exact_candidates(
    line_keys: &DataFrame,
    move_keys: &DataFrame,
    n_lines: usize,
) -> PolarsResult<Vec<Vec<usize>>> {
    let pairs = line_keys
        .clone()
        .lazy()
        .join(
            move_keys.clone().lazy(),
            [col(c::KEY)],
            [col(c::KEY)],
            JoinArgs::new(JoinType::Inner),
        )
        .select([col(c::LINE_IDX), col(c::MOVEMENT_IDX)])
        .unique(None, UniqueKeepStrategy::Any)
        .sort(
            [c::LINE_IDX, c::MOVEMENT_IDX],
            SortMultipleOptions::default(),
        )
        .collect()?;
    let mut out = vec![Vec::new(); n_lines];
    let ls = pairs.column(c::LINE_IDX)?.u32()?;
    let ms = pairs.column(c::MOVEMENT_IDX)?.u32()?;
    for (l, m) in ls.into_no_null_iter().zip(ms.into_no_null_iter()) {
        let slot = out
            .get_mut(l as usize)
            .ok_or_else(|| polars_err!(ComputeError: "join returned line {l} out of range"))?;
        slot.push(m as usize);
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

    #[test]
    fn exact_join_pairs_lines_with_movements_by_key() {
        let line_keys = DataFrame::new(
            4,
            vec![
                Column::new(c::LINE_IDX.into(), vec![0u32, 0, 1, 2]),
                Column::new(c::KEY.into(), vec!["INV-1", "PI_9", "PI_9", "NOPE"]),
            ],
        )
        .unwrap();
        let move_keys = DataFrame::new(
            3,
            vec![
                Column::new(c::MOVEMENT_IDX.into(), vec![5u32, 3, 5]),
                Column::new(c::KEY.into(), vec!["INV-1", "PI_9", "PI_9"]),
            ],
        )
        .unwrap();
        let c = exact_candidates(&line_keys, &move_keys, 4).unwrap();
        assert_eq!(c, vec![vec![3, 5], vec![3, 5], vec![], vec![]]);
    }

    #[test]
    fn exploded_join_with_no_keys_at_all_is_empty_not_an_error() {
        let lines = keys_frame(c::LINE_IDX, &[vec!["A1".into()], vec![]]).unwrap();
        let moves = keys_frame(c::MOVEMENT_IDX, &[vec![], vec![]]).unwrap();
        let lk = exploded_keys(&lines, c::LINE_IDX).unwrap();
        let mk = exploded_keys(&moves, c::MOVEMENT_IDX).unwrap();
        assert_eq!(lk.height(), 1);
        assert_eq!(mk.height(), 0);
        let c = exact_candidates(&lk, &mk, 2).unwrap();
        assert_eq!(c, vec![Vec::<usize>::new(), vec![]]);
    }

    #[test]
    fn exploded_join_matches_any_key_of_a_movement() {
        let lines = keys_frame(
            c::LINE_IDX,
            &[vec!["X".into(), "PI_2".into()], vec!["REF1".into()], vec![]],
        )
        .unwrap();
        let moves = keys_frame(
            c::MOVEMENT_IDX,
            &[vec!["REF1".into(), "PI_1".into()], vec!["PI_2".into()]],
        )
        .unwrap();
        let lk = exploded_keys(&lines, c::LINE_IDX).unwrap();
        let mk = exploded_keys(&moves, c::MOVEMENT_IDX).unwrap();
        let c = exact_candidates(&lk, &mk, 3).unwrap();
        assert_eq!(c, vec![vec![1], vec![0], vec![]]);
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
