//! Text made safe for where it goes: CSV cells a spreadsheet will open, cells of formats with a
//! length limit, and a terminal.
//!
//! Input files are hostile: a bank reference such as `=HYPERLINK("http://x","click")` or
//! `+cmd|' /C calc'!A0` is a formula once a CSV is opened in Excel (CWE-1236), a 100,000-character
//! name breaks a format's cell limit, and an ESC byte drives the terminal.

use std::borrow::Cow;

/// A text CSV cell that a spreadsheet will not read as a formula: a cell starting with `=`,
/// `+`, `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP's advice). Only for
/// text columns: numeric columns (signed amounts such as `-47.29`) are written as numbers.
pub fn csv_text(s: &str) -> Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// `s` cut to at most `max` characters (marker included) when longer, ending in a visible
/// marker saying how long the text was, e.g. `…[truncated: 40000 characters]`. The cut
/// never splits a character.
pub fn truncate_marked(s: &str, max: usize) -> Cow<'_, str> {
    // Fast path: a string of at most `max` bytes has at most `max` characters.
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    let total = s.chars().count();
    if total <= max {
        return Cow::Borrowed(s);
    }
    let marker = format!("…[truncated: {total} characters]");
    let keep = max.saturating_sub(marker.chars().count());
    let cut = s
        .char_indices()
        .nth(keep)
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    let mut out = String::with_capacity(cut + marker.len());
    out.push_str(&s[..cut]);
    out.push_str(&marker);
    Cow::Owned(out)
}

/// `s` without control characters (C0 but line feed and tab, DEL, C1 — ESC among them), so
/// text from input files cannot move the cursor, recolour or retitle a terminal.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    let bad = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().filter(|c| !bad(*c)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised() {
        for bad in [
            "=HYPERLINK(\"http://x\",\"click\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A2)",
            "\t=2+2",
            "\r=2+2",
        ] {
            let got = csv_text(bad);
            assert!(got.starts_with('\''), "{bad:?} → {got:?}");
            assert_eq!(&got[1..], bad);
        }
        for fine in ["ACME WIRE", "", "INV-0001", "'quoted", "47.29"] {
            assert_eq!(csv_text(fine), fine);
        }
    }

    #[test]
    fn long_text_is_cut_with_a_visible_marker() {
        let long = "é".repeat(40_000);
        let cut = truncate_marked(&long, 32_767);
        assert_eq!(cut.chars().count(), 32_767);
        assert!(
            cut.ends_with("…[truncated: 40000 characters]"),
            "{}",
            &cut[cut.len() - 60..]
        );
        assert_eq!(truncate_marked("short", 10), "short");
        let exact = "x".repeat(10);
        assert_eq!(truncate_marked(&exact, 10), exact);
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(terminal_safe("a\u{1b}[2Jb\u{7}c\u{9b}d\r"), "a[2Jbcd");
        assert_eq!(terminal_safe("line\n\tindent"), "line\n\tindent");
    }
}
