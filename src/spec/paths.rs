//! Names and paths that come from files users share (rule packs above all), checked before
//! they reach the file system: nothing a pack says may make Cleanse read outside the pack's
//! folder or write outside the run's output folder.

use std::path::{Component, Path, PathBuf};

/// What a name that becomes a file name may be, said in a diagnostic's help.
pub const FILE_NAME_RULE: &str =
    "a table name becomes a file name: use 1 to 64 letters (a-z, A-Z), digits and `_` or `-`, starting with a letter";

/// Whether a declared name can safely become a file name in the outputs (`corrected/<name>.csv`):
/// nothing that could climb out of a folder (`..`, `/`, `\\`), name a device (`CON`, `NUL` on
/// Windows) or hide itself (a leading dot).
pub fn file_name_ok(name: &str) -> std::result::Result<(), &'static str> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Err("it is empty"),
        Some(c) if !c.is_ascii_alphabetic() => return Err("it must start with a letter"),
        Some(_) => {}
    }
    if name.len() > 64 {
        return Err("it is longer than 64 characters");
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err("it has a character other than letters, digits, `_` and `-`");
    }
    const DEVICES: &[&str] = &[
        "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9", "lpt1",
        "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
    ];
    if DEVICES.contains(&name.to_ascii_lowercase().as_str()) {
        return Err("it is the name of a device on Windows");
    }
    Ok(())
}

/// `rel`, a path a rule pack names (a synonyms file), resolved against the pack's folder
/// `base`, provided it stays inside that folder: relative, no `..`, and no symbolic link that
/// leads out. Shared packs can then name only files shipped beside them.
pub fn confined(base: &Path, rel: &str) -> std::result::Result<PathBuf, String> {
    let path = Path::new(rel);
    for c in path.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Err("it climbs out of the rules file's folder (`..`)".into()),
            Component::RootDir | Component::Prefix(_) => {
                return Err("it is an absolute path; name a file beside the rules file, relative to it".into());
            }
        }
    }
    // A pack in the working folder names its files as they are (`x.csv`, not `./x.csv`).
    let joined = if base.as_os_str().is_empty() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let base = if base.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base
    };
    // A link inside the folder that points out of it is refused too.
    if let (Ok(real_base), Ok(real)) = (base.canonicalize(), joined.canonicalize())
        && !real.starts_with(&real_base)
    {
        return Err(format!(
            "it is a link to {}, outside the rules file's folder",
            real.display()
        ));
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_that_could_leave_a_folder_are_refused() {
        for bad in [
            "../../evil",
            "a/b",
            "a\\b",
            ".hidden",
            "",
            "con",
            "NUL",
            "has space",
            "tab\t",
            "é",
            "1st",
        ] {
            assert!(file_name_ok(bad).is_err(), "{bad:?}");
        }
        for good in ["contacts", "cp_plans", "Episodes-2025", "header"] {
            assert!(file_name_ok(good).is_ok(), "{good:?}");
        }
        assert!(file_name_ok(&"a".repeat(65)).is_err());
    }

    #[test]
    fn pack_paths_stay_in_the_pack_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("synonyms")).unwrap();
        std::fs::write(dir.path().join("synonyms/g.csv"), "from,to\n").unwrap();
        assert!(confined(dir.path(), "synonyms/g.csv").is_ok());
        assert!(confined(dir.path(), "./synonyms/g.csv").is_ok());
        assert!(confined(dir.path(), "../g.csv").unwrap_err().contains(".."));
        assert!(confined(dir.path(), "synonyms/../../g.csv").is_err());
        assert!(confined(dir.path(), "/etc/passwd").unwrap_err().contains("absolute"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc", dir.path().join("out")).unwrap();
            assert!(confined(dir.path(), "out/passwd").unwrap_err().contains("link"));
        }
    }
}
