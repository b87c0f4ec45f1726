//! World variants: every world's data and truth agree with its knobs, and the knobs show in
//! the records (which field is the securities value, what the bank sees, release shapes).

use std::collections::{BTreeMap, BTreeSet};

use super::*;

fn cents(v: &serde_json::Value) -> i64 {
    let s = v.as_str().unwrap();
    let (w, f) = s.split_once('.').unwrap_or((s, "0"));
    let sign = if w.starts_with('-') { -1 } else { 1 };
    sign * (w.trim_start_matches('-').parse::<i64>().unwrap() * 100
        + format!("{f:0<2}")[..2].parse::<i64>().unwrap())
}

fn csv_rows(path: &std::path::Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|x| {
            let x = x.unwrap();
            h.iter()
                .zip(x.iter())
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn every_world_is_consistent_and_shows_its_knobs() {
    for name in WORLD_NAMES {
        let k = WorldKnobs::preset(name).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("ds");
        let cfg = GenConfig {
            investments: 400,
            seed: 7,
            period: Period::parse("2026-10").unwrap(),
            sdn_names: Vec::new(),
            world: k.clone(),
        };
        generate(&cfg, &d).unwrap();
        // The knobs are written for a human, and read back the same.
        let toml = std::fs::read_to_string(d.join("truth/world.toml")).unwrap();
        assert_eq!(WorldKnobs::from_toml(&toml).unwrap(), k, "{name}");

        let text = |p: &str| std::fs::read_to_string(d.join(p)).unwrap();
        let unit: BTreeMap<i64, i64> = text("api/offerings.jsonl")
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|o| (o["id"].as_i64().unwrap(), cents(&o["unit_price"])))
            .collect();
        let invs: BTreeMap<i64, serde_json::Value> = text("api/investments.jsonl")
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|v| (v["id"].as_i64().unwrap(), v))
            .collect();
        // (securities value, what the investor paid, processing fee in the API)
        let money = |v: &serde_json::Value| {
            let (price, amount) = (cents(&v["price"]), cents(&v["amount"]));
            let (sec, paid) = match k.securities_field {
                SecuritiesField::Amount => (amount, price),
                SecuritiesField::Price => (price, amount),
            };
            (sec, paid, cents(&v["price_payment_processing_fees"]))
        };
        for v in invs.values() {
            let (sec, paid, proc_) = money(v);
            let q = v["quantity"].as_i64().unwrap();
            let u = unit[&v["offering"].as_i64().unwrap()];
            assert_eq!(
                q * u,
                sec,
                "{name}: quantity × unit_price is the securities value: {v}"
            );
            let fees = cents(&v["price_fees"]);
            if k.itemise_fees {
                assert_eq!(paid - sec, fees, "{name}: the other field adds price_fees");
            } else {
                assert_eq!((fees, proc_), (0, 0), "{name}: fees are not itemised");
            }
        }
        let lines = csv_rows(&d.join("truth/lines.csv"));
        let ids = |l: &BTreeMap<String, String>| -> Vec<i64> {
            l["investment_ids"]
                .split(';')
                .filter_map(|s| s.parse().ok())
                .collect()
        };
        let amount = |l: &BTreeMap<String, String>| l["amount_cents"].parse::<i64>().unwrap();
        let ex = csv_rows(&d.join("truth/exceptions.csv"));
        let planted: BTreeSet<&str> = ex.iter().map(|e| e["bank_ref"].as_str()).collect();
        // A clean wire carries what the investor paid, less any fee deducted for wires.
        let mut wires = 0;
        for l in lines.iter().filter(|l| {
            (l["kind"] == "wire" || l["kind"] == "ira_wire")
                && !planted.contains(l["bank_ref"].as_str())
        }) {
            let v = &invs[&ids(l)[0]];
            let (sec, paid, _) = money(v);
            let fee = k.processing_wire.of(paid);
            assert_eq!(amount(l), paid - fee, "{name}: wire {}", l["bank_ref"]);
            wires += usize::from(paid != sec);
        }
        if k.investor_fee_other.bp > 0 {
            assert!(wires > 0, "{name}: wires carry investor fees");
        }
        // Crypto settles gross or net of the world's percentage.
        for l in lines.iter().filter(|l| l["kind"] == "crypto_settlement") {
            let gross: i64 = ids(l).iter().map(|i| money(&invs[i]).1).sum();
            let fee = (gross * i64::from(k.crypto_fee_bp) + 5_000) / 10_000;
            assert_eq!(amount(l), gross - fee, "{name}: crypto {}", l["bank_ref"]);
        }
        // Releases: per closing, listing closed Reg CF investments; each with its credit.
        let out: Vec<_> = lines
            .iter()
            .filter(|l| l["kind"] == "escrow_release")
            .collect();
        let inn: Vec<_> = lines
            .iter()
            .filter(|l| l["kind"] == "escrow_release_in")
            .collect();
        let classic_out = lines
            .iter()
            .filter(|l| l["kind"] == "disbursement_out")
            .count();
        match k.release {
            ReleaseShape::Transfer => assert!(out.is_empty() && classic_out == 1, "{name}"),
            ReleaseShape::PerClosing => {
                assert!(!out.is_empty() && classic_out == 0, "{name}: releases");
                let want = if k.release_cover == ReleaseCover::SecondRelease {
                    2
                } else {
                    1
                };
                assert_eq!(out.len(), want, "{name}: releases");
                assert_eq!(
                    out.iter().map(|l| -amount(l)).collect::<Vec<_>>(),
                    inn.iter().map(|l| amount(l)).collect::<Vec<_>>(),
                    "{name}: each release has its credit"
                );
                let released: BTreeSet<i64> = out.iter().flat_map(|l| ids(l)).collect();
                for i in &released {
                    assert_eq!(invs[i]["status"], "accepted_escrow_closed", "{name}: {i}");
                    assert_eq!(invs[i]["offering"], 1, "{name}: {i}");
                }
                let closed = invs
                    .values()
                    .filter(|v| v["status"] == "accepted_escrow_closed")
                    .count();
                if k.release_cover == ReleaseCover::HoldBack {
                    assert!(released.len() < closed, "{name}: one is held back");
                } else {
                    assert_eq!(released.len(), closed, "{name}: all released");
                }
                // Each released investment closed (was last updated) shortly before its release.
                for l in &out {
                    let day =
                        chrono::NaiveDate::parse_from_str(&l["booking_date"], "%Y-%m-%d").unwrap();
                    for i in ids(l) {
                        let t = invs[&i]["updated_at"].as_str().unwrap();
                        let closed =
                            chrono::NaiveDate::parse_from_str(&t[..10], "%Y-%m-%d").unwrap();
                        let lag = (day - closed).num_days();
                        assert!(
                            (1..=7).contains(&lag),
                            "{name}: {i} closed {t}, released {day}"
                        );
                    }
                }
                for l in &out {
                    let basis: i64 = ids(l)
                        .iter()
                        .map(|i| match k.release_basis {
                            ReleaseBasis::Paid => money(&invs[i]).1,
                            ReleaseBasis::Securities => money(&invs[i]).0,
                        })
                        .sum();
                    let fee = (basis * i64::from(k.release_fee_bp) + 5_000) / 10_000;
                    assert_eq!(-amount(l), basis - fee, "{name}: release {}", l["bank_ref"]);
                }
            }
        }
        // Planted amount mismatches are short of this world's bank reading.
        let mut mismatches = 0;
        for e in ex.iter().filter(|e| e["code"] == "AMOUNT_MISMATCH") {
            let v = &invs[&e["investment_id"].parse::<i64>().unwrap()];
            let (_, paid, _) = money(v);
            let reading = paid - k.processing_wire.of(paid);
            let got: i64 = e["amount_cents"].parse().unwrap();
            assert!(got < reading && reading - got >= 50_000, "{name}: {e:?}");
            mismatches += 1;
        }
        assert!(mismatches > 0, "{name}");
        // Value dates follow booking dates within the world's lag.
        for l in &lines {
            let b = chrono::NaiveDate::parse_from_str(&l["booking_date"], "%Y-%m-%d").unwrap();
            let v = chrono::NaiveDate::parse_from_str(&l["value_date"], "%Y-%m-%d").unwrap();
            let lag = (v - b).num_days();
            assert!(
                (0..=i64::from(k.value_lag_days)).contains(&lag),
                "{name}: {l:?}"
            );
        }
    }
}

#[test]
fn worlds_are_deterministic_and_differ_from_classic() {
    let make = |world: &str| {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("ds");
        let cfg = GenConfig {
            investments: 120,
            seed: 3,
            period: Period::parse("2026-10").unwrap(),
            sdn_names: Vec::new(),
            world: WorldKnobs::preset(world).unwrap(),
        };
        generate(&cfg, &d).unwrap();
        let read = |p: &str| std::fs::read_to_string(d.join(p)).unwrap();
        (
            read("truth/lines.csv"),
            read("statements/escrow/escrow.bai2"),
        )
    };
    let classic = make("classic");
    assert_eq!(classic, make("classic"), "deterministic");
    for w in WORLD_NAMES.iter().filter(|w| **w != "classic") {
        let other = make(w);
        assert_ne!(other.0, classic.0, "{w}: lines");
        assert_ne!(other.1, classic.1, "{w}: escrow statement");
    }
}
