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

/// The code of a line: without its `//` comment (approximately: a `//` inside a string literal
/// also ends it, which can only hide code, never invent it).
fn code_of(line: &str) -> &str {
    line.split("//").next().unwrap_or("")
}

/// A file's non-test source, line by line (1-based line numbers kept), and the names of the
/// `#[cfg(test)] mod name;` files it declares. Only the item each `#[cfg(test)]` attribute
/// applies to is left out: a `mod name;` line, or a braced item up to its closing brace; the
/// code after it is read like the rest.
fn non_test_lines(text: &str) -> (Vec<(usize, String)>, Vec<String>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut test_mods = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if code_of(lines[i]).trim() != "#[cfg(test)]" {
            out.push((i + 1, lines[i].to_string()));
            i += 1;
            continue;
        }
        // Skip the attribute, any further attributes, then the item.
        i += 1;
        while i < lines.len() && code_of(lines[i]).trim_start().starts_with("#[") {
            i += 1;
        }
        let mut depth: i64 = 0;
        let mut opened = false;
        while i < lines.len() {
            let code = code_of(lines[i]);
            if !opened && depth == 0 && code.trim_end().ends_with(';') && !code.contains('{') {
                let item = code.trim();
                if let Some(name) = item
                    .strip_prefix("mod ")
                    .or_else(|| item.strip_prefix("pub mod "))
                    .or_else(|| item.strip_prefix("pub(crate) mod "))
                {
                    test_mods.push(name.trim_end_matches(';').trim().to_string());
                }
                i += 1;
                break;
            }
            for c in code.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            i += 1;
            if opened && depth <= 0 {
                break;
            }
        }
    }
    (out, test_mods)
}

/// Every path a `use` declaration names, its groups expanded: `use std::{env, fs::File};` →
/// `std::env`, `std::fs::File`.
fn use_paths(decl: &str) -> Vec<String> {
    fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
        let tree = tree.trim();
        match tree.find('{') {
            None => {
                for part in split_top(tree) {
                    let part = part.split(" as ").next().unwrap_or("").trim();
                    if part.is_empty() {
                        continue;
                    }
                    let path = match (prefix.is_empty(), part) {
                        (true, p) => p.to_string(),
                        (false, "self") => prefix.trim_end_matches("::").to_string(),
                        (false, p) => format!("{prefix}{p}"),
                    };
                    out.push(path);
                }
            }
            Some(open) if tree.ends_with('}') && split_top(tree).len() == 1 => {
                let head = &tree[..open];
                let inner = &tree[open + 1..tree.len() - 1];
                let prefix = format!("{prefix}{head}");
                for part in split_top(inner) {
                    expand(&prefix, part, out);
                }
            }
            Some(_) => {
                for part in split_top(tree) {
                    expand(prefix, part, out);
                }
            }
        }
    }
    /// Splits at the commas outside braces.
    fn split_top(s: &str) -> Vec<&str> {
        let (mut parts, mut depth, mut start) = (Vec::new(), 0i32, 0);
        for (i, c) in s.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&s[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&s[start..]);
        parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
    }
    let body = decl.trim().trim_end_matches(';');
    let body = body
        .strip_prefix("pub(crate) use ")
        .or_else(|| body.strip_prefix("pub use "))
        .or_else(|| body.strip_prefix("use "))
        .unwrap_or(body);
    let compact: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = Vec::new();
    expand("", &compact, &mut out);
    out
}

/// Every non-test source file of a crate: `src/**/*.rs` without the files its
/// `#[cfg(test)] mod name;` declarations bring in.
fn crate_sources(crate_dir: &str) -> Vec<(PathBuf, Vec<(usize, String)>)> {
    let mut files = Vec::new();
    rust_files(&root().join(crate_dir).join("src"), &mut files);
    files.sort();
    let mut parsed: Vec<(PathBuf, Vec<(usize, String)>)> = Vec::new();
    let mut test_files: BTreeSet<PathBuf> = BTreeSet::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let (lines, test_mods) = non_test_lines(&text);
        let dir = match f.file_name().and_then(|n| n.to_str()) {
            Some("lib.rs" | "main.rs" | "mod.rs") => f.parent().unwrap().to_path_buf(),
            _ => f.with_extension(""),
        };
        for m in test_mods {
            test_files.insert(dir.join(format!("{m}.rs")));
            test_files.insert(dir.join(&m).join("mod.rs"));
            let sub = dir.join(&m);
            if sub.is_dir() {
                let mut inner = Vec::new();
                rust_files(&sub, &mut inner);
                test_files.extend(inner);
            }
        }
        parsed.push((f.clone(), lines));
    }
    parsed.retain(|(f, _)| !test_files.contains(f));
    parsed
}

fn assert_no_tokens(crate_dir: &str, tokens: &[&str]) {
    let mut hits = Vec::new();
    for (f, lines) in crate_sources(crate_dir) {
        let mut decl: Option<(usize, String)> = None;
        for (n, line) in &lines {
            let code = code_of(line);
            for t in tokens {
                if code.contains(t) {
                    hits.push(format!("{}:{n}: {t}", f.display()));
                }
            }
            // `use` declarations, grouped imports expanded (they may span lines).
            let trimmed = code.trim_start();
            if decl.is_none()
                && (trimmed.starts_with("use ")
                    || trimmed.starts_with("pub use ")
                    || trimmed.starts_with("pub(crate) use "))
            {
                decl = Some((*n, String::new()));
            }
            if let Some((start, text)) = decl.as_mut() {
                text.push_str(code);
                text.push(' ');
                if code.contains(';') {
                    for path in use_paths(text) {
                        for t in tokens {
                            if (path == *t || path.starts_with(&format!("{t}::")))
                                && !code.contains(t)
                            {
                                hits.push(format!("{}:{start}: {t} (as {path})", f.display()));
                            }
                        }
                    }
                    decl = None;
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

#[test]
fn only_the_domain_defines_a_period() {
    let mut hits = Vec::new();
    for dir in std::fs::read_dir(root().join("crates")).unwrap() {
        let dir = dir.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if name == "domain" || !dir.join("src").is_dir() {
            continue;
        }
        for (f, lines) in crate_sources(&format!("crates/{name}")) {
            for (n, line) in &lines {
                let code = code_of(line);
                let words: Vec<&str> = code
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .filter(|w| !w.is_empty())
                    .collect();
                if words
                    .windows(2)
                    .any(|w| matches!(w[0], "struct" | "enum" | "type") && w[1] == "Period")
                {
                    hits.push(format!("{}:{n}", f.display()));
                }
            }
        }
    }
    assert!(
        hits.is_empty(),
        "`Period` is defined once, in tieout-domain; also defined at {hits:#?}"
    );
}

#[test]
fn the_source_scan_reads_past_test_items_and_expands_grouped_imports() {
    let text = "use a::b;\n#[cfg(test)]\nmod tests;\nuse std::{env, fs};\n#[cfg(test)]\nmod t {\n    use std::fs;\n}\nfn f() {}\n";
    let (lines, mods) = non_test_lines(text);
    let kept: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(kept, ["use a::b;", "use std::{env, fs};", "fn f() {}"]);
    assert_eq!(mods, ["tests"]);
    assert_eq!(lines[1].0, 4);
    assert_eq!(use_paths("use std::{env, fs};"), ["std::env", "std::fs"]);
    assert_eq!(
        use_paths("use std::{fs::{self, File}, io::Read as _};"),
        ["std::fs", "std::fs::File", "std::io::Read"]
    );
    assert_eq!(use_paths("use chrono::Utc;"), ["chrono::Utc"]);
}
