//! What the detail of one capture says, in four tabs: a pure function of the capture, its
//! attempts, the time zone and the theme. [`crate::tui::app::App::refresh`] lays each tab out
//! once when the capture loads; the view only slices the lines on screen, so a large body
//! scrolls without re-formatting it every frame.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::capture::{Answered, Attempt};
use crate::headers::HeaderPair;
use crate::output::{explain, ExplainClock, Explained, Part, Tone};
use crate::query::find_words;
use crate::redelivery::Place;
use crate::signature::Status;
use crate::store::StoredCapture;
use crate::text::{escape_bytes, human_size};
use crate::tui::theme::Theme;
use crate::tui::zone::Zone;

/// The detail's tabs, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Headers,
    Body,
    Attempts,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Overview, Tab::Headers, Tab::Body, Tab::Attempts];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Headers => "Headers",
            Tab::Body => "Body",
            Tab::Attempts => "Attempts",
        }
    }

    pub(crate) fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    pub(crate) fn next(self) -> Tab {
        Tab::ALL[(self.index() + 1) % Tab::ALL.len()]
    }

    pub(crate) fn prev(self) -> Tab {
        Tab::ALL[(self.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]
    }
}

/// Body bytes laid out as text; beyond this the tab says how much is left out.
const BODY_TEXT_LIMIT: usize = 1024 * 1024;
/// Body bytes laid out as a hex dump (16 bytes a line).
const BODY_HEX_LIMIT: usize = 256 * 1024;
/// Response body bytes shown per attempt.
const RESPONSE_LIMIT: usize = 16 * 1024;

/// The text of one tab.
/// `routed`: the session forwards by route, so a capture no route took says so.
pub fn tab_lines(
    tab: Tab,
    stored: &StoredCapture,
    attempts: &[Attempt],
    place: Option<&Place>,
    (zone, theme): (Zone, Theme),
    routed: bool,
    known: &[crate::signature::Secret],
) -> Vec<Line<'static>> {
    match tab {
        Tab::Overview => overview(stored, attempts, place, (zone, theme), routed, known),
        Tab::Headers => headers(&stored.capture.headers, theme),
        Tab::Body => {
            let c = &stored.capture;
            let shown_as = match std::str::from_utf8(&c.body) {
                _ if c.body.is_empty() => "",
                Err(_) => " · not UTF-8, shown as hex",
                Ok(t) if serde_json::from_str::<serde::de::IgnoredAny>(t).is_ok() => {
                    " · JSON shown pretty-printed; stored and replayed byte for byte"
                }
                Ok(_) => " · text",
            };
            let mut lines = vec![Line::from(Span::styled(
                format!(
                    "{}{shown_as}",
                    body_summary(c.body.len(), c.body_size, c.truncated)
                ),
                theme.dim(),
            ))];
            lines.extend(body_lines(&c.body, BODY_TEXT_LIMIT, BODY_HEX_LIMIT, theme));
            lines
        }
        Tab::Attempts => attempts_lines(attempts, zone, theme),
    }
}

