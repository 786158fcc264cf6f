//! Files only the user can read: the local development secret, the secret store, the relay's
//! ACME account and certificates, its admin token hash, databases. On Unix a folder hookscope
//! makes is 0700 and a file 0600; elsewhere the platform's defaults apply. A leaf: std only.

use std::io::Write;
use std::path::Path;

/// Creates `dir` and any missing parents, each new one readable by the user only (0700).
pub(crate) fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// A new file only the user can read and write (0600), open for writing; fails with
/// `AlreadyExists` when `path` exists, so two writers never share one.
pub(crate) fn create_new(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Writes `bytes` to `path` as a private file, atomically: a private temporary file in the same
/// folder (made 0700 when missing), synced, renamed over `path`, then the folder synced. After a
/// crash at any point `path` holds either its old bytes or all the new ones.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_dir(dir)?;
    // tempfile makes its files 0600 on Unix and removes them when dropped unpersisted.
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// Makes a rename in `dir` durable (Unix); nothing to do elsewhere.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn write_atomic_replaces_the_whole_file_privately_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/inner/state.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two, longer").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two, longer");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
        #[cfg(unix)]
        {
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
    }

    #[test]
    fn create_new_is_private_and_never_opens_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        create_new(&path).unwrap().write_all(b"x").unwrap();
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        let again = create_new(&path).unwrap_err();
        assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"x");
    }

    #[test]
    fn write_atomic_names_nothing_it_did_not_write_when_the_folder_cannot_be_made() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"").unwrap();
        // A folder under a file cannot be made; the error comes back, nothing panics.
        assert!(write_atomic(&file.join("x/state"), b"y").is_err());
    }
}
