//! Field-level parsers shared by the loaders: money amounts to exact cents and dates in the
//! forms bank exports use. No regex, no floating point.

use chrono::{Datelike, NaiveDate};
use tieout_domain::Cents;

/// Which character separates the integer part from the fraction in an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecimalSeparator {
    /// Decide per value: when both `.` and `,` occur the last one is the decimal mark; a lone `,`
    /// followed by exactly three digits is a thousands separator, otherwise a decimal mark.
    #[default]
    Auto,
    /// `.` is the decimal mark (`1,234.56`).
    #[serde(rename = ".", alias = "dot", alias = "point")]
    Dot,
    /// `,` is the decimal mark (`1.234,56`).
    #[serde(rename = ",", alias = "comma")]
    Comma,
}

/// Parse a money amount into signed cents.
///
/// Accepts thousands separators (`,` `.` space, apostrophe, per `sep`), currency signs (`$ € £ ¥`) and
/// a three-letter ISO code before or after the number, a leading `+`/`-` (also `- $21.59`,
/// `-$76.00`), parentheses `(12.50)` and a trailing minus `12.50-` for negatives, and a trailing
/// `CR`/`DR` marker. More than two decimals are accepted only when the extra digits are zero
/// (never rounded). Returns a plain-words reason on failure.
pub fn parse_amount(input: &str, sep: DecimalSeparator) -> Result<Cents, String> {
    let mut s = input.trim();
    if s.is_empty() {
        return Err("amount is empty".into());
    }
    let mut negative = false;
    let mut sign_seen = false;
    // Parentheses.
    if s.starts_with('(') && s.ends_with(')') && s.len() >= 2 {
        negative = true;
        sign_seen = true;
        s = s[1..s.len() - 1].trim();
    }
    // Trailing CR / DR marker.
    let upper_tail = s.len() >= 2 && s.is_char_boundary(s.len() - 2);
    if upper_tail {
        let tail = &s[s.len() - 2..];
        if tail.eq_ignore_ascii_case("DR") && s.len() > 2 {
            negative = true;
            sign_seen = true;
            s = s[..s.len() - 2].trim_end();
        } else if tail.eq_ignore_ascii_case("CR") && s.len() > 2 {
            sign_seen = true;
            s = s[..s.len() - 2].trim_end();
        }
    }
    // Leading / trailing signs and currency markers, in any order.
    loop {
        let before = s.len();
        s = s.trim();
        let mut set_sign = |neg: bool| -> Result<(), String> {
            if sign_seen {
                return Err(format!("amount `{input}` has conflicting signs"));
            }
            sign_seen = true;
            negative = neg;
            Ok(())
        };
        if let Some(rest) = s.strip_prefix('-') {
            set_sign(true)?;
            s = rest;
        } else if let Some(rest) = s.strip_prefix('+') {
            set_sign(false)?;
            s = rest;
        } else if let Some(rest) = s.strip_suffix('-') {
            set_sign(true)?;
            s = rest;
        } else if let Some(rest) = strip_currency_prefix(s) {
            s = rest;
        } else if let Some(rest) = strip_currency_suffix(s) {
            s = rest;
        }
        if s.len() == before {
            break;
        }
    }
    if s.is_empty() {
        return Err(format!("amount `{input}` has no digits"));
    }
    let bytes = s.as_bytes();
    let last_dot = s.rfind('.');
    let last_comma = s.rfind(',');
    let decimal_at: Option<usize> = match sep {
        DecimalSeparator::Dot => last_dot,
        DecimalSeparator::Comma => last_comma,
        DecimalSeparator::Auto => match (last_dot, last_comma) {
            (Some(d), Some(c)) => Some(d.max(c)),
            (Some(d), None) => {
                // `1.234.567` is thousands-only; a single dot is a decimal mark.
                if s.matches('.').count() > 1 {
                    None
                } else {
                    Some(d)
                }
            }
            (None, Some(c)) => {
                let digits_after = bytes.len() - c - 1;
                if s.matches(',').count() > 1 || digits_after == 3 {
                    None
                } else {
                    Some(c)
                }
            }
            (None, None) => None,
        },
    };
    let mut units: i64 = 0;
    let mut frac: i64 = 0;
    let mut frac_digits = 0u32;
    let mut any_digit = false;
    for (i, ch) in s.char_indices() {
        let in_frac = decimal_at.is_some_and(|d| i > d);
        match ch {
            '0'..='9' => {
                any_digit = true;
                let d = i64::from(ch as u8 - b'0');
                if in_frac {
                    frac_digits += 1;
                    if frac_digits <= 2 {
                        frac = frac * 10 + d;
                    } else if d != 0 {
                        return Err(format!(
                            "amount `{input}` has more than two decimal places (not rounded)"
                        ));
                    }
                } else {
                    units = units
                        .checked_mul(10)
                        .and_then(|u| u.checked_add(d))
                        .ok_or_else(|| format!("amount `{input}` is too large"))?;
                }
            }
            _ if Some(i) == decimal_at => {}
            ',' | '.' | ' ' | '\'' | '\u{a0}' | '\u{202f}' if !in_frac && any_digit => {}
            _ => return Err(format!("amount `{input}` is not a number")),
        }
    }
    if !any_digit {
        return Err(format!("amount `{input}` has no digits"));
    }
    if frac_digits == 1 {
        frac *= 10;
    }
    let cents = units
        .checked_mul(100)
        .and_then(|c| c.checked_add(frac))
        .ok_or_else(|| format!("amount `{input}` is too large"))?;
    Ok(if negative { -cents } else { cents })
}

