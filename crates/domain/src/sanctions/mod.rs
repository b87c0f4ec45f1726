//! OFAC SDN screening: parse the legacy CSV set ([`SanctionsList`]), index it
//! ([`SanctionsIndex`]), screen investor names ([`SanctionsIndex::screen_investor`]) and honour
//! recorded false-positive decisions ([`Overrides`]).
//!
//! Scoring (documented policy, all knobs in [`ScreenConfig`] or constants in [`index`]):
//! 1. Names are folded ([`normalize::fold`]: NFKC, transliteration of Cyrillic/Greek/...,
//!    accents, case, punctuation); single letters are dropped; generic words
//!    ([`normalize::is_generic`]: legal forms, BANK, TRUST, GROUP, TRADING, ...) are kept
//!    with weight 0.25 but can never make a match on their own. Word order is irrelevant, so
//!    `LAST, First` and `First Last` compare equal.
//! 2. Query and list words are paired greedily by similarity (Jaro-Winkler, prefix 4, boost
//!    0.7, × length-ratio penalty below 0.9, × 0.9 if first letters differ — Watchman's metric;
//!    words of ≤ 2 letters must be equal), each list word used once; pairs count from 0.80.
//! 3. Name score = length-weighted mean similarity of the pairs, then: no distinctive pair → 0
//!    (unless the whole folded names are identical: exact name, 1.0); one distinctive pair →
//!    × 0.95 if both names consist of that one word (≥ 5 letters, similarity ≥ 0.95), else
//!    × 0.70; more unmatched distinctive words than matched on either side → × 0.70; otherwise
//!    − 0.06 per unmatched list word and − 0.03 per unmatched query word, × 0.90 when both
//!    sides have unmatched words; × 0.93 when only frequent list words (in ≥ 25 list names:
//!    Mohamed, Ali, Garcia) matched and list words remain; − 0.01 per unmatched generic word.
//!    Company names sharing one distinctive word that differ in a descriptive generic word
//!    (HOLDINGS vs TRADING; legal forms such as LLC/LTD do not count,
//!    [`normalize::LEGAL_FORM_TOKENS`]) are capped at `match_threshold − 0.05`: one word in
//!    common is not a company match.
//! 4. Corroboration: a listed exact date of birth equal → + 0.05; else a year-only (or range,
//!    circa) listing containing the birth year → + 0.02; else (every listed exact date differs,
//!    even in the same year, and no year-only listing fits) → × 0.80, a DOB conflict; a country
//!    in common (nationality / citizen / POB / addresses vs investor country / citizenship) →
//!    + 0.02.
//!
//! Comment, alias and address rows naming an `ent_num` that `sdn.csv` lacks (files fetched on
//! different days) are [`SanctionsList::orphans`]: one warning names them all and screening goes
//! on.
//! 5. Score ≥ 0.90 (`match_threshold`) → match (a `SANCTIONS_NAME_MATCH` violation);
//!    0.80 ≤ score < 0.90 (`review_threshold`) → review band (only reported as a warning when
//!    [`crate::CheckConfig::sanctions_review_findings`] is set; always returned by
//!    [`SanctionsIndex::screen_investor`]).
//!
//! Individuals are screened only against natural-person names (person and IRA investors, and
//! `individual_name`); entities only against company and trust names; vessels and aircraft are
//! never screened. Blocking: an inverted index from the first three letters of each distinctive
//! word to names, plus an exact folded-name map; a candidate must share at least
//! min(2, distinctive words on each side) blocks.

pub mod countries;
pub mod index;
pub mod normalize;
pub mod overrides;
pub mod parse;

pub use index::{MatchLevel, Partition, SanctionsIndex, ScreenConfig, ScreenHit, ScreenMemo};
pub use overrides::{Override, Overrides, OverridesError};
pub use parse::{SanctionsList, SdnEntry, SdnError, SdnFile, SdnFiles, SdnReject, SdnType};
