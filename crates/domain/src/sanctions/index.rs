//! The screening index and scorer. See the module docs of [`crate::sanctions`] for the policy.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use rayon::prelude::*;

use super::countries::iso2;
use super::normalize::{Token, display_order, fold, is_legal_form, name_tokens};
use super::parse::{AliasKind, SanctionsList, SdnDob, SdnType};
use crate::model::Investor;
use crate::similarity::{jaro_winkler, length_penalised};

/// Screening thresholds (a documented policy control).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScreenConfig {
    /// Score from which a hit is a likely match (violation). Default 0.90.
    pub match_threshold: f64,
    /// Score from which a hit goes to review. Default 0.80.
    pub review_threshold: f64,
    /// Per-token similarity from which two tokens count as matched. Default 0.80.
    pub token_threshold: f64,
}

impl Default for ScreenConfig {
    fn default() -> Self {
        Self {
            match_threshold: 0.90,
            review_threshold: 0.80,
            token_threshold: 0.80,
        }
    }
}

/// How strong a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchLevel {
    /// Score ≥ match threshold.
    Match,
    /// Review threshold ≤ score < match threshold.
    Review,
}

/// One screening hit: which entry, through which name, how strong, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenHit {
    /// SDN entry number.
    pub ent_num: i64,
    /// The entry's primary name.
    pub sdn_name: String,
    /// The name (primary or alias) that matched.
    pub matched_name: String,
    /// `primary`, `aka`, `fka`, `nka` or `remarks a.k.a.`.
    pub name_kind: String,
    /// Entry type.
    pub sdn_type: String,
    /// Programs.
    pub programs: Vec<String>,
    /// The investor name screened.
    pub query_name: String,
    /// Name-only score.
    pub name_score: f64,
    /// Final score after DOB / country corroboration.
    pub score: f64,
    /// Level.
    pub level: MatchLevel,
    /// Token pairs used (query token, list token, similarity).
    pub pairs: Vec<(String, String, f64)>,
    /// Score adjustments and corroboration notes (name, DOB, country).
    pub reasons: Vec<String>,
    /// The name alone matches (name score ≥ match threshold) but the listed dates of birth
    /// contradict the investor's: reported as a `warning` for review, not dropped.
    pub dob_conflict: bool,
}

impl ScreenHit {
    /// Figures for a [`crate::Finding`].
    pub fn figures(&self) -> Vec<(String, String)> {
        let pairs: Vec<String> = self
            .pairs
            .iter()
            .map(|(q, i, s)| format!("{q}~{i}={s:.3}"))
            .collect();
        vec![
            ("ent_num".into(), self.ent_num.to_string()),
            ("sdn_name".into(), self.sdn_name.clone()),
            ("matched_name".into(), self.matched_name.clone()),
            ("name_kind".into(), self.name_kind.clone()),
            ("sdn_type".into(), self.sdn_type.clone()),
            ("programs".into(), self.programs.join(";")),
            ("query_name".into(), self.query_name.clone()),
            ("name_score".into(), format!("{:.3}", self.name_score)),
            ("score".into(), format!("{:.3}", self.score)),
            ("token_pairs".into(), pairs.join(" ")),
            ("corroboration".into(), self.reasons.join("; ")),
            ("dob_conflict".into(), self.dob_conflict.to_string()),
        ]
    }

    /// A plain sentence explaining the hit.
    pub fn explain(&self) -> String {
        let via = if self.name_kind == "primary" {
            String::new()
        } else {
            format!(" through its {} '{}'", self.name_kind, self.matched_name)
        };
        let why = if self.reasons.is_empty() {
            String::new()
        } else {
            format!("; {}", self.reasons.join("; "))
        };
        format!(
            "the name '{}' {} OFAC SDN entry {} '{}' ({}, program {}){} with score {:.3} (name {:.3}{}).",
            self.query_name,
            if self.level == MatchLevel::Match {
                "matches"
            } else {
                "resembles"
            },
            self.ent_num,
            self.sdn_name,
            self.sdn_type,
            self.programs.join(", "),
            via,
            self.score,
            self.name_score,
            why
        ) + if self.dob_conflict && self.level != MatchLevel::Match {
            " The name matches but the date of birth differs: review."
        } else {
            ""
        }
    }
}

