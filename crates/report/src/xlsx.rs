//! XLSX rendering with rust_xlsxwriter in constant-memory mode: one sheet per table, typed
//! cells (numbers, dates, currency `#,##0.00`), a frozen header row, an autofilter, column
//! widths from the layout and a totals row matching the PDF.
//!
//! Money is written as an Excel number of dollars (`cents / 100`): Excel stores every number
//! as an IEEE double, so this is the one place cents become floating point.

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
                ws.write_string_with_format(row, col, s, &f.total_label)?;
            } else {
                ws.write_string(row, col, s)?;
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
        Cell::Text(s) => ws.write_string(row, col, s).map(|_| ()),
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
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name(
        tl.sheet
            .clone()
            .unwrap_or_else(|| tl.title.chars().take(31).collect()),
    )?;
    let ncols = tl.columns.len();
    let last_col = u16::try_from(ncols.saturating_sub(1)).unwrap_or(u16::MAX);
    for (i, c) in tl.columns.iter().enumerate() {
        let col = u16::try_from(i).unwrap_or(u16::MAX);
        ws.set_column_width(col, c.xlsx_width.unwrap_or(f64::from(c.width)))?;
    }
    ws.set_freeze_panes(1, 0)?;
    for (i, c) in tl.columns.iter().enumerate() {
        let col = u16::try_from(i).unwrap_or(u16::MAX);
        let fmt = match c.align {
            Some(Align::Right) => f.header.clone().set_align(FormatAlign::Right),
            Some(Align::Center) => f.header.clone().set_align(FormatAlign::Center),
            _ => f.header.clone(),
        };
        ws.write_string_with_format(0, col, &c.heading, &fmt)?;
    }
    let n = u32::try_from(table.len()).map_err(|_| XlsxError::RowColumnLimitError)?;
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
    for (i, k) in kinds.iter().enumerate() {
        if let Some(k) = k {
            ws.set_column_format(i as u16, f.of(*k))?;
        }
    }
    for r in 0..table.len() {
        let row = (r as u32) + 1;
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
    ws.autofilter(0, 0, n, last_col)?;
    if let Some(t) = table.totals() {
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
