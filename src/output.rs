//! How captures and attempts read on a terminal and as JSON. Pure formatting.

use base64::Engine;
use serde_json::{json, Value};

use crate::capture::{headers_json, rfc3339_ms, Answered, Attempt, AttemptBrief, CaptureSummary};
use crate::fit::{column_widths, truncate_end, truncate_middle, Column};
use crate::hint::{Hint, Words};
use crate::redelivery::Place;
use crate::routes::Route;
use crate::signature::{Diagnostics, Scheme, Verdict};
use crate::store::StoredCapture;
use crate::text::count;
use crate::text::human_size;

/// One route as `listen` and `config check` list it:
/// `kyc: /dataspike (stripe, DOCVER only) → http://127.0.0.1:4002 (prefix stripped)`.
pub fn route_line<T>(r: &Route<T>) -> String {
    let mut narrow: Vec<String> = Vec::new();
    if let Some(s) = r.rule.scheme {
        narrow.push(s.name().to_string());
    }
    if let Some(e) = r.rule.events.describe() {
        narrow.push(e);
    }
    let mut line = String::new();
    if r.name != r.rule.prefix() {
        line.push_str(&format!("{}: ", r.name));
    }
    line.push_str(r.rule.prefix());
    if !narrow.is_empty() {
        line.push_str(&format!(" ({})", narrow.join(", ")));
    }
    line.push_str(&format!(" → {}", r.target));
    if r.strip_prefix {
        line.push_str(" (prefix stripped)");
    }
    if let Some(c) = &r.respond {
        line.push_str(&format!(" (answers {c} by choice)"));
    }
    line
}

/// Local wall-clock time of a capture, `HH:MM:SS`.
pub fn local_time(ms: i64) -> String {
    use chrono::TimeZone;
    match chrono::Local.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%H:%M:%S").to_string(),
        None => "--:--:--".into(),
    }
}

/// Local date and time, `YYYY-MM-DD HH:MM:SS`.
pub fn local_datetime(ms: i64) -> String {
    use chrono::TimeZone;
    match chrono::Local.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => "----------".into(),
    }
}

/// `-> 200 (12 ms)` or `-> error: connection refused ...`.
pub fn attempt_brief(a: &AttemptBrief) -> String {
    match (a.status, &a.error) {
        (Some(s), _) => format!("-> {s} ({} ms)", a.latency_ms.unwrap_or(0)),
        (None, Some(e)) => format!("-> failed: {e}"),
        (None, None) => "-> no answer".into(),
    }
}

/// One headless line: time, badge, method, path, event type, size, id, reason when failed,
/// and the app's answer when forwarding.
pub fn capture_line(s: &CaptureSummary, time: &str, words: Words) -> String {
    let status = s.verdict.status();
    let mut line = format!(
        "{time} {:<15} {} {} {} {} #{}",
        s.verdict.badge(),
        s.method,
        path_and_query(s),
        s.event_type.as_deref().unwrap_or("-"),
        human_size(s.body_size),
        s.id
    );
    if let Some(r) = &s.rejected {
        line.push_str(&format!(" [{}: {}]", r.status, r.text(words)));
    }
    if let Some(reason) =
        reason_text(&s.verdict, words).filter(|_| !matches!(s.verdict, Verdict::Valid { .. }))
    {
        line.push_str(&format!(" ({}: {reason})", status.as_str()));
    }
    if let Some(a) = &s.latest_attempt {
        line.push(' ');
        line.push_str(&attempt_brief(a));
    }
    line
}

fn path_and_query(s: &CaptureSummary) -> String {
    match &s.query {
        Some(q) => format!("{}?{q}", s.path),
        None => s.path.clone(),
    }
}

/// Table for `list`. With `width` it fits that many columns: the least useful columns are
/// shortened, then dropped (see `ListCol::rank`); without, every column at a fixed width, a
/// layout that scripts and `--wide` rely on.
pub fn list_table(rows: &[CaptureSummary], width: Option<usize>, words: Words) -> String {
    match width {
        Some(w) => fitted_list_table(rows, w, words),
        None => full_list_table(rows, words),
    }
}

