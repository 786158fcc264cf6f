use super::*;

fn store() -> (tempfile::TempDir, SecretStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = SecretStore::at(dir.path().join("cfg/hookscope").join(FILE_NAME));
    (dir, s)
}

fn entry(kind: &str, scope: &str, id: &str, secret: &str) -> Entry {
    Entry::new(kind, scope, id, SecretText::new(secret), 1)
}

#[test]
fn put_get_list_remove_by_kind_scope_and_id() {
    let (_d, s) = store();
    assert_eq!(s.list(None, 0).unwrap(), vec![]);
    assert!(!s.path().exists(), "reading creates nothing");
    s.put(
        entry("relay-channel", "https://relay.example", "c1", "tok1"),
        0,
    )
    .unwrap();
    s.put(
        entry("relay-channel", "https://other.example", "c1", "tok2"),
        0,
    )
    .unwrap();
    s.put(
        entry(
            "dataspike-webhook",
            "https://relay.example",
            "c1",
            "whsec_00",
        ),
        0,
    )
    .unwrap();
    let got = s
        .get("relay-channel", "https://other.example", "c1", 0)
        .unwrap()
        .unwrap();
    assert_eq!(got.secret.expose(), "tok2");
    assert_eq!(s.list(Some("relay-channel"), 0).unwrap().len(), 2);
    assert_eq!(s.list(None, 0).unwrap().len(), 3);
    // put replaces the entry with the same key.
    s.put(
        entry("relay-channel", "https://other.example", "c1", "tok3"),
        0,
    )
    .unwrap();
    assert_eq!(s.list(None, 0).unwrap().len(), 3);
    assert_eq!(
        s.get("relay-channel", "https://other.example", "c1", 0)
            .unwrap()
            .unwrap()
            .secret
            .expose(),
        "tok3"
    );
    assert!(s
        .remove("relay-channel", "https://relay.example", "c1", 0)
        .unwrap());
    assert!(!s
        .remove("relay-channel", "https://relay.example", "c1", 0)
        .unwrap());
    assert_eq!(s.list(None, 0).unwrap().len(), 2);
}

#[test]
fn private_files_and_no_leftovers() {
    let (_d, s) = store();
    s.put(entry("k", "s", "i", "v"), 0).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(s.path()), 0o600);
        assert_eq!(mode(s.path().parent().unwrap()), 0o700);
        // A rewrite stays private.
        s.put(entry("k", "s", "j", "w"), 0).unwrap();
        assert_eq!(mode(s.path()), 0o600);
    }
    let names: Vec<String> = std::fs::read_dir(s.path().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        vec![FILE_NAME.to_string()],
        "no lock or temp file left"
    );
}

#[test]
fn expired_entries_are_never_returned_and_dropped_at_the_next_change() {
    let (_d, s) = store();
    let mut e = entry("k", "s", "old", "gone-soon");
    e.expires_ms = Some(100);
    s.put(e, 0).unwrap();
    assert!(s.get("k", "s", "old", 99).unwrap().is_some());
    assert!(s.get("k", "s", "old", 100).unwrap().is_none());
    assert!(s.list(None, 100).unwrap().is_empty());
    s.put(entry("k", "s", "new", "v"), 200).unwrap();
    let text = std::fs::read_to_string(s.path()).unwrap();
    assert!(!text.contains("gone-soon"), "{text}");
}

#[test]
fn debug_never_shows_a_secret_and_errors_name_the_file_only() {
    let e = entry("k", "s", "i", "whsec_deadbeef");
    assert!(!format!("{e:?}").contains("deadbeef"));
    let (_d, s) = store();
    std::fs::create_dir_all(s.path().parent().unwrap()).unwrap();
    std::fs::write(
        s.path(),
        "{\"format\":1,\"entries\":[{\"secret\":\"whsec_cafe\"",
    )
    .unwrap();
    let err = s.list(None, 0).unwrap_err().to_string();
    assert!(
        err.contains("is damaged") && err.contains(FILE_NAME),
        "{err}"
    );
    assert!(!err.contains("cafe"), "{err}");
    // A damaged file is never overwritten.
    assert!(s.put(entry("k", "s", "i", "v"), 0).is_err());
    assert!(std::fs::read_to_string(s.path())
        .unwrap()
        .contains("whsec_cafe"));
    std::fs::write(s.path(), "{\"format\":9,\"entries\":[]}").unwrap();
    let err = s.put(entry("k", "s", "i", "v"), 0).unwrap_err().to_string();
    assert!(err.contains("newer hookscope (format 9)"), "{err}");
}

