//! XLSX rendering with rust_xlsxwriter in constant-memory mode: one sheet per table, typed
//! cells (numbers, dates, currency `#,##0.00`), a frozen header row, an autofilter, column
//! widths from the layout and a totals row matching the PDF.
//!
//! Money is written as an Excel number of dollars (`cents / 100`): Excel stores every number
//! as an IEEE double, so this is the one place cents become floating point.
//!
//! Text is always a string cell (never a formula), cut at Excel's 32,767 characters with a
//! visible marker; a table longer than a sheet continues on `Name (2)`, `Name (3)`, … (each
//! with its header row; the totals on the last), so no run fails for a long string or a big
//! month.

use std::path::Path;

use chrono::{Datelike, NaiveDateTime, Timelike};
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError,
};

use crate::ReportError;
use crate::cells::{Cell, DynTable};
use crate::layout::{Align, Layouts, TableLayout};
use crate::models::ReportModels;

/// Deflate level of the XLSX zip container. Compressing the sheet XML is most of the time a
/// million-row workbook takes to save; level 3 deflates a 620 MB register sheet in well under
/// half the time of the writer's default 6, for a file some 15% larger.
pub const XLSX_ZIP_LEVEL: u8 = 3;

/// Most characters Excel keeps in a cell.
pub const XLSX_MAX_CHARS: usize = 32_767;

/// Rows of an Excel worksheet (header and totals included).
pub const XLSX_SHEET_ROWS: u32 = 1_048_576;

/// A text cell's content: cut to Excel's limit with a visible marker.
fn cell_text(s: &str) -> std::borrow::Cow<'_, str> {
    tieout_domain::safe_text::truncate_marked(s, XLSX_MAX_CHARS)
}

struct Formats {
    header: Format,
    money: Format,
    int: Format,
    date: Format,
    pct: Format,
    total_label: Format,
    total_money: Format,
    total_int: Format,
    total_pct: Format,
}

impl Formats {
    fn new() -> Self {
        Formats {
            header: Format::new()
                .set_bold()
                .set_background_color(0xDCE1E8)
                .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin),
            money: Format::new().set_num_format("#,##0.00"),
            int: Format::new().set_num_format("#,##0"),
            date: Format::new()
                .set_num_format("yyyy-mm-dd")
                .set_align(FormatAlign::Left),
            pct: Format::new().set_num_format("0.00%"),
            total_label: Format::new()
                .set_bold()
                .set_border_top(rust_xlsxwriter::FormatBorder::Thin),
            total_money: Format::new()
                .set_bold()
                .set_num_format("#,##0.00")
                .set_border_top(rust_xlsxwriter::FormatBorder::Thin),
            total_int: Format::new()
                .set_bold()
                .set_num_format("#,##0")
                .set_border_top(rust_xlsxwriter::FormatBorder::Thin),
            total_pct: Format::new()
                .set_bold()
                .set_num_format("0.00%")
                .set_border_top(rust_xlsxwriter::FormatBorder::Thin),
        }
    }
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    f: &Formats,
    total: bool,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(s) => {
            if total {
                ws.write_string_with_format(row, col, cell_text(s), &f.total_label)?;
            } else {
                ws.write_string(row, col, cell_text(s))?;
            }
        }
        Cell::Money(c) => {
            let fmt = if total { &f.total_money } else { &f.money };
            ws.write_number_with_format(row, col, *c as f64 / 100.0, fmt)?;
        }
        Cell::Int(i) => {
            let fmt = if total { &f.total_int } else { &f.int };
            ws.write_number_with_format(row, col, *i as f64, fmt)?;
        }
        Cell::Id(i) => {
            if total {
                ws.write_number_with_format(row, col, *i as f64, &f.total_label)?;
            } else {
                ws.write_number(row, col, *i as f64)?;
            }
        }
        Cell::Pct(bp) => {
            let fmt = if total { &f.total_pct } else { &f.pct };
            ws.write_number_with_format(row, col, *bp as f64 / 10_000.0, fmt)?;
        }
        Cell::Date(d) => {
            let year = u16::try_from(d.year())
                .map_err(|_| XlsxError::DateTimeRangeError(d.to_string()))?;
            let dt = ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8)?;
            ws.write_datetime_with_format(row, col, &dt, &f.date)?;
        }
        Cell::Empty => {
            if total {
                ws.write_blank(row, col, &f.total_label)?;
            }
        }
    }
    Ok(())
}

