//! CSV and XLSX bank exports: header detection, column-role recognition, row parsing.

use chrono::NaiveDate;
use tieout_domain::Cents;

use super::grid::GridRow;
use super::headers::role_for_header;
use super::layout::{CREDIT_WORDS, DEBIT_WORDS};
use super::profile::{BankProfile, ColumnRole, DateFormat, SignConvention};
use super::sign::{self, Direction};
use super::values::{DayOrder, DecimalSeparator, excel_serial, parse_amount, parse_date};
use super::{LoadError, LoadedStatement};
use crate::model::{Reject, SourceFormat, StatedBalance, StatementLine};

/// Read the first (or named) worksheet of an XLSX/XLS workbook into rows.
///
/// The rows cover the bounding box of the sheet's non-empty cells (as calamine's `Range` does),
/// one field per column. XLSX sheets are streamed cell by cell (each value converted once);
/// other workbook kinds go through calamine's `Range`.
pub(crate) fn xlsx_rows(
    file: &str,
    bytes: &[u8],
    sheet: Option<&str>,
) -> Result<Vec<GridRow>, LoadError> {
    use calamine::{Data, DataRef, Reader, Sheets};
    let err = |reason: String| LoadError::Spreadsheet {
        file: file.to_string(),
        reason,
    };
    let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| err(format!("cannot open workbook: {e}")))?;
    if let Sheets::Xlsx(x) = &mut wb {
        let name = match sheet {
            Some(n) => Some(n.to_string()),
            None => x.sheet_names().first().cloned(),
        };
        if let Some(name) = name
            && let Ok(mut reader) = x.worksheet_cells_reader(&name)
        {
            // (row, column, text) of every non-empty cell, in sheet order.
            let mut cells: Vec<(u32, u32, String)> = Vec::new();
            loop {
                match reader.next_cell() {
                    Ok(Some(c)) => {
                        let (r, col) = c.get_position();
                        let text = match c.get_value() {
                            DataRef::Empty => continue,
                            DataRef::String(s)
                            | DataRef::DateTimeIso(s)
                            | DataRef::DurationIso(s) => s.clone(),
                            DataRef::SharedString(s) => (*s).to_string(),
                            DataRef::Int(i) => i.to_string(),
                            DataRef::Float(f) => float_cell(*f),
                            DataRef::Bool(b) => bool_cell(*b),
                            DataRef::DateTime(dt) => datetime_cell(dt),
                            DataRef::Error(e) => format!("#ERROR {e}"),
                        };
                        cells.push((r, col, text));
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let what = match sheet {
                            Some(n) => format!("worksheet `{n}`"),
                            None => "first worksheet".to_string(),
                        };
                        return Err(err(format!("{what}: {}", calamine::Error::Xlsx(e))));
                    }
                }
            }
            return Ok(grid_from_cells(cells));
        }
    }
    let range = match sheet {
        Some(name) => wb
            .worksheet_range(name)
            .map_err(|e| err(format!("worksheet `{name}`: {e}")))?,
        None => wb
            .worksheet_range_at(0)
            .ok_or_else(|| err("workbook has no worksheet".into()))?
            .map_err(|e| err(format!("first worksheet: {e}")))?,
    };
    let (row0, _) = range.start().unwrap_or((0, 0));
    let mut rows = Vec::with_capacity(range.height());
    for (i, r) in range.rows().enumerate() {
        let mut cells = csv::StringRecord::new();
        for c in r {
            let s: String = match c {
                Data::Empty => String::new(),
                Data::String(s) => s.clone(),
                Data::Int(i) => i.to_string(),
                Data::Float(f) => float_cell(*f),
                Data::Bool(b) => bool_cell(*b),
                Data::DateTime(dt) => datetime_cell(dt),
                Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                Data::Error(e) => format!("#ERROR {e}"),
            };
            cells.push_field(&s);
        }
        let raw = cells.iter().collect::<Vec<_>>().join(",");
        let line = row0 + u32::try_from(i).unwrap_or(u32::MAX) + 1;
        rows.push(GridRow { line, cells, raw });
    }
    Ok(rows)
}

