//! The money model through the binary: the demo month read the other plausible way round, a
//! pinned profile, and what the manifest states.
//!
//! The other reading is built from the demo's own snapshot, not by the generator: every
//! investment's `price` and `amount` swapped ("price = securities value, amount = price +
//! fees"), the statements untouched. The bank saw the same money, so a reconciliation that
//! infers the reading must find the same matches, exceptions and compliance findings.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn dataset() -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/demo/dataset.json")).unwrap(),
    )
    .unwrap()
}

/// `tieout reconcile` of the demo statements against `snapshot`, from the repository root.
fn reconcile(snapshot: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let ds = dataset();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tieout"));
    cmd.current_dir(root())
        .args(["--quiet", "reconcile", "--no-reports", "--snapshot"])
        .arg(snapshot);
    for s in ds["demo"]["statements"].as_array().unwrap() {
        cmd.arg("--statement")
            .arg(format!("testdata/demo/{}", s.as_str().unwrap()));
    }
    for p in ds["demo"]["payouts"].as_array().unwrap() {
        cmd.arg("--payouts")
            .arg(format!("testdata/demo/{}", p.as_str().unwrap()));
    }
    cmd.args(["--period", ds["period"].as_str().unwrap()])
        .args(extra)
        .arg("--out")
        .arg(out);
    cmd.output().unwrap()
}

/// A copy of the demo snapshot with every investment's `price` and `amount` swapped (and the
/// snapshot manifest's hash of the file brought up to date).
fn swapped_snapshot(dir: &Path) -> PathBuf {
    let src = root().join("testdata/demo/api");
    let dst = dir.join("swapped");
    std::fs::create_dir_all(dst.join("sidecar")).unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, dst.join(p.file_name().unwrap())).unwrap();
        }
    }
    for e in std::fs::read_dir(src.join("sidecar")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dst.join("sidecar").join(p.file_name().unwrap())).unwrap();
    }
    let text = std::fs::read_to_string(src.join("investments.jsonl")).unwrap();
    let mut out = String::new();
    let mut swapped = 0;
    for line in text.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        let o = v.as_object_mut().unwrap();
        if let (Some(p), Some(a)) = (o.get("price").cloned(), o.get("amount").cloned())
            && !p.is_null()
            && p != a
        {
            o.insert("price".into(), a);
            o.insert("amount".into(), p);
            swapped += 1;
        }
        out.push_str(&serde_json::to_string(&v).unwrap());
        out.push('\n');
    }
    assert!(
        swapped > 40,
        "the demo has fees to tell the readings apart: {swapped}"
    );
    std::fs::write(dst.join("investments.jsonl"), &out).unwrap();
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dst.join("manifest.json")).unwrap()).unwrap();
    manifest["sha256"]["investments.jsonl"] =
        hex::encode(sha2::Sha256::digest(out.as_bytes())).into();
    std::fs::write(dst.join("manifest.json"), manifest.to_string()).unwrap();
    dst
}

fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap()
}

fn method<'m>(manifest: &'m serde_json::Value, name: &str) -> &'m serde_json::Value {
    manifest["money_model"]["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["method"] == name)
        .unwrap_or_else(|| panic!("no {name} in {}", manifest["money_model"]))
}

/// The rows of a CSV output without the columns that name the expected amount's source.
fn csv(out: &Path, name: &str) -> String {
    std::fs::read_to_string(out.join(name)).unwrap()
}

