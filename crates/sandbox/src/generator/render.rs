//! Writers: API snapshot (JSONL), statements (BAI2, camt.053 v08/v02, XLSX, four CSV layouts),
//! the Stripe payout export, ground truth and `dataset.json`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use sha2::{Digest, Sha256};

use super::GenError;
use super::money::{Kind, Line, Money};
use super::names::{self, ascii_token, citizenship, foreign_place};
use super::oracle::Violation;
use super::rng::R;
use super::world::{Acct, IType, Inv, Investor, Method, OffKind, Status, World};

/// `$1,234.56` (negative: `-$1,234.56`).
pub(crate) fn fmt_money(c: i64) -> String {
    format!("{}${}", if c < 0 { "-" } else { "" }, grouped(c.abs()))
}

/// `1,234.56` for a non-negative cents value.
fn grouped(c: i64) -> String {
    let whole = (c / 100).to_string();
    let mut out = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{out}.{:02}", c % 100)
}

/// `1234.56` / `-1234.56`.
pub(crate) fn dec(c: i64) -> String {
    format!(
        "{}{}.{:02}",
        if c < 0 { "-" } else { "" },
        c.abs() / 100,
        c.abs() % 100
    )
}

fn ts(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A file being written, hashed on the fly.
pub(crate) struct Out {
    path: PathBuf,
    w: BufWriter<File>,
    h: Option<Sha256>,
}

impl Out {
    pub(crate) fn create(path: PathBuf, hash: bool) -> Result<Self, GenError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| GenError::io(parent, e))?;
        }
        let f = File::create(&path).map_err(|e| GenError::io(&path, e))?;
        Ok(Out {
            w: BufWriter::with_capacity(1 << 16, f),
            path,
            h: hash.then(Sha256::new),
        })
    }
    pub(crate) fn put(&mut self, s: &str) -> Result<(), GenError> {
        if let Some(h) = self.h.as_mut() {
            h.update(s.as_bytes());
        }
        self.w
            .write_all(s.as_bytes())
            .map_err(|e| GenError::io(&self.path, e))
    }
    /// Flushes; returns the hex SHA-256 when hashing.
    pub(crate) fn finish(mut self) -> Result<String, GenError> {
        self.w.flush().map_err(|e| GenError::io(&self.path, e))?;
        Ok(match self.h.take() {
            Some(h) => h.finalize().iter().map(|b| format!("{b:02x}")).collect(),
            None => String::new(),
        })
    }
}

/// Minimal streaming JSON object builder (keys in insertion order, API spelling).
struct J {
    s: String,
    first: Vec<bool>,
}

impl J {
    fn new() -> Self {
        J {
            s: String::with_capacity(4096),
            first: Vec::new(),
        }
    }
    fn key(&mut self, k: &str) {
        if let Some(f) = self.first.last_mut() {
            if !*f {
                self.s.push(',');
            }
            *f = false;
        }
        if !k.is_empty() {
            esc(&mut self.s, k);
            self.s.push(':');
        }
    }
    fn open(&mut self, k: &str) -> &mut Self {
        self.key(k);
        self.s.push('{');
        self.first.push(true);
        self
    }
    fn close(&mut self) -> &mut Self {
        self.s.push('}');
        self.first.pop();
        self
    }
    fn open_arr(&mut self, k: &str) -> &mut Self {
        self.key(k);
        self.s.push('[');
        self.first.push(true);
        self
    }
    fn close_arr(&mut self) -> &mut Self {
        self.s.push(']');
        self.first.pop();
        self
    }
    fn str(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        esc(&mut self.s, v);
        self
    }
    fn opt_str(&mut self, k: &str, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.str(k, v),
            None => self.null(k),
        }
    }
    fn num(&mut self, k: &str, v: i64) -> &mut Self {
        self.key(k);
        self.s.push_str(&v.to_string());
        self
    }
    fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.key(k);
        self.s.push_str(if v { "true" } else { "false" });
        self
    }
    fn null(&mut self, k: &str) -> &mut Self {
        self.key(k);
        self.s.push_str("null");
        self
    }
    fn ts(&mut self, k: &str, v: Option<NaiveDateTime>) -> &mut Self {
        match v {
            Some(t) => self.str(k, &ts(t)),
            None => self.null(k),
        }
    }
    fn money(&mut self, k: &str, c: i64) -> &mut Self {
        self.str(k, &dec(c))
    }
}

fn esc(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Contact details of an investor, derived from (seed, investor id).
struct Details {
    email: String,
    phone: String,
    street1: String,
    street2: String,
    city: String,
    state: Option<&'static str>,
    region: String,
    postal: String,
    tax_id: String,
    person_email: String,
    last_login: NaiveDateTime,
}

fn details(seed: u64, p: &Investor, snapshot: NaiveDateTime) -> Details {
    let mut r = R::new(seed, 1_000_000_000 + p.id as u64);
    let domain = *r.pick(&["example.com", "example.org", "example.net"]);
    let person_email = format!(
        "{}.{}{}@{}",
        ascii_token(&p.first),
        ascii_token(&p.last),
        p.id,
        domain
    );
    let email = match &p.entity_name {
        Some(n) => format!(
            "invest{}@{}.example.com",
            p.id,
            ascii_token(n).chars().take(20).collect::<String>()
        ),
        None => person_email.clone(),
    };
    let (street1, street2, city, state, region, postal, phone);
    if p.country == "US" {
        let (c, st, zip) = *r.pick(names::US_CITIES);
        street1 = format!("{} {}", r.range(10, 9899), r.pick(names::STREETS));
        street2 = if r.pct(25) {
            format!("Apt {}{}", r.range(1, 30), r.pick(&["A", "B", "C", "D"]))
        } else {
            String::new()
        };
        city = c.to_string();
        state = Some(st);
        region = String::new();
        postal = format!("{zip}{:02}", r.range(1, 99));
        phone = format!("+1 {}-555-{:04}", r.range(201, 989), r.range(100, 199));
    } else {
        let (c, reg, pc) = foreign_place(p.country, r.below(1000));
        let street = match p.country {
            "DE" | "CH" => "Hauptstraße",
            "FR" => "Rue de la Paix",
            "ES" | "MX" => "Calle Mayor",
            "PT" | "BR" => "Rua Augusta",
            "SE" | "NO" | "DK" => "Storgatan",
            "PL" => "ul. Długa",
            "CZ" => "Náměstí Míru",
            "HU" => "Váci utca",
            "TR" => "İstiklal Caddesi",
            "GR" | "CY" => "Οδός Ερμού",
            "UA" => "вул. Хрещатик",
            "KZ" | "RS" | "BG" | "RU" => "ул. Ленина",
            "VN" => "Đường Lê Lợi",
            _ => "High Street",
        };
        street1 = format!("{street} {}", r.range(1, 220));
        street2 = String::new();
        city = c.to_string();
        state = None;
        region = reg.to_string();
        postal = pc;
        phone = format!(
            "+{} {} {}",
            r.range(30, 99),
            r.range(100, 999),
            r.range(1_000_000, 9_999_999)
        );
    }
    let tax_id = match (p.country, p.itype) {
        ("US", IType::Company) | ("US", IType::Trust) => {
            format!("{:02}-{:07}", r.range(10, 98), r.range(0, 9_999_999))
        }
        ("US", _) => format!(
            "{:03}-{:02}-{:04}",
            r.range(100, 665),
            r.range(1, 99),
            r.range(1, 9999)
        ),
        _ => {
            if r.pct(60) {
                format!("{}{}", p.country, r.digits(9))
            } else {
                String::new()
            }
        }
    };
    let last_login =
        (snapshot - chrono::Duration::minutes(r.range(60, 60 * 24 * 40))).max(p.joined);
    Details {
        email,
        phone,
        street1,
        street2,
        city,
        state,
        region,
        postal,
        tax_id,
        person_email,
        last_login,
    }
}

fn entity_names(p: &Investor) -> (String, String) {
    match &p.entity_name {
        Some(n) => (n.clone(), String::new()),
        None => (p.first.clone(), p.last.clone()),
    }
}

fn citizenship_of(p: &Investor) -> &'static str {
    if p.us_person {
        "United States"
    } else {
        citizenship(p.country)
    }
}

