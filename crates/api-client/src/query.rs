//! Typed query builders for the list endpoints: django-filter lookups (`__gt __gte __lt __lte
//! __in __date__gte __date__lte __isnull`), `ordering`, `search`, `page_size`.
//!
//! Parameters are emitted sorted by name (the order the API document lists them), values
//! percent-encoded (RFC 3986 unreserved characters, `,` and `:` kept literal), so the same
//! query always gives the same string.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;
use tieout_domain::{
    InvestmentStatus, InvestorType, KycStatus, OfferingStatus, OfferingType, PaymentMethod,
};

/// Percent-encodes a query component.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b',' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An ordered set of query parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// Sets (or replaces) a parameter.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.insert(key.into(), value.into());
    }

    /// Removes a parameter.
    pub fn remove(&mut self, key: &str) {
        self.0.remove(key);
    }

    /// The value of a parameter.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// `k=v&k=v`, sorted by key, percent-encoded. Empty when there are no parameters.
    pub fn to_query_string(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The decoded pairs, sorted by key.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

fn dt(v: DateTime<Utc>) -> String {
    v.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn join<I: IntoIterator<Item = S>, S: ToString>(it: I) -> String {
    it.into_iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

macro_rules! common {
    () => {
        /// An empty query.
        pub fn new() -> Self {
            Self::default()
        }

        /// `ordering`: comma-separated field names, `-` prefix for descending.
        pub fn ordering(self, fields: &str) -> Self {
            self.with("ordering", fields.to_string())
        }

        /// `search`: the API's free-text search.
        pub fn search(self, term: impl Into<String>) -> Self {
            self.with("search", term.into())
        }

        /// `page_size`: records per page (the server may clamp it).
        pub fn page_size(self, n: u32) -> Self {
            self.with("page_size", n.to_string())
        }

        /// Any other parameter, verbatim (for filters this builder does not know yet).
        pub fn param(self, key: &str, value: impl Into<String>) -> Self {
            self.with(key, value.into())
        }

        /// The parameters.
        pub fn params(&self) -> &Params {
            &self.0
        }

        /// The encoded query string (without `?`).
        pub fn to_query_string(&self) -> String {
            self.0.to_query_string()
        }

        fn with(mut self, key: &str, value: String) -> Self {
            self.0.set(key, value);
            self
        }
    };
}

macro_rules! filters {
    ($( $name:ident : $kind:tt => $key:literal ),* $(,)?) => {
        $( filters!(@one $name $kind $key); )*
    };
    (@one $name:ident i64 $key:literal) => {
        #[doc = concat!("`", $key, "`")]
        pub fn $name(self, v: i64) -> Self { self.with($key, v.to_string()) }
    };
    (@one $name:ident i64s $key:literal) => {
        #[doc = concat!("`", $key, "` (comma-joined)")]
        pub fn $name(self, v: impl IntoIterator<Item = i64>) -> Self { self.with($key, join(v)) }
    };
    (@one $name:ident dec $key:literal) => {
        #[doc = concat!("`", $key, "`")]
        pub fn $name(self, v: Decimal) -> Self { self.with($key, v.to_string()) }
    };
    (@one $name:ident decs $key:literal) => {
        #[doc = concat!("`", $key, "` (comma-joined)")]
        pub fn $name(self, v: impl IntoIterator<Item = Decimal>) -> Self { self.with($key, join(v)) }
    };
    (@one $name:ident dt $key:literal) => {
        #[doc = concat!("`", $key, "` (RFC 3339, UTC)")]
        pub fn $name(self, v: DateTime<Utc>) -> Self { self.with($key, dt(v)) }
    };
    (@one $name:ident dts $key:literal) => {
        #[doc = concat!("`", $key, "` (comma-joined RFC 3339)")]
        pub fn $name(self, v: impl IntoIterator<Item = DateTime<Utc>>) -> Self {
            self.with($key, v.into_iter().map(dt).collect::<Vec<_>>().join(","))
        }
    };
    (@one $name:ident date $key:literal) => {
        #[doc = concat!("`", $key, "` (YYYY-MM-DD)")]
        pub fn $name(self, v: NaiveDate) -> Self { self.with($key, v.format("%Y-%m-%d").to_string()) }
    };
    (@one $name:ident bool $key:literal) => {
        #[doc = concat!("`", $key, "`")]
        pub fn $name(self, v: bool) -> Self { self.with($key, v.to_string()) }
    };
    (@one $name:ident bools $key:literal) => {
        #[doc = concat!("`", $key, "` (comma-joined)")]
        pub fn $name(self, v: impl IntoIterator<Item = bool>) -> Self { self.with($key, join(v)) }
    };
    (@one $name:ident str $key:literal) => {
        #[doc = concat!("`", $key, "`")]
        pub fn $name(self, v: impl Into<String>) -> Self { self.with($key, v.into()) }
    };
    (@one $name:ident strs $key:literal) => {
        #[doc = concat!("`", $key, "` (comma-joined)")]
        pub fn $name<S: AsRef<str>>(self, v: impl IntoIterator<Item = S>) -> Self {
            self.with($key, v.into_iter().map(|s| s.as_ref().to_string()).collect::<Vec<_>>().join(","))
        }
    };
    (@one $name:ident ($enum:ty) $key:literal) => {
        #[doc = concat!("`", $key, "`")]
        pub fn $name(self, v: $enum) -> Self { self.with($key, v.as_wire().to_string()) }
    };
    (@one $name:ident [$enum:ty] $key:literal) => {
        #[doc = concat!("`", $key, "` (comma-joined)")]
        pub fn $name(self, v: impl IntoIterator<Item = $enum>) -> Self {
            self.with($key, v.into_iter().map(|e| e.as_wire().to_string()).collect::<Vec<_>>().join(","))
        }
    };
}

/// Query for `GET /api/investments/` (and `/summary/`, `/values/`): domain.md §1.4.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvestmentQuery(Params);

impl InvestmentQuery {
    common!();
    filters! {
        amount: dec => "amount",
        amount_gt: dec => "amount__gt",
        amount_gte: dec => "amount__gte",
        amount_in: decs => "amount__in",
        amount_lt: dec => "amount__lt",
        amount_lte: dec => "amount__lte",
        created_at: dt => "created_at",
        created_at_date_gte: date => "created_at__date__gte",
        created_at_date_lte: date => "created_at__date__lte",
        created_at_gte: dt => "created_at__gte",
        created_at_in: dts => "created_at__in",
        created_at_lte: dt => "created_at__lte",
        id: i64 => "id",
        id_in: i64s => "id__in",
        is_approved: bool => "investmentapproval__is_approved",
        is_approved_in: bools => "investmentapproval__is_approved__in",
        investor: i64 => "investor",
        investor_entity: i64 => "investor__entity",
        investor_entity_email: str => "investor__entity__email",
        investor_entity_email_in: strs => "investor__entity__email__in",
        investor_entity_isnull: bool => "investor__entity__isnull",
        investor_entity_kyc_status: (KycStatus) => "investor__entity__kyc_status",
        investor_entity_kyc_status_in: [KycStatus] => "investor__entity__kyc_status__in",
        investor_in: i64s => "investor__in",
        investor_type: (InvestorType) => "investor__type",
        investor_type_in: [InvestorType] => "investor__type__in",
        investor_user: i64 => "investor__user",
        investor_user_email: str => "investor__user__email",
        investor_user_email_in: strs => "investor__user__email__in",
        offering: i64 => "offering",
        offering_in: i64s => "offering__in",
        payment_method: (PaymentMethod) => "payment_method",
        payment_method_in: [PaymentMethod] => "payment_method__in",
        processed_at_date_gte: date => "processed_at__date__gte",
        processed_at_date_lte: date => "processed_at__date__lte",
        shares_amount_gte: dec => "shares_amount__gte",
        slug: str => "slug",
        status: (InvestmentStatus) => "status",
        status_in: [InvestmentStatus] => "status__in",
    }
}

/// Query for `GET /api/investors/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvestorQuery(Params);

impl InvestorQuery {
    common!();
    filters! {
        id: i64 => "id",
        id_in: i64s => "id__in",
        investor_type: (InvestorType) => "type",
        investor_type_in: [InvestorType] => "type__in",
    }
}

/// Query for `GET /api/offerings/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfferingQuery(Params);

impl OfferingQuery {
    common!();
    filters! {
        id: i64 => "id",
        id_in: i64s => "id__in",
        offering_type: (OfferingType) => "type",
        offering_type_in: [OfferingType] => "type__in",
        status: (OfferingStatus) => "status",
        status_in: [OfferingStatus] => "status__in",
    }
}

/// Query for `GET /api/users/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery(Params);

impl UserQuery {
    common!();
    filters! {
        id: i64 => "id",
        id_in: i64s => "id__in",
        email: str => "email",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn investment_query_string_is_sorted_and_encoded() {
        let q = InvestmentQuery::new()
            .status_in([
                InvestmentStatus::Received,
                InvestmentStatus::AcceptedEscrowClosed,
            ])
            .amount_gte(d("100.50"))
            .search("ana maría+co&x=1")
            .offering(7)
            .processed_at_date_lte(NaiveDate::from_ymd_opt(2026, 10, 31).unwrap())
            .created_at_gte(
                DateTime::parse_from_rfc3339("2026-10-01T00:00:00+00:00")
                    .unwrap()
                    .to_utc(),
            )
            .investor_entity_isnull(false)
            .page_size(500)
            .ordering("-created_at,id");
        assert_eq!(
            q.to_query_string(),
            "amount__gte=100.50&created_at__gte=2026-10-01T00:00:00Z&investor__entity__isnull=false&offering=7\
             &ordering=-created_at,id&page_size=500&processed_at__date__lte=2026-10-31\
             &search=ana%20mar%C3%ADa%2Bco%26x%3D1&status__in=received,accepted_escrow_closed"
        );
    }

    #[test]
    fn every_lookup_kind_formats() {
        let q = InvestmentQuery::new()
            .id_in([3, 1, 2])
            .payment_method_in([PaymentMethod::Ach, PaymentMethod::Other("zelle".into())])
            .investor_entity_kyc_status(KycStatus::Passed)
            .investor_user_email_in(["a@x.com", "b@y.org"])
            .is_approved_in([true, false])
            .amount_in([d("1"), d("2.5")]);
        assert_eq!(
            q.to_query_string(),
            "amount__in=1,2.5&id__in=3,1,2&investmentapproval__is_approved__in=true,false\
             &investor__entity__kyc_status=passed&investor__user__email__in=a%40x.com,b%40y.org\
             &payment_method__in=other,zelle"
        );
        // Setting a key twice keeps the last value.
        assert_eq!(
            UserQuery::new()
                .email("a@b.co")
                .email("c@d.co")
                .to_query_string(),
            "email=c%40d.co"
        );
        assert_eq!(
            OfferingQuery::new()
                .offering_type_in([OfferingType::RegCf, OfferingType::RegA])
                .status(OfferingStatus::Opened)
                .to_query_string(),
            "status=opened&type__in=reg_cf,reg_a"
        );
        assert_eq!(
            InvestorQuery::new()
                .investor_type(InvestorType::TrustIra)
                .to_query_string(),
            "type=trust_ira"
        );
        assert_eq!(InvestorQuery::new().to_query_string(), "");
    }
}
