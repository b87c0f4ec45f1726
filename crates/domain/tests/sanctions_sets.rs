//! OFAC sets as they are published (files fetched on different days), dates of birth as
//! evidence for and against a match, and company names sharing one word. The sets are small
//! files written here in the legacy CSV layout (`sdn.csv` 12 fields, `alt.csv` 5, `add.csv` 6,
//! `sdn_comments.csv` 2; `-0-` for null), not copies of OFAC's.

#![allow(missing_docs)]

use tieout_domain::sanctions::index::Partition;
use tieout_domain::sanctions::{
    MatchLevel, SanctionsIndex, SanctionsList, ScreenConfig, ScreenHit, SdnFile, SdnFiles,
};

fn sdn_row(num: i64, name: &str, kind: &str, remarks: &str) -> String {
    let kind = if kind.is_empty() {
        "-0- ".to_string()
    } else {
        format!("\"{kind}\"")
    };
    let remarks = if remarks.is_empty() {
        "-0- ".to_string()
    } else {
        format!("\"{remarks}\"")
    };
    format!("{num},\"{name}\",{kind},\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,{remarks}\r\n")
}

fn index_of(sdn: &str) -> SanctionsIndex {
    let list = SanctionsList::parse(&SdnFiles {
        sdn: sdn.as_bytes(),
        ..Default::default()
    })
    .unwrap();
    SanctionsIndex::build(&list)
}

fn person(index: &SanctionsIndex, name: &str, dob: Option<&str>) -> Option<ScreenHit> {
    index
        .screen_name(
            name,
            Partition::Person,
            dob.map(|d| d.parse().unwrap()),
            &[],
            &ScreenConfig::default(),
        )
        .into_iter()
        .next()
}

fn entity(index: &SanctionsIndex, name: &str) -> Option<ScreenHit> {
    index
        .screen_name(name, Partition::Entity, None, &[], &ScreenConfig::default())
        .into_iter()
        .next()
}

