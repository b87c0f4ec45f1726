//! The one country normaliser every rule uses: ISO 3166-1 alpha-2 and alpha-3 codes, English
//! short names and the common variants people type (`USA`, `U.S.`, `United States of America`,
//! `UK`, `South Korea`, `Côte d'Ivoire`, ...) all map to the alpha-2 code. Matching folds case,
//! accents, dots and punctuation, and a leading "the"; anything else is not guessed.

use std::collections::HashMap;
use std::sync::OnceLock;

/// `alpha-2|alpha-3|English name|variant;variant...` for every ISO 3166-1 entry.
const TABLE: &str = "\
AF|AFG|Afghanistan|
AX|ALA|Aland Islands|
AL|ALB|Albania|
DZ|DZA|Algeria|
AS|ASM|American Samoa|
AD|AND|Andorra|
AO|AGO|Angola|
AI|AIA|Anguilla|
AQ|ATA|Antarctica|
AG|ATG|Antigua and Barbuda|
AR|ARG|Argentina|
AM|ARM|Armenia|
AW|ABW|Aruba|
AU|AUS|Australia|
AT|AUT|Austria|
AZ|AZE|Azerbaijan|
BS|BHS|Bahamas|
BH|BHR|Bahrain|
BD|BGD|Bangladesh|
BB|BRB|Barbados|
BY|BLR|Belarus|
BE|BEL|Belgium|
BZ|BLZ|Belize|
BJ|BEN|Benin|
BM|BMU|Bermuda|
BT|BTN|Bhutan|
BO|BOL|Bolivia|Bolivia Plurinational State of;Plurinational State of Bolivia
BQ|BES|Bonaire Sint Eustatius and Saba|Caribbean Netherlands
BA|BIH|Bosnia and Herzegovina|Bosnia
BW|BWA|Botswana|
BV|BVT|Bouvet Island|
BR|BRA|Brazil|Brasil
IO|IOT|British Indian Ocean Territory|
BN|BRN|Brunei Darussalam|Brunei
BG|BGR|Bulgaria|
BF|BFA|Burkina Faso|
BI|BDI|Burundi|
CV|CPV|Cabo Verde|Cape Verde
KH|KHM|Cambodia|
CM|CMR|Cameroon|
CA|CAN|Canada|
KY|CYM|Cayman Islands|
CF|CAF|Central African Republic|
TD|TCD|Chad|
CL|CHL|Chile|
CN|CHN|China|People's Republic of China;PRC;Mainland China
CX|CXR|Christmas Island|
CC|CCK|Cocos Keeling Islands|Cocos Islands
CO|COL|Colombia|
KM|COM|Comoros|
CG|COG|Congo|Republic of the Congo;Congo Brazzaville;Congo Republic
CD|COD|Congo Democratic Republic of the|Democratic Republic of the Congo;DR Congo;DRC;Congo Kinshasa;Zaire
CK|COK|Cook Islands|
CR|CRI|Costa Rica|
CI|CIV|Cote d'Ivoire|Ivory Coast
HR|HRV|Croatia|
CU|CUB|Cuba|
CW|CUW|Curacao|
CY|CYP|Cyprus|
CZ|CZE|Czechia|Czech Republic
DK|DNK|Denmark|
DJ|DJI|Djibouti|
DM|DMA|Dominica|
DO|DOM|Dominican Republic|
EC|ECU|Ecuador|
EG|EGY|Egypt|
SV|SLV|El Salvador|
GQ|GNQ|Equatorial Guinea|
ER|ERI|Eritrea|
EE|EST|Estonia|
SZ|SWZ|Eswatini|Swaziland
ET|ETH|Ethiopia|
FK|FLK|Falkland Islands|Falkland Islands Malvinas
FO|FRO|Faroe Islands|
FJ|FJI|Fiji|
FI|FIN|Finland|
FR|FRA|France|
GF|GUF|French Guiana|
PF|PYF|French Polynesia|
TF|ATF|French Southern Territories|
GA|GAB|Gabon|
GM|GMB|Gambia|
GE|GEO|Georgia|
DE|DEU|Germany|Deutschland
GH|GHA|Ghana|
GI|GIB|Gibraltar|
GR|GRC|Greece|
GL|GRL|Greenland|
GD|GRD|Grenada|
GP|GLP|Guadeloupe|
GU|GUM|Guam|
GT|GTM|Guatemala|
GG|GGY|Guernsey|
GN|GIN|Guinea|
GW|GNB|Guinea-Bissau|
GY|GUY|Guyana|
HT|HTI|Haiti|
HM|HMD|Heard Island and McDonald Islands|
VA|VAT|Holy See|Vatican;Vatican City;Vatican City State
HN|HND|Honduras|
HK|HKG|Hong Kong|
HU|HUN|Hungary|
IS|ISL|Iceland|
IN|IND|India|
ID|IDN|Indonesia|
IR|IRN|Iran|Iran Islamic Republic of;Islamic Republic of Iran
IQ|IRQ|Iraq|
IE|IRL|Ireland|Republic of Ireland
IM|IMN|Isle of Man|
IL|ISR|Israel|
IT|ITA|Italy|
JM|JAM|Jamaica|
JP|JPN|Japan|
JE|JEY|Jersey|
JO|JOR|Jordan|
KZ|KAZ|Kazakhstan|
KE|KEN|Kenya|
KI|KIR|Kiribati|
KP|PRK|North Korea|Korea Democratic People's Republic of;Democratic People's Republic of Korea;Korea North;DPRK
KR|KOR|South Korea|Korea Republic of;Republic of Korea;Korea South;Korea
KW|KWT|Kuwait|
KG|KGZ|Kyrgyzstan|Kyrgyz Republic
LA|LAO|Laos|Lao People's Democratic Republic;Lao PDR
LV|LVA|Latvia|
LB|LBN|Lebanon|
LS|LSO|Lesotho|
LR|LBR|Liberia|
LY|LBY|Libya|
LI|LIE|Liechtenstein|
LT|LTU|Lithuania|
LU|LUX|Luxembourg|
MO|MAC|Macao|Macau
MG|MDG|Madagascar|
MW|MWI|Malawi|
MY|MYS|Malaysia|
MV|MDV|Maldives|
ML|MLI|Mali|
MT|MLT|Malta|
MH|MHL|Marshall Islands|
MQ|MTQ|Martinique|
MR|MRT|Mauritania|
MU|MUS|Mauritius|
YT|MYT|Mayotte|
MX|MEX|Mexico|
FM|FSM|Micronesia|Micronesia Federated States of;Federated States of Micronesia
MD|MDA|Moldova|Moldova Republic of;Republic of Moldova
MC|MCO|Monaco|
MN|MNG|Mongolia|
ME|MNE|Montenegro|
MS|MSR|Montserrat|
MA|MAR|Morocco|
MZ|MOZ|Mozambique|
MM|MMR|Myanmar|Burma
NA|NAM|Namibia|
NR|NRU|Nauru|
NP|NPL|Nepal|
NL|NLD|Netherlands|Holland;Kingdom of the Netherlands;Nederland
NC|NCL|New Caledonia|
NZ|NZL|New Zealand|
NI|NIC|Nicaragua|
NE|NER|Niger|
NG|NGA|Nigeria|
NU|NIU|Niue|
NF|NFK|Norfolk Island|
MK|MKD|North Macedonia|Macedonia;Republic of North Macedonia
MP|MNP|Northern Mariana Islands|
NO|NOR|Norway|
OM|OMN|Oman|
PK|PAK|Pakistan|
PW|PLW|Palau|
PS|PSE|Palestine|Palestine State of;State of Palestine;Palestinian Territories
PA|PAN|Panama|
PG|PNG|Papua New Guinea|
PY|PRY|Paraguay|
PE|PER|Peru|
PH|PHL|Philippines|
PN|PCN|Pitcairn|Pitcairn Islands
PL|POL|Poland|
PT|PRT|Portugal|
PR|PRI|Puerto Rico|
QA|QAT|Qatar|
RE|REU|Reunion|
RO|ROU|Romania|
RU|RUS|Russia|Russian Federation
RW|RWA|Rwanda|
BL|BLM|Saint Barthelemy|
SH|SHN|Saint Helena Ascension and Tristan da Cunha|Saint Helena
KN|KNA|Saint Kitts and Nevis|St Kitts and Nevis
LC|LCA|Saint Lucia|St Lucia
MF|MAF|Saint Martin|Saint Martin French part
PM|SPM|Saint Pierre and Miquelon|
VC|VCT|Saint Vincent and the Grenadines|St Vincent and the Grenadines
WS|WSM|Samoa|
SM|SMR|San Marino|
ST|STP|Sao Tome and Principe|
SA|SAU|Saudi Arabia|
SN|SEN|Senegal|
RS|SRB|Serbia|
SC|SYC|Seychelles|
SL|SLE|Sierra Leone|
SG|SGP|Singapore|
SX|SXM|Sint Maarten|Sint Maarten Dutch part
SK|SVK|Slovakia|Slovak Republic
SI|SVN|Slovenia|
SB|SLB|Solomon Islands|
SO|SOM|Somalia|
ZA|ZAF|South Africa|
GS|SGS|South Georgia and the South Sandwich Islands|
SS|SSD|South Sudan|
ES|ESP|Spain|Espana
LK|LKA|Sri Lanka|
SD|SDN|Sudan|
SR|SUR|Suriname|
SJ|SJM|Svalbard and Jan Mayen|
SE|SWE|Sweden|
CH|CHE|Switzerland|Schweiz;Suisse
SY|SYR|Syria|Syrian Arab Republic
TW|TWN|Taiwan|Taiwan Province of China;Republic of China
TJ|TJK|Tajikistan|
TZ|TZA|Tanzania|Tanzania United Republic of;United Republic of Tanzania
TH|THA|Thailand|
TL|TLS|Timor-Leste|East Timor
TG|TGO|Togo|
TK|TKL|Tokelau|
TO|TON|Tonga|
TT|TTO|Trinidad and Tobago|
TN|TUN|Tunisia|
TR|TUR|Turkiye|Turkey
TM|TKM|Turkmenistan|
TC|TCA|Turks and Caicos Islands|
TV|TUV|Tuvalu|
UG|UGA|Uganda|
UA|UKR|Ukraine|
AE|ARE|United Arab Emirates|UAE;Emirates
GB|GBR|United Kingdom|United Kingdom of Great Britain and Northern Ireland;UK;Great Britain;Britain;England;Scotland;Wales;Northern Ireland
US|USA|United States|United States of America;US of A;America;U S A
UM|UMI|United States Minor Outlying Islands|
UY|URY|Uruguay|
UZ|UZB|Uzbekistan|
VU|VUT|Vanuatu|
VE|VEN|Venezuela|Venezuela Bolivarian Republic of;Bolivarian Republic of Venezuela
VN|VNM|Viet Nam|Vietnam
VG|VGB|British Virgin Islands|Virgin Islands British
VI|VIR|US Virgin Islands|Virgin Islands US;United States Virgin Islands
WF|WLF|Wallis and Futuna|
EH|ESH|Western Sahara|
YE|YEM|Yemen|
ZM|ZMB|Zambia|
ZW|ZWE|Zimbabwe|
XK|XKX|Kosovo|
";

