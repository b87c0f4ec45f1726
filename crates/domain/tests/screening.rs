//! OFAC SDN screening against the real sample files in `shared/samples/ofac` (read in place;
//! override the folder with `TIEOUT_SAMPLES`). Missing samples skip visibly.

#![allow(missing_docs)]

use std::path::PathBuf;

use tieout_domain::sanctions::index::Partition;
use tieout_domain::sanctions::{
    MatchLevel, SanctionsIndex, SanctionsList, ScreenConfig, ScreenHit, SdnError, SdnFile, SdnFiles,
};

/// Whether this run is CI (`CI=true`), where the samples folder is always present: a missing
/// folder is then a failure, never a silent pass.
fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

fn samples() -> Option<PathBuf> {
    let p = std::env::var("TIEOUT_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/samples"
            ))
        });
    if p.join("ofac").is_dir() {
        Some(p.join("ofac"))
    } else {
        assert!(
            !on_ci(),
            "samples folder not found at {} (CI=true: CI always has ../shared/samples)",
            p.display()
        );
        eprintln!("SKIPPED: samples folder not found at {}", p.display());
        None
    }
}

struct Set {
    sdn: Vec<u8>,
    alt: Option<Vec<u8>>,
    add: Option<Vec<u8>>,
    comments: Option<Vec<u8>>,
}

fn read_set(dir: &std::path::Path) -> Set {
    let rd = |f: &str| std::fs::read(dir.join(f)).ok();
    Set {
        sdn: rd("sdn.csv").expect("sdn.csv"),
        alt: rd("alt.csv"),
        add: rd("add.csv"),
        comments: rd("sdn_comments.csv"),
    }
}

impl Set {
    fn files(&self) -> SdnFiles<'_> {
        SdnFiles {
            sdn: &self.sdn,
            alt: self.alt.as_deref(),
            add: self.add.as_deref(),
            comments: self.comments.as_deref(),
        }
    }
}

fn person(index: &SanctionsIndex, name: &str) -> Vec<ScreenHit> {
    index.screen_name(name, Partition::Person, None, &[], &ScreenConfig::default())
}

fn entity(index: &SanctionsIndex, name: &str) -> Vec<ScreenHit> {
    index.screen_name(name, Partition::Entity, None, &[], &ScreenConfig::default())
}

fn best_match(hits: &[ScreenHit]) -> Option<i64> {
    hits.first()
        .filter(|h| h.level == MatchLevel::Match)
        .map(|h| h.ent_num)
}

fn no_match(hits: &[ScreenHit]) -> bool {
    hits.iter().all(|h| h.level != MatchLevel::Match)
}

#[test]
fn small_sample_parses_with_reported_orphans() {
    let Some(dir) = samples() else { return };
    let set = read_set(&dir);
    let list = SanctionsList::parse_lenient(&set.files());
    assert_eq!(list.entries.len(), 17);
    let moreno = list.entries.iter().find(|e| e.ent_num == 15102).unwrap();
    assert_eq!(moreno.dobs[0].to_string(), "1972-10-12");
    assert!(moreno.countries.contains(&"BZ".to_string()));
    assert!(
        moreno
            .aliases
            .iter()
            .any(|a| a.name == "MORENO JR., Daniel Gonzalo")
    );
    let iami = list.entries.iter().find(|e| e.ent_num == 11195).unwrap();
    assert_eq!(iami.programs, vec!["NPWMD", "IFSR", "IRAN-CON-ARMS-EO"]);
    assert!(iami.countries.contains(&"IR".to_string()));
    let khoroshev = list.entries.iter().find(|e| e.ent_num == 48603).unwrap();
    assert!(khoroshev.countries.contains(&"RU".to_string()));
    // sdn_comments.csv overflow is appended to the remarks
    let suex = list.entries.iter().find(|e| e.ent_num == 33151).unwrap();
    assert!(
        suex.remarks
            .as_deref()
            .unwrap()
            .contains("Organization Established Date 25 Sep 2018")
    );
    // alt.csv / add.csv rows whose ent_num is not in this extract are orphans: reported (a
    // warning naming each one), not dropped silently, and not a reason to stop screening.
    assert!(list.rejects.is_empty(), "{:?}", list.rejects);
    assert!(!list.orphans.is_empty());
    assert!(
        list.orphans
            .iter()
            .all(|r| matches!(r.file, SdnFile::Alt | SdnFile::Add)
                && r.reason.contains("not in sdn.csv")),
        "{:?}",
        list.orphans
    );
    let warning = list.orphan_warning().unwrap();
    assert!(
        warning.contains("alt.csv record 1 (line 1): alias 10278 refers to ent_num 10416"),
        "{warning}"
    );
    for o in &list.orphans {
        assert!(
            warning.contains(&o.to_string()),
            "{o} missing from {warning}"
        );
    }
    // ... and the strict parser screens the set
    let strict = SanctionsList::parse(&set.files()).unwrap();
    assert_eq!(strict.entries.len(), 17);
    assert_eq!(strict.orphans, list.orphans);
}

