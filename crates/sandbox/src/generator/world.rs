//! The platform side of the world: offerings, investors and investments, including the planted
//! compliance violations and the money-side exception scenarios.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use super::names::{self, Pool};
use super::rng::R;
use super::{GenConfig, Period};

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

impl Builder<'_> {
    fn offerings(&mut self, plant: bool) {
        let p = self.cfg.period;
        let first = p.first_day();
        let last = p.last_day();
        let r = &mut self.r;
        #[allow(clippy::type_complexity)]
        let specs: [(OffKind, &str, i64, i64, i64, Option<i64>, i64, i64, Acct); 5] = [
            (
                OffKind::RegCf,
                "Brightwater Cooperative Brewery",
                1_000,
                10_000,
                1_000,
                Some(12_400_000),
                500_000,
                500_000,
                Acct::Escrow,
            ),
            (
                OffKind::RegA,
                "Solenne Modular Homes",
                500,
                50_000,
                5_000,
                Some(25_000_000),
                1_000_000,
                100_000,
                Acct::Operating,
            ),
            (
                OffKind::D506b,
                "Harbor Lane Multifamily Fund I",
                100_000,
                2_500_000,
                100_000,
                Some(100_000_000),
                25_000_000,
                2_500_000,
                Acct::Private,
            ),
            (
                OffKind::D506c,
                "Northstar Venture Partners II",
                10_000,
                5_000_000,
                500_000,
                Some(200_000_000),
                50_000_000,
                5_000_000,
                Acct::Private,
            ),
            (
                OffKind::RegS,
                "Aurora Geothermal International",
                1_000,
                1_000_000,
                100_000,
                Some(50_000_000),
                10_000_000,
                1_000_000,
                Acct::Intl,
            ),
        ];
        for (i, (kind, name, unit, min, inc, max, soft, min_wire, acct)) in
            specs.into_iter().enumerate()
        {
            let created = at(
                first - Duration::days(r.range(200, 400)),
                r.range(14, 22) as u32,
                r.range(0, 59) as u32,
                0,
            );
            let opened = created + Duration::days(r.range(20, 60));
            let last_biz = self.world.biz.last().copied().unwrap_or(last);
            let deadline = if plant && kind == OffKind::D506b {
                last_biz - Duration::days(1)
            } else {
                last + Duration::days(r.range(90, 270))
            };
            let last_received = if deadline < last { deadline } else { last };
            let slug = names::ascii_token(name);
            let (excluded, included) = match kind {
                OffKind::RegS => (EXCL_REGS, INCL_NONE),
                _ => (EXCL_COMMON, INCL_NONE),
            };
            self.world.offerings.push(Offering {
                id: i as i64 + 1,
                kind,
                name: name.to_string(),
                slug,
                unit_c: unit,
                min_c: min,
                inc_c: inc,
                max_c: max,
                soft_c: soft,
                min_wire_c: min_wire,
                target_c: 0,
                max_raise_c: 0,
                deadline,
                excluded,
                included,
                status: if deadline < last { "closed" } else { "opened" },
                created_at: created,
                opened_at: opened,
                acct,
                last_received,
            });
        }
    }

    fn pool(&mut self, domestic: bool) -> &'static Pool {
        let w: [u64; 5] = if domestic {
            [70, 18, 6, 3, 3]
        } else {
            [15, 35, 18, 20, 12]
        };
        match self.r.weighted(&w) {
            0 => &names::ANGLO,
            1 => &names::ACCENTED,
            2 => &names::VIETNAMESE,
            3 => &names::CYRILLIC,
            _ => &names::GREEK,
        }
    }

    /// Creates a clean investor.
    fn new_investor(&mut self, itype: IType, domestic: bool, must_accredit: bool) -> usize {
        let pool = self.pool(domestic);
        let r = &mut self.r;
        let (first, female) = *r.pick(pool.firsts);
        let (lm, lf) = *r.pick(pool.lasts);
        let last = if female { lf } else { lm };
        let spouse = loop {
            let (s, _) = *r.pick(pool.firsts);
            if s != first {
                break s;
            }
        };
        let country: &'static str = if domestic {
            "US"
        } else {
            r.pick::<&'static str>(pool.countries)
        };
        let start = self.cfg.period.first_day();
        let natural = itype.natural();
        let dob = natural.then(|| start - Duration::days(r.range(21 * 366, 80 * 365)));
        let entity_name = match itype {
            IType::Company => Some(match r.below(4) {
                0 => format!("{last} Holdings LLC"),
                1 => format!("{last} & Partners Capital LP"),
                2 => format!("{} {} Ventures Inc.", first, last),
                _ => format!("{last} Family Office GmbH"),
            }),
            IType::Trust => Some(match r.below(2) {
                0 => format!("The {last} Family Trust"),
                _ => format!("{first} {last} Revocable Trust"),
            }),
            _ => None,
        };
        let (accredited, acc_type, nw, inc);
        if !natural {
            accredited = true;
            acc_type = Some("entity_assets");
            nw = r.range(1_000_000_000, 8_000_000_000);
            inc = r.range(100_000_000, 2_000_000_000);
        } else if must_accredit || r.pct(45) {
            accredited = true;
            match r.weighted(&[50, 25, 15, 10]) {
                0 => {
                    acc_type = Some("net_worth");
                    nw = r.range(200_000_000, 2_000_000_000);
                    inc = r.range(10_000_000, 90_000_000);
                }
                1 => {
                    acc_type = Some("income");
                    inc = r.range(40_000_000, 200_000_000);
                    nw = r.range(50_000_000, 500_000_000);
                }
                2 => {
                    acc_type = Some("joint_income");
                    inc = r.range(60_000_000, 150_000_000);
                    nw = r.range(80_000_000, 500_000_000);
                }
                _ => {
                    acc_type = Some("professional");
                    inc = r.range(15_000_000, 40_000_000);
                    nw = r.range(30_000_000, 90_000_000);
                }
            }
        } else {
            accredited = false;
            acc_type = None;
            nw = round_to(r.range(6_000_000, 90_000_000), 100_000);
            inc = round_to(r.range(5_000_000, 19_000_000), 100_000);
        }
        let (nw, inc) = (round_to(nw, 100_000), round_to(inc, 100_000));
        let (self_cf, self_cf_other) = if !accredited && domestic && r.pct(30) {
            let lim = regcf_limit_c(inc, nw);
            (
                round_to(r.range(0, lim / 8), 10_000),
                round_to(r.range(0, lim / 16), 10_000),
            )
        } else {
            (0, 0)
        };
        let cf_budget = if accredited {
            i64::MAX / 4
        } else {
            regcf_limit_c(inc, nw) / 2 - self_cf - self_cf_other
        };
        let rega_budget = if accredited {
            i64::MAX / 4
        } else {
            inc.max(nw) / 20
        };
        let joined = at(
            start - Duration::days(r.range(1, 700)),
            r.range(14, 22) as u32,
            r.range(0, 59) as u32,
            r.range(0, 59) as u32,
        );
        let id = self.world.investors.len() as i64 + 1;
        self.world.investors.push(Investor {
            id,
            itype,
            first: first.to_string(),
            last: last.to_string(),
            entity_name,
            country,
            us_person: domestic,
            dob,
            accredited,
            acc_type,
            nw_c: nw,
            income_c: inc,
            self_cf_c: self_cf,
            self_cf_other_c: self_cf_other,
            kyc: "passed",
            watch_hit: false,
            sdn_ent: None,
            joined,
            reusable: true,
            domestic,
            cf_budget_c: cf_budget,
            rega_budget_c: rega_budget,
            spouse_first: spouse.to_string(),
        });
        let idx = self.world.investors.len() - 1;
        if self.avoid_sdn(idx) {
            // Re-roll the name so a clean investor never resembles a planted SDN entry.
            let inv = &mut self.world.investors[idx];
            inv.first = "Chris".into();
            inv.last = format!("Sample{}", inv.id);
        }
        idx
    }

    fn avoid_sdn(&self, idx: usize) -> bool {
        if self.cfg.sdn_names.is_empty() {
            return false;
        }
        let inv = &self.world.investors[idx];
        let a = names::roman_upper(&inv.first);
        let l = names::roman_upper(&inv.last);
        self.cfg.sdn_names.iter().any(|s| {
            let up = names::roman_upper(&s.name);
            up.split(' ').any(|t| t == l) && up.split(' ').any(|t| a.split(' ').any(|f| f == t))
        })
    }

    fn register_reuse(&mut self, idx: usize) {
        let inv = &self.world.investors[idx];
        if !inv.reusable {
            return;
        }
        if inv.itype == IType::TrustIra {
            self.reuse_ira.push(idx);
        } else if inv.domestic {
            self.reuse_dom.push(idx);
        } else {
            self.reuse_intl.push(idx);
        }
    }

    /// Picks an investor for an offering/method (25% repeat investors).
    fn choose_investor(&mut self, off: usize, method: Method) -> usize {
        let kind = self.world.offerings[off].kind;
        let domestic = kind != OffKind::RegS;
        let need_acc = matches!(kind, OffKind::D506b | OffKind::D506c);
        let list = if method == Method::Ira {
            &self.reuse_ira
        } else if domestic {
            &self.reuse_dom
        } else {
            &self.reuse_intl
        };
        if !list.is_empty() && self.r.pct(25) {
            let cand = list[self.r.below(list.len() as u64) as usize];
            let c = &self.world.investors[cand];
            if c.domestic == domestic && (!need_acc || c.accredited) {
                return cand;
            }
        }
        let itype = if method == Method::Ira {
            IType::TrustIra
        } else {
            match self.r.weighted(&[84, 9, 7]) {
                0 => IType::Person,
                1 => IType::Company,
                _ => IType::Trust,
            }
        };
        let idx = self.new_investor(itype, domestic, need_acc);
        self.register_reuse(idx);
        idx
    }

    fn pick_method(&mut self, kind: OffKind) -> Method {
        use Method::*;
        let (ms, ws): (&[Method], &[u64]) = match kind {
            OffKind::RegCf => (&[Card, Ach, Wire, Ira], &[40, 25, 25, 10]),
            OffKind::RegA => (&[Card, Ach, Wire, Ira, Crypto], &[35, 20, 25, 8, 12]),
            OffKind::D506b | OffKind::D506c => (&[Wire, Ira, Ach], &[65, 15, 20]),
            OffKind::RegS => (&[Wire], &[100]),
        };
        ms[self.r.weighted(ws)]
    }

    fn pick_status(&mut self, history: bool, kind: OffKind) -> Status {
        use Status::*;
        if history {
            return match self.r.weighted(&[90, 10]) {
                0 => {
                    if kind == OffKind::RegCf {
                        AcceptedEscrowClosed
                    } else {
                        Accepted
                    }
                }
                _ => Cancelled,
            };
        }
        let all = [
            Received,
            Invested,
            Approved,
            Accepted,
            Started,
            NotReceived,
            PaymentFailed,
            Cancelled,
            Refunded,
            NotApproved,
        ];
        all[self.r.weighted(&[20, 25, 15, 20, 5, 4, 3, 4, 3, 1])]
    }

    /// An amount on the increment, within the investor budget; None when the budget is too small.
    fn pick_amount(&mut self, off: usize, budget_c: i64) -> Option<i64> {
        let o = &self.world.offerings[off];
        let cap = budget_c.min(o.max_c.unwrap_or(i64::MAX / 4)).min(o.soft_c);
        if cap < o.min_c {
            return None;
        }
        let ks = (cap - o.min_c) / o.inc_c;
        let a = self.r.below(ks as u64 + 1) as i64;
        let b2 = self.r.below(ks as u64 + 1) as i64;
        let k = if ks == 0 { 0 } else { a * b2 / ks };
        Some(o.min_c + k * o.inc_c)
    }

    fn fees(&mut self, method: Method, amount: i64) -> (i64, i64) {
        match method {
            Method::Card => {
                let fee = (amount * 3 + 50) / 100;
                let price = amount + fee;
                (fee, (price * 29 + 500) / 1000 + 30)
            }
            Method::Ach => (0, ((amount * 8 + 500) / 1000).min(500)),
            _ => (0, 0),
        }
    }

    fn offering_index(&self, kind: OffKind) -> usize {
        self.world
            .offerings
            .iter()
            .position(|o| o.kind == kind)
            .unwrap_or(0)
    }

    /// Core investment creation with money timing. `status` decides whether money moves.
    #[allow(clippy::too_many_arguments)]
    fn push_inv(
        &mut self,
        off: usize,
        investor: usize,
        amount: i64,
        method: Method,
        status: Status,
        history: bool,
        xplant: Option<XPlant>,
        forced_day: Option<usize>,
    ) -> usize {
        let kind = self.world.offerings[off].kind;
        let (fees, proc_) = self.fees(method, amount);
        let p = self.cfg.period;
        let first = p.first_day();
        let last = p.last_day();
        let last_recv = self.world.offerings[off].last_received;
        let biz = self.world.biz.clone();
        let nb_ok = biz.iter().filter(|d| **d <= last_recv).count().max(1);
        let r = &mut self.r;

        // Does money arrive on the statements?
        let money = if history {
            false
        } else {
            match xplant {
                Some(XPlant::UnmatchedInvestment) => false,
                Some(_) => true,
                None => match status {
                    s if s.funds_taken() => true,
                    Status::Refunded | Status::NotApproved => true,
                    Status::PaymentFailed => method == Method::Ach && kind != OffKind::RegA,
                    _ => false,
                },
            }
        };
        let lag = match method {
            Method::Card => 2,
            Method::Ach => {
                if kind == OffKind::RegCf || kind == OffKind::RegA {
                    4
                } else {
                    2
                }
            }
            Method::Crypto => 1,
            _ => 0,
        };
        let mut flow = Flow::None;
        let created;
        let mut received = None;
        let mut back = None;
        if history {
            let d = first - Duration::days(r.range(10, 330));
            let t = day_time(r, d);
            created = t - Duration::hours(r.range(1, 96));
            if status.funds_taken() {
                received = Some(t);
            }
        } else if money || status.funds_taken() {
            let hi = nb_ok.saturating_sub(1 + lag);
            let bi = forced_day
                .unwrap_or_else(|| r.below(hi as u64 + 1) as usize)
                .min(biz.len() - 1);
            let day = biz[bi];
            match method {
                Method::Wire | Method::Ira => {
                    // The platform marks a wire received up to 2 days before (investor's
                    // confirmation) or 3 days after the bank books it.
                    let mut rd = day + Duration::days(r.range(-2, 3));
                    if rd > last_recv || rd < first {
                        rd = day;
                    }
                    let t = day_time(r, rd);
                    received = Some(t);
                    flow = Flow::Wire { booking: day };
                }
                Method::Card | Method::Ach => {
                    received = Some(day_time(r, day));
                    let settle = biz[(bi + lag).min(biz.len() - 1)];
                    flow = if kind == OffKind::RegCf || kind == OffKind::RegA {
                        Flow::Stripe { avail: settle }
                    } else {
                        Flow::AchDirect { settle }
                    };
                }
                Method::Crypto => {
                    received = Some(day_time(r, day));
                    flow = Flow::Crypto {
                        settle: biz[(bi + 1).min(biz.len() - 1)],
                    };
                }
            }
            let t = received.unwrap_or_else(|| at(day, 15, 0, 0));
            created = (t - Duration::minutes(r.range(5, 60 * 24 * 5))).max(at(
                first - Duration::days(20),
                14,
                0,
                0,
            ));
            if !money {
                flow = Flow::None;
            }
            if matches!(status, Status::PaymentFailed | Status::NotReceived) {
                received = None;
            }
            // Money going back: refunds and ACH returns (clean cases only).
            let settle_day = match flow {
                Flow::Wire { booking } => Some(booking),
                Flow::Stripe { avail } => Some(avail),
                Flow::AchDirect { settle } => Some(settle),
                Flow::Crypto { settle } => Some(settle),
                Flow::None => None,
            };
            if let Some(sd) = settle_day {
                let returns = xplant.is_none()
                    && (matches!(status, Status::Refunded | Status::NotApproved)
                        || (status == Status::PaymentFailed && method == Method::Ach));
                if returns {
                    let si = biz.iter().position(|d| *d == sd).unwrap_or(0);
                    back = Some(biz[(si + r.range(1, 5) as usize).min(biz.len() - 1)]);
                }
            }
        } else {
            let d = first + Duration::days(r.range(0, (last - first).num_days()));
            created = day_time(r, d);
        }
        let created = created.min(at(last, 23, 0, 0));
        let mut invested = None;
        let mut refunded = None;
        let signs = matches!(
            status,
            Status::Invested | Status::Approved | Status::Accepted | Status::AcceptedEscrowClosed
        );
        if let Some(t) = received.filter(|_| signs) {
            invested = Some(
                (t + Duration::minutes(r.range(10, 60 * 30)))
                    .min(at(last, 23, 30, 0))
                    .max(t),
            );
        }
        if status == Status::Refunded || (status == Status::NotApproved && back.is_some()) {
            refunded = Some(match back {
                Some(d) => day_time(r, d),
                None => match received {
                    Some(t) => (t + Duration::days(2)).min(at(last, 23, 30, 0)),
                    None => created + Duration::hours(3),
                },
            });
        }
        if history && status == Status::Cancelled {
            refunded = None;
        }
        let mut updated = created;
        for t in [received, invested, refunded].into_iter().flatten() {
            updated = updated.max(t);
        }
        let updated = if history {
            updated + Duration::days(r.range(0, 5))
        } else {
            (updated + Duration::minutes(r.range(1, 600)))
                .min(at(last, 23, 59, 0))
                .max(updated)
        };
        // Unique, as the platform's are: at a million investments six random characters
        // collide a few hundred times, and a shared reference is a different exception.
        let reference = loop {
            let c = format!("INV-{}", r.code(6));
            if self.references.insert(c.clone()) {
                break c;
            }
        };
        let pi =
            matches!(method, Method::Card | Method::Ach).then(|| format!("pi_3{}", r.alnum(23)));
        let _ = kind;
        // Investments after the first money plant join the namesake index too (the plants'
        // own amounts are added by `distinct_amount`).
        if !history && let Some(index) = self.by_namesake_key.as_mut() {
            for k in namesake_keys(&self.world.investors[investor]) {
                index.entry(k).or_default().insert(amount);
            }
        }
        self.pinv.push(Inv {
            id: 0,
            off,
            investor,
            amount_c: amount,
            fees_c: fees,
            proc_c: proc_,
            method,
            status,
            created,
            received,
            invested,
            refunded,
            updated,
            reference,
            pi,
            history,
            flow,
            back,
            xplant,
        });
        if status.funds_taken() && kind == OffKind::RegCf {
            self.cf_total_c += amount;
        }
        self.pinv.len() - 1
    }

    fn normal(&mut self, history: bool) {
        let w = [30u64, 25, 15, 15, 15];
        let kinds = [
            OffKind::RegCf,
            OffKind::RegA,
            OffKind::D506b,
            OffKind::D506c,
            OffKind::RegS,
        ];
        let mut kind = kinds[self.r.weighted(&w)];
        if kind == OffKind::RegCf && self.cf_total_c > 380_000_000 {
            kind = OffKind::RegA;
        }
        let off = self.offering_index(kind);
        let method = self.pick_method(kind);
        let mut status = self.pick_status(history, kind);
        // Card refunds in Reg CF happen inside Stripe before the sweep: model them as cancelled.
        if kind == OffKind::RegCf
            && matches!(method, Method::Card | Method::Ach)
            && matches!(status, Status::Refunded | Status::NotApproved)
        {
            status = Status::Cancelled;
        }
        // ACH debits bounce now and then (returns on escrow and private statements).
        if !history && method == Method::Ach && kind != OffKind::RegA && self.r.pct(8) {
            status = Status::PaymentFailed;
        }
        if method == Method::Crypto
            && matches!(
                status,
                Status::Refunded | Status::NotApproved | Status::PaymentFailed
            )
        {
            status = Status::Cancelled;
        }
        let mut tries = 0;
        let (investor, amount) = loop {
            let idx = self.choose_investor(off, method);
            let budget = match kind {
                OffKind::RegCf => self.world.investors[idx].cf_budget_c,
                OffKind::RegA => self.world.investors[idx].rega_budget_c,
                _ => i64::MAX / 4,
            };
            if let Some(a) = self.pick_amount(off, budget) {
                break (idx, a);
            }
            tries += 1;
            if tries > 20 {
                // Fall back to a fresh accredited investor.
                let itype = if method == Method::Ira {
                    IType::TrustIra
                } else {
                    IType::Person
                };
                let idx = self.new_investor(itype, kind != OffKind::RegS, true);
                let a = self
                    .pick_amount(off, i64::MAX / 4)
                    .unwrap_or(self.world.offerings[off].min_c);
                break (idx, a);
            }
        };
        // Never the amount of a namesake's planted missing money (only down: a Reg CF or Reg A
        // investor's limit must hold).
        let amount = if history {
            amount
        } else {
            self.clear_of_plants(off, investor, amount, 0, amount)
        };
        {
            let inv = &mut self.world.investors[investor];
            match kind {
                OffKind::RegCf => inv.cf_budget_c -= amount,
                OffKind::RegA => inv.rega_budget_c -= amount,
                _ => {}
            }
        }
        self.push_inv(off, investor, amount, method, status, history, None, None);
    }

    /// A fresh, non-reusable investor for a plant.
    fn fresh(&mut self, itype: IType, domestic: bool, acc: bool) -> usize {
        let idx = self.new_investor(itype, domestic, acc);
        self.world.investors[idx].reusable = false;
        idx
    }

    /// A fresh, non-reusable, non-accredited natural person with modest figures.
    fn fresh_nonacc(&mut self, domestic: bool) -> usize {
        let idx = self.fresh(IType::Person, domestic, false);
        let nw = round_to(self.r.range(6_000_000, 40_000_000), 100_000);
        let inc = round_to(self.r.range(5_000_000, 15_000_000), 100_000);
        let i = &mut self.world.investors[idx];
        i.accredited = false;
        i.acc_type = None;
        i.nw_c = nw;
        i.income_c = inc;
        i.self_cf_c = 0;
        i.self_cf_other_c = 0;
        idx
    }

    fn vplant(&mut self, vp: VPlant) {
        let st = if self.r.pct(50) {
            Status::Invested
        } else {
            Status::Received
        };
        let (kind, idx, amount): (OffKind, usize, i64);
        let code: &'static str;
        match vp {
            VPlant::CfLimit => {
                kind = OffKind::RegCf;
                idx = self.fresh_nonacc(true);
                let i = &mut self.world.investors[idx];
                i.nw_c = 4_000_000;
                i.income_c = 3_500_000;
                i.self_cf_c = 0;
                i.self_cf_other_c = 0;
                amount = 1_000_000;
                code = "REGCF_INVESTOR_LIMIT";
            }
            VPlant::CfIssuerCap => {
                kind = OffKind::RegCf;
                idx = self.fresh(IType::Company, true, true);
                let o = &self.world.offerings[self.offering_index(kind)];
                let need = 500_000_000 - self.cf_total_c + 25_000_000;
                amount = o.min_c + ((need - o.min_c + o.inc_c - 1) / o.inc_c) * o.inc_c;
                code = "REGCF_ISSUER_CAP";
            }
            VPlant::RegATier2 => {
                kind = OffKind::RegA;
                idx = self.fresh_nonacc(true);
                let i = &mut self.world.investors[idx];
                i.nw_c = 8_000_000;
                i.income_c = 6_000_000;
                amount = 2_500_000;
                code = "REGA_TIER2_LIMIT";
            }
            VPlant::D506bNonAcc => {
                kind = OffKind::D506b;
                idx = self.fresh_nonacc(true);
                amount = 2_500_000 + 100_000 * self.r.range(0, 20);
                code = "REGD_506B_NONACCREDITED_COUNT";
            }
            VPlant::D506cNotAcc => {
                kind = OffKind::D506c;
                idx = self.fresh_nonacc(true);
                if self.r.pct(50) {
                    let i = &mut self.world.investors[idx];
                    i.accredited = true;
                    i.acc_type = None;
                }
                amount = 5_000_000 + 500_000 * self.r.range(0, 10);
                code = "REGD_506C_NOT_ACCREDITED";
            }
            VPlant::RegSUsPerson => {
                kind = OffKind::RegS;
                idx = self.fresh_nonacc(false);
                self.world.investors[idx].us_person = true;
                amount = 1_000_000 + 100_000 * self.r.range(0, 40);
                code = "REGS_US_PERSON";
            }
            VPlant::AccInconsistent => {
                kind = OffKind::D506c;
                idx = self.fresh(IType::Person, true, true);
                let i = &mut self.world.investors[idx];
                i.acc_type = Some("net_worth");
                i.nw_c = 60_000_000;
                amount = 5_000_000 + 500_000 * self.r.range(0, 10);
                code = "ACCREDITATION_INCONSISTENT";
            }
            VPlant::Kyc => {
                kind = OffKind::RegA;
                idx = self.fresh(IType::Person, true, true);
                self.world.investors[idx].kyc = if self.r.pct(50) {
                    "failed"
                } else {
                    "unverified"
                };
                amount = 100_000 + 5_000 * self.r.range(0, 100);
                code = "KYC_NOT_PASSED";
            }
            VPlant::Aml => {
                kind = OffKind::RegA;
                idx = self.fresh(IType::Person, true, true);
                self.world.investors[idx].watch_hit = true;
                amount = 100_000 + 5_000 * self.r.range(0, 100);
                code = "AML_WATCHLIST_HIT";
            }
            VPlant::Sanctions(k) => {
                kind = OffKind::RegS;
                let sdn = self.cfg.sdn_names[k].clone();
                let is_person = sdn.individual;
                idx = self.fresh(
                    if is_person {
                        IType::Person
                    } else {
                        IType::Company
                    },
                    false,
                    false,
                );
                let i = &mut self.world.investors[idx];
                i.sdn_ent = Some(sdn.ent_num);
                i.country = "AE";
                if let Some(c) = sdn.country.as_deref().and_then(country_code) {
                    i.country = c;
                }
                if is_person {
                    // The entry's date of birth when it states one; otherwise the investor keeps
                    // their own (a person always states one: DATA_MISSING is planted apart).
                    if sdn.dob.is_some() {
                        i.dob = sdn.dob;
                    }
                    let mut parts = sdn.name.splitn(2, ',');
                    let last = title_case(parts.next().unwrap_or("").trim());
                    let first = parts.next().unwrap_or("").trim().to_string();
                    i.first = first;
                    i.last = last;
                } else {
                    i.entity_name = Some(sdn.name.trim().to_string());
                }
                amount = 1_000_000 + 100_000 * self.r.range(0, 20);
                code = "SANCTIONS_NAME_MATCH";
            }
            VPlant::Underage => {
                kind = OffKind::RegCf;
                idx = self.fresh(IType::Person, true, true);
                let start = self.cfg.period.first_day();
                self.world.investors[idx].dob = Some(start - Duration::days(16 * 365 + 30));
                amount = 50_000 + 1_000 * self.r.range(0, 50);
                code = "INVESTOR_UNDERAGE";
            }
            VPlant::CountryExcluded => {
                kind = OffKind::RegA;
                idx = self.fresh(IType::Person, true, true);
                let i = &mut self.world.investors[idx];
                i.country = "RU";
                i.us_person = false;
                i.domestic = false;
                i.first = "Дмитрий".into();
                i.last = ["Соколов", "Морозов", "Волков", "Лебедев"][(i.id % 4) as usize].into();
                amount = 100_000 + 5_000 * self.r.range(0, 100);
                code = "COUNTRY_EXCLUDED";
            }
            VPlant::BelowMin => {
                kind = OffKind::D506c;
                idx = self.fresh(IType::Person, true, true);
                amount = 2_000_000;
                code = "INVESTMENT_BELOW_MIN";
            }
            VPlant::AboveMax => {
                kind = OffKind::RegS;
                idx = self.fresh(IType::Person, false, true);
                amount = 75_000_000;
                code = "INVESTMENT_ABOVE_MAX";
            }
            VPlant::Increment => {
                kind = OffKind::RegA;
                idx = self.fresh(IType::Person, true, true);
                amount = 50_000 + 5_000 * self.r.range(0, 50) + 2_500;
                code = "INVESTMENT_INCREMENT";
            }
            VPlant::DataMissing => {
                kind = OffKind::RegA;
                idx = self.fresh(IType::Person, true, true);
                self.world.investors[idx].dob = None;
                amount = 100_000 + 5_000 * self.r.range(0, 100);
                code = "DATA_MISSING";
            }
            VPlant::AfterDeadline => {
                kind = OffKind::D506b;
                idx = self.fresh(IType::Person, true, true);
                amount = 2_500_000 + 100_000 * self.r.range(0, 20);
                code = "FUNDS_AFTER_DEADLINE";
            }
        }
        let off = self.offering_index(kind);
        let forced = match vp {
            VPlant::AfterDeadline | VPlant::CfIssuerCap => Some(self.world.biz.len() - 1),
            _ => None,
        };
        if vp == VPlant::AfterDeadline {
            // Received on the last business day, after the deadline (bypass the clamp).
            let saved = self.world.offerings[off].last_received;
            self.world.offerings[off].last_received = self.cfg.period.last_day();
            let i = self.push_inv(off, idx, amount, Method::Wire, st, false, None, forced);
            self.world.offerings[off].last_received = saved;
            let deadline = self.world.offerings[off].deadline;
            let inv = &mut self.pinv[i];
            if let (Some(t), Flow::Wire { booking }) = (inv.received, inv.flow)
                && t.date() <= deadline
            {
                let t2 = at(booking.max(deadline + Duration::days(1)), 16, 0, 0);
                inv.received = Some(t2);
                inv.invested = inv.invested.map(|x| x.max(t2));
                inv.updated = inv.updated.max(t2);
            }
            self.world.planted.push((code, i as i64));
            return;
        }
        let i = self.push_inv(off, idx, amount, Method::Wire, st, false, None, forced);
        self.world.planted.push((code, i as i64));
        if vp == VPlant::AccInconsistent {
            // In a 506(c) offering a contradicted accreditation claim is also a 506(c)
            // violation candidate (17 CFR 230.506(c)(2)(i)).
            self.world
                .planted
                .push(("REGD_506C_NOT_ACCREDITED", i as i64));
        }
    }

    /// An amount for a money plant of investors `who` (one, or the two of an ambiguity plant,
    /// who share a family name) in offering `off`, starting from `want`: [`amounts_apart`] from
    /// every other investment of a namesake ([`namesake_keys`]). A planted exception must be
    /// decidable from the data, as the compliance plants keep margins: an investment planted
    /// without its money next to a namesake's unreferenced wire of the same amount (a spouse's,
    /// a family company's) is a true ambiguity, not the planted exception. Steps by the
    /// offering's increment, up to 200 steps up (within its maximum), then down (within its
    /// minimum). When no step is free (at a million investments every family name of the pools
    /// has thousands of investments), the plant's investors take a family name of
    /// [`names::PLANT_FAMILY`] where one is, searched 200 steps each way and then, when those
    /// are crowded too, up to [`WIDE_STEPS`]. Only when none is free is `want` kept, and
    /// [`World::undecidable_plants`] counts it.
    fn distinct_amount(&mut self, off: usize, who: &[usize], want: i64) -> i64 {
        if self.by_namesake_key.is_none() {
            let mut m = ByKey::new();
            for inv in self.pinv.iter().filter(|i| !i.history) {
                for k in namesake_keys(&self.world.investors[inv.investor]) {
                    m.entry(k).or_default().insert(inv.amount_c);
                }
            }
            self.by_namesake_key = Some(m);
        }
        let o = &self.world.offerings[off];
        let (min, inc, max) = (o.min_c, o.inc_c.max(1), o.max_c.unwrap_or(i64::MAX / 4));
        let Some(index) = self.by_namesake_key.as_mut() else {
            return want;
        };
        let search = |index: &ByKey, keys: &[String], steps: i64| {
            let up = (0..steps).map(|k| want + k * inc).take_while(|&a| a <= max);
            let down = (1..steps).map(|k| want - k * inc).take_while(|&a| a >= min);
            up.chain(down).find(|&a| clear_of(index, keys, a))
        };
        let mut keys: Vec<String> = who
            .iter()
            .flat_map(|&i| namesake_keys(&self.world.investors[i]))
            .collect();
        keys.sort();
        keys.dedup();
        let mut found = search(index, &keys, 200);
        let n = names::PLANT_FAMILY.len();
        for steps in [200, WIDE_STEPS] {
            if found.is_some() {
                break;
            }
            for k in 0..n {
                let family = names::PLANT_FAMILY[(self.plant_family_next + k) % n];
                let family_keys = word_keys([family]);
                if let Some(a) = search(index, &family_keys, steps) {
                    self.plant_family_next = (self.plant_family_next + k + 1) % n;
                    for &i in who {
                        self.world.investors[i].last = family.to_string();
                    }
                    keys = family_keys;
                    found = Some(a);
                    break;
                }
            }
        }
        if found.is_none() {
            self.world.undecidable_plants += 1;
        }
        let amount = found.unwrap_or(want);
        for k in keys {
            index.entry(k.clone()).or_default().insert(amount);
            self.plant_amounts.entry(k).or_default().insert(amount);
        }
        amount
    }

    /// `amount` for an investment of `investor` in offering `off` made after money plants, moved
    /// by the offering's increment (down to `floor` first, then up to `cap`) when a plant of a
    /// namesake ([`namesake_keys`]) has an amount not [`amounts_apart`] from it: the line this
    /// investment's money brings would fit the plant.
    fn clear_of_plants(
        &self,
        off: usize,
        investor: usize,
        amount: i64,
        floor: i64,
        cap: i64,
    ) -> i64 {
        if self.plant_amounts.is_empty() {
            return amount;
        }
        let keys = namesake_keys(&self.world.investors[investor]);
        let free = |a: i64| clear_of(&self.plant_amounts, &keys, a);
        if free(amount) {
            return amount;
        }
        let o = &self.world.offerings[off];
        let inc = o.inc_c.max(1);
        let floor = floor.max(o.min_c);
        let cap = cap.min(o.max_c.unwrap_or(i64::MAX / 4));
        let down = (1..200)
            .map(|k| amount - k * inc)
            .take_while(|&a| a >= floor);
        let up = (1..200).map(|k| amount + k * inc).take_while(|&a| a <= cap);
        down.chain(up).find(|&a| free(a)).unwrap_or(amount)
    }

    fn xplant(&mut self, xp: XPlant) {
        let kinds = [
            OffKind::D506b,
            OffKind::D506c,
            OffKind::RegS,
            OffKind::RegA,
            OffKind::RegCf,
        ];
        let kind = kinds[self.r.below(kinds.len() as u64) as usize];
        let off = self.offering_index(kind);
        let domestic = kind != OffKind::RegS;
        match xp {
            XPlant::Ambiguous(_) => {
                let a = self.fresh(IType::Person, domestic, true);
                let b = self.fresh(IType::Person, domestic, true);
                // Same family name, same initial: "J NOWAK" on both wires.
                let (fa, la) = (
                    self.world.investors[a].first.clone(),
                    self.world.investors[a].last.clone(),
                );
                let initial = fa.chars().next().unwrap_or('J');
                let pool = [names::ANGLO, names::ACCENTED];
                let mut other = String::new();
                for p in pool.iter() {
                    for (f, _) in p.firsts {
                        if f.starts_with(initial) && *f != fa {
                            other = f.to_string();
                        }
                    }
                }
                if other.is_empty() {
                    other = format!("{initial}.");
                }
                self.world.investors[b].first = other;
                self.world.investors[b].last = la;
                let amount = self
                    .pick_amount(off, i64::MAX / 4)
                    .unwrap_or(self.world.offerings[off].min_c);
                let amount = self.distinct_amount(off, &[a, b], amount);
                let nb = self
                    .world
                    .biz
                    .iter()
                    .filter(|d| **d <= self.world.offerings[off].last_received)
                    .count();
                let day = self.r.below(nb.saturating_sub(1).max(1) as u64) as usize;
                let i1 = self.pinv.len();
                self.push_inv(
                    off,
                    a,
                    amount,
                    Method::Wire,
                    Status::Invested,
                    false,
                    Some(XPlant::Ambiguous(i1 + 1)),
                    Some(day),
                );
                self.push_inv(
                    off,
                    b,
                    amount,
                    Method::Wire,
                    Status::Received,
                    false,
                    Some(XPlant::Ambiguous(i1)),
                    Some(day),
                );
            }
            _ => {
                let idx = self.fresh(IType::Person, domestic, true);
                let amount = self
                    .pick_amount(off, i64::MAX / 4)
                    .unwrap_or(self.world.offerings[off].min_c)
                    .max(self.world.offerings[off].min_c);
                let status = match xp {
                    XPlant::UnmatchedInvestment => Status::Received,
                    XPlant::AmountMismatch => Status::Invested,
                    XPlant::StatusMismatchArrived => {
                        if self.r.pct(50) {
                            Status::PaymentFailed
                        } else {
                            Status::NotReceived
                        }
                    }
                    XPlant::StatusMismatchNoRefund => Status::Refunded,
                    XPlant::Duplicate => Status::Invested,
                    XPlant::RefundDue => {
                        if self.r.pct(50) {
                            Status::Cancelled
                        } else {
                            Status::NotApproved
                        }
                    }
                    XPlant::Ambiguous(_) => Status::Received,
                };
                // Amount mismatch needs room for a $500+ shortfall.
                let amount = if xp == XPlant::AmountMismatch {
                    amount.max(500_000)
                } else {
                    amount
                };
                let o = &self.world.offerings[off];
                let amount = if (amount - o.min_c) % o.inc_c != 0 {
                    o.min_c + ((amount - o.min_c) / o.inc_c + 1) * o.inc_c
                } else {
                    amount
                };
                let amount = match o.max_c {
                    Some(m) if amount > m => o.min_c,
                    _ => amount,
                };
                let amount = if kind == OffKind::RegA && xp == XPlant::AmountMismatch {
                    amount.max(500_000)
                } else {
                    amount
                };
                // Plants whose evidence is missing money: a namesake's line must not fit them;
                // the other plants' lines must not fit an earlier such plant.
                let amount = if matches!(
                    xp,
                    XPlant::UnmatchedInvestment
                        | XPlant::StatusMismatchNoRefund
                        | XPlant::RefundDue
                ) {
                    self.distinct_amount(off, &[idx], amount)
                } else {
                    self.clear_of_plants(off, idx, amount, amount, i64::MAX / 4)
                };
                self.push_inv(
                    off,
                    idx,
                    amount,
                    Method::Wire,
                    status,
                    false,
                    Some(xp),
                    None,
                );
            }
        }
    }

    fn finish(mut self) -> World {
        // Ids follow creation time (ties by plan order).
        let mut order: Vec<usize> = (0..self.pinv.len()).collect();
        order.sort_by_key(|&i| (self.pinv[i].created, i));
        let mut new_id = vec![0i64; self.pinv.len()];
        for (pos, &i) in order.iter().enumerate() {
            new_id[i] = pos as i64 + 1;
        }
        for (i, inv) in self.pinv.iter_mut().enumerate() {
            inv.id = new_id[i];
            if let Some(XPlant::Ambiguous(o)) = inv.xplant {
                inv.xplant = Some(XPlant::Ambiguous(new_id[o] as usize));
            }
        }
        for pl in self.world.planted.iter_mut() {
            pl.1 = new_id[pl.1 as usize];
        }
        let mut invs = std::mem::take(&mut self.pinv);
        invs.sort_by_key(|i| i.id);
        self.world.invs = invs;

        // Offering targets and maxima from the generated book; one plant of OFFERING_MAX_EXCEEDED.
        let n_off = self.world.offerings.len();
        for o in 0..n_off {
            let kind = self.world.offerings[o].kind;
            let mut acc: Vec<(NaiveDate, i64, i64)> = self
                .world
                .invs
                .iter()
                .filter(|i| i.off == o && i.status.accepted())
                .map(|i| (i.effective_date(), i.id, i.amount_c))
                .collect();
            acc.sort();
            let total: i64 = acc.iter().map(|a| a.2).sum();
            let all: i64 = self
                .world
                .invs
                .iter()
                .filter(|i| i.off == o)
                .map(|i| i.amount_c)
                .sum();
            let o_ref = &mut self.world.offerings[o];
            let v = (self.cfg.investments / 400).max(1);
            if kind == OffKind::RegCf {
                o_ref.max_raise_c = 500_000_000;
                o_ref.target_c = 5_000_000;
            } else if kind == OffKind::D506c && self.cfg.investments >= 60 && acc.len() > v + 1 {
                let k = acc.len() - v;
                let before: i64 = acc[..k].iter().map(|a| a.2).sum();
                o_ref.max_raise_c = before + acc[k].2 / 2;
                o_ref.target_c = round_to(before / 2, 100_000).max(100_000);
                self.world.planted.push(("OFFERING_MAX_EXCEEDED", acc[k].1));
            } else {
                let m = ((all.max(total) * 3 / 100_000_000) + 1) * 100_000_000;
                o_ref.max_raise_c = m.max(1_000_000_000);
                o_ref.target_c = round_to(o_ref.max_raise_c / 10, 100_000);
            }
        }
        self.world
    }
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
