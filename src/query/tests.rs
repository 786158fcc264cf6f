use super::*;

/// 2026-11-30T12:00:00Z
const NOW: i64 = 1_796_040_000_000;

fn one(input: &str) -> Term {
    let q = parse(input, NOW).unwrap_or_else(|e| panic!("{input}: {}", e.render(input)));
    assert_eq!(q.terms.len(), 1, "{input}: {q:?}");
    q.terms.into_iter().next().unwrap()
}

fn text(t: &str, prefix: bool, also: Option<Also>) -> TermKind {
    TermKind::Text {
        text: t.into(),
        prefix,
        also,
    }
}

#[test]
fn queries_and_their_meaning() {
    use Status::*;
    let key = |k: &str| PathStep::Key(k.into());
    let table: Vec<(&str, bool, TermKind)> = vec![
        ("docver", false, text("docver", false, None)),
        ("Rare-Path", false, text("Rare-Path", false, None)),
        ("scree*", false, text("scree", true, None)),
        ("\"two words\"", false, text("two words", false, None)),
        ("\"FAIL\"", false, text("FAIL", false, None)),
        ("\"a \\\"b\\\"\"", false, text("a \"b\"", false, None)),
        ("-sandbox", true, text("sandbox", false, None)),
        ("-\"two words\"", true, text("two words", false, None)),
        (
            "FAIL",
            false,
            text("FAIL", false, Some(Also::Verdict(vec![Invalid, Unsigned]))),
        ),
        (
            "pass",
            false,
            text("pass", false, Some(Also::Verdict(vec![Valid]))),
        ),
        (
            "--",
            false,
            text("--", false, Some(Also::Verdict(vec![Unverified]))),
        ),
        (
            "---",
            true,
            text("--", false, Some(Also::Verdict(vec![Unverified]))),
        ),
        ("401", false, text("401", false, Some(Also::Status(401)))),
        ("4012", false, text("4012", false, None)),
        ("fail*", false, text("fail", true, None)),
        ("event:DOCVER", false, TermKind::Event("DOCVER".into())),
        ("EVENT:docver", false, TermKind::Event("docver".into())),
        (
            "badge:FAIL",
            false,
            TermKind::Verdict(vec![Invalid, Unsigned]),
        ),
        ("verdict:invalid", false, TermKind::Verdict(vec![Invalid])),
        ("badge:--", false, TermKind::Verdict(vec![Unverified])),
        ("verdict:Stale", false, TermKind::Verdict(vec![Stale])),
        ("-badge:PASS", true, TermKind::Verdict(vec![Valid])),
        ("status:5xx", false, TermKind::Status(StatusMatch::Class(5))),
        ("status:4XX", false, TermKind::Status(StatusMatch::Class(4))),
        (
            "status:401",
            false,
            TermKind::Status(StatusMatch::Code(401)),
        ),
        ("status:none", false, TermKind::Status(StatusMatch::None)),
        (
            "path:/dataspike",
            false,
            TermKind::Path("/dataspike".into()),
        ),
        ("path:\"/a b\"", false, TermKind::Path("/a b".into())),
        ("since:2h", false, TermKind::Since(NOW - 7_200_000)),
        ("since:7d", false, TermKind::Since(NOW - 7 * 86_400_000)),
        (
            "before:2026-11-30",
            false,
            TermKind::Before(NOW - 12 * 3_600_000),
        ),
        (
            "before:2026-11-30T13:00:00Z",
            false,
            TermKind::Before(NOW + 3_600_000),
        ),
        (
            "scheme:dataspike",
            false,
            TermKind::Scheme(Scheme::Dataspike),
        ),
        ("scheme:Stripe", false, TermKind::Scheme(Scheme::Stripe)),
        ("source:imported", false, TermKind::Source(Source::Imported)),
        ("-source:check", true, TermKind::Source(Source::Check)),
        ("source:relay", false, TermKind::Source(Source::Relay)),
        (
            "payload.risk_score.type=High",
            false,
            TermKind::Json {
                path: vec![key("payload"), key("risk_score"), key("type")],
                equal: true,
                value: JsonValue::Text("High".into()),
            },
        ),
        (
            "payload.status!=verified",
            false,
            TermKind::Json {
                path: vec![key("payload"), key("status")],
                equal: false,
                value: JsonValue::Text("verified".into()),
            },
        ),
        (
            "items.0.score=80",
            false,
            TermKind::Json {
                path: vec![key("items"), PathStep::Index(0), key("score")],
                equal: true,
                value: JsonValue::Number {
                    value: 80.0,
                    text: "80".into(),
                },
            },
        ),
        (
            "a.b=\"80\"",
            false,
            TermKind::Json {
                path: vec![key("a"), key("b")],
                equal: true,
                value: JsonValue::Text("80".into()),
            },
        ),
        (
            "flag=true",
            false,
            TermKind::Json {
                path: vec![key("flag")],
                equal: true,
                value: JsonValue::Bool(true),
            },
        ),
        (
            "-x=null",
            true,
            TermKind::Json {
                path: vec![key("x")],
                equal: true,
                value: JsonValue::Null,
            },
        ),
        (
            "name=\"Jane Doe\"",
            false,
            TermKind::Json {
                path: vec![key("name")],
                equal: true,
                value: JsonValue::Text("Jane Doe".into()),
            },
        ),
        // Not a field: a word with a colon that does not start like a name.
        ("12:30", false, text("12:30", false, None)),
        ("\"http://x\"", false, text("http://x", false, None)),
    ];
    for (input, negated, kind) in table {
        let t = one(input);
        assert_eq!(t.kind, kind, "{input}");
        assert_eq!(t.negated, negated, "{input}");
    }
}