#[test]
fn small_sample_true_matches_and_traps() {
    let Some(dir) = samples() else { return };
    let set = read_set(&dir);
    let index = SanctionsIndex::build(&SanctionsList::parse_lenient(&set.files()));
    // reordered "First Last" vs "LAST, First", lower case
    assert_eq!(best_match(&person(&index, "daniel moreno")), Some(15102));
    assert_eq!(
        best_match(&person(&index, "Elvis Angus Logan Morey")),
        Some(10278)
    );
    // accents dropped / added
    assert_eq!(best_match(&person(&index, "Artëm Lifshits")), Some(29702));
    // Cyrillic transliterated to the alias KHOROSHEV, Dmitrii Yuryevich
    let hits = person(&index, "Дмитрий Хорошев");
    assert_eq!(best_match(&hits), Some(48603));
    assert_eq!(hits[0].matched_name, "KHOROSHEV, Dmitrii Yuryevich");
    assert_eq!(hits[0].name_kind, "aka");
    // a weak a.k.a. only present in the remarks
    let hits = person(&index, "Burton Burgess");
    assert_eq!(best_match(&hits), Some(10278));
    assert_eq!(hits[0].name_kind, "remarks a.k.a.");
    // entities, through primary names and alt.csv aliases, with legal-form noise
    assert_eq!(
        best_match(&entity(
            &index,
            "Iran Aircraft Manufacturing Industrial Co."
        )),
        Some(11195)
    );
    assert_eq!(
        best_match(&entity(&index, "Hesa Trade Center Ltd")),
        Some(11195)
    );
    assert_eq!(
        best_match(&entity(&index, "Bel Kap Steel, L.L.C.")),
        Some(44525)
    );
    assert_eq!(best_match(&entity(&index, "SUEX OTC sro")), Some(33151));

    // traps
    for name in [
        "Global Trading LLC",
        "Bank of America",
        "Belletech Corp",
        "HTC Corporation",
        "Iran Air Company",
    ] {
        assert!(
            no_match(&entity(&index, name)),
            "{name}: {:?}",
            entity(&index, name)
        );
    }
    // individuals are not matched against company names, vessels never
    assert!(entity(&index, "Daniel Moreno LLC").is_empty());
    assert!(entity(&index, "Frunze Shipping Ltd").is_empty());
    assert!(person(&index, "Iris Makran").is_empty());
    // one shared token, short names, one-token names
    for name in [
        "Daniel Smith",
        "Li Wei",
        "Emma Daniels",
        "Vladimir Moreno",
        "Artem",
        "Dmitry",
    ] {
        assert!(
            no_match(&person(&index, name)),
            "{name}: {:?}",
            person(&index, name)
        );
    }
}

#[test]
fn dob_corroborates_or_weakens() {
    let Some(dir) = samples() else { return };
    let set = read_set(&dir);
    let index = SanctionsIndex::build(&SanctionsList::parse_lenient(&set.files()));
    let cfg = ScreenConfig::default();
    let d = |s: &str| s.parse().ok();
    let same = index.screen_name(
        "Daniel Moreno",
        Partition::Person,
        d("1972-10-12"),
        &["BZ"],
        &cfg,
    );
    assert_eq!(same[0].level, MatchLevel::Match);
    assert!(
        same[0]
            .reasons
            .iter()
            .any(|r| r.contains("same date of birth"))
    );
    let other = index.screen_name(
        "Daniel Moreno",
        Partition::Person,
        d("1990-01-01"),
        &[],
        &cfg,
    );
    assert!(no_match(&other), "{other:?}");
    assert!(other.iter().all(|h| h.score < same[0].score));
}

