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
    /// Claim a new run id under `root` and create its staging directory.
    ///
    /// The id is claimed by creating `runs/<id>` (empty until commit), which
    /// fails if another run got there first, so two runs started in the same
    /// second never share an id or a staging directory.
    pub fn create(root: &Path, now: chrono::DateTime<chrono::Utc>) -> Result<Staging> {
        let runs = root.join("runs");
        fs::create_dir_all(&runs).map_err(|e| Error::io(&runs, e))?;
        let base = now.format("%Y%m%dT%H%M%SZ").to_string();
        let mut n = 1;
        let run_id = loop {
            let id = if n == 1 { base.clone() } else { format!("{base}-{n}") };
            match fs::create_dir(runs.join(&id)) {
                Ok(()) => break id,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
                Err(e) => return Err(Error::io(runs.join(&id), e)),
            }
        };
        let dir = root.join(format!(".staging-{run_id}"));
        let staging = Staging {
            root: root.to_path_buf(),
            run_id,
            dir,
            committed: false,
        };
        fs::create_dir_all(&staging.dir).map_err(|e| Error::io(&staging.dir, e))?;
        Ok(staging)
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
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
        // Replaces the empty directory that claimed the id.
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
            let _ = fs::remove_dir(self.root.join("runs").join(&self.run_id));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_started_in_the_same_second_get_their_own_ids_and_staging() {
        let root = tempfile::tempdir().unwrap();
        let now = chrono::Utc::now();
        let a = Staging::create(root.path(), now).unwrap();
        let b = Staging::create(root.path(), now).unwrap();
        assert_ne!(a.run_id(), b.run_id());
        assert_ne!(a.dir(), b.dir());
        std::fs::write(a.dir().join("x"), "a").unwrap();
        let run_b = b.run_id().to_string();
        drop(b);
        assert!(
            !root.path().join("runs").join(&run_b).exists(),
            "a failed run releases its id"
        );
        let published = a.commit().unwrap();
        assert_eq!(std::fs::read_to_string(published.join("x")).unwrap(), "a");
        assert_eq!(std::fs::read_to_string(root.path().join("latest/x")).unwrap(), "a");
    }
}
