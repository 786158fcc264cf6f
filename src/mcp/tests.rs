use super::*;

/// Records the calls it is given; answers each with its debug text.
#[derive(Default)]
struct Fake {
    calls: Vec<String>,
}

impl Run for Fake {
    fn run(&mut self, call: Call) -> ToolOutput {
        let text = format!("{call:?}");
        self.calls.push(text.clone());
        ToolOutput::Ok(json!({ "ran": text }))
    }
}

fn answer(line: &str) -> (Value, Fake) {
    let mut fake = Fake::default();
    let out = handle(line, &mut fake).expect("a request is answered");
    assert!(!out.contains('\n'), "one line: {out}");
    (serde_json::from_str(&out).unwrap(), fake)
}

fn request(id: i64, method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

fn error_code(v: &Value) -> i64 {
    v["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error: {v}"))
}

#[test]
fn initialize_agrees_on_a_version_it_serves_else_offers_its_newest() {
    let (v, _) = answer(&request(
        1,
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
    ));
    assert_eq!(v["id"], 1);
    assert_eq!(v["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(v["result"]["serverInfo"]["name"], "hookscope");
    assert!(v["result"]["capabilities"]["tools"].is_object());
    let (v, _) = answer(&request(
        2,
        "initialize",
        json!({"protocolVersion": "1999-01-01"}),
    ));
    assert_eq!(v["result"]["protocolVersion"], PROTOCOL_VERSIONS[0]);
    let (v, _) = answer(&request(3, "initialize", json!({})));
    assert_eq!(error_code(&v), INVALID_PARAMS);
}

#[test]
fn tools_list_gives_every_tool_with_an_object_schema() {
    let (v, _) = answer(&request(1, "tools/list", json!({})));
    let tools = v["result"]["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, tools::NAMES);
    for t in tools {
        assert!(!t["description"].as_str().unwrap().is_empty());
        assert_eq!(t["inputSchema"]["type"], "object", "{t}");
        for r in t["inputSchema"]["required"].as_array().unwrap() {
            assert!(t["inputSchema"]["properties"][r.as_str().unwrap()].is_object());
        }
    }
}

#[test]
fn an_unknown_method_is_method_not_found_and_a_notification_gets_nothing() {
    let (v, _) = answer(&request(7, "resources/list", json!({})));
    assert_eq!(error_code(&v), METHOD_NOT_FOUND);
    assert_eq!(v["id"], 7);
    let mut fake = Fake::default();
    for note in [
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/whatever","params":{}}"#,
        r#"{"jsonrpc":"2.0","id":9,"result":{}}"#,
        "   ",
    ] {
        assert_eq!(handle(note, &mut fake), None, "{note}");
    }
    let (v, _) = answer(&request(8, "ping", json!({})));
    assert_eq!(v["result"], json!({}));
}

#[test]
fn parse_errors_and_invalid_requests_are_answered_never_fatal() {
    for (line, code) in [
        ("{not json", PARSE_ERROR),
        ("[]", INVALID_REQUEST),
        ("42", INVALID_REQUEST),
        (r#"{"id":1,"method":"ping"}"#, INVALID_REQUEST),
        (
            r#"{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}"#,
            INVALID_REQUEST,
        ),
        (r#"{"jsonrpc":"2.0","id":1}"#, INVALID_REQUEST),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}"#,
            INVALID_PARAMS,
        ),
    ] {
        let (v, _) = answer(line);
        assert_eq!(error_code(&v), code, "{line}: {v}");
    }
    let v: Value = serde_json::from_str(&not_utf8()).unwrap();
    assert_eq!(error_code(&v), PARSE_ERROR);
}

#[test]
fn an_unknown_tool_is_invalid_params_and_bad_arguments_are_tool_errors() {
    let (v, fake) = answer(&request(1, "tools/call", json!({"name": "drop_tables"})));
    assert_eq!(error_code(&v), INVALID_PARAMS);
    assert!(fake.calls.is_empty());
    let (v, _) = answer(&request(1, "tools/call", json!({"arguments": {}})));
    assert_eq!(error_code(&v), INVALID_PARAMS);
    for (name, args, says) in [
        ("show_capture", json!({}), "id is required"),
        (
            "show_capture",
            json!({"id": "7"}),
            "id must be a whole number",
        ),
        ("list_captures", json!({"limit": 201}), "from 0 to 200"),
        ("list_captures", json!({"query": "verdict:maybe"}), "query:"),
        (
            "list_captures",
            json!({"qeury": "x"}),
            "unknown argument 'qeury'",
        ),
        (
            "wait_for_capture",
            json!({"query": "", "timeout_seconds": 601}),
            "from 1 to 600",
        ),
        ("replay_capture", json!({"id": 1, "to": "ftp://x"}), "to:"),
        (
            "replay_capture",
            json!({"id": 1, "as_is": true, "resign_failed": true}),
            "pass one of them",
        ),
        (
            "send_sample",
            json!({"event": "NOPE", "to": "http://127.0.0.1:1"}),
            "NOPE",
        ),
        (
            "run_check",
            json!({"to": "http://127.0.0.1:1", "scheme": "paypal"}),
            "not known",
        ),
        ("compare_captures", json!({"left": 1}), "right is required"),
        ("show_retries", json!({"limit": 0}), "limit"),
        ("show_retries", json!({"event": 5}), "event"),
    ] {
        let (v, fake) = answer(&request(
            1,
            "tools/call",
            json!({"name": name, "arguments": args}),
        ));
        assert_eq!(v["result"]["isError"], true, "{name} {args}: {v}");
        let text = v["result"]["content"][0]["text"].as_str().unwrap();
        assert!(text.contains(says), "{name} {args}: {text}");
        assert!(fake.calls.is_empty(), "{name} ran");
    }
}

#[test]
fn a_good_call_runs_once_with_the_checked_arguments() {
    let (v, fake) = answer(&request(
        1,
        "tools/call",
        json!({"name": "replay_capture", "arguments": {"id": 4, "to": "http://127.0.0.1:3000", "resign_failed": true}}),
    ));
    assert_eq!(v["result"]["isError"], false);
    assert_eq!(fake.calls.len(), 1);
    assert!(
        fake.calls[0].starts_with("ReplayCapture { id: 4"),
        "{}",
        fake.calls[0]
    );
    assert!(fake.calls[0].contains("resign_failed: true"));
    let text = v["result"]["content"][0]["text"].as_str().unwrap();
    let inner: Value = serde_json::from_str(text).unwrap();
    assert!(inner["ran"].is_string());
    let (_, fake) = answer(&request(2, "tools/call", json!({"name": "list_captures"})));
    assert!(fake.calls[0].contains("limit: 20"), "{}", fake.calls[0]);
}
