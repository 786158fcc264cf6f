//! `hookscope mcp`: the Model Context Protocol for coding agents, over stdio. This module is
//! the protocol: one JSON-RPC 2.0 message per line in, at most one per line out
//! ([`handle`], pure given a [`Toolbox`]); `tools.rs` the tools' names, schemas and argument
//! checks; `toolbox.rs` runs a checked call through `ops` against one store; `hint.rs` words a
//! [`crate::hint::Hint`] as what an agent can do (tool arguments, the server's environment).
//! Must not print (the command owns stdout), parse flags, or return a secret.

mod hint;
mod toolbox;
mod tools;

pub use toolbox::Toolbox;
pub use tools::Call;

use serde_json::{json, Map, Value};

/// The protocol versions served by the `initialize` handshake, newest first: a client asking
/// for one of these gets it, any other gets the first.
pub const PROTOCOL_VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// JSON-RPC's error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;

/// What a tool call came to: a JSON value on success, or a message that says what to do.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolOutput {
    Ok(Value),
    Failed(String),
}

/// What runs a checked tool call; the real one is [`Toolbox`], tests use their own.
pub trait Run {
    fn run(&mut self, call: Call) -> ToolOutput;
}

/// Answers one line from the client: `None` for a notification, a response or a blank line;
/// otherwise the response, one line of JSON. Nothing the client sends makes it fail.
pub fn handle(line: &str, tools: &mut dyn Run) -> Option<String> {
    if line.trim().is_empty() {
        return None;
    }
    let message: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => {
            return Some(error(
                Value::Null,
                PARSE_ERROR,
                &format!("not JSON: {e}; send one JSON-RPC 2.0 message per line"),
            ))
        }
    };
    let Some(obj) = message.as_object() else {
        return Some(error(
            Value::Null,
            INVALID_REQUEST,
            "expected one JSON-RPC 2.0 request object per line (batches are not supported)",
        ));
    };
    let id = obj.get("id").cloned();
    if id
        .as_ref()
        .is_some_and(|i| !(i.is_string() || i.is_i64() || i.is_u64()))
    {
        return Some(error(
            Value::Null,
            INVALID_REQUEST,
            "id must be a string or an integer",
        ));
    }
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Some(error(
            id.unwrap_or(Value::Null),
            INVALID_REQUEST,
            "jsonrpc must be \"2.0\"",
        ));
    }
    let Some(method) = obj.get("method").and_then(Value::as_str) else {
        // A response to a request we never send, or nothing at all.
        if obj.contains_key("result") || obj.contains_key("error") {
            return None;
        }
        return Some(error(
            id.unwrap_or(Value::Null),
            INVALID_REQUEST,
            "a request needs a method",
        ));
    };
    // A notification (no id) is never answered; the ones this server knows need nothing done.
    let id = id?;
    let params = obj.get("params");
    Some(match dispatch(method, params, tools) {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string(),
        Err((code, message)) => error(id, code, &message),
    })
}

/// The answer to a line that is not UTF-8 (so not JSON).
pub fn not_utf8() -> String {
    error(
        Value::Null,
        PARSE_ERROR,
        "not UTF-8, so not JSON; send one JSON-RPC 2.0 message per line",
    )
}

fn dispatch(
    method: &str,
    params: Option<&Value>,
    tools: &mut dyn Run,
) -> Result<Value, (i64, String)> {
    let params = match params {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err((INVALID_PARAMS, "params must be an object".into())),
    };
    match method {
        "initialize" => initialize(&params),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({ "tools": tools::definitions() })),
        "tools/call" => call(&params, tools),
        other => Err((
            METHOD_NOT_FOUND,
            format!("method '{other}' is not served; this server has initialize, ping, tools/list and tools/call"),
        )),
    }
}

fn initialize(params: &Map<String, Value>) -> Result<Value, (i64, String)> {
    let Some(asked) = params.get("protocolVersion").and_then(Value::as_str) else {
        return Err((
            INVALID_PARAMS,
            "initialize needs protocolVersion (a string)".into(),
        ));
    };
    let version = PROTOCOL_VERSIONS
        .into_iter()
        .find(|v| *v == asked)
        .unwrap_or(PROTOCOL_VERSIONS[0]);
    Ok(json!({
        "protocolVersion": version,
        "capabilities": {"tools": {"listChanged": false}},
        "serverInfo": {"name": "hookscope", "version": env!("CARGO_PKG_VERSION")},
        "instructions": "hookscope captures the webhooks sent to 'hookscope listen', verifies their signatures and stores them. Find deliveries with list_captures (query language: event:TYPE verdict:fail status:5xx payload.PATH=VALUE, words), read one with show_capture, block on one with wait_for_capture, resend one with replay_capture, send a signed sample with send_sample, grade an endpoint with run_check, compare two with compare_captures, and see how a sender retried an event with show_retries."
    }))
}

fn call(params: &Map<String, Value>, tools: &mut dyn Run) -> Result<Value, (i64, String)> {
    let Some(name) = params.get("name").and_then(Value::as_str) else {
        return Err((INVALID_PARAMS, "tools/call needs name (a string)".into()));
    };
    let empty = Map::new();
    let args = match params.get("arguments") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => return Err((INVALID_PARAMS, "arguments must be an object".into())),
    };
    if !tools::NAMES.contains(&name) {
        return Err((
            INVALID_PARAMS,
            format!(
                "unknown tool '{name}'; tools/list lists them: {}",
                tools::NAMES.join(", ")
            ),
        ));
    }
    // A bad argument is the tool's error, not the protocol's: the agent reads it and corrects.
    let output = match tools::parse(name, args, crate::capture::now_ms()) {
        Ok(checked) => tools.run(checked),
        Err(why) => ToolOutput::Failed(format!("{name}: {why}")),
    };
    Ok(match output {
        ToolOutput::Ok(v) => json!({
            "content": [{"type": "text", "text": v.to_string()}],
            "isError": false,
        }),
        ToolOutput::Failed(text) => json!({
            "content": [{"type": "text", "text": text}],
            "isError": true,
        }),
    })
}

fn error(id: Value, code: i64, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}).to_string()
}

#[cfg(test)]
mod tests;
