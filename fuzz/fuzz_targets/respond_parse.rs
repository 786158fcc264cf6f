//! `chosen::Chosen::parse`, the text of `listen --respond STATUS[,delay=DUR][,times=N]` and a
//! route's `respond` in hookscope.toml.
//!
//! Invariants: never panics; an accepted value has a final status (200..=599), a delay within
//! `MAX_DELAY` and a count of at least 1; it prints in a form that parses back to itself; and
//! its decision gives the chosen answer exactly to deliveries 1..=times.
#![no_main]

use hookscope::chosen::{Chosen, MAX_DELAY};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(c) = Chosen::parse(text) else {
        return;
    };
    assert!((200..=599).contains(&c.status), "{c:?}");
    assert!(c.delay <= MAX_DELAY, "{c:?}");
    assert!(c.times.is_none_or(|t| t >= 1), "{c:?}");
    let again = Chosen::parse(&c.to_string()).expect("a printed value parses");
    assert_eq!(again, c);
    assert!(c.answer(1).is_some());
    if let Some(t) = c.times {
        assert!(c.answer(t).is_some());
        assert!(c.answer(t.saturating_add(1)).is_none() || t == u32::MAX);
    }
});
