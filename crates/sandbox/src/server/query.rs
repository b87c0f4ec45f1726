//! django-filter style filtering, DRF ordering and search over the loaded records.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use super::data::Rec;

/// How a filterable field's values are typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Dec,
    DateTime,
    Bool,
    Str,
}

/// The filterable/orderable fields and searchable paths of one resource.
#[derive(Debug)]
pub(crate) struct Schema {
    pub fields: &'static [(&'static str, Kind)],
    pub search: &'static [&'static str],
}

pub(crate) static INVESTMENTS: Schema = Schema {
    fields: &[
        ("amount", Kind::Dec),
        ("created_at", Kind::DateTime),
        ("id", Kind::Int),
        ("investmentapproval__is_approved", Kind::Bool),
        ("investor", Kind::Int),
        ("investor__entity", Kind::Int),
        ("investor__entity__email", Kind::Str),
        ("investor__entity__kyc_status", Kind::Str),
        ("investor__type", Kind::Str),
        ("investor__user", Kind::Int),
        ("investor__user__email", Kind::Str),
        ("offering", Kind::Int),
        ("payment_method", Kind::Str),
        ("processed_at", Kind::DateTime),
        ("received_at", Kind::DateTime),
        ("updated_at", Kind::DateTime),
        ("reference_id", Kind::Str),
        ("shares_amount", Kind::Dec),
        ("slug", Kind::Str),
        ("status", Kind::Str),
    ],
    search: &[
        "reference_id",
        "investor_individual_name",
        "investor__user__email",
        "investor__entity__email",
        "investor__entity__first_name",
        "investor__entity__last_name",
        "payment_intent_id",
    ],
};

pub(crate) static INVESTORS: Schema = Schema {
    fields: &[
        ("id", Kind::Int),
        ("type", Kind::Str),
        ("user", Kind::Int),
        ("user__email", Kind::Str),
        ("entity", Kind::Int),
        ("entity__email", Kind::Str),
        ("entity__kyc_status", Kind::Str),
        ("entity__country", Kind::Str),
    ],
    search: &[
        "user__email",
        "entity__email",
        "entity__first_name",
        "entity__last_name",
    ],
};

pub(crate) static OFFERINGS: Schema = Schema {
    fields: &[
        ("id", Kind::Int),
        ("type", Kind::Str),
        ("status", Kind::Str),
        ("slug", Kind::Str),
        ("name", Kind::Str),
        ("created_at", Kind::DateTime),
    ],
    search: &["name", "slug"],
};

pub(crate) static USERS: Schema = Schema {
    fields: &[("id", Kind::Int), ("email", Kind::Str)],
    search: &["email"],
};

/// A parsed filter value.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Int(i64),
    Dec(Decimal),
    Dt(DateTime<Utc>),
    Date(NaiveDate),
    Bool(bool),
    Str(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    Exact,
    In,
    Gt,
    Gte,
    Lt,
    Lte,
    IsNull,
}

/// One compiled filter.
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    path: Vec<String>,
    kind: Kind,
    lookup: Lookup,
    date: bool,
    values: Vec<Val>,
}

/// A DRF-style validation error: `{"<param>": ["<message>"]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub field: String,
    pub message: String,
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "1" => Some(true),
        "false" | "False" | "0" => Some(false),
        _ => None,
    }
}

