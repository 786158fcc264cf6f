use super::*;
use crate::intake;
use crate::signature::{sign_headers, Verdict};

const NOW_S: i64 = 1_700_000_000;
const APP: &str = "http://127.0.0.1:3000/hook";

/// A capture signed by `by` (or unsigned), judged as `listen` would with `judged_with`.
fn capture(by: Option<&Secret>, judged_with: &[Secret]) -> Capture {
    let body = br#"{"id":"e1","event_type":"DOCVER","payload":{}}"#.to_vec();
    let mut headers = vec![(b"Content-Type".to_vec(), b"application/json".to_vec())];
    if let Some(secret) = by {
        for (n, v) in sign_headers(secret, NOW_S, &body) {
            headers.push((n.as_bytes().to_vec(), v.into_bytes()));
        }
    }
    let mut c = Capture::new(NOW_S * 1000, "POST", "/hook", headers, body);
    intake::verify(&mut c, judged_with, 300, NOW_S);
    c
}

fn forged(scheme: Scheme) -> Capture {
    let (real, _) = Secret::generate_for(scheme);
    let (other, _) = Secret::generate_for(scheme);
    let mut c = capture(Some(&other), &[real]);
    assert_eq!(c.verdict.status(), Status::Invalid, "{scheme}");
    c.source = Source::Live;
    c
}

fn settings(signing: Signing, secrets: Vec<Secret>) -> Settings {
    Settings {
        signing,
        secrets,
        ..Settings::default()
    }
}

#[test]
fn each_scheme_re_signs_with_its_own_secret_and_goes_as_captured_without_it() {
    for scheme in Scheme::ALL {
        let (mine, _) = Secret::generate_for(scheme);
        let c = capture(Some(&mine), std::slice::from_ref(&mine));
        assert!(
            matches!(c.verdict, Verdict::Valid { .. }),
            "{scheme}: {:?}",
            c.verdict
        );
        let with = decide(
            &c,
            Some(APP),
            &settings(Signing::Default, vec![mine.clone()]),
        )
        .unwrap();
        assert_eq!(with.plan.resign_with.as_ref(), Some(&mine), "{scheme}");
        assert_eq!(with.warning, None, "{scheme}");

        // Only another scheme's secret loaded: as captured, with a warning naming the scheme.
        let other = Scheme::ALL.into_iter().find(|s| *s != scheme).unwrap();
        let (theirs, _) = Secret::generate_for(other);
        let without = decide(&c, Some(APP), &settings(Signing::Default, vec![theirs])).unwrap();
        assert_eq!(without.plan.resign_with, None, "{scheme}");
        assert_eq!(
            without.warning,
            Some(Warning::NoSecret { scheme }),
            "{scheme}"
        );

        // Asked to re-sign without its secret: refused, naming the scheme to give.
        let e = decide(&c, Some(APP), &settings(Signing::Resign, vec![])).unwrap_err();
        assert_eq!(e, Refusal::NeedsSecret { scheme });
        assert_eq!(e.hint(), Some(Hint::PassSecret { scheme }));
    }
}

#[test]
fn a_forged_capture_is_never_re_signed_unless_asked_for_explicitly() {
    let (secret, _) = Secret::generate();
    let mut c = forged(Scheme::Dataspike);
    intake::verify(&mut c, std::slice::from_ref(&secret), 300, NOW_S);
    let s = settings(Signing::Default, vec![secret.clone()]);
    let d = decide(&c, Some(APP), &s).unwrap();
    assert_eq!(d.plan.resign_with, None);
    assert_eq!(
        d.warning,
        Some(Warning::FailedSignatureAsCaptured {
            status: Status::Invalid
        })
    );
    let e = decide(
        &c,
        Some(APP),
        &settings(Signing::Resign, vec![secret.clone()]),
    )
    .unwrap_err();
    assert_eq!(
        e,
        Refusal::FailedSignature {
            status: Status::Invalid
        }
    );
    assert_eq!(e.hint(), Some(Hint::ResignFailed));
    // An edited body is a new request the developer wrote: re-signed, with the warning.
    let edited = Settings {
        body: Some(b"{}".to_vec()),
        ..s.clone()
    };
    let d = decide(&c, Some(APP), &edited).unwrap();
    assert!(d.plan.resign_with.is_some());
    assert_eq!(
        d.warning,
        Some(Warning::FailedSignatureResigned {
            status: Status::Invalid
        })
    );
    let asked = Settings {
        resign_failed: true,
        ..s
    };
    let d = decide(&c, Some(APP), &asked).unwrap();
    assert_eq!(d.plan.resign_with.as_ref(), Some(&secret));
    assert_eq!(
        d.warning,
        Some(Warning::FailedSignatureResigned {
            status: Status::Invalid
        })
    );
}

