//! Publish: write a run's outputs where no reader can see them half-done.
//!
//! Everything is written under `OUT/.staging-<run-id>/`; only a complete run
//! is renamed to `OUT/runs/<run-id>/`, and then `OUT/latest` is switched to
//! it in one atomic rename. A run that fails (or is killed) leaves the
//! previous runs and `latest` exactly as they were.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub struct Staging {
    root: PathBuf,
    run_id: String,
    dir: PathBuf,
    committed: bool,
}

impl Staging {
    /// Create the staging directory for a new run under `root`.
    pub fn create(root: &Path, run_id: &str) -> Result<Staging> {
        fs::create_dir_all(root.join("runs")).map_err(|e| Error::io(root, e))?;
        let dir = root.join(format!(".staging-{run_id}"));
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(Staging {
            root: root.to_path_buf(),
            run_id: run_id.to_string(),
            dir,
            committed: false,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A buffered file at `rel` inside the staging directory.
    pub fn file(&self, rel: &str) -> Result<BufWriter<File>> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let f = File::create(&path).map_err(|e| Error::io(&path, e))?;
        Ok(BufWriter::with_capacity(1 << 20, f))
    }

    /// Move the finished run into place and point `latest` at it.
    pub fn commit(mut self) -> Result<PathBuf> {
        let final_dir = self.root.join("runs").join(&self.run_id);
        fs::rename(&self.dir, &final_dir).map_err(|e| Error::io(&final_dir, e))?;
        self.committed = true;
        point_latest(&self.root, &self.run_id)?;
        Ok(final_dir)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

#[cfg(unix)]
fn point_latest(root: &Path, run_id: &str) -> Result<()> {
    let tmp = root.join(format!(".latest-{run_id}"));
    let _ = fs::remove_file(&tmp);
    std::os::unix::fs::symlink(Path::new("runs").join(run_id), &tmp).map_err(|e| Error::io(&tmp, e))?;
    let latest = root.join("latest");
    if latest.is_dir() && !latest.is_symlink() {
        fs::remove_dir_all(&latest).map_err(|e| Error::io(&latest, e))?;
    }
    fs::rename(&tmp, &latest).map_err(|e| Error::io(&latest, e))
}

#[cfg(not(unix))]
fn point_latest(root: &Path, run_id: &str) -> Result<()> {
    // No atomic directory swap here: copy into a fresh directory, then swap names.
    let src = root.join("runs").join(run_id);
    let tmp = root.join(format!(".latest-{run_id}"));
    copy_dir(&src, &tmp)?;
    let latest = root.join("latest");
    let old = root.join(format!(".latest-old-{run_id}"));
    if latest.exists() {
        fs::rename(&latest, &old).map_err(|e| Error::io(&latest, e))?;
    }
    fs::rename(&tmp, &latest).map_err(|e| Error::io(&latest, e))?;
    let _ = fs::remove_dir_all(&old);
    Ok(())
}

#[cfg(not(unix))]
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).map_err(|e| Error::io(to, e))?;
    for entry in fs::read_dir(from).map_err(|e| Error::io(from, e))? {
        let entry = entry.map_err(|e| Error::io(from, e))?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target).map_err(|e| Error::io(&target, e))?;
        }
    }
    Ok(())
}

/// A run id that sorts by time: `20260331T021500Z`, with a suffix if taken.
pub fn new_run_id(root: &Path, now: chrono::DateTime<chrono::Utc>) -> String {
    let base = now.format("%Y%m%dT%H%M%SZ").to_string();
    let mut id = base.clone();
    let mut n = 2;
    while root.join("runs").join(&id).exists() {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}
