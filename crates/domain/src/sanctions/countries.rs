//! Country names as OFAC writes them (remarks `nationality`, `citizen`, `POB`; add.csv `Country`)
//! mapped to ISO 3166 alpha-2 codes, for corroboration against investor countries. Names not in
//! the table keep no code and never corroborate.

/// (folded lower-case name, ISO alpha-2).
const COUNTRIES: &[(&str, &str)] = &[
    ("afghanistan", "AF"),
    ("albania", "AL"),
    ("algeria", "DZ"),
    ("angola", "AO"),
    ("argentina", "AR"),
    ("armenia", "AM"),
    ("australia", "AU"),
    ("austria", "AT"),
    ("azerbaijan", "AZ"),
    ("bahamas", "BS"),
    ("bahrain", "BH"),
    ("bangladesh", "BD"),
    ("belarus", "BY"),
    ("belgium", "BE"),
    ("belize", "BZ"),
    ("bolivia", "BO"),
    ("bosnia and herzegovina", "BA"),
    ("brazil", "BR"),
    ("bulgaria", "BG"),
    ("burma", "MM"),
    ("myanmar", "MM"),
    ("burundi", "BI"),
    ("cambodia", "KH"),
    ("canada", "CA"),
    ("central african republic", "CF"),
    ("chile", "CL"),
    ("china", "CN"),
    ("colombia", "CO"),
    ("congo democratic republic of the", "CD"),
    ("costa rica", "CR"),
    ("croatia", "HR"),
    ("cuba", "CU"),
    ("cyprus", "CY"),
    ("czech republic", "CZ"),
    ("czechia", "CZ"),
    ("denmark", "DK"),
    ("dominican republic", "DO"),
    ("ecuador", "EC"),
    ("egypt", "EG"),
    ("el salvador", "SV"),
    ("eritrea", "ER"),
    ("estonia", "EE"),
    ("ethiopia", "ET"),
    ("finland", "FI"),
    ("france", "FR"),
    ("gabon", "GA"),
    ("georgia", "GE"),
    ("germany", "DE"),
    ("ghana", "GH"),
    ("greece", "GR"),
    ("guatemala", "GT"),
    ("haiti", "HT"),
    ("honduras", "HN"),
    ("hong kong", "HK"),
    ("hungary", "HU"),
    ("india", "IN"),
    ("indonesia", "ID"),
    ("iran", "IR"),
    ("iraq", "IQ"),
    ("ireland", "IE"),
    ("israel", "IL"),
    ("italy", "IT"),
    ("japan", "JP"),
    ("jordan", "JO"),
    ("kazakhstan", "KZ"),
    ("kenya", "KE"),
    ("korea north", "KP"),
    ("north korea", "KP"),
    ("korea south", "KR"),
    ("south korea", "KR"),
    ("kosovo", "XK"),
    ("kuwait", "KW"),
    ("kyrgyzstan", "KG"),
    ("laos", "LA"),
    ("latvia", "LV"),
    ("lebanon", "LB"),
    ("liberia", "LR"),
    ("libya", "LY"),
    ("liechtenstein", "LI"),
    ("lithuania", "LT"),
    ("luxembourg", "LU"),
    ("macau", "MO"),
    ("malaysia", "MY"),
    ("mali", "ML"),
    ("malta", "MT"),
    ("marshall islands", "MH"),
    ("mexico", "MX"),
    ("moldova", "MD"),
    ("mongolia", "MN"),
    ("montenegro", "ME"),
    ("morocco", "MA"),
    ("mozambique", "MZ"),
    ("netherlands", "NL"),
    ("new zealand", "NZ"),
    ("nicaragua", "NI"),
    ("niger", "NE"),
    ("nigeria", "NG"),
    ("north macedonia", "MK"),
    ("norway", "NO"),
    ("oman", "OM"),
    ("pakistan", "PK"),
    ("palestinian", "PS"),
    ("west bank", "PS"),
    ("panama", "PA"),
    ("paraguay", "PY"),
    ("peru", "PE"),
    ("philippines", "PH"),
    ("poland", "PL"),
    ("portugal", "PT"),
    ("qatar", "QA"),
    ("romania", "RO"),
    ("russia", "RU"),
    ("russian federation", "RU"),
    ("rwanda", "RW"),
    ("saudi arabia", "SA"),
    ("senegal", "SN"),
    ("serbia", "RS"),
    ("seychelles", "SC"),
    ("sierra leone", "SL"),
    ("singapore", "SG"),
    ("slovakia", "SK"),
    ("slovenia", "SI"),
    ("somalia", "SO"),
    ("south africa", "ZA"),
    ("south sudan", "SS"),
    ("spain", "ES"),
    ("sri lanka", "LK"),
    ("sudan", "SD"),
    ("sweden", "SE"),
    ("switzerland", "CH"),
    ("syria", "SY"),
    ("taiwan", "TW"),
    ("tajikistan", "TJ"),
    ("tanzania", "TZ"),
    ("thailand", "TH"),
    ("tunisia", "TN"),
    ("turkey", "TR"),
    ("turkiye", "TR"),
    ("turkmenistan", "TM"),
    ("uganda", "UG"),
    ("ukraine", "UA"),
    ("united arab emirates", "AE"),
    ("united kingdom", "GB"),
    ("united states", "US"),
    ("uruguay", "UY"),
    ("uzbekistan", "UZ"),
    ("venezuela", "VE"),
    ("vietnam", "VN"),
    ("yemen", "YE"),
    ("zambia", "ZM"),
    ("zimbabwe", "ZW"),
    ("cook islands", "CK"),
    ("british virgin islands", "VG"),
    ("virgin islands british", "VG"),
    ("cayman islands", "KY"),
];

/// The ISO alpha-2 code of a country as OFAC names it (`Iran`, `Russia`, `Korea, North`), or
/// `None` when unknown. Two-letter inputs are taken as codes already.
pub fn iso2(name: &str) -> Option<&'static str> {
    // The one country normaliser first (ISO codes, names and variants such as `USA`); the OFAC
    // spellings below cover what it does not.
    if let Some(code) = crate::countries::normalize_country(name) {
        return Some(code);
    }
    let folded = super::normalize::fold(name);
    if folded.is_empty() {
        return None;
    }
    if folded.len() == 2 {
        let up = folded.to_ascii_uppercase();
        return COUNTRIES.iter().map(|(_, c)| *c).find(|c| *c == up);
    }
    COUNTRIES
        .iter()
        .find(|(n, _)| *n == folded)
        .map(|(_, c)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_ofac_country_names() {
        assert_eq!(iso2("Iran"), Some("IR"));
        assert_eq!(iso2("Korea, North"), Some("KP"));
        assert_eq!(iso2("Russia"), Some("RU"));
        assert_eq!(iso2("us"), Some("US"));
        assert_eq!(iso2("Atlantis"), None);
    }
}