/// Folds a country string for matching: accents removed, lower case, dots and apostrophes
/// dropped (`U.S.` → `us`, `Cote d'Ivoire` → `cote divoire`), other punctuation as spaces,
/// spaces collapsed, a leading `the ` dropped.
fn fold(s: &str) -> String {
    let ascii = deunicode::deunicode(s.trim());
    let mut out = String::with_capacity(ascii.len());
    let mut space = false;
    for c in ascii.chars() {
        if c == '.' || c == '\'' || c == '\u{2019}' {
            continue;
        }
        if c.is_ascii_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c.to_ascii_lowercase());
        } else {
            space = true;
        }
    }
    match out.strip_prefix("the ") {
        Some(rest) => rest.to_string(),
        None => out,
    }
}

fn index() -> &'static HashMap<String, &'static str> {
    static INDEX: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut m = HashMap::new();
        for line in TABLE.lines().filter(|l| !l.is_empty()) {
            let mut parts = line.split('|');
            let (Some(a2), Some(a3), Some(name)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let variants = parts.next().unwrap_or("");
            for key in [a2, a3, name]
                .into_iter()
                .chain(variants.split(';').filter(|v| !v.is_empty()))
            {
                m.entry(fold(key)).or_insert(a2);
            }
        }
        m
    })
}