fn strip_currency_prefix(s: &str) -> Option<&str> {
    for sym in ["US$", "$", "€", "£", "¥", "₹", "CHF", "kr"] {
        if let Some(rest) = s.strip_prefix(sym) {
            return Some(rest);
        }
    }
    let b = s.as_bytes();
    if b.len() > 3 && b[..3].iter().all(u8::is_ascii_uppercase) && !b[3].is_ascii_alphabetic() {
        return Some(&s[3..]);
    }
    None
}

fn strip_currency_suffix(s: &str) -> Option<&str> {
    for sym in ["$", "€", "£", "¥", "kr", "kr."] {
        if let Some(rest) = s.strip_suffix(sym) {
            return Some(rest);
        }
    }
    let b = s.as_bytes();
    let n = b.len();
    if n > 3 && b[n - 3..].iter().all(u8::is_ascii_uppercase) && !b[n - 4].is_ascii_alphabetic() {
        return Some(&s[..n - 3]);
    }
    None
}

/// Day/month order for numeric dates such as `03/10/2026`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayOrder {
    /// Month first (US): `10/03/2026` is 3 October.
    #[default]
    Mdy,
    /// Day first: `03/10/2026` is 3 October.
    Dmy,
}

/// Parse a date in any of the supported forms: ISO `2026-10-03` (optionally followed by a time),
/// compact `20261003` (also OFX-style `20261003120000[0:GMT]`), numeric `MM/DD/YYYY` /
/// `DD/MM/YYYY` (also with `-` or `.` and two-digit years; `order` decides which is which),
/// `03-Oct-2026`, `3 Oct 2026`, `Oct 3, 2026`, and Excel serial numbers (`46298`).
pub fn parse_date(input: &str, order: DayOrder) -> Result<NaiveDate, String> {
    let s = input.trim();
    let err = || format!("`{input}` is not a recognised date");
    if s.is_empty() {
        return Err("date is empty".into());
    }
    let b = s.as_bytes();
    // ISO yyyy-mm-dd or yyyy/mm/dd, with optional time.
    if b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && (b[4] == b'-' || b[4] == b'/' || b[4] == b'.')
    {
        let y = num(&s[0..4]).ok_or_else(err)?;
        let rest = &s[5..];
        let mut parts = rest.splitn(2, ['-', '/', '.']);
        let m = parts.next().and_then(num).ok_or_else(err)?;
        let d_str = parts.next().ok_or_else(err)?;
        let d_end = d_str
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(d_str.len());
        let d = num(&d_str[..d_end]).ok_or_else(err)?;
        return ymd(y, m, d).ok_or_else(err);
    }
    // Compact yyyymmdd (optionally followed by time digits / OFX timezone).
    if b.len() >= 8 && b[..8].iter().all(u8::is_ascii_digit) && (b.len() == 8 || b.len() >= 12) {
        let y = num(&s[0..4]).ok_or_else(err)?;
        let m = num(&s[4..6]).ok_or_else(err)?;
        let d = num(&s[6..8]).ok_or_else(err)?;
        return ymd(y, m, d).ok_or_else(err);
    }
    // Excel serial date (optionally with a fractional time part).
    if !s.is_empty()
        && s.bytes().all(|c| c.is_ascii_digit() || c == b'.')
        && s.matches('.').count() <= 1
        && b.len() <= 12
    {
        let int_part = s.split('.').next().unwrap_or("");
        if let Some(n) = num(int_part)
            && (1..=2_958_465).contains(&n)
        {
            return excel_serial(i64::from(n)).ok_or_else(err);
        }
        return Err(err());
    }
    // Split into up to three tokens on separators.
    let date_part = s;
    let mut toks: [&str; 3] = [""; 3];
    let mut n = 0;
    for t in date_part.split(['/', '-', '.', ' ', ',']) {
        if t.is_empty() {
            continue;
        }
        if n == 3 {
            // trailing time like `12:00` after a space
            if t.contains(':') || t.eq_ignore_ascii_case("am") || t.eq_ignore_ascii_case("pm") {
                continue;
            }
            return Err(err());
        }
        toks[n] = t;
        n += 1;
    }
    if n != 3 {
        return Err(err());
    }
    // Year first with unpadded month and day: `2012/3/22`.
    if toks[0].len() == 4 && toks[0].bytes().all(|b| b.is_ascii_digit()) {
        let y = num(toks[0]).ok_or_else(err)?;
        let m = num(toks[1]).ok_or_else(err)?;
        let d = num(toks[2]).ok_or_else(err)?;
        return ymd(y, m, d).ok_or_else(err);
    }
    let month_of = |t: &str| month_name(t);
    // 03-Oct-2026 / 3 Oct 2026
    if let Some(m) = month_of(toks[1]) {
        let d = num(toks[0]).ok_or_else(err)?;
        let y = year(toks[2]).ok_or_else(err)?;
        return ymd(y, m, d).ok_or_else(err);
    }
    // Oct 3, 2026
    if let Some(m) = month_of(toks[0]) {
        let d = num(toks[1]).ok_or_else(err)?;
        let y = year(toks[2]).ok_or_else(err)?;
        return ymd(y, m, d).ok_or_else(err);
    }
    let a = num(toks[0]).ok_or_else(err)?;
    let c = num(toks[1]).ok_or_else(err)?;
    let y = year(toks[2]).ok_or_else(err)?;
    let (m, d) = match order {
        DayOrder::Mdy => (a, c),
        DayOrder::Dmy => (c, a),
    };
    ymd(y, m, d).ok_or_else(err)
}