fn entity_id(p: &Investor) -> i64 {
    100_000 + p.id * 2
}
fn individual_entity_id(p: &Investor) -> i64 {
    100_001 + p.id * 2
}
fn user_id(p: &Investor) -> i64 {
    500 + p.id
}

/// Writes `api/` (offerings, investors, investments, users, sidecar, manifest).
pub(crate) fn write_api(
    dir: &Path,
    w: &World,
    seed: u64,
) -> Result<Vec<(String, usize, String)>, GenError> {
    let api = dir.join("api");
    let mut files = Vec::new();
    // Offerings.
    let mut o = Out::create(api.join("offerings.jsonl"), true)?;
    for off in &w.offerings {
        o.put(&offering_json(off, w))?;
        o.put("\n")?;
    }
    files.push(("offerings".to_string(), w.offerings.len(), o.finish()?));
    // Investors and users.
    let mut o = Out::create(api.join("investors.jsonl"), true)?;
    let mut u = Out::create(api.join("users.jsonl"), true)?;
    for p in &w.investors {
        let d = details(seed, p, w.snapshot);
        let (first, last) = entity_names(p);
        let mut j = J::new();
        j.open("").num("id", p.id);
        j.open("user")
            .num("id", user_id(p))
            .str("email", &d.person_email)
            .close();
        j.open("entity")
            .str("first_name", &first)
            .str("last_name", &last)
            .opt_str("date_of_birth", p.dob.map(|d| d.to_string()).as_deref())
            .bool("accredited_investor", p.accredited)
            .money("net_worth", p.nw_c)
            .money("annual_income", p.income_c)
            .str("citizenship", citizenship_of(p))
            .bool("us_person", p.us_person)
            .bool("exempt_from_backup_withholding", !p.itype.natural())
            .money("amount_invested_in_reg_cf_offering_this_year", p.self_cf_c)
            .money(
                "amount_invested_in_reg_cf_offering_this_year_other_platforms",
                p.self_cf_other_c,
            )
            .opt_str("accredited_investor_type", p.acc_type)
            .opt_str(
                "canadian_eligible_investor_type",
                (p.country == "CA").then_some("eligible_net_income"),
            )
            .bool("household_w9", p.us_person)
            .num("id", entity_id(p))
            .str("email", &d.email)
            .str("street_address_1", &d.street1)
            .str("street_address_2", &d.street2)
            .str("city", &d.city)
            .opt_str("state", d.state)
            .str("region", &d.region)
            .str("postal_code", &d.postal)
            .str("country", p.country)
            .str("kyc_status", p.kyc)
            .close();
        j.str("type", p.itype.wire());
        individual_entity(&mut j, p, &d);
        j.close();
        o.put(&j.s)?;
        o.put("\n")?;
        let mut j = J::new();
        j.open("")
            .num("id", user_id(p))
            .str("email", &d.person_email)
            .close();
        u.put(&j.s)?;
        u.put("\n")?;
    }
    files.push(("investors".to_string(), w.investors.len(), o.finish()?));
    files.push(("users".to_string(), w.investors.len(), u.finish()?));
    // Investments and the created_at sidecar.
    let mut o = Out::create(api.join("investments.jsonl"), true)?;
    let mut s = Out::create(
        api.join("sidecar").join("investments_created_at.jsonl"),
        false,
    )?;
    for inv in &w.invs {
        o.put(&investment_json(inv, w, seed))?;
        o.put("\n")?;
        s.put(&format!(
            "{{\"id\":{},\"created_at\":\"{}\"}}\n",
            inv.id,
            ts(inv.created)
        ))?;
    }
    files.push(("investments".to_string(), w.invs.len(), o.finish()?));
    s.finish()?;
    // Manifest.
    let mut j = J::new();
    j.open("")
        .str("source", "generator")
        .str("pulled_at", &ts(w.snapshot));
    j.open("counts");
    for (name, n, _) in &files {
        j.num(name, *n as i64);
    }
    j.close().open("sha256");
    for (name, _, h) in &files {
        j.str(&format!("{name}.jsonl"), h);
    }
    j.close().close();
    let mut m = Out::create(api.join("manifest.json"), false)?;
    m.put(&j.s)?;
    m.put("\n")?;
    m.finish()?;
    Ok(files)
}

fn individual_entity(j: &mut J, p: &Investor, d: &Details) {
    j.open("individual_entity")
        .num("id", individual_entity_id(p))
        .str("first_name", &p.first)
        .str("last_name", &p.last)
        .str("email", &d.person_email)
        .str("phone", &d.phone)
        .str("kyc_status", p.kyc)
        .close();
}