/// The number format a data cell carries (`None` for text, ids and blanks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Money,
    Int,
    Pct,
    Date,
}

fn kind(cell: &Cell) -> Option<Kind> {
    match cell {
        Cell::Money(_) => Some(Kind::Money),
        Cell::Int(_) => Some(Kind::Int),
        Cell::Pct(_) => Some(Kind::Pct),
        Cell::Date(_) => Some(Kind::Date),
        Cell::Text(_) | Cell::Id(_) | Cell::Empty => None,
    }
}

impl Formats {
    fn of(&self, k: Kind) -> &Format {
        match k {
            Kind::Money => &self.money,
            Kind::Int => &self.int,
            Kind::Pct => &self.pct,
            Kind::Date => &self.date,
        }
    }
}

/// Writes a data cell whose format is its column's: the writer applies the column format to
/// cells written without one, which saves looking the format up for every cell.
fn write_plain(ws: &mut Worksheet, row: u32, col: u16, cell: &Cell) -> Result<(), XlsxError> {
    match cell {
        Cell::Money(c) => ws.write_number(row, col, *c as f64 / 100.0).map(|_| ()),
        Cell::Int(i) => ws.write_number(row, col, *i as f64).map(|_| ()),
        Cell::Pct(bp) => ws.write_number(row, col, *bp as f64 / 10_000.0).map(|_| ()),
        Cell::Date(d) => {
            let year = u16::try_from(d.year())
                .map_err(|_| XlsxError::DateTimeRangeError(d.to_string()))?;
            let dt = ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8)?;
            ws.write_datetime(row, col, &dt).map(|_| ())
        }
        Cell::Text(s) => ws.write_string(row, col, cell_text(s)).map(|_| ()),
        Cell::Id(i) => ws.write_number(row, col, *i as f64).map(|_| ()),
        Cell::Empty => Ok(()),
    }
}

fn write_table(
    wb: &mut Workbook,
    tl: &TableLayout,
    table: &dyn DynTable,
    f: &Formats,
) -> Result<(), XlsxError> {
    write_table_in_sheets(wb, tl, table, f, XLSX_SHEET_ROWS)
}

/// The name of the `part`-th sheet (0-based) of a table: the base name, then `Name (2)`, …
/// (within Excel's 31 characters).
fn sheet_name(base: &str, part: usize) -> String {
    if part == 0 {
        return base.chars().take(31).collect();
    }
    let suffix = format!(" ({})", part + 1);
    let keep = 31usize.saturating_sub(suffix.chars().count());
    let kept: String = base.chars().take(keep).collect();
    format!("{}{suffix}", kept.trim_end())
}

