//! CSV and XLSX bank exports: header detection, column-role recognition, row parsing.

use std::borrow::Cow;

use chrono::NaiveDate;
use tieout_domain::Cents;

use super::profile::{BankProfile, ColumnRole, DateFormat, Encoding, SignConvention};
use super::values::{
    DayOrder, DecimalSeparator, day_order_hint, excel_serial, parse_amount, parse_date,
};
use super::{LoadError, LoadedStatement};
use crate::model::{Reject, SourceFormat, StatedBalance, StatementLine};

/// One physical row of a CSV or worksheet.
pub(crate) struct GridRow {
    /// 1-based physical line (CSV) or row (XLSX).
    pub line: u32,
    pub cells: csv::StringRecord,
    pub raw: String,
}

impl GridRow {
    fn get(&self, i: usize) -> &str {
        self.cells.get(i).unwrap_or("").trim()
    }
    fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// Decode file bytes to text: BOM skipped, UTF-8 or Windows-1252. UTF-8 content is borrowed,
/// not copied (statement files run to hundreds of megabytes).
pub(crate) fn decode_text<'a>(
    file: &str,
    bytes: &'a [u8],
    enc: Encoding,
) -> Result<Cow<'a, str>, LoadError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match enc {
        Encoding::Utf8 => {
            std::str::from_utf8(body)
                .map(Cow::Borrowed)
                .map_err(|e| LoadError::Encoding {
                    file: file.to_string(),
                    reason: format!("not valid UTF-8 at byte {}", e.valid_up_to()),
                })
        }
        Encoding::Windows1252 => Ok(Cow::Owned(decode_1252(body))),
        Encoding::Auto => match std::str::from_utf8(body) {
            Ok(s) => Ok(Cow::Borrowed(s)),
            Err(_) => Ok(Cow::Owned(decode_1252(body))),
        },
    }
}

fn decode_1252(b: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    b.iter()
        .map(|&c| match c {
            0x80..=0x9F => HIGH[usize::from(c - 0x80)],
            _ => char::from(c),
        })
        .collect()
}

fn detect_delimiter(text: &str) -> u8 {
    let cands = [b',', b';', b'\t', b'|'];
    let mut best = ((0usize, 0usize), b',');
    for &d in &cands {
        let mut counts: Vec<usize> = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()).take(40) {
            let mut n = 0;
            let mut in_q = false;
            for &b in line.as_bytes() {
                if b == b'"' {
                    in_q = !in_q;
                } else if b == d && !in_q {
                    n += 1;
                }
            }
            counts.push(n);
        }
        // the most common non-zero count and how many lines share it
        let mut sorted: Vec<usize> = counts.iter().copied().filter(|&n| n > 0).collect();
        sorted.sort_unstable();
        let mut mode = (0usize, 0usize); // (lines sharing the count, the count)
        let mut i = 0;
        while i < sorted.len() {
            let mut j = i;
            while j < sorted.len() && sorted[j] == sorted[i] {
                j += 1;
            }
            mode = mode.max((j - i, sorted[i]));
            i = j;
        }
        if mode > best.0 {
            best = (mode, d);
        }
    }
    best.1
}

