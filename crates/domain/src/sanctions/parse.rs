//! Parser for the OFAC SDN legacy CSV set (`sdn.csv`, `alt.csv`, `add.csv`, `sdn_comments.csv`):
//! no header row, comma separated, `"`-quoted text, records ended by CR, LF or CRLF, the literal
//! `-0-` for null, an optional trailing 0x1A (Ctrl-Z) byte. Bytes that are not UTF-8 are read as
//! Windows-1252/Latin-1 (one byte, one character).

use chrono::NaiveDate;

use super::countries::iso2;

/// Which file of the set a record or error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SdnFile {
    /// `sdn.csv` (12 fields).
    Sdn,
    /// `alt.csv` (5 fields).
    Alt,
    /// `add.csv` (6 fields).
    Add,
    /// `sdn_comments.csv` (2 fields).
    Comments,
}

impl SdnFile {
    /// The file's standard name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sdn => "sdn.csv",
            Self::Alt => "alt.csv",
            Self::Add => "add.csv",
            Self::Comments => "sdn_comments.csv",
        }
    }

    fn fields(&self) -> usize {
        match self {
            Self::Sdn => 12,
            Self::Alt => 5,
            Self::Add => 6,
            Self::Comments => 2,
        }
    }
}

impl std::fmt::Display for SdnFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A record that could not be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdnReject {
    /// File.
    pub file: SdnFile,
    /// 1-based record number in the file.
    pub record: u64,
    /// 1-based line where the record starts.
    pub line: u64,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for SdnReject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} record {} (line {}): {}",
            self.file, self.record, self.line, self.reason
        )
    }
}

/// Why an SDN file set could not be loaded strictly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdnError {
    /// At least one record is malformed; the first one is named.
    #[error("{first}; {count} malformed record(s) in total")]
    Malformed {
        /// The first reject, in file order (sdn, alt, add, comments).
        first: SdnReject,
        /// How many records were rejected in all.
        count: usize,
    },
    /// `sdn.csv` holds no entry at all.
    #[error("sdn.csv holds no entries")]
    Empty,
}

/// The raw bytes of one OFAC legacy CSV set, as read by the caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct SdnFiles<'a> {
    /// `sdn.csv` (required).
    pub sdn: &'a [u8],
    /// `alt.csv`.
    pub alt: Option<&'a [u8]>,
    /// `add.csv`.
    pub add: Option<&'a [u8]>,
    /// `sdn_comments.csv`.
    pub comments: Option<&'a [u8]>,
}

/// Kind of SDN entry (`SDN_Type`; null means an entity).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SdnType {
    /// A natural person.
    Individual,
    /// An entity (company, organisation, ...).
    Entity,
    /// A vessel (not screened against investors).
    Vessel,
    /// An aircraft (not screened against investors).
    Aircraft,
    /// Any other type, kept verbatim (not screened).
    Other(String),
}

impl SdnType {
    /// Lower-case label.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Individual => "individual",
            Self::Entity => "entity",
            Self::Vessel => "vessel",
            Self::Aircraft => "aircraft",
            Self::Other(s) => s.as_str(),
        }
    }
}

/// A date of birth as OFAC states it in remarks: a full date, a month, a year, or a year range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdnDob {
    /// First possible year.
    pub year_from: i32,
    /// Last possible year (= `year_from` unless a range or `circa`).
    pub year_to: i32,
    /// The exact date when stated as `DD Mon YYYY`.
    pub date: Option<NaiveDate>,
}

impl std::fmt::Display for SdnDob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.date, self.year_from == self.year_to) {
            (Some(d), _) => write!(f, "{d}"),
            (None, true) => write!(f, "{}", self.year_from),
            (None, false) => write!(f, "{}-{}", self.year_from, self.year_to),
        }
    }
}

/// Where an alternate name comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasKind {
    /// `alt.csv` row with its alt_type (`aka`, `fka`, `nka`).
    Alt(String),
    /// A weak `a.k.a. '...'` found only in the remarks.
    Remarks,
}

/// An alternate name of an SDN entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdnAlias {
    /// `alt_num` (0 for remarks aliases).
    pub alt_num: i64,
    /// Kind.
    pub kind: AliasKind,
    /// The name as listed.
    pub name: String,
}

