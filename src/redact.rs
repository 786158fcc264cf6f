//! Redaction: personal data in captured bodies and headers replaced with deterministic fakes,
//! for what leaves the store (`export --redact`, `show --redact`, `wait --redact`,
//! `mcp --redact`).
//!
//! [`Rules`] say what to replace: JSON paths (Dataspike's personal fields by default, plus the
//! user's) and header names. A [`Redactor`] holds the rules, a key made from a per-run random
//! [`Salt`], and the counts of what it replaced. A fake is drawn from a keyed hash of the value,
//! so the same value gets the same fake everywhere in one run (a name in `full_name` and in
//! `requested_name` stays one name), a new run gives new fakes, and nothing of the value
//! survives but its shape:
//! - a name-like string (capitalised words) becomes names from a built-in list;
//! - an ISO date (`1990-04-01`, also the date of a date-time) another valid date in the same
//!   format, the rest of the string kept;
//! - an email a fake local part at `example.com`, `.org` or `.net`;
//! - a hex string (`0x...`, a UUID) other hex digits, the `0x` and dashes kept;
//! - any other string the same length, letters for letters (case kept), digits for digits,
//!   everything else (spaces, `+`, `-`, `.`, `@`) kept;
//! - a number another number with as many digits; booleans and null stay.
//!
//! Checksums (IBAN, wallet addresses) do not hold in a fake. Object keys and their order are
//! kept; a body that is not JSON is left as it is and counted in [`Counts::not_json`].
//!
//! Pure: bytes and values in and out; the caller makes the salt and prints the counts.

use hmac::{Hmac, Mac};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Number, Value};
use sha2::Sha256;

use crate::capture::{Attempt, Capture};
use crate::headers::HeaderPair;

/// Dataspike's personal fields, as path patterns (`**.` is any depth; arrays are passed
/// through). Names, dates of birth, document numbers, addresses (a KYT wallet's `address`
/// too), emails, phones, bank accounts, and the details of AML hits.
const DEFAULT_PATHS: &[&str] = &[
    // Names.
    "**.full_name",
    "**.requested_name",
    "**.first_name",
    "**.middle_name",
    "**.last_name",
    "**.maiden_name",
    "**.surname",
    "**.given_names",
    "**.counterparty.name",
    // Dates of birth.
    "**.date_of_birth",
    "**.birth_date",
    "**.birth_dates",
    "**.dob",
    // Document numbers.
    "**.document_number",
    "**.personal_number",
    "**.passport_number",
    "**.id_number",
    "**.mrz",
    // Addresses, wallet addresses included.
    "**.address",
    "**.addresses",
    "**.wallet_address",
    "**.street",
    "**.postal_code",
    // Emails and phones.
    "**.email",
    "**.account_email",
    "**.phone",
    "**.phone_number",
    // Bank accounts.
    "**.iban",
    "**.account_number",
    "**.counterparty.account",
    // AML hits: who was hit (see HIT_KEEP for what stays).
    "**.search_result.data",
    "**.search_response.data",
];

/// What an AML hit keeps: how it matched and how risky it is, not who it is.
const HIT_KEEP: &[&str] = &[
    "entity_type",
    "match_score",
    "risk_score",
    "score",
    "tags",
    "sources",
    "datasets",
    "topics",
];

/// Headers whose values are credentials rather than webhook data; redacted by default.
const DEFAULT_HEADERS: &[&str] = &["authorization", "proxy-authorization", "cookie"];

const FIRST_NAMES: &[&str] = &[
    "Alex", "Maria", "John", "Olga", "Peter", "Anna", "Lucas", "Sofia", "David", "Elena", "Mark",
    "Nina", "Omar", "Lena", "Tomas", "Ines",
];

const LAST_NAMES: &[&str] = &[
    "Smith", "Keller", "Novak", "Garcia", "Jensen", "Rossi", "Dubois", "Silva", "Kowalski",
    "Moreau", "Fischer", "Berg", "Costa", "Weber", "Horvat", "Lind",
];

const EMAIL_DOMAINS: &[&str] = &["example.com", "example.org", "example.net"];

/// One segment of a path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    /// This object key exactly.
    Key(String),
    /// `*`: any one key.
    One,
    /// `**`: any keys, none included.
    Any,
}