/// Read CSV text into rows with physical line numbers and raw text.
pub(crate) fn csv_rows(
    file: &str,
    text: &str,
    delimiter: Option<char>,
) -> Result<Vec<GridRow>, LoadError> {
    let delim = match delimiter {
        Some(c) if c.is_ascii() => c as u8,
        Some(c) => {
            return Err(LoadError::Profile {
                file: file.to_string(),
                reason: format!("delimiter `{c}` is not a single ASCII character"),
            });
        }
        None => detect_delimiter(text),
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .from_reader(text.as_bytes());
    let mut starts: Vec<(u64, u32, csv::StringRecord)> = Vec::new();
    let mut rec = csv::StringRecord::new();
    loop {
        let pos_line;
        let pos_byte;
        match rdr.read_record(&mut rec) {
            Ok(true) => {
                let p = rec.position().cloned().unwrap_or_else(csv::Position::new);
                // The reader reports the position before the previous record's terminator and
                // any blank lines; move to the record's first byte and its physical line.
                let mut b = usize::try_from(p.byte()).unwrap_or(usize::MAX);
                let mut l = p.line();
                let bytes = text.as_bytes();
                while b < bytes.len() && (bytes[b] == b'\r' || bytes[b] == b'\n') {
                    if bytes[b] == b'\n' {
                        l += 1;
                    }
                    b += 1;
                }
                pos_line = u32::try_from(l).unwrap_or(u32::MAX);
                pos_byte = b as u64;
            }
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(LoadError::Csv {
                    file: file.to_string(),
                    line: u32::try_from(line).unwrap_or(u32::MAX),
                    reason: e.to_string(),
                });
            }
        }
        // Read into one warm record and keep an exact-size copy: a fresh record per row would
        // grow its buffers from empty (zero-filled doublings) for every row.
        let mut kept = csv::StringRecord::with_capacity(rec.as_slice().len(), rec.len());
        for f in rec.iter() {
            kept.push_field(f);
        }
        starts.push((pos_byte, pos_line, kept));
    }
    let mut rows = Vec::with_capacity(starts.len());
    let total = text.len() as u64;
    for i in 0..starts.len() {
        let start = usize::try_from(starts[i].0).unwrap_or(0);
        let end =
            usize::try_from(starts.get(i + 1).map(|s| s.0).unwrap_or(total)).unwrap_or(text.len());
        let raw = text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\r', '\n'])
            .to_string();
        let (_, line, cells) = std::mem::replace(&mut starts[i], (0, 0, csv::StringRecord::new()));
        rows.push(GridRow { line, cells, raw });
    }
    Ok(rows)
}

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

fn norm_header(h: &str) -> String {
    let folded = deunicode::deunicode(h.trim()).to_ascii_lowercase();
    let mut out = String::with_capacity(folded.len());
    let mut space = false;
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    out
}