struct IndexedEntry {
    ent_num: i64,
    name: String,
    sdn_type: SdnType,
    programs: Vec<String>,
    dobs: Vec<SdnDob>,
    countries: Vec<String>,
}

struct IndexedName {
    entry: u32,
    display: String,
    kind: String,
    tokens: Vec<Token>,
    /// Folded full name (exact-name matching).
    folded: String,
    /// Number of distinctive tokens.
    distinct: usize,
}

/// Per query word, the list words similar enough to it (at or above the token threshold):
/// the Jaro-Winkler comparisons of a word against its block of the vocabulary, done once per
/// distinct word instead of once per name. Investor names repeat their words (a million
/// investors share a few thousand given and family names), so one memo per worker serves a
/// whole screening run. A memo belongs to one index and threshold; used with another it
/// starts over.
#[derive(Debug, Default)]
pub struct ScreenMemo {
    /// The index (build id) and token threshold (bits) the entries were computed for.
    owner: Option<(u64, u64)>,
    /// (person partition?, query word) → vocabulary word ids.
    words: HashMap<(bool, String), Vec<u32>>,
}

impl ScreenMemo {
    fn serve(&mut self, index: &SanctionsIndex, threshold: f64) {
        let owner = (index.build_id, threshold.to_bits());
        if self.owner != Some(owner) {
            self.words.clear();
            self.owner = Some(owner);
        }
    }
}

/// Which partition of the list a query is screened against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Partition {
    /// Individual entries (natural-person investors and the individuals behind entities).
    Person,
    /// Entity entries (companies, trusts).
    Entity,
}

#[derive(Default)]
struct Postings {
    names: Vec<IndexedName>,
    /// Distinct distinctive words of the partition.
    vocab: Vec<String>,
    vocab_ids: HashMap<String, u32>,
    /// Block key (first three letters) → vocabulary words with that key.
    vocab_by_key: HashMap<String, Vec<u32>>,
    /// Vocabulary word → names containing it (deduplicated, ascending).
    word_names: Vec<Vec<u32>>,
    /// Folded full name → names (for names without distinctive tokens, and exact hits).
    exact: HashMap<String, Vec<u32>>,
}

fn key(token: &str) -> &str {
    match token.char_indices().nth(3) {
        Some((i, _)) => &token[..i],
        None => token,
    }
}

/// (count, last query word) per name, and the touched names.
type Scratch = (Vec<(u16, u16)>, Vec<u32>);

thread_local! {
    /// Per-thread candidate counting scratch: (count, last query word) per name, and the
    /// touched names.
    static SCRATCH: std::cell::RefCell<Scratch> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// A distinctive word carried by at least this many list names is "frequent" (Mohamed, Ali,
/// Garcia...): a match on frequent words alone with further list words unmatched is weakened.
const FREQUENT_DF: usize = 25;

impl Postings {
    fn add(&mut self, name: IndexedName) {
        if name.tokens.is_empty() {
            return; // nothing left after folding
        }
        let id = self.names.len() as u32;
        for t in name.tokens.iter().filter(|t| !t.generic) {
            let w = match self.vocab_ids.get(&t.text) {
                Some(&w) => w,
                None => {
                    let w = self.vocab.len() as u32;
                    self.vocab.push(t.text.clone());
                    self.vocab_ids.insert(t.text.clone(), w);
                    self.vocab_by_key
                        .entry(key(&t.text).to_string())
                        .or_default()
                        .push(w);
                    self.word_names.push(Vec::new());
                    w
                }
            };
            let names = &mut self.word_names[w as usize];
            if names.last() != Some(&id) {
                names.push(id);
            }
        }
        self.exact.entry(name.folded.clone()).or_default().push(id);
        self.names.push(name);
    }

    fn frequent(&self, token: &str) -> bool {
        self.vocab_ids
            .get(token)
            .is_some_and(|&w| self.word_names[w as usize].len() >= FREQUENT_DF)
    }
}

/// An SDN list indexed for screening: individuals and entities in separate partitions (vessels
/// and aircraft are not screened against investors), each with an inverted index from token
/// prefix to names.
pub struct SanctionsIndex {
    entries: Vec<IndexedEntry>,
    person: Postings,
    entity: Postings,
    /// Distinct per built index (process-wide counter): what a [`ScreenMemo`] belongs to.
    build_id: u64,
}

/// Source of [`SanctionsIndex::build_id`].
static NEXT_BUILD_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl std::fmt::Debug for SanctionsIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SanctionsIndex")
            .field("entries", &self.entries.len())
            .field("person_names", &self.person.names.len())
            .field("entity_names", &self.entity.names.len())
            .finish()
    }
}