/// A path pattern and what its matches are counted as.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PathRule {
    /// The pattern as written, without a leading `**.`: `full_name`, `payload.custom`.
    label: String,
    segs: Vec<Seg>,
    /// Keys left as they are anywhere under a match.
    keep: &'static [&'static str],
}

/// What to redact: JSON path patterns and header names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    paths: Vec<PathRule>,
    /// Lowercase.
    headers: Vec<String>,
}

impl Rules {
    /// Dataspike's default fields and headers (with `defaults`), plus `paths` and `headers` of
    /// the user's. A path is dot-separated object keys from the body's root
    /// (`payload.custom.field`); arrays on the way are passed through (`payload.documents.id`
    /// reaches every document's `id`); `*` is any one key, `**` any keys. Errors say which
    /// path is wrong and why.
    pub(crate) fn new(
        defaults: bool,
        paths: &[String],
        headers: &[String],
    ) -> Result<Rules, String> {
        let mut rules = Rules::default();
        if defaults {
            for p in DEFAULT_PATHS {
                let mut rule = parse_path(p)?;
                if p.ends_with(".data") {
                    rule.keep = HIT_KEEP;
                }
                rules.paths.push(rule);
            }
            rules
                .headers
                .extend(DEFAULT_HEADERS.iter().map(|h| h.to_string()));
        }
        for p in paths {
            rules.paths.push(parse_path(p)?);
        }
        for h in headers {
            let name = h.trim();
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
                return Err(format!(
                    "redact header '{h}' is not a header name; write e.g. \"X-Tenant\""
                ));
            }
            rules.headers.push(name.to_ascii_lowercase());
        }
        Ok(rules)
    }

    /// The first rule matching the object keys of `path`.
    fn rule_for(&self, path: &[&str]) -> Option<&PathRule> {
        self.paths.iter().find(|r| matches(&r.segs, path))
    }

    fn redacts_header(&self, name: &[u8]) -> bool {
        self.headers
            .iter()
            .any(|h| h.as_bytes().eq_ignore_ascii_case(name))
    }
}

/// Checks one path pattern.
fn parse_path(text: &str) -> Result<PathRule, String> {
    let trimmed = text.trim();
    let mut segs = Vec::new();
    for part in trimmed.split('.') {
        // `documents[]` and `documents[*]` say what arrays do anyway.
        let part = part
            .strip_suffix("[*]")
            .or_else(|| part.strip_suffix("[]"))
            .unwrap_or(part);
        segs.push(match part {
            "" => {
                return Err(format!(
                    "redact path '{text}' has an empty key; write dot-separated keys, e.g. payload.custom.field"
                ))
            }
            "*" => Seg::One,
            "**" => Seg::Any,
            key => Seg::Key(key.to_string()),
        });
    }
    if segs.iter().all(|s| *s == Seg::Any) {
        return Err(format!(
            "redact path '{text}' matches the whole body; name at least one key"
        ));
    }
    Ok(PathRule {
        label: trimmed.strip_prefix("**.").unwrap_or(trimmed).to_string(),
        segs,
        keep: &[],
    })
}

fn matches(segs: &[Seg], path: &[&str]) -> bool {
    match segs.split_first() {
        None => path.is_empty(),
        Some((Seg::Any, rest)) => (0..=path.len()).any(|i| matches(rest, &path[i..])),
        Some((Seg::One, rest)) => !path.is_empty() && matches(rest, &path[1..]),
        Some((Seg::Key(k), rest)) => path.first() == Some(&k.as_str()) && matches(rest, &path[1..]),
    }
}

/// The per-run secret fakes are drawn with: a new one per export, so fakes cannot be linked
/// across runs or turned back into values by hashing guesses.
#[derive(Clone)]
pub(crate) struct Salt([u8; 32]);

impl Salt {
    /// A fresh random salt.
    pub(crate) fn random() -> Salt {
        Salt(rand::random())
    }

    /// A fixed salt, for tests.
    #[cfg(test)]
    pub(crate) fn fixed(byte: u8) -> Salt {
        Salt([byte; 32])
    }
}

