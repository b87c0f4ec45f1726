//! Atomic output directories and file hashing.
//!
//! A run writes everything into a hidden temporary sibling of the destination and renames it
//! into place only when the run succeeded, so a failed or interrupted run never leaves
//! something that looks complete.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// A directory being written; dropped without [`StagedDir::commit`] it is removed.
pub struct StagedDir {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl StagedDir {
    /// Creates an empty staging directory next to `dest`.
    pub fn new(dest: &Path) -> Result<Self> {
        let parent = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).with_context(|| format!("clearing {}", tmp.display()))?;
        }
        fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        Ok(Self {
            tmp,
            dest: dest.to_path_buf(),
            committed: false,
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
        let mut f =
            fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        Ok(path)
    }

    /// Moves the staging directory into place, replacing an earlier result.
    pub fn commit(mut self) -> Result<PathBuf> {
        if self.dest.exists() {
            let old = self.tmp.with_extension("old");
            if old.exists() {
                fs::remove_dir_all(&old)?;
            }
            fs::rename(&self.dest, &old)
                .with_context(|| format!("moving the previous {} aside", self.dest.display()))?;
            fs::rename(&self.tmp, &self.dest)
                .with_context(|| format!("moving results into {}", self.dest.display()))?;
            fs::remove_dir_all(&old).ok();
        } else {
            fs::rename(&self.tmp, &self.dest)
                .with_context(|| format!("moving results into {}", self.dest.display()))?;
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
        for e in fs::read_dir(dir)? {
            let p = e?.path();
            if p.is_dir() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_dirs_vanish_and_committed_replace() {
        let base = tempfile::tempdir().unwrap();
        let dest = base.path().join("out");
        {
            let s = StagedDir::new(&dest).unwrap();
            s.write("a.txt", b"one").unwrap();
        }
        assert!(!dest.exists(), "a dropped stage must not appear");
        assert_eq!(fs::read_dir(base.path()).unwrap().count(), 0);
        let s = StagedDir::new(&dest).unwrap();
        s.write("sub/a.txt", b"two").unwrap();
        s.commit().unwrap();
        let s = StagedDir::new(&dest).unwrap();
        s.write("b.txt", b"three").unwrap();
        s.commit().unwrap();
        assert!(!dest.join("sub/a.txt").exists());
        assert_eq!(fs::read(dest.join("b.txt")).unwrap(), b"three");
        assert_eq!(list_files(&dest).unwrap(), vec![PathBuf::from("b.txt")]);
    }

    #[test]
    fn hashes_are_sha256() {
        assert_eq!(
            sha256_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