/// Parses an ISO date-time as django does (with or without offset; naive means UTC).
fn parse_dt(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

fn parse_dec(s: &str) -> Option<Decimal> {
    let s = s.trim();
    let ok = !s.is_empty()
        && s.trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && s.matches('.').count() <= 1;
    if ok { s.parse().ok() } else { None }
}

fn parse_val(kind: Kind, date: bool, raw: &str) -> Result<Val, String> {
    if date {
        return NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .map(Val::Date)
            .map_err(|_| "Enter a valid date.".into());
    }
    match kind {
        Kind::Int => raw
            .trim()
            .parse()
            .map(Val::Int)
            .map_err(|_| "Enter a whole number.".into()),
        Kind::Dec => parse_dec(raw)
            .map(Val::Dec)
            .ok_or_else(|| "Enter a number.".into()),
        Kind::DateTime => parse_dt(raw.trim())
            .map(Val::Dt)
            .ok_or_else(|| "Enter a valid date/time.".into()),
        Kind::Bool => parse_bool(raw.trim())
            .map(Val::Bool)
            .ok_or_else(|| "Select a valid choice.".into()),
        Kind::Str => Ok(Val::Str(raw.to_string())),
    }
}

/// Query parameters that are never filters.
const RESERVED: &[&str] = &["page", "page_size", "ordering", "search", "format", "field"];

/// Compiles the filters in `params` for `schema`. Unknown parameters are ignored (as
/// django-filter does); badly typed values give a DRF-style validation error.
pub(crate) fn compile(
    schema: &Schema,
    params: &[(String, String)],
) -> Result<Vec<Filter>, FieldError> {
    let mut out = Vec::new();
    for (key, raw) in params {
        if RESERVED.contains(&key.as_str()) {
            continue;
        }
        let mut segs: Vec<&str> = key.split("__").collect();
        let lookup = match segs.last().copied() {
            Some("in") => Lookup::In,
            Some("gt") => Lookup::Gt,
            Some("gte") => Lookup::Gte,
            Some("lt") => Lookup::Lt,
            Some("lte") => Lookup::Lte,
            Some("isnull") => Lookup::IsNull,
            Some("exact") => Lookup::Exact,
            _ => Lookup::Exact,
        };
        if segs.len() > 1
            && matches!(
                segs.last().copied(),
                Some("in" | "gt" | "gte" | "lt" | "lte" | "isnull" | "exact")
            )
        {
            segs.pop();
        }
        let mut date = false;
        if segs.len() > 1 && segs.last() == Some(&"date") {
            segs.pop();
            date = true;
        }
        let field = segs.join("__");
        let Some(&(_, kind)) = schema.fields.iter().find(|(f, _)| *f == field) else {
            continue;
        };
        if date && kind != Kind::DateTime {
            continue;
        }
        let err = |m: String| FieldError {
            field: key.clone(),
            message: m,
        };
        let values = match lookup {
            Lookup::IsNull => vec![Val::Bool(
                parse_bool(raw.trim()).ok_or_else(|| err("Enter a valid boolean.".into()))?,
            )],
            Lookup::In => raw
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| parse_val(kind, date, s).map_err(&err))
                .collect::<Result<Vec<_>, _>>()?,
            _ => {
                if raw.is_empty() {
                    // django-filter ignores empty values.
                    continue;
                }
                vec![parse_val(kind, date, raw).map_err(err)?]
            }
        };
        let path = field.split("__").map(str::to_string).collect();
        out.push(Filter {
            path,
            kind,
            lookup,
            date,
            values,
        });
    }
    Ok(out)
}

/// Resolves a `__`-separated path on a record; a foreign-key object resolves to its `id`.
pub(crate) fn resolve<'a>(rec: &'a Rec, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut v = rec
        .value
        .get(first.as_str())
        .or_else(|| rec.hidden.get(first.as_str()))?;
    for seg in rest {
        v = v.get(seg.as_str())?;
    }
    if let Value::Object(m) = v {
        return m.get("id");
    }
    Some(v)
}

fn record_val(kind: Kind, date: bool, v: &Value) -> Option<Val> {
    if v.is_null() {
        return None;
    }
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => return Some(Val::Bool(*b)),
        _ => return None,
    };
    if date {
        return parse_dt(&text).map(|t| Val::Date(t.date_naive()));
    }
    match kind {
        Kind::Int => text.parse().ok().map(Val::Int),
        Kind::Dec => parse_dec(&text).map(Val::Dec),
        Kind::DateTime => parse_dt(&text).map(Val::Dt),
        Kind::Bool => parse_bool(&text).map(Val::Bool),
        Kind::Str => Some(Val::Str(text)),
    }
}

