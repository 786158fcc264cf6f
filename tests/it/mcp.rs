//! `hookscope mcp` driven by the official Python MCP client (`pip install mcp`, pinned in
//! .ci/run): it starts the real binary over stdio, initializes, lists the tools and calls them
//! on a store a real `listen` filled, replaying to a real app. The script prints one JSON line
//! per step; the assertions are here. Without python3 or the package the test says SKIPPED.

use std::process::{Command, Stdio};

use crate::common::{bin, config_home, now, post, sign, Behaviour, Listener, TestApp, SECRET};

const CLIENT: &str = r#"
import asyncio, json, os, sys
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

def say(step, value):
    print(json.dumps({"step": step, "value": value}), flush=True)

def result(r):
    return {"isError": r.is_error, "text": r.content[0].text}

async def main():
    server = StdioServerParameters(
        command=os.environ["HOOKSCOPE_BIN"],
        args=["mcp", "--db", os.environ["DB"], "--secret", os.environ["SECRET"]],
        env={"XDG_CONFIG_HOME": os.environ["XDG_CONFIG_HOME"], "PATH": os.environ.get("PATH", "")},
    )
    app = os.environ["APP"]
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as s:
            init = await s.initialize()
            say("initialize", {"protocolVersion": init.protocol_version, "name": init.server_info.name})
            tools = await s.list_tools()
            say("tools", [{"name": t.name, "schema": t.input_schema} for t in tools.tools])
            await s.send_ping()
            listed = await s.call_tool("list_captures", {"limit": 10})
            say("list", result(listed))
            captures = json.loads(listed.content[0].text)["captures"]
            good = next(c["id"] for c in captures if c["verdict"]["status"] == "valid")
            forged = next(c["id"] for c in captures if c["verdict"]["status"] == "invalid")
            say("show", result(await s.call_tool("show_capture", {"id": good})))
            say("show_missing", result(await s.call_tool("show_capture", {"id": 999})))
            say("query", result(await s.call_tool("list_captures", {"query": "verdict:fail"})))
            say("bad_query", result(await s.call_tool("list_captures", {"query": "verdict:maybe"})))
            say("replay", result(await s.call_tool("replay_capture", {"id": good, "to": app})))
            say("replay_forged", result(await s.call_tool("replay_capture", {"id": forged, "to": app})))
            say("replay_as_is", result(await s.call_tool("replay_capture", {"id": forged, "to": app, "as_is": True})))
            say("compare", result(await s.call_tool("compare_captures", {"left": good, "right": forged})))
            say("send", result(await s.call_tool("send_sample", {"event": "DOCVER", "to": app})))
            say("wait", result(await s.call_tool("wait_for_capture", {"query": "verdict:fail", "since_seconds": 600, "timeout_seconds": 5})))
            say("wait_timeout", result(await s.call_tool("wait_for_capture", {"query": "event:NEVER", "timeout_seconds": 1})))
            say("check", result(await s.call_tool("run_check", {"to": app})))
            say("retries", result(await s.call_tool("show_retries", {"event": "ev-DOC"})))
            say("retries_missing", result(await s.call_tool("show_retries", {"event": "nope"})))

asyncio.run(main())
"#;