#[test]
fn a_write_stopped_midway_leaves_the_old_file_whole() {
    let (_d, s) = store();
    s.put(entry("k", "s", "a", "first"), 0).unwrap();
    let before = std::fs::read(s.path()).unwrap();
    for stage in [Stage::HalfWritten, Stage::Synced] {
        write_atomic_until(s.path(), b"{\"format\":1,\"entries\":[]}\n", stage).unwrap();
        assert_eq!(std::fs::read(s.path()).unwrap(), before, "{stage:?}");
        assert_eq!(s.list(None, 0).unwrap().len(), 1, "{stage:?}");
    }
    // The leftovers of those "crashes" are not the store, and the next write still works.
    s.put(entry("k", "s", "b", "second"), 0).unwrap();
    assert_eq!(s.list(None, 0).unwrap().len(), 2);
}

#[test]
fn a_stale_lock_is_taken_over_and_a_live_one_waited_for() {
    let (_d, s) = store();
    std::fs::create_dir_all(s.path().parent().unwrap()).unwrap();
    let lock = lock_path(s.path());
    std::fs::write(&lock, b"").unwrap();
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&lock)
        .unwrap()
        .set_modified(old)
        .unwrap();
    s.put(entry("k", "s", "i", "v"), 0).unwrap();
    assert!(!lock.exists());
    // A lock another process holds: the change waits until it is released.
    std::fs::write(&lock, b"").unwrap();
    let l = lock.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        std::fs::remove_file(l).unwrap();
    });
    s.put(entry("k", "s", "j", "w"), 0).unwrap();
    t.join().unwrap();
    assert_eq!(s.list(None, 0).unwrap().len(), 2);
}

/// The environment variable that makes [`survives_being_killed_mid_write`] the writer it kills
/// (in a child process), naming the store's path.
const CRASH_ENV: &str = "HOOKSCOPE_SECRET_STORE_CRASH_TEST";

/// The child process's work: rewrites the store over and over, each version holding entries
/// 0..n, until killed.
fn crash_writer(path: &str) -> ! {
    let s = SecretStore::at(path);
    for n in 0u64.. {
        s.change(0, |entries| {
            entries.clear();
            for i in 0..=n % 50 {
                let mut e = entry("k", "s", &i.to_string(), &"x".repeat(200));
                e.meta.insert("n".into(), (n % 50).into());
                entries.push(e);
            }
        })
        .unwrap();
    }
    unreachable!("written until killed")
}

/// A process killed (SIGKILL) at random moments while it rewrites the store never leaves a
/// damaged or partial file: every version read back is one that was written whole.
#[cfg(unix)]
#[test]
fn survives_being_killed_mid_write() {
    // In the child this test starts, it is the writer instead.
    if let Ok(path) = std::env::var(CRASH_ENV) {
        crash_writer(&path);
    }
    let (_d, s) = store();
    s.put(entry("k", "s", "0", "seed"), 0).unwrap();
    let exe = std::env::current_exe().unwrap();
    for round in 0..8u64 {
        let mut child = std::process::Command::new(&exe)
            .args([
                "--exact",
                "secret_store::tests::survives_being_killed_mid_write",
                "--test-threads=1",
            ])
            .env(CRASH_ENV, s.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(150 + round * 37));
        child.kill().unwrap();
        child.wait().unwrap();
        // The killed writer may have left its lock: stale after a minute; take it now.
        let _ = std::fs::remove_file(lock_path(s.path()));
        let entries = s.list(None, 0).expect("the file is whole after a kill");
        let n = entries[0].meta_i64("n").unwrap_or(0);
        if entries[0].secret.expose() != "seed" {
            assert_eq!(
                entries.len() as i64,
                n + 1,
                "round {round}: a whole version"
            );
            assert!(entries.iter().all(|e| e.meta_i64("n") == Some(n)));
        }
    }
}