fn full_list_table(rows: &[CaptureSummary], words: Words) -> String {
    // APP is the app's latest answer, named as in the TUI's list; REASON why a signature failed.
    let mut out = format!(
        "{:>6}  {:<19}  {:<15}  {:<6}  {:<28}  {:<22}  {:>9}  {:<24}  {}\n",
        "ID", "RECEIVED", "SIG", "METHOD", "PATH", "EVENT", "SIZE", "APP", "REASON"
    );
    for s in rows {
        let [id, received, sig, method, path, event, size, app, reason] = list_cells(s, words);
        let line = format!(
            "{id:>6}  {received:<19}  {sig:<15}  {method:<6}  {:<28}  {:<22}  {size:>9}  {:<24}  {reason}",
            clip(&path, 28),
            clip(&event, 22),
            clip(&app, 24),
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `list`'s columns, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListCol {
    Id,
    Received,
    Sig,
    Method,
    Path,
    Event,
    Size,
    App,
    Reason,
}

/// Between two columns of the table.
const LIST_GAP: &str = "  ";
/// The narrowest table fitted; a narrower terminal wraps it.
const LIST_MIN_WIDTH: usize = 24;
/// Which columns grow first into width nobody asked for.
const LIST_SPARE_ORDER: [ListCol; 9] = [
    ListCol::Path,
    ListCol::Reason,
    ListCol::Event,
    ListCol::App,
    ListCol::Received,
    ListCol::Id,
    ListCol::Sig,
    ListCol::Method,
    ListCol::Size,
];

impl ListCol {
    const ALL: [ListCol; 9] = [
        ListCol::Id,
        ListCol::Received,
        ListCol::Sig,
        ListCol::Method,
        ListCol::Path,
        ListCol::Event,
        ListCol::Size,
        ListCol::App,
        ListCol::Reason,
    ];

    fn title(self) -> &'static str {
        match self {
            ListCol::Id => "ID",
            ListCol::Received => "RECEIVED",
            ListCol::Sig => "SIG",
            ListCol::Method => "METHOD",
            ListCol::Path => "PATH",
            ListCol::Event => "EVENT",
            ListCol::Size => "SIZE",
            ListCol::App => "APP",
            ListCol::Reason => "REASON",
        }
    }

    /// 0 is the last to go: the TUI list's order (badge, id, time, event, the app's answer,
    /// path), then the reason (`show ID` has it in full), the size and the method (nearly
    /// always POST).
    fn rank(self) -> u8 {
        match self {
            ListCol::Sig => 0,
            ListCol::Id => 1,
            ListCol::Received => 2,
            ListCol::Event => 3,
            ListCol::App => 4,
            ListCol::Path => 5,
            ListCol::Reason => 6,
            ListCol::Size => 7,
            ListCol::Method => 8,
        }
    }

    /// How the column asks for room, given its longest cell (title included).
    fn column(self, longest: u16) -> Column {
        // Shown at `want` when there is room, cut down to `min` before it is dropped, grown to
        // its longest cell with width left over.
        let shrinking = |want: u16, min: u16| Column {
            rank: self.rank(),
            want: longest.min(want),
            min: longest.min(want).min(min),
            max: longest,
        };
        match self {
            // Without the year unless there is room to spare (the year goes before the path
            // does), the time alone when narrower still: `12-07 14:21:45`, `14:21:45`.
            ListCol::Received => Column {
                max: longest,
                ..shrinking(14, 8)
            },
            ListCol::Path => shrinking(28, 10),
            ListCol::Event => shrinking(22, 10),
            ListCol::App => shrinking(24, 10),
            ListCol::Reason => shrinking(40, 16),
            ListCol::Method => Column::fixed(self.rank(), longest.min(8)),
            ListCol::Id | ListCol::Sig | ListCol::Size => Column::fixed(self.rank(), longest),
        }
    }
}

/// Each column's full text for one capture, in [`ListCol::ALL`] order.
fn list_cells(s: &CaptureSummary, words: Words) -> [String; 9] {
    let app = match (&s.latest_attempt, s.answered) {
        (Some(a), _) => attempt_brief(a),
        // Answered by choice and never forwarded: what the sender got.
        (None, Some(Answered::Chosen { status, .. })) => format!("{status} chosen"),
        (None, _) => "-".into(),
    };
    let reason = match &s.verdict {
        Verdict::Valid { .. } => String::new(),
        _ if s.source == crate::capture::Source::Dataspike => {
            "from Dataspike's history: not signed".into()
        }
        v => reason_text(v, words).unwrap_or_default(),
    };
    [
        s.id.to_string(),
        local_datetime(s.received_at_ms),
        s.verdict.badge(),
        s.method.clone(),
        s.sourced_path(),
        s.event_type.clone().unwrap_or_else(|| "-".into()),
        human_size(s.body_size),
        app,
        reason,
    ]
}

fn fitted_list_table(rows: &[CaptureSummary], width: usize, words: Words) -> String {
    let cells: Vec<[String; 9]> = rows.iter().map(|s| list_cells(s, words)).collect();
    let longest = |i: usize| {
        cells
            .iter()
            .map(|c| c[i].chars().count())
            .chain([ListCol::ALL[i].title().len()])
            .max()
            .unwrap_or(0)
    };
    // No capture has a reason (all PASS): the column would be its title alone.
    let has_reason = cells.iter().any(|c| !c[8].is_empty());
    let column = |i: usize| match ListCol::ALL[i] {
        ListCol::Reason if !has_reason => Column::fixed(u8::MAX, u16::MAX),
        col => col.column(u16::try_from(longest(i)).unwrap_or(u16::MAX)),
    };
    // Width left over goes to the columns in this order, so the path is whole before the
    // year shows; `column_widths` drops by rank whatever the order.
    let order: Vec<usize> = LIST_SPARE_ORDER
        .iter()
        .filter_map(|c| ListCol::ALL.iter().position(|a| a == c))
        .collect();
    let columns: Vec<Column> = order.iter().map(|&i| column(i)).collect();
    let width = u16::try_from(width.max(LIST_MIN_WIDTH)).unwrap_or(u16::MAX);
    let gap = LIST_GAP.len() as u16;
    let mut widths = [None; 9];
    for (&i, w) in order.iter().zip(column_widths(&columns, width, gap)) {
        widths[i] = w.map(usize::from);
    }
    let shown: Vec<(usize, usize)> = widths
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.map(|w| (i, w)))
        .collect();
    let titles: [String; 9] = ListCol::ALL.map(|c| c.title().to_string());
    let mut out = String::new();
    for row in std::iter::once(&titles).chain(&cells) {
        let line: Vec<String> = shown
            .iter()
            .map(|&(i, w)| {
                let col = ListCol::ALL[i];
                let text = fit_cell(col, &row[i], w);
                match col {
                    ListCol::Id | ListCol::Size => format!("{text:>w$}"),
                    _ => format!("{text:<w$}"),
                }
            })
            .collect();
        out.push_str(line.join(LIST_GAP).trim_end());
        out.push('\n');
    }
    out
}