/// Token similarity: Jaro-Winkler (prefix 4, boost threshold 0.7), discounted when the lengths
/// differ ([`length_penalised`]: × (1 − 0.3 × (0.9 − r) / 0.9) when the ratio r is below 0.9), × 0.9 when the first letters differ. Tokens of ≤ 2
/// letters must be equal.
pub fn token_similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    if la <= 2 || lb <= 2 {
        return 0.0;
    }
    let mut s = length_penalised(jaro_winkler(a, b), la, lb);
    if a.as_bytes().first() != b.as_bytes().first() {
        s *= 0.9;
    }
    s
}

/// Weight of a generic token relative to a distinctive one of the same length.
const GENERIC_WEIGHT: f64 = 0.25;

fn weight(t: &Token) -> f64 {
    t.text.len() as f64 * if t.generic { GENERIC_WEIGHT } else { 1.0 }
}

/// The result of comparing two token lists.
#[derive(Debug, Clone, PartialEq)]
pub struct NameScore {
    /// Score in [0, 1].
    pub score: f64,
    /// Pairs used: (query token index, list token index, similarity).
    pub pairs: Vec<(usize, usize, f64)>,
    /// Why the score was adjusted.
    pub notes: Vec<String>,
}

/// Name score of query tokens against list tokens (see the module docs of
/// [`crate::sanctions`]); `frequent` tells whether a list token is common in the list.
pub fn name_score(
    query: &[Token],
    list: &[Token],
    token_threshold: f64,
    frequent: &dyn Fn(&str) -> bool,
) -> NameScore {
    let zero = NameScore {
        score: 0.0,
        pairs: Vec::new(),
        notes: Vec::new(),
    };
    if query.is_empty() || list.is_empty() {
        return zero;
    }
    let mut cand: Vec<(f64, usize, usize)> = Vec::with_capacity(query.len() * list.len());
    for (qi, q) in query.iter().enumerate() {
        for (li, l) in list.iter().enumerate() {
            let s = token_similarity(&q.text, &l.text);
            if s >= token_threshold {
                cand.push((s, qi, li));
            }
        }
    }
    cand.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut used_q = vec![false; query.len()];
    let mut used_l = vec![false; list.len()];
    let mut pairs = Vec::new();
    for (s, qi, li) in cand {
        if !used_q[qi] && !used_l[li] {
            used_q[qi] = true;
            used_l[li] = true;
            pairs.push((qi, li, s));
        }
    }
    // Distinctive pairs: both tokens distinctive.
    let md = pairs
        .iter()
        .filter(|&&(qi, li, _)| !query[qi].generic && !list[li].generic)
        .count();
    if md == 0 {
        return NameScore { pairs, ..zero };
    }
    let (mut num, mut den) = (0.0, 0.0);
    for &(qi, li, s) in &pairs {
        let w = weight(&query[qi]) + weight(&list[li]);
        num += s * w;
        den += w;
    }
    let base = num / den;
    let unmatched = |toks: &[Token], used: &[bool], generic: bool| {
        toks.iter()
            .zip(used)
            .filter(|(t, u)| !**u && t.generic == generic)
            .count()
    };
    let uq = unmatched(query, &used_q, false);
    let ul = unmatched(list, &used_l, false);
    let ug = unmatched(query, &used_q, true) + unmatched(list, &used_l, true);
    let mut notes = Vec::new();
    let mut factor = if md == 1 {
        let (qi, li, sim) = pairs
            .iter()
            .copied()
            .find(|&(qi, li, _)| !query[qi].generic && !list[li].generic)
            .unwrap_or(pairs[0]);
        if uq == 0
            && ul == 0
            && sim >= 0.95
            && query[qi].text.len() >= 5
            && list[li].text.len() >= 5
        {
            notes.push("single distinctive word (x0.95)".to_string());
            0.95
        } else {
            notes.push("only one distinctive word in common (x0.70)".to_string());
            0.70
        }
    } else if uq > md || ul > md {
        notes.push(format!("{uq} query and {ul} list words unmatched (x0.70)"));
        0.70
    } else {
        let mut f = 1.0 - 0.06 * ul as f64 - 0.03 * uq as f64;
        if ul > 0 || uq > 0 {
            notes.push(format!(
                "{ul} list / {uq} query words unmatched (-{:.2})",
                1.0 - f
            ));
        }
        if uq > 0 && ul > 0 {
            f *= 0.90;
            notes.push("different words on both sides (x0.90)".to_string());
        }
        f
    };
    if ul > 0
        && pairs
            .iter()
            .filter(|&&(qi, li, _)| !query[qi].generic && !list[li].generic)
            .all(|&(_, li, _)| frequent(&list[li].text))
    {
        factor *= 0.93;
        notes.push("only common name words matched (x0.93)".to_string());
    }
    factor -= 0.01 * ug as f64;
    NameScore {
        score: (base * factor).clamp(0.0, 1.0),
        pairs,
        notes,
    }
}

