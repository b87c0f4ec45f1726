//! Output directories that never destroy what the user owns, and file hashing.
//!
//! A run writes everything into a fresh hidden staging folder next to the destination and moves
//! it into place only when the run succeeded, so a failed or interrupted run never leaves
//! something that looks complete. Before anything is written:
//!
//! - the destination must be absent, empty, or a folder tieout wrote before: every file in it is
//!   listed by the `manifest.json` tieout left there (a run's `outputs`, a snapshot's `sha256`).
//!   Anything else — the controller's notes, a bank statement — makes the run refuse (exit 2)
//!   without touching anything;
//! - no input of the run may lie inside the destination (nor the destination inside an input
//!   folder);
//! - a lock file next to the destination (`.<name>.tieout-lock`) serialises runs on it: a second
//!   run waits for the first to finish;
//! - staging folders left by runs that died (kill -9, power loss) are removed, under the lock.
//!
//! On commit the folder's files get owner-only permissions (0600, folders 0700; 0640/0750 when
//! the user asks for group access), the previous result is moved aside and only the files its
//! manifest listed are deleted.

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

/// Who may read what a run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    /// Files 0600, folders 0700 (the default).
    #[default]
    Owner,
    /// Files 0640, folders 0750.
    Group,
}

impl Access {
    fn modes(self) -> (u32, u32) {
        match self {
            Access::Owner => (0o600, 0o700),
            Access::Group => (0o640, 0o750),
        }
    }
}

/// A directory being written; dropped without [`StagedDir::commit`] it is removed.
pub struct StagedDir {
    tmp: PathBuf,
    dest: PathBuf,
    access: Access,
    committed: bool,
    _lock: DirLock,
}

/// The name prefixes of what tieout puts next to a destination named `name`.
fn stage_prefix(name: &str) -> String {
    format!(".{name}.tieout-stage-")
}
fn old_prefix(name: &str) -> String {
    format!(".{name}.tieout-old-")
}

/// Splits `dest` into (parent, file name); the destination must have a usable name.
fn split(dest: &Path) -> Result<(PathBuf, String)> {
    let abs = std::path::absolute(dest).with_context(|| format!("resolving {}", dest.display()))?;
    // `out/.` and `out/` name `out`; `.` names the working directory.
    let abs = match abs.canonicalize() {
        Ok(c) => c,
        Err(_) => abs,
    };
    let name = abs
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .with_context(|| format!("{} cannot be an output folder (no name)", dest.display()))?;
    let parent = abs
        .parent()
        .map(Path::to_path_buf)
        .with_context(|| format!("{} cannot be an output folder", dest.display()))?;
    Ok((parent, name))
}

impl StagedDir {
    /// Checks `dest` (see the module documentation), takes its lock, cleans staging folders of
    /// dead runs and creates a fresh staging folder. `inputs` are every file and folder the run
    /// reads. Fails — touching nothing — on a destination holding foreign files or an input.
    pub fn new(dest: &Path, inputs: &[&Path], access: Access) -> Result<Self> {
        let (parent, name) = split(dest)?;
        let dest = parent.join(&name);
        // Checked before anything is created, and again under the lock.
        check_destination(&dest, inputs)?;
        fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
        let lock = DirLock::acquire(&parent.join(format!(".{name}.tieout-lock")), &dest)?;
        check_destination(&dest, inputs)?;
        clean_stale(&parent, &name);
        let tmp = parent.join(format!("{}{}", stage_prefix(&name), std::process::id()));
        create_private_dir(&tmp, access)?;
        Ok(Self {
            tmp,
            dest,
            access,
            committed: false,
            _lock: lock,
        })
    }