/// A cell's text in `width` characters: a path cut in the middle, a date shortened to what
/// changes, the rest cut at the end.
fn fit_cell(col: ListCol, text: &str, width: usize) -> String {
    match col {
        ListCol::Path => truncate_middle(text, width),
        // `YYYY-MM-DD HH:MM:SS`: without the year, then the time alone.
        ListCol::Received if text.chars().count() > width && text.len() == 19 => {
            let from = if width >= 14 { 5 } else { 11 };
            truncate_end(text.get(from..).unwrap_or(text), width)
        }
        _ => truncate_end(text, width),
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// The verdict's reason as shown to a developer: the domain's reason, plus how to fix a
/// missing secret in the surface's `words`.
pub fn reason_text(v: &Verdict, words: Words) -> Option<String> {
    let reason = v.reason()?;
    Some(match v {
        Verdict::Unverified { scheme } => {
            format!("{reason} ({})", words(Hint::PassSecret { scheme: *scheme }))
        }
        _ => reason,
    })
}

/// How a piece of an explanation should look; the TUI maps it to colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Dim,
    Error,
    Warn,
}

/// Which line of an explanation this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Status and reason (the badge is drawn by the caller).
    Verdict,
    /// The secret that matched, `#0` being the first one given.
    Secret,
    Timestamp,
    /// What was signed: `t.` and the first body bytes.
    Signed,
    /// The digest expected under secret `#i` of the scheme.
    Expected(usize),
    /// No secret loaded, so nothing was expected.
    NothingExpected,
    Received,
    Hint,
}

impl Part {
    /// The label the CLI prints before the value.
    pub fn label(self) -> String {
        match self {
            Part::Verdict => "verdict".into(),
            Part::Secret => "matched secret".into(),
            Part::Timestamp => "timestamp".into(),
            Part::Signed => "signed string".into(),
            Part::Expected(i) => format!("expected #{i}"),
            Part::NothingExpected => "expected".into(),
            Part::Received => "received".into(),
            Part::Hint => "hint".into(),
        }
    }
}

/// One line of a verdict explanation: what it is, and its text in styled pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    pub part: Part,
    pub value: Vec<(String, Tone)>,
}

impl Explained {
    fn new(part: Part, value: Vec<(String, Tone)>) -> Explained {
        Explained { part, value }
    }

    fn plain(part: Part, text: String) -> Explained {
        Explained::new(part, vec![(text, Tone::Plain)])
    }

    /// The value as plain text.
    pub fn text(&self) -> String {
        self.value.iter().map(|(t, _)| t.as_str()).collect()
    }
}

/// How an explanation shows times: `format_ms` writes a time, and `reference` (Unix seconds,
/// and what happened then: "check", "arrival") is what a signed `t` is compared with.
/// `matched`: which secret the signature matched, by its origin (see [`matched_label`]): the
/// local development secret (a PASS is then local-only, not proof of a Dataspike delivery), a
/// stored webhook's current or previous secret; `None` names it by position.
pub struct ExplainClock<'a> {
    pub format_ms: &'a dyn Fn(i64) -> String,
    pub reference: Option<(i64, &'static str)>,
    pub matched: Option<String>,
    /// How the surface words a remedy.
    pub hint: Words,
}

