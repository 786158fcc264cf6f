//! Edit-and-replay: the text the editor gets (a JSON body pretty-printed), the round trip
//! through a private temp file and `$EDITOR` (the bytes come back exactly as saved), and the
//! pure [`decide`] on what comes back: nothing when unchanged, a question when the body was
//! JSON (send as saved or compacted; a warning first when it no longer parses).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Used when `$EDITOR` is unset or blank.
const FALLBACK_EDITOR: &str = "vi";

/// Removes the temp file however the edit ends.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Opens `body` in `$EDITOR` (which may carry arguments, e.g. `code --wait`) and returns the
/// saved bytes. The error is a sentence for the status line.
pub fn edit(body: &[u8], editor: Option<&str>) -> Result<Vec<u8>, String> {
    let editor = editor
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .unwrap_or(FALLBACK_EDITOR);
    let mut words = editor.split_whitespace();
    let program = words.next().unwrap_or(FALLBACK_EDITOR);
    let file = create_temp(body).map_err(|e| format!("cannot write a temp file: {e}"))?;
    let status = Command::new(program)
        .args(words)
        .arg(&file.0)
        .status()
        .map_err(|e| format!("cannot start editor '{program}': {e}; set $EDITOR"))?;
    if !status.success() {
        return Err(format!("editor '{program}' exited with {status}"));
    }
    fs::read(&file.0).map_err(|e| format!("cannot read the edited file back: {e}"))
}

fn create_temp(body: &[u8]) -> std::io::Result<TempFile> {
    let dir = std::env::temp_dir();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    // A .json name gives editors syntax highlighting for the usual Dataspike body.
    let ext = if looks_like_json(body) { "json" } else { "txt" };
    let path = dir.join(format!(
        "hookscope-body-{}-{stamp}.{ext}",
        std::process::id()
    ));
    let mut f = create_new_private(&path)?;
    let guard = TempFile(path);
    f.write_all(body)?;
    f.sync_all()?;
    Ok(guard)
}

fn looks_like_json(body: &[u8]) -> bool {
    json_error(body).is_none()
}

/// Why `body` is not JSON, or `None` when it is.
fn json_error(body: &[u8]) -> Option<serde_json::Error> {
    serde_json::from_slice::<serde::de::IgnoredAny>(body).err()
}

/// What the editor gets: a JSON body pretty-printed with a final newline, anything else as
/// stored. Only whitespace between tokens changes: every string and number stays as received.
pub fn editor_text(original: &[u8]) -> Vec<u8> {
    if !looks_like_json(original) {
        return original.to_vec();
    }
    let mut text = relayout(original, true);
    text.push(b'\n');
    text
}

/// What to do with the bytes the editor saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The text is what the editor was given (`:q!`, `EDITOR=true`): nothing is sent.
    Unchanged,
    /// A body that was not JSON, edited: sent as saved at once. `note` says what it is.
    Send { body: Vec<u8>, note: String },
    /// A JSON body, edited: the user picks how to send it, or cancels.
    NeedsConfirm(Confirm),
}

/// The question after editing a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// The text exactly as saved.
    pub edited: Vec<u8>,
    /// The same JSON without whitespace between tokens, when it still parses.
    pub compacted: Option<Vec<u8>>,
    /// Set when the body no longer parses as JSON: why (serde's words, with line and column).
    pub json_error: Option<String>,
}

impl Confirm {
    /// What sending the text as saved sends: `pretty-printed, 312 bytes`.
    pub fn edited_note(&self) -> String {
        let what = if self.json_error.is_some() {
            "not JSON"
        } else {
            "pretty-printed"
        };
        format!("{what}, {}", byte_count(self.edited.len()))
    }

    /// The compacted body and what it is, when the edit still parses.
    pub fn compacted_body(&self) -> Option<(Vec<u8>, String)> {
        let body = self.compacted.clone()?;
        let note = format!("compacted, {}", byte_count(body.len()));
        Some((body, note))
    }
}

/// Decides what an edit sends, from the stored body and the bytes the editor saved. Pure.
pub fn decide(original: &[u8], edited: &[u8]) -> Decision {
    let given = editor_text(original);
    // An editor adding or dropping the final newline has not changed anything.
    let same = |a: &[u8], b: &[u8]| trim_final_newlines(a) == trim_final_newlines(b);
    if same(edited, &given) || same(edited, original) {
        return Decision::Unchanged;
    }
    if !looks_like_json(original) {
        return Decision::Send {
            body: edited.to_vec(),
            note: format!("as edited, {}", byte_count(edited.len())),
        };
    }
    let confirm = match json_error(edited) {
        None => Confirm {
            edited: edited.to_vec(),
            compacted: Some(relayout(edited, false)),
            json_error: None,
        },
        Some(e) => Confirm {
            edited: edited.to_vec(),
            compacted: None,
            json_error: Some(e.to_string()),
        },
    };
    Decision::NeedsConfirm(confirm)
}

fn trim_final_newlines(text: &[u8]) -> &[u8] {
    let end = text
        .iter()
        .rposition(|b| !matches!(b, b'\n' | b'\r'))
        .map_or(0, |i| i + 1);
    &text[..end]
}

/// `1 byte`, `312 bytes`.
pub fn byte_count(n: usize) -> String {
    if n == 1 {
        "1 byte".into()
    } else {
        format!("{n} bytes")
    }
}