/// For a numeric `a/b/yyyy` date, tell which order it must be in: `Some(Dmy)` when `a > 12`,
/// `Some(Mdy)` when `b > 12`, `None` when either reading is possible (or not such a date).
pub fn day_order_hint(input: &str) -> Option<DayOrder> {
    let s = input.trim();
    let b = s.as_bytes();
    if b.len() < 6 || !b[0].is_ascii_digit() || (b.len() >= 5 && b[4] == b'-') {
        return None;
    }
    let mut it = s.split(['/', '-', '.']);
    let first = it.next()?;
    if first.len() > 2 {
        // year first (`2012/3/22`): no day/month question
        return None;
    }
    let a = num(first)?;
    let c = it.next().and_then(num)?;
    let y = it.next()?;
    if !y.bytes().take(2).all(|x| x.is_ascii_digit()) {
        return None;
    }
    if a > 12 && c <= 12 {
        Some(DayOrder::Dmy)
    } else if c > 12 && a <= 12 {
        Some(DayOrder::Mdy)
    } else {
        None
    }
}

/// Date for an Excel serial number (1900 date system).
pub fn excel_serial(n: i64) -> Option<NaiveDate> {
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    base.checked_add_signed(chrono::Duration::days(n))
}

/// Parse a BAI2 `YYMMDD` date (two-digit years: 00–69 → 20xx, 70–99 → 19xx).
pub fn parse_yymmdd(s: &str) -> Result<NaiveDate, String> {
    let s = s.trim();
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{s}` is not a YYMMDD date"));
    }
    let y = num(&s[0..2]).unwrap_or(0);
    let y = if y < 70 { 2000 + y } else { 1900 + y };
    let m = num(&s[2..4]).unwrap_or(0);
    let d = num(&s[4..6]).unwrap_or(0);
    ymd(y, m, d).ok_or_else(|| format!("`{s}` is not a valid YYMMDD date"))
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn year(s: &str) -> Option<u32> {
    let y = num(s)?;
    match s.len() {
        4 => Some(y),
        2 => Some(if y < 70 { 2000 + y } else { 1900 + y }),
        _ => None,
    }
}

fn ymd(y: u32, m: u32, d: u32) -> Option<NaiveDate> {
    let date = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?;
    (date.year() >= 1900).then_some(date)
}

fn month_name(t: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    if t.len() < 3 || !t.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let lower = t[..3].to_ascii_lowercase();
    NAMES.iter().position(|n| *n == lower).map(|i| i as u32 + 1)
}

/// Originator (credits) or beneficiary (debits) named in free text (BAI2 detail, a CSV/XLSX description) by the usual Fedwire /
/// bank markers: `B/O:`, `ORIG:`, `ORIGINATOR:`, `ORG:`, `DBNM:` for money in; `BNF:`,
/// `BENEFICIARY:`, `CRNM:` for money out. The value runs to the next `KEY:` marker. Read
/// from a CSV/XLSX line's description only when its layout has no counterparty column.
pub(crate) fn text_counterparty(text: &str, credit: bool) -> Option<String> {
    let keys: &[&str] = if credit {
        &["B/O:", "ORIGINATOR:", "ORIG:", "ORG:", "DBNM:", "FROM:"]
    } else {
        &["BNF:", "BENEFICIARY:", "CRNM:", "TO:"]
    };
    for key in keys {
        let Some(at) = text.find(key) else { continue };
        if at > 0 && !text[..at].ends_with([' ', ',', ';']) {
            continue;
        }
        let rest = &text[at + key.len()..];
        let end = next_marker(rest).unwrap_or(rest.len());
        let v = rest[..end].trim().trim_end_matches([',', ';']).trim();
        if !v.is_empty() {
            return Some(v.to_string());
        }
    }
    None
}

/// Byte offset of the next ` KEY:` marker (one upper-case word of 2–12 letters, digits or `/`,
/// then `:`; or a known two-word key such as `ORD INST:`), or of a ` /RFB/`-style slash code.
fn next_marker(s: &str) -> Option<usize> {
    const TWO_WORD: [&str; 5] = ["ORD INST:", "FED REF:", "SND BK:", "RCV BK:", "ORG BK:"];
    let b = s.as_bytes();
    for i in 0..b.len() {
        if b[i] != b' ' && b[i] != b',' {
            continue;
        }
        let start = i + 1;
        let rest = &s[start..];
        if TWO_WORD.iter().any(|k| rest.starts_with(k)) {
            return Some(i);
        }
        if rest.starts_with('/') && rest[1..].find('/').is_some_and(|k| (2..=5).contains(&k)) {
            return Some(i);
        }
        let mut j = start;
        while j < b.len()
            && j - start <= 12
            && (b[j].is_ascii_uppercase() || b[j].is_ascii_digit() || b[j] == b'/')
        {
            j += 1;
        }
        if j < b.len() && b[j] == b':' && j - start >= 2 && b[start].is_ascii_uppercase() {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn amounts_in_every_listed_form() {
        let a = |s: &str| parse_amount(s, DecimalSeparator::Auto);
        assert_eq!(a("1234.56"), Ok(123_456));
        assert_eq!(a("1,234.56"), Ok(123_456));
        assert_eq!(a("$1,234.56"), Ok(123_456));
        assert_eq!(a("-$76.00"), Ok(-7_600));
        assert_eq!(a("+$327.49"), Ok(32_749));
        assert_eq!(a("$.23"), Ok(23));
        assert_eq!(a("£500.00"), Ok(50_000));
        assert_eq!(a("+120,00"), Ok(12_000));
        assert_eq!(a("12,500.00"), Ok(1_250_000));
        assert_eq!(a("($85.00)"), Ok(-8_500));
        assert_eq!(a("- $21.59"), Ok(-2_159));
        assert_eq!(a("(1,250.00)"), Ok(-125_000));
        assert_eq!(a("($12.5)"), Ok(-1_250));
        assert_eq!(a("1,250.00-"), Ok(-125_000));
        assert_eq!(a("12"), Ok(1_200));
        assert_eq!(a("0.2"), Ok(20));
        assert_eq!(a("-48,00"), Ok(-4_800));
        assert_eq!(a("1.234,56"), Ok(123_456));
        assert_eq!(a("1234,37 EUR"), Ok(123_437));
        assert_eq!(a("USD 1,000.00"), Ok(100_000));
        assert_eq!(a("€ 5,00"), Ok(500));
        assert_eq!(a("100.00 CR"), Ok(10_000));
        assert_eq!(a("100.00 DR"), Ok(-10_000));
        assert_eq!(a("1,234"), Ok(123_400));
        assert_eq!(a("12.500"), Ok(1_250));
        assert!(a("12.505").unwrap_err().contains("more than two decimal"));
        assert!(a("").is_err());
        assert!(a("abc").unwrap_err().contains("not a number"));
        assert!(a("$").is_err());
        assert_eq!(parse_amount("1.234", DecimalSeparator::Comma), Ok(123_400));
        assert_eq!(parse_amount("1,23", DecimalSeparator::Comma), Ok(123));
        assert!(parse_amount("1,234", DecimalSeparator::Comma).is_err());
        assert_eq!(
            parse_amount("1 234,5", DecimalSeparator::Comma),
            Ok(123_450)
        );
        assert_eq!(parse_amount("1'234.50", DecimalSeparator::Dot), Ok(123_450));
    }

    #[test]
    fn dates_in_every_listed_form() {
        let p = |s: &str| parse_date(s, DayOrder::Mdy);
        assert_eq!(p("2026-10-03"), Ok(d(2026, 10, 3)));
        assert_eq!(p("2026-10-03T14:00:00Z"), Ok(d(2026, 10, 3)));
        assert_eq!(p("2020-01-23 08:26:29"), Ok(d(2020, 1, 23)));
        assert_eq!(p("10/03/2026"), Ok(d(2026, 10, 3)));
        assert_eq!(p("4/1/2008"), Ok(d(2008, 4, 1)));
        assert_eq!(parse_date("03/10/2026", DayOrder::Dmy), Ok(d(2026, 10, 3)));
        assert_eq!(parse_date("16-11-2012", DayOrder::Dmy), Ok(d(2012, 11, 16)));
        assert_eq!(p("03-Oct-2026"), Ok(d(2026, 10, 3)));
        assert_eq!(p("2012/3/22"), Ok(d(2012, 3, 22)));
        assert_eq!(p("2011/12/24"), Ok(d(2011, 12, 24)));
        assert_eq!(p("07 Nov 2013"), Ok(d(2013, 11, 7)));
        assert_eq!(p("3 Oct 2026"), Ok(d(2026, 10, 3)));
        assert_eq!(p("Oct 3, 2026"), Ok(d(2026, 10, 3)));
        assert_eq!(p("03-OCT-26"), Ok(d(2026, 10, 3)));
        assert_eq!(p("20091224120000[0:GMT]"), Ok(d(2009, 12, 24)));
        assert_eq!(p("20261003"), Ok(d(2026, 10, 3)));
        assert_eq!(p("46298"), Ok(d(2026, 10, 3)));
        assert_eq!(p("46298.5"), Ok(d(2026, 10, 3)));
        assert_eq!(parse_date("03.10.2026", DayOrder::Dmy), Ok(d(2026, 10, 3)));
        assert!(p("13/13/2026").is_err());
        assert!(p("tomorrow").is_err());
        assert!(p("").is_err());
        assert_eq!(parse_yymmdd("060321"), Ok(d(2006, 3, 21)));
        assert!(parse_yymmdd("06032").is_err());
    }

    #[test]
    fn day_order_hints() {
        assert_eq!(day_order_hint("21/11/2015"), Some(DayOrder::Dmy));
        assert_eq!(day_order_hint("11/21/2015"), Some(DayOrder::Mdy));
        assert_eq!(day_order_hint("01/02/2015"), None);
        assert_eq!(day_order_hint("2015-01-02"), None);
        assert_eq!(day_order_hint("2012/3/22"), None);
    }

    fn grouped(c: i64, thousands: char, decimal: char) -> String {
        let whole = (c.abs() / 100).to_string();
        let mut g = String::new();
        for (i, ch) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                g.push(thousands);
            }
            g.push(ch);
        }
        format!("{g}{decimal}{:02}", c.abs() % 100)
    }

    proptest::proptest! {
        #[test]
        fn every_rendering_round_trips(c in -10_000_000_000i64..10_000_000_000i64) {
            let us = grouped(c, ',', '.');
            let eu = grouped(c, '.', ',');
            let neg = c < 0;
            let forms = [
                if neg { format!("-{us}") } else { us.clone() },
                if neg { format!("({us})") } else { format!("${us}") },
                if neg { format!("{us}-") } else { format!("+{us}") },
                if neg { format!("-${us}") } else { format!("USD {us}") },
                if neg { format!("{us} DR") } else { format!("{us} CR") },
            ];
            for f in &forms {
                proptest::prop_assert_eq!(parse_amount(f, DecimalSeparator::Auto), Ok(c), "{}", f);
                proptest::prop_assert_eq!(parse_amount(f, DecimalSeparator::Dot), Ok(c), "{}", f);
            }
            let e = if neg { format!("-{eu} EUR") } else { format!("{eu} EUR") };
            proptest::prop_assert_eq!(parse_amount(&e, DecimalSeparator::Comma), Ok(c));
        }

        #[test]
        fn dates_round_trip(days in 0i64..60_000) {
            let d = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap() + chrono::Duration::days(days);
            for (s, o) in [
                (d.format("%Y-%m-%d").to_string(), DayOrder::Mdy),
                (d.format("%m/%d/%Y").to_string(), DayOrder::Mdy),
                (d.format("%d/%m/%Y").to_string(), DayOrder::Dmy),
                (d.format("%d-%b-%Y").to_string(), DayOrder::Mdy),
                (d.format("%d.%m.%Y").to_string(), DayOrder::Dmy),
                (d.format("%b %-d, %Y").to_string(), DayOrder::Mdy),
            ] {
                proptest::prop_assert_eq!(parse_date(&s, o), Ok(d), "{}", s);
            }
        }
    }
}
