//! Text decoding of statement files: UTF-8 (with or without a byte-order mark), else
//! Windows-1252, which is Latin-1 (ISO-8859-1) for every printable character plus the
//! typographic characters Windows puts in 0x80–0x9F (`€`, `’`, `–`). A file that is not valid
//! UTF-8 is decoded as Windows-1252 and the loaders say so ([`super::LoadedStatement::notes`]).

use std::borrow::Cow;

use super::LoadError;
use super::profile::Encoding;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_bom_windows_1252_and_latin1() {
        assert_eq!(decode_text("f", b"abc", Encoding::Auto).unwrap(), "abc");
        assert_eq!(
            decode_text("f", b"\xEF\xBB\xBFDate;Libell\xC3\xA9", Encoding::Auto).unwrap(),
            "Date;Libellé"
        );
        // Windows-1252: euro sign, right single quote; Latin-1 accents are the same bytes.
        assert_eq!(
            decode_text("f", b"\x80 5,00;Caf\xE9 d\x92Or;M\xFCnchen", Encoding::Auto).unwrap(),
            "€ 5,00;Café d’Or;München"
        );
        assert!(matches!(
            decode_text("f", b"Caf\xE9", Encoding::Auto),
            Ok(Cow::Owned(_))
        ));
        assert!(decode_text("f", b"Caf\xE9", Encoding::Utf8).is_err());
        assert_eq!(
            decode_text("f", b"\xA3500.00", Encoding::Windows1252).unwrap(),
            "£500.00"
        );
    }
}
