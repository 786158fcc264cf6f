//! How numbers, sizes and raw bytes read in a message: the text helpers every module that
//! words something may use (`fixture/`, `sample`, `check/`, the CLI and the TUI). Pure; a leaf.

/// `n` and the noun, plural unless `n` is 1: `1 capture`, `2 captures`, `3 entries`,
/// `0 matches`. Every count a message shows goes through here.
pub fn count(n: u64, singular: &str) -> String {
    if n == 1 {
        return format!("1 {singular}");
    }
    let consonant_y = singular.strip_suffix('y').is_some_and(|stem| {
        stem.chars()
            .last()
            .is_some_and(|c| !"aeiou".contains(c.to_ascii_lowercase()))
    });
    let plural = if consonant_y {
        format!("{}ies", &singular[..singular.len() - 1])
    } else if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|end| singular.ends_with(end))
    {
        format!("{singular}es")
    } else {
        format!("{singular}s")
    };
    format!("{n} {plural}")
}

/// A body (or any byte count) for people: `183 B`, `1.5 KiB`, `10.0 MiB`, up to TiB.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

/// Bytes as text for one terminal line: valid UTF-8 kept, everything else and control
/// characters shown as `\xNN` / `\n`, so header values print exactly and safely.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(s) => (s, 0),
            Err(e) => {
                let (ok, tail) = rest.split_at(e.valid_up_to());
                let bad = e.error_len().unwrap_or(tail.len());
                // `valid_up_to` guarantees the prefix is UTF-8.
                (std::str::from_utf8(ok).unwrap_or_default(), bad)
            }
        };
        for c in valid.chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => out.push(c),
            }
        }
        let tail = &rest[valid.len()..];
        for b in &tail[..bad] {
            out.push_str(&format!("\\x{b:02x}"));
        }
        rest = &tail[bad..];
    }
    out
}

/// Parses `10MiB`, `512KiB`, `1MB`, `1000` into bytes.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: usize = num
        .parse()
        .map_err(|_| format!("size '{text}' must start with a number, e.g. 10MiB"))?;
    let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1024,
        "m" | "mb" => 1000 * 1000,
        "mib" => 1024 * 1024,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" => 1024 * 1024 * 1024,
        other => {
            return Err(format!(
                "size '{text}': unknown unit '{other}'; use B, KiB, MiB or GiB"
            ))
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size '{text}' is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_use_the_plural_unless_one() {
        assert_eq!(count(1, "capture"), "1 capture");
        assert_eq!(count(0, "capture"), "0 captures");
        assert_eq!(count(2, "HAR entry"), "2 HAR entries");
        assert_eq!(count(3, "delivery"), "3 deliveries");
        assert_eq!(count(2, "day"), "2 days");
        assert_eq!(count(2, "match"), "2 matches");
        assert_eq!(count(2, "curl request"), "2 curl requests");
        assert_eq!(count(12, "byte"), "12 bytes");
    }

    #[test]
    fn escaping_keeps_text_and_shows_bytes() {
        assert_eq!(escape_bytes(b"plain"), "plain");
        assert_eq!(escape_bytes(b"a\xff\x00b\n"), "a\\xff\\u{0}b\\n");
        assert_eq!(escape_bytes("ünï".as_bytes()), "ünï");
        assert_eq!(escape_bytes(b"\xe2\x82"), "\\xe2\\x82");
        assert_eq!(escape_bytes(b"\x1b[31m"), "\\u{1b}[31m");
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(3 * 1024 * 1024), "3.0 MiB");
        assert_eq!(human_size(10 * 1024 * 1024), "10.0 MiB");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024), "3.0 GiB");
        assert_eq!(human_size(2 * 1024 * 1024 * 1024 * 1024), "2.0 TiB");
    }
}
