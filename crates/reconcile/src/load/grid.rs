//! CSV text into rows: delimiter detection and physical line numbers.

use super::LoadError;

/// One physical row of a CSV or worksheet.
pub(crate) struct GridRow {
    /// 1-based physical line (CSV) or row (XLSX).
    pub line: u32,
    /// The fields.
    pub cells: csv::StringRecord,
    /// The record as written.
    pub raw: String,
}

impl GridRow {
    /// The field, trimmed; a field quoted after a space (`a, "b c"`, which CSV readers keep
    /// with its quotes) loses its quotes.
    pub(crate) fn get(&self, i: usize) -> &str {
        let v = self.cells.get(i).unwrap_or("").trim();
        match v.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
            Some(inner) if !inner.contains('"') => inner.trim(),
            _ => v,
        }
    }
    pub(crate) fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
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

/// Exports that write a space after every delimiter (`12/03/2013, 12.50, "STARBUCKS, WA", D`)
/// put the quote of a quoted field after that space, where CSV readers take it as text and
/// split the field at its comma. Such spaces before a quote (outside quotes) are dropped; no
/// line break moves, so physical line numbers stay.
fn unspace_quotes(text: &str, delim: u8) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    let has = b
        .windows(3)
        .any(|w| w[0] == delim && w[1] == b' ' && w[2] == b'"');
    if !has {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut in_q = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        out.push(c);
        i += 1;
        if c == b'"' {
            in_q = !in_q;
        } else if c == delim && !in_q {
            let mut j = i;
            while j < b.len() && b[j] == b' ' {
                j += 1;
            }
            if j < b.len() && b[j] == b'"' && j > i {
                i = j;
            }
        }
    }
    // Only ASCII spaces were removed: still UTF-8.
    std::borrow::Cow::Owned(String::from_utf8(out).unwrap_or_else(|_| text.to_string()))
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
    let unspaced = unspace_quotes(text, delim);
    let text: &str = &unspaced;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_detection() {
        assert_eq!(detect_delimiter("a;b;c\n1;2,5;3\n4;5,5;6\n"), b';');
        assert_eq!(detect_delimiter("a,b,c\n1,\"x;y\",3\n"), b',');
        assert_eq!(detect_delimiter("a\tb\tc\n1\t2\t3\n"), b'\t');
    }
}
