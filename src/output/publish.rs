//! Publish: write a run's outputs where no reader can see them half-done, and where no other run
//! can trip over them.
//!
//! Everything is written under `OUT/.staging-<run-id>/`; only a complete run is renamed to
//! `OUT/runs/<run-id>/`, and then `OUT/latest` is switched to it in one atomic rename. A run that
//! fails (or is killed) leaves the previous runs and `latest` exactly as they were.
//!
//! Two locks (OS file locks, released by the kernel when a process dies, however it dies):
//!
//! - each run holds `OUT/.staging-<run-id>/.lock` (which records its process id) for as long as
//!   it runs, so another run can tell a live run's staging from a dead run's debris;
//! - [`RootLock`], `OUT/history/.lock`, is held only for short steps: clearing debris and claiming
//!   a run id, reading the history, and publishing (the history update and the `latest` switch).
//!   Runs check their exports in parallel and publish one at a time.
//!
//! A live run's staging always has its `.lock`, held, whenever the root lock is free: the claim,
//! the staging folder and its lock are made under the root lock, and the lock file is removed
//! only under it, just before the rename that publishes. So whoever holds the root lock can treat
//! any staging folder without a held lock, any empty claim and any `.latest-*` link as debris.
//!
//! Nothing is written through a symbolic link: `runs`, `history` and its folders, and staging
//! folders must be real folders (a link there could point anywhere), and files are opened only
//! below the run's own staging folder ([`Staging::file`]).

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Component, Path, PathBuf};

use crate::model::error::{Error, Result};

/// The run's lock file, inside its staging folder.
const RUN_LOCK: &str = ".lock";
/// The output root's lock, beside the history it guards.
const ROOT_LOCK: &str = "history/.lock";
/// Folders under the output root Cleanse writes into: never symbolic links.
const REAL_FOLDERS: [&str; 4] = ["runs", "history", "history/runs", "history/findings"];

/// Whether `id` has the form of a run id, `YYYYMMDDTHHMMSSZ` with an optional `-N`: the only
/// names Cleanse gives runs, and so the only ones it will turn into a path.
pub fn is_run_id(id: &str) -> bool {
    let b = id.as_bytes();
    if b.len() < 16 || !b.is_ascii() {
        return false;
    }
    let stamp = b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'Z';
    let suffix = match &b[16..] {
        [] => true,
        [b'-', n @ ..] => (1..=9).contains(&n.len()) && n.iter().all(u8::is_ascii_digit) && n[0] != b'0',
        _ => false,
    };
    stamp && suffix
}

/// `id` if it is a run id, else an error naming where it came from.
pub fn check_run_id(id: &str, from: &Path) -> Result<()> {
    if is_run_id(id) {
        Ok(())
    } else {
        Err(Error::Refused {
            path: from.to_path_buf(),
            reason: format!(
                "`{}` is not a run id (run ids look like 20260331T070012Z or 20260331T070012Z-2)",
                id.escape_debug()
            ),
        })
    }
}

/// Refuse an output root whose `runs` or `history` folders are symbolic links: writing through
/// one would put outputs (or delete debris) wherever it points.
pub fn check_root(root: &Path) -> Result<()> {
    for rel in REAL_FOLDERS.iter().chain([&ROOT_LOCK]) {
        let path = root.join(rel);
        if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(symlink_refused(path));
        }
    }
    Ok(())
}

fn symlink_refused(path: PathBuf) -> Error {
    Error::Refused {
        path,
        reason: "is a symbolic link; Cleanse writes only into real folders under the output folder, so it will not \
                 follow it (replace the link with a folder, or pass another --out)"
            .to_string(),
    }
}

/// An exclusive lock on the output root, held while debris is cleared and a run id claimed, while
/// the history is read, and while a run is published; released when dropped (or when the process
/// dies). Runs wait for it rather than fail: every step it guards is short.
pub struct RootLock {
    _file: File,
    /// False on a filesystem without locks: then nothing can be known to be debris.
    held: bool,
}

impl RootLock {
    pub fn acquire(root: &Path) -> Result<RootLock> {
        check_root(root)?;
        let history = root.join("history");
        fs::create_dir_all(&history).map_err(|e| Error::io(&history, e))?;
        let path = root.join(ROOT_LOCK);
        // Never truncated: another process may hold it.
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let locked = match file.try_lock() {
            Ok(()) => Ok(()),
            Err(fs::TryLockError::WouldBlock) => {
                tracing::info!("another run is starting or publishing on this output folder; waiting for it");
                file.lock()
            }
            Err(fs::TryLockError::Error(e)) => Err(e),
        };
        // A filesystem without locks (some network shares) must not stop the nightly job.
        if let Err(e) = &locked {
            tracing::warn!("the output folder cannot be locked ({e}); runs at the same time may clash");
        }
        Ok(RootLock {
            _file: file,
            held: locked.is_ok(),
        })
    }
}