fn offering_json(o: &super::world::Offering, w: &World) -> String {
    let company = o.name.clone();
    let mut j = J::new();
    let (sec, circ) = match o.kind {
        OffKind::RegCf => ("Crowd SAFE", "form_c"),
        OffKind::RegA => ("Common Stock", "offering_circular"),
        OffKind::D506b | OffKind::D506c => ("LP Units", "private_placement_memorandum"),
        OffKind::RegS => ("Preferred Stock", "offering_memorandum"),
    };
    let contact = [
        "Avery Quinn",
        "Mateo Álvarez",
        "Priya Natarajan",
        "Liesel Brandt",
        "Jonas Ek",
    ][(o.id as usize - 1) % 5];
    j.open("")
        .num("id", o.id)
        .num("issuer", 1)
        .str("name", &company)
        .str("type", o.kind.wire())
        .str("status", o.status)
        .str(
            "description",
            &format!(
                "{company}: {} offering of {} through the Issuance platform.",
                // The Reg A offering states its tier, as an offering circular does.
                if o.kind == OffKind::RegA {
                    "reg_a Tier 2"
                } else {
                    o.kind.wire()
                },
                sec
            ),
        )
        .str("security_type", sec)
        .str(
            "share_or_unit",
            if matches!(o.kind, OffKind::D506b | OffKind::D506c) {
                "Units"
            } else {
                "Shares"
            },
        )
        .str("share_or_unit_details", "")
        .num("warrant_per_unit", 0)
        .num("warrant_expiration_date_delta_year", 0)
        .num("warrant_expiration_date_delta_month", 0)
        .bool("dollar_amount_investment", true)
        .money("unit_price", o.unit_c)
        .money("administrative_fees", 0)
        .bool("administrative_fees_paid_by_investor", false)
        .num("number_of_shares", o.max_raise_c / o.unit_c.max(1))
        .opt_str("max_investment_amount", o.max_c.map(dec).as_deref())
        .money("min_investment_amount", o.min_c)
        .money("investment_increment_amount", o.inc_c)
        .money("minimum_wire_transfer_amount", o.min_wire_c)
        .str("contact_name", contact)
        .str("contact_title", "Chief Financial Officer")
        .str("contact_phone", &format!("+1 415-555-01{:02}", o.id))
        .str("contact_email", &format!("cfo@{}.example.com", o.slug))
        .bool("accredited_investors", true)
        .bool(
            "non_accredited_investors",
            !matches!(o.kind, OffKind::D506c),
        )
        .str("slug", &o.slug)
        .str(
            "logo",
            &format!("https://cdn.example.com/{}/logo.png", o.slug),
        )
        .str(
            "favicon",
            &format!("https://cdn.example.com/{}/favicon.ico", o.slug),
        )
        .str(
            "circular_link",
            &format!(
                "https://www.sec.gov/Archives/edgar/data/{}/",
                1_900_000 + o.id
            ),
        )
        .str(
            "circular_file",
            &format!("https://cdn.example.com/{}/circular.pdf", o.slug),
        )
        .str("circular_type", circ)
        .bool("display_circular", true)
        .null("displayed_number_of_shares")
        .str("signing_full_name", contact)
        .str("signing_title", "Chief Financial Officer")
        .str("signing_email", &format!("cfo@{}.example.com", o.slug))
        .str("support_email", &format!("support@{}.example.com", o.slug))
        .str("support_phone", &format!("+1 415-555-02{:02}", o.id))
        .bool("daily_summary_emails", true)
        .str(
            "daily_summary_recipients",
            &format!("cfo@{}.example.com", o.slug),
        )
        .bool("weekly_summary_emails", false)
        .str("weekly_summary_recipients", "")
        .num("wire_email_reminder_period", 3)
        .num("wire_email_reminder_max_sent", 3)
        .num("investment_email_reminder_period", 2)
        .num("investment_email_reminder_max_sent", 2)
        .str(
            "messaging_consent_text",
            "I agree to receive messages about my investment.",
        )
        .str("email_sender_name", &company)
        .str("default_timezone", "US/Pacific")
        .str("segment_dataset_id", "")
        .bool("auto_approve_investments", o.kind == OffKind::RegCf)
        .bool("auto_accept_investments", false)
        .opt_str("auto_accept_max_amount", None)
        .opt_str("auto_accept_min_amount", None)
        .bool("email_investment_started_high_value", true)
        .money("email_investment_started_threshold", o.min_c * 20)
        .bool("enable_test_the_waters", false)
        .null("displayed_test_the_waters_amounts")
        .str("accent_color", "#1F6FEB")
        .str("background_accent_color", "#F6F8FA")
        .str("activity_accent_color", "#2DA44E")
        .bool("per_investment_summary_emails", false)
        .str("per_investment_summary_recipients", "")
        .bool("user_sent_max_monitoring_emails", false)
        .str("user_sent_max_monitoring_recipients", "")
        .bool("other_platform_investment_notice", o.kind == OffKind::RegCf)
        .str(
            "other_platform_investment_notice_text",
            if o.kind == OffKind::RegCf {
                "Include Reg CF investments made on other platforms in the last 12 months."
            } else {
                ""
            },
        )
        .bool("investor_phone_number_required", false)
        .money("minimum_amount_raised", o.target_c)
        .opt_str(
            "reg_cf_amount_raised_tier",
            (o.kind == OffKind::RegCf).then_some("tier_3"),
        )
        .money("maximum_amount_raised", o.max_raise_c)
        .opt_str(
            "reg_cf_oversubscription",
            (o.kind == OffKind::RegCf).then_some("first_come_first_served"),
        )
        .opt_str(
            "reg_cf_fee_percentage",
            (o.kind == OffKind::RegCf).then_some("7.00"),
        )
        .bool("archived", false);
    j.open_arr("investors_excluded_countries");
    for c in o.excluded {
        j.str("", c);
    }
    j.close_arr().open_arr("investors_included_countries");
    for c in o.included {
        j.str("", c);
    }
    j.close_arr()
        .str("display_logo_during_investment", "center")
        .bool("display_logo_on_dashboard", true)
        .str("deadline_date", &o.deadline.to_string())
        .ts("created_at", Some(o.created_at))
        .ts("opened_at", Some(o.opened_at))
        .close();
    let _ = w;
    j.s
}

