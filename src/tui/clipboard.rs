//! Copying through the terminal: OSC 52 (`ESC ] 52 ; c ; <base64> BEL`) asks the terminal to
//! put text on the system clipboard, which works over SSH and inside tmux (`set-clipboard on`)
//! where no local clipboard tool could. The terminal never says whether it obeyed, so the text
//! is always shown in a popup as well, to select by hand.
//!
//! What is copied is built here, purely ([`copy_text`]); the loop writes the escape through the
//! terminal backend ([`emit`]) and hands the outcome to `update` as [`Copied`].

use std::io::{self, Write};

use base64::Engine;
use http::Uri;

use crate::capture::{Capture, CaptureId};
use crate::forward::join_target;
use crate::headers::set_header;
use crate::redact::{Counts, Redactor};
use crate::signature::{resign_headers, Secret};

/// Most text sent in one OSC 52 escape: its base64 is about 100 KB, what xterm, tmux and
/// most terminals accept; larger text is only shown in the popup.
pub const OSC52_MAX_BYTES: usize = 74_000;

/// What `c` and `C` copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyWhat {
    Curl,
    Body,
}

/// A copy the loop should make: built from the store, written through the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyRequest {
    pub id: CaptureId,
    pub what: CopyWhat,
}

/// The outcome of a copy, for `update`: the popup's title and text, and the notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub title: String,
    pub text: String,
    pub notice: String,
}

/// The escape sequence that puts `text` on the clipboard.
pub fn osc52(text: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{b64}\x07")
}

/// OSC 52 as a crossterm command, so it is written through the terminal backend in order
/// with the frames, never around it.
struct SetClipboard<'a>(&'a str);

impl crossterm::Command for SetClipboard<'_> {
    fn write_ansi(&self, f: &mut impl std::fmt::Write) -> std::fmt::Result {
        f.write_str(&osc52(self.0))
    }
}

/// Writes the OSC 52 escape for `text` to `out` (the terminal backend) and flushes.
pub fn emit<W: Write>(out: &mut W, text: &str) -> io::Result<()> {
    crossterm::execute!(out, SetClipboard(text))
}

/// Whether this terminal is known to ignore OSC 52 (then only the popup shows): macOS
/// Terminal.app, or `HOOKSCOPE_OSC52=0` set by someone whose terminal prints the escape.
pub fn known_unsupported(env: impl Fn(&str) -> Option<String>) -> bool {
    env("HOOKSCOPE_OSC52").as_deref() == Some("0")
        || env("TERM_PROGRAM").as_deref() == Some("Apple_Terminal")
}

/// The text to copy and how to describe it. `resign`: the secret and the Unix time to sign
/// the curl command with; `to`: where it should go (the forward target), else the captured
/// URL.
pub fn copy_text(
    id: CaptureId,
    capture: &Capture,
    what: CopyWhat,
    resign: Option<(&Secret, i64)>,
    to: Option<&Uri>,
) -> (String, String) {
    match what {
        CopyWhat::Curl => {
            let mut c = capture.clone();
            if let Some((secret, now_s)) = resign {
                // A copied request is the same message again: the scheme's redelivery rules.
                for (name, value) in resign_headers(secret, now_s, &c.body, &capture.headers) {
                    set_header(&mut c.headers, name, value.into_bytes());
                }
            }
            let url = to.map(|t| join_target(t, &c.path, c.query.as_deref()).to_string());
            let how = if resign.is_some() {
                "re-signed now, valid for the app's tolerance"
            } else {
                "signature as captured: no secret loaded to re-sign"
            };
            (
                crate::fixture::curl::command(id, &c, url.as_deref()),
                format!("#{id} as curl ({how})"),
            )
        }
        CopyWhat::Body => match std::str::from_utf8(&capture.body) {
            Ok(text) => (text.to_string(), format!("the body of #{id}")),
            Err(_) => (
                base64::engine::general_purpose::STANDARD.encode(&capture.body),
                format!("the body of #{id} as base64 (it is not text)"),
            ),
        },
    }
}