/// Whether `capture`'s signature was made with `secret`, whatever its age.
#[cfg(test)]
pub fn signed_by(capture: &crate::capture::Capture, secret: &crate::signature::Secret) -> bool {
    let (v, _) = crate::signature::verify_capture(
        &capture.headers,
        &capture.body,
        std::slice::from_ref(secret),
        0,
        0,
    );
    v.status() == crate::signature::Status::Valid
}

/// Which of `known` signed `capture`, whatever its age, named by its origin ("previous secret
/// of sandbox webhook 01927ed4…, rotated 2 h ago"): how `show` and the TUI say which secret a
/// PASS matched. `None` when none of them did.
pub fn matched_label(
    capture: &crate::capture::Capture,
    known: &[crate::signature::Secret],
    now_ms: i64,
) -> Option<String> {
    let (v, _) = crate::signature::verify_capture(&capture.headers, &capture.body, known, 0, 0);
    let i = v.secret_index()?;
    Some(known.get(i)?.origin().label(i, now_ms))
}

/// Why a signature did or did not verify, line by line: the one explanation the CLI (`show`,
/// `verify`) and the TUI detail both show. Secrets are numbered from `#0`, the first given.
pub fn explain(v: &Verdict, d: Option<&Diagnostics>, clock: &ExplainClock<'_>) -> Vec<Explained> {
    let status = v.status();
    let mut verdict = status.as_str().to_string();
    if let Some(r) = reason_text(v, clock.hint) {
        verdict.push_str(&format!(": {r}"));
    }
    let mut lines = vec![Explained::plain(Part::Verdict, verdict)];
    if let Some(i) = v.secret_index() {
        let which = match &clock.matched {
            Some(label) => label.clone(),
            None => crate::signature::Origin::Given.label(i, 0),
        };
        lines.push(Explained::plain(Part::Secret, which));
    }
    let Some(d) = d else {
        let hint = match v {
            Verdict::Unsigned => Some(format!(
                "the request carried no {} header: is it really from the provider, or did a \
                 proxy strip it?",
                Scheme::known_headers()
            )),
            Verdict::Invalid { scheme, .. } => Some(format!(
                "the {} header could not be read; see the reason above",
                scheme.signature_header()
            )),
            Verdict::Valid { .. } => None,
            _ => Some("no signature details were recorded".into()),
        };
        if let Some(h) = hint {
            lines.push(Explained::new(Part::Hint, vec![(h, Tone::Warn)]));
        }
        return lines;
    };
    if let Some(t) = d.timestamp {
        let mut value = format!("t={t} ({})", (clock.format_ms)(t.saturating_mul(1000)));
        if let Some((at_s, what)) = clock.reference {
            // Invalid verdicts carry no skew; the reference time still tells how old `t` was.
            let skew = v.skew_s().unwrap_or_else(|| at_s.saturating_sub(t));
            value.push_str(&format!(", {}", skew_text(skew, what)));
        }
        if let Verdict::Stale { tolerance_s, .. } = v {
            value.push_str(&format!(", tolerance {tolerance_s} s"));
        }
        lines.push(Explained::plain(Part::Timestamp, value));
    }
    lines.push(Explained::new(
        Part::Signed,
        vec![
            (d.signed_preview.clone(), Tone::Plain),
            (
                format!("  ({})", count(d.signed_len as u64, "byte")),
                Tone::Dim,
            ),
        ],
    ));
    if d.expected.is_empty() {
        lines.push(Explained::new(
            Part::NothingExpected,
            vec![("no secret loaded, nothing to compare".into(), Tone::Dim)],
        ));
    }
    for (i, e) in d.expected.iter().enumerate() {
        lines.push(Explained::plain(Part::Expected(i), e.clone()));
    }
    for r in &d.received {
        let mut value = vec![(r.clone(), Tone::Error)];
        if d.expected.contains(r) {
            value = vec![(r.clone(), Tone::Plain), ("  (matches)".into(), Tone::Dim)];
        }
        lines.push(Explained::new(Part::Received, value));
    }
    if let Some(h) = &d.hint {
        let mut hint = h.clone();
        if matches!(v, Verdict::Stale { .. }) {
            hint.push_str(&format!(" ({})", (clock.hint)(Hint::ResignOrWiden)));
        }
        lines.push(Explained::new(Part::Hint, vec![(hint, Tone::Warn)]));
    }
    lines
}

/// `signed 5 s before check`, or after it when the sender's clock is ahead.
fn skew_text(skew_s: i64, what: &str) -> String {
    if skew_s >= 0 {
        format!("signed {skew_s} s before {what}")
    } else {
        format!(
            "signed {} s after {what} (clock ahead)",
            skew_s.unsigned_abs()
        )
    }
}

