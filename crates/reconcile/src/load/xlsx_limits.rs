//! Bounds on an XLSX workbook before it is read: a hostile file must fail with a clear error
//! in bounded time and memory, not exhaust the machine.
//!
//! An XLSX file is a zip archive of XML parts. Before calamine reads the workbook, every
//! worksheet part and the shared strings are inflated once, as a stream, and counted:
//!
//! - each part's size as declared by the archive and as actually inflated (a zip bomb: a few
//!   MB inflating to GBs) is bounded by [`XlsxLimits::max_part_bytes`], all parts together by
//!   [`XlsxLimits::max_total_bytes`];
//! - a worksheet's non-empty cells are counted against [`XlsxLimits::max_cells`];
//! - the rectangle the rows are laid out over (from the top-left to the bottom-right cell
//!   present, and the `<dimension>` the sheet declares) is bounded by
//!   [`XlsxLimits::max_grid_cells`]: two cells at `A1` and `XFD1048576` make a 17-billion-cell
//!   rectangle, refused here instead of allocated.
//!
//! Nothing here allocates in proportion to the rectangle; the scan holds one XML event at a
//! time. Other workbook kinds (legacy `.xls`, ODS) are not zip-scanned here.

use std::io::{BufReader, Read};

use super::LoadError;

/// Limits applied to an XLSX statement (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlsxLimits {
    /// Most bytes one part (a worksheet, the shared strings) may inflate to.
    pub max_part_bytes: u64,
    /// Most bytes all worksheet and shared-string parts together may inflate to.
    pub max_total_bytes: u64,
    /// Most non-empty cells one worksheet may hold.
    pub max_cells: u64,
    /// Most cells of the rectangle a worksheet's rows span (rows × columns).
    pub max_grid_cells: u64,
}

impl Default for XlsxLimits {
    /// 512 MiB per part, 1 GiB in all, 20 million cells, a 50-million-cell rectangle: several
    /// times a million-line bank export.
    fn default() -> Self {
        Self {
            max_part_bytes: 512 << 20,
            max_total_bytes: 1 << 30,
            max_cells: 20_000_000,
            max_grid_cells: 50_000_000,
        }
    }
}

/// What one worksheet part holds, as counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SheetExtent {
    /// Inflated bytes.
    pub bytes: u64,
    /// `<c>` elements.
    pub cells: u64,
    /// Rows × columns between the first and last cell present (0 when empty).
    pub grid: u64,
    /// Rows × columns of the declared `<dimension ref>`, if any.
    pub declared: Option<u64>,
}

/// Checks `bytes` (an XLSX file) against `limits`. Files that are not zip archives pass
/// through (calamine reports them).
pub fn check_xlsx(file: &str, bytes: &[u8], limits: &XlsxLimits) -> Result<(), LoadError> {
    if !bytes.starts_with(b"PK") {
        return Ok(());
    }
    let err = |reason: String| LoadError::Spreadsheet {
        file: file.to_string(),
        reason,
    };
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        // Not readable as a zip here: calamine gives the precise error.
        return Ok(());
    };
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let Ok(part) = zip.by_index(i) else {
            continue;
        };
        let name = match part.name() {
            Ok(n) => n.into_owned(),
            Err(_) => String::from_utf8_lossy(part.name_raw()).into_owned(),
        };
        let is_sheet = name.starts_with("xl/worksheets/") && name.ends_with(".xml");
        let is_strings = name == "xl/sharedStrings.xml";
        if !is_sheet && !is_strings {
            continue;
        }
        let declared = part.size();
        if declared > limits.max_part_bytes {
            return Err(err(too_big(
                &name,
                declared,
                limits.max_part_bytes,
                "declares",
            )));
        }
        let counted = CountingReader {
            inner: part,
            read: 0,
            cap: limits.max_part_bytes,
        };
        let extent = if is_sheet {
            scan_sheet(counted, limits)
        } else {
            drain(counted)
        }
        .map_err(|e| {
            err(match e {
                ScanError::TooBig(n) => too_big(&name, n, limits.max_part_bytes, "inflates to"),
                ScanError::Cells(n) => format!(
                    "{name} holds more than {} cells (stopped counting at {n}); raise the XLSX cell limit if the file is genuine",
                    limits.max_cells
                ),
                ScanError::Grid { rows, cols, declared } => format!(
                    "{name} {} rows × columns = {rows} × {cols} = {} cells, more than the {} allowed (cells far apart, e.g. at A1 and XFD1048576); remove the stray cells or raise the XLSX grid limit",
                    if declared { "declares a range of" } else { "spans" },
                    rows.saturating_mul(cols),
                    limits.max_grid_cells
                ),
                ScanError::Xml(m) => format!("{name}: {m}"),
            })
        })?;
        total = total.saturating_add(extent.bytes);
        if total > limits.max_total_bytes {
            return Err(err(format!(
                "the workbook's sheets and strings inflate to more than {} MiB in all (a zip bomb?); raise the XLSX size limit if the file is genuine",
                limits.max_total_bytes >> 20
            )));
        }
    }
    Ok(())
}