    /// Where files are written until commit.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Writes one file (creating parent folders) into the staging directory.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<PathBuf> {
        let path = self.tmp.join(rel);
        if let Some(p) = path.parent() {
            fs::create_dir_all(p)?;
        }
        let mut f = create_private_file(&path, self.access)
            .with_context(|| format!("creating {}", path.display()))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        Ok(path)
    }

    /// Moves the staging directory into place. A previous result is replaced only if it is
    /// still entirely tieout's (checked again now); its files are deleted one by one, as listed
    /// by its manifest, never the folder wholesale.
    pub fn commit(mut self) -> Result<PathBuf> {
        set_permissions(&self.tmp, self.access)?;
        match fs::symlink_metadata(&self.dest) {
            Err(_) => {
                fs::rename(&self.tmp, &self.dest)
                    .with_context(|| format!("moving results into {}", self.dest.display()))?;
            }
            Ok(_) => {
                let owned = check_destination(&self.dest, &[])?;
                let (parent, name) = split(&self.dest)?;
                let old = parent.join(format!("{}{}", old_prefix(&name), std::process::id()));
                fs::rename(&self.dest, &old).with_context(|| {
                    format!("moving the previous {} aside", self.dest.display())
                })?;
                if let Err(e) = fs::rename(&self.tmp, &self.dest) {
                    // Put the previous result back.
                    let _ = fs::rename(&old, &self.dest);
                    return Err(e)
                        .with_context(|| format!("moving results into {}", self.dest.display()));
                }
                remove_owned(&old, &owned);
            }
        }
        self.committed = true;
        Ok(self.dest.clone())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Deletes the files of `owned` (relative to `dir`), then the folders left empty. Anything
/// else found there is left in place and named in a warning.
fn remove_owned(dir: &Path, owned: &BTreeSet<PathBuf>) {
    for rel in owned {
        let _ = fs::remove_file(dir.join(rel));
    }
    fn prune(dir: &Path) -> bool {
        let Ok(entries) = fs::read_dir(dir) else {
            return false;
        };
        let mut empty = true;
        for e in entries.flatten() {
            let p = e.path();
            let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
            if !(is_dir && prune(&p)) {
                empty = false;
            }
        }
        empty && fs::remove_dir(dir).is_ok()
    }
    if !prune(dir) {
        tracing::warn!(
            "{} holds files tieout did not write; left in place",
            dir.display()
        );
    }
}

/// The files tieout wrote in `dest` (relative paths), or an error when `dest` cannot be
/// written to: it is not a folder, holds a file no tieout manifest there lists, or holds (or
/// lies inside) one of `inputs`. An absent or empty destination owns nothing.
pub fn check_destination(dest: &Path, inputs: &[&Path]) -> Result<BTreeSet<PathBuf>> {
    let abs_dest = canonical(dest);
    for input in inputs {
        let abs_in = canonical(input);
        if abs_in.starts_with(&abs_dest) {
            bail!(
                "the output folder {} holds the input {}; choose another output folder (nothing was written)",
                dest.display(),
                input.display()
            );
        }
        if abs_in.is_dir() && abs_dest.starts_with(&abs_in) {
            bail!(
                "the output folder {} lies inside the input folder {}; choose another output folder (nothing was written)",
                dest.display(),
                input.display()
            );
        }
    }
    let meta = match fs::symlink_metadata(dest) {
        Err(_) => return Ok(BTreeSet::new()),
        Ok(m) => m,
    };
    if meta.file_type().is_symlink() {
        bail!(
            "the output folder {} is a symbolic link; name the real folder (nothing was written)",
            dest.display()
        );
    }
    if !meta.is_dir() {
        bail!(
            "the output {} exists and is not a folder (nothing was written)",
            dest.display()
        );
    }
    let present = list_files(dest)?;
    if present.is_empty() {
        return Ok(BTreeSet::new());
    }
    let owned = owned_files(dest);
    let foreign: Vec<String> = present
        .iter()
        .filter(|p| !owned.contains(*p))
        .take(5)
        .map(|p| display_rel(p))
        .collect();
    if !foreign.is_empty() {
        let n = present.iter().filter(|p| !owned.contains(*p)).count();
        bail!(
            "the output folder {} holds {n} file(s) tieout did not write ({}{}); tieout only replaces a folder it wrote itself. Choose a new or empty folder (nothing was written)",
            dest.display(),
            foreign.join(", "),
            if n > foreign.len() { ", …" } else { "" }
        );
    }
    Ok(present.into_iter().collect())
}

/// Whether one of two folders is (or lies inside) the other.
pub fn overlap(a: &Path, b: &Path) -> bool {
    let (a, b) = (canonical(a), canonical(b));
    a.starts_with(&b) || b.starts_with(&a)
}

fn display_rel(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// The canonical path of `p`, or of its nearest existing ancestor joined with the rest.
fn canonical(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    if let Ok(c) = abs.canonicalize() {
        return c;
    }
    let mut rest = Vec::new();
    let mut cur = abs.as_path();
    while let Some(parent) = cur.parent() {
        if let Some(n) = cur.file_name() {
            rest.push(n.to_os_string());
        }
        if let Ok(c) = parent.canonicalize() {
            let mut out = c;
            for n in rest.iter().rev() {
                out.push(n);
            }
            return out;
        }
        cur = parent;
    }
    abs
}

/// The files a tieout manifest in `dir` vouches for: `manifest.json` itself and every path it
/// lists (a run's `outputs[].path`, a snapshot's `sha256` keys); a sub-folder holding its own
/// tieout manifest (the `snapshot/` of older runs) is read the same way.
fn owned_files(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    collect_owned(dir, Path::new(""), &mut out, 0);
    out
}

fn collect_owned(base: &Path, rel: &Path, out: &mut BTreeSet<PathBuf>, depth: u32) {
    let dir = base.join(rel);
    let Ok(text) = fs::read(dir.join("manifest.json")) else {
        return;
    };
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&text) else {
        return;
    };
    let is_run = doc.get("tool").and_then(|t| t.as_str()) == Some("tieout");
    let is_snapshot = doc.get("sha256").is_some_and(|s| s.is_object())
        && doc.get("pulled_at").is_some()
        && doc.get("counts").is_some();
    if !is_run && !is_snapshot {
        return;
    }
    out.insert(rel.join("manifest.json"));
    let safe = |p: &str| {
        let p = Path::new(p);
        p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
            .then(|| rel.join(p))
    };
    if let Some(outputs) = doc.get("outputs").and_then(|o| o.as_array()) {
        for o in outputs {
            if let Some(p) = o.get("path").and_then(|p| p.as_str()).and_then(safe) {
                out.insert(p);
            }
        }
    }
    if let Some(files) = doc.get("sha256").and_then(|s| s.as_object()) {
        for k in files.keys() {
            if let Some(p) = safe(k) {
                out.insert(p);
            }
        }
    }
    if depth == 0 {
        collect_owned(base, &rel.join("snapshot"), out, depth + 1);
    }
}

/// Removes staging folders of runs on `parent/name` that died (the caller holds the lock, so
/// no live run owns one), and the hidden folders older versions left behind.
fn clean_stale(parent: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let ours = [
        stage_prefix(name),
        old_prefix(name),
        format!(".{name}.partial-"),
    ];
    let exact = [format!(".{name}.partial"), format!(".{name}.partial.old")];
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        let stale = ours.iter().any(|p| {
            n.strip_prefix(p.as_str())
                .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        }) || exact.contains(&n);
        if stale && e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            tracing::info!("removing {} left by an interrupted run", e.path().display());
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// An exclusive lock on a file next to the destination, removed when released.
struct DirLock {
    path: PathBuf,
    file: Option<fs::File>,
}

impl DirLock {
    fn acquire(path: &Path, dest: &Path) -> Result<Self> {
        let mut told = false;
        loop {
            let file = fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(path)
                .with_context(|| format!("creating the lock file {}", path.display()))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    if !told {
                        eprintln!(
                            "tieout: another run is writing {}; waiting for it to finish",
                            dest.display()
                        );
                        told = true;
                    }
                    file.lock()
                        .with_context(|| format!("locking {}", path.display()))?;
                }
                Err(fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("locking {}", path.display()));
                }
            }
            // The previous holder removes the file when it is done: a lock on a removed file
            // locks nothing, so start again on the new one.
            if same_file(&file, path) {
                return Ok(Self {
                    path: path.to_path_buf(),
                    file: Some(file),
                });
            }
        }
    }
}

