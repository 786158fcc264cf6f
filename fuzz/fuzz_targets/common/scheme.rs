//! The harness every provider scheme's target shares (included with `#[path]`).
//!
//! Input: header values up to the first `\n`, separated by NUL bytes; value `i` goes to the
//! scheme's header `i % n` (its `Scheme::headers()`, signature header first), so repeats and
//! missing headers both occur; an empty head means no header at all. The rest is the body.
//! Invariants, at four `(now, tolerance)` pairs including the extremes:
//! - nothing panics;
//! - `Valid`/`Stale` is confirmed by the target's independent oracle (the provider's documented
//!   algorithm with `hmac`/`sha2`/`hex`/`base64` called directly) under the reported secret, the
//!   first matching secret is the one reported, and `Valid` holds only within the window;
//! - without a secret of the scheme (only another scheme's) the verdict is never `Valid`/`Stale`;
//! - with no signature header the verdict is `Unsigned`;
//! - what the scheme signs, it verifies;
//! - no secret text shows in the verdict, reason, JSON or diagnostics.

use hookscope::headers::HeaderPair;
use hookscope::signature::{sign_headers, Scheme, Secret, Verdict};

pub const NOW: i64 = 1_700_000_100;

/// The oracle: every digest the headers carry, and the one expected under `key` (secret text
/// bytes or decoded key, as the scheme keys it), or `None` when the oracle cannot read them.
pub type Oracle = fn(key: &[u8], headers: &[HeaderPair], body: &[u8]) -> Option<Reading>;

pub struct Reading {
    pub received: Vec<[u8; 32]>,
    pub expected: [u8; 32],
    /// The signed timestamp, for schemes that sign one.
    pub t: Option<i64>,
}

pub fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// The only value of `name`, or `None` when absent or repeated.
pub fn one<'a>(headers: &'a [HeaderPair], name: &str) -> Option<&'a str> {
    let mut it = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()));
    let first = it.next()?;
    if it.next().is_some() {
        return None;
    }
    std::str::from_utf8(&first.1).ok()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// `texts` are the scheme's two secrets as given; `keys` their key bytes for the oracle.
pub fn run(scheme: Scheme, texts: [&str; 2], keys: [Vec<u8>; 2], oracle: Oracle, data: &[u8]) {
    let (head, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let names = scheme.headers();
    let headers: Vec<HeaderPair> = if head.is_empty() {
        Vec::new()
    } else {
        head.split(|&b| b == 0)
            .enumerate()
            .map(|(i, v)| (names[i % names.len()].as_bytes().to_vec(), v.to_vec()))
            .collect()
    };
    let secrets: Vec<Secret> = texts
        .iter()
        .map(|t| Secret::parse_for(scheme, t).unwrap())
        .collect();
    let other = Secret::parse("whsec_00ff").unwrap();
    let signed = scheme.detects(&headers);
    let may_check_leaks = !texts.iter().any(|t| contains(data, t.as_bytes()));

    for (now, tolerance) in [(NOW, 300), (i64::MIN, 300), (i64::MAX, 0), (NOW, u64::MAX)] {
        let (verdict, diag) = scheme.verify(&headers, body, &secrets, now, tolerance);
        if may_check_leaks {
            let shown = format!(
                "{verdict:?} {diag:?} {:?} {}",
                verdict.reason(),
                verdict.to_json()
            );
            for t in texts {
                assert!(
                    !contains(shown.as_bytes(), t.as_bytes()),
                    "a secret leaked: {shown}"
                );
            }
        }
        let (other_only, _) = scheme.verify(&headers, body, &[other.clone()], now, tolerance);
        assert!(
            !matches!(other_only, Verdict::Valid { .. } | Verdict::Stale { .. }),
            "{other_only:?} with only another scheme's secret"
        );
        if !signed {
            assert_eq!(verdict, Verdict::Unsigned);
        }
        if let Verdict::Valid { secret_index, .. } | Verdict::Stale { secret_index, .. } = verdict {
            assert_eq!(verdict.scheme(), Some(scheme));
            let r = oracle(&keys[secret_index], &headers, body)
                .unwrap_or_else(|| panic!("{verdict:?} but the oracle cannot read the headers"));
            assert!(
                r.received.contains(&r.expected),
                "{verdict:?} but the oracle's MAC matches no received signature"
            );
            for k in &keys[..secret_index] {
                let earlier = oracle(k, &headers, body).unwrap();
                assert!(!earlier.received.contains(&earlier.expected));
            }
            if let (Some(t), Some(skew)) = (r.t, verdict.skew_s()) {
                assert_eq!(skew, now.saturating_sub(t));
            }
        }
    }

    // What the scheme signs, it verifies.
    let t = 1_700_000_000;
    let fresh: Vec<HeaderPair> = sign_headers(&secrets[1], t, body)
        .into_iter()
        .map(|(n, v)| (n.as_bytes().to_vec(), v.into_bytes()))
        .collect();
    let (v, _) = scheme.verify(&fresh, body, &secrets, t, 300);
    assert!(
        matches!(
            v,
            Verdict::Valid {
                secret_index: 1,
                ..
            }
        ),
        "own signature gives {v:?}"
    );
    let r = oracle(&keys[1], &fresh, body).expect("oracle reads hookscope's own headers");
    assert!(r.received.contains(&r.expected));
}