/// Two company names that share a single distinctive word and differ in a descriptive generic
/// word (`WASHINGTON HOLDINGS LLC` and `WASHINGTON TRADING LTD`: HOLDINGS and TRADING are
/// unmatched) are not enough for a match: the score is kept below the match threshold, with
/// room for a country in common (review band at most). Names that differ only in legal forms
/// (`ACME LLC`, `ACME LTD`) are not affected.
fn one_word_company(ns: &mut NameScore, query: &[Token], list: &[Token], cfg: &ScreenConfig) {
    let distinctive_pairs = ns
        .pairs
        .iter()
        .filter(|&&(qi, li, _)| !query[qi].generic && !list[li].generic)
        .count();
    if distinctive_pairs != 1 {
        return;
    }
    let mut used_q = vec![false; query.len()];
    let mut used_l = vec![false; list.len()];
    for &(qi, li, _) in &ns.pairs {
        used_q[qi] = true;
        used_l[li] = true;
    }
    let descriptive = |toks: &[Token], used: &[bool]| -> Vec<String> {
        toks.iter()
            .zip(used)
            .filter(|(t, u)| !**u && t.generic && !is_legal_form(&t.text))
            .map(|(t, _)| t.text.to_uppercase())
            .collect()
    };
    let mut differing = descriptive(query, &used_q);
    differing.extend(descriptive(list, &used_l));
    if differing.is_empty() {
        return;
    }
    let cap = cfg.match_threshold - 0.05;
    if ns.score > cap {
        ns.score = cap;
        ns.notes.push(format!(
            "companies share one distinctive word and differ in {} (capped at {cap:.2})",
            differing.join(", ")
        ));
    }
}