/// What one run redacted: values per rule, in the order first seen, and bodies left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// (rule label or `header NAME`, values replaced).
    pub(crate) fields: Vec<(String, u64)>,
    /// Bodies that were not JSON and so were left as they are.
    pub(crate) not_json: u64,
}

impl Counts {
    fn add(&mut self, label: &str) {
        match self.fields.iter_mut().find(|(l, _)| l == label) {
            Some((_, n)) => *n += 1,
            None => self.fields.push((label.to_string(), 1)),
        }
    }

    /// What was added after `earlier` (an earlier copy of these counts): one copy's share of
    /// a session's counts.
    pub(crate) fn since(&self, earlier: &Counts) -> Counts {
        let fields = self
            .fields
            .iter()
            .filter_map(|(label, n)| {
                let was = earlier
                    .fields
                    .iter()
                    .find(|(l, _)| l == label)
                    .map_or(0, |(_, n)| *n);
                (*n > was).then(|| (label.clone(), n - was))
            })
            .collect();
        Counts {
            fields,
            not_json: self.not_json.saturating_sub(earlier.not_json),
        }
    }

    /// Values replaced in all.
    pub(crate) fn total(&self) -> u64 {
        self.fields.iter().map(|(_, n)| n).sum()
    }

    /// `full_name x2, date_of_birth x4`, or `nothing` when nothing was replaced.
    pub(crate) fn summary(&self) -> String {
        if self.fields.is_empty() {
            return "nothing".into();
        }
        let parts: Vec<String> = self
            .fields
            .iter()
            .map(|(label, n)| format!("{label} x{n}"))
            .collect();
        parts.join(", ")
    }
}

/// Rules, the run's key and what was redacted so far.
pub(crate) struct Redactor {
    rules: Rules,
    key: Salt,
    counts: Counts,
}

impl Redactor {
    /// A redactor for one run.
    pub(crate) fn new(rules: Rules, salt: Salt) -> Redactor {
        Redactor {
            rules,
            key: salt,
            counts: Counts::default(),
        }
    }

    /// What was redacted so far.
    pub(crate) fn counts(&self) -> &Counts {
        &self.counts
    }