/// Rows over the bounding box of `cells` (row, column, text; a later cell at the same position
/// wins), as calamine's `Range::from_sparse` lays them out.
fn grid_from_cells(mut cells: Vec<(u32, u32, String)>) -> Vec<GridRow> {
    let Some(row_start) = cells.iter().map(|c| c.0).min() else {
        return Vec::new();
    };
    let row_end = cells.iter().map(|c| c.0).max().unwrap_or(row_start);
    let col_start = cells.iter().map(|c| c.1).min().unwrap_or(0);
    let col_end = cells.iter().map(|c| c.1).max().unwrap_or(col_start);
    let width = (col_end - col_start) as usize + 1;
    // Stable: cells at the same position keep their order, so the last one is kept below.
    if !cells.is_sorted_by_key(|c| (c.0, c.1)) {
        cells.sort_by_key(|c| (c.0, c.1));
    }
    let mut rows = Vec::with_capacity((row_end - row_start) as usize + 1);
    let mut it = cells.into_iter().peekable();
    let mut fields: Vec<String> = vec![String::new(); width];
    for r in row_start..=row_end {
        for f in fields.iter_mut() {
            f.clear();
        }
        while let Some((_, c, text)) = it.next_if(|c| c.0 == r) {
            fields[(c - col_start) as usize] = text;
        }
        let bytes: usize = fields.iter().map(String::len).sum();
        let mut rec = csv::StringRecord::with_capacity(bytes, width);
        let mut raw = String::with_capacity(bytes + width);
        for (i, f) in fields.iter().enumerate() {
            rec.push_field(f);
            if i > 0 {
                raw.push(',');
            }
            raw.push_str(f);
        }
        rows.push(GridRow {
            line: r + 1,
            cells: rec,
            raw,
        });
    }
    rows
}

fn bool_cell(b: bool) -> String {
    if b { "TRUE".into() } else { "FALSE".into() }
}

fn datetime_cell(dt: &calamine::ExcelDateTime) -> String {
    let serial = dt.as_f64();
    if dt.is_datetime() && serial >= 1.0 {
        excel_serial(serial.floor() as i64)
            .map(|d| d.to_string())
            .unwrap_or_else(|| format!("{serial}"))
    } else {
        format!("{serial}")
    }
}

/// Render a numeric cell. Whole numbers print without a fraction (`1234`, references and
/// serial dates); values within binary noise of a whole cent print with two decimals
/// (`0.30000000000000004` → `0.30`); anything else prints in full and is rejected by the amount
/// parser if it has sub-cent digits.
fn float_cell(f: f64) -> String {
    if f.fract() == 0.0 {
        return format!("{f}");
    }
    let scaled = f * 100.0;
    if (scaled - scaled.round()).abs() < 1e-6 * scaled.abs().max(1.0) {
        format!("{f:.2}")
    } else {
        format!("{f}")
    }
}

/// The column map of a table.
#[derive(Debug, Default)]
struct Columns {
    by_role: Vec<(ColumnRole, usize)>,
}

impl Columns {
    fn get(&self, role: ColumnRole) -> Option<usize> {
        self.by_role
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, i)| *i)
    }
}

fn looks_like_money(v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() || !v.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    let has_sign = v.contains(['$', '€', '£', '(']);
    let b = v.trim_end_matches([')', '-', ' ']).as_bytes();
    let n = b.len();
    let two_dec = n >= 3
        && (b[n - 3] == b'.' || b[n - 3] == b',')
        && b[n - 2].is_ascii_digit()
        && b[n - 1].is_ascii_digit();
    (has_sign || two_dec) && parse_amount(v, DecimalSeparator::Auto).is_ok()
}

