//! Generator tests: determinism, record shapes, statement arithmetic, truth consistency and
//! planted-code coverage.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::*;

fn cfg(n: usize, seed: u64, sdn: bool) -> GenConfig {
    GenConfig {
        investments: n,
        seed,
        period: Period::parse("2026-10").unwrap(),
        sdn_names: if sdn {
            vec![
                SdnName {
                    name: "AL-ZAWAHIRI, Ayman".into(),
                    ent_num: 6366,
                    individual: true,
                    dob: None,
                    country: None,
                },
                SdnName {
                    name: "BANCO NACIONAL DE CUBA".into(),
                    ent_num: 306,
                    individual: false,
                    dob: None,
                    country: None,
                },
            ]
        } else {
            Vec::new()
        },
        world: WorldKnobs::classic(),
    }
}

fn gen_into(c: &GenConfig) -> (tempfile::TempDir, PathBuf, DatasetSummary) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ds");
    let s = generate(c, &out).unwrap();
    (tmp, out, s)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(|s| s.to_string()).collect();
    r.records()
        .map(|rec| {
            h.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(|s| s.to_string()))
                .collect()
        })
        .collect()
}

fn jsonl(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn keys(v: &serde_json::Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn same_arguments_give_byte_identical_files() {
    let c = cfg(400, 7, true);
    let (_t1, a, _) = gen_into(&c);
    let (_t2, b, _) = gen_into(&c);
    let fa = files(&a);
    assert_eq!(fa, files(&b));
    assert!(fa.len() >= 30, "{fa:?}");
    for f in &fa {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{} differs",
            f.display()
        );
    }
    // A different seed gives a different world.
    let (_t3, c3, _) = gen_into(&cfg(400, 8, true));
    assert_ne!(
        std::fs::read(a.join("api/investments.jsonl")).unwrap(),
        std::fs::read(c3.join("api/investments.jsonl")).unwrap()
    );
}

#[test]
fn records_have_every_api_field() {
    let (_t, d, s) = gen_into(&cfg(400, 7, false));
    let inv = jsonl(&d.join("api/investments.jsonl"));
    assert_eq!(inv.len(), 400);
    assert_eq!(s.investments, 400);
    let top = "id quantity price price_fees price_payment_processing_fees amount status payment_intent_id offering reference_id investor_individual_name investor payment_method updated_at has_investor_signed accredited_investor net_worth annual_income us_person exempt_from_backup_withholding amount_invested_in_reg_cf_offering_this_year user_browser_type accredited_investor_type processed_at bonus_shares processing_issue_statuses shares_amount watchlistentity_set bonus_shares_code bonus_shares_percentage_tier bonus_shares_quantity_tier quantity_qualified_shares price_qualified_shares received_at invested_at refunded_at";
    let investor =
        "id user entity individual_entity type receive_sms receive_emails utm_parameters";
    let user = "id email first_name last_name date_joined last_login";
    let entity = "id email phone street_address_1 street_address_2 city state region postal_code country kyc_status first_name last_name date_of_birth net_worth annual_income accredited_investor citizenship us_person exempt_from_backup_withholding amount_invested_in_reg_cf_offering_this_year accredited_investor_type tax_id_number";
    let ind = "id first_name last_name email phone kyc_status";
    let wl = "id entity has_hits watchlist_hits ofac_fincen_status updated_at aml_provider";
    let split = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
    let mut statuses = BTreeSet::new();
    let mut methods = BTreeSet::new();
    let mut types = BTreeSet::new();
    let mut ids = Vec::new();
    for v in &inv {
        assert_eq!(keys(v), split(top));
        assert_eq!(keys(&v["investor"]), split(investor));
        assert_eq!(keys(&v["investor"]["user"]), split(user));
        assert_eq!(keys(&v["investor"]["entity"]), split(entity));
        assert_eq!(keys(&v["investor"]["individual_entity"]), split(ind));
        for w in v["watchlistentity_set"].as_array().unwrap() {
            assert_eq!(keys(w), split(wl));
        }
        for k in [
            "price",
            "amount",
            "price_fees",
            "price_payment_processing_fees",
            "shares_amount",
        ] {
            let s = v[k].as_str().unwrap();
            assert!(s.contains('.') && s.parse::<f64>().is_ok(), "{k}={s}");
        }
        let r = v["reference_id"].as_str().unwrap();
        assert!(r.starts_with("INV-") && r.len() == 10, "{r}");
        let m = v["payment_method"].as_str().unwrap();
        assert_eq!(
            v["payment_intent_id"].is_string(),
            m == "card" || m == "other",
            "{v}"
        );
        statuses.insert(v["status"].as_str().unwrap().to_string());
        methods.insert(m.to_string());
        types.insert(v["investor"]["type"].as_str().unwrap().to_string());
        ids.push(v["id"].as_i64().unwrap());
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "investments in id order");
    for s in [
        "started",
        "not_received",
        "payment_failed",
        "received",
        "cancelled",
        "refunded",
        "invested",
        "approved",
        "not_approved",
        "accepted",
        "accepted_escrow_closed",
    ] {
        assert!(statuses.contains(s), "status {s} missing");
    }
    for m in ["card", "wire", "ira", "other", "crypto"] {
        assert!(methods.contains(m), "method {m} missing");
    }
    for t in ["person", "company", "trust", "trust_ira"] {
        assert!(types.contains(t), "type {t} missing");
    }
    let offs = jsonl(&d.join("api/offerings.jsonl"));
    assert_eq!(offs.len(), 5);
    let off_keys = "id issuer name type status description security_type share_or_unit share_or_unit_details warrant_per_unit warrant_expiration_date_delta_year warrant_expiration_date_delta_month dollar_amount_investment unit_price administrative_fees administrative_fees_paid_by_investor number_of_shares max_investment_amount min_investment_amount investment_increment_amount minimum_wire_transfer_amount contact_name contact_title contact_phone contact_email accredited_investors non_accredited_investors slug logo favicon circular_link circular_file circular_type display_circular displayed_number_of_shares signing_full_name signing_title signing_email support_email support_phone daily_summary_emails daily_summary_recipients weekly_summary_emails weekly_summary_recipients wire_email_reminder_period wire_email_reminder_max_sent investment_email_reminder_period investment_email_reminder_max_sent messaging_consent_text email_sender_name default_timezone segment_dataset_id auto_approve_investments auto_accept_investments auto_accept_max_amount auto_accept_min_amount email_investment_started_high_value email_investment_started_threshold enable_test_the_waters displayed_test_the_waters_amounts accent_color background_accent_color activity_accent_color per_investment_summary_emails per_investment_summary_recipients user_sent_max_monitoring_emails user_sent_max_monitoring_recipients other_platform_investment_notice other_platform_investment_notice_text investor_phone_number_required minimum_amount_raised reg_cf_amount_raised_tier maximum_amount_raised reg_cf_oversubscription reg_cf_fee_percentage archived investors_excluded_countries investors_included_countries display_logo_during_investment display_logo_on_dashboard deadline_date created_at opened_at";
    let kinds: BTreeSet<String> = offs
        .iter()
        .map(|o| o["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        ["reg_a", "reg_cf", "reg_d_506b", "reg_d_506c", "reg_s"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    for o in &offs {
        assert_eq!(keys(o), split(off_keys));
    }
    let investors = jsonl(&d.join("api/investors.jsonl"));
    let ient = "first_name last_name date_of_birth accredited_investor net_worth annual_income citizenship us_person exempt_from_backup_withholding amount_invested_in_reg_cf_offering_this_year amount_invested_in_reg_cf_offering_this_year_other_platforms accredited_investor_type canadian_eligible_investor_type household_w9 id email street_address_1 street_address_2 city state region postal_code country kyc_status";
    for v in &investors {
        assert_eq!(keys(v), split("id user entity type individual_entity"));
        assert_eq!(keys(&v["user"]), split("id email"));
        assert_eq!(keys(&v["entity"]), split(ient));
    }
    let users = jsonl(&d.join("api/users.jsonl"));
    assert_eq!(users.len(), investors.len());
    for u in &users {
        assert_eq!(keys(u), split("id email"));
    }
    // International names in Latin-with-accents, Cyrillic and Greek scripts.
    let all = std::fs::read_to_string(d.join("api/investors.jsonl")).unwrap();
    assert!(
        all.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)),
        "no Cyrillic names"
    );
    assert!(
        all.chars().any(|c| ('\u{0370}'..='\u{03FF}').contains(&c)),
        "no Greek names"
    );
    assert!(
        all.chars().any(|c| "éüöåñçøđ".contains(c)),
        "no accented names"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("api/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["counts"]["investments"], 400);
    assert_eq!(
        manifest["sha256"]["investments.jsonl"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    let side = jsonl(&d.join("api/sidecar/investments_created_at.jsonl"));
    assert_eq!(side.len(), 400);
}

/// Parses a BAI2 file and checks every control total and record count; returns the last 015.
fn check_bai2(text: &str) -> i64 {
    let recs: Vec<&str> = text.lines().collect();
    assert!(recs[0].starts_with("01,") && recs.last().unwrap().starts_with("99,"));
    let num = |s: &str| -> i64 { s.trim_end_matches('/').parse().unwrap() };
    let (mut file_total, mut groups, mut last_close) = (0i64, 0i64, 0i64);
    let (mut acct_total, mut acct_recs, mut grp_recs) = (0i64, 0i64, 0i64);
    let mut in_16 = false;
    let mut prev_close: Option<i64> = None;
    for r in &recs {
        assert!(r.len() <= 80, "record longer than 80: {r}");
        let f: Vec<&str> = r.split(',').collect();
        match f[0] {
            "02" => {
                groups += 1;
                grp_recs = 1;
            }
            "03" => {
                assert_eq!(f[3], "010");
                assert_eq!(f[7], "015");
                let (o, c) = (num(f[4]), num(f[8]));
                if let Some(p) = prev_close {
                    assert_eq!(o, p, "opening of a day = closing of the previous day");
                }
                prev_close = Some(c);
                last_close = c;
                acct_total = o + c;
                acct_recs = 1;
                grp_recs += 1;
                in_16 = false;
            }
            "88" => {
                acct_recs += 1;
                grp_recs += 1;
                if !in_16 {
                    assert_eq!(f[1], "100");
                    acct_total += num(f[2]) + num(f[6]);
                }
            }
            "16" => {
                in_16 = true;
                acct_total += num(f[2]);
                acct_recs += 1;
                grp_recs += 1;
            }
            "49" => {
                acct_recs += 1;
                grp_recs += 1;
                assert_eq!(num(f[1]), acct_total, "49 control total: {r}");
                assert_eq!(num(f[2]), acct_recs, "49 record count: {r}");
            }
            "98" => {
                grp_recs += 1;
                assert_eq!(num(f[1]), acct_total);
                assert_eq!(num(f[2]), 1);
                assert_eq!(num(f[3]), grp_recs, "98 record count: {r}");
                file_total += acct_total;
            }
            "99" => {
                assert_eq!(num(f[1]), file_total);
                assert_eq!(num(f[2]), groups);
                assert_eq!(num(f[3]), recs.len() as i64);
            }
            "01" => {}
            other => panic!("unexpected record {other}"),
        }
    }
    last_close
}

#[test]
fn statements_tie_out_in_every_format() {
    let (_t, d, _) = gen_into(&cfg(400, 7, false));
    let ds: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("dataset.json")).unwrap()).unwrap();
    let lines = read_csv(&d.join("truth/lines.csv"));
    let mut refs = BTreeSet::new();
    for l in &lines {
        assert!(
            refs.insert(l["bank_ref"].clone()),
            "duplicate bank_ref {}",
            l["bank_ref"]
        );
    }
    for acct in ds["accounts"].as_array().unwrap() {
        let id = acct["id"].as_str().unwrap();
        let open = acct["opening_cents"].as_i64().unwrap();
        let close = acct["closing_cents"].as_i64().unwrap();
        let mine: Vec<&BTreeMap<String, String>> =
            lines.iter().filter(|l| l["account"] == id).collect();
        assert!(!mine.is_empty(), "{id} has no lines");
        let sum: i64 = mine
            .iter()
            .map(|l| l["amount_cents"].parse::<i64>().unwrap())
            .sum();
        assert_eq!(open + sum, close, "{id}: opening + lines = closing");
        for (i, l) in mine.iter().enumerate() {
            assert_eq!(l["seq"], (i + 1).to_string());
        }
        let sdir = d.join("statements").join(id);
        // BAI2
        let bai = std::fs::read_to_string(sdir.join(format!("{id}.bai2"))).unwrap();
        assert_eq!(check_bai2(&bai), close, "{id} BAI2 closing");
        // camt (both versions)
        for (f, ns) in [
            (format!("{id}.camt053.xml"), "camt.053.001.08"),
            (format!("{id}.camt053v2.xml"), "camt.053.001.02"),
        ] {
            let x = std::fs::read_to_string(sdir.join(&f)).unwrap();
            assert!(x.contains(ns), "{f}");
            assert_eq!(x.matches("<Ntry>").count(), mine.len(), "{f} entries");
            let clbd = x.split("<Cd>CLBD</Cd>").nth(1).unwrap();
            let amt = clbd
                .split("<Amt Ccy=\"USD\">")
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap();
            assert_eq!(super::render::dec(close.abs()), amt, "{f} CLBD");
            for l in &mine {
                assert!(
                    x.contains(&format!("<AcctSvcrRef>{}</AcctSvcrRef>", l["bank_ref"])),
                    "{f} misses {}",
                    l["bank_ref"]
                );
            }
            if ns.ends_with("08") {
                assert!(x.contains("<Pty>") || !x.contains("<Dbtr>"));
            }
        }
        // CSV layouts: same lines, same order, every bank_ref.
        let chase = read_csv(&sdir.join(format!("{id}.chase.csv")));
        assert_eq!(chase.len(), mine.len());
        for (c, l) in chase.iter().zip(&mine) {
            assert_eq!(c["Check or Slip #"], l["bank_ref"]);
            let cents = (c["Amount"].parse::<f64>().unwrap() * 100.0).round() as i64;
            assert_eq!(cents.to_string(), l["amount_cents"]);
        }
        let last_bal = chase.last().unwrap()["Balance"].clone();
        assert_eq!(last_bal, super::render::dec(close));
        let text = std::fs::read_to_string(sdir.join(format!("{id}.debit_credit.csv"))).unwrap();
        assert!(
            text.lines()
                .nth(2)
                .unwrap()
                .starts_with("Date,Reference,Description,Debit,Credit,Balance")
        );
        let crdr = read_csv(&sdir.join(format!("{id}.crdr.csv")));
        let esc = read_csv(&sdir.join(format!("{id}.escrow_bank.csv")));
        assert_eq!(crdr.len(), mine.len());
        assert_eq!(esc.len(), mine.len());
        for ((a, b), l) in crdr.iter().zip(&esc).zip(&mine) {
            assert_eq!(a["Reference"], l["bank_ref"]);
            assert_eq!(b["Bank Ref"], l["bank_ref"]);
            assert!(a["Amount"].starts_with('$'));
            let neg = l["amount_cents"].starts_with('-');
            assert_eq!(a["CR/DR"], if neg { "DR" } else { "CR" });
            assert_eq!(
                neg,
                b["Amount"].starts_with('(') || b["Amount"].ends_with('-')
            );
        }
        assert!(sdir.join(format!("{id}.xlsx")).is_file());
    }
}

#[test]
fn truth_is_consistent_and_every_code_is_planted() {
    let (_t, d, s) = gen_into(&cfg(400, 7, true));
    let inv = jsonl(&d.join("api/investments.jsonl"));
    let by_id: BTreeMap<i64, &serde_json::Value> =
        inv.iter().map(|v| (v["id"].as_i64().unwrap(), v)).collect();
    let lines = read_csv(&d.join("truth/lines.csv"));
    let refs: BTreeMap<String, &BTreeMap<String, String>> =
        lines.iter().map(|l| (l["bank_ref"].clone(), l)).collect();
    let kinds: BTreeSet<&str> = lines.iter().map(|l| l["kind"].as_str()).collect();
    for k in [
        "wire",
        "wire_short_fee",
        "ira_wire",
        "ach_single",
        "ach_batch",
        "card_payout",
        "stripe_sweep",
        "crypto_settlement",
        "refund",
        "ach_return",
        "disbursement_out",
        "disbursement_in",
        "unknown_deposit",
        "bank_fee",
        "duplicate_wire",
    ] {
        assert!(kinds.contains(k), "line kind {k} missing");
    }
    for l in &lines {
        for id in l["investment_ids"].split(';').filter(|s| !s.is_empty()) {
            assert!(
                by_id.contains_key(&id.parse::<i64>().unwrap()),
                "line {} names unknown investment {id}",
                l["bank_ref"]
            );
        }
    }
    let ex = read_csv(&d.join("truth/exceptions.csv"));
    assert_eq!(ex.len(), s.exceptions);
    let codes: BTreeSet<&str> = ex.iter().map(|e| e["code"].as_str()).collect();
    for c in [
        "UNMATCHED_INVESTMENT",
        "UNMATCHED_CREDIT",
        "UNMATCHED_DEBIT",
        "AMOUNT_MISMATCH",
        "STATUS_MISMATCH",
        "DUPLICATE_PAYMENT",
        "REFUND_DUE",
        "AMBIGUOUS_MATCH",
    ] {
        assert!(codes.contains(c), "exception {c} not planted");
    }
    for e in &ex {
        if !e["investment_id"].is_empty() {
            let id: i64 = e["investment_id"].parse().unwrap();
            assert!(
                by_id.contains_key(&id),
                "exception names unknown investment {id}"
            );
        }
        if !e["bank_ref"].is_empty() {
            let l = refs
                .get(&e["bank_ref"])
                .unwrap_or_else(|| panic!("exception bank_ref {} not a line", e["bank_ref"]));
            assert_eq!(l["amount_cents"], e["amount_cents"]);
        }
        if e["code"] == "UNMATCHED_INVESTMENT" {
            let id = &e["investment_id"];
            assert!(
                !lines
                    .iter()
                    .any(|l| l["investment_ids"].split(';').any(|x| x == id)),
                "unmatched investment {id} has money"
            );
        }
    }
    assert!(
        ex.len() * 100 / 400 <= 10,
        "exception rate too high: {}",
        ex.len()
    );
    let vio = read_csv(&d.join("truth/violations.csv"));
    assert_eq!(vio.len(), s.violations);
    let vcodes: BTreeSet<&str> = vio.iter().map(|v| v["code"].as_str()).collect();
    for c in [
        "REGCF_INVESTOR_LIMIT",
        "REGCF_ISSUER_CAP",
        "REGA_TIER2_LIMIT",
        "REGD_506B_NONACCREDITED_COUNT",
        "REGD_506C_NOT_ACCREDITED",
        "REGS_US_PERSON",
        "ACCREDITATION_INCONSISTENT",
        "KYC_NOT_PASSED",
        "AML_WATCHLIST_HIT",
        "SANCTIONS_NAME_MATCH",
        "INVESTOR_UNDERAGE",
        "COUNTRY_EXCLUDED",
        "INVESTMENT_BELOW_MIN",
        "INVESTMENT_ABOVE_MAX",
        "INVESTMENT_INCREMENT",
        "OFFERING_MAX_EXCEEDED",
        "FUNDS_AFTER_DEADLINE",
        "DATA_MISSING",
    ] {
        assert!(vcodes.contains(c), "violation {c} not planted");
    }
    let in_scope = [
        "received",
        "invested",
        "approved",
        "accepted",
        "accepted_escrow_closed",
    ];
    let flagged: BTreeSet<i64> = vio
        .iter()
        .map(|v| v["investment_id"].parse().unwrap())
        .collect();
    for v in &vio {
        let id: i64 = v["investment_id"].parse().unwrap();
        let rec = by_id
            .get(&id)
            .unwrap_or_else(|| panic!("violation names unknown investment {id}"));
        assert!(
            in_scope.contains(&rec["status"].as_str().unwrap()),
            "violation on out-of-scope {id}"
        );
        assert_eq!(
            rec["investor"]["id"].as_i64().unwrap().to_string(),
            v["investor_id"]
        );
        assert_eq!(
            rec["offering"].as_i64().unwrap().to_string(),
            v["offering_id"]
        );
    }
    assert!(
        flagged.len() * 100 / 400 <= 20,
        "violation rate too high: {}",
        flagged.len()
    );
    // Planted attributes are visible in the records.
    for v in vio.iter().filter(|v| v["code"] == "AML_WATCHLIST_HIT") {
        let rec = by_id[&v["investment_id"].parse::<i64>().unwrap()];
        assert!(
            rec["watchlistentity_set"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w["has_hits"] == true)
        );
    }
    for v in vio.iter().filter(|v| v["code"] == "SANCTIONS_NAME_MATCH") {
        let rec = by_id[&v["investment_id"].parse::<i64>().unwrap()];
        let name = rec["investor_individual_name"].as_str().unwrap();
        assert!(
            name.contains("Al-Zawahiri") || name.contains("BANCO NACIONAL DE CUBA"),
            "{name}"
        );
    }
}

#[test]
fn payout_report_itemises_payouts_and_leaves_some_out() {
    let (_t, d, _) = gen_into(&cfg(400, 7, false));
    let lines = read_csv(&d.join("truth/lines.csv"));
    let rows = read_csv(&d.join("payouts/stripe-payouts.csv"));
    let cents = |s: &str| (s.parse::<f64>().unwrap() * 100.0).round() as i64;
    let mut net: BTreeMap<String, i64> = BTreeMap::new();
    for r in &rows {
        assert_eq!(cents(&r["gross"]) - cents(&r["fee"]), cents(&r["net"]));
        *net.entry(r["automatic_payout_id"].clone()).or_default() += cents(&r["net"]);
    }
    let chase_text: String = ["escrow", "operating"]
        .iter()
        .map(|a| std::fs::read_to_string(d.join(format!("statements/{a}/{a}.chase.csv"))).unwrap())
        .collect();
    let payout_lines: Vec<&BTreeMap<String, String>> = lines
        .iter()
        .filter(|l| l["kind"] == "card_payout" || l["kind"] == "stripe_sweep")
        .collect();
    assert!(!payout_lines.is_empty());
    let mut missing = 0;
    for (po, total) in &net {
        assert!(
            chase_text.contains(po.as_str()),
            "payout {po} not on a statement"
        );
        let _ = total;
    }
    // Each payout line's amount equals its itemised net when the payout is in the report.
    let bai: String = ["escrow", "operating"]
        .iter()
        .map(|a| std::fs::read_to_string(d.join(format!("statements/{a}/{a}.chase.csv"))).unwrap())
        .collect();
    for l in &payout_lines {
        let row = bai.lines().find(|x| x.contains(&l["bank_ref"])).unwrap();
        let po = row
            .split("IND ID:")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        match net.get(po) {
            Some(t) => assert_eq!(t.to_string(), l["amount_cents"], "payout {po}"),
            None => missing += 1,
        }
    }
    assert!(missing >= 1, "every payout is in the report");
}

#[test]
fn small_and_odd_inputs() {
    let (_t, d, s) = gen_into(&GenConfig {
        investments: 5,
        seed: 1,
        period: Period::parse("2027-02").unwrap(),
        sdn_names: vec![],
        world: WorldKnobs::classic(),
    });
    assert_eq!(s.investments, 5);
    assert!(d.join("truth/violations.csv").is_file());
    assert!(Period::parse("2026-13").is_err());
    assert!(Period::parse("26-10").is_err());
    assert_eq!(
        Period::parse("2024-02").unwrap().last_day().to_string(),
        "2024-02-29"
    );
    assert!(
        generate(
            &GenConfig {
                investments: 0,
                ..cfg(1, 1, false)
            },
            &d
        )
        .is_err()
    );
    // An existing directory that is not a dataset is never replaced.
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("keep.txt"), "x").unwrap();
    let e = generate(&cfg(10, 1, false), t.path()).unwrap_err();
    assert!(matches!(e, GenError::OutExists(_)), "{e}");
    assert!(t.path().join("keep.txt").is_file());
    // Regenerating over a previous dataset replaces it.
    let s2 = generate(&cfg(20, 2, false), &d).unwrap();
    assert_eq!(s2.investments, 20);
}

#[test]
fn originator_names_are_romanised() {
    assert_eq!(names::roman_upper("Дмитрий Коваленко"), "DMITRII KOVALENKO");
    assert_eq!(names::roman_upper("Zoë Ångström"), "ZOE ANGSTROM");
    assert_eq!(names::roman_upper("Đặng Thu Trang"), "DANG THU TRANG");
    assert_eq!(names::roman_upper("Ольга Мельник"), "OLGA MELNIK");
    assert_eq!(
        names::roman_upper("Γιώργος Παπαδόπουλος"),
        "GIORGOS PAPADOPOULOS"
    );
    assert_eq!(
        names::roman_upper("Seán O'Brien-Smith"),
        "SEAN OBRIEN SMITH"
    );
}

/// Every violation in the truth is a planted one (clean investments keep their margins), and
/// every code is planted, for several seeds and periods.
#[test]
fn only_planted_investments_violate_across_seeds() {
    for (seed, period) in [
        (1u64, "2026-10"),
        (2, "2025-02"),
        (3, "2026-12"),
        (11, "2027-06"),
        (42, "2026-03"),
    ] {
        let mut c = cfg(400, seed, true);
        c.period = Period::parse(period).unwrap();
        let w = world::build(&c);
        let v = oracle::violations(&w);
        let planted: BTreeSet<(&str, i64)> = w.planted.iter().copied().collect();
        let whale = w
            .planted
            .iter()
            .find(|p| p.0 == "REGCF_ISSUER_CAP")
            .map(|p| p.1);
        let codes: BTreeSet<&str> = v.iter().map(|x| x.code).collect();
        assert_eq!(codes.len(), 18, "seed {seed}: {codes:?}");
        for x in &v {
            let side_effect = (x.code == "INVESTMENT_ABOVE_MAX" && Some(x.investment_id) == whale)
                || x.code == "REGCF_ISSUER_CAP";
            assert!(
                planted.contains(&(x.code, x.investment_id)) || side_effect,
                "seed {seed}: unplanted {} on {} ({})",
                x.code,
                x.investment_id,
                x.note
            );
        }
        let m = money::build(&w, seed);
        let ex: BTreeSet<&str> = m.exceptions.iter().map(|e| e.code).collect();
        assert_eq!(ex.len(), 8, "seed {seed}: {ex:?}");
        for a in world::Acct::ALL {
            let mut bal = m.opening[a.idx()];
            for l in &m.lines[a.idx()] {
                bal += l.amount_c;
                assert!(
                    w.biz.contains(&l.date),
                    "seed {seed}: {} booked on a non-business day",
                    l.bank_ref
                );
            }
            assert_eq!(bal, m.closing(a));
        }
    }
}

#[test]
fn xlsx_has_typed_cells_and_every_line() {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let (_t, d, _) = gen_into(&cfg(400, 7, false));
    let lines = read_csv(&d.join("truth/lines.csv"));
    for a in ["escrow", "operating", "private", "intl"] {
        let mut wb: Xlsx<_> = open_workbook(d.join(format!("statements/{a}/{a}.xlsx"))).unwrap();
        let r = wb.worksheet_range("Statement").unwrap();
        let rows: Vec<&[Data]> = r.rows().collect();
        assert_eq!(rows[4][0], Data::String("Posting Date".into()));
        let mine: Vec<&BTreeMap<String, String>> =
            lines.iter().filter(|l| l["account"] == a).collect();
        assert_eq!(rows.len() - 5, mine.len(), "{a}");
        for (row, l) in rows[5..].iter().zip(&mine) {
            assert!(
                matches!(row[0], Data::DateTime(_)),
                "{a}: date cell {:?}",
                row[0]
            );
            assert_eq!(row[2], Data::String(l["bank_ref"].clone()));
            let cents: i64 = l["amount_cents"].parse().unwrap();
            let cell = if cents < 0 { &row[5] } else { &row[6] };
            match cell {
                Data::Float(f) => assert_eq!(
                    (f * 100.0).round() as i64,
                    cents.abs(),
                    "{a} {}",
                    l["bank_ref"]
                ),
                other => panic!("{a}: amount cell {other:?}"),
            }
        }
    }
}

/// Whether this run is CI (`CI=true`), where the samples folder is always present: a missing
/// folder is then a failure, never a silent pass.
fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

#[test]
fn picks_sdn_names_from_a_real_list() {
    let dir = std::env::var("TIEOUT_SAMPLES").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/samples").to_string()
    });
    let path = Path::new(&dir).join("ofac/sdn.csv");
    if !path.is_file() {
        assert!(
            !on_ci(),
            "samples folder not found at {dir} (CI=true: CI always has ../shared/samples)"
        );
        eprintln!("SKIPPED: samples folder not found at {dir}");
        return;
    }
    let names = pick_sdn_names(&path, 3).unwrap();
    assert_eq!(names.len(), 3);
    assert!(names[0].individual && names[0].name.contains(','));
    assert!(!names[1].individual);
    assert!(names.iter().all(|n| n.ent_num > 0));
    // Deterministic, and usable by the generator.
    assert_eq!(names, pick_sdn_names(&path, 3).unwrap());
    let mut c = cfg(400, 5, false);
    c.sdn_names = names;
    let w = world::build(&c);
    assert!(
        oracle::violations(&w)
            .iter()
            .any(|v| v.code == "SANCTIONS_NAME_MATCH")
    );
    let bad = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bad.path(), "x,NAME,individual\n").unwrap();
    let e = pick_sdn_names(bad.path(), 1).unwrap_err().to_string();
    assert!(e.contains("row 1") && e.contains("ent_num"), "{e}");
}

