//! Bank profiles: explicit column mappings for CSV/XLSX exports the auto-detection cannot place
//! (TOML files under `templates/bank-profiles/`).

use serde::Deserialize;
use std::collections::BTreeMap;

use super::values::{DayOrder, DecimalSeparator};

/// What a column means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnRole {
    /// Booking / posting date.
    BookingDate,
    /// Value / effective date.
    ValueDate,
    /// One signed amount.
    Amount,
    /// Money out (debit) amount.
    Debit,
    /// Money in (credit) amount.
    Credit,
    /// Credit/debit indicator (`CR`/`DR`, `C`/`D`, `CREDIT`/`DEBIT`, `+`/`-`).
    CrDr,
    /// Description / memo / details.
    Description,
    /// Counterparty / originator / beneficiary name.
    Counterparty,
    /// The bank's reference (check number, bank ref, transaction id).
    Reference,
    /// Customer / end-to-end reference.
    EndToEnd,
    /// Transaction type code.
    Type,
    /// Running balance after the transaction.
    Balance,
    /// ISO currency code.
    Currency,
    /// Account identifier.
    Account,
    /// Deliberately not used.
    Ignore,
}

impl ColumnRole {
    /// The role as written in profiles.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BookingDate => "booking_date",
            Self::ValueDate => "value_date",
            Self::Amount => "amount",
            Self::Debit => "debit",
            Self::Credit => "credit",
            Self::CrDr => "cr_dr",
            Self::Description => "description",
            Self::Counterparty => "counterparty",
            Self::Reference => "reference",
            Self::EndToEnd => "end_to_end",
            Self::Type => "type",
            Self::Balance => "balance",
            Self::Currency => "currency",
            Self::Account => "account",
            Self::Ignore => "ignore",
        }
    }
}

/// How amounts are signed in the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignConvention {
    /// Positive = money in (the usual bank-statement view).
    #[default]
    Signed,
    /// Positive = money out (some card and ledger exports): every amount is negated.
    Inverted,
}

/// How dates are written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DateFormat {
    /// Recognise every supported form; numeric day/month order decided per column from the data
    /// (a value with a first part above 12 means day first), US order when undecidable.
    #[default]
    Auto,
    /// Numeric dates are month first.
    Mdy,
    /// Numeric dates are day first.
    Dmy,
    /// A chrono `strftime` pattern, e.g. `%d.%m.%Y`.
    Pattern(String),
}

impl<'de> Deserialize<'de> for DateFormat {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.to_ascii_lowercase().as_str() {
            "auto" | "" => Self::Auto,
            "mdy" | "us" | "mm/dd/yyyy" => Self::Mdy,
            "dmy" | "dd/mm/yyyy" => Self::Dmy,
            _ => Self::Pattern(s),
        })
    }
}

impl DateFormat {
    /// The day order implied, if any.
    pub fn day_order(&self) -> Option<DayOrder> {
        match self {
            Self::Mdy => Some(DayOrder::Mdy),
            Self::Dmy => Some(DayOrder::Dmy),
            _ => None,
        }
    }
}

/// Text encoding of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// UTF-8 when the bytes are valid UTF-8, else Windows-1252.
    #[default]
    Auto,
    /// UTF-8 (a BOM is skipped).
    #[serde(rename = "utf-8", alias = "utf8", alias = "UTF-8")]
    Utf8,
    /// Windows-1252 (a superset of ISO-8859-1 for printable text).
    #[serde(
        rename = "windows-1252",
        alias = "cp1252",
        alias = "latin1",
        alias = "iso-8859-1"
    )]
    Windows1252,
}

/// A bank profile: explicit instructions for one bank's CSV/XLSX export. Every field is
/// optional; anything not stated is detected.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankProfile {
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Field delimiter (one character). Detected from the header region when absent.
    #[serde(default)]
    pub delimiter: Option<char>,
    /// Encoding.
    #[serde(default)]
    pub encoding: Encoding,
    /// 1-based physical row (line for CSV, row for XLSX) holding the column names; `0` = the file
    /// has no header row (map columns as `"#1"`, `"#2"`, ...). Detected when absent.
    #[serde(default)]
    pub header_row: Option<u32>,
    /// Worksheet name (XLSX); the first sheet when absent.
    #[serde(default)]
    pub sheet: Option<String>,
    /// Date format.
    #[serde(default)]
    pub date_format: DateFormat,
    /// Decimal separator for amounts.
    #[serde(default)]
    pub decimal_separator: DecimalSeparator,
    /// Sign convention of the amount column.
    #[serde(default)]
    pub sign: SignConvention,
    /// Currency for every line when the file does not state one.
    #[serde(default)]
    pub currency: Option<String>,
    /// Account identifier for every line.
    #[serde(default)]
    pub account: Option<String>,
    /// Column name (exact header text, case-insensitive; or `"#n"` for the n-th column) → role.
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnRole>,
    /// Values of the CR/DR column that mean money in (added to the built-in `CR`, `C`, `CREDIT`).
    #[serde(default)]
    pub credit_values: Vec<String>,
    /// Values of the CR/DR column that mean money out (added to the built-in `DR`, `D`, `DEBIT`).
    #[serde(default)]
    pub debit_values: Vec<String>,
}

impl BankProfile {
    /// Parse a profile from TOML text.
    pub fn from_toml_str(s: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(s)
    }

    /// Read and parse a profile file; errors name the file.
    pub fn from_path(path: &std::path::Path) -> Result<Self, super::LoadError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| super::LoadError::Io {
            file: file.clone(),
            source,
        })?;
        Self::from_toml_str(&text).map_err(|e| super::LoadError::Profile {
            file,
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_profile_parses() {
        let text = include_str!("../../../../templates/bank-profiles/example.toml");
        let p = BankProfile::from_toml_str(text).unwrap();
        assert_eq!(p.delimiter, Some(';'));
        assert_eq!(p.header_row, Some(4));
        assert_eq!(p.decimal_separator, DecimalSeparator::Comma);
        assert_eq!(p.date_format, DateFormat::Dmy);
        assert_eq!(
            p.columns.get("Montant de l'opération"),
            Some(&ColumnRole::Amount)
        );
    }

    #[test]
    fn unknown_keys_and_roles_are_errors() {
        assert!(BankProfile::from_toml_str("delimeter = ';'").is_err());
        assert!(BankProfile::from_toml_str("[columns]\nAmt = \"money\"").is_err());
    }
}
