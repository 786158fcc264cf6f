//! `hookscope dataspike snippet LANG`: each verifier, as printed by the real binary, runs in its
//! own runtime against deliveries hookscope signs: valid, rotated, wrong secret, stale, future,
//! malformed headers, an empty or short `v1`, and a re-serialized body. A runtime that is not
//! installed is skipped loudly (`.ci/run` installs Go, Ruby and PHP from Debian's packages).

use crate::common::*;
use base64::Engine;
use std::process::Command;

const NOW: i64 = 1_700_000_000;
const OLD: &str = "whsec_8899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677";
const OTHER: &str = "whsec_ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

/// One delivery, and what the verifier must say: `Some(i)` accepted under secret `#i`.
struct Case {
    name: &'static str,
    body: Vec<u8>,
    header: String,
    expect: Option<usize>,
}

fn cases() -> Vec<Case> {
    let body = VECTOR_BODY.as_bytes().to_vec();
    let good = sign(SECRET, NOW, &body);
    let v1 = good.split("v1=").nth(1).unwrap().to_string();
    let pretty =
        serde_json::to_vec_pretty(&serde_json::from_slice::<serde_json::Value>(&body).unwrap())
            .unwrap();
    let case = |name, body: &[u8], header: String, expect| Case {
        name,
        body: body.to_vec(),
        header,
        expect,
    };
    vec![
        case("valid", &body, good.clone(), Some(0)),
        case(
            "rotation: the old secret",
            &body,
            sign(OLD, NOW, &body),
            Some(1),
        ),
        case("wrong secret", &body, sign(OTHER, NOW, &body), None),
        case("stale", &body, sign(SECRET, NOW - 600, &body), None),
        case("future", &body, sign(SECRET, NOW + 600, &body), None),
        case("malformed header", &body, "garbage".into(), None),
        case("no t", &body, format!("v1={v1}"), None),
        case("t not digits", &body, format!("t=17e8,v1={v1}"), None),
        case(
            "duplicate t",
            &body,
            format!("t={NOW},t={NOW},v1={v1}"),
            None,
        ),
        case("empty v1", &body, format!("t={NOW},v1="), None),
        case("short v1", &body, format!("t={NOW},v1={}", &v1[..32]), None),
        case("re-serialized body", &pretty, good.clone(), None),
        case(
            "v0 ignored",
            &body,
            format!("t={NOW},v0=00,v1={v1}"),
            Some(0),
        ),
        case(
            "a second v1 matches",
            &body,
            format!("t={NOW},v1={},v1={v1}", "ab".repeat(32)),
            Some(0),
        ),
    ]
}

