//! The users endpoints: POST and PATCH with DRF-shaped validation errors, kept in memory.

#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::data::Rec;
use super::{AppState, detail, field_errors, json_response, not_found};

/// Django's EmailValidator, simplified: `local@domain.tld`, no spaces.
pub(super) fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok
}

fn parse_body(body: &Bytes) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => {
            let kind = match other {
                Value::Array(_) => "list",
                Value::String(_) => "str",
                Value::Number(_) => "int",
                Value::Bool(_) => "bool",
                _ => "NoneType",
            };
            Err(field_errors(&[(
                "non_field_errors",
                &format!("Invalid data. Expected a dictionary, but got {kind}."),
            )]))
        }
        Err(e) => Err(detail(
            StatusCode::BAD_REQUEST,
            &format!("JSON parse error - {e}"),
        )),
    }
}

/// Validates an email for a user; `except` is the user being updated.
fn check_email(
    users: &[Rec],
    email: Option<&Value>,
    required: bool,
    except: Option<i64>,
) -> Result<Option<String>, Response> {
    match email {
        None if required => Err(field_errors(&[("email", "This field is required.")])),
        None => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.is_empty() {
                return Err(field_errors(&[("email", "This field may not be blank.")]));
            }
            if !valid_email(s) {
                return Err(field_errors(&[("email", "Enter a valid email address.")]));
            }
            let taken = users.iter().any(|u| {
                Some(u.id) != except
                    && u.value
                        .get("email")
                        .and_then(Value::as_str)
                        .is_some_and(|e| e.eq_ignore_ascii_case(s))
            });
            if taken {
                return Err(field_errors(&[(
                    "email",
                    "user with this email already exists.",
                )]));
            }
            Ok(Some(s.to_string()))
        }
        Some(Value::Null) => Err(field_errors(&[("email", "This field may not be null.")])),
        Some(_) => Err(field_errors(&[("email", "Not a valid string.")])),
    }
}

fn user_record(id: i64, email: &str) -> Option<Rec> {
    let mut m = Map::new();
    m.insert("id".into(), Value::from(id));
    m.insert("email".into(), Value::from(email));
    Rec::from_value(Value::Object(m))
}

pub(super) fn create_user(st: &AppState, body: &Bytes) -> Response {
    let m = match parse_body(body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut users = match st.users.write() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    let email = match check_email(users.as_slice(), m.get("email"), true, None) {
        Ok(e) => e.unwrap_or_default(),
        Err(r) => return r,
    };
    match m.get("password") {
        Some(Value::String(p)) if !p.is_empty() => {}
        Some(Value::String(_)) => {
            return field_errors(&[("password", "This field may not be blank.")]);
        }
        _ => return field_errors(&[("password", "This field is required.")]),
    }
    let id = users.iter().map(|u| u.id).max().unwrap_or(0) + 1;
    let Some(rec) = user_record(id, &email) else {
        return detail(StatusCode::INTERNAL_SERVER_ERROR, "cannot build user");
    };
    let bytes = rec.bytes.clone();
    Arc::make_mut(&mut users).push(rec);
    json_response(StatusCode::CREATED, bytes)
}

pub(super) fn update_user(st: &AppState, id: &str, body: &Bytes) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    let m = match parse_body(body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut users = match st.users.write() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    let Ok(pos) = users.binary_search_by_key(&id, |r| r.id) else {
        return not_found();
    };
    let email = match check_email(users.as_slice(), m.get("email"), false, Some(id)) {
        Ok(e) => e,
        Err(r) => return r,
    };
    if let Some(Value::String(p)) = m.get("password")
        && p.is_empty()
    {
        return field_errors(&[("password", "This field may not be blank.")]);
    }
    if let Some(email) = email {
        match user_record(id, &email) {
            Some(rec) => Arc::make_mut(&mut users)[pos] = rec,
            None => return detail(StatusCode::INTERNAL_SERVER_ERROR, "cannot build user"),
        }
    }
    json_response(StatusCode::OK, users[pos].bytes.clone())
}