#[test]
fn an_unsigned_capture_goes_as_captured() {
    let (secret, _) = Secret::generate();
    let c = capture(None, std::slice::from_ref(&secret));
    assert_eq!(c.verdict.status(), Status::Unsigned);
    let d = decide(&c, Some(APP), &settings(Signing::Default, vec![secret])).unwrap();
    assert_eq!(d.plan.resign_with, None);
    assert_eq!(
        d.warning,
        Some(Warning::FailedSignatureAsCaptured {
            status: Status::Unsigned
        })
    );
}

#[test]
fn a_capture_judged_without_a_secret_is_judged_again_with_todays() {
    let (secret, _) = Secret::generate();
    let (other, _) = Secret::generate();
    // Captured with no secret loaded: unverified, whoever signed it.
    let garbage = capture(Some(&other), &[]);
    assert_eq!(garbage.verdict.status(), Status::Unverified);
    assert_eq!(
        failed_signature(&garbage, std::slice::from_ref(&secret)),
        Some(Status::Invalid)
    );
    let real = capture(Some(&secret), &[]);
    assert_eq!(failed_signature(&real, std::slice::from_ref(&secret)), None);
    assert_eq!(
        left_out(&garbage, std::slice::from_ref(&secret)),
        Some(LeftOut::FailedSignature)
    );
}

#[test]
fn as_is_never_re_signs_and_an_edit_always_does() {
    let (secret, _) = Secret::generate();
    let c = capture(Some(&secret), std::slice::from_ref(&secret));
    let d = decide(
        &c,
        Some(APP),
        &settings(Signing::AsIs, vec![secret.clone()]),
    )
    .unwrap();
    assert_eq!(d.plan.resign_with, None);
    assert_eq!(d.warning, None);
    let edited = Settings {
        body: Some(b"{}".to_vec()),
        ..settings(Signing::AsIs, vec![secret.clone()])
    };
    assert_eq!(
        decide(&c, Some(APP), &edited).unwrap().plan.resign_with,
        Some(secret)
    );
}

#[test]
fn no_target_is_a_refusal_with_its_hint() {
    let (secret, _) = Secret::generate();
    let c = capture(Some(&secret), std::slice::from_ref(&secret));
    let e = decide(&c, None, &settings(Signing::Default, vec![secret])).unwrap_err();
    assert_eq!(e, Refusal::NoTarget);
    assert_eq!(e.hint(), Some(Hint::NoTarget));
}

#[test]
fn a_backlog_leaves_out_probes_and_failed_signatures() {
    let (secret, _) = Secret::generate();
    let mut probe = capture(Some(&secret), std::slice::from_ref(&secret));
    probe.source = Source::Check;
    assert_eq!(
        left_out(&probe, std::slice::from_ref(&secret)),
        Some(LeftOut::Probe)
    );
    let mut relayed = capture(Some(&secret), std::slice::from_ref(&secret));
    relayed.source = Source::Relay;
    assert_eq!(left_out(&relayed, std::slice::from_ref(&secret)), None);
}

#[test]
fn the_tally_counts_sent_failed_and_skipped() {
    let mut t = Tally::default();
    t.add(&Outcome::Skipped {
        id: 1,
        why: Refusal::NoTarget,
    });
    assert_eq!(
        t,
        Tally {
            sent: 0,
            failed: 0,
            skipped: 1
        }
    );
}
