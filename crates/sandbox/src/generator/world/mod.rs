//! The platform side of the world: offerings, investors and investments, including the planted
//! compliance violations and the money-side exception scenarios.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use super::names::{self, Pool};
use super::rng::R;
use super::{GenConfig, Period};

mod investments;
mod people;
mod plants;

/// Offering exemption type.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum OffKind {
    RegCf,
    RegA,
    D506b,
    D506c,
    RegS,
}

impl OffKind {
    pub(crate) fn wire(self) -> &'static str {
        match self {
            OffKind::RegCf => "reg_cf",
            OffKind::RegA => "reg_a",
            OffKind::D506b => "reg_d_506b",
            OffKind::D506c => "reg_d_506c",
            OffKind::RegS => "reg_s",
        }
    }
}

/// Bank account of the dataset.
#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord)]
pub(crate) enum Acct {
    Escrow,
    Operating,
    Private,
    Intl,
}

impl Acct {
    pub(crate) const ALL: [Acct; 4] = [Acct::Escrow, Acct::Operating, Acct::Private, Acct::Intl];
    pub(crate) fn id(self) -> &'static str {
        match self {
            Acct::Escrow => "escrow",
            Acct::Operating => "operating",
            Acct::Private => "private",
            Acct::Intl => "intl",
        }
    }
    pub(crate) fn idx(self) -> usize {
        self as usize
    }
}

/// Payment method.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Method {
    Card,
    Wire,
    Ira,
    Ach,
    Crypto,
}

impl Method {
    pub(crate) fn wire(self) -> &'static str {
        match self {
            Method::Card => "card",
            Method::Wire => "wire",
            Method::Ira => "ira",
            Method::Ach => "other",
            Method::Crypto => "crypto",
        }
    }
}

/// Investment status.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Status {
    Started,
    NotReceived,
    PaymentFailed,
    Received,
    Cancelled,
    Refunded,
    Invested,
    Approved,
    NotApproved,
    Accepted,
    AcceptedEscrowClosed,
}

impl Status {
    pub(crate) fn wire(self) -> &'static str {
        match self {
            Status::Started => "started",
            Status::NotReceived => "not_received",
            Status::PaymentFailed => "payment_failed",
            Status::Received => "received",
            Status::Cancelled => "cancelled",
            Status::Refunded => "refunded",
            Status::Invested => "invested",
            Status::Approved => "approved",
            Status::NotApproved => "not_approved",
            Status::Accepted => "accepted",
            Status::AcceptedEscrowClosed => "accepted_escrow_closed",
        }
    }
    /// In scope for the compliance rules.
    pub(crate) fn funds_taken(self) -> bool {
        matches!(
            self,
            Status::Received
                | Status::Invested
                | Status::Approved
                | Status::Accepted
                | Status::AcceptedEscrowClosed
        )
    }
    pub(crate) fn accepted(self) -> bool {
        matches!(self, Status::Accepted | Status::AcceptedEscrowClosed)
    }
}

/// Investor type.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum IType {
    Person,
    Company,
    Trust,
    TrustIra,
}

impl IType {
    pub(crate) fn wire(self) -> &'static str {
        match self {
            IType::Person => "person",
            IType::Company => "company",
            IType::Trust => "trust",
            IType::TrustIra => "trust_ira",
        }
    }
    pub(crate) fn natural(self) -> bool {
        matches!(self, IType::Person | IType::TrustIra)
    }
}

/// An offering.
pub(crate) struct Offering {
    pub id: i64,
    pub kind: OffKind,
    pub name: String,
    pub slug: String,
    pub unit_c: i64,
    pub min_c: i64,
    pub inc_c: i64,
    pub max_c: Option<i64>,
    pub soft_c: i64,
    pub min_wire_c: i64,
    pub target_c: i64,
    pub max_raise_c: i64,
    pub deadline: NaiveDate,
    pub excluded: &'static [&'static str],
    pub included: &'static [&'static str],
    pub status: &'static str,
    pub created_at: NaiveDateTime,
    pub opened_at: NaiveDateTime,
    pub acct: Acct,
    /// Last date on which clean investments may be received.
    pub last_received: NaiveDate,
}

/// An investor (decision-relevant fields; contact details are derived at render time).
pub(crate) struct Investor {
    pub id: i64,
    pub itype: IType,
    pub first: String,
    pub last: String,
    pub entity_name: Option<String>,
    pub country: &'static str,
    pub us_person: bool,
    pub dob: Option<NaiveDate>,
    pub accredited: bool,
    pub acc_type: Option<&'static str>,
    pub nw_c: i64,
    pub income_c: i64,
    pub self_cf_c: i64,
    pub self_cf_other_c: i64,
    pub kyc: &'static str,
    pub watch_hit: bool,
    pub sdn_ent: Option<i64>,
    pub joined: NaiveDateTime,
    pub reusable: bool,
    pub domestic: bool,
    pub cf_budget_c: i64,
    pub rega_budget_c: i64,
    /// Spouse's first name (for wires sent from a joint account).
    pub spouse_first: String,
}

