//! `EventInfo::inspect`, which reads `event_type` and `id` from every body the listener stores.
//!
//! Invariants: never panics; an `event_type` is only reported when the body really is a JSON
//! object whose `event_type` member is that string (checked with `serde_json::Value`), and an
//! `event_id` only when its `id` member is that string or number.
#![no_main]

use hookscope::capture::EventInfo;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let info = EventInfo::inspect(data);
    if info.event_type.is_none() && info.event_id.is_none() {
        return;
    }
    let value: Value = match serde_json::from_slice(data) {
        Ok(v) => v,
        Err(e) => panic!("inspect found {info:?} in a body that is not JSON: {e}"),
    };
    let obj = value
        .as_object()
        .expect("inspect found fields in a non-object");
    if let Some(t) = &info.event_type {
        assert_eq!(obj.get("event_type"), Some(&Value::String(t.clone())));
    }
    if let Some(id) = &info.event_id {
        match obj.get("id") {
            Some(Value::String(s)) => assert_eq!(s, id),
            Some(Value::Number(n)) => assert_eq!(&n.to_string(), id),
            other => panic!("inspect reported id {id:?} but the member is {other:?}"),
        }
    }
});
