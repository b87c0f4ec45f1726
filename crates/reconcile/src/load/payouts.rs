//! Processor payout exports: Stripe itemised payout reconciliation / balance-change reports
//! (amounts in major units). Other layouts get a clear "unsupported layout" error.

use super::grid::GridRow;
use super::values::{DayOrder, DecimalSeparator, parse_amount, parse_date};
use super::{LoadError, LoadedPayouts};
use crate::model::{PayoutItem, Reject};

const STRIPE_COLUMNS: [&str; 17] = [
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
    "created",
];

fn guess_processor(header: &[String]) -> Option<&'static str> {
    let has = |n: &str| header.iter().any(|h| h.eq_ignore_ascii_case(n));
    if has("Psp Reference") || has("Merchant Account") {
        Some("this looks like an Adyen settlement detail report")
    } else if has("Transaction ID") && has("Gross") && has("Balance Impact") {
        Some("this looks like a PayPal activity download")
    } else {
        None
    }
}

pub(crate) fn parse_payouts(file: &str, rows: Vec<GridRow>) -> Result<LoadedPayouts, LoadError> {
    let Some(hidx) = rows
        .iter()
        .position(|r| r.cells.iter().any(|c| !c.trim().is_empty()))
    else {
        return Err(LoadError::UnsupportedPayoutLayout {
            file: file.to_string(),
            missing: vec!["reporting_category".into(), "gross".into(), "net".into()],
            reason: "the file is empty".into(),
        });
    };
    let header: Vec<String> = rows[hidx]
        .cells
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let col = |n: &str| header.iter().position(|h| h == n);
    // Required: the category and at least gross or net; plus an id to trace the row.
    let mut missing: Vec<String> = Vec::new();
    if col("reporting_category").is_none() {
        missing.push("reporting_category".into());
    }
    if col("gross").is_none() && col("net").is_none() {
        missing.push("gross".into());
        missing.push("net".into());
    }
    if col("balance_transaction_id").is_none()
        && col("source_id").is_none()
        && col("automatic_payout_id").is_none()
    {
        missing.push("balance_transaction_id".into());
    }
    if !missing.is_empty() {
        let original: Vec<String> = rows[hidx]
            .cells
            .iter()
            .map(|c| c.trim().to_string())
            .collect();
        let hint = guess_processor(&original)
            .map(|h| format!("{h}; "))
            .unwrap_or_default();
        return Err(LoadError::UnsupportedPayoutLayout {
            file: file.to_string(),
            reason: format!(
                "{hint}only Stripe payout reconciliation / balance-change exports are supported; missing column(s) {} (header row {}: {})",
                missing.join(", "),
                rows[hidx].line,
                original
                    .iter()
                    .take(12)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            missing,
        });
    }
    let _known = STRIPE_COLUMNS;
    // Column positions, looked up once (not per row and field).
    const NAMES: [&str; 15] = [
        "reporting_category",
        "gross",
        "fee",
        "net",
        "balance_transaction_id",
        "automatic_payout_id",
        "payout_id",
        "source_id",
        "payment_intent_id",
        "charge_id",
        "payment_method_type",
        "automatic_payout_effective_at",
        "created_utc",
        "created",
        "description",
    ];
    let positions: Vec<Option<usize>> = NAMES.iter().map(|n| col(n)).collect();
    let position = |name: &str| -> Option<usize> {
        let k = NAMES.iter().position(|n| *n == name);
        debug_assert!(k.is_some(), "payout column `{name}` missing from NAMES");
        k.and_then(|k| positions[k])
    };
    let mut out = LoadedPayouts::default();
    for (i, r) in rows[hidx + 1..]
        .iter()
        .filter(|r| r.cells.iter().any(|c| !c.trim().is_empty()))
        .enumerate()
    {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let get_str = |name: &str| -> Option<&str> {
            position(name)
                .and_then(|i| r.cells.get(i))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let get = |name: &str| -> Option<String> { get_str(name).map(str::to_string) };
        let reject = |column: &str, reason: String| Reject {
            file: file.to_string(),
            row: r.line,
            column: Some(column.to_string()),
            reason,
            raw: r.raw.clone(),
        };
        let money = |name: &str| -> Result<Option<i64>, Reject> {
            match get_str(name) {
                None => Ok(None),
                Some(v) => parse_amount(v, DecimalSeparator::Dot)
                    .map(Some)
                    .map_err(|e| reject(name, e)),
            }
        };
        let date = |name: &str| -> Result<Option<chrono::NaiveDate>, Reject> {
            match get_str(name) {
                None => Ok(None),
                Some(v) => {
                    // Stripe writes `2026-10-03 08:26:29` (UTC) or unix seconds.
                    if !v.is_empty() && v.len() >= 9 && v.bytes().all(|b| b.is_ascii_digit()) {
                        let secs: i64 = v
                            .parse()
                            .map_err(|_| reject(name, format!("`{v}` is not a timestamp")))?;
                        return chrono::DateTime::from_timestamp(secs, 0)
                            .map(|d| Some(d.date_naive()))
                            .ok_or_else(|| reject(name, format!("`{v}` is not a timestamp")));
                    }
                    parse_date(v, DayOrder::Mdy)
                        .map(Some)
                        .map_err(|e| reject(name, e))
                }
            }
        };
        let parsed = (|| -> Result<PayoutItem, Reject> {
            let category = get("reporting_category").ok_or_else(|| {
                reject("reporting_category", "reporting_category is empty".into())
            })?;
            let gross = money("gross")?;
            let fee = money("fee")?.unwrap_or(0);
            let net = money("net")?;
            let (gross, net) = match (gross, net) {
                (Some(g), Some(n)) => {
                    if g - fee != n {
                        return Err(reject(
                            "net",
                            format!(
                                "net {} is not gross {} minus fee {}",
                                cents(n),
                                cents(g),
                                cents(fee)
                            ),
                        ));
                    }
                    (g, n)
                }
                (Some(g), None) => (g, g - fee),
                (None, Some(n)) => (n + fee, n),
                (None, None) => {
                    return Err(reject("gross", "neither gross nor net is stated".into()));
                }
            };
            Ok(PayoutItem {
                file: file.to_string(),
                row: n,
                balance_transaction_id: get("balance_transaction_id"),
                payout_id: get("automatic_payout_id").or_else(|| get("payout_id")),
                reporting_category: category,
                gross_cents: gross,
                fee_cents: fee,
                net_cents: net,
                source_id: get("source_id"),
                payment_intent_id: get("payment_intent_id"),
                charge_id: get("charge_id"),
                payment_method_type: get("payment_method_type"),
                payout_date: date("automatic_payout_effective_at")?,
                created: match date("created_utc")? {
                    Some(d) => Some(d),
                    None => date("created")?,
                },
                description: get("description"),
            })
        })();
        match parsed {
            Ok(item) => out.items.push(item),
            Err(rj) => out.rejects.push(rj),
        }
    }
    Ok(out)
}

fn cents(c: i64) -> String {
    tieout_domain::format_cents(c)
}

#[cfg(test)]
mod tests {
    use crate::load::load_payouts_from_str;

    const STRIPE: &str = "automatic_payout_id,automatic_payout_effective_at,balance_transaction_id,created_utc,available_on_utc,currency,gross,fee,net,reporting_category,source_id,description,customer_id,charge_id,payment_intent_id,payment_method_type,payment_metadata[investment_id]
po_1,2026-10-05 00:00:00,txn_1,2026-10-03 10:00:00,2026-10-05 00:00:00,usd,1000.00,29.30,970.70,charge,ch_1,Investment,cus_1,ch_1,pi_1,card,17
po_1,2026-10-05 00:00:00,txn_2,2026-10-03 11:00:00,2026-10-05 00:00:00,usd,-50.00,0.00,-50.00,refund,re_1,,cus_1,ch_1,pi_1,card,17
po_1,2026-10-05 00:00:00,txn_3,2026-10-03 11:00:00,2026-10-05 00:00:00,usd,10.00,1.00,8.00,charge,ch_3,,,,pi_3,card,18
po_1,2026-10-05 00:00:00,txn_4,2026-10-03 11:00:00,2026-10-05 00:00:00,usd,1O.00,1.00,9.00,charge,ch_4,,,,pi_4,card,19
";

    #[test]
    fn stripe_itemised_rows() {
        let p = load_payouts_from_str("stripe.csv", STRIPE).unwrap();
        assert_eq!(p.items.len(), 2);
        let a = &p.items[0];
        assert_eq!(
            (a.gross_cents, a.fee_cents, a.net_cents),
            (100_000, 2_930, 97_070)
        );
        assert_eq!(a.payout_id.as_deref(), Some("po_1"));
        assert_eq!(a.payment_intent_id.as_deref(), Some("pi_1"));
        assert_eq!(a.payout_date, chrono::NaiveDate::from_ymd_opt(2026, 10, 5));
        assert_eq!(p.items[1].net_cents, -5_000);
        assert_eq!(p.items[1].row, 2);
        assert_eq!(p.rejects.len(), 2);
        assert_eq!(p.rejects[0].row, 4);
        assert!(
            p.rejects[0].reason.contains("not gross"),
            "{}",
            p.rejects[0].reason
        );
        assert_eq!(p.rejects[1].column.as_deref(), Some("gross"));
    }

    #[test]
    fn other_layouts_name_missing_columns() {
        let e = load_payouts_from_str("x.csv", "Date,Name,Gross,Fee,Net\n2026-10-01,A,1,0,1\n")
            .unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("x.csv")
                && s.contains("reporting_category")
                && s.contains("balance_transaction_id"),
            "{s}"
        );
    }
}