/// Valid JSON laid out again, changing only whitespace outside strings: two-space indents
/// when `pretty`, none at all otherwise.
fn relayout(json: &[u8], pretty: bool) -> Vec<u8> {
    const INDENT: &[u8] = b"  ";
    let newline = |out: &mut Vec<u8>, depth: usize| {
        if pretty {
            out.push(b'\n');
            for _ in 0..depth {
                out.extend_from_slice(INDENT);
            }
        }
    };
    let mut out = Vec::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut bytes = json.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b'"' => {
                in_string = true;
                out.push(b);
            }
            b'{' | b'[' => {
                out.push(b);
                while bytes.next_if(|b| b.is_ascii_whitespace()).is_some() {}
                // An empty object or array stays `{}` / `[]`.
                if let Some(close) = bytes.next_if(|b| matches!(b, b'}' | b']')) {
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(b);
            }
            b',' => {
                out.push(b);
                newline(&mut out, depth);
            }
            b':' => {
                out.push(b':');
                if pretty {
                    out.push(b' ');
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Fails rather than follow or reuse an existing file, and keeps the body private to the user.
fn create_new_private(path: &Path) -> std::io::Result<fs::File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_a_scripted_editor() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("ed.sh");
        fs::write(&script, "#!/bin/sh\nprintf 'edited' >> \"$1\"\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        let out = edit(b"{}", Some(script.to_str().unwrap())).unwrap();
        assert_eq!(out, b"{}edited");
    }

    const STORED: &[u8] = br#"{"id":"a\"b","n":1.50,"big":123456789012345678901234567890,"e":"\u00e9 ,:{}","list":[1, 2],"empty":{},"none":[]}"#;

    #[test]
    fn the_editor_gets_json_pretty_printed_and_every_token_as_stored() {
        let text = String::from_utf8(editor_text(STORED)).unwrap();
        assert_eq!(
            text,
            "{\n  \"id\": \"a\\\"b\",\n  \"n\": 1.50,\n  \"big\": 123456789012345678901234567890,\n  \"e\": \"\\u00e9 ,:{}\",\n  \"list\": [\n    1,\n    2\n  ],\n  \"empty\": {},\n  \"none\": []\n}\n"
        );
        // Compacting the pretty text drops exactly the whitespace outside strings.
        let compact = String::from_utf8(relayout(text.as_bytes(), false)).unwrap();
        assert_eq!(
            compact,
            String::from_utf8(STORED.to_vec())
                .unwrap()
                .replace("[1, 2]", "[1,2]")
        );
        assert_eq!(
            editor_text(b"plain text"),
            b"plain text",
            "not JSON: as stored"
        );
        assert_eq!(editor_text(b"\x00\xff"), b"\x00\xff");
    }

    #[test]
    fn saving_what_the_editor_was_given_is_unchanged() {
        let given = editor_text(STORED);
        assert_eq!(
            decide(STORED, &given),
            Decision::Unchanged,
            ":wq without edits"
        );
        assert_eq!(
            decide(STORED, &given[..given.len() - 1]),
            Decision::Unchanged,
            "final newline dropped"
        );
        assert_eq!(
            decide(STORED, STORED),
            Decision::Unchanged,
            "the stored body pasted back"
        );
        assert_eq!(
            decide(b"plain", b"plain\n"),
            Decision::Unchanged,
            "vi added a final newline"
        );
        assert_eq!(decide(b"", b""), Decision::Unchanged);
    }

    #[test]
    fn edited_json_asks_as_saved_or_compacted() {
        let edited = String::from_utf8(editor_text(STORED))
            .unwrap()
            .replace("1.50", "2.50");
        let Decision::NeedsConfirm(c) = decide(STORED, edited.as_bytes()) else {
            panic!("edited JSON asks first");
        };
        assert_eq!(c.edited, edited.as_bytes(), "as saved, byte for byte");
        assert_eq!(c.json_error, None);
        let (compact, note) = c.compacted_body().unwrap();
        let expected = String::from_utf8(relayout(STORED, false))
            .unwrap()
            .replace("1.50", "2.50");
        assert_eq!(String::from_utf8(compact.clone()).unwrap(), expected);
        assert!(compact.len() < edited.len());
        assert_eq!(note, format!("compacted, {} bytes", compact.len()));
        assert_eq!(
            c.edited_note(),
            format!("pretty-printed, {} bytes", edited.len())
        );
    }

    #[test]
    fn json_that_no_longer_parses_warns_and_cannot_be_compacted() {
        let broken = b"{\n  \"id\": \"x\",\n";
        let Decision::NeedsConfirm(c) = decide(STORED, broken) else {
            panic!("broken JSON asks first");
        };
        let why = c.json_error.clone().unwrap();
        assert!(
            why.contains("line 3"),
            "serde's words, with the place: {why}"
        );
        assert_eq!(c.compacted, None);
        assert_eq!(c.compacted_body(), None);
        assert_eq!(c.edited_note(), "not JSON, 15 bytes");
    }

    #[test]
    fn an_edited_body_that_never_was_json_is_sent_as_saved() {
        assert_eq!(
            decide(b"plain text", b"plain edit"),
            Decision::Send {
                body: b"plain edit".to_vec(),
                note: "as edited, 10 bytes".into()
            }
        );
        assert_eq!(byte_count(1), "1 byte");
    }

    #[test]
    fn a_failing_editor_is_reported() {
        let err = edit(b"x", Some("false")).unwrap_err();
        assert!(err.contains("exited"), "{err}");
        let err = edit(b"x", Some("/nonexistent/editor")).unwrap_err();
        assert!(err.contains("cannot start editor"), "{err}");
    }
}