    /// The body with its matching values replaced; `None` when it is not JSON (then it should
    /// be left as it is; counted in [`Counts::not_json`]). The body's bytes are kept exactly
    /// when nothing matched; otherwise it is written again, pretty when it was on several
    /// lines, else compact.
    pub(crate) fn body(&mut self, bytes: &[u8]) -> Option<Vec<u8>> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Some(bytes.to_vec());
        }
        let Ok(mut value) = serde_json::from_slice::<Value>(bytes) else {
            self.counts.not_json += 1;
            return None;
        };
        let before = self.counts.total();
        let mut path = Vec::new();
        self.walk(&mut value, &mut path);
        if self.counts.total() == before {
            return Some(bytes.to_vec());
        }
        let written = if bytes.contains(&b'\n') {
            serde_json::to_vec_pretty(&value)
        } else {
            serde_json::to_vec(&value)
        };
        // A `Value` always serializes.
        Some(written.unwrap_or_default())
    }

    /// Replaces the values of the headers the rules name.
    pub(crate) fn headers(&mut self, headers: &mut [HeaderPair]) {
        for (name, value) in headers.iter_mut() {
            if self.rules.redacts_header(name) {
                let text = String::from_utf8_lossy(value).into_owned();
                *value = self.fake_chars(&text, b'h').into_bytes();
                let label = format!("header {}", String::from_utf8_lossy(name));
                self.counts.add(&label);
            }
        }
    }

    /// A capture redacted in place: body, headers, and the body's size and `Content-Length`
    /// when its length changed. The signature check's preview of the signed bytes is dropped.
    /// A body that is not JSON is left as it is.
    pub(crate) fn capture(&mut self, c: &mut Capture) {
        let req = &mut c.request;
        if let Some(body) = self.body(&req.body) {
            if body.len() != req.body.len() {
                if !c.truncated {
                    req.body_size = body.len() as u64;
                }
                set_content_length(&mut req.headers, body.len());
            }
            req.body = body;
        }
        self.headers(&mut req.headers);
        if let Some(d) = c.diagnostics.as_mut() {
            d.signed_preview = "(redacted)".into();
        }
    }

    /// An attempt redacted in place: the body and headers it sent, and the app's answer.
    pub(crate) fn attempt(&mut self, a: &mut Attempt) {
        if let Some(sent) = a.sent_body.as_mut() {
            if let Some(body) = self.body(sent) {
                if let Some(h) = a.sent_headers.as_mut() {
                    set_content_length(h, body.len());
                }
                *sent = body;
            }
        }
        if let Some(h) = a.sent_headers.as_mut() {
            self.headers(h);
        }
        if let Some(body) = self.body(&a.response_body) {
            if body.len() != a.response_body.len() {
                set_content_length(&mut a.response_headers, body.len());
            }
            a.response_body = body;
        }
        self.headers(&mut a.response_headers);
    }

    fn walk(&mut self, value: &mut Value, path: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    path.push(key.clone());
                    let keys: Vec<&str> = path.iter().map(String::as_str).collect();
                    match self.rules.rule_for(&keys) {
                        Some(rule) => {
                            let (label, keep) = (rule.label.clone(), rule.keep);
                            self.fake_tree(child, &label, keep);
                        }
                        None => self.walk(child, path),
                    }
                    path.pop();
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.walk(item, path);
                }
            }
            _ => {}
        }
    }

    fn fake_tree(&mut self, value: &mut Value, label: &str, keep: &[&str]) {
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    if !keep.contains(&key.as_str()) {
                        self.fake_tree(child, label, keep);
                    }
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.fake_tree(item, label, keep);
                }
            }
            Value::String(s) => {
                *s = self.fake_string(s);
                self.counts.add(label);
            }
            Value::Number(n) => {
                *n = self.fake_number(n);
                self.counts.add(label);
            }
            Value::Bool(_) | Value::Null => {}
        }
    }

    /// A generator seeded by the keyed hash of `text` (and what kind of fake it is for).
    fn rng(&self, text: &str, kind: u8) -> StdRng {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key.0)
            .expect("HMAC takes a key of any length");
        mac.update(&[kind]);
        mac.update(text.as_bytes());
        StdRng::from_seed(mac.finalize().into_bytes().into())
    }

    fn fake_string(&self, s: &str) -> String {
        if let Some(fake) = self.fake_date(s) {
            return fake;
        }
        if let Some((local, domain)) = s.split_once('@') {
            if !local.is_empty() && domain.contains('.') && !domain.contains('@') {
                let mut rng = self.rng(s, b'e');
                let domain = EMAIL_DOMAINS[rng.random_range(0..EMAIL_DOMAINS.len())];
                return format!("{}@{domain}", self.fake_chars(local, b'e'));
            }
        }
        if is_name_like(s) {
            let mut rng = self.rng(s, b'n');
            let mut out = String::with_capacity(s.len());
            let mut first = true;
            for (i, word) in s.split(' ').enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                if word.is_empty() {
                    continue;
                }
                let list = if first { FIRST_NAMES } else { LAST_NAMES };
                first = false;
                out.push_str(list[rng.random_range(0..list.len())]);
            }
            return out;
        }
        self.fake_chars(s, b's')
    }

    /// `YYYY-MM-DD` at the start of `s` (a date or a date-time): another valid date within ten
    /// years of it, the rest of `s` kept.
    fn fake_date(&self, s: &str) -> Option<String> {
        use chrono::{Datelike, NaiveDate};
        let head = s.get(..10)?;
        let b = head.as_bytes();
        let shaped = b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
        if !shaped {
            return None;
        }
        let date = NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()?;
        let mut rng = self.rng(head, b'd');
        let year = (date.year() + rng.random_range(-10..=10)).clamp(1000, 9999);
        let month = rng.random_range(1..=12u32);
        // The day drawn, else the month's last day before it (no 31st of June).
        let day = rng.random_range(1..=31u32);
        let fake = (1..=day)
            .rev()
            .find_map(|d| NaiveDate::from_ymd_opt(year, month, d))?;
        Some(format!("{}{}", fake.format("%Y-%m-%d"), &s[10..]))
    }

    /// Same length, letters for letters (case kept), digits for digits; a hex string (a
    /// `0x` address, a UUID) keeps to hex digits. Anything else stays.
    fn fake_chars(&self, s: &str, kind: u8) -> String {
        const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
        const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        const HEX_LOWER: &[u8] = b"abcdef";
        const HEX_UPPER: &[u8] = b"ABCDEF";
        let (prefix, rest) = match s.get(..2) {
            Some("0x" | "0X") => s.split_at(2),
            _ => ("", s),
        };
        let hex = rest.len() >= 8
            && rest.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            && rest.chars().any(|c| c.is_ascii_hexdigit());
        let (lower, upper) = if hex {
            (HEX_LOWER, HEX_UPPER)
        } else {
            (LOWER, UPPER)
        };
        let mut rng = self.rng(s, kind);
        let mut out = String::with_capacity(s.len());
        out.push_str(prefix);
        for c in rest.chars() {
            let pick =
                |set: &[u8], rng: &mut StdRng| char::from(set[rng.random_range(0..set.len())]);
            out.push(if c.is_ascii_digit() {
                char::from(b'0' + rng.random_range(0..10u8))
            } else if c.is_uppercase() {
                pick(upper, &mut rng)
            } else if c.is_alphabetic() {
                pick(lower, &mut rng)
            } else {
                c
            });
        }
        out
    }

    /// As many digits (before and after the point), the sign kept; the first digit is not 0
    /// unless the number is a single digit, and `0.x` stays `0.y`.
    fn fake_number(&self, n: &Number) -> Number {
        let text = n.to_string();
        let mut rng = self.rng(&text, b'#');
        let mut out = String::with_capacity(text.len());
        let mut leading = true;
        let int_len = text
            .trim_start_matches('-')
            .chars()
            .take_while(char::is_ascii_digit)
            .count();
        // `0.93` stays below 1: a share or a score keeps its range.
        let zero_point = text.trim_start_matches('-').starts_with("0.");
        for c in text.chars() {
            if c.is_ascii_digit() && leading && zero_point {
                out.push('0');
                leading = false;
            } else if c.is_ascii_digit() {
                let low = if leading && int_len > 1 { 1 } else { 0 };
                out.push(char::from(b'0' + rng.random_range(low..10u8)));
                leading = false;
            } else {
                out.push(c);
            }
        }
        serde_json::from_str::<Number>(&out).unwrap_or_else(|_| Number::from(0))
    }
}

