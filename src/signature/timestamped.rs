//! The `t={unix},{tag}={sig}[,{tag}={sig}...]` header shape shared by Dataspike and Stripe:
//! items split on `,`, each on its first `=`, spaces trimmed; `t` is 1-10 ASCII digits and
//! appears once; several signatures under `tag` are kept in order; other tags (`v0`, future
//! ones) are ignored, never used as a fallback. The scheme decides what a signature must look
//! like through `decode`. Pure.

use super::Reason;

/// Most digits a Unix-seconds `t` may have (10 digits last until the year 2286).
pub const MAX_T_DIGITS: usize = 10;

/// A header that parsed: its `t` and every signature under the scheme's tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamped<S> {
    pub t: i64,
    /// Each signature as written (lower-cased) and as `decode` read it, in order.
    pub signatures: Vec<(String, S)>,
}

/// Why a header of this shape does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemError {
    NotText,
    ItemWithoutEquals { item: String },
    MissingTimestamp,
    DuplicateTimestamp,
    NonNumericTimestamp { value: String },
    OverlongTimestamp { digits: usize },
    MissingSignature,
    MalformedSignature { value: String },
}

/// Parses one header value; `decode` turns a signature's text into bytes or rejects it.
pub fn parse<S>(
    value: &[u8],
    tag: &str,
    decode: impl Fn(&str) -> Option<S>,
) -> Result<Timestamped<S>, ItemError> {
    let text = std::str::from_utf8(value)
        .ok()
        .filter(|s| s.is_ascii())
        .ok_or(ItemError::NotText)?;
    let mut t: Option<i64> = None;
    let mut signatures = Vec::new();
    for raw in text.split(',') {
        let item = raw.trim();
        if item.is_empty() {
            continue;
        }
        let Some((name, val)) = item.split_once('=') else {
            return Err(ItemError::ItemWithoutEquals {
                item: clip(item, 40),
            });
        };
        let (name, val) = (name.trim(), val.trim());
        if name == "t" {
            if t.is_some() {
                return Err(ItemError::DuplicateTimestamp);
            }
            t = Some(parse_t(val)?);
        } else if name == tag {
            let sig = decode(val).ok_or_else(|| ItemError::MalformedSignature {
                value: clip(val, 80),
            })?;
            signatures.push((val.to_ascii_lowercase(), sig));
        }
    }
    let t = t.ok_or(ItemError::MissingTimestamp)?;
    if signatures.is_empty() {
        return Err(ItemError::MissingSignature);
    }
    Ok(Timestamped { t, signatures })
}

fn parse_t(val: &str) -> Result<i64, ItemError> {
    if val.is_empty() || !val.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ItemError::NonNumericTimestamp {
            value: clip(val, 40),
        });
    }
    if val.len() > MAX_T_DIGITS {
        return Err(ItemError::OverlongTimestamp { digits: val.len() });
    }
    val.parse::<i64>()
        .map_err(|_| ItemError::NonNumericTimestamp {
            value: clip(val, 40),
        })
}

impl ItemError {
    /// The reason an invalid verdict of a scheme with this header shape carries; `header`
    /// names the header, `what` says what a `v1` must be ("64 hex digits").
    pub fn reason(&self, header: &str, what: &str) -> Reason {
        let (code, message) = match self {
            ItemError::NotText => ("not_text", format!("{header} is not ASCII text")),
            ItemError::ItemWithoutEquals { item } => (
                "item_without_equals",
                format!("malformed item '{item}': expected 'name=value'"),
            ),
            ItemError::MissingTimestamp => (
                "missing_timestamp",
                "missing t (expected 't=<unix seconds>')".to_string(),
            ),
            ItemError::DuplicateTimestamp => (
                "duplicate_timestamp",
                "duplicate t: the header carries t twice".to_string(),
            ),
            ItemError::NonNumericTimestamp { value } => (
                "non_numeric_timestamp",
                format!("t '{value}' is not a number of seconds"),
            ),
            ItemError::OverlongTimestamp { digits } => (
                "overlong_timestamp",
                format!("t has {digits} digits; at most {MAX_T_DIGITS} allowed"),
            ),
            ItemError::MissingSignature => {
                ("missing_v1", "no v1 signature in the header".to_string())
            }
            ItemError::MalformedSignature { value } => (
                "malformed_v1",
                format!("v1 '{value}' is not {what} (got {})", value.len()),
            ),
        };
        Reason::new(code, message)
    }
}

/// At most `max` bytes of `s` (cut at a character boundary), `…` when cut.
pub fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        s.to_string()
    } else {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(v: &str) -> Option<String> {
        (!v.is_empty()).then(|| v.to_string())
    }

    #[test]
    fn items_trimmed_several_signatures_unknown_ignored() {
        let p = parse(b" t = 42 , v0=x, v1=AB ,v1=cd,v9=", "v1", any).unwrap();
        assert_eq!(p.t, 42);
        let sigs: Vec<&str> = p.signatures.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(sigs, ["ab", "cd"]);
    }

    #[test]
    fn errors_in_item_order() {
        assert_eq!(
            parse(b"v1=,t=x", "v1", any),
            Err(ItemError::MalformedSignature { value: "".into() })
        );
        assert_eq!(
            parse(b"t=x,v1=", "v1", any),
            Err(ItemError::NonNumericTimestamp { value: "x".into() })
        );
        assert_eq!(parse(b"t=1", "v1", any), Err(ItemError::MissingSignature));
        assert_eq!(parse(b"v1=a", "v1", any), Err(ItemError::MissingTimestamp));
        assert_eq!(parse(b"\xff", "v1", any), Err(ItemError::NotText));
    }

    #[test]
    fn clip_respects_char_boundaries() {
        assert_eq!(clip("abc", 5), "abc");
        assert_eq!(clip("aé", 2), "a…");
    }
}
