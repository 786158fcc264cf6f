//! `hookscope dataspike snippet LANG`: a short verifier of Dataspike's signature to paste into
//! the developer's app, one per language, standard library only. Each follows the rules in
//! `signature/dataspike.rs` (raw body, `t` of 1-10 digits checked both ways against a
//! tolerance, several `v1` accepted, whole 32-byte digests compared in constant time, several
//! secrets while rotating, unknown schemes such as `v0` ignored), and each is run in its own
//! runtime against deliveries hookscope signs (`tests/it/snippets.rs`).

/// A language a snippet is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Python 3
    Python,
    /// Node.js (CommonJS)
    Node,
    /// Go
    Go,
    /// Ruby
    Ruby,
    /// PHP 8
    Php,
}

impl Lang {
    /// The verifier's source text.
    pub fn source(self) -> &'static str {
        match self {
            Lang::Python => include_str!("../../assets/snippets/python.py"),
            Lang::Node => include_str!("../../assets/snippets/node.js"),
            Lang::Go => include_str!("../../assets/snippets/go.go"),
            Lang::Ruby => include_str!("../../assets/snippets/ruby.rb"),
            Lang::Php => include_str!("../../assets/snippets/php.php"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_snippet_compares_in_constant_time_and_names_the_raw_body() {
        let constant_time = [
            (Lang::Python, "compare_digest"),
            (Lang::Node, "timingSafeEqual"),
            (Lang::Go, "hmac.Equal"),
            (Lang::Ruby, "fixed_length_secure_compare"),
            (Lang::Php, "hash_equals"),
        ];
        for (lang, call) in constant_time {
            let text = lang.source();
            assert!(text.contains(call), "{lang:?}");
            assert!(text.contains("RAW request body"), "{lang:?}");
            assert!(text.contains("300"), "{lang:?}: the tolerance");
        }
    }
}
