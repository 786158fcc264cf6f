//! `query::parse` and the SQL the store builds from what it accepts (`store::search::plan`):
//! the text every `/` in the TUI and every `--query` hands over.
//!
//! Invariants: never panics; an error's byte range lies inside the input on character
//! boundaries and `render` draws it; an accepted query plans to SQL whose every `?N` has a
//! parameter, and no text of the query reaches the SQL itself (only placeholders do).
#![no_main]

use hookscope::query::{parse, TermKind};
use hookscope::store::{search, ListQuery};
use libfuzzer_sys::fuzz_target;

/// 2026-11-30T12:00:00Z
const NOW: i64 = 1_796_040_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let query = match parse(input, NOW) {
        Ok(q) => q,
        Err(e) => {
            assert!(e.start <= e.end && e.end <= input.len(), "{e:?}");
            assert!(
                input.is_char_boundary(e.start) && input.is_char_boundary(e.end),
                "{e:?}"
            );
            let _ = e.render(input);
            return;
        }
    };
    for t in &query.terms {
        if let TermKind::Text {
            text, also: None, ..
        } = &t.kind
        {
            assert!(!hookscope::query::words(text).is_empty(), "{t:?}");
        }
    }
    let _ = query.highlights();
    let plan = search::plan(&ListQuery {
        query,
        ..ListQuery::default()
    });
    let sql = format!("{} {}", plan.from, plan.where_sql());
    let mut rest = sql.as_str();
    while let Some(i) = rest.find('?') {
        rest = &rest[i + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let n: usize = digits.parse().expect("every placeholder is numbered");
        assert!(
            n >= 1 && n <= plan.params.len(),
            "?{n} of {}",
            plan.params.len()
        );
    }
    assert!(
        !sql.contains('"') && !sql.contains(';'),
        "query text in the SQL: {sql}"
    );
});