pub struct Staging {
    root: PathBuf,
    run_id: String,
    dir: PathBuf,
    committed: bool,
    /// Held until the run ends: while it is, the staging folder is a live run's.
    _lock: File,
}

impl Staging {
    /// Clear what dead runs left under `root`, claim a new run id and create its staging
    /// directory, locked.
    ///
    /// The id is claimed by creating `runs/<id>` (empty until commit), which fails if another run
    /// got there first, so two runs started in the same second never share an id or a staging
    /// directory.
    pub fn create(root: &Path, now: chrono::DateTime<chrono::Utc>) -> Result<Staging> {
        let root_lock = RootLock::acquire(root)?;
        clear_debris(root, &root_lock)?;
        let runs = root.join("runs");
        fs::create_dir_all(&runs).map_err(|e| Error::io(&runs, e))?;
        let base = now.format("%Y%m%dT%H%M%SZ").to_string();
        let mut n = 1;
        let (run_id, dir) = loop {
            let id = if n == 1 { base.clone() } else { format!("{base}-{n}") };
            n += 1;
            match fs::create_dir(runs.join(&id)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(runs.join(&id), e)),
            }
            // `create_dir`, not `create_dir_all`: fails on anything already there, a link included.
            let dir = root.join(format!(".staging-{id}"));
            match fs::create_dir(&dir) {
                Ok(()) => break (id, dir),
                // A live run's staging whose claim was removed by hand: leave both to it.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let _ = fs::remove_dir(runs.join(&id));
                }
                Err(e) => {
                    let _ = fs::remove_dir(runs.join(&id));
                    return Err(Error::io(&dir, e));
                }
            }
        };
        let lock_path = dir.join(RUN_LOCK);
        let lock = match lock_run(&lock_path) {
            Ok(f) => f,
            Err(e) => {
                let _ = fs::remove_dir_all(&dir);
                let _ = fs::remove_dir(runs.join(&run_id));
                return Err(e);
            }
        };
        drop(root_lock);
        Ok(Staging {
            root: root.to_path_buf(),
            run_id,
            dir,
            committed: false,
            _lock: lock,
        })
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where [`Staging::file`] writes `rel`: the path errors writing it name.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// A buffered file at `rel` inside the staging directory, creating folders on the way.
    ///
    /// `rel` must stay inside: an absolute path, `..`, or a symbolic link on the way (or at the
    /// end) is refused, so no name that reached here from a rule pack can write elsewhere.
    pub fn file(&self, rel: &str) -> Result<BufWriter<File>> {
        let refused = |reason: &str| Error::Refused {
            path: self.dir.join(rel),
            reason: format!("{reason}; outputs are written only inside the run's own folder"),
        };
        let mut parts = Vec::new();
        for c in Path::new(rel).components() {
            match c {
                Component::Normal(p) => parts.push(p),
                Component::CurDir => {}
                Component::ParentDir => return Err(refused("the name goes up a folder (`..`)")),
                Component::RootDir | Component::Prefix(_) => return Err(refused("the name is an absolute path")),
            }
        }
        let Some((name, folders)) = parts.split_last() else {
            return Err(refused("the name is empty"));
        };
        let mut path = self.dir.clone();
        for folder in folders {
            path.push(folder);
            match fs::symlink_metadata(&path) {
                Ok(m) if m.file_type().is_symlink() => return Err(refused("a folder on the way is a symbolic link")),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    fs::create_dir(&path).map_err(|e| Error::io(&path, e))?;
                }
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        path.push(name);
        if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(refused("the file is a symbolic link"));
        }
        let f = File::create(&path).map_err(|e| Error::io(&path, e))?;
        Ok(BufWriter::with_capacity(1 << 20, f))
    }

    /// Move the finished run into place and point `latest` at it. Only under the root lock, so
    /// no other run is clearing debris or switching `latest` meanwhile.
    pub fn commit(mut self, _root: &RootLock) -> Result<PathBuf> {
        let final_dir = self.root.join("runs").join(&self.run_id);
        // Not published with the run; the open handle keeps the lock until this run ends.
        let lock = self.dir.join(RUN_LOCK);
        fs::remove_file(&lock).map_err(|e| Error::io(&lock, e))?;
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
            // The history keeps only published runs.
            for path in history_files(&self.root, &self.run_id) {
                let _ = fs::remove_file(path);
            }
        }
    }
}

