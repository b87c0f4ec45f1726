//! Name, place and company pools. Investor names are international on purpose (accents, Cyrillic,
//! Greek, Vietnamese) but stay within scripts the report font covers (no CJK or Arabic).

/// One naming culture: first names (with a female flag), family names (male, female form), and
/// the countries its investors live in when they are not US residents.
pub(crate) struct Pool {
    pub firsts: &'static [(&'static str, bool)],
    pub lasts: &'static [(&'static str, &'static str)],
    pub countries: &'static [&'static str],
}

pub(crate) const ANGLO: Pool = Pool {
    firsts: &[
        ("James", false),
        ("Mary", true),
        ("Robert", false),
        ("Patricia", true),
        ("John", false),
        ("Jennifer", true),
        ("Michael", false),
        ("Linda", true),
        ("David", false),
        ("Elizabeth", true),
        ("William", false),
        ("Barbara", true),
        ("Richard", false),
        ("Susan", true),
        ("Joseph", false),
        ("Jessica", true),
        ("Thomas", false),
        ("Sarah", true),
        ("Christopher", false),
        ("Karen", true),
        ("Daniel", false),
        ("Emily", true),
        ("Matthew", false),
        ("Ashley", true),
        ("Anthony", false),
        ("Olivia", true),
        ("Mark", false),
        ("Sophia", true),
        ("Steven", false),
        ("Rebecca", true),
        ("Kevin", false),
        ("Laura", true),
        ("Brian", false),
        ("Megan", true),
        ("Jonathan", false),
        ("Hannah", true),
        ("Marcus", false),
        ("Grace", true),
        ("Terrence", false),
        ("Kimberly", true),
    ],
    lasts: &[
        ("Smith", "Smith"),
        ("Johnson", "Johnson"),
        ("Williams", "Williams"),
        ("Brown", "Brown"),
        ("Jones", "Jones"),
        ("Miller", "Miller"),
        ("Davis", "Davis"),
        ("Wilson", "Wilson"),
        ("Anderson", "Anderson"),
        ("Taylor", "Taylor"),
        ("Moore", "Moore"),
        ("Jackson", "Jackson"),
        ("Martin", "Martin"),
        ("Lee", "Lee"),
        ("Thompson", "Thompson"),
        ("White", "White"),
        ("Harris", "Harris"),
        ("Clark", "Clark"),
        ("Lewis", "Lewis"),
        ("Robinson", "Robinson"),
        ("Walker", "Walker"),
        ("Young", "Young"),
        ("Allen", "Allen"),
        ("King", "King"),
        ("O'Brien", "O'Brien"),
        ("McAllister", "McAllister"),
        ("Fitzgerald", "Fitzgerald"),
        ("Washington", "Washington"),
        ("Patel", "Patel"),
        ("Kim", "Kim"),
        ("Okafor", "Okafor"),
        ("Goldberg", "Goldberg"),
        ("Sullivan", "Sullivan"),
        ("Bennett", "Bennett"),
        ("Van der Berg", "Van der Berg"),
        ("St. Clair", "St. Clair"),
    ],
    countries: &["GB", "CA", "AU", "IE", "NZ"],
};

pub(crate) const ACCENTED: Pool = Pool {
    firsts: &[
        ("José", false),
        ("Zoë", true),
        ("Łukasz", false),
        ("François", false),
        ("Søren", false),
        ("Anaïs", true),
        ("Björn", false),
        ("Inés", true),
        ("Jürgen", false),
        ("Małgorzata", true),
        ("Renée", true),
        ("Ömer", false),
        ("Çağla", true),
        ("Žofie", true),
        ("Ángel", false),
        ("Noémie", true),
        ("Håkon", false),
        ("Stéphane", false),
        ("Dóra", true),
        ("Tomáš", false),
        ("João", false),
        ("Chloé", true),
        ("Maël", false),
        ("Agnès", true),
        ("Mátyás", false),
        ("Ingrið", true),
        ("Raúl", false),
        ("Élodie", true),
        ("Jiří", false),
        ("Åsa", true),
    ],
    lasts: &[
        ("Müller", "Müller"),
        ("Ångström", "Ångström"),
        ("Nuñez", "Nuñez"),
        ("Gonçalves", "Gonçalves"),
        ("Dvořák", "Dvořáková"),
        ("Kovačević", "Kovačević"),
        ("Öztürk", "Öztürk"),
        ("Søndergaard", "Søndergaard"),
        ("Lefèvre", "Lefèvre"),
        ("Rodríguez", "Rodríguez"),
        ("Schäfer", "Schäfer"),
        ("Weiß", "Weiß"),
        ("García", "García"),
        ("Jäger", "Jäger"),
        ("Håland", "Håland"),
        ("Szabó", "Szabó"),
        ("Wójcik", "Wójcik"),
        ("Peña", "Peña"),
        ("Löfgren", "Löfgren"),
        ("Brontë", "Brontë"),
        ("Dubois-Lemaître", "Dubois-Lemaître"),
        ("Fernández", "Fernández"),
        ("Nowak", "Nowak"),
        ("Horváth", "Horváth"),
    ],
    countries: &[
        "DE", "FR", "ES", "SE", "PL", "CZ", "PT", "BR", "MX", "NO", "DK", "HU", "TR", "CH",
    ],
};