impl SanctionsIndex {
    /// Builds the index from a parsed list.
    pub fn build(list: &SanctionsList) -> Self {
        let mut entries = Vec::with_capacity(list.entries.len());
        let mut person = Postings::default();
        let mut entity = Postings::default();
        for e in &list.entries {
            let part = match e.sdn_type {
                SdnType::Individual => &mut person,
                SdnType::Entity => &mut entity,
                _ => continue,
            };
            let idx = entries.len() as u32;
            entries.push(IndexedEntry {
                ent_num: e.ent_num,
                name: e.name.clone(),
                sdn_type: e.sdn_type.clone(),
                programs: e.programs.clone(),
                dobs: e.dobs.clone(),
                countries: e.countries.clone(),
            });
            part.add(indexed_name(idx, &e.name, "primary".into()));
            for a in &e.aliases {
                let kind = match &a.kind {
                    AliasKind::Alt(k) => k.clone(),
                    AliasKind::Remarks => "remarks a.k.a.".into(),
                };
                part.add(indexed_name(idx, &a.name, kind));
            }
        }
        Self {
            build_id: NEXT_BUILD_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            entries,
            person,
            entity,
        }
    }

    /// Number of screened entries (individuals and entities).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the index has no screened entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Screens one name against a partition; returns the best hit per entry at or above the
    /// review threshold, best first (score desc, then ent_num).
    pub fn screen_name(
        &self,
        name: &str,
        partition: Partition,
        dob: Option<NaiveDate>,
        countries: &[&str],
        cfg: &ScreenConfig,
    ) -> Vec<ScreenHit> {
        self.screen_name_with(
            name,
            partition,
            dob,
            countries,
            cfg,
            &mut ScreenMemo::default(),
        )
    }

    /// [`Self::screen_name`] with a [`ScreenMemo`] carried across calls.
    pub fn screen_name_with(
        &self,
        name: &str,
        partition: Partition,
        dob: Option<NaiveDate>,
        countries: &[&str],
        cfg: &ScreenConfig,
        memo: &mut ScreenMemo,
    ) -> Vec<ScreenHit> {
        let cands = self.name_candidates(name, partition, cfg, memo);
        self.corroborated_hits(name, partition, &cands, dob, countries, cfg)
    }