impl Investor {
    /// The person's name ("First Last"), in the native script.
    pub(crate) fn person_name(&self) -> String {
        format!("{} {}", self.first, self.last)
    }
    /// The investor's display name (entity name for companies/trusts).
    pub(crate) fn display_name(&self) -> String {
        match &self.entity_name {
            Some(n) => n.clone(),
            None => self.person_name(),
        }
    }
}

/// Money-side scenario planted on an investment.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum XPlant {
    UnmatchedInvestment,
    AmountMismatch,
    StatusMismatchArrived,
    StatusMismatchNoRefund,
    Duplicate,
    RefundDue,
    /// Member of an ambiguous pair; the value is the other plan index.
    Ambiguous(usize),
}

/// When and how the money of an investment moves.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Flow {
    /// No money on any statement.
    None,
    /// A wire (or IRA custodian wire) booked on `booking`.
    Wire { booking: NaiveDate },
    /// A Stripe charge available on `avail` (paid out / swept that day).
    Stripe { avail: NaiveDate },
    /// A direct ACH credit settling on `settle` (private account).
    AchDirect { settle: NaiveDate },
    /// A crypto settlement on `settle`.
    Crypto { settle: NaiveDate },
}

/// An investment.
pub(crate) struct Inv {
    pub id: i64,
    pub off: usize,
    pub investor: usize,
    pub amount_c: i64,
    pub fees_c: i64,
    pub proc_c: i64,
    pub method: Method,
    pub status: Status,
    pub created: NaiveDateTime,
    pub received: Option<NaiveDateTime>,
    pub invested: Option<NaiveDateTime>,
    pub refunded: Option<NaiveDateTime>,
    pub updated: NaiveDateTime,
    pub reference: String,
    pub pi: Option<String>,
    pub history: bool,
    pub flow: Flow,
    /// Debit returning the money (refund or ACH return), when the money comes back.
    pub back: Option<NaiveDate>,
    pub xplant: Option<XPlant>,
}

impl Inv {
    /// Total charged to the investor (amount + investor-paid fees).
    pub(crate) fn price_c(&self) -> i64 {
        self.amount_c + self.fees_c
    }
    /// What reaches the bank for this investment (price − processing fees).
    pub(crate) fn net_c(&self) -> i64 {
        self.price_c() - self.proc_c
    }
    /// Compliance date.
    pub(crate) fn effective_date(&self) -> NaiveDate {
        self.received.unwrap_or(self.created).date()
    }
}

/// The generated platform world.
pub(crate) struct World {
    pub period: Period,
    pub offerings: Vec<Offering>,
    pub investors: Vec<Investor>,
    /// Sorted by id (id = index + 1).
    pub invs: Vec<Inv>,
    pub biz: Vec<NaiveDate>,
    pub snapshot: NaiveDateTime,
    /// Planted violation intents (plan kind, investment id) for notes.
    pub planted: Vec<(&'static str, i64)>,
    /// The world variant's knobs.
    pub knobs: super::WorldKnobs,
    /// Money plants that kept an amount a namesake's line could fit (no free amount was found;
    /// see `Builder::distinct_amount`): their planted exception may not be decidable.
    pub undecidable_plants: usize,
}

const EXCL_COMMON: &[&str] = &["KP", "IR", "CU", "SY", "RU", "BY"];
const EXCL_REGS: &[&str] = &["US", "KP", "IR", "CU", "SY", "RU", "BY"];
const INCL_NONE: &[&str] = &[];

pub(crate) fn at(d: NaiveDate, h: u32, m: u32, s: u32) -> NaiveDateTime {
    d.and_time(NaiveTime::from_hms_opt(h, m, s).unwrap_or(NaiveTime::MIN))
}

fn biz_days(p: &Period) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut d = p.first_day();
    let last = p.last_day();
    while d <= last {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            out.push(d);
        }
        d += Duration::days(1);
    }
    out
}

/// A business-hours timestamp (14:00–22:59 UTC, the same calendar date in US time zones).
fn day_time(r: &mut R, d: NaiveDate) -> NaiveDateTime {
    at(
        d,
        r.range(14, 22) as u32,
        r.range(0, 59) as u32,
        r.range(0, 59) as u32,
    )
}

