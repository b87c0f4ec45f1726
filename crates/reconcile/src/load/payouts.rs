//! payouts (placeholder while being written).
use super::tabular::GridRow;
use super::{LoadError, LoadedPayouts};
pub(crate) fn parse_payouts(file: &str, _rows: Vec<GridRow>) -> Result<LoadedPayouts, LoadError> {
    Err(LoadError::UnsupportedPayoutLayout { file: file.to_string(), missing: vec![], reason: "todo".into() })
}