#[test]
fn terms_combine_and_spaces_inside_quotes_stay() {
    let q = parse("  docver  \"rare path\"\tbadge:FAIL -x ", NOW).unwrap();
    assert_eq!(q.terms.len(), 4);
    assert_eq!(q.terms[1].kind, text("rare path", false, None));
    assert!(q.terms[3].negated);
    assert!(parse("", NOW).unwrap().is_empty());
    assert!(parse("   ", NOW).unwrap().is_empty());
}

#[test]
fn bad_queries_point_at_the_offending_token() {
    let table: &[(&str, &str, &str)] = &[
        (
            "badge:FAIL status:6xx",
            "6xx",
            "status class must be 1xx-5xx",
        ),
        ("status:600", "600", "status code must be 100-599"),
        (
            "status:abc",
            "abc",
            "status must be a code (401), a class (5xx) or none",
        ),
        (
            "badge:OK",
            "OK",
            "'OK' is not a verdict: use PASS, FAIL, STALE",
        ),
        (
            "colour:red",
            "colour",
            "unknown field 'colour': fields are event, badge",
        ),
        ("http://x", "http", "unknown field 'http'"),
        ("path:dataspike", "dataspike", "path must start with '/'"),
        ("since:yesterday", "yesterday", "'yesterday' is not a time"),
        ("before:2026-13-01", "2026-13-01", "is not a time"),
        (
            "scheme:paypal",
            "paypal",
            "unknown scheme 'paypal': hookscope knows dataspike, stripe",
        ),
        (
            "source:cloud",
            "cloud",
            "'cloud' is not a source: use live, relay, imported, check, dataspike",
        ),
        ("a \"rare path", "\"rare path", "unclosed quote"),
        ("\"a\"b", "b", "text right after a closing quote"),
        ("-", "-", "'-' has no letters or digits"),
        ("x -//", "//", "'//' has no letters or digits"),
        ("=High", "=High", "'=' needs a JSON field before it"),
        (
            "payload.status=",
            "payload.status=",
            "a JSON field needs a value",
        ),
    ];
    for (input, at, message) in table {
        let e = parse(input, NOW).expect_err(input);
        assert!(e.message.contains(message), "{input}: {}", e.message);
        assert_eq!(&input[e.start..e.end], *at, "{input}");
    }
    // Empty values point just past the colon.
    let e = parse("event:", NOW).unwrap_err();
    assert!(e
        .message
        .contains("event: needs a value, e.g. event:DOCVER"));
    assert_eq!(e.start, 6);
}

#[test]
fn errors_render_a_caret_under_the_token() {
    let input = "badge:FAIL status:6xx";
    let e = parse(input, NOW).unwrap_err();
    assert_eq!(
        e.render(input),
        "status class must be 1xx-5xx, e.g. status:5xx\n  badge:FAIL status:6xx\n                    ^^^"
    );
    // Character columns, not bytes, under non-ASCII text.
    let input = "é status:9xx";
    let e = parse(input, NOW).unwrap_err();
    assert!(
        e.render(input).ends_with("\n           ^^^"),
        "{}",
        e.render(input)
    );
}

#[test]
fn highlights_are_the_positive_words() {
    let q = parse("Rare-Path scree* -gone payload.type=High badge:FAIL", NOW).unwrap();
    assert_eq!(
        q.highlights(),
        vec![
            ("rare".to_string(), false),
            ("path".to_string(), false),
            ("scree".to_string(), true),
            ("high".to_string(), false),
        ]
    );
    let line = "\"path\": \"/rare-path\", \"type\": \"screening\", \"rarer\": 1";
    let found: Vec<&str> = find_words(line, &q.highlights())
        .into_iter()
        .map(|(s, e)| &line[s..e])
        .collect();
    assert_eq!(found, vec!["path", "rare", "path", "screening"]);
}

#[test]
fn no_input_panics() {
    for input in [
        "\"",
        "-\"",
        "\\",
        "\"\\",
        "a:\"",
        "=",
        "!=",
        "a!=",
        "-:",
        ":",
        "é:",
        "a.é=1",
        "x=1e999",
        "--x",
        "- -",
        "* ",
        "\"\"*",
        "status:ⅹxx",
        "since:99999999999999999999d",
    ] {
        let _ = parse(input, NOW).map_err(|e| e.render(input));
    }
}
