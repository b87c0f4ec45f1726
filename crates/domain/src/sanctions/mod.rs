//! OFAC SDN screening: parse the legacy CSV set ([`SanctionsList`]), index it
//! ([`SanctionsIndex`]), screen investor names ([`SanctionsIndex::screen_investor`]) and honour
//! recorded false-positive decisions ([`Overrides`]).
//!
//! Scoring (documented policy): names are folded ([`normalize::fold`]), generic corporate words
//! and single letters are dropped, then query and list tokens are paired greedily by
//! Jaro-Winkler similarity (prefix 4, boost 0.7; × length-ratio and first-letter penalties as in
//! Watchman), each list token used once. A pair counts as matched from 0.80. The name score is the
//! length-weighted mean of matched pairs, then: one matched token only → ×0.95 if both names are
//! that single token of ≥ 5 letters, else ×0.70; more unmatched tokens than matched on either side
//! → ×0.70; otherwise −0.04 per unmatched token. DOB: same year (or range) → +0.02, same date →
//! +0.05, every list DOB a different year → ×0.80. Country (nationality/citizen/POB/addresses vs
//! investor country/citizenship) in common → +0.02. Score ≥ `match_threshold` (0.90) is a match,
//! ≥ `review_threshold` (0.80) a review-band hit.

pub mod countries;
pub mod index;
pub mod normalize;
pub mod overrides;
pub mod parse;

pub use index::{MatchLevel, SanctionsIndex, ScreenConfig, ScreenHit};
pub use overrides::{Override, Overrides, OverridesError};
pub use parse::{SanctionsList, SdnEntry, SdnError, SdnFile, SdnFiles, SdnReject, SdnType};