/// Writes `table` over as many sheets of at most `sheet_rows` rows (header and totals
/// included) as it needs.
fn write_table_in_sheets(
    wb: &mut Workbook,
    tl: &TableLayout,
    table: &dyn DynTable,
    f: &Formats,
    sheet_rows: u32,
) -> Result<(), XlsxError> {
    let base = tl
        .sheet
        .clone()
        .unwrap_or_else(|| tl.title.chars().take(31).collect());
    // A header row on every sheet and a totals row on the last.
    let per_sheet = usize::try_from(sheet_rows.saturating_sub(2).max(1)).unwrap_or(usize::MAX);
    let parts = table.len().div_ceil(per_sheet).max(1);
    let ncols = tl.columns.len();
    let last_col = u16::try_from(ncols.saturating_sub(1)).unwrap_or(u16::MAX);
    // Resolve column keys once, not per cell.
    let idx: Vec<Option<usize>> = tl
        .columns
        .iter()
        .map(|c| table.keys().iter().position(|k| *k == c.key))
        .collect();
    // Each column's number format, from its first non-blank cell among the first rows (a
    // row struct field has one type), set on the column so data cells need not carry their
    // own; a cell of another kind still gets its own format.
    let kinds: Vec<Option<Kind>> = idx
        .iter()
        .map(|k| {
            k.and_then(|k| {
                (0..table.len().min(1_000))
                    .filter_map(|r| table.cell_at(r, k))
                    .find(|c| *c != Cell::Empty)
                    .and_then(|c| kind(&c))
            })
        })
        .collect();
    for part in 0..parts {
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(sheet_name(&base, part))?;
        for (i, c) in tl.columns.iter().enumerate() {
            let col = u16::try_from(i).unwrap_or(u16::MAX);
            ws.set_column_width(col, crate::worksheet::column_width(c, table, idx[i]))?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (i, c) in tl.columns.iter().enumerate() {
            let col = u16::try_from(i).unwrap_or(u16::MAX);
            let fmt = match c.align {
                Some(Align::Right) => f.header.clone().set_align(FormatAlign::Right),
                Some(Align::Center) => f.header.clone().set_align(FormatAlign::Center),
                _ => f.header.clone(),
            };
            ws.write_string_with_format(0, col, cell_text(&c.heading), &fmt)?;
        }
        for (i, k) in kinds.iter().enumerate() {
            if let Some(k) = k {
                ws.set_column_format(i as u16, f.of(*k))?;
            }
        }
        let from = part * per_sheet;
        let to = (from + per_sheet).min(table.len());
        for r in from..to {
            let row = u32::try_from(r - from + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
            for (i, k) in idx.iter().enumerate() {
                if let Some(cell) = k.and_then(|k| table.cell_at(r, k)) {
                    let col = i as u16;
                    if kind(&cell) == kinds[i] {
                        write_plain(ws, row, col, &cell)?;
                    } else {
                        write_cell(ws, row, col, &cell, f, false)?;
                    }
                }
            }
        }
        let n = u32::try_from(to - from).map_err(|_| XlsxError::RowColumnLimitError)?;
        ws.autofilter(0, 0, n, last_col)?;
        crate::worksheet::decision_dropdown(ws, &tl.columns, n)?;
        if part + 1 == parts
            && let Some(t) = table.totals()
        {
            let row = n + 1;
            for (i, c) in tl.columns.iter().enumerate() {
                let cell = match t.get(&c.key) {
                    Some(v) => v.clone(),
                    None if i == 0 => Cell::Text(t.label.clone()),
                    None => Cell::Empty,
                };
                write_cell(ws, row, i as u16, &cell, f, true)?;
            }
        }
    }
    Ok(())
}

fn excel_dt(t: NaiveDateTime) -> Result<ExcelDateTime, XlsxError> {
    let year = u16::try_from(t.year()).map_err(|_| XlsxError::DateTimeRangeError(t.to_string()))?;
    ExcelDateTime::from_ymd(year, t.month() as u8, t.day() as u8)?.and_hms(
        t.hour() as u16,
        t.minute() as u8,
        t.second(),
    )
}

/// Builds the workbook for one report (PDF-only reports are an error).
pub fn build_workbook(
    name: &str,
    models: &ReportModels,
    layouts: &Layouts,
    document_time: NaiveDateTime,
) -> Result<Workbook, ReportError> {
    let layout = layouts.get(name)?;
    let err = |e: XlsxError| ReportError::Xlsx {
        path: format!("{name}.xlsx").into(),
        message: e.to_string(),
    };
    let mut wb = Workbook::new();
    wb.set_zip_compression_level(XLSX_ZIP_LEVEL);
    let props = DocProperties::new()
        .set_title(layout.title.clone())
        .set_subject(format!("Period {}", models.header.period))
        .set_author("tieout")
        .set_comment(format!("Run {}", models.header.run_id))
        .set_creation_datetime(&excel_dt(document_time).map_err(err)?);
    wb.set_properties(&props);
    let f = Formats::new();
    if name == "exceptions" {
        crate::worksheet::instructions(&mut wb).map_err(err)?;
    }
    for t in &layout.tables {
        let table: &dyn DynTable = match (name, t.name.as_str()) {
            ("investor-register", "by_offering") => &models.investor_register.by_offering,
            ("investor-register", _) => &models.investor_register.investors,
            ("funds-received", "receipts") => &models.funds_received.receipts,
            ("funds-received", "by_day_method") => &models.funds_received.by_day_method,
            ("funds-received", _) => &models.funds_received.by_method,
            ("exceptions", "reconciliation") => &models.exceptions.reconciliation,
            ("exceptions", "findings") => &models.exceptions.findings,
            ("exceptions", "summary") => &models.exceptions.summary,
            ("exceptions", "money_model") => &models.exceptions.money_model,
            ("exceptions", _) => &models.exceptions.rejects,
            _ => {
                return Err(ReportError::Layout {
                    file: format!("reports/{name}.toml"),
                    message: "this report has no XLSX form".into(),
                });
            }
        };
        write_table(&mut wb, t, table, &f).map_err(err)?;
    }
    Ok(wb)
}

/// Writes one report's XLSX to `path`.
pub fn write_report(
    name: &str,
    models: &ReportModels,
    layouts: &Layouts,
    document_time: NaiveDateTime,
    path: &Path,
) -> Result<(), ReportError> {
    let mut wb = build_workbook(name, models, layouts, document_time)?;
    wb.save(path).map_err(|e| ReportError::Xlsx {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cells::Totals;
    use calamine::Reader;

    /// One text column.
    struct Texts(Vec<String>);

    impl DynTable for Texts {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn cell(&self, row: usize, _key: &str) -> Option<Cell> {
            self.cell_at(row, 0)
        }
        fn cell_at(&self, row: usize, _index: usize) -> Option<Cell> {
            self.0.get(row).map(|s| Cell::Text(s.clone()))
        }
        fn keys(&self) -> &'static [&'static str] {
            &["text"]
        }
        fn totals(&self) -> Option<&Totals> {
            None
        }
    }

    fn layout() -> TableLayout {
        toml::from_str(
            "name = 't'\ntitle = 'A table whose title is far too long for a sheet'\n[[columns]]\nkey = 'text'\nheading = 'Text'\nwidth = 10.0\n",
        )
        .unwrap()
    }

    fn sheets(wb: &mut Workbook) -> Vec<(String, Vec<String>)> {
        let bytes = wb.save_to_buffer().unwrap();
        let mut x: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        x.sheet_names()
            .into_iter()
            .map(|n| {
                let r = x.worksheet_range(&n).unwrap();
                let cells = r.rows().map(|row| row[0].to_string()).collect();
                (n, cells)
            })
            .collect()
    }

    #[test]
    fn a_table_longer_than_a_sheet_continues_on_the_next() {
        let rows: Vec<String> = (0..7).map(|i| format!("=row {i}")).collect();
        let mut wb = Workbook::new();
        write_table_in_sheets(&mut wb, &layout(), &Texts(rows), &Formats::new(), 5).unwrap();
        let got = sheets(&mut wb);
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "A table whose title is far too ",
                "A table whose title is far (2)",
                "A table whose title is far (3)"
            ]
        );
        // Every row once, in order, a header on every sheet; text stays text.
        assert_eq!(got[0].1, vec!["Text", "=row 0", "=row 1", "=row 2"]);
        assert_eq!(got[1].1, vec!["Text", "=row 3", "=row 4", "=row 5"]);
        assert_eq!(got[2].1, vec!["Text", "=row 6"]);
    }

    #[test]
    fn a_string_longer_than_excel_allows_is_cut_with_a_marker() {
        let long = "R".repeat(40_000);
        let mut wb = Workbook::new();
        write_table(&mut wb, &layout(), &Texts(vec![long]), &Formats::new()).unwrap();
        let got = sheets(&mut wb);
        let cell = &got[0].1[1];
        assert_eq!(cell.chars().count(), XLSX_MAX_CHARS);
        assert!(cell.ends_with("…[truncated: 40000 characters]"));
    }
}