/// Role and rank (lower = stronger claim) for a header name.
pub(crate) fn role_for_header(h: &str) -> Option<(ColumnRole, u8)> {
    use ColumnRole::*;
    let n = norm_header(h);
    let r = match n.as_str() {
        "posting date"
        | "post date"
        | "posted date"
        | "booking date"
        | "book date"
        | "booked date"
        | "entry date"
        | "buchungstag"
        | "buchungsdatum"
        | "date de comptabilisation" => (BookingDate, 0),
        "date"
        | "transaction date"
        | "trans date"
        | "txn date"
        | "tran date"
        | "datum"
        | "dato"
        | "fecha"
        | "date de l operation"
        | "date operation"
        | "created"
        | "created utc" => (BookingDate, 1),
        "value date" | "valuta" | "valutadatum" | "effective date" | "date de valeur"
        | "val date" | "value dt" | "valuedate" => (ValueDate, 0),
        "amount"
        | "transaction amount"
        | "amt"
        | "amount usd"
        | "montant"
        | "montant de l operation"
        | "betrag"
        | "belob"
        | "importe"
        | "bedrag"
        | "signed amount"
        | "net amount" => (Amount, 0),
        "debit" | "debits" | "debit amount" | "withdrawal" | "withdrawals"
        | "withdrawal amount" | "money out" | "paid out" | "outflow" | "debit usd"
        | "amount debit" | "soll" => (Debit, 0),
        "credit" | "credits" | "credit amount" | "deposit" | "deposits" | "deposit amount"
        | "money in" | "paid in" | "inflow" | "credit usd" | "amount credit" | "haben" => {
            (Credit, 0)
        }
        "cr dr"
        | "dr cr"
        | "crdr"
        | "drcr"
        | "debit credit"
        | "credit debit"
        | "d c"
        | "c d"
        | "dc indicator"
        | "cr dr indicator"
        | "debit credit indicator"
        | "credit debit indicator"
        | "cdtdbtind"
        | "direction"
        | "sign" => (CrDr, 0),
        "description"
        | "transaction description"
        | "memo"
        | "narrative"
        | "narration"
        | "remittance"
        | "remittance information"
        | "payment details"
        | "particulars"
        | "libelle"
        | "text"
        | "verwendungszweck"
        | "omschrijving"
        | "concepto" => (Description, 0),
        "details"
        | "transaction details"
        | "detail"
        | "detail de l ecriture"
        | "remarks"
        | "notes"
        | "additional information"
        | "addenda" => (Description, 1),
        "counterparty" | "counter party" | "counterparty name" | "originator"
        | "originator name" | "beneficiary" | "beneficiary name" | "payee" | "payer" | "payor"
        | "name" | "sender" | "remitter" | "ordering party" | "from" | "to" | "debtor"
        | "creditor" | "party" | "auftraggeber" | "empfanger" => (Counterparty, 0),
        "bank ref"
        | "bank reference"
        | "bank ref no"
        | "reference"
        | "ref"
        | "ref no"
        | "reference no"
        | "reference number"
        | "transaction reference"
        | "check or slip"
        | "check number"
        | "check no"
        | "cheque number"
        | "cheque no"
        | "check"
        | "serial number"
        | "transaction id"
        | "fitid"
        | "trace number"
        | "confirmation number"
        | "referenz" => (Reference, 0),
        "customer reference"
        | "customer ref"
        | "client reference"
        | "client ref"
        | "end to end id"
        | "end to end reference"
        | "endtoendid"
        | "e2e reference" => (EndToEnd, 0),
        "type" | "transaction type" | "trans type" | "tran type" | "type code" | "bai code"
        | "bai type" | "transaction code" | "txn type" => (Type, 0),
        "balance" | "running balance" | "ledger balance" | "balance usd" | "solde" | "saldo"
        | "closing balance" | "available balance" => (Balance, 0),
        "currency" | "ccy" | "currency code" | "devise" | "cur" | "wahrung" | "valuta code" => {
            (Currency, 0)
        }
        "account" | "account number" | "account no" | "account id" | "iban" => (Account, 0),
        _ => return None,
    };
    Some(r)
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

    // 1. Header row.
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

    // 2. Roles.
    let mut assigned: Vec<Option<(ColumnRole, u8)>> = vec![None; names.len()];
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
    let order_for = |col: usize| -> DayOrder {
        if let Some(o) = p.date_format.day_order() {
            return o;
        }
        let (mut dmy, mut mdy) = (0, 0);
        for r in &data {
            match day_order_hint(r.get(col)) {
                Some(DayOrder::Dmy) => dmy += 1,
                Some(DayOrder::Mdy) => mdy += 1,
                None => {}
            }
        }
        if dmy > mdy {
            DayOrder::Dmy
        } else {
            DayOrder::Mdy
        }
    };
    let booking_order = order_for(booking_col);
    let value_order = value_col.map(order_for).unwrap_or(booking_order);
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
    drop(data);
    for mut r in data_rows {
        let raw_owned = std::mem::take(&mut r.raw);
        let r = &r;
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
                .or_else(|| p.currency.clone()),
            counterparty,
            description,
            type_code: get_opt(r, ColumnRole::Type),
            raw: raw_owned,
        });
    }
    if let Some(b) = running_balance(file, &out.lines, &balances) {
        out.balance_rows.push((1, row_no + 1));
        out.balances.push(b);
    }
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
            let credit = ["CR", "C", "CREDIT", "CRDT", "+", "CRED"].contains(&up.as_str())
                || p.credit_values.iter().any(|x| x.eq_ignore_ascii_case(ind));
            let debit = ["DR", "D", "DEBIT", "DBIT", "-", "DEB"].contains(&up.as_str())
                || p.debit_values.iter().any(|x| x.eq_ignore_ascii_case(ind));
            return match (credit, debit) {
                (true, false) => Ok(a.abs()),
                (false, true) => Ok(-a.abs()),
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

    #[test]
    fn header_synonyms() {
        assert_eq!(
            role_for_header("Check or Slip #").map(|r| r.0),
            Some(ColumnRole::Reference)
        );
        assert_eq!(
            role_for_header("  CR/DR ").map(|r| r.0),
            Some(ColumnRole::CrDr)
        );
        assert_eq!(
            role_for_header("Date de l'opération").map(|r| r.0),
            Some(ColumnRole::BookingDate)
        );
        assert_eq!(
            role_for_header("Bank Reference").map(|r| r.0),
            Some(ColumnRole::Reference)
        );
        assert_eq!(role_for_header("Fee Withheld"), None);
    }

    #[test]
    fn delimiter_detection() {
        assert_eq!(detect_delimiter("a;b;c\n1;2,5;3\n4;5,5;6\n"), b';');
        assert_eq!(detect_delimiter("a,b,c\n1,\"x;y\",3\n"), b',');
        assert_eq!(detect_delimiter("a\tb\tc\n1\t2\t3\n"), b'\t');
    }
}