/// The ISO 3166-1 alpha-2 code for a country as written (`US`, `usa`, `U.S.`, `United States of
/// America`, `Canada`, `CAN`, `ca`), or `None` when it is empty or not recognised.
pub fn normalize_country(s: &str) -> Option<&'static str> {
    let f = fold(s);
    if f.is_empty() {
        return None;
    }
    index().get(&f).copied()
}

/// A country value as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Country<'a> {
    /// Nothing stated.
    Missing,
    /// Recognised: the ISO alpha-2 code.
    Known(&'static str),
    /// Stated but not recognised (kept verbatim, trimmed).
    Unrecognised(&'a str),
}

impl<'a> Country<'a> {
    /// Classifies an optional country value.
    pub fn of(s: Option<&'a str>) -> Self {
        match s.map(str::trim).filter(|s| !s.is_empty()) {
            None => Self::Missing,
            Some(t) => match normalize_country(t) {
                Some(c) => Self::Known(c),
                None => Self::Unrecognised(t),
            },
        }
    }

    /// The alpha-2 code when recognised.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::Known(c) => Some(c),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn united_states_in_every_spelling() {
        for s in [
            "US",
            "us",
            "USA",
            "U.S.",
            "U.S.A.",
            "United States",
            "united states of america",
            "The United States",
            " u.s. ",
        ] {
            assert_eq!(normalize_country(s), Some("US"), "{s}");
        }
    }

    #[test]
    fn codes_names_and_variants() {
        assert_eq!(normalize_country("Canada"), Some("CA"));
        assert_eq!(normalize_country("CA"), Some("CA"));
        assert_eq!(normalize_country("CAN"), Some("CA"));
        assert_eq!(normalize_country("Côte d’Ivoire"), Some("CI"));
        assert_eq!(normalize_country("Korea, Republic of"), Some("KR"));
        assert_eq!(normalize_country("north korea"), Some("KP"));
        assert_eq!(normalize_country("UK"), Some("GB"));
        assert_eq!(normalize_country("GBR"), Some("GB"));
        assert_eq!(normalize_country("Great Britain"), Some("GB"));
        assert_eq!(normalize_country("Deutschland"), Some("DE"));
        assert_eq!(normalize_country("Türkiye"), Some("TR"));
        assert_eq!(normalize_country("Atlantis"), None);
        assert_eq!(normalize_country(""), None);
        assert_eq!(Country::of(Some("  ")), Country::Missing);
        assert_eq!(
            Country::of(Some("Atlantis")),
            Country::Unrecognised("Atlantis")
        );
    }

    #[test]
    fn every_alpha2_and_alpha3_maps_to_itself() {
        for line in TABLE.lines().filter(|l| !l.is_empty()) {
            let p: Vec<&str> = line.split('|').collect();
            assert_eq!(normalize_country(p[0]), Some(p[0]), "{line}");
            assert_eq!(normalize_country(p[1]), Some(p[0]), "{line}");
            assert_eq!(normalize_country(p[2]), Some(p[0]), "{line}");
        }
    }
}