#[test]
fn the_demo_read_the_other_way_round_reconciles_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let original = reconcile(&root().join("testdata/demo/api"), &a, &[]);
    assert_eq!(
        original.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&original.stderr)
    );
    let snap = swapped_snapshot(tmp.path());
    let other = reconcile(&snap, &b, &[]);
    assert_eq!(
        other.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );

    let (ma, mb) = (manifest(&a), manifest(&b));
    // What was inferred, stated.
    assert_eq!(
        method(&ma, "wire")["formula"]["gross"],
        "price",
        "{}",
        ma["money_model"]
    );
    assert_eq!(
        method(&mb, "wire")["formula"]["gross"],
        "amount",
        "{}",
        mb["money_model"]
    );
    for m in [&ma, &mb] {
        let w = method(m, "wire");
        assert_eq!(w["basis"], "fitted");
        let (explained, keyed) = (
            w["explained"].as_u64().unwrap(),
            w["keyed"].as_u64().unwrap(),
        );
        // The demo plants short wires, duplicates and wrong amounts: most, not all, fit.
        assert!(keyed >= 100 && explained * 10 >= keyed * 8, "{w}");
    }
    assert_eq!(
        method(&ma, "wire")["explained"],
        method(&mb, "wire")["explained"]
    );
    assert_eq!(ma["securities_value"]["field"], "amount");
    assert_eq!(mb["securities_value"]["field"], "price");
    assert_eq!(mb["securities_value"]["inferred"], true);
    // The same money, the same results.
    for name in ["matches.csv", "exceptions.csv", "findings.csv"] {
        assert_eq!(
            csv(&a, name),
            csv(&b, name),
            "{name} differs between the readings"
        );
    }
    assert_eq!(ma["counts"], mb["counts"]);
    // The summary says it in words.
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(
        stderr.contains("wire: bank sees amount (fitted"),
        "{stderr}"
    );
}