/// One SDN entry with its aliases, addresses' countries and remarks facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdnEntry {
    /// `ent_num`.
    pub ent_num: i64,
    /// `SDN_Name`.
    pub name: String,
    /// Entry type.
    pub sdn_type: SdnType,
    /// Programs (`SDGT`, `CYBER2`, ...).
    pub programs: Vec<String>,
    /// Remarks (with `sdn_comments.csv` overflow appended).
    pub remarks: Option<String>,
    /// Aliases (alt.csv, then remarks a.k.a.).
    pub aliases: Vec<SdnAlias>,
    /// Dates of birth from remarks.
    pub dobs: Vec<SdnDob>,
    /// Countries (ISO alpha-2) from nationality / citizen / POB remarks and addresses, sorted.
    pub countries: Vec<String>,
}

/// A parsed SDN list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SanctionsList {
    /// Entries in file order.
    pub entries: Vec<SdnEntry>,
    /// Records that could not be read (wrong field count, bad quoting, a non-numeric or
    /// duplicate `ent_num`, an entry or alias without a name).
    pub rejects: Vec<SdnReject>,
    /// Well-formed comment, alias and address rows whose `ent_num` is not in `sdn.csv`. OFAC's
    /// files are often fetched on different days, so a row can outlive its entry: each orphan
    /// is a warning (see [`SanctionsList::orphan_warning`]), never a reason to stop screening.
    pub orphans: Vec<SdnReject>,
}

/// Decodes file bytes: strips a UTF-8 BOM and trailing Ctrl-Z bytes; UTF-8 or else Latin-1.
fn decode(bytes: &[u8]) -> String {
    let mut b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    while let Some((last, rest)) = b.split_last() {
        if *last == 0x1A {
            b = rest;
        } else {
            break;
        }
    }
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => b.iter().map(|&c| c as char).collect(),
    }
}

fn null(s: &str) -> Option<String> {
    let t = s.trim();
    if t.is_empty() || t == "-0-" {
        None
    } else {
        Some(t.to_string())
    }
}

/// Reads the records of one file, checking field counts; rejects are collected.
fn records(
    file: SdnFile,
    bytes: &[u8],
    rejects: &mut Vec<SdnReject>,
) -> Vec<(u64, u64, Vec<String>)> {
    let text = decode(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut n: u64 = 0;
    loop {
        let line = rdr.position().line();
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                n += 1;
                if record.len() == 1 && record.get(0).is_some_and(|f| f.trim().is_empty()) {
                    n -= 1; // blank line
                    continue;
                }
                // The reader reports a record's position before the previous record's line
                // terminator: step over it to the record's own first line.
                let line = record
                    .position()
                    .map(|p| {
                        let bytes = text.as_bytes();
                        let mut b = usize::try_from(p.byte()).unwrap_or(usize::MAX);
                        let mut l = p.line();
                        while b < bytes.len() && (bytes[b] == b'\r' || bytes[b] == b'\n') {
                            if bytes[b] == b'\n' && b > 0 {
                                l += 1;
                            }
                            b += 1;
                        }
                        l
                    })
                    .unwrap_or(line);
                if record.len() != file.fields() {
                    let raw: String = record.iter().collect::<Vec<_>>().join(",");
                    let shown: String = raw.chars().take(60).collect();
                    rejects.push(SdnReject {
                        file,
                        record: n,
                        line,
                        reason: format!(
                            "expected {} fields, found {} (`{}`)",
                            file.fields(),
                            record.len(),
                            shown
                        ),
                    });
                    continue;
                }
                out.push((n, line, record.iter().map(str::to_string).collect()));
            }
            Err(e) => {
                n += 1;
                rejects.push(SdnReject {
                    file,
                    record: n,
                    line,
                    reason: format!("unreadable CSV: {e}; the rest of the file was not read"),
                });
                // csv errors on a record are not recoverable positionally in a safe way.
                break;
            }
        }
    }
    out
}