/// Parse a CSV/XLSX table into statement lines.
pub(crate) fn parse_table(
    file: &str,
    format: SourceFormat,
    rows: Vec<GridRow>,
    profile: Option<&BankProfile>,
) -> Result<LoadedStatement, LoadError> {
    let default_profile = BankProfile::default();
    let p = profile.unwrap_or(&default_profile);
    let fe = |reason: String| LoadError::Profile {
        file: file.to_string(),
        reason,
    };

    // 1. Header row. Without one (and without a profile mapping the columns), the columns are
    // placed by their content (`layout::infer`).
    let mut infer_layout = p.header_row == Some(0) && p.columns.is_empty();
    let header_idx: Option<usize> = match p.header_row {
        Some(0) => None,
        Some(n) => Some(
            rows.iter()
                .position(|r| r.line == n)
                .ok_or_else(|| fe(format!("header_row {n} is beyond the end of the file")))?,
        ),
        None => {
            let mut found = None;
            let mut weak = None;
            for (i, r) in rows.iter().enumerate().take(60) {
                let mut has_date = false;
                let mut has_money = false;
                let mut known = 0;
                for c in r.cells.iter() {
                    let role = p
                        .columns
                        .iter()
                        .find(|(k, _)| k.trim().eq_ignore_ascii_case(c.trim()))
                        .map(|(_, r)| *r)
                        .or_else(|| role_for_header(c).map(|x| x.0));
                    if let Some(role) = role {
                        known += 1;
                        match role {
                            ColumnRole::BookingDate | ColumnRole::ValueDate => has_date = true,
                            ColumnRole::Amount | ColumnRole::Debit | ColumnRole::Credit => {
                                has_money = true
                            }
                            _ => {}
                        }
                    }
                }
                if has_date && has_money && known >= 2 {
                    found = Some(i);
                    break;
                }
                // A row naming a date and other known columns but no money column is the header
                // of a layout whose amount column has an unknown name: take it, so that the
                // column check below can say which columns it could not place.
                if has_date && known >= 2 && weak.is_none() {
                    weak = Some(i);
                }
            }
            match found.or(weak) {
                Some(i) => Some(i),
                None if p.columns.is_empty() => {
                    infer_layout = true;
                    None
                }
                None => {
                    let first = rows.first().map(|r| r.raw.clone()).unwrap_or_default();
                    return Err(LoadError::HeaderNotFound {
                        file: file.to_string(),
                        reason: format!(
                            "no row in the first {} names a date column and an amount (or debit/credit) column \
                             (first row: `{}`); if the file has no header, map the columns with a bank profile \
                             (header_row = 0 and \"#1\", \"#2\", ... column keys; see templates/bank-profiles/example.toml)",
                            rows.len().min(60),
                            truncate(&first, 120)
                        ),
                    });
                }
            }
        }
    };
    let (names, data_start): (Vec<String>, usize) = match header_idx {
        Some(i) => (
            rows[i]
                .cells
                .iter()
                .enumerate()
                .map(|(n, c)| {
                    if c.trim().is_empty() {
                        format!("#{}", n + 1)
                    } else {
                        c.trim().to_string()
                    }
                })
                .collect(),
            i + 1,
        ),
        None => {
            let width = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
            ((1..=width).map(|n| format!("#{n}")).collect(), 0)
        }
    };
    // The data rows without blank ones (each row is tested once).
    let mut rows = rows;
    let mut data_rows = rows.split_off(data_start.min(rows.len()));
    drop(rows);
    data_rows.retain(|r| !r.is_blank());
    let data: Vec<&GridRow> = data_rows.iter().collect();
    let mut notes: Vec<String> = Vec::new();

    // 2. Roles.
    let mut assigned: Vec<Option<(ColumnRole, u8)>> = vec![None; names.len()];
    if infer_layout {
        let inferred = super::layout::infer(&data).map_err(|reason| {
            let first = data.first().map(|r| r.raw.clone()).unwrap_or_default();
            LoadError::HeaderNotFound {
                file: file.to_string(),
                reason: format!(
                    "no row names the columns (first row: `{}`) and their content does not place them: {reason}; \
                     map the columns in a bank profile (header_row = 0 and \"#1\", \"#2\", ... column keys with \
                     booking_date, amount or debit/credit, description, balance, ...; see templates/bank-profiles/example.toml)",
                    truncate(&first, 120)
                ),
            }
        })?;
        for (i, r) in inferred.roles.iter().enumerate() {
            if let (Some(r), Some(slot)) = (r, assigned.get_mut(i)) {
                *slot = Some((*r, 0));
            }
        }
        notes.extend(inferred.notes);
    }
    for (key, role) in &p.columns {
        let k = key.trim();
        let idx = if let Some(n) = k.strip_prefix('#').and_then(|n| n.parse::<usize>().ok()) {
            (n >= 1 && n <= names.len()).then(|| n - 1)
        } else {
            names.iter().position(|h| h.eq_ignore_ascii_case(k))
        };
        match idx {
            Some(i) => assigned[i] = Some((*role, 0)),
            None => {
                return Err(fe(format!(
                    "profile maps column `{k}` but the file has no such column (columns: {})",
                    names.join(", ")
                )));
            }
        }
    }
    let mut problems: Vec<String> = Vec::new();
    let mut unsure_cols: Vec<String> = Vec::new();
    let profiled = |name: &str| {
        p.columns
            .keys()
            .any(|k| k.trim().eq_ignore_ascii_case(name))
    };
    for (i, h) in names.iter().enumerate() {
        if assigned[i].is_none() && !profiled(h) {
            assigned[i] = role_for_header(h).map(|(r, rank)| (r, rank + 1));
        }
    }
    // Conflicts: keep the strongest claim; ties are unsure.
    let mut by_role: Vec<(ColumnRole, usize)> = Vec::new();
    let mut roles: Vec<ColumnRole> = assigned.iter().flatten().map(|x| x.0).collect();
    roles.sort();
    roles.dedup();
    for role in roles {
        if role == ColumnRole::Ignore {
            continue;
        }
        let claims: Vec<(usize, u8)> = assigned
            .iter()
            .enumerate()
            .filter_map(|(i, a)| a.filter(|x| x.0 == role).map(|x| (i, x.1)))
            .collect();
        let best = claims.iter().map(|c| c.1).min().unwrap_or(0);
        let top: Vec<usize> = claims.iter().filter(|c| c.1 == best).map(|c| c.0).collect();
        if top.len() > 1 {
            let cols: Vec<String> = top.iter().map(|&i| names[i].clone()).collect();
            problems.push(format!(
                "columns {} could each be the {} column",
                quote_list(&cols),
                role.as_str()
            ));
            unsure_cols.extend(cols);
        } else {
            by_role.push((role, top[0]));
        }
    }
    let cols = Columns { by_role };
    // Unknown columns whose values look like money.
    let used: Vec<usize> = assigned
        .iter()
        .enumerate()
        .filter(|(_, a)| a.is_some())
        .map(|(i, _)| i)
        .collect();
    for (i, h) in names.iter().enumerate() {
        if used.contains(&i) {
            continue;
        }
        let moneyish = data.iter().take(500).any(|r| looks_like_money(r.get(i)));
        if moneyish {
            problems.push(format!(
                "column `{h}` holds amounts but its name is not a known role"
            ));
            unsure_cols.push(h.clone());
        }
    }
    let has_amount = cols.get(ColumnRole::Amount).is_some();
    let has_dc = cols.get(ColumnRole::Debit).is_some() || cols.get(ColumnRole::Credit).is_some();
    if cols.get(ColumnRole::BookingDate).is_none()
        && cols.get(ColumnRole::ValueDate).is_none()
        && unsure_cols.is_empty()
    {
        problems.push("no booking-date column".into());
    }
    if !has_amount && !has_dc {
        problems
            .push("no amount column and no debit/credit columns among the named columns".into());
    }
    if has_amount && has_dc {
        let mut c = vec![names[cols.get(ColumnRole::Amount).unwrap_or(0)].clone()];
        for r in [ColumnRole::Debit, ColumnRole::Credit] {
            if let Some(i) = cols.get(r) {
                c.push(names[i].clone());
            }
        }
        problems.push(format!(
            "both a signed amount and debit/credit columns: {}",
            quote_list(&c)
        ));
        unsure_cols.extend(c);
    }
    if !problems.is_empty() {
        if unsure_cols.is_empty() {
            unsure_cols = names
                .iter()
                .enumerate()
                .filter(|(i, _)| assigned[*i].is_none())
                .map(|(_, n)| n.clone())
                .collect();
        }
        if unsure_cols.is_empty() {
            unsure_cols = names.clone();
        }
        return Err(LoadError::UnsureColumns {
            file: file.to_string(),
            columns: unsure_cols,
            reason: problems.join("; "),
        });
    }

    // 3. Per-column settings decided from the data.
    let booking_col = cols
        .get(ColumnRole::BookingDate)
        .or(cols.get(ColumnRole::ValueDate))
        .unwrap_or(0);
    let value_col = cols
        .get(ColumnRole::ValueDate)
        .filter(|&v| v != booking_col);
    let money_cols: Vec<usize> = [
        ColumnRole::Amount,
        ColumnRole::Debit,
        ColumnRole::Credit,
        ColumnRole::Balance,
    ]
    .iter()
    .filter_map(|r| cols.get(*r))
    .collect();
    let sep = match p.decimal_separator {
        DecimalSeparator::Auto => decide_separator(&data, &money_cols),
        s => s,
    };
    // Day/month order: one decision for the whole file, from every date column's values.
    let order = match p.date_format.day_order() {
        Some(o) => o,
        None => {
            let values: Vec<&str> = data
                .iter()
                .flat_map(|r| {
                    [Some(booking_col), value_col]
                        .into_iter()
                        .flatten()
                        .map(|c| r.get(c))
                })
                .collect();
            let (o, why) = super::layout::day_order(&values, sep == DecimalSeparator::Comma)
                .map_err(|reason| LoadError::UnsureColumns {
                    file: file.to_string(),
                    columns: [Some(booking_col), value_col]
                        .into_iter()
                        .flatten()
                        .map(|c| names[c].clone())
                        .collect(),
                    reason,
                })?;
            let numeric = values.iter().any(|v| {
                let b = v.as_bytes();
                b.len() >= 6
                    && b[0].is_ascii_digit()
                    && b[1..3].iter().any(|&c| matches!(c, b'/' | b'.' | b'-'))
            });
            if numeric && matches!(p.date_format, DateFormat::Auto) {
                notes.push(format!(
                    "numeric dates read {} ({why}); pin date_format in a bank profile to override",
                    match o {
                        DayOrder::Dmy => "day first (DD/MM/YYYY)",
                        DayOrder::Mdy => "month first (MM/DD/YYYY)",
                    }
                ));
            }
            o
        }
    };
    let (booking_order, value_order) = (order, order);
    let parse_d = |v: &str, order: DayOrder| -> Result<NaiveDate, String> {
        match &p.date_format {
            DateFormat::Pattern(pat) => NaiveDate::parse_from_str(v.trim(), pat)
                .or_else(|_| {
                    chrono::NaiveDateTime::parse_from_str(v.trim(), pat).map(|dt| dt.date())
                })
                .map_err(|_| format!("`{v}` does not match the profile date format `{pat}`")),
            _ => parse_date(v, order),
        }
    };

    // 4. Rows.
    let mut out = LoadedStatement::default();
    let mut row_no: u32 = 0;
    let mut balances: Vec<(u32, Cents)> = Vec::new(); // (statement_row, balance)
    let get_opt = |r: &GridRow, role: ColumnRole| -> Option<String> {
        cols.get(role)
            .map(|i| r.get(i))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    // The file's currency when its lines do not state one: the profile's, else the one its
    // amounts are written in (`£500.00`, `1234,37 EUR`).
    let file_ccy = p
        .currency
        .clone()
        .or_else(|| super::layout::written_currency(&data, &money_cols));
    if p.currency.is_none()
        && cols.get(ColumnRole::Currency).is_none()
        && let Some(c) = &file_ccy
    {
        notes.push(format!("currency {c}: the amounts are written in it"));
    }
    drop(data);
    // Opening (true) / closing balance rows: (opening?, row date, cents, physical line).
    let mut stated: Vec<(bool, Option<NaiveDate>, Cents, u32)> = Vec::new();
    for mut r in data_rows {
        let raw_owned = std::mem::take(&mut r.raw);
        let r = &r;
        if let Some(opening) = super::layout::balance_row_kind(r) {
            // A stated balance, not a transaction: its money goes to the roll-forward check.
            let bal = cols
                .get(ColumnRole::Balance)
                .filter(|&c| !r.get(c).is_empty())
                .map(|c| parse_amount(r.get(c), sep).map_err(|e| (c, e)))
                .unwrap_or_else(|| row_amount(r, &cols, sep, p));
            match bal {
                Ok(c) => stated.push((
                    opening,
                    parse_d(r.get(booking_col), booking_order).ok(),
                    c,
                    r.line,
                )),
                Err((c, e)) => out.rejects.push(Reject {
                    file: file.to_string(),
                    row: r.line,
                    column: names.get(c).cloned(),
                    reason: format!("balance row: {e}"),
                    raw: raw_owned,
                }),
            }
            continue;
        }
        row_no += 1;
        let reject = |column: Option<usize>, reason: String| Reject {
            file: file.to_string(),
            row: r.line,
            column: column.map(|i| {
                names
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| format!("#{}", i + 1))
            }),
            reason,
            raw: raw_owned.clone(),
        };
        // The running balance is read even when the row is rejected, so that money on a
        // rejected row shows up as a balance break instead of vanishing.
        if let Some(bc) = cols.get(ColumnRole::Balance) {
            let v = r.get(bc);
            if !v.is_empty()
                && let Ok(b) = parse_amount(v, sep)
            {
                balances.push((row_no, b));
            }
        }
        let booking = match parse_d(r.get(booking_col), booking_order) {
            Ok(d) => d,
            Err(e) => {
                out.rejects
                    .push(reject(Some(booking_col), format!("booking date: {e}")));
                continue;
            }
        };
        let value_date = match value_col
            .map(|c| (c, r.get(c)))
            .filter(|(_, v)| !v.is_empty())
        {
            Some((c, v)) => match parse_d(v, value_order) {
                Ok(d) => Some(d),
                Err(e) => {
                    out.rejects
                        .push(reject(Some(c), format!("value date: {e}")));
                    continue;
                }
            },
            None => None,
        };
        let amount = match row_amount(r, &cols, sep, p) {
            Ok(a) => a,
            Err((c, e)) => {
                out.rejects.push(reject(Some(c), e));
                continue;
            }
        };
        let description = get_opt(r, ColumnRole::Description).unwrap_or_default();
        // No counterparty column (Chase's export has none): the originator or beneficiary the
        // bank wrote into the description (`B/O: JANE DOE OBI: …`), as BAI2 text is read.
        let counterparty = get_opt(r, ColumnRole::Counterparty)
            .or_else(|| super::values::text_counterparty(&description, amount > 0));
        out.lines.push(StatementLine {
            file: file.to_string(),
            statement_row: row_no,
            format,
            account: get_opt(r, ColumnRole::Account).or_else(|| p.account.clone()),
            bank_ref: get_opt(r, ColumnRole::Reference),
            end_to_end_ref: get_opt(r, ColumnRole::EndToEnd),
            entry_ref: None,
            booking_date: booking,
            value_date,
            amount_cents: amount,
            currency: get_opt(r, ColumnRole::Currency)
                .map(|c| c.to_ascii_uppercase())
                .or_else(|| file_ccy.clone()),
            counterparty,
            description,
            type_code: get_opt(r, ColumnRole::Type),
            raw: raw_owned,
        });
    }
    let derived = running_balance(file, &out.lines, &balances);
    if let Some(b) = super::layout::stated_balance(file, &out.lines, &stated, derived, &mut notes) {
        out.balance_rows.push((1, row_no + 1));
        out.balances.push(b);
    }
    out.notes = notes;
    Ok(out)
}

