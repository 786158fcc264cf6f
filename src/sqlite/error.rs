//! What went wrong with a database file, said about the file: both stores' errors. Which flag
//! to change is the command line's business (`config::store_advice`).

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database '{path}' does not exist")]
    Missing { path: PathBuf },
    #[error("database folder '{path}' cannot be created: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database '{path}' was written by a newer hookscope (schema {found}, this one knows {supported}): upgrade hookscope")]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("database '{path}': {message}")]
    Sqlite {
        path: PathBuf,
        /// The kind of trouble, when SQLite named one the user can act on. `None` is a fault of
        /// the row, not the file: the group-commit writer tries such a batch again row by row.
        fault: Option<Fault>,
        message: String,
    },
    /// One row's header BLOB does not decode; `what` names the row ("capture 7").
    #[error("database '{path}': {what} has damaged headers; the rest of the store is fine")]
    Damaged { path: PathBuf, what: String },
}

/// Troubles with the database file that the user can do something about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    ReadOnly,
    Locked,
    NotADatabase,
    DiskFull,
    CannotOpen,
    PermissionDenied,
    Io,
}

impl Fault {
    fn of(code: rusqlite::ErrorCode) -> Option<Fault> {
        use rusqlite::ErrorCode as C;
        Some(match code {
            C::ReadOnly => Fault::ReadOnly,
            C::DatabaseBusy | C::DatabaseLocked => Fault::Locked,
            C::NotADatabase | C::DatabaseCorrupt => Fault::NotADatabase,
            C::DiskFull => Fault::DiskFull,
            C::CannotOpen => Fault::CannotOpen,
            C::PermissionDenied => Fault::PermissionDenied,
            C::SystemIoFailure => Fault::Io,
            _ => return None,
        })
    }

    /// What is wrong and what to do about it, short of choosing another file.
    pub(crate) fn hint(self) -> &'static str {
        match self {
            Fault::ReadOnly => "the file or its folder is read-only: fix its permissions",
            Fault::Locked => "locked by another process that keeps writing: stop the other writer and try again",
            Fault::NotADatabase => "not a hookscope database, or corrupted: move it aside",
            Fault::DiskFull => "the disk is full: free space",
            Fault::CannotOpen => "cannot open the file: check that its folder exists and is writable (hookscope keeps '-wal' and '-shm' files beside it)",
            Fault::PermissionDenied => "permission denied: fix the file's permissions",
            Fault::Io => "input/output error from the disk",
        }
    }
}

impl StoreError {
    /// Wraps a SQLite error with the file name and what the user can do about it.
    pub fn sqlite(path: &Path, err: rusqlite::Error) -> StoreError {
        let fault = err.sqlite_error_code().and_then(Fault::of);
        let message = match fault {
            Some(f) => format!("{} ({err})", f.hint()),
            None => err.to_string(),
        };
        StoreError::Sqlite {
            path: path.to_path_buf(),
            fault,
            message,
        }
    }

    /// The file is read-only (told at open, not at the first write).
    pub(super) fn read_only(path: &Path) -> StoreError {
        StoreError::Sqlite {
            path: path.to_path_buf(),
            fault: Some(Fault::ReadOnly),
            message: Fault::ReadOnly.hint().into(),
        }
    }
}