fn cases_json() -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let list: Vec<serde_json::Value> = cases()
        .iter()
        .map(|c| {
            serde_json::json!({
                "body": b64.encode(&c.body),
                "header": c.header,
                "secrets": [SECRET, OLD],
                "now": NOW,
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

const PY_DRIVER: &str = r#"
import base64, json, sys
sys.path.insert(0, sys.argv[1])
from snippet import verify_dataspike
for c in json.load(open(sys.argv[2])):
    try:
        print("ok", verify_dataspike(base64.b64decode(c["body"]), c["header"], c["secrets"], c["now"]))
    except ValueError as e:
        print("fail", e)
"#;

const NODE_DRIVER: &str = r#"
const { verifyDataspike } = require(process.argv[2] + '/snippet.js');
for (const c of JSON.parse(require('fs').readFileSync(process.argv[3]))) {
  try { console.log('ok', verifyDataspike(Buffer.from(c.body, 'base64'), c.header, c.secrets, c.now)); }
  catch (e) { console.log('fail', e.message); }
}
"#;

const GO_DRIVER: &str = r#"package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
)

type testCase struct {
	Body    string
	Header  string
	Secrets []string
	Now     int64
}

func main() {
	raw, _ := os.ReadFile(os.Args[1])
	var cases []testCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		panic(err)
	}
	for _, c := range cases {
		body, _ := base64.StdEncoding.DecodeString(c.Body)
		if i, err := Verify(body, c.Header, c.Secrets, c.Now, Tolerance); err != nil {
			fmt.Println("fail", err)
		} else {
			fmt.Println("ok", i)
		}
	}
}
"#;

const RUBY_DRIVER: &str = r#"
require 'json'
require_relative 'snippet'
JSON.parse(File.read(ARGV[0])).each do |c|
  begin
    puts "ok #{verify_dataspike(c['body'].unpack1('m0'), c['header'], c['secrets'], c['now'])}"
  rescue ArgumentError => e
    puts "fail #{e.message}"
  end
end
"#;

const PHP_DRIVER: &str = r#"<?php
require $argv[1] . '/snippet.php';
foreach (json_decode(file_get_contents($argv[2]), true) as $c) {
    try {
        $i = verify_dataspike(base64_decode($c['body']), $c['header'], $c['secrets'], $c['now']);
        echo "ok $i\n";
    } catch (InvalidArgumentException $e) {
        echo 'fail ', $e->getMessage(), "\n";
    }
}
"#;

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .or_else(|_| Command::new(program).arg("version").output())
        .is_ok()
}

/// The snippet for `lang` as `hookscope dataspike snippet` prints it.
fn snippet(lang: &str) -> String {
    let o = run(&["dataspike", "snippet", lang]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

/// Runs `lang`'s snippet over every case and checks each verdict.
fn check(lang: &str, mut command: Command) {
    let o = command.output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{lang}: {out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<&str> = out.lines().collect();
    let cases = cases();
    assert_eq!(lines.len(), cases.len(), "{lang}: {out}");
    for (c, line) in cases.iter().zip(&lines) {
        match c.expect {
            Some(i) => assert_eq!(*line, format!("ok {i}"), "{lang}: {}", c.name),
            None => assert!(line.starts_with("fail "), "{lang}: {}: {line}", c.name),
        }
    }
}

#[test]
fn each_snippet_accepts_what_hookscope_signs_and_rejects_the_rest() {
    let mut ran = Vec::new();
    let mut skipped = Vec::new();
    for (lang, program) in [
        ("python", "python3"),
        ("node", "node"),
        ("go", "go"),
        ("ruby", "ruby"),
        ("php", "php"),
    ] {
        if !installed(program) {
            skipped.push(lang);
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let cases_file = d.join("cases.json");
        std::fs::write(&cases_file, cases_json()).unwrap();
        let text = snippet(lang);
        let mut cmd;
        match lang {
            "python" => {
                std::fs::write(d.join("snippet.py"), &text).unwrap();
                std::fs::write(d.join("driver.py"), PY_DRIVER).unwrap();
                cmd = Command::new(program);
                cmd.arg(d.join("driver.py")).arg(d).arg(&cases_file);
            }
            "node" => {
                std::fs::write(d.join("snippet.js"), &text).unwrap();
                std::fs::write(d.join("driver.js"), NODE_DRIVER).unwrap();
                cmd = Command::new(program);
                cmd.arg(d.join("driver.js")).arg(d).arg(&cases_file);
            }
            "go" => {
                // The printed package is the app's to name; the test builds it as a program.
                let text = text.replacen("package dataspike", "package main", 1);
                std::fs::write(d.join("snippet.go"), text).unwrap();
                std::fs::write(d.join("driver.go"), GO_DRIVER).unwrap();
                cmd = Command::new(program);
                cmd.current_dir(d)
                    .env("GOCACHE", d.join("gocache"))
                    .env("GOPATH", d.join("gopath"))
                    .env("GO111MODULE", "off")
                    .args(["run", "driver.go", "snippet.go"])
                    .arg(&cases_file);
            }
            "ruby" => {
                std::fs::write(d.join("snippet.rb"), &text).unwrap();
                std::fs::write(d.join("driver.rb"), RUBY_DRIVER).unwrap();
                cmd = Command::new(program);
                cmd.arg(d.join("driver.rb")).arg(&cases_file);
            }
            _ => {
                std::fs::write(d.join("snippet.php"), &text).unwrap();
                std::fs::write(d.join("driver.php"), PHP_DRIVER).unwrap();
                cmd = Command::new(program);
                cmd.arg(d.join("driver.php")).arg(d).arg(&cases_file);
            }
        }
        check(lang, cmd);
        ran.push(lang);
    }
    if !skipped.is_empty() {
        eprintln!(
            "SKIPPED snippet languages (runtime not installed): {}",
            skipped.join(", ")
        );
    }
    assert!(
        ran.contains(&"python") && ran.contains(&"node"),
        "python3 and node are on every machine here: ran {ran:?}"
    );
}

#[test]
fn an_unknown_language_is_a_usage_error_naming_the_choices() {
    let o = run(&["dataspike", "snippet", "cobol"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("python"), "{}", stderr(&o));
}