#[test]
fn orphan_comment_alias_and_address_rows_are_a_warning_naming_each_and_screening_goes_on() {
    // sdn.csv of one day; the other files of another, naming entries sdn.csv no longer has.
    let sdn = sdn_row(
        501,
        "QUARTERMAINE, Ottoline Bexley",
        "individual",
        "DOB 03 Mar 1961",
    ) + &sdn_row(502, "ZANDVOORT MARITIME SERVICES", "", "");
    let comments = "501,\"; nationality Iran.\"\r\n\
                    777,\"Linked To: SOMETHING GONE.\"\r\n\
                    778,\"Secondary sanctions risk: removed entry.\"\r\n";
    let alt = "501,9001,\"aka\",\"QUARTERMAINE, Otti\",-0- \r\n\
               779,9002,\"aka\",\"FORMER ENTRY\",-0- \r\n";
    let add = "502,9101,\"Dock 4\",\"Rotterdam\",\"Netherlands\",-0- \r\n\
               780,9102,-0- ,\"Tehran\",\"Iran\",-0- \r\n";
    let files = SdnFiles {
        sdn: sdn.as_bytes(),
        alt: Some(alt.as_bytes()),
        add: Some(add.as_bytes()),
        comments: Some(comments.as_bytes()),
    };
    // The strict parser no longer refuses the set: orphans are not malformed records.
    let list = SanctionsList::parse(&files).expect("orphans do not stop screening");
    assert!(list.rejects.is_empty(), "{:?}", list.rejects);
    assert_eq!(list.entries.len(), 2);
    let orphans: Vec<(SdnFile, u64)> = list.orphans.iter().map(|o| (o.file, o.record)).collect();
    assert_eq!(
        orphans,
        vec![
            (SdnFile::Comments, 2),
            (SdnFile::Comments, 3),
            (SdnFile::Alt, 2),
            (SdnFile::Add, 2),
        ]
    );
    let warning = list.orphan_warning().unwrap();
    for needle in [
        "4 row(s)",
        "sdn_comments.csv record 2 (line 2)",
        "ent_num 777",
        "sdn_comments.csv record 3 (line 3)",
        "ent_num 778",
        "alt.csv record 2 (line 2)",
        "ent_num 779",
        "add.csv record 2 (line 2)",
        "ent_num 780",
    ] {
        assert!(
            warning.contains(needle),
            "`{needle}` missing from: {warning}"
        );
    }
    // The rows that do have their entry are applied; screening finds the entry and its alias.
    let q = &list.entries[0];
    assert!(q.remarks.as_deref().unwrap().ends_with("nationality Iran."));
    assert!(q.countries.contains(&"IR".to_string()));
    let index = SanctionsIndex::build(&list);
    let hit = person(&index, "Ottoline Quartermaine", None).unwrap();
    assert_eq!((hit.ent_num, hit.level), (501, MatchLevel::Match));
    let hit = person(&index, "Otti Quartermaine", None).unwrap();
    assert_eq!(hit.ent_num, 501);
    // A set without orphans has no warning.
    let clean = SanctionsList::parse(&SdnFiles {
        sdn: sdn.as_bytes(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(clean.orphan_warning(), None);
}

#[test]
fn a_different_exact_date_of_birth_counts_against_the_match() {
    // The case: listed born 1952-04-19, investor born 1952-11-20 (same year).
    let index = index_of(&sdn_row(
        601,
        "HALVORSEN-OKAFOR, Benedikt Ulrich",
        "individual",
        "DOB 19 Apr 1952; POB Lagos, Nigeria",
    ));
    let name = "Benedikt Halvorsen-Okafor";
    let none = person(&index, name, None).unwrap();
    let same = person(&index, name, Some("1952-04-19")).unwrap();
    let other_day = person(&index, name, Some("1952-11-20")).unwrap();
    let other_year = person(&index, name, Some("1980-01-01")).unwrap();
    assert_eq!(none.level, MatchLevel::Match);
    assert!(same.score > none.score, "{} vs {}", same.score, none.score);
    assert!(
        other_day.score < none.score,
        "a different exact date lowers the score: {} vs {} ({:?})",
        other_day.score,
        none.score,
        other_day.reasons
    );
    assert_ne!(other_day.level, MatchLevel::Match);
    assert!(other_day.dob_conflict);
    assert!(
        other_day
            .reasons
            .iter()
            .any(|r| r.contains("date of birth differs from listed DOB 1952-04-19")),
        "{:?}",
        other_day.reasons
    );
    assert!(!other_day.reasons.iter().any(|r| r.contains("+0.02")));
    assert!(other_year.score < none.score);
}

#[test]
fn a_year_only_listing_supports_a_birth_in_that_year() {
    let index = index_of(&sdn_row(
        602,
        "HALVORSEN-OKAFOR, Benedikt Ulrich",
        "individual",
        "DOB 1952; alt. DOB 03 Jun 1950",
    ));
    let name = "Benedikt Halvorsen-Okafor";
    let none = person(&index, name, None).unwrap();
    let in_year = person(&index, name, Some("1952-11-20")).unwrap();
    assert!(in_year.score > none.score);
    assert!(
        in_year
            .reasons
            .iter()
            .any(|r| r.contains("birth year within listed DOB 1952") && r.contains("(+0.02)")),
        "{:?}",
        in_year.reasons
    );
    assert!(!in_year.dob_conflict);
    // The exact alternate date, matched exactly, supports more.
    let exact = person(&index, name, Some("1950-06-03")).unwrap();
    assert!(exact.score > in_year.score);
    // Neither the year nor the exact date: against.
    let neither = person(&index, name, Some("1950-06-04")).unwrap();
    assert!(neither.score < none.score);
}

#[test]
fn company_names_need_more_than_one_word_and_generic_words_in_common() {
    let index = index_of(
        &(sdn_row(701, "WASHINGTON TRADING LTD", "", "")
            + &sdn_row(702, "KESTREL MERIDIAN CAPITAL LLC", "", "")),
    );
    // One distinctive word in common, the descriptive generic words differ: review at most.
    let hit = entity(&index, "Washington Holdings LLC");
    assert!(
        hit.as_ref()
            .is_none_or(|h| h.level != MatchLevel::Match && h.score < 0.90),
        "{hit:?}"
    );
    if let Some(h) = &hit {
        assert!(
            h.reasons.iter().any(|r| r.contains("HOLDINGS")
                && r.contains("TRADING")
                && r.contains("one distinctive word")),
            "{:?}",
            h.reasons
        );
    }
    assert!(entity(&index, "Washington Capital Inc").is_none_or(|h| h.level != MatchLevel::Match));
    // The same company under another legal form still matches.
    let same = entity(&index, "Washington Trading LLC").unwrap();
    assert_eq!((same.ent_num, same.level), (701, MatchLevel::Match));
    // Two distinctive words in common match whatever the generic words.
    let two = entity(&index, "Kestrel Meridian Holdings").unwrap();
    assert_eq!((two.ent_num, two.level), (702, MatchLevel::Match));
}