fn cmp_val(a: &Val, b: &Val) -> Option<Ordering> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => Some(x.cmp(y)),
        (Val::Dec(x), Val::Dec(y)) => Some(x.cmp(y)),
        (Val::Dt(x), Val::Dt(y)) => Some(x.cmp(y)),
        (Val::Date(x), Val::Date(y)) => Some(x.cmp(y)),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

impl Filter {
    /// Whether `rec` passes this filter.
    pub(crate) fn matches(&self, rec: &Rec) -> bool {
        let v = resolve(rec, &self.path).filter(|v| !v.is_null());
        if self.lookup == Lookup::IsNull {
            return matches!(self.values.first(), Some(Val::Bool(want)) if *want == v.is_none());
        }
        if !self.date
            && matches!(self.lookup, Lookup::Exact | Lookup::In)
            && let Some(v) = v
        {
            // The common lookups, compared without building a `Val` per record.
            match (self.kind, v) {
                (Kind::Str, Value::String(have)) => {
                    return self
                        .values
                        .iter()
                        .any(|w| matches!(w, Val::Str(want) if want == have));
                }
                (Kind::Int, Value::Number(n)) if n.is_i64() || n.is_u64() => {
                    let have = n.as_i64();
                    return self
                        .values
                        .iter()
                        .any(|w| matches!(w, Val::Int(want) if Some(*want) == have));
                }
                _ => {}
            }
        }
        let Some(have) = v.and_then(|v| record_val(self.kind, self.date, v)) else {
            return false;
        };
        let c = |want: &Val| cmp_val(&have, want);
        match self.lookup {
            Lookup::Exact | Lookup::In => self.values.iter().any(|w| c(w) == Some(Ordering::Equal)),
            Lookup::Gt => self.values.iter().all(|w| c(w) == Some(Ordering::Greater)),
            Lookup::Gte => self
                .values
                .iter()
                .all(|w| matches!(c(w), Some(Ordering::Greater | Ordering::Equal))),
            Lookup::Lt => self.values.iter().all(|w| c(w) == Some(Ordering::Less)),
            Lookup::Lte => self
                .values
                .iter()
                .all(|w| matches!(c(w), Some(Ordering::Less | Ordering::Equal))),
            Lookup::IsNull => false,
        }
    }
}