/// Redacts `capture` in place for a copy (body, headers, `Content-Length`) with the session's
/// redactor, and returns what this copy replaced.
pub fn redact(redactor: &mut Redactor, capture: &mut Capture) -> Counts {
    let before = redactor.counts().clone();
    redactor.capture(capture);
    redactor.counts().since(&before)
}

/// What a copy's notice adds about redaction: `, redacted: full_name x1, email x2`, or that
/// nothing matched, or that a body that is not JSON was copied as it is.
pub fn redaction_note(counts: &Counts) -> String {
    let mut note = format!(", redacted: {}", counts.summary());
    if counts.not_json > 0 {
        note.push_str(" (the body is not JSON and was left as it is)");
    }
    note
}

/// What the loop tells `update` after trying: `sent` says whether the escape was written.
pub fn outcome(text: String, label: String, sent: Result<(), String>) -> Copied {
    let notice = match &sent {
        Ok(()) => format!("copied {label} to the clipboard through the terminal (OSC 52)"),
        Err(why) => format!("{label} not copied ({why}): select it in the popup"),
    };
    let title = match sent {
        Ok(()) => " copied via OSC 52 · if nothing was copied, select by hand · Esc closes ",
        Err(_) => " select by hand · Esc closes ",
    };
    Copied {
        title: title.to_string(),
        text,
        notice,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::backend::CrosstermBackend;

    #[test]
    fn the_escape_is_osc_52_with_base64_and_bel() {
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
        assert_eq!(osc52(""), "\x1b]52;c;\x07");
    }

    #[test]
    fn emit_writes_exactly_the_escape_through_the_backend() {
        // The loop's path: a Terminal over the crossterm backend, the escape written through
        // `backend_mut()` after a frame, so it lands after the frame's bytes and nowhere inside.
        let mut out = Vec::<u8>::new();
        {
            let mut terminal = ratatui::Terminal::new(CrosstermBackend::new(&mut out)).unwrap();
            terminal
                .draw(|f| f.render_widget(ratatui::widgets::Paragraph::new("x"), f.area()))
                .ok();
            emit(terminal.backend_mut(), "curl 'http://x'\n").unwrap();
        }
        let written = String::from_utf8_lossy(&out);
        let at = written.find("\x1b]52;c;Y3VybCAnaHR0cDovL3gnCg==\x07");
        let frame = written.find('x');
        assert!(at.is_some() && frame < at, "{written:?}");
        let mut only = Vec::<u8>::new();
        emit(&mut CrosstermBackend::new(&mut only), "hi").unwrap();
        assert_eq!(only, b"\x1b]52;c;aGk=\x07");
    }

    #[test]
    fn terminals_known_to_ignore_it() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(known_unsupported(env(&[(
            "TERM_PROGRAM",
            "Apple_Terminal"
        )])));
        assert!(known_unsupported(env(&[("HOOKSCOPE_OSC52", "0")])));
        assert!(!known_unsupported(env(&[("TERM_PROGRAM", "iTerm.app")])));
    }

    #[test]
    fn curl_is_re_signed_with_a_secret_and_says_so() {
        let secret =
            Secret::parse("whsec_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
                .unwrap();
        let capture = Capture::new(
            0,
            "POST",
            "/hook",
            vec![
                (b"Host".to_vec(), b"127.0.0.1:9474".to_vec()),
                (b"X-Webhook-Signature".to_vec(), b"t=1,v1=old".to_vec()),
            ],
            b"{}".to_vec(),
        );
        let (text, label) = copy_text(
            7,
            &capture,
            CopyWhat::Curl,
            Some((&secret, 1_700_000_000)),
            None,
        );
        assert!(label.contains("re-signed"), "{label}");
        assert!(
            text.contains("X-Webhook-Signature: t=1700000000,v1="),
            "{text}"
        );
        assert!(!text.contains("v1=old"), "{text}");
        assert!(text.contains("'http://127.0.0.1:9474/hook'"), "{text}");
        let (text, label) = copy_text(7, &capture, CopyWhat::Curl, None, None);
        assert!(label.contains("as captured"), "{label}");
        assert!(text.contains("t=1,v1=old"), "{text}");
        let (body, _) = copy_text(7, &capture, CopyWhat::Body, None, None);
        assert_eq!(body, "{}");
    }
}
