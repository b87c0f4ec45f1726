//! Typed table cells and the generic table shape every report model uses.
//!
//! A report model is a set of [`Table`]s of plain row structs. Each row struct implements
//! [`TableRow`], which lets the renderers fetch a typed [`Cell`] by the column key named in the
//! layout templates, so column order, headings and widths stay data.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tieout_domain::{Cents, format_cents};

/// An amount of money in cents, typed so renderers format it as currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(pub Cents);

/// An identifier (investor id, investment id, row number): a number shown without separators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Id(pub i64);

/// A percentage in basis points (1/100 of a percent): `1234` is 12.34%.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Pct(pub i64);

impl Pct {
    /// `part / whole` in basis points, rounded half up; `None` when `whole` is zero.
    pub fn of(part: i128, whole: i128) -> Option<Pct> {
        if whole == 0 {
            return None;
        }
        let bp = (part * 10_000 * 2 + whole) / (whole * 2);
        i64::try_from(bp).ok().map(Pct)
    }

    /// Formats as `12.34%`.
    pub fn format(&self) -> String {
        let neg = self.0 < 0;
        let a = self.0.unsigned_abs();
        format!("{}{}.{:02}%", if neg { "-" } else { "" }, a / 100, a % 100)
    }
}

/// One typed cell value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cell {
    /// Plain text.
    Text(String),
    /// Money in cents.
    Money(Cents),
    /// A whole number (counts, shares), shown with thousands separators.
    Int(i64),
    /// An identifier, shown without separators.
    Id(i64),
    /// A calendar date.
    Date(NaiveDate),
    /// A percentage in basis points.
    Pct(i64),
    /// Nothing.
    Empty,
}

impl Cell {
    /// The cell as display text (money with thousands separators, dates ISO).
    pub fn display(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Money(c) => format_cents(*c),
            Cell::Int(i) => format_int(*i),
            Cell::Id(i) => i.to_string(),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::Pct(bp) => Pct(*bp).format(),
            Cell::Empty => String::new(),
        }
    }

    /// Whether the cell is numeric (right-aligned by default).
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            Cell::Money(_) | Cell::Int(_) | Cell::Id(_) | Cell::Pct(_)
        )
    }
}

/// Formats an integer with thousands separators.
pub fn format_int(i: i64) -> String {
    let s = i.unsigned_abs().to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3 + 1);
    if i < 0 {
        out.push('-');
    }
    for (n, ch) in s.chars().enumerate() {
        if n > 0 && (s.len() - n).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell::Text(v)
    }
}
impl From<&str> for Cell {
    fn from(v: &str) -> Self {
        Cell::Text(v.to_string())
    }
}
impl From<Money> for Cell {
    fn from(v: Money) -> Self {
        Cell::Money(v.0)
    }
}
impl From<Id> for Cell {
    fn from(v: Id) -> Self {
        Cell::Id(v.0)
    }
}
impl From<Pct> for Cell {
    fn from(v: Pct) -> Self {
        Cell::Pct(v.0)
    }
}
impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Int(v)
    }
}
impl From<u32> for Cell {
    fn from(v: u32) -> Self {
        Cell::Int(i64::from(v))
    }
}
impl From<NaiveDate> for Cell {
    fn from(v: NaiveDate) -> Self {
        Cell::Date(v)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Cell::Empty)
    }
}

/// A row struct whose fields can be fetched by column key.
pub trait TableRow {
    /// Every column key this row offers, in field order.
    const KEYS: &'static [&'static str];
    /// The typed cell for the `i`-th key of [`TableRow::KEYS`].
    fn cell_at(&self, i: usize) -> Option<Cell>;
    /// The typed cell for `key`, or `None` for an unknown key.
    fn cell(&self, key: &str) -> Option<Cell> {
        Self::KEYS
            .iter()
            .position(|k| *k == key)
            .and_then(|i| self.cell_at(i))
    }
}

/// Declares a serialisable row struct and its [`TableRow`] implementation.
macro_rules! table_row {
    ($(#[$m:meta])* $name:ident { $( $(#[$fm:meta])* $f:ident : $t:ty ),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name { $( $(#[$fm])* pub $f: $t, )* }

        impl $crate::cells::TableRow for $name {
            const KEYS: &'static [&'static str] = &[$(stringify!($f)),*];
            fn cell_at(&self, i: usize) -> Option<$crate::cells::Cell> {
                let mut n = 0usize;
                $(
                    if n == i {
                        return Some($crate::cells::Cell::from(self.$f.clone()));
                    }
                    n += 1;
                )*
                let _ = n;
                None
            }
        }
    };
}
pub(crate) use table_row;

/// The totals line under a table: a label and the values of some columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Label shown in the first column (e.g. `Total`).
    pub label: String,
    /// Column key → total, in column order.
    pub values: Vec<(String, Cell)>,
}

impl Totals {
    /// The total for a column key.
    pub fn get(&self, key: &str) -> Option<&Cell> {
        self.values.iter().find(|(k, _)| k == key).map(|(_, c)| c)
    }
}

/// A table of rows with an optional totals line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table<R> {
    /// Rows in display order.
    pub rows: Vec<R>,
    /// Totals line, when the table has one.
    pub totals: Option<Totals>,
}

impl<R> Default for Table<R> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            totals: None,
        }
    }
}

/// Object-safe view of a [`Table`] for the renderers.
pub trait DynTable {
    /// Number of rows.
    fn len(&self) -> usize;
    /// Whether the table has no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The cell at `row` for column `key`.
    fn cell(&self, row: usize, key: &str) -> Option<Cell>;
    /// The cell at `row` for the column at `index` in [`DynTable::keys`].
    fn cell_at(&self, row: usize, index: usize) -> Option<Cell>;
    /// The column keys this table offers.
    fn keys(&self) -> &'static [&'static str];
    /// The totals line.
    fn totals(&self) -> Option<&Totals>;
}

impl<R: TableRow> DynTable for Table<R> {
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn cell(&self, row: usize, key: &str) -> Option<Cell> {
        self.rows.get(row).and_then(|r| r.cell(key))
    }
    fn cell_at(&self, row: usize, index: usize) -> Option<Cell> {
        self.rows.get(row).and_then(|r| r.cell_at(index))
    }
    fn keys(&self) -> &'static [&'static str] {
        R::KEYS
    }
    fn totals(&self) -> Option<&Totals> {
        self.totals.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_cells() {
        assert_eq!(Cell::Money(123456789).display(), "1,234,567.89");
        assert_eq!(Cell::Int(-1234567).display(), "-1,234,567");
        assert_eq!(Cell::Pct(5000).display(), "50.00%");
        assert_eq!(Pct::of(1, 3), Some(Pct(3333)));
        assert_eq!(Pct::of(2, 3), Some(Pct(6667)));
        assert_eq!(Pct::of(1, 0), None);
        assert_eq!(Cell::from(None::<String>), Cell::Empty);
    }
}