pub(crate) const VIETNAMESE: Pool = Pool {
    firsts: &[
        ("Thị Hương", true),
        ("Văn Minh", false),
        ("Quốc Anh", false),
        ("Thu Trang", true),
        ("Đức Huy", false),
        ("Ngọc Mai", true),
        ("Thành Long", false),
        ("Bảo Châu", true),
        ("Hữu Phước", false),
        ("Khánh Linh", true),
    ],
    lasts: &[
        ("Đặng", "Đặng"),
        ("Nguyễn", "Nguyễn"),
        ("Trần", "Trần"),
        ("Lê", "Lê"),
        ("Phạm", "Phạm"),
        ("Hoàng", "Hoàng"),
        ("Vũ", "Vũ"),
        ("Bùi", "Bùi"),
        ("Đỗ", "Đỗ"),
        ("Huỳnh", "Huỳnh"),
    ],
    countries: &["VN", "SG"],
};

pub(crate) const CYRILLIC: Pool = Pool {
    firsts: &[
        ("Дмитрий", false),
        ("Анна", true),
        ("Сергей", false),
        ("Ольга", true),
        ("Олександр", false),
        ("Оксана", true),
        ("Богдан", false),
        ("Наталія", true),
        ("Тарас", false),
        ("Ірина", true),
        ("Никола", false),
        ("Милена", true),
    ],
    lasts: &[
        ("Коваленко", "Коваленко"),
        ("Шевченко", "Шевченко"),
        ("Бондаренко", "Бондаренко"),
        ("Ткаченко", "Ткаченко"),
        ("Мельник", "Мельник"),
        ("Бойко", "Бойко"),
        ("Кравчук", "Кравчук"),
        ("Іванов", "Іванова"),
        ("Петров", "Петрова"),
        ("Йовановић", "Йовановић"),
        ("Смирнов", "Смирнова"),
        ("Лисенко", "Лисенко"),
    ],
    countries: &["UA", "KZ", "RS", "BG"],
};

pub(crate) const GREEK: Pool = Pool {
    firsts: &[
        ("Γιώργος", false),
        ("Μαρία", true),
        ("Νίκος", false),
        ("Ελένη", true),
        ("Δημήτρης", false),
        ("Κατερίνα", true),
        ("Κώστας", false),
        ("Σοφία", true),
        ("Αλέξανδρος", false),
        ("Δέσποινα", true),
    ],
    lasts: &[
        ("Παπαδόπουλος", "Παπαδοπούλου"),
        ("Οικονόμου", "Οικονόμου"),
        ("Γεωργίου", "Γεωργίου"),
        ("Νικολάου", "Νικολάου"),
        ("Αντωνίου", "Αντωνίου"),
        ("Καραγιάννης", "Καραγιάννη"),
        ("Βασιλείου", "Βασιλείου"),
        ("Μακρής", "Μακρή"),
    ],
    countries: &["GR", "CY"],
};

/// US cities with state and a ZIP prefix.
pub(crate) const US_CITIES: &[(&str, &str, &str)] = &[
    ("New York", "NY", "100"),
    ("Brooklyn", "NY", "112"),
    ("Los Angeles", "CA", "900"),
    ("San Francisco", "CA", "941"),
    ("San Diego", "CA", "921"),
    ("Chicago", "IL", "606"),
    ("Houston", "TX", "770"),
    ("Austin", "TX", "787"),
    ("Dallas", "TX", "752"),
    ("Phoenix", "AZ", "850"),
    ("Philadelphia", "PA", "191"),
    ("Seattle", "WA", "981"),
    ("Denver", "CO", "802"),
    ("Boston", "MA", "021"),
    ("Miami", "FL", "331"),
    ("Tampa", "FL", "336"),
    ("Atlanta", "GA", "303"),
    ("Nashville", "TN", "372"),
    ("Portland", "OR", "972"),
    ("Minneapolis", "MN", "554"),
    ("Charlotte", "NC", "282"),
    ("Salt Lake City", "UT", "841"),
    ("Columbus", "OH", "432"),
    ("Detroit", "MI", "482"),
    ("Las Vegas", "NV", "891"),
    ("Honolulu", "HI", "968"),
    ("Anchorage", "AK", "995"),
    ("Albuquerque", "NM", "871"),
    ("Boise", "ID", "837"),
    ("Birmingham", "AL", "352"),
];

/// Street names (US style).
pub(crate) const STREETS: &[&str] = &[
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Cedar Ln",
    "Pine St",
    "Elm St",
    "Washington Blvd",
    "Lakeview Rd",
    "Sunset Blvd",
    "Park Ave",
    "Highland Ave",
    "Broadway",
    "Market St",
    "Riverside Dr",
    "Mission St",
    "Peachtree Rd NE",
    "Colfax Ave",
    "Congress Ave",
];