fn investment_json(inv: &Inv, w: &World, seed: u64) -> String {
    let p = &w.investors[inv.investor];
    let o = &w.offerings[inv.off];
    let d = details(seed, p, w.snapshot);
    let (first, last) = entity_names(p);
    let mut r = R::new(seed, 3_000_000_000 + inv.id as u64);
    let quantity = inv.amount_c / o.unit_c.max(1);
    let signed = matches!(
        inv.status,
        Status::Invested | Status::Approved | Status::Accepted | Status::AcceptedEscrowClosed
    );
    let mut j = J::new();
    j.open("")
        .num("id", inv.id)
        .num("quantity", quantity)
        .money("price", inv.price_c())
        .money("price_fees", inv.fees_c)
        .money("price_payment_processing_fees", inv.proc_c)
        .money("amount", inv.amount_c)
        .str("status", inv.status.wire())
        .opt_str("payment_intent_id", inv.pi.as_deref())
        .num("offering", o.id)
        .str("reference_id", &inv.reference)
        .str("investor_individual_name", &p.display_name());
    j.open("investor").num("id", p.id);
    j.open("user")
        .num("id", user_id(p))
        .str("email", &d.person_email)
        .str("first_name", &p.first)
        .str("last_name", &p.last)
        .ts("date_joined", Some(p.joined))
        .ts("last_login", Some(d.last_login))
        .close();
    j.open("entity")
        .num("id", entity_id(p))
        .str("email", &d.email)
        .str("phone", &d.phone)
        .str("street_address_1", &d.street1)
        .str("street_address_2", &d.street2)
        .str("city", &d.city)
        .opt_str("state", d.state)
        .str("region", &d.region)
        .str("postal_code", &d.postal)
        .str("country", p.country)
        .str("kyc_status", p.kyc)
        .str("first_name", &first)
        .str("last_name", &last)
        .opt_str("date_of_birth", p.dob.map(|d| d.to_string()).as_deref())
        .money("net_worth", p.nw_c)
        .money("annual_income", p.income_c)
        .bool("accredited_investor", p.accredited)
        .str("citizenship", citizenship_of(p))
        .bool("us_person", p.us_person)
        .bool("exempt_from_backup_withholding", !p.itype.natural())
        .money("amount_invested_in_reg_cf_offering_this_year", p.self_cf_c)
        .opt_str("accredited_investor_type", p.acc_type)
        .str("tax_id_number", &d.tax_id)
        .close();
    individual_entity(&mut j, p, &d);
    j.str("type", p.itype.wire())
        .bool("receive_sms", p.id % 3 == 0)
        .bool("receive_emails", true);
    j.open("utm_parameters");
    if p.id % 4 == 0 {
        j.str(
            "utm_source",
            r.pick::<&str>(&["newsletter", "google", "linkedin", "podcast"]),
        )
        .str("utm_medium", "referral");
    }
    j.close().close();
    let browser = *r.pick(&[
        "Chrome 129 / macOS",
        "Safari 18 / iOS",
        "Firefox 131 / Windows",
        "Edge 129 / Windows",
        "Chrome 129 / Android",
    ]);
    let processed = inv.received.or(if inv.status == Status::PaymentFailed {
        Some(inv.updated)
    } else {
        None
    });
    j.str("payment_method", inv.method.wire())
        .ts("updated_at", Some(inv.updated))
        .bool("has_investor_signed", signed)
        .bool("accredited_investor", p.accredited)
        .money("net_worth", p.nw_c)
        .money("annual_income", p.income_c)
        .bool("us_person", p.us_person)
        .bool("exempt_from_backup_withholding", !p.itype.natural())
        .money("amount_invested_in_reg_cf_offering_this_year", p.self_cf_c)
        .str("user_browser_type", browser)
        .opt_str("accredited_investor_type", p.acc_type)
        .ts("processed_at", processed)
        .num("bonus_shares", 0)
        .str(
            "processing_issue_statuses",
            if inv.status == Status::PaymentFailed {
                "payment_failed"
            } else {
                ""
            },
        )
        .money("shares_amount", inv.amount_c);
    j.open_arr("watchlistentity_set");
    if inv.status != Status::Started {
        j.open("")
            .num("id", inv.id)
            .num("entity", entity_id(p))
            .bool("has_hits", p.watch_hit);
        if p.watch_hit {
            j.open_arr("watchlist_hits");
            j.open("")
                .str("list", "OFAC SDN")
                .str("name", &names::roman_upper(&p.display_name()))
                .num("score", 91)
                .close();
            j.close_arr();
        } else {
            j.null("watchlist_hits");
        }
        j.str(
            "ofac_fincen_status",
            if p.watch_hit {
                "potential_match"
            } else {
                "clear"
            },
        )
        .ts("updated_at", Some(inv.created))
        .str("aml_provider", "ComplyAdvantage")
        .close();
    }
    j.close_arr()
        .str("bonus_shares_code", "")
        .null("bonus_shares_percentage_tier")
        .null("bonus_shares_quantity_tier")
        .num("quantity_qualified_shares", 0)
        .money("price_qualified_shares", 0)
        .ts("received_at", inv.received)
        .ts("invested_at", inv.invested)
        .ts("refunded_at", inv.refunded)
        .close();
    j.s
}

/// Static description of an account.
pub(crate) struct AcctInfo {
    pub name: String,
    pub bank: &'static str,
    pub bic: &'static str,
    pub aba: &'static str,
    pub number: String,
}

pub(crate) fn acct_info(a: Acct, seed: u64) -> AcctInfo {
    let mut r = R::new(seed, 40 + a.idx() as u64);
    let number = r.digits(10);
    match a {
        Acct::Escrow => AcctInfo {
            name: "North Capital escrow FBO Brightwater Cooperative Brewery Reg CF".into(),
            bank: "TRISTATE CAPITAL BANK",
            bic: "TRSTUS31",
            aba: "043318092",
            number,
        },
        Acct::Operating => AcctInfo {
            name: "Solenne Modular Homes Inc. Operating".into(),
            bank: "JPMORGAN CHASE BANK, N.A.",
            bic: "CHASUS33",
            aba: "021000021",
            number,
        },
        Acct::Private => AcctInfo {
            name: "Harbor Lane & Northstar Subscription Account".into(),
            bank: "FIRST CITIZENS BANK",
            bic: "FCBTUS33",
            aba: "053100300",
            number,
        },
        Acct::Intl => AcctInfo {
            name: "Aurora Geothermal International USD Account".into(),
            bank: "CITIBANK N.A.",
            bic: "CITIUS33",
            aba: "021000089",
            number,
        },
    }
}

fn csv_err(path: &Path, e: csv::Error) -> GenError {
    GenError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

fn csv_writer(path: &Path) -> Result<csv::Writer<BufWriter<File>>, GenError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| GenError::io(parent, e))?;
    }
    let f = File::create(path).map_err(|e| GenError::io(path, e))?;
    Ok(csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(BufWriter::with_capacity(1 << 16, f)))
}

/// Writes every statement rendering of one account.
pub(crate) fn write_statements(
    dir: &Path,
    w: &World,
    m: &Money,
    a: Acct,
    seed: u64,
) -> Result<(), GenError> {
    let info = acct_info(a, seed);
    let sdir = dir.join("statements").join(a.id());
    let lines = &m.lines[a.idx()];
    let open = m.opening[a.idx()];
    let close = m.closing(a);
    bai2(
        &sdir.join(format!("{}.bai2", a.id())),
        w,
        lines,
        open,
        &info,
    )?;
    camt(
        &sdir.join(format!("{}.camt053.xml", a.id())),
        w,
        lines,
        open,
        close,
        &info,
        true,
    )?;
    camt(
        &sdir.join(format!("{}.camt053v2.xml", a.id())),
        w,
        lines,
        open,
        close,
        &info,
        false,
    )?;
    xlsx(
        &sdir.join(format!("{}.xlsx", a.id())),
        w,
        lines,
        open,
        close,
        &info,
    )?;
    csvs(&sdir, a, w, lines, open, close, &info)?;
    Ok(())
}

fn yymmdd(d: NaiveDate) -> String {
    d.format("%y%m%d").to_string()
}