#[test]
fn money_plants_have_no_namesake_payment_of_their_amount() {
    // Dense enough in family names that drawn amounts collide and must be moved.
    let w = world::build(&cfg(6000, 11, false));
    assert_eq!(w.undecidable_plants, 0);
    let words: Vec<Vec<String>> = w.investors.iter().map(world::namesake_keys).collect();
    let mut checked = 0;
    for p in &w.invs {
        let partner = match p.xplant {
            Some(
                world::XPlant::UnmatchedInvestment
                | world::XPlant::StatusMismatchNoRefund
                | world::XPlant::RefundDue,
            ) => None,
            Some(world::XPlant::Ambiguous(o)) => Some(o as i64),
            _ => continue,
        };
        checked += 1;
        for q in &w.invs {
            if q.id == p.id || q.history || Some(q.id) == partner {
                continue;
            }
            let shared = words[p.investor]
                .iter()
                .any(|x| words[q.investor].contains(x));
            assert!(
                !shared || world::amounts_apart(p.amount_c, q.amount_c),
                "plant {} ({} {}) and investment {} ({} {}) are namesakes with one amount",
                p.id,
                w.investors[p.investor].last,
                p.amount_c,
                q.id,
                w.investors[q.investor].last,
                q.amount_c
            );
        }
    }
    assert!(checked >= 100, "{checked} plants checked");
}

#[test]
fn plant_family_names_are_nobodys_namesakes() {
    use super::names::{ACCENTED, ANGLO, CYRILLIC, GREEK, PLANT_FAMILY, VIETNAMESE};
    let pools: std::collections::HashSet<String> = [ANGLO, ACCENTED, VIETNAMESE, CYRILLIC, GREEK]
        .iter()
        .flat_map(|p| p.lasts.iter().flat_map(|&(m, f)| [m, f]))
        .flat_map(|n| world::word_keys([n]))
        .collect();
    let mut seen = std::collections::HashSet::new();
    for f in PLANT_FAMILY {
        let k = world::word_keys([*f]);
        assert_eq!(k.len(), 1, "{f}");
        assert!(
            !pools.contains(&k[0]),
            "{f} is a namesake of a pool's family name"
        );
        assert!(
            seen.insert(k[0].clone()),
            "{f} is a namesake of another plant family"
        );
    }
    // The keys see through gendered and similar forms.
    assert_eq!(
        world::word_keys(["Καραγιάννη"]),
        world::word_keys(["Καραγιάννης"])
    );
    assert_eq!(world::word_keys(["García"]), world::word_keys(["Garside"]));
}