fn too_big(name: &str, n: u64, cap: u64, verb: &str) -> String {
    format!(
        "{name} {verb} more than {} MiB ({} bytes read or declared; a zip bomb?); raise the XLSX size limit if the file is genuine",
        cap >> 20,
        n
    )
}

enum ScanError {
    TooBig(u64),
    Cells(u64),
    Grid {
        rows: u64,
        cols: u64,
        declared: bool,
    },
    Xml(String),
}

/// Counts the bytes read through it and fails past `cap`.
struct CountingReader<R> {
    inner: R,
    read: u64,
    cap: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.cap {
            return Err(std::io::Error::other(TooBigMarker(self.read)));
        }
        Ok(n)
    }
}

#[derive(Debug)]
struct TooBigMarker(u64);
impl std::fmt::Display for TooBigMarker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "part larger than the limit ({} bytes read)", self.0)
    }
}
impl std::error::Error for TooBigMarker {}

fn io_scan_error(e: &std::io::Error) -> ScanError {
    match e.get_ref().and_then(|i| i.downcast_ref::<TooBigMarker>()) {
        Some(m) => ScanError::TooBig(m.0),
        None => ScanError::Xml(e.to_string()),
    }
}

fn drain<R: Read>(mut r: CountingReader<R>) -> Result<SheetExtent, ScanError> {
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(io_scan_error(&e)),
        }
    }
    Ok(SheetExtent {
        bytes: r.read,
        ..SheetExtent::default()
    })
}

/// A cell reference (`B12`) as 0-based (row, column); `None` when it does not parse.
fn cell_ref(r: &[u8]) -> Option<(u64, u64)> {
    let letters = r.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    if letters == 0 || letters > 3 || letters == r.len() {
        return None;
    }
    let mut col: u64 = 0;
    for b in &r[..letters] {
        col = col * 26 + u64::from(b.to_ascii_uppercase() - b'A' + 1);
    }
    let row: u64 = std::str::from_utf8(&r[letters..]).ok()?.parse().ok()?;
    Some((row.checked_sub(1)?, col - 1))
}