/// Splits a BAI2 text into chunks at word boundaries so each physical record stays ≤ 80 chars.
fn bai_chunks(first_room: usize, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut room = first_room;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let add = if cur.is_empty() {
            word.len()
        } else {
            word.len() + 1
        };
        if !cur.is_empty() && cur.len() + add > room {
            out.push(std::mem::take(&mut cur));
            room = 77;
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

fn bai2(
    path: &Path,
    w: &World,
    lines: &[Line],
    open: i64,
    info: &AcctInfo,
) -> Result<(), GenError> {
    let mut o = Out::create(path.to_path_buf(), false)?;
    let created = w.snapshot.date();
    let mut file_total = 0i64;
    let mut file_records = 1usize;
    let mut groups = 0usize;
    o.put(&format!(
        "01,{},TIEOUTSBX,{},0600,{},80,,2/\n",
        info.aba,
        yymmdd(created),
        created.format("%m%d")
    ))?;
    let mut bal = open;
    let mut i = 0;
    while i < lines.len() {
        let day = lines[i].date;
        let j = lines[i..]
            .iter()
            .position(|l| l.date != day)
            .map_or(lines.len(), |k| i + k);
        let day_lines = &lines[i..j];
        let opening = bal;
        let credits: i64 = day_lines
            .iter()
            .filter(|l| l.amount_c >= 0)
            .map(|l| l.amount_c)
            .sum();
        let ncred = day_lines.iter().filter(|l| l.amount_c >= 0).count();
        let debits: i64 = day_lines
            .iter()
            .filter(|l| l.amount_c < 0)
            .map(|l| -l.amount_c)
            .sum();
        let ndeb = day_lines.len() - ncred;
        let closing = opening + credits - debits;
        bal = closing;
        groups += 1;
        o.put(&format!(
            "02,TIEOUTSBX,{},1,{},2400,USD,2/\n",
            info.aba,
            yymmdd(day)
        ))?;
        let mut recs = 0usize;
        let mut total = 0i64;
        o.put(&format!(
            "03,{},USD,010,{},,,015,{},,/\n",
            info.number, opening, closing
        ))?;
        o.put(&format!(
            "88,100,{credits},{ncred},,400,{debits},{ndeb},/\n"
        ))?;
        recs += 2;
        total += opening + closing + credits + debits;
        for l in day_lines {
            let head = format!("16,{},{},0,{},,", l.bai, l.amount_c.abs(), l.bank_ref);
            let chunks = bai_chunks(80usize.saturating_sub(head.len()).max(10), &l.text);
            o.put(&head)?;
            o.put(&chunks[0])?;
            o.put("\n")?;
            recs += 1;
            for c in &chunks[1..] {
                o.put("88,")?;
                o.put(c)?;
                o.put("\n")?;
                recs += 1;
            }
            total += l.amount_c.abs();
        }
        recs += 1;
        o.put(&format!("49,{total},{recs}/\n"))?;
        o.put(&format!("98,{total},1,{}/\n", recs + 2))?;
        file_total += total;
        file_records += recs + 2;
        i = j;
    }
    file_records += 1;
    o.put(&format!("99,{file_total},{groups},{file_records}/\n"))?;
    o.finish()?;
    Ok(())
}

fn xml_esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c => o.push(c),
        }
    }
    o
}

fn btc(kind: Kind, intl: bool) -> (&'static str, &'static str, &'static str) {
    match kind {
        Kind::Wire
        | Kind::WireShortFee
        | Kind::IraWire
        | Kind::DuplicateWire
        | Kind::CryptoSettlement
        | Kind::DisbursementIn => ("PMNT", "RCDT", if intl { "XBCT" } else { "DMCT" }),
        Kind::AchSingle | Kind::AchBatch | Kind::CardPayout | Kind::StripeSweep => {
            ("PMNT", "RCDT", "ACDT")
        }
        Kind::Refund => ("PMNT", "ICDT", "DMCT"),
        Kind::AchReturn => ("PMNT", "RCDT", "ARET"),
        Kind::DisbursementOut => ("PMNT", "ICDT", "BOOK"),
        Kind::UnknownDeposit => ("PMNT", "RCDT", "OTHR"),
        Kind::UnknownDebit => ("PMNT", "ICDT", "OTHR"),
        Kind::BankFee => ("ACMT", "MDOP", "CHRG"),
    }
}