#[test]
fn full_list_parses_and_screens() {
    let Some(dir) = samples() else { return };
    let set = read_set(&dir.join("full"));
    let list = SanctionsList::parse(&set.files()).expect("the full July 2021 list is well-formed");
    assert_eq!(list.entries.len(), 8976);
    assert!(list.entries.iter().map(|e| e.ent_num).max() == Some(32391));
    let index = SanctionsIndex::build(&list);
    assert_eq!(
        best_match(&person(&index, "Joaquin Guzman Loera")),
        Some(6861)
    );
    assert_eq!(
        best_match(&person(&index, "Nicolas Maduro Moros")),
        Some(22790)
    );
    assert_eq!(
        best_match(&entity(&index, "Banco Nacional de Cuba")),
        Some(306)
    );
    assert_eq!(
        best_match(&entity(&index, "Petroleos de Venezuela SA")),
        Some(26367)
    );
    // Watchman's known false positives (anchors.md §4) must not happen
    for name in [
        "Belletech Corp",
        "Global Trading LLC",
        "Bank of America",
        "First National Bank",
        "Sun Trading Limited",
        "American Express Company",
    ] {
        assert!(
            no_match(&entity(&index, name)),
            "{name}: {:?}",
            entity(&index, name)
        );
    }
    for name in [
        "Emma Daniels",
        "Li Wei",
        "John Smith",
        "Vladimir Putinov",
        "Maria Garcia",
        "Mohamed Ahmed",
    ] {
        assert!(
            no_match(&person(&index, name)),
            "{name}: {:?}",
            person(&index, name)
        );
    }
}

#[test]
fn a_shared_memo_screens_exactly_like_fresh_calls() {
    let Some(dir) = samples() else { return };
    let set = read_set(&dir.join("full"));
    let list = SanctionsList::parse(&set.files()).expect("the full list parses");
    let index = SanctionsIndex::build(&list);
    let cfg = ScreenConfig::default();
    let names = [
        "Joaquin Guzman Loera",
        "Joaquín Guzmán",
        "Nicolas Maduro Moros",
        "Maria Garcia",
        "Guzman Loera",
        "Banco Nacional de Cuba",
        "Petroleos de Venezuela SA",
        "Joaquin Guzman Loera",
    ];
    let mut memo = tieout_domain::sanctions::ScreenMemo::default();
    for part in [Partition::Person, Partition::Entity] {
        for n in names {
            let fresh = index.screen_name(n, part, None, &[], &cfg);
            let shared = index.screen_name_with(n, part, None, &[], &cfg, &mut memo);
            assert_eq!(fresh, shared, "{n} {part:?}");
        }
    }
    // Another threshold or index starts the memo over instead of reusing its words.
    let strict = ScreenConfig {
        token_threshold: 0.99,
        ..ScreenConfig::default()
    };
    let n = "Joaquin Guzmann Loera";
    assert_eq!(
        index.screen_name(n, Partition::Person, None, &[], &strict),
        index.screen_name_with(n, Partition::Person, None, &[], &strict, &mut memo)
    );
    let other = SanctionsIndex::build(&list);
    assert_eq!(
        other.screen_name(n, Partition::Person, None, &[], &cfg),
        other.screen_name_with(n, Partition::Person, None, &[], &cfg, &mut memo)
    );
}