/// Marks the words of a query (`Query::highlights`) in `lines`, splitting spans where a match
/// starts or ends; returns the indices of the lines that hold one.
pub fn highlight(
    lines: &mut [Line<'static>],
    words: &[(String, bool)],
    theme: Theme,
) -> Vec<usize> {
    if words.is_empty() {
        return Vec::new();
    }
    let mut found = Vec::new();
    for (i, line) in lines.iter_mut().enumerate() {
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        let ranges = find_words(&text, words);
        if ranges.is_empty() {
            continue;
        }
        found.push(i);
        let mut spans = Vec::new();
        let mut at = 0;
        for span in line.spans.drain(..) {
            let end = at + span.content.len();
            let mut cut = at;
            for &(s, e) in &ranges {
                let (s, e) = (s.max(at), e.min(end));
                if s >= e {
                    continue;
                }
                if cut < s {
                    spans.push(Span::styled(text[cut..s].to_string(), span.style));
                }
                spans.push(Span::styled(
                    text[s..e].to_string(),
                    span.style.patch(theme.matched()),
                ));
                cut = e;
            }
            if cut < end {
                spans.push(Span::styled(text[cut..end].to_string(), span.style));
            }
            at = end;
        }
        line.spans = spans;
    }
    found
}

fn field(name: &str, value: Vec<Span<'static>>, theme: Theme) -> Line<'static> {
    let mut spans = vec![Span::styled(format!("{name:<11}"), theme.dim())];
    spans.extend(value);
    Line::from(spans)
}

fn text(s: impl Into<String>) -> Vec<Span<'static>> {
    vec![Span::raw(s.into())]
}

fn overview(
    stored: &StoredCapture,
    attempts: &[Attempt],
    place: Option<&Place>,
    (zone, t): (Zone, Theme),
    routed: bool,
    known: &[crate::signature::Secret],
) -> Vec<Line<'static>> {
    let c = &stored.capture;
    let status = c.verdict.status();
    let format_ms = |ms: i64| zone.full(ms);
    let clock = ExplainClock {
        format_ms: &format_ms,
        reference: Some((c.received_at_ms.div_euclid(1000), "arrival")),
        matched: crate::output::matched_label(c, known, crate::capture::now_ms()),
        hint: crate::tui::hint::words,
    };
    let explained = explain(&c.verdict, c.diagnostics.as_ref(), &clock);
    let find = |part: Part| explained.iter().find(|e| e.part == part);
    let mut verdict = vec![
        Span::styled(c.verdict.badge(), t.badge(status)),
        Span::raw(" "),
    ];
    if let Some(e) = find(Part::Verdict) {
        verdict.extend(spans(e, t));
    }
    let mut lines = vec![
        field("Verdict", verdict, t),
        field(
            "Received",
            text(format!(
                "{} from {} ({})",
                zone.full(c.received_at_ms),
                c.peer.as_deref().unwrap_or("unknown peer"),
                c.source.as_str()
            )),
            t,
        ),
        field(
            "Request",
            text(format!("{} {}", c.method, c.path_and_query())),
            t,
        ),
    ];
    for (part, name) in [(Part::Secret, "Secret"), (Part::Timestamp, "Timestamp")] {
        if let Some(e) = find(part) {
            lines.push(field(name, spans(e, t), t));
        }
    }
    lines.push(field(
        "Event",
        text(format!(
            "{}  id {}",
            c.event.event_type.as_deref().unwrap_or("-"),
            c.event.event_id.as_deref().unwrap_or("-")
        )),
        t,
    ));
    if let Some(p) = place {
        let mut line = crate::output::place_line(p);
        if p.of > 1 {
            line.push_str(" · E lists them");
        }
        lines.push(field("Retries", text(line), t));
    }
    if let Some(a) = c.answered {
        let said = crate::output::answered_text(a);
        let style = match a {
            Answered::Chosen { .. } => t.warn(),
            _ => Style::default(),
        };
        lines.push(field("Answered", vec![Span::styled(said, style)], t));
    }
    match &c.route {
        Some(name) => lines.push(field("Route", text(name.clone()), t)),
        None if c
            .answered
            .is_some_and(|a| matches!(a, Answered::Chosen { .. })) => {}
        None if routed && c.rejected.is_none() => lines.push(field(
            "Route",
            vec![Span::styled("no route: captured, not forwarded", t.warn())],
            t,
        )),
        None => {}
    }
    if let Some(d) = &c.dataspike {
        lines.push(field(
            "Dataspike",
            vec![Span::styled(
                crate::capture::DataspikeDelivery::LABEL.to_string(),
                t.warn(),
            )],
            t,
        ));
        lines.push(field(
            "Delivery",
            text(format!(
                "webhook {}: {}",
                d.webhook_id.as_deref().unwrap_or("-"),
                d.summary()
            )),
            t,
        ));
        lines.push(field("Reported", text(d.facts.clone()), t));
    }
    lines.push(field(
        "Body",
        text(body_summary(c.body.len(), c.body_size, c.truncated)),
        t,
    ));
    if let Some(r) = &c.rejected {
        lines.push(field(
            "Rejected",
            vec![Span::styled(
                format!("answered {} to the sender: {}", r.status, r.reason),
                t.error(),
            )],
            t,
        ));
    }
    lines.push(field(
        "Attempts",
        text(match attempts.last() {
            None => "none yet (r replays)".to_string(),
            Some(a) => format!(
                "{}; latest: {} {}",
                attempts.len(),
                a.kind.as_str(),
                attempt_outcome(a)
            ),
        }),
        t,
    ));
    if status != Status::Valid && c.dataspike.is_none() {
        lines.push(Line::default());
        lines.extend(signature_help(&explained, t));
    }
    lines
}