/// Streams a worksheet's XML, counting cells and their extent.
fn scan_sheet<R: Read>(
    r: CountingReader<R>,
    limits: &XlsxLimits,
) -> Result<SheetExtent, ScanError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(BufReader::with_capacity(1 << 16, r));
    let mut buf = Vec::new();
    let mut out = SheetExtent::default();
    let (mut min_r, mut max_r, mut min_c, mut max_c) = (u64::MAX, 0u64, u64::MAX, 0u64);
    // Position of the next cell when `r` attributes are left out.
    let (mut row, mut next_col): (u64, u64) = (0, 0);
    let mut rows_seen = false;
    let grid_of = |min: u64, max: u64, cmin: u64, cmax: u64| {
        let rows = max - min + 1;
        let cols = cmax - cmin + 1;
        (rows, cols)
    };
    loop {
        let ev = reader.read_event_into(&mut buf);
        match ev {
            Err(quick_xml::Error::Io(e)) => return Err(io_scan_error(&e)),
            Err(e) => return Err(ScanError::Xml(e.to_string())),
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let name = e.local_name();
                match name.as_ref() {
                    "dimension" => {
                        if let Ok(Some(a)) = e.try_get_attribute("ref") {
                            let v = a.value;
                            let mut ends = v.split(':').filter_map(|p| cell_ref(p.as_bytes()));
                            if let (Some(a), Some(b)) = (ends.next(), ends.next()) {
                                let rows = a.0.abs_diff(b.0) + 1;
                                let cols = a.1.abs_diff(b.1) + 1;
                                out.declared = Some(rows.saturating_mul(cols));
                                if rows.saturating_mul(cols) > limits.max_grid_cells {
                                    return Err(ScanError::Grid {
                                        rows,
                                        cols,
                                        declared: true,
                                    });
                                }
                            }
                        }
                    }
                    "row" => {
                        let r = e
                            .try_get_attribute("r")
                            .ok()
                            .flatten()
                            .and_then(|a| a.value.trim().parse::<u64>().ok());
                        row = match r {
                            Some(n) if n > 0 => n - 1,
                            _ if rows_seen => row + 1,
                            _ => 0,
                        };
                        rows_seen = true;
                        next_col = 0;
                    }
                    "c" => {
                        out.cells += 1;
                        if out.cells > limits.max_cells {
                            return Err(ScanError::Cells(out.cells));
                        }
                        let at = e
                            .try_get_attribute("r")
                            .ok()
                            .flatten()
                            .and_then(|a| cell_ref(a.value.as_bytes()));
                        let (cr, cc) = at.unwrap_or((row, next_col));
                        next_col = cc + 1;
                        min_r = min_r.min(cr);
                        max_r = max_r.max(cr);
                        min_c = min_c.min(cc);
                        max_c = max_c.max(cc);
                        let (rows, cols) = grid_of(min_r, max_r, min_c, max_c);
                        if rows.saturating_mul(cols) > limits.max_grid_cells {
                            return Err(ScanError::Grid {
                                rows,
                                cols,
                                declared: false,
                            });
                        }
                    }
                    _ => {}
                }
            }
            Ok(_) => {}
        }
        buf.clear();
    }
    if out.cells > 0 {
        let (rows, cols) = grid_of(min_r, max_r, min_c, max_c);
        out.grid = rows.saturating_mul(cols);
    }
    out.bytes = reader.into_inner().into_inner().read;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_refs_parse() {
        assert_eq!(cell_ref(b"A1"), Some((0, 0)));
        assert_eq!(cell_ref(b"XFD1048576"), Some((1_048_575, 16_383)));
        assert_eq!(cell_ref(b"AA10"), Some((9, 26)));
        assert_eq!(cell_ref(b"A0"), None);
        assert_eq!(cell_ref(b"12"), None);
        assert_eq!(cell_ref(b"ABCD1"), None);
    }

    fn scan(xml: &str, limits: &XlsxLimits) -> Result<SheetExtent, ScanError> {
        scan_sheet(
            CountingReader {
                inner: xml.as_bytes(),
                read: 0,
                cap: limits.max_part_bytes,
            },
            limits,
        )
    }

    #[test]
    fn sheets_are_measured_without_allocating_their_rectangle() {
        let l = XlsxLimits::default();
        let ok = r#"<worksheet><dimension ref="A1:C2"/><sheetData><row r="1"><c r="A1"><v>1</v></c><c r="C1"/></row><row><c/><c/></row></sheetData></worksheet>"#;
        let e = scan(ok, &l).ok().unwrap();
        assert_eq!((e.cells, e.grid, e.declared), (4, 6, Some(6)));
        let far = r#"<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row></sheetData></worksheet>"#;
        assert!(matches!(
            scan(far, &l),
            Err(ScanError::Grid {
                rows: 1_048_576,
                cols: 16_384,
                declared: false
            })
        ));
        let declared = r#"<worksheet><dimension ref="A1:XFD1048576"/><sheetData/></worksheet>"#;
        assert!(matches!(
            scan(declared, &l),
            Err(ScanError::Grid { declared: true, .. })
        ));
        let small = XlsxLimits { max_cells: 3, ..l };
        assert!(matches!(scan(ok, &small), Err(ScanError::Cells(4))));
        let tiny = XlsxLimits {
            max_part_bytes: 20,
            ..l
        };
        assert!(matches!(scan(ok, &tiny), Err(ScanError::TooBig(_))));
    }
}
