//! Exact decimal money from the API: DRF sends `DecimalField`s as strings (`"2500.00"`), the
//! summary endpoint sends JSON numbers. Both are accepted; `NaN`, infinities, exponents and
//! other garbage are rejected with a clear message.

use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};

/// Parses a plain decimal string: optional sign, digits, optional `.` and digits.
pub fn parse_decimal(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits_ok = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    let ok = !body.is_empty()
        && digits_ok(int)
        && frac.is_none_or(|f| digits_ok(f) && !f.is_empty())
        && !(int.is_empty() && frac.is_none());
    if !ok {
        return Err(format!(
            "`{s}` is not a plain decimal number (expected e.g. \"2500.00\")"
        ));
    }
    let normal = t.strip_prefix('+').unwrap_or(t);
    Decimal::from_str_exact(normal).map_err(|e| format!("`{s}` is out of range for a decimal: {e}"))
}

struct DecVisitor;

impl Visitor<'_> for DecVisitor {
    type Value = Decimal;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal amount as a string or a number")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        parse_decimal(v).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        if !v.is_finite() {
            return Err(E::custom("non-finite number is not an amount"));
        }
        // The shortest representation that round-trips: the decimal text the server wrote for
        // any amount with up to 15 significant digits.
        parse_decimal(&format!("{v}")).map_err(E::custom)
    }
}

struct OptDecVisitor;

impl<'de> Visitor<'de> for OptDecVisitor {
    type Value = Option<Decimal>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal amount as a string or a number, or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(DecVisitor).map(Some)
    }
}

/// `#[serde(deserialize_with = "money::decimal")]`: a required amount.
pub fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    d.deserialize_any(DecVisitor)
}

/// `#[serde(default, deserialize_with = "money::opt_decimal")]`: a nullable amount.
pub fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    d.deserialize_option(OptDecVisitor)
}

/// `null` (or missing, with `#[serde(default)]`) becomes the type's default (e.g. empty list).
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    let v: Option<T> = serde::Deserialize::deserialize(d)?;
    Ok(v.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use serde::Deserialize;
    use std::str::FromStr;

    #[derive(Deserialize, Debug)]
    struct T {
        #[serde(default, deserialize_with = "opt_decimal")]
        a: Option<Decimal>,
    }

    fn a(json: &str) -> Result<Option<Decimal>, String> {
        serde_json::from_str::<T>(json)
            .map(|t| t.a)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn accepts_strings_and_numbers_exactly() {
        assert_eq!(
            a(r#"{"a":"2500.00"}"#).unwrap(),
            Some(Decimal::from_str("2500.00").unwrap())
        );
        assert_eq!(
            a(r#"{"a":"2500.00"}"#).unwrap().unwrap().to_string(),
            "2500.00"
        );
        assert_eq!(
            a(r#"{"a":2500.5}"#).unwrap(),
            Some(Decimal::from_str("2500.5").unwrap())
        );
        assert_eq!(a(r#"{"a":0.1}"#).unwrap().unwrap().to_string(), "0.1");
        assert_eq!(
            a(r#"{"a":1234567.89}"#).unwrap().unwrap().to_string(),
            "1234567.89"
        );
        assert_eq!(a(r#"{"a":-7}"#).unwrap(), Some(Decimal::from(-7)));
        assert_eq!(a(r#"{"a":null}"#).unwrap(), None);
        assert_eq!(a(r#"{}"#).unwrap(), None);
        assert_eq!(a(r#"{"a":"-0.01"}"#).unwrap().unwrap().to_string(), "-0.01");
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            r#""NaN""#,
            r#""1e5""#,
            r#""Infinity""#,
            r#""12,50""#,
            r#""""#,
            r#""$5""#,
            r#"".""#,
            r#""1.""#,
            "true",
            "[1]",
        ] {
            let e = a(&format!(r#"{{"a":{bad}}}"#)).unwrap_err();
            assert!(!e.is_empty(), "{bad}");
        }
        assert!(
            a(r#"{"a":"1e5"}"#)
                .unwrap_err()
                .contains("not a plain decimal")
        );
    }
}