fn python_with_mcp() -> bool {
    let has = Command::new("python3")
        .args(["-c", "import mcp.client.stdio"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has {
        eprintln!(
            "\n*** SKIPPED: python3 with the official MCP client is not installed, so \
             'hookscope mcp' was NOT tested with a real MCP client \
             (pip install 'mcp==2.3.0', as .ci/run does) ***\n"
        );
    }
    has
}

fn delivery(l: &Listener, event: &str, signature: &str) -> i64 {
    let body = format!(
        r#"{{"id":"ev-{event}","event_type":"{event}","payload":{{"applicant_id":"abc"}}}}"#
    );
    let r = post(
        &l.addr,
        "/hook",
        &[
            ("Content-Type", "application/json"),
            ("X-Webhook-Signature", signature),
        ],
        body.as_bytes(),
    );
    r.json()["id"].as_i64().expect("the capture's id")
}

#[test]
fn the_official_mcp_client_lists_shows_replays_and_never_sees_the_secret() {
    if !python_with_mcp() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let listener = Listener::start(&db, &["--secret", SECRET, "--no-tui"]);
    let body = br#"{"id":"ev-DOCVER","event_type":"DOCVER","payload":{"applicant_id":"abc"}}"#;
    let good = delivery(&listener, "DOCVER", &sign(SECRET, now(), body));
    let forged = delivery(
        &listener,
        "AML_SCREENING",
        &format!("t={},v1={}", now(), "ab".repeat(32)),
    );
    drop(listener);
    let app = TestApp::start(Behaviour::default());
    let script = dir.path().join("client.py");
    std::fs::write(&script, CLIENT).unwrap();
    let out = Command::new("python3")
        .arg(&script)
        .env("HOOKSCOPE_BIN", bin().get_program())
        .env("DB", &db)
        .env("SECRET", SECRET)
        .env("APP", app.url())
        .env("XDG_CONFIG_HOME", config_home())
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the MCP client failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Nothing the server returned carries the secret (the client prints every result).
    let hex = SECRET.trim_start_matches("whsec_");
    assert!(
        !text.contains(hex),
        "a response carries the secret:\n{text}"
    );
    let steps: std::collections::HashMap<String, serde_json::Value> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["step"].as_str().unwrap().to_string(), v["value"].clone())
        })
        .collect();
    let ok = |step: &str| -> serde_json::Value {
        let r = &steps[step];
        assert_eq!(r["isError"], false, "{step}: {r}");
        serde_json::from_str(r["text"].as_str().unwrap()).unwrap()
    };
    let failed = |step: &str| -> String {
        let r = &steps[step];
        assert_eq!(r["isError"], true, "{step}: {r}");
        r["text"].as_str().unwrap().to_string()
    };

    assert_eq!(steps["initialize"]["name"], "hookscope");
    assert_eq!(steps["initialize"]["protocolVersion"], "2025-11-25");
    let names: Vec<&str> = steps["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "list_captures",
            "show_capture",
            "wait_for_capture",
            "replay_capture",
            "send_sample",
            "run_check",
            "compare_captures",
            "show_retries"
        ]
    );

    let ids: Vec<i64> = ok("list")["captures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [forged, good], "newest first");
    let shown = ok("show");
    assert_eq!(shown["id"], good);
    assert_eq!(shown["delivery"]["event"], "ev-DOCVER", "{shown}");
    assert_eq!(shown["delivery"]["of"], 1, "{shown}");
    assert_eq!(shown["verdict"]["status"], "valid", "{shown}");
    assert!(shown["attempts"].is_array(), "{shown}");
    assert!(failed("show_missing").contains("list_captures shows the ids"));
    let failing: Vec<i64> = ok("query")["captures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(failing, [forged]);
    assert!(failed("bad_query").contains("query:"));

    // Re-signed with the server's secret, and the app got a signature that verifies.
    let replay = ok("replay");
    assert_eq!(replay["succeeded"], true, "{replay}");
    assert_eq!(replay["resigned"], true, "{replay}");
    // A forged capture is never re-signed: by default it goes as captured, with a warning
    // worded for an agent (a tool argument, not a flag).
    let forged_replay = ok("replay_forged");
    assert_eq!(forged_replay["resigned"], false, "{forged_replay}");
    assert_eq!(
        forged_replay["warning"]["code"],
        "failed_signature_as_captured"
    );
    assert!(
        forged_replay["hint"]["text"]
            .as_str()
            .unwrap()
            .contains("resign_failed: true"),
        "{forged_replay}"
    );
    assert_eq!(ok("replay_as_is")["resigned"], false);
    let received = app.received();
    let first = &received[0];
    let sig = first.header("x-webhook-signature").unwrap();
    let t: i64 = sig
        .split(',')
        .next()
        .unwrap()
        .trim_start_matches("t=")
        .parse()
        .unwrap();
    assert_eq!(sig, sign(SECRET, t, &first.body), "the replay verifies");

    let compared = ok("compare");
    assert!(compared.is_object(), "{compared}");
    let sent = ok("send");
    assert_eq!(sent["status"], 200, "{sent}");
    assert_eq!(
        sent["signed_with"],
        "the Dataspike secret the server was started with"
    );
    let sample = received
        .iter()
        .find(|r| String::from_utf8_lossy(&r.body).contains("DOCVER") && r.uri.starts_with("/"))
        .unwrap();
    assert!(sample.header("x-webhook-signature").is_some());

    assert_eq!(ok("wait")["id"], forged);
    assert!(failed("wait_timeout").contains("no capture matching query 'event:NEVER'"));
    let retries = ok("retries");
    assert_eq!(retries["events"][0]["event"], "ev-DOCVER", "{retries}");
    assert_eq!(retries["events"][0]["attempts"], 1, "{retries}");
    assert!(failed("retries_missing").contains("no stored delivery belongs to an event 'nope'"));
    let check = ok("check");
    assert!(check["probes"].as_array().unwrap().len() > 3, "{check}");
    assert!(!check["stored"].as_array().unwrap().is_empty(), "{check}");
}

const REDACT_CLIENT: &str = r#"
import asyncio, json, os, sys
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

def say(step, r):
    print(json.dumps({"step": step, "isError": r.is_error, "text": r.content[0].text}), flush=True)

async def main():
    server = StdioServerParameters(
        command=os.environ["HOOKSCOPE_BIN"],
        args=["mcp", "--db", os.environ["DB"], "--secret", os.environ["SECRET"]] + sys.argv[1:],
        env={"XDG_CONFIG_HOME": os.environ["XDG_CONFIG_HOME"], "PATH": os.environ.get("PATH", "")},
    )
    docver, aml = int(os.environ["DOCVER"]), int(os.environ["AML"])
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as s:
            await s.initialize()
            say("list", await s.call_tool("list_captures", {"limit": 10}))
            say("show", await s.call_tool("show_capture", {"id": docver}))
            say("wait", await s.call_tool("wait_for_capture", {"query": "event:DOCVER", "since_seconds": 600, "timeout_seconds": 5}))
            say("compare", await s.call_tool("compare_captures", {"left": docver, "right": aml}))

asyncio.run(main())
"#;

#[test]
fn with_redact_no_tool_returns_a_personal_value_and_one_value_keeps_one_fake() {
    if !python_with_mcp() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let (docver, aml) = crate::redact::two_samples(&db);
    let script = dir.path().join("client.py");
    std::fs::write(&script, REDACT_CLIENT).unwrap();
    let steps = |extra: &[&str]| -> std::collections::HashMap<String, String> {
        let out = Command::new("python3")
            .arg(&script)
            .args(extra)
            .current_dir(dir.path())
            .env("HOOKSCOPE_BIN", bin().get_program())
            .env("DB", &db)
            .env("SECRET", SECRET)
            .env("DOCVER", docver.to_string())
            .env("AML", aml.to_string())
            .env("XDG_CONFIG_HOME", config_home())
            .output()
            .expect("python3 runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "the MCP client failed:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                assert_eq!(v["isError"], false, "{v}");
                let step = v["step"].as_str().unwrap().to_string();
                (step, v["text"].as_str().unwrap().to_string())
            })
            .collect()
    };

    let plain = steps(&[]);
    assert!(plain["show"].contains("X98765432"), "{}", plain["show"]);
    assert!(plain["wait"].contains("X98765432"), "{}", plain["wait"]);
    assert!(
        plain["compare"].contains("Ivan Sample"),
        "{}",
        plain["compare"]
    );

    let redacted = steps(&["--redact"]);
    for (step, text) in &redacted {
        for personal in crate::redact::PERSONAL {
            assert!(
                !text.contains(personal),
                "{step} returns {personal}: {text}"
            );
        }
    }
    let show: serde_json::Value = serde_json::from_str(&redacted["show"]).unwrap();
    let wait: serde_json::Value = serde_json::from_str(&redacted["wait"]).unwrap();
    assert_eq!(show["id"].as_i64(), Some(docver));
    assert_eq!(show["redacted"], true, "{show}");
    // One salt for the server's run: the same capture gets the same fakes in two calls.
    assert_eq!(show["body"], wait["body"]);
    assert_ne!(
        show["body"],
        serde_json::from_str::<serde_json::Value>(&plain["show"]).unwrap()["body"]
    );
}
