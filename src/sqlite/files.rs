//! A database's files on disk hold personal data (names, dates of birth, document numbers; on
//! the relay also a checked channel's secrets), so on Unix they are private to the user: the
//! folder 0700, the database 0600. SQLite gives the `-wal` and `-shm` files it creates later
//! the database file's mode, so they are 0600 too.

use std::path::{Path, PathBuf};

/// Mode of the database file and its `-wal` and `-shm` companions.
#[cfg(unix)]
const PRIVATE_FILE_MODE: u32 = 0o600;

/// Creates the database file empty and private unless it exists, so SQLite never creates it
/// with the umask's (usually world-readable) mode. An empty file is a valid new database.
pub(crate) fn create_private_file(path: &Path) -> std::io::Result<()> {
    match crate::private_file::create_new(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// The database file and the `-wal` and `-shm` files SQLite keeps beside it.
pub fn database_files(path: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        PathBuf::from(name)
    };
    [path.to_path_buf(), with("-wal"), with("-shm")]
}

/// Takes group and world access away from a database written by an older hookscope (0644).
/// Best effort: a file owned by someone else is left as it is, with a warning.
pub(crate) fn make_private(path: &Path) {
    #[cfg(unix)]
    for file in database_files(path) {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(&file) else {
            continue;
        };
        let mode = meta.permissions().mode();
        if mode & 0o077 == 0 {
            continue;
        }
        let private = std::fs::Permissions::from_mode(PRIVATE_FILE_MODE);
        if let Err(e) = std::fs::set_permissions(&file, private) {
            tracing::warn!(
                "'{}' is readable by other users and cannot be made private: {e}",
                file.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
