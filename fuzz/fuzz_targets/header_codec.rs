//! The store's header BLOB codec.
//!
//! Invariants: `decode_headers` never panics on damaged bytes; whatever it accepts re-encodes
//! to exactly the same bytes; and `decode(encode(h)) == h` for arbitrary headers.
#![no_main]

use hookscope::store::{decode_headers, encode_headers};
use libfuzzer_sys::arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(headers) = decode_headers(data) {
        assert_eq!(encode_headers(&headers), data);
    }
    let mut u = Unstructured::new(data);
    if let Ok(headers) = Vec::<(Vec<u8>, Vec<u8>)>::arbitrary(&mut u) {
        let blob = encode_headers(&headers);
        assert_eq!(decode_headers(&blob), Some(headers));
    }
});
