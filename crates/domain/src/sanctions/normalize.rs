//! Name normalisation for screening: transliteration and accent folding (deunicode), case,
//! punctuation, "LAST, First" order, and generic corporate words.

use deunicode::deunicode;
use unicode_normalization::UnicodeNormalization;

/// Generic business vocabulary (BANK, TRUST, GROUP, TRADING, CAPITAL, ...): with the legal
/// forms and join words of [`LEGAL_FORM_TOKENS`] these are the generic words ([`is_generic`]),
/// which never identify anyone on their own. They are removed before scoring (both from list
/// names and from investor names), so "Global Trading LLC" can only match on its distinctive
/// words (here: none).
pub const BUSINESS_TOKENS: &[&str] = &[
    "trust",
    "bank",
    "international",
    "intl",
    "group",
    "holding",
    "holdings",
    "trading",
    "global",
    "joint",
    "stock",
    "open",
    "closed",
    "public",
    "private",
    "enterprise",
    "enterprises",
    "industries",
    "industry",
    "industrial",
    "services",
    "service",
    "investment",
    "investments",
    "capital",
    "partners",
    "partnership",
    "fund",
    "funds",
    "foundation",
    "organization",
    "organisation",
    "association",
    "general",
    "management",
    "development",
    "ventures",
    "venture",
    "solutions",
    "systems",
    "technologies",
    "technology",
    "consulting",
    "financial",
    "finance",
    "securities",
    "commercial",
    "corporate",
    "associates",
    "family",
    "revocable",
    "living",
    "irrevocable",
    "ira",
    "fbo",
    "custodian",
    "estate",
    "agency",
    "office",
    "center",
    "centre",
    "network",
    "national",
    "american",
    "america",
    "usa",
    "us",
    "shipping",
    "import",
    "export",
    "logistics",
    "products",
    "resources",
    "energy",
    "establishment",
    "est",
    "firm",
    "banco",
    "banca",
    "banque",
    "nacional",
    "empresa",
    "grupo",
    "gruppo",
    "obshchestvo",
    "otvetstvennostyu",
    "ogranichennoi",
    "ogranichennoy",
    "aktsionernoe",
    "publichnoe",
    "zakrytoe",
    "otkrytoe",
    "tovarystvo",
];

/// The generic words that only say what legal form a company has (or join words): two company
/// names that differ only in these (`ACME LLC`, `ACME LTD`) may be one company. The other
/// generic words ([`BUSINESS_TOKENS`] such as HOLDINGS, TRADING, CAPITAL, BANK) say what the
/// company does: two names sharing one distinctive word but differing in those
/// (`WASHINGTON HOLDINGS LLC`, `WASHINGTON TRADING LTD`) are two companies until more than
/// that one word agrees.
pub const LEGAL_FORM_TOKENS: &[&str] = &[
    "llc",
    "ltd",
    "inc",
    "na",
    "corp",
    "co",
    "sa",
    "gmbh",
    "limited",
    "company",
    "companies",
    "corporation",
    "incorporated",
    "plc",
    "ag",
    "bv",
    "nv",
    "srl",
    "sro",
    "spa",
    "sas",
    "sarl",
    "lp",
    "llp",
    "pllc",
    "pc",
    "oy",
    "ab",
    "as",
    "kg",
    "kft",
    "doo",
    "jsc",
    "ojsc",
    "pjsc",
    "cjsc",
    "oao",
    "zao",
    "ooo",
    "pao",
    "tov",
    "fze",
    "fzco",
    "fzc",
    "pte",
    "pty",
    "sdn",
    "bhd",
    "ltda",
    "limitada",
    "cia",
    "compania",
    "sociedad",
    "anonima",
    "societe",
    "anonyme",
    "the",
    "of",
    "and",
    "for",
    "de",
    "del",
    "la",
    "le",
    "du",
    "des",
    "et",
    "y",
    "e",
    "und",
    "in",
    "on",
    "at",
    "to",
    "by",
];