fn decide_separator(data: &[&GridRow], money_cols: &[usize]) -> DecimalSeparator {
    let (mut comma, mut dot) = (0, 0);
    for r in data.iter().take(2000) {
        for &c in money_cols {
            let v = r.get(c).trim_end_matches(|ch: char| {
                ch.is_alphabetic() || ch == ' ' || ch == ')' || ch == '-'
            });
            let b = v.as_bytes();
            let n = b.len();
            if n >= 3 && b[n - 1].is_ascii_digit() && b[n - 2].is_ascii_digit() {
                if b[n - 3] == b',' {
                    comma += 1;
                } else if b[n - 3] == b'.' {
                    dot += 1;
                }
            }
        }
    }
    if comma > dot {
        DecimalSeparator::Comma
    } else if dot > 0 {
        DecimalSeparator::Dot
    } else {
        DecimalSeparator::Auto
    }
}

fn row_amount(
    r: &GridRow,
    cols: &Columns,
    sep: DecimalSeparator,
    p: &BankProfile,
) -> Result<Cents, (usize, String)> {
    let inv = |a: Cents| {
        if p.sign == SignConvention::Inverted {
            -a
        } else {
            a
        }
    };
    if let Some(ac) = cols.get(ColumnRole::Amount) {
        let v = r.get(ac);
        let a = parse_amount(v, sep).map_err(|e| (ac, e))?;
        if let Some(ic) = cols.get(ColumnRole::CrDr) {
            let ind = r.get(ic);
            let up = ind.to_ascii_uppercase();
            let credit = CREDIT_WORDS.contains(&up.as_str())
                || p.credit_values.iter().any(|x| x.eq_ignore_ascii_case(ind));
            let debit = DEBIT_WORDS.contains(&up.as_str())
                || p.debit_values.iter().any(|x| x.eq_ignore_ascii_case(ind));
            // The one sign rule: the indicator gives the direction, once.
            return match (credit, debit) {
                (true, false) => sign::apply(a, Direction::Credit, v).map_err(|e| (ac, e)),
                (false, true) => sign::apply(a, Direction::Debit, v).map_err(|e| (ac, e)),
                _ => Err((
                    ic,
                    format!("credit/debit indicator `{ind}` is neither credit (CR) nor debit (DR)"),
                )),
            };
        }
        return Ok(inv(a));
    }
    let dc = cols.get(ColumnRole::Debit);
    let cc = cols.get(ColumnRole::Credit);
    let dv = dc.map(|c| r.get(c)).unwrap_or("");
    let cv = cc.map(|c| r.get(c)).unwrap_or("");
    if dv.is_empty() && cv.is_empty() {
        return Err((
            dc.or(cc).unwrap_or(0),
            "neither a debit nor a credit amount".into(),
        ));
    }
    let d = if dv.is_empty() {
        0
    } else {
        parse_amount(dv, sep).map_err(|e| (dc.unwrap_or(0), e))?
    };
    let c = if cv.is_empty() {
        0
    } else {
        parse_amount(cv, sep).map_err(|e| (cc.unwrap_or(0), e))?
    };
    Ok(c - d.abs())
}