#[cfg(unix)]
fn same_file(file: &fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &fs::File, path: &Path) -> bool {
    path.exists()
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Removed while still held, so a waiting run re-opens the path and finds a new file.
        let _ = fs::remove_file(&self.path);
        drop(self.file.take());
    }
}

/// Creates a folder only its owner (or group, per `access`) can enter.
pub fn create_private_dir(path: &Path, access: Access) -> Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(access.modes().1);
    }
    #[cfg(not(unix))]
    let _ = access;
    b.create(path)
        .with_context(|| format!("creating {}", path.display()))?;
    set_mode(path, access.modes().1)
}

fn create_private_file(path: &Path, access: Access) -> std::io::Result<fs::File> {
    let mut o = fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(access.modes().0);
    }
    #[cfg(not(unix))]
    let _ = access;
    o.open(path)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting permissions of {}", path.display()))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

/// Gives every file under `dir` the file mode of `access`, every folder (and `dir`) the
/// folder mode.
pub fn set_permissions(dir: &Path, access: Access) -> Result<()> {
    let (file_mode, dir_mode) = access.modes();
    set_mode(dir, dir_mode)?;
    for e in fs::read_dir(dir)? {
        let e = e?;
        let p = e.path();
        if e.file_type()?.is_dir() {
            set_permissions(&p, access)?;
        } else {
            set_mode(&p, file_mode)?;
        }
    }
    Ok(())
}