#[allow(clippy::too_many_arguments)]
fn camt(
    path: &Path,
    w: &World,
    lines: &[Line],
    open: i64,
    close: i64,
    info: &AcctInfo,
    v8: bool,
) -> Result<(), GenError> {
    let mut o = Out::create(path.to_path_buf(), false)?;
    let ns = if v8 {
        "camt.053.001.08"
    } else {
        "camt.053.001.02"
    };
    let first = w.period.first_day();
    let last = w.period.last_day();
    let cre = format!("{}T06:00:00Z", w.snapshot.date());
    let intl = info.bic == "CITIUS33";
    o.put(&format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:{ns}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n <BkToCstmrStmt>\n  <GrpHdr>\n   <MsgId>STMT{}{}</MsgId>\n   <CreDtTm>{cre}</CreDtTm>\n  </GrpHdr>\n", info.number, last.format("%Y%m%d")))?;
    o.put(&format!("  <Stmt>\n   <Id>{}-{}</Id>\n   <ElctrncSeqNb>{}</ElctrncSeqNb>\n   <CreDtTm>{cre}</CreDtTm>\n   <FrToDt>\n    <FrDtTm>{first}T00:00:00Z</FrDtTm>\n    <ToDtTm>{last}T23:59:59Z</ToDtTm>\n   </FrToDt>\n", info.number, last.format("%Y%m"), last.month()))?;
    let bic_tag = if v8 { "BICFI" } else { "BIC" };
    o.put(&format!("   <Acct>\n    <Id>\n     <Othr>\n      <Id>{}</Id>\n     </Othr>\n    </Id>\n    <Ccy>USD</Ccy>\n    <Ownr>\n     <Nm>{}</Nm>\n    </Ownr>\n    <Svcr>\n     <FinInstnId>\n      <{bic_tag}>{}</{bic_tag}>\n     </FinInstnId>\n    </Svcr>\n   </Acct>\n", info.number, xml_esc(&info.name), info.bic))?;
    for (code, amt, d) in [("OPBD", open, first), ("CLBD", close, last)] {
        o.put(&format!("   <Bal>\n    <Tp>\n     <CdOrPrtry>\n      <Cd>{code}</Cd>\n     </CdOrPrtry>\n    </Tp>\n    <Amt Ccy=\"USD\">{}</Amt>\n    <CdtDbtInd>{}</CdtDbtInd>\n    <Dt>\n     <Dt>{d}</Dt>\n    </Dt>\n   </Bal>\n", dec(amt.abs()), if amt < 0 { "DBIT" } else { "CRDT" }))?;
    }
    let (nc, sc): (usize, i64) = (
        lines.iter().filter(|l| l.amount_c >= 0).count(),
        lines
            .iter()
            .filter(|l| l.amount_c >= 0)
            .map(|l| l.amount_c)
            .sum(),
    );
    let (nd, sd): (usize, i64) = (
        lines.len() - nc,
        lines
            .iter()
            .filter(|l| l.amount_c < 0)
            .map(|l| -l.amount_c)
            .sum(),
    );
    o.put(&format!("   <TxsSummry>\n    <TtlNtries>\n     <NbOfNtries>{}</NbOfNtries>\n    </TtlNtries>\n    <TtlCdtNtries>\n     <NbOfNtries>{nc}</NbOfNtries>\n     <Sum>{}</Sum>\n    </TtlCdtNtries>\n    <TtlDbtNtries>\n     <NbOfNtries>{nd}</NbOfNtries>\n     <Sum>{}</Sum>\n    </TtlDbtNtries>\n   </TxsSummry>\n", lines.len(), dec(sc), dec(sd)))?;
    for (seq, l) in lines.iter().enumerate() {
        let cd = if l.amount_c < 0 { "DBIT" } else { "CRDT" };
        let (dm, fm, sf) = btc(l.kind, intl);
        let sts = if v8 {
            "<Sts>\n     <Cd>BOOK</Cd>\n    </Sts>"
        } else {
            "<Sts>BOOK</Sts>"
        };
        o.put(&format!("   <Ntry>\n    <NtryRef>{}</NtryRef>\n    <Amt Ccy=\"USD\">{}</Amt>\n    <CdtDbtInd>{cd}</CdtDbtInd>\n    {sts}\n    <BookgDt>\n     <Dt>{}</Dt>\n    </BookgDt>\n    <ValDt>\n     <Dt>{}</Dt>\n    </ValDt>\n    <AcctSvcrRef>{}</AcctSvcrRef>\n    <BkTxCd>\n     <Domn>\n      <Cd>{dm}</Cd>\n      <Fmly>\n       <Cd>{fm}</Cd>\n       <SubFmlyCd>{sf}</SubFmlyCd>\n      </Fmly>\n     </Domn>\n     <Prtry>\n      <Cd>{}</Cd>\n      <Issr>BAI</Issr>\n     </Prtry>\n    </BkTxCd>\n    <NtryDtls>\n", seq + 1, dec(l.amount_c.abs()), l.date, l.date, xml_esc(&l.bank_ref), l.bai))?;
        if l.items.is_empty() {
            tx(
                &mut o,
                v8,
                None,
                l.amount_c,
                &l.party,
                &l.remit,
                if l.remit.is_empty() {
                    "NOTPROVIDED"
                } else {
                    &l.remit
                },
            )?;
        } else {
            o.put(&format!(
                "     <Btch>\n      <NbOfTxs>{}</NbOfTxs>\n     </Btch>\n",
                l.items.len()
            ))?;
            for (k, it) in l.items.iter().enumerate() {
                let r = format!("{}-{}", l.bank_ref, k + 1);
                tx(
                    &mut o,
                    v8,
                    Some(&r),
                    it.amount_c,
                    &it.name,
                    &it.remit,
                    &it.remit,
                )?;
            }
        }
        o.put(&format!(
            "    </NtryDtls>\n    <AddtlNtryInf>{}</AddtlNtryInf>\n   </Ntry>\n",
            xml_esc(&l.text.chars().take(500).collect::<String>())
        ))?;
    }
    o.put("  </Stmt>\n </BkToCstmrStmt>\n</Document>\n")?;
    o.finish()?;
    Ok(())
}

fn tx(
    o: &mut Out,
    v8: bool,
    acct_ref: Option<&str>,
    amount: i64,
    party: &str,
    remit: &str,
    e2e: &str,
) -> Result<(), GenError> {
    o.put("     <TxDtls>\n      <Refs>\n")?;
    if let Some(r) = acct_ref {
        o.put(&format!(
            "       <AcctSvcrRef>{}</AcctSvcrRef>\n",
            xml_esc(r)
        ))?;
    }
    let e2e: String = e2e.chars().take(35).collect();
    o.put(&format!(
        "       <EndToEndId>{}</EndToEndId>\n      </Refs>\n",
        xml_esc(&e2e)
    ))?;
    let cd = if amount < 0 { "DBIT" } else { "CRDT" };
    if v8 {
        o.put(&format!(
            "      <Amt Ccy=\"USD\">{}</Amt>\n      <CdtDbtInd>{cd}</CdtDbtInd>\n",
            dec(amount.abs())
        ))?;
    } else {
        o.put(&format!("      <AmtDtls>\n       <TxAmt>\n        <Amt Ccy=\"USD\">{}</Amt>\n       </TxAmt>\n      </AmtDtls>\n", dec(amount.abs())))?;
    }
    if !party.is_empty() {
        let role = if amount < 0 { "Cdtr" } else { "Dbtr" };
        let nm: String = party.chars().take(140).collect();
        if v8 {
            o.put(&format!("      <RltdPties>\n       <{role}>\n        <Pty>\n         <Nm>{}</Nm>\n        </Pty>\n       </{role}>\n      </RltdPties>\n", xml_esc(&nm)))?;
        } else {
            o.put(&format!("      <RltdPties>\n       <{role}>\n        <Nm>{}</Nm>\n       </{role}>\n      </RltdPties>\n", xml_esc(&nm)))?;
        }
    }
    if !remit.is_empty() {
        let u: String = remit.chars().take(140).collect();
        o.put(&format!(
            "      <RmtInf>\n       <Ustrd>{}</Ustrd>\n      </RmtInf>\n",
            xml_esc(&u)
        ))?;
    }
    o.put("     </TxDtls>\n")
}

fn xlsx(
    path: &Path,
    w: &World,
    lines: &[Line],
    open: i64,
    close: i64,
    info: &AcctInfo,
) -> Result<(), GenError> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
    let xe = |e: rust_xlsxwriter::XlsxError| GenError::Xlsx {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let edate =
        |d: NaiveDate| ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8);
    let mut wb = Workbook::new();
    let snap = w.snapshot.date();
    let created = edate(snap).and_then(|d| d.and_hms(6, 0, 0)).map_err(xe)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("{} statement {}", info.name, w.period.label()))
            .set_author("tieout sandbox")
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();
    let datef = Format::new().set_num_format("yyyy-mm-dd");
    let numf = Format::new().set_num_format("#,##0.00");
    let ws = wb.add_worksheet_with_constant_memory().map_err(xe)?;
    ws.set_name("Statement").map_err(xe)?;
    ws.write_string_with_format(0, 0, format!("{} - Account Statement", info.bank), &bold)
        .map_err(xe)?;
    ws.write_string(1, 0, format!("Account: {} ({})", info.name, info.number))
        .map_err(xe)?;
    ws.write_string(
        2,
        0,
        format!(
            "Period: {} to {}   Opening balance: {}   Closing balance: {}",
            w.period.first_day(),
            w.period.last_day(),
            fmt_money(open),
            fmt_money(close)
        ),
    )
    .map_err(xe)?;
    let head = [
        "Posting Date",
        "Value Date",
        "Bank Reference",
        "Description",
        "Counterparty",
        "Debit",
        "Credit",
        "Balance",
    ];
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(4, c as u16, *h, &bold)
            .map_err(xe)?;
    }
    let mut bal = open;
    for (i, l) in lines.iter().enumerate() {
        let row = 5 + i as u32;
        bal += l.amount_c;
        let d = edate(l.date).map_err(xe)?;
        ws.write_datetime_with_format(row, 0, &d, &datef)
            .map_err(xe)?;
        ws.write_datetime_with_format(row, 1, &d, &datef)
            .map_err(xe)?;
        ws.write_string(row, 2, &l.bank_ref).map_err(xe)?;
        ws.write_string(row, 3, &l.text).map_err(xe)?;
        ws.write_string(row, 4, &l.party).map_err(xe)?;
        let col = if l.amount_c < 0 { 5 } else { 6 };
        // Cents → decimal number: exact for amounts well inside f64's integer range.
        ws.write_number_with_format(row, col, l.amount_c.abs() as f64 / 100.0, &numf)
            .map_err(xe)?;
        ws.write_number_with_format(row, 7, bal as f64 / 100.0, &numf)
            .map_err(xe)?;
    }
    ws.set_column_width(0, 12).map_err(xe)?;
    ws.set_column_width(1, 12).map_err(xe)?;
    ws.set_column_width(2, 18).map_err(xe)?;
    ws.set_column_width(3, 60).map_err(xe)?;
    ws.set_column_width(4, 30).map_err(xe)?;
    wb.save(path).map_err(xe)?;
    Ok(())
}