    /// The name half of screening (what depends on the name and partition only, so it is
    /// computed once per distinct name when many investors share one): the list names whose
    /// name score can reach the review band, with that score.
    fn name_candidates(
        &self,
        name: &str,
        partition: Partition,
        cfg: &ScreenConfig,
        memo: &mut ScreenMemo,
    ) -> Vec<(u32, NameScore)> {
        memo.serve(self, cfg.token_threshold);
        let post = match partition {
            Partition::Person => &self.person,
            Partition::Entity => &self.entity,
        };
        let query = name_tokens(name);
        let folded = fold(name);
        let qdistinct = query.iter().filter(|t| !t.generic).count();
        // Candidates: names containing a word similar (≥ token threshold) to a distinctive query
        // word, within the same three-letter block; counted once per query word. Counting uses a
        // per-thread dense scratch array (reset through the touched list), not a hash map.
        let mut cands: Vec<(u32, u16)> = SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            let (slots, touched) = &mut *scratch;
            if slots.len() < post.names.len() {
                slots.resize(post.names.len(), (0, 0));
            }
            for (qi, t) in query.iter().filter(|t| !t.generic).enumerate() {
                let mark = qi as u16 + 1;
                let words = memo
                    .words
                    .entry((partition == Partition::Person, t.text.clone()))
                    .or_insert_with(|| {
                        post.vocab_by_key
                            .get(key(&t.text))
                            .into_iter()
                            .flatten()
                            .copied()
                            .filter(|&w| {
                                token_similarity(&t.text, &post.vocab[w as usize])
                                    >= cfg.token_threshold
                            })
                            .collect()
                    });
                for &w in words.iter() {
                    for &id in &post.word_names[w as usize] {
                        let slot = &mut slots[id as usize];
                        if slot.1 != mark {
                            if slot.0 == 0 {
                                touched.push(id);
                            }
                            slot.0 = slot.0.saturating_add(1);
                            slot.1 = mark;
                        }
                    }
                }
            }
            let out: Vec<(u32, u16)> = touched
                .iter()
                .map(|&id| (id, slots[id as usize].0))
                .collect();
            for &id in touched.iter() {
                slots[id as usize] = (0, 0);
            }
            touched.clear();
            out
        });
        if let Some(ids) = post.exact.get(&folded) {
            cands.extend(ids.iter().map(|&id| (id, u16::MAX)));
        }
        let frequent = |t: &str| post.frequent(t);
        let mut out = Vec::new();
        for (id, hits) in cands {
            let n = &post.names[id as usize];
            let exact = n.folded == folded;
            let need = qdistinct.min(n.distinct).min(2);
            if !exact && usize::from(hits) < need {
                continue;
            }
            let ns = if exact {
                NameScore {
                    score: 1.0,
                    pairs: (0..query.len()).map(|k| (k, k, 1.0)).collect(),
                    notes: vec!["exact name".to_string()],
                }
            } else {
                let mut ns = name_score(&query, &n.tokens, cfg.token_threshold, &frequent);
                if partition == Partition::Entity {
                    one_word_company(&mut ns, &query, &n.tokens, cfg);
                }
                ns
            };
            if ns.score < cfg.review_threshold * 0.8 {
                continue;
            }
            out.push((id, ns));
        }
        out
    }

    /// The investor half of screening: `name`'s candidates ([`Self::name_candidates`])
    /// corroborated by date of birth and countries, the best hit per entry at or above the
    /// review threshold, best first.
    fn corroborated_hits(
        &self,
        name: &str,
        partition: Partition,
        cands: &[(u32, NameScore)],
        dob: Option<NaiveDate>,
        countries: &[&str],
        cfg: &ScreenConfig,
    ) -> Vec<ScreenHit> {
        let post = match partition {
            Partition::Person => &self.person,
            Partition::Entity => &self.entity,
        };
        if cands.is_empty() {
            return Vec::new();
        }
        let query = name_tokens(name);
        let mut best: HashMap<u32, ScreenHit> = HashMap::new();
        for (id, ns) in cands {
            let n = &post.names[*id as usize];
            let e = &self.entries[n.entry as usize];
            let (score, mut reasons, dob_conflict) = corroborate(ns.score, e, dob, countries);
            // A name match weakened only by a different date of birth is kept (for review).
            let name_match = ns.score >= cfg.match_threshold;
            if score < cfg.review_threshold && !(dob_conflict && name_match) {
                continue;
            }
            let mut notes = ns.notes.clone();
            notes.append(&mut reasons);
            let level = if score >= cfg.match_threshold {
                MatchLevel::Match
            } else {
                MatchLevel::Review
            };
            let hit = ScreenHit {
                ent_num: e.ent_num,
                sdn_name: e.name.clone(),
                matched_name: n.display.clone(),
                name_kind: n.kind.clone(),
                sdn_type: e.sdn_type.as_str().to_string(),
                programs: e.programs.clone(),
                query_name: name.trim().to_string(),
                name_score: ns.score,
                score,
                level,
                pairs: ns
                    .pairs
                    .iter()
                    .map(|&(qi, li, s)| (query[qi].text.clone(), n.tokens[li].text.clone(), s))
                    .collect(),
                reasons: notes,
                dob_conflict: dob_conflict && name_match,
            };
            match best.get(&n.entry) {
                Some(b)
                    if (b.score, std::cmp::Reverse(&b.matched_name))
                        >= (hit.score, std::cmp::Reverse(&hit.matched_name)) => {}
                _ => {
                    best.insert(n.entry, hit);
                }
            }
        }
        let mut out: Vec<ScreenHit> = best.into_values().collect();
        sort_hits(&mut out);
        out
    }

    /// Screens an investor: natural persons (person, trust_ira) by their full and display names
    /// against individuals; companies and trusts by their name against entities; the
    /// `individual_name` behind any investor against individuals. DOB and country/citizenship
    /// corroborate. Best hit per entry, best first.
    pub fn screen_investor(&self, investor: &Investor, cfg: &ScreenConfig) -> Vec<ScreenHit> {
        self.screen_investor_with(investor, cfg, &mut ScreenMemo::default())
    }

    /// [`Self::screen_investor`] with a [`ScreenMemo`] carried across calls (one per worker
    /// when screening many investors: their names share few distinct words).
    pub fn screen_investor_with(
        &self,
        investor: &Investor,
        cfg: &ScreenConfig,
        memo: &mut ScreenMemo,
    ) -> Vec<ScreenHit> {
        let (countries, queries) = investor_queries(investor);
        merge_hits(
            queries
                .into_iter()
                .map(|q| self.screen_name_with(&q.name, q.partition, q.dob, &countries, cfg, memo)),
        )
    }

    /// [`Self::screen_investor`] for each of `investors`, in their order, in parallel. The name
    /// half of screening runs once per distinct (name, partition): a platform's investors share
    /// far fewer names than they are (a million investors of the benchmark carry about twenty
    /// thousand), and date of birth and countries then corroborate per investor. Gives exactly
    /// what screening each investor on its own gives.
    pub fn screen_investor_batch(
        &self,
        investors: &[&Investor],
        cfg: &ScreenConfig,
    ) -> Vec<Vec<ScreenHit>> {
        let queries: Vec<(Vec<&'static str>, Vec<Query<'_>>)> =
            investors.par_iter().map(|i| investor_queries(i)).collect();
        let mut slot: rustc_hash::FxHashMap<(&str, Partition), u32> =
            rustc_hash::FxHashMap::default();
        let mut distinct: Vec<(&str, Partition)> = Vec::new();
        for q in queries.iter().flat_map(|(_, qs)| qs) {
            slot.entry((&q.name, q.partition)).or_insert_with(|| {
                distinct.push((&q.name, q.partition));
                (distinct.len() - 1) as u32
            });
        }
        let cands: Vec<Vec<(u32, NameScore)>> = distinct
            .par_iter()
            .map_init(ScreenMemo::default, |memo, &(name, part)| {
                self.name_candidates(name, part, cfg, memo)
            })
            .collect();
        queries
            .par_iter()
            .map(|(countries, qs)| {
                merge_hits(qs.iter().map(|q| {
                    let c = &cands[slot[&(&*q.name, q.partition)] as usize];
                    self.corroborated_hits(&q.name, q.partition, c, q.dob, countries, cfg)
                }))
            })
            .collect()
    }

    /// Screens many investors in parallel; returns (investor id, hits) for investors with hits,
    /// in id order.
    pub fn screen_investors(
        &self,
        investors: &[Investor],
        cfg: &ScreenConfig,
    ) -> Vec<(i64, Vec<ScreenHit>)> {
        let refs: Vec<&Investor> = investors.iter().collect();
        let mut out: Vec<(i64, Vec<ScreenHit>)> = refs
            .iter()
            .map(|i| i.id)
            .zip(self.screen_investor_batch(&refs, cfg))
            .filter(|(_, h)| !h.is_empty())
            .collect();
        out.sort_by_key(|(id, _)| *id);
        out
    }
}