/// Opening/closing from a running-balance column, in either file order (oldest-first or
/// newest-first exports).
fn running_balance(
    file: &str,
    lines: &[StatementLine],
    balances: &[(u32, Cents)],
) -> Option<StatedBalance> {
    if lines.is_empty() || balances.is_empty() {
        return None;
    }
    let first_date = lines.first()?.booking_date;
    let last_date = lines.last()?.booking_date;
    let max_row = lines.iter().map(|l| l.statement_row).max().unwrap_or(0) as usize;
    let mut by_row: Vec<Option<Cents>> = vec![None; max_row + 1];
    for l in lines {
        by_row[l.statement_row as usize] = Some(l.amount_cents);
    }
    let amount_at = |row: u32| by_row.get(row as usize).copied().flatten();
    let (mut asc, mut desc) = (0, 0);
    for w in balances.windows(2) {
        let ((r0, b0), (r1, b1)) = (w[0], w[1]);
        if r1 != r0 + 1 {
            continue;
        }
        if amount_at(r1).is_some_and(|a| b0 + a == b1) {
            asc += 1;
        }
        if amount_at(r0).is_some_and(|a| b1 + a == b0) {
            desc += 1;
        }
    }
    let newest_first = desc > asc || (desc == asc && first_date > last_date);
    let (opening, closing, as_of) = if newest_first {
        // Oldest transaction is the last row: opening = its balance − its amount.
        let (orow, obal) = *balances.last()?;
        let before: Cents = lines
            .iter()
            .filter(|l| l.statement_row >= orow)
            .map(|l| l.amount_cents)
            .sum();
        let (crow, cbal) = *balances.first()?;
        let after: Cents = lines
            .iter()
            .filter(|l| l.statement_row < crow)
            .map(|l| l.amount_cents)
            .sum();
        (obal - before, cbal + after, first_date)
    } else {
        let (orow, obal) = *balances.first()?;
        let upto: Cents = lines
            .iter()
            .filter(|l| l.statement_row <= orow)
            .map(|l| l.amount_cents)
            .sum();
        let (crow, cbal) = *balances.last()?;
        let after: Cents = lines
            .iter()
            .filter(|l| l.statement_row > crow)
            .map(|l| l.amount_cents)
            .sum();
        (obal - upto, cbal + after, last_date)
    };
    Some(StatedBalance {
        file: file.to_string(),
        account: lines.first().and_then(|l| l.account.clone()),
        opening_cents: opening,
        closing_cents: closing,
        as_of: Some(as_of),
    })
}

fn quote_list(cols: &[String]) -> String {
    cols.iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_cells() {
        assert_eq!(float_cell(1234.0), "1234");
        assert_eq!(float_cell(0.1 + 0.2), "0.30");
        assert_eq!(float_cell(1234.56), "1234.56");
        assert_eq!(float_cell(-5.5), "-5.50");
        assert_eq!(float_cell(0.125), "0.125");
    }

    #[test]
    fn grid_covers_the_bounding_box_of_cells() {
        // Cells out of order, a gap row, a duplicate (the later one wins), offset origin.
        let cells = vec![
            (4, 2, "c".to_string()),
            (2, 1, "a".to_string()),
            (2, 3, "b".to_string()),
            (4, 2, "d".to_string()),
        ];
        let rows = grid_from_cells(cells);
        let got: Vec<(u32, Vec<&str>, &str)> = rows
            .iter()
            .map(|r| (r.line, r.cells.iter().collect(), r.raw.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, vec!["a", "", "b"], "a,,b"),
                (4, vec!["", "", ""], ",,"),
                (5, vec!["", "d", ""], ",d,"),
            ]
        );
        assert!(grid_from_cells(Vec::new()).is_empty());
    }
}