/// Verdict block shared by `show` and `verify`: the [`explain`] lines, times in UTC.
pub fn verdict_text(
    v: &Verdict,
    d: Option<&Diagnostics>,
    reference: Option<(i64, &'static str)>,
    matched: Option<String>,
    words: Words,
) -> String {
    let format_ms = |ms: i64| rfc3339_ms(ms);
    let clock = ExplainClock {
        format_ms: &format_ms,
        reference,
        matched,
        hint: words,
    };
    let mut out = String::new();
    for line in explain(v, d, &clock) {
        match line.part {
            Part::Verdict => {
                out.push_str(&format!("{} {}\n", v.badge(), line.text()));
            }
            part => {
                let label = format!("{}:", part.label());
                out.push_str(&format!("  {label:<16}{}\n", line.text()));
            }
        }
    }
    out
}

/// Human `show`; `known` are the secrets loaded now (stored Dataspike secrets, the local
/// development secret), to say which one a signature matched.
pub fn show_text(
    c: &StoredCapture,
    attempts: &[Attempt],
    place: Option<&Place>,
    known: &[crate::signature::Secret],
    words: Words,
) -> String {
    let cap = &c.capture;
    let mut out = format!(
        "capture #{}  {}  {} {}\n",
        c.id,
        rfc3339_ms(cap.received_at_ms),
        cap.method,
        cap.path_and_query()
    );
    out.push_str(&format!(
        "from {}  source {}  body {}{}\n",
        cap.peer.as_deref().unwrap_or("-"),
        cap.source.as_str(),
        human_size(cap.body_size),
        if cap.truncated { " (truncated)" } else { "" }
    ));
    if let Some(r) = &cap.rejected {
        out.push_str(&format!("rejected: {} {}\n", r.status, r.text(words)));
    }
    if let Some(t) = &cap.event.event_type {
        out.push_str(&format!(
            "event: {t}  id {}\n",
            cap.event.event_id.as_deref().unwrap_or("-")
        ));
    }
    if let Some(p) = place {
        out.push_str(&place_line(p));
        out.push('\n');
    }
    if let Some(a) = cap.answered {
        out.push_str(&format!("answered: {}\n", answered_text(a)));
    }
    if let Some(r) = &cap.route {
        out.push_str(&format!("route: {r}\n"));
    }
    if let Some(d) = &cap.dataspike {
        out.push_str(&dataspike_text(d));
    }
    out.push_str("\nSignature\n  ");
    match &cap.dataspike {
        Some(d) => out.push_str(&history_signature(d)),
        None => {
            let matched = matched_label(cap, known, crate::capture::now_ms());
            out.push_str(
                &verdict_text(&cap.verdict, cap.diagnostics.as_ref(), None, matched, words)
                    .replace('\n', "\n  "),
            );
        }
    }
    out = out.trim_end().to_string();
    out.push_str("\n\nHeaders\n");
    for (n, v) in &cap.headers {
        out.push_str(&format!(
            "  {}: {}\n",
            String::from_utf8_lossy(n),
            String::from_utf8_lossy(v)
        ));
    }
    out.push_str("\nBody\n");
    out.push_str(&body_text(&cap.body));
    out.push('\n');
    if !attempts.is_empty() {
        out.push_str("\nAttempts\n");
        let names = crate::capture::attempt_names(attempts);
        for (a, name) in attempts.iter().zip(names) {
            out.push_str(&format!(
                "  {} {} {}{} {}\n",
                rfc3339_ms(a.at_ms),
                name,
                a.target,
                attempt_how(a),
                attempt_brief(&a.brief())
            ));
            if let Some(sent) = &a.sent_body {
                // What the edit changed, against the captured body above.
                let d = crate::diff::compare_bodies(&cap.body, sent);
                out.push_str(&format!("    sent an edited body: {}\n", d.summary()));
                for l in d.lines() {
                    out.push_str(&format!("      {}\n", crate::diff::unified_line(l)));
                }
            }
            if a.status.is_some() {
                let body = String::from_utf8_lossy(&a.response_body);
                let body = clip(body.trim(), 200);
                if !body.is_empty() {
                    out.push_str(&format!("    response: {body}\n"));
                }
                if a.response_truncated {
                    out.push_str("    (response body stored only up to its first 1 MiB)\n");
                }
            }
        }
    }
    out
}

/// `delivery 3 of event 01927c3e…, +2.1 s after the first (3 stored: #4, #9, #12)`, or
/// `the only delivery of event evt_1 stored` for an event delivered once.
pub fn place_line(p: &Place) -> String {
    let key = crate::redelivery::short_key(&p.key);
    if p.of == 1 {
        return format!("the only delivery of event {key} stored");
    }
    let when = match p.n {
        1 => "the first".to_string(),
        _ => format!(
            "{} after the first",
            crate::redelivery::gap_text(p.since_first_ms)
        ),
    };
    let others: Vec<String> = p.siblings.iter().map(|id| format!("#{id}")).collect();
    format!(
        "delivery {} of event {key}, {when} (also {})",
        p.n,
        others.join(", ")
    )
}

/// How the listener answered the sender: `503 by choice, not forwarded`, `200 once stored`,
/// `the app's answer, passed back`.
pub fn answered_text(a: Answered) -> String {
    match a {
        Answered::Chosen {
            status,
            delay_ms: 0,
        } => {
            format!("{status} by choice, not forwarded")
        }
        Answered::Chosen { status, delay_ms } => {
            format!("{status} by choice after {delay_ms} ms, not forwarded")
        }
        Answered::Ack => "200 once stored".to_string(),
        Answered::App => "the app's answer, passed back".to_string(),
    }
}

/// How an attempt differed from its capture, for a line that names it: `" (edited body,
/// re-signed)"`, `" (re-signed)"` or nothing.
pub fn attempt_how(a: &Attempt) -> &'static str {
    match (a.sent_body.is_some(), a.resigned) {
        (true, _) => " (edited body, re-signed)",
        (false, true) => " (re-signed)",
        (false, false) => "",
    }
}