/// SHA-256 of a file, lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// SHA-256 of bytes, lower-case hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Every file under `dir`, relative, sorted (for manifests).
pub fn list_files(dir: &Path) -> Result<Vec<PathBuf>> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        for e in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let e = e?;
            let p = e.path();
            if e.file_type()?.is_dir() {
                walk(base, &p, out)?;
            } else {
                out.push(p.strip_prefix(base).unwrap_or(&p).to_path_buf());
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

/// A manifest for outputs that have no richer one (`tieout check`): every file under `dir`
/// with its SHA-256 and size, marked as tieout's so a later run may replace them.
pub fn simple_manifest(command: &str, dir: &Path) -> Result<String> {
    let mut outputs = Vec::new();
    for rel in list_files(dir)? {
        let rel_s = display_rel(&rel);
        if rel_s == "manifest.json" {
            continue;
        }
        let p = dir.join(&rel);
        outputs.push(serde_json::json!({
            "path": rel_s,
            "sha256": sha256_file(&p)?,
            "bytes": fs::metadata(&p)?.len(),
        }));
    }
    let doc = serde_json::json!({
        "tool": "tieout",
        "version": env!("CARGO_PKG_VERSION"),
        "command": command,
        "outputs": outputs,
    });
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest_for(dir: &Path) {
        let text = simple_manifest("test", dir).unwrap();
        fs::write(dir.join("manifest.json"), text).unwrap();
    }

    #[test]
    fn uncommitted_dirs_vanish_and_committed_replace() {
        let base = tempfile::tempdir().unwrap();
        let dest = base.path().join("out");
        {
            let s = StagedDir::new(&dest, &[], Access::Owner).unwrap();
            s.write("a.txt", b"one").unwrap();
        }
        assert!(!dest.exists(), "a dropped stage must not appear");
        assert_eq!(fs::read_dir(base.path()).unwrap().count(), 0);
        let s = StagedDir::new(&dest, &[], Access::Owner).unwrap();
        s.write("sub/a.txt", b"two").unwrap();
        manifest_for(s.path());
        s.commit().unwrap();
        let s = StagedDir::new(&dest, &[], Access::Owner).unwrap();
        s.write("b.txt", b"three").unwrap();
        manifest_for(s.path());
        s.commit().unwrap();
        assert!(!dest.join("sub/a.txt").exists());
        assert_eq!(fs::read(dest.join("b.txt")).unwrap(), b"three");
        assert_eq!(
            list_files(&dest).unwrap(),
            vec![PathBuf::from("b.txt"), PathBuf::from("manifest.json")]
        );
        // Nothing but the result is left next to it (no lock, stage or old folder).
        assert_eq!(fs::read_dir(base.path()).unwrap().count(), 1);
    }

    #[test]
    fn foreign_files_and_inputs_are_refused_untouched() {
        let base = tempfile::tempdir().unwrap();
        let dest = base.path().join("month");
        fs::create_dir(&dest).unwrap();
        fs::write(dest.join("notes.txt"), b"controller's notes").unwrap();
        let e = StagedDir::new(&dest, &[], Access::Owner).err().unwrap();
        assert!(format!("{e:#}").contains("notes.txt"), "{e:#}");
        assert_eq!(fs::read_dir(base.path()).unwrap().count(), 1);
        assert_eq!(
            fs::read(dest.join("notes.txt")).unwrap(),
            b"controller's notes"
        );

        // A tieout folder with a foreign file added later is refused too.
        let dest2 = base.path().join("run");
        let s = StagedDir::new(&dest2, &[], Access::Owner).unwrap();
        s.write("a.csv", b"x").unwrap();
        manifest_for(s.path());
        s.commit().unwrap();
        fs::write(dest2.join("mine.xlsx"), b"y").unwrap();
        assert!(StagedDir::new(&dest2, &[], Access::Owner).is_err());

        // An input inside the destination, and a destination inside an input folder.
        let dest3 = base.path().join("fresh");
        fs::create_dir(&dest3).unwrap();
        let input = dest3.join("bank.csv");
        fs::write(&input, b"x").unwrap();
        assert!(StagedDir::new(&dest3, &[&input], Access::Owner).is_err());
        let inside = dest3.join("out");
        let e = StagedDir::new(&inside, &[&dest3], Access::Owner)
            .err()
            .unwrap();
        assert!(format!("{e:#}").contains("inside the input"), "{e:#}");
        assert!(!inside.exists());
    }

    #[cfg(unix)]
    #[test]
    fn outputs_are_owner_only_and_stale_stages_go() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let dest = base.path().join("out");
        // A dead run's stage (pid 1 is never ours) and an old-style partial folder.
        fs::create_dir_all(base.path().join(".out.tieout-stage-1/x")).unwrap();
        fs::create_dir_all(base.path().join(".out.partial-77")).unwrap();
        fs::create_dir_all(base.path().join(".other.tieout-stage-1")).unwrap();
        let s = StagedDir::new(&dest, &[], Access::Owner).unwrap();
        s.write("r.csv", b"x").unwrap();
        s.commit().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dest), 0o700);
        assert_eq!(mode(&dest.join("r.csv")), 0o600);
        let names: BTreeSet<String> = fs::read_dir(base.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            BTreeSet::from(["out".to_string(), ".other.tieout-stage-1".to_string()])
        );
        let dest = base.path().join("shared");
        let s = StagedDir::new(&dest, &[], Access::Group).unwrap();
        s.write("r.csv", b"x").unwrap();
        s.commit().unwrap();
        assert_eq!(mode(&dest), 0o750);
        assert_eq!(mode(&dest.join("r.csv")), 0o640);
    }

    #[test]
    fn a_second_run_waits_for_the_first() {
        let base = tempfile::tempdir().unwrap();
        let dest = base.path().join("out");
        let first = StagedDir::new(&dest, &[], Access::Owner).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let d = dest.clone();
        let t = std::thread::spawn(move || {
            let s = StagedDir::new(&d, &[], Access::Owner).unwrap();
            tx.send(()).unwrap();
            s.write("second.csv", b"2").unwrap();
            manifest_for(s.path());
            s.commit().unwrap();
        });
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(rx.try_recv().is_err(), "the second run must wait");
        first.write("first.csv", b"1").unwrap();
        manifest_for(first.path());
        first.commit().unwrap();
        t.join().unwrap();
        assert!(dest.join("second.csv").exists());
        assert!(!dest.join("first.csv").exists());
    }

    #[test]
    fn hashes_are_sha256() {
        assert_eq!(
            sha256_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