#[test]
fn malformed_samples_give_clear_errors() {
    let Some(dir) = samples() else { return };
    let dir = dir.join("invalid");
    let one = |file: SdnFile, name: &str| -> SdnError {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let valid_sdn = b"1,\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n".to_vec();
        let files = match file {
            SdnFile::Sdn => SdnFiles {
                sdn: &bytes,
                ..Default::default()
            },
            SdnFile::Alt => SdnFiles {
                sdn: &valid_sdn,
                alt: Some(&bytes),
                ..Default::default()
            },
            SdnFile::Add => SdnFiles {
                sdn: &valid_sdn,
                add: Some(&bytes),
                ..Default::default()
            },
            SdnFile::Comments => SdnFiles {
                sdn: &valid_sdn,
                comments: Some(&bytes),
                ..Default::default()
            },
        };
        // leak-free: the error owns its data
        SanctionsList::parse(&files).unwrap_err()
    };
    let e = one(SdnFile::Sdn, "sdn.csv");
    let msg = e.to_string();
    assert!(msg.starts_with("sdn.csv record "), "{msg}");
    assert!(
        msg.contains("expected 12 fields, found 1 (`||||`)"),
        "{msg}"
    );
    let SdnError::Malformed { first, count } = e else {
        panic!("{msg}")
    };
    assert_eq!(count, 1);
    assert!(
        first.record > 6000,
        "the garbage row is the last record: {first}"
    );

    // the lenient parser keeps the good records and reports the bad one
    let bytes = std::fs::read(dir.join("sdn.csv")).unwrap();
    let list = SanctionsList::parse_lenient(&SdnFiles {
        sdn: &bytes,
        ..Default::default()
    });
    assert_eq!(list.rejects.len(), 1);
    assert_eq!(list.entries.len() as u64 + 1, list.rejects[0].record);

    let msg = one(SdnFile::Alt, "alt.csv").to_string();
    assert!(msg.starts_with("alt.csv record "), "{msg}");
    let msg = one(SdnFile::Add, "add.csv").to_string();
    assert!(msg.starts_with("add.csv record "), "{msg}");
    let msg = one(SdnFile::Comments, "sdn_comments.csv").to_string();
    assert!(msg.starts_with("sdn_comments.csv record "), "{msg}");
}

#[test]
#[ignore = "performance: run with --ignored --nocapture (release recommended)"]
fn perf_full_list_against_100k_investors() {
    let Some(dir) = samples() else { return };
    let set = read_set(&dir.join("full"));
    let t = std::time::Instant::now();
    let list = SanctionsList::parse(&set.files()).unwrap();
    let index = SanctionsIndex::build(&list);
    eprintln!("PERF parse+index: {:?} ({index:?})", t.elapsed());
    let first = [
        "James", "Mary", "Mohamed", "Wei", "Olga", "Carlos", "Ahmed", "Anna", "Sergei", "Maria",
        "Li", "John", "Fatima", "Ivan", "Jose",
    ];
    let last = [
        "Smith",
        "Garcia",
        "Ali",
        "Wang",
        "Ivanova",
        "Hernandez",
        "Hassan",
        "Kowalski",
        "Petrov",
        "Rodriguez",
        "Chen",
        "Brown",
        "Khan",
        "Sokolov",
        "Lopez",
    ];
    let investors: Vec<tieout_domain::Investor> = (0..100_000u64)
        .map(|k| {
            let r = k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 7;
            serde_json_investor(
                k as i64 + 1,
                first[(r % 15) as usize],
                last[((r >> 8) % 15) as usize],
            )
        })
        .collect();
    let t = std::time::Instant::now();
    let hits = index.screen_investors(&investors, &ScreenConfig::default());
    eprintln!(
        "PERF screen 100,000 investors: {:?}, {} with hits",
        t.elapsed(),
        hits.len()
    );
}

fn serde_json_investor(id: i64, first: &str, last: &str) -> tieout_domain::Investor {
    tieout_domain::Investor {
        id,
        investor_type: tieout_domain::InvestorType::Person,
        user_id: None,
        entity_id: None,
        first_name: first.into(),
        last_name: format!("{last}{}", if id % 2 == 0 { "" } else { "son" }),
        display_name: None,
        individual_name: None,
        email: None,
        date_of_birth: None,
        country: None,
        state: None,
        citizenship: None,
        us_person: None,
        accredited: None,
        accreditation_type: None,
        net_worth: None,
        annual_income: None,
        regcf_invested_this_year: None,
        regcf_invested_other_platforms: None,
        kyc_status: tieout_domain::KycStatus::Passed,
        tax_id: None,
    }
}