/// The explanation's pieces in the theme's colours.
fn spans(e: &Explained, t: Theme) -> Vec<Span<'static>> {
    e.value
        .iter()
        .map(|(text, tone)| {
            let style = match tone {
                Tone::Plain => Style::default(),
                Tone::Dim => t.dim(),
                Tone::Error => t.error(),
                Tone::Warn => t.warn(),
            };
            Span::styled(text.clone(), style)
        })
        .collect()
}

/// Why a signature failed, in the terms a developer can act on: the explanation's lines after
/// the verdict, secret and timestamp (shown above).
fn signature_help(explained: &[Explained], t: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled("Signature", t.title()))];
    let mut titled = Vec::new();
    for e in explained {
        let (title, prefix) = match e.part {
            Part::Verdict | Part::Secret | Part::Timestamp => continue,
            Part::Signed => ("  Signed", None),
            Part::Expected(i) => ("  Expected", Some(format!("#{i}: "))),
            Part::NothingExpected => ("  Expected", None),
            Part::Received => ("  Received", None),
            Part::Hint => ("  Hint", None),
        };
        // A list of digests names its field once.
        let name = if titled.contains(&title) { "" } else { title };
        titled.push(title);
        let mut value: Vec<Span<'static>> = prefix
            .map(|p| Span::styled(p, t.dim()))
            .into_iter()
            .collect();
        value.extend(spans(e, t));
        lines.push(field(name, value, t));
    }
    lines
}

fn body_summary(stored: usize, sent: u64, truncated: bool) -> String {
    if truncated {
        format!(
            "{} stored of {} sent (truncated at the body limit)",
            human_size(stored as u64),
            human_size(sent)
        )
    } else if stored < 1024 {
        format!("{stored} bytes")
    } else {
        format!("{stored} bytes ({})", human_size(stored as u64))
    }
}

fn headers(headers: &[HeaderPair], t: Theme) -> Vec<Line<'static>> {
    if headers.is_empty() {
        return vec![Line::from(Span::styled("no headers", t.dim()))];
    }
    headers
        .iter()
        .map(|(name, value)| {
            Line::from(vec![
                Span::styled(escape_bytes(name), t.accent()),
                Span::styled(": ", t.dim()),
                Span::raw(escape_bytes(value)),
            ])
        })
        .collect()
}

/// Pretty JSON, plain UTF-8 text, or a hex dump for anything else.
fn body_lines(body: &[u8], text_limit: usize, hex_limit: usize, t: Theme) -> Vec<Line<'static>> {
    if body.is_empty() {
        return vec![Line::from(Span::styled("(empty body)", t.dim()))];
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return hex_dump(body, hex_limit, t);
    };
    if let Some(pretty) = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .filter(|_| body.len() <= text_limit)
    {
        return pretty.lines().map(|l| Line::from(l.to_string())).collect();
    }
    let mut end = text.len().min(text_limit);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut lines: Vec<Line<'static>> = text[..end]
        .lines()
        .map(|l| Line::from(escape_bytes(l.as_bytes())))
        .collect();
    if end < text.len() {
        lines.push(more_bytes(text.len() - end, t));
    }
    lines
}

fn more_bytes(n: usize, t: Theme) -> Line<'static> {
    Line::from(Span::styled(
        format!(
            "… {} more not shown here (x exports all of it)",
            human_size(n as u64)
        ),
        t.dim(),
    ))
}

/// `00000000  7b 22 69 64 22 3a 31 7d  0a ff                    |{"id":1}..|`
fn hex_dump(bytes: &[u8], limit: usize, t: Theme) -> Vec<Line<'static>> {
    let shown = &bytes[..bytes.len().min(limit)];
    let mut lines: Vec<Line<'static>> = shown
        .chunks(16)
        .enumerate()
        .map(|(i, chunk)| {
            let mut hex = String::with_capacity(50);
            for (j, b) in chunk.iter().enumerate() {
                if j == 8 {
                    hex.push(' ');
                }
                hex.push_str(&format!("{b:02x} "));
            }
            let ascii: String = chunk
                .iter()
                .map(|&b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            Line::from(vec![
                Span::styled(format!("{:08x}  ", i * 16), t.dim()),
                Span::raw(format!("{hex:<49} ")),
                Span::styled(format!("|{ascii}|"), t.dim()),
            ])
        })
        .collect();
    if shown.len() < bytes.len() {
        lines.push(more_bytes(bytes.len() - shown.len(), t));
    }
    lines
}