fn chase_type(k: Kind) -> &'static str {
    match k {
        Kind::Wire
        | Kind::WireShortFee
        | Kind::IraWire
        | Kind::DuplicateWire
        | Kind::CryptoSettlement
        | Kind::DisbursementIn => "WIRE_INCOMING",
        Kind::AchSingle | Kind::AchBatch | Kind::CardPayout | Kind::StripeSweep => "ACH_CREDIT",
        Kind::Refund => "WIRE_OUTGOING",
        Kind::AchReturn => "ACH_DEBIT",
        Kind::DisbursementOut => "ACCT_XFER",
        Kind::UnknownDeposit => "DEPOSIT",
        Kind::UnknownDebit => "MISC_DEBIT",
        Kind::BankFee => "FEE_TRANSACTION",
    }
}

#[allow(clippy::too_many_arguments)]
fn csvs(
    sdir: &Path,
    a: Acct,
    w: &World,
    lines: &[Line],
    open: i64,
    close: i64,
    info: &AcctInfo,
) -> Result<(), GenError> {
    // chase
    let p = sdir.join(format!("{}.chase.csv", a.id()));
    let mut c = csv_writer(&p)?;
    c.write_record([
        "Details",
        "Posting Date",
        "Description",
        "Amount",
        "Type",
        "Balance",
        "Check or Slip #",
    ])
    .map_err(|e| csv_err(&p, e))?;
    let mut bal = open;
    for l in lines {
        bal += l.amount_c;
        let details = if l.amount_c < 0 { "DEBIT" } else { "CREDIT" };
        c.write_record([
            details,
            &l.date.format("%m/%d/%Y").to_string(),
            &l.text,
            &dec(l.amount_c),
            chase_type(l.kind),
            &dec(bal),
            &l.bank_ref,
        ])
        .map_err(|e| csv_err(&p, e))?;
    }
    c.flush().map_err(|e| GenError::io(&p, e))?;
    // debit_credit
    let p = sdir.join(format!("{}.debit_credit.csv", a.id()));
    let mut c = csv_writer(&p)?;
    c.write_record([format!("Account Statement - {} - {}", info.bank, info.name)])
        .map_err(|e| csv_err(&p, e))?;
    c.write_record([format!(
        "Account {} Period {} to {} Opening {} Closing {}",
        info.number,
        w.period.first_day(),
        w.period.last_day(),
        dec(open),
        dec(close)
    )])
    .map_err(|e| csv_err(&p, e))?;
    c.write_record([
        "Date",
        "Reference",
        "Description",
        "Debit",
        "Credit",
        "Balance",
    ])
    .map_err(|e| csv_err(&p, e))?;
    let mut bal = open;
    for l in lines {
        bal += l.amount_c;
        let (dr, cr) = if l.amount_c < 0 {
            (dec(-l.amount_c), String::new())
        } else {
            (String::new(), dec(l.amount_c))
        };
        c.write_record([
            &l.date.to_string(),
            &l.bank_ref,
            &l.text,
            &dr,
            &cr,
            &dec(bal),
        ])
        .map_err(|e| csv_err(&p, e))?;
    }
    c.flush().map_err(|e| GenError::io(&p, e))?;
    // crdr
    let p = sdir.join(format!("{}.crdr.csv", a.id()));
    let mut c = csv_writer(&p)?;
    c.write_record([
        "Value Date",
        "Booking Date",
        "Reference",
        "Counterparty",
        "Details",
        "Amount",
        "CR/DR",
    ])
    .map_err(|e| csv_err(&p, e))?;
    for l in lines {
        let d = l.date.format("%d-%b-%Y").to_string();
        let details = if l.remit.is_empty() {
            l.text.clone()
        } else {
            l.remit.clone()
        };
        c.write_record([
            &d,
            &d,
            &l.bank_ref,
            &l.party,
            &details,
            &format!("${}", grouped(l.amount_c.abs())),
            &(if l.amount_c < 0 { "DR" } else { "CR" }).to_string(),
        ])
        .map_err(|e| csv_err(&p, e))?;
    }
    c.flush().map_err(|e| GenError::io(&p, e))?;
    // escrow_bank
    let p = sdir.join(format!("{}.escrow_bank.csv", a.id()));
    let mut c = csv_writer(&p)?;
    c.write_record(["Posting Date", "Bank Ref", "Originator", "Memo", "Amount"])
        .map_err(|e| csv_err(&p, e))?;
    for l in lines {
        let amt = if l.amount_c >= 0 {
            grouped(l.amount_c)
        } else if matches!(l.kind, Kind::BankFee | Kind::AchReturn) {
            format!("{}-", grouped(-l.amount_c))
        } else {
            format!("({})", grouped(-l.amount_c))
        };
        let memo = if l.remit.is_empty() {
            l.text.chars().take(60).collect()
        } else {
            l.remit.clone()
        };
        c.write_record([
            &l.date.format("%m/%d/%Y").to_string(),
            &l.bank_ref,
            &l.party,
            &memo,
            &amt,
        ])
        .map_err(|e| csv_err(&p, e))?;
    }
    c.flush().map_err(|e| GenError::io(&p, e))?;
    Ok(())
}

