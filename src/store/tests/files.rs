//! The store's files are private (`crate::sqlite::files`), end to end through `Store`.

use crate::capture::Capture;
use crate::store::{database_files, OpenMode, Store};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_folder_the_database_and_its_wal_and_shm_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/hookscope/h.db");
    let mut store = Store::open(&path, OpenMode::Create).unwrap();
    store
        .insert_capture(&Capture::new(1, "POST", "/h", Vec::new(), b"{}".to_vec()))
        .unwrap();
    // The -wal and -shm files exist while the connection is open.
    for file in database_files(&path) {
        assert!(file.exists(), "{}", file.display());
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    assert_eq!(mode(&dir.path().join("data/hookscope")), 0o700);
    assert_eq!(mode(&dir.path().join("data")), 0o700);
}

#[test]
fn a_world_readable_database_from_before_is_made_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    drop(Store::open(&path, OpenMode::Create).unwrap());
    for file in database_files(&path).iter().filter(|f| f.exists()) {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let _store = Store::open(&path, OpenMode::Existing).unwrap();
    for file in database_files(&path).iter().filter(|f| f.exists()) {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
}