/// `LOGAN MOREY` → `Logan Morey`.
fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = c == ' ' || c == '-';
    }
    out
}

fn round_to(v: i64, step: i64) -> i64 {
    (v / step) * step
}

/// Reg CF per-investor limit (2022-09-20 thresholds; greater-of basis).
pub(crate) fn regcf_limit_c(income_c: i64, nw_c: i64) -> i64 {
    let greater = income_c.max(nw_c);
    let lesser = income_c.min(nw_c);
    let lim = if lesser < 12_400_000 {
        (greater / 20).max(250_000)
    } else {
        greater / 10
    };
    lim.min(12_400_000)
}

struct Builder<'a> {
    cfg: &'a GenConfig,
    r: R,
    world: World,
    cf_total_c: i64,
    /// Reusable investors by (domestic, accredited, type) — plain lists of indices.
    reuse_dom: Vec<usize>,
    reuse_intl: Vec<usize>,
    reuse_ira: Vec<usize>,
    pinv: Vec<Inv>,
    /// Amounts of the investments so far by their investor's namesake keys
    /// ([`namesake_keys`]), built at the first money plant: see [`Builder::distinct_amount`].
    by_namesake_key: Option<ByKey>,
    /// Where the next search of [`names::PLANT_FAMILY`] starts.
    plant_family_next: usize,
    /// Investment references drawn so far.
    references: std::collections::HashSet<String>,
    /// Amounts of the money plants by their investors' namesake keys (see
    /// [`Builder::clear_of_plants`]).
    plant_amounts: ByKey,
}

/// The keys under which an investor counts as a namesake of another: the first three letters of
/// each word of their family and entity names, folded to lower-case ASCII as a bank writes them
/// (`Νικολάου` and `Nikolaou` are one word on a statement). A bank line names its payer loosely
/// (a spouse, a truncated or misspelt name, the other gender's form of a family name such as
/// `Καραγιάννη` and `Καραγιάννης`), and the engine scores names by similarity, so `Garside` must
/// count as a namesake of `García`, not only `García` itself.
pub(crate) fn namesake_keys(p: &Investor) -> Vec<String> {
    word_keys(std::iter::once(p.last.as_str()).chain(p.entity_name.as_deref()))
}

/// [`namesake_keys`] of names given as text.
pub(crate) fn word_keys<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut k: Vec<String> = names
        .into_iter()
        .flat_map(|n| n.split(|c: char| !c.is_alphabetic()))
        .map(names::ascii_token)
        .filter(|x| !x.is_empty())
        .map(|w| w.chars().take(3).collect())
        .collect();
    k.sort();
    k.dedup();
    k
}

/// How many increments [`Builder::distinct_amount`] searches from the wanted amount with a
/// family name of [`names::PLANT_FAMILY`] when 200 leave none free.
const WIDE_STEPS: i64 = 5_000;

/// Amounts (cents) by namesake key ([`namesake_keys`]), ordered for nearest-neighbour lookups.
type ByKey = std::collections::HashMap<String, std::collections::BTreeSet<i64>>;

/// Whether `a` is [`amounts_apart`] from every amount filed under any of `keys` in `index`.
/// Checking the nearest amount on each side is enough: moving `b` away from `a` only makes them
/// more apart.
fn clear_of(index: &ByKey, keys: &[String], a: i64) -> bool {
    keys.iter().all(|k| {
        index.get(k).is_none_or(|set| {
            set.range(..=a)
                .next_back()
                .is_none_or(|&b| amounts_apart(a, b))
                && set.range(a..).next().is_none_or(|&b| amounts_apart(a, b))
        })
    })
}

/// Whether a money plant's amount `a` cannot be taken for a namesake's payment of `b`: more than
/// 2 % apart and more than $60 apart (a wire may be short or over by up to $50, the engine's
/// wire tolerance in `templates/tolerances.toml`, intermediary fees included).
pub(crate) fn amounts_apart(a: i64, b: i64) -> bool {
    let d = (a - b).abs();
    d * 50 > a.max(b) && d > 6_000
}

/// Violation plant kinds (one row per planted investment, before ids exist).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum VPlant {
    CfLimit,
    CfIssuerCap,
    RegATier2,
    D506bNonAcc,
    D506cNotAcc,
    RegSUsPerson,
    AccInconsistent,
    Kyc,
    Aml,
    Sanctions(usize),
    Underage,
    CountryExcluded,
    BelowMin,
    AboveMax,
    Increment,
    AfterDeadline,
    /// A natural person without a date of birth: the age rule cannot be evaluated.
    DataMissing,
}