/// Pretty JSON when the body is JSON, the text when it is UTF-8, else a hex dump.
pub fn body_text(body: &[u8]) -> String {
    if body.is_empty() {
        return "  (empty)".into();
    }
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        if let Ok(p) = serde_json::to_string_pretty(&v) {
            return p;
        }
    }
    match std::str::from_utf8(body) {
        Ok(t) => t.to_string(),
        Err(_) => hex_dump(body),
    }
}

/// `00000000  7b 22 69 64  ...  |{"id|` lines, 16 bytes each.
pub fn hex_dump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let ascii: String = chunk
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        out.push_str(&format!(
            "{:08x}  {:<47}  |{ascii}|\n",
            i * 16,
            hex.join(" ")
        ));
    }
    out
}

/// What Dataspike's history says about a pulled capture: the label, its summary, and every
/// delivery member as reported.
pub fn dataspike_text(d: &crate::capture::DataspikeDelivery) -> String {
    let mut out = format!("dataspike: {}\n", crate::capture::DataspikeDelivery::LABEL);
    out.push_str(&format!(
        "  webhook {}, entry {}: {}\n",
        d.webhook_id.as_deref().unwrap_or("-"),
        d.entry_id,
        d.summary()
    ));
    out.push_str(&format!("  as reported: {}\n", d.facts));
    out
}

/// The signature block of a capture pulled from the history: it has none to check.
pub fn history_signature(d: &crate::capture::DataspikeDelivery) -> String {
    format!(
        "-- dataspike: not signed: Dataspike's history gives the event as JSON, not the request it sent; a replay re-signs it with the stored secret of webhook {}",
        d.webhook_id.as_deref().unwrap_or("(none named)")
    )
}

/// `show --json`.
pub fn show_json(c: &StoredCapture, attempts: &[Attempt], place: Option<&Place>) -> Value {
    let cap = &c.capture;
    let mut v = cap.summary(c.id).to_json();
    let b64 = base64::engine::general_purpose::STANDARD;
    if let Value::Object(m) = &mut v {
        m.insert(
            "delivery".into(),
            match place {
                Some(p) => json!({
                    "event": p.key,
                    "n": p.n,
                    "of": p.of,
                    "since_first_ms": p.since_first_ms,
                    "siblings": p.siblings,
                }),
                None => Value::Null,
            },
        );
        m.insert("peer".into(), json!(cap.peer));
        m.insert("headers".into(), headers_json(&cap.headers));
        m.insert("body".into(), json!(std::str::from_utf8(&cap.body).ok()));
        m.insert("body_base64".into(), json!(b64.encode(&cap.body)));
        m.insert("diagnostics".into(), json!(cap.diagnostics));
        if let Some(d) = &cap.dataspike {
            m.insert("dataspike".into(), d.to_json());
        }
        if let Some(r) = &cap.relay {
            m.insert(
                "relay".into(),
                json!({
                    "url": r.url,
                    "channel": r.channel,
                    "seq": r.seq,
                    "received_at": crate::capture::rfc3339_ms(r.received_at_ms),
                    "verdict": r.verdict,
                }),
            );
        }
        m.insert(
            "attempts".into(),
            Value::Array(attempts.iter().map(Attempt::to_json).collect()),
        );
        if let Some(last) = attempts.last() {
            m.insert("latest_attempt".into(), json!(last.brief()));
        }
    }
    v
}