#[test]
fn a_pinned_profile_skips_the_fit_and_is_obeyed() {
    let tmp = tempfile::tempdir().unwrap();
    // A wrong pin (every wire 5 % short of what the bank saw) is obeyed, not re-fitted, and
    // the run says what it costs.
    let profile = tmp.path().join("platform.toml");
    std::fs::write(
        &profile,
        "[money_model.wire]\ngross = \"price\"\nfee_bps = 500\n",
    )
    .unwrap();
    let (fitted, pinned) = (tmp.path().join("fitted"), tmp.path().join("pinned"));
    let demo = root().join("testdata/demo/api");
    reconcile(&demo, &fitted, &[]);
    let out = reconcile(
        &demo,
        &pinned,
        &["--platform-profile", profile.to_str().unwrap()],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (mf, mp) = (manifest(&fitted), manifest(&pinned));
    let w = method(&mp, "wire");
    assert_eq!(w["basis"], "pinned");
    assert_eq!(w["formula_text"], "price − 5.00 %");
    assert!(
        w["explained"].as_u64().unwrap() < w["keyed"].as_u64().unwrap(),
        "the pin is counted against the lines: {w}"
    );
    // Methods not pinned are still fitted.
    assert_eq!(method(&mp, "ira")["basis"], method(&mf, "ira")["basis"]);
    assert_eq!(
        mp["parameters"]["platform_profile"]
            .as_str()
            .map(|p| p.ends_with("platform.toml")),
        Some(true)
    );
    assert_eq!(w["explained"], 0, "no wire is 5 % short: {w}");
    let exceptions = |m: &serde_json::Value| m["counts"]["exceptions"].as_u64().unwrap();
    assert!(
        exceptions(&mp) > exceptions(&mf) + 20,
        "the wires no longer fit: {} exceptions pinned vs {} fitted",
        exceptions(&mp),
        exceptions(&mf)
    );
}

#[test]
fn a_bad_profile_is_refused_with_its_path() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("bad.toml");
    std::fs::write(&profile, "[money_model.paypal]\ngross = \"price\"\n").unwrap();
    let out = reconcile(
        &root().join("testdata/demo/api"),
        &tmp.path().join("out"),
        &["--platform-profile", profile.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml") && stderr.contains("paypal"),
        "{stderr}"
    );
    assert!(!tmp.path().join("out").exists(), "nothing written");
}

/// Generates `world` (seed 11, the default 400 investments) and reconciles its demo statement
/// set; returns the manifest and the world's knobs (`truth/world.toml`, which the engine never
/// reads).
fn world_run(tmp: &Path, world: &str) -> (serde_json::Value, toml::Value) {
    let data = tmp.join(world);
    let generated = Command::new(env!("CARGO_BIN_EXE_tieout"))
        .args([
            "--quiet", "gen", "--world", world, "--seed", "11", "--period", "2026-10",
        ])
        .arg("--out")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let ds: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("dataset.json")).unwrap()).unwrap();
    let out = tmp.join(format!("{world}-out"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tieout"));
    cmd.args(["--quiet", "reconcile", "--no-reports", "--snapshot"])
        .arg(data.join("api"));
    for s in ds["demo"]["statements"].as_array().unwrap() {
        cmd.arg("--statement").arg(data.join(s.as_str().unwrap()));
    }
    for p in ds["demo"]["payouts"].as_array().unwrap() {
        cmd.arg("--payouts").arg(data.join(p.as_str().unwrap()));
    }
    let run = cmd
        .args(["--period", ds["period"].as_str().unwrap(), "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.code().is_some_and(|c| c < 2),
        "{world}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let knobs: toml::Value =
        toml::from_str(&std::fs::read_to_string(data.join("truth/world.toml")).unwrap()).unwrap();
    (manifest(&out), knobs)
}

/// What the engine inferred, against what each world was built with: the engine gets only the
/// snapshot and the files; the knobs come from the generator's own record.
#[test]
fn the_fitted_model_is_the_one_each_world_was_built_with() {
    let tmp = tempfile::tempdir().unwrap();
    for world in ["classic", "amount-gross", "net-wires", "unitemised"] {
        let (m, knobs) = world_run(tmp.path(), world);
        let wire = method(&m, "wire");
        let gross = wire["formula"]["gross"].as_str().unwrap();
        let itemised = knobs["itemise_fees"].as_bool().unwrap();
        // Which field the bank sees: the investor's payment, whichever field holds it.
        match (knobs["securities_field"].as_str().unwrap(), itemised) {
            ("price", true) => assert!(
                ["amount", "price + price_fees"].contains(&gross),
                "{world}: {wire}"
            ),
            ("amount", true) => assert!(
                ["price", "amount + price_fees"].contains(&gross),
                "{world}: {wire}"
            ),
            _ => {}
        }
        if itemised {
            assert_eq!(
                m["securities_value"]["field"],
                knobs["securities_field"].as_str().unwrap(),
                "{world}"
            );
        }
        // Wires net of processing fees where the world deducts them.
        let wire_fee = knobs["processing_wire"]["bp"].as_integer().unwrap()
            + knobs["processing_wire"]["fixed_cents"]
                .as_integer()
                .unwrap();
        assert_eq!(
            wire["formula"]["less_processing_fees"].as_bool().unwrap(),
            wire_fee > 0 && itemised,
            "{world}: {wire}"
        );
        // Crypto net of the world's percentage: of each settlement's total where the
        // settlement lines show it, else of each transfer.
        let crypto = method(&m, "crypto");
        let settlements = m["money_model"]["settlements"].as_array().unwrap();
        let crypto_settles = settlements.iter().find(|s| s["method"] == "crypto");
        let bp = knobs["crypto_fee_bp"].as_integer().unwrap();
        let fitted_bp = match crypto_settles {
            Some(s) => s["fee_bps"].as_i64(),
            None => crypto["formula"]["fee_bps"].as_i64(),
        };
        if bp > 0 {
            assert_eq!(fitted_bp, Some(bp), "{world}: {crypto} {crypto_settles:?}");
        }
        // The processors' cutoff: a fitted cutoff is the world's, or one the lines cannot tell
        // from it; a world without one fits none.
        let cutoff = knobs["settle_cutoff_hour"].as_integer().unwrap();
        for s in settlements {
            let named: Vec<&str> = s["cutoff"]
                .as_str()
                .into_iter()
                .chain(
                    s["cutoff_ties"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter_map(|t| t.as_str()),
                )
                .collect();
            if cutoff == 0 {
                assert!(named.is_empty(), "{world}: {s}");
            } else if !named.is_empty() {
                assert!(
                    named.contains(&format!("{cutoff:02}:00").as_str()),
                    "{world}: {s}"
                );
            }
        }
        if cutoff > 0 {
            assert!(
                settlements.iter().any(|s| s["cutoff"].is_string()),
                "{world}: no cutoff fitted in {settlements:?}"
            );
        }
        // What a release pays.
        if knobs["release"].as_str() == Some("per-closing") {
            let r = &m["money_model"]["releases"];
            assert!(
                r.is_object(),
                "{world}: no release model in {}",
                m["money_model"]
            );
            assert_eq!(
                r["fee_bps"].as_i64(),
                knobs["release_fee_bp"].as_integer(),
                "{world}: {r}"
            );
            // Without itemised fees the investors paid the securities value: either reading.
            if itemised {
                assert_eq!(
                    r["reading"],
                    knobs["release_basis"].as_str().unwrap(),
                    "{world}: {r}"
                );
            }
        }
    }
}
