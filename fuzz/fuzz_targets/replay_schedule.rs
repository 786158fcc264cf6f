//! `replay_schedule::parse`, the schedule file of `replay --schedule FILE`.
//!
//! Invariants: never panics; an error names a line within the text (or 0, the whole file); an
//! accepted schedule has 1 to `MAX_ATTEMPTS` attempts, each wait within `MAX_WAIT`, offsets
//! that never go back, and prints as text that parses back to the same schedule.
#![no_main]

use hookscope::replay_schedule::{parse, MAX_ATTEMPTS, MAX_WAIT};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let s = match parse(text) {
        Ok(s) => s,
        Err(e) => {
            assert!(e.line <= text.lines().count(), "{e:?}");
            return;
        }
    };
    assert!((1..=MAX_ATTEMPTS).contains(&s.attempts()));
    assert!(s.waits().iter().all(|w| *w <= MAX_WAIT));
    let offsets = s.offsets();
    assert!(offsets.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(parse(&s.text()).expect("printed schedule parses"), s);
});
