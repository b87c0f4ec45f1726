//! Writers: API snapshot (JSONL), statements (BAI2, camt.053 v08/v02, XLSX, four CSV layouts),
//! the Stripe payout export, ground truth and `dataset.json`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use sha2::{Digest, Sha256};

use super::GenError;
use super::knobs::SecuritiesField;
use super::money::{Kind, Line, Money};
use super::names::{self, ascii_token, citizenship, foreign_place};
use super::oracle::Violation;
use super::rng::R;
use super::world::{Acct, IType, Inv, Investor, Method, OffKind, Status, World};

mod api;
mod statements;

pub(crate) use api::write_api;
pub(crate) use statements::{acct_info, write_statements};

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
                &l.value_date.to_string(),
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