/// Capitalised words of letters (`Ivan Sample`, `Jean-Luc O'Neil`): a name, or at least
/// something a name should stand in for.
fn is_name_like(s: &str) -> bool {
    let words: Vec<&str> = s.split(' ').filter(|w| !w.is_empty()).collect();
    !words.is_empty()
        && words.iter().all(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                && w.chars()
                    .all(|c| c.is_alphabetic() || c == '-' || c == '\'')
        })
}

/// Sets an existing `Content-Length` to `len`; adds none.
fn set_content_length(headers: &mut [HeaderPair], len: usize) {
    for (name, value) in headers.iter_mut() {
        if name.eq_ignore_ascii_case(b"content-length") {
            *value = len.to_string().into_bytes();
        }
    }
}

/// `body` redacted by `rules` with `salt`, and what was redacted; a body that is not JSON comes
/// back as it is, counted in [`Counts::not_json`]. The one-shot form of [`Redactor::body`].
#[cfg(test)]
pub(crate) fn redact_body(body: &[u8], rules: &Rules, salt: &Salt) -> (Vec<u8>, Counts) {
    let mut r = Redactor::new(rules.clone(), salt.clone());
    let out = r.body(body).unwrap_or_else(|| body.to_vec());
    (out, r.counts)
}

/// `headers` with the values of the headers `rules` name redacted, and what was redacted. The
/// one-shot form of [`Redactor::headers`].
#[cfg(test)]
pub(crate) fn redact_headers(
    headers: &[HeaderPair],
    rules: &Rules,
    salt: &Salt,
) -> (Vec<HeaderPair>, Counts) {
    let mut r = Redactor::new(rules.clone(), salt.clone());
    let mut out = headers.to_vec();
    r.headers(&mut out);
    (out, r.counts)
}

#[cfg(test)]
mod tests;
