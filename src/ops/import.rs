//! Import as a use case: fixtures and HAR files into the store as captures marked imported,
//! all files in one transaction. Every file is read and checked before the store is touched
//! (one bad file stores nothing); verdicts come from the intake's own verification step, as of
//! each capture's arrival; a capture identical to one stored (or to an earlier one of the same
//! import) is skipped, not stored twice.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::capture::{now_ms, Capture, CaptureId};
use crate::fixture::{har, Fixture};
use crate::intake;
use crate::signature::Secret;
use crate::store::{Store, StoreError};

/// What becomes of one capture of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Stored under this id.
    New(CaptureId),
    /// Identical to this stored capture (same arrival time, request and body).
    Stored(CaptureId),
    /// Identical to an earlier capture of the same import.
    Repeated,
}

/// The captures of the files, each with the file (and entry) it came from, checked and judged.
#[derive(Debug)]
pub struct Loaded {
    pub files: Vec<(PathBuf, Vec<Capture>)>,
}

/// Files that cannot be imported, each with why; nothing was stored.
#[derive(Debug)]
pub struct Unreadable(pub Vec<(PathBuf, String)>);

/// Reads every file and judges its captures with `secrets` as of their arrival (what `listen`
/// would have said then); the first bad file keeps everything out.
pub fn load(files: &[PathBuf], secrets: &[Secret], tolerance_s: u64) -> Result<Loaded, Unreadable> {
    let imported_at_ms = now_ms();
    let mut loaded = Vec::with_capacity(files.len());
    let mut problems = Vec::new();
    for file in files {
        match load_one(file, imported_at_ms) {
            Ok(captures) => loaded.push((file.clone(), captures)),
            Err(message) => problems.push((file.clone(), message)),
        }
    }
    if !problems.is_empty() {
        return Err(Unreadable(problems));
    }
    if !secrets.is_empty() {
        for (_, captures) in &mut loaded {
            for c in captures.iter_mut() {
                let at_s = c.received_at_ms.div_euclid(1000);
                intake::verify(c, secrets, tolerance_s, at_s);
            }
        }
    }
    Ok(Loaded { files: loaded })
}

/// Stores what is new in one transaction; each capture's fate, in file order.
pub fn store(store: &mut Store, loaded: &Loaded) -> Result<Vec<Fate>, StoreError> {
    let all: Vec<&Capture> = loaded.files.iter().flat_map(|(_, cs)| cs.iter()).collect();
    let stored = store.identical_ids(&all)?;
    let mut seen = HashSet::with_capacity(all.len());
    let mut fates: Vec<Option<Fate>> = all
        .iter()
        .zip(&stored)
        .map(|(c, stored)| match stored {
            Some(id) => Some(Fate::Stored(*id)),
            None => {
                let key = (
                    c.received_at_ms,
                    c.method.as_str(),
                    c.path.as_str(),
                    c.query.as_deref(),
                    &c.headers,
                    c.body.as_slice(),
                );
                match seen.insert(key) {
                    true => None,
                    false => Some(Fate::Repeated),
                }
            }
        })
        .collect();
    let new: Vec<&Capture> = all
        .iter()
        .zip(&fates)
        .filter(|(_, fate)| fate.is_none())
        .map(|(c, _)| *c)
        .collect();
    let mut ids = store.insert_captures(&new)?.into_iter();
    for fate in fates.iter_mut().filter(|f| f.is_none()) {
        *fate = ids.next().map(Fate::New);
    }
    Ok(fates
        .into_iter()
        .map(|f| f.unwrap_or(Fate::Repeated))
        .collect())
}

/// What a file holds, told by its top-level fields.
#[derive(serde::Deserialize)]
struct Kind {
    hookscope_fixture: Option<serde::de::IgnoredAny>,
    log: Option<serde::de::IgnoredAny>,
}

/// The captures in one file, or what is wrong with it.
fn load_one(path: &Path, imported_at_ms: i64) -> Result<Vec<Capture>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let is_har = matches!(
        serde_json::from_slice::<Kind>(&bytes),
        Ok(Kind {
            hookscope_fixture: None,
            log: Some(_)
        })
    );
    if is_har {
        let captures = har::parse(&bytes).map_err(|e| format!("HAR file: {e}"))?;
        if captures.is_empty() {
            return Err("HAR file has no entries ('log.entries' is empty)".into());
        }
        Ok(captures)
    } else {
        // Anything else is read as a fixture, whose errors say what a fixture needs.
        let fixture = Fixture::parse(&bytes).map_err(|e| e.to_string())?;
        Ok(vec![fixture.to_capture(imported_at_ms)])
    }
}