/// One name an investor is screened by.
struct Query<'a> {
    name: std::borrow::Cow<'a, str>,
    partition: Partition,
    dob: Option<NaiveDate>,
}

/// What [`SanctionsIndex::screen_investor`] screens an investor by: the ISO codes of its
/// country and citizenship, and its names (full name; display name when different; the
/// individual behind it), each with its partition and the date of birth that corroborates it.
fn investor_queries(investor: &Investor) -> (Vec<&'static str>, Vec<Query<'_>>) {
    let mut countries: Vec<&'static str> = Vec::new();
    for c in [investor.country.as_deref(), investor.citizenship.as_deref()]
        .into_iter()
        .flatten()
    {
        if let Some(code) = iso2(c) {
            countries.push(code);
        }
    }
    let full = investor.full_name();
    let main_part = if investor.investor_type.is_natural_person() {
        Partition::Person
    } else {
        Partition::Entity
    };
    let dob = if main_part == Partition::Person {
        investor.date_of_birth
    } else {
        None
    };
    let mut queries: Vec<Query<'_>> = Vec::new();
    if let Some(d) = &investor.display_name
        && !d.trim().is_empty()
        && !d.trim().eq_ignore_ascii_case(full.trim())
    {
        queries.push(Query {
            name: d.as_str().into(),
            partition: main_part,
            dob,
        });
    }
    if let Some(ind) = &investor.individual_name
        && !ind.trim().is_empty()
        && !(main_part == Partition::Person && ind.trim().eq_ignore_ascii_case(full.trim()))
    {
        let d = if investor.investor_type.is_natural_person() {
            investor.date_of_birth
        } else {
            None
        };
        queries.push(Query {
            name: ind.as_str().into(),
            partition: Partition::Person,
            dob: d,
        });
    }
    queries.insert(
        0,
        Query {
            name: full.into(),
            partition: main_part,
            dob,
        },
    );
    (countries, queries)
}

