//! camt.053 (placeholder while being written).
use super::{LoadError, LoadedStatement};
pub(crate) fn parse_camt(file: &str, _text: &str) -> Result<LoadedStatement, LoadError> {
    Err(LoadError::Camt { file: file.to_string(), reason: "todo".into() })
}
