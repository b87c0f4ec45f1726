//! Keeps ARCHITECTURE.md true: the dependency tables in it are the law, each crate's
//! Cargo.toml and sources must obey them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Parses the markdown table between `<!-- NAME:begin -->` and `<!-- NAME:end -->` into
/// crate → set of names.
fn table(doc: &str, name: &str) -> BTreeMap<String, BTreeSet<String>> {
    let begin = format!("<!-- {name}:begin -->");
    let end = format!("<!-- {name}:end -->");
    let start = doc
        .find(&begin)
        .unwrap_or_else(|| panic!("ARCHITECTURE.md lacks {begin}"));
    let stop = doc
        .find(&end)
        .unwrap_or_else(|| panic!("ARCHITECTURE.md lacks {end}"));
    let mut out = BTreeMap::new();
    for line in doc[start + begin.len()..stop].lines().skip(3) {
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').collect();
        if cells.len() < 2 {
            continue;
        }
        let set = cells[1]
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        out.insert(cells[0].trim().to_string(), set);
    }
    out
}

/// Every workspace package: name → (manifest dir, normal deps, dev deps).
fn packages() -> Vec<(String, PathBuf, BTreeSet<String>, BTreeSet<String>)> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").exists())
        .collect();
    dirs.push(root().join("xtask"));
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let text = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
            let manifest: toml::Table = text.parse().unwrap();
            let name = manifest["package"]["name"].as_str().unwrap().to_string();
            let keys = |section: &str| -> BTreeSet<String> {
                manifest
                    .get(section)
                    .and_then(|t| t.as_table())
                    .map(|t| t.keys().cloned().collect())
                    .unwrap_or_default()
            };
            (name, dir, keys("dependencies"), keys("dev-dependencies"))
        })
        .collect()
}

fn doc() -> String {
    std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md exists")
}

#[test]
fn every_crate_is_documented() {
    let allowed = table(&doc(), "allowed-deps");
    for (name, dir, _, _) in packages() {
        assert!(
            allowed.contains_key(&name),
            "{name} ({}) has no row in ARCHITECTURE.md's allowed-deps table",
            dir.display()
        );
    }
}

#[test]
fn internal_dependency_edges_follow_the_document() {
    let doc = doc();
    let allowed = table(&doc, "allowed-deps");
    let allowed_dev = table(&doc, "allowed-dev-deps");
    let internal: BTreeSet<String> = packages().into_iter().map(|p| p.0).collect();
    let mut violations = Vec::new();
    for (name, _, deps, dev) in packages() {
        let ok = allowed.get(&name).cloned().unwrap_or_default();
        for d in deps.iter().filter(|d| internal.contains(*d)) {
            if !ok.contains(d) {
                violations.push(format!("{name} → {d} (dependency)"));
            }
        }
        let ok_dev: BTreeSet<String> = ok
            .union(&allowed_dev.get(&name).cloned().unwrap_or_default())
            .cloned()
            .collect();
        for d in dev.iter().filter(|d| internal.contains(*d)) {
            if !ok_dev.contains(d) {
                violations.push(format!("{name} → {d} (dev-dependency)"));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "dependency edges ARCHITECTURE.md forbids: {violations:?}"
    );
}

#[test]
fn forbidden_external_crates_stay_out() {
    let forbidden = table(&doc(), "forbidden-external");
    let mut violations = Vec::new();
    for (name, _, deps, _) in packages() {
        for f in forbidden.get(&name).cloned().unwrap_or_default() {
            if deps.contains(&f) {
                violations.push(format!("{name} depends on {f}"));
            }
        }
    }
    assert!(violations.is_empty(), "{violations:?}");
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Strips `#[cfg(test)] mod … { … }` blocks' contents approximately: everything after the first
/// `#[cfg(test)]` line of a file is test code by this project's convention.
fn non_test_source(text: &str) -> &str {
    match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    }
}

fn assert_no_tokens(crate_dir: &str, tokens: &[&str]) {
    let mut files = Vec::new();
    rust_files(&root().join(crate_dir).join("src"), &mut files);
    let mut hits = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in non_test_source(&text).lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for t in tokens {
                if code.contains(t) {
                    hits.push(format!("{}:{}: {}", f.display(), n + 1, t));
                }
            }
        }
    }
    assert!(hits.is_empty(), "forbidden in {crate_dir}: {hits:#?}");
}

#[test]
fn domain_is_pure() {
    assert_no_tokens(
        "crates/domain",
        &[
            "std::fs",
            "std::net",
            "std::env",
            "Utc::now",
            "Local::now",
            "SystemTime",
            "tokio",
        ],
    );
}

#[test]
fn reconcile_and_report_read_no_clock() {
    for c in ["crates/reconcile", "crates/report"] {
        assert_no_tokens(c, &["Utc::now", "Local::now", "SystemTime"]);
    }
}

#[test]
fn the_table_parser_reads_rows() {
    let doc = "<!-- t:begin -->\n| a | b |\n|---|---|\n| x | y, z |\n| w | |\n<!-- t:end -->";
    // skip(3): the text after the marker starts with the rest of its line, then header, rule.
    let t = table(doc, "t");
    assert_eq!(t["x"], ["y", "z"].iter().map(|s| s.to_string()).collect());
    assert!(t["w"].is_empty());
}