/// Create the run's lock file, lock it and record the process id in it (for people looking at
/// the folder; the lock, not the id, is what other runs go by).
fn lock_run(path: &Path) -> Result<File> {
    let mut file = OpenOptions::new()
        .create_new(true)
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    // Only a filesystem without locks fails here (the file is new): then other runs cannot tell
    // this run is live, and leave its staging alone (see `is_live`).
    if let Err(e) = file.try_lock() {
        tracing::warn!("the run's staging folder cannot be locked ({e}); debris will not be cleared");
    }
    writeln!(file, "{}", std::process::id()).map_err(|e| Error::io(path, e))?;
    Ok(file)
}

/// A run's files in the history, kept or partial.
fn history_files(root: &Path, run_id: &str) -> Vec<PathBuf> {
    ["runs", "findings"]
        .iter()
        .flat_map(|kind| {
            let dir = root.join("history").join(kind);
            [
                dir.join(format!("{run_id}.parquet")),
                dir.join(format!("{run_id}.parquet.partial")),
            ]
        })
        .collect()
}

/// Whether the staging folder `dir` belongs to a live run: its lock file is held. A folder with
/// no lock file, or one that is not a plain file, is debris (see the module's docs).
fn is_live(dir: &Path) -> bool {
    let path = dir.join(RUN_LOCK);
    if !fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file()) {
        return false;
    }
    let Ok(file) = OpenOptions::new().read(true).open(&path) else {
        // Cannot tell: leave it.
        return true;
    };
    match file.try_lock() {
        Ok(()) => false,
        Err(fs::TryLockError::WouldBlock) => true,
        // A filesystem without locks: cannot tell, so leave it.
        Err(fs::TryLockError::Error(_)) => true,
    }
}

/// Remove what runs that are no longer running left under `root`: staging folders, empty claims
/// in `runs/`, `.latest-*` links, and their history files. A live run's are left alone. Debris
/// that cannot be removed is logged and left, never a reason to fail the run.
fn clear_debris(root: &Path, lock: &RootLock) -> Result<()> {
    let Ok(entries) = fs::read_dir(root) else {
        return Ok(());
    };
    if !lock.held {
        // Symbolic links are still refused, below; nothing is removed.
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with(".staging-") && entry.file_type().is_ok_and(|t| t.is_symlink()) {
                return Err(symlink_refused(entry.path()));
            }
        }
        return Ok(());
    }
    let mut live = Vec::new();
    // Runs whose staging was left by a dead process.
    let mut dead = Vec::new();
    let mut links = 0usize;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if let Some(id) = name.strip_prefix(".staging-") {
            if meta.file_type().is_symlink() {
                return Err(symlink_refused(path));
            }
            if !is_run_id(id) || !meta.is_dir() {
                continue;
            }
            if is_live(&path) {
                live.push(id.to_string());
            } else if remove(&path, &meta) {
                dead.push(id.to_string());
            }
        } else if name.starts_with(".latest-") && remove(&path, &meta) {
            // Made and renamed away under the root lock: any seen here is a dead run's.
            links += 1;
        }
    }
    let mut claims = 0usize;
    let mut runs_seen = dead.clone();
    let runs = root.join("runs");
    if let Ok(entries) = fs::read_dir(&runs) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let empty_dir = fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir())
                && fs::read_dir(&path).is_ok_and(|mut d| d.next().is_none());
            if is_run_id(&name) && empty_dir && !live.contains(&name) && fs::remove_dir(&path).is_ok() {
                claims += 1;
                runs_seen.push(name);
            }
        }
    }
    // A dead run never published, so the history must not keep it; partial files of runs that
    // are not running are left over from a run that failed or was killed.
    let mut history = 0usize;
    for kind in ["runs", "findings"] {
        let Ok(entries) = fs::read_dir(root.join("history").join(kind)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let (id, partial) = match name.strip_suffix(".parquet.partial") {
                Some(id) => (id, true),
                None => (name.strip_suffix(".parquet").unwrap_or(""), false),
            };
            let stale = if partial {
                !live.iter().any(|l| l == id)
            } else {
                dead.iter().any(|d| d == id)
            };
            if is_run_id(id) && stale && fs::remove_file(entry.path()).is_ok() {
                history += 1;
            }
        }
    }
    if !live.is_empty() {
        tracing::info!(runs = ?live, "another run is in progress on this output folder; its staging is left alone");
    }
    if !runs_seen.is_empty() || links > 0 || history > 0 {
        runs_seen.sort();
        runs_seen.dedup();
        tracing::info!(
            staging = dead.len(),
            claims,
            links,
            history_files = history,
            runs = ?runs_seen,
            "cleared what runs that did not finish left behind"
        );
    }
    Ok(())
}