/// A progress bar on stderr; indicatif draws nothing when stderr is not a terminal.
pub fn progress_bar(len: usize, message: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message);
    bar
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::hint::words as cli;

    fn summary(id: i64, path: &str, verdict: Verdict) -> CaptureSummary {
        CaptureSummary {
            id,
            received_at_ms: 1_765_000_000_000,
            method: "POST".into(),
            path: path.into(),
            query: Some("attempt=1".into()),
            event_type: Some("AML_SCREENING".into()),
            event_id: None,
            body_size: 2048,
            truncated: false,
            rejected: None,
            source: Default::default(),
            verdict,
            latest_attempt: Some(AttemptBrief {
                status: Some(200),
                latency_ms: Some(12),
                error: None,
            }),
            route: None,
            event_key: None,
            answered: None,
            delivery: None,
        }
    }

    fn rows() -> Vec<CaptureSummary> {
        let valid = Verdict::Valid {
            scheme: Scheme::Dataspike,
            secret_index: 0,
            skew_s: 1,
        };
        vec![
            summary(12345, "/dataspike/webhooks/verification/results", valid),
            summary(7, "/h", Verdict::Unsigned),
        ]
    }

    fn header(table: &str) -> Vec<&str> {
        table.lines().next().unwrap().split_whitespace().collect()
    }

    #[test]
    fn a_fitted_list_never_passes_the_width_and_keeps_the_badge_and_id() {
        for width in [24, 40, 60, 80, 100, 120, 160] {
            let table = list_table(&rows(), Some(width), cli);
            for line in table.lines() {
                assert!(line.chars().count() <= width, "{width}: {line:?}");
            }
            let h = header(&table);
            assert!(h.contains(&"SIG") && h.contains(&"ID"), "{width}: {h:?}");
        }
        // 80 columns: the least useful go first, the method before the size before the reason.
        let table = list_table(&rows(), Some(80), cli);
        let h = header(&table);
        assert!(!h.contains(&"METHOD") && h.contains(&"EVENT"), "{h:?}");
        // Room for all: every column, nothing cut.
        let wide = list_table(&rows(), Some(400), cli);
        assert_eq!(
            header(&wide),
            ["ID", "RECEIVED", "SIG", "METHOD", "PATH", "EVENT", "SIZE", "APP", "REASON"]
        );
        assert!(wide.contains("/dataspike/webhooks/verification/results?attempt=1"));
    }

    #[test]
    fn a_listed_probe_or_relayed_capture_shows_its_source() {
        use crate::capture::Source;
        let mut probe = rows().remove(1);
        probe.source = Source::Check;
        let mut relayed = rows().remove(1);
        relayed.source = Source::Relay;
        let table = list_table(&[probe, relayed], None, cli);
        assert!(table.contains("[check] /h?attempt=1"), "{table}");
        assert!(table.contains("[relay] /h?attempt=1"), "{table}");
        assert!(!list_table(&rows(), None, cli).contains('['));
    }

    #[test]
    fn a_narrow_list_shortens_the_date_and_cuts_the_path_in_the_middle() {
        let table = list_table(&rows(), Some(70), cli);
        let first = table.lines().nth(1).unwrap();
        assert!(!first.contains("2025-"), "the year goes first: {first}");
        let path = list_table(&rows(), Some(110), cli);
        assert!(path.contains('…'), "{path}");
        assert!(
            path.contains("/datas") && path.contains("attempt=1"),
            "{path}"
        );
        assert_eq!(
            fit_cell(ListCol::Received, "2025-12-06 06:46:40", 14),
            "12-06 06:46:40"
        );
        assert_eq!(
            fit_cell(ListCol::Received, "2025-12-06 06:46:40", 10),
            "06:46:40"
        );
    }

    #[test]
    fn a_list_with_no_reason_drops_the_empty_column_when_fitted() {
        let valid: Vec<CaptureSummary> = rows().into_iter().take(1).collect();
        assert!(!header(&list_table(&valid, Some(400), cli)).contains(&"REASON"));
        // The full layout stays the same for scripts.
        assert!(list_table(&valid, None, cli)
            .lines()
            .next()
            .unwrap()
            .ends_with("REASON"));
    }

    #[test]
    fn hex_dump_shape() {
        let d = hex_dump(b"\xff{\"a\"}");
        assert_eq!(
            d,
            "00000000  ff 7b 22 61 22 7d                                |.{\"a\"}|\n"
        );
    }

    #[test]
    fn body_text_prefers_pretty_json() {
        assert_eq!(body_text(b"{\"a\":1}"), "{\n  \"a\": 1\n}");
        assert_eq!(body_text(b"plain"), "plain");
        assert!(body_text(b"\xff\xfe").starts_with("00000000"));
    }

    #[test]
    fn headless_line_has_badge_reason_and_attempt() {
        let s = CaptureSummary {
            id: 7,
            received_at_ms: 0,
            method: "POST".into(),
            path: "/hook".into(),
            query: Some("a=1".into()),
            event_type: Some("DOCVER".into()),
            event_id: None,
            body_size: 2048,
            truncated: false,
            rejected: None,
            source: Default::default(),
            verdict: Verdict::Unsigned,
            latest_attempt: Some(AttemptBrief {
                status: Some(200),
                latency_ms: Some(12),
                error: None,
            }),
            route: None,
            event_key: None,
            answered: None,
            delivery: None,
        };
        assert_eq!(
            capture_line(&s, "12:00:00", cli),
            "12:00:00 FAIL            POST /hook?a=1 DOCVER 2.0 KiB #7 (unsigned: no known signature header) -> 200 (12 ms)"
        );
    }

    #[test]
    fn explanation_numbers_secrets_from_zero_and_advises_where_shown() {
        let ds = Scheme::Dataspike;
        let d = Diagnostics {
            timestamp: Some(1_700_000_000),
            signed_preview: "1700000000.{}".into(),
            signed_len: 13,
            expected: vec!["aa".into(), "bb".into()],
            received: vec!["bb".into()],
            hint: None,
        };
        let valid = Verdict::Valid {
            scheme: ds,
            secret_index: 1,
            skew_s: 10,
        };
        let text = verdict_text(&valid, Some(&d), Some((1_700_000_010, "check")), None, cli);
        assert!(text.starts_with("PASS dataspike valid\n"), "{text}");
        assert!(
            text.contains("matched secret: #1 (#0 is the first secret given)"),
            "{text}"
        );
        assert!(text.contains("signed 10 s before check"), "{text}");
        assert!(text.contains("expected #0:    aa"), "{text}");
        assert!(text.contains("received:       bb  (matches)"), "{text}");
        let unverified = Verdict::Unverified { scheme: ds };
        assert_eq!(
            unverified.reason().unwrap(),
            "no secret configured for dataspike"
        );
        let text = verdict_text(&unverified, None, None, None, cli);
        assert!(
            text.starts_with(
                "-- dataspike unverified: no secret configured for dataspike (pass --secret or set HOOKSCOPE_SECRET)\n"
            ),
            "{text}"
        );
        let text = verdict_text(
            &Verdict::Unverified {
                scheme: Scheme::Stripe,
            },
            None,
            None,
            None,
            cli,
        );
        assert!(
            text.starts_with(
                "-- stripe unverified: no secret configured for stripe (pass --secret stripe=..."
            ),
            "{text}"
        );
        let text = verdict_text(&Verdict::Unsigned, None, None, None, cli);
        assert!(
            text.contains("hint:           the request carried no X-Webhook-Signature"),
            "{text}"
        );
    }

    #[test]
    fn a_pass_under_the_dev_secret_says_so() {
        let secret = crate::signature::Secret::parse(
            "whsec_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        )
        .unwrap();
        let body = b"{}".to_vec();
        let headers = crate::signature::sign_headers(&secret, 1_700_000_000, &body)
            .into_iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.into_bytes()))
            .collect();
        let c = crate::capture::Capture::new(0, "POST", "/", headers, body);
        assert!(signed_by(&c, &secret), "old signatures still count");
        let (other, _) = crate::signature::Secret::generate();
        assert!(!signed_by(&c, &other));
        let valid = Verdict::Valid {
            scheme: Scheme::Dataspike,
            secret_index: 0,
            skew_s: 0,
        };
        let dev = secret.clone().with_origin(crate::signature::Origin::Dev);
        let matched = matched_label(&c, &[other.clone(), dev], 0);
        let text = verdict_text(&valid, None, None, matched, cli);
        assert!(
            text.contains(
                "matched the local development secret (local-only, not a Dataspike secret)"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_delivery_says_where_it_sits_among_its_events_and_how_it_was_answered() {
        let place = |n, of, ms, siblings: Vec<i64>| Place {
            key: "01927c3e-7d1a-7c2b-9a30-7ab7cc169d11".into(),
            n,
            of,
            since_first_ms: ms,
            siblings,
        };
        assert_eq!(
            place_line(&place(3, 3, 2_100, vec![4, 9])),
            "delivery 3 of event 01927c3e…, +2.1 s after the first (also #4, #9)"
        );
        assert_eq!(
            place_line(&place(1, 2, 0, vec![9])),
            "delivery 1 of event 01927c3e…, the first (also #9)"
        );
        assert_eq!(
            place_line(&place(1, 1, 0, vec![])),
            "the only delivery of event 01927c3e… stored"
        );
        let chosen = |delay_ms| Answered::Chosen {
            status: 503,
            delay_ms,
        };
        assert_eq!(answered_text(chosen(0)), "503 by choice, not forwarded");
        assert_eq!(
            answered_text(chosen(1500)),
            "503 by choice after 1500 ms, not forwarded"
        );
        assert_eq!(answered_text(Answered::Ack), "200 once stored");
    }
}
