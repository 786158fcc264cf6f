//! Where the relay keeps its log (`relay --store`) and the JetStream log's message format.
//!
//! Invariants: `StoreSpec::parse` never panics; an accepted NATS list holds only `nats://` or
//! `tls://` URLs without credentials, one per comma-separated part; an error never repeats a
//! password given in a URL. `record::decode` never panics on damaged bytes, and whatever it
//! accepts encodes to a message that decodes to the same delivery, body and headers byte for
//! byte.
#![no_main]

use hookscope::relay::record::{decode, encode};
use hookscope::relay::spec::StoreSpec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match StoreSpec::parse(text) {
            Ok(StoreSpec::Nats(servers)) => {
                assert_eq!(servers.len(), text.trim().split(',').count());
                for s in &servers {
                    assert!(s.starts_with("nats://") || s.starts_with("tls://"), "{s}");
                    assert!(!s.contains('@'), "{s}");
                }
            }
            Ok(StoreSpec::Sqlite(path)) => assert!(!path.as_os_str().is_empty()),
            Err(e) => {
                // user:password@ never comes back in the error.
                if let Some((_, rest)) = text.split_once("://") {
                    if let Some((userinfo, _)) = rest.rsplit_once('@') {
                        if userinfo.len() >= 4 && !userinfo.contains(',') {
                            assert!(!e.contains(&format!("{userinfo}@")), "{e}");
                        }
                    }
                }
            }
        }
    }
    if let Ok(d) = decode(data, 7) {
        assert_eq!(d.seq, 7);
        assert_eq!(decode(&encode(&d), 7).as_ref(), Ok(&d));
    }
});
