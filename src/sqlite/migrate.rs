//! Schema migrations, tracked with `PRAGMA user_version`: a store's schema is a list of SQL
//! steps, step `i` moving version `i` to `i + 1`. Append only: never edit a step that has
//! shipped. Each store keeps its own list (`store/schema.rs`, `relay/store.rs`).

use rusqlite::Connection;
use std::path::Path;

use super::StoreError;

/// The schema version a file is at (0: new).
pub(crate) fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Refuses a file written by a newer hookscope (it is left untouched), else applies the
/// `steps` it lacks.
pub(crate) fn upgrade(
    conn: &mut Connection,
    path: &Path,
    steps: &[&str],
) -> Result<(), StoreError> {
    let err = |e| StoreError::sqlite(path, e);
    let supported = steps.len() as i64;
    let found = version(conn).map_err(err)?;
    if found > supported {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported,
        });
    }
    if found > 0 && found < supported {
        // A big store takes a while (the search index: about 25 s per million captures).
        tracing::warn!(
            "upgrading '{}' from schema {found} to {supported}, once; a large store takes a while",
            path.display()
        );
    }
    apply(conn, steps, supported).map_err(err)
}

/// Applies `steps` (step `i` moves version `i` to `i + 1`) up to version `to`. Each step runs
/// in an IMMEDIATE transaction that reads the version again first, so two processes opening
/// a new file at once (`listen` and `list`) apply every step exactly once: the second waits
/// for the lock, then finds the step done.
pub(crate) fn apply(conn: &mut Connection, steps: &[&str], to: i64) -> rusqlite::Result<()> {
    for (i, step) in steps.iter().enumerate().take(to.max(0) as usize) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if version(&tx)? > i as i64 {
            continue;
        }
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::{open, Durability, OpenMode};

    const STEPS: &[&str] = &[
        "CREATE TABLE a (x INTEGER);",
        "ALTER TABLE a ADD COLUMN y TEXT; CREATE TABLE b (z);",
    ];

    fn columns(conn: &Connection, table: &str) -> Vec<String> {
        let mut stmt = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap();
        let names = stmt.query_map([], |r| r.get(0)).unwrap();
        names.collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn a_new_file_gets_every_step() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let conn = open(&path, OpenMode::Create, Durability::Normal, STEPS).unwrap();
        assert_eq!(version(&conn).unwrap(), 2);
        assert_eq!(columns(&conn, "a"), ["x", "y"]);
        assert_eq!(columns(&conn, "b"), ["z"]);
    }

    #[test]
    fn an_old_file_gets_only_the_steps_it_lacks_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        {
            let conn = open(&path, OpenMode::Create, Durability::Normal, &STEPS[..1]).unwrap();
            assert_eq!(version(&conn).unwrap(), 1);
            conn.execute("INSERT INTO a (x) VALUES (7)", []).unwrap();
        }
        // Step 1 again would fail ("table a already exists"): it must be skipped.
        let conn = open(&path, OpenMode::Existing, Durability::Normal, STEPS).unwrap();
        assert_eq!(version(&conn).unwrap(), 2);
        let row: (i64, Option<String>) = conn
            .query_row("SELECT x, y FROM a", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!(row, (7, None));
        // Opening an up-to-date file again changes nothing.
        drop(conn);
        let conn = open(&path, OpenMode::Existing, Durability::Normal, STEPS).unwrap();
        assert_eq!(version(&conn).unwrap(), 2);
    }

    #[test]
    fn a_newer_schema_is_refused_naming_the_file_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("newer.db");
        drop(open(&path, OpenMode::Create, Durability::Normal, STEPS).unwrap());
        let e = open(&path, OpenMode::Existing, Durability::Normal, &STEPS[..1]).unwrap_err();
        assert!(
            matches!(
                e,
                StoreError::NewerSchema {
                    found: 2,
                    supported: 1,
                    ..
                }
            ),
            "{e}"
        );
        let text = e.to_string();
        assert!(text.contains("newer.db"), "{text}");
        assert!(text.contains("newer hookscope"), "{text}");
        let conn = open(&path, OpenMode::Existing, Durability::Normal, STEPS).unwrap();
        assert_eq!(version(&conn).unwrap(), 2);
        assert_eq!(columns(&conn, "b"), ["z"]);
    }

    #[test]
    fn a_failing_step_leaves_the_version_where_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let broken: &[&str] = &[STEPS[0], "CREATE TABLE c (x); SELECT no_such_function();"];
        assert!(open(&path, OpenMode::Create, Durability::Normal, broken).is_err());
        let conn = open(&path, OpenMode::Existing, Durability::Normal, &STEPS[..1]).unwrap();
        assert_eq!(version(&conn).unwrap(), 1);
        assert!(columns(&conn, "c").is_empty(), "step 2 rolled back whole");
    }
}
