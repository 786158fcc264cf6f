//! One SQLite helper for both of hookscope's stores, the laptop's (`crate::store`) and the
//! relay's (`crate::relay::store`): opening a file privately with the settings every
//! connection gets, append-only migrations, the group-commit writer thread, and the errors
//! that name the file. It knows neither store's tables or types; each store brings its own
//! schema, rows and writer jobs.

mod error;
pub(crate) mod files;
pub(crate) mod migrate;
pub(crate) mod writer;

pub use error::{Fault, StoreError};
#[cfg(test)]
pub use files::database_files;

use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a connection waits for another writer's lock before giving up.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How hard a commit tries to reach the disk (SQLite's `synchronous` in WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// A commit is written to the WAL before it returns: it survives hookscope crashing or
    /// being killed; an OS crash or power loss may lose the last moments.
    #[default]
    Normal,
    /// The WAL is also fsynced at every commit (batch): survives power loss too, as far as the
    /// disk honours fsync, at roughly half the throughput.
    Full,
}

impl Durability {
    /// The value of SQLite's `synchronous` pragma.
    pub(crate) fn pragma(self) -> &'static str {
        match self {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        }
    }
}

/// Whether opening may create the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// `listen`, `import`, `relay`: create the file and its folder when missing.
    Create,
    /// `list`, `show`, `tui`: the file must exist; nothing is created.
    Existing,
}

/// Opens the database at `path` as every hookscope store does: with [`OpenMode::Create`] its
/// missing folders are made 0700 and the file 0600 before SQLite sees it; then [`prepare`]. A
/// file that can only be read is refused when it was opened to be written
/// ([`OpenMode::Create`]), so that is said at start, not at the first delivery. Last, the
/// schema: a file from a newer hookscope is refused, else the `migrations` it lacks are
/// applied ([`migrate::upgrade`]).
pub(crate) fn open(
    path: &Path,
    mode: OpenMode,
    durability: Durability,
    migrations: &[&str],
) -> Result<Connection, StoreError> {
    let flags = match mode {
        OpenMode::Create => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                crate::private_file::create_dir(dir).map_err(|source| StoreError::CreateDir {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            // Left to SQLite, a failure here is reported below with its advice.
            let _ = files::create_private_file(path);
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
        }
        OpenMode::Existing => {
            if !path.exists() {
                return Err(StoreError::Missing {
                    path: path.to_path_buf(),
                });
            }
            OpenFlags::SQLITE_OPEN_READ_WRITE
        }
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let err = |e| StoreError::sqlite(path, e);
    let mut conn = Connection::open_with_flags(path, flags).map_err(err)?;
    prepare(&conn, path, durability)?;
    // SQLite silently opens a file it may not write read-only; say so now.
    if mode == OpenMode::Create && conn.is_readonly(rusqlite::MAIN_DB).map_err(err)? {
        return Err(StoreError::read_only(path));
    }
    migrate::upgrade(&mut conn, path, migrations)?;
    Ok(conn)
}

/// The settings every hookscope database connection gets (both stores', the laptop's
/// checkpoint thread's): the file made private, a busy timeout, WAL (readers never block the
/// writer), foreign keys, and `durability` as SQLite's `synchronous`.
pub(crate) fn prepare(
    conn: &Connection,
    path: &Path,
    durability: Durability,
) -> Result<(), StoreError> {
    let err = |e| StoreError::sqlite(path, e);
    files::make_private(path);
    conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
    // Switching a new file to WAL needs it to itself and answers "locked" at once, without
    // the busy timeout, while another process creating the same file holds it: wait here.
    let waited = Instant::now();
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && waited.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            done => break done.map_err(err)?,
        }
    }
    conn.pragma_update(None, "synchronous", durability.pragma())
        .map_err(err)?;
    conn.pragma_update(None, "foreign_keys", "ON").map_err(err)
}

/// Runs `f` in a transaction on `conn` opened with `begin` (`BEGIN`, `BEGIN IMMEDIATE`),
/// committed when it returns `Ok`, rolled back otherwise. BEGIN and COMMIT are cached
/// statements: a writer commits thousands of times a second, and `Connection::transaction`
/// parses both again every time.
pub(crate) fn in_transaction<T>(
    conn: &Connection,
    begin: &str,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(begin)?.execute([])?;
    let done = f(conn).and_then(|v| {
        conn.prepare_cached("COMMIT")?.execute([])?;
        Ok(v)
    });
    if done.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma(conn: &Connection, name: &str) -> String {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| {
            r.get::<_, rusqlite::types::Value>(0)
        })
        .map(|v| match v {
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Text(t) => t,
            other => format!("{other:?}"),
        })
        .unwrap()
    }

    #[test]
    fn a_connection_gets_wal_the_busy_timeout_foreign_keys_and_its_durability() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let conn = open(&path, OpenMode::Create, Durability::Full, &[]).unwrap();
        assert_eq!(pragma(&conn, "journal_mode"), "wal");
        assert_eq!(pragma(&conn, "synchronous"), "2", "FULL");
        assert_eq!(pragma(&conn, "foreign_keys"), "1");
        assert_eq!(pragma(&conn, "busy_timeout"), "5000");
        let conn = open(&path, OpenMode::Existing, Durability::Normal, &[]).unwrap();
        assert_eq!(pragma(&conn, "synchronous"), "1", "NORMAL");
    }

    #[test]
    fn existing_mode_creates_nothing_and_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent/s.db");
        let e = open(&path, OpenMode::Existing, Durability::Normal, &[]).unwrap_err();
        assert!(matches!(e, StoreError::Missing { .. }), "{e}");
        assert!(e.to_string().contains("absent/s.db"), "{e}");
        assert!(!dir.path().join("absent").exists());
    }

    #[cfg(unix)]
    #[test]
    fn create_makes_the_folder_the_file_and_its_wal_and_shm_private() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/s.db");
        let conn = open(&path, OpenMode::Create, Durability::Normal, &[]).unwrap();
        conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
        for file in database_files(&path) {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&dir.path().join("a/b")), 0o700);
    }

    #[test]
    fn a_failed_transaction_is_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(
            &dir.path().join("t.db"),
            OpenMode::Create,
            Durability::Normal,
            &[],
        )
        .unwrap();
        conn.execute_batch("CREATE TABLE t(x NOT NULL)").unwrap();
        let r = in_transaction(&conn, "BEGIN", |c| {
            c.execute("INSERT INTO t VALUES (1)", [])?;
            c.execute("INSERT INTO t VALUES (NULL)", [])
        });
        assert!(r.is_err());
        assert!(conn.is_autocommit());
        let n: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }
}