fn attempt_outcome(a: &Attempt) -> String {
    let latency = a
        .latency_ms
        .map(|l| format!(" in {l} ms"))
        .unwrap_or_default();
    match (&a.status, &a.error) {
        (Some(s), _) => format!("HTTP {s}{latency}"),
        (None, Some(e)) => format!("failed: {e}{latency}"),
        (None, None) => format!("no answer{latency}"),
    }
}

fn attempts_lines(attempts: &[Attempt], zone: Zone, t: Theme) -> Vec<Line<'static>> {
    if attempts.is_empty() {
        return vec![Line::from(Span::styled(
            "Not forwarded or replayed yet. r replays, R replays byte for byte, e edits first.",
            t.dim(),
        ))];
    }
    let mut lines = Vec::new();
    let names = crate::capture::attempt_names(attempts);
    for (a, name) in attempts.iter().zip(names).rev() {
        let outcome_style = if a.succeeded() { t.ok() } else { t.error() };
        let mut how = Vec::new();
        if a.resigned {
            how.push("re-signed");
        }
        if a.sent_body.is_some() {
            how.push("edited body");
        }
        lines.push(Line::from(vec![
            Span::styled(name, t.title()),
            Span::raw(format!("  {}  → {}", zone.full(a.at_ms), a.target)),
            Span::styled(
                if how.is_empty() {
                    String::new()
                } else {
                    format!("  ({})", how.join(", "))
                },
                t.dim(),
            ),
        ]));
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(attempt_outcome(a), outcome_style),
        ]));
        if let (Some(_), Some(e)) = (a.status, &a.error) {
            lines.push(Line::from(Span::styled(format!("  error: {e}"), t.error())));
        }
        for (name, value) in &a.response_headers {
            lines.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(escape_bytes(name), t.accent()),
                Span::styled(": ", t.dim()),
                Span::raw(escape_bytes(value)),
            ]));
        }
        if a.status.is_some() {
            let mut note = format!("  response body, {} bytes", a.response_body.len());
            if a.response_truncated {
                note.push_str(" (cut when stored)");
            }
            lines.push(Line::from(Span::styled(note, t.dim())));
            if !a.response_body.is_empty() {
                for l in body_lines(&a.response_body, RESPONSE_LIMIT, RESPONSE_LIMIT, t) {
                    let mut spans = vec![Span::raw("    ")];
                    spans.extend(l.spans);
                    lines.push(Line::from(spans).style(Style::new()));
                }
            }
        }
        lines.push(Line::default());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn json_bodies_are_pretty_and_keep_key_order() {
        let t = Theme { color: false };
        let lines = plain(&body_lines(br#"{"z":1,"a":[true]}"#, 100, 100, t));
        assert_eq!(
            lines,
            vec!["{", "  \"z\": 1,", "  \"a\": [", "    true", "  ]", "}"]
        );
    }

    #[test]
    fn binary_bodies_are_hex_dumped() {
        let t = Theme { color: false };
        let lines = plain(&body_lines(b"{\"id\":1}\n\xff", 100, 100, t));
        assert_eq!(
            lines,
            vec!["00000000  7b 22 69 64 22 3a 31 7d  0a ff                    |{\"id\":1}..|"]
        );
        let lines = plain(&body_lines(&[0xffu8; 40], 100, 16, t));
        assert_eq!(lines.len(), 2);
        assert!(lines[1].contains("24 B more"), "{lines:?}");
    }

    #[test]
    fn long_text_is_cut_at_a_char_boundary() {
        let t = Theme { color: false };
        let lines = plain(&body_lines("ééé".as_bytes(), 3, 3, t));
        assert_eq!(lines[0], "é");
        assert!(lines[1].contains("4 B more"));
    }
}