/// A foreign city, region and postal code for a country.
pub(crate) fn foreign_place(country: &str, pick: u64) -> (&'static str, &'static str, String) {
    let opts: &[(&str, &str)] = match country {
        "GB" => &[
            ("London", "England"),
            ("Manchester", "England"),
            ("Edinburgh", "Scotland"),
        ],
        "CA" => &[("Toronto", "ON"), ("Montréal", "QC"), ("Vancouver", "BC")],
        "AU" => &[("Sydney", "NSW"), ("Melbourne", "VIC")],
        "IE" => &[("Dublin", "Leinster"), ("Cork", "Munster")],
        "NZ" => &[("Auckland", "Auckland"), ("Wellington", "Wellington")],
        "DE" => &[
            ("München", "Bayern"),
            ("Köln", "Nordrhein-Westfalen"),
            ("Berlin", "Berlin"),
        ],
        "FR" => &[("Paris", "Île-de-France"), ("Lyon", "Auvergne-Rhône-Alpes")],
        "ES" => &[("Málaga", "Andalucía"), ("Madrid", "Madrid")],
        "SE" => &[("Göteborg", "Västra Götaland"), ("Stockholm", "Stockholm")],
        "PL" => &[("Kraków", "Małopolskie"), ("Łódź", "Łódzkie")],
        "CZ" => &[("Praha", "Praha"), ("Brno", "Jihomoravský kraj")],
        "PT" => &[("Lisboa", "Lisboa"), ("Porto", "Porto")],
        "BR" => &[("São Paulo", "SP"), ("Florianópolis", "SC")],
        "MX" => &[("Ciudad de México", "CDMX"), ("Mérida", "Yucatán")],
        "NO" => &[("Tromsø", "Troms"), ("Oslo", "Oslo")],
        "DK" => &[("København", "Hovedstaden"), ("Århus", "Midtjylland")],
        "HU" => &[("Budapest", "Budapest"), ("Pécs", "Baranya")],
        "TR" => &[("İstanbul", "İstanbul"), ("İzmir", "İzmir")],
        "CH" => &[("Zürich", "ZH"), ("Genève", "GE")],
        "VN" => &[("Hà Nội", "Hà Nội"), ("Đà Nẵng", "Đà Nẵng")],
        "SG" => &[("Singapore", "Central")],
        "UA" => &[("Київ", "Київ"), ("Львів", "Львівська")],
        "KZ" => &[("Алматы", "Алматы"), ("Астана", "Астана")],
        "RS" => &[("Београд", "Београд"), ("Нови Сад", "Војводина")],
        "BG" => &[("София", "София"), ("Пловдив", "Пловдив")],
        "GR" => &[("Αθήνα", "Αττική"), ("Θεσσαλονίκη", "Κεντρική Μακεδονία")],
        "CY" => &[("Λευκωσία", "Λευκωσία"), ("Λεμεσός", "Λεμεσός")],
        "RU" => &[("Москва", "Москва"), ("Казань", "Татарстан")],
        "AE" => &[("Dubai", "Dubai")],
        _ => &[("Capital City", "")],
    };
    let (city, region) = opts[(pick as usize) % opts.len()];
    (city, region, format!("{:05}", 10000 + (pick % 89999)))
}

/// Citizenship label for a country code.
pub(crate) fn citizenship(country: &str) -> &'static str {
    match country {
        "US" => "United States",
        "GB" => "United Kingdom",
        "CA" => "Canada",
        "AU" => "Australia",
        "IE" => "Ireland",
        "NZ" => "New Zealand",
        "DE" => "Germany",
        "FR" => "France",
        "ES" => "Spain",
        "SE" => "Sweden",
        "PL" => "Poland",
        "CZ" => "Czechia",
        "PT" => "Portugal",
        "BR" => "Brazil",
        "MX" => "Mexico",
        "NO" => "Norway",
        "DK" => "Denmark",
        "HU" => "Hungary",
        "TR" => "Türkiye",
        "CH" => "Switzerland",
        "VN" => "Viet Nam",
        "SG" => "Singapore",
        "UA" => "Ukraine",
        "KZ" => "Kazakhstan",
        "RS" => "Serbia",
        "BG" => "Bulgaria",
        "GR" => "Greece",
        "CY" => "Cyprus",
        "RU" => "Russian Federation",
        "AE" => "United Arab Emirates",
        _ => "Unknown",
    }
}

/// Upper-case ASCII romanisation, as banks print originator names.
pub(crate) fn roman_upper(s: &str) -> String {
    deunicode::deunicode(s)
        .to_uppercase()
        .replace(['\'', '`'], "")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '&' {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lower-case ASCII token for emails and slugs.
pub(crate) fn ascii_token(s: &str) -> String {
    deunicode::deunicode(s)
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}