/// Remove a directory tree, a file or a link (never what a link points at); whether it went.
fn remove(path: &Path, meta: &fs::Metadata) -> bool {
    let done = if meta.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    if let Err(e) = &done {
        tracing::warn!("could not remove {}: {e}", path.display());
    }
    done.is_ok()
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
        let published = a.commit(&RootLock::acquire(root.path()).unwrap()).unwrap();
        assert_eq!(std::fs::read_to_string(published.join("x")).unwrap(), "a");
        assert!(!published.join(RUN_LOCK).exists(), "the run's lock is not published");
        assert_eq!(std::fs::read_to_string(root.path().join("latest/x")).unwrap(), "a");
    }

    #[test]
    fn run_ids() {
        for id in ["20260331T070012Z", "20260331T070012Z-2", "20260331T070012Z-123456789"] {
            assert!(is_run_id(id), "{id}");
        }
        for id in [
            "",
            "../../x",
            "20260331T070012Z/..",
            "20260331T070012Z-",
            "20260331T070012Z-0",
            "20260331T070012Z-1234567890",
            "20260331T070012",
            "2026033 T070012Z",
            "20260331t070012z",
            "20260331T070012Z\n",
            "２0260331T070012Z",
        ] {
            assert!(!is_run_id(id), "{id:?}");
        }
    }

    #[test]
    fn files_stay_inside_the_staging_directory() {
        let root = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let staging = Staging::create(root.path(), chrono::Utc::now()).unwrap();
        staging.file("corrected/visits.csv").unwrap();
        staging.file("./run.json").unwrap();
        assert!(staging.dir().join("corrected/visits.csv").is_file());
        std::os::unix::fs::symlink(elsewhere.path(), staging.dir().join("linked")).unwrap();
        std::os::unix::fs::symlink(elsewhere.path().join("f"), staging.dir().join("f.csv")).unwrap();
        let abs = elsewhere.path().join("x.csv");
        for rel in [
            "../x.csv",
            "corrected/../../x.csv",
            abs.to_str().unwrap(),
            "linked/x.csv",
            "f.csv",
            "",
        ] {
            match staging.file(rel) {
                Err(Error::Refused { reason, .. }) => {
                    assert!(reason.contains("inside the run's own folder"), "{reason}")
                }
                Err(e) => panic!("{rel}: {e}"),
                Ok(_) => panic!("{rel} was opened"),
            }
        }
        assert_eq!(
            std::fs::read_dir(elsewhere.path()).unwrap().count(),
            0,
            "nothing written elsewhere"
        );
    }

    #[test]
    fn debris_of_dead_runs_is_cleared_and_a_live_run_is_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let live = Staging::create(root.path(), chrono::Utc::now()).unwrap();
        // A dead run: a staging folder whose lock nobody holds, its claim, a partial history file.
        let dead = "20200101T000000Z";
        let dead_staging = root.path().join(format!(".staging-{dead}"));
        std::fs::create_dir_all(&dead_staging).unwrap();
        std::fs::write(dead_staging.join(RUN_LOCK), "1\n").unwrap();
        std::fs::create_dir_all(root.path().join("runs").join(dead)).unwrap();
        std::fs::create_dir_all(root.path().join("history/runs")).unwrap();
        std::fs::write(root.path().join(format!("history/runs/{dead}.parquet.partial")), "").unwrap();
        std::os::unix::fs::symlink("runs/x", root.path().join(format!(".latest-{dead}"))).unwrap();
        // A staging folder that is not ours by name is not touched.
        std::fs::create_dir_all(root.path().join(".staging-mine")).unwrap();

        let next = Staging::create(root.path(), chrono::Utc::now()).unwrap();
        assert!(!dead_staging.exists());
        assert!(!root.path().join("runs").join(dead).exists());
        assert!(
            !root
                .path()
                .join(format!("history/runs/{dead}.parquet.partial"))
                .exists()
        );
        assert!(std::fs::symlink_metadata(root.path().join(format!(".latest-{dead}"))).is_err());
        assert!(root.path().join(".staging-mine").exists());
        assert!(live.dir().join(RUN_LOCK).is_file(), "the live run's staging is intact");
        assert!(root.path().join("runs").join(live.run_id()).is_dir(), "and its claim");
        drop(next);
        drop(live);
    }

    #[test]
    fn symbolic_links_in_the_output_root_are_refused() {
        let elsewhere = tempfile::tempdir().unwrap();
        for rel in ["runs", "history", "history/findings", ".staging-20200101T000000Z"] {
            let root = tempfile::tempdir().unwrap();
            let link = root.path().join(rel);
            std::fs::create_dir_all(link.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(elsewhere.path(), &link).unwrap();
            match Staging::create(root.path(), chrono::Utc::now()) {
                Err(Error::Refused { path, reason }) => {
                    assert_eq!(path, link);
                    assert!(reason.contains("symbolic link"), "{reason}");
                }
                Err(e) => panic!("{rel}: {e}"),
                Ok(_) => panic!("{rel}: not refused"),
            }
            assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0, "{rel}");
        }
    }
}