/// Whether a normalised token is a legal form or a join word (see [`LEGAL_FORM_TOKENS`]).
pub fn is_legal_form(token: &str) -> bool {
    LEGAL_FORM_TOKENS.contains(&token)
}

/// Whether a normalised token is generic: a legal form or join word ([`LEGAL_FORM_TOKENS`]) or
/// generic business vocabulary ([`BUSINESS_TOKENS`]).
pub fn is_generic(token: &str) -> bool {
    is_legal_form(token) || BUSINESS_TOKENS.contains(&token)
}

/// Folds a name to lower-case ASCII words: Unicode NFKC, transliteration of non-Latin scripts
/// and accents (deunicode), dots and apostrophes removed inside words (`S.A.` → `sa`,
/// `O'Brien` → `obrien`), every other non-alphanumeric character a separator.
pub fn fold(name: &str) -> String {
    let nfkc: String = name.nfkc().collect();
    let ascii = deunicode(&nfkc).to_ascii_lowercase();
    let mut out = String::with_capacity(ascii.len());
    for ch in ascii.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else if ch == '.' || ch == '\'' || ch == '`' {
            // joined: S.A. → sa, O'Brien → obrien
        } else if !out.ends_with(' ') && !out.is_empty() {
            out.push(' ');
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Reorders an OFAC-style `LAST, First Middle` name to `First Middle LAST` (one comma only;
/// names with other comma uses are returned unchanged).
pub fn display_order(name: &str) -> String {
    let parts: Vec<&str> = name.split(',').collect();
    if parts.len() == 2 {
        let last = parts[0].trim();
        let first = parts[1].trim();
        if !last.is_empty() && !first.is_empty() {
            return format!("{first} {last}");
        }
    }
    name.trim().to_string()
}

/// One scoring token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Folded text.
    pub text: String,
    /// Whether it is a generic word (low weight, never matches on its own).
    pub generic: bool,
}

/// Scoring tokens of a name: folded words without single letters (initials, split legal
/// forms), each marked generic or distinctive.
pub fn name_tokens(name: &str) -> Vec<Token> {
    fold(name)
        .split(' ')
        .filter(|t| t.len() > 1)
        .map(|t| Token {
            text: t.to_string(),
            generic: is_generic(t),
        })
        .collect()
}

/// The distinctive tokens of a name (generic words and single letters removed). When nothing
/// distinctive remains the name can only match a list name that folds to exactly the same text.
pub fn scoring_tokens(name: &str) -> Vec<String> {
    name_tokens(name)
        .into_iter()
        .filter(|t| !t.generic)
        .map(|t| t.text)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_scripts_and_punctuation() {
        assert_eq!(
            fold("José  Müller-Lüdenscheidt"),
            "jose muller ludenscheidt"
        );
        assert_eq!(fold("Дмитрий Хорошев"), "dmitrii khoroshev");
        assert_eq!(
            fold("TNK TRADING INTERNATIONAL S.A."),
            "tnk trading international sa"
        );
        assert_eq!(fold("O'Brien"), "obrien");
        assert_eq!(fold("Σωκράτης"), "sokrates");
    }

    #[test]
    fn strips_generic_words_and_initials() {
        assert_eq!(scoring_tokens("Global Trading LLC"), Vec::<String>::new());
        assert_eq!(
            scoring_tokens("Bank of America, N.A."),
            Vec::<String>::new()
        );
        assert_eq!(
            scoring_tokens("BEL-KAP-STEEL LLC"),
            vec!["bel", "kap", "steel"]
        );
        assert_eq!(scoring_tokens("John Q. Public"), vec!["john"]);
    }

    #[test]
    fn reorders_last_first() {
        assert_eq!(display_order("MORENO, Daniel"), "Daniel MORENO");
        assert_eq!(
            display_order("AIRCRAFT, AVIONICS, PARTS"),
            "AIRCRAFT, AVIONICS, PARTS"
        );
    }
}