/// Writes `payouts/stripe-payouts.csv`.
pub(crate) fn write_payouts(dir: &Path, m: &Money) -> Result<usize, GenError> {
    let p = dir.join("payouts").join("stripe-payouts.csv");
    let mut c = csv_writer(&p)?;
    c.write_record([
        "automatic_payout_id",
        "automatic_payout_effective_at",
        "balance_transaction_id",
        "created_utc",
        "available_on_utc",
        "currency",
        "gross",
        "fee",
        "net",
        "reporting_category",
        "source_id",
        "description",
        "customer_id",
        "charge_id",
        "payment_intent_id",
        "payment_method_type",
        "payment_metadata[investment_id]",
    ])
    .map_err(|e| csv_err(&p, e))?;
    let mut n = 0;
    for po in m.payouts.iter().filter(|p| p.in_report) {
        let eff = format!("{} 00:00:00", po.date);
        for it in &po.items {
            let desc = if it.refund {
                format!("REFUND FOR CHARGE (Investment {})", it.reference)
            } else {
                format!("Investment {}", it.reference)
            };
            c.write_record([
                po.id.as_str(),
                &eff,
                &it.txn,
                &it.created.format("%Y-%m-%d %H:%M:%S").to_string(),
                &format!("{} 00:00:00", it.avail),
                "usd",
                &dec(it.gross_c),
                &dec(it.fee_c),
                &dec(it.gross_c - it.fee_c),
                if it.refund { "refund" } else { "charge" },
                &it.source,
                &desc,
                &it.customer,
                &it.charge,
                &it.pi,
                if it.card { "card" } else { "us_bank_account" },
                &it.inv_id.to_string(),
            ])
            .map_err(|e| csv_err(&p, e))?;
            n += 1;
        }
    }
    c.flush().map_err(|e| GenError::io(&p, e))?;
    Ok(n)
}

/// Writes `truth/lines.csv`, `truth/exceptions.csv`, `truth/violations.csv`.
pub(crate) fn write_truth(dir: &Path, m: &Money, v: &[Violation]) -> Result<(), GenError> {
    let t = dir.join("truth");
    let p = t.join("lines.csv");
    let mut c = csv_writer(&p)?;
    c.write_record([
        "account",
        "seq",
        "bank_ref",
        "booking_date",
        "value_date",
        "amount_cents",
        "kind",
        "investment_ids",
        "note",
    ])
    .map_err(|e| csv_err(&p, e))?;
    for a in Acct::ALL {
        for (i, l) in m.lines[a.idx()].iter().enumerate() {
            let ids = l
                .ids
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(";");
            c.write_record([
                a.id(),
                &(i + 1).to_string(),
                &l.bank_ref,
                &l.date.to_string(),
                &l.date.to_string(),
                &l.amount_c.to_string(),
                l.kind.as_str(),
                &ids,
                &l.note,
            ])
            .map_err(|e| csv_err(&p, e))?;
        }
    }
    c.flush().map_err(|e| GenError::io(&p, e))?;
    let p = t.join("exceptions.csv");
    let mut c = csv_writer(&p)?;
    c.write_record(["code", "investment_id", "bank_ref", "amount_cents", "note"])
        .map_err(|e| csv_err(&p, e))?;
    for e in &m.exceptions {
        c.write_record([
            e.code,
            &e.investment_id.map(|x| x.to_string()).unwrap_or_default(),
            e.bank_ref.as_deref().unwrap_or(""),
            &e.amount_c.map(|x| x.to_string()).unwrap_or_default(),
            &e.note,
        ])
        .map_err(|e2| csv_err(&p, e2))?;
    }
    c.flush().map_err(|e| GenError::io(&p, e))?;
    let p = t.join("violations.csv");
    let mut c = csv_writer(&p)?;
    c.write_record([
        "code",
        "investment_id",
        "investor_id",
        "offering_id",
        "note",
    ])
    .map_err(|e| csv_err(&p, e))?;
    for x in v {
        c.write_record([
            x.code,
            &x.investment_id.to_string(),
            &x.investor_id.to_string(),
            &x.offering_id.to_string(),
            &x.note,
        ])
        .map_err(|e| csv_err(&p, e))?;
    }
    c.flush().map_err(|e| GenError::io(&p, e))?;
    Ok(())
}

/// Writes `dataset.json`.
pub(crate) fn write_dataset_json(
    dir: &Path,
    w: &World,
    m: &Money,
    seed: u64,
    n: usize,
    api_key: &str,
) -> Result<(), GenError> {
    let mut j = J::new();
    j.open("")
        .num("format", 1)
        .num("seed", seed as i64)
        .str("period", &w.period.label())
        .num("investments", n as i64)
        .str("api_key", api_key)
        .str("snapshot_time", &ts(w.snapshot));
    j.open_arr("accounts");
    for a in Acct::ALL {
        let info = acct_info(a, seed);
        j.open("")
            .str("id", a.id())
            .str("name", &info.name)
            .str("bank", info.bank)
            .str("account_number", &info.number)
            .str("currency", "USD")
            .num("opening_cents", m.opening[a.idx()])
            .num("closing_cents", m.closing(a));
        j.open_arr("offerings");
        for o in w.offerings.iter().filter(|o| o.acct == a) {
            j.num("", o.id);
        }
        j.close_arr().close();
    }
    j.close_arr().open_arr("csv_layouts");
    for l in super::CSV_LAYOUTS {
        j.str("", l);
    }
    j.close_arr().open("demo").open_arr("statements");
    for s in [
        "statements/escrow/escrow.bai2",
        "statements/operating/operating.chase.csv",
        "statements/private/private.xlsx",
        "statements/intl/intl.camt053.xml",
    ] {
        j.str("", s);
    }
    j.close_arr()
        .open_arr("payouts")
        .str("", "payouts/stripe-payouts.csv")
        .close_arr()
        .close()
        .close();
    // Pretty enough: one object on one line is valid JSON; keep it compact and newline-terminated.
    let mut o = Out::create(dir.join("dataset.json"), false)?;
    let v: serde_json::Value = serde_json::from_str(&j.s).map_err(|e| {
        GenError::io(
            &dir.join("dataset.json"),
            std::io::Error::other(e.to_string()),
        )
    })?;
    let pretty = serde_json::to_string_pretty(&v).map_err(|e| {
        GenError::io(
            &dir.join("dataset.json"),
            std::io::Error::other(e.to_string()),
        )
    })?;
    o.put(&pretty)?;
    o.put("\n")?;
    o.finish()?;
    let _ = Method::Card;
    Ok(())
}