/// Sorts `idx` (ascending indices into `recs`, which are in id order) by a DRF `ordering` value. Unknown
/// fields are ignored; nulls sort last ascending (PostgreSQL's default). The sort is stable.
///
/// Each record's sort key is read once (not once per comparison), and ordering by `id` alone
/// uses the records' own ids: a list request is paged many times, so its cost counts per page.
pub(crate) fn order(schema: &Schema, recs: &[Rec], idx: &mut [usize], ordering: &str) {
    let keys: Vec<(Vec<String>, Kind, bool)> = ordering
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .filter_map(|k| {
            let (desc, name) = match k.strip_prefix('-') {
                Some(n) => (true, n),
                None => (false, k),
            };
            let &(_, kind) = schema.fields.iter().find(|(f, _)| *f == name)?;
            Some((name.split("__").map(str::to_string).collect(), kind, desc))
        })
        .collect();
    if keys.is_empty() {
        return;
    }
    if let [(path, Kind::Int, desc)] = keys.as_slice()
        && path.len() == 1
        && path[0] == "id"
    {
        // `Rec::id` is the record's integer `id`, exactly what the generic path would read.
        // Records are kept in id order, so ascending indices (what `select` gives) are already
        // in ascending id order: a cheap check on the indices replaces a sort per page.
        if *desc {
            idx.sort_by_key(|&i| std::cmp::Reverse(recs[i].id));
        } else if idx.is_sorted() {
            debug_assert!(idx.is_sorted_by_key(|&i| recs[i].id));
        } else {
            idx.sort_by_key(|&i| recs[i].id);
        }
        return;
    }
    let mut keyed: Vec<(Vec<Option<Val>>, usize)> = idx
        .iter()
        .map(|&i| {
            let k = keys
                .iter()
                .map(|(path, kind, _)| {
                    resolve(&recs[i], path).and_then(|v| record_val(*kind, false, v))
                })
                .collect();
            (k, i)
        })
        .collect();
    keyed.sort_by(|(ka, _), (kb, _)| {
        for ((va, vb), (_, _, desc)) in ka.iter().zip(kb).zip(&keys) {
            let o = match (va, vb) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => cmp_val(x, y).unwrap_or(Ordering::Equal),
            };
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
    for (slot, (_, i)) in idx.iter_mut().zip(keyed) {
        *slot = i;
    }
}

/// DRF search: every whitespace-separated term must occur (case-insensitively) in one of the
/// searchable fields.
pub(crate) fn search_matches(schema: &Schema, rec: &Rec, terms: &[String]) -> bool {
    let texts: Vec<String> = schema
        .search
        .iter()
        .filter_map(|p| {
            let path: Vec<String> = p.split("__").map(str::to_string).collect();
            let (first, rest) = path.split_first()?;
            let mut v = rec.value.get(first.as_str())?;
            for seg in rest {
                v = v.get(seg.as_str())?;
            }
            v.as_str().map(str::to_lowercase)
        })
        .collect();
    terms
        .iter()
        .all(|t| texts.iter().any(|s| s.contains(t.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Rec {
        Rec::from_value(v).unwrap()
    }

    fn p(k: &str, v: &str) -> Vec<(String, String)> {
        vec![(k.to_string(), v.to_string())]
    }

    #[test]
    fn lookups_filter_as_django_does() {
        let a = rec(
            json!({"id":1,"amount":"100.50","status":"received","processed_at":"2026-10-31T23:59:59Z",
            "investor":{"id":9,"entity":null,"type":"person"}}),
        );
        let b = rec(
            json!({"id":2,"amount":"2500.00","status":"started","processed_at":null,
            "investor":{"id":10,"entity":{"id":3,"kyc_status":"passed"},"type":"company"}}),
        );
        let run = |k: &str, v: &str| -> Vec<i64> {
            let f = compile(&INVESTMENTS, &p(k, v)).unwrap();
            [&a, &b]
                .iter()
                .filter(|r| f.iter().all(|f| f.matches(r)))
                .map(|r| r.id)
                .collect()
        };
        assert_eq!(run("amount__gte", "100.5"), vec![1, 2]);
        assert_eq!(run("amount__gt", "100.5"), vec![2]);
        assert_eq!(run("amount", "2500"), vec![2]);
        assert_eq!(run("status__in", "received,accepted"), vec![1]);
        assert_eq!(run("investor__entity__isnull", "true"), vec![1]);
        assert_eq!(run("investor__entity__isnull", "false"), vec![2]);
        assert_eq!(run("investor__entity__kyc_status", "passed"), vec![2]);
        assert_eq!(run("investor__entity", "3"), vec![2]);
        assert_eq!(run("investor__in", "9,10"), vec![1, 2]);
        assert_eq!(run("processed_at__date__lte", "2026-10-31"), vec![1]);
        assert_eq!(
            run("processed_at__date__gte", "2026-11-01"),
            Vec::<i64>::new()
        );
        assert_eq!(run("unknown_filter", "x"), vec![1, 2]);
        let e = compile(&INVESTMENTS, &p("amount__gte", "abc")).unwrap_err();
        assert_eq!(
            e,
            FieldError {
                field: "amount__gte".into(),
                message: "Enter a number.".into()
            }
        );
        assert!(compile(&INVESTMENTS, &p("processed_at__date__gte", "31/10/2026")).is_err());
    }

    #[test]
    fn orders_by_several_keys() {
        let recs: Vec<Rec> = [(1, "b", "5"), (2, "a", "5"), (3, "c", "7")]
            .iter()
            .map(|(id, s, amt)| rec(json!({"id": id, "status": s, "amount": amt})))
            .collect();
        let mut idx = vec![0, 1, 2];
        order(&INVESTMENTS, &recs, &mut idx, "-amount,status");
        assert_eq!(idx, vec![2, 1, 0]);
        order(&INVESTMENTS, &recs, &mut idx, "id");
        assert_eq!(idx, vec![0, 1, 2]);
    }
}