/// Builds the world.
pub(crate) fn build(cfg: &GenConfig) -> World {
    let p = cfg.period;
    let biz = biz_days(&p);
    let snapshot = at(p.last_day() + Duration::days(1), 0, 0, 0);
    let n = cfg.investments;
    let plant_v = n >= 60;
    let plant_506b = n >= 300;
    let mut b = Builder {
        cfg,
        r: R::new(cfg.seed, 1),
        world: World {
            period: p,
            offerings: Vec::new(),
            investors: Vec::new(),
            invs: Vec::new(),
            biz,
            snapshot,
            planted: Vec::new(),
            knobs: cfg.world.clone(),
            undecidable_plants: 0,
        },
        cf_total_c: 0,
        reuse_dom: Vec::new(),
        reuse_intl: Vec::new(),
        reuse_ira: Vec::new(),
        pinv: Vec::with_capacity(n),
        by_namesake_key: None,
        plant_family_next: 0,
        references: std::collections::HashSet::with_capacity(n),
        plant_amounts: ByKey::new(),
    };
    b.offerings(plant_v);

    // Plan the planted slots first; the rest are normal.
    let v = (n / 400).max(1);
    let e = (n / 200).max(1);
    let mut vplants: Vec<VPlant> = Vec::new();
    if plant_v {
        for _ in 0..v {
            vplants.extend([
                VPlant::CfLimit,
                VPlant::RegATier2,
                VPlant::D506cNotAcc,
                VPlant::RegSUsPerson,
                VPlant::AccInconsistent,
                VPlant::Kyc,
                VPlant::Aml,
                VPlant::Underage,
                VPlant::CountryExcluded,
                VPlant::BelowMin,
                VPlant::AboveMax,
                VPlant::Increment,
                VPlant::AfterDeadline,
                VPlant::DataMissing,
            ]);
        }
        for i in 0..v.min(cfg.sdn_names.len()) {
            vplants.push(VPlant::Sanctions(i));
        }
    }
    if plant_506b {
        for _ in 0..(35 + v) {
            vplants.push(VPlant::D506bNonAcc);
        }
    }
    let mut xplants: Vec<XPlant> = Vec::new();
    if plant_v {
        for _ in 0..e {
            xplants.extend([
                XPlant::UnmatchedInvestment,
                XPlant::AmountMismatch,
                XPlant::StatusMismatchArrived,
                XPlant::StatusMismatchNoRefund,
                XPlant::Duplicate,
                XPlant::RefundDue,
                XPlant::Ambiguous(0),
            ]);
        }
    }
    let n_hist = n * 8 / 100;
    let mut reserved = vplants.len()
        + xplants
            .iter()
            .map(|x| {
                if matches!(x, XPlant::Ambiguous(_)) {
                    2
                } else {
                    1
                }
            })
            .sum::<usize>();
    if plant_v {
        reserved += 1; // the issuer-cap whale
    }
    let reserved = reserved.min(n.saturating_sub(n_hist));
    let n_normal = n - n_hist - reserved;
    for _ in 0..n_hist {
        b.normal(true);
    }
    for _ in 0..n_normal {
        b.normal(false);
    }
    let mut budget = reserved;
    for vp in vplants {
        if budget == 0 {
            break;
        }
        b.vplant(vp);
        budget -= 1;
    }
    for xp in xplants {
        let need = if matches!(xp, XPlant::Ambiguous(_)) {
            2
        } else {
            1
        };
        if budget < need {
            break;
        }
        b.xplant(xp);
        budget -= need;
    }
    if plant_v && budget >= 1 {
        b.vplant(VPlant::CfIssuerCap);
        budget -= 1;
    }
    for _ in 0..budget {
        b.normal(false);
    }
    b.finish()
}

/// The static ISO alpha-2 code equal to `code` (investor records hold `&'static str`), for the
/// countries an SDN entry may name.
fn country_code(code: &str) -> Option<&'static str> {
    const CODES: [&str; 60] = [
        "AE", "AF", "AM", "AR", "AZ", "BE", "BR", "BY", "CA", "CF", "CH", "CN", "CO", "CU", "CY",
        "DE", "EG", "ES", "FR", "GB", "GR", "HK", "ID", "IL", "IN", "IQ", "IR", "IT", "JO", "JP",
        "KP", "KZ", "LB", "LY", "MX", "MY", "NG", "NI", "NL", "PA", "PK", "PS", "RU", "SA", "SD",
        "SG", "SO", "SS", "SY", "TR", "UA", "US", "UZ", "VE", "VN", "YE", "ZW", "BZ", "ML", "CD",
    ];
    let code = code.trim().to_ascii_uppercase();
    CODES.iter().copied().find(|c| *c == code)
}