#[test]
fn investors_are_screened_by_type() {
    let Some(dir) = samples() else { return };
    let set = read_set(&dir);
    let index = SanctionsIndex::build(&SanctionsList::parse_lenient(&set.files()));
    let cfg = ScreenConfig::default();
    let mk = |t: tieout_domain::InvestorType, first: &str, last: &str| {
        let mut i = serde_json_investor(1, first, "");
        i.investor_type = t;
        i.last_name = last.to_string();
        i
    };
    use tieout_domain::InvestorType::*;
    // a person named like an SDN individual
    let p = mk(Person, "Daniel", "Moreno");
    assert_eq!(best_match(&index.screen_investor(&p, &cfg)), Some(15102));
    // an IRA is the natural person behind it
    let ira = mk(TrustIra, "Daniel", "Moreno");
    assert_eq!(best_match(&index.screen_investor(&ira, &cfg)), Some(15102));
    // a company named like an SDN individual is not matched against individuals...
    let mut c = mk(Company, "Daniel Moreno", "Holdings LLC");
    assert!(index.screen_investor(&c, &cfg).is_empty());
    // ... but the individual behind it is
    c.individual_name = Some("MORENO, Daniel".into());
    assert_eq!(best_match(&index.screen_investor(&c, &cfg)), Some(15102));
    // a company named like an SDN entity is
    let c2 = mk(Company, "Bel-Kap-Steel", "LLC");
    assert_eq!(best_match(&index.screen_investor(&c2, &cfg)), Some(44525));
    // a person named like an SDN entity is not
    let p2 = mk(Person, "Suex", "Otc");
    assert!(index.screen_investor(&p2, &cfg).is_empty());
    // DOB on the investor record weakens a hit with a different listed year
    let mut born = mk(Person, "Daniel", "Moreno");
    born.date_of_birth = "1991-02-03".parse().ok();
    assert!(no_match(&index.screen_investor(&born, &cfg)));
}

#[test]
fn batch_screening_gives_what_each_investor_gets() {
    let Some(dir) = samples() else { return };
    let set = read_set(&dir);
    let index = SanctionsIndex::build(&SanctionsList::parse_lenient(&set.files()));
    let cfg = ScreenConfig::default();
    use tieout_domain::InvestorType::*;
    // Namesakes that share the name half of screening but differ in what corroborates it
    // (date of birth, country), in type, and in the names behind them.
    let mut investors = Vec::new();
    for (k, (t, first, last)) in [
        (Person, "Daniel", "Moreno"),
        (TrustIra, "Daniel", "Moreno"),
        (Company, "Daniel Moreno", "Holdings LLC"),
        (Company, "Bel-Kap-Steel", "LLC"),
        (Person, "Suex", "Otc"),
        (Person, "Anna", "Lindqvist"),
        // The same name as the first, screened against entities instead.
        (Company, "Daniel", "Moreno"),
    ]
    .into_iter()
    .cycle()
    .take(28)
    .enumerate()
    {
        let mut i = serde_json_investor(k as i64 + 1, first, "");
        i.investor_type = t;
        i.last_name = last.to_string();
        match k / 7 {
            1 => i.date_of_birth = "1991-02-03".parse().ok(),
            2 => {
                i.country = Some("Mexico".into());
                i.individual_name = Some("MORENO, Daniel".into());
            }
            3 => i.display_name = Some("D. Moreno".into()),
            _ => {}
        }
        investors.push(i);
    }
    let refs: Vec<&tieout_domain::Investor> = investors.iter().collect();
    let batch = index.screen_investor_batch(&refs, &cfg);
    assert_eq!(batch.len(), investors.len());
    for (i, hits) in investors.iter().zip(&batch) {
        assert_eq!(hits, &index.screen_investor(i, &cfg), "investor {}", i.id);
    }
    // Not vacuous: namesakes get different outcomes from the same names.
    assert_eq!(best_match(&batch[0]), Some(15102));
    assert!(
        no_match(&batch[7]),
        "a different date of birth weakens the hit"
    );
    assert!(batch[2].is_empty() && best_match(&batch[16]) == Some(15102));
    assert!(batch[6].is_empty(), "a company named like an individual");
    let listed = index.screen_investors(&investors, &cfg);
    let expect: Vec<(i64, Vec<ScreenHit>)> = investors
        .iter()
        .zip(batch)
        .filter(|(_, h)| !h.is_empty())
        .map(|(i, h)| (i.id, h))
        .collect();
    assert_eq!(listed, expect);
}
