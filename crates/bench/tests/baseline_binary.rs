//! `tieout-baseline` on the demo month: it reads the same inputs as `tieout reconcile`, writes
//! its matches and exceptions, and exits 1 (the demo has exceptions).

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[test]
fn the_baseline_binary_matches_the_demo_month() {
    let demo = root().join("testdata/demo");
    let ds: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo.join("dataset.json")).unwrap()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tieout-baseline"));
    cmd.arg("--snapshot")
        .arg(demo.join("api"))
        .args(["--period", ds["period"].as_str().unwrap(), "--no-reports"])
        .arg("--out")
        .arg(out.path());
    for s in ds["demo"]["statements"].as_array().unwrap() {
        cmd.arg("--statement").arg(demo.join(s.as_str().unwrap()));
    }
    for p in ds["demo"]["payouts"].as_array().unwrap() {
        cmd.arg("--payouts").arg(demo.join(p.as_str().unwrap()));
    }
    let o = cmd.output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let matches = std::fs::read_to_string(out.path().join("matches.csv")).unwrap();
    assert!(
        matches.lines().count() > 100,
        "the baseline matches most lines"
    );
    assert!(out.path().join("exceptions.csv").is_file());
    // A bad argument is an error (exit 2), not a silent default.
    let o = Command::new(env!("CARGO_BIN_EXE_tieout-baseline"))
        .arg("--engine")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