fn ent_num(
    file: SdnFile,
    n: u64,
    line: u64,
    s: &str,
    what: &str,
    rejects: &mut Vec<SdnReject>,
) -> Option<i64> {
    match s.trim().parse::<i64>() {
        Ok(v) => Some(v),
        Err(_) => {
            rejects.push(SdnReject {
                file,
                record: n,
                line,
                reason: format!("{what} `{}` is not an integer", s.trim()),
            });
            None
        }
    }
}

impl SanctionsList {
    /// Parses the set leniently: malformed records become [`SanctionsList::rejects`] (reported,
    /// never silently dropped) and the rest is kept.
    pub fn parse_lenient(files: &SdnFiles<'_>) -> Self {
        let mut rejects = Vec::new();
        let mut orphans = Vec::new();
        let mut entries: Vec<SdnEntry> = Vec::new();
        let mut by_num: std::collections::HashMap<i64, usize> = Default::default();
        for (n, line, f) in records(SdnFile::Sdn, files.sdn, &mut rejects) {
            let Some(num) = ent_num(SdnFile::Sdn, n, line, &f[0], "ent_num", &mut rejects) else {
                continue;
            };
            let Some(name) = null(&f[1]) else {
                rejects.push(SdnReject {
                    file: SdnFile::Sdn,
                    record: n,
                    line,
                    reason: format!("entry {num} has no SDN_Name"),
                });
                continue;
            };
            if by_num.contains_key(&num) {
                rejects.push(SdnReject {
                    file: SdnFile::Sdn,
                    record: n,
                    line,
                    reason: format!("duplicate ent_num {num}"),
                });
                continue;
            }
            let sdn_type = match null(&f[2]).map(|s| s.to_ascii_lowercase()) {
                None => SdnType::Entity,
                Some(t) if t == "individual" => SdnType::Individual,
                Some(t) if t == "vessel" => SdnType::Vessel,
                Some(t) if t == "aircraft" => SdnType::Aircraft,
                Some(t) => SdnType::Other(t),
            };
            let programs = null(&f[3])
                .map(|p| {
                    p.split("] [")
                        .map(|s| {
                            s.trim_matches(|c| c == '[' || c == ']' || c == ' ')
                                .to_string()
                        })
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            by_num.insert(num, entries.len());
            entries.push(SdnEntry {
                ent_num: num,
                name,
                sdn_type,
                programs,
                remarks: null(&f[11]),
                aliases: Vec::new(),
                dobs: Vec::new(),
                countries: Vec::new(),
            });
        }
        if let Some(c) = files.comments {
            for (n, line, f) in records(SdnFile::Comments, c, &mut rejects) {
                let Some(num) = ent_num(SdnFile::Comments, n, line, &f[0], "ent_num", &mut rejects)
                else {
                    continue;
                };
                let Some(&i) = by_num.get(&num) else {
                    orphans.push(SdnReject {
                        file: SdnFile::Comments,
                        record: n,
                        line,
                        reason: format!("comment refers to ent_num {num}, which is not in sdn.csv"),
                    });
                    continue;
                };
                if let Some(more) = null(&f[1]) {
                    let r = entries[i].remarks.get_or_insert_with(String::new);
                    r.push_str(&more);
                }
            }
        }
        if let Some(a) = files.alt {
            for (n, line, f) in records(SdnFile::Alt, a, &mut rejects) {
                let Some(num) = ent_num(SdnFile::Alt, n, line, &f[0], "ent_num", &mut rejects)
                else {
                    continue;
                };
                let Some(alt_num) = ent_num(SdnFile::Alt, n, line, &f[1], "alt_num", &mut rejects)
                else {
                    continue;
                };
                let Some(&i) = by_num.get(&num) else {
                    orphans.push(SdnReject {
                        file: SdnFile::Alt,
                        record: n,
                        line,
                        reason: format!(
                            "alias {alt_num} refers to ent_num {num}, which is not in sdn.csv"
                        ),
                    });
                    continue;
                };
                let Some(name) = null(&f[3]) else {
                    rejects.push(SdnReject {
                        file: SdnFile::Alt,
                        record: n,
                        line,
                        reason: format!("alias {alt_num} has no alt_name"),
                    });
                    continue;
                };
                let kind = null(&f[2])
                    .unwrap_or_else(|| "aka".into())
                    .to_ascii_lowercase();
                entries[i].aliases.push(SdnAlias {
                    alt_num,
                    kind: AliasKind::Alt(kind),
                    name,
                });
            }
        }
        if let Some(a) = files.add {
            for (n, line, f) in records(SdnFile::Add, a, &mut rejects) {
                let Some(num) = ent_num(SdnFile::Add, n, line, &f[0], "ent_num", &mut rejects)
                else {
                    continue;
                };
                let Some(&i) = by_num.get(&num) else {
                    orphans.push(SdnReject {
                        file: SdnFile::Add,
                        record: n,
                        line,
                        reason: format!("address refers to ent_num {num}, which is not in sdn.csv"),
                    });
                    continue;
                };
                if let Some(code) = null(&f[4]).and_then(|c| iso2(&c)) {
                    entries[i].countries.push(code.to_string());
                }
            }
        }
        for e in &mut entries {
            if let Some(r) = e.remarks.clone() {
                let facts = parse_remarks(&r);
                e.dobs = facts.dobs;
                e.countries.extend(facts.countries);
                for name in facts.akas {
                    e.aliases.push(SdnAlias {
                        alt_num: 0,
                        kind: AliasKind::Remarks,
                        name,
                    });
                }
            }
            e.countries.sort();
            e.countries.dedup();
        }
        Self {
            entries,
            rejects,
            orphans,
        }
    }

    /// Parses the set strictly: any malformed record is an error naming the file, record number
    /// and reason. Comment, alias and address rows pointing at entries absent from `sdn.csv`
    /// are not errors: they are kept in [`SanctionsList::orphans`] (a warning) and screening
    /// goes on with every entry `sdn.csv` has.
    pub fn parse(files: &SdnFiles<'_>) -> Result<Self, SdnError> {
        let list = Self::parse_lenient(files);
        if let Some(first) = list.rejects.first() {
            return Err(SdnError::Malformed {
                first: first.clone(),
                count: list.rejects.len(),
            });
        }
        if list.entries.is_empty() {
            return Err(SdnError::Empty);
        }
        Ok(list)
    }

    /// One warning naming every orphan row (file, record, line and the missing `ent_num`), or
    /// `None` when there is none.
    pub fn orphan_warning(&self) -> Option<String> {
        if self.orphans.is_empty() {
            return None;
        }
        let listed: Vec<String> = self.orphans.iter().map(ToString::to_string).collect();
        Some(format!(
            "{} row(s) of the OFAC set name entries that sdn.csv does not have (files fetched on different days?); \
             they are set aside and screening goes on with every entry of sdn.csv: {}",
            self.orphans.len(),
            listed.join("; ")
        ))
    }
}

/// Facts extracted from an entry's remarks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemarksFacts {
    /// Dates of birth.
    pub dobs: Vec<SdnDob>,
    /// ISO alpha-2 codes of nationality / citizenship / place-of-birth countries.
    pub countries: Vec<String>,
    /// Weak aliases written as `a.k.a. 'NAME'`.
    pub akas: Vec<String>,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn parse_dob(text: &str) -> Option<SdnDob> {
    // "12 Jan 1960", "Jan 1960", "1960", "circa 1960", "1958 to 1960", "01 Jan 1958 to 31 Dec 1960"
    let words: Vec<&str> = text.split_whitespace().collect();
    let years: Vec<i32> = words
        .iter()
        .filter_map(|w| {
            let w = w.trim_matches(|c: char| !c.is_ascii_digit());
            (w.len() == 4).then(|| w.parse::<i32>().ok()).flatten()
        })
        .collect();
    let first = *years.first()?;
    let last = *years.last()?;
    let circa = text.to_ascii_lowercase().contains("circa");
    let (from, to) = if circa {
        (first - 1, last + 1)
    } else {
        (first.min(last), first.max(last))
    };
    let date = if years.len() == 1 && words.len() == 3 {
        let day = words[0].parse::<u32>().ok();
        let mon = MONTHS
            .iter()
            .position(|m| words[1].to_ascii_lowercase().starts_with(m))
            .map(|p| p as u32 + 1);
        match (day, mon) {
            (Some(d), Some(m)) => NaiveDate::from_ymd_opt(first, m, d),
            _ => None,
        }
    } else {
        None
    };
    Some(SdnDob {
        year_from: from,
        year_to: to,
        date,
    })
}

/// Extracts DOBs, countries and weak aliases from SDN remarks
/// (`DOB 12 Jan 1960; POB Tehran, Iran; nationality Iran; a.k.a. 'X'`).
pub fn parse_remarks(remarks: &str) -> RemarksFacts {
    let mut facts = RemarksFacts::default();
    for part in remarks.split(';') {
        let p = part.trim().trim_end_matches('.');
        let p = p.strip_prefix("alt. ").unwrap_or(p);
        if let Some(d) = p.strip_prefix("DOB ") {
            if let Some(dob) = parse_dob(d) {
                facts.dobs.push(dob);
            }
        } else if let Some(c) = p
            .strip_prefix("nationality ")
            .or_else(|| p.strip_prefix("citizen "))
        {
            if let Some(code) = iso2(c) {
                facts.countries.push(code.to_string());
            }
        } else if let Some(pob) = p.strip_prefix("POB ") {
            if let Some(code) = pob.rsplit(',').next().and_then(iso2) {
                facts.countries.push(code.to_string());
            }
        } else if let Some(a) = p
            .strip_prefix("a.k.a. ")
            .or_else(|| p.strip_prefix("f.k.a. "))
        {
            let name = a.trim().trim_matches('\'').trim();
            if !name.is_empty() {
                facts.akas.push(name.to_string());
            }
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_remarks_facts() {
        let f = parse_remarks(
            "DOB 28 Jul 1963; alt. DOB 1965; DOB circa 1970; DOB 1958 to 1960; POB Toledo District, Belize; nationality Iran; a.k.a. 'BURTON BURGESS'.",
        );
        assert_eq!(f.dobs.len(), 4);
        assert_eq!(f.dobs[0].date, NaiveDate::from_ymd_opt(1963, 7, 28));
        assert_eq!((f.dobs[1].year_from, f.dobs[1].year_to), (1965, 1965));
        assert_eq!((f.dobs[2].year_from, f.dobs[2].year_to), (1969, 1971));
        assert_eq!((f.dobs[3].year_from, f.dobs[3].year_to), (1958, 1960));
        assert_eq!(f.countries, vec!["BZ", "IR"]);
        assert_eq!(f.akas, vec!["BURTON BURGESS"]);
    }

    #[test]
    fn handles_crlf_lf_cr_nulls_and_ctrl_z() {
        let sdn = b"1,\"DOE, John\",\"individual\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 1970.\"\r\n2,\"ACME WIDGETS LTD.\",-0- ,\"IRAN\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r3,\"X\",\"vessel\",\"IRAN\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n\x1A";
        let alt = b"1,10,\"aka\",\"DOE, Johnny\",-0- \r\n";
        let list = SanctionsList::parse(&SdnFiles {
            sdn,
            alt: Some(alt),
            add: None,
            comments: None,
        })
        .unwrap();
        assert_eq!(list.entries.len(), 3);
        assert_eq!(list.entries[0].sdn_type, SdnType::Individual);
        assert_eq!(list.entries[1].sdn_type, SdnType::Entity);
        assert_eq!(list.entries[1].remarks, None);
        assert_eq!(list.entries[2].sdn_type, SdnType::Vessel);
        assert_eq!(list.entries[0].aliases[0].name, "DOE, Johnny");
        assert_eq!(list.entries[0].dobs[0].year_from, 1970);
    }

    #[test]
    fn wrong_field_count_is_a_named_error() {
        let sdn = b"1,\"DOE, John\",\"individual\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n||||\n";
        let err = SanctionsList::parse(&SdnFiles {
            sdn,
            ..Default::default()
        })
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("sdn.csv record 2 (line 2): expected 12 fields, found 1"),
            "{msg}"
        );
    }

    #[test]
    fn latin1_bytes_are_decoded() {
        let sdn = b"1,\"M\xDCLLER, J\xFCrgen\",\"individual\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n";
        let list = SanctionsList::parse(&SdnFiles {
            sdn,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(list.entries[0].name, "MÜLLER, Jürgen");
    }
}