/// The best hit per list entry over an investor's queries (the first of equal scores), best
/// first.
fn merge_hits(per_query: impl Iterator<Item = Vec<ScreenHit>>) -> Vec<ScreenHit> {
    let mut best: HashMap<i64, ScreenHit> = HashMap::new();
    for hits in per_query {
        for h in hits {
            match best.get(&h.ent_num) {
                Some(b) if b.score >= h.score => {}
                _ => {
                    best.insert(h.ent_num, h);
                }
            }
        }
    }
    let mut out: Vec<ScreenHit> = best.into_values().collect();
    sort_hits(&mut out);
    out
}

fn indexed_name(entry: u32, name: &str, kind: String) -> IndexedName {
    let tokens = name_tokens(name);
    let distinct = tokens.iter().filter(|t| !t.generic).count();
    IndexedName {
        entry,
        display: name.to_string(),
        kind,
        folded: fold(name),
        tokens,
        distinct,
    }
}

fn sort_hits(hits: &mut [ScreenHit]) {
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.ent_num.cmp(&b.ent_num)));
}

fn corroborate(
    ns: f64,
    e: &IndexedEntry,
    dob: Option<NaiveDate>,
    countries: &[&str],
) -> (f64, Vec<String>, bool) {
    let mut score = ns;
    let mut reasons = Vec::new();
    let mut dob_conflict = false;
    if let Some(d) = dob
        && !e.dobs.is_empty()
    {
        let listed: Vec<String> = e.dobs.iter().map(|x| x.to_string()).collect();
        // An exact listed date equal to the investor's supports the match; a year-only (or
        // range, `circa`) listing containing the birth year supports it a little. An exact
        // listed date that differs is evidence against it even in the same year: two known
        // birthdays that differ are two different people.
        let year_only_fits = e
            .dobs
            .iter()
            .any(|x| x.date.is_none() && (x.year_from..=x.year_to).contains(&d.year()));
        if e.dobs.iter().any(|x| x.date == Some(d)) {
            score += 0.05;
            // The investor's date of birth stays in the investor register (PII).
            reasons.push("same date of birth as listed (+0.05)".to_string());
        } else if year_only_fits {
            score += 0.02;
            reasons.push(format!(
                "birth year within listed DOB {} (+0.02)",
                listed.join(" / ")
            ));
        } else {
            score *= 0.80;
            dob_conflict = true;
            reasons.push(format!(
                "date of birth differs from listed DOB {} (x0.80)",
                listed.join(" / ")
            ));
        }
    }
    let common: Vec<&str> = countries
        .iter()
        .copied()
        .filter(|c| e.countries.iter().any(|x| x == c))
        .collect();
    if !common.is_empty() {
        score += 0.02;
        reasons.push(format!("country {} also on the entry (+0.02)", common[0]));
    }
    (score.min(1.0), reasons, dob_conflict)
}

/// The OFAC "LAST, First" name reordered for display.
pub fn person_display(name: &str) -> String {
    display_order(name)
}
