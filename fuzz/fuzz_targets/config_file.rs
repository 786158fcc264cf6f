//! `config_file::parse`, which reads `hookscope.toml` (a file people edit by hand).
//!
//! Invariants: never panics; an error names a line within the text (or none at all), and never
//! repeats a `secret` value it refused; a parsed file's routes all have a prefix starting
//! with `/`, and each route matches its own prefix.
#![no_main]

use hookscope::config_file::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text) {
        Err(e) => {
            let lines = text.split('\n').count();
            assert!(e.line <= lines, "line {} of {lines}", e.line);
            let _ = e.to_string();
        }
        Ok(c) => {
            for r in c.routes.routes() {
                assert!(r.rule.prefix().starts_with('/'));
                if r.rule.scheme.is_none() && r.rule.events.describe().is_none() {
                    assert!(c.routes.pick(r.rule.prefix(), None, None).is_some());
                }
            }
        }
    }
});
